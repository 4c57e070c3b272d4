//! Plain types and validation shared by the browser (wasm) and the server.
//!
//! Nothing here does I/O: every function is pure so the same code checks a form as the user
//! types and again on the server before anything is written.

pub mod access;
pub mod adopt;
pub mod audit;
pub mod choices;
pub mod cluster;
pub mod deploy;
pub mod environment;
pub mod extra_values;
pub mod field;
pub mod fit;
pub mod hub;
pub mod hub_rest;
pub mod image;
pub mod lifetime;
pub mod mount;
pub mod profile;
pub mod quantity;
pub mod scheduling;
pub mod servers;
pub mod user;
pub mod validate;
pub mod volume;

pub use field::{FieldError, FieldErrors};
