//! The Hubfleet server: configuration, start-up, the axum router and its middleware.
//! `router(state)` builds the whole HTTP surface so tests can drive it with `oneshot`.

pub mod config;
pub mod data_lock;
pub mod healthcheck;
pub mod metrics;
pub mod middleware;
pub mod site;
pub mod startup;

use app::backend::auth::CurrentUser;
use app::backend::{AppState, db};
use app::{App, shell};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use http::StatusCode;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hubfleet_session";

/// The app's routes, generated once per process.
///
/// Generating them renders the app with resource loading switched off through a process-wide
/// flag (leptos_server's `SuppressResourceLoad`). Generating them again while another router in
/// the same process renders a page makes that page's resources wait forever: the hang seen when
/// many server tests shared one process. Once per process, no render can overlap it: every
/// router, and so every render, waits for this.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The paths of the app's pages (e.g. `/hubs/:id`), as the router serves them.
pub fn page_paths() -> Vec<String> {
    app_routes().iter().map(|r| r.path().to_string()).collect()
}

/// The whole HTTP surface of the portal, with `/metrics` closed (no token).
pub fn router(state: AppState) -> Router {
    router_with_metrics(state, metrics::Metrics::new(None))
}

/// The whole HTTP surface of the portal, counting requests into `metrics`.
pub fn router_with_metrics(state: AppState, metrics: Arc<metrics::Metrics>) -> Router {
    let routes = app_routes();
    let idle = tower_sessions::cookie::time::Duration::minutes(state.settings.session_idle_minutes);
    let sessions = SessionManagerLayer::new(SqliteStore::new(state.pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle));
    let leptos_state = state.clone();
    let site_root = std::path::Path::new(&*state.leptos_options.site_root);

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::guarded))
        .merge(app::backend::audit_export::routes())
        .merge(app::backend::hub_api::routes())
        .merge(app::backend::servers_api::routes())
        .merge(app::backend::deploy_events::routes())
        .merge(site::pkg_routes(
            site_root,
            &state.leptos_options.site_pkg_dir,
        ))
        .leptos_routes(&leptos_state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Layers run outermost-last: request id → trace → metrics → timeout → security headers
        // → body limit → client address → CSRF → session → auth.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::auth_guard,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::client_addr,
        ))
        .layer(axum::middleware::from_fn(middleware::body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_timeout,
        ))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::Extension(metrics))
        .layer(
            // Every line logged while a request is handled carries its id (the span); the
            // access line itself is written by `metrics::track`.
            TraceLayer::new_for_http()
                .make_span_with(middleware::request_span)
                .on_request(())
                .on_response(())
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and every migration is applied. Anyone gets
/// `{"ready": true|false}`; a signed-in administrator also gets the database's state, the
/// cluster connection and the watch stores. An unreachable cluster does not make the portal
/// unready, since it keeps serving the last known state.
async fn readyz(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
) -> impl IntoResponse {
    let database = match db::migrations_applied(&state.pool).await {
        Ok(true) => Ok("ok".to_string()),
        Ok(false) => Err("database migrations are not applied".to_string()),
        Err(e) => Err(format!("database unreachable: {e}")),
    };
    let code = if database.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let admin = user.is_some_and(|Extension(u)| u.active().is_some_and(|u| u.is_admin()));
    if !admin {
        return (
            code,
            axum::Json(serde_json::json!({ "ready": database.is_ok() })),
        );
    }
    let cluster = &state.cluster;
    let stores = cluster.stores();
    let body = serde_json::json!({
        "ready": database.is_ok(),
        "database": match &database { Ok(s) | Err(s) => s },
        "cluster": {
            "source": cluster.overview().source.label(),
            "status": cluster.status(),
            "stores_ready": stores.map(|s| s.is_ready()),
            "stores": stores.map(|s| s.metrics()).unwrap_or_default(),
        },
    });
    (code, axum::Json(body))
}
