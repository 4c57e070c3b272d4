//! The portal's cluster connection against the simulated cluster: discovery overview,
//! permissions, unreachable mode (status flips, last known state kept, actions refused,
//! reconnect), the reflector-backed stores following a user's pod and listing releases, pod
//! health and volume usage, and a kubeconfig connection to the simulator on a loopback port.
//! The simulator (`simcluster`) is a dev-dependency only: the handle gets its client.

use app::backend::cluster::{ClusterHandle, ClusterOptions, ClusterSelection};
use app::domain::cluster::{ClusterSource, ClusterStatus, HelmDriverKind, ReleaseStatus};
use futures::StreamExt;
use futures::TryStreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;
use kube::api::{PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;
use simcluster::{DeniedPermission, SimConfig, Simulator, SpawnOptions, UserFailure};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The handle over an existing simulator's client, as `hubfleet` builds it in demo mode.
async fn connect_sim(sim: &Simulator, options: ClusterOptions) -> ClusterHandle {
    ClusterHandle::from_client(
        sim.client(),
        ClusterSource::Simulated,
        "simulated://hubfleet".to_string(),
        options,
    )
    .await
}

/// A fresh simulator built from `config`, and the handle over it.
async fn simulated(config: SimConfig, options: ClusterOptions) -> (Simulator, ClusterHandle) {
    let sim = Simulator::new(config);
    let cluster = connect_sim(&sim, options).await;
    (sim, cluster)
}

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
    // The app does not build the simulated cluster itself: the caller hands its client over.
    assert!(ClusterSelection::Demo.is_simulated());
    assert!(matches!(
        ClusterHandle::connect(ClusterSelection::Demo, options.clone()).await,
        Err(app::backend::cluster::ClusterError::SimulatedClientRequired)
    ));
    let (_sim, cluster) = simulated(SimConfig::for_tests(), options).await;
    assert!(cluster.status().is_connected());
    assert!(cluster.ensure_connected().is_ok());
    assert!(cluster.is_simulated());
    assert_eq!(cluster.overview().source, ClusterSource::Simulated);
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
    let config = SimConfig {
        flux: false,
        k3s_helm_controller: false,
        ..SimConfig::for_tests()
    };
    let (_sim, cluster) = simulated(config, ClusterOptions::for_tests()).await;
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
        namespaces: vec!["jupyterhub".into(), "default".into()],
        start_watchers: false,
        ..ClusterOptions::for_tests()
    };
    let (_sim, cluster) = simulated(sim, options).await;
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
    let cluster = connect_sim(&sim, ClusterOptions::for_tests()).await;
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

// ---- moved from the former simulator test files (they need the portal's handle) ----

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
async fn stores_list_releases_from_secrets() {
    let sim = Simulator::new(SimConfig::for_tests());
    let cluster = connect_sim(&sim, ClusterOptions::for_tests()).await;
    let stores = cluster.stores().unwrap();
    assert!(stores.wait_until_ready(Duration::from_secs(5)).await);
    assert_eq!(
        sim.install_release("data8-jupyterhub", "kube-public", "4.4.0", json!({"a": 1})),
        1
    );
    assert_eq!(
        sim.install_release("data8-jupyterhub", "kube-public", "4.4.0", json!({"a": 2})),
        2
    );
    sim.advance(Duration::from_secs(5));
    let ok = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let releases = stores.releases();
            if releases
                .first()
                .is_some_and(|r| r.revision == 2 && r.status == ReleaseStatus::Deployed)
            {
                return releases;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the release store caught up");
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].namespace, "kube-public");
    let history = stores.release_history("kube-public", "data8-jupyterhub");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].status, ReleaseStatus::Superseded);
    // The hub pod's events are in the event store.
    let hub = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(p) = stores
                .pods
                .filter(|p| p.labels().get("component").map(String::as_str) == Some("hub"))
                .first()
            {
                return p.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    let uid = hub.uid().unwrap();
    let events = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let evs = stores.events_for(&uid);
            if evs.iter().any(|e| e.reason.as_deref() == Some("Started")) {
                return evs;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(events[0].reason.as_deref(), Some("Scheduled"));
}

#[tokio::test]
async fn pod_health_explains_example_users_and_volume_usage() {
    use app::domain::cluster::PodState;
    let sim = Simulator::new(SimConfig::for_tests());
    let servers = sim.populate_example_users("data8-jupyterhub", "kube-public");
    assert_eq!(servers.len(), 6);
    sim.advance(Duration::from_secs(10));
    let cluster = connect_sim(&sim, ClusterOptions::for_tests()).await;
    let stores = cluster.stores().unwrap();
    assert!(stores.wait_until_ready(Duration::from_secs(5)).await);
    let health = |user: &str| {
        let pod = stores
            .pods
            .get(Some("kube-public"), &format!("jupyter-{user}"))
            .expect("pod cached");
        cluster.pod_health(&pod)
    };
    for u in ["ada", "grace", "linus"] {
        let h = health(u);
        assert_eq!(h.state, PodState::Running, "{u}: {h:?}");
        assert!(h.ready && !h.state.is_problem());
    }
    let ken = health("ken");
    assert_eq!(ken.state, PodState::ImagePullFailed);
    assert!(ken.detail.unwrap().contains("v2-typo"));
    assert!(ken.hint.unwrap().contains("image name"));
    let barbara = health("barbara");
    assert_eq!(barbara.state, PodState::Unschedulable);
    assert_eq!(
        barbara.detail.as_deref(),
        Some("0/3 nodes are available: 3 Insufficient memory.")
    );
    assert!(barbara.hint.unwrap().contains("memory guarantee"));
    let dennis = health("dennis");
    assert_eq!(dennis.state, PodState::OomKilled);
    assert_eq!(dennis.restarts, 1);
    assert!(dennis.hint.unwrap().contains("memory limit"));

    let usage = cluster.volume_usage().await;
    // Volumes are reported while a running pod mounts them (dennis restarts in place).
    let mounted: Vec<&str> = usage.iter().map(|u| u.pvc.as_str()).collect();
    assert_eq!(
        mounted,
        vec!["claim-ada", "claim-dennis", "claim-grace", "claim-linus"]
    );
    assert!(
        usage
            .iter()
            .all(|u| u.capacity_bytes == 10 << 30 && u.used_bytes > 0 && u.fraction_used() < 0.01)
    );
    sim.set_volume_usage("kube-public", "claim-ada", 9 << 30);
    let ada = cluster
        .volume_usage()
        .await
        .into_iter()
        .find(|u| u.pvc == "claim-ada")
        .unwrap();
    assert!((ada.fraction_used() - 0.9).abs() < 1e-9);
    assert_eq!(ada.available_bytes, 1 << 30);
}

// ---- an API server that is down -------------------------------------------------------------

/// A dead API server: accepts TCP connections and closes them at once, counting them.
async fn refusing_endpoint() -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listens");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (url, accepted, task)
}

#[tokio::test]
async fn unreachable_api_server_is_not_hammered() {
    let (url, accepted, server) = refusing_endpoint().await;
    let config = kube::Config::new(url.parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let options = ClusterOptions {
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        probe_timeout: Duration::from_secs(1),
        ..ClusterOptions::default()
    };
    let cluster = ClusterHandle::from_client(
        client,
        ClusterSource::Kubeconfig { context: None },
        url,
        options,
    )
    .await;
    assert!(matches!(
        cluster.status(),
        ClusterStatus::Unreachable { .. }
    ));
    tokio::time::sleep(Duration::from_secs(6)).await;
    let attempts = accepted.load(Ordering::SeqCst);
    // Five watches and the monitor each try at once; then the monitor alone probes with a
    // doubling delay (about six probes in six seconds) and the watches wait for it. Retrying
    // at kube's reset-on-every-item backoff made 53 to 57 connections in this time.
    eprintln!("connection attempts in 6 s: {attempts}");
    assert!(attempts >= 1, "the endpoint was never tried");
    assert!(attempts <= 30, "{attempts} connection attempts in 6 s");
    assert!(matches!(
        cluster.status(),
        ClusterStatus::Unreachable { .. }
    ));
    drop(cluster);
    server.abort();
}
