//! The simulated cluster served on a loopback port (for processes that need a URL, like the
//! browser end-to-end run and kubectl), and its real-time clock.

use app::backend::cluster::sim::{SimClock, SimConfig, Simulator, SpawnOptions};
use app::backend::cluster::{ClusterHandle, ClusterOptions};
use app::domain::cluster::ClusterSource;
use futures::TryStreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::ResourceExt;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::time::Duration;

#[tokio::test]
async fn kube_client_over_loopback_http() {
    let sim = Simulator::new(SimConfig::for_tests());
    let server = sim.serve_loopback(0).await.expect("listens");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let kubeconfig = Kubeconfig::from_yaml(&server.kubeconfig_yaml()).expect("valid kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let cluster = ClusterHandle::from_client(
        client.clone(),
        ClusterSource::Kubeconfig {
            context: Some("hubfleet-sim".into()),
        },
        server.url(),
        ClusterOptions::for_tests(),
    )
    .await;
    assert!(cluster.status().is_connected());
    assert_eq!(cluster.overview().nodes.len(), 3);

    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let c = api
        .create(
            &PostParams::default(),
            &serde_json::from_value(serde_json::json!({"metadata": {"name": "over-http"}}))
                .unwrap(),
        )
        .await
        .unwrap();
    let mut stream = Box::pin(
        api.watch(&WatchParams::default(), &c.resource_version().unwrap())
            .await
            .unwrap(),
    );
    api.create(
        &PostParams::default(),
        &serde_json::from_value(serde_json::json!({"metadata": {"name": "second"}})).unwrap(),
    )
    .await
    .unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            Some(WatchEvent::Added(cm)) => {
                assert_eq!(cm.name_any(), "second");
                break;
            }
            Some(WatchEvent::Bookmark(_)) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }

    // Unreachable over HTTP: requests fail, the handle notices.
    sim.set_reachable(false);
    assert!(api.get("over-http").await.is_err());
    assert!(cluster.refresh().await.is_err());
    assert!(!cluster.status().is_connected());
    sim.set_reachable(true);
    assert!(cluster.wait_connected(Duration::from_secs(10)).await);
}

#[tokio::test]
async fn realtime_clock_moves_on_its_own() {
    let config = SimConfig {
        clock: SimClock::Realtime {
            tick: Duration::from_millis(20),
            speed: 50.0,
        },
        ..SimConfig::for_tests()
    };
    let sim = Simulator::new(config);
    let start = sim.now();
    let s = sim.spawn_user("rita", SpawnOptions::default());
    let pods: Api<Pod> = Api::namespaced(sim.client(), "jupyterhub");
    let ok = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let p = pods.get(&s.pod_name).await.unwrap();
            if p.status.and_then(|s| s.phase).as_deref() == Some("Running") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(ok.is_ok(), "the pod never ran");
    assert!(sim.now() > start);
}
