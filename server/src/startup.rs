//! Start-up in one readable order: config → SQLite pool → migrations → session store →
//! first-run administrator → router → serve with graceful shutdown.

use crate::config::{GlobalOpts, ServeOpts};
use app::backend::auth::LoginThrottle;
use app::backend::cluster::{ClusterHandle, ClusterOptions, WatchScope};
use app::backend::deploy::HelmSource;
use app::backend::initial_password;
use app::backend::password::Hasher;
use app::backend::proxy::TrustedProxies;
use app::backend::secret_box::SecretKey;
use app::backend::state::RuntimeSettings;
use app::backend::{AppState, db, users};
use app::domain::cluster::ClusterSource;
use leptos::config::LeptosOptions;
use simcluster::{NodeSpec, SimConfig};
use sqlx::SqlitePool;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions_sqlx_store::SqliteStore;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Opens the database (creating the data directory), applies migrations and prepares the
/// session table.
pub async fn open_database(global: &GlobalOpts) -> Result<SqlitePool, BoxError> {
    if global.database_url.as_deref().is_none_or(str::is_empty) {
        std::fs::create_dir_all(&global.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                global.data_dir.display()
            )
        })?;
    }
    let url = global.database_url();
    let pool = db::connect(&url)
        .await
        .map_err(|e| format!("cannot open database {url}: {e}"))?;
    db::migrate(&pool)
        .await
        .map_err(|e| format!("database migration failed: {e}"))?;
    SqliteStore::new(pool.clone())
        .migrate()
        .await
        .map_err(|e| format!("session table migration failed: {e}"))?;
    Ok(pool)
}

/// Opens the database without creating or migrating it (for `hubfleet backup`): an absent
/// database file is an error naming it.
pub async fn open_existing_database(global: &GlobalOpts) -> Result<SqlitePool, BoxError> {
    let url = global.database_url();
    if let Some(file) = app::backend::backup::file_of_url(&url)
        && !file.exists()
    {
        return Err(format!(
            "there is no database at {} (check --data-dir or --database-url)",
            file.display()
        )
        .into());
    }
    Ok(db::connect(&url)
        .await
        .map_err(|e| format!("cannot open database {url}: {e}"))?)
}

/// Connects to the cluster chosen by `--cluster`, checking permissions in every hub's
/// namespace. Without any Kubernetes configuration `auto` uses the simulated cluster.
pub async fn connect_cluster(pool: &SqlitePool, opts: &ServeOpts) -> Result<Connected, BoxError> {
    let hub_namespaces = app::backend::hubs::namespaces(pool).await?;
    let options = cluster_options(&opts.namespaces, &hub_namespaces);
    let handle = if opts.cluster.is_simulated() {
        let (cpus, memory_gib) = opts.sim_node_size;
        let sim = SimConfig {
            seed: opts.sim_seed,
            nodes: (1..=opts.sim_nodes)
                .map(|i| NodeSpec::new(&format!("sim-node-{i}"), cpus, memory_gib))
                .collect(),
            synthetic_users: usize::from(opts.sim_users),
            ..SimConfig::demo()
        };
        let simulator = simcluster::Simulator::new(sim);
        let hubs = simulator
            .serve_hubs(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| format!("cannot serve the simulated hubs: {e}"))?;
        let handle = from_simulator(&simulator, options).await;
        return Ok(Connected {
            handle,
            simulated_hubs: Some(hubs),
        });
    } else {
        ClusterHandle::connect(opts.cluster.clone(), options).await?
    };
    tracing::info!(
        source = %handle.overview().source.label(),
        status = handle.status().label(),
        "cluster connection"
    );
    Ok(Connected {
        handle,
        simulated_hubs: None,
    })
}

/// The cluster connection, and on the simulated cluster its simulated hubs' REST API (served
/// while this value lives).
pub struct Connected {
    pub handle: ClusterHandle,
    pub simulated_hubs: Option<simcluster::LoopbackServer>,
}

/// What the portal watches and where it checks its permissions. With `--namespaces`
/// (`managed`, e.g. from the Helm chart) it watches only those, and checks them and every
/// hub's namespace (so a hub outside them shows as lacking permissions); without, it watches
/// every namespace and checks the hubs' namespaces (`default` when there is no hub).
pub fn cluster_options(managed: &[String], hub_namespaces: &[String]) -> ClusterOptions {
    let mut namespaces: Vec<String> = managed.to_vec();
    for ns in hub_namespaces {
        if !namespaces.contains(ns) {
            if !managed.is_empty() {
                tracing::warn!(
                    namespace = %ns,
                    "a hub's namespace is not in --namespaces: its servers, volumes and releases are not watched"
                );
            }
            namespaces.push(ns.clone());
        }
    }
    if namespaces.is_empty() {
        namespaces.push("default".into());
    }
    let watch = WatchScope {
        namespaces: (!managed.is_empty()).then(|| managed.to_vec()),
        ..WatchScope::default()
    };
    ClusterOptions {
        namespaces,
        watch,
        ..ClusterOptions::default()
    }
}

/// The simulated cluster built from `sim`, handed to the portal as its cluster (the app
/// itself does not depend on the simulator). The simulator lives as long as the client.
pub async fn simulated_cluster(sim: SimConfig, options: ClusterOptions) -> ClusterHandle {
    from_simulator(&simcluster::Simulator::new(sim), options).await
}

/// The portal's cluster handle on a simulator.
pub async fn from_simulator(
    simulator: &simcluster::Simulator,
    options: ClusterOptions,
) -> ClusterHandle {
    ClusterHandle::from_client(
        simulator.client(),
        ClusterSource::Simulated,
        "simulated://hubfleet".to_string(),
        options,
    )
    .await
}

/// Builds the shared state from the options; `data_dir` holds the first-run administrator's
/// password file.
pub fn state(
    pool: SqlitePool,
    opts: &ServeOpts,
    cluster: ClusterHandle,
    data_dir: &Path,
) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name(crate::site::OUTPUT_NAME)
        .site_root(opts.site_root.as_str())
        .site_pkg_dir(
            crate::site::pkg_dir(std::path::Path::new(&opts.site_root))
                .unwrap_or_else(|| crate::site::PLAIN_PKG_DIR.to_string()),
        )
        .site_addr(opts.listen)
        .build();
    AppState {
        leptos_options,
        pool,
        throttle: Arc::new(LoginThrottle::default()),
        hasher: Arc::new(Hasher::default()),
        settings: Arc::new(RuntimeSettings {
            allowed_origins: opts.allowed_origins.clone(),
            secure_cookies: opts.secure_cookies(),
            session_idle_minutes: opts.session_idle_minutes,
            // The simulated cluster's hub runs on this machine: it reaches the portal where
            // the portal listens, so applying works there without --public-url.
            public_url: opts.portal.public_url().or_else(|| {
                cluster
                    .is_simulated()
                    .then(|| format!("http://{}", opts.listen))
            }),
            trusted_proxies: TrustedProxies {
                networks: opts.trusted_proxies.clone(),
                header: opts.forwarded_header,
            },
            initial_password_file: Some(initial_password::path_in(data_dir)),
            request_timeout: Duration::from_secs(opts.request_timeout_seconds),
            helm: HelmSource {
                image: opts.helm_image.clone(),
                chart_repo: opts.chart_repo.clone(),
            },
            secret_key: match &opts.secret_key_file {
                Some(path) => SecretKey::at(path.clone(), false),
                None => SecretKey::at(data_dir.join("secret.key"), true),
            },
            simulated_hubs_url: None,
            simulated_hub_token: simcluster::HUB_TOKEN.to_string(),
        }),
        cluster,
    }
}

/// First run: creates the first administrator when none exists and, on a database that has
/// never held a hub, the example from the original setup. The administrator's one-time
/// password is printed to stderr whatever the log level, and written to
/// `initial-admin-password` in `data_dir` (owner-only) until it is changed.
pub async fn bootstrap(
    pool: &SqlitePool,
    seed_example: bool,
    data_dir: &Path,
) -> Result<(), BoxError> {
    let fresh = app::backend::audit::is_empty(pool).await?;
    let file = initial_password::path_in(data_dir);
    if let Some((username, password)) = users::bootstrap_admin(pool).await? {
        let saved = std::fs::create_dir_all(data_dir)
            .and_then(|()| initial_password::write(&file, &password));
        let where_saved = match &saved {
            Ok(()) => format!("it is also in {} (owner-only)", file.display()),
            Err(e) => format!("it could not be saved to {}: {e}", file.display()),
        };
        // One write of the whole message: stderr is unbuffered, and a reader of the pipe must
        // not get the line in pieces.
        let message = format!(
            "first run: created administrator \"{username}\" with password: {password}\n  \
             This password is one-time: sign in with it and choose your own on the page that \
             opens; {where_saved}, removed after the change.\n"
        );
        {
            use std::io::Write;
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(message.as_bytes()).and_then(|()| err.flush());
        }
        tracing::info!(
            username,
            "first run: created the administrator (one-time password printed to stderr)"
        );
    } else if file.exists() {
        tracing::warn!(
            "the first-run administrator's one-time password in {} has not been changed yet: \
             sign in with it and choose your own",
            file.display()
        );
    }
    if seed_example && fresh && app::backend::seed::seed_example(pool).await? {
        tracing::info!(
            "first run: added the example hub data8-jupyterhub (disable with --seed-example=false)"
        );
    }
    Ok(())
}

/// Runs the portal until SIGINT or SIGTERM.
pub async fn serve(global: &GlobalOpts, opts: &ServeOpts) -> Result<(), BoxError> {
    let started = std::time::Instant::now();
    let _lock = crate::data_lock::acquire(
        &global.data_dir,
        "stop it first, or give this one its own --data-dir",
    )?;
    let pool = open_database(global).await?;
    bootstrap(&pool, opts.seed_example, &global.data_dir).await?;
    let connected = connect_cluster(&pool, opts).await?;
    let cluster = connected.handle.clone();
    let mut state = state(pool.clone(), opts, cluster.clone(), &global.data_dir);
    if let Some(hubs) = &connected.simulated_hubs {
        std::sync::Arc::make_mut(&mut state.settings).simulated_hubs_url = Some(hubs.url());
        tracing::info!(url = %hubs.url(), "simulated hubs' REST API");
    }
    state
        .settings
        .secret_key
        .check()
        .map_err(|e| format!("{e} (--secret-key-file)"))?;
    spawn_session_cleanup(pool.clone());
    match app::backend::deploy::Deployer::from_state(&state)
        .resume_unfinished()
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            operations = n,
            "following operations left running by the previous process"
        ),
        Err(e) => tracing::error!(error = %e, "could not read the operations left running"),
    }
    app::backend::server_events::spawn_recorder(
        pool.clone(),
        cluster,
        Duration::from_secs(opts.server_event_retention_days * 86_400),
    );
    let metrics = crate::metrics::Metrics::new(opts.metrics_token.as_deref());
    if let Some(addr) = opts.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} (--metrics-listen): {e}"))?;
        tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
        let app = crate::metrics::listener_router(state.clone(), metrics.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
            {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let router = crate::router_with_metrics(state, metrics);
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    tracing::info!(
        "Hubfleet is ready on http://{} (started in {} ms)",
        listener.local_addr()?,
        started.elapsed().as_millis()
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Deletes expired sessions every ten minutes.
fn spawn_session_cleanup(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = app::backend::auth::delete_expired_sessions(&pool).await {
                tracing::warn!(error = %e, "session cleanup failed");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
