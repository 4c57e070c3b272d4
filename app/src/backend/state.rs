//! State shared by every request: the pool, the login throttle, runtime settings.

use super::auth::LoginThrottle;
use super::cluster::ClusterHandle;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use std::sync::Arc;

/// Settings the request handlers need at run time (the server crate's config maps onto this).
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Origins (scheme://host[:port]) accepted on state-changing requests besides the request's
    /// own Host, e.g. the public URL behind a reverse proxy.
    pub allowed_origins: Vec<String>,
    /// Mark the session cookie `Secure`.
    pub secure_cookies: bool,
    /// Minutes of inactivity before a session expires.
    pub session_idle_minutes: i64,
    /// The portal's URL as hub pods reach it (`--public-url`), written into the values as
    /// `HUBFLEET_URL`; `None` when not configured.
    pub public_url: Option<String>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            allowed_origins: vec![],
            secure_cookies: false,
            session_idle_minutes: 480,
            public_url: None,
        }
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    pub throttle: Arc<LoginThrottle>,
    pub settings: Arc<RuntimeSettings>,
    /// The cluster connection (real or simulated); pages read its stores and status.
    pub cluster: ClusterHandle,
}
