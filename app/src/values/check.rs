//! KubeSpawner's rules that the chart's schema does not check, applied to generated values
//! (as JSON): memory in KubeSpawner's syntax, CPU as numbers, guarantees not above limits,
//! storage sizes as Kubernetes quantities, unique slugs, at most one default profile, volumes
//! and mounts that agree, and only known `kubespawner_override` keys. Each profile is checked
//! as KubeSpawner would configure it: the `singleuser` settings with the profile's override
//! applied (dictionaries merged, `null` removing a key).

use super::errors::{SourceMap, ValuesError, escape_segment};
use super::model::KNOWN_OVERRIDE_KEYS;
use super::{CHART_HOME_MOUNT_PATH, CHART_MEM_GUARANTEE, HOME_VOLUME_KEY, cores_text};
use crate::domain::choices::{validate_image_template, validate_key, validate_pattern};
use crate::domain::profile::validate_env_name;
use crate::domain::quantity::{
    CPU_MAX_CORES, CPU_MAX_DECIMALS, MEMORY_MIN_BYTES, Shown, check_guarantee,
    parse_kubespawner_memory, parse_quantity,
};
use crate::domain::scheduling::{ResourceKind, parse_extended_count, validate_resource_name};
use crate::domain::validate::{
    validate_absolute_path, validate_dns1123_label, validate_dns1123_subdomain, validate_label_key,
    validate_label_value,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

struct Ctx<'a> {
    sources: &'a SourceMap,
    errors: Vec<ValuesError>,
}

impl Ctx<'_> {
    fn err(&mut self, at: &str, message: impl Into<String>) {
        self.errors.push(self.sources.error(at, message));
    }

    fn value_err(&mut self, at: &str, message: impl Into<String>) {
        self.errors.push(self.sources.value_error(at, message));
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// Memory as KubeSpawner reads it: a `<number><K|M|G|T>` string or a whole number of bytes.
fn memory(c: &mut Ctx<'_>, at: &str, v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => match parse_kubespawner_memory("m", s) {
            Ok(b) => Some(b),
            Err(e) => {
                c.err(at, e.message);
                None
            }
        },
        Value::Number(n) => match n.as_u64() {
            Some(b) if b >= MEMORY_MIN_BYTES => Some(b),
            Some(b) => {
                c.err(at, format!("{b} bytes is too little memory for a notebook server: write e.g. 512M or 2G."));
                None
            }
            None => {
                c.err(
                    at,
                    format!("{n} is not a whole number of bytes: write e.g. 2G."),
                );
                None
            }
        },
        other => {
            c.err(
                at,
                format!(
                    "{} is not a memory amount: write e.g. 2G or 512M.",
                    describe(other)
                ),
            );
            None
        }
    }
}

/// CPU as the chart and KubeSpawner take it: a positive number of cores, in whole millicores.
fn cpu(c: &mut Ctx<'_>, at: &str, v: &Value) -> Option<f64> {
    let Some(n) = v.as_f64().filter(|_| v.is_number()) else {
        let hint = match v.as_str().and_then(|s| s.strip_suffix('m')) {
            Some(m) if m.parse::<u64>().is_ok() => format!(
                " (millicores are not accepted: write {})",
                m.parse::<u64>()
                    .map(|n| cores_text(n as f64 / 1000.0))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        };
        c.err(
            at,
            format!(
                "{} is not a number of cores{hint}: write a decimal such as 1.5.",
                describe(v)
            ),
        );
        return None;
    };
    if n.is_nan() || n <= 0.0 {
        c.err(at, format!("{n} cores: CPU must be more than 0."));
        return None;
    }
    if n > CPU_MAX_CORES {
        c.err(
            at,
            format!("{n} cores is more than any node has (at most {CPU_MAX_CORES})."),
        );
        return None;
    }
    if ((n * 1000.0).round() - n * 1000.0).abs() > 1e-6 {
        c.err(
            at,
            format!(
                "{n} has more than {CPU_MAX_DECIMALS} decimals: Kubernetes counts CPU in thousandths of a core."
            ),
        );
        return None;
    }
    Some(n)
}

fn quantity(c: &mut Ctx<'_>, at: &str, v: &Value) {
    match v.as_str() {
        Some(s) => {
            if let Err(e) = parse_quantity("q", s) {
                c.err(at, e.message);
            }
        }
        None => c.err(
            at,
            format!(
                "{} is not a Kubernetes quantity: write e.g. 10Gi.",
                describe(v)
            ),
        ),
    }
}

fn guarantee_le_limit<T: PartialOrd>(
    c: &mut Ctx<'_>,
    at: &str,
    what: &str,
    guarantee: Option<(T, String)>,
    limit: Option<(T, String)>,
) {
    if let (Some((value, text)), Some((l, lt))) = (guarantee, limit)
        && let Err(e) = check_guarantee(
            at,
            what,
            &Shown { value, text },
            &Shown { value: l, text: lt },
        )
    {
        c.err(at, e.message);
    }
}

fn mem_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A mount as KubeSpawner ends up with it.
#[derive(Debug, Clone)]
struct Mount {
    name: Option<String>,
    path: Option<String>,
    /// Where the name and the path were written (for errors).
    name_at: String,
    path_at: String,
}

/// CPU and memory as one configuration ends up with them (memory in bytes with its text).
#[derive(Debug, Clone, Default)]
struct Resources {
    cpu_limit: Option<f64>,
    cpu_guarantee: Option<f64>,
    mem_limit: Option<(u64, String)>,
    mem_guarantee: Option<(u64, String)>,
}

/// Effective settings of the base (`singleuser`) configuration.
#[derive(Debug, Clone, Default)]
struct Base {
    resources: Resources,
    /// Volume key -> where it was written.
    volumes: BTreeMap<String, String>,
    mounts: BTreeMap<String, Mount>,
}

fn check_volume(c: &mut Ctx<'_>, at: &str, key: &str, v: &Value) {
    let Some(o) = v.as_object() else {
        c.err(
            at,
            "A volume must be a mapping with a name and one source (e.g. persistentVolumeClaim).",
        );
        return;
    };
    match o.get("name").and_then(Value::as_str) {
        Some(n) => {
            if let Err(e) = validate_dns1123_label("name", "volume name", n) {
                c.err(&format!("{at}/name"), e.message);
            }
            if n != key {
                c.err(
                    &format!("{at}/name"),
                    format!(
                        "The volume is listed as \"{key}\" but named \"{n}\": the two must agree."
                    ),
                );
            }
        }
        None => c.err(at, "The volume has no name."),
    }
    let sources: Vec<&str> = o
        .keys()
        .map(String::as_str)
        .filter(|k| VOLUME_SOURCES.contains(k))
        .collect();
    match sources.as_slice() {
        ["persistentVolumeClaim"] => match o
            .get("persistentVolumeClaim")
            .and_then(|p| p.get("claimName"))
            .and_then(Value::as_str)
        {
            Some(claim) => {
                if let Err(e) = validate_dns1123_subdomain("pvc_name", "PVC name", claim) {
                    c.err(&format!("{at}/persistentVolumeClaim/claimName"), e.message);
                }
            }
            None => c.err(
                &format!("{at}/persistentVolumeClaim"),
                "The volume names no claim: set persistentVolumeClaim.claimName.",
            ),
        },
        // Other sources (a ConfigMap, a Secret, an emptyDir, NFS, …) pass through to the
        // pod as written; the chart schema and the API server check their fields.
        [_] => {}
        [] => c.err(
            at,
            "The volume has no source: give persistentVolumeClaim.claimName, or another Kubernetes volume source (configMap, secret, emptyDir, nfs, …).",
        ),
        many => c.err(
            at,
            format!(
                "The volume has {} sources ({}): a volume takes exactly one.",
                many.len(),
                many.join(", ")
            ),
        ),
    }
}

/// The volume sources a Kubernetes pod volume may name (core/v1 `Volume`, besides `name`).
const VOLUME_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
];

fn check_mount(c: &mut Ctx<'_>, at: &str, v: &Value) -> Option<Mount> {
    let Some(o) = v.as_object() else {
        c.err(
            at,
            "A volume mount must be a mapping with name and mountPath.",
        );
        return None;
    };
    let path = o
        .get("mountPath")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(p) = &path
        && let Err(e) = validate_absolute_path("mount_path", p)
    {
        c.err(&format!("{at}/mountPath"), e.message);
    }
    Some(Mount {
        name: o.get("name").and_then(Value::as_str).map(str::to_string),
        path,
        name_at: format!("{at}/name"),
        path_at: format!("{at}/mountPath"),
    })
}

fn check_env(c: &mut Ctx<'_>, at: &str, env: &Map<String, Value>, allow_null: bool) {
    for (k, v) in env {
        let here = format!("{at}/{}", escape_segment(k));
        if let Err(e) = validate_env_name("name", k) {
            c.err(&here, e.message);
        }
        let ok = v.is_string() || v.is_object() || (allow_null && v.is_null());
        if !ok {
            c.value_err(
                &here,
                format!("The value of {k} must be text, not {}.", describe(v)),
            );
        }
    }
}

fn check_labels(c: &mut Ctx<'_>, at: &str, labels: &Map<String, Value>, allow_null: bool) {
    for (k, v) in labels {
        let here = format!("{at}/{}", escape_segment(k));
        if let Err(e) = validate_label_key("key", k) {
            c.err(&here, e.message);
        }
        match v {
            Value::String(s) => {
                if let Err(e) = validate_label_value("value", s) {
                    c.value_err(&here, e.message);
                }
            }
            Value::Null if allow_null => {}
            other => c.value_err(
                &here,
                format!(
                    "The label value of {k} must be text, not {}.",
                    describe(other)
                ),
            ),
        }
    }
}

/// Extended resources (and `ephemeral-storage`) with amounts Kubernetes accepts.
fn check_extra_resources(c: &mut Ctx<'_>, at: &str, m: &Map<String, Value>, allow_null: bool) {
    for (k, v) in m {
        let here = format!("{at}/{}", escape_segment(k));
        let kind = match validate_resource_name("name", k) {
            Ok(kind) => kind,
            Err(e) => {
                c.err(&here, e.message);
                continue;
            }
        };
        let checked = match (v, kind) {
            (Value::Null, _) if allow_null => Ok(()),
            (Value::String(s), ResourceKind::Extended) => {
                parse_extended_count("amount", k, s).map(drop)
            }
            (Value::String(s), ResourceKind::EphemeralStorage) => {
                parse_quantity("amount", s).map(drop)
            }
            (other, _) => Err(crate::domain::FieldError::new(
                "amount",
                format!(
                    "The amount of {k} must be text such as \"1\", not {}.",
                    describe(other)
                ),
            )),
        };
        if let Err(e) = checked {
            c.value_err(&here, e.message);
        }
    }
}

/// Tolerations in the combinations Kubernetes accepts.
fn check_toleration_list(c: &mut Ctx<'_>, at: &str, v: &Value) {
    let Some(list) = v.as_array() else {
        c.err(at, "tolerations must be a list of tolerations.");
        return;
    };
    for (i, t) in list.iter().enumerate() {
        let here = format!("{at}/{i}");
        let Some(t) = t.as_object() else {
            c.err(
                &here,
                "A toleration must be a mapping with key, operator, value and effect.",
            );
            continue;
        };
        let text = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("");
        match text("operator") {
            "Exists" if !text("value").is_empty() => {
                c.err(
                    &here,
                    "With operator Exists a toleration has no value: clear it, or choose Equal.",
                );
            }
            "" | "Equal" if text("key").is_empty() => {
                c.err(&here, "A toleration without a key needs operator Exists.");
            }
            "" | "Equal" | "Exists" => {}
            other => c.err(
                &here,
                format!("Operator \"{other}\" is unknown: choose Equal or Exists."),
            ),
        }
        if t.get("tolerationSeconds").is_some() && text("effect") != "NoExecute" {
            c.err(
                &here,
                "Only a NoExecute toleration has seconds: choose NoExecute, or clear the seconds.",
            );
        }
    }
}

/// The mounts and volumes one configuration ends up with must agree: every mount names a
/// volume that exists, and no two mounts share a path.
fn check_mounts_agree(
    c: &mut Ctx<'_>,
    volumes: &BTreeSet<String>,
    mounts: &BTreeMap<String, Mount>,
) {
    let mut by_path: BTreeMap<&str, &Mount> = BTreeMap::new();
    for (key, m) in mounts {
        match &m.name {
            Some(n) if !volumes.contains(n) => c.err(
                &m.name_at,
                format!("Mount \"{key}\" uses volume \"{n}\", which this configuration does not have: choose a shared volume of the hub."),
            ),
            None => c.err(&m.name_at, format!("Mount \"{key}\" names no volume.")),
            _ => {}
        }
        match &m.path {
            Some(p) => {
                if let Some(other) = by_path.get(p.as_str()) {
                    let home = |m: &Mount| m.name.as_deref() == Some(HOME_VOLUME_KEY);
                    let msg = if home(other) || home(m) {
                        format!(
                            "{p} is where the home directory is mounted: choose another path, e.g. /mnt/shared."
                        )
                    } else {
                        format!("Two volumes are mounted at {p}: give each mount its own path.")
                    };
                    let at = if home(m) { &other.path_at } else { &m.path_at };
                    c.err(at, msg);
                } else {
                    by_path.insert(p, m);
                }
            }
            None => c.err(&m.path_at, format!("Mount \"{key}\" has no mountPath.")),
        }
    }
}

/// The settings of one `kubespawner_override` (a profile's or a choice's, at `oat`) over the
/// resources of what it overrides (`base`); the resources it ends up with.
fn check_override(
    c: &mut Ctx<'_>,
    oat: &str,
    o: &Map<String, Value>,
    base: &Resources,
) -> Resources {
    for key in o.keys() {
        if !KNOWN_OVERRIDE_KEYS.contains(&key.as_str()) {
            c.err(
                &format!("{oat}/{}", escape_segment(key)),
                format!(
                    "\"{key}\" is not a KubeSpawner setting the portal knows; KubeSpawner would silently ignore a misspelt one. Known settings: {}.",
                    KNOWN_OVERRIDE_KEYS.join(", ")
                ),
            );
        }
    }
    let field = |k: &str| format!("{oat}/{k}");
    if let Some(v) = o.get("image") {
        match v.as_str() {
            Some(s) if !s.is_empty() && !s.contains(char::is_whitespace) => {}
            _ => c.err(
                &field("image"),
                format!(
                    "{} is not an image reference such as repo/name:tag.",
                    describe(v)
                ),
            ),
        }
    }
    if let Some(v) = o.get("image_pull_policy")
        && !matches!(v.as_str(), Some("Always" | "IfNotPresent" | "Never"))
    {
        c.err(
            &field("image_pull_policy"),
            format!(
                "{} is not a pull policy: use Always, IfNotPresent or Never.",
                describe(v)
            ),
        );
    }
    if let Some(v) = o.get("image_pull_secrets") {
        match v.as_array() {
            Some(items) => {
                for s in items {
                    match s.as_str() {
                        Some(n) => {
                            if let Err(e) =
                                validate_dns1123_subdomain("image_pull_secret", "secret name", n)
                            {
                                c.err(&field("image_pull_secrets"), e.message);
                            }
                        }
                        None => c.err(
                            &field("image_pull_secrets"),
                            "Pull secrets are listed by name.",
                        ),
                    }
                }
            }
            None => c.err(
                &field("image_pull_secrets"),
                "image_pull_secrets must be a list.",
            ),
        }
    }
    // Effective resources: the override's value when the key is there (null = none), else
    // the base's.
    let cpu_of = |c: &mut Ctx<'_>, key: &str, base: Option<f64>| match o.get(key) {
        None => base,
        Some(Value::Null) => None,
        Some(v) => cpu(c, &field(key), v),
    };
    let cpu_limit = cpu_of(c, "cpu_limit", base.cpu_limit);
    let cpu_guarantee = cpu_of(c, "cpu_guarantee", base.cpu_guarantee);
    guarantee_le_limit(
        c,
        &field("cpu_guarantee"),
        "CPU",
        cpu_guarantee.map(|g| (g, cores_text(g))),
        cpu_limit.map(|l| (l, cores_text(l))),
    );
    let mem_of = |c: &mut Ctx<'_>, key: &str, base: &Option<(u64, String)>| match o.get(key) {
        None => base.clone(),
        Some(Value::Null) => None,
        Some(v) => memory(c, &field(key), v).map(|b| (b, mem_text(v))),
    };
    let mem_limit = mem_of(c, "mem_limit", &base.mem_limit);
    let mem_guarantee = mem_of(c, "mem_guarantee", &base.mem_guarantee);
    guarantee_le_limit(
        c,
        &field("mem_guarantee"),
        "memory",
        mem_guarantee.clone(),
        mem_limit.clone(),
    );
    if let Some(v) = o.get("storage_capacity")
        && !v.is_null()
    {
        quantity(c, &field("storage_capacity"), v);
    }
    if let Some(v) = o.get("storage_class") {
        match v {
            Value::Null => {}
            Value::String(s) => {
                if let Err(e) = validate_dns1123_subdomain("home_storage_class", "storage class", s)
                {
                    c.err(&field("storage_class"), e.message);
                }
            }
            other => c.err(
                &field("storage_class"),
                format!("{} is not a storage class name.", describe(other)),
            ),
        }
    }
    if let Some(v) = o.get("environment") {
        match v.as_object() {
            Some(env) => check_env(c, &field("environment"), env, true),
            None => c.err(
                &field("environment"),
                "environment must be a mapping of names to values.",
            ),
        }
    }
    if let Some(v) = o.get("node_selector") {
        match v.as_object() {
            Some(l) => check_labels(c, &field("node_selector"), l, true),
            None => c.err(
                &field("node_selector"),
                "node_selector must be a mapping of labels.",
            ),
        }
    }
    for key in ["extra_resource_limits", "extra_resource_guarantees"] {
        if let Some(v) = o.get(key) {
            match v.as_object() {
                Some(m) => check_extra_resources(c, &field(key), m, true),
                None => c.err(
                    &field(key),
                    format!("{key} must be a mapping of resource names to amounts."),
                ),
            }
        }
    }
    if let Some(v) = o.get("tolerations") {
        check_toleration_list(c, &field("tolerations"), v);
    }
    if let Some(v) = o.get("node_affinity_preferred") {
        check_preferred_terms(c, &field("node_affinity_preferred"), v);
    }
    Resources {
        cpu_limit,
        cpu_guarantee,
        mem_limit,
        mem_guarantee,
    }
}

/// `PreferredSchedulingTerm`s: a weight from 1 to 100 and a preference with expressions.
fn check_preferred_terms(c: &mut Ctx<'_>, at: &str, v: &Value) {
    let Some(list) = v.as_array() else {
        c.err(
            at,
            "node_affinity_preferred must be a list of weighted terms.",
        );
        return;
    };
    for (i, t) in list.iter().enumerate() {
        let here = format!("{at}/{i}");
        match t.get("weight").and_then(Value::as_u64) {
            Some(1..=100) => {}
            _ => c.err(
                &format!("{here}/weight"),
                "A preferred node-affinity term needs a whole weight from 1 to 100.",
            ),
        }
        let expressions = t
            .get("preference")
            .and_then(|p| p.get("matchExpressions"))
            .and_then(Value::as_array);
        if expressions.is_none_or(Vec::is_empty) {
            c.err(
                &format!("{here}/preference"),
                "A preferred node-affinity term needs a preference with match expressions.",
            );
        }
    }
}

/// A free-form value's `kubespawner_override`: only known settings, `{value}` in the image.
fn check_unlisted_override(c: &mut Ctx<'_>, at: &str, v: Option<&Value>) {
    let Some(o) = v.and_then(Value::as_object) else {
        c.err(at, "A free-form value needs a kubespawner_override that uses {value}, e.g. image: \"{value}\".");
        return;
    };
    for (k, v) in o {
        let here = format!("{at}/{}", escape_segment(k));
        if !KNOWN_OVERRIDE_KEYS.contains(&k.as_str()) {
            c.err(
                &here,
                format!("\"{k}\" is not a KubeSpawner setting the portal knows."),
            );
        } else if k == "image" {
            match v.as_str() {
                Some(t) => {
                    if let Err(e) = validate_image_template("image", t) {
                        c.err(&here, e.message);
                    }
                }
                None => c.err(
                    &here,
                    "The image of a free-form value must be text with {value}.",
                ),
            }
        }
    }
}

/// A profile's `profile_options` (at `at`), each choice's override checked over the
/// profile's resources (`resources`: the base with the profile's override applied).
fn check_profile_options(c: &mut Ctx<'_>, at: &str, v: &Value, resources: &Resources) {
    let Some(options) = v.as_object() else {
        c.err(
            at,
            "profile_options must be a mapping of option keys to options.",
        );
        return;
    };
    for (key, option) in options {
        let oat = format!("{at}/{}", escape_segment(key));
        if let Err(e) = validate_key("key", "option", key) {
            c.err(&oat, e.message);
        }
        let Some(o) = option.as_object() else {
            c.err(
                &oat,
                "An option must be a mapping with display_name and choices.",
            );
            continue;
        };
        for k in o.keys() {
            if !["display_name", "choices", "unlisted_choice"].contains(&k.as_str()) {
                c.err(
                    &format!("{oat}/{}", escape_segment(k)),
                    format!("\"{k}\" is not a key of a KubeSpawner option and would be ignored."),
                );
            }
        }
        match o.get("display_name").and_then(Value::as_str) {
            Some(n) if !n.trim().is_empty() => {}
            _ => c.err(&format!("{oat}/display_name"), "An option needs a name."),
        }
        let choices = o.get("choices").and_then(Value::as_object);
        if choices.is_none_or(Map::is_empty) {
            c.err(
                &format!("{oat}/choices"),
                "An option needs at least one choice: KubeSpawner starts servers with its default choice.",
            );
        }
        let mut defaults = 0;
        for (ck, choice) in choices.into_iter().flatten() {
            let cat = format!("{oat}/choices/{}", escape_segment(ck));
            if let Err(e) = validate_key("key", "choice", ck) {
                c.err(&cat, e.message);
            }
            let Some(ch) = choice.as_object() else {
                c.err(
                    &cat,
                    "A choice must be a mapping with display_name and kubespawner_override.",
                );
                continue;
            };
            for k in ch.keys() {
                if !["display_name", "default", "kubespawner_override"].contains(&k.as_str()) {
                    c.err(
                        &format!("{cat}/{}", escape_segment(k)),
                        format!(
                            "\"{k}\" is not a key of a KubeSpawner choice and would be ignored."
                        ),
                    );
                }
            }
            match ch.get("display_name").and_then(Value::as_str) {
                Some(n) if !n.trim().is_empty() => {}
                _ => c.err(&format!("{cat}/display_name"), "A choice needs a name."),
            }
            match ch.get("default") {
                None | Some(Value::Bool(false)) => {}
                Some(Value::Bool(true)) => {
                    defaults += 1;
                    if defaults > 1 {
                        c.err(
                            &format!("{cat}/default"),
                            "Another choice of this option is already the default: KubeSpawner would use the first one. Untick one of them.",
                        );
                    }
                }
                Some(other) => c.err(
                    &format!("{cat}/default"),
                    format!("default must be true or false, not {}.", describe(other)),
                ),
            }
            let empty = Map::new();
            let co = ch
                .get("kubespawner_override")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            check_override(c, &format!("{cat}/kubespawner_override"), co, resources);
        }
        let Some(u) = o.get("unlisted_choice") else {
            continue;
        };
        let uat = format!("{oat}/unlisted_choice");
        let Some(u) = u.as_object() else {
            c.err(&uat, "unlisted_choice must be a mapping.");
            continue;
        };
        for k in u.keys() {
            if ![
                "enabled",
                "display_name",
                "display_name_in_choices",
                "validation_regex",
                "validation_message",
                "kubespawner_override",
            ]
            .contains(&k.as_str())
            {
                c.err(
                    &format!("{uat}/{}", escape_segment(k)),
                    format!("\"{k}\" is not a key of KubeSpawner's unlisted_choice and would be ignored."),
                );
            }
        }
        if u.get("enabled") != Some(&Value::Bool(true)) {
            continue;
        }
        match u.get("validation_regex").and_then(Value::as_str) {
            Some(r) => {
                if let Err(e) = validate_pattern("pattern", r) {
                    c.err(&format!("{uat}/validation_regex"), e.message);
                }
            }
            None => c.err(
                &format!("{uat}/validation_regex"),
                "A free-form value needs a validation_regex: without one any value could be started.",
            ),
        }
        check_unlisted_override(
            c,
            &format!("{uat}/kubespawner_override"),
            u.get("kubespawner_override"),
        );
    }
}

fn check_profile(
    c: &mut Ctx<'_>,
    at: &str,
    entry: &Value,
    base: &Base,
    slugs: &mut BTreeMap<String, String>,
    defaults: &mut Vec<String>,
) {
    let Some(p) = entry.as_object() else {
        c.err(
            at,
            "A profile must be a mapping with display_name, slug and kubespawner_override.",
        );
        return;
    };
    match p.get("display_name").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => {}
        _ => c.err(&format!("{at}/display_name"), "A profile needs a name."),
    }
    match p.get("slug").and_then(Value::as_str) {
        Some(s) => {
            if let Err(e) = validate_dns1123_label("slug", "slug", s) {
                c.err(&format!("{at}/slug"), e.message);
            }
            if let Some(first) = slugs.get(s) {
                c.err(
                    &format!("{at}/slug"),
                    format!("The slug \"{s}\" is already used by profile {first}: KubeSpawner tells profiles apart by slug, so choose another."),
                );
            } else {
                slugs.insert(s.to_string(), at.to_string());
            }
        }
        None => c.err(&format!("{at}/slug"), "A profile needs a slug."),
    }
    match p.get("default") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            if !defaults.is_empty() {
                c.err(
                    &format!("{at}/default"),
                    "Another profile is already the default and KubeSpawner allows at most one: untick one of them.",
                );
            }
            defaults.push(at.to_string());
        }
        Some(other) => c.err(
            &format!("{at}/default"),
            format!("default must be true or false, not {}.", describe(other)),
        ),
    }
    for key in p.keys() {
        if ![
            "display_name",
            "slug",
            "description",
            "default",
            "kubespawner_override",
            "profile_options",
        ]
        .contains(&key.as_str())
        {
            c.err(
                &format!("{at}/{}", escape_segment(key)),
                format!("\"{key}\" is not a key of a KubeSpawner profile and would be ignored."),
            );
        }
    }
    let empty = Map::new();
    let o = match p.get("kubespawner_override") {
        Some(Value::Object(o)) => o,
        None => &empty,
        Some(other) => {
            c.err(
                &format!("{at}/kubespawner_override"),
                format!(
                    "kubespawner_override must be a mapping, not {}.",
                    describe(other)
                ),
            );
            &empty
        }
    };
    let oat = format!("{at}/kubespawner_override");
    let resources = check_override(c, &oat, o, &base.resources);
    if let Some(v) = p.get("profile_options") {
        check_profile_options(c, &format!("{at}/profile_options"), v, &resources);
    }
    let field = |k: &str| format!("{oat}/{k}");
    // Volumes and mounts as KubeSpawner merges them into the base's.
    let mut volumes: BTreeSet<String> = base.volumes.keys().cloned().collect();
    volumes.insert(HOME_VOLUME_KEY.to_string());
    match o.get("volumes") {
        None => {}
        Some(Value::Object(vs)) => {
            for (k, v) in vs {
                let here = format!("{}/{}", field("volumes"), escape_segment(k));
                if v.is_null() {
                    volumes.remove(k);
                } else {
                    check_volume(c, &here, k, v);
                    volumes.insert(k.clone());
                }
            }
        }
        Some(Value::Array(_)) => c.err(
            &field("volumes"),
            "volumes must be a mapping by name: a list would replace every volume, the home directory's included.",
        ),
        Some(other) => c.err(
            &field("volumes"),
            format!("volumes must be a mapping, not {}.", describe(other)),
        ),
    }
    let mut mounts = base.mounts.clone();
    match o.get("volume_mounts") {
        None => {}
        Some(Value::Object(ms)) => {
            for (k, v) in ms {
                let here = format!("{}/{}", field("volume_mounts"), escape_segment(k));
                if v.is_null() {
                    mounts.remove(k);
                    continue;
                }
                let Some(m) = check_mount(c, &here, v) else {
                    continue;
                };
                // Merged into the base's mount of the same key, if any.
                let merged = match mounts.get(k) {
                    Some(b) => Mount {
                        name_at: if m.name.is_some() { m.name_at } else { b.name_at.clone() },
                        path_at: if m.path.is_some() { m.path_at } else { b.path_at.clone() },
                        name: m.name.or_else(|| b.name.clone()),
                        path: m.path.or_else(|| b.path.clone()),
                    },
                    None => m,
                };
                mounts.insert(k.clone(), merged);
            }
        }
        Some(Value::Array(_)) => c.err(
            &field("volume_mounts"),
            "volume_mounts must be a mapping by name: a list would replace every mount, the home directory's included.",
        ),
        Some(other) => c.err(
            &field("volume_mounts"),
            format!("volume_mounts must be a mapping, not {}.", describe(other)),
        ),
    }
    check_mounts_agree(c, &volumes, &mounts);
}

/// Checks generated values against KubeSpawner's rules; errors are attributed through
/// `sources`.
pub fn check_values(values: &Value, sources: &SourceMap) -> Vec<ValuesError> {
    let mut c = Ctx {
        sources,
        errors: Vec::new(),
    };
    let Some(root) = values.as_object() else {
        c.err("", "The values are not a mapping.");
        return c.errors;
    };
    if let Some(ec) = root.get("hub").and_then(|h| h.get("extraConfig"))
        && !ec.is_object()
    {
        c.err(
            "/hub/extraConfig",
            "hub.extraConfig must be a mapping of names to Python code.",
        );
    }
    let Some(su) = root.get("singleuser").and_then(Value::as_object) else {
        return c.errors;
    };
    let mut base = Base::default();
    if let Some(m) = su.get("memory").and_then(Value::as_object) {
        for (key, slot) in [("limit", 0), ("guarantee", 1)] {
            if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
                let at = format!("/singleuser/memory/{key}");
                let parsed = memory(&mut c, &at, v).map(|b| (b, mem_text(v)));
                if slot == 0 {
                    base.resources.mem_limit = parsed;
                } else {
                    base.resources.mem_guarantee = parsed;
                }
            }
        }
    }
    if su.get("memory").and_then(|m| m.get("guarantee")).is_none() {
        // The chart's own default stays in effect when the key is absent; an explicit null
        // removes it (Helm drops keys set to null when it merges user values over defaults).
        base.resources.mem_guarantee = parse_kubespawner_memory("m", CHART_MEM_GUARANTEE)
            .ok()
            .map(|b| (b, CHART_MEM_GUARANTEE.to_string()));
    }
    guarantee_le_limit(
        &mut c,
        "/singleuser/memory/guarantee",
        "memory",
        base.resources.mem_guarantee.clone(),
        base.resources.mem_limit.clone(),
    );
    if let Some(m) = su.get("cpu").and_then(Value::as_object) {
        for (key, slot) in [("limit", 0), ("guarantee", 1)] {
            if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
                let parsed = cpu(&mut c, &format!("/singleuser/cpu/{key}"), v);
                if slot == 0 {
                    base.resources.cpu_limit = parsed;
                } else {
                    base.resources.cpu_guarantee = parsed;
                }
            }
        }
    }
    guarantee_le_limit(
        &mut c,
        "/singleuser/cpu/guarantee",
        "CPU",
        base.resources.cpu_guarantee.map(|g| (g, cores_text(g))),
        base.resources.cpu_limit.map(|l| (l, cores_text(l))),
    );
    let storage = su.get("storage").and_then(Value::as_object);
    let home = storage
        .and_then(|s| s.get("homeMountPath"))
        .and_then(Value::as_str)
        .unwrap_or(CHART_HOME_MOUNT_PATH)
        .to_string();
    if let Err(e) = validate_absolute_path("home_mount_path", &home) {
        c.err("/singleuser/storage/homeMountPath", e.message);
    }
    base.mounts.insert(
        HOME_VOLUME_KEY.to_string(),
        Mount {
            name: Some(HOME_VOLUME_KEY.to_string()),
            path: Some(home),
            name_at: "/singleuser/storage/homeMountPath".into(),
            path_at: "/singleuser/storage/homeMountPath".into(),
        },
    );
    if let Some(s) = storage {
        if let Some(v) = s.get("capacity").filter(|v| !v.is_null()) {
            quantity(&mut c, "/singleuser/storage/capacity", v);
        }
        match s.get("extraVolumes") {
            Some(Value::Object(vs)) => {
                for (k, v) in vs {
                    let at = format!("/singleuser/storage/extraVolumes/{}", escape_segment(k));
                    check_volume(&mut c, &at, k, v);
                    base.volumes.insert(k.clone(), at);
                }
            }
            Some(Value::Array(_)) => c.err(
                "/singleuser/storage/extraVolumes",
                "extraVolumes must be a mapping by name: a list replaces the chart's volumes.",
            ),
            _ => {}
        }
        match s.get("extraVolumeMounts") {
            Some(Value::Object(ms)) => {
                for (k, v) in ms {
                    let at = format!(
                        "/singleuser/storage/extraVolumeMounts/{}",
                        escape_segment(k)
                    );
                    if let Some(m) = check_mount(&mut c, &at, v) {
                        base.mounts.insert(k.clone(), m);
                    }
                }
            }
            Some(Value::Array(_)) => c.err(
                "/singleuser/storage/extraVolumeMounts",
                "extraVolumeMounts must be a mapping by name: a list replaces the chart's mounts, the home directory's included.",
            ),
            _ => {}
        }
    }
    let mut base_volumes: BTreeSet<String> = base.volumes.keys().cloned().collect();
    base_volumes.insert(HOME_VOLUME_KEY.to_string());
    check_mounts_agree(&mut c, &base_volumes, &base.mounts);
    if let Some(env) = su.get("extraEnv").and_then(Value::as_object) {
        check_env(&mut c, "/singleuser/extraEnv", env, false);
    }
    if let Some(l) = su.get("nodeSelector").and_then(Value::as_object) {
        check_labels(&mut c, "/singleuser/nodeSelector", l, false);
    }
    for key in ["limits", "guarantees"] {
        if let Some(m) = su
            .get("extraResource")
            .and_then(|r| r.get(key))
            .and_then(Value::as_object)
        {
            check_extra_resources(
                &mut c,
                &format!("/singleuser/extraResource/{key}"),
                m,
                false,
            );
        }
    }
    if let Some(v) = su.get("extraTolerations") {
        check_toleration_list(&mut c, "/singleuser/extraTolerations", v);
    }
    if let Some(v) = su.get("extraNodeAffinity").and_then(|a| a.get("preferred")) {
        check_preferred_terms(&mut c, "/singleuser/extraNodeAffinity/preferred", v);
    }
    match su.get("profileList") {
        None => {}
        Some(Value::Array(list)) => {
            let mut slugs = BTreeMap::new();
            let mut defaults = Vec::new();
            for (i, entry) in list.iter().enumerate() {
                check_profile(
                    &mut c,
                    &format!("/singleuser/profileList/{i}"),
                    entry,
                    &base,
                    &mut slugs,
                    &mut defaults,
                );
            }
        }
        Some(other) => c.err(
            "/singleuser/profileList",
            format!("profileList must be a list, not {}.", describe(other)),
        ),
    }
    c.errors
}
