//! The history of each user's servers, kept in SQLite (`server_events`): the Kubernetes events
//! of pods that carry KubeSpawner's `hub.jupyter.org/username` annotation, copied from the
//! watch stores by a background recorder, so a user's timeline survives portal restarts and
//! the deletion of the pod. Bounded: rows older than the retention period are pruned.

use super::cluster::ClusterHandle;
use super::cluster::watch::ClusterStores;
use super::db::{self, internal};
use super::user_servers::{SERVERNAME_ANNOTATION, annotation, owner};
use crate::domain::environment::ServerEvent;
use crate::error::AppResult;
use k8s_openapi::api::core::v1::Event;
use kube::ResourceExt;
use sqlx::SqlitePool;
use std::time::Duration;

/// How often the recorder copies new events from the stores.
pub const RECORD_EVERY: Duration = Duration::from_secs(5);
/// How many events a timeline shows at most (the newest).
pub const TIMELINE_LIMIT: i64 = 200;

fn rfc3339(t: &k8s_openapi::jiff::Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(t.as_millisecond())
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// The event's last time (`lastTimestamp`, else `eventTime`, else its creation).
fn event_time(e: &Event) -> String {
    e.last_timestamp
        .as_ref()
        .map(|t| rfc3339(&t.0))
        .or_else(|| e.event_time.as_ref().map(|t| rfc3339(&t.0)))
        .or_else(|| {
            e.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| rfc3339(&t.0))
        })
        .unwrap_or_else(db::now)
}

/// An event as a user's server history shows it.
pub fn server_event(e: &Event) -> ServerEvent {
    ServerEvent {
        time: event_time(e),
        kind: e.type_.clone().unwrap_or_else(|| "Normal".into()),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
    }
}

/// One event of a user's pod, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub event_uid: String,
    pub user_name: String,
    pub server_name: String,
    pub namespace: String,
    pub pod: String,
    pub event: ServerEvent,
    pub count: i64,
}

/// The events of users' pods in the stores now.
pub fn observe(stores: &ClusterStores) -> Vec<Observed> {
    let mut out = Vec::new();
    for pod in stores.pods.state() {
        let Some(user) = owner(&pod.metadata) else {
            continue;
        };
        let Some(uid) = pod.metadata.uid.as_deref() else {
            continue;
        };
        let server = annotation(&pod.metadata, SERVERNAME_ANNOTATION);
        for e in stores.events_for(uid) {
            let Some(event_uid) = e.metadata.uid.clone() else {
                continue;
            };
            out.push(Observed {
                event_uid,
                user_name: user.clone(),
                server_name: server.clone(),
                namespace: pod.namespace().unwrap_or_default(),
                pod: pod.name_any(),
                event: server_event(&e),
                count: e.count.map(i64::from).unwrap_or(1),
            });
        }
    }
    out
}

/// Stores `events` (new ones added, repeated ones updated) in one transaction; returns how
/// many rows were added or changed.
pub async fn store(pool: &SqlitePool, events: &[Observed]) -> AppResult<u64> {
    if events.is_empty() {
        return Ok(0);
    }
    let now = db::now();
    let mut tx = pool.begin().await.map_err(internal)?;
    let mut changed = 0;
    for o in events {
        let r = sqlx::query(
            "INSERT INTO server_events (event_uid, user_name, server_name, namespace, pod,
                 occurred_at, kind, reason, message, count, recorded_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (event_uid) DO UPDATE SET
                 occurred_at = excluded.occurred_at, message = excluded.message,
                 count = excluded.count, recorded_at = excluded.recorded_at
             WHERE server_events.count <> excluded.count
                OR server_events.occurred_at <> excluded.occurred_at
                OR server_events.message <> excluded.message",
        )
        .bind(&o.event_uid)
        .bind(&o.user_name)
        .bind(&o.server_name)
        .bind(&o.namespace)
        .bind(&o.pod)
        .bind(&o.event.time)
        .bind(&o.event.kind)
        .bind(&o.event.reason)
        .bind(&o.event.message)
        .bind(o.count)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        changed += r.rows_affected();
    }
    tx.commit().await.map_err(internal)?;
    Ok(changed)
}

/// Removes events older than `retention`; returns how many.
pub async fn prune(pool: &SqlitePool, retention: Duration) -> AppResult<u64> {
    let cutoff =
        chrono::Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let cutoff = cutoff.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let r = sqlx::query("DELETE FROM server_events WHERE occurred_at < ?")
        .bind(cutoff)
        .execute(pool)
        .await
        .map_err(internal)?;
    Ok(r.rows_affected())
}

/// One entry of a user's timeline: an event and the server it was about.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct Row {
    server_name: String,
    namespace: String,
    pod: String,
    occurred_at: String,
    kind: String,
    reason: String,
    message: String,
    count: i64,
}

/// The newest events of `user_name`'s servers (at most [`TIMELINE_LIMIT`]), newest first.
pub async fn timeline(
    pool: &SqlitePool,
    user_name: &str,
) -> AppResult<Vec<crate::domain::environment::TimelineEntry>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT server_name, namespace, pod, occurred_at, kind, reason, message, count
         FROM server_events WHERE user_name = ?
         ORDER BY occurred_at DESC, id DESC LIMIT ?",
    )
    .bind(user_name)
    .bind(TIMELINE_LIMIT)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|r| crate::domain::environment::TimelineEntry {
            server_name: r.server_name,
            pod: format!("{}/{}", r.namespace, r.pod),
            count: r.count,
            event: ServerEvent {
                time: r.occurred_at,
                kind: r.kind,
                reason: r.reason,
                message: r.message,
            },
        })
        .collect())
}

/// Copies the stores' user-pod events into SQLite once (when the stores are ready).
pub async fn record_once(pool: &SqlitePool, cluster: &ClusterHandle) -> AppResult<u64> {
    match cluster.ready_stores() {
        Ok(stores) => store(pool, &observe(stores)).await,
        Err(_) => Ok(0),
    }
}

/// The background recorder: every [`RECORD_EVERY`] copies new events, and once an hour
/// prunes those older than `retention`. Errors are logged and retried on the next tick.
pub fn spawn_recorder(
    pool: SqlitePool,
    cluster: ClusterHandle,
    retention: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RECORD_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let prune_every = (3600 / RECORD_EVERY.as_secs()).max(1);
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(e) = record_once(&pool, &cluster).await {
                tracing::warn!(error = %e, "could not record server events");
            }
            if n.is_multiple_of(prune_every) {
                match prune(&pool, retention).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "pruned old server events"),
                    Err(e) => tracing::warn!(error = %e, "could not prune server events"),
                }
            }
            n = n.wrapping_add(1);
        }
    })
}
