//! `hubfleet serve --cluster kubeconfig` against the simulated cluster served on loopback as an
//! external cluster (what `simcluster serve` does): the portal connects through the kubeconfig
//! file named by `KUBECONFIG` and reports a connected kubeconfig cluster on `/readyz` (to a
//! signed-in administrator: anonymous callers learn only whether it is ready).

use crate::common::raw_request;
use crate::process::{create_operator, serve, sign_in};
use simcluster::SimConfig;
use simcluster::serve::{ServeOptions, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).await.ok()?;
    Some(body)
}

#[tokio::test]
async fn portal_uses_the_simulator_as_an_external_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let served = start(ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        kubeconfig: kubeconfig.clone(),
        config: SimConfig::for_tests(),
    })
    .await
    .expect("serves");
    // An administrator to read the details with.
    create_operator(dir.path());
    let (running, addr) = serve(dir.path(), &kubeconfig, &[]).await;
    let body = get(&addr, "/readyz").await.expect("readyz answers");
    assert!(body.ends_with(r#"{"ready":true}"#), "{body}");
    let cookie = sign_in(&addr).await;
    let head = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}");
    let body = raw_request(&addr, &head, b"").await.body;
    assert!(
        body.contains("\"source\":\"kubeconfig, context hubfleet-sim\""),
        "{body}"
    );
    assert!(body.contains("\"state\":\"connected\""), "{body}");
    // The cluster is the simulator: it answers on the URL the kubeconfig names.
    assert!(
        std::fs::read_to_string(&kubeconfig)
            .unwrap()
            .contains(&served.server.url())
    );
    drop(running);
}
