//! Every user's server as JSON and as server-sent events (administrators): `GET
//! /api/v1/servers` and `GET /api/v1/servers/events`.

use super::admin_route::{app_error_json, json_refusal};
use super::auth::CurrentUser;
use super::servers::list_sized;
use super::state::AppState;
use crate::domain::hub::Hub;
use crate::domain::servers::{ServerPage, ServerQuery};
use crate::error::AppResult;
use std::collections::HashMap;

pub use crate::domain::servers::EVENTS_PATH;

/// One page of the list (or, with `all`, every matching row), each row with the portal's hub
/// of its namespace and release.
pub async fn page(state: &AppState, query: &ServerQuery, all: bool) -> AppResult<ServerPage> {
    let known = super::hubs::list(&state.pool).await?;
    Ok(page_with(state, query, all, &known))
}

fn page_with(state: &AppState, query: &ServerQuery, all: bool, known: &[Hub]) -> ServerPage {
    let size = if all { usize::MAX } else { query.page_size() };
    let mut page = list_sized(&state.cluster, query, size);
    for row in &mut page.rows {
        row.hub_id = known
            .iter()
            .find(|h| h.spec.namespace == row.namespace && h.spec.release_name == row.hub)
            .map(|h| h.id);
    }
    page
}

/// How long the whole unfiltered list, once made as JSON, answers again while users' servers
/// do not change (its ages are then up to this much behind).
const WHOLE_LIST_REUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// `GET /api/v1/servers`: the Servers page's list as JSON for administrators (their session),
/// with the page's query parameters (`q`, `status`, `profile`, `node`, `namespace`, `sort`,
/// `dir`, `page`, `per_page` up to 200) and `all=true` for every matching row at once.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(API_PATH, axum::routing::get(api_list))
        .route(EVENTS_PATH, axum::routing::get(api_events))
}

pub const API_PATH: &str = "/api/v1/servers";
// EVENTS_PATH serves server-sent events: `changed` (data: a counter) at most once a second
// after users' pods or home volumes changed in the watch stores; the Servers page refetches
// its list on each.

/// How long changes are gathered before one `changed` event goes out.
const EVENT_GATHER: std::time::Duration = std::time::Duration::from_secs(1);

/// What the refusals of these routes name.
const WHAT: &str = "list every user's server";

async fn api_events(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: Option<axum::Extension<CurrentUser>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, KeepAlive, Sse};
    if let Some(r) = json_refusal(user.as_ref().map(|u| &u.0), WHAT) {
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
    if let Some(r) = json_refusal(user.as_ref().map(|u| &u.0), WHAT) {
        return r;
    }
    let query = ServerQuery::from_lookup(|k| params.get(k).cloned());
    let all = params.get("all").is_some_and(|v| v == "true" || v == "1");
    let known = match super::hubs::list(&state.pool).await {
        Ok(k) => k,
        Err(e) => return app_error_json(&e),
    };
    let json = |page: &ServerPage| bytes::Bytes::from(serde_json::to_vec(page).unwrap_or_default());
    // The whole unfiltered list (what a dashboard or script polls) is made once per change of
    // users' servers and shared by every request until then, instead of each request copying
    // and encoding every row.
    let body = match state.cluster.ready_stores() {
        Ok(stores) if all && !query.is_filtered() => {
            let hubs: Vec<String> = known
                .iter()
                .map(|h| format!("{}={}/{}", h.id, h.spec.namespace, h.spec.release_name))
                .collect();
            let key = format!(
                "all sort={} desc={} hubs={}",
                query.sort_by().key(),
                query.descending(),
                hubs.join(",")
            );
            stores.derived(&key, WHOLE_LIST_REUSE, || {
                json(&page_with(&state, &query, true, &known))
            })
        }
        _ => json(&page_with(&state, &query, all, &known)),
    };
    ([(http::header::CONTENT_TYPE, "application/json")], body).into_response()
}
