//! A small YAML highlighter for the values preview: splits each line into spans classed as
//! keys, strings, numbers, booleans, nulls, comments and punctuation. It understands the YAML
//! the generator writes (block mappings and sequences, quoted and plain scalars, literal and
//! folded block scalars), which is all it is used for. Concatenating a line's spans gives the
//! line back unchanged.

/// The kind of a span; its CSS class is `yaml-<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Key,
    Str,
    Num,
    Bool,
    Null,
    Comment,
    Punct,
}

impl Kind {
    pub fn class(self) -> &'static str {
        match self {
            Kind::Plain => "yaml-plain",
            Kind::Key => "yaml-key",
            Kind::Str => "yaml-str",
            Kind::Num => "yaml-num",
            Kind::Bool => "yaml-bool",
            Kind::Null => "yaml-null",
            Kind::Comment => "yaml-comment",
            Kind::Punct => "yaml-punct",
        }
    }
}

pub type Span = (Kind, String);

fn is_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut seen_e = false;
    let mut prev = ' ';
    for c in t.chars() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_dot && !seen_e => seen_dot = true,
            'e' | 'E' if seen_digit && !seen_e => seen_e = true,
            '-' | '+' if prev == 'e' || prev == 'E' => {}
            _ => return false,
        }
        prev = c;
    }
    seen_digit && !matches!(prev, 'e' | 'E' | '-' | '+')
}

fn scalar_kind(s: &str) -> Kind {
    let t = s.trim();
    if t.starts_with('"') || t.starts_with('\'') {
        return Kind::Str;
    }
    match t {
        "true" | "false" => Kind::Bool,
        "null" | "~" => Kind::Null,
        "{}" | "[]" => Kind::Punct,
        _ if is_number(t) => Kind::Num,
        _ => Kind::Str,
    }
}

/// The end (byte index, exclusive) of a mapping key at the start of `s`, i.e. the position of
/// the `:` that ends it, if `s` starts with a key.
fn key_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let first = *bytes.first()?;
    if first == b'"' || first == b'\'' {
        // A quoted key: find the closing quote, then ':'.
        let mut i = 1;
        while i < bytes.len() {
            if bytes[i] == first {
                if first == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                if first == b'"' && bytes[i - 1] == b'\\' {
                    i += 1;
                    continue;
                }
                return (bytes.get(i + 1) == Some(&b':')
                    && matches!(bytes.get(i + 2), None | Some(b' ')))
                .then_some(i + 1);
            }
            i += 1;
        }
        return None;
    }
    if first == b'#' || first == b'|' || first == b'>' {
        return None;
    }
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ')) {
            return Some(i);
        }
        if bytes[i] == b' ' && bytes.get(i + 1) == Some(&b'#') {
            return None;
        }
        i += 1;
    }
    None
}

/// Highlights a whole document, one `Vec<Span>` per line.
pub fn highlight(yaml: &str) -> Vec<Vec<Span>> {
    let mut out = Vec::new();
    // Inside a block scalar: lines indented more than this column belong to it.
    let mut block_indent: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(bi) = block_indent {
            if line.trim().is_empty() || indent > bi {
                out.push(vec![(Kind::Str, line.to_string())]);
                continue;
            }
            block_indent = None;
        }
        let mut spans: Vec<Span> = Vec::new();
        let mut rest = &line[indent..];
        if indent > 0 {
            spans.push((Kind::Plain, line[..indent].to_string()));
        }
        let mut column = indent;
        while let Some(after) = rest
            .strip_prefix("- ")
            .or_else(|| (rest == "-").then_some(""))
        {
            spans.push((Kind::Punct, "-".into()));
            let consumed = rest.len() - after.len();
            if consumed > 1 {
                spans.push((Kind::Plain, rest[1..consumed].to_string()));
            }
            column += consumed;
            rest = after;
            let pad = rest.len() - rest.trim_start_matches(' ').len();
            if pad > 0 {
                spans.push((Kind::Plain, rest[..pad].to_string()));
                column += pad;
                rest = &rest[pad..];
            }
        }
        if rest.starts_with('#') {
            spans.push((Kind::Comment, rest.to_string()));
            out.push(spans);
            continue;
        }
        let value = match key_end(rest) {
            Some(end) => {
                spans.push((Kind::Key, rest[..end].to_string()));
                spans.push((Kind::Punct, ":".into()));
                &rest[end + 1..]
            }
            None => rest,
        };
        if !value.is_empty() {
            let pad = value.len() - value.trim_start_matches(' ').len();
            if pad > 0 {
                spans.push((Kind::Plain, value[..pad].to_string()));
            }
            let v = &value[pad..];
            if v.starts_with('|') || v.starts_with('>') {
                spans.push((Kind::Punct, v.to_string()));
                block_indent = Some(column);
            } else if !v.is_empty() {
                spans.push((scalar_kind(v), v.to_string()));
            }
        }
        out.push(spans);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &[Span]) -> Vec<(Kind, &str)> {
        line.iter().map(|(k, t)| (*k, t.as_str())).collect()
    }

    #[test]
    fn lines_roundtrip_and_classify() {
        let yaml = "# head\nsingleuser:\n  cpu:\n    limit: 1.5\n  image:\n    tag: '1.0'\n    name: repo/x\n  profileList:\n  - display_name: A\n    default: true\n    kubespawner_override:\n      mem_guarantee: null\nhub:\n  extraConfig:\n    x: |\n      def f():\n\n          return 1\n  other: {}\n";
        let h = highlight(yaml);
        let lines: Vec<&str> = yaml.lines().collect();
        assert_eq!(h.len(), lines.len());
        for (spans, line) in h.iter().zip(&lines) {
            let joined: String = spans.iter().map(|(_, t)| t.as_str()).collect();
            assert_eq!(&joined, line);
        }
        assert_eq!(kinds(&h[0]), vec![(Kind::Comment, "# head")]);
        assert_eq!(
            kinds(&h[1]),
            vec![(Kind::Key, "singleuser"), (Kind::Punct, ":")]
        );
        assert!(kinds(&h[3]).contains(&(Kind::Num, "1.5")));
        assert!(kinds(&h[5]).contains(&(Kind::Str, "'1.0'")));
        assert!(kinds(&h[8]).contains(&(Kind::Punct, "-")));
        assert!(kinds(&h[8]).contains(&(Kind::Key, "display_name")));
        assert!(kinds(&h[9]).contains(&(Kind::Bool, "true")));
        assert!(kinds(&h[11]).contains(&(Kind::Null, "null")));
        assert!(kinds(&h[14]).contains(&(Kind::Punct, "|")));
        assert_eq!(kinds(&h[15]), vec![(Kind::Str, "      def f():")]);
        assert_eq!(kinds(&h[16]), vec![(Kind::Str, "")]);
        assert_eq!(kinds(&h[17]), vec![(Kind::Str, "          return 1")]);
        assert!(kinds(&h[18]).contains(&(Kind::Key, "other")));
        assert!(kinds(&h[18]).contains(&(Kind::Punct, "{}")));
    }

    #[test]
    fn numbers() {
        for n in ["1", "1.5", "-2", "0.001", "1e9", "1.5E-3"] {
            assert!(is_number(n), "{n}");
        }
        for s in ["", "1.2.3", "v1", "3G", "e5", "1e", "-"] {
            assert!(!is_number(s), "{s}");
        }
    }
}
