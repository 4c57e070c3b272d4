//! Every user's server as JSON and as server-sent events (administrators): `GET
//! /api/v1/servers` and `GET /api/v1/servers/events`.

use super::auth::CurrentUser;
use super::servers::list_sized;
use super::state::AppState;
use crate::domain::servers::{ServerPage, ServerQuery};
use crate::error::AppResult;
use std::collections::HashMap;

pub use crate::domain::servers::EVENTS_PATH;

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
// EVENTS_PATH serves server-sent events: `changed` (data: a counter) at most once a second
// after users' pods or home volumes changed in the watch stores; the Servers page refetches
// its list on each.

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
