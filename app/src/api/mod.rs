//! Server functions: thin wrappers that check the session's role and call `backend`.
//! Every one of them checks the role on the server, whatever the UI shows.

pub mod adopt;
pub mod audit;
pub mod auth;
pub mod cluster;
pub mod deploy;
pub mod home_volumes;
pub mod hubs;
pub mod me;
pub mod profiles;
pub mod servers;
pub mod tokens;
pub mod users;
pub mod values;
pub mod volumes;
