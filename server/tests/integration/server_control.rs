//! Starting and stopping users' servers through the hub's REST API: the simulated hub of the
//! simulated cluster answers as JupyterHub 5 with KubeSpawner would, and the pods follow.

use crate::common::{TestApp, enc, fn_path};
use app::api::hubs::{GetHubRestAccess, SetHubRestAccess, TestHubRestAccess};
use app::api::servers::{StartServer, StopServer};
use app::domain::user::Role;
use http::StatusCode;
use serde_json::json;

const NS: &str = "kube-public";
const RELEASE: &str = "data8-jupyterhub";

/// The example hub deployed in the simulator, its simulated hub served, and the router seeing
/// its URL; returns the app, the simulator (and its hubs' listener) and the hub id.
async fn deployed_example() -> (
    TestApp,
    simcluster::Simulator,
    simcluster::LoopbackServer,
    i64,
) {
    let (app, sim) = TestApp::with_simulator().await;
    app::backend::seed::seed_example(&app.state.pool)
        .await
        .unwrap();
    sim.install_release(
        RELEASE,
        NS,
        "4.4.0",
        json!({"singleuser": {
            "image": {"name": "base", "tag": "1"},
            "storage": {"capacity": "5Gi", "homeMountPath": "/home/jupyter"},
            "profileList": [{"display_name": "Data science", "slug": "data-science", "default": true,
                "kubespawner_override": {"image": "mydocker.registry.com/jupyterhub/k8s-singleuser:v1",
                    "mem_limit": "3G", "mem_guarantee": "1G"}}]
        }}),
    );
    let hubs = sim
        .serve_hubs(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let mut state = app.state.clone();
    std::sync::Arc::make_mut(&mut state.settings).simulated_hubs_url = Some(hubs.url());
    let router = server::router(state.clone());
    let hub_id: i64 = sqlx::query_scalar("SELECT id FROM hubs WHERE release_name = ?")
        .bind(RELEASE)
        .fetch_one(&state.pool)
        .await
        .unwrap();
    (
        TestApp {
            router,
            state,
            dir: app.dir,
        },
        sim,
        hubs,
        hub_id,
    )
}

fn start_body(hub: i64, user: &str, profile: Option<i64>) -> String {
    let profile = profile
        .map(|p| format!("&profile_id={p}"))
        .unwrap_or_default();
    format!("hub_id={hub}&username={}&server_name={profile}", enc(user))
}

#[tokio::test]
async fn users_start_and_stop_their_own_servers_through_the_hub_api() {
    let (app, sim, _hubs, hub) = deployed_example().await;
    app.add_user("ada", Role::Admin).await;
    app.add_user("bob", Role::User).await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    let start = fn_path::<StartServer>();
    let stop = fn_path::<StopServer>();

    // No token yet: a clear refusal naming what to do.
    let r = app
        .post_form(&start, &start_body(hub, "bob", None), Some(&bob))
        .await;
    assert!(!r.status.is_success());
    assert!(r.body.contains("Hub API access"), "{}", r.body);

    // The panel offers the simulated hub's URL and token; users cannot read it.
    let panel = fn_path::<GetHubRestAccess>();
    let r = app
        .post_form(&panel, &format!("hub_id={hub}"), Some(&bob))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_form(&panel, &format!("hub_id={hub}"), Some(&ada))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!("/{NS}/{RELEASE}/hub/api")),
        "{}",
        r.body
    );

    // A wrong token is stored, and the test says the hub refuses it.
    let set = fn_path::<SetHubRestAccess>();
    let r = app
        .post_form(
            &set,
            &format!("hub_id={hub}&form[api_url]=&form[token]=wrong-token"),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let check = fn_path::<TestHubRestAccess>();
    let r = app
        .post_form(&check, &format!("hub_id={hub}"), Some(&ada))
        .await;
    assert!(r.body.contains("refused the token"), "{}", r.body);
    // Users cannot set it.
    let r = app
        .post_form(
            &set,
            &format!(
                "hub_id={hub}&form[api_url]=&form[token]={}",
                simcluster::HUB_TOKEN
            ),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_form(
            &set,
            &format!(
                "hub_id={hub}&form[api_url]=&form[token]={}",
                simcluster::HUB_TOKEN
            ),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post_form(&check, &format!("hub_id={hub}"), Some(&ada))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("JupyterHub 5.5.0"), "{}", r.body);

    // The token is nowhere in the database in clear: not in its row, not in the audit trail.
    let dump: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT token_ciphertext FROM hub_rest_access")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    let needle = simcluster::HUB_TOKEN.as_bytes();
    assert!(
        dump.iter()
            .all(|(c,)| !c.windows(needle.len()).any(|w| w == needle))
    );
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT COALESCE(after_json, '') FROM audit_events")
            .fetch_all(&app.state.pool)
            .await
            .unwrap_or_default();
    assert!(audit.iter().all(|a| !a.contains(simcluster::HUB_TOKEN)));

    // Bob starts his own server with the profile he may use: the pod appears, annotated.
    let profile: i64 = sqlx::query_scalar("SELECT id FROM profiles WHERE slug = 'data-science'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let r = app
        .post_form(&start, &start_body(hub, "bob", Some(profile)), Some(&bob))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Starting bob's server with profile"),
        "{}",
        r.body
    );
    let pod = sim.user_pod(NS, "bob").expect("bob's pod");
    let pod = sim.object("pods", NS, &pod).unwrap();
    assert_eq!(
        pod["metadata"]["annotations"]["hubfleet.io/profile"],
        "data-science"
    );
    assert_eq!(
        pod["spec"]["containers"][0]["image"],
        "mydocker.registry.com/jupyterhub/k8s-singleuser:v1"
    );
    // Again: already running.
    let r = app
        .post_form(&start, &start_body(hub, "bob", None), Some(&bob))
        .await;
    assert!(r.body.contains("already running"), "{}", r.body);

    // Bob may not start or stop anyone else's server.
    for path in [&start, &stop] {
        let r = app
            .post_form(path, &start_body(hub, "ada", None), Some(&bob))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    assert!(sim.user_pod(NS, "ada").is_none());

    // The administrator stops Bob's server; the home volume stays.
    let r = app
        .post_form(
            &stop,
            &format!("hub_id={hub}&username=bob&server_name="),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("home volume is kept"), "{}", r.body);
    assert!(sim.user_pod(NS, "bob").is_none());
    assert!(
        sim.object("persistentvolumeclaims", NS, "claim-bob")
            .is_some()
    );

    let actions: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, actor FROM audit_events WHERE action LIKE 'server.%' ORDER BY id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        vec![
            ("server.start".to_string(), "bob".to_string()),
            ("server.start".to_string(), "bob".to_string()),
            ("server.stop".to_string(), "ada".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_hub_that_is_not_running_is_reported_in_words() {
    let (app, sim, _hubs, hub) = deployed_example().await;
    sim.install_release("other", "elsewhere", "4.4.0", json!({}));
    app.add_user("ada", Role::Admin).await;
    let ada = app.login("ada").await;
    // Point the hub at a port where nothing listens.
    let r = app
        .post_form(
            &fn_path::<SetHubRestAccess>(),
            &format!(
                "hub_id={hub}&form[api_url]={}&form[token]=t",
                enc("http://127.0.0.1:9/hub/api")
            ),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post_form(
            &fn_path::<StartServer>(),
            &start_body(hub, "ada", None),
            Some(&ada),
        )
        .await;
    assert!(!r.status.is_success());
    assert!(r.body.contains("cannot be reached"), "{}", r.body);
    // The attempt is audited as failed.
    let after: String =
        sqlx::query_scalar("SELECT after_json FROM audit_events WHERE action = 'server.start'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert!(after.contains("failed"), "{after}");
}

/// The portal's start and stop against a real JupyterHub 5.5.0 from PyPI (in target/pyenv,
/// made by scripts/setup.sh --test), run locally with a spawner that records what it is asked
/// (end2end/python/jupyterhub_rest_config.py): the real client path, a real hub's answers.
/// Skipped with a message when the virtualenv is missing, unless HUBFLEET_REQUIRE_PYENV is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_jupyterhub_starts_and_stops_servers_for_the_portal() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let jupyterhub = root.join("target/pyenv/bin/jupyterhub");
    if !jupyterhub.exists() {
        let msg = format!(
            "{} is missing: run scripts/setup.sh --test",
            jupyterhub.display()
        );
        if std::env::var_os("HUBFLEET_REQUIRE_PYENV").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIPPED a_real_jupyterhub_starts_and_stops_servers_for_the_portal: {msg}");
        return;
    }
    let hub_dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let token = "portal-service-token-0123456789";
    let spawn_log = hub_dir.path().join("spawn.log");
    let log_file = std::fs::File::create(hub_dir.path().join("hub.log")).unwrap();
    let _hub = crate::process::Running(
        std::process::Command::new(&jupyterhub)
            .arg("-f")
            .arg(root.join("end2end/python/jupyterhub_rest_config.py"))
            .current_dir(hub_dir.path())
            .env("HUB_PORT", port.to_string())
            .env("SPAWN_LOG", &spawn_log)
            .env("HUBFLEET_TEST_TOKEN", token)
            .stdout(std::process::Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("jupyterhub starts"),
    );
    let api = format!("http://127.0.0.1:{port}/hub/api");
    let probe = app::backend::jupyterhub::HubClient::new(&api, token).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        if probe.version().await.is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "JupyterHub did not answer: {}",
            std::fs::read_to_string(hub_dir.path().join("hub.log")).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    let app = TestApp::new().await;
    app::backend::seed::seed_example(&app.state.pool)
        .await
        .unwrap();
    let hub: i64 = sqlx::query_scalar("SELECT id FROM hubs")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let profile: i64 = sqlx::query_scalar("SELECT id FROM profiles WHERE slug = 'data-science'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    app.add_user("ada", Role::Admin).await;
    app.add_user("bob", Role::User).await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    let set = |t: &str| {
        format!(
            "hub_id={hub}&form[api_url]={}&form[token]={}",
            enc(&api),
            enc(t)
        )
    };
    let check = fn_path::<TestHubRestAccess>();
    let r = app
        .post_form(
            &fn_path::<SetHubRestAccess>(),
            &set("not-the-token-at-all"),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post_form(&check, &format!("hub_id={hub}"), Some(&ada))
        .await;
    assert!(
        r.body.contains("refused the token (HTTP 403)"),
        "{}",
        r.body
    );
    let r = app
        .post_form(&fn_path::<SetHubRestAccess>(), &set(token), Some(&ada))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post_form(&check, &format!("hub_id={hub}"), Some(&ada))
        .await;
    assert!(r.body.contains("JupyterHub 5.5.0"), "{}", r.body);

    // Bob, unknown to the hub so far, starts his server with his profile: the hub makes the
    // user, the spawner gets the profile in its options.
    let start = fn_path::<StartServer>();
    let r = app
        .post_form(&start, &start_body(hub, "bob", Some(profile)), Some(&bob))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("bob's server is running with profile")
            || r.body.contains("Starting bob's server"),
        "{}",
        r.body
    );
    let r = app
        .post_form(&start, &start_body(hub, "bob", None), Some(&bob))
        .await;
    assert!(r.body.contains("already running"), "{}", r.body);
    let r = app
        .post_form(
            &fn_path::<StopServer>(),
            &format!("hub_id={hub}&username=bob&server_name="),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let log = std::fs::read_to_string(&spawn_log).unwrap();
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        events,
        vec![
            json!({"event": "start", "user": "bob", "server": "", "options": {"profile": "data-science"}}),
            json!({"event": "stop", "user": "bob", "server": "", "options": {"profile": "data-science"}}),
        ]
    );
}
