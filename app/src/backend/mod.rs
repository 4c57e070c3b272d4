//! Server-only code (feature `ssr`): SQLite access, authentication, the audit trail.
//! Server functions in `api` stay thin and call into here.

pub mod admin_route;
pub mod adopt;
pub mod audit;
pub mod audit_export;
pub mod auth;
pub mod backup;
pub mod cluster;
pub mod contents;
pub mod context;
pub mod csp;
pub mod db;
pub mod deploy;
pub mod deploy_events;
pub mod home_volumes;
pub mod hub_api;
pub mod hub_rest;
pub mod hubs;
pub mod initial_password;
pub mod jupyterhub;
pub mod my_environment;
pub mod password;
pub mod profile_queries;
pub mod profiles;
pub mod proxy;
pub mod revert;
pub mod secret_box;
pub mod seed;
pub mod server_events;
pub mod servers;
pub mod servers_api;
pub mod shared_claims;
pub mod state;
pub mod tokens;
pub mod user_servers;
pub mod users;
pub mod values;
pub mod volumes;
pub mod write;

pub use state::AppState;
