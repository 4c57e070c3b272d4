//! `GET /api/v1/operations/{id}/events`: an operation's progress as server-sent events, so the
//! deploy page shows new log lines and the outcome as they are stored, without reloading or
//! polling. Each event is the whole [`Operation`] (status, message, the last log lines); one
//! goes out at once, then one after each change, and the stream ends after the one that shows
//! the operation finished.

use super::admin_route::{app_error_json, json_refusal};
use super::auth::CurrentUser;
use super::deploy::records;
use super::state::AppState;
use crate::domain::deploy::{OPERATION_EVENTS_ROUTE, Operation};
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sqlx::SqlitePool;
use std::time::Duration;

/// Read again at least this often, should a change come from somewhere that does not signal
/// (e.g. a test writing the row directly).
const RECHECK: Duration = Duration::from_secs(2);

/// The route; merge it into the server's router (inside the session and auth layers).
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(OPERATION_EVENTS_ROUTE, axum::routing::get(events))
}

/// Where a stream stands: the operation to send first, and the last one sent.
struct Follow {
    pool: SqlitePool,
    id: i64,
    changes: tokio::sync::watch::Receiver<u64>,
    next: Option<Operation>,
    last: Option<Operation>,
}

impl Follow {
    /// The next version of the operation to send: the first at once, then the next one that
    /// differs from what was sent. `None` when the row cannot be read any more.
    async fn next_version(&mut self) -> Option<Operation> {
        if let Some(op) = self.next.take() {
            return Some(op);
        }
        loop {
            let _ = tokio::time::timeout(RECHECK, self.changes.changed()).await;
            let op = records::get(&self.pool, self.id).await.ok()?;
            if self.last.as_ref() != Some(&op) {
                return Some(op);
            }
        }
    }
}

async fn events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    user: Option<axum::Extension<CurrentUser>>,
) -> Response {
    if let Some(r) = json_refusal(user.as_ref().map(|u| &u.0), "follow an operation") {
        return r;
    }
    // Subscribe before the first read, so no write between the two goes unseen.
    let changes = records::changes();
    let first = match records::get(&state.pool, id).await {
        Ok(op) => op,
        Err(e) => return app_error_json(&e),
    };
    let follow = Follow {
        pool: state.pool.clone(),
        id,
        changes,
        next: Some(first),
        last: None,
    };
    let stream = futures::stream::unfold(follow, |mut f| async move {
        // The stream ends after the event that showed the operation finished.
        if f.last.as_ref().is_some_and(|op| op.status.is_finished()) {
            return None;
        }
        let op = f.next_version().await?;
        let event = Event::default().event("operation").json_data(&op).ok()?;
        f.last = Some(op);
        Some((Ok::<_, std::convert::Infallible>(event), f))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
