//! Hubfleet: the Leptos application (pages, server functions) and, behind the `ssr` feature,
//! the server-side backend it calls. The `server` crate wires it into axum.

#![recursion_limit = "256"]

pub mod api;
pub mod domain;
pub mod error;
pub mod ui;
pub mod values;

#[cfg(feature = "ssr")]
pub mod backend;

pub use ui::{App, shell};

/// Entry point of the wasm bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
