//! The simulated cluster served on a loopback port (for processes that need a URL, like the
//! browser end-to-end run and kubectl), and its real-time clock.

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use simcluster::{SimClock, SimConfig, Simulator, SpawnOptions};
use std::time::Duration;

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
