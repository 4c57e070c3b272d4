//! The simulated API server through the real kube client: CRUD, selectors, pagination,
//! watches (resume, 410 Gone), server-side apply conflicts, dry runs, discovery, PVC binding,
//! logs and the kubelet stats summary.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::json;
use simcluster::{SimConfig, Simulator, SpawnOptions};
use std::collections::BTreeMap;
use std::time::Duration;

fn sim() -> (Simulator, Client) {
    let sim = Simulator::new(SimConfig::for_tests());
    let client = sim.client();
    (sim, client)
}

fn cm(name: &str, data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_string()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    }
}

fn pod(name: &str, labels: &[(&str, &str)]) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels.iter().cloned().collect::<BTreeMap<_, _>>()},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36",
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]},
    }))
    .expect("a valid pod")
}

fn api_code(e: &kube::Error) -> u16 {
    match e {
        kube::Error::Api(s) => s.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn crud_round_trip() {
    let (_sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let created = api
        .create(&PostParams::default(), &cm("settings", &[("a", "1")]))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    let rv1 = created.resource_version().unwrap();

    let dup = api
        .create(&PostParams::default(), &cm("settings", &[]))
        .await
        .unwrap_err();
    assert_eq!(api_code(&dup), 409);

    let mut got = api.get("settings").await.unwrap();
    assert_eq!(got.data.as_ref().unwrap()["a"], "1");
    got.data.as_mut().unwrap().insert("b".into(), "2".into());
    let replaced = api
        .replace("settings", &PostParams::default(), &got)
        .await
        .unwrap();
    assert_ne!(replaced.resource_version().unwrap(), rv1);

    // A stale resourceVersion is a conflict.
    let stale = api
        .replace("settings", &PostParams::default(), &got)
        .await
        .unwrap_err();
    assert_eq!(api_code(&stale), 409);

    let patched = api
        .patch(
            "settings",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"a": null, "c": "3"}})),
        )
        .await
        .unwrap();
    let data = patched.data.unwrap();
    assert!(!data.contains_key("a"));
    assert_eq!(data["c"], "3");

    api.delete("settings", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(api_code(&api.get("settings").await.unwrap_err()), 404);
    assert!(api.get_opt("settings").await.unwrap().is_none());

    // Namespaced objects need their namespace.
    let nowhere: Api<ConfigMap> = Api::namespaced(client.clone(), "missing");
    let err = nowhere
        .create(&PostParams::default(), &cm("x", &[]))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), 404);

    // Deleting a namespace removes what is in it.
    let nss: Api<Namespace> = Api::all(client.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "scratch"}})).unwrap(),
    )
    .await
    .unwrap();
    let scratch: Api<ConfigMap> = Api::namespaced(client.clone(), "scratch");
    scratch
        .create(&PostParams::default(), &cm("x", &[]))
        .await
        .unwrap();
    nss.delete("scratch", &DeleteParams::default())
        .await
        .unwrap();
    assert!(scratch.get_opt("x").await.unwrap().is_none());
}

#[tokio::test]
async fn generate_name_and_json_patch() {
    let (_sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut c = cm("", &[("a", "1")]);
    c.metadata.name = None;
    c.metadata.generate_name = Some("gen-".into());
    let created = api.create(&PostParams::default(), &c).await.unwrap();
    let name = created.name_any();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");

    // JSON patch (RFC 6902) through a raw request.
    let req = http::Request::patch(format!("/api/v1/namespaces/default/configmaps/{name}"))
        .header("content-type", "application/json-patch+json")
        .body(
            serde_json::to_vec(&json!([{"op": "replace", "path": "/data/a", "value": "9"}]))
                .unwrap(),
        )
        .unwrap();
    let patched: ConfigMap = client.request(req).await.unwrap();
    assert_eq!(patched.data.unwrap()["a"], "9");
}

#[tokio::test]
async fn label_and_field_selectors_and_pagination() {
    let (sim, client) = sim();
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    for (name, component) in [
        ("hub-1", "hub"),
        ("proxy-1", "proxy"),
        ("user-a", "singleuser-server"),
        ("user-b", "singleuser-server"),
    ] {
        api.create(
            &PostParams::default(),
            &pod(name, &[("component", component), ("release", "r1")]),
        )
        .await
        .unwrap();
    }
    api.create(&PostParams::default(), &pod("other", &[("app", "x")]))
        .await
        .unwrap();
    sim.advance(Duration::from_secs(5));

    let names = |l: kube::core::ObjectList<Pod>| -> Vec<String> {
        l.items.iter().map(|p| p.name_any()).collect()
    };
    let q = |s: &str| ListParams::default().labels(s);
    assert_eq!(
        names(api.list(&q("component=hub")).await.unwrap()),
        vec!["hub-1"]
    );
    assert_eq!(api.list(&q("component!=hub")).await.unwrap().items.len(), 4);
    assert_eq!(
        names(api.list(&q("component in (hub,proxy)")).await.unwrap()),
        vec!["hub-1", "proxy-1"]
    );
    assert_eq!(
        api.list(&q("component notin (hub,proxy)"))
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    assert_eq!(api.list(&q("release")).await.unwrap().items.len(), 4);
    assert_eq!(
        names(api.list(&q("!release")).await.unwrap()),
        vec!["other"]
    );
    assert_eq!(
        api.list(&q("component=singleuser-server,release=r1"))
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    let f = |s: &str| ListParams::default().fields(s);
    assert_eq!(
        names(api.list(&f("metadata.name=user-a")).await.unwrap()),
        vec!["user-a"]
    );
    assert_eq!(
        api.list(&f("metadata.namespace=default"))
            .await
            .unwrap()
            .items
            .len(),
        5
    );
    assert_eq!(
        api.list(&f("status.phase=Running"))
            .await
            .unwrap()
            .items
            .len(),
        5
    );
    assert_eq!(
        api.list(&f("status.phase!=Running"))
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    let on_node = api
        .list(&f("spec.nodeName=sim-node-1"))
        .await
        .unwrap()
        .items
        .len()
        + api
            .list(&f("spec.nodeName=sim-node-2"))
            .await
            .unwrap()
            .items
            .len()
        + api
            .list(&f("spec.nodeName=sim-node-3"))
            .await
            .unwrap()
            .items
            .len();
    assert_eq!(on_node, 5);

    // Pagination with limit / continue.
    let mut lp = ListParams::default().limit(2);
    let mut seen = Vec::new();
    loop {
        let page = api.list(&lp).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(names(page.clone()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = lp.continue_token(&c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);

    // All-namespaces listing.
    let all: Api<Pod> = Api::all(client.clone());
    assert_eq!(all.list(&q("release=r1")).await.unwrap().items.len(), 4);
}

#[tokio::test]
async fn watch_resumes_from_resource_version() {
    let (_sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let first = api
        .create(&PostParams::default(), &cm("one", &[]))
        .await
        .unwrap();
    let start = first.resource_version().unwrap();

    let mut stream = api
        .watch(&WatchParams::default(), &start)
        .await
        .unwrap()
        .boxed();
    api.create(&PostParams::default(), &cm("two", &[]))
        .await
        .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let last_rv = match ev {
        WatchEvent::Added(c) => {
            assert_eq!(c.name_any(), "two");
            c.resource_version().unwrap()
        }
        other => panic!("unexpected {other:?}"),
    };
    // The connection drops; changes happen meanwhile.
    drop(stream);
    api.create(&PostParams::default(), &cm("three", &[]))
        .await
        .unwrap();
    api.delete("one", &DeleteParams::default()).await.unwrap();

    let mut resumed = api
        .watch(&WatchParams::default(), &last_rv)
        .await
        .unwrap()
        .boxed();
    let mut got = Vec::new();
    while got.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), resumed.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            WatchEvent::Added(c) => got.push(format!("added {}", c.name_any())),
            WatchEvent::Deleted(c) => got.push(format!("deleted {}", c.name_any())),
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, vec!["added three", "deleted one"]);

    // Bookmarks arrive when asked for.
    let mut with_bookmarks = api
        .watch(&WatchParams::default(), &last_rv)
        .await
        .unwrap()
        .boxed();
    let mut saw_bookmark = false;
    for _ in 0..5 {
        if let Ok(Some(Ok(WatchEvent::Bookmark(_)))) =
            tokio::time::timeout(Duration::from_secs(5), with_bookmarks.next()).await
        {
            saw_bookmark = true;
            break;
        }
    }
    assert!(saw_bookmark);
}

#[tokio::test]
async fn watch_with_selector_sees_objects_leave_and_enter() {
    let (_sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let c = api
        .create(&PostParams::default(), &cm("c", &[]))
        .await
        .unwrap();
    let mut s = api
        .watch(
            &WatchParams::default().labels("tier=web"),
            &c.resource_version().unwrap(),
        )
        .await
        .unwrap()
        .boxed();
    api.patch(
        "c",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"tier": "web"}}})),
    )
    .await
    .unwrap();
    api.patch(
        "c",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"tier": "db"}}})),
    )
    .await
    .unwrap();
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), s.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            WatchEvent::Added(_) => kinds.push("added"),
            WatchEvent::Deleted(_) => kinds.push("deleted"),
            WatchEvent::Modified(_) => kinds.push("modified"),
            _ => {}
        }
    }
    assert_eq!(kinds, vec!["added", "deleted"]);
}

#[tokio::test]
async fn too_old_resource_version_is_gone_and_watcher_relists() {
    let (sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let c = api
        .create(&PostParams::default(), &cm("a", &[]))
        .await
        .unwrap();
    api.create(&PostParams::default(), &cm("b", &[]))
        .await
        .unwrap();
    sim.compact_history();
    let mut s = api
        .watch(&WatchParams::default(), &c.resource_version().unwrap())
        .await
        .unwrap()
        .boxed();
    match tokio::time::timeout(Duration::from_secs(5), s.next())
        .await
        .unwrap()
    {
        Some(Ok(WatchEvent::Error(e))) => assert_eq!(e.code, 410),
        Some(Err(kube::Error::Api(e))) => assert_eq!(e.code, 410),
        other => panic!("expected 410 Gone, got {other:?}"),
    }

    // A runtime watcher recovers by relisting: it sees objects created while it was cut off
    // and whose history was compacted away.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "jupyterhub");
    let (reader, writer) = kube::runtime::reflector::store();
    let stream = watcher(pods, watcher::Config::default()).default_backoff();
    let task = tokio::spawn(kube::runtime::reflector(writer, stream).for_each(|_| async {}));
    tokio::time::timeout(Duration::from_secs(5), reader.wait_until_ready())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reader.len(), 0);
    sim.set_reachable(false);
    sim.spawn_user("alice", SpawnOptions::default());
    sim.compact_history();
    sim.set_reachable(true);
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if reader
                .state()
                .iter()
                .any(|p| p.name_any() == "jupyter-alice")
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or(false);
    task.abort();
    assert!(found, "the watcher did not relist after 410 Gone");
}

#[tokio::test]
async fn streaming_list_watcher_gets_initial_events() {
    let (_sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for n in ["a", "b", "c"] {
        api.create(&PostParams::default(), &cm(n, &[]))
            .await
            .unwrap();
    }
    let (reader, writer) = kube::runtime::reflector::store();
    let stream =
        watcher(api.clone(), watcher::Config::default().streaming_lists()).default_backoff();
    let task = tokio::spawn(kube::runtime::reflector(writer, stream).for_each(|_| async {}));
    tokio::time::timeout(Duration::from_secs(5), reader.wait_until_ready())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reader.len(), 3);
    api.create(&PostParams::default(), &cm("d", &[]))
        .await
        .unwrap();
    let ok = tokio::time::timeout(Duration::from_secs(5), async {
        while reader.len() < 4 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    task.abort();
    assert!(ok.is_ok());
}

#[tokio::test]
async fn server_side_apply_conflicts_and_force() {
    let (_sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let desired = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "values"}, "data": {"a": "1", "b": "2"}});
    let created = api
        .patch(
            "values",
            &PatchParams::apply("hubfleet"),
            &Patch::Apply(&desired),
        )
        .await
        .unwrap();
    let managers: Vec<String> = created
        .managed_fields()
        .iter()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert_eq!(managers, vec!["hubfleet"]);

    // Re-applying the same is a no-op success.
    api.patch(
        "values",
        &PatchParams::apply("hubfleet"),
        &Patch::Apply(&desired),
    )
    .await
    .unwrap();

    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "values"}, "data": {"a": "changed"}});
    let err = api
        .patch(
            "values",
            &PatchParams::apply("someone-else"),
            &Patch::Apply(&other),
        )
        .await
        .unwrap_err();
    match &err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 409);
            assert_eq!(s.reason, "Conflict");
            assert!(
                s.message.contains("conflict with \"hubfleet\""),
                "{}",
                s.message
            );
            assert!(s.message.contains(".data.a"), "{}", s.message);
        }
        other => panic!("unexpected {other:?}"),
    }
    let forced = api
        .patch(
            "values",
            &PatchParams::apply("someone-else").force(),
            &Patch::Apply(&other),
        )
        .await
        .unwrap();
    assert_eq!(forced.data.as_ref().unwrap()["a"], "changed");
    assert_eq!(forced.data.as_ref().unwrap()["b"], "2");

    // The first manager drops "b" from its configuration: the field goes away.
    let fewer = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "values"}, "data": {}});
    let after = api
        .patch(
            "values",
            &PatchParams::apply("hubfleet"),
            &Patch::Apply(&fewer),
        )
        .await
        .unwrap();
    let data = after.data.unwrap_or_default();
    assert!(!data.contains_key("b"));
    assert_eq!(data["a"], "changed");

    // Apply without a field manager is refused.
    let raw = http::Request::patch("/api/v1/namespaces/default/configmaps/values")
        .header("content-type", "application/apply-patch+yaml")
        .body(serde_json::to_vec(&desired).unwrap())
        .unwrap();
    assert!(client.request::<ConfigMap>(raw).await.is_err());
}

#[tokio::test]
async fn dry_run_leaves_nothing_behind() {
    let (sim, client) = sim();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let rv_before = sim.resource_version();
    let pp = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let preview = api.create(&pp, &cm("ghost", &[("a", "1")])).await.unwrap();
    assert_eq!(preview.name_any(), "ghost");
    let applied = api
        .patch(
            "ghost2",
            &PatchParams::apply("hubfleet").dry_run(),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost2"}, "data": {"x": "y"}})),
        )
        .await
        .unwrap();
    assert_eq!(applied.data.unwrap()["x"], "y");
    assert!(api.get_opt("ghost").await.unwrap().is_none());
    assert!(api.get_opt("ghost2").await.unwrap().is_none());
    assert_eq!(sim.resource_version(), rv_before);

    api.create(&PostParams::default(), &cm("real", &[]))
        .await
        .unwrap();
    let dp = DeleteParams {
        dry_run: true,
        ..Default::default()
    };
    api.delete("real", &dp).await.unwrap();
    assert!(api.get_opt("real").await.unwrap().is_some());
    let invalid = api
        .patch("real", &PatchParams::apply("hubfleet").dry_run(), &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "real"}, "data": {"k": "v"}})))
        .await
        .unwrap();
    assert_eq!(invalid.data.unwrap()["k"], "v");
    assert!(
        api.get("real")
            .await
            .unwrap()
            .data
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn discovery_documents() {
    let (_sim, client) = sim();
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.git_version, "v1.34.1");
    let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
    let (hr, caps) = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .find(|(ar, _)| ar.kind == "HelmRelease")
        .expect("HelmRelease served");
    assert_eq!(hr.group, "helm.toolkit.fluxcd.io");
    assert_eq!(hr.version, "v2");
    assert!(caps.supports_operation(kube::discovery::verbs::WATCH));
    assert!(discovery.has_group("helm.cattle.io"));
    assert!(discovery.has_group("batch"));
    let aggregated = kube::Discovery::new(client.clone())
        .run_aggregated()
        .await
        .unwrap();
    assert!(aggregated.has_group("source.toolkit.fluxcd.io"));
    let core = client.list_core_api_resources("v1").await.unwrap();
    assert!(core.resources.iter().any(|r| r.name == "pods/log"));

    // A CRD created through the API makes its kind served.
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    crds.create(
        &PostParams::default(),
        &serde_json::from_value(json!({
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]},
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let resources = client
        .list_api_group_resources("example.com/v1")
        .await
        .unwrap();
    assert!(resources.resources.iter().any(|r| r.kind == "Widget"));
}

#[tokio::test]
async fn pvc_pending_without_storage_class_then_bound() {
    let (sim, client) = sim();
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let claim: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "claim-share"},
        "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "glusterfs-fast",
            "resources": {"requests": {"storage": "10G"}}},
    }))
    .unwrap();
    pvcs.create(&PostParams::default(), &claim).await.unwrap();
    sim.advance(Duration::from_secs(5));
    let pending = pvcs.get("claim-share").await.unwrap();
    assert_eq!(pending.status.unwrap().phase.as_deref(), Some("Pending"));
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let evs = events
        .list(&ListParams::default().fields("involvedObject.name=claim-share"))
        .await
        .unwrap();
    let ev = evs
        .items
        .iter()
        .find(|e| e.reason.as_deref() == Some("ProvisioningFailed"))
        .expect("event");
    assert!(
        ev.message
            .as_deref()
            .unwrap_or("")
            .contains("\"glusterfs-fast\" not found")
    );

    let classes: Api<StorageClass> = Api::all(client.clone());
    classes
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "glusterfs-fast"}, "provisioner": "kubernetes.io/glusterfs", "allowVolumeExpansion": true}))
                .unwrap(),
        )
        .await
        .unwrap();
    sim.advance(Duration::from_secs(1));
    let bound = pvcs.get("claim-share").await.unwrap();
    let status = bound.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Bound"));
    assert_eq!(status.capacity.unwrap()["storage"].0, "10G");
    assert!(bound.spec.unwrap().volume_name.unwrap().starts_with("pvc-"));

    // Growing the claim is allowed by the class and shows up in status.capacity.
    pvcs.patch(
        "claim-share",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"resources": {"requests": {"storage": "20G"}}}})),
    )
    .await
    .unwrap();
    sim.advance(Duration::from_secs(5));
    let grown = pvcs.get("claim-share").await.unwrap();
    assert_eq!(grown.status.unwrap().capacity.unwrap()["storage"].0, "20G");
    // Shrinking is refused.
    let err = pvcs
        .patch(
            "claim-share",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"resources": {"requests": {"storage": "1G"}}}})),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), 422);

    // Without any class and without a default class a claim stays Pending.
    let no_default = SimConfig {
        storage_classes: vec![],
        ..SimConfig::for_tests()
    };
    let sim2 = Simulator::new(no_default);
    let pvcs2: Api<PersistentVolumeClaim> = Api::namespaced(sim2.client(), "default");
    let mut c2 = claim.clone();
    c2.spec.as_mut().unwrap().storage_class_name = None;
    pvcs2.create(&PostParams::default(), &c2).await.unwrap();
    sim2.advance(Duration::from_secs(10));
    assert_eq!(
        pvcs2
            .get("claim-share")
            .await
            .unwrap()
            .status
            .unwrap()
            .phase
            .as_deref(),
        Some("Pending")
    );
}

#[tokio::test]
async fn pod_logs_and_volume_stats() {
    let (sim, client) = sim();
    let server = sim.spawn_user("alice", SpawnOptions::default());
    let pods: Api<Pod> = Api::namespaced(client.clone(), "jupyterhub");
    // Before the container starts, logs are refused with the waiting reason.
    let early = pods
        .logs(&server.pod_name, &Default::default())
        .await
        .unwrap_err();
    assert_eq!(api_code(&early), 400);
    sim.advance(Duration::from_secs(10));
    let log = pods
        .logs(&server.pod_name, &Default::default())
        .await
        .unwrap();
    assert!(log.contains("Jupyter Server"), "{log}");
    let tail = pods
        .logs(
            &server.pod_name,
            &kube::api::LogParams {
                tail_lines: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(tail.lines().count(), 1);

    let pod = pods.get(&server.pod_name).await.unwrap();
    let node = pod.spec.unwrap().node_name.unwrap();
    let before = sim.volume_usage("jupyterhub", "claim-alice").unwrap();
    sim.advance(Duration::from_secs(3600));
    let after = sim.volume_usage("jupyterhub", "claim-alice").unwrap();
    assert!(after > before, "usage grows while the server runs");
    let req = http::Request::get(format!("/api/v1/nodes/{node}/proxy/stats/summary"))
        .body(vec![])
        .unwrap();
    let summary: serde_json::Value = client.request(req).await.unwrap();
    let vol = summary["pods"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["volume"].as_array().cloned().unwrap_or_default())
        .find(|v| v["pvcRef"]["name"] == "claim-alice")
        .expect("volume stats");
    assert_eq!(vol["usedBytes"], json!(after));
    assert_eq!(vol["capacityBytes"], json!(10u64 * 1024 * 1024 * 1024));
}
