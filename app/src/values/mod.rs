//! z2jh (chart 4.4.0) values for a hub, generated from the hub, its profiles and its shared
//! volumes. Pure and deterministic: no I/O, no clock, no randomness, wasm-safe; the same input
//! (in any order) gives byte-identical YAML, so a digest of the YAML identifies a version and a
//! diff between two versions shows only real changes.
//!
//! What is generated:
//! - `singleuser`: the base configuration, from the hub's default profile when everyone may
//!   use it (else the first active profile open to everyone; the chart's defaults when there
//!   is none): image, CPU, memory, home storage, its shared volumes and mounts, environment,
//!   node selector, extended resources (GPUs), tolerations, required and preferred node
//!   affinity;
//! - `singleuser.profileList`: the active (not deprecated) profiles open to everyone, in
//!   KubeSpawner's format. It is the fallback the hub uses when the portal does not answer,
//!   so it fails closed: profiles restricted to groups, and the volumes only they mount, are
//!   served by the hub profile API alone ([`profile_entries`]). Each `kubespawner_override`
//!   states the profile's own settings and clears (with `null`) what the base sets and the
//!   profile does not, so no profile inherits another's limits, variables or volumes; display
//!   names and descriptions are HTML-escaped ([`html_text`]), as KubeSpawner's spawn page
//!   does not escape them. A profile's choices (`profile_options`) carry only what each
//!   choice overrides, over the profile's own settings (names escaped the same way);
//! - the lifetime of servers the hub chose (`cull`, `singleuser.startTimeout`,
//!   `hub.concurrentSpawnLimit`, `hub.activeServerLimit`, `hub.config.KubeSpawner.http_timeout`),
//!   only the settings that are set: the chart's defaults stay in effect for the others;
//! - `ingress` when the hub has a host, `prePuller.hook.enabled: false` (the hook would block
//!   upgrades driven by the portal) with the continuous puller kept;
//! - `hub.extraConfig` with the Python that makes `c.KubeSpawner.profile_list` ask the portal
//!   (see `hubfleet_profile_list.py`), and `hub.extraEnv` giving it the portal's URL and a
//!   token from a Secret.
//!
//! - the hub's extra values (chart values Hubfleet does not generate) merged under all of
//!   the above, the generated values winning ([`extra`]).
//!
//! Validation: [`check_values`] applies KubeSpawner's rules the chart's schema misses;
//! `schema` (server only) validates against the chart's own JSON schema. Every error points
//! back at the record and form field that produced the value ([`ValuesError`]).

mod check;
mod errors;
pub mod extra;
pub mod highlight;
pub mod import;
mod model;
#[cfg(feature = "ssr")]
pub mod schema;
mod view;

pub use check::check_values;
pub use errors::{Source, SourceMap, TargetKind, ValuesError, escape_segment, pointer};
pub use model::*;
pub use view::*;

use crate::domain::choices::{OptionChoice, ProfileOption};
use crate::domain::hub::Hub;
use crate::domain::profile::{Profile, is_digest};
use crate::domain::quantity::format_cores;
use crate::domain::scheduling::{MatchExpression, PreferredTerm, Toleration};
use crate::domain::volume::{AccessMode, SharedVolume, VolumeMode};
use std::collections::{BTreeMap, BTreeSet};

/// The `hub.extraConfig` key of the profile-list code.
pub const EXTRA_CONFIG_KEY: &str = "hubfleet-profile-list";
/// The Python installed as `hub.extraConfig.hubfleet-profile-list`.
pub const PROFILE_LIST_SNIPPET: &str = include_str!("hubfleet_profile_list.py");
/// Environment variables of the hub pod read by the snippet.
pub const ENV_URL: &str = "HUBFLEET_URL";
pub const ENV_TOKEN: &str = "HUBFLEET_TOKEN";
/// `<namespace>/<release>`: sent with each request so a token of another hub is refused.
pub const ENV_HUB: &str = "HUBFLEET_HUB";
/// Set (to `1`) when no profile is open to everyone: the hub then refuses to start servers
/// while the portal does not answer, instead of falling back to the chart's defaults.
pub const ENV_REQUIRE_PROFILE: &str = "HUBFLEET_REQUIRE_PROFILE";
/// The pod annotation naming the profile a server was started with (its slug), set through
/// each profile's `kubespawner_override.extra_annotations`.
pub const PROFILE_ANNOTATION: &str = "hubfleet.io/profile";
/// The chart's `scheduling.userPods.tolerations` (key, value, effect; operator Equal). A
/// profile's `tolerations` override replaces the whole list KubeSpawner was configured with,
/// so it repeats these before the profile's own.
pub const CHART_USER_TOLERATIONS: [(&str, &str, &str); 2] = [
    ("hub.jupyter.org/dedicated", "user", "NoSchedule"),
    ("hub.jupyter.org_dedicated", "user", "NoSchedule"),
];
/// The chart's node-purpose preference (`scheduling.userPods.nodeAffinity.matchNodePurpose:
/// prefer`, its default): key, value and weight. A profile's `node_affinity_preferred`
/// override replaces the list KubeSpawner was configured with, so it repeats this first.
pub const CHART_NODE_PURPOSE: (&str, &str, u8) = ("hub.jupyter.org/node-purpose", "user", 100);
/// The key of the token in the hub's token Secret.
pub const TOKEN_SECRET_KEY: &str = "token";
/// The chart's default `singleuser.storage.dynamic.volumeNameTemplate`: the key of the home
/// volume and its mount in KubeSpawner's `volumes` / `volume_mounts`.
pub const HOME_VOLUME_KEY: &str = "volume-{user_server}";
/// The chart's default home mount path and memory guarantee (in effect unless overridden).
pub const CHART_HOME_MOUNT_PATH: &str = "/home/jovyan";
pub const CHART_MEM_GUARANTEE: &str = "1G";

/// The Secret (in the hub's namespace) holding the hub's API token under [`TOKEN_SECRET_KEY`].
pub fn token_secret_name(release_name: &str) -> String {
    format!("hubfleet-token-{release_name}")
}

/// How the hub names itself to the portal: `<namespace>/<release>`.
pub fn hub_key(hub: &Hub) -> String {
    format!("{}/{}", hub.spec.namespace, hub.spec.release_name)
}

/// Everything the values are made from.
#[derive(Debug, Clone, Copy)]
pub struct ValuesInput<'a> {
    pub hub: &'a Hub,
    pub profiles: &'a [Profile],
    pub volumes: &'a [SharedVolume],
    /// The portal's base URL as the hub pod reaches it (e.g. `https://hubfleet.example.org`);
    /// `None` when not configured (the hub then uses the static profile list).
    pub portal_url: Option<&'a str>,
}

/// Generated values with the map back to their sources.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub values: Values,
    pub sources: SourceMap,
    /// Problems met while generating (e.g. a mount of a volume that is not in this hub); the
    /// offending part is left out of the values.
    pub problems: Vec<ValuesError>,
    /// Remarks that do not make the values invalid (e.g. a hub without profiles).
    pub notes: Vec<String>,
    /// The entries of the profiles restricted to groups: served by the hub profile API only,
    /// never in the static list, but checked like it (after its entries).
    pub restricted: Vec<ProfileEntry>,
    /// The values with the hub's extra values merged under them (`None`: the hub has none,
    /// and the values are exactly `values`).
    pub merged: Option<crate::domain::extra_values::Tree>,
}

impl Generated {
    /// The values as JSON (what the schema and the checks look at).
    pub fn json(&self) -> serde_json::Value {
        match &self.merged {
            Some(tree) => tree.to_json(),
            None => serde_json::to_value(&self.values).unwrap_or(serde_json::Value::Null),
        }
    }

    /// The values file.
    pub fn yaml(&self, hub: &Hub) -> Result<String, String> {
        match &self.merged {
            Some(tree) => {
                let body = serde_saphyr2::to_string(tree).map_err(|e| e.to_string())?;
                Ok(format!("{}{body}", yaml_header(hub)))
            }
            None => to_yaml(hub, &self.values),
        }
    }

    /// The values with every profile in the profile list, restricted ones after the open
    /// ones: what the checks and the schema look at, so a restricted profile is validated as
    /// if it were written out.
    pub fn checked_json(&self) -> serde_json::Value {
        let mut json = self.json();
        if !self.restricted.is_empty()
            && let Some(su) = json.get_mut("singleuser").and_then(|v| v.as_object_mut())
        {
            let list = su
                .entry("profileList")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let Some(list) = list.as_array_mut() {
                list.extend(
                    self.restricted
                        .iter()
                        .filter_map(|e| serde_json::to_value(e).ok()),
                );
            }
        }
        json
    }

    /// Generation problems plus KubeSpawner's rules (not the schema, which is server-side).
    pub fn check(&self) -> Vec<ValuesError> {
        let mut errors = self.problems.clone();
        errors.extend(check_values(&self.checked_json(), &self.sources));
        errors
    }
}

/// The YAML of `values`, after a header naming the hub. Deterministic.
pub fn to_yaml(hub: &Hub, values: &Values) -> Result<String, String> {
    let body = serde_saphyr2::to_string(values).map_err(|e| e.to_string())?;
    Ok(format!("{}{body}", yaml_header(hub)))
}

fn yaml_header(hub: &Hub) -> String {
    format!(
        "# z2jh values for hub \"{}\" (namespace {}, chart {}), generated by Hubfleet.\n# Change the hub, its profiles and shared volumes in Hubfleet rather than this file.\n",
        hub.spec.release_name, hub.spec.namespace, hub.spec.chart_version
    )
}

/// Active profiles in the order of the profile list: the default first, then by display name
/// (case-insensitive), then id. Deprecated profiles are left out.
pub fn active_profiles(profiles: &[Profile]) -> Vec<&Profile> {
    let mut v: Vec<&Profile> = profiles
        .iter()
        .filter(|p| !p.spec.is_deprecated())
        .collect();
    v.sort_by(|a, b| {
        b.spec
            .is_default
            .cmp(&a.spec.is_default)
            .then_with(|| {
                a.spec
                    .display_name
                    .to_lowercase()
                    .cmp(&b.spec.display_name.to_lowercase())
            })
            .then_with(|| a.spec.display_name.cmp(&b.spec.display_name))
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

/// `text` with the HTML special characters escaped. KubeSpawner puts a profile's
/// `display_name` and `description` into the hub's spawn page without escaping (its template
/// environment has no autoescape), so they are sent as HTML that shows `text` as it was
/// typed: a name such as `<img src=x onerror=...>` is shown, never run on the hub's domain.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 32-bit FNV-1a, for short deterministic name suffixes.
fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The pod volume name of a shared volume, derived from its claim: `shared-<pvc>` when that is
/// a valid volume name (a DNS-1123 label), else a shortened, dot-free form with a hash of the
/// claim name so that different claims never share a name.
pub fn volume_name(pvc_name: &str) -> String {
    const PREFIX: &str = "shared-";
    let clean: String = pvc_name
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let direct = format!("{PREFIX}{clean}");
    if clean == pvc_name && direct.len() <= 63 && !clean.ends_with('-') && !clean.is_empty() {
        return direct;
    }
    let hash = format!("{:08x}", fnv1a(pvc_name));
    let room = 63 - PREFIX.len() - 1 - hash.len();
    let mut stem: String = clean.chars().take(room).collect();
    while stem.ends_with('-') {
        stem.pop();
    }
    if stem.is_empty() {
        format!("{PREFIX}{hash}")
    } else {
        format!("{PREFIX}{stem}-{hash}")
    }
}

/// One profile's settings, resolved against the hub's volumes.
#[derive(Debug, Clone)]
struct Parts {
    id: i64,
    name: String,
    image_ref: String,
    image_name: String,
    image_tag: String,
    pull_policy: String,
    pull_secret: Option<String>,
    cpu_limit: Option<f64>,
    cpu_guarantee: Option<f64>,
    mem_limit: Option<serde_json::Value>,
    mem_guarantee: Option<serde_json::Value>,
    capacity: String,
    storage_class: Option<String>,
    home: String,
    /// Volume name -> (volume, volume id).
    volumes: OrderedMap<(VolumeDef, i64)>,
    /// Mount key -> (mount, index in the profile's mounts).
    mounts: OrderedMap<(MountDef, usize)>,
    env: OrderedMap<(String, usize)>,
    node_selector: BTreeMap<String, (String, usize)>,
    /// Resource name -> amount (names sorted, as the form's rows).
    extra_limits: BTreeMap<String, String>,
    extra_guarantees: BTreeMap<String, String>,
    tolerations: Vec<Toleration>,
    node_affinity: Vec<MatchExpression>,
    preferred: Vec<PreferredTerm>,
    options: Vec<ProfileOption>,
}

/// A toleration as Kubernetes takes it.
pub fn toleration_def(t: &Toleration) -> TolerationDef {
    TolerationDef {
        key: t.key.clone(),
        operator: t.operator.as_str().to_string(),
        value: t.value.clone(),
        effect: t.effect.map(|e| e.as_str().to_string()),
        toleration_seconds: t.seconds,
    }
}

/// The chart's user-pod tolerations.
fn chart_user_tolerations() -> Vec<TolerationDef> {
    CHART_USER_TOLERATIONS
        .iter()
        .map(|(key, value, effect)| TolerationDef {
            key: (*key).to_string(),
            operator: "Equal".into(),
            value: (*value).to_string(),
            effect: Some((*effect).to_string()),
            toleration_seconds: None,
        })
        .collect()
}

/// A preferred rule as Kubernetes takes it (one expression per term).
pub fn preferred_term_def(t: &PreferredTerm) -> PreferredTermDef {
    PreferredTermDef {
        weight: t.weight,
        preference: node_selector_term(std::slice::from_ref(&t.expression)),
    }
}

/// The chart's node-purpose preference.
fn chart_node_purpose() -> PreferredTermDef {
    let (key, value, weight) = CHART_NODE_PURPOSE;
    PreferredTermDef {
        weight,
        preference: NodeSelectorTerm {
            match_expressions: vec![MatchExpressionDef {
                key: key.to_string(),
                operator: "In".into(),
                values: vec![value.to_string()],
            }],
        },
    }
}

/// The override of one listed choice: only what it sets (it goes over the profile's).
fn choice_override(c: &OptionChoice, profile_guarantees: &BTreeMap<String, String>) -> Override {
    let set = |v: Option<f64>| v.map_or(Setting::Inherit, Setting::Set);
    let mem = |m: &Option<crate::domain::quantity::Memory>| {
        m.as_ref()
            .map_or(Setting::Inherit, |m| Setting::Set(m.kubespawner_value()))
    };
    let mut limits: OrderedMap<Option<String>> = OrderedMap::new();
    let mut guarantees: OrderedMap<Option<String>> = OrderedMap::new();
    for (name, n) in &c.extra_resource_limits {
        limits.insert(name.clone(), Some(n.clone()));
        // Kubernetes wants an extended resource's guarantee equal to its limit.
        if profile_guarantees.contains_key(name) {
            guarantees.insert(name.clone(), Some(n.clone()));
        }
    }
    Override {
        image: c.image.clone(),
        cpu_limit: set(c.cpu_limit),
        cpu_guarantee: set(c.cpu_guarantee),
        mem_limit: mem(&c.mem_limit),
        mem_guarantee: mem(&c.mem_guarantee),
        extra_resource_limits: limits,
        extra_resource_guarantees: guarantees,
        ..Override::default()
    }
}

/// A profile's options in KubeSpawner's format, names HTML-escaped like the profile's.
fn options_def(p: &Parts) -> OrderedMap<OptionDef> {
    let mut out = OrderedMap::new();
    for o in &p.options {
        let mut choices = OrderedMap::new();
        for c in &o.choices {
            choices.insert(
                c.key.clone(),
                ChoiceDef {
                    display_name: html_text(&c.display_name),
                    default: c.is_default,
                    kubespawner_override: choice_override(c, &p.extra_guarantees),
                },
            );
        }
        let unlisted_choice = o.unlisted.as_ref().map(|u| UnlistedDef {
            enabled: true,
            display_name: html_text(&u.display_name),
            validation_regex: u.pattern.clone(),
            validation_message: html_text(&u.message),
            kubespawner_override: Override {
                image: Some(u.image.clone()),
                ..Override::default()
            },
        });
        out.insert(
            o.key.clone(),
            OptionDef {
                display_name: html_text(&o.display_name),
                choices,
                unlisted_choice,
            },
        );
    }
    out
}

/// One node-selector term holding every expression (a node must match all of them).
pub fn node_selector_term(expressions: &[MatchExpression]) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions: expressions
            .iter()
            .map(|m| MatchExpressionDef {
                key: m.key.clone(),
                operator: m.operator.as_str().to_string(),
                values: m.values.clone(),
            })
            .collect(),
    }
}

fn cores(p: &Profile, field: &str, v: Option<f64>, problems: &mut Vec<ValuesError>) -> Option<f64> {
    match v {
        Some(c) if c.is_finite() && c > 0.0 => {
            // Whole millicores, as validation stores them; rounding removes float noise.
            Some((c * 1000.0).round() / 1000.0)
        }
        Some(c) => {
            problems.push(SourceMap::record_error(
                TargetKind::Profile,
                p.id,
                &p.spec.display_name,
                field,
                format!("The stored CPU value ({c}) is not a positive number of cores: write one, e.g. 1.5."),
            ));
            None
        }
        None => None,
    }
}

fn parts_of(
    p: &Profile,
    hub_namespace: &str,
    volumes: &BTreeMap<i64, &SharedVolume>,
    problems: &mut Vec<ValuesError>,
) -> Parts {
    let s = &p.spec;
    let record_error = |field: &str, message: String| {
        SourceMap::record_error(TargetKind::Profile, p.id, &s.display_name, field, message)
    };
    // The chart writes `name:tag`; for a digest, `name:latest@sha256:…` is a valid reference
    // that runtimes resolve by the digest alone.
    let (image_name, image_tag) = if is_digest(&s.image.tag) {
        (s.image.name.clone(), format!("latest@{}", s.image.tag))
    } else {
        (s.image.name.clone(), s.image.tag.clone())
    };
    let mut vols: OrderedMap<(VolumeDef, i64)> = OrderedMap::new();
    let mut mounts: OrderedMap<(MountDef, usize)> = OrderedMap::new();
    for (i, m) in s.mounts.iter().enumerate() {
        let Some(v) = volumes.get(&m.volume_id) else {
            problems.push(record_error(
                &format!("mounts[{i}].volume_id"),
                format!(
                    "Shared volume #{} is not a volume of this hub: choose one of the hub's volumes or remove the mount.",
                    m.volume_id
                ),
            ));
            continue;
        };
        if v.spec.volume_mode == VolumeMode::Block {
            problems.push(record_error(
                &format!("mounts[{i}].volume_id"),
                format!(
                    "\"{}\" is a Block volume, which cannot be mounted as a directory: choose a Filesystem volume.",
                    v.spec.name
                ),
            ));
            continue;
        }
        if v.spec.namespace != hub_namespace {
            problems.push(SourceMap::record_error(
                TargetKind::Volume,
                v.id,
                &v.spec.name,
                "namespace",
                format!(
                    "The hub's servers run in namespace \"{hub_namespace}\" and can only mount claims of that namespace, but this volume's claim is in \"{}\".",
                    v.spec.namespace
                ),
            ));
            continue;
        }
        if v.spec.access_mode == AccessMode::ReadOnlyMany && !m.read_only {
            problems.push(record_error(
                &format!("mounts[{i}].read_only"),
                format!("\"{}\" is ReadOnlyMany: tick read-only.", v.spec.name),
            ));
        }
        let name = volume_name(&v.spec.pvc_name);
        if !vols.contains_key(&name) {
            vols.insert(
                name.clone(),
                (
                    VolumeDef {
                        name: name.clone(),
                        persistent_volume_claim: ClaimRef {
                            claim_name: v.spec.pvc_name.clone(),
                        },
                    },
                    v.id,
                ),
            );
        }
        let mut key = name.clone();
        let mut n = 1;
        while mounts.contains_key(&key) {
            n += 1;
            key = format!("{name}-{n}");
        }
        mounts.insert(
            key,
            (
                MountDef {
                    name: Some(name),
                    mount_path: m.mount_path.clone(),
                    read_only: m.read_only,
                },
                i,
            ),
        );
    }
    let mut env = OrderedMap::new();
    for (i, e) in s.env.iter().enumerate() {
        env.insert(e.name.clone(), (e.value.clone(), i));
    }
    let node_selector = s
        .node_selector
        .iter()
        .enumerate()
        .map(|(i, (k, v))| (k.clone(), (v.clone(), i)))
        .collect();
    Parts {
        id: p.id,
        name: s.display_name.clone(),
        image_ref: s.image.reference(),
        image_name,
        image_tag,
        pull_policy: s.image.pull_policy.as_str().to_string(),
        pull_secret: s.image.pull_secret.clone(),
        cpu_limit: cores(p, "cpu_limit", s.cpu_limit, problems),
        cpu_guarantee: cores(p, "cpu_guarantee", s.cpu_guarantee, problems),
        mem_limit: s.mem_limit.as_ref().map(|m| m.kubespawner_value()),
        mem_guarantee: s.mem_guarantee.as_ref().map(|m| m.kubespawner_value()),
        capacity: s.home.capacity.as_str().to_string(),
        storage_class: s.home.storage_class.clone(),
        home: s.home.mount_path.clone(),
        volumes: vols,
        mounts,
        env,
        node_selector,
        extra_limits: s.extra_resource_limits.clone(),
        extra_guarantees: s.extra_resource_guarantees.clone(),
        tolerations: s.tolerations.clone(),
        node_affinity: s.node_affinity.clone(),
        preferred: s.node_affinity_preferred.clone(),
        options: s.profile_options.clone(),
    }
}

/// Records the sources of one profile's fields under `base` (a pointer prefix) for the
/// given field names (value key -> form field).
fn add_profile_sources(sources: &mut SourceMap, base: &str, p: &Parts, fields: &[(&str, &str)]) {
    for (key, field) in fields {
        sources.add(
            format!("{base}/{key}"),
            TargetKind::Profile,
            p.id,
            &p.name,
            field,
        );
    }
}

/// The override of profile `p` over the base configuration `base` (`None`: the chart's).
fn override_for(p: &Parts, base: Option<&Parts>, base_home: &str) -> Override {
    let base_has = |f: fn(&Parts) -> bool| base.is_some_and(f);
    let image_pull_secrets = match (&p.pull_secret, base.and_then(|b| b.pull_secret.as_ref())) {
        (Some(s), _) => Some(vec![s.clone()]),
        (None, Some(_)) => Some(vec![]),
        (None, None) => None,
    };
    let mut volumes: OrderedMap<Option<VolumeDef>> = OrderedMap::new();
    for (k, (v, _)) in p.volumes.iter() {
        volumes.insert(k.clone(), Some(v.clone()));
    }
    let mut volume_mounts: OrderedMap<Option<MountDef>> = OrderedMap::new();
    for (k, (m, _)) in p.mounts.iter() {
        volume_mounts.insert(k.clone(), Some(m.clone()));
    }
    if p.home != base_home {
        volume_mounts.insert(
            HOME_VOLUME_KEY,
            Some(MountDef {
                name: None,
                mount_path: p.home.clone(),
                read_only: false,
            }),
        );
    }
    let mut environment: OrderedMap<Option<String>> = OrderedMap::new();
    for (k, (v, _)) in p.env.iter() {
        environment.insert(k.clone(), Some(v.clone()));
    }
    let mut node_selector: OrderedMap<Option<String>> = OrderedMap::new();
    for (k, (v, _)) in &p.node_selector {
        node_selector.insert(k.clone(), Some(v.clone()));
    }
    let extras = |own: &BTreeMap<String, String>, base_keys: Option<&BTreeMap<String, String>>| {
        let mut out: OrderedMap<Option<String>> = OrderedMap::new();
        for (k, v) in own {
            out.insert(k.clone(), Some(v.clone()));
        }
        for k in base_keys.into_iter().flat_map(BTreeMap::keys) {
            if !own.contains_key(k) {
                out.insert(k.clone(), None);
            }
        }
        out
    };
    let extra_resource_limits = extras(&p.extra_limits, base.map(|b| &b.extra_limits));
    let extra_resource_guarantees = extras(&p.extra_guarantees, base.map(|b| &b.extra_guarantees));
    let tolerations =
        (!p.tolerations.is_empty() || base_has(|b| !b.tolerations.is_empty())).then(|| {
            let mut all = chart_user_tolerations();
            all.extend(p.tolerations.iter().map(toleration_def));
            all
        });
    let node_affinity_required = if !p.node_affinity.is_empty() {
        Some(vec![node_selector_term(&p.node_affinity)])
    } else if base_has(|b| !b.node_affinity.is_empty()) {
        Some(vec![])
    } else {
        None
    };
    let node_affinity_preferred =
        (!p.preferred.is_empty() || base_has(|b| !b.preferred.is_empty())).then(|| {
            let mut all = vec![chart_node_purpose()];
            all.extend(p.preferred.iter().map(preferred_term_def));
            all
        });
    if let Some(b) = base {
        for (k, _) in b.volumes.iter() {
            if !p.volumes.contains_key(k) {
                volumes.insert(k.clone(), None);
            }
        }
        for (k, _) in b.mounts.iter() {
            if !p.mounts.contains_key(k) {
                volume_mounts.insert(k.clone(), None);
            }
        }
        for (k, _) in b.env.iter() {
            if !p.env.contains_key(k) {
                environment.insert(k.clone(), None);
            }
        }
        for k in b.node_selector.keys() {
            if !p.node_selector.contains_key(k) {
                node_selector.insert(k.clone(), None);
            }
        }
    }
    Override {
        image: Some(p.image_ref.clone()),
        image_pull_policy: Some(p.pull_policy.clone()),
        image_pull_secrets,
        cpu_limit: Setting::over(p.cpu_limit, base_has(|b| b.cpu_limit.is_some())),
        cpu_guarantee: Setting::over(p.cpu_guarantee, base_has(|b| b.cpu_guarantee.is_some())),
        mem_limit: Setting::over(p.mem_limit.clone(), base_has(|b| b.mem_limit.is_some())),
        // The chart guarantees 1G unless told otherwise: a profile without a guarantee clears it.
        mem_guarantee: Setting::over(p.mem_guarantee.clone(), true),
        storage_capacity: Setting::Set(p.capacity.clone()),
        storage_class: Setting::over(
            p.storage_class.clone(),
            base_has(|b| b.storage_class.is_some()),
        ),
        volumes,
        volume_mounts,
        environment,
        node_selector,
        extra_resource_limits,
        extra_resource_guarantees,
        tolerations,
        node_affinity_required,
        node_affinity_preferred,
        extra_annotations: OrderedMap::new(),
    }
}

/// Records where each part of a profile entry came from.
fn add_entry_sources(sources: &mut SourceMap, at: &str, p: &Parts) {
    sources.add(at.to_string(), TargetKind::Profile, p.id, &p.name, "");
    add_profile_sources(
        sources,
        at,
        p,
        &[
            ("display_name", "display_name"),
            ("slug", "slug"),
            ("description", "description"),
            ("default", "is_default"),
        ],
    );
    let o = format!("{at}/kubespawner_override");
    add_profile_sources(
        sources,
        &o,
        p,
        &[
            ("image", "image_name"),
            ("image_pull_policy", "image_pull_policy"),
            ("image_pull_secrets", "image_pull_secret"),
            ("cpu_limit", "cpu_limit"),
            ("cpu_guarantee", "cpu_guarantee"),
            ("mem_limit", "mem_limit"),
            ("mem_guarantee", "mem_guarantee"),
            ("storage_capacity", "home_capacity"),
            ("storage_class", "home_storage_class"),
            ("environment", "env"),
            ("node_selector", "node_selector"),
            ("volumes", "mounts"),
            ("volume_mounts", "mounts"),
            ("extra_resource_limits", "extra_resources"),
            ("extra_resource_guarantees", "extra_resources"),
            ("tolerations", "tolerations"),
            ("node_affinity_required", "node_affinity"),
            ("node_affinity_preferred", "node_affinity_preferred"),
        ],
    );
    add_scheduling_sources(
        sources,
        &o,
        p,
        "extra_resource_limits",
        "extra_resource_guarantees",
        "tolerations",
        CHART_USER_TOLERATIONS.len(),
        "node_affinity_required",
    );
    add_row_sources(
        sources,
        &format!("{o}/node_affinity_preferred"),
        1,
        p.preferred.len(),
        p,
        "node_affinity_preferred",
    );
    add_option_sources(sources, &format!("{at}/profile_options"), p);
    for (k, (_, i)) in p.mounts.iter() {
        let at = format!("{o}/volume_mounts/{}", escape_segment(k));
        sources.add(
            format!("{at}/name"),
            TargetKind::Profile,
            p.id,
            &p.name,
            &format!("mounts[{i}].volume_id"),
        );
        sources.add(
            at,
            TargetKind::Profile,
            p.id,
            &p.name,
            &format!("mounts[{i}].mount_path"),
        );
    }
    sources.add(
        format!("{o}/volume_mounts/{}", escape_segment(HOME_VOLUME_KEY)),
        TargetKind::Profile,
        p.id,
        &p.name,
        "home_mount_path",
    );
    for (k, (_, i)) in p.env.iter() {
        sources.add(
            format!("{o}/environment/{}", escape_segment(k)),
            TargetKind::Profile,
            p.id,
            &p.name,
            &format!("env[{i}].name"),
        );
    }
    for (k, (_, i)) in &p.node_selector {
        sources.add(
            format!("{o}/node_selector/{}", escape_segment(k)),
            TargetKind::Profile,
            p.id,
            &p.name,
            &format!("node_selector[{i}].key"),
        );
    }
    for (k, _) in p.volumes.iter() {
        let volume_field = p
            .mounts
            .iter()
            .find(|(_, (m, _))| m.name.as_deref() == Some(k.as_str()))
            .map(|(_, (_, i))| format!("mounts[{i}].volume_id"))
            .unwrap_or_else(|| "mounts".into());
        sources.add(
            format!("{o}/volumes/{}", escape_segment(k)),
            TargetKind::Profile,
            p.id,
            &p.name,
            &volume_field,
        );
    }
}

/// Sources of `n` rows of list `list` written under `at` (after `skip` generated ones):
/// each back to the row's `key` field.
fn add_row_sources(
    sources: &mut SourceMap,
    at: &str,
    skip: usize,
    n: usize,
    p: &Parts,
    list: &str,
) {
    for i in 0..n {
        sources.add(
            format!("{at}/{}", i + skip),
            TargetKind::Profile,
            p.id,
            &p.name,
            &format!("{list}[{i}].key"),
        );
    }
}

/// Sources of a profile's options under `at` (`…/profile_options`): each option, choice and
/// overridden setting back to its form field.
fn add_option_sources(sources: &mut SourceMap, at: &str, p: &Parts) {
    let mut add = |path: String, field: String| {
        sources.add(path, TargetKind::Profile, p.id, &p.name, &field);
    };
    for (i, o) in p.options.iter().enumerate() {
        let oat = format!("{at}/{}", escape_segment(&o.key));
        let of = format!("profile_options[{i}]");
        add(oat.clone(), format!("{of}.key"));
        add(format!("{oat}/display_name"), format!("{of}.display_name"));
        add(format!("{oat}/choices"), format!("{of}.choices"));
        for (j, c) in o.choices.iter().enumerate() {
            let cat = format!("{oat}/choices/{}", escape_segment(&c.key));
            let cf = format!("{of}.choices[{j}]");
            add(cat.clone(), format!("{cf}.key"));
            add(format!("{cat}/display_name"), format!("{cf}.display_name"));
            add(format!("{cat}/default"), format!("{cf}.is_default"));
            for (key, field) in [
                ("image", "image"),
                ("cpu_limit", "cpu_limit"),
                ("cpu_guarantee", "cpu_guarantee"),
                ("mem_limit", "mem_limit"),
                ("mem_guarantee", "mem_guarantee"),
                ("extra_resource_limits", "extra_resources"),
                ("extra_resource_guarantees", "extra_resources"),
            ] {
                add(
                    format!("{cat}/kubespawner_override/{key}"),
                    format!("{cf}.{field}"),
                );
            }
        }
        let uat = format!("{oat}/unlisted_choice");
        add(uat.clone(), format!("{of}.unlisted"));
        for (key, field) in [
            ("display_name", "unlisted_display_name"),
            ("validation_regex", "unlisted_pattern"),
            ("validation_message", "unlisted_message"),
            ("kubespawner_override", "unlisted_image"),
        ] {
            add(format!("{uat}/{key}"), format!("{of}.{field}"));
        }
    }
}

/// Sources of the scheduling parts of one configuration under `base`: each resource row's
/// limit and guarantee, each toleration (after `skip` generated ones) and each expression.
#[allow(clippy::too_many_arguments)]
fn add_scheduling_sources(
    sources: &mut SourceMap,
    base: &str,
    p: &Parts,
    limits: &str,
    guarantees: &str,
    tolerations: &str,
    skip: usize,
    affinity: &str,
) {
    let mut names: Vec<&String> = p
        .extra_limits
        .keys()
        .chain(p.extra_guarantees.keys())
        .collect();
    names.sort();
    names.dedup();
    for (i, n) in names.into_iter().enumerate() {
        for (key, sub) in [(limits, "limit"), (guarantees, "guarantee")] {
            sources.add(
                format!("{base}/{key}/{}", escape_segment(n)),
                TargetKind::Profile,
                p.id,
                &p.name,
                &format!("extra_resources[{i}].{sub}"),
            );
        }
    }
    add_row_sources(
        sources,
        &format!("{base}/{tolerations}"),
        skip,
        p.tolerations.len(),
        p,
        "tolerations",
    );
    for i in 0..p.node_affinity.len() {
        sources.add(
            format!("{base}/{affinity}/0/matchExpressions/{i}"),
            TargetKind::Profile,
            p.id,
            &p.name,
            &format!("node_affinity[{i}].key"),
        );
    }
}

/// The KubeSpawner profile entries of a hub's active profiles, in list order, with the
/// base configuration they override (see [`Built`]). `default` marks the hub's default
/// profile. Used for the hub profile API, which moves the default per user.
pub fn profile_entries(input: &ValuesInput<'_>) -> Vec<(i64, ProfileEntry)> {
    let mut problems = Vec::new();
    let (built, _) = entries_and_base(input, &mut problems);
    built.into_iter().map(|b| (b.parts.id, b.entry)).collect()
}

/// One active profile as generated: its parts, its entry, and whether everyone may use it
/// (no allowed groups). Only such profiles go into the static `singleuser.profileList`.
struct Built {
    parts: Parts,
    entry: ProfileEntry,
    open: bool,
}

/// The entries of the hub's active profiles (default first, then by name) and the base
/// configuration: the first of them that is open to everyone (the default when it is open),
/// or none when every profile is restricted to groups. The base is what `singleuser` holds,
/// so a hub that cannot reach the portal never gives anyone a restricted profile's image,
/// resources or volumes.
fn entries_and_base(
    input: &ValuesInput<'_>,
    problems: &mut Vec<ValuesError>,
) -> (Vec<Built>, Option<(Parts, bool)>) {
    let volumes: BTreeMap<i64, &SharedVolume> = input
        .volumes
        .iter()
        .filter(|v| v.hub_id == input.hub.id)
        .map(|v| (v.id, v))
        .collect();
    let own: Vec<Profile> = input
        .profiles
        .iter()
        .filter(|p| p.hub_id == input.hub.id)
        .cloned()
        .collect();
    let active = active_profiles(&own);
    let parts: Vec<(Parts, &Profile)> = active
        .iter()
        .map(|p| {
            (
                parts_of(p, &input.hub.spec.namespace, &volumes, problems),
                *p,
            )
        })
        .collect();
    let base = parts
        .iter()
        .find(|(_, p)| p.spec.allowed_groups.is_empty())
        .map(|(b, p)| (b.clone(), p.spec.is_default));
    let base_parts = base.as_ref().map(|(b, _)| b);
    let base_home = base_parts
        .map(|b| b.home.clone())
        .unwrap_or_else(|| CHART_HOME_MOUNT_PATH.to_string());
    let built = parts
        .into_iter()
        .map(|(pp, p)| {
            let mut kubespawner_override = override_for(&pp, base_parts, &base_home);
            kubespawner_override
                .extra_annotations
                .insert(PROFILE_ANNOTATION, p.spec.slug.clone());
            Built {
                entry: ProfileEntry {
                    display_name: html_text(&p.spec.display_name),
                    slug: p.spec.slug.clone(),
                    description: html_text(&p.spec.description),
                    default: p.spec.is_default,
                    kubespawner_override,
                    profile_options: options_def(&pp),
                },
                open: p.spec.allowed_groups.is_empty(),
                parts: pp,
            }
        })
        .collect();
    (built, base)
}

/// Generates the values of `input.hub`.
pub fn generate(input: &ValuesInput<'_>) -> Generated {
    let hub = input.hub;
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut sources = SourceMap::new(hub.id, &hub.spec.release_name);
    for p in input.profiles.iter().filter(|p| p.hub_id != hub.id) {
        problems.push(SourceMap::record_error(
            TargetKind::Profile,
            p.id,
            &p.spec.display_name,
            "",
            format!(
                "Profile \"{}\" belongs to another hub and was left out.",
                p.spec.display_name
            ),
        ));
    }
    let (built, base) = entries_and_base(input, &mut problems);
    // The static list holds the profiles open to everyone (fail closed: it is what the hub
    // offers when the portal does not answer). The checks see every profile: the open ones at
    // their positions in the list, the restricted ones after them.
    let (open, restricted): (Vec<Built>, Vec<Built>) = built.into_iter().partition(|b| b.open);
    for (n, b) in open.iter().chain(&restricted).enumerate() {
        add_entry_sources(
            &mut sources,
            &format!("/singleuser/profileList/{n}"),
            &b.parts,
        );
    }
    let any_home_moved = open.iter().chain(&restricted).any(|b| {
        b.entry
            .kubespawner_override
            .volume_mounts
            .contains_key(HOME_VOLUME_KEY)
    });
    let names = |list: &[Built]| {
        list.iter()
            .map(|b| format!("\"{}\"", b.parts.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let require_profile = open.is_empty() && !restricted.is_empty();
    if require_profile {
        notes.push(format!(
            "No profile is open to everyone ({} are restricted to groups): while the hub cannot reach the portal nobody can start a server, and the spawn page says the profiles are unavailable and to try again. Open a profile to everyone to give users a fallback.",
            names(&restricted)
        ));
    } else if !restricted.is_empty() {
        notes.push(format!(
            "While the hub cannot reach the portal it offers only the profiles open to everyone ({}); the ones restricted to groups ({}) need the portal.",
            names(&open),
            names(&restricted)
        ));
    }
    let restricted_default = restricted
        .iter()
        .find(|b| b.entry.default)
        .map(|b| b.parts.name.clone());

    let mut singleuser = match &base {
        Some((b, is_default)) => {
            match (&restricted_default, is_default) {
                (Some(d), _) => notes.push(format!(
                    "The default profile \"{d}\" is restricted to groups, so the base settings (what the hub uses when it cannot reach the portal) come from \"{}\", the first profile open to everyone.",
                    b.name
                )),
                (None, false) => notes.push(format!(
                    "No profile is marked as the default: \"{}\" (first in the list) provides the base settings and is preselected.",
                    b.name
                )),
                (None, true) => {}
            }
            let su = "/singleuser";
            add_profile_sources(
                &mut sources,
                su,
                b,
                &[
                    ("image", "image_name"),
                    ("image/tag", "image_tag"),
                    ("image/pullPolicy", "image_pull_policy"),
                    ("image/pullSecrets", "image_pull_secret"),
                    ("cpu/limit", "cpu_limit"),
                    ("cpu/guarantee", "cpu_guarantee"),
                    ("memory/limit", "mem_limit"),
                    ("memory/guarantee", "mem_guarantee"),
                    ("storage/capacity", "home_capacity"),
                    ("storage/homeMountPath", "home_mount_path"),
                    ("storage/dynamic/storageClass", "home_storage_class"),
                    ("storage/extraVolumes", "mounts"),
                    ("storage/extraVolumeMounts", "mounts"),
                    ("extraEnv", "env"),
                    ("nodeSelector", "node_selector"),
                    ("extraResource", "extra_resources"),
                    ("extraTolerations", "tolerations"),
                    ("extraNodeAffinity", "node_affinity"),
                    ("extraNodeAffinity/preferred", "node_affinity_preferred"),
                ],
            );
            add_row_sources(
                &mut sources,
                "/singleuser/extraNodeAffinity/preferred",
                0,
                b.preferred.len(),
                b,
                "node_affinity_preferred",
            );
            add_scheduling_sources(
                &mut sources,
                su,
                b,
                "extraResource/limits",
                "extraResource/guarantees",
                "extraTolerations",
                0,
                "extraNodeAffinity/required",
            );
            for (k, (_, i)) in b.mounts.iter() {
                let at = format!("{su}/storage/extraVolumeMounts/{}", escape_segment(k));
                sources.add(
                    format!("{at}/name"),
                    TargetKind::Profile,
                    b.id,
                    &b.name,
                    &format!("mounts[{i}].volume_id"),
                );
                sources.add(
                    at,
                    TargetKind::Profile,
                    b.id,
                    &b.name,
                    &format!("mounts[{i}].mount_path"),
                );
            }
            for (k, (_, vid)) in b.volumes.iter() {
                let name = input
                    .volumes
                    .iter()
                    .find(|v| v.id == *vid)
                    .map(|v| v.spec.name.clone())
                    .unwrap_or_default();
                sources.add(
                    format!("{su}/storage/extraVolumes/{}", escape_segment(k)),
                    TargetKind::Volume,
                    *vid,
                    &name,
                    "pvc_name",
                );
            }
            for (k, (_, i)) in b.env.iter() {
                sources.add(
                    format!("{su}/extraEnv/{}", escape_segment(k)),
                    TargetKind::Profile,
                    b.id,
                    &b.name,
                    &format!("env[{i}].name"),
                );
            }
            for (k, (_, i)) in &b.node_selector {
                sources.add(
                    format!("{su}/nodeSelector/{}", escape_segment(k)),
                    TargetKind::Profile,
                    b.id,
                    &b.name,
                    &format!("node_selector[{i}].key"),
                );
            }
            Singleuser {
                image: Some(Image {
                    name: b.image_name.clone(),
                    tag: b.image_tag.clone(),
                    pull_policy: Some(b.pull_policy.clone()),
                    pull_secrets: b.pull_secret.iter().cloned().collect(),
                }),
                cpu: (b.cpu_limit.is_some() || b.cpu_guarantee.is_some()).then_some(Cpu {
                    limit: b.cpu_limit,
                    guarantee: b.cpu_guarantee,
                }),
                memory: (b.mem_limit.is_some() || b.mem_guarantee.is_some()).then(|| {
                    MemoryValues {
                        limit: b.mem_limit.clone(),
                        // An explicit null, not an absent key: the chart would otherwise guarantee
                        // its default 1G, above a smaller limit set here.
                        guarantee: Some(b.mem_guarantee.clone().unwrap_or(serde_json::Value::Null)),
                    }
                }),
                storage: Storage {
                    kind: "dynamic".into(),
                    capacity: Some(b.capacity.clone()),
                    home_mount_path: b.home.clone(),
                    dynamic: (b.storage_class.is_some() || any_home_moved).then(|| {
                        DynamicStorage {
                            storage_class: b.storage_class.clone(),
                            volume_name_template: any_home_moved
                                .then(|| HOME_VOLUME_KEY.to_string()),
                        }
                    }),
                    extra_volumes: OrderedMap(
                        b.volumes
                            .iter()
                            .map(|(k, (v, _))| (k.clone(), v.clone()))
                            .collect(),
                    ),
                    extra_volume_mounts: OrderedMap(
                        b.mounts
                            .iter()
                            .map(|(k, (m, _))| (k.clone(), m.clone()))
                            .collect(),
                    ),
                },
                extra_env: OrderedMap(
                    b.env
                        .iter()
                        .map(|(k, (v, _))| (k.clone(), v.clone()))
                        .collect(),
                ),
                node_selector: b
                    .node_selector
                    .iter()
                    .map(|(k, (v, _))| (k.clone(), v.clone()))
                    .collect(),
                extra_tolerations: b.tolerations.iter().map(toleration_def).collect(),
                extra_node_affinity: (!b.node_affinity.is_empty() || !b.preferred.is_empty()).then(
                    || NodeAffinityValues {
                        required: if b.node_affinity.is_empty() {
                            Vec::new()
                        } else {
                            vec![node_selector_term(&b.node_affinity)]
                        },
                        preferred: b.preferred.iter().map(preferred_term_def).collect(),
                    },
                ),
                extra_resource: (!b.extra_limits.is_empty() || !b.extra_guarantees.is_empty())
                    .then(|| ExtraResource {
                        limits: b.extra_limits.clone(),
                        guarantees: b.extra_guarantees.clone(),
                    }),
                start_timeout: None,
                profile_list: open.into_iter().map(|b| b.entry).collect(),
            }
        }
        None => {
            if !require_profile {
                notes.push(
                    "The hub has no active profile: users get the chart's sample image and defaults. Add a profile."
                        .into(),
                );
            }
            Singleuser {
                image: None,
                cpu: None,
                memory: None,
                storage: Storage {
                    kind: "dynamic".into(),
                    capacity: None,
                    home_mount_path: CHART_HOME_MOUNT_PATH.into(),
                    dynamic: None,
                    extra_volumes: OrderedMap::new(),
                    extra_volume_mounts: OrderedMap::new(),
                },
                extra_env: OrderedMap::new(),
                node_selector: BTreeMap::new(),
                extra_tolerations: Vec::new(),
                extra_node_affinity: None,
                extra_resource: None,
                start_timeout: None,
                profile_list: Vec::new(),
            }
        }
    };
    let lifetime = &hub.spec.lifetime;
    singleuser.start_timeout = lifetime.start_timeout;
    let hub_source = |sources: &mut SourceMap, at: &str, field: &str| {
        sources.add(at, TargetKind::Hub, hub.id, &hub.spec.release_name, field);
    };
    for (set, at, field) in [
        (
            lifetime.start_timeout.is_some(),
            "/singleuser/startTimeout",
            "start_timeout",
        ),
        (
            lifetime.cull_enabled.is_some(),
            "/cull/enabled",
            "cull_enabled",
        ),
        (lifetime.cull_users.is_some(), "/cull/users", "cull_users"),
        (
            lifetime.cull_timeout.is_some(),
            "/cull/timeout",
            "cull_timeout",
        ),
        (lifetime.cull_every.is_some(), "/cull/every", "cull_every"),
        (
            lifetime.cull_max_age.is_some(),
            "/cull/maxAge",
            "cull_max_age",
        ),
        (
            lifetime.concurrent_spawn_limit.is_some(),
            "/hub/concurrentSpawnLimit",
            "concurrent_spawn_limit",
        ),
        (
            lifetime.active_server_limit.is_some(),
            "/hub/activeServerLimit",
            "active_server_limit",
        ),
        (
            lifetime.http_timeout.is_some(),
            "/hub/config/KubeSpawner/http_timeout",
            "http_timeout",
        ),
    ] {
        if set {
            hub_source(&mut sources, at, field);
        }
    }
    let cull = lifetime.sets_cull().then_some(Cull {
        enabled: lifetime.cull_enabled,
        users: lifetime.cull_users,
        timeout: lifetime.cull_timeout,
        every: lifetime.cull_every,
        max_age: lifetime.cull_max_age,
    });

    let ingress = hub.spec.ingress_host.as_ref().map(|h| {
        sources.add(
            "/ingress",
            TargetKind::Hub,
            hub.id,
            &hub.spec.release_name,
            "ingress_host",
        );
        Ingress {
            enabled: true,
            hosts: vec![h.clone()],
        }
    });

    let mut extra_env = OrderedMap::new();
    match input.portal_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => extra_env.insert(ENV_URL, HubEnv::Value(url.trim_end_matches('/').into())),
        None => notes.push(format!(
            "The portal's URL is not configured (--public-url or HUBFLEET_PUBLIC_URL), so {ENV_URL} is not set: the hub will use the static profile list until it is."
        )),
    }
    extra_env.insert(ENV_HUB, HubEnv::Value(hub_key(hub)));
    if require_profile {
        extra_env.insert(ENV_REQUIRE_PROFILE, HubEnv::Value("1".into()));
    }
    extra_env.insert(
        ENV_TOKEN,
        HubEnv::From {
            value_from: ValueFrom {
                secret_key_ref: SecretKeyRef {
                    name: token_secret_name(&hub.spec.release_name),
                    key: TOKEN_SECRET_KEY.into(),
                    optional: true,
                },
            },
        },
    );
    let mut extra_config = BTreeMap::new();
    extra_config.insert(
        EXTRA_CONFIG_KEY.to_string(),
        PROFILE_LIST_SNIPPET.to_string(),
    );

    // Profiles of this hub that the list leaves out, for the record.
    let deprecated: BTreeSet<&str> = input
        .profiles
        .iter()
        .filter(|p| p.hub_id == hub.id && p.spec.is_deprecated())
        .map(|p| p.spec.display_name.as_str())
        .collect();
    if !deprecated.is_empty() {
        notes.push(format!(
            "Deprecated profiles are not offered and their users get the replacement: {}.",
            deprecated.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }

    let values = Values {
        singleuser,
        ingress,
        pre_puller: PrePuller {
            hook: Enabled { enabled: false },
            continuous: Enabled { enabled: true },
        },
        hub: HubValues {
            concurrent_spawn_limit: lifetime.concurrent_spawn_limit,
            active_server_limit: lifetime.active_server_limit,
            config: lifetime.http_timeout.map(|t| HubConfig {
                kube_spawner: KubeSpawnerConfig {
                    http_timeout: Some(t),
                },
            }),
            extra_env,
            extra_config,
        },
        cull,
    };
    let merged = match extra::merge_hub_extra(hub, &values, &mut sources, &mut notes) {
        Ok(m) => m,
        Err(message) => {
            problems.push(SourceMap::record_error(
                TargetKind::Hub,
                hub.id,
                &hub.spec.release_name,
                crate::domain::extra_values::FIELD,
                format!("The extra values were left out: {message}"),
            ));
            None
        }
    };
    Generated {
        values,
        sources,
        problems,
        notes,
        restricted: restricted.into_iter().map(|b| b.entry).collect(),
        merged,
    }
}

/// CPU as written in forms, for messages.
pub(crate) fn cores_text(v: f64) -> String {
    format_cores(v)
}
