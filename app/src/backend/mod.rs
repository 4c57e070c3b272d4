//! Server-only code (feature `ssr`): SQLite access, authentication, the audit trail.
//! Server functions in `api` stay thin and call into here.

pub mod audit;
pub mod auth;
pub mod context;
pub mod db;
pub mod password;
pub mod state;
pub mod users;

pub use state::AppState;
