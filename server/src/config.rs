//! Command line and environment configuration. Every flag has a `HUBFLEET_*` variable.

pub use app::backend::cluster::ClusterSelection;
use app::backend::proxy::{ForwardedHeader, Network};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "hubfleet",
    version,
    about = "Admin portal for JupyterHub on Kubernetes (Zero to JupyterHub)"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalOpts {
    /// Directory for the SQLite database and other state.
    #[arg(
        long,
        env = "HUBFLEET_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// SQLite database URL; defaults to `sqlite://<data-dir>/hubfleet.db`.
    #[arg(long, env = "HUBFLEET_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `hubfleet=debug,info`.
    #[arg(long, env = "HUBFLEET_LOG", default_value = "info", global = true)]
    pub log_level: String,
    /// Log lines as human-readable `text` or one JSON object per line (`json`), e.g. for a log
    /// collector. Lines written while handling a request carry its request id either way.
    #[arg(
        long,
        env = "HUBFLEET_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl GlobalOpts {
    /// The database URL; an empty `HUBFLEET_DATABASE_URL` counts as unset.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("hubfleet.db").display()))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web portal (the default when no command is given).
    Serve(Box<ServeOpts>),
    /// Manage accounts from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the generated z2jh values (config.yaml) of a hub to stdout; exits non-zero with
    /// the problems on stderr when they are invalid.
    Values {
        /// The hub's release name, e.g. data8-jupyterhub.
        #[arg(long)]
        hub: String,
        #[command(flatten)]
        portal: PortalOpts,
    },
    /// Copy the database to FILE, consistently, while the portal keeps running (SQLite's
    /// `VACUUM INTO`); the copy is checked with `PRAGMA integrity_check`. FILE must not exist.
    Backup {
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Replace the database with a backup made by `hubfleet backup`. Refused while a portal
    /// runs on the data directory; the database it replaces is kept beside it
    /// (`hubfleet.db.before-restore-<time>`).
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Print the Kubernetes RBAC rules the portal needs: in each namespace it manages (plus
    /// those only the Flux or k3s drivers need) and cluster-wide. The Helm chart grants
    /// exactly these; use them to write your own Role and ClusterRole.
    Permissions {
        #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
        format: OutputFormat,
    },
    /// Exit 0 when the portal on this machine answers `GET /healthz` with 200, else 1 (the
    /// container image's health check; no shell or HTTP client needed).
    Healthcheck {
        /// The address the portal listens on (`0.0.0.0` and `::` mean this machine).
        #[arg(long, env = "HUBFLEET_LISTEN", default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
        timeout_seconds: u64,
    },
    /// Load example data into the database.
    Seed {
        /// The first-run example from the original hand-written setup: hub
        /// `data8-jupyterhub` (namespace kube-public), shared volume `claim-share` and the
        /// default profile "Data science". Does nothing when the hub already exists.
        #[arg(long, required = true)]
        example: bool,
    },
}

/// How `hubfleet permissions` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator (or reset the password of an existing account and make it an
    /// administrator). The password is prompted for, or read from standard input when it is
    /// not a terminal.
    Create {
        #[arg(long)]
        username: String,
    },
}

/// How hub pods reach the portal (for the values' profile API); `serve` and `values` take it.
#[derive(Debug, Clone, Default, Args)]
pub struct PortalOpts {
    /// The portal's URL as hub pods reach it, e.g. `https://hubfleet.example.org`: written
    /// into the values as `HUBFLEET_URL`, so the hub asks the portal for its profile list.
    #[arg(long, env = "HUBFLEET_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeOpts {
    /// Address to listen on.
    #[arg(long, env = "HUBFLEET_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Mark the session cookie `Secure` and send HSTS. Defaults to on when `--public-url` is
    /// https, else off; `--secure-cookies=false` turns it off.
    #[arg(
        long,
        env = "HUBFLEET_SECURE_COOKIES",
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub secure_cookies: Option<bool>,
    /// Reverse proxies (addresses or networks, comma-separated, e.g. `10.0.0.0/8`) whose
    /// forwarding header names the client; the header of anyone else is ignored.
    #[arg(long, env = "HUBFLEET_TRUSTED_PROXIES", value_delimiter = ',', value_parser = Network::parse)]
    pub trusted_proxies: Vec<Network>,
    /// The header the trusted proxies write: `x-forwarded-for` or `forwarded` (RFC 7239).
    #[arg(long, env = "HUBFLEET_FORWARDED_HEADER", default_value = "x-forwarded-for", value_parser = ForwardedHeader::parse)]
    pub forwarded_header: ForwardedHeader,
    /// Seconds a request may take, from its first byte to the response head, body included.
    #[arg(long, env = "HUBFLEET_REQUEST_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_seconds: u64,
    /// The Helm image the Job driver runs (pinned by version; e.g. a copy in your own registry).
    #[arg(long, env = "HUBFLEET_HELM_IMAGE", default_value = app::backend::deploy::job::DEFAULT_HELM_IMAGE)]
    pub helm_image: String,
    /// The repository the Job driver installs the z2jh chart from (e.g. a mirror).
    #[arg(long, env = "HUBFLEET_CHART_REPO", default_value = app::backend::deploy::job::DEFAULT_CHART_REPO)]
    pub chart_repo: String,
    /// The key (32 bytes, base64) that encrypts secrets the portal reads back, such as hubs'
    /// API tokens; default `<data-dir>/secret.key`, created on first use (owner-only).
    #[arg(long, env = "HUBFLEET_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Opens `/metrics` on the main address to clients sending this bearer token
    /// (`Authorization: Bearer <token>`).
    #[arg(long, env = "HUBFLEET_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// A separate address serving only `/metrics`, without a token (e.g. `0.0.0.0:9090`,
    /// reachable only by the cluster's monitoring).
    #[arg(long, env = "HUBFLEET_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Days the history of users' servers (their pods' Kubernetes events) is kept.
    #[arg(long, env = "HUBFLEET_SERVER_EVENT_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub server_event_retention_days: u64,
    /// Minutes of inactivity after which a session expires.
    #[arg(long, env = "HUBFLEET_SESSION_IDLE_MINUTES", default_value_t = 480)]
    pub session_idle_minutes: i64,
    /// Extra origins allowed on state-changing requests (comma-separated), e.g. the public URL
    /// when Hubfleet runs behind a reverse proxy that rewrites the Host header.
    #[arg(long, env = "HUBFLEET_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Directory holding the built site (`pkg/` with the wasm, js and css).
    #[arg(long, env = "HUBFLEET_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Seed the first-run example (hub, shared volume, profile) into a new, empty database.
    #[arg(
        long,
        env = "HUBFLEET_SEED_EXAMPLE",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub seed_example: bool,
    /// Namespaces whose hubs the portal manages (comma-separated). When given, the portal
    /// watches pods, volumes, events and Helm releases in these namespaces only and checks its
    /// permissions there, so a Role in each is enough (the Helm chart sets it); hubs elsewhere
    /// are not watched. Default: every namespace, through cluster-wide watches (which need
    /// cluster-wide read access).
    #[arg(long, env = "HUBFLEET_NAMESPACES", value_delimiter = ',', value_parser = parse_namespace)]
    pub namespaces: Vec<String>,
    /// Which cluster to talk to: `auto` (kubeconfig or in-cluster if found, else the
    /// simulated cluster), `demo` (simulated), `kubeconfig[:context]` or `in-cluster`.
    #[arg(long, env = "HUBFLEET_CLUSTER", default_value = "auto", value_parser = parse_cluster)]
    pub cluster: ClusterSelection,
    /// Simulated cluster only: seed of its deterministic behaviour.
    #[arg(long, env = "HUBFLEET_SIM_SEED", default_value_t = 42)]
    pub sim_seed: u64,
    /// Simulated cluster only: number of nodes.
    #[arg(long, env = "HUBFLEET_SIM_NODES", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub sim_nodes: u16,
    /// Simulated cluster only: node size as `CPUS/MEMORY_GIB`, e.g. `4/16`.
    #[arg(long, env = "HUBFLEET_SIM_NODE_SIZE", default_value = "4/16", value_parser = parse_node_size)]
    pub sim_node_size: (u64, u64),
    /// Simulated cluster only: synthetic users created at start (up to 10000).
    #[arg(long, env = "HUBFLEET_SIM_USERS", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=10000))]
    pub sim_users: u16,
    #[command(flatten)]
    pub portal: PortalOpts,
}

#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    opts: ServeOpts,
}

impl ServeOpts {
    /// The serve options from `HUBFLEET_*` variables and defaults (for `hubfleet` with no
    /// command).
    pub fn from_env() -> Result<Self, clap::Error> {
        ServeOnly::try_parse_from(["hubfleet"]).map(|s| s.opts)
    }
}

/// Parses `--public-url`: trimmed, without a trailing `/`. An empty value counts as unset
/// (an empty `HUBFLEET_PUBLIC_URL`).
pub fn parse_public_url(s: &str) -> Result<String, String> {
    Ok(s.trim().trim_end_matches('/').to_string())
}

impl PortalOpts {
    /// The configured URL, `None` when unset or empty.
    pub fn public_url(&self) -> Option<String> {
        self.public_url.clone().filter(|u| !u.is_empty())
    }
}

impl ServeOpts {
    /// Whether the session cookie is `Secure`: as configured, else when the public URL is
    /// https.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies.unwrap_or_else(|| {
            self.portal
                .public_url()
                .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
        })
    }
}

/// Parses one of `--namespaces`: a Kubernetes namespace name (surrounding spaces ignored).
pub fn parse_namespace(s: &str) -> Result<String, String> {
    let name = s.trim();
    app::domain::validate::validate_dns1123_label("namespaces", "A namespace", name)
        .map_err(|e| e.message)?;
    Ok(name.to_string())
}

/// Parses `--sim-node-size`: `CPUS/MEMORY_GIB`.
pub fn parse_node_size(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("node size \"{s}\" is not CPUS/MEMORY_GIB, e.g. 4/16");
    let (cpu, mem) = s.split_once('/').ok_or_else(bad)?;
    let cpu: u64 = cpu.trim().parse().map_err(|_| bad())?;
    let mem: u64 = mem.trim().parse().map_err(|_| bad())?;
    if cpu == 0 || mem == 0 {
        return Err(bad());
    }
    Ok((cpu, mem))
}

/// Parses `--cluster`: `auto`, `demo`, `kubeconfig`, `kubeconfig:CONTEXT` or `in-cluster`.
pub fn parse_cluster(s: &str) -> Result<ClusterSelection, String> {
    match s {
        "auto" => Ok(ClusterSelection::Auto),
        "demo" => Ok(ClusterSelection::Demo),
        "in-cluster" => Ok(ClusterSelection::InCluster),
        "kubeconfig" => Ok(ClusterSelection::Kubeconfig(None)),
        other => match other.strip_prefix("kubeconfig:") {
            Some(ctx) if !ctx.is_empty() => Ok(ClusterSelection::Kubeconfig(Some(ctx.to_string()))),
            _ => Err(format!(
                "unknown cluster \"{other}\": use auto, demo, kubeconfig, kubeconfig:CONTEXT or in-cluster"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_selection_parses() {
        assert_eq!(parse_cluster("auto"), Ok(ClusterSelection::Auto));
        assert_eq!(
            parse_cluster("kubeconfig:prod"),
            Ok(ClusterSelection::Kubeconfig(Some("prod".into())))
        );
        assert!(parse_cluster("kubeconfig:").is_err());
        assert!(parse_cluster("mars").is_err());
        assert_eq!(parse_node_size("8/32"), Ok((8, 32)));
        assert!(parse_node_size("8").is_err());
        assert!(parse_node_size("0/4").is_err());
    }

    #[test]
    fn cli_parses_subcommands() {
        let cli =
            Cli::try_parse_from(["hubfleet", "admin", "create", "--username", "root"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Admin(AdminCommand::Create { .. }))
        ));
        let cli = Cli::try_parse_from([
            "hubfleet",
            "--data-dir",
            "/tmp/x",
            "serve",
            "--listen",
            "127.0.0.1:9",
        ])
        .unwrap();
        assert_eq!(cli.global.database_url(), "sqlite:///tmp/x/hubfleet.db");
        let cli = Cli::try_parse_from([
            "hubfleet",
            "values",
            "--hub",
            "h",
            "--public-url",
            " https://portal.example.org/ ",
        ])
        .unwrap();
        let Some(Command::Values { portal, .. }) = cli.command else {
            panic!("values command");
        };
        assert_eq!(
            portal.public_url().as_deref(),
            Some("https://portal.example.org")
        );
        assert_eq!(PortalOpts::default().public_url(), None);
    }

    #[test]
    fn secure_cookies_follow_the_public_url_unless_set() {
        let serve = |args: &[&str]| {
            let mut all = vec!["hubfleet", "serve"];
            all.extend_from_slice(args);
            match Cli::try_parse_from(all).unwrap().command {
                Some(Command::Serve(o)) => o,
                _ => panic!("serve"),
            }
        };
        assert!(!serve(&[]).secure_cookies());
        assert!(serve(&["--public-url", "https://hub.example.org"]).secure_cookies());
        assert!(!serve(&["--public-url", "http://hub.example.org"]).secure_cookies());
        assert!(
            !serve(&[
                "--public-url",
                "https://hub.example.org",
                "--secure-cookies=false"
            ])
            .secure_cookies()
        );
        assert!(serve(&["--secure-cookies"]).secure_cookies());
        let o = serve(&[
            "--trusted-proxies",
            "10.0.0.0/8,192.0.2.7",
            "--forwarded-header",
            "forwarded",
        ]);
        assert_eq!(o.trusted_proxies.len(), 2);
        assert_eq!(o.forwarded_header, ForwardedHeader::Forwarded);
        assert!(Cli::try_parse_from(["hubfleet", "serve", "--trusted-proxies", "proxy"]).is_err());
        assert!(serve(&[]).namespaces.is_empty());
        assert_eq!(
            serve(&["--namespaces", "hubs, team-a"]).namespaces,
            ["hubs", "team-a"]
        );
        assert!(Cli::try_parse_from(["hubfleet", "serve", "--namespaces", "Hubs"]).is_err());
    }
}
