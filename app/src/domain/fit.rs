//! Whether a profile's server fits the cluster now: from each node's allocatable CPU, memory
//! and extended resources (GPUs) minus what the pods on it request, the profile's node
//! selector and required node affinity, and the node's taints against the profile's
//! tolerations. Pure (the server reads the nodes and pods from its watch stores), shown on
//! "My environment".

use super::scheduling::{MatchExpression, Toleration};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A node taint (`key=value:effect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeTaint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

/// A node as the fit check sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRoom {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// Allocatable CPU in millicores and memory in bytes.
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// What the pods bound to the node (not finished) request.
    pub requested_cpu_millis: u64,
    pub requested_memory_bytes: u64,
    /// Ready and not cordoned.
    pub usable: bool,
    /// Allocatable extended resources (e.g. `nvidia.com/gpu` → 4) and what pods request of them.
    #[serde(default)]
    pub extended: BTreeMap<String, u64>,
    #[serde(default)]
    pub requested_extended: BTreeMap<String, u64>,
    #[serde(default)]
    pub taints: Vec<NodeTaint>,
}

impl NodeRoom {
    fn free_cpu(&self) -> u64 {
        self.cpu_millis.saturating_sub(self.requested_cpu_millis)
    }

    fn free_memory(&self) -> u64 {
        self.memory_bytes
            .saturating_sub(self.requested_memory_bytes)
    }

    fn matches(&self, selector: &BTreeMap<String, String>) -> bool {
        selector
            .iter()
            .all(|(k, v)| self.labels.get(k).is_some_and(|l| l == v))
    }

    fn allocatable(&self, name: &str) -> u64 {
        self.extended.get(name).copied().unwrap_or(0)
    }

    fn free(&self, name: &str) -> u64 {
        self.allocatable(name)
            .saturating_sub(self.requested_extended.get(name).copied().unwrap_or(0))
    }

    /// The first taint that keeps the server off this node (PreferNoSchedule only prefers).
    fn repelling_taint(&self, tolerations: &[Toleration]) -> Option<&NodeTaint> {
        self.taints.iter().find(|t| {
            t.effect != "PreferNoSchedule"
                && !tolerations
                    .iter()
                    .any(|o| o.tolerates(&t.key, &t.value, &t.effect))
        })
    }
}

/// What a server of a profile asks the scheduler for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRequest {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub node_selector: BTreeMap<String, String>,
    /// Extended resources (e.g. `nvidia.com/gpu` → 1).
    #[serde(default)]
    pub extended: BTreeMap<String, u64>,
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    #[serde(default)]
    pub node_affinity: Vec<MatchExpression>,
}

impl ServerRequest {
    /// The request Kubernetes derives from a profile's settings: the guarantee, else the
    /// limit (a container with only a limit requests its limit), else nothing.
    pub fn from_settings(
        cpu_guarantee: Option<f64>,
        cpu_limit: Option<f64>,
        mem_guarantee: Option<u64>,
        mem_limit: Option<u64>,
        node_selector: BTreeMap<String, String>,
    ) -> Self {
        let cpu = cpu_guarantee.or(cpu_limit).unwrap_or(0.0);
        // Whole millicores of a validated, bounded core count.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cpu_millis = if cpu.is_finite() && cpu > 0.0 {
            (cpu * 1000.0).ceil() as u64
        } else {
            0
        };
        ServerRequest {
            cpu_millis,
            memory_bytes: mem_guarantee.or(mem_limit).unwrap_or(0),
            node_selector,
            ..ServerRequest::default()
        }
    }

    /// The same request placed by GPUs and node pools: extended resources, tolerations and
    /// required node affinity.
    pub fn with_scheduling(
        mut self,
        extended: BTreeMap<String, u64>,
        tolerations: Vec<Toleration>,
        node_affinity: Vec<MatchExpression>,
    ) -> Self {
        self.extended = extended;
        self.tolerations = tolerations;
        self.node_affinity = node_affinity;
        self
    }
}

/// The answer, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fit", rename_all = "snake_case")]
pub enum Fit {
    /// A node has room for it now.
    FitsNow { node: String },
    /// Some node is large enough, but none has that much free now.
    NoRoomNow { reason: String },
    /// No node could ever hold it (too large, or no node has the labels it asks for).
    NeverFits { reason: String },
    /// The cluster's nodes are not known (not connected yet).
    Unknown,
}

impl Fit {
    pub fn label(&self) -> &'static str {
        match self {
            Fit::FitsNow { .. } => "Fits now",
            Fit::NoRoomNow { .. } => "No room now",
            Fit::NeverFits { .. } => "Never fits",
            Fit::Unknown => "Unknown",
        }
    }

    /// The sentence under the label.
    pub fn explain(&self) -> String {
        match self {
            Fit::FitsNow { .. } => "A node has room for a server of this profile.".into(),
            Fit::NoRoomNow { reason } | Fit::NeverFits { reason } => reason.clone(),
            Fit::Unknown => "The cluster's nodes are not known right now.".into(),
        }
    }
}

/// Bytes as people read them: `512 MiB`, `3 GiB`, `1.5 GiB`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    // Display only: precision beyond 2^53 bytes does not matter here.
    #[allow(clippy::cast_precision_loss)]
    let mut v = bytes as f64;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 || (v - v.round()).abs() < 0.05 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Millicores as cores: `2`, `0.5`, `1.25`.
pub fn cores_text(millis: u64) -> String {
    if millis.is_multiple_of(1000) {
        format!("{}", millis / 1000)
    } else {
        format!("{}.{:03}", millis / 1000, millis % 1000)
            .trim_end_matches('0')
            .to_string()
    }
}

fn needs(req: &ServerRequest) -> String {
    let mut parts = Vec::new();
    if req.cpu_millis > 0 {
        parts.push(format!("{} CPU", cores_text(req.cpu_millis)));
    }
    if req.memory_bytes > 0 {
        parts.push(format!("{} memory", bytes_text(req.memory_bytes)));
    }
    for (name, n) in &req.extended {
        parts.push(format!("{n} {name}"));
    }
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether a server asking `req` fits on `nodes` now, later, or never.
pub fn fit(req: &ServerRequest, nodes: &[NodeRoom]) -> Fit {
    if nodes.is_empty() {
        return Fit::Unknown;
    }
    let usable: Vec<&NodeRoom> = nodes.iter().filter(|n| n.usable).collect();
    if usable.is_empty() {
        return Fit::NeverFits {
            reason: "No node is ready to take servers.".into(),
        };
    }
    // A resource no node has at all is the first thing to say (labels and taints are moot).
    let nowhere: Vec<&str> = req
        .extended
        .iter()
        .filter(|(name, n)| **n > 0 && usable.iter().all(|c| c.allocatable(name) == 0))
        .map(|(name, _)| name.as_str())
        .collect();
    if !nowhere.is_empty() {
        return Fit::NeverFits {
            reason: format!(
                "Needs {}; no node of the cluster offers {}. Ask an administrator for a node with it.",
                needs(req),
                nowhere.join(" or ")
            ),
        };
    }
    let labelled: Vec<&NodeRoom> = usable
        .iter()
        .copied()
        .filter(|n| n.matches(&req.node_selector))
        .collect();
    if labelled.is_empty() {
        let labels = req
            .node_selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Fit::NeverFits {
            reason: format!("No ready node has the labels this profile asks for ({labels})."),
        };
    }
    let affine: Vec<&NodeRoom> = labelled
        .iter()
        .copied()
        .filter(|n| req.node_affinity.iter().all(|m| m.matches(&n.labels)))
        .collect();
    if affine.is_empty() {
        let rules = req
            .node_affinity
            .iter()
            .map(MatchExpression::text)
            .collect::<Vec<_>>()
            .join("; ");
        return Fit::NeverFits {
            reason: format!("No ready node matches this profile's node affinity ({rules})."),
        };
    }
    let candidates: Vec<&NodeRoom> = affine
        .iter()
        .copied()
        .filter(|n| n.repelling_taint(&req.tolerations).is_none())
        .collect();
    if candidates.is_empty() {
        let taints = affine
            .iter()
            .filter_map(|n| n.repelling_taint(&req.tolerations))
            .map(|t| format!("{}={}:{}", t.key, t.value, t.effect))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(", ");
        return Fit::NeverFits {
            reason: format!(
                "Every node it may use has a taint this profile does not tolerate ({taints}): ask an administrator to add a toleration."
            ),
        };
    }
    let missing: Vec<&str> = req
        .extended
        .iter()
        .filter(|(name, n)| **n > 0 && candidates.iter().all(|c| c.allocatable(name) == 0))
        .map(|(name, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        return Fit::NeverFits {
            reason: format!(
                "Needs {}; no node it may use offers {}. Ask an administrator for a node with it.",
                needs(req),
                missing.join(" or ")
            ),
        };
    }
    let extended_fits = |n: &NodeRoom, have: fn(&NodeRoom, &str) -> u64| {
        req.extended
            .iter()
            .all(|(name, want)| have(n, name) >= *want)
    };
    if let Some(n) = candidates
        .iter()
        .filter(|n| {
            n.free_cpu() >= req.cpu_millis
                && n.free_memory() >= req.memory_bytes
                && extended_fits(n, NodeRoom::free)
        })
        .max_by_key(|n| (n.free_memory(), n.free_cpu()))
    {
        return Fit::FitsNow {
            node: n.name.clone(),
        };
    }
    let large_enough = candidates.iter().any(|n| {
        n.cpu_millis >= req.cpu_millis
            && n.memory_bytes >= req.memory_bytes
            && extended_fits(n, NodeRoom::allocatable)
    });
    if large_enough {
        return Fit::NoRoomNow {
            reason: format!(
                "Needs {}; no node has that free now. It can start when other servers stop.",
                needs(req)
            ),
        };
    }
    let max_cpu = candidates.iter().map(|n| n.cpu_millis).max().unwrap_or(0);
    let max_mem = candidates.iter().map(|n| n.memory_bytes).max().unwrap_or(0);
    let mut largest = Vec::new();
    if req.memory_bytes > max_mem {
        largest.push(format!("{} memory", bytes_text(max_mem)));
    }
    if req.cpu_millis > max_cpu {
        largest.push(format!("{} CPU", cores_text(max_cpu)));
    }
    for (name, want) in &req.extended {
        let most = candidates
            .iter()
            .map(|n| n.allocatable(name))
            .max()
            .unwrap_or(0);
        if *want > most {
            largest.push(format!("{most} {name}"));
        }
    }
    Fit::NeverFits {
        reason: format!(
            "Needs {}; the largest node has {}. Ask an administrator for a larger node or a smaller profile.",
            needs(req),
            if largest.is_empty() {
                "less".to_string()
            } else {
                largest.join(" and ")
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn node(name: &str, cpu: u64, mem: u64, used_cpu: u64, used_mem: u64) -> NodeRoom {
        NodeRoom {
            name: name.into(),
            labels: BTreeMap::new(),
            cpu_millis: cpu,
            memory_bytes: mem,
            requested_cpu_millis: used_cpu,
            requested_memory_bytes: used_mem,
            usable: true,
            extended: BTreeMap::new(),
            requested_extended: BTreeMap::new(),
            taints: Vec::new(),
        }
    }

    fn req(cpu: u64, mem: u64) -> ServerRequest {
        ServerRequest {
            cpu_millis: cpu,
            memory_bytes: mem,
            ..ServerRequest::default()
        }
    }

    fn gpu_node(name: &str, gpus: u64, used: u64) -> NodeRoom {
        let mut n = node(name, 8000, 64 * GIB, 0, 0);
        n.extended.insert("nvidia.com/gpu".into(), gpus);
        n.requested_extended.insert("nvidia.com/gpu".into(), used);
        n.labels.insert("pool".into(), "gpu".into());
        n.taints.push(NodeTaint {
            key: "nvidia.com/gpu".into(),
            value: "present".into(),
            effect: "NoSchedule".into(),
        });
        n
    }

    fn gpu_req(gpus: u64) -> ServerRequest {
        let mut e = crate::domain::FieldErrors::new();
        let tolerations = crate::domain::scheduling::check_tolerations(
            &[crate::domain::scheduling::TolerationForm {
                key: "nvidia.com/gpu".into(),
                operator: "Exists".into(),
                effect: "NoSchedule".into(),
                ..Default::default()
            }],
            &mut e,
        );
        req(1000, GIB).with_scheduling(
            [("nvidia.com/gpu".to_string(), gpus)].into(),
            tolerations,
            Vec::new(),
        )
    }

    #[test]
    fn a_gpu_profile_never_fits_where_no_node_offers_gpus() {
        let f = fit(&gpu_req(1), &[node("a", 4000, 16 * GIB, 0, 0)]);
        assert_eq!(f.label(), "Never fits");
        assert_eq!(
            f.explain(),
            "Needs 1 CPU, 1 GiB memory and 1 nvidia.com/gpu; no node of the cluster offers nvidia.com/gpu. Ask an administrator for a node with it."
        );
        // Offered only on nodes the profile may not use (here: a label it does not select).
        let mut r = gpu_req(1);
        r.node_selector.insert("pool".into(), "cpu".into());
        let mut cpu_pool = node("c", 4000, 16 * GIB, 0, 0);
        cpu_pool.labels.insert("pool".into(), "cpu".into());
        let f = fit(&r, &[cpu_pool, gpu_node("g", 2, 0)]);
        assert!(
            f.explain().contains("no node it may use offers"),
            "{}",
            f.explain()
        );
        let nodes = [node("a", 4000, 16 * GIB, 0, 0), gpu_node("g", 2, 0)];
        assert_eq!(fit(&gpu_req(1), &nodes), Fit::FitsNow { node: "g".into() });
        // All GPUs taken: later; more GPUs than any node has: never.
        assert_eq!(
            fit(&gpu_req(1), &[gpu_node("g", 2, 2)]).label(),
            "No room now"
        );
        let f = fit(&gpu_req(4), &[gpu_node("g", 2, 0)]);
        assert_eq!(f.label(), "Never fits");
        assert!(
            f.explain()
                .contains("the largest node has 2 nvidia.com/gpu"),
            "{}",
            f.explain()
        );
    }

    #[test]
    fn taints_and_node_affinity() {
        // Without the toleration the GPU node's taint keeps the server off it.
        let mut r = gpu_req(1);
        r.tolerations.clear();
        let f = fit(&r, &[gpu_node("g", 2, 0)]);
        assert_eq!(f.label(), "Never fits");
        assert!(
            f.explain().contains("nvidia.com/gpu=present:NoSchedule"),
            "{}",
            f.explain()
        );
        // Node affinity: only nodes matching every expression.
        let mut e = crate::domain::FieldErrors::new();
        let affinity = crate::domain::scheduling::check_node_affinity(
            &[crate::domain::scheduling::AffinityForm {
                key: "pool".into(),
                operator: "In".into(),
                values: "gpu, big".into(),
            }],
            &mut e,
        );
        let r = req(500, GIB).with_scheduling(BTreeMap::new(), Vec::new(), affinity);
        let f = fit(&r, &[node("a", 4000, 16 * GIB, 0, 0)]);
        assert_eq!(
            f.explain(),
            "No ready node matches this profile's node affinity (pool In (gpu, big))."
        );
        let mut big = node("b", 4000, 16 * GIB, 0, 0);
        big.labels.insert("pool".into(), "big".into());
        assert_eq!(fit(&r, &[big]), Fit::FitsNow { node: "b".into() });
    }

    #[test]
    fn fits_on_the_node_with_most_room() {
        let nodes = [
            node("a", 4000, 16 * GIB, 3000, 14 * GIB),
            node("b", 4000, 16 * GIB, 1000, 4 * GIB),
        ];
        assert_eq!(
            fit(&req(1000, 3 * GIB), &nodes),
            Fit::FitsNow { node: "b".into() }
        );
    }

    #[test]
    fn no_room_now_when_only_the_free_part_is_short() {
        let nodes = [node("a", 4000, 16 * GIB, 1000, 14 * GIB)];
        let f = fit(&req(500, 3 * GIB), &nodes);
        assert_eq!(f.label(), "No room now");
        assert_eq!(
            f.explain(),
            "Needs 0.5 CPU and 3 GiB memory; no node has that free now. It can start when other servers stop."
        );
    }

    #[test]
    fn never_fits_when_larger_than_every_node() {
        let nodes = [
            node("a", 4000, 16 * GIB, 0, 0),
            node("b", 8000, 32 * GIB, 0, 0),
        ];
        let f = fit(&req(2000, 64 * GIB), &nodes);
        assert_eq!(f.label(), "Never fits");
        assert_eq!(
            f.explain(),
            "Needs 2 CPU and 64 GiB memory; the largest node has 32 GiB memory. Ask an administrator for a larger node or a smaller profile."
        );
    }

    #[test]
    fn node_selector_and_unusable_nodes() {
        let mut gpu = node("gpu", 8000, 64 * GIB, 0, 0);
        gpu.labels.insert("gpu".into(), "true".into());
        let mut r = req(1000, GIB);
        r.node_selector.insert("gpu".into(), "true".into());
        assert_eq!(
            fit(&r, &[node("a", 4000, 16 * GIB, 0, 0)]),
            Fit::NeverFits {
                reason: "No ready node has the labels this profile asks for (gpu=true).".into()
            }
        );
        assert_eq!(fit(&r, &[gpu.clone()]), Fit::FitsNow { node: "gpu".into() });
        gpu.usable = false;
        assert_eq!(fit(&r, &[gpu]).label(), "Never fits");
        assert_eq!(fit(&r, &[]), Fit::Unknown);
    }

    #[test]
    fn requests_follow_kubernetes_defaults() {
        let r = ServerRequest::from_settings(None, Some(2.0), None, Some(4 * GIB), BTreeMap::new());
        assert_eq!((r.cpu_millis, r.memory_bytes), (2000, 4 * GIB));
        let r = ServerRequest::from_settings(
            Some(0.25),
            Some(2.0),
            Some(GIB),
            Some(4 * GIB),
            BTreeMap::new(),
        );
        assert_eq!((r.cpu_millis, r.memory_bytes), (250, GIB));
        let r = ServerRequest::from_settings(None, None, None, None, BTreeMap::new());
        assert_eq!((r.cpu_millis, r.memory_bytes), (0, 0));
    }

    #[test]
    fn texts() {
        assert_eq!(bytes_text(512 * 1024 * 1024), "512 MiB");
        assert_eq!(bytes_text(3 * GIB), "3 GiB");
        assert_eq!(bytes_text(3 * GIB / 2), "1.5 GiB");
        assert_eq!(bytes_text(100), "100 bytes");
        assert_eq!(cores_text(1250), "1.25");
        assert_eq!(cores_text(2000), "2");
    }
}
