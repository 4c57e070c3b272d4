//! Applying hubs (issue 10), measured against the in-process simulated cluster (not a timed
//! test: it writes its figures to BENCHMARKS.md, section `deploy`).
//!
//! Run: `cargo bench -p server --bench deploy` (optimised build).
//!
//! 1. A confirmed apply, from the request to the driver's Job created: the portal's own steps
//!    (values generated, validated and recorded against the reviewed digest; the operation and
//!    its audit event written; the Job driver's objects built) timed apart from the whole call,
//!    which adds the API requests to the simulated cluster (read the token Secret, read the
//!    shared volume, then a dry run and a write for each of five objects).
//! 2. The release table (`helm ls --all -A`) and one release's history for 50 releases × 20
//!    revisions, decoded from the watch store's release Secrets.

use app::backend::audit::{Actor, RequestMeta};
use app::backend::cluster::{ClusterHandle, ClusterOptions};
use app::backend::deploy::{self, Deployer, job, records};
use app::backend::write::By;
use app::backend::{contents, values};
use app::domain::cluster::ClusterSource;
use app::domain::deploy::{OperationKind, OperationStatus};
use report::{Timing, machine, ms, update_section};
use server::config::{GlobalOpts, ServeOpts};
use std::time::{Duration, Instant};

#[path = "report.rs"]
mod report;

const ROUNDS: usize = 50;
const RELEASES: usize = 50;
const REVISIONS: u32 = 20;

async fn time_async<F, Fut, T>(rounds: usize, mut f: F) -> Timing
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let _ = f().await;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(f().await);
        times.push(t.elapsed());
    }
    Timing::of(times)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let global = GlobalOpts {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        log_level: "warn".into(),
        log_format: server::config::LogFormat::Text,
    };
    let pool = server::startup::open_database(&global)
        .await
        .expect("database");
    app::backend::seed::seed_example(&pool).await.expect("seed");
    let mut sim_config = simcluster::SimConfig::for_tests();
    sim_config.helm_history_max = REVISIONS as usize + 5;
    let sim = simcluster::Simulator::new(sim_config);
    let cluster = ClusterHandle::from_client(
        sim.client(),
        ClusterSource::Simulated,
        "simulated://bench".into(),
        ClusterOptions::for_tests(),
    )
    .await;
    assert!(
        cluster
            .stores()
            .expect("stores")
            .wait_until_ready(Duration::from_secs(20))
            .await
    );
    let opts = ServeOpts::from_env().expect("options");
    let state = server::startup::state(pool.clone(), &opts, cluster.clone(), dir.path());
    let deployer = Deployer::from_state(&state);
    let hub = contents::load_all(&pool).await.expect("hubs").remove(0).hub;
    let actor = Actor::system("bench");
    let meta = RequestMeta {
        request_id: "bench".into(),
        client_request_id: String::new(),
        client_addr: "bench".into(),
    };
    let page = deployer.page(hub.id).await.expect("deploy page");
    let digest = page.plan.digest.clone();
    let free = |id: i64| {
        let pool = pool.clone();
        async move {
            records::finish(
                &pool,
                id,
                &records::Outcome {
                    status: OperationStatus::Interrupted,
                    message: "benchmark".into(),
                    helm_revision: None,
                    log: vec![],
                },
            )
            .await
            .expect("finish");
        }
    };

    // 1. The whole confirmed apply (each run's operation is closed before the next).
    let mut whole = Vec::new();
    for i in 0..=ROUNDS {
        let by = By::new(&actor, &meta, "benchmark apply");
        let t = Instant::now();
        let op = deployer.apply(&by, hub.id, &digest).await.expect("apply");
        let took = t.elapsed();
        if i > 0 {
            whole.push(took);
        }
        free(op.id).await;
    }
    let whole = Timing::of(whole);
    // The portal's own steps of the same request.
    let record = time_async(ROUNDS, || {
        values::record(
            &pool,
            &actor,
            &meta,
            hub.id,
            state.settings.public_url.as_deref(),
            Some(&digest),
        )
    })
    .await;
    let mut start = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let op = records::start(
            &pool,
            &actor,
            &meta,
            &records::NewOperation {
                hub: &hub,
                kind: OperationKind::Upgrade,
                values_version: Some(1),
                digest: Some(&digest),
                target_revision: None,
                reason: "benchmark",
            },
        )
        .await
        .expect("start");
        start.push(t.elapsed());
        free(op.id).await;
    }
    let start = Timing::of(start);
    let sample = records::recent(&pool, hub.id, 1)
        .await
        .expect("ops")
        .remove(0);
    let rendered = values::render_hub(&pool, hub.id, Some("http://portal"))
        .await
        .expect("values");
    let build = time_async(ROUNDS, || async {
        let (sa, role, binding) = job::account(&sample.namespace);
        let secret = job::values_secret(&sample, &rendered.yaml);
        let j = job::job(&sample, &deployer.source);
        (sa, role, binding, secret, j)
    })
    .await;
    let page_time = time_async(ROUNDS, || deployer.page(hub.id)).await;

    // 2. 50 releases × 20 revisions in the store.
    let values_json = rendered.json.clone();
    for r in 0..RELEASES {
        for _ in 0..REVISIONS {
            sim.install_release(
                &format!("hub-{r:02}"),
                "jupyterhub",
                "4.4.0",
                values_json.clone(),
            );
        }
    }
    let stores = cluster.stores().expect("stores");
    let want = RELEASES * REVISIONS as usize;
    let deadline = Instant::now() + Duration::from_secs(120);
    while stores
        .release_secrets
        .filter(|s| s.metadata.namespace.as_deref() == Some("jupyterhub"))
        .len()
        < want
    {
        assert!(Instant::now() < deadline, "the store did not fill");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let table = time_async(ROUNDS, || deploy::releases(&pool, &cluster)).await;
    let rows = deploy::releases(&pool, &cluster)
        .await
        .expect("rows")
        .rows
        .len();
    let history = time_async(ROUNDS, || async {
        stores.release_history("jupyterhub", "hub-07")
    })
    .await;
    let secret_bytes: usize = stores
        .release_secrets
        .state()
        .iter()
        .filter_map(|s| s.data.as_ref()?.get("release").map(|b| b.0.len()))
        .sum::<usize>()
        / stores.release_secrets.len().max(1);

    let lines = vec![
        "## Applying hubs (issue 10)".to_string(),
        String::new(),
        format!(
            "Measured by `cargo bench -p server --bench deploy` (optimised build) on {}. The portal and the simulated cluster in one process (SQLite on a temporary file); median and slowest of {ROUNDS} runs after a warm-up.",
            machine()
        ),
        String::new(),
        "| step | median | slowest |".into(),
        "|---|---|---|".into(),
        format!(
            "| values generated, validated and recorded against the reviewed digest | {} | {} |",
            ms(record.median),
            ms(record.max)
        ),
        format!(
            "| operation and its audit event written (one SQLite transaction) | {} | {} |",
            ms(start.median),
            ms(start.max)
        ),
        format!(
            "| Job driver's objects built (ServiceAccount, Role, RoleBinding, values Secret, Job) | {} | {} |",
            ms(build.median),
            ms(build.max)
        ),
        format!(
            "| **whole confirmed apply until the Job is created**, with 12 requests to the in-process simulated API server | {} | {} |",
            ms(whole.median),
            ms(whole.max)
        ),
        format!(
            "| deploy page data (values, diff against the deployed revision, impact, operations) | {} | {} |",
            ms(page_time.median),
            ms(page_time.max)
        ),
        format!(
            "| `helm ls --all -A` from the store: {rows} releases, {want} release Secrets decoded (about {} KiB each, gzip) | {} | {} |",
            secret_bytes / 1024,
            ms(table.median),
            ms(table.max)
        ),
        format!(
            "| `helm history` of one release (its {REVISIONS} revisions) | {} | {} |",
            ms(history.median),
            ms(history.max)
        ),
    ];
    for l in &lines {
        println!("{l}");
    }
    match update_section("deploy", &lines) {
        Ok(f) => println!("\nwrote {}", f.display()),
        Err(e) => eprintln!("could not update BENCHMARKS.md: {e}"),
    }
}
