//! What shapes a simulated cluster and how tests script it: [`SimConfig`] with its nodes,
//! storage classes, delays and denied permissions, and the options of user servers and Jobs.
//! Plain data at the bottom of the module graph.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::time::Duration;

/// How simulated time moves.
#[derive(Debug, Clone, PartialEq)]
pub enum SimClock {
    /// Only [`Simulator::advance`] moves time (tests).
    Manual,
    /// A background task advances time every `tick` of real time by `tick * speed`.
    Realtime { tick: Duration, speed: f64 },
}

/// A node of the simulated cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    pub name: String,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub labels: Vec<(String, String)>,
}

impl NodeSpec {
    pub fn new(name: &str, cpus: u64, memory_gib: u64) -> Self {
        Self {
            name: name.to_string(),
            cpu_millis: cpus * 1000,
            memory_bytes: memory_gib * 1024 * 1024 * 1024,
            labels: Vec::new(),
        }
    }
}

/// A StorageClass of the simulated cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageClassSpec {
    pub name: String,
    pub provisioner: String,
    pub allow_volume_expansion: bool,
    pub is_default: bool,
}

impl StorageClassSpec {
    pub fn new(
        name: &str,
        provisioner: &str,
        allow_volume_expansion: bool,
        is_default: bool,
    ) -> Self {
        Self {
            name: name.to_string(),
            provisioner: provisioner.to_string(),
            allow_volume_expansion,
            is_default,
        }
    }
}

/// How long simulated things take (simulated time).
#[derive(Debug, Clone, PartialEq)]
pub struct SimDelays {
    /// From pod creation to the scheduling decision.
    pub schedule: Duration,
    /// ContainerCreating (image pull, volume mount) before Running or ErrImagePull.
    pub container_creating: Duration,
    /// ErrImagePull to ImagePullBackOff.
    pub image_pull_backoff: Duration,
    /// Running to OOMKilled for servers scripted to exceed their memory limit.
    pub oom_after: Duration,
    /// Running to Evicted for servers scripted to be evicted.
    pub evict_after: Duration,
    /// A Job's pod runs this long (Jobs that are not Helm jobs).
    pub job_run: Duration,
    /// A Helm operation (Helm job, Flux HelmRelease, k3s HelmChart) takes this long.
    pub release_run: Duration,
    /// PVC provisioning.
    pub pvc_bind: Duration,
    /// PVC expansion.
    pub pvc_resize: Duration,
}

impl SimDelays {
    /// Plausible durations for the demo.
    pub fn realistic() -> Self {
        Self {
            schedule: Duration::from_millis(500),
            container_creating: Duration::from_secs(4),
            image_pull_backoff: Duration::from_secs(10),
            oom_after: Duration::from_secs(30),
            evict_after: Duration::from_secs(60),
            job_run: Duration::from_secs(8),
            release_run: Duration::from_secs(12),
            pvc_bind: Duration::from_secs(2),
            pvc_resize: Duration::from_secs(5),
        }
    }

    /// One simulated second for everything (tests).
    pub fn short() -> Self {
        let s = Duration::from_secs(1);
        Self {
            schedule: Duration::ZERO,
            container_creating: s,
            image_pull_backoff: s,
            oom_after: s,
            evict_after: s,
            job_run: s,
            release_run: s,
            pvc_bind: Duration::ZERO,
            pvc_resize: s,
        }
    }
}

/// A permission the simulated cluster refuses (for testing a restricted portal).
#[derive(Debug, Clone, PartialEq)]
pub struct DeniedPermission {
    pub verb: String,
    pub group: String,
    /// Plural resource, optionally `resource/subresource`; `*` for all.
    pub resource: String,
    /// `None` for every namespace.
    pub namespace: Option<String>,
}

/// A Helm release present when the simulator starts (as if installed earlier).
#[derive(Debug, Clone, PartialEq)]
pub struct PreinstalledRelease {
    pub name: String,
    pub namespace: String,
    pub chart_version: String,
    pub values: Value,
    /// Revisions to create (each an upgrade of the previous); at least 1.
    pub revisions: u32,
}

impl PreinstalledRelease {
    /// The demo's release that Hubfleet did not create: `legacy-hub` in namespace `legacy`,
    /// installed by hand from the original Data 8 `config.yaml` (plus an HTTPS proxy and a
    /// default URL, which Hubfleet has no form for), for trying out adoption.
    pub fn legacy() -> Self {
        Self {
            name: "legacy-hub".to_string(),
            namespace: "legacy".to_string(),
            chart_version: "4.4.0".to_string(),
            values: serde_json::json!({
                "singleuser": {
                    "image": {"name": "mydocker.registry.com/jupyterhub/k8s-singleuser", "tag": "v1"},
                    "memory": {"limit": "3G", "guarantee": "1G"},
                    "cpu": {"limit": 1.5, "guarantee": 0.5},
                    "storage": {
                        "homeMountPath": "/home/jupyter",
                        "capacity": "5G",
                        "dynamic": {"storageClass": "glusterfs"},
                        "extraVolumes": [{"name": "volume-share", "persistentVolumeClaim": {"claimName": "claim-share"}}],
                        "extraVolumeMounts": [{"name": "volume-share", "mountPath": "/mnt"}]
                    },
                    "defaultUrl": "/lab"
                },
                "proxy": {"https": {"enabled": true, "hosts": ["legacy.example.org"], "letsencrypt": {"contactEmail": "admin@example.org"}}},
                "ingress": {"enabled": true, "hosts": ["legacy.example.org"]},
                "cull": {"timeout": 7200, "every": 600}
            }),
            revisions: 2,
        }
    }
}

/// Everything that shapes a simulated cluster.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    /// Simulated time at start; `None` = the real current time.
    pub start_time: Option<DateTime<Utc>>,
    pub clock: SimClock,
    /// Reported by `/version`.
    pub kubernetes_version: String,
    pub nodes: Vec<NodeSpec>,
    pub storage_classes: Vec<StorageClassSpec>,
    /// Namespaces besides `default`, `kube-system`, `kube-public`.
    pub namespaces: Vec<String>,
    /// Serve Flux's HelmRelease / HelmRepository kinds.
    pub flux: bool,
    /// Serve the k3s helm-controller's HelmChart kind.
    pub k3s_helm_controller: bool,
    pub delays: SimDelays,
    /// Users created at start with bound home volumes (about a third with a running
    /// server), named `user00001`...; up to 10,000 for benchmarks.
    pub synthetic_users: usize,
    /// Release, namespace, image and sizes of synthetic users' servers.
    pub synthetic_user_options: SpawnOptions,
    pub preinstalled_releases: Vec<PreinstalledRelease>,
    /// Images whose pull fails (ErrImagePull, then ImagePullBackOff).
    pub unpullable_images: Vec<String>,
    pub denied: Vec<DeniedPermission>,
    /// Watch history kept (changes); older resourceVersions answer 410 Gone.
    pub history_limit: usize,
    /// Real-time interval between watch bookmarks.
    pub bookmark_interval: Duration,
    /// Revisions Helm keeps per release (`--history-max`).
    pub helm_history_max: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self::demo()
    }
}

impl SimConfig {
    /// The demo cluster: three 4-CPU / 16 GiB nodes, `standard` (default) and `glusterfs`
    /// storage classes, Flux and k3s kinds served, time following the wall clock.
    pub fn demo() -> Self {
        Self {
            seed: 42,
            start_time: None,
            clock: SimClock::Realtime {
                tick: Duration::from_millis(500),
                speed: 1.0,
            },
            kubernetes_version: "v1.34.1".to_string(),
            nodes: vec![
                NodeSpec::new("sim-node-1", 4, 16),
                NodeSpec::new("sim-node-2", 4, 16),
                NodeSpec::new("sim-node-3", 4, 16),
            ],
            storage_classes: vec![
                StorageClassSpec::new("standard", "rancher.io/local-path", true, true),
                StorageClassSpec::new("glusterfs", "kubernetes.io/glusterfs", true, false),
            ],
            namespaces: vec!["jupyterhub".to_string()],
            flux: true,
            k3s_helm_controller: true,
            delays: SimDelays::realistic(),
            synthetic_users: 0,
            synthetic_user_options: SpawnOptions::default(),
            preinstalled_releases: vec![PreinstalledRelease::legacy()],
            unpullable_images: Vec::new(),
            denied: Vec::new(),
            history_limit: 50_000,
            bookmark_interval: Duration::from_secs(30),
            helm_history_max: 10,
        }
    }

    /// A cluster for tests: manual clock at 2026-01-01T00:00:00Z, one-second delays, bookmarks
    /// every 200 ms, otherwise like [`SimConfig::demo`].
    pub fn for_tests() -> Self {
        Self {
            seed: 1,
            start_time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single(),
            clock: SimClock::Manual,
            delays: SimDelays::short(),
            bookmark_interval: Duration::from_millis(200),
            history_limit: 10_000,
            preinstalled_releases: Vec::new(),
            ..Self::demo()
        }
    }
}

/// A server failure to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFailure {
    /// The image cannot be pulled: ErrImagePull, then ImagePullBackOff.
    ImagePull,
    /// The notebook exceeds its memory limit: OOMKilled (then CrashLoopBackOff, as the pod
    /// restarts on failure).
    OomKilled,
    /// No node has enough free memory: Pending with PodScheduled=False, e.g.
    /// "0/3 nodes are available: 3 Insufficient memory.".
    InsufficientMemory,
    /// The node runs out of memory and evicts the pod (phase Failed, reason Evicted).
    Evicted,
}

/// How a user's server is started (what KubeSpawner would be configured with).
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnOptions {
    pub release: String,
    pub namespace: String,
    /// Named server (`""` for the default server).
    pub server_name: String,
    pub image: String,
    pub cpu_limit: Option<f64>,
    pub cpu_guarantee: Option<f64>,
    /// KubeSpawner spelling: bytes or `<n>K|M|G|T` (1024-based).
    pub mem_limit: Option<String>,
    pub mem_guarantee: Option<String>,
    /// Home volume size (a Kubernetes quantity); `None` = no home PVC.
    pub storage_capacity: Option<String>,
    /// `None` = the cluster's default class.
    pub storage_class: Option<String>,
    pub home_mount_path: String,
    /// Annotated on the pod as `hubfleet.io/profile` (the profile slug, as the generated values do).
    pub profile: Option<String>,
    pub failure: Option<UserFailure>,
}

impl Default for SpawnOptions {
    fn default() -> Self {
        Self {
            release: "jupyterhub".to_string(),
            namespace: "jupyterhub".to_string(),
            server_name: String::new(),
            image: "quay.io/jupyterhub/k8s-singleuser-sample:4.4.0".to_string(),
            cpu_limit: None,
            cpu_guarantee: None,
            mem_limit: None,
            mem_guarantee: Some("1G".to_string()),
            storage_capacity: Some("10Gi".to_string()),
            storage_class: None,
            home_mount_path: "/home/jovyan".to_string(),
            profile: None,
            failure: None,
        }
    }
}

/// What a spawn created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserServer {
    pub username: String,
    pub namespace: String,
    pub pod_name: String,
    pub pvc_name: Option<String>,
}

/// The scripted end of a (non-Helm) Job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Succeed,
    /// Fails; the message ends the pod log.
    Fail(String),
}
