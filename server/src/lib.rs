//! The Hubfleet server: configuration, start-up, the axum router and its middleware.
//! `router(state)` builds the whole HTTP surface so tests can drive it with `oneshot`.

pub mod config;
pub mod middleware;
pub mod startup;

use app::backend::{AppState, db};
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hubfleet_session";

#[derive(Clone, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _req: &http::Request<B>) -> Option<RequestId> {
        let id = app::backend::password::random_token(8);
        http::HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The whole HTTP surface of the portal.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let idle = tower_sessions::cookie::time::Duration::minutes(state.settings.session_idle_minutes);
    let sessions = SessionManagerLayer::new(SqliteStore::new(state.pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle));
    let leptos_state = state.clone();

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .leptos_routes(&leptos_state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Layers run outermost-last: request id → trace → security headers → CSRF → session → auth.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::auth_guard,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf_guard,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
        .with_state(state)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and every migration is applied.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match db::migrations_applied(&state.pool).await {
        Ok(true) => (StatusCode::OK, "ready".to_string()),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database migrations are not applied".to_string(),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}"),
        ),
    }
}
