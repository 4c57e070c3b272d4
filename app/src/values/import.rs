//! Importing a z2jh release Hubfleet did not create: its user-supplied values (the release's
//! `config`) become a hub, shared volumes and profiles as forms, and everything else stays as
//! the hub's extra values. Pure: the caller reads the release (and the claims that exist in
//! its namespace) and writes the records.
//!
//! - the hub: release name and namespace, the chart version of the release, the ingress host
//!   (`ingress.hosts`, one host), the lifetime of servers (`cull.*`, `singleuser.startTimeout`,
//!   `hub.concurrentSpawnLimit`, `hub.activeServerLimit`, `hub.config.KubeSpawner.http_timeout`);
//! - profiles: without `singleuser.profileList`, the `singleuser` settings become one default
//!   profile; with it, each entry becomes a profile with the `singleuser` settings and its
//!   `kubespawner_override` applied, as KubeSpawner would configure a server of it;
//! - shared volumes: the `persistentVolumeClaim` volumes of `singleuser.storage.extraVolumes`
//!   (and of profiles' `volumes`) with their mounts; the claims exist already, so Hubfleet
//!   does not create them;
//! - what Hubfleet generates itself (its profile-list code, its `HUBFLEET_*` environment, the
//!   pre-puller settings it writes) is neither imported nor kept.
//!
//! Every form must pass its own validation: a value that does not is left in the extra values
//! (a `singleuser` or hub setting) or reported as dropped (a setting of one profile, which the
//! hub's values cannot hold), with a note. Nothing fails the import but a release name
//! Hubfleet cannot manage.

use super::{CHART_USER_TOLERATIONS, ENV_HUB, ENV_REQUIRE_PROFILE, ENV_TOKEN, ENV_URL};
use super::{EXTRA_CONFIG_KEY, PROFILE_ANNOTATION};
use crate::domain::adopt::{ExistingClaim, Imported};
use crate::domain::extra_values::Tree;
use crate::domain::hub::{DEFAULT_CHART_VERSION, HubForm, validate_chart_version};
use crate::domain::mount::check_mounts;
use crate::domain::profile::{EnvVarForm, LabelForm, MountForm, Profile, ProfileForm, slugify};
use crate::domain::scheduling::{AffinityForm, ExtraResourceForm, TolerationForm};
use crate::domain::volume::{SharedVolume, VolumeForm};
use crate::domain::{FieldError, FieldErrors};
use serde_json::{Map, Value};

/// The chart's (4.4.0) defaults a profile needs when the values set nothing.
pub const CHART_IMAGE: &str = "quay.io/jupyterhub/k8s-singleuser-sample";
pub const CHART_HOME_CAPACITY: &str = "10Gi";

/// What the importer reads.
#[derive(Debug, Clone, Copy)]
pub struct ImportInput<'a> {
    pub release_name: &'a str,
    pub namespace: &'a str,
    /// The chart version of the deployed revision (`4.4.0`).
    pub chart_version: &'a str,
    pub revision: u32,
    /// The release's user-supplied values (`helm get values`).
    pub config: &'a Value,
    /// Claims that exist in the namespace.
    pub claims: &'a [ExistingClaim],
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// Removes the value at `path` (and the mappings it leaves empty).
fn remove(v: &mut Value, path: &[&str]) -> Option<Value> {
    match path {
        [] => None,
        [last] => v.as_object_mut()?.remove(*last),
        [first, rest @ ..] => {
            let child = v.as_object_mut()?.get_mut(*first)?;
            let out = remove(child, rest);
            if child.as_object().is_some_and(Map::is_empty) {
                v.as_object_mut()?.remove(*first);
            }
            out
        }
    }
}

/// Puts `val` at `path`, making the mappings on the way.
fn put(v: &mut Value, path: &[&str], val: Value) {
    match path {
        [] => {}
        [last] => {
            if let Some(o) = v.as_object_mut() {
                o.insert((*last).to_string(), val);
            }
        }
        [first, rest @ ..] => {
            if let Some(o) = v.as_object_mut() {
                let child = o
                    .entry((*first).to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !child.is_object() {
                    *child = Value::Object(Map::new());
                }
                put(child, rest, val);
            }
        }
    }
}

fn dotted(path: &[&str]) -> String {
    path.join(".")
}

/// A scalar as a form writes it.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// KubeSpawner and the chart HTML-escape nothing, but Hubfleet sends names escaped: read them
/// back as typed.
fn unescape_html(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `name:tag` / `name@sha256:…` → (name, tag).
fn split_image(reference: &str) -> (String, String) {
    if let Some((name, digest)) = reference.split_once('@') {
        let name = match name.rsplit_once(':') {
            Some((n, tag)) if !tag.contains('/') => n,
            _ => name,
        };
        return (name.to_string(), digest.to_string());
    }
    match reference.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => (n.to_string(), tag.to_string()),
        _ => (reference.to_string(), "latest".to_string()),
    }
}

/// Named entries (volumes, mounts, variables) in their order.
type Entries = Vec<(String, Value)>;

/// Entries of a mapping, or of a list of mappings keyed by their `name` (the chart and
/// KubeSpawner accept both for volumes, mounts and environment variables).
fn entries(v: Option<&Value>) -> Vec<(String, Value)> {
    match v {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(Value::Array(items)) => {
            let mut out: Vec<(String, Value)> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let base = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("item-{i}"), str::to_string);
                let mut key = base.clone();
                let mut n = 1;
                while out.iter().any(|(k, _)| *k == key) {
                    n += 1;
                    key = format!("{base}-{n}");
                }
                out.push((key, item.clone()));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Mapping entries merged as KubeSpawner merges an override's dictionary into the base's:
/// `null` removes a key.
fn merged_entries(base: &[(String, Value)], over: Option<&Value>) -> Vec<(String, Value)> {
    let mut out = base.to_vec();
    for (k, v) in entries(over) {
        out.retain(|(bk, _)| *bk != k);
        if !v.is_null() {
            out.push((k, v));
        }
    }
    out
}

/// The shared volumes found so far (claims, in order of discovery).
#[derive(Default)]
struct Volumes {
    forms: Vec<VolumeForm>,
}

impl Volumes {
    /// The 1-based position of the volume of `claim`, added if new.
    fn of_claim(&mut self, claim: &str, namespace: &str, claims: &[ExistingClaim]) -> usize {
        if let Some(i) = self.forms.iter().position(|v| v.pvc_name == claim) {
            return i + 1;
        }
        let known = claims.iter().find(|c| c.name == claim);
        self.forms.push(VolumeForm {
            name: claim.to_string(),
            pvc_name: claim.to_string(),
            namespace: namespace.to_string(),
            size: known.and_then(|c| c.size.clone()).unwrap_or_default(),
            access_mode: known
                .and_then(|c| c.access_mode.clone())
                .unwrap_or_default(),
            storage_class: known
                .and_then(|c| c.storage_class.clone())
                .unwrap_or_default(),
            volume_mode: known
                .and_then(|c| c.volume_mode.clone())
                .unwrap_or_default(),
            create_pvc: String::new(),
        });
        self.forms.len()
    }
}

/// A volume's claim when it is a plain `persistentVolumeClaim` volume Hubfleet can manage.
fn plain_claim(def: &Value) -> Option<String> {
    let o = def.as_object()?;
    if o.keys()
        .any(|k| k != "name" && k != "persistentVolumeClaim")
    {
        return None;
    }
    let pvc = o.get("persistentVolumeClaim")?.as_object()?;
    if pvc.keys().any(|k| k != "claimName") {
        return None;
    }
    pvc.get("claimName")?.as_str().map(str::to_string)
}

/// A mount Hubfleet can hold: name, mountPath and readOnly only.
fn plain_mount(def: &Value) -> Option<(String, String, bool)> {
    let o = def.as_object()?;
    if o.keys()
        .any(|k| !["name", "mountPath", "readOnly"].contains(&k.as_str()))
    {
        return None;
    }
    let read_only = match o.get("readOnly") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return None,
    };
    Some((
        o.get("name")?.as_str()?.to_string(),
        o.get("mountPath")?.as_str()?.to_string(),
        read_only,
    ))
}

/// Volumes and mounts of one configuration: the shared volumes' mounts as form rows, and the
/// volumes and mounts Hubfleet cannot hold (other kinds of volumes, mounts with a `subPath`…).
struct Storage {
    mounts: Vec<MountForm>,
    /// Volume name → what was imported (for notes).
    shared: Vec<(String, String)>,
    other_volumes: Vec<(String, Value)>,
    other_mounts: Vec<(String, Value)>,
}

fn storage_of(
    volumes: &[(String, Value)],
    mounts: &[(String, Value)],
    found: &mut Volumes,
    namespace: &str,
    claims: &[ExistingClaim],
) -> Storage {
    let mount_target = |m: &Value| m.get("name").and_then(Value::as_str).map(str::to_string);
    let mut out = Storage {
        mounts: Vec::new(),
        shared: Vec::new(),
        other_volumes: Vec::new(),
        other_mounts: Vec::new(),
    };
    let mut shared_names: Vec<(String, usize)> = Vec::new();
    for (key, def) in volumes {
        let name = def
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_string();
        // A claim is managed by Hubfleet only when every mount of it can be held too.
        let mounts_plain = mounts
            .iter()
            .filter(|(_, m)| mount_target(m).as_deref() == Some(name.as_str()))
            .all(|(_, m)| plain_mount(m).is_some());
        match plain_claim(def).filter(|_| mounts_plain) {
            Some(claim) => {
                let at = found.of_claim(&claim, namespace, claims);
                out.shared.push((name.clone(), claim));
                shared_names.push((name, at));
            }
            None => out.other_volumes.push((name, def.clone())),
        }
    }
    for (key, def) in mounts {
        let target = mount_target(def);
        match (
            plain_mount(def),
            shared_names
                .iter()
                .find(|(n, _)| Some(n) == target.as_ref()),
        ) {
            (Some((_, path, read_only)), Some((_, at))) => out.mounts.push(MountForm {
                volume_id: at.to_string(),
                mount_path: path,
                read_only: if read_only {
                    "on".into()
                } else {
                    String::new()
                },
            }),
            _ => out.other_mounts.push((key.clone(), def.clone())),
        }
    }
    out
}

/// Environment variables as rows (plain text values only) and the ones that are not
/// (`valueFrom`…).
fn env_rows(vars: &[(String, Value)]) -> (Vec<EnvVarForm>, Vec<(String, Value)>) {
    let mut rows = Vec::new();
    let mut other = Vec::new();
    for (k, v) in vars {
        // A list entry is {name, value}; a mapping entry is the value itself.
        let (name, value) = match v {
            Value::Object(o) if o.contains_key("name") => (
                o.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(k)
                    .to_string(),
                if o.keys().all(|x| x == "name" || x == "value") {
                    o.get("value").and_then(text)
                } else {
                    None
                },
            ),
            other => (k.clone(), text(other)),
        };
        match value {
            Some(value) => rows.push(EnvVarForm { name, value }),
            None => other.push((k.clone(), v.clone())),
        }
    }
    (rows, other)
}

fn label_rows(v: &[(String, Value)]) -> Option<Vec<LabelForm>> {
    v.iter()
        .map(|(k, v)| {
            Some(LabelForm {
                key: k.clone(),
                value: text(v)?,
            })
        })
        .collect()
}

fn resource_rows(
    limits: &[(String, Value)],
    guarantees: &[(String, Value)],
) -> Option<Vec<ExtraResourceForm>> {
    let mut names: Vec<&String> = limits.iter().chain(guarantees).map(|(k, _)| k).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let amount = |list: &[(String, Value)]| match list.iter().find(|(k, _)| k == n) {
                Some((_, v)) => text(v),
                None => Some(String::new()),
            };
            Some(ExtraResourceForm {
                name: n.clone(),
                limit: amount(limits)?,
                guarantee: amount(guarantees)?,
            })
        })
        .collect()
}

/// Tolerations as rows, without the chart's own user-pod tolerations (Hubfleet writes them).
fn toleration_rows(v: &Value) -> Option<Vec<TolerationForm>> {
    let items = v.as_array()?;
    let mut out = Vec::new();
    for t in items {
        let o = t.as_object()?;
        if o.keys().any(|k| {
            !["key", "operator", "value", "effect", "tolerationSeconds"].contains(&k.as_str())
        }) {
            return None;
        }
        let s = |k: &str| o.get(k).and_then(text).unwrap_or_default();
        let chart_own = CHART_USER_TOLERATIONS
            .iter()
            .any(|(k, v, e)| s("key") == *k && s("value") == *v && s("effect") == *e);
        if chart_own && matches!(s("operator").as_str(), "" | "Equal") {
            continue;
        }
        out.push(TolerationForm {
            key: s("key"),
            operator: s("operator"),
            value: s("value"),
            effect: s("effect"),
            seconds: s("tolerationSeconds"),
        });
    }
    Some(out)
}

/// Required node affinity as rows: one node-selector term of match expressions.
fn affinity_rows(v: &Value) -> Option<Vec<AffinityForm>> {
    let terms = v.as_array()?;
    match terms.as_slice() {
        [] => Some(Vec::new()),
        [term] => {
            let o = term.as_object()?;
            if o.keys().any(|k| k != "matchExpressions") {
                return None;
            }
            o.get("matchExpressions")?
                .as_array()?
                .iter()
                .map(|e| {
                    let values = match e.get("values") {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::Array(vs)) => {
                            vs.iter().map(text).collect::<Option<Vec<_>>>()?.join(", ")
                        }
                        Some(_) => return None,
                    };
                    Some(AffinityForm {
                        key: e.get("key")?.as_str()?.to_string(),
                        operator: e.get("operator").and_then(text).unwrap_or_default(),
                        values,
                    })
                })
                .collect()
        }
        _ => None,
    }
}

fn pull_secret(v: &Value) -> Option<String> {
    match v.as_array()?.as_slice() {
        [] => Some(String::new()),
        [one] => match one {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) if o.len() == 1 => o.get("name")?.as_str().map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}

/// The settings of one configuration (the `singleuser` base, or a profile with its override
/// applied), each with the value it came from and its path, to put back when it is not kept.
#[derive(Clone)]
struct Settings {
    form: ProfileForm,
    /// Form field → (values path, value) for the settings read from `singleuser`.
    origin: Vec<(&'static str, Vec<&'static str>, Value)>,
}

/// `singleuser` as a profile form; what it consumed is removed from `rest`, what it could not
/// hold is left there (volumes and mounts of other kinds in map form, so they merge with the
/// generated ones).
fn base_settings(
    input: &ImportInput<'_>,
    rest: &mut Value,
    found: &mut Volumes,
    out: &mut Imported,
) -> (Settings, Entries, Entries, Entries) {
    let su = input
        .config
        .get("singleuser")
        .cloned()
        .unwrap_or(Value::Null);
    let mut f = ProfileForm {
        image_name: CHART_IMAGE.into(),
        image_tag: input.chart_version.to_string(),
        home_capacity: CHART_HOME_CAPACITY.into(),
        ..ProfileForm::default()
    };
    let mut origin: Vec<(&'static str, Vec<&'static str>, Value)> = Vec::new();
    let scalars: [(&'static str, &[&'static str]); 10] = [
        ("image_name", &["image", "name"]),
        ("image_tag", &["image", "tag"]),
        ("image_pull_policy", &["image", "pullPolicy"]),
        ("cpu_limit", &["cpu", "limit"]),
        ("cpu_guarantee", &["cpu", "guarantee"]),
        ("mem_limit", &["memory", "limit"]),
        ("mem_guarantee", &["memory", "guarantee"]),
        ("home_capacity", &["storage", "capacity"]),
        (
            "home_storage_class",
            &["storage", "dynamic", "storageClass"],
        ),
        ("home_mount_path", &["storage", "homeMountPath"]),
    ];
    for (field, path) in scalars {
        let Some(v) = get(&su, path) else { continue };
        let Some(t) = (if v.is_null() {
            Some(String::new())
        } else {
            text(v)
        }) else {
            continue;
        };
        let mut full = vec!["singleuser"];
        full.extend_from_slice(path);
        remove(rest, &full);
        set_field(&mut f, field, t);
        origin.push((field, full, v.clone()));
    }
    if get(&su, &["memory", "guarantee"]).is_none() && !f.mem_limit.is_empty() {
        // The chart guarantees 1G unless told otherwise; a profile says so itself.
        f.mem_guarantee = super::CHART_MEM_GUARANTEE.into();
    }
    if let Some(v) = get(&su, &["image", "pullSecrets"])
        && let Some(s) = pull_secret(v)
    {
        remove(rest, &["singleuser", "image", "pullSecrets"]);
        f.image_pull_secret = s;
        origin.push((
            "image_pull_secret",
            vec!["singleuser", "image", "pullSecrets"],
            v.clone(),
        ));
    }
    if get(&su, &["storage", "type"]).and_then(Value::as_str) == Some("dynamic") {
        remove(rest, &["singleuser", "storage", "type"]);
    }
    // Environment, node selector, extended resources, tolerations, affinity.
    let env = entries(get(&su, &["extraEnv"]));
    let (rows, other_env) = env_rows(&env);
    if !env.is_empty() {
        remove(rest, &["singleuser", "extraEnv"]);
        f.env = rows;
        origin.push((
            "env",
            vec!["singleuser", "extraEnv"],
            su["extraEnv"].clone(),
        ));
    }
    if let Some(v) = get(&su, &["nodeSelector"])
        && let Some(rows) = label_rows(&entries(Some(v)))
    {
        remove(rest, &["singleuser", "nodeSelector"]);
        f.node_selector = rows;
        origin.push((
            "node_selector",
            vec!["singleuser", "nodeSelector"],
            v.clone(),
        ));
    }
    if let Some(v) = get(&su, &["extraResource"]) {
        let only_known = v
            .as_object()
            .is_some_and(|o| o.keys().all(|k| k == "limits" || k == "guarantees"));
        if only_known
            && let Some(rows) =
                resource_rows(&entries(v.get("limits")), &entries(v.get("guarantees")))
        {
            remove(rest, &["singleuser", "extraResource"]);
            f.extra_resources = rows;
            origin.push((
                "extra_resources",
                vec!["singleuser", "extraResource"],
                v.clone(),
            ));
        }
    }
    if let Some(v) = get(&su, &["extraTolerations"])
        && let Some(rows) = toleration_rows(v)
    {
        remove(rest, &["singleuser", "extraTolerations"]);
        f.tolerations = rows;
        origin.push((
            "tolerations",
            vec!["singleuser", "extraTolerations"],
            v.clone(),
        ));
    }
    if let Some(v) = get(&su, &["extraNodeAffinity"]) {
        let only_required = v
            .as_object()
            .is_some_and(|o| o.keys().all(|k| k == "required"));
        if only_required && let Some(rows) = v.get("required").and_then(affinity_rows) {
            remove(rest, &["singleuser", "extraNodeAffinity"]);
            f.node_affinity = rows;
            origin.push((
                "node_affinity",
                vec!["singleuser", "extraNodeAffinity"],
                v.clone(),
            ));
        }
    }
    let volumes = entries(get(&su, &["storage", "extraVolumes"]));
    let mounts = entries(get(&su, &["storage", "extraVolumeMounts"]));
    let storage = storage_of(&volumes, &mounts, found, input.namespace, input.claims);
    if !volumes.is_empty() || !mounts.is_empty() {
        remove(rest, &["singleuser", "storage", "extraVolumes"]);
        remove(rest, &["singleuser", "storage", "extraVolumeMounts"]);
        for (name, claim) in &storage.shared {
            out.imported.push(format!(
                "singleuser.storage.extraVolumes \"{name}\" (claim {claim}) → shared volume \"{claim}\" (an existing claim: Hubfleet does not create it)"
            ));
        }
        // What Hubfleet cannot hold stays, as mappings by name (chart 4.3+), which merge with
        // the generated volumes instead of replacing them.
        for (name, def) in &storage.other_volumes {
            put(
                rest,
                &["singleuser", "storage", "extraVolumes", name],
                def.clone(),
            );
            out.kept.push(format!(
                "singleuser.storage.extraVolumes \"{name}\": not a plain persistentVolumeClaim volume (or mounted with settings Hubfleet has no field for)"
            ));
        }
        for (key, def) in &storage.other_mounts {
            put(
                rest,
                &["singleuser", "storage", "extraVolumeMounts", key],
                def.clone(),
            );
            out.kept.push(format!(
                "singleuser.storage.extraVolumeMounts \"{key}\": mounts a volume Hubfleet does not manage, or has settings Hubfleet has no field for"
            ));
        }
    }
    f.mounts = storage.mounts;
    for (k, v) in &other_env {
        put(rest, &["singleuser", "extraEnv", k], v.clone());
        out.kept.push(format!(
            "singleuser.extraEnv {k}: not a plain text value (e.g. valueFrom)"
        ));
    }
    (Settings { form: f, origin }, volumes, mounts, env)
}

fn set_field(f: &mut ProfileForm, field: &str, v: String) {
    match field {
        "image_name" => f.image_name = v,
        "image_tag" => f.image_tag = v,
        "image_pull_policy" => f.image_pull_policy = v,
        "image_pull_secret" => f.image_pull_secret = v,
        "cpu_limit" => f.cpu_limit = v,
        "cpu_guarantee" => f.cpu_guarantee = v,
        "mem_limit" => f.mem_limit = v,
        "mem_guarantee" => f.mem_guarantee = v,
        "home_capacity" => f.home_capacity = v,
        "home_storage_class" => f.home_storage_class = v,
        "home_mount_path" => f.home_mount_path = v,
        "slug" => f.slug = v,
        "display_name" => f.display_name = v,
        "description" => f.description = v,
        _ => {}
    }
}

/// The field a form error is about, without its row (`env[2].name` → `env`).
fn field_root(field: &str) -> &str {
    field.split(['[', '.']).next().unwrap_or(field)
}

/// Clears what a field error is about, so the rest of the form validates.
fn clear(f: &mut ProfileForm, field: &str) {
    let row = |field: &str| -> Option<usize> {
        field
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .and_then(|(n, _)| n.parse().ok())
    };
    macro_rules! drop_row {
        ($list:expr) => {
            match row(field) {
                Some(i) if i < $list.len() => {
                    $list.remove(i);
                }
                _ => $list.clear(),
            }
        };
    }
    match field_root(field) {
        "mounts" => drop_row!(f.mounts),
        "env" => drop_row!(f.env),
        "node_selector" => drop_row!(f.node_selector),
        "extra_resources" => drop_row!(f.extra_resources),
        "tolerations" => drop_row!(f.tolerations),
        "node_affinity" => drop_row!(f.node_affinity),
        "image_name" => f.image_name = CHART_IMAGE.into(),
        "home_capacity" => f.home_capacity = CHART_HOME_CAPACITY.into(),
        other => set_field(f, other, String::new()),
    }
}

/// The form's problems: its own checks and its mounts against the volumes found.
fn problems(f: &ProfileForm, volumes: &[VolumeForm]) -> Vec<FieldError> {
    let spec = match f.validate() {
        Ok(spec) => spec,
        Err(FieldErrors(e)) => return e,
    };
    let stored: Vec<SharedVolume> = volumes
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            Some(SharedVolume {
                id: i64::try_from(i + 1).ok()?,
                hub_id: 0,
                version: 1,
                created_at: String::new(),
                updated_at: String::new(),
                spec: v.validate().ok()?,
            })
        })
        .collect();
    match check_mounts(&spec, &stored) {
        Ok(()) => Vec::new(),
        Err(FieldErrors(e)) => e,
    }
}

/// Clears fields until the form validates; what each clearing did is returned as
/// (form field, message). `None` when even the required fields cannot be made valid.
fn make_valid(f: &mut ProfileForm, volumes: &[VolumeForm]) -> Option<Vec<(String, String)>> {
    let mut cleared = Vec::new();
    for _ in 0..64 {
        let errors = problems(f, volumes);
        let Some(e) = errors.first() else {
            return Some(cleared);
        };
        if matches!(e.field.as_str(), "image_tag" | "display_name" | "form") {
            return None;
        }
        if e.field == "image_name" {
            return None;
        }
        cleared.push((e.field.clone(), e.message.clone()));
        clear(f, &e.field);
    }
    None
}

/// One profile of the list: the base with its override applied. Returns the settings the
/// override has that no form field holds.
#[allow(clippy::too_many_arguments)]
fn profile_from_entry(
    entry: &Value,
    n: usize,
    base: &ProfileForm,
    base_volumes: &[(String, Value)],
    base_mounts: &[(String, Value)],
    base_env: &[(String, Value)],
    input: &ImportInput<'_>,
    found: &mut Volumes,
) -> (ProfileForm, Vec<String>) {
    let mut f = base.clone();
    let mut lost = Vec::new();
    let s = |k: &str| entry.get(k).and_then(Value::as_str).map(unescape_html);
    f.display_name = s("display_name").unwrap_or_else(|| format!("Profile {}", n + 1));
    f.slug = s("slug").unwrap_or_else(|| slugify(&f.display_name));
    f.description = s("description").unwrap_or_default();
    f.is_default = if entry.get("default") == Some(&Value::Bool(true)) {
        "on".into()
    } else {
        String::new()
    };
    for key in entry
        .as_object()
        .map(|o| o.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if ![
            "display_name",
            "slug",
            "description",
            "default",
            "kubespawner_override",
        ]
        .contains(&key.as_str())
        {
            lost.push(key);
        }
    }
    let empty = Map::new();
    let o = entry
        .get("kubespawner_override")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (k, v) in o {
        let cleared = v.is_null();
        let t = || text(v).unwrap_or_default();
        match k.as_str() {
            "image" => match v.as_str() {
                Some(r) => {
                    let (name, tag) = split_image(r);
                    f.image_name = name;
                    f.image_tag = tag;
                }
                None => lost.push(k.clone()),
            },
            "image_pull_policy" => f.image_pull_policy = t(),
            "image_pull_secrets" => match pull_secret(v) {
                Some(p) => f.image_pull_secret = p,
                None if cleared => f.image_pull_secret = String::new(),
                None => lost.push(k.clone()),
            },
            "cpu_limit" => f.cpu_limit = t(),
            "cpu_guarantee" => f.cpu_guarantee = t(),
            "mem_limit" => f.mem_limit = t(),
            "mem_guarantee" => f.mem_guarantee = t(),
            "storage_capacity" if !cleared => f.home_capacity = t(),
            "storage_class" => f.home_storage_class = t(),
            "environment" => {
                let (rows, other) = env_rows(&merged_entries(base_env, Some(v)));
                f.env = rows;
                if !other.is_empty() {
                    lost.push("environment (valueFrom)".into());
                }
            }
            "node_selector" => {
                let base_rows: Vec<(String, Value)> = base
                    .node_selector
                    .iter()
                    .map(|l| (l.key.clone(), Value::String(l.value.clone())))
                    .collect();
                match label_rows(&merged_entries(&base_rows, Some(v))) {
                    Some(rows) => f.node_selector = rows,
                    None => lost.push(k.clone()),
                }
            }
            "extra_resource_limits" | "extra_resource_guarantees" => {
                let (mut limits, mut guarantees): (Vec<_>, Vec<_>) = (
                    base.extra_resources
                        .iter()
                        .filter(|r| !r.limit.is_empty())
                        .map(|r| (r.name.clone(), Value::String(r.limit.clone())))
                        .collect(),
                    base.extra_resources
                        .iter()
                        .filter(|r| !r.guarantee.is_empty())
                        .map(|r| (r.name.clone(), Value::String(r.guarantee.clone())))
                        .collect(),
                );
                if k == "extra_resource_limits" {
                    limits = merged_entries(&limits, Some(v));
                } else {
                    guarantees = merged_entries(&guarantees, Some(v));
                }
                match resource_rows(&limits, &guarantees) {
                    Some(rows) => f.extra_resources = rows,
                    None => lost.push(k.clone()),
                }
            }
            "tolerations" => match (cleared, toleration_rows(v)) {
                (true, _) => f.tolerations.clear(),
                (_, Some(rows)) => f.tolerations = rows,
                _ => lost.push(k.clone()),
            },
            "node_affinity_required" => match (cleared, affinity_rows(v)) {
                (true, _) => f.node_affinity.clear(),
                (_, Some(rows)) => f.node_affinity = rows,
                _ => lost.push(k.clone()),
            },
            "extra_annotations" => {
                let others: Vec<String> = entries(Some(v))
                    .into_iter()
                    .map(|(k, _)| k)
                    .filter(|k| k != PROFILE_ANNOTATION)
                    .collect();
                if !others.is_empty() {
                    lost.push(format!("extra_annotations ({})", others.join(", ")));
                }
            }
            "volumes" | "volume_mounts" => {}
            _ => lost.push(k.clone()),
        }
    }
    if o.contains_key("volumes") || o.contains_key("volume_mounts") {
        let volumes = merged_entries(base_volumes, o.get("volumes"));
        // The home directory's mount (by the chart's template key) is the home mount path.
        let mut mounts = merged_entries(base_mounts, o.get("volume_mounts"));
        if let Some(pos) = mounts.iter().position(|(k, _)| k == super::HOME_VOLUME_KEY) {
            let (_, m) = mounts.remove(pos);
            if let Some(p) = m.get("mountPath").and_then(Value::as_str) {
                f.home_mount_path = p.to_string();
            }
        }
        let storage = storage_of(&volumes, &mounts, found, input.namespace, input.claims);
        f.mounts = storage.mounts;
        for (name, _) in storage.other_volumes {
            lost.push(format!("volumes \"{name}\""));
        }
        for (key, _) in storage.other_mounts {
            lost.push(format!("volume_mounts \"{key}\""));
        }
    }
    (f, lost)
}

/// The lifetime settings: (form field, values path).
const LIFETIME: [(&str, &[&str]); 9] = [
    ("cull_enabled", &["cull", "enabled"]),
    ("cull_users", &["cull", "users"]),
    ("cull_timeout", &["cull", "timeout"]),
    ("cull_every", &["cull", "every"]),
    ("cull_max_age", &["cull", "maxAge"]),
    ("start_timeout", &["singleuser", "startTimeout"]),
    (
        "http_timeout",
        &["hub", "config", "KubeSpawner", "http_timeout"],
    ),
    ("concurrent_spawn_limit", &["hub", "concurrentSpawnLimit"]),
    ("active_server_limit", &["hub", "activeServerLimit"]),
];

fn hub_field<'a>(h: &'a mut HubForm, field: &str) -> Option<&'a mut String> {
    Some(match field {
        "chart_version" => &mut h.chart_version,
        "ingress_host" => &mut h.ingress_host,
        "cull_enabled" => &mut h.cull_enabled,
        "cull_users" => &mut h.cull_users,
        "cull_timeout" => &mut h.cull_timeout,
        "cull_every" => &mut h.cull_every,
        "cull_max_age" => &mut h.cull_max_age,
        "start_timeout" => &mut h.start_timeout,
        "http_timeout" => &mut h.http_timeout,
        "concurrent_spawn_limit" => &mut h.concurrent_spawn_limit,
        "active_server_limit" => &mut h.active_server_limit,
        _ => return None,
    })
}

/// Imports a release's values. Fails only when the release's name or namespace cannot be a
/// hub's (the adopt page says why).
pub fn import_release(input: &ImportInput<'_>) -> Result<Imported, FieldErrors> {
    let mut out = Imported::default();
    let mut rest = match input.config {
        Value::Object(_) => input.config.clone(),
        _ => Value::Object(Map::new()),
    };
    let cfg = input.config;

    // The hub.
    let chart_version = match validate_chart_version("chart_version", input.chart_version) {
        Ok(()) => input.chart_version.to_string(),
        Err(e) => {
            out.dropped.push(format!(
                "the release's chart version \"{}\" ({}): the hub uses {DEFAULT_CHART_VERSION}",
                input.chart_version, e.message
            ));
            DEFAULT_CHART_VERSION.to_string()
        }
    };
    let mut hub = HubForm {
        release_name: input.release_name.to_string(),
        namespace: input.namespace.to_string(),
        chart_version: chart_version.clone(),
        driver: "job".into(),
        ..HubForm::default()
    };
    out.imported.push(format!(
        "release {} in namespace {} (revision {}, chart {chart_version}) → the hub; it is installed and upgraded by a Helm Job (change the driver on the hub's page)",
        input.release_name, input.namespace, input.revision
    ));
    let mut hub_origin: Vec<(&str, Vec<&str>, Value)> = Vec::new();
    if get(cfg, &["ingress", "enabled"]) == Some(&Value::Bool(true))
        && let Some([Value::String(host)]) = get(cfg, &["ingress", "hosts"])
            .and_then(Value::as_array)
            .map(Vec::as_slice)
    {
        remove(&mut rest, &["ingress", "enabled"]);
        let hosts = remove(&mut rest, &["ingress", "hosts"]).unwrap_or(Value::Null);
        hub.ingress_host = host.clone();
        hub_origin.push(("ingress_host", vec!["ingress", "hosts"], hosts));
        hub_origin.push((
            "ingress_host",
            vec!["ingress", "enabled"],
            Value::Bool(true),
        ));
    }
    for (field, path) in LIFETIME {
        let Some(v) = get(cfg, path) else { continue };
        let value = match v {
            Value::Bool(true) => Some("on".to_string()),
            Value::Bool(false) => Some("off".to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        if let (Some(value), Some(slot)) = (value, hub_field(&mut hub, field)) {
            *slot = value;
            remove(&mut rest, path);
            hub_origin.push((field, path.to_vec(), v.clone()));
        }
    }
    for _ in 0..16 {
        let Err(FieldErrors(errors)) = hub.validate() else {
            break;
        };
        let mut fixed = false;
        for e in &errors {
            let back: Vec<_> = hub_origin
                .iter()
                .filter(|(f, _, _)| *f == e.field)
                .cloned()
                .collect();
            if back.is_empty() {
                continue;
            }
            for (_, path, v) in &back {
                put(&mut rest, path, v.clone());
                out.kept
                    .push(format!("{} = {}: {}", dotted(path), describe(v), e.message));
            }
            hub_origin.retain(|(f, _, _)| *f != e.field);
            if let Some(slot) = hub_field(&mut hub, &e.field) {
                slot.clear();
            }
            fixed = true;
        }
        if !fixed {
            return Err(FieldErrors(errors));
        }
    }
    let mut seen = Vec::new();
    for (field, path, v) in &hub_origin {
        if !seen.contains(field) {
            seen.push(*field);
            out.imported.push(format!(
                "{} = {} → hub setting {field}",
                dotted(path),
                describe(v)
            ));
        }
    }

    // What Hubfleet writes itself: neither imported nor kept.
    if remove(&mut rest, &["hub", "extraConfig", EXTRA_CONFIG_KEY]).is_some() {
        out.imported.push(format!(
            "hub.extraConfig.{EXTRA_CONFIG_KEY}: Hubfleet's own code, written again by Hubfleet"
        ));
    }
    let ours = |name: &str| [ENV_URL, ENV_TOKEN, ENV_HUB, ENV_REQUIRE_PROFILE].contains(&name);
    match rest.pointer_mut("/hub/extraEnv") {
        Some(Value::Object(m)) => m.retain(|k, _| !ours(k)),
        Some(Value::Array(items)) => {
            items.retain(|i| !i.get("name").and_then(Value::as_str).is_some_and(ours));
        }
        _ => {}
    }
    if rest.pointer("/hub/extraEnv").is_some_and(|v| {
        v.as_object().is_some_and(Map::is_empty) || v.as_array().is_some_and(Vec::is_empty)
    }) {
        remove(&mut rest, &["hub", "extraEnv"]);
    }
    if get(cfg, &["prePuller", "hook", "enabled"]) == Some(&Value::Bool(false)) {
        remove(&mut rest, &["prePuller", "hook", "enabled"]);
    }
    if get(cfg, &["prePuller", "continuous", "enabled"]) == Some(&Value::Bool(true)) {
        remove(&mut rest, &["prePuller", "continuous", "enabled"]);
    }

    // Profiles and shared volumes.
    let mut found = Volumes::default();
    let (base, base_volumes, base_mounts, base_env) =
        base_settings(input, &mut rest, &mut found, &mut out);
    let list = get(cfg, &["singleuser", "profileList"])
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty());
    let mut profiles: Vec<ProfileForm> = Vec::new();
    match list {
        None => {
            let mut f = base.form.clone();
            f.display_name = "Default".into();
            f.slug = "default".into();
            f.description = format!(
                "Imported from release {} (revision {}).",
                input.release_name, input.revision
            );
            f.is_default = "on".into();
            match make_valid(&mut f, &found.forms) {
                Some(cleared) => {
                    for (field, message) in cleared {
                        let root = field_root(&field).to_string();
                        let back: Vec<_> = base
                            .origin
                            .iter()
                            .filter(|(of, _, _)| *of == root)
                            .collect();
                        for (_, path, v) in &back {
                            put(&mut rest, path, v.clone());
                            out.kept
                                .push(format!("{} = {}: {message}", dotted(path), describe(v)));
                        }
                        if back.is_empty() {
                            out.dropped
                                .push(format!("profile \"Default\", {field}: {message}"));
                        }
                    }
                    for (field, path, _) in &base.origin {
                        if !out.kept.iter().any(|k| k.starts_with(&dotted(path))) {
                            out.imported
                                .push(format!("{} → profile \"Default\", {field}", dotted(path)));
                        }
                    }
                    profiles.push(f);
                }
                None => {
                    for (_, path, v) in &base.origin {
                        put(&mut rest, path, v.clone());
                    }
                    out.kept.push(
                        "the singleuser settings: they do not make a valid profile (see the extra values)".into(),
                    );
                }
            }
        }
        Some(list) => {
            remove(&mut rest, &["singleuser", "profileList"]);
            for (field, path, _) in &base.origin {
                out.imported.push(format!(
                    "{} → every profile's {field} (unless its override sets it)",
                    dotted(path)
                ));
            }
            for (n, entry) in list.iter().enumerate() {
                let (mut f, lost) = profile_from_entry(
                    entry,
                    n,
                    &base.form,
                    &base_volumes,
                    &base_mounts,
                    &base_env,
                    input,
                    &mut found,
                );
                let name = f.display_name.clone();
                for l in lost {
                    out.dropped.push(format!(
                        "profile \"{name}\": {l} (no field in Hubfleet; set it again through the extra values if every profile needs it)"
                    ));
                }
                // Unique slugs, in list order.
                let stem = f.slug.clone();
                let mut k = 1;
                while profiles.iter().any(|p| p.slug == f.slug) {
                    k += 1;
                    f.slug = format!("{}-{k}", stem.chars().take(58).collect::<String>());
                }
                match make_valid(&mut f, &found.forms) {
                    Some(cleared) => {
                        for (field, message) in cleared {
                            out.dropped.push(format!("profile \"{name}\", {field}: {message}"));
                        }
                        out.imported.push(format!(
                            "singleuser.profileList[{n}] \"{name}\" → profile \"{}\" (slug {})",
                            f.display_name, f.slug
                        ));
                        profiles.push(f);
                    }
                    None => out.dropped.push(format!(
                        "profile \"{name}\" (singleuser.profileList[{n}]): its image or name is not valid, so it was not imported"
                    )),
                }
            }
            // At most one default; KubeSpawner's default is the first when none is marked.
            let mut seen_default = false;
            for p in &mut profiles {
                if p.is_default == "on" {
                    if seen_default {
                        p.is_default.clear();
                    }
                    seen_default = true;
                }
            }
            if !seen_default && let Some(first) = profiles.first_mut() {
                first.is_default = "on".into();
            }
        }
    }
    // Only the volumes some imported profile mounts (a dropped one's are not needed).
    let used: Vec<usize> = (1..=found.forms.len())
        .filter(|i| {
            profiles
                .iter()
                .any(|p| p.mounts.iter().any(|m| m.volume_id == i.to_string()))
        })
        .collect();
    let mut volumes = Vec::new();
    for (new, old) in used.iter().enumerate() {
        let v = found.forms[old - 1].clone();
        if let Err(e) = v.validate() {
            out.dropped
                .push(format!("shared volume \"{}\": {e}", v.pvc_name));
        }
        volumes.push(v);
        for p in &mut profiles {
            for m in &mut p.mounts {
                if m.volume_id == old.to_string() {
                    m.volume_id = format!("#{}", new + 1);
                }
            }
        }
    }
    for p in &mut profiles {
        for m in &mut p.mounts {
            if let Some(n) = m.volume_id.strip_prefix('#') {
                m.volume_id = n.to_string();
            }
        }
    }
    if profiles.is_empty() {
        out.kept.push(
            "no profile could be imported: the hub offers the chart's defaults until you add one"
                .into(),
        );
    }

    // The rest, as written by the release (keys sorted).
    let tree = Tree::from_json(&rest);
    if let Tree::Map(entries) = &tree {
        for (k, v) in entries {
            let children: Vec<String> = match v {
                Tree::Map(c) => c.iter().map(|(c, _)| format!("{k}.{c}")).collect(),
                _ => vec![k.clone()],
            };
            for path in children {
                if !out.kept.iter().any(|n| n.starts_with(&path)) {
                    out.kept
                        .push(format!("{path}: no form in Hubfleet holds it"));
                }
            }
        }
    }
    hub.extra_values = tree.to_yaml().unwrap_or_default();
    out.hub = hub;
    out.volumes = volumes;
    out.profiles = profiles;
    out.kept.dedup();
    Ok(out)
}

/// The stored profiles the imported forms would be, for the sibling checks: ids from 1.
pub fn sibling_profiles(forms: &[ProfileForm]) -> Vec<Profile> {
    forms
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            Some(Profile {
                id: i64::try_from(i + 1).ok()?,
                hub_id: 0,
                version: 1,
                created_at: String::new(),
                updated_at: String::new(),
                spec: f.validate().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
