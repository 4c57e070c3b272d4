//! The portal's cluster connection against the simulated cluster: discovery overview,
//! permissions, unreachable mode (status flips, last known state kept, actions refused,
//! reconnect), and the reflector-backed stores following a user's pod.

use app::backend::cluster::sim::{
    DeniedPermission, SimConfig, Simulator, SpawnOptions, UserFailure,
};
use app::backend::cluster::{ClusterHandle, ClusterOptions, ClusterSelection};
use app::domain::cluster::{ClusterSource, ClusterStatus, HelmDriverKind};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use std::time::Duration;

async fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let ok = tokio::time::timeout(timeout, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(ok.is_ok(), "timed out waiting for {what}");
}

#[tokio::test]
async fn demo_selection_connects_and_discovers() {
    let options = ClusterOptions {
        namespaces: vec!["jupyterhub".into(), "kube-public".into()],
        ..ClusterOptions::for_tests()
    };
    let cluster = ClusterHandle::connect(ClusterSelection::Demo, options)
        .await
        .expect("connects");
    assert!(cluster.status().is_connected());
    assert!(cluster.ensure_connected().is_ok());
    assert!(cluster.is_simulated());
    assert!(cluster.simulator().is_some());
    let o = cluster.overview();
    assert_eq!(o.source, ClusterSource::Simulated);
    assert_eq!(
        o.server_version.as_ref().map(|v| v.git_version.as_str()),
        Some("v1.34.1")
    );
    assert!(o.drivers.flux() && o.drivers.k3s_helm_chart);
    assert_eq!(o.drivers.available()[0], HelmDriverKind::Flux);
    assert_eq!(o.nodes.len(), 3);
    assert!(
        o.nodes
            .iter()
            .all(|n| n.ready && n.cpu_millis == 4000 && n.memory_bytes == 16 << 30)
    );
    assert_eq!(
        o.default_storage_class().map(|s| s.name.as_str()),
        Some("standard")
    );
    assert!(
        o.storage_class("glusterfs")
            .is_some_and(|s| s.allow_volume_expansion)
    );
    assert_eq!(o.permissions.len(), 2);
    assert!(
        o.permissions.iter().all(|p| p.all_allowed()),
        "{:?}",
        o.permissions
    );
    assert!(
        o.permissions_in("jupyterhub")
            .unwrap()
            .allows("create", "batch", "jobs")
    );
    assert!(o.discovered_at.is_some() && o.last_seen.is_some());
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);

    let stores = cluster.stores().expect("stores");
    assert!(stores.wait_until_ready(Duration::from_secs(5)).await);
    assert!(stores.is_ready());
    assert_eq!(stores.nodes.len(), 3);
    let metrics = stores.metrics();
    assert_eq!(metrics.len(), 5);
    assert!(metrics.iter().all(|m| m.ready));
    assert_eq!(
        metrics
            .iter()
            .find(|m| m.name == "nodes")
            .map(|m| m.objects),
        Some(3)
    );
}

#[tokio::test]
async fn clusters_without_helm_controllers_offer_only_the_job_driver() {
    let options = ClusterOptions {
        sim: SimConfig {
            flux: false,
            k3s_helm_controller: false,
            ..SimConfig::for_tests()
        },
        ..ClusterOptions::for_tests()
    };
    let cluster = ClusterHandle::simulated(options).await;
    let o = cluster.overview();
    assert_eq!(o.drivers.available(), vec![HelmDriverKind::Job]);
    // Checks for kinds that are not served are skipped.
    assert!(
        o.permissions[0]
            .results
            .iter()
            .all(|r| r.check.group != "helm.toolkit.fluxcd.io")
    );
}

#[tokio::test]
async fn missing_permissions_are_reported() {
    let sim = SimConfig {
        denied: vec![
            DeniedPermission {
                verb: "create".into(),
                group: "batch".into(),
                resource: "jobs".into(),
                namespace: Some("jupyterhub".into()),
            },
            DeniedPermission {
                verb: "get".into(),
                group: "".into(),
                resource: "pods/log".into(),
                namespace: None,
            },
        ],
        ..SimConfig::for_tests()
    };
    let options = ClusterOptions {
        sim,
        namespaces: vec!["jupyterhub".into(), "default".into()],
        start_watchers: false,
        ..ClusterOptions::for_tests()
    };
    let cluster = ClusterHandle::simulated(options).await;
    let o = cluster.overview();
    let jh = o.permissions_in("jupyterhub").unwrap();
    let missing: Vec<String> = jh.missing().iter().map(|c| c.label()).collect();
    assert_eq!(missing, vec!["get pods/log", "create batch/jobs"]);
    let def = o.permissions_in("default").unwrap();
    assert_eq!(def.missing().len(), 1);
    assert!(def.allows("create", "batch", "jobs"));
    // A namespace checked later joins the overview.
    let later = cluster.check_permissions("kube-public").await.unwrap();
    assert_eq!(later.missing().len(), 1);
    assert!(cluster.overview().permissions_in("kube-public").is_some());
    assert!(cluster.stores().is_none());
}

#[tokio::test]
async fn unreachable_cluster_keeps_last_known_state_and_refuses_changes() {
    let sim = Simulator::new(SimConfig::for_tests());
    sim.spawn_user("alice", SpawnOptions::default());
    sim.advance(Duration::from_secs(10));
    let cluster = ClusterHandle::with_simulator(sim.clone(), ClusterOptions::for_tests()).await;
    let stores = cluster.stores().unwrap().clone();
    assert!(stores.wait_until_ready(Duration::from_secs(5)).await);
    assert!(
        stores
            .pods
            .get(Some("jupyterhub"), "jupyter-alice")
            .is_some()
    );
    let seen_before = cluster.overview().last_seen.clone();

    sim.set_reachable(false);
    let c = cluster.clone();
    wait_for(
        "status to turn unreachable",
        Duration::from_secs(10),
        || matches!(c.status(), ClusterStatus::Unreachable { .. }),
    )
    .await;
    let ClusterStatus::Unreachable { since, last_error } = cluster.status() else {
        unreachable!()
    };
    assert!(!since.is_empty());
    assert!(
        last_error.contains("unreachable") || last_error.contains("refused"),
        "{last_error}"
    );
    let refusal = cluster.ensure_connected().unwrap_err();
    assert!(refusal.reason.contains("unreachable"), "{}", refusal.reason);
    // Last known state stays: overview, nodes and the stores' objects.
    let o = cluster.overview();
    assert_eq!(o.nodes.len(), 3);
    assert!(o.last_seen.is_some());
    assert!(o.last_seen >= seen_before);
    assert!(
        stores
            .pods
            .get(Some("jupyterhub"), "jupyter-alice")
            .is_some()
    );
    // Watches record their errors.
    wait_for(
        "watch errors to be counted",
        Duration::from_secs(10),
        || stores.metrics().iter().any(|m| m.errors > 0),
    )
    .await;
    // A refresh while unreachable fails and keeps the status.
    assert!(cluster.refresh().await.is_err());
    assert!(!cluster.status().is_connected());

    // Changes made while the portal could not see them arrive after the reconnect.
    sim.spawn_user("bob", SpawnOptions::default());
    sim.set_reachable(true);
    assert!(cluster.wait_connected(Duration::from_secs(10)).await);
    assert!(cluster.ensure_connected().is_ok());
    wait_for("bob's pod in the store", Duration::from_secs(20), || {
        stores.pods.get(Some("jupyterhub"), "jupyter-bob").is_some()
    })
    .await;
}

#[tokio::test]
async fn reflector_sees_pod_pending_running_oomkilled() {
    let sim = Simulator::new(SimConfig::for_tests());
    let client = sim.client();
    let pods: Api<Pod> = Api::namespaced(client, "jupyterhub");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (reader, writer) = kube::runtime::reflector::store();
    let stream = watcher(
        pods,
        watcher::Config::default().labels("component=singleuser-server"),
    )
    .default_backoff()
    .reflect(writer)
    .applied_objects();
    let task = tokio::spawn(stream.for_each(move |p| {
        let tx = tx.clone();
        async move {
            if let Ok(p) = p {
                let _ = tx.send(describe(&p));
            }
        }
    }));
    tokio::time::timeout(Duration::from_secs(5), reader.wait_until_ready())
        .await
        .unwrap()
        .unwrap();

    let options = SpawnOptions {
        failure: Some(UserFailure::OomKilled),
        mem_limit: Some("1G".into()),
        ..SpawnOptions::default()
    };
    let server = sim.spawn_user("carol", options);
    assert_eq!(server.pod_name, "jupyter-carol");
    assert_eq!(server.pvc_name.as_deref(), Some("claim-carol"));
    let mut seen: Vec<String> = Vec::new();
    let ok = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            while let Ok(s) = rx.try_recv() {
                if seen.last() != Some(&s) {
                    seen.push(s);
                }
            }
            if seen.iter().any(|s| s.contains("OOMKilled")) {
                return;
            }
            sim.advance(Duration::from_millis(500));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    task.abort();
    assert!(ok.is_ok(), "no OOMKilled seen: {seen:?}");
    let pos = |needle: &str| {
        seen.iter()
            .position(|s| s.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in {seen:?}"))
    };
    assert!(pos("Pending") < pos("ContainerCreating"), "{seen:?}");
    assert!(pos("ContainerCreating") < pos("Running/ready"), "{seen:?}");
    assert!(pos("Running/ready") < pos("OOMKilled"), "{seen:?}");
    let pod = reader
        .state()
        .into_iter()
        .find(|p| p.name_any() == "jupyter-carol")
        .unwrap();
    let annotations = pod.annotations();
    assert_eq!(annotations["hub.jupyter.org/username"], "carol");
    assert_eq!(pod.labels()["component"], "singleuser-server");
}

fn describe(p: &Pod) -> String {
    let status = p.status.clone().unwrap_or_default();
    let phase = status.phase.unwrap_or_default();
    let cs = status.container_statuses.unwrap_or_default();
    let c = cs.first();
    let waiting = c.and_then(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
    let terminated = c
        .and_then(|c| {
            c.state
                .as_ref()?
                .terminated
                .as_ref()
                .or(c.last_state.as_ref()?.terminated.as_ref())?
                .reason
                .clone()
        })
        .or_else(|| c.and_then(|c| c.last_state.as_ref()?.terminated.as_ref()?.reason.clone()));
    let ready = c.is_some_and(|c| c.ready);
    format!(
        "{phase}{}{}{}",
        waiting.map(|w| format!("/{w}")).unwrap_or_default(),
        terminated.map(|t| format!("/{t}")).unwrap_or_default(),
        if ready { "/ready" } else { "" }
    )
}
