//! User servers in the simulated cluster: KubeSpawner names and labels, start-up failures
//! (image pull errors, not enough memory), OOM kills and evictions, stopping, storage usage,
//! synthetic users at benchmark scale and determinism under a seed.

use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Pod};
use kube::ResourceExt;
use kube::api::{Api, ListParams, PostParams};
use serde_json::json;
use simcluster::{NodeSpec, SimConfig, Simulator, SpawnOptions, UserFailure, safe_slug};
use std::time::Duration;

fn waiting_reason(p: &Pod) -> Option<String> {
    p.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .first()?
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .reason
        .clone()
}

fn scheduled_condition(p: &Pod) -> Option<(String, Option<String>)> {
    p.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "PodScheduled")
        .map(|c| (c.status.clone(), c.message.clone()))
}

async fn events_of(client: &kube::Client, ns: &str, name: &str) -> Vec<Event> {
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
        .await
        .expect("events list")
        .items
}

#[tokio::test]
async fn names_labels_and_lifecycle() {
    let sim = Simulator::new(SimConfig::for_tests());
    let client = sim.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "jupyterhub");
    let s = sim.spawn_user(
        "Alice.Smith@Example.org",
        SpawnOptions {
            release: "data8".into(),
            ..SpawnOptions::default()
        },
    );
    let slug = safe_slug("Alice.Smith@Example.org");
    // KubeSpawner 7: at most 32 characters, a sanitised prefix and an 8-hex hash.
    assert!(slug.starts_with("alice-smith-example-o---"), "{slug}");
    assert_eq!(slug.len(), 32);
    assert_eq!(s.pod_name, format!("jupyter-{slug}"));
    assert_eq!(
        s.pvc_name.as_deref(),
        Some(format!("claim-{slug}").as_str())
    );
    let p = pods.get(&s.pod_name).await.unwrap();
    assert_eq!(p.status.as_ref().unwrap().phase.as_deref(), Some("Pending"));
    assert_eq!(waiting_reason(&p).as_deref(), Some("ContainerCreating"));
    let labels = p.labels();
    assert_eq!(labels["component"], "singleuser-server");
    assert_eq!(labels["release"], "data8");
    assert_eq!(labels["hub.jupyter.org/username"], slug);
    assert_eq!(
        p.annotations()["hub.jupyter.org/username"],
        "Alice.Smith@Example.org"
    );
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "jupyterhub");
    let pvc = pvcs.get(s.pvc_name.as_deref().unwrap()).await.unwrap();
    assert_eq!(pvc.labels()["component"], "singleuser-storage");
    assert_eq!(pvc.status.unwrap().phase.as_deref(), Some("Bound"));

    sim.advance(Duration::from_secs(2));
    let p = pods.get(&s.pod_name).await.unwrap();
    assert_eq!(p.status.as_ref().unwrap().phase.as_deref(), Some("Running"));
    let reasons: Vec<String> = events_of(&client, "jupyterhub", &s.pod_name)
        .await
        .into_iter()
        .filter_map(|e| e.reason)
        .collect();
    for r in ["Scheduled", "Pulling", "Pulled", "Created", "Started"] {
        assert!(reasons.iter().any(|x| x == r), "{r} missing in {reasons:?}");
    }

    // Stopping removes the pod and keeps the home volume.
    assert!(sim.stop_user("jupyterhub", "Alice.Smith@Example.org"));
    assert!(pods.get_opt(&s.pod_name).await.unwrap().is_none());
    assert!(
        pvcs.get_opt(s.pvc_name.as_deref().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    assert!(!sim.stop_user("jupyterhub", "nobody"));

    // Named servers.
    let named = sim.spawn_user(
        "bob",
        SpawnOptions {
            server_name: "gpu".into(),
            ..SpawnOptions::default()
        },
    );
    assert_eq!(named.pod_name, "jupyter-bob--gpu");
}

#[tokio::test]
async fn image_pull_errors() {
    let sim = Simulator::new(SimConfig::for_tests());
    let client = sim.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "jupyterhub");
    let s = sim.spawn_user(
        "dave",
        SpawnOptions {
            failure: Some(UserFailure::ImagePull),
            ..SpawnOptions::default()
        },
    );
    sim.advance(Duration::from_millis(1500));
    assert_eq!(
        waiting_reason(&pods.get(&s.pod_name).await.unwrap()).as_deref(),
        Some("ErrImagePull")
    );
    sim.advance(Duration::from_secs(2));
    let p = pods.get(&s.pod_name).await.unwrap();
    assert_eq!(waiting_reason(&p).as_deref(), Some("ImagePullBackOff"));
    assert_eq!(p.status.unwrap().phase.as_deref(), Some("Pending"));
    let events = events_of(&client, "jupyterhub", &s.pod_name).await;
    assert!(events.iter().any(|e| {
        e.type_.as_deref() == Some("Warning")
            && e.message
                .as_deref()
                .unwrap_or("")
                .starts_with("Failed to pull image")
    }));

    // An image known to be unpullable fails for pods created through the API too.
    sim.add_unpullable_image("registry.example.org/missing:v1");
    let default_pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    default_pods
        .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "registry.example.org/missing:v1"}]}})).unwrap())
        .await
        .unwrap();
    sim.advance(Duration::from_secs(5));
    assert_eq!(
        waiting_reason(&default_pods.get("p").await.unwrap()).as_deref(),
        Some("ImagePullBackOff")
    );
}

#[tokio::test]
async fn not_enough_memory_on_any_node() {
    let sim = Simulator::new(SimConfig::for_tests());
    let client = sim.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "jupyterhub");
    // A guarantee larger than any node's allocatable memory.
    let s = sim.spawn_user(
        "erin",
        SpawnOptions {
            mem_guarantee: Some("20G".into()),
            ..SpawnOptions::default()
        },
    );
    sim.advance(Duration::from_secs(5));
    let p = pods.get(&s.pod_name).await.unwrap();
    assert_eq!(p.status.as_ref().unwrap().phase.as_deref(), Some("Pending"));
    let (status, message) = scheduled_condition(&p).unwrap();
    assert_eq!(status, "False");
    assert_eq!(
        message.as_deref(),
        Some("0/3 nodes are available: 3 Insufficient memory.")
    );
    let events = events_of(&client, "jupyterhub", &s.pod_name).await;
    assert!(
        events
            .iter()
            .any(|e| e.reason.as_deref() == Some("FailedScheduling"))
    );
    // A bigger node lets it schedule.
    sim.add_node(NodeSpec::new("big-node", 16, 64));
    sim.advance(Duration::from_secs(5));
    let p = pods.get(&s.pod_name).await.unwrap();
    assert_eq!(p.spec.unwrap().node_name.as_deref(), Some("big-node"));
    assert_eq!(p.status.unwrap().phase.as_deref(), Some("Running"));

    // Scripted: pending for lack of memory whatever the request.
    let f = sim.spawn_user(
        "frank",
        SpawnOptions {
            failure: Some(UserFailure::InsufficientMemory),
            ..SpawnOptions::default()
        },
    );
    sim.advance(Duration::from_secs(5));
    let (_, message) = scheduled_condition(&pods.get(&f.pod_name).await.unwrap()).unwrap();
    assert_eq!(
        message.as_deref(),
        Some("0/4 nodes are available: 4 Insufficient memory.")
    );

    // Filling the nodes: pods queue up once the memory is taken.
    let sim2 = Simulator::new(SimConfig {
        nodes: vec![NodeSpec::new("n1", 4, 4)],
        ..SimConfig::for_tests()
    });
    for u in ["u1", "u2", "u3", "u4", "u5"] {
        sim2.spawn_user(
            u,
            SpawnOptions {
                mem_guarantee: Some("1G".into()),
                ..SpawnOptions::default()
            },
        );
    }
    sim2.advance(Duration::from_secs(5));
    let pods2: Api<Pod> = Api::namespaced(sim2.client(), "jupyterhub");
    let running = pods2
        .list(&ListParams::default().fields("status.phase=Running"))
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(running, 4);
    sim2.stop_user("jupyterhub", "u1");
    sim2.advance(Duration::from_secs(5));
    let running = pods2
        .list(&ListParams::default().fields("status.phase=Running"))
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(running, 4, "the queued pod takes the freed memory");
}

#[tokio::test]
async fn oom_kill_and_eviction() {
    let sim = Simulator::new(SimConfig::for_tests());
    let client = sim.client();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "jupyterhub");
    let a = sim.spawn_user("gina", SpawnOptions::default());
    let b = sim.spawn_user("hank", SpawnOptions::default());
    sim.advance(Duration::from_secs(5));
    assert!(sim.fail_user("jupyterhub", "gina", UserFailure::OomKilled));
    let p = pods.get(&a.pod_name).await.unwrap();
    let cs = p
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .clone()
        .unwrap()
        .remove(0);
    assert_eq!(
        cs.last_state.unwrap().terminated.unwrap().reason.as_deref(),
        Some("OOMKilled")
    );
    assert_eq!(
        cs.state.unwrap().waiting.unwrap().reason.as_deref(),
        Some("CrashLoopBackOff")
    );
    assert_eq!(cs.restart_count, 1);

    assert!(sim.fail_user("jupyterhub", "hank", UserFailure::Evicted));
    let p = pods.get(&b.pod_name).await.unwrap();
    let st = p.status.unwrap();
    assert_eq!(st.phase.as_deref(), Some("Failed"));
    assert_eq!(st.reason.as_deref(), Some("Evicted"));
    assert!(
        st.message
            .unwrap()
            .starts_with("The node was low on resource: memory.")
    );
    let events = events_of(&client, "jupyterhub", &b.pod_name).await;
    assert!(
        events
            .iter()
            .any(|e| e.reason.as_deref() == Some("Evicted"))
    );

    // Scripted at spawn: evicted some time after starting.
    let c = sim.spawn_user(
        "ivy",
        SpawnOptions {
            failure: Some(UserFailure::Evicted),
            ..SpawnOptions::default()
        },
    );
    sim.advance(Duration::from_secs(5));
    assert_eq!(
        pods.get(&c.pod_name)
            .await
            .unwrap()
            .status
            .unwrap()
            .reason
            .as_deref(),
        Some("Evicted")
    );
}

#[tokio::test]
async fn synthetic_users_at_scale_and_determinism() {
    let config = SimConfig {
        synthetic_users: 10_000,
        seed: 7,
        ..SimConfig::for_tests()
    };
    let sim = Simulator::new(config.clone());
    assert_eq!(sim.count("persistentvolumeclaims"), 10_000);
    let running = sim.count("pods");
    assert!((2_500..4_500).contains(&running), "{running}");
    let client = sim.client();
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "jupyterhub");
    let page = pvcs
        .list(
            &ListParams::default()
                .labels("component=singleuser-storage")
                .limit(500),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 500);
    assert!(page.metadata.continue_.is_some());
    assert!(sim.volume_usage("jupyterhub", "claim-user00001").is_some());

    // Same seed, same cluster.
    let again = Simulator::new(config);
    assert_eq!(again.count("pods"), running);
    assert_eq!(
        again
            .object("pods", "jupyterhub", "jupyter-user00042")
            .map(|p| p["metadata"]["uid"].clone()),
        sim.object("pods", "jupyterhub", "jupyter-user00042")
            .map(|p| p["metadata"]["uid"].clone()),
    );
    assert_eq!(
        again.volume_usage("jupyterhub", "claim-user09999"),
        sim.volume_usage("jupyterhub", "claim-user09999")
    );
}
