//! "My environment" for one signed-in user: the hubs and profiles their groups allow, whether
//! each fits the cluster now, their remembered choices, and their own servers and home
//! volumes. Cluster state comes from the watch stores only (no API call per request), and
//! pods, PVCs and events are filtered to the user's own (by the `hub.jupyter.org/username`
//! annotation KubeSpawner sets, never by recomputing names) before anything is read from them.

use super::audit::{self, Actor, Change, RequestMeta};
use super::cluster::ClusterHandle;
use super::cluster::discovery::{node_info, quantity_to_u64};
use super::cluster::watch::ClusterStores;
use super::contents::{self, HubContents};
use super::db::internal;
use super::user_servers::{
    SERVERNAME_ANNOTATION, annotation, finished, home_volume, image, owned_by, request_and_limit,
    started_at,
};
use super::write::begin_write;
use super::{hub_api, hubs, server_events};
use crate::domain::environment::{HubChoices, MyEnvironment, MyServer, MyVolume, ProfileCard};
use crate::domain::fit::{NodeRoom, NodeTaint, fit};
use crate::domain::user::SessionUser;
use crate::error::{AppError, AppResult};
use crate::values::{ValuesInput, hub_default, remembered_choice};
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use sqlx::SqlitePool;
use std::collections::BTreeMap;

/// Whether a resource name is an extended resource (`domain/name`, e.g. `nvidia.com/gpu`).
fn is_extended(name: &str) -> bool {
    name.contains('/') && !name.starts_with("kubernetes.io/")
}

/// What a pod's containers request: CPU (millicores), memory (bytes) and extended resources
/// (whose request is their limit when only a limit is written).
fn pod_requests(p: &Pod) -> (u64, u64, BTreeMap<String, u64>) {
    let mut cpu = 0;
    let mut mem = 0;
    let mut extended: BTreeMap<String, u64> = BTreeMap::new();
    for c in p.spec.iter().flat_map(|s| &s.containers) {
        let req = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        let lim = c.resources.as_ref().and_then(|r| r.limits.as_ref());
        cpu += quantity_to_u64(req.and_then(|r| r.get("cpu")), 1000.0);
        mem += quantity_to_u64(req.and_then(|r| r.get("memory")), 1.0);
        let names = req.into_iter().chain(lim).flat_map(|m| m.keys());
        for name in names.filter(|n| is_extended(n)) {
            if extended.contains_key(name) {
                continue;
            }
            let q = req
                .and_then(|r| r.get(name))
                .or(lim.and_then(|l| l.get(name)));
            extended.insert(name.clone(), quantity_to_u64(q, 1.0));
        }
    }
    (cpu, mem, extended)
}

/// Each node with what the pods the portal watches request on it.
pub fn node_rooms(stores: &ClusterStores) -> Vec<NodeRoom> {
    let mut used: BTreeMap<String, (u64, u64, BTreeMap<String, u64>)> = BTreeMap::new();
    for p in stores.pods.state() {
        let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            continue;
        };
        if finished(&p) {
            continue;
        }
        let (c, m, x) = pod_requests(&p);
        let e = used.entry(node).or_default();
        e.0 += c;
        e.1 += m;
        for (name, n) in x {
            *e.2.entry(name).or_default() += n;
        }
    }
    stores
        .nodes
        .state()
        .iter()
        .map(|n| {
            let info = node_info(n);
            let (c, m, x) = used.get(&info.name).cloned().unwrap_or_default();
            let extended = n
                .status
                .as_ref()
                .and_then(|s| s.allocatable.as_ref())
                .into_iter()
                .flatten()
                .filter(|(name, _)| is_extended(name))
                .map(|(name, q)| (name.clone(), quantity_to_u64(Some(q), 1.0)))
                .collect();
            let taints = n
                .spec
                .as_ref()
                .and_then(|s| s.taints.as_ref())
                .into_iter()
                .flatten()
                .map(|t| NodeTaint {
                    key: t.key.clone(),
                    value: t.value.clone().unwrap_or_default(),
                    effect: t.effect.clone(),
                })
                .collect();
            NodeRoom {
                labels: n.labels().clone(),
                cpu_millis: info.cpu_millis,
                memory_bytes: info.memory_bytes,
                requested_cpu_millis: c,
                requested_memory_bytes: m,
                usable: info.ready && info.schedulable,
                name: info.name,
                extended,
                requested_extended: x,
                taints,
            }
        })
        .collect()
}

/// "requests 500m, limit 2" for resource `key` of the pod's first container.
fn resources_text(p: &Pod, key: &str) -> String {
    let (req, lim) = request_and_limit(p, key);
    let (req, lim) = if key == "memory" {
        (
            super::servers::memory_text(req),
            super::servers::memory_text(lim),
        )
    } else {
        (req, lim)
    };
    format!(
        "requests {}, limit {}",
        req.as_deref().unwrap_or("none"),
        lim.as_deref().unwrap_or("none")
    )
}

fn my_server(
    cluster: &ClusterHandle,
    stores: &ClusterStores,
    p: &Pod,
    hubs: &[(i64, String, String)],
) -> MyServer {
    let events = p
        .metadata
        .uid
        .as_deref()
        .map(|uid| stores.events_for(uid))
        .unwrap_or_default()
        .iter()
        .map(|e| server_events::server_event(e))
        .collect();
    MyServer {
        pod: p.name_any(),
        namespace: p.namespace().unwrap_or_default(),
        hub_id: hub_of(hubs, &p.metadata),
        server_name: annotation(&p.metadata, SERVERNAME_ANNOTATION),
        image: image(p),
        cpu: resources_text(p, "cpu"),
        memory: resources_text(p, "memory"),
        started_at: started_at(p),
        health: cluster.pod_health(p),
        events,
    }
}

/// Each hub's id, namespace and release name.
pub fn hub_keys(hubs: &[crate::domain::hub::Hub]) -> Vec<(i64, String, String)> {
    hubs.iter()
        .map(|h| (h.id, h.spec.namespace.clone(), h.spec.release_name.clone()))
        .collect()
}

/// The hub an object of a user's server belongs to: its namespace and `release` label.
pub fn hub_of(
    hubs: &[(i64, String, String)],
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Option<i64> {
    let ns = meta.namespace.as_deref().unwrap_or_default();
    let release = super::servers::release(meta);
    hubs.iter()
        .find(|(_, n, r)| n == ns && *r == release)
        .map(|(id, _, _)| *id)
}

/// "My environment" for `user`.
pub async fn load(
    pool: &SqlitePool,
    cluster: &ClusterHandle,
    user: &SessionUser,
) -> AppResult<MyEnvironment> {
    let stores = cluster.ready_stores();
    let rooms = stores.as_ref().map(|s| node_rooms(s)).unwrap_or_default();
    let mut hubs_out = Vec::new();
    let all_hubs = hubs::list(pool).await?;
    let keys = hub_keys(&all_hubs);
    for hub in all_hubs {
        let HubContents {
            hub,
            profiles,
            volumes,
        } = contents::load(pool, hub.id).await?;
        let offered: Vec<_> = profiles
            .iter()
            .filter(|p| p.spec.offered_to(&user.groups))
            .collect();
        if offered.is_empty() {
            continue;
        }
        let mine = hub_api::remembered_selection(pool, hub.id, &user.username).await?;
        let input = ValuesInput {
            hub: &hub,
            profiles: &profiles,
            volumes: &volumes,
            portal_url: None,
        };
        let own_choice = remembered_choice(&input, &user.groups, mine);
        let chosen = own_choice.or_else(|| hub_default(&input, &user.groups));
        hubs_out.push(HubChoices {
            hub_id: hub.id,
            hub_name: hub.spec.release_name.clone(),
            namespace: hub.spec.namespace.clone(),
            profiles: offered
                .iter()
                .map(|p| ProfileCard::new(p, &volumes, |r| fit(r, &rooms)))
                .collect(),
            chosen,
            chosen_by_user: own_choice.is_some(),
        });
    }
    let (servers, volumes, cluster_note) = match stores {
        Ok(s) => {
            let mut servers: Vec<MyServer> = s
                .pods
                .filter(|p| owned_by(&p.metadata, &user.username))
                .iter()
                .map(|p| my_server(cluster, s, p, &keys))
                .collect();
            servers.sort_by(|a, b| (&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)));
            let mut vols: Vec<MyVolume> = s
                .pvcs
                .filter(|c| owned_by(&c.metadata, &user.username))
                .iter()
                .map(|c| home_volume(c))
                .collect();
            vols.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            (servers, vols, None)
        }
        Err(note) => (Vec::new(), Vec::new(), Some(note)),
    };
    Ok(MyEnvironment {
        username: user.username.clone(),
        hubs: hubs_out,
        servers,
        volumes,
        cluster_note,
        timeline: server_events::timeline(pool, &user.username).await?,
    })
}

/// Remembers that `user` chose profile `profile_id` on hub `hub_id` (the hub then preselects
/// it for them), in one transaction with its audit event. The profile must be an active
/// profile of that hub the user's groups allow.
pub async fn choose(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    user: &SessionUser,
    hub_id: i64,
    profile_id: i64,
) -> AppResult<()> {
    let mut tx = begin_write(pool).await?;
    let c = contents::load_on(&mut tx, hub_id).await?;
    let Some(p) = c
        .profiles
        .iter()
        .find(|p| p.id == profile_id && p.spec.offered_to(&user.groups))
    else {
        return Err(AppError::invalid(
            "profile",
            "This profile is not one you may use on this hub: pick one of the cards shown.",
        ));
    };
    let before = hub_api::remembered_on(&mut tx, hub_id, &user.username).await?;
    if before == Some(profile_id) {
        tx.commit().await.map_err(internal)?;
        return Ok(());
    }
    hub_api::store_selection_on(&mut tx, hub_id, &user.username, profile_id).await?;
    let name_of = |id: i64| {
        c.profiles
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.spec.display_name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "selection.choose".into(),
            target_type: "hub".into(),
            target_id: hub_id.to_string(),
            target_name: c.hub.spec.release_name.clone(),
            before: before.map(|id| serde_json::json!({"profile": name_of(id), "profile_id": id})),
            after: Some(serde_json::json!({"profile": p.spec.display_name, "profile_id": p.id})),
            reason: String::new(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}
