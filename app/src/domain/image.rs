//! Container image references: a repository name (`[registry[:port]/]path`), a tag or a
//! digest, and the whole reference (`name:tag`, `name@sha256:…`) that a choice inside a profile
//! overrides the image with. The messages say what to write instead.

use super::FieldError;
use super::validate::valid_fix;

pub const IMAGE_NAME_MAX: usize = 255;

fn path_component_ok(c: &str) -> bool {
    // [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
    if c.is_empty() || !c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit()) {
        return false;
    }
    if !c.ends_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit()) {
        return false;
    }
    let b = c.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or "-+".
        let start = i;
        while i < b.len() && !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit()) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|x| x == '-');
        if !ok {
            return false;
        }
    }
    true
}

fn registry_ok(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) || p.len() > 5)
    {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.starts_with(|c: char| c.is_ascii_alphanumeric())
                && l.ends_with(|c: char| c.is_ascii_alphanumeric())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// An image name without tag: `[registry[:port]/]path/to/repository`, e.g.
/// `mydocker.registry.com/jupyterhub/k8s-singleuser` or `quay.io/jupyter/scipy-notebook`.
pub fn validate_image_name(field: &str, input: &str) -> Result<String, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let s = input.trim();
    if s.is_empty() {
        return err("An image is required, e.g. quay.io/jupyter/scipy-notebook.".into());
    }
    if s.len() > IMAGE_NAME_MAX {
        return err(format!(
            "The image name is longer than {IMAGE_NAME_MAX} characters."
        ));
    }
    if s.contains("://") {
        return err(format!(
            "\"{s}\" is a URL: write the image without a scheme, e.g. {}.",
            s.split_once("://").map_or(s, |(_, r)| r)
        ));
    }
    if let Some((name, digest)) = s.split_once('@') {
        return err(format!(
            "Put the digest in the tag field: image \"{name}\", tag \"{digest}\"."
        ));
    }
    let mut parts: Vec<&str> = s.split('/').collect();
    let first_is_registry = parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost");
    if first_is_registry {
        let reg = parts.remove(0);
        if !registry_ok(reg) {
            return err(format!(
                "\"{reg}\" is not a valid registry host: write e.g. registry.example.org or registry.example.org:5000."
            ));
        }
    }
    if let Some(last) = parts.last()
        && let Some((repo, tag)) = last.split_once(':')
    {
        let name = s.strip_suffix(&format!(":{tag}")).unwrap_or(s);
        return err(format!(
            "Put the tag in the tag field: image \"{name}\", tag \"{tag}\" (\"{repo}\" is the repository)."
        ));
    }
    for p in &parts {
        if p.chars().any(|c| c.is_ascii_uppercase()) {
            let said = format!("\"{s}\": repository names must be lowercase");
            return Err(
                match valid_fix(s.to_ascii_lowercase(), |f| validate_image_name(field, f)) {
                    Some(f) => {
                        FieldError::new(field, format!("{said}: write \"{f}\".")).with_suggestion(f)
                    }
                    None => FieldError::new(field, format!("{said}.")),
                },
            );
        }
        if !path_component_ok(p) {
            return err(format!(
                "\"{p}\" is not a valid repository path part: use lowercase letters and digits, separated by '.', '_', '__' or '-'."
            ));
        }
    }
    Ok(s.to_string())
}

/// Whether `s` is an image digest (`sha256:<64 hex>` or another `algorithm:hex`).
pub fn is_digest(s: &str) -> bool {
    match s.split_once(':') {
        Some((algo, hex)) => {
            let algo_ok = algo.starts_with(|c: char| c.is_ascii_alphabetic())
                && algo
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_+.".contains(c));
            let hex_ok = hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
            let len_ok = algo != "sha256" || hex.len() == 64;
            algo_ok && hex_ok && len_ok
        }
        None => false,
    }
}

/// A tag (`v1`, `2024-05-01`, `latest`) or a digest (`sha256:…`).
pub fn validate_image_tag(field: &str, input: &str) -> Result<String, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let s = input.trim();
    if s.is_empty() {
        return err("A tag or digest is required, e.g. v1 or sha256:….".into());
    }
    if let Some(rest) = s.strip_prefix([':', '@']) {
        return err(format!(
            "Write the tag without the leading \"{}\": {rest}.",
            &s[..1]
        ));
    }
    if s.contains(':') {
        if is_digest(s) {
            return Ok(s.to_string());
        }
        return err(format!(
            "\"{s}\" is neither a tag nor a digest: a digest is sha256: followed by 64 hexadecimal digits."
        ));
    }
    let valid = s.len() <= 128
        && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if !valid {
        return err(format!(
            "\"{s}\" is not a valid tag: use at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'."
        ));
    }
    Ok(s.to_string())
}

/// Splits a whole reference into the image name and its tag or digest: `a/b:v1` → (`a/b`,
/// `v1`), `a/b@sha256:…` → (`a/b`, `sha256:…`). `None` when there is neither.
pub fn split_reference(s: &str) -> Option<(&str, &str)> {
    if let Some((name, digest)) = s.split_once('@') {
        return Some((name, digest));
    }
    // The tag follows the last ':' after the last '/' (a ':' before it is a registry port).
    let after_slash = s.rfind('/').map_or(0, |i| i + 1);
    let colon = s[after_slash..].rfind(':')? + after_slash;
    Some((&s[..colon], &s[colon + 1..]))
}

/// A whole image reference with its tag or digest, as a choice inside a profile overrides the
/// image: `quay.io/jupyter/r-notebook:2024-05-01` or `name@sha256:…`. A reference without a
/// tag is refused (it would mean `latest`, which changes under the users).
pub fn validate_image_reference(field: &str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(
            field,
            "An image with its tag is required, e.g. quay.io/jupyter/r-notebook:2024-05-01.",
        ));
    }
    if s.contains("://") {
        return Err(FieldError::new(
            field,
            format!(
                "\"{s}\" is a URL: write the image without a scheme, e.g. {}.",
                s.split_once("://").map_or(s, |(_, r)| r)
            ),
        ));
    }
    let Some((name, tag)) = split_reference(s) else {
        return Err(FieldError::new(
            field,
            format!(
                "\"{s}\" has no tag: write the image with its tag, e.g. {s}:2024-05-01 (no tag means latest, which changes under your users)."
            ),
        ));
    };
    // The name's and the tag's own messages, without their one-field fixes.
    validate_image_name(field, name).map_err(|e| FieldError::new(field, e.message))?;
    let tag = validate_image_tag(field, tag)
        .map_err(|e| FieldError::new(field, format!("Image \"{s}\": {}", e.message)))?;
    Ok(if is_digest(&tag) {
        format!("{name}@{tag}")
    } else {
        format!("{name}:{tag}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        for (ok, name, tag) in [
            (
                "quay.io/jupyter/r-notebook:2024-05-01",
                "quay.io/jupyter/r-notebook",
                "2024-05-01",
            ),
            ("localhost:5000/a/b:v1", "localhost:5000/a/b", "v1"),
            ("ubuntu:24.04", "ubuntu", "24.04"),
        ] {
            assert_eq!(validate_image_reference("image", ok).unwrap(), ok);
            assert_eq!(split_reference(ok), Some((name, tag)));
        }
        let digest = format!("x/y@sha256:{}", "a".repeat(64));
        assert_eq!(validate_image_reference("image", &digest).unwrap(), digest);
        for (bad, hint) in [
            ("", "with its tag is required"),
            ("quay.io/jupyter/r-notebook", "has no tag"),
            ("localhost:5000/a/b", "has no tag"),
            ("https://quay.io/x:1", "is a URL"),
            ("Quay.io/Jupyter/r:1", "lowercase"),
            ("quay.io/x:-bad", "not a valid tag"),
            ("quay.io/x@sha256:abc", "neither a tag nor a digest"),
        ] {
            let e = validate_image_reference("image", bad).unwrap_err();
            assert_eq!(e.field, "image");
            assert!(e.message.contains(hint), "{bad}: {}", e.message);
            assert_eq!(e.suggestion, None);
        }
    }
}
