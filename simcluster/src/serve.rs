//! `simcluster serve`: the simulated cluster on a TCP port with a kubeconfig pointing at it,
//! so a separately started portal (`hubfleet serve --cluster kubeconfig` with `KUBECONFIG`)
//! treats it as an external cluster. The binary and tests share [`start`].

use crate::{LoopbackServer, NodeSpec, SimConfig, Simulator};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What to serve and where.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (port 0 = any free port).
    pub listen: SocketAddr,
    /// Where to write the kubeconfig (context `hubfleet-sim`).
    pub kubeconfig: PathBuf,
    /// The simulated cluster (demo defaults: real-time clock, three nodes).
    pub config: SimConfig,
}

impl ServeOptions {
    /// `nodes` nodes of `cpus` CPUs and `memory_gib` GiB, as `hubfleet --sim-*` builds them.
    pub fn nodes(mut self, nodes: u16, cpus: u64, memory_gib: u64) -> Self {
        self.config.nodes = (1..=nodes)
            .map(|i| NodeSpec::new(&format!("sim-node-{i}"), cpus, memory_gib))
            .collect();
        self
    }
}

/// A running simulated cluster with its kubeconfig written. Serving stops when dropped.
#[derive(Debug)]
pub struct Served {
    pub simulator: Simulator,
    pub server: LoopbackServer,
    pub kubeconfig: PathBuf,
}

/// Builds the simulator, serves it and writes the kubeconfig (atomically, so a script that
/// waits for the file never reads half of it).
pub async fn start(options: ServeOptions) -> std::io::Result<Served> {
    let simulator = Simulator::new(options.config);
    let server = simulator.serve_on(options.listen).await?;
    write_atomically(&options.kubeconfig, &server.kubeconfig_yaml())?;
    Ok(Served {
        simulator,
        server,
        kubeconfig: options.kubeconfig,
    })
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
