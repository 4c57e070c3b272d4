//! State shared by every request: the pool, the login throttle, the password hasher, runtime
//! settings.

use super::auth::LoginThrottle;
use super::cluster::ClusterHandle;
use super::password::Hasher;
use super::proxy::TrustedProxies;
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
    /// Reverse proxies whose forwarding header names the client (`--trusted-proxies`).
    pub trusted_proxies: TrustedProxies,
    /// The first-run administrator's one-time password file, removed once it is changed.
    pub initial_password_file: Option<std::path::PathBuf>,
    /// How long a request may take before it is answered 408.
    pub request_timeout: std::time::Duration,
    /// The Helm image and chart repository of the Job driver (`--helm-image`, `--chart-repo`).
    pub helm: super::deploy::HelmSource,
    /// The key that encrypts secrets the portal reads back (hubs' API tokens).
    pub secret_key: super::secret_box::SecretKey,
    /// On the simulated cluster: where its simulated hubs' REST APIs are served
    /// (`http://127.0.0.1:<port>`; a hub at `/<namespace>/<release>/hub/api`).
    pub simulated_hubs_url: Option<String>,
    /// The token the simulated hubs accept (shown on hub pages on the simulated cluster).
    pub simulated_hub_token: String,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            allowed_origins: vec![],
            secure_cookies: false,
            session_idle_minutes: 480,
            public_url: None,
            trusted_proxies: TrustedProxies::default(),
            initial_password_file: None,
            request_timeout: std::time::Duration::from_secs(30),
            helm: super::deploy::HelmSource::default(),
            secret_key: super::secret_box::SecretKey::default(),
            simulated_hubs_url: None,
            simulated_hub_token: String::new(),
        }
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    pub throttle: Arc<LoginThrottle>,
    /// Every Argon2 run a request causes goes through this (bounded concurrency and queue).
    pub hasher: Arc<Hasher>,
    pub settings: Arc<RuntimeSettings>,
    /// The cluster connection (real or simulated); pages read its stores and status.
    pub cluster: ClusterHandle,
}
