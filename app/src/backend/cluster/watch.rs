//! In-memory stores fed by watches (kube reflectors): pods, PVCs, events, Helm release
//! Secrets and nodes, scoped by namespace and label selector. Pages read these stores, never
//! the API server per request. Each store reports readiness (its first full list arrived) and
//! metrics (objects cached, last event, errors). The last known objects stay in the store
//! while watches fail.
//!
//! Retrying: kube's `default_backoff()` resets on every successful stream item, and a
//! watcher yields `Event::Init` before each (re)list, so against a dead API server it never
//! grew past its first step (about one request per watch and second). Watches here retry
//! with their own exponential, capped delay that only a real list or watch event resets, and
//! while the connection monitor reports the API server unreachable they do not ask at all:
//! they wait for the monitor (the only prober then) to see it back.

use super::helm;
use crate::domain::cluster::{ClusterStatus, ReleaseRevision, StoreMetrics};
use crate::domain::servers::{ServerIndex, ServerRow};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolumeClaim, Pod, Secret};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt::Debug;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, watch as tokio_watch};
use tokio::task::AbortHandle;

/// What the stores watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchScope {
    /// Namespaces to watch (one watch per namespace and kind); `None` = all namespaces with
    /// one cluster-wide watch per kind.
    pub namespaces: Option<Vec<String>>,
    /// Label selector for pods (`None` = all pods).
    pub pod_selector: Option<String>,
    /// Label selector for PVCs.
    pub pvc_selector: Option<String>,
    /// Field selector for events (e.g. `involvedObject.kind=Pod`).
    pub event_field_selector: Option<String>,
    /// Label selector for Helm release Secrets.
    pub release_secret_selector: String,
}

impl Default for WatchScope {
    fn default() -> Self {
        Self {
            namespaces: None,
            pod_selector: None,
            pvc_selector: None,
            event_field_selector: None,
            release_secret_selector: helm::RELEASE_SECRET_SELECTOR.to_string(),
        }
    }
}

/// How failed watches retry.
#[derive(Debug, Clone)]
pub struct WatchRetry {
    /// Delay after the first failure; doubles with every further failure.
    pub min_backoff: Duration,
    /// Cap of the delay.
    pub max_backoff: Duration,
    /// The connection monitor's status: while it says unreachable, watches wait for it.
    pub status: tokio_watch::Receiver<ClusterStatus>,
}

impl WatchRetry {
    /// The delay after `failures` consecutive failures (at least one).
    pub fn delay(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(20);
        self.min_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff)
    }
}

/// Waits while the monitor reports the API server unreachable (returns at once otherwise,
/// and when the handle is gone).
async fn wait_while_unreachable(status: &mut tokio_watch::Receiver<ClusterStatus>) {
    loop {
        if !matches!(
            *status.borrow_and_update(),
            ClusterStatus::Unreachable { .. }
        ) {
            return;
        }
        if status.changed().await.is_err() {
            return;
        }
    }
}

/// A watcher stream that pauses after each error: `retry.delay(failures)`, then as long as
/// the monitor reports the API server unreachable. Only objects or a completed list reset the
/// failure count (not `Event::Init`, which the watcher yields before every list attempt).
fn with_retry<K, S>(
    stream: S,
    retry: WatchRetry,
) -> impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send
where
    K: Send + 'static,
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
{
    struct Retrying<S> {
        inner: Pin<Box<S>>,
        failures: u32,
        retry: WatchRetry,
    }
    let start = Retrying {
        inner: Box::pin(stream),
        failures: 0,
        retry,
    };
    futures::stream::unfold(start, |mut s| async move {
        if s.failures > 0 {
            tokio::time::sleep(s.retry.delay(s.failures)).await;
            wait_while_unreachable(&mut s.retry.status).await;
        }
        let item = s.inner.next().await?;
        match &item {
            Err(_) => s.failures = s.failures.saturating_add(1),
            Ok(watcher::Event::Init) => {}
            Ok(_) => s.failures = 0,
        }
        Some((item, s))
    })
}

#[derive(Debug, Default)]
struct PartState {
    ready: bool,
    last_event: Option<DateTime<Utc>>,
    errors: u64,
    last_error: Option<String>,
}

struct Part<K: Resource<DynamicType = ()> + Clone + 'static> {
    namespace: Option<String>,
    label_selector: Option<String>,
    store: Store<K>,
    state: Arc<Mutex<PartState>>,
}

/// One kind's store, possibly made of one watch per namespace.
pub struct ScopedStore<K: Resource<DynamicType = ()> + Clone + 'static> {
    name: &'static str,
    parts: Vec<Part<K>>,
}

impl<K: Resource<DynamicType = ()> + Clone + 'static> Clone for Part<K> {
    fn clone(&self) -> Self {
        Self {
            namespace: self.namespace.clone(),
            label_selector: self.label_selector.clone(),
            store: self.store.clone(),
            state: self.state.clone(),
        }
    }
}

impl<K: Resource<DynamicType = ()> + Clone + 'static> Clone for ScopedStore<K> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            parts: self.parts.clone(),
        }
    }
}

/// What a watch store needs to know to start.
struct Spawn<'a> {
    client: &'a Client,
    namespaces: Option<&'a [String]>,
    label_selector: Option<&'a str>,
    field_selector: Option<&'a str>,
    on_error: Arc<Notify>,
    retry: WatchRetry,
    tasks: &'a mut Vec<AbortHandle>,
    /// Counted up on every change this store sees (for live pages), if given.
    changes: Option<Arc<tokio_watch::Sender<u64>>>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl<K> ScopedStore<K>
where
    K: Resource<DynamicType = ()> + Slim + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    /// Starts the watches; `make_api` builds the `Api` for one namespace (or all).
    fn start(
        name: &'static str,
        cluster_scoped: bool,
        s: Spawn<'_>,
        make_api: impl Fn(&Client, Option<&str>) -> Api<K>,
    ) -> Self {
        let scopes: Vec<Option<String>> = match (cluster_scoped, s.namespaces) {
            (false, Some(nss)) => nss.iter().cloned().map(Some).collect(),
            _ => vec![None],
        };
        let mut parts = Vec::new();
        for ns in scopes {
            let api = make_api(s.client, ns.as_deref());
            let mut config = watcher::Config::default();
            if let Some(l) = s.label_selector {
                config = config.labels(l);
            }
            if let Some(f) = s.field_selector {
                config = config.fields(f);
            }
            let (reader, writer) = reflector::store();
            let state = Arc::new(Mutex::new(PartState::default()));
            let st = state.clone();
            let notify = s.on_error.clone();
            let changes = s.changes.clone();
            // Fields no page reads are dropped before caching ([`Slim`]).
            let stream = with_retry(watcher(api, config), s.retry.clone())
                .map_ok(|ev| ev.modify(Slim::slim))
                .inspect(move |ev| {
                    let mut g = st.lock().unwrap_or_else(PoisonError::into_inner);
                    match ev {
                        Ok(e) => {
                            g.last_event = Some(Utc::now());
                            if matches!(e, watcher::Event::InitDone) {
                                g.ready = true;
                            }
                            if let Some(c) = &changes {
                                c.send_modify(|n| *n = n.wrapping_add(1));
                            }
                        }
                        Err(e) => {
                            g.errors += 1;
                            g.last_error = Some(e.to_string());
                            notify.notify_one();
                        }
                    }
                });
            let task = tokio::spawn(reflector::reflector(writer, stream).for_each(|_| async {}));
            s.tasks.push(task.abort_handle());
            parts.push(Part {
                namespace: ns,
                label_selector: s.label_selector.map(str::to_string),
                store: reader,
                state,
            });
        }
        Self { name, parts }
    }

    /// Every cached object.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.parts.iter().flat_map(|p| p.store.state()).collect()
    }

    /// Cached objects matching a predicate.
    pub fn filter(&self, pred: impl Fn(&K) -> bool) -> Vec<Arc<K>> {
        self.parts
            .iter()
            .flat_map(|p| p.store.state_filter(|k| pred(k)))
            .collect()
    }

    /// One object by namespace (`None` for cluster-scoped kinds) and name.
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        let mut key = ObjectRef::<K>::new(name);
        if let Some(ns) = namespace {
            key = key.within(ns);
        }
        self.parts.iter().find_map(|p| p.store.get(&key))
    }

    /// Objects cached.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.store.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every watch delivered its first full list.
    pub fn is_ready(&self) -> bool {
        self.parts
            .iter()
            .all(|p| p.state.lock().unwrap_or_else(PoisonError::into_inner).ready)
    }

    /// Waits until every watch delivered its first full list; false if a watch task ended.
    pub async fn wait_until_ready(&self) -> bool {
        for p in &self.parts {
            if p.store.wait_until_ready().await.is_err() {
                return false;
            }
        }
        true
    }

    /// Metrics per watch.
    pub fn metrics(&self) -> Vec<StoreMetrics> {
        self.parts
            .iter()
            .map(|p| {
                let g = p.state.lock().unwrap_or_else(PoisonError::into_inner);
                StoreMetrics {
                    name: self.name.to_string(),
                    namespace: p.namespace.clone(),
                    label_selector: p.label_selector.clone(),
                    objects: p.store.len(),
                    ready: g.ready,
                    last_event: g.last_event.map(rfc3339),
                    errors: g.errors,
                    last_error: g.last_error.clone(),
                }
            })
            .collect()
    }
}

fn namespaced_api<K>(client: &Client, ns: Option<&str>) -> Api<K>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The stores pages read.
#[derive(Clone)]
pub struct ClusterStores {
    pub pods: ScopedStore<Pod>,
    pub pvcs: ScopedStore<PersistentVolumeClaim>,
    pub events: ScopedStore<Event>,
    /// Helm release Secrets (label `owner=helm`).
    pub release_secrets: ScopedStore<Secret>,
    pub nodes: ScopedStore<Node>,
    /// Counted up on every change of the pods and PVCs stores: what users' servers pages
    /// wait on to update live ([`ClusterStores::server_changes`]).
    server_changes: Arc<tokio_watch::Sender<u64>>,
    /// The last users' servers rows built ([`ClusterStores::server_index`]): the change count
    /// they were built at, when, and the rows.
    row_cache: RowCache,
    /// Answers derived from one build of the rows ([`ClusterStores::derived`]).
    derived: DerivedCache,
}

/// The key, the change count, when, and the bytes.
type DerivedCache = Arc<Mutex<Option<(String, u64, std::time::Instant, bytes::Bytes)>>>;

type RowCache = Arc<Mutex<Option<(u64, std::time::Instant, Arc<ServerIndex>)>>>;

impl ClusterStores {
    /// Starts one watch per kind (and namespace); the returned abort handles stop them.
    /// `on_error` is notified on every watch error (the connection monitor probes then, unless
    /// it already knows the API server is down); `retry` says how failed watches retry.
    pub fn start(
        client: &Client,
        scope: &WatchScope,
        on_error: Arc<Notify>,
        retry: WatchRetry,
    ) -> (Self, Vec<AbortHandle>) {
        let mut tasks = Vec::new();
        let nss = scope.namespaces.as_deref();
        let server_changes = Arc::new(tokio_watch::channel(0u64).0);
        macro_rules! spawn {
            ($label:expr, $field:expr) => {
                spawn!($label, $field, None)
            };
            ($label:expr, $field:expr, $changes:expr) => {
                Spawn {
                    client,
                    namespaces: nss,
                    label_selector: $label,
                    field_selector: $field,
                    on_error: on_error.clone(),
                    retry: retry.clone(),
                    tasks: &mut tasks,
                    changes: $changes,
                }
            };
        }
        let pods = ScopedStore::start(
            "pods",
            false,
            spawn!(
                scope.pod_selector.as_deref(),
                None,
                Some(server_changes.clone())
            ),
            namespaced_api::<Pod>,
        );
        let pvcs = ScopedStore::start(
            "persistentvolumeclaims",
            false,
            spawn!(
                scope.pvc_selector.as_deref(),
                None,
                Some(server_changes.clone())
            ),
            namespaced_api::<PersistentVolumeClaim>,
        );
        let events = ScopedStore::start(
            "events",
            false,
            spawn!(None, scope.event_field_selector.as_deref()),
            namespaced_api::<Event>,
        );
        let release_secrets = ScopedStore::start(
            "helm release secrets",
            false,
            spawn!(Some(scope.release_secret_selector.as_str()), None),
            namespaced_api::<Secret>,
        );
        let nodes = ScopedStore::start("nodes", true, spawn!(None, None), |c, _| {
            Api::<Node>::all(c.clone())
        });
        (
            Self {
                pods,
                pvcs,
                events,
                release_secrets,
                nodes,
                server_changes,
                row_cache: RowCache::default(),
                derived: Arc::default(),
            },
            tasks,
        )
    }

    /// A receiver that sees a new number after every change of users' pods and PVCs.
    pub fn server_changes(&self) -> tokio_watch::Receiver<u64> {
        self.server_changes.subscribe()
    }

    /// Every store delivered its first full list.
    pub fn is_ready(&self) -> bool {
        self.pods.is_ready()
            && self.pvcs.is_ready()
            && self.events.is_ready()
            && self.release_secrets.is_ready()
            && self.nodes.is_ready()
    }

    /// Waits for every store's first full list, at most `timeout`. True when ready.
    pub async fn wait_until_ready(&self, timeout: Duration) -> bool {
        let all = async {
            self.pods.wait_until_ready().await
                && self.pvcs.wait_until_ready().await
                && self.events.wait_until_ready().await
                && self.release_secrets.wait_until_ready().await
                && self.nodes.wait_until_ready().await
        };
        tokio::time::timeout(timeout, all).await.unwrap_or(false)
    }

    /// Metrics of every watch.
    pub fn metrics(&self) -> Vec<StoreMetrics> {
        let mut out = self.pods.metrics();
        out.extend(self.pvcs.metrics());
        out.extend(self.events.metrics());
        out.extend(self.release_secrets.metrics());
        out.extend(self.nodes.metrics());
        out
    }

    /// `helm ls --all -A` from the cached release Secrets.
    pub fn releases(&self) -> Vec<ReleaseRevision> {
        let secrets = self.release_secrets.state();
        helm::latest_releases(secrets.iter().map(|s| s.as_ref()))
    }

    /// `helm history` of one release from the cached release Secrets, newest first.
    pub fn release_history(&self, namespace: &str, release: &str) -> Vec<ReleaseRevision> {
        let secrets = self.release_secrets.state();
        helm::history(secrets.iter().map(|s| s.as_ref()), release, namespace)
    }

    /// Cached events about one object (by uid), oldest first.
    pub fn events_for(&self, uid: &str) -> Vec<Arc<Event>> {
        let mut out = self
            .events
            .filter(|e| e.involved_object.uid.as_deref() == Some(uid));
        sort_events(&mut out);
        out
    }

    /// Every cached event by the uid of the object it is about, each list oldest first: one
    /// pass over the events for a whole list of pods (asking [`ClusterStores::events_for`] per
    /// pod scans every event each time).
    pub fn events_by_object(&self) -> HashMap<String, Vec<Arc<Event>>> {
        let mut out: HashMap<String, Vec<Arc<Event>>> = HashMap::new();
        for e in self.events.state() {
            if let Some(uid) = e.involved_object.uid.clone() {
                out.entry(uid).or_default().push(e);
            }
        }
        for list in out.values_mut() {
            sort_events(list);
        }
        out
    }

    /// Users' servers rows, rebuilt by `build` only when the pods or PVCs changed since the
    /// last build: every page and API call in between shares one build. With the rows, how
    /// long ago they were built in seconds (their ages are that much older now).
    pub fn server_index(&self, build: impl FnOnce() -> Vec<ServerRow>) -> (Arc<ServerIndex>, i64) {
        let version = *self.server_changes.borrow();
        let mut cache = self
            .row_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((v, at, index)) = cache.as_ref()
            && *v == version
        {
            let age = i64::try_from(at.elapsed().as_secs()).unwrap_or(i64::MAX);
            return (Arc::clone(index), age);
        }
        let index = Arc::new(ServerIndex::new(build()));
        *cache = Some((version, std::time::Instant::now(), index.clone()));
        (index, 0)
    }

    /// An answer made from users' servers (e.g. the whole list as JSON), kept while the pods
    /// and PVCs do not change and for at most `max_age`, for the same `key` (what else it
    /// depends on): concurrent askers share one copy instead of each making its own.
    pub fn derived(
        &self,
        key: &str,
        max_age: Duration,
        make: impl FnOnce() -> bytes::Bytes,
    ) -> bytes::Bytes {
        let version = *self.server_changes.borrow();
        let mut cache = self.derived.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((k, v, at, body)) = cache.as_ref()
            && k == key
            && *v == version
            && at.elapsed() < max_age
        {
            return body.clone();
        }
        let body = make();
        *cache = Some((
            key.to_string(),
            version,
            std::time::Instant::now(),
            body.clone(),
        ));
        body
    }
}

/// Drops what no page reads from a watched object before it is cached: for every kind the
/// field managers' records and kubectl's copy of the last applied object (most of a small
/// object); for pods and nodes also the large parts of their spec and status no page shows.
pub trait Slim: Resource {
    fn slim(&mut self) {
        slim_meta(self.meta_mut());
    }
}

/// Pages read a pod's labels and annotations, its containers' image and resources, its node,
/// and its status (phase, conditions, container states, start time): KubeSpawner's pods also
/// carry a dozen environment variables, volumes and mounts, probes and security settings,
/// which go.
impl Slim for Pod {
    fn slim(&mut self) {
        slim_meta(self.meta_mut());
        keep_read_metadata(self.meta_mut());
        if let Some(spec) = self.spec.as_mut() {
            spec.volumes = None;
            spec.affinity = None;
            spec.tolerations = None;
            spec.security_context = None;
            spec.host_aliases = None;
            spec.readiness_gates = None;
            for c in spec
                .containers
                .iter_mut()
                .chain(spec.init_containers.iter_mut().flatten())
            {
                c.env = None;
                c.env_from = None;
                c.volume_mounts = None;
                c.command = None;
                c.args = None;
                c.lifecycle = None;
                c.liveness_probe = None;
                c.readiness_probe = None;
                c.startup_probe = None;
                c.security_context = None;
                c.ports = None;
            }
        }
        if let Some(status) = self.status.as_mut() {
            status.pod_ips = None;
            status.host_ips = None;
        }
    }
}

/// Nodes keep their labels, taints, capacity, allocatable and conditions; the list of images
/// each holds (often dozens of long names) and the attached volumes go.
impl Slim for Node {
    fn slim(&mut self) {
        slim_meta(self.meta_mut());
        if let Some(status) = self.status.as_mut() {
            status.images = None;
            status.volumes_attached = None;
            status.volumes_in_use = None;
        }
    }
}

fn slim_meta(meta: &mut kube::api::ObjectMeta) {
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// The labels and annotations pages read from users' pods and volumes (KubeSpawner's user and
/// server, the portal's profile, the chart's release and component); the rest go, with the
/// finalizers and owner references.
const LABELS_READ: &[&str] = &["release", "component", "app"];
const ANNOTATIONS_READ: &[&str] = &[
    crate::backend::user_servers::USERNAME_ANNOTATION,
    crate::backend::user_servers::SERVERNAME_ANNOTATION,
    crate::backend::user_servers::PROFILE_ANNOTATION,
];

fn keep_read_metadata(meta: &mut kube::api::ObjectMeta) {
    if let Some(l) = meta.labels.as_mut() {
        l.retain(|k, _| LABELS_READ.contains(&k.as_str()));
    }
    if let Some(a) = meta.annotations.as_mut() {
        a.retain(|k, _| ANNOTATIONS_READ.contains(&k.as_str()));
    }
    meta.finalizers = None;
    meta.owner_references = None;
}

/// Claims keep their spec and status whole (sizes, class, access modes, phase, conditions).
impl Slim for PersistentVolumeClaim {
    fn slim(&mut self) {
        slim_meta(self.meta_mut());
        keep_read_metadata(self.meta_mut());
    }
}
impl Slim for Event {}
impl Slim for Secret {}

/// Oldest first (last timestamp, else event time), then by name.
fn sort_events(list: &mut [Arc<Event>]) {
    list.sort_by(|a, b| {
        let t = |e: &Event| {
            e.last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or(e.event_time.as_ref().map(|t| t.0))
        };
        t(a).cmp(&t(b))
            .then_with(|| a.name_any().cmp(&b.name_any()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_up_to_the_cap() {
        let (_tx, status) = tokio_watch::channel(ClusterStatus::Connecting);
        let retry = WatchRetry {
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            status,
        };
        let delays: Vec<u64> = [1, 2, 3, 4, 8, 200]
            .iter()
            .map(|&n| u64::try_from(retry.delay(n).as_millis()).unwrap_or(u64::MAX))
            .collect();
        assert_eq!(delays, vec![500, 1_000, 2_000, 4_000, 60_000, 60_000]);
    }

    /// A KubeSpawner pod keeps what the pages read (user, server and profile annotations, the
    /// release label, image, resources, node, status) and loses the rest.
    #[test]
    fn slimming_keeps_what_pages_read() {
        let mut pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": "jupyter-ada", "namespace": "jhub",
                "labels": {"release": "course", "component": "singleuser-server", "chart": "jupyterhub-4.4.0", "hub.jupyter.org/servername": ""},
                "annotations": {
                    "hub.jupyter.org/username": "ada", "hub.jupyter.org/servername": "",
                    "hubfleet.io/profile": "Data science",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    "cni.projectcalico.org/podIP": "10.0.0.1/32"
                },
                "finalizers": ["x"],
                "managedFields": [{"manager": "kubespawner"}]
            },
            "spec": {
                "nodeName": "node-a",
                "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-ada"}}],
                "containers": [{
                    "name": "notebook", "image": "jupyter/scipy-notebook:2024",
                    "env": [{"name": "JUPYTERHUB_API_TOKEN", "value": "secret"}],
                    "volumeMounts": [{"name": "home", "mountPath": "/home/jovyan"}],
                    "resources": {"requests": {"memory": "1G"}, "limits": {"memory": "2G"}}
                }]
            },
            "status": {"phase": "Running", "startTime": "2026-12-06T00:00:00Z", "podIPs": [{"ip": "10.0.0.1"}]}
        }))
        .unwrap();
        pod.slim();
        let meta = &pod.metadata;
        assert_eq!(
            meta.labels.as_ref().unwrap().keys().collect::<Vec<_>>(),
            ["component", "release"]
        );
        assert_eq!(
            meta.annotations
                .as_ref()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            [
                "hub.jupyter.org/servername",
                "hub.jupyter.org/username",
                "hubfleet.io/profile"
            ]
        );
        assert!(meta.managed_fields.is_none() && meta.finalizers.is_none());
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.node_name.as_deref(), Some("node-a"));
        assert!(spec.volumes.is_none());
        let c = &spec.containers[0];
        assert_eq!(c.image.as_deref(), Some("jupyter/scipy-notebook:2024"));
        assert!(c.env.is_none() && c.volume_mounts.is_none());
        assert_eq!(
            crate::backend::user_servers::request_and_limit(&pod, "memory"),
            (Some("1G".into()), Some("2G".into()))
        );
        let status = pod.status.as_ref().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert!(status.start_time.is_some() && status.pod_ips.is_none());
    }
}
