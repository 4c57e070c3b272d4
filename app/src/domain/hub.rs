//! Hubs (one z2jh Helm release each): the hub form, its validated spec, the stored hub, and
//! the rules only hubs have (release name, chart version, ingress host, driver).
//!
//! Form field names of [`HubForm`]: `release_name`, `namespace`, `chart_version`,
//! `ingress_host`, `driver`, and the lifetime of servers (see [`super::lifetime`]):
//! `cull_enabled`, `cull_users`, `cull_timeout`, `cull_every`, `cull_max_age`,
//! `start_timeout`, `http_timeout`, `concurrent_spawn_limit`, `active_server_limit`, and
//! `extra_values` (chart values Hubfleet does not generate, see [`super::extra_values`]).

use super::extra_values::parse_extra_values;
use super::lifetime::{LifetimeInput, ServerLifetime, form_values};
use super::validate::{DNS1123_SUBDOMAIN_MAX, dns1123_name, valid_fix, validate_namespace};
use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// Helm limits release names to 53 characters (resource names get suffixes appended).
pub const RELEASE_NAME_MAX: usize = 53;
/// The chart version the portal is built and tested against.
pub const DEFAULT_CHART_VERSION: &str = "4.4.0";

/// Helm release name: a DNS-1123 label of at most 53 characters. Dots, which Helm would
/// accept, are refused: the chart derives Service names from the release, and those cannot
/// contain dots.
pub fn validate_release_name(field: &str, s: &str) -> Result<(), FieldError> {
    dns1123_name(field, "release name", s, RELEASE_NAME_MAX, false)
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
        let fix = valid_fix(rest.to_string(), |f| validate_chart_version(field, f));
        let example = fix
            .as_deref()
            .map(|f| format!(", e.g. {f}"))
            .unwrap_or_default();
        return Err(FieldError::new(
            field,
            format!(
                "\"{s}\" starts with \"{}\": chart versions are written without it{example}.",
                &s[..1]
            ),
        )
        .with_fix(fix));
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
    // Where the version's numbers end (its pre-release or build part follows).
    let core_end = core.len();
    let nums: Vec<&str> = core.split('.').collect();
    if nums.len() != 3
        || !nums
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    {
        return shape();
    }
    if nums.iter().any(|n| n.len() > 1 && n.starts_with('0')) {
        let core = nums
            .iter()
            .map(|n| n.trim_start_matches('0'))
            .map(|n| if n.is_empty() { "0" } else { n })
            .collect::<Vec<_>>()
            .join(".");
        let fix = valid_fix(format!("{core}{}", &s[core_end..]), |f| {
            validate_chart_version(field, f)
        });
        let write = match &fix {
            Some(f) => format!("write e.g. {f}"),
            None => format!("write the numbers as {core}"),
        };
        return Err(FieldError::new(
            field,
            format!("\"{s}\" has a number with a leading zero: {write}."),
        )
        .with_fix(fix));
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
        return Err(host_only(field, h, "is a URL", host));
    }
    if let Some(i) = h.find(['/', ':']) {
        return Err(host_only(field, h, "has a port or path", &h[..i]));
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
    let wildcard = if name.len() < h.len() { "*." } else { "" };
    dns1123_name(field, "host name", name, DNS1123_SUBDOMAIN_MAX, true).map_err(|e| {
        // The fix is of the name after `*.`: offer it with the wildcard again.
        let fix = e.suggestion.clone().and_then(|f| {
            valid_fix(format!("{wildcard}{f}"), |f| {
                validate_ingress_host(field, f)
            })
        });
        e.with_fix(fix)
    })?;
    Ok(h.to_string())
}

/// The error for a host written with more than the host: `host` is offered when valid.
fn host_only(field: &str, input: &str, problem: &str, host: &str) -> FieldError {
    let fix = valid_fix(host.to_string(), |f| validate_ingress_host(field, f));
    let example = fix
        .as_deref()
        .map(|f| format!(", e.g. {f}"))
        .unwrap_or_default();
    FieldError::new(
        field,
        format!("\"{input}\" {problem}: write only the host name{example}."),
    )
    .with_fix(fix)
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
    /// Lifetime of servers: empty = the chart's default (see [`super::lifetime`]).
    #[serde(default)]
    pub cull_enabled: String,
    #[serde(default)]
    pub cull_users: String,
    #[serde(default)]
    pub cull_timeout: String,
    #[serde(default)]
    pub cull_every: String,
    #[serde(default)]
    pub cull_max_age: String,
    #[serde(default)]
    pub start_timeout: String,
    #[serde(default)]
    pub http_timeout: String,
    #[serde(default)]
    pub concurrent_spawn_limit: String,
    #[serde(default)]
    pub active_server_limit: String,
    /// Chart values Hubfleet does not generate, as a YAML mapping (empty: none).
    #[serde(default)]
    pub extra_values: String,
}

/// A validated hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSpec {
    pub release_name: String,
    pub namespace: String,
    pub chart_version: String,
    pub ingress_host: Option<String>,
    pub driver: Driver,
    /// Culling, timeouts and limits; absent in entries recorded before it existed.
    #[serde(default)]
    pub lifetime: ServerLifetime,
    /// Chart values Hubfleet does not generate: a YAML mapping as the administrator wrote it
    /// (trailing blanks trimmed), merged under the generated values; empty when there are
    /// none. Left out of snapshots when empty, so hubs without it read as before.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub extra_values: String,
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
        let lifetime = LifetimeInput {
            cull_enabled: &self.cull_enabled,
            cull_users: &self.cull_users,
            cull_timeout: &self.cull_timeout,
            cull_every: &self.cull_every,
            cull_max_age: &self.cull_max_age,
            start_timeout: &self.start_timeout,
            http_timeout: &self.http_timeout,
            concurrent_spawn_limit: &self.concurrent_spawn_limit,
            active_server_limit: &self.active_server_limit,
        }
        .validate(&mut errors);
        let extra_values = match parse_extra_values("extra_values", &self.extra_values) {
            Ok(Some(_)) => normalize_extra_values(&self.extra_values),
            Ok(None) => String::new(),
            Err(e) => {
                errors.0.push(e);
                String::new()
            }
        };
        match (errors.into_result(), driver) {
            (Ok(()), Some(driver)) => Ok(HubSpec {
                release_name,
                namespace,
                chart_version,
                ingress_host,
                driver,
                lifetime,
                extra_values,
            }),
            (Err(e), _) => Err(e),
            _ => Err(FieldErrors(vec![FieldError::new("form", "Invalid form.")])),
        }
    }
}

impl HubForm {
    /// The lifetime fields as typed, in [`super::lifetime::form_values`] order.
    pub fn to_lifetime_values(&self) -> [&str; 9] {
        [
            &self.cull_enabled,
            &self.cull_users,
            &self.cull_timeout,
            &self.cull_every,
            &self.cull_max_age,
            &self.start_timeout,
            &self.http_timeout,
            &self.concurrent_spawn_limit,
            &self.active_server_limit,
        ]
    }
}

impl HubSpec {
    /// The form showing these values (for editing, or for a conflict's "stored" column).
    pub fn to_form(&self) -> HubForm {
        let [
            cull_enabled,
            cull_users,
            cull_timeout,
            cull_every,
            cull_max_age,
            start_timeout,
            http_timeout,
            concurrent_spawn_limit,
            active_server_limit,
        ] = form_values(&self.lifetime);
        HubForm {
            release_name: self.release_name.clone(),
            namespace: self.namespace.clone(),
            chart_version: self.chart_version.clone(),
            ingress_host: self.ingress_host.clone().unwrap_or_default(),
            driver: self.driver.as_str().to_string(),
            cull_enabled,
            cull_users,
            cull_timeout,
            cull_every,
            cull_max_age,
            start_timeout,
            http_timeout,
            concurrent_spawn_limit,
            active_server_limit,
            extra_values: self.extra_values.clone(),
        }
    }
}

/// The extra values as stored: the text as written, without trailing blanks, ending with one
/// newline.
pub fn normalize_extra_values(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let body = lines.join("\n");
    let body = body.trim_end_matches('\n').trim_start_matches('\n');
    format!("{body}\n")
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
    use crate::domain::validate::{
        validate_absolute_path, validate_dns1123_label, validate_dns1123_subdomain,
        validate_label_key, validate_label_value,
    };
    use proptest::prelude::*;

    fn form() -> HubForm {
        HubForm {
            release_name: "data8-jupyterhub".into(),
            namespace: "kube-public".into(),
            chart_version: String::new(),
            ingress_host: String::new(),
            driver: "job".into(),
            ..HubForm::default()
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
            cull_timeout: "1h".into(),
            active_server_limit: "many".into(),
            ..HubForm::default()
        };
        let e = f.validate().unwrap_err();
        for field in [
            "release_name",
            "namespace",
            "chart_version",
            "ingress_host",
            "driver",
            "cull_timeout",
            "active_server_limit",
        ] {
            assert!(e.get(field).is_some(), "{field}: {e}");
        }
        assert!(e.get("ingress_host").unwrap().contains("hub.example.org"));
    }

    #[test]
    fn lifetime_settings_roundtrip_and_old_entries_read() {
        let f = HubForm {
            cull_enabled: "off".into(),
            cull_timeout: "7200".into(),
            start_timeout: "600".into(),
            concurrent_spawn_limit: "10".into(),
            ..form()
        };
        let h = f.validate().unwrap();
        assert_eq!(h.lifetime.cull_enabled, Some(false));
        assert_eq!(h.lifetime.start_timeout, Some(600));
        assert_eq!(h.to_form().validate().unwrap(), h);
        assert_eq!(h.to_form().to_lifetime_values(), f.to_lifetime_values());
        // An audit entry written before these settings existed still reads (chart defaults).
        let old = serde_json::json!({
            "release_name": "h", "namespace": "ns", "chart_version": "4.4.0",
            "ingress_host": null, "driver": "job"
        });
        let spec: HubSpec = serde_json::from_value(old).unwrap();
        assert!(spec.lifetime.is_default());
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
