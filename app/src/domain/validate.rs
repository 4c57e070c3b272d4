//! Generic field validators shared by every form: Kubernetes names (DNS-1123 labels and
//! subdomains, label keys and values), absolute paths, display names and checkboxes.
//!
//! A validator that can say which value to write instead attaches it to its error
//! ([`FieldError::suggestion`]); that value always passes the same validator (see the
//! property test below), so a form can offer it as a one-click fix.

use super::FieldError;

pub const DNS1123_LABEL_MAX: usize = 63;
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;
pub const LABEL_NAME_MAX: usize = 63;
pub const PATH_MAX: usize = 1024;

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// The DNS-1123 name closest to `s`: lowercase, every other character as '-', each part
/// trimmed to start and end with a letter or digit, at most `max` characters. `None` when
/// nothing of `s` is left.
fn dns1123_fix(s: &str, max: usize, dots: bool) -> Option<String> {
    let mapped: String = s
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c if lower_alnum(c) => c,
            '.' if dots => '.',
            _ => '-',
        })
        .collect();
    let trim = |p: &str| p.trim_matches('-').to_string();
    let parts: Vec<String> = if dots {
        mapped
            .split('.')
            .map(trim)
            .filter(|p| !p.is_empty())
            .collect()
    } else {
        vec![trim(&mapped)]
    };
    let joined = parts.join(".");
    let cut: String = joined.chars().take(max).collect();
    let fixed = cut.trim_end_matches(['-', '.']).to_string();
    (!fixed.is_empty()).then_some(fixed)
}

/// Shared checks of DNS-1123 names; `dots` allows `.` (subdomains). `what` names the value in
/// messages ("slug", "namespace"), `max` is its length limit. Errors about the characters
/// offer the closest valid name.
pub fn dns1123_name(
    field: &str,
    what: &str,
    s: &str,
    max: usize,
    dots: bool,
) -> Result<(), FieldError> {
    dns1123_check(field, what, s, max, dots, true)
}

/// [`dns1123_name`]; `fixes` says whether to look for a fix to offer (off while checking a
/// candidate fix, so a check never recurses).
fn dns1123_check(
    field: &str,
    what: &str,
    s: &str,
    max: usize,
    dots: bool,
    fixes: bool,
) -> Result<(), FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let allowed = if dots {
        "lowercase letters, digits, '-' and '.'"
    } else {
        "lowercase letters, digits and '-'"
    };
    if s.is_empty() {
        return err(format!("A {what} is required: use {allowed}."));
    }
    if s.len() > max {
        return err(format!(
            "The {what} is {} characters long: use at most {max}.",
            s.len()
        ));
    }
    let fix = || {
        dns1123_fix(s, max, dots)
            .filter(|_| fixes)
            .and_then(|f| valid_fix(f, |f| dns1123_check(field, what, f, max, dots, false)))
    };
    let offered =
        |message: String, fix: Option<String>| Err(FieldError::new(field, message).with_fix(fix));
    if s.chars().any(|c| c.is_ascii_uppercase()) {
        let fix = fix();
        let write = match &fix {
            Some(f) => format!("write \"{f}\""),
            None => format!("use {allowed}"),
        };
        return offered(
            format!("\"{s}\" has uppercase letters, which a {what} cannot have: {write}."),
            fix,
        );
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(lower_alnum(c) || c == '-' || (dots && c == '.')))
    {
        let fix = fix();
        let example = fix
            .as_deref()
            .map(|f| format!(" e.g. \"{f}\""))
            .unwrap_or_default();
        let hint = match c {
            '_' | ' ' => format!(" Replace \"{c}\" with '-',{example}."),
            '.' => format!(" Dots are not allowed here: use '-',{example}."),
            _ if fix.is_some() => format!(" Write{example}."),
            _ => String::new(),
        };
        return offered(
            format!("\"{s}\" contains \"{c}\": a {what} may only contain {allowed}.{hint}"),
            fix,
        );
    }
    let parts: Vec<&str> = if dots {
        s.split('.').collect()
    } else {
        vec![s]
    };
    for p in parts {
        if p.is_empty() {
            return offered(
                format!("\"{s}\" has an empty part between dots: remove the extra '.'."),
                fix(),
            );
        }
        if !p.starts_with(lower_alnum) || !p.ends_with(lower_alnum) {
            return offered(
                format!(
                    "\"{s}\" must start and end with a lowercase letter or digit{}.",
                    if dots { " (also around each '.')" } else { "" }
                ),
                fix(),
            );
        }
    }
    Ok(())
}

/// A DNS-1123 label (namespaces, slugs, most names): at most 63 lowercase letters, digits and
/// `-`, starting and ending with a letter or digit.
pub fn validate_dns1123_label(field: &str, what: &str, s: &str) -> Result<(), FieldError> {
    dns1123_name(field, what, s, DNS1123_LABEL_MAX, false)
}

/// A DNS-1123 subdomain (PVC names, storage classes, secret names): at most 253 characters,
/// dot-separated parts of lowercase letters, digits and `-`.
pub fn validate_dns1123_subdomain(field: &str, what: &str, s: &str) -> Result<(), FieldError> {
    dns1123_name(field, what, s, DNS1123_SUBDOMAIN_MAX, true)
}

/// A Kubernetes namespace: a DNS-1123 label.
pub fn validate_namespace(field: &str, s: &str) -> Result<(), FieldError> {
    validate_dns1123_label(field, "namespace", s)
}

/// A label's name part (and a label value): 1 to 63 letters, digits, `-`, `_`, `.`, starting
/// and ending with a letter or digit.
pub fn label_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= LABEL_NAME_MAX
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A label key: optional DNS-1123 subdomain prefix and `/`, then a name of at most 63
/// characters (letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit).
/// Example: `kubernetes.io/arch`, `node-pool`.
pub fn validate_label_key(field: &str, key: &str) -> Result<(), FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    if key.is_empty() {
        return err("A label key is required, e.g. node-pool or kubernetes.io/arch.".into());
    }
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if name.contains('/') {
            return err(format!(
                "Label key \"{key}\" has more than one '/': write prefix/name, e.g. kubernetes.io/arch."
            ));
        }
        // The prefix's own fix is not a fix of the key: the message keeps only its text.
        dns1123_name(field, "label key prefix", p, DNS1123_SUBDOMAIN_MAX, true).map_err(|e| {
            FieldError::new(
                field,
                format!(
                    "Label key \"{key}\": the part before '/' must be a DNS subdomain. {}",
                    e.message
                ),
            )
        })?;
    }
    if !label_name_ok(name) {
        return err(format!(
            "Label key \"{key}\" is invalid: the name{} must be 1 to {LABEL_NAME_MAX} letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
            if prefix.is_some() { " after '/'" } else { "" }
        ));
    }
    Ok(())
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_`, `.`, starting and ending with
/// a letter or digit.
pub fn validate_label_value(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() || label_name_ok(value) {
        return Ok(());
    }
    Err(FieldError::new(
        field,
        format!(
            "Label value \"{value}\" is invalid: use at most {LABEL_NAME_MAX} letters, digits, '-', '_' or '.', starting and ending with a letter or digit."
        ),
    ))
}

/// An absolute path inside a container (mount points): starts with `/`, is not `/` itself,
/// has no empty, `.` or `..` parts, no trailing `/`, no `:` and no control characters.
/// Returns the trimmed path.
pub fn validate_absolute_path(field: &str, input: &str) -> Result<String, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let p = input.trim();
    if p.is_empty() {
        return err("A path is required, e.g. /mnt/data.".into());
    }
    if !p.starts_with('/') {
        let fix = valid_fix(format!("/{p}"), |f| validate_absolute_path(field, f));
        let example = fix
            .as_deref()
            .map(|f| format!(", e.g. {f}"))
            .unwrap_or_default();
        return Err(FieldError::new(
            field,
            format!("\"{p}\" is not absolute: start it with '/'{example}."),
        )
        .with_fix(fix));
    }
    if p == "/" {
        return err("A volume cannot be mounted on \"/\" (it would hide the whole image): choose a directory such as /mnt/data.".into());
    }
    if p.len() > PATH_MAX {
        return err(format!(
            "The path is longer than {PATH_MAX} characters: shorten it."
        ));
    }
    if p.chars().any(char::is_control) {
        return err("The path contains a control character: remove it.".into());
    }
    if p.contains(':') {
        return err(format!(
            "\"{p}\" contains ':', which Kubernetes does not accept in a mount path: remove it."
        ));
    }
    if p.ends_with('/') {
        let fix = valid_fix(p.trim_end_matches('/').to_string(), |f| {
            validate_absolute_path(field, f)
        });
        let write = match &fix {
            Some(f) => format!("write {f}"),
            None => "remove the trailing '/'".to_string(),
        };
        return Err(
            FieldError::new(field, format!("\"{p}\" ends with '/': {write}.")).with_fix(fix),
        );
    }
    for part in p[1..].split('/') {
        match part {
            "" => return err(format!("\"{p}\" contains \"//\": use a single '/'.")),
            "." | ".." => {
                return err(format!(
                    "\"{p}\" contains \"{part}\": write the path without '.' or '..' parts."
                ));
            }
            _ => {}
        }
    }
    Ok(p.to_string())
}

pub const DISPLAY_NAME_MAX: usize = 100;

/// A human-readable name (hub profiles, shared volumes): required, at most 100 characters, one
/// line. Returns the trimmed name.
pub fn validate_display_name(field: &str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "A name is required."));
    }
    if s.chars().count() > DISPLAY_NAME_MAX {
        return Err(FieldError::new(
            field,
            format!(
                "The name has {} characters: use at most {DISPLAY_NAME_MAX}.",
                s.chars().count()
            ),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "The name contains a line break or control character: write it on one line.",
        ));
    }
    Ok(s.to_string())
}

/// A checkbox or yes/no select: an HTML checkbox sends `on` when ticked and nothing at all
/// when not, so an empty value is `false`.
pub fn parse_checkbox(field: &str, input: &str) -> Result<bool, FieldError> {
    match input.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "" | "off" | "false" | "no" | "0" => Ok(false),
        other => Err(FieldError::new(
            field,
            format!("\"{other}\" is not a yes/no value: tick or untick the box."),
        )),
    }
}

/// The checkbox value for a boolean, as [`parse_checkbox`] reads it back.
pub fn checkbox_value(b: bool) -> String {
    if b { "on".into() } else { String::new() }
}

/// `"A", "B" and "C"` for messages.
pub fn quoted_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("\"{n}\"")).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `candidate` when `check` accepts it: a validator offers a fix only if the fix is valid.
pub fn valid_fix<T>(
    candidate: String,
    check: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<String> {
    check(&candidate).is_ok().then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn subdomains() {
        for ok in ["claim-share", "glusterfs", "a.b-c.d", "x", "0abc"] {
            assert!(validate_dns1123_subdomain("f", "name", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a..b", ".a", "a.", "a_b", "A", "a.-b", &"a".repeat(254)] {
            assert!(
                validate_dns1123_subdomain("f", "name", bad).is_err(),
                "{bad}"
            );
        }
        assert!(validate_dns1123_label("f", "slug", &"a".repeat(64)).is_err());
    }

    #[test]
    fn labels() {
        for ok in [
            "node-pool",
            "kubernetes.io/arch",
            "example.com/GPU_type",
            "a",
            "A.b_c-d",
        ] {
            assert!(validate_label_key("k", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a/b/c",
            "-a",
            "a-",
            "Example.com/x",
            "a b",
            &"a".repeat(64),
        ] {
            assert!(validate_label_key("k", bad).is_err(), "{bad}");
        }
        for ok in ["", "amd64", "GPU_1", "a.b-c"] {
            assert!(validate_label_value("v", ok).is_ok(), "{ok}");
        }
        for bad in ["-a", "a_", "a b", "a/b", &"a".repeat(64)] {
            assert!(validate_label_value("v", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(validate_absolute_path("p", " /mnt ").unwrap(), "/mnt");
        assert!(validate_absolute_path("p", "/home/jovyan/work").is_ok());
        for (bad, hint) in [
            ("mnt", "start it with '/'"),
            ("/", "hide the whole image"),
            ("/mnt/", "write /mnt"),
            ("/a//b", "//"),
            ("/a/../b", ".."),
            ("/a/./b", "'.'"),
            ("/c:/x", "':'"),
            ("", "required"),
        ] {
            let e = validate_absolute_path("p", bad).unwrap_err();
            assert!(e.message.contains(hint), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn display_names_and_checkboxes() {
        assert_eq!(
            validate_display_name("n", " Data science ").unwrap(),
            "Data science"
        );
        assert!(validate_display_name("n", "").is_err());
        assert!(validate_display_name("n", "a\nb").is_err());
        assert!(validate_display_name("n", &"x".repeat(101)).is_err());
        for (v, b) in [
            ("on", true),
            ("", false),
            ("true", true),
            ("off", false),
            ("0", false),
        ] {
            assert_eq!(parse_checkbox("c", v).unwrap(), b, "{v}");
            assert_eq!(parse_checkbox("c", &checkbox_value(b)).unwrap(), b);
        }
        assert!(parse_checkbox("c", "maybe").is_err());
    }

    /// Inputs whose first candidate fix is itself invalid: no fix is offered, and looking
    /// for one terminates (it once recursed until the stack overflowed).
    #[test]
    fn memory_fixes_that_do_not_pass_are_not_offered() {
        use crate::domain::quantity::parse_kubespawner_memory;
        for input in ["0.0001M", "0.0001Mi", "0.0000001Gi", "0.001K"] {
            let e = parse_kubespawner_memory("m", input).unwrap_err();
            if let Some(fix) = &e.suggestion {
                assert!(parse_kubespawner_memory("m", fix).is_ok(), "{input}: {fix}");
            }
        }
    }

    #[test]
    fn the_slug_suggestion_is_a_valid_slug() {
        let e = validate_dns1123_label("slug", "slug", "Data_Science").unwrap_err();
        assert_eq!(
            e.suggestion.as_deref(),
            Some("data-science"),
            "{}",
            e.message
        );
        assert!(e.message.contains("\"data-science\""), "{}", e.message);
    }

    proptest! {
        #[test]
        fn valid_labels_pass(s in "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") {
            prop_assert!(validate_dns1123_label("f", "name", &s).is_ok());
            prop_assert!(validate_dns1123_subdomain("f", "name", &s).is_ok());
        }

        #[test]
        fn label_keys_with_prefix_pass(p in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,10}){0,2}", n in "[A-Za-z0-9]([A-Za-z0-9_.-]{0,20}[A-Za-z0-9])?") {
            let key = format!("{p}/{n}");
            prop_assert!(validate_label_key("k", &key).is_ok());
            prop_assert!(validate_label_value("v", &n).is_ok());
        }

        #[test]
        fn absolute_paths_pass(parts in proptest::collection::vec("[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,10}", 1..5)) {
            let parts: Vec<String> = parts.into_iter().filter(|p| p != "." && p != "..").collect();
            prop_assume!(!parts.is_empty());
            let p = format!("/{}", parts.join("/"));
            prop_assert_eq!(validate_absolute_path("p", &p).unwrap(), p);
        }

        #[test]
        fn relative_paths_fail(p in "[a-z][a-z/]{0,20}") {
            prop_assert!(validate_absolute_path("p", &p).is_err());
        }

        /// Every validator that offers a fix offers one it accepts itself: names, paths,
        /// chart versions, hosts, images and memory.
        #[test]
        fn suggestions_of_other_validators_pass(
            s in "[A-Za-z0-9_./:*-]{0,24}",
            m in "[0-9 .,]{0,5}[KMGTkmgtiBE]{0,3}",
        ) {
            use crate::domain::{hub, profile, quantity};
            type Check = fn(&str) -> Result<(), FieldError>;
            let checks: [(&str, Check); 5] = [
                ("release", |s| hub::validate_release_name("f", s)),
                ("chart", |s| hub::validate_chart_version("f", s)),
                ("host", |s| hub::validate_ingress_host("f", s).map(drop)),
                ("image", |s| profile::validate_image_name("f", s).map(drop)),
                ("memory", |s| quantity::parse_kubespawner_memory("f", s).map(drop)),
            ];
            for (what, check) in checks {
                for input in [&s, &m, &format!("v{m}"), &format!("https://{s}")] {
                    if let Err(e) = check(input)
                        && let Some(fix) = &e.suggestion
                    {
                        prop_assert!(check(fix).is_ok(), "{what} {input:?}: suggested {fix:?}: {}", e.message);
                    }
                }
            }
        }

        /// Every validator that offers a fix offers one it accepts itself.
        #[test]
        fn suggestions_pass_their_validator(s in "[A-Za-z0-9_./: -]{0,20}") {
            type Check = fn(&str) -> Result<(), FieldError>;
            let checks: [(&str, Check); 6] = [
                ("label", |s| validate_dns1123_label("f", "slug", s)),
                ("subdomain", |s| validate_dns1123_subdomain("f", "name", s)),
                ("namespace", |s| validate_namespace("f", s)),
                ("label key", |s| validate_label_key("f", s)),
                ("label value", |s| validate_label_value("f", s)),
                ("path", |s| validate_absolute_path("f", s).map(drop)),
            ];
            for (what, check) in checks {
                if let Err(e) = check(&s)
                    && let Some(fix) = &e.suggestion
                {
                    prop_assert!(check(fix).is_ok(), "{what} {s:?}: suggested {fix:?}: {}", e.message);
                }
            }
        }
    }
}
