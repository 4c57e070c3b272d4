//! Every user's server for administrators: one row per server pod in the watch stores (pods
//! carrying KubeSpawner's username annotation), with its plain-language health and the home
//! PVC that carries the same user and server annotations. Read from the stores only, never
//! from the API server per request; which rows to show is `domain::servers::select`.

use super::cluster::ClusterHandle;
use super::cluster::watch::ClusterStores;
use super::user_servers::{
    PROFILE_ANNOTATION, SERVERNAME_ANNOTATION, annotation, home_volume, image, owner,
    request_and_limit, server_key, started_at,
};
use crate::domain::environment::MyVolume;
use crate::domain::servers::{ServerPage, ServerQuery, ServerRow, select};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use std::collections::HashMap;

/// The release (hub) a pod belongs to: the chart's `release` label.
const RELEASE_LABEL: &str = "release";

fn row(
    cluster: &ClusterHandle,
    p: &Pod,
    user: String,
    home: Option<MyVolume>,
    now: DateTime<Utc>,
) -> ServerRow {
    let (cpu_request, cpu_limit) = request_and_limit(p, "cpu");
    let (memory_request, memory_limit) = request_and_limit(p, "memory");
    let started = started_at(p);
    let age_seconds = started
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| (now - t.with_timezone(&Utc)).num_seconds());
    ServerRow {
        user,
        server_name: annotation(&p.metadata, SERVERNAME_ANNOTATION),
        pod: p.name_any(),
        namespace: p.namespace().unwrap_or_default(),
        hub: p.labels().get(RELEASE_LABEL).cloned().unwrap_or_default(),
        profile: Some(annotation(&p.metadata, PROFILE_ANNOTATION)).filter(|v| !v.is_empty()),
        health: cluster.pod_health(p),
        image: image(p),
        cpu_request,
        cpu_limit,
        memory_request,
        memory_limit,
        started_at: started,
        age_seconds,
        home,
    }
}

/// One row per user server in `stores`, in no particular order.
pub fn rows(cluster: &ClusterHandle, stores: &ClusterStores, now: DateTime<Utc>) -> Vec<ServerRow> {
    let mut homes: HashMap<(String, String, String), MyVolume> = HashMap::new();
    for c in stores.pvcs.state() {
        if let Some(key) = server_key(&c.metadata) {
            homes.insert(key, home_volume(&c));
        }
    }
    stores
        .pods
        .state()
        .iter()
        .filter_map(|p| {
            let user = owner(&p.metadata)?;
            let home = server_key(&p.metadata).and_then(|k| homes.get(&k).cloned());
            Some(row(cluster, p, user, home, now))
        })
        .collect()
}

/// The page of servers `query` asks for. Before the stores hold their first lists (or with
/// no cluster), an empty page that says why.
pub fn list(cluster: &ClusterHandle, query: &ServerQuery) -> ServerPage {
    match cluster.stores().filter(|s| s.is_ready()) {
        Some(s) => {
            let mut page = select(rows(cluster, s, Utc::now()), query);
            page.cluster_note = cluster.status().refusal_reason();
            page
        }
        None => ServerPage {
            cluster_note: Some(
                cluster
                    .status()
                    .refusal_reason()
                    .unwrap_or_else(|| "The cluster's state is still loading.".to_string()),
            ),
            ..select(Vec::new(), query)
        },
    }
}
