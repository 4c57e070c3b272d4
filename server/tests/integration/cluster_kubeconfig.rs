//! `hubfleet serve --cluster kubeconfig` against the simulated cluster served on loopback as an
//! external cluster (what `simcluster serve` does): the portal connects through the kubeconfig
//! file named by `KUBECONFIG` and reports a connected kubeconfig cluster on `/readyz` (to a
//! signed-in administrator: anonymous callers learn only whether it is ready).

use crate::common::{enc, fn_path, raw_request};
use simcluster::SimConfig;
use simcluster::serve::{ServeOptions, start};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Stops the portal when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
    let mut admin = Command::new(env!("CARGO_BIN_EXE_hubfleet"))
        .args(["admin", "create", "--username", "ops"])
        .env("HUBFLEET_DATA_DIR", dir.path().join("data"))
        .env_remove("HUBFLEET_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("admin create starts");
    {
        use std::io::Write;
        let mut stdin = admin.stdin.take().unwrap();
        stdin.write_all(b"a long operator password\n").unwrap();
    }
    assert!(admin.wait().unwrap().success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hubfleet"))
        .args([
            "serve",
            "--cluster",
            "kubeconfig",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("HUBFLEET_DATA_DIR", dir.path().join("data"))
        .env_remove("HUBFLEET_DATABASE_URL")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", dir.path())
        .env("KUBECONFIG", &kubeconfig)
        .env("HUBFLEET_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().unwrap();
    let running = Running(child);
    // The ready line names the address; keep draining the log afterwards.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("ready on http://").nth(1)
                && let Some(tx) = tx.take()
            {
                let addr: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), rx)
        .await
        .expect("hubfleet became ready")
        .expect("ready line");
    let body = get(&addr, "/readyz").await.expect("readyz answers");
    assert!(body.ends_with(r#"{"ready":true}"#), "{body}");
    let login = format!("username=ops&password={}", enc("a long operator password"));
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}",
        fn_path::<app::api::auth::Login>(),
        login.len()
    );
    let r = raw_request(&addr, &head, login.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
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
