//! Volume usage from the kubelets' stats summaries
//! (`GET /api/v1/nodes/<node>/proxy/stats/summary`): used and free bytes per mounted PVC.

use crate::domain::cluster::VolumeUsage;
use kube::Client;
use serde_json::Value;

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Parses one node's stats summary.
pub fn parse_summary(node: &str, summary: &Value) -> Vec<VolumeUsage> {
    let mut out = Vec::new();
    for pod in summary["pods"].as_array().into_iter().flatten() {
        let pod_name = pod["podRef"]["name"].as_str().unwrap_or_default();
        for vol in pod["volume"].as_array().into_iter().flatten() {
            let Some(pvc) = vol.get("pvcRef") else {
                continue;
            };
            out.push(VolumeUsage {
                namespace: pvc["namespace"].as_str().unwrap_or_default().to_string(),
                pvc: pvc["name"].as_str().unwrap_or_default().to_string(),
                used_bytes: u64_at(vol, "usedBytes"),
                capacity_bytes: u64_at(vol, "capacityBytes"),
                available_bytes: u64_at(vol, "availableBytes"),
                pod: pod_name.to_string(),
                node: node.to_string(),
            });
        }
    }
    out
}

/// Usage of every PVC mounted on the given nodes. Nodes whose summary cannot be read are
/// reported as warnings (the rest is still returned).
pub async fn volume_usage(client: &Client, nodes: &[String]) -> (Vec<VolumeUsage>, Vec<String>) {
    let mut usage = Vec::new();
    let mut warnings = Vec::new();
    for node in nodes {
        let req = http::Request::get(format!("/api/v1/nodes/{node}/proxy/stats/summary"))
            .body(Vec::new());
        let req = match req {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!("{node}: {e}"));
                continue;
            }
        };
        match client.request::<Value>(req).await {
            Ok(summary) => usage.extend(parse_summary(node, &summary)),
            Err(e) => warnings.push(format!("Could not read volume usage on {node}: {e}")),
        }
    }
    usage.sort_by(|a, b| (&a.namespace, &a.pvc).cmp(&(&b.namespace, &b.pvc)));
    (usage, warnings)
}
