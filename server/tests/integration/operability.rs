//! Running the portal in production: backups taken while it writes, restore, one portal per
//! data directory, `/metrics` and its access rules, JSON logs carrying request ids.

use crate::common::{TestApp, raw_request};
use crate::process::{create_operator, output, start};
use app::backend::audit::{Actor, RequestMeta};
use app::backend::backup;
use app::backend::write::{self, By};
use app::domain::hub::{Hub, HubForm};
use axum::body::Body;
use http::{Request, StatusCode};
use server::config::{GlobalOpts, LogFormat};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn hub_form(i: usize) -> HubForm {
    HubForm {
        release_name: format!("hub-{i:03}"),
        namespace: format!("team-{i:03}"),
        chart_version: "4.4.0".into(),
        driver: "job".into(),
        ..HubForm::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_100_concurrent_writes_holds_every_row_committed_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let global = GlobalOpts {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        log_level: "warn".into(),
        log_format: LogFormat::Text,
    };
    let pool = server::startup::open_database(&global).await.unwrap();
    // `hubfleet backup` is its own process with its own connections.
    let backup_pool = server::startup::open_existing_database(&global)
        .await
        .unwrap();

    let committed: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let mut writers = Vec::new();
    for i in 0..100 {
        let pool = pool.clone();
        let committed = committed.clone();
        writers.push(tokio::spawn(async move {
            let actor = Actor::system("test");
            let meta = RequestMeta::default();
            let by = By::new(&actor, &meta, "backup under load");
            let spec = hub_form(i).validate().expect("valid hub");
            write::create::<Hub>(&pool, &by, (), &spec)
                .await
                .expect("write commits");
            committed.lock().unwrap().push((i, Instant::now()));
        }));
    }
    // Start the backup once the writes are well under way.
    while committed.lock().unwrap().len() < 20 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let started = Instant::now();
    let before: BTreeSet<usize> = committed
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < started)
        .map(|(i, _)| *i)
        .collect();
    let dest = dir.path().join("backup.db");
    let summary = backup::backup_to(&backup_pool, &dest).await.unwrap();
    for w in writers {
        w.await.unwrap();
    }

    // The copy opens, passes the integrity check (inspect runs it) and holds every write that
    // had committed when it started, each with its audit event.
    assert_eq!(summary, backup::inspect(&dest).await.unwrap());
    let copy = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", dest.display()))
        .await
        .unwrap();
    let hubs: BTreeSet<String> = sqlx::query_scalar::<_, String>("SELECT release_name FROM hubs")
        .fetch_all(&copy)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let audited: BTreeSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT target_name FROM audit_events WHERE action = 'hub.create'",
    )
    .fetch_all(&copy)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert!(before.len() >= 20);
    for i in &before {
        let name = format!("hub-{i:03}");
        assert!(hubs.contains(&name), "{name} committed before the backup");
        assert!(
            audited.iter().any(|a| a.contains(&name)),
            "{name}'s audit event"
        );
    }
    // Whatever else it holds is whole: each hub with its audit event, nothing half-written.
    assert_eq!(hubs.len(), audited.len());
    assert_eq!(summary.hubs as usize, hubs.len());
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&copy)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    // All 100 writes reached the live database.
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hubs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(live, 100);
}

#[tokio::test]
async fn a_backup_that_is_not_sound_is_refused_on_restore() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just text").unwrap();
    let err = backup::restore(&junk, &dir.path().join("hubfleet.db"))
        .await
        .unwrap_err();
    assert!(err.contains("junk.db"), "{err}");
    assert!(!dir.path().join("hubfleet.db").exists());

    // A SQLite file that is not a Hubfleet database.
    let other = dir.path().join("other.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", other.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (x INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = backup::inspect(&other).await.unwrap_err();
    assert!(err.contains("not a Hubfleet database"), "{err}");
}

/// The commands as an administrator meets them: a backup while the portal runs, a restore
/// refused under it (and a second portal refused), then put back once it is stopped.
#[tokio::test]
async fn backup_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    create_operator(dir.path());
    let (running, addr, _) = start(dir.path(), &["--cluster", "demo"], &[]).await;
    let pid = running.0.id();

    let file = dir.path().join("b1.db");
    let file_arg = file.to_str().unwrap();
    let (ok, out, err) = output(dir.path(), &["backup", "--to", file_arg]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Backed up to") && out.contains("1 account(s)"),
        "{out}"
    );
    let (ok, _, err) = output(dir.path(), &["backup", "--to", file_arg]);
    assert!(!ok);
    assert!(err.contains("exists: choose a new file name"), "{err}");

    let (ok, _, err) = output(dir.path(), &["restore", "--from", file_arg]);
    assert!(!ok);
    assert!(
        err.contains(&format!("a Hubfleet portal (process {pid}) is running"))
            && err.contains("stop it, then restore"),
        "{err}"
    );
    let (ok, _, err) = output(
        dir.path(),
        &["serve", "--cluster", "demo", "--listen", "127.0.0.1:0"],
    );
    assert!(!ok, "a second portal on the same data directory");
    assert!(err.contains("is running on data directory"), "{err}");

    // A change after the backup, then the portal stops.
    crate::process::create_admin(dir.path(), "later", "another long password");
    let r = raw_request(
        &addr,
        &format!("GET /healthz HTTP/1.1\r\nHost: {addr}"),
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    drop(running);

    let (ok, out, err) = output(dir.path(), &["restore", "--from", file_arg]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("1 account(s)"), "{out}");
    let kept = out
        .lines()
        .find_map(|l| l.strip_prefix("The database it replaced is kept as "))
        .map(|p| std::path::PathBuf::from(p.trim_end_matches('.')))
        .expect("names the kept database");
    assert_eq!(backup::inspect(&kept).await.unwrap().accounts, 2);
    let db = dir.path().join("data").join("hubfleet.db");
    assert_eq!(backup::inspect(&db).await.unwrap().accounts, 1);

    // The restored portal starts and its administrator signs in.
    let (_running, addr, _) = start(dir.path(), &["--cluster", "demo"], &[]).await;
    crate::process::sign_in(&addr).await;
}

#[tokio::test]
async fn metrics_need_the_token_and_hold_the_named_series() {
    let (app, _sim) = TestApp::with_simulator().await;
    // Closed by default.
    let r = app.get("/metrics", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("--metrics-token"), "{}", r.body);

    let metrics = server::metrics::Metrics::new(Some("scrape-token"));
    let router = server::router_with_metrics(app.state.clone(), metrics);
    let app = TestApp { router, ..app };
    app.add_user("ada", app::domain::user::Role::Admin).await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/hubs/1", None).await.status, StatusCode::SEE_OTHER);
    assert!(
        !app.try_login("ada", "wrong password")
            .await
            .status
            .is_success()
    );
    sqlx::query(
        "INSERT INTO operations (hub_id, release_name, namespace, kind, driver, status,
             chart_version, driver_object, reason, actor, created_at, updated_at, finished_at)
         VALUES (1, 'h', 'n', 'upgrade', 'job', 'failed', '4.4.0', 'n/j', 'r', 'ada',
             '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();

    let scrape = |auth: Option<&'static str>| {
        let mut req = Request::get("/metrics");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        app.send(req.body(Body::empty()).unwrap())
    };
    assert_eq!(scrape(None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(Some("Bearer wrong")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = scrape(Some("Bearer scrape-token")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        server::metrics::CONTENT_TYPE
    );
    let body = r.body;
    for want in [
        r#"hubfleet_http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        // A page by its route template, not its id.
        r#"hubfleet_http_requests_total{method="GET",route="/hubs/{id}",status="303"} 1"#,
        r#"hubfleet_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz"}"#,
        r#"hubfleet_sign_in_failures_total{reason="bad_credentials"} 1"#,
        r#"hubfleet_sign_in_failures_total{reason="rate_limited"} 0"#,
        r#"hubfleet_release_operations_total{driver="job",kind="upgrade",result="failed"} 1"#,
        r#"hubfleet_watch_store_objects{store="nodes""#,
        r#"hubfleet_watch_store_ready{store="pods""#,
        "# TYPE hubfleet_watch_store_last_event_age_seconds gauge",
        "# TYPE hubfleet_watch_store_errors counter",
        "# EOF",
    ] {
        assert!(body.contains(want), "missing {want} in:\n{body}");
    }
}

/// `--metrics-listen` serves `/metrics` without a token on its own address; `--log-format
/// json` writes one JSON object per line, and the lines of a request carry its id.
#[tokio::test]
async fn metrics_listener_and_json_logs_with_request_ids() {
    let dir = tempfile::tempdir().unwrap();
    create_operator(dir.path());
    let (_running, addr, log) = start(
        dir.path(),
        &[
            "--cluster",
            "demo",
            "--metrics-listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ],
        &[],
    )
    .await;
    let metrics_addr = {
        let lines = log.lock().unwrap();
        let line = lines
            .iter()
            .find(|l| l.contains("metrics on http://"))
            .expect("the metrics address is logged")
            .clone();
        let rest = line.split("metrics on http://").nth(1).unwrap();
        rest.split('/').next().unwrap().to_string()
    };
    let r = raw_request(
        &addr,
        &format!("GET /login HTTP/1.1\r\nHost: {addr}\r\nX-Request-Id: client-chosen"),
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let id = r.header("x-request-id").expect("request id").to_string();
    assert_ne!(id, "client-chosen");

    let m = raw_request(
        &metrics_addr,
        &format!("GET /metrics HTTP/1.1\r\nHost: {metrics_addr}"),
        b"",
    )
    .await;
    assert_eq!(m.status, 200, "{}", m.body);
    assert!(
        m.body.contains(
            r#"hubfleet_http_requests_total{method="GET",route="/login",status="200"} 1"#
        ),
        "{}",
        m.body
    );
    // Only /metrics there.
    let other = raw_request(
        &metrics_addr,
        &format!("GET /login HTTP/1.1\r\nHost: {metrics_addr}"),
        b"",
    )
    .await;
    assert_eq!(other.status, 404);

    // The access line of that request, as JSON, inside its span.
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let found = log
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["span"]["request_id"] == id.as_str());
        if let Some(v) = found {
            break v;
        }
        assert!(Instant::now() < deadline, "no log line carries {id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(line["fields"]["message"], "answered");
    assert_eq!(line["fields"]["status"], 200);
    assert_eq!(line["span"]["path"], "/login");
    // Every line is JSON.
    for l in log.lock().unwrap().iter() {
        assert!(
            serde_json::from_str::<serde_json::Value>(l).is_ok(),
            "not JSON: {l}"
        );
    }
}
