//! The simulated cluster: an in-process stand-in for a Kubernetes API server with small
//! controllers, used by the demo mode (a newcomer's first start), integration tests and the
//! browser end-to-end suite. The unchanged `kube` client talks to it.
//!
//! # How it is reached
//! The core is a [`tower::Service`] ([`SimService`]) taking HTTP requests and answering them
//! like an API server; [`Simulator::client`] hands it to `kube::Client::new`, so typed `Api`s,
//! server-side apply, watchers and reflectors run exactly as against a real cluster, with no
//! sockets, ports or TLS in tests. The same service can also be served on a loopback port
//! ([`Simulator::serve_loopback`], plain HTTP) with a matching kubeconfig, for processes that
//! need a URL (a browser end-to-end run driving the real binary, `kubectl`). A service is the
//! primary form because it is deterministic, needs no free port and makes "the API server is
//! unreachable" a one-line switch ([`Simulator::set_reachable`]): calls then fail at the
//! transport level, as with a dead connection, and open watches are cut.
//!
//! # What it serves
//! Namespaces, Pods, PVCs, PVs, Secrets, ConfigMaps, Events, Services, ServiceAccounts, Jobs,
//! Deployments, Roles, RoleBindings, ClusterRoles, ClusterRoleBindings, StorageClasses, Nodes,
//! CustomResourceDefinitions (creating one serves its kind), the Flux and k3s Helm kinds (as
//! pre-installed CRDs), SelfSubjectAccessReview and SelfSubjectRulesReview. Get, list (label
//! and field selectors, `limit`/`continue`), watch (resourceVersion, bookmarks,
//! `sendInitialEvents`, 410 Gone after compaction), create, replace, merge / strategic (as
//! merge) / JSON patch, server-side apply with field managers, conflicts and `force`, dry
//! runs, delete and deletecollection with owner-reference garbage collection; discovery
//! (`/api`, `/apis`, group versions, aggregated discovery v2), `/version`, pod logs and the
//! kubelet's `stats/summary` through the node proxy.
//!
//! # Time
//! Controllers run on a simulated clock. With [`SimClock::Manual`] (tests) time moves only in
//! [`Simulator::advance`]; with [`SimClock::Realtime`] (demo) a background task advances it
//! every tick. Everything random derives from [`SimConfig::seed`].
//!
//! Production code never asks whether it talks to the simulator; only tests and the demo
//! set-up script it.

mod api;
mod config;
mod controller_state;
mod controllers;
mod events;
mod fields;
pub mod hub;
mod releases;
mod resources;
mod selectors;
mod shared;
mod state;
mod store;
mod users;
mod util;

pub mod serve;

pub use api::SimBody;
pub use config::{
    DeniedPermission, JobOutcome, NodeSpec, PreinstalledRelease, SimClock, SimConfig, SimDelays,
    SpawnOptions, StorageClassSpec, UserFailure, UserServer,
};
pub use users::{safe_slug, user_server};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{Request, Response};
use serde_json::{Value, json};
use shared::Shared;
use state::SimState;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

/// The API token the simulated hubs accept (see [`hub`]).
pub const HUB_TOKEN: &str = "simulated-hub-admin-token";

/// A simulated cluster. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Shared>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("reachable", &self.is_reachable())
            .finish_non_exhaustive()
    }
}

fn node_object(n: &NodeSpec, version: &str) -> Value {
    let cpu = util::fmt_cpu_quantity(n.cpu_millis);
    let mem = users::memory_quantity(n.memory_bytes);
    let mut labels = json!({
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "sim.standard",
    });
    for (k, v) in &n.labels {
        labels[k] = json!(v);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": n.name, "labels": labels},
        "spec": {"podCIDR": "10.42.0.0/24"},
        "status": {
            "capacity": {"cpu": cpu, "memory": mem, "pods": "110", "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": cpu, "memory": mem, "pods": "110", "ephemeral-storage": "95Gi"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure"},
                {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"},
            ],
            "nodeInfo": {
                "kubeletVersion": version, "kubeProxyVersion": version,
                "containerRuntimeVersion": "containerd://2.0.5", "osImage": "Debian GNU/Linux 13 (trixie)",
                "operatingSystem": "linux", "architecture": "amd64", "kernelVersion": "6.12.0",
            },
        },
    })
}

fn storage_class_object(s: &StorageClassSpec) -> Value {
    let mut sc = json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": s.name},
        "provisioner": s.provisioner,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
        "allowVolumeExpansion": s.allow_volume_expansion,
    });
    if s.is_default {
        sc["metadata"]["annotations"] =
            json!({"storageclass.kubernetes.io/is-default-class": "true"});
    }
    sc
}

impl Simulator {
    /// Builds and seeds a simulated cluster. With a real-time clock this must run inside a
    /// Tokio runtime (the clock is a background task).
    pub fn new(config: SimConfig) -> Self {
        let start = config.start_time.unwrap_or_else(Utc::now);
        let mut st = SimState::new(config.clone(), start, controllers::HOOKS);
        let mut namespaces = vec![
            "default".to_string(),
            "kube-system".to_string(),
            "kube-public".to_string(),
            "kube-node-lease".to_string(),
        ];
        namespaces.extend(config.namespaces.iter().cloned());
        for ns in namespaces {
            if st.store.get(state::NAMESPACES, "", &ns).is_none() {
                st.create_internal(
                    state::NAMESPACES,
                    "",
                    json!({"metadata": {"name": ns}}),
                    "kube-apiserver",
                );
            }
        }
        for n in &config.nodes {
            st.create_internal(
                state::NODES,
                "",
                node_object(n, &config.kubernetes_version),
                "kubelet",
            );
        }
        for s in &config.storage_classes {
            st.create_internal(
                state::STORAGE_CLASSES,
                "",
                storage_class_object(s),
                "kubectl",
            );
        }
        let mut crds = Vec::new();
        if config.flux {
            crds.extend(resources::flux_crds());
        }
        if config.k3s_helm_controller {
            crds.extend(resources::k3s_crds());
        }
        for crd in crds {
            st.create_internal(state::CRDS, "", crd, "kubectl");
            st.settle();
        }
        st.ctl
            .unpullable
            .extend(config.unpullable_images.iter().cloned());
        st.settle();
        for r in &config.preinstalled_releases {
            if st.store.get(state::NAMESPACES, "", &r.namespace).is_none() {
                st.create_internal(
                    state::NAMESPACES,
                    "",
                    json!({"metadata": {"name": r.namespace}}),
                    "kubectl",
                );
            }
            for _ in 0..r.revisions.max(1) {
                releases::install_now(
                    &mut st,
                    &r.name,
                    &r.namespace,
                    &r.chart_version,
                    r.values.clone(),
                );
                st.settle();
            }
            // Let the hub and proxy start.
            st.advance(
                config.delays.schedule
                    + config.delays.container_creating
                    + Duration::from_millis(1),
            );
        }
        if config.synthetic_users > 0 {
            users::synthesize(
                &mut st,
                config.synthetic_users,
                &config.synthetic_user_options,
            );
        }
        st.settle();
        let (reachable, _) = tokio::sync::watch::channel(true);
        let sim = Simulator {
            inner: Arc::new(Shared {
                state: Mutex::new(st),
                reachable,
                ticker: Mutex::new(None),
            }),
        };
        if let SimClock::Realtime { tick, speed } = config.clock
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let weak: Weak<Shared> = Arc::downgrade(&sim.inner);
            let task = handle.spawn(async move {
                let mut interval = tokio::time::interval(tick.max(Duration::from_millis(10)));
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut last = tokio::time::Instant::now();
                loop {
                    interval.tick().await;
                    let Some(inner) = weak.upgrade() else {
                        return;
                    };
                    let now = tokio::time::Instant::now();
                    let elapsed = (now - last).mul_f64(speed.max(0.0));
                    last = now;
                    Simulator { inner }.advance(elapsed);
                }
            });
            *sim.inner
                .ticker
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(task.abort_handle());
        }
        sim
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.inner.lock()
    }

    fn reachable_watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.reachable_watch()
    }

    /// The tower service answering Kubernetes API requests.
    pub fn service(&self) -> SimService {
        SimService { sim: self.clone() }
    }

    /// A `kube::Client` talking to this cluster (default namespace `default`). Must be called
    /// inside a Tokio runtime.
    pub fn client(&self) -> kube::Client {
        kube::Client::new(self.service(), "default")
    }

    /// Serves the API on `127.0.0.1:<port>` (0 = any free port) over plain HTTP, for
    /// processes that need a URL. While the simulator is unreachable the port is closed
    /// (connections are refused, as with a dead API server). The server stops when the
    /// returned handle is dropped.
    pub async fn serve_loopback(&self, port: u16) -> std::io::Result<LoopbackServer> {
        self.serve_on(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
    }

    /// Like [`Simulator::serve_loopback`], on any address (port 0 = any free port). Plain
    /// HTTP without authentication: meant for loopback.
    pub async fn serve_on(&self, addr: SocketAddr) -> std::io::Result<LoopbackServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let sim = self.clone();
        let svc_sim = self.clone();
        let svc = tower::service_fn(move |req: Request<axum::body::Body>| {
            let sim = svc_sim.clone();
            async move {
                let (parts, body) = req.into_parts();
                let bytes = api::collect_body(body).await.unwrap_or_default();
                let res = api::handle(&sim.inner, Request::from_parts(parts, bytes)).await;
                Ok::<_, Infallible>(res.map(axum::body::Body::new))
            }
        });
        let router = axum::Router::new().fallback_service(svc);
        let task = tokio::spawn(async move {
            let mut listener = Some(listener);
            let mut reachable = sim.reachable_watch();
            loop {
                while !*reachable.borrow_and_update() {
                    if reachable.changed().await.is_err() {
                        return;
                    }
                }
                let l = match listener.take() {
                    Some(l) => l,
                    None => match tokio::net::TcpListener::bind(addr).await {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::warn!(error = %e, "simulated cluster: cannot listen again");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    },
                };
                let mut cut = sim.reachable_watch();
                let shutdown = async move {
                    while *cut.borrow_and_update() {
                        if cut.changed().await.is_err() {
                            return;
                        }
                    }
                };
                if let Err(e) = axum::serve(l, router.clone())
                    .with_graceful_shutdown(shutdown)
                    .await
                {
                    tracing::warn!(error = %e, "simulated cluster listener stopped");
                }
            }
        });
        Ok(LoopbackServer { addr, task })
    }

    // ---- time and reachability ---------------------------------------------------------

    /// Simulated now.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    /// Moves simulated time forward, running every controller step that falls due.
    pub fn advance(&self, d: Duration) {
        self.lock().advance(d);
    }

    /// Makes the API server (un)reachable. While unreachable every request fails at the
    /// transport level and open watches are cut.
    pub fn set_reachable(&self, reachable: bool) {
        self.inner.reachable.send_replace(reachable);
    }

    pub fn is_reachable(&self) -> bool {
        *self.inner.reachable.borrow()
    }

    /// Forgets the watch history: resuming from any earlier resourceVersion gets 410 Gone.
    pub fn compact_history(&self) {
        self.lock().store.compact();
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.lock().store.resource_version()
    }

    // ---- user servers --------------------------------------------------------------------

    /// Starts a user's server as KubeSpawner would (PVC `claim-<user>`, pod
    /// `jupyter-<user>`); it then moves Pending -> ContainerCreating -> Running, or fails as
    /// `options.failure` says.
    pub fn spawn_user(&self, username: &str, options: SpawnOptions) -> UserServer {
        let mut st = self.lock();
        let server = users::spawn(&mut st, username, &options);
        st.settle();
        server
    }

    /// The token the simulated hubs accept (`Authorization: token <it>`), as an administrator
    /// would create it on a real hub.
    pub fn hub_token(&self) -> &'static str {
        HUB_TOKEN
    }

    /// The values of a release's deployed revision (`None`: none deployed, the hub is down).
    pub fn deployed_values(&self, namespace: &str, release: &str) -> Option<Value> {
        releases::deployed_values(&self.lock(), namespace, release)
    }

    /// The pod name of a user's default server in a namespace, if it has one.
    pub fn user_pod(&self, namespace: &str, username: &str) -> Option<String> {
        users::find_pod(&self.lock(), namespace, username).map(|(name, _)| name)
    }

    /// Serves the simulated hubs' REST API ([`hub`]) on `addr` (port 0 = any free port); a
    /// hub is at `http://<addr>/<namespace>/<release>/hub/api`. Stops when the handle drops.
    pub async fn serve_hubs(&self, addr: SocketAddr) -> std::io::Result<LoopbackServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = hub::router(self.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "simulated hubs listener stopped");
            }
        });
        Ok(LoopbackServer { addr, task })
    }

    /// Stops a user's default server (the pod goes, the home PVC stays). False when no
    /// server runs.
    pub fn stop_user(&self, namespace: &str, username: &str) -> bool {
        let mut st = self.lock();
        let Some((name, _)) = users::find_pod(&st, namespace, username) else {
            return false;
        };
        st.delete_internal(state::PODS, namespace, &name, false);
        st.settle();
        true
    }

    /// Starts a handful of example users' servers in a release, in the states an
    /// administrator meets: three healthy (`ada`, `grace`, `linus`), one whose image cannot
    /// be pulled (`ken`), one waiting for memory (`barbara`), one killed at its memory limit
    /// (`dennis`). For the demo and end-to-end tests; states settle as time advances.
    pub fn populate_example_users(&self, release: &str, namespace: &str) -> Vec<UserServer> {
        let base = SpawnOptions {
            release: release.to_string(),
            namespace: namespace.to_string(),
            ..SpawnOptions::default()
        };
        let users: [(&str, SpawnOptions); 6] = [
            ("ada", base.clone()),
            ("grace", base.clone()),
            (
                "linus",
                SpawnOptions {
                    mem_guarantee: Some("2G".into()),
                    ..base.clone()
                },
            ),
            (
                "ken",
                SpawnOptions {
                    image: "mydocker.registry.com/jupyterhub/k8s-singleuser:v2-typo".into(),
                    failure: Some(UserFailure::ImagePull),
                    ..base.clone()
                },
            ),
            (
                "barbara",
                SpawnOptions {
                    mem_guarantee: Some("64G".into()),
                    ..base.clone()
                },
            ),
            (
                "dennis",
                SpawnOptions {
                    mem_limit: Some("1G".into()),
                    failure: Some(UserFailure::OomKilled),
                    ..base
                },
            ),
        ];
        users
            .into_iter()
            .map(|(u, o)| self.spawn_user(u, o))
            .collect()
    }

    /// Makes a running server fail now (`OomKilled`, `Evicted`); `ImagePull` and
    /// `InsufficientMemory` apply when the server is next started. False when no server.
    pub fn fail_user(&self, namespace: &str, username: &str, failure: UserFailure) -> bool {
        let mut st = self.lock();
        let ok = users::fail(&mut st, namespace, username, failure);
        st.settle();
        ok
    }

    /// Makes every pull of this image fail.
    pub fn add_unpullable_image(&self, image: &str) {
        self.lock().ctl.unpullable.insert(image.to_string());
    }

    /// Bytes used on a PVC (as the kubelet's stats summary reports).
    pub fn volume_usage(&self, namespace: &str, pvc: &str) -> Option<u64> {
        self.lock()
            .ctl
            .usage
            .get(&(namespace.to_string(), pvc.to_string()))
            .copied()
    }

    pub fn set_volume_usage(&self, namespace: &str, pvc: &str, bytes: u64) {
        self.lock()
            .ctl
            .usage
            .insert((namespace.to_string(), pvc.to_string()), bytes);
    }

    // ---- jobs and releases ---------------------------------------------------------------

    /// Scripts how a (non-Helm) Job ends; the default is success.
    pub fn set_job_outcome(&self, namespace: &str, job: &str, outcome: JobOutcome) {
        self.lock()
            .ctl
            .job_outcomes
            .insert((namespace.to_string(), job.to_string()), outcome);
    }

    /// Makes the next Helm operation on this release fail with a message (any driver).
    pub fn fail_next_release(&self, release: &str, message: &str) {
        self.lock()
            .ctl
            .releases
            .fail_next
            .insert(release.to_string(), message.to_string());
    }

    /// Installs (or upgrades) a release at once, as if a Helm job had just succeeded.
    /// Returns the new revision.
    pub fn install_release(
        &self,
        name: &str,
        namespace: &str,
        chart_version: &str,
        values: Value,
    ) -> u32 {
        let mut st = self.lock();
        if st.store.get(state::NAMESPACES, "", namespace).is_none() {
            st.create_internal(
                state::NAMESPACES,
                "",
                json!({"metadata": {"name": namespace}}),
                "kubectl",
            );
        }
        let rev = releases::install_now(&mut st, name, namespace, chart_version, values);
        st.settle();
        rev
    }

    // ---- inspection ----------------------------------------------------------------------

    /// An object as stored, by `apiVersion`-less storage key (`pods`, `batch/jobs`,
    /// `helm.toolkit.fluxcd.io/helmreleases`), namespace (`""` for cluster-scoped) and name.
    pub fn object(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let key = if resource.contains('/') {
            resource.to_string()
        } else {
            format!("/{resource}")
        };
        self.lock()
            .store
            .get(&key, namespace, name)
            .map(|v| (*v).clone())
    }

    /// Number of stored objects of a resource (storage key as in [`Simulator::object`]).
    pub fn count(&self, resource: &str) -> usize {
        let key = if resource.contains('/') {
            resource.to_string()
        } else {
            format!("/{resource}")
        };
        self.lock().store.count(&key)
    }

    /// A pod's log lines.
    pub fn pod_log(&self, namespace: &str, pod: &str) -> Option<Vec<String>> {
        let st = self.lock();
        let p = st.store.get(state::PODS, namespace, pod)?;
        let uid = util::str_at(&p, "/metadata/uid").to_string();
        Some(
            st.ctl
                .logs
                .get(&uid)
                .map(|l| l.iter().map(|(_, s)| s.clone()).collect())
                .unwrap_or_default(),
        )
    }

    /// Adds a node (e.g. to let a pending pod schedule).
    pub fn add_node(&self, node: NodeSpec) {
        let mut st = self.lock();
        let version = st.config.kubernetes_version.clone();
        st.create_internal(state::NODES, "", node_object(&node, &version), "kubelet");
        st.settle();
    }
}

/// The simulated API server on a loopback port.
#[derive(Debug)]
pub struct LoopbackServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl LoopbackServer {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig pointing at this server (context `hubfleet-sim`).
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: hubfleet-sim\n  cluster:\n    server: {url}\ncontexts:\n- name: hubfleet-sim\n  context:\n    cluster: hubfleet-sim\n    user: hubfleet-sim\n    namespace: default\ncurrent-context: hubfleet-sim\nusers:\n- name: hubfleet-sim\n  user:\n    token: simulated\n",
            url = self.url()
        )
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The simulated API server as a tower service (what `kube::Client::new` takes).
#[derive(Clone, Debug)]
pub struct SimService {
    sim: Simulator,
}

impl<B> tower::Service<Request<B>> for SimService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<api::BoxError>,
{
    type Response = Response<SimBody>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let sim = self.sim.clone();
        Box::pin(async move {
            if !sim.is_reachable() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "simulated cluster unreachable: connection refused",
                ));
            }
            let (parts, body) = req.into_parts();
            let bytes = api::collect_body(body)
                .await
                .map_err(std::io::Error::other)?;
            Ok(api::handle(&sim.inner, Request::from_parts(parts, bytes)).await)
        })
    }
}
