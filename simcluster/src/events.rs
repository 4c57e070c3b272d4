//! Events and pod logs as controllers record them (deduplicated Events with counts, log
//! lines by pod uid). Shared by the built-in controllers and the Helm drivers.

use crate::state::{EVENTS, SimState};
use crate::util::str_at;
use serde_json::{Value, json};

/// Records (or bumps the count of) an Event about an object.
pub fn event(
    st: &mut SimState,
    obj: &Value,
    kind: &str,
    reason: &str,
    message: &str,
    component: &str,
) {
    let ns = match str_at(obj, "/metadata/namespace") {
        "" => "default".to_string(),
        ns => ns.to_string(),
    };
    let uid = str_at(obj, "/metadata/uid").to_string();
    let key = (
        ns.clone(),
        uid.clone(),
        reason.to_string(),
        message.to_string(),
    );
    let now = st.now_str();
    if let Some(existing) = st.ctl.event_index.get(&key).cloned()
        && st
            .modify(EVENTS, &ns, &existing, |e| {
                let count = e["count"].as_i64().unwrap_or(1);
                e["count"] = json!(count + 1);
                e["lastTimestamp"] = json!(now);
            })
            .is_some()
    {
        return;
    }
    let name = format!("{}.{}", str_at(obj, "/metadata/name"), st.rng.hex(16));
    let node = str_at(obj, "/spec/nodeName").to_string();
    let mut source = json!({"component": component});
    if component == "kubelet" && !node.is_empty() {
        source["host"] = json!(node);
    }
    let ev = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {
            "apiVersion": obj["apiVersion"],
            "kind": obj["kind"],
            "name": obj["metadata"]["name"],
            "namespace": obj["metadata"]["namespace"],
            "uid": uid,
            "resourceVersion": obj["metadata"]["resourceVersion"],
        },
        "reason": reason,
        "message": message,
        "type": kind,
        "source": source,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "reportingComponent": component,
        "reportingInstance": node,
    });
    if st.create_internal(EVENTS, &ns, ev, component).is_some() {
        st.ctl.event_index.insert(key, name);
    }
}

/// Appends a line to a pod's log.
pub fn log(st: &mut SimState, pod_uid: &str, line: impl Into<String>) {
    let now = st.now;
    st.ctl
        .logs
        .entry(pod_uid.to_string())
        .or_default()
        .push((now, line.into()));
}
