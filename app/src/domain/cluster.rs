//! What the portal knows about the Kubernetes cluster, as plain serializable types the browser
//! can render: connection status, the discovery overview (server version, Helm drivers served,
//! nodes, storage classes, the portal's own permissions), Helm release revisions and the health
//! of the in-memory watch stores.
//!
//! Times are RFC 3339 strings (UTC), like the rest of `domain`. Nothing here does I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether the Kubernetes API server answers right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClusterStatus {
    /// The portal has not talked to the API server yet (the first probe is under way).
    Connecting,
    /// The last probe succeeded.
    Connected {
        /// When the connection was (re-)established.
        since: String,
    },
    /// The API server did not answer; the portal keeps showing the last known state.
    Unreachable {
        /// When the first failed probe happened.
        since: String,
        /// The most recent error, as reported by the client.
        last_error: String,
    },
}

impl ClusterStatus {
    pub fn is_connected(&self) -> bool {
        matches!(self, ClusterStatus::Connected { .. })
    }

    /// A sentence explaining why a state-changing action is refused, or `None` when the
    /// cluster is reachable.
    pub fn refusal_reason(&self) -> Option<String> {
        match self {
            ClusterStatus::Connected { .. } => None,
            ClusterStatus::Connecting => Some(
                "The portal is still connecting to the cluster; try again in a few seconds."
                    .to_string(),
            ),
            ClusterStatus::Unreachable { since, last_error } => Some(format!(
                "The cluster has been unreachable since {since} ({last_error}). Changes are \
                 disabled until it answers again; what you see is the last known state."
            )),
        }
    }

    /// A short label for a status badge.
    pub fn label(&self) -> &'static str {
        match self {
            ClusterStatus::Connecting => "Connecting",
            ClusterStatus::Connected { .. } => "Connected",
            ClusterStatus::Unreachable { .. } => "Unreachable",
        }
    }
}

/// Where the connection came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClusterSource {
    /// The built-in simulated cluster (demo mode, tests).
    Simulated,
    /// A kubeconfig file; `context` is the context in use when known.
    Kubeconfig { context: Option<String> },
    /// The service account of the pod the portal runs in.
    InCluster,
}

impl ClusterSource {
    pub fn label(&self) -> String {
        match self {
            ClusterSource::Simulated => "Simulated cluster".to_string(),
            ClusterSource::Kubeconfig { context: Some(c) } => format!("kubeconfig, context {c}"),
            ClusterSource::Kubeconfig { context: None } => "kubeconfig".to_string(),
            ClusterSource::InCluster => "in-cluster service account".to_string(),
        }
    }
}

/// The API server's `/version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerVersion {
    pub git_version: String,
    pub major: String,
    pub minor: String,
    pub platform: String,
}

/// Which ways of driving Helm the cluster offers (API discovery: is the kind served?).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverSupport {
    /// `helm.toolkit.fluxcd.io/v2` `HelmRelease` is served.
    pub flux_helm_release: bool,
    /// `source.toolkit.fluxcd.io/v1` `HelmRepository` is served.
    pub flux_helm_repository: bool,
    /// `helm.cattle.io/v1` `HelmChart` (k3s / RKE2 helm-controller) is served.
    pub k3s_helm_chart: bool,
}

/// The ways a hub release can be installed, upgraded and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelmDriverKind {
    /// Flux `HelmRelease` + `HelmRepository`.
    Flux,
    /// k3s / RKE2 `HelmChart`.
    K3s,
    /// A Job running a pinned Helm image (works on any cluster).
    Job,
}

impl HelmDriverKind {
    pub fn label(self) -> &'static str {
        match self {
            HelmDriverKind::Flux => "Flux HelmRelease",
            HelmDriverKind::K3s => "k3s HelmChart",
            HelmDriverKind::Job => "Helm Job",
        }
    }
}

impl DriverSupport {
    /// Whether Flux is fully usable (both the release and the repository kinds are served).
    pub fn flux(&self) -> bool {
        self.flux_helm_release && self.flux_helm_repository
    }

    /// The drivers usable on this cluster, preferred first. The Job driver is always there.
    pub fn available(&self) -> Vec<HelmDriverKind> {
        let mut out = Vec::new();
        if self.flux() {
            out.push(HelmDriverKind::Flux);
        }
        if self.k3s_helm_chart {
            out.push(HelmDriverKind::K3s);
        }
        out.push(HelmDriverKind::Job);
        out
    }

    pub fn supports(&self, driver: HelmDriverKind) -> bool {
        self.available().contains(&driver)
    }
}

/// A node and what it can hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    /// Allocatable CPU in millicores.
    pub cpu_millis: u64,
    /// Allocatable memory in bytes.
    pub memory_bytes: u64,
    /// The `Ready` condition is True.
    pub ready: bool,
    /// Not cordoned (`spec.unschedulable` is not set).
    pub schedulable: bool,
}

/// A StorageClass, as far as volume features care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageClassInfo {
    pub name: String,
    pub provisioner: String,
    /// PVCs of this class may be grown (`allowVolumeExpansion: true`).
    pub allow_volume_expansion: bool,
    /// Annotated `storageclass.kubernetes.io/is-default-class: "true"`.
    pub is_default: bool,
}

/// One permission the portal needs: may it `verb` the `resource` of `group` (only the object
/// called `resource_name`, when one is given)?
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccessCheck {
    pub verb: String,
    /// API group; empty for the core group.
    pub group: String,
    /// Plural resource name, optionally with a subresource (`pods/log`).
    pub resource: String,
    /// One object's name (an RBAC rule's `resourceNames`); `None` for any object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
}

impl AccessCheck {
    pub fn new(verb: &str, group: &str, resource: &str) -> Self {
        Self {
            verb: verb.to_string(),
            group: group.to_string(),
            resource: resource.to_string(),
            resource_name: None,
        }
    }

    /// A check on one object only, e.g. `escalate` on the Role called `hubfleet-helm`.
    pub fn named(verb: &str, group: &str, resource: &str, name: &str) -> Self {
        Self {
            resource_name: Some(name.to_string()),
            ..Self::new(verb, group, resource)
        }
    }

    /// `verb group/resource [name]`, e.g. `create batch/jobs`, `list pods` or
    /// `bind rbac.authorization.k8s.io/roles hubfleet-helm`.
    pub fn label(&self) -> String {
        let mut out = if self.group.is_empty() {
            format!("{} {}", self.verb, self.resource)
        } else {
            format!("{} {}/{}", self.verb, self.group, self.resource)
        };
        if let Some(name) = &self.resource_name {
            out.push(' ');
            out.push_str(name);
        }
        out
    }
}

/// The answer to one [`AccessCheck`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionResult {
    pub check: AccessCheck,
    pub allowed: bool,
}

/// The portal's permissions in one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespacePermissions {
    pub namespace: String,
    pub results: Vec<PermissionResult>,
    /// The API server said its answer may be incomplete (e.g. webhook authorizers); a denied
    /// check may still be allowed in practice.
    pub incomplete: bool,
}

impl NamespacePermissions {
    pub fn all_allowed(&self) -> bool {
        self.results.iter().all(|r| r.allowed)
    }

    /// The checks that were denied.
    pub fn missing(&self) -> Vec<&AccessCheck> {
        self.results
            .iter()
            .filter(|r| !r.allowed)
            .map(|r| &r.check)
            .collect()
    }

    pub fn allows(&self, verb: &str, group: &str, resource: &str) -> bool {
        self.results.iter().any(|r| {
            r.allowed
                && r.check.verb == verb
                && r.check.group == group
                && r.check.resource == resource
        })
    }
}

/// Everything discovery learned about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterOverview {
    pub source: ClusterSource,
    /// The API server URL (for the simulated cluster a descriptive pseudo-URL).
    pub api_server: String,
    pub server_version: Option<ServerVersion>,
    pub drivers: DriverSupport,
    pub nodes: Vec<NodeInfo>,
    pub storage_classes: Vec<StorageClassInfo>,
    pub permissions: Vec<NamespacePermissions>,
    /// The portal's cluster-scoped permissions (nodes, node stats, storage classes).
    #[serde(default)]
    pub cluster_permissions: Vec<PermissionResult>,
    /// When discovery last completed.
    pub discovered_at: Option<String>,
    /// When the API server last answered (kept while it is unreachable).
    pub last_seen: Option<String>,
    /// Problems met during discovery that did not stop it (e.g. a forbidden list of nodes).
    pub warnings: Vec<String>,
}

impl ClusterOverview {
    /// An overview with nothing discovered yet.
    pub fn empty(source: ClusterSource, api_server: impl Into<String>) -> Self {
        Self {
            source,
            api_server: api_server.into(),
            server_version: None,
            drivers: DriverSupport::default(),
            nodes: Vec::new(),
            storage_classes: Vec::new(),
            permissions: Vec::new(),
            cluster_permissions: Vec::new(),
            discovered_at: None,
            last_seen: None,
            warnings: Vec::new(),
        }
    }

    pub fn is_simulated(&self) -> bool {
        self.source == ClusterSource::Simulated
    }

    /// Whether a Helm kind is served, as the Cluster page words it. Until discovery has
    /// succeeded once nothing is known, so "unknown" rather than "not served".
    pub fn served_label(&self, served: impl Fn(&DriverSupport) -> bool) -> &'static str {
        match (self.discovered_at.is_some(), served(&self.drivers)) {
            (false, _) => "unknown",
            (true, true) => "served",
            (true, false) => "not served",
        }
    }

    pub fn storage_class(&self, name: &str) -> Option<&StorageClassInfo> {
        self.storage_classes.iter().find(|s| s.name == name)
    }

    pub fn default_storage_class(&self) -> Option<&StorageClassInfo> {
        self.storage_classes.iter().find(|s| s.is_default)
    }

    /// Total allocatable CPU (millicores) and memory (bytes) over ready, schedulable nodes.
    pub fn capacity(&self) -> (u64, u64) {
        self.nodes
            .iter()
            .filter(|n| n.ready && n.schedulable)
            .fold((0, 0), |(c, m), n| (c + n.cpu_millis, m + n.memory_bytes))
    }

    /// The largest memory any single ready node can offer: a pod guaranteeing more never
    /// schedules.
    pub fn largest_node_memory(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| n.ready && n.schedulable)
            .map(|n| n.memory_bytes)
            .max()
            .unwrap_or(0)
    }

    pub fn permissions_in(&self, namespace: &str) -> Option<&NamespacePermissions> {
        self.permissions.iter().find(|p| p.namespace == namespace)
    }
}

/// Helm's release statuses: the one definition, shared with the simulated cluster.
pub use clusterkit::ReleaseStatus;

/// One revision of a Helm release, decoded from its release Secret (`helm history` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRevision {
    pub name: String,
    pub namespace: String,
    pub revision: u32,
    pub status: ReleaseStatus,
    pub chart_name: String,
    pub chart_version: String,
    pub app_version: String,
    pub first_deployed: Option<String>,
    pub last_deployed: Option<String>,
    pub description: String,
    /// The user-supplied values (`helm get values`).
    pub values: Value,
}

impl ReleaseRevision {
    /// `jupyterhub-4.4.0`, as `helm ls` prints it.
    pub fn chart_label(&self) -> String {
        format!("{}-{}", self.chart_name, self.chart_version)
    }
}

/// Health of one in-memory watch store (a reflector), for `/readyz` and the Cluster page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreMetrics {
    /// What the store holds, e.g. `pods`.
    pub name: String,
    /// The namespace watched, `None` for all namespaces.
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    /// Objects currently cached.
    pub objects: usize,
    /// The initial list completed at least once.
    pub ready: bool,
    /// When the last watch event arrived.
    pub last_event: Option<String>,
    /// Watch errors seen (each followed by a retry with backoff).
    pub errors: u64,
    pub last_error: Option<String>,
}

/// Space used on one PVC, as the kubelet's stats summary reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeUsage {
    pub namespace: String,
    pub pvc: String,
    pub used_bytes: u64,
    pub capacity_bytes: u64,
    pub available_bytes: u64,
    /// The pod mounting it (usage is only reported while a pod mounts the volume).
    pub pod: String,
    pub node: String,
}

impl VolumeUsage {
    /// Used share in `[0, 1]` (0 when the capacity is unknown).
    pub fn fraction_used(&self) -> f64 {
        if self.capacity_bytes == 0 {
            0.0
        } else {
            (self.used_bytes as f64 / self.capacity_bytes as f64).clamp(0.0, 1.0)
        }
    }
}

/// What a pod (a user server, the hub) is doing, in words a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PodState {
    /// Waiting for a node.
    Scheduling,
    /// No node can take it (resources, volumes, node selector).
    Unschedulable,
    /// Scheduled; pulling the image, mounting volumes, starting.
    Starting,
    Running,
    /// The image cannot be pulled.
    ImagePullFailed,
    /// The container was killed at its memory limit.
    OomKilled,
    /// The container keeps exiting and is restarted with back-off.
    CrashLooping,
    /// The node evicted the pod.
    Evicted,
    /// Ran to completion (jobs).
    Completed,
    /// No server pod: a user's home volume is there, their server is not running.
    Stopped,
    Failed,
    Unknown,
}

impl PodState {
    /// A short badge label.
    pub fn label(self) -> &'static str {
        match self {
            PodState::Scheduling => "Scheduling",
            PodState::Unschedulable => "Cannot be scheduled",
            PodState::Starting => "Starting",
            PodState::Running => "Running",
            PodState::ImagePullFailed => "Image pull failed",
            PodState::OomKilled => "Out of memory",
            PodState::CrashLooping => "Crashing",
            PodState::Evicted => "Evicted",
            PodState::Completed => "Completed",
            PodState::Stopped => "Stopped",
            PodState::Failed => "Failed",
            PodState::Unknown => "Unknown",
        }
    }

    /// The state's name as serialized (`image_pull_failed`), e.g. for a filter in a URL.
    pub fn key(self) -> &'static str {
        match self {
            PodState::Scheduling => "scheduling",
            PodState::Unschedulable => "unschedulable",
            PodState::Starting => "starting",
            PodState::Running => "running",
            PodState::ImagePullFailed => "image_pull_failed",
            PodState::OomKilled => "oom_killed",
            PodState::CrashLooping => "crash_looping",
            PodState::Evicted => "evicted",
            PodState::Completed => "completed",
            PodState::Stopped => "stopped",
            PodState::Failed => "failed",
            PodState::Unknown => "unknown",
        }
    }

    /// Whether this needs someone's attention.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            PodState::Unschedulable
                | PodState::ImagePullFailed
                | PodState::OomKilled
                | PodState::CrashLooping
                | PodState::Evicted
                | PodState::Failed
        )
    }
}

/// A pod's status explained: the state, Kubernetes' own words, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodHealth {
    pub state: PodState,
    /// `status.phase` as Kubernetes reports it.
    pub phase: String,
    pub ready: bool,
    /// The message Kubernetes gave (scheduler condition, container state, event), if any.
    pub detail: Option<String>,
    /// A suggestion for the administrator, if one applies.
    pub hint: Option<String>,
    pub restarts: u32,
    pub node: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_kinds_are_unknown_until_discovery_succeeds() {
        let mut o = ClusterOverview::empty(
            ClusterSource::Kubeconfig { context: None },
            "https://127.0.0.1:6443",
        );
        assert_eq!(o.served_label(|d| d.flux_helm_release), "unknown");
        assert_eq!(o.served_label(|d| d.flux_helm_repository), "unknown");
        assert_eq!(o.served_label(|d| d.k3s_helm_chart), "unknown");
        o.discovered_at = Some("2026-01-01T00:00:00Z".into());
        o.drivers.k3s_helm_chart = true;
        assert_eq!(o.served_label(|d| d.flux_helm_release), "not served");
        assert_eq!(o.served_label(|d| d.k3s_helm_chart), "served");
    }

    #[test]
    fn drivers_prefer_flux_and_always_offer_job() {
        let none = DriverSupport::default();
        assert_eq!(none.available(), vec![HelmDriverKind::Job]);
        let half_flux = DriverSupport {
            flux_helm_release: true,
            ..Default::default()
        };
        assert!(!half_flux.supports(HelmDriverKind::Flux));
        let all = DriverSupport {
            flux_helm_release: true,
            flux_helm_repository: true,
            k3s_helm_chart: true,
        };
        assert_eq!(
            all.available(),
            vec![
                HelmDriverKind::Flux,
                HelmDriverKind::K3s,
                HelmDriverKind::Job
            ]
        );
    }

    #[test]
    fn state_keys_are_their_serialized_names() {
        for s in [
            PodState::Scheduling,
            PodState::Unschedulable,
            PodState::Starting,
            PodState::Running,
            PodState::ImagePullFailed,
            PodState::OomKilled,
            PodState::CrashLooping,
            PodState::Evicted,
            PodState::Completed,
            PodState::Stopped,
            PodState::Failed,
            PodState::Unknown,
        ] {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(Value::String(s.key().to_string()))
            );
        }
    }

    #[test]
    fn unreachable_status_explains_refusal() {
        let s = ClusterStatus::Unreachable {
            since: "2026-01-01T00:00:00Z".into(),
            last_error: "connection refused".into(),
        };
        let reason = s.refusal_reason().unwrap_or_default();
        assert!(reason.contains("connection refused"));
        assert!(
            ClusterStatus::Connected { since: "x".into() }
                .refusal_reason()
                .is_none()
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["state"], "unreachable");
    }

    #[test]
    fn release_status_round_trips_helm_spelling() {
        for s in ["deployed", "superseded", "pending-upgrade", "uninstalled"] {
            assert_eq!(ReleaseStatus::parse(s).as_str(), s);
        }
        assert_eq!(ReleaseStatus::parse("weird"), ReleaseStatus::Unknown);
        assert_eq!(
            serde_json::to_value(ReleaseStatus::PendingInstall).unwrap(),
            "pending-install"
        );
    }
}
