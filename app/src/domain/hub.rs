//! Hubs (one z2jh Helm release each) and the Kubernetes naming rules shared by hubs,
//! profiles and shared volumes: DNS-1123 labels and subdomains, label keys and values,
//! absolute paths.
//!
//! Form field names of [`HubForm`]: `release_name`, `namespace`, `chart_version`,
//! `ingress_host`, `driver`.

use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// Helm limits release names to 53 characters (resource names get suffixes appended).
pub const RELEASE_NAME_MAX: usize = 53;
pub const DNS1123_LABEL_MAX: usize = 63;
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;
pub const LABEL_NAME_MAX: usize = 63;
pub const PATH_MAX: usize = 1024;
/// The chart version the portal is built and tested against.
pub const DEFAULT_CHART_VERSION: &str = "4.4.0";

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Shared checks of DNS-1123 names; `dots` allows `.` (subdomains).
fn dns1123(field: &str, what: &str, s: &str, max: usize, dots: bool) -> Result<(), FieldError> {
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
    if s.chars().any(|c| c.is_ascii_uppercase()) {
        return err(format!(
            "\"{s}\" has uppercase letters, which a {what} cannot have: write \"{}\".",
            s.to_ascii_lowercase()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(lower_alnum(c) || c == '-' || (dots && c == '.')))
    {
        let hint = match c {
            '_' | ' ' => format!(" Replace \"{c}\" with '-'."),
            '.' => " Dots are not allowed here: use '-'.".to_string(),
            _ => String::new(),
        };
        return err(format!(
            "\"{s}\" contains \"{c}\": a {what} may only contain {allowed}.{hint}"
        ));
    }
    let parts: Vec<&str> = if dots {
        s.split('.').collect()
    } else {
        vec![s]
    };
    for p in parts {
        if p.is_empty() {
            return err(format!(
                "\"{s}\" has an empty part between dots: remove the extra '.'."
            ));
        }
        if !p.starts_with(lower_alnum) || !p.ends_with(lower_alnum) {
            return err(format!(
                "\"{s}\" must start and end with a lowercase letter or digit{}.",
                if dots { " (also around each '.')" } else { "" }
            ));
        }
    }
    Ok(())
}

/// A DNS-1123 label (namespaces, slugs, most names): at most 63 lowercase letters, digits and
/// `-`, starting and ending with a letter or digit.
pub fn validate_dns1123_label(field: &str, what: &str, s: &str) -> Result<(), FieldError> {
    dns1123(field, what, s, DNS1123_LABEL_MAX, false)
}

/// A DNS-1123 subdomain (PVC names, storage classes, secret names): at most 253 characters,
/// dot-separated parts of lowercase letters, digits and `-`.
pub fn validate_dns1123_subdomain(field: &str, what: &str, s: &str) -> Result<(), FieldError> {
    dns1123(field, what, s, DNS1123_SUBDOMAIN_MAX, true)
}

/// Helm release name: a DNS-1123 label of at most 53 characters. Dots, which Helm would
/// accept, are refused: the chart derives Service names from the release, and those cannot
/// contain dots.
pub fn validate_release_name(field: &str, s: &str) -> Result<(), FieldError> {
    dns1123(field, "release name", s, RELEASE_NAME_MAX, false)
}

/// A Kubernetes namespace: a DNS-1123 label.
pub fn validate_namespace(field: &str, s: &str) -> Result<(), FieldError> {
    validate_dns1123_label(field, "namespace", s)
}

fn label_name_ok(s: &str) -> bool {
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
        dns1123(field, "label key prefix", p, DNS1123_SUBDOMAIN_MAX, true).map_err(|e| {
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
        return err(format!(
            "\"{p}\" is not absolute: start it with '/', e.g. /{p}."
        ));
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
        return err(format!(
            "\"{p}\" ends with '/': write {}.",
            p.trim_end_matches('/')
        ));
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

fn semver_ident_ok(id: &str, numeric_no_leading_zero: bool) -> bool {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return false;
    }
    !(numeric_no_leading_zero
        && id.chars().all(|c| c.is_ascii_digit())
        && id.len() > 1
        && id.starts_with('0'))
}

/// A chart version: semantic version `MAJOR.MINOR.PATCH[-prerelease][+build]`, e.g. `4.4.0`.
pub fn validate_chart_version(field: &str, s: &str) -> Result<(), FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    if s.is_empty() {
        return err(format!(
            "A chart version is required, e.g. {DEFAULT_CHART_VERSION}."
        ));
    }
    if let Some(rest) = s.strip_prefix(['v', 'V']) {
        return err(format!(
            "\"{s}\" starts with \"{}\": chart versions are written without it, e.g. {rest}.",
            &s[..1]
        ));
    }
    let shape = || {
        Err(FieldError::new(
            field,
            format!(
                "\"{s}\" is not a semantic version: write MAJOR.MINOR.PATCH, e.g. {DEFAULT_CHART_VERSION}."
            ),
        ))
    };
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    if nums.len() != 3
        || !nums
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    {
        return shape();
    }
    if nums.iter().any(|n| n.len() > 1 && n.starts_with('0')) {
        return err(format!(
            "\"{s}\" has a number with a leading zero: write e.g. {}.",
            nums.iter()
                .map(|n| n.trim_start_matches('0'))
                .map(|n| if n.is_empty() { "0" } else { n })
                .collect::<Vec<_>>()
                .join(".")
        ));
    }
    if let Some(p) = pre
        && !p.split('.').all(|i| semver_ident_ok(i, true))
    {
        return shape();
    }
    if let Some(b) = build
        && !b.split('.').all(|i| semver_ident_ok(i, false))
    {
        return shape();
    }
    Ok(())
}

/// An ingress host name: a DNS name (optionally starting with `*.`), without scheme, port or
/// path. Returns the trimmed, validated host.
pub fn validate_ingress_host(field: &str, input: &str) -> Result<String, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let h = input.trim();
    if let Some((_, rest)) = h.split_once("://") {
        let host = rest.split(['/', ':']).next().unwrap_or(rest);
        return err(format!(
            "\"{h}\" is a URL: write only the host name, e.g. {host}."
        ));
    }
    if let Some(i) = h.find(['/', ':']) {
        return err(format!(
            "\"{h}\" has a port or path: write only the host name, e.g. {}.",
            &h[..i]
        ));
    }
    let name = h.strip_prefix("*.").unwrap_or(h);
    if !name.is_empty()
        && name
            .split('.')
            .all(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        return err(format!(
            "\"{h}\" is an IP address: an ingress host must be a DNS name, e.g. hub.example.org."
        ));
    }
    dns1123(field, "host name", name, DNS1123_SUBDOMAIN_MAX, true)?;
    Ok(h.to_string())
}

/// How the portal gets the Helm release onto the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// A Kubernetes Job running `helm upgrade --install`.
    Job,
    /// A Flux `HelmRelease`.
    Flux,
    /// A k3s `HelmChart` (the k3s Helm controller).
    K3s,
}

impl Driver {
    pub const ALL: [Driver; 3] = [Driver::Job, Driver::Flux, Driver::K3s];

    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Job => "job",
            Driver::Flux => "flux",
            Driver::K3s => "k3s",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Driver::Job => "Helm in a Job",
            Driver::Flux => "Flux HelmRelease",
            Driver::K3s => "k3s HelmChart",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Driver, FieldError> {
        match s.trim() {
            "job" => Ok(Driver::Job),
            "flux" => Ok(Driver::Flux),
            "k3s" => Ok(Driver::K3s),
            other => Err(FieldError::new(
                field,
                format!("Driver \"{other}\" is unknown: choose \"job\", \"flux\" or \"k3s\"."),
            )),
        }
    }
}

impl std::fmt::Display for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hub form as submitted. An empty `chart_version` means [`DEFAULT_CHART_VERSION`]; an
/// empty `ingress_host` means no ingress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubForm {
    #[serde(default)]
    pub release_name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub chart_version: String,
    #[serde(default)]
    pub ingress_host: String,
    #[serde(default)]
    pub driver: String,
}

/// A validated hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSpec {
    pub release_name: String,
    pub namespace: String,
    pub chart_version: String,
    pub ingress_host: Option<String>,
    pub driver: Driver,
}

impl HubForm {
    pub fn validate(&self) -> Result<HubSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let release_name = self.release_name.trim().to_string();
        errors.check(validate_release_name("release_name", &release_name));
        let namespace = self.namespace.trim().to_string();
        errors.check(validate_namespace("namespace", &namespace));
        let chart_version = match self.chart_version.trim() {
            "" => DEFAULT_CHART_VERSION.to_string(),
            v => v.to_string(),
        };
        errors.check(validate_chart_version("chart_version", &chart_version));
        let ingress_host = match self.ingress_host.trim() {
            "" => None,
            h => validate_ingress_host("ingress_host", h)
                .map_err(|e| errors.0.push(e))
                .ok(),
        };
        let driver = Driver::parse("driver", &self.driver)
            .map_err(|e| errors.0.push(e))
            .ok();
        match (errors.into_result(), driver) {
            (Ok(()), Some(driver)) => Ok(HubSpec {
                release_name,
                namespace,
                chart_version,
                ingress_host,
                driver,
            }),
            (Err(e), _) => Err(e),
            _ => Err(FieldErrors(vec![FieldError::new("form", "Invalid form.")])),
        }
    }
}

impl HubSpec {
    /// The form showing these values (for editing, or for a conflict's "stored" column).
    pub fn to_form(&self) -> HubForm {
        HubForm {
            release_name: self.release_name.clone(),
            namespace: self.namespace.clone(),
            chart_version: self.chart_version.clone(),
            ingress_host: self.ingress_host.clone().unwrap_or_default(),
            driver: self.driver.as_str().to_string(),
        }
    }
}

/// A stored hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hub {
    pub id: i64,
    /// Optimistic-locking version: send it back with an update.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub spec: HubSpec,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form() -> HubForm {
        HubForm {
            release_name: "data8-jupyterhub".into(),
            namespace: "kube-public".into(),
            chart_version: String::new(),
            ingress_host: String::new(),
            driver: "job".into(),
        }
    }

    #[test]
    fn valid_hub_with_defaults() {
        let h = form().validate().unwrap();
        assert_eq!(h.chart_version, "4.4.0");
        assert_eq!(h.ingress_host, None);
        assert_eq!(h.driver, Driver::Job);
        assert_eq!(h.to_form().validate().unwrap(), h);
    }

    #[test]
    fn hub_form_reports_every_field() {
        let f = HubForm {
            release_name: "Data8_Hub".into(),
            namespace: "kube.public".into(),
            chart_version: "v4.4".into(),
            ingress_host: "https://hub.example.org/".into(),
            driver: "helm".into(),
        };
        let e = f.validate().unwrap_err();
        for field in [
            "release_name",
            "namespace",
            "chart_version",
            "ingress_host",
            "driver",
        ] {
            assert!(e.get(field).is_some(), "{field}: {e}");
        }
        assert!(e.get("ingress_host").unwrap().contains("hub.example.org"));
    }

    #[test]
    fn release_names() {
        assert!(validate_release_name("r", "data8-jupyterhub").is_ok());
        assert!(validate_release_name("r", &"a".repeat(53)).is_ok());
        let e = validate_release_name("release_name", &"a".repeat(54)).unwrap_err();
        assert!(e.message.contains("at most 53"), "{}", e.message);
        assert!(
            validate_release_name("r", "a.b")
                .unwrap_err()
                .message
                .contains("Dots")
        );
        assert!(validate_release_name("r", "-a").is_err());
        assert!(validate_release_name("r", "a-").is_err());
        assert!(
            validate_release_name("r", "Hub")
                .unwrap_err()
                .message
                .contains("\"hub\"")
        );
        assert!(
            validate_release_name("r", "my_hub")
                .unwrap_err()
                .message
                .contains("'-'")
        );
    }

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
    fn chart_versions() {
        for ok in [
            "4.4.0",
            "0.1.0",
            "10.20.30",
            "4.4.0-beta.1",
            "4.4.0-0.dev.git.7.h1",
            "1.0.0+build.5",
        ] {
            assert!(validate_chart_version("c", ok).is_ok(), "{ok}");
        }
        assert!(
            validate_chart_version("c", "v4.4.0")
                .unwrap_err()
                .message
                .contains("4.4.0")
        );
        assert!(
            validate_chart_version("c", "04.4.0")
                .unwrap_err()
                .message
                .contains("4.4.0")
        );
        for bad in [
            "4.4", "4.4.0.1", "4.x.0", "4.4.0-", "4.4.0-01", "4.4.0+", "latest",
        ] {
            assert!(validate_chart_version("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ingress_hosts() {
        assert_eq!(
            validate_ingress_host("h", "hub.example.org").unwrap(),
            "hub.example.org"
        );
        assert!(validate_ingress_host("h", "*.example.org").is_ok());
        assert!(validate_ingress_host("h", "localhost").is_ok());
        assert!(
            validate_ingress_host("h", "10.0.0.1")
                .unwrap_err()
                .message
                .contains("IP")
        );
        assert!(
            validate_ingress_host("h", "hub.example.org:443")
                .unwrap_err()
                .message
                .contains("port")
        );
        assert!(validate_ingress_host("h", "Hub.Example.org").is_err());
        assert!(validate_ingress_host("h", "hub_x.org").is_err());
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

    #[test]
    fn drivers() {
        for d in Driver::ALL {
            assert_eq!(Driver::parse("driver", d.as_str()).unwrap(), d);
        }
        assert!(
            Driver::parse("driver", "helm")
                .unwrap_err()
                .message
                .contains("k3s")
        );
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

        #[test]
        fn names_never_panic(s in ".{0,80}") {
            let _ = validate_dns1123_label("f", "name", &s);
            let _ = validate_dns1123_subdomain("f", "name", &s);
            let _ = validate_label_key("f", &s);
            let _ = validate_label_value("f", &s);
            let _ = validate_absolute_path("f", &s);
            let _ = validate_chart_version("f", &s);
            let _ = validate_ingress_host("f", &s);
        }
    }
}
