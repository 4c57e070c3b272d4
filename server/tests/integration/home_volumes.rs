//! Growing a user's home volume through the real router on the simulated cluster: only
//! administrators, only upward, only when the storage class allows it; audited.

use crate::common::*;
use app::api::home_volumes::ExpandHomeVolume;
use app::domain::user::Role;
use http::StatusCode;
use simcluster::{SimConfig, SpawnOptions, StorageClassSpec};

fn spawn(sim: &simcluster::Simulator, user: &str, class: &str) {
    sim.spawn_user(
        user,
        SpawnOptions {
            release: "jupyterhub".into(),
            namespace: "jupyterhub".into(),
            storage_capacity: Some("10Gi".into()),
            storage_class: Some(class.into()),
            ..SpawnOptions::default()
        },
    );
}

fn requested(sim: &simcluster::Simulator, pvc: &str) -> String {
    sim.object("persistentvolumeclaims", "jupyterhub", pvc)
        .map(|o| {
            o["spec"]["resources"]["requests"]["storage"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_grow_home_volumes_upward_where_the_class_allows() {
    let mut config = SimConfig::for_tests();
    config.storage_classes.push(StorageClassSpec::new(
        "fixed",
        "example.org/fixed",
        false,
        false,
    ));
    let (app, sim) = TestApp::with_simulator_config(config).await;
    spawn(&sim, "alice", "standard");
    spawn(&sim, "bob", "fixed");
    // The claims bind as the simulator's clock moves.
    for _ in 0..20 {
        sim.advance(std::time::Duration::from_secs(5));
    }
    app.add_user("root", Role::Admin).await;
    app.add_user("carol", Role::User).await;
    let root = app.login("root").await;
    let carol = app.login("carol").await;
    let path = fn_path::<ExpandHomeVolume>();
    let body = |pvc: &str, size: &str| {
        format!("namespace=jupyterhub&name={pvc}&size={size}&reason=needs+room")
    };

    assert_eq!(
        app.post_form(&path, &body("claim-alice", "20Gi"), Some(&carol))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(&path, &body("claim-alice", "5Gi"), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("can only grow"), "{}", r.body);
    let r = app
        .post_form(&path, &body("claim-bob", "20Gi"), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("does not allow growing"), "{}", r.body);
    assert_eq!(requested(&sim, "claim-bob"), "10Gi");

    let r = app
        .post_form(&path, &body("claim-alice", "20Gi"), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(requested(&sim, "claim-alice"), "20Gi");
    let audited: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT actor, target_id, after_json, reason FROM audit_events WHERE action = 'pvc.expand'",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].0, "root");
    assert_eq!(audited[0].1, "jupyterhub/claim-alice");
    assert!(audited[0].2.contains("20Gi") && audited[0].2.contains("alice"));
    assert_eq!(audited[0].3, "needs room");

    // Not a home volume: refused.
    let r = app
        .post_form(&path, &body("no-such-claim", "20Gi"), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}
