//! The typed shape of the values file and of KubeSpawner profiles. Every struct serializes its
//! fields in declaration order and every map is either a `BTreeMap` (sorted keys) or an
//! [`OrderedMap`] (insertion order, which generation makes deterministic), so the same input
//! always gives the same bytes. Absent settings are skipped, never written as `null`; the only
//! nulls are deliberate ones in `kubespawner_override` ([`Setting::Clear`]): they tell
//! KubeSpawner to drop a setting a profile does not have but the base configuration does.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A map that keeps insertion order. Environment variables need it (a later variable may
/// refer to an earlier one with `$(NAME)`), and it keeps volumes next to their mounts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> OrderedMap<V> {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Inserts or replaces `key` (a replaced key keeps its position).
    pub fn insert(&mut self, key: impl Into<String>, value: V) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A `kubespawner_override` entry: absent (inherit the base value), a value, or `null` to
/// clear a value the base configuration sets.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Setting<T> {
    #[default]
    Inherit,
    Set(T),
    Clear,
}

impl<T> Setting<T> {
    pub fn is_inherit(&self) -> bool {
        matches!(self, Setting::Inherit)
    }

    /// The setting for a profile value `own` over a base value that is present or not:
    /// the profile's value when it has one, `null` when only the base has one.
    pub fn over(own: Option<T>, base_has_value: bool) -> Self {
        match own {
            Some(v) => Setting::Set(v),
            None if base_has_value => Setting::Clear,
            None => Setting::Inherit,
        }
    }
}

impl<T: Serialize> Serialize for Setting<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Setting::Set(v) => v.serialize(s),
            // `Inherit` is skipped by `skip_serializing_if`; should it be reached anyway it is
            // a null like `Clear`, which is what "no value" means to KubeSpawner.
            Setting::Inherit | Setting::Clear => s.serialize_none(),
        }
    }
}

/// The values file. Only the parts the portal manages; the chart's defaults fill in the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Values {
    pub singleuser: Singleuser,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
    pub pre_puller: PrePuller,
    pub hub: HubValues,
    /// The idle culler's settings the hub chose (the chart's defaults otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cull: Option<Cull>,
}

/// `cull`: only the settings a hub chose.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cull {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Singleuser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Cpu>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryValues>,
    pub storage: Storage,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub extra_env: OrderedMap<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Added to the chart's own user-pod tolerations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_tolerations: Vec<TolerationDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_node_affinity: Option<NodeAffinityValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_resource: Option<ExtraResource>,
    /// Seconds a server may take to start (`KubeSpawner.start_timeout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile_list: Vec<ProfileEntry>,
}

/// `singleuser.extraResource`: KubeSpawner's `extra_resource_limits` / `_guarantees`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ExtraResource {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub guarantees: BTreeMap<String, String>,
}

/// A pod toleration (Kubernetes `Toleration`, camelCase as the chart and KubeSpawner take it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TolerationDef {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    pub operator: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// A Kubernetes `NodeSelectorTerm`: a node matches when every expression matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<MatchExpressionDef>,
}

/// A Kubernetes `NodeSelectorRequirement`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchExpressionDef {
    pub key: String,
    pub operator: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// A Kubernetes `PreferredSchedulingTerm`: nodes matching `preference` get `weight` points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreferredTermDef {
    pub weight: u8,
    pub preference: NodeSelectorTerm,
}

/// `singleuser.extraNodeAffinity` (the chart adds both lists to its own).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeAffinityValues {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<NodeSelectorTerm>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preferred: Vec<PreferredTermDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub name: String,
    pub tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pull_secrets: Vec<String>,
}

/// Cores, as numbers (the chart's schema rejects strings such as `1500m`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cpu {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guarantee: Option<f64>,
}

/// KubeSpawner memory (`3G`, or a number of bytes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryValues {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guarantee: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    /// Always `dynamic`: one PVC per user, created by KubeSpawner.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
    pub home_mount_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<DynamicStorage>,
    /// Maps keyed by volume name: since chart 4.3 a map adds to the chart's volumes.
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub extra_volumes: OrderedMap<VolumeDef>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub extra_volume_mounts: OrderedMap<MountDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamicStorage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Written only when a profile moves the home directory: the key of the home mount in
    /// KubeSpawner's `volume_mounts` is this template, so a profile's override can address it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_name_template: Option<String>,
}

/// A pod volume backed by a PVC (Kubernetes `Volume`, camelCase as KubeSpawner takes it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeDef {
    pub name: String,
    pub persistent_volume_claim: ClaimRef,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimRef {
    pub claim_name: String,
}

/// A container volume mount (Kubernetes `VolumeMount`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MountDef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub mount_path: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ingress {
    pub enabled: bool,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrePuller {
    pub hook: Enabled,
    pub continuous: Enabled,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubValues {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_spawn_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_server_limit: Option<u32>,
    /// Traitlets configuration (`hub.config`), merged by Helm into the chart's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<HubConfig>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub extra_env: OrderedMap<HubEnv>,
    /// Name -> Python source, run by the hub in key order.
    pub extra_config: BTreeMap<String, String>,
}

/// `hub.config`: the KubeSpawner traits the chart has no key for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HubConfig {
    #[serde(rename = "KubeSpawner")]
    pub kube_spawner: KubeSpawnerConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubeSpawnerConfig {
    /// Seconds the hub waits for a started server to answer HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_timeout: Option<u32>,
}

/// A `hub.extraEnv` entry: a literal value, or a reference to a Secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum HubEnv {
    Value(String),
    #[serde(rename_all = "camelCase")]
    From {
        value_from: ValueFrom,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueFrom {
    pub secret_key_ref: SecretKeyRef,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
    /// The hub starts without the Secret (and then uses the static profile list).
    pub optional: bool,
}

/// One KubeSpawner profile (`singleuser.profileList` entry, and an element of the hub
/// profile API's answer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileEntry {
    pub display_name: String,
    pub slug: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    #[serde(skip_serializing_if = "Override::is_empty")]
    pub kubespawner_override: Override,
    /// Choices inside the profile, by option key in the order the spawn page shows them.
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub profile_options: OrderedMap<OptionDef>,
}

/// One of a profile's `profile_options`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionDef {
    pub display_name: String,
    /// By choice key, in the order the spawn page's select lists them.
    pub choices: OrderedMap<ChoiceDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlisted_choice: Option<UnlistedDef>,
}

/// One listed choice: its overrides go over the profile's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceDef {
    pub display_name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    #[serde(skip_serializing_if = "Override::is_empty")]
    pub kubespawner_override: Override,
}

/// A free-form value (`unlisted_choice`): KubeSpawner puts what the user typed where
/// `{value}` stands in the override, after checking it against `validation_regex`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnlistedDef {
    pub enabled: bool,
    pub display_name: String,
    pub validation_regex: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub validation_message: String,
    pub kubespawner_override: Override,
}

/// `kubespawner_override`: KubeSpawner trait names and values. Dictionary traits
/// (`environment`, `node_selector`, `volumes`, `volume_mounts`) are merged by KubeSpawner into
/// the base configuration, so entries the base has and the profile has not are `null`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Override {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Setting::is_inherit")]
    pub cpu_limit: Setting<f64>,
    #[serde(skip_serializing_if = "Setting::is_inherit")]
    pub cpu_guarantee: Setting<f64>,
    #[serde(skip_serializing_if = "Setting::is_inherit")]
    pub mem_limit: Setting<serde_json::Value>,
    #[serde(skip_serializing_if = "Setting::is_inherit")]
    pub mem_guarantee: Setting<serde_json::Value>,
    #[serde(skip_serializing_if = "Setting::is_inherit")]
    pub storage_capacity: Setting<String>,
    #[serde(skip_serializing_if = "Setting::is_inherit")]
    pub storage_class: Setting<String>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub volumes: OrderedMap<Option<VolumeDef>>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub volume_mounts: OrderedMap<Option<MountDef>>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub environment: OrderedMap<Option<String>>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub node_selector: OrderedMap<Option<String>>,
    /// Dictionaries, merged like the ones above (`null` drops a base entry).
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub extra_resource_limits: OrderedMap<Option<String>>,
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub extra_resource_guarantees: OrderedMap<Option<String>>,
    /// A list: KubeSpawner replaces the base's, so it repeats the chart's own user-pod
    /// tolerations before the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<TolerationDef>>,
    /// A list of `NodeSelectorTerm`s, replacing the base's (`[]` drops it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_affinity_required: Option<Vec<NodeSelectorTerm>>,
    /// A list of `PreferredSchedulingTerm`s, replacing the base's: it repeats the chart's own
    /// node-purpose preference before the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_affinity_preferred: Option<Vec<PreferredTermDef>>,
    /// Merged into the pod's annotations: the profile's slug under
    /// [`super::PROFILE_ANNOTATION`], so the portal can tell which profile a server runs.
    #[serde(skip_serializing_if = "OrderedMap::is_empty")]
    pub extra_annotations: OrderedMap<String>,
}

impl Override {
    pub fn is_empty(&self) -> bool {
        self == &Override::default()
    }
}

/// KubeSpawner 7 traits a `kubespawner_override` may set: the ones the portal writes, and a
/// few more that are commonly overridden per profile. The checks refuse any other key (a typo
/// would be ignored silently by KubeSpawner).
pub const KNOWN_OVERRIDE_KEYS: [&str; 24] = [
    "image",
    "image_pull_policy",
    "image_pull_secrets",
    "cpu_limit",
    "cpu_guarantee",
    "mem_limit",
    "mem_guarantee",
    "storage_capacity",
    "storage_class",
    "volumes",
    "volume_mounts",
    "environment",
    "node_selector",
    "extra_resource_limits",
    "extra_resource_guarantees",
    "default_url",
    "tolerations",
    "node_affinity_required",
    "node_affinity_preferred",
    "extra_labels",
    "extra_annotations",
    "start_timeout",
    "uid",
    "fs_gid",
];

/// How a [`ProfileEntry`] reads back from JSON (used by tests and clients of the hub API).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProfileEntryJson {
    pub display_name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub default: bool,
    #[serde(default)]
    pub kubespawner_override: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub profile_options: serde_json::Map<String, serde_json::Value>,
}
