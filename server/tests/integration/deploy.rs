//! Applying hubs through the real router and kube client on the simulated cluster (the Job
//! driver): install, upgrade, a second apply refused while one runs, a failed upgrade that
//! leaves the previous revision serving, rollback, revision diffs, uninstall, and operations
//! left running by a stopped process followed to their outcome on restart.

use crate::common::*;
use app::api::deploy::{
    ApplyRelease, GetDeployPage, GetOperation, GetRevisionDiff, ListReleases, RollbackRelease,
    UninstallRelease,
};
use app::backend::audit::{Actor, RequestMeta};
use app::backend::deploy::{Deployer, job, records};
use app::domain::deploy::{
    DeployPage, Operation, OperationKind, OperationStatus, ReleaseList, RevisionDiff,
};
use app::domain::user::Role;
use http::StatusCode;
use std::time::Duration;

const HUB: &str = "data8-jupyterhub";
const NS: &str = "kube-public";

async fn page(app: &TestApp, cookie: &str, hub: i64) -> DeployPage {
    let r = app
        .post_form(
            &fn_path::<GetDeployPage>(),
            &format!("hub_id={hub}"),
            Some(cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// Sets the memory limit of the hub's profiles to `gigabytes` G (straight in SQLite: the
/// profile form's own path is tested elsewhere; here only the values must change).
async fn set_memory_limit(app: &TestApp, hub: i64, gigabytes: u64) {
    sqlx::query(
        "UPDATE profiles SET mem_limit = ?, mem_limit_bytes = ?, version = version + 1 WHERE hub_id = ?",
    )
    .bind(format!("{gigabytes}G"))
    .bind(i64::try_from(gigabytes * 1_000_000_000).unwrap())
    .bind(hub)
    .execute(&app.state.pool)
    .await
    .unwrap();
}

/// Moves the simulator's clock until operation `id` has an outcome.
async fn settle(app: &TestApp, sim: &simcluster::Simulator, cookie: &str, id: i64) -> Operation {
    for _ in 0..200 {
        sim.advance(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let r = app
            .post_form(
                &fn_path::<GetOperation>(),
                &format!("id={id}"),
                Some(cookie),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let op: Operation = serde_json::from_str(&r.body).unwrap();
        if op.status.is_finished() {
            return op;
        }
    }
    panic!("operation {id} did not finish");
}

async fn apply(
    app: &TestApp,
    cookie: &str,
    hub: i64,
    digest: &str,
    reason: &str,
) -> (StatusCode, String) {
    let r = app
        .post_form(
            &fn_path::<ApplyRelease>(),
            &format!("hub_id={hub}&digest={digest}&reason={}", enc(reason)),
            Some(cookie),
        )
        .await;
    (r.status, r.body)
}

fn release_status(sim: &simcluster::Simulator, revision: u32) -> Option<String> {
    sim.object(
        "secrets",
        NS,
        &format!("sh.helm.release.v1.{HUB}.v{revision}"),
    )
    .map(|s| {
        s["metadata"]["labels"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    })
}

/// The first-run example (one hub) in the database; its id.
async fn seeded_hub(app: &TestApp) -> i64 {
    assert!(
        app::backend::seed::seed_example(&app.state.pool)
            .await
            .unwrap()
    );
    sqlx::query_scalar("SELECT id FROM hubs")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_upgrade_fail_rollback_and_uninstall_through_the_job_driver() {
    let (app, sim) = TestApp::with_simulator().await;
    let hub = seeded_hub(&app).await;
    app.add_user("root", Role::Admin).await;
    app.add_user("carol", Role::User).await;
    let root = app.login("root").await;
    let carol = app.login("carol").await;

    // Users get nothing.
    let r = app
        .post_form(
            &fn_path::<GetDeployPage>(),
            &format!("hub_id={hub}"),
            Some(&carol),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Before the first apply: an install, nothing blocks it, the diff is the whole file.
    let p = page(&app, &root, hub).await;
    assert!(p.current.is_none());
    assert!(p.plan.impact.install);
    assert_eq!(p.plan.blocked, None, "{:?}", p.plan.blocked);
    assert!(p.plan.errors.is_empty(), "{:?}", p.plan.errors);
    assert!(p.plan.added > 0 && p.plan.removed == 0);
    // The example's shared volume is portal-managed: the install creates it.
    assert_eq!(
        p.plan.impact.created_volumes,
        vec!["claim-share".to_string()]
    );
    assert!(p.plan.impact.missing_volumes.is_empty());

    // A reason is required; a stale digest is refused.
    let (status, body) = apply(&app, &root, hub, &p.plan.digest, "  ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("Say why"), "{body}");
    let (status, body) = apply(&app, &root, hub, "0000", "first install").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Install.
    let (status, body) = apply(&app, &root, hub, &p.plan.digest, "first install").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let op: Operation = serde_json::from_str(&body).unwrap();
    assert_eq!(op.kind, OperationKind::Install);
    assert_eq!(op.status, OperationStatus::Running);
    assert_eq!(op.driver_object, format!("{NS}/hubfleet-install-{}", op.id));
    // The Job runs the pinned Helm image with the values from a Secret.
    let job_obj = sim
        .object("batch/jobs", NS, &format!("hubfleet-install-{}", op.id))
        .expect("the Job exists");
    assert_eq!(
        job_obj["spec"]["template"]["spec"]["containers"][0]["image"],
        job::DEFAULT_HELM_IMAGE
    );
    assert!(
        sim.object("serviceaccounts", NS, job::HELM_ACCOUNT)
            .is_some()
    );
    let share = sim
        .object("persistentvolumeclaims", NS, "claim-share")
        .expect("the shared volume was created");
    assert_eq!(share["spec"]["accessModes"][0], "ReadWriteMany");
    assert_eq!(share["spec"]["storageClassName"], "glusterfs");
    assert!(
        sim.object(
            "rbac.authorization.k8s.io/rolebindings",
            NS,
            job::HELM_ACCOUNT
        )
        .is_some()
    );
    // The hub's token Secret holds a token the portal accepts for this hub.
    let token_secret = sim
        .object("secrets", NS, &format!("hubfleet-token-{HUB}"))
        .expect("token Secret");
    let token = token_secret["data"]["token"].as_str().expect("token data");
    use base64::Engine;
    let token = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(token)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        app::backend::tokens::authenticate(&app.state.pool, &token)
            .await
            .unwrap()
            .map(|(h, _)| h),
        Some(hub)
    );
    // A second apply while this one runs is refused, naming who and what.
    let (status, body) = apply(&app, &root, hub, &p.plan.digest, "again").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("root is already running"), "{body}");

    let done = settle(&app, &sim, &root, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(done.helm_revision, Some(1));
    assert!(
        done.log.iter().any(|l| l.contains("STATUS: deployed")),
        "{:?}",
        done.log
    );
    assert_eq!(release_status(&sim, 1).as_deref(), Some("deployed"));
    // The values Secret is removed once the operation ended.
    assert!(
        sim.object("secrets", NS, &job::values_secret_name(op.id))
            .is_none()
    );

    // `helm ls --all -A` lists it with its hub, and a release Hubfleet did not make without.
    sim.install_release("other-hub", "jupyterhub", "4.4.0", serde_json::json!({}));
    let mut rows = Vec::new();
    for _ in 0..100 {
        let r = app
            .post_form(&fn_path::<ListReleases>(), "", Some(&root))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        rows = serde_json::from_str::<ReleaseList>(&r.body).unwrap().rows;
        if rows.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ours = rows.iter().find(|r| r.name == HUB).expect("our release");
    assert_eq!((ours.hub_id, ours.latest.revision), (Some(hub), 1));
    let other = rows
        .iter()
        .find(|r| r.name == "other-hub")
        .expect("the other");
    assert_eq!(other.hub_id, None);

    // Deployed: nothing to change; the values version applied was recorded.
    let p = page(&app, &root, hub).await;
    assert_eq!(p.current.as_ref().map(|c| c.revision), Some(1));
    assert!(p.plan.unchanged, "{:?}", p.plan.diff);
    assert!(!p.plan.impact.install);
    assert_eq!(p.operations[0].values_version, Some(1));

    // Change a profile: the impact names it; the upgrade makes revision 2.
    set_memory_limit(&app, hub, 4).await;
    let p = page(&app, &root, hub).await;
    assert!(!p.plan.unchanged);
    assert_eq!(
        p.plan.impact.changed_profiles.len(),
        1,
        "{:?}",
        p.plan.impact
    );
    assert!(p.plan.added >= 1 && p.plan.removed >= 1);
    let (status, body) = apply(&app, &root, hub, &p.plan.digest, "more memory").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let op: Operation = serde_json::from_str(&body).unwrap();
    assert_eq!(op.kind, OperationKind::Upgrade);
    let done = settle(&app, &sim, &root, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(done.helm_revision, Some(2));
    assert_eq!(release_status(&sim, 1).as_deref(), Some("superseded"));

    // A failed upgrade: recorded with Helm's error; revision 2 keeps serving.
    set_memory_limit(&app, hub, 5).await;
    sim.fail_next_release(HUB, "timed out waiting for the condition");
    let p = page(&app, &root, hub).await;
    let (status, body) = apply(&app, &root, hub, &p.plan.digest, "even more").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let op: Operation = serde_json::from_str(&body).unwrap();
    let done = settle(&app, &sim, &root, op.id).await;
    assert_eq!(done.status, OperationStatus::Failed, "{done:?}");
    assert!(done.message.contains("UPGRADE FAILED"), "{}", done.message);
    assert!(done.message.contains("previous release keeps running"));
    assert_eq!(release_status(&sim, 2).as_deref(), Some("deployed"));
    let p = page(&app, &root, hub).await;
    assert!(!p.plan.unchanged, "the failed change is still to apply");

    // The diff between revisions 1 and 2 shows the memory change.
    let r = app
        .post_form(
            &fn_path::<GetRevisionDiff>(),
            &format!("hub_id={hub}&from=1&to=2"),
            Some(&root),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let diff: RevisionDiff = serde_json::from_str(&r.body).unwrap();
    assert!(diff.added >= 1 && diff.removed >= 1);
    let text: String = serde_json::to_string(&diff.hunks).unwrap();
    assert!(text.contains("4G"), "{text}");

    // Rollback to 1: refused for the deployed revision and a missing one; then done.
    let rollback =
        |rev: u32, reason: &str| format!("hub_id={hub}&revision={rev}&reason={}", enc(reason));
    let r = app
        .post_form(
            &fn_path::<RollbackRelease>(),
            &rollback(2, "back"),
            Some(&root),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post_form(
            &fn_path::<RollbackRelease>(),
            &rollback(42, "back"),
            Some(&root),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post_form(
            &fn_path::<RollbackRelease>(),
            &rollback(1, "back to 3G"),
            Some(&root),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let op: Operation = serde_json::from_str(&r.body).unwrap();
    let done = settle(&app, &sim, &root, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    let new_rev = done.helm_revision.expect("a revision");
    assert!(new_rev > 2);
    assert!(
        done.message.contains("Rolled back to revision 1"),
        "{}",
        done.message
    );

    // Uninstall: the release name must be typed; home volumes are kept.
    let uninstall =
        |confirm: &str| format!("hub_id={hub}&confirm={}&reason=course+over", enc(confirm));
    let r = app
        .post_form(
            &fn_path::<UninstallRelease>(),
            &uninstall("data8"),
            Some(&root),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Type the release name"), "{}", r.body);
    let r = app
        .post_form(&fn_path::<UninstallRelease>(), &uninstall(HUB), Some(&root))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let op: Operation = serde_json::from_str(&r.body).unwrap();
    let done = settle(&app, &sim, &root, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert!(
        done.message.contains("home volumes are kept"),
        "{}",
        done.message
    );
    assert!(release_status(&sim, 1).is_none());

    // Every request and outcome is in the audit trail, with the reasons.
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, reason FROM audit_events WHERE action LIKE 'release.%' ORDER BY id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audited.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "release.install",
            "release.install.succeeded",
            "release.upgrade",
            "release.upgrade.succeeded",
            "release.upgrade",
            "release.upgrade.failed",
            "release.rollback",
            "release.rollback.succeeded",
            "release.uninstall",
            "release.uninstall.succeeded",
        ]
    );
    assert_eq!(audited[1].1, "first install");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_left_running_are_followed_after_a_restart() {
    let (app, sim) = TestApp::with_simulator().await;
    assert!(
        app::backend::seed::seed_example(&app.state.pool)
            .await
            .unwrap()
    );
    let hub = app::backend::contents::load_all(&app.state.pool)
        .await
        .unwrap()
        .remove(0)
        .hub;
    let deployer = Deployer::from_state(&app.state);
    let actor = Actor::system("test");
    let meta = RequestMeta {
        request_id: "t".into(),
        client_request_id: String::new(),
        client_addr: "test".into(),
    };
    let new = |kind| records::NewOperation {
        hub: &hub,
        kind,
        values_version: None,
        digest: None,
        target_revision: None,
        reason: "before the crash",
    };
    // The process stopped before the Job reached the cluster: marked interrupted.
    let lost = records::start(&app.state.pool, &actor, &meta, &new(OperationKind::Install))
        .await
        .unwrap();
    assert_eq!(deployer.resume_unfinished().await.unwrap(), 1);
    let mut op = lost.clone();
    for _ in 0..100 {
        op = records::get(&app.state.pool, lost.id).await.unwrap();
        if op.status.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(op.status, OperationStatus::Interrupted, "{op:?}");
    assert!(op.message.contains("does not exist"), "{}", op.message);

    // The process stopped after sending the Job: the new process follows it to its end.
    let sent = records::start(&app.state.pool, &actor, &meta, &new(OperationKind::Install))
        .await
        .unwrap();
    let rendered = app::backend::values::render_hub(&app.state.pool, hub.id, Some("http://portal"))
        .await
        .unwrap();
    job::submit(
        &deployer.cluster.client(),
        &sent,
        Some(&rendered.yaml),
        &deployer.source,
    )
    .await
    .map_err(|(w, e)| format!("{w}: {e}"))
    .unwrap();
    assert_eq!(deployer.resume_unfinished().await.unwrap(), 1);
    let mut op = sent.clone();
    for _ in 0..200 {
        sim.advance(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
        op = records::get(&app.state.pool, sent.id).await.unwrap();
        if op.status.is_finished() {
            break;
        }
    }
    assert_eq!(op.status, OperationStatus::Succeeded, "{op:?}");
    assert_eq!(op.helm_revision, Some(1));
}

/// The real thing: `hubfleet serve` is killed with SIGKILL while its install runs; started
/// again on the same database, it follows the operation to its outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_portal_finishes_the_operation_after_restart() {
    use crate::process::{create_operator, post, run, serve, sign_in};
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let served = simcluster::serve::start(simcluster::serve::ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        kubeconfig: kubeconfig.clone(),
        config: simcluster::SimConfig::for_tests(),
    })
    .await
    .expect("serves");
    let sim = &served.simulator;
    create_operator(dir.path());
    run(dir.path(), &["seed", "--example"]);
    let args = ["--public-url", "http://hubfleet.example.org"];
    let (mut first, addr) = serve(dir.path(), &kubeconfig, &args).await;
    let cookie = sign_in(&addr).await;
    let r = post(
        &addr,
        &fn_path::<GetDeployPage>(),
        "hub_id=1",
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p: DeployPage = serde_json::from_str(&r.body).unwrap();
    let body = format!(
        "hub_id=1&digest={}&reason=install+then+crash",
        p.plan.digest
    );
    let r = post(&addr, &fn_path::<ApplyRelease>(), &body, Some(&cookie)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let op: Operation = serde_json::from_str(&r.body).unwrap();
    assert_eq!(op.status, OperationStatus::Running);

    // SIGKILL: no shutdown code runs.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    drop(first);

    let (_second, addr) = serve(dir.path(), &kubeconfig, &args).await;
    let cookie = sign_in(&addr).await;
    let mut done = op.clone();
    for _ in 0..200 {
        sim.advance(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let r = post(
            &addr,
            &fn_path::<GetOperation>(),
            &format!("id={}", op.id),
            Some(&cookie),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        done = serde_json::from_str(&r.body).unwrap();
        if done.status.is_finished() {
            break;
        }
    }
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(done.helm_revision, Some(1));
    assert_eq!(release_status(sim, 1).as_deref(), Some("deployed"));
}

/// Flux and the k3s helm-controller (the simulated cluster serves both kinds): install,
/// upgrade, a failed upgrade, rollback and uninstall through each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_and_k3s_drivers_install_upgrade_roll_back_and_uninstall() {
    for driver in ["flux", "k3s"] {
        let (app, sim) = TestApp::with_simulator().await;
        assert!(
            app::backend::seed::seed_example(&app.state.pool)
                .await
                .unwrap()
        );
        let hub: i64 = sqlx::query_scalar("UPDATE hubs SET driver = ? RETURNING id")
            .bind(driver)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
        app.add_user("root", Role::Admin).await;
        let root = app.login("root").await;
        let p = page(&app, &root, hub).await;
        assert_eq!(p.plan.blocked, None, "{driver}: {:?}", p.plan.blocked);
        let (status, body) = apply(&app, &root, hub, &p.plan.digest, "install").await;
        assert_eq!(status, StatusCode::OK, "{driver}: {body}");
        let op: Operation = serde_json::from_str(&body).unwrap();
        assert_eq!(op.driver_object, format!("{NS}/{HUB}"), "{driver}");
        let done = settle(&app, &sim, &root, op.id).await;
        assert_eq!(
            done.status,
            OperationStatus::Succeeded,
            "{driver}: {done:?}"
        );
        assert_eq!(done.helm_revision, Some(1), "{driver}");
        assert!(!done.log.is_empty(), "{driver}: no log");
        match driver {
            "flux" => {
                let hr = sim
                    .object("helm.toolkit.fluxcd.io/helmreleases", NS, HUB)
                    .expect("HelmRelease");
                assert_eq!(hr["spec"]["storageNamespace"], NS);
                assert!(
                    sim.object(
                        "source.toolkit.fluxcd.io/helmrepositories",
                        NS,
                        "hubfleet-jupyterhub"
                    )
                    .is_some()
                );
            }
            _ => {
                let chart = sim
                    .object("helm.cattle.io/helmcharts", NS, HUB)
                    .expect("HelmChart");
                assert_eq!(chart["spec"]["failurePolicy"], "abort");
            }
        }

        set_memory_limit(&app, hub, 4).await;
        let p = page(&app, &root, hub).await;
        let (status, body) = apply(&app, &root, hub, &p.plan.digest, "more memory").await;
        assert_eq!(status, StatusCode::OK, "{driver}: {body}");
        let op: Operation = serde_json::from_str(&body).unwrap();
        let done = settle(&app, &sim, &root, op.id).await;
        assert_eq!(
            done.status,
            OperationStatus::Succeeded,
            "{driver}: {done:?}"
        );
        assert_eq!(done.helm_revision, Some(2), "{driver}");

        set_memory_limit(&app, hub, 5).await;
        sim.fail_next_release(HUB, "timed out waiting for the condition");
        let p = page(&app, &root, hub).await;
        let (status, body) = apply(&app, &root, hub, &p.plan.digest, "even more").await;
        assert_eq!(status, StatusCode::OK, "{driver}: {body}");
        let op: Operation = serde_json::from_str(&body).unwrap();
        let done = settle(&app, &sim, &root, op.id).await;
        assert_eq!(done.status, OperationStatus::Failed, "{driver}: {done:?}");
        assert!(
            done.message.contains("timed out"),
            "{driver}: {}",
            done.message
        );
        assert_eq!(
            release_status(&sim, 2).as_deref(),
            Some("deployed"),
            "{driver}"
        );

        let r = app
            .post_form(
                &fn_path::<RollbackRelease>(),
                &format!("hub_id={hub}&revision=1&reason=back"),
                Some(&root),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{driver}: {}", r.body);
        let op: Operation = serde_json::from_str(&r.body).unwrap();
        let done = settle(&app, &sim, &root, op.id).await;
        assert_eq!(
            done.status,
            OperationStatus::Succeeded,
            "{driver}: {done:?}"
        );
        let rev = done.helm_revision.expect("a revision");
        let deployed = sim
            .object("secrets", NS, &format!("sh.helm.release.v1.{HUB}.v{rev}"))
            .expect("the new revision");
        assert_eq!(deployed["metadata"]["labels"]["status"], "deployed");
        // The controllers deploy revision 1's values again: 3G.
        let history = app.state.cluster.stores().unwrap().release_history(NS, HUB);
        let newest = history.iter().find(|r| r.revision == rev).expect("decoded");
        assert_eq!(
            newest.values["singleuser"]["memory"]["limit"], "3G",
            "{driver}"
        );

        let r = app
            .post_form(
                &fn_path::<UninstallRelease>(),
                &format!("hub_id={hub}&confirm={HUB}&reason=over"),
                Some(&root),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{driver}: {}", r.body);
        let op: Operation = serde_json::from_str(&r.body).unwrap();
        let done = settle(&app, &sim, &root, op.id).await;
        assert_eq!(
            done.status,
            OperationStatus::Succeeded,
            "{driver}: {done:?}"
        );
        assert!(release_status(&sim, 1).is_none(), "{driver}");
    }
}

/// The deploy page follows an operation through its event stream: the operation at once,
/// again as its log and outcome are stored, and the stream ends after the finished one (real
/// HTTP, the stream read as it comes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_streams_its_progress_until_it_ends() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (app, sim) = TestApp::with_simulator().await;
    let hub = seeded_hub(&app).await;
    app.add_user("root", Role::Admin).await;
    let root = app.login("root").await;
    let p = page(&app, &root, hub).await;
    let (status, body) = apply(&app, &root, hub, &p.plan.digest, "first install").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let op: Operation = serde_json::from_str(&body).unwrap();

    let addr = serve(app.router.clone()).await;
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "GET {} HTTP/1.1\r\nHost: {addr}\r\nCookie: {root}\r\nAccept: text/event-stream\r\n\r\n",
            app::domain::deploy::operation_events_url(op.id)
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut seen = String::new();
    let mut ended = false;
    for _ in 0..400 {
        sim.advance(Duration::from_secs(1));
        let mut buf = vec![0u8; 65536];
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
            Ok(Ok(0)) => {
                ended = true;
                break;
            }
            Ok(Ok(n)) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => {}
        }
        // Chunked encoding's last chunk: the server ended the stream.
        if seen.ends_with("0\r\n\r\n") {
            ended = true;
            break;
        }
    }
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.contains("text/event-stream"), "{seen}");
    let events: Vec<Operation> = seen
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(events.len() >= 2, "{seen}");
    assert_eq!(events[0].status, OperationStatus::Running);
    assert!(events.iter().all(|e| e.id == op.id));
    // Each event differs from the one before (nothing is sent twice), and the log grows.
    assert!(events.windows(2).all(|w| w[0] != w[1]));
    assert!(events.iter().any(|e| !e.log.is_empty()), "{seen}");
    let last = events.last().unwrap();
    assert_eq!(last.status, OperationStatus::Succeeded, "{seen}");
    assert_eq!(last.helm_revision, Some(1));
    assert!(
        ended,
        "the stream ends after the finished operation: {seen}"
    );

    // An operation that does not exist: 404 as JSON, no stream.
    let r = app
        .get(
            &app::domain::deploy::operation_events_url(op.id + 100),
            Some(&root),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}
