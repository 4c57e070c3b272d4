//! "My environment" through the real router with real sessions, on a simulated cluster whose
//! watchers run: each user sees the profiles their groups allow (with whether they fit), their
//! own servers and volumes and never another user's, and their choice is remembered, audited
//! and marked default by the hub profile API.

use crate::common::*;
use crate::hub_api::seed;
use app::api::me::{ChooseProfile, GetMyEnvironment};
use app::domain::environment::MyEnvironment;
use app::domain::user::Role;
use http::StatusCode;
use simcluster::SpawnOptions;

async fn my_environment(app: &TestApp, cookie: &str) -> (MyEnvironment, String) {
    let r = app
        .post_form(&fn_path::<GetMyEnvironment>(), "", Some(cookie))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (serde_json::from_str(&r.body).unwrap(), r.body)
}

fn spawn(sim: &simcluster::Simulator, user: &str, image: &str) {
    sim.spawn_user(user, physics_server(image));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_sees_their_own_environment_only() {
    let (app, sim) = TestApp::with_simulator().await;
    let s = seed(&app).await;
    spawn(&sim, "alice", "nvcr.io/nvidia/pytorch:24.05-py3");
    spawn(
        &sim,
        "bob",
        "quay.io/jupyter/datascience-notebook:2024-05-01",
    );
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;

    // The watch delivers the new pods shortly; wait for them (not a timing assertion).
    let mut env = my_environment(&app, &alice).await;
    for _ in 0..100 {
        if !env.0.servers.is_empty() && !env.0.volumes.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        env = my_environment(&app, &alice).await;
    }
    let (mine, body) = env;
    assert_eq!(mine.username, "alice");
    let hub = mine
        .hubs
        .iter()
        .find(|h| h.hub_name == "physics-hub")
        .expect("physics-hub is offered");
    let names: Vec<&str> = hub
        .profiles
        .iter()
        .map(|p| p.display_name.as_str())
        .collect();
    assert_eq!(names, ["Standard", "GPU"], "alice's groups allow these two");
    assert_eq!(hub.chosen, Some(s.gpu));
    assert!(hub.chosen_by_user);
    // Every card says whether it fits: the simulated nodes are known.
    assert!(
        hub.profiles
            .iter()
            .all(|p| p.fit != app::domain::fit::Fit::Unknown),
        "{:?}",
        hub.profiles
    );
    assert_eq!(mine.servers.len(), 1, "{body}");
    assert_eq!(mine.servers[0].image, "nvcr.io/nvidia/pytorch:24.05-py3");
    assert_eq!(mine.volumes.len(), 1, "{body}");
    assert!(
        !body.contains("bob"),
        "bob's pod or volume leaked to alice: {body}"
    );
    assert!(!body.contains("datascience-notebook"), "{body}");

    // Carol (no group, no server): only what is open to everyone, the hub's default, and no
    // one's servers.
    let (theirs, body) = my_environment(&app, &carol).await;
    let hub = theirs
        .hubs
        .iter()
        .find(|h| h.hub_name == "physics-hub")
        .unwrap();
    let names: Vec<&str> = hub
        .profiles
        .iter()
        .map(|p| p.display_name.as_str())
        .collect();
    assert_eq!(names, ["Standard"]);
    assert!(
        !hub.chosen_by_user,
        "the hub's default, not a choice of hers"
    );
    assert!(
        theirs.servers.is_empty() && theirs.volumes.is_empty(),
        "{body}"
    );
    for other in ["alice", "bob", "pytorch", "GPU"] {
        assert!(!body.contains(other), "{other} leaked to carol: {body}");
    }

    // Choosing: only what the user may use; remembered, audited, and the hub preselects it.
    let standard = hub.profiles[0].id;
    let choose = fn_path::<ChooseProfile>();
    let r = app
        .post_form(
            &choose,
            &format!("hub_id={}&profile_id={}", s.hub.id, s.gpu),
            Some(&carol),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("not one you may use"), "{}", r.body);
    let r = app
        .post_form(
            &choose,
            &format!("hub_id={}&profile_id={standard}", s.hub.id),
            Some(&alice),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (mine, _) = my_environment(&app, &alice).await;
    let hub = mine
        .hubs
        .iter()
        .find(|h| h.hub_name == "physics-hub")
        .unwrap();
    assert_eq!(hub.chosen, Some(standard));
    let audited: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor, before_json, after_json FROM audit_events WHERE action = 'selection.choose'",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].0, "alice");
    assert!(audited[0].1.contains("GPU") && audited[0].2.contains("Standard"));
    let r = app
        .send(
            http::Request::get("/api/hub/users/alice/profiles")
                .header("authorization", format!("Bearer {}", s.token))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let list: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let default: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == true)
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(default, ["standard"]);

    // Anonymous callers get nothing; an administrator's own page is theirs too.
    let r = app
        .post_form(&fn_path::<GetMyEnvironment>(), "", None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.add_user("root", Role::Admin).await;
    let root = app.login("root").await;
    let (admin_env, body) = my_environment(&app, &root).await;
    assert!(admin_env.servers.is_empty(), "{body}");
    assert!(!body.contains("jupyter-alice"), "{body}");
}

/// The history of a user's server is copied from the watch stores into SQLite: it names what
/// happened (here an image that cannot be pulled), stays after the pod is deleted, is only
/// the user's own, and is pruned after the retention period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_history_outlives_the_pod() {
    use app::backend::server_events;
    let (app, sim) = TestApp::with_simulator().await;
    seed(&app).await;
    sim.spawn_user(
        "alice",
        SpawnOptions {
            release: "physics-hub".into(),
            namespace: "jhub".into(),
            image: "registry.example.org/missing:1".into(),
            failure: Some(simcluster::UserFailure::ImagePull),
            ..SpawnOptions::default()
        },
    );
    let pool = &app.state.pool;
    let cluster = &app.state.cluster;
    // The watch delivers the pod and its events shortly (waiting, not a timing assertion).
    let mut history = Vec::new();
    for _ in 0..100 {
        server_events::record_once(pool, cluster).await.unwrap();
        history = server_events::timeline(pool, "alice").await.unwrap();
        if history.iter().any(|t| t.event.kind == "Warning") {
            break;
        }
        // The simulator's clock moves the pod on (pull attempts, back-off).
        sim.advance(std::time::Duration::from_secs(10));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        history.iter().any(|t| t.event.kind == "Warning"
            && t.event.message.contains("registry.example.org/missing:1")),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .all(|t| t.pod.starts_with("jhub/jupyter-alice"))
    );
    // Storing the same observation again changes nothing.
    let seen = server_events::observe(cluster.stores().unwrap());
    server_events::store(pool, &seen).await.unwrap();
    assert_eq!(server_events::store(pool, &seen).await.unwrap(), 0);
    let history = server_events::timeline(pool, "alice").await.unwrap();

    // The pod goes; the history stays, on the user's own page only.
    assert!(sim.stop_user("jhub", "alice"));
    let stores = cluster.stores().unwrap();
    for _ in 0..100 {
        if stores.pods.state().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(stores.pods.state().is_empty(), "the pod was deleted");
    server_events::record_once(pool, cluster).await.unwrap();
    let alice = app.login("alice").await;
    let (mine, _) = my_environment(&app, &alice).await;
    assert!(mine.servers.is_empty());
    for t in &history {
        assert!(
            mine.timeline.contains(t),
            "{t:?} was lost: {:?}",
            mine.timeline
        );
    }
    let carol = app.login("carol").await;
    let (theirs, body) = my_environment(&app, &carol).await;
    assert!(theirs.timeline.is_empty());
    assert!(!body.contains("missing:1"), "{body}");
    // Administrators read any user's history; users cannot read another's.
    let history_fn = fn_path::<app::api::servers::GetServerHistory>();
    let r = app.post_form(&history_fn, "user=alice", Some(&carol)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.add_user("root", Role::Admin).await;
    let root = app.login("root").await;
    let r = app.post_form(&history_fn, "user=alice", Some(&root)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let seen: Vec<app::domain::environment::TimelineEntry> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(seen, mine.timeline);
    // The page renders on the server for the administrator.
    let page = app.get("/servers/alice", Some(&root)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("missing:1"),
        "the history is on the page"
    );
    assert_eq!(
        app.get("/servers/alice", Some(&carol)).await.status,
        StatusCode::FORBIDDEN
    );

    // Retention (by the event's time; the simulator's clock starts on 2026-01-01): a long
    // one keeps the events, none removes them.
    let long = std::time::Duration::from_secs(3650 * 86_400);
    assert_eq!(server_events::prune(pool, long).await.unwrap(), 0);
    assert_eq!(
        server_events::prune(pool, std::time::Duration::ZERO)
            .await
            .unwrap() as usize,
        mine.timeline.len()
    );
    assert!(
        server_events::timeline(pool, "alice")
            .await
            .unwrap()
            .is_empty()
    );
}
