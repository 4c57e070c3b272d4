//! `simcluster`: serves the simulated Kubernetes cluster over HTTP and writes a kubeconfig for
//! it, e.g. `simcluster serve --listen 127.0.0.1:0 --kubeconfig /tmp/sim.yaml`, then
//! `KUBECONFIG=/tmp/sim.yaml hubfleet serve --cluster kubeconfig`. Prints `listening on URL`
//! and `kubeconfig PATH` on stdout once serving, so scripts can wait for those lines.

use clap::{Parser, Subcommand};
use simcluster::serve::{ServeOptions, start};
use simcluster::{SimClock, SimConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "simcluster",
    about = "A simulated Kubernetes cluster for Hubfleet"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the simulated cluster and write a kubeconfig for it.
    Serve {
        /// Address to listen on (port 0 = any free port).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Where to write the kubeconfig (context `hubfleet-sim`).
        #[arg(long)]
        kubeconfig: PathBuf,
        /// Seed of everything random.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of nodes.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=500))]
        nodes: u16,
        /// Node size as CPUS/MEMORY_GIB.
        #[arg(long, default_value = "4/16", value_parser = parse_node_size)]
        node_size: (u64, u64),
        /// Synthetic users with home volumes (about a third with a running server).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=10000))]
        users: u16,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
}

fn parse_node_size(s: &str) -> Result<(u64, u64), String> {
    let (c, m) = s
        .split_once('/')
        .ok_or_else(|| "expected CPUS/MEMORY_GIB, e.g. 4/16".to_string())?;
    let c: u64 = c.trim().parse().map_err(|e| format!("CPUS: {e}"))?;
    let m: u64 = m.trim().parse().map_err(|e| format!("MEMORY_GIB: {e}"))?;
    if c == 0 || m == 0 {
        return Err("CPUS and MEMORY_GIB must be positive".into());
    }
    Ok((c, m))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIMCLUSTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve {
        listen,
        kubeconfig,
        seed,
        nodes,
        node_size,
        users,
        speed,
    } = Cli::parse().command;
    let config = SimConfig {
        seed,
        synthetic_users: usize::from(users),
        clock: SimClock::Realtime {
            tick: Duration::from_millis(500),
            speed,
        },
        ..SimConfig::demo()
    };
    let options = ServeOptions {
        listen,
        kubeconfig,
        config,
    }
    .nodes(nodes, node_size.0, node_size.1);
    let served = match start(options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("simcluster: cannot serve on {listen}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let printed = writeln!(out, "listening on {}", served.server.url())
        .and_then(|()| writeln!(out, "kubeconfig {}", served.kubeconfig.display()))
        .and_then(|()| out.flush());
    drop(out);
    if printed.is_err() {
        return std::process::ExitCode::FAILURE;
    }
    shutdown_signal().await;
    std::process::ExitCode::SUCCESS
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
}
