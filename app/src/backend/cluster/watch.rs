//! In-memory stores fed by watches (kube reflectors): pods, PVCs, events, Helm release
//! Secrets and nodes, scoped by namespace and label selector. Pages read these stores, never
//! the API server per request. Each store reports readiness (its first full list arrived) and
//! metrics (objects cached, last event, errors). Watch errors are retried with kube's default
//! backoff; the last known objects stay in the store meanwhile.

use super::helm;
use crate::domain::cluster::{ReleaseRevision, StoreMetrics};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolumeClaim, Pod, Secret};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
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
    tasks: &'a mut Vec<AbortHandle>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl<K> ScopedStore<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
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
            let stream = watcher(api, config).default_backoff().inspect(move |ev| {
                let mut g = st.lock().unwrap_or_else(PoisonError::into_inner);
                match ev {
                    Ok(e) => {
                        g.last_event = Some(Utc::now());
                        if matches!(e, watcher::Event::InitDone) {
                            g.ready = true;
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
}

impl ClusterStores {
    /// Starts one watch per kind (and namespace); the returned abort handles stop them.
    /// `on_error` is notified on every watch error (the connection monitor probes then).
    pub fn start(
        client: &Client,
        scope: &WatchScope,
        on_error: Arc<Notify>,
    ) -> (Self, Vec<AbortHandle>) {
        let mut tasks = Vec::new();
        let nss = scope.namespaces.as_deref();
        macro_rules! spawn {
            ($label:expr, $field:expr) => {
                Spawn {
                    client,
                    namespaces: nss,
                    label_selector: $label,
                    field_selector: $field,
                    on_error: on_error.clone(),
                    tasks: &mut tasks,
                }
            };
        }
        let pods = ScopedStore::start(
            "pods",
            false,
            spawn!(scope.pod_selector.as_deref(), None),
            namespaced_api::<Pod>,
        );
        let pvcs = ScopedStore::start(
            "persistentvolumeclaims",
            false,
            spawn!(scope.pvc_selector.as_deref(), None),
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
            },
            tasks,
        )
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
        out.sort_by(|a, b| {
            let t = |e: &Event| {
                e.last_timestamp
                    .as_ref()
                    .map(|t| t.0)
                    .or(e.event_time.as_ref().map(|t| t.0))
            };
            t(a).cmp(&t(b))
                .then_with(|| a.name_any().cmp(&b.name_any()))
        });
        out
    }
}
