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

/// Entry point of the wasm bundle: hydrates the server-rendered page. Lazily loaded pages
/// (see `ui::lazy_page`) fetch their wasm module first; once the whole page is hydrated,
/// `<body data-hydrated="true">` says so (the end-to-end tests wait for it).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let body = leptos::prelude::document().body();
    wasm_bindgen_futures::spawn_local(async move {
        let Some(body) = body else { return };
        let owner = leptos::mount::hydrate_from_async(body.clone(), App).await;
        owner.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
