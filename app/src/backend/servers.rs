//! Every user's server for administrators: one row per server pod in the watch stores (pods
//! carrying KubeSpawner's username annotation), with its plain-language health and the home
//! PVC that carries the same user and server annotations, and a "stopped" row for each home
//! PVC without a server pod. Read from the stores only, never
//! from the API server per request; which rows to show is `domain::servers::select`.

use super::cluster::ClusterHandle;
use super::cluster::watch::ClusterStores;
use super::user_servers::{
    PROFILE_ANNOTATION, SERVERNAME_ANNOTATION, annotation, home_volume, image, owner,
    request_and_limit, server_key, started_at,
};
use crate::domain::cluster::{PodHealth, PodState};
use crate::domain::environment::MyVolume;
use crate::domain::fit::bytes_text;
use crate::domain::servers::{ServerPage, ServerQuery, ServerRow, select};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use std::collections::HashMap;
use std::sync::Arc;

/// The release (hub) an object belongs to: the chart's `release` label.
const RELEASE_LABEL: &str = "release";

pub fn release(meta: &ObjectMeta) -> String {
    meta.labels
        .as_ref()
        .and_then(|l| l.get(RELEASE_LABEL))
        .cloned()
        .unwrap_or_default()
}

/// A memory quantity as people read it ("1073741824" → "1 GiB"); unparsable ones unchanged.
/// A memory quantity in binary units for people ("4 GiB"); unparsable ones as they are.
pub fn memory_text(q: Option<String>) -> Option<String> {
    q.map(|m| {
        clusterkit::quantity::parse(&m)
            .map(|v| bytes_text(clusterkit::quantity::to_u64(v)))
            .unwrap_or(m)
    })
}

fn row(
    events: &HashMap<String, Vec<Arc<k8s_openapi::api::core::v1::Event>>>,
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
        hub: release(&p.metadata),
        profile: Some(annotation(&p.metadata, PROFILE_ANNOTATION)).filter(|v| !v.is_empty()),
        hub_id: None,
        health: ClusterHandle::pod_health_indexed(p, events),
        image: image(p),
        cpu_request,
        cpu_limit,
        memory_request: memory_text(memory_request),
        memory_limit: memory_text(memory_limit),
        started_at: started,
        age_seconds,
        home,
    }
}

/// The row of a home volume whose server is not running.
fn stopped(c: &PersistentVolumeClaim, user: String) -> ServerRow {
    ServerRow {
        user,
        server_name: annotation(&c.metadata, SERVERNAME_ANNOTATION),
        pod: String::new(),
        namespace: c.namespace().unwrap_or_default(),
        hub: release(&c.metadata),
        profile: None,
        hub_id: None,
        health: PodHealth {
            state: PodState::Stopped,
            phase: String::new(),
            ready: false,
            detail: Some("Not running; the home volume is kept.".to_string()),
            hint: None,
            restarts: 0,
            node: None,
        },
        image: String::new(),
        cpu_request: None,
        cpu_limit: None,
        memory_request: None,
        memory_limit: None,
        started_at: None,
        age_seconds: None,
        home: Some(home_volume(c)),
    }
}

/// One row per user server in `stores` (by the pods' username annotation), and one per home
/// volume with no server pod (stopped), in no particular order.
pub fn rows(stores: &ClusterStores, now: DateTime<Utc>) -> Vec<ServerRow> {
    let events = stores.events_by_object();
    let mut homes: HashMap<(String, String, String), Arc<PersistentVolumeClaim>> = stores
        .pvcs
        .state()
        .into_iter()
        .filter_map(|c| Some((server_key(&c.metadata)?, c)))
        .collect();
    let mut out: Vec<ServerRow> = stores
        .pods
        .state()
        .iter()
        .filter_map(|p| {
            let user = owner(&p.metadata)?;
            let home = server_key(&p.metadata)
                .and_then(|k| homes.remove(&k))
                .map(|c| home_volume(&c));
            Some(row(&events, p, user, home, now))
        })
        .collect();
    out.extend(
        homes
            .values()
            .filter_map(|c| Some(stopped(c, owner(&c.metadata)?))),
    );
    out
}

/// The page of servers `query` asks for. Before the stores hold their first lists (or with
/// no cluster), an empty page that says why.
pub fn list(cluster: &ClusterHandle, query: &ServerQuery) -> ServerPage {
    list_sized(cluster, query, query.page_size())
}

pub fn list_sized(cluster: &ClusterHandle, query: &ServerQuery, page_size: usize) -> ServerPage {
    match cluster.ready_stores() {
        Ok(s) => {
            // Rows are rebuilt when users' pods or volumes changed; requests in between
            // select from the same build, with ages moved on by the time since.
            let (index, age) = s.server_index(|| rows(s, Utc::now()));
            let mut page = index.select(query, page_size, age);
            page.cluster_note = cluster.status().refusal_reason();
            page
        }
        Err(note) => ServerPage {
            cluster_note: Some(note),
            ..select(Vec::new(), query)
        },
    }
}
