//! The browser bundle as sitebuild lays it out: the page names the files in the content-hashed
//! directory `pkg/site.json` names, they are sent precompressed with an immutable cache lifetime,
//! and every response carries each security header once.

use crate::common::TestApp;
use axum::body::Body;
use http::{Request, StatusCode, header};

const DIR: &str = "pkg/0123456789abcdef";
const NAME: &str = "hubfleet";

fn site_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let bundle = root.path().join(DIR);
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(
        root.path().join("pkg/site.json"),
        format!(r#"{{"pkg_dir": "{DIR}", "output_name": "{NAME}", "files": []}}"#),
    )
    .unwrap();
    std::fs::write(bundle.join(format!("{NAME}.wasm")), b"\0asm raw").unwrap();
    std::fs::write(bundle.join(format!("{NAME}.wasm.br")), b"brotli bytes").unwrap();
    std::fs::write(bundle.join(format!("{NAME}.wasm.gz")), b"gzip bytes").unwrap();
    std::fs::write(bundle.join("chunk_1.wasm"), b"\0asm chunk").unwrap();
    root
}

#[tokio::test]
async fn hashed_bundle_is_named_compressed_and_cached_for_good() {
    let root = site_root();
    let path = root.path().to_string_lossy().into_owned();
    let app = TestApp::with_opts(|o| o.site_root = path).await;

    let login = app.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(
        login.body.contains(&format!("/{DIR}/{NAME}.js")),
        "{}",
        login.body
    );
    assert!(
        login.body.contains(&format!("/{DIR}/{NAME}.css")),
        "{}",
        login.body
    );
    assert_eq!(
        login
            .headers
            .get_all("x-content-type-options")
            .iter()
            .count(),
        1
    );

    let wasm = app
        .send(
            Request::get(format!("/{DIR}/{NAME}.wasm"))
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::ACCEPT_ENCODING, "gzip, br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(wasm.body, "brotli bytes");
    assert_eq!(
        wasm.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        wasm.headers
            .get_all("x-content-type-options")
            .iter()
            .count(),
        1
    );

    let plain = app.get(&format!("/{DIR}/{NAME}.wasm"), None).await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.body, "\0asm raw");

    // Split-off modules live beside it, equally immutable.
    let chunk = app.get(&format!("/{DIR}/chunk_1.wasm"), None).await;
    assert_eq!(chunk.status, StatusCode::OK);
    assert_eq!(
        chunk.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn a_manifest_naming_a_directory_outside_pkg_is_ignored() {
    let root = site_root();
    std::fs::write(
        root.path().join("pkg/site.json"),
        r#"{"pkg_dir": "../etc", "output_name": "hubfleet", "files": []}"#,
    )
    .unwrap();
    let path = root.path().to_string_lossy().into_owned();
    let app = TestApp::with_opts(|o| o.site_root = path).await;
    let login = app.get("/login", None).await;
    assert!(login.body.contains("/pkg/hubfleet.css"), "{}", login.body);
}

#[tokio::test]
async fn a_site_without_manifest_keeps_plain_names_and_revalidates() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("pkg")).unwrap();
    std::fs::write(root.path().join("pkg/hubfleet.wasm"), b"\0asm").unwrap();
    let path = root.path().to_string_lossy().into_owned();
    let app = TestApp::with_opts(|o| o.site_root = path).await;
    let login = app.get("/login", None).await;
    assert!(login.body.contains("/pkg/hubfleet.css"), "{}", login.body);
    let wasm = app.get("/pkg/hubfleet.wasm", None).await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.headers[header::CACHE_CONTROL], "no-cache");
}
