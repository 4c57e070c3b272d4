//! `simcluster serve`: the binary serves the simulated cluster on loopback, writes a
//! kubeconfig and announces both on stdout; a kube client built from that kubeconfig file
//! (as `hubfleet serve --cluster kubeconfig` builds one) talks to it.

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_and_writes_a_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kube").join("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_simcluster"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--nodes",
            "2",
            "--kubeconfig",
        ])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .take(2)
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        lines[0].starts_with("listening on http://127.0.0.1:"),
        "{lines:?}"
    );
    assert_eq!(lines[1], format!("kubeconfig {}", path.display()));
    let url = lines[0].trim_start_matches("listening on ");

    let kubeconfig = Kubeconfig::read_from(&path).expect("kubeconfig written");
    assert_eq!(kubeconfig.current_context.as_deref(), Some("hubfleet-sim"));
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("usable kubeconfig");
    assert_eq!(config.cluster_url.to_string().trim_end_matches('/'), url);
    let client = kube::Client::try_from(config).expect("client");
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .expect("lists nodes");
    assert_eq!(nodes.items.len(), 2);
    assert!(client.apiserver_version().await.is_ok());
    drop(running);
}
