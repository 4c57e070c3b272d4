//! A shared volume's claim from its page: state, dry run, creation (audited), refusal to
//! rewrite an existing claim; administrators only.

use crate::common::*;
use app::api::volumes::{CreateVolumeClaim, GetVolumeClaim};
use app::domain::user::Role;
use app::domain::volume::ClaimState;
use http::StatusCode;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_create_a_managed_shared_claim_after_a_dry_run() {
    let (app, sim) = TestApp::with_simulator().await;
    assert!(
        app::backend::seed::seed_example(&app.state.pool)
            .await
            .unwrap()
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM shared_volumes")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    app.add_user("root", Role::Admin).await;
    app.add_user("carol", Role::User).await;
    let root = app.login("root").await;
    let carol = app.login("carol").await;
    let state = |cookie: String| {
        let app = &app;
        async move {
            let r = app
                .post_form(
                    &fn_path::<GetVolumeClaim>(),
                    &format!("id={id}"),
                    Some(&cookie),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            serde_json::from_str::<ClaimState>(&r.body).unwrap()
        }
    };
    let s = state(root.clone()).await;
    assert!(s.managed && !s.exists, "{s:?}");
    assert_eq!(s.wanted.as_deref(), Some("10Gi"));

    let create = |dry: bool| format!("id={id}&dry_run={dry}&reason=course+data");
    let r = app
        .post_form(
            &fn_path::<CreateVolumeClaim>(),
            &create(false),
            Some(&carol),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_form(&fn_path::<CreateVolumeClaim>(), &create(true), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let yaml: String = serde_json::from_str(&r.body).unwrap();
    assert!(
        yaml.contains("claim-share") && yaml.contains("ReadWriteMany"),
        "{yaml}"
    );
    assert!(!yaml.contains("managedFields"), "{yaml}");
    assert!(
        sim.object("persistentvolumeclaims", "kube-public", "claim-share")
            .is_none()
    );

    let r = app
        .post_form(&fn_path::<CreateVolumeClaim>(), &create(false), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claim = sim
        .object("persistentvolumeclaims", "kube-public", "claim-share")
        .expect("created");
    assert_eq!(claim["spec"]["storageClassName"], "glusterfs");
    let mut s = state(root.clone()).await;
    for _ in 0..100 {
        if s.exists {
            break;
        }
        sim.advance(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(20)).await;
        s = state(root.clone()).await;
    }
    assert!(s.exists, "{s:?}");
    assert_eq!(s.requested.as_deref(), Some("10Gi"));

    // An existing claim is never rewritten.
    let r = app
        .post_form(&fn_path::<CreateVolumeClaim>(), &create(false), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'pvc.create'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}
