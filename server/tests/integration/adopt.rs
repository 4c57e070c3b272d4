//! Adopting a Helm release Hubfleet did not create, on the simulated cluster through the real
//! kube client: a release Secret in Helm's exact format (clusterkit's codec) holding the
//! original Data 8 config.yaml, previewed and adopted through the server functions; the
//! records, the audit trail, the values generated for the new hub (extra values merged), and
//! the refusals (already managed, undecodable revision, no reason, users).

use crate::common::*;
use app::api::adopt::{AdoptRelease, GetAdoptPreview};
use app::api::deploy::ListReleases;
use app::backend::cluster::helm::{
    ChartMetadata, ChartRecord, ReleaseInfo, ReleaseRecord, release_secret,
};
use app::domain::adopt::AdoptPreview;
use app::domain::deploy::ReleaseList;
use app::domain::hub::Hub;
use app::domain::user::Role;
use http::StatusCode;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const NS: &str = "legacy";
const RELEASE: &str = "legacy-hub";

/// The original hand-written config.yaml of the Data 8 setup, plus what a real deployment
/// adds that Hubfleet has no form for.
fn config() -> Value {
    json!({
        "singleuser": {
            "image": {"name": "mydocker.registry.com/jupyterhub/k8s-singleuser", "tag": "v1"},
            "memory": {"limit": "3G", "guarantee": "1G"},
            "cpu": {"limit": 1.5, "guarantee": 0.5},
            "storage": {
                "homeMountPath": "/home/jupyter",
                "capacity": "5G",
                "dynamic": {"storageClass": "glusterfs"},
                "extraVolumes": [{"name": "volume-share", "persistentVolumeClaim": {"claimName": "claim-share"}}],
                "extraVolumeMounts": [{"name": "volume-share", "mountPath": "/mnt"}]
            },
            "defaultUrl": "/lab"
        },
        "proxy": {"https": {"enabled": true, "hosts": ["data8.example.org"]}},
        "cull": {"timeout": 7200}
    })
}

fn record(revision: u32, status: &str) -> ReleaseRecord {
    ReleaseRecord {
        name: RELEASE.into(),
        namespace: NS.into(),
        version: revision,
        info: ReleaseInfo {
            status: status.into(),
            description: "Install complete".into(),
            ..Default::default()
        },
        chart: Some(ChartRecord {
            metadata: ChartMetadata {
                name: "jupyterhub".into(),
                version: "4.4.0".into(),
                app_version: Some("5.5.0".into()),
                ..Default::default()
            },
            ..Default::default()
        }),
        config: config(),
        ..Default::default()
    }
}

async fn create_secret(sim: &simcluster::Simulator, secret: Secret) {
    Api::<Secret>::namespaced(sim.client(), NS)
        .create(&PostParams::default(), &secret)
        .await
        .expect("the release Secret is created");
}

/// Waits until the watch store lists the release.
async fn listed(app: &TestApp, cookie: &str, release: &str) -> ReleaseList {
    for _ in 0..100 {
        let r = app
            .post_form(&fn_path::<ListReleases>(), "", Some(cookie))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list: ReleaseList = serde_json::from_str(&r.body).unwrap();
        if list.rows.iter().any(|row| row.name == release) {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("release {release} was never listed");
}

async fn preview(app: &TestApp, cookie: &str, name: &str) -> (StatusCode, String) {
    let r = app
        .post_form(
            &fn_path::<GetAdoptPreview>(),
            &format!("namespace={NS}&name={name}"),
            Some(cookie),
        )
        .await;
    (r.status, r.body)
}

async fn adopt(app: &TestApp, cookie: &str, revision: u32, reason: &str) -> (StatusCode, String) {
    let r = app
        .post_form(
            &fn_path::<AdoptRelease>(),
            &format!(
                "namespace={NS}&name={RELEASE}&revision={revision}&reason={}",
                enc(reason)
            ),
            Some(cookie),
        )
        .await;
    (r.status, r.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_release_is_previewed_adopted_and_its_values_merge_the_rest() {
    let (app, sim) = TestApp::with_simulator().await;
    Api::<Namespace>::all(sim.client())
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": NS}})).unwrap(),
        )
        .await
        .unwrap();
    // Revision 1 superseded, revision 2 deployed: the values come from revision 2.
    create_secret(&sim, release_secret(&record(1, "superseded")).unwrap()).await;
    create_secret(&sim, release_secret(&record(2, "deployed")).unwrap()).await;
    app.add_user("root", Role::Admin).await;
    app.add_user("carol", Role::User).await;
    let root = app.login("root").await;
    let carol = app.login("carol").await;

    let list = listed(&app, &root, RELEASE).await;
    let row = list.rows.iter().find(|r| r.name == RELEASE).unwrap();
    assert_eq!(row.hub_id, None, "not managed");

    // Users may neither preview nor adopt.
    let (status, _) = preview(&app, &carol, RELEASE).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = adopt(&app, &carol, 2, "mine").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = preview(&app, &root, RELEASE).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p: AdoptPreview = serde_json::from_str(&body).unwrap();
    assert_eq!(p.revision, 2);
    assert_eq!(p.chart, "jupyterhub-4.4.0");
    assert_eq!(p.imported.hub.release_name, RELEASE);
    assert_eq!(p.imported.hub.cull_timeout, "7200");
    assert_eq!(p.imported.profiles.len(), 1);
    assert_eq!(p.imported.profiles[0].mem_limit, "3G");
    assert_eq!(p.imported.volumes.len(), 1);
    assert_eq!(p.imported.volumes[0].pvc_name, "claim-share");
    assert!(
        p.extra_values.contains("defaultUrl: /lab"),
        "{}",
        p.extra_values
    );
    assert!(
        p.extra_values.contains("data8.example.org"),
        "{}",
        p.extra_values
    );
    assert!(!p.imported.kept.is_empty());

    // A reason is required; a stale revision is refused.
    let (status, body) = adopt(&app, &root, 2, "  ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("reason"), "{body}");
    let (status, body) = adopt(&app, &root, 1, "take it over").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("now 2"), "{body}");
    let hubs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hubs")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(hubs, 0, "nothing written by refusals");

    let (status, body) = adopt(&app, &root, 2, "take over the Data 8 hub").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hub: Hub = serde_json::from_str(&body).unwrap();
    assert_eq!(hub.spec.release_name, RELEASE);
    assert_eq!(hub.spec.namespace, NS);
    assert_eq!(hub.spec.lifetime.cull_timeout, Some(7200));
    assert!(hub.spec.extra_values.contains("proxy:"));

    // The records.
    let c = app::backend::contents::load(&app.state.pool, hub.id)
        .await
        .unwrap();
    assert_eq!(c.volumes.len(), 1);
    assert!(!c.volumes[0].spec.create_pvc, "an existing claim");
    assert_eq!(c.profiles.len(), 1);
    let profile = &c.profiles[0].spec;
    assert!(profile.is_default);
    assert_eq!(profile.mounts.len(), 1);
    assert_eq!(profile.mounts[0].volume_id, c.volumes[0].id);
    assert_eq!(profile.home.mount_path, "/home/jupyter");

    // The audit trail: the three creations and the adoption, all with the reason.
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, reason, COALESCE(after_json, '') FROM audit_events WHERE action LIKE 'hub.%' OR action LIKE 'profile.%' OR action LIKE 'volume.%' ORDER BY id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["hub.create", "volume.create", "profile.create", "hub.adopt"]
    );
    assert!(
        events
            .iter()
            .all(|(_, r, _)| r == "take over the Data 8 hub")
    );
    let adopted: Value = serde_json::from_str(&events[3].2).unwrap();
    assert_eq!(adopted["release"], RELEASE);
    assert_eq!(adopted["revision"], 2);

    // The list now names the hub; adopting again is refused.
    let list = listed(&app, &root, RELEASE).await;
    assert_eq!(
        list.rows.iter().find(|r| r.name == RELEASE).unwrap().hub_id,
        Some(hub.id)
    );
    let (status, body) = preview(&app, &root, RELEASE).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("already managed"), "{body}");
    let (status, _) = adopt(&app, &root, 2, "again").await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The hub's values merge the extra values under the generated ones, and validate.
    let r = app::backend::values::render_hub(&app.state.pool, hub.id, Some("http://portal"))
        .await
        .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.json["proxy"]["https"]["hosts"][0], "data8.example.org");
    assert_eq!(r.json["singleuser"]["defaultUrl"], "/lab");
    assert_eq!(r.json["singleuser"]["image"]["tag"], "v1");
    assert!(r.yaml.contains("defaultUrl: /lab"), "{}", r.yaml);
    assert!(r.json["hub"]["extraConfig"]["hubfleet-profile-list"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_revision_is_refused() {
    let (app, sim) = TestApp::with_simulator().await;
    Api::<Namespace>::all(sim.client())
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": NS}})).unwrap(),
        )
        .await
        .unwrap();
    create_secret(&sim, release_secret(&record(1, "deployed")).unwrap()).await;
    // Revision 2: labelled like Helm's, but its record is not Helm's encoding.
    let mut broken = release_secret(&record(2, "deployed")).unwrap();
    broken.data = Some(BTreeMap::from([(
        "release".to_string(),
        ByteString(b"not a helm release".to_vec()),
    )]));
    create_secret(&sim, broken).await;
    app.add_user("root", Role::Admin).await;
    let root = app.login("root").await;
    listed(&app, &root, RELEASE).await;
    let mut last = (StatusCode::OK, String::new());
    for _ in 0..50 {
        last = preview(&app, &root, RELEASE).await;
        if last.0 == StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last.0, StatusCode::CONFLICT, "{}", last.1);
    assert!(last.1.contains("cannot be decoded"), "{}", last.1);
    let (status, body) = adopt(&app, &root, 1, "take it over").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = preview(&app, &root, "no-such-release").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
