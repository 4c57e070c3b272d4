//! The browser bundle: which files the pages load and how they are served.
//!
//! `cargo run -p sitebuild` writes `pkg/hubfleet.<hash>.{js,wasm,css}`, each with precompressed
//! `.br` and `.gz` siblings, and names the build in `pkg/site.json`. Those names change whenever the content does, so they are served
//! with a year-long `immutable` cache lifetime. A site built by `cargo leptos` (no `site.json`)
//! keeps the plain name `hubfleet` and is revalidated on every load instead.

use axum::Router;
use http::HeaderValue;
use http::header::CACHE_CONTROL;
use std::path::Path;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The bundle's base name when no `site.json` names a hashed one.
pub const PLAIN_OUTPUT_NAME: &str = "hubfleet";

/// The bundle's base name (`LeptosOptions::output_name`) from `<site_root>/pkg/site.json`, when
/// the module it names is there (a later `cargo leptos build` leaves an old `site.json` behind).
pub fn output_name(site_root: &Path) -> Option<String> {
    let pkg = site_root.join("pkg");
    let text = std::fs::read_to_string(pkg.join("site.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = manifest["output_name"].as_str()?;
    pkg.join(format!("{name}.wasm"))
        .is_file()
        .then(|| name.to_string())
}

/// `/pkg/*`: the bundle, precompressed (brotli, then gzip) when the browser accepts it.
pub fn pkg_routes<S: Clone + Send + Sync + 'static>(site_root: &Path, hashed: bool) -> Router<S> {
    let cache = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new().nest_service(
        "/pkg",
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                CACHE_CONTROL,
                HeaderValue::from_static(cache),
            ))
            .service(files),
    )
}
