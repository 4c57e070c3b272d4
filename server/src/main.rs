//! `hubfleet`: the portal's single binary.

use clap::Parser;
use server::config::{AdminCommand, Cli, Command, LogFormat, OutputFormat, ServeOpts};
use server::startup;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.global.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.global.log_format {
        LogFormat::Text => logs.init(),
        // One object per line; `span` holds the request's id, method and path.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    let result = match cli.command {
        None => match ServeOpts::from_env() {
            Ok(opts) => startup::serve(&cli.global, &opts).await,
            Err(e) => e.exit(),
        },
        Some(Command::Serve(opts)) => startup::serve(&cli.global, &opts).await,
        Some(Command::Admin(AdminCommand::Create { username })) => {
            admin_create(&cli.global, &username).await
        }
        Some(Command::Seed { example: _ }) => seed_example(&cli.global).await,
        Some(Command::Backup { to }) => backup(&cli.global, &to).await,
        Some(Command::Restore { from }) => restore(&cli.global, &from).await,
        Some(Command::Permissions { format }) => print_permissions(format),
        Some(Command::Healthcheck {
            listen,
            timeout_seconds,
        }) => server::healthcheck::check(listen, std::time::Duration::from_secs(timeout_seconds))
            .map_err(Into::into),
        Some(Command::Values { hub, portal }) => {
            print_values(&cli.global, &hub, portal.public_url().as_deref()).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `hubfleet values --hub NAME`: the YAML on stdout, problems on stderr, exit 1 when invalid.
async fn print_values(
    global: &server::config::GlobalOpts,
    hub: &str,
    public_url: Option<&str>,
) -> Result<(), startup::BoxError> {
    let pool = startup::open_database(global).await?;
    let result = app::backend::values::render_hub_by_name(&pool, hub, public_url).await;
    pool.close().await;
    let (yaml, errors) = result?;
    if errors.is_empty() {
        print!("{yaml}");
        return Ok(());
    }
    for e in &errors {
        eprintln!("{e}");
    }
    Err(format!(
        "the values of hub \"{hub}\" are invalid ({} problem(s) above); fix them in the portal",
        errors.len()
    )
    .into())
}

/// `hubfleet backup --to FILE`: works while the portal runs.
async fn backup(
    global: &server::config::GlobalOpts,
    to: &std::path::Path,
) -> Result<(), startup::BoxError> {
    let pool = startup::open_existing_database(global).await?;
    let result = app::backend::backup::backup_to(&pool, to).await;
    pool.close().await;
    let summary = result?;
    println!("Backed up to {}: {summary}.", to.display());
    Ok(())
}

/// `hubfleet restore --from FILE`: refused while a portal runs on the data directory.
async fn restore(
    global: &server::config::GlobalOpts,
    from: &std::path::Path,
) -> Result<(), startup::BoxError> {
    let url = global.database_url();
    let db = app::backend::backup::file_of_url(&url)
        .ok_or_else(|| format!("cannot restore into {url}: it is not a database file"))?;
    let _lock = server::data_lock::acquire(&global.data_dir, "stop it, then restore")?;
    let restored = app::backend::backup::restore(from, &db).await?;
    println!(
        "Restored {} from {}: {}.",
        db.display(),
        from.display(),
        restored.summary
    );
    match restored.previous {
        Some(p) => println!("The database it replaced is kept as {}.", p.display()),
        None => println!("There was no database before."),
    }
    println!("Start the portal as usual; it applies any newer migrations.");
    Ok(())
}

/// `hubfleet permissions`: the RBAC rules the portal needs, on stdout.
fn print_permissions(format: OutputFormat) -> Result<(), startup::BoxError> {
    let rules = app::backend::cluster::discovery::required_permissions();
    let text = match format {
        OutputFormat::Json => serde_json::to_string_pretty(&rules)? + "\n",
        OutputFormat::Yaml => rules.to_yaml()?,
    };
    print!("{text}");
    Ok(())
}

async fn seed_example(global: &server::config::GlobalOpts) -> Result<(), startup::BoxError> {
    let pool = startup::open_database(global).await?;
    let created = app::backend::seed::seed_example(&pool).await?;
    pool.close().await;
    if created {
        println!(
            "Added the example hub data8-jupyterhub with volume claim-share and profile \"Data science\"."
        );
    } else {
        println!("The example hub data8-jupyterhub already exists: nothing changed.");
    }
    Ok(())
}

/// Reads the password: prompted on a terminal, else the first line of standard input.
fn read_password() -> Result<String, startup::BoxError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Repeat password: ")?;
        if first != again {
            return Err("the passwords do not match".into());
        }
        Ok(first)
    } else {
        let mut buf = String::new();
        std::io::stdin().read_to_string(&mut buf)?;
        Ok(buf.lines().next().unwrap_or_default().to_string())
    }
}

async fn admin_create(
    global: &server::config::GlobalOpts,
    username: &str,
) -> Result<(), startup::BoxError> {
    use app::backend::audit::{Actor, RequestMeta};
    use app::backend::{initial_password, password, users};
    use app::domain::user::{NewUserForm, Role, UserUpdate};
    let password = read_password()?;
    let form = NewUserForm {
        username: username.to_string(),
        password,
        role: "admin".into(),
        groups: String::new(),
    };
    let new = form.validate().map_err(|e| e.to_string())?;
    let pool = startup::open_database(global).await?;
    let actor = Actor::system("cli");
    let meta = RequestMeta {
        request_id: "cli".into(),
        client_request_id: String::new(),
        client_addr: "local".into(),
    };
    match users::credentials(&pool, &new.username).await? {
        None => {
            users::create(&pool, &actor, &meta, new, "hubfleet admin create").await?;
            println!("Created administrator \"{username}\".");
        }
        Some(existing) => {
            let current = users::get(&pool, existing.id).await?;
            // The first-run password file goes when the password it holds is replaced.
            let file = initial_password::path_in(&global.data_dir);
            let first_run = match initial_password::read(&file) {
                Some(old)
                    if password::verify(old.clone(), existing.password_hash.clone()).await =>
                {
                    Some(old)
                }
                _ => None,
            };
            users::set_password(&pool, &actor, &meta, existing.id, new.password).await?;
            if let Some(old) = first_run {
                initial_password::remove_if_holds(&file, &old);
            }
            let update = UserUpdate {
                role: Role::Admin,
                groups: current.groups.clone(),
                disabled: false,
            };
            users::update(
                &pool,
                &actor,
                &meta,
                existing.id,
                current.version + 1,
                update,
                "hubfleet admin create",
            )
            .await?;
            println!(
                "\"{username}\" exists: password reset, role set to administrator, account enabled."
            );
        }
    }
    pool.close().await;
    Ok(())
}
