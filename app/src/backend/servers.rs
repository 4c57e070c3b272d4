//! Every user's server for administrators: one row per server pod in the watch stores (pods
//! carrying KubeSpawner's username annotation), with its plain-language health and the home
//! PVC that carries the same user and server annotations, and a "stopped" row for each home
//! PVC without a server pod. Read from the stores only, never
//! from the API server per request; which rows to show is `domain::servers::select`.

use super::auth::CurrentUser;
use super::cluster::ClusterHandle;
use super::cluster::watch::ClusterStores;
use super::state::AppState;
use super::user_servers::{
    PROFILE_ANNOTATION, SERVERNAME_ANNOTATION, annotation, home_volume, image, owner,
    request_and_limit, server_key, started_at,
};
use crate::domain::cluster::{PodHealth, PodState};
use crate::domain::environment::MyVolume;
use crate::domain::fit::bytes_text;
use crate::domain::servers::{ServerPage, ServerQuery, ServerRow, select, select_sized};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

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

fn list_sized(cluster: &ClusterHandle, query: &ServerQuery, page_size: usize) -> ServerPage {
    match cluster.ready_stores() {
        Ok(s) => {
            // Rows are rebuilt when users' pods or volumes changed, at most once a second
            // otherwise (for their ages); requests in between filter the same build.
            let all = s.server_rows(Duration::from_secs(1), || rows(s, Utc::now()));
            let mut page = select_sized(&all, query, page_size);
            page.cluster_note = cluster.status().refusal_reason();
            page
        }
        Err(note) => ServerPage {
            cluster_note: Some(note),
            ..select(Vec::new(), query)
        },
    }
}

/// One page of the list (or, with `all`, every matching row), each row with the portal's hub
/// of its namespace and release.
pub async fn page(state: &AppState, query: &ServerQuery, all: bool) -> AppResult<ServerPage> {
    let size = if all { usize::MAX } else { query.page_size() };
    let mut page = list_sized(&state.cluster, query, size);
    let known = super::hubs::list(&state.pool).await?;
    for row in &mut page.rows {
        row.hub_id = known
            .iter()
            .find(|h| h.spec.namespace == row.namespace && h.spec.release_name == row.hub)
            .map(|h| h.id);
    }
    Ok(page)
}

/// `GET /api/v1/servers`: the Servers page's list as JSON for administrators (their session),
/// with the page's query parameters (`q`, `status`, `profile`, `node`, `namespace`, `sort`,
/// `dir`, `page`, `per_page` up to 200) and `all=true` for every matching row at once.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(API_PATH, axum::routing::get(api_list))
        .route(EVENTS_PATH, axum::routing::get(api_events))
}

pub const API_PATH: &str = "/api/v1/servers";
/// Server-sent events: `changed` (data: a counter) at most once a second after users' pods or
/// home volumes changed in the watch stores; the Servers page refetches its list on each.
pub use crate::domain::servers::EVENTS_PATH;

/// How long changes are gathered before one `changed` event goes out.
const EVENT_GATHER: std::time::Duration = std::time::Duration::from_secs(1);

/// The refusal for anyone but an administrator.
fn refused(user: Option<axum::Extension<CurrentUser>>) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    let (status, message) = match user.and_then(|axum::Extension(u)| u.active().cloned()) {
        None => (http::StatusCode::UNAUTHORIZED, "Please sign in."),
        Some(u) if !u.is_admin() => (
            http::StatusCode::FORBIDDEN,
            "Only administrators may list every user's server.",
        ),
        Some(_) => return None,
    };
    Some((status, axum::Json(serde_json::json!({ "error": message }))).into_response())
}

async fn api_events(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: Option<axum::Extension<CurrentUser>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, KeepAlive, Sse};
    if let Some(r) = refused(user) {
        return r;
    }
    let Some(stores) = state.cluster.stores() else {
        return (
            http::StatusCode::SERVICE_UNAVAILABLE,
            "No cluster is watched: there are no changes to follow.",
        )
            .into_response();
    };
    let rx = stores.server_changes();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        tokio::time::sleep(EVENT_GATHER).await;
        let n = *rx.borrow_and_update();
        let event = Event::default().event("changed").data(n.to_string());
        Some((Ok::<_, std::convert::Infallible>(event), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn api_list(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Query(params): axum::extract::Query<HashMap<String, String>>,
    user: Option<axum::Extension<CurrentUser>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Some(r) = refused(user) {
        return r;
    }
    let query = ServerQuery::from_lookup(|k| params.get(k).cloned());
    let all = params.get("all").is_some_and(|v| v == "true" || v == "1");
    match page(&state, &query, all).await {
        Ok(p) => axum::Json(p).into_response(),
        Err(e) => (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}
