//! Cluster access: the connection to the Kubernetes API server (kubeconfig, in-cluster, or a
//! client handed over by the caller, such as the simulated cluster's), its status (connected / unreachable since, with the last
//! error), API discovery, the watch-fed stores pages read, and Helm release Secret decoding.
//!
//! Start-up calls [`ClusterHandle::connect`] (or, for the simulated cluster, which lives in the
//! separate `simcluster` crate, [`ClusterHandle::from_client`]) once; the handle is cheap to clone. A monitor
//! task probes the API server (`/version`) and re-runs discovery on reconnect; while the API
//! server is unreachable the probes back off exponentially, the last known overview and store
//! contents stay available, and [`ClusterHandle::ensure_connected`] refuses state-changing
//! actions with a readable reason.
//!
//! ```ignore
//! let cluster = ClusterHandle::connect(ClusterSelection::Auto, ClusterOptions::default()).await?;
//! cluster.stores().wait_until_ready(Duration::from_secs(10)).await;
//! let overview = cluster.overview();          // for the Cluster page
//! cluster.ensure_connected()?;                // before an install / upgrade
//! let pods = cluster.stores().pods.state();   // for the users page
//! ```

pub mod apply;
pub mod discovery;
pub mod health;
pub mod helm;
pub mod stats;
pub mod watch;

use crate::domain::cluster::{
    AccessCheck, ClusterOverview, ClusterSource, ClusterStatus, NamespacePermissions, PodHealth,
    VolumeUsage,
};
pub use apply::{FIELD_MANAGER, apply, dry_run, write};
use chrono::{SecondsFormat, Utc};
use kube::ResourceExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, watch as tokio_watch};
use tokio::task::AbortHandle;
pub use watch::{ClusterStores, ScopedStore, WatchRetry, WatchScope};

/// Which cluster to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterSelection {
    /// A kubeconfig (`KUBECONFIG` or `~/.kube/config`) or the in-cluster service account when
    /// present, else the simulated cluster.
    Auto,
    /// The simulated cluster. The app does not build it: the caller creates it and hands its
    /// client to [`ClusterHandle::from_client`] with [`ClusterSource::Simulated`].
    Demo,
    /// A kubeconfig, with an optional context (default: its current context).
    Kubeconfig(Option<String>),
    /// The service account of the pod the portal runs in.
    InCluster,
}

impl ClusterSelection {
    /// Whether this selection resolves to the simulated cluster on this machine.
    pub fn is_simulated(&self) -> bool {
        match self {
            Self::Demo => true,
            Self::Auto => !kube_config_present(),
            _ => false,
        }
    }
}

/// A kubeconfig file or an in-cluster service account is available.
pub fn kube_config_present() -> bool {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return true;
    }
    if let Some(paths) = std::env::var_os("KUBECONFIG")
        && std::env::split_paths(&paths).any(|p| p.is_file())
    {
        return true;
    }
    std::env::var_os("HOME").is_some_and(|h| PathBuf::from(h).join(".kube/config").is_file())
}

/// How to connect and what to watch.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Namespaces whose permissions discovery checks (e.g. every hub's namespace).
    pub namespaces: Vec<String>,
    /// Permissions to check per namespace (default: what hub management needs).
    pub access_checks: Vec<AccessCheck>,
    pub watch: WatchScope,
    /// Start the watch stores (off for callers that only need the client).
    pub start_watchers: bool,
    /// Probe interval while connected.
    pub probe_interval: Duration,
    /// First retry delay while unreachable; doubles up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Discovery is re-run this often while connected (and on every reconnect).
    pub rediscover_interval: Duration,
    /// How long `connect` waits for the first answer before returning an unreachable handle.
    pub connect_timeout: Duration,
    /// Timeout of one probe.
    pub probe_timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            namespaces: vec!["default".to_string()],
            access_checks: discovery::default_access_checks(),
            watch: WatchScope::default(),
            start_watchers: true,
            probe_interval: Duration::from_secs(10),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            rediscover_interval: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            probe_timeout: Duration::from_secs(5),
        }
    }
}

impl ClusterOptions {
    /// Options for tests: quick probes and short backoff.
    pub fn for_tests() -> Self {
        Self {
            probe_interval: Duration::from_millis(100),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(400),
            connect_timeout: Duration::from_secs(5),
            probe_timeout: Duration::from_secs(2),
            ..Self::default()
        }
    }
}

/// Connecting failed before any request (no usable configuration).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no usable Kubernetes configuration: {0}")]
    Config(String),
    #[error("could not build a Kubernetes client: {0}")]
    Client(String),
    /// The selection resolves to the simulated cluster, which the caller must supply.
    #[error(
        "the simulated cluster is not built here: pass its client to ClusterHandle::from_client"
    )]
    SimulatedClientRequired,
}

/// A state-changing action was refused because the cluster is not reachable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ClusterUnavailable {
    /// A sentence for the user (when, why, what still works).
    pub reason: String,
}

struct Inner {
    client: kube::Client,
    simulated: bool,
    status: tokio_watch::Sender<ClusterStatus>,
    overview: RwLock<ClusterOverview>,
    stores: Option<ClusterStores>,
    options: ClusterOptions,
    probe_now: Arc<Notify>,
    tasks: Mutex<Vec<AbortHandle>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            t.abort();
        }
    }
}

/// The portal's connection to its cluster. Clone freely; background tasks stop when the
/// last clone is dropped.
#[derive(Clone)]
pub struct ClusterHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ClusterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterHandle")
            .field("status", &self.status())
            .field("simulated", &self.is_simulated())
            .finish_non_exhaustive()
    }
}

fn now_str() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.code),
        other => {
            // The transport error chain carries the useful part (connection refused, DNS...).
            let mut msg = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                let text = s.to_string();
                if !msg.contains(&text) {
                    msg = format!("{msg}: {text}");
                }
                src = s.source();
            }
            msg
        }
    }
}

impl ClusterHandle {
    /// Connects as selected. Returns once the first probe and discovery finished or
    /// `connect_timeout` passed (then the handle starts out unreachable and keeps retrying).
    /// Fails when no configuration can be loaded, and for a selection that resolves to the
    /// simulated cluster (see [`ClusterSelection::is_simulated`]; use
    /// [`ClusterHandle::from_client`] then).
    pub async fn connect(
        selection: ClusterSelection,
        options: ClusterOptions,
    ) -> Result<Self, ClusterError> {
        let resolved = match selection {
            ClusterSelection::Auto if kube_config_present() => {
                if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
                    && std::env::var_os("KUBECONFIG").is_none()
                {
                    ClusterSelection::InCluster
                } else {
                    ClusterSelection::Kubeconfig(None)
                }
            }
            ClusterSelection::Auto => ClusterSelection::Demo,
            other => other,
        };
        match resolved {
            ClusterSelection::Demo | ClusterSelection::Auto => {
                Err(ClusterError::SimulatedClientRequired)
            }
            ClusterSelection::Kubeconfig(context) => {
                let kopts = kube::config::KubeConfigOptions {
                    context: context.clone(),
                    ..Default::default()
                };
                let config = kube::Config::from_kubeconfig(&kopts)
                    .await
                    .map_err(|e| ClusterError::Config(e.to_string()))?;
                let context_name = match context {
                    Some(c) => Some(c),
                    None => kube::config::Kubeconfig::read()
                        .ok()
                        .and_then(|k| k.current_context),
                };
                let url = config.cluster_url.to_string();
                let client = kube::Client::try_from(config)
                    .map_err(|e| ClusterError::Client(e.to_string()))?;
                Ok(Self::start(
                    client,
                    ClusterSource::Kubeconfig {
                        context: context_name,
                    },
                    url,
                    options,
                )
                .await)
            }
            ClusterSelection::InCluster => {
                let config =
                    kube::Config::incluster().map_err(|e| ClusterError::Config(e.to_string()))?;
                let url = config.cluster_url.to_string();
                let client = kube::Client::try_from(config)
                    .map_err(|e| ClusterError::Client(e.to_string()))?;
                Ok(Self::start(client, ClusterSource::InCluster, url, options).await)
            }
        }
    }

    /// Wraps a client built elsewhere: the simulated cluster's (with
    /// [`ClusterSource::Simulated`], which turns on the "Simulated cluster" banner) or one
    /// built from a custom `kube::Config`. `api_server` is what the Cluster page shows as the
    /// address (e.g. `simulated://hubfleet`).
    pub async fn from_client(
        client: kube::Client,
        source: ClusterSource,
        api_server: String,
        options: ClusterOptions,
    ) -> Self {
        Self::start(client, source, api_server, options).await
    }

    async fn start(
        client: kube::Client,
        source: ClusterSource,
        api_server: String,
        options: ClusterOptions,
    ) -> Self {
        let simulated = source == ClusterSource::Simulated;
        let (status, status_rx) = tokio_watch::channel(ClusterStatus::Connecting);
        let probe_now = Arc::new(Notify::new());
        let (stores, tasks) = if options.start_watchers {
            let retry = WatchRetry {
                min_backoff: options.min_backoff,
                max_backoff: options.max_backoff,
                status: status_rx,
            };
            let (s, t) = ClusterStores::start(&client, &options.watch, probe_now.clone(), retry);
            (Some(s), t)
        } else {
            (None, Vec::new())
        };
        let handle = Self {
            inner: Arc::new(Inner {
                client,
                simulated,
                status,
                overview: RwLock::new(ClusterOverview::empty(source, api_server)),
                stores,
                options,
                probe_now,
                tasks: Mutex::new(tasks),
            }),
        };
        let timeout = handle.inner.options.connect_timeout;
        let connected = tokio::time::timeout(timeout, handle.probe_and_discover(true))
            .await
            .unwrap_or_else(|_| Err("no answer within the connect timeout".to_string()));
        if let Err(e) = connected {
            handle.mark_unreachable(e);
        }
        let weak = Arc::downgrade(&handle.inner);
        let monitor = tokio::spawn(async move { monitor(weak).await });
        handle
            .inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(monitor.abort_handle());
        handle
    }

    /// The kube client (for drivers and one-off requests).
    pub fn client(&self) -> kube::Client {
        self.inner.client.clone()
    }

    pub fn status(&self) -> ClusterStatus {
        self.inner.status.borrow().clone()
    }

    /// Subscribes to status changes (e.g. for a live banner).
    pub fn status_changes(&self) -> tokio_watch::Receiver<ClusterStatus> {
        self.inner.status.subscribe()
    }

    /// `Ok` when the API server answered the last probe; otherwise a readable reason to show
    /// instead of performing a state-changing action.
    pub fn ensure_connected(&self) -> Result<(), ClusterUnavailable> {
        match self.status().refusal_reason() {
            None => Ok(()),
            Some(reason) => Err(ClusterUnavailable { reason }),
        }
    }

    /// The last discovery result, with `last_seen` (kept while unreachable).
    pub fn overview(&self) -> ClusterOverview {
        self.inner
            .overview
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The watch stores (absent when started with `start_watchers: false`).
    pub fn stores(&self) -> Option<&ClusterStores> {
        self.inner.stores.as_ref()
    }

    /// The watch stores once they hold their first full lists; otherwise a sentence saying
    /// why the cluster's state is not shown (unreachable, or still loading).
    pub fn ready_stores(&self) -> Result<&ClusterStores, String> {
        self.stores().filter(|s| s.is_ready()).ok_or_else(|| {
            self.status()
                .refusal_reason()
                .unwrap_or_else(|| "The cluster's state is still loading.".to_string())
        })
    }

    /// Whether the client talks to the simulated cluster (the caller said so).
    pub fn is_simulated(&self) -> bool {
        self.inner.simulated
    }

    /// Asks the monitor to probe now (e.g. after a failed request).
    pub fn probe_now(&self) {
        self.inner.probe_now.notify_one();
    }

    /// Re-runs discovery now. On failure the status turns unreachable.
    pub async fn refresh(&self) -> Result<ClusterOverview, String> {
        match self.probe_and_discover(true).await {
            Ok(()) => Ok(self.overview()),
            Err(e) => {
                self.mark_unreachable(e.clone());
                Err(e)
            }
        }
    }

    /// Waits until the status is `Connected` or the timeout passes.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut rx = self.status_changes();
        let wait = async {
            loop {
                if rx.borrow_and_update().is_connected() {
                    return true;
                }
                if rx.changed().await.is_err() {
                    return false;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.unwrap_or(false)
    }

    /// Checks the portal's permissions in a namespace now (e.g. one a new hub will use) and
    /// records the result in the overview.
    pub async fn check_permissions(&self, namespace: &str) -> Result<NamespacePermissions, String> {
        let drivers = self.overview().drivers;
        let checks: Vec<AccessCheck> = self
            .inner
            .options
            .access_checks
            .iter()
            .filter(|c| discovery::check_group_served(c, &drivers))
            .cloned()
            .collect();
        let perms = discovery::permissions(&self.inner.client, namespace, &checks)
            .await
            .map_err(|e| describe(&e))?;
        let mut o = self
            .inner
            .overview
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        match o.permissions.iter_mut().find(|p| p.namespace == namespace) {
            Some(existing) => *existing = perms.clone(),
            None => o.permissions.push(perms.clone()),
        }
        Ok(perms)
    }

    /// Space used on every mounted PVC, from the kubelets' stats summaries of the known
    /// nodes (one request per node). Unreadable nodes are skipped.
    pub async fn volume_usage(&self) -> Vec<VolumeUsage> {
        let nodes: Vec<String> = match self.stores() {
            Some(s) if s.nodes.is_ready() => s.nodes.state().iter().map(|n| n.name_any()).collect(),
            _ => self
                .overview()
                .nodes
                .iter()
                .map(|n| n.name.clone())
                .collect(),
        };
        let (usage, warnings) = stats::volume_usage(&self.inner.client, &nodes).await;
        for w in warnings {
            tracing::debug!(warning = %w, "volume usage");
        }
        usage
    }

    /// A pod's status explained, with its cached events (from the stores when running).
    pub fn pod_health(&self, pod: &k8s_openapi::api::core::v1::Pod) -> PodHealth {
        let events = match (self.stores(), pod.metadata.uid.as_deref()) {
            (Some(s), Some(uid)) => s.events_for(uid),
            _ => Vec::new(),
        };
        health::pod_health(pod, &events)
    }

    /// [`ClusterHandle::pod_health`] with the events already indexed by object
    /// ([`ClusterStores::events_by_object`]), for lists of pods.
    pub fn pod_health_indexed(
        pod: &k8s_openapi::api::core::v1::Pod,
        events: &std::collections::HashMap<String, Vec<Arc<k8s_openapi::api::core::v1::Event>>>,
    ) -> PodHealth {
        let list = pod
            .metadata
            .uid
            .as_deref()
            .and_then(|uid| events.get(uid))
            .map(Vec::as_slice)
            .unwrap_or_default();
        health::pod_health(pod, list)
    }

    /// Probes `/version`; with `discover` (or on reconnect) re-runs discovery.
    async fn probe_and_discover(&self, discover: bool) -> Result<(), String> {
        let opts = &self.inner.options;
        let version =
            tokio::time::timeout(opts.probe_timeout, self.inner.client.apiserver_version())
                .await
                .map_err(|_| "the API server did not answer in time".to_string())?
                .map_err(|e| describe(&e))?;
        let was_connected = self.status().is_connected();
        let seen = now_str();
        if discover || !was_connected {
            let found =
                discovery::discover(&self.inner.client, &opts.namespaces, &opts.access_checks)
                    .await
                    .map_err(|e| describe(&e))?;
            let mut o = self
                .inner
                .overview
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            o.server_version = Some(found.server_version);
            o.drivers = found.drivers;
            o.nodes = found.nodes;
            o.storage_classes = found.storage_classes;
            o.permissions = found.permissions;
            o.cluster_permissions = found.cluster_permissions;
            o.warnings = found.warnings;
            o.discovered_at = Some(seen.clone());
            o.last_seen = Some(seen.clone());
        } else {
            let mut o = self
                .inner
                .overview
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            o.last_seen = Some(seen.clone());
            if let Some(v) = o.server_version.as_mut() {
                v.git_version = version.git_version;
            }
        }
        if !was_connected {
            match self.status() {
                ClusterStatus::Unreachable { since, .. } => tracing::info!(
                    unreachable_since = %since,
                    "Kubernetes API server reachable again"
                ),
                _ => tracing::info!("Kubernetes API server reachable"),
            }
            self.inner
                .status
                .send_replace(ClusterStatus::Connected { since: seen });
        }
        Ok(())
    }

    fn mark_unreachable(&self, error: String) {
        let next = match self.status() {
            ClusterStatus::Unreachable { since, .. } => ClusterStatus::Unreachable {
                since,
                last_error: error,
            },
            _ => {
                tracing::warn!(error = %error, "Kubernetes API server unreachable");
                ClusterStatus::Unreachable {
                    since: now_str(),
                    last_error: error,
                }
            }
        };
        self.inner.status.send_replace(next);
    }
}

/// While the API server stays unreachable, the log repeats that it is at most this often.
const UNREACHABLE_REMINDER: Duration = Duration::from_secs(600);

/// Probes periodically; backs off while unreachable (exponentially, capped; watch errors do
/// not cut the wait short then, so the monitor is the only thing asking a dead API server);
/// rediscovers on reconnect and on schedule.
async fn monitor(weak: std::sync::Weak<Inner>) {
    // Unreachable from the start: back off from the first retry on.
    let mut backoff: Option<Duration> = weak
        .upgrade()
        .filter(|i| !i.status.borrow().is_connected())
        .map(|i| i.options.min_backoff);
    let mut last_discovery = tokio::time::Instant::now();
    let mut last_reminder = tokio::time::Instant::now();
    loop {
        let (wait, notify) = {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let wait = backoff.unwrap_or(inner.options.probe_interval);
            (wait, inner.probe_now.clone())
        };
        if backoff.is_some() {
            tokio::time::sleep(wait).await;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = notify.notified() => {}
            }
        }
        let Some(inner) = weak.upgrade() else {
            return;
        };
        let handle = ClusterHandle { inner };
        let opts = handle.inner.options.clone();
        let rediscover = last_discovery.elapsed() >= opts.rediscover_interval;
        match handle.probe_and_discover(rediscover).await {
            Ok(()) => {
                if rediscover || backoff.is_some() {
                    last_discovery = tokio::time::Instant::now();
                }
                backoff = None;
            }
            Err(e) => {
                if backoff.is_none() {
                    last_reminder = tokio::time::Instant::now();
                } else if last_reminder.elapsed() >= UNREACHABLE_REMINDER {
                    last_reminder = tokio::time::Instant::now();
                    if let ClusterStatus::Unreachable { since, .. } = handle.status() {
                        tracing::warn!(
                            unreachable_since = %since,
                            error = %e,
                            "Kubernetes API server still unreachable"
                        );
                    }
                }
                handle.mark_unreachable(e);
                backoff = Some(match backoff {
                    None => opts.min_backoff,
                    Some(b) => (b * 2).min(opts.max_backoff),
                });
            }
        }
    }
}
