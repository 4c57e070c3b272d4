//! The browser bundle: which files the pages load and how they are served.
//!
//! `cargo run -p sitebuild` writes the bundle into `pkg/<hash>/` (the hash is of everything in
//! it): `hubfleet.{js,wasm,css}`, the modules wasm-split cut out of the main one (one per lazily
//! loaded page, plus shared chunks), their JS loader and manifest, each with precompressed `.br`
//! and `.gz` siblings; `pkg/site.json` names the directory. A new build gets a new directory, so
//! everything in it is served with a year-long `immutable` cache lifetime. A site built by
//! `cargo leptos` (no `site.json`) keeps the plain `pkg/` and is revalidated on every load.

use axum::Router;
use http::HeaderValue;
use http::header::CACHE_CONTROL;
use std::path::Path;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The bundle's base name (`LeptosOptions::output_name`): `LEPTOS_OUTPUT_NAME` from
/// `.cargo/config.toml`, which also names the files `sitebuild` writes.
pub const OUTPUT_NAME: &str = env!("LEPTOS_OUTPUT_NAME");
/// Where the bundle is when no `site.json` names a hashed directory.
pub const PLAIN_PKG_DIR: &str = "pkg";

/// The bundle's directory relative to the site root (`LeptosOptions::site_pkg_dir`), from
/// `<site_root>/pkg/site.json`, when the main module it names is there (a later
/// `cargo leptos build` leaves an old `site.json` behind).
pub fn pkg_dir(site_root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(site_root.join(PLAIN_PKG_DIR).join("site.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let dir = manifest["pkg_dir"].as_str()?;
    let safe = dir
        .split('/')
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    (safe
        && site_root
            .join(dir)
            .join(format!("{OUTPUT_NAME}.wasm"))
            .is_file())
    .then(|| dir.to_string())
}

/// The bundle's routes (`/<pkg_dir>/*`), precompressed (brotli, then gzip) when the browser
/// accepts it; immutable when the directory is a hashed build.
pub fn pkg_routes<S: Clone + Send + Sync + 'static>(site_root: &Path, pkg_dir: &str) -> Router<S> {
    let cache = if pkg_dir == PLAIN_PKG_DIR {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    let files = ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new().nest_service(
        &format!("/{pkg_dir}"),
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                CACHE_CONTROL,
                HeaderValue::from_static(cache),
            ))
            .service(files),
    )
}
