//! Every user's server for administrators, through the real router with real sessions, on a
//! simulated cluster whose watchers run: one row per server with the plain-language state the
//! watch delivers (image pull failure, OOM kill, running, stopped), its resources and home volume;
//! search, filter and sort; users get 403, anonymous callers 401.

use crate::common::*;
use app::api::servers::ListServers;
use app::domain::cluster::PodState;
use app::domain::servers::{ServerPage, ServerRow};
use app::domain::user::Role;
use http::StatusCode;
use simcluster::{SpawnOptions, UserFailure};
use std::time::Duration;

async fn list(app: &TestApp, cookie: &str, query: &str) -> ServerPage {
    let r = app
        .post_form(
            &fn_path::<ListServers>(),
            match query.trim_start_matches('&') {
                "" => "query[page]=1",
                q => q,
            },
            Some(cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// Lists until `done` holds for the first page (the watch delivers changes shortly; this is
/// not a timing assertion).
async fn list_until(app: &TestApp, cookie: &str, done: impl Fn(&ServerPage) -> bool) -> ServerPage {
    let mut page = list(app, cookie, "").await;
    for _ in 0..100 {
        if done(&page) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        page = list(app, cookie, "").await;
    }
    panic!("the list never got there: {page:#?}");
}

fn find<'a>(page: &'a ServerPage, user: &str) -> &'a ServerRow {
    page.rows
        .iter()
        .find(|r| r.user == user)
        .unwrap_or_else(|| panic!("no row for {user}: {page:#?}"))
}

fn state_of(page: &ServerPage, user: &str) -> Option<PodState> {
    page.rows
        .iter()
        .find(|r| r.user == user)
        .map(|r| r.health.state)
}

fn options(image: &str, failure: Option<UserFailure>) -> SpawnOptions {
    SpawnOptions {
        profile: Some("Standard".into()),
        failure,
        ..physics_server(image)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_every_users_server_in_plain_words() {
    let (app, sim) = TestApp::with_simulator().await;
    app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let root = app.login("root").await;
    let ursula = app.login("ursula").await;

    sim.spawn_user(
        "alice",
        options(
            "registry.example.org/notebooks:v2-typo",
            Some(UserFailure::ImagePull),
        ),
    );
    sim.spawn_user(
        "bob",
        options(
            "quay.io/jupyter/scipy-notebook:2024-05-01",
            Some(UserFailure::OomKilled),
        ),
    );
    sim.spawn_user(
        "carol",
        SpawnOptions {
            profile: Some("GPU".into()),
            ..options("nvcr.io/nvidia/pytorch:24.05-py3", None)
        },
    );
    sim.advance(Duration::from_secs(10));

    let page = list_until(&app, &root, |p| {
        state_of(p, "alice") == Some(PodState::ImagePullFailed)
            && state_of(p, "bob") == Some(PodState::OomKilled)
            && state_of(p, "carol") == Some(PodState::Running)
            && p.rows.iter().all(|r| r.home.is_some())
    })
    .await;
    assert_eq!((page.total, page.all, page.problems), (3, 3, 2));
    let users: Vec<&str> = page.rows.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(users, ["alice", "bob", "carol"], "sorted by user");

    let alice = find(&page, "alice");
    assert_eq!(alice.health.state.label(), "Image pull failed");
    assert!(
        alice
            .health
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("v2-typo"),
        "the detail names the image: {alice:#?}"
    );
    assert!(alice.health.hint.is_some());
    assert_eq!(alice.image, "registry.example.org/notebooks:v2-typo");

    let bob = find(&page, "bob");
    assert_eq!(bob.health.state.label(), "Out of memory");
    assert!(
        bob.health
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("memory limit"),
        "{bob:#?}"
    );
    assert!(bob.health.restarts >= 1);

    let carol = find(&page, "carol");
    assert_eq!(
        (carol.hub.as_str(), carol.namespace.as_str()),
        ("physics-hub", "jhub")
    );
    assert_eq!(carol.profile.as_deref(), Some("GPU"));
    assert_eq!(carol.server_name, "");
    assert!(carol.health.node.is_some() && carol.started_at.is_some());
    assert!(carol.age_seconds.is_some_and(|s| s >= 0));
    assert!(carol.cpu_request.is_some() && carol.cpu_limit.is_some());
    // KubeSpawner writes memory in bytes; the row says it as people read it.
    assert_eq!(carol.memory_request.as_deref(), Some("1 GiB"));
    assert_eq!(carol.memory_limit.as_deref(), Some("4 GiB"));
    let home = carol.home.as_ref().unwrap();
    assert_eq!(home.name, "claim-carol");
    assert_eq!(home.requested, "10Gi");
    assert_eq!(home.phase, "Bound");
    assert!(home.storage_class.is_some());

    // Search, filters and sort on the server.
    let oom = list(&app, &root, "&query[status]=oom_killed").await;
    assert_eq!((oom.total, oom.rows.len(), oom.all), (1, 1, 3));
    assert_eq!(oom.rows[0].user, "bob");
    assert_eq!(
        list(&app, &root, "&query[q]=PYTORCH").await.rows[0].user,
        "carol"
    );
    assert_eq!(list(&app, &root, "&query[profile]=Standard").await.total, 2);
    let by_status = list(&app, &root, "&query[sort]=status&query[dir]=desc").await;
    assert_eq!(
        by_status.rows[0].user, "carol",
        "running last, reversed: first"
    );
    assert_eq!(page.facets.profiles, ["GPU", "Standard"]);
    let tiny = list(&app, &root, "&query[per_page]=2&query[page]=2").await;
    assert_eq!((tiny.page, tiny.pages(), tiny.rows.len()), (2, 2, 1));

    // A running server that is killed at its memory limit: the list follows the watch.
    assert!(sim.fail_user("jhub", "carol", UserFailure::OomKilled));
    sim.advance(Duration::from_secs(10));
    let page = list_until(&app, &root, |p| {
        state_of(p, "carol") == Some(PodState::OomKilled)
    })
    .await;
    assert_eq!(page.problems, 3);

    // A stopped server: its pod goes, its home volume stays, and the row says so.
    assert!(sim.stop_user("jhub", "alice"));
    let page = list_until(&app, &root, |p| {
        state_of(p, "alice") == Some(PodState::Stopped)
    })
    .await;
    let alice = find(&page, "alice");
    assert_eq!(alice.health.state.label(), "Stopped");
    assert_eq!(alice.pod, "");
    assert_eq!(alice.hub, "physics-hub");
    assert_eq!(
        alice.home.as_ref().map(|h| h.name.as_str()),
        Some("claim-alice")
    );
    assert_eq!((page.all, page.problems), (3, 2));

    // Only administrators.
    let r = app
        .post_form(&fn_path::<ListServers>(), "query[page]=1", Some(&ursula))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(!r.body.contains("alice"), "{}", r.body);
    let r = app
        .post_form(&fn_path::<ListServers>(), "query[page]=1", None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

/// `GET /api/v1/servers`: the same rows as the page, as JSON, a page or all at once.
#[tokio::test]
async fn the_servers_json_api_pages_and_lists_everything() {
    let (app, sim) = TestApp::with_simulator().await;
    for i in 0..5 {
        sim.spawn_user(
            &format!("user{i}"),
            SpawnOptions {
                namespace: "jhub".into(),
                ..SpawnOptions::default()
            },
        );
    }
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let stores = app.state.cluster.stores().unwrap().clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stores.pods.state().len() < 5 {
        assert!(std::time::Instant::now() < deadline, "pods not watched");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = app
        .get("/api/v1/servers?per_page=2&page=2", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page: ServerPage = serde_json::from_str(&r.body).unwrap();
    assert_eq!((page.rows.len(), page.total, page.page), (2, 5, 2));
    assert_eq!(page.rows[0].user, "user2");
    let r = app
        .get("/api/v1/servers?all=true&q=user", Some(&admin))
        .await;
    let page: ServerPage = serde_json::from_str(&r.body).unwrap();
    assert_eq!(page.rows.len(), 5);
    let user = {
        app.add_user("ursula", Role::User).await;
        app.login("ursula").await
    };
    assert_eq!(
        app.get("/api/v1/servers", Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/servers", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// The Servers page's event stream says "changed" when a user's server appears in the watch
/// stores (real HTTP: the stream stays open).
#[tokio::test]
async fn the_event_stream_announces_changes_of_users_servers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (app, sim) = TestApp::with_simulator().await;
    app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let addr = serve(app.router.clone()).await;
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "GET {} HTTP/1.1\r\nHost: {addr}\r\nCookie: {admin}\r\nAccept: text/event-stream\r\n\r\n",
            app::backend::servers_api::EVENTS_PATH
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = vec![0u8; 4096];
    let n = s.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/event-stream"), "{head}");
    sim.spawn_user(
        "newcomer",
        SpawnOptions {
            namespace: "jhub".into(),
            ..SpawnOptions::default()
        },
    );
    let mut seen = head;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains("event: changed") {
        assert!(
            std::time::Instant::now() < deadline,
            "no change event: {seen}"
        );
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf))
            .await
            .expect("the stream goes on")
            .unwrap();
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}
