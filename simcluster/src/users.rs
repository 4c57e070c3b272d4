//! User servers as KubeSpawner 7 (z2jh 4.4) creates them: pod `jupyter-<slug>[--<server>]`,
//! home PVC `claim-<slug>[--<server>]`, the chart's labels and the
//! `hub.jupyter.org/username` annotation. Also the synthetic users of benchmarks and demos.

use crate::config::{SpawnOptions, UserFailure, UserServer};
use crate::controller_state::PodPlan;
use crate::state::{NAMESPACES, PODS, PVCS, SimState};
use crate::util::{fmt_bytes_quantity, fmt_cpu_quantity, fmt_time, str_at};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const HASH_LENGTH: usize = 8;

fn is_valid_default(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .last()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn extract_safe_name(name: &str, max_length: usize) -> String {
    let lower = name.to_lowercase();
    let mut replaced = String::new();
    let mut in_run = false;
    for c in lower.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            replaced.push(c);
            in_run = false;
        } else if !in_run {
            replaced.push('-');
            in_run = true;
        }
    }
    let trimmed: String = replaced
        .trim_start_matches('-')
        .chars()
        .take(max_length)
        .collect();
    let mut safe = trimmed.trim_end_matches('-').to_string();
    if !safe.is_empty() && !safe.starts_with(|c: char| c.is_ascii_lowercase()) {
        let keep: String = safe.chars().take(max_length.saturating_sub(2)).collect();
        safe = format!("x-{keep}");
    }
    if safe.is_empty() {
        safe = "x".to_string();
    }
    safe
}

fn strip_and_hash(name: &str, max_length: usize) -> String {
    let name_length = max_length.saturating_sub(HASH_LENGTH + 3).max(1);
    let hash = format!("{:x}", Sha256::digest(name.as_bytes()));
    let safe = extract_safe_name(name, name_length);
    format!("{safe}---{}", &hash[..HASH_LENGTH])
}

/// KubeSpawner 7's `safe_slug`: the name itself when already safe, else a sanitised prefix
/// and an 8-hex hash (`---` separated).
pub fn safe_slug(name: &str) -> String {
    if !name.contains("--") && is_valid_default(name) {
        name.to_string()
    } else {
        strip_and_hash(name, 32)
    }
}

/// `<user>` or `<user>--<server>` with both parts slugged.
pub fn user_server(username: &str, server_name: &str) -> String {
    if server_name.is_empty() {
        safe_slug(username)
    } else {
        format!("{}--{}", safe_slug(username), safe_slug(server_name))
    }
}

/// KubeSpawner's byte quantities: a number with optional K/M/G/T suffix (1024-based).
fn kubespawner_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1024u64),
        'M' => (&s[..s.len() - 1], 1024 * 1024),
        'G' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        'T' => (&s[..s.len() - 1], 1024u64.pow(4)),
        _ => (s, 1),
    };
    let n: f64 = num.parse().ok()?;
    Some(crate::util::f64_to_u64(n * mult as f64))
}

fn labels(opts: &SpawnOptions, slug: &str, component: &str) -> Value {
    json!({
        "app": "jupyterhub",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": opts.release,
        "app.kubernetes.io/managed-by": "kubespawner",
        "app.kubernetes.io/name": "jupyterhub",
        "chart": "jupyterhub-4.4.0",
        "component": component,
        "heritage": "jupyterhub",
        "hub.jupyter.org/network-access-hub": "true",
        "hub.jupyter.org/servername": opts.server_name,
        "hub.jupyter.org/username": slug,
        "release": opts.release,
    })
}

fn ensure_namespace(st: &mut SimState, ns: &str) {
    if st.store.get(NAMESPACES, "", ns).is_none() {
        st.create_internal(NAMESPACES, "", json!({"metadata": {"name": ns}}), "kubectl");
    }
}

fn resources(opts: &SpawnOptions) -> Value {
    let mut limits = json!({});
    let mut requests = json!({});
    let millis = |x: f64| fmt_cpu_quantity(crate::util::f64_to_u64((x * 1000.0).round()));
    if let Some(c) = opts.cpu_limit {
        limits["cpu"] = json!(millis(c));
    }
    if let Some(c) = opts.cpu_guarantee {
        requests["cpu"] = json!(millis(c));
    }
    if let Some(b) = opts.mem_limit.as_deref().and_then(kubespawner_bytes) {
        limits["memory"] = json!(b.to_string());
    }
    if let Some(b) = opts.mem_guarantee.as_deref().and_then(kubespawner_bytes) {
        requests["memory"] = json!(b.to_string());
    }
    let mut r = json!({});
    if limits.as_object().is_some_and(|m| !m.is_empty()) {
        r["limits"] = limits;
    }
    if requests.as_object().is_some_and(|m| !m.is_empty()) {
        r["requests"] = requests;
    }
    r
}

fn pvc_object(opts: &SpawnOptions, username: &str, slug: &str, name: &str) -> Option<Value> {
    let capacity = opts.storage_capacity.clone()?;
    let mut pvc = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "namespace": opts.namespace,
            "labels": labels(opts, slug, "singleuser-storage"),
            "annotations": {
                "hub.jupyter.org/username": username,
                "hub.jupyter.org/servername": opts.server_name,
            },
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": capacity}},
        },
    });
    if let Some(sc) = &opts.storage_class {
        pvc["spec"]["storageClassName"] = json!(sc);
    }
    Some(pvc)
}

fn pod_object(
    opts: &SpawnOptions,
    username: &str,
    slug: &str,
    pod_name: &str,
    pvc_name: &str,
    with_pvc: bool,
) -> Value {
    let mut volumes = vec![];
    let mut mounts = vec![];
    if with_pvc {
        volumes.push(json!({"name": format!("volume-{slug}"), "persistentVolumeClaim": {"claimName": pvc_name}}));
        mounts.push(json!({"name": format!("volume-{slug}"), "mountPath": opts.home_mount_path}));
    }
    let mut annotations = json!({
        "hub.jupyter.org/username": username,
        "hub.jupyter.org/servername": opts.server_name,
    });
    if let Some(p) = &opts.profile {
        annotations["hubfleet.io/profile"] = json!(p);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name,
            "namespace": opts.namespace,
            "labels": labels(opts, slug, "singleuser-server"),
            "annotations": annotations,
        },
        "spec": {
            "automountServiceAccountToken": false,
            "restartPolicy": "OnFailure",
            "securityContext": {"fsGroup": 100},
            "containers": [{
                "name": "notebook",
                "image": opts.image,
                "args": ["jupyterhub-singleuser"],
                "ports": [{"containerPort": 8888, "name": "notebook-port", "protocol": "TCP"}],
                "env": [
                    {"name": "JUPYTERHUB_USER", "value": username},
                    {"name": "JUPYTERHUB_SERVER_NAME", "value": opts.server_name},
                    {"name": "MEM_GUARANTEE", "value": opts.mem_guarantee.clone().unwrap_or_default()},
                ],
                "resources": resources(opts),
                "volumeMounts": mounts,
            }],
            "volumes": volumes,
        },
    })
}

fn names(username: &str, opts: &SpawnOptions) -> (String, String, String) {
    let slug = safe_slug(username);
    let us = user_server(username, &opts.server_name);
    (slug, format!("jupyter-{us}"), format!("claim-{us}"))
}

/// Starts a user's server as the hub would: home PVC (kept across restarts) then pod.
pub fn spawn(st: &mut SimState, username: &str, opts: &SpawnOptions) -> UserServer {
    ensure_namespace(st, &opts.namespace);
    let (slug, pod_name, pvc_name) = names(username, opts);
    let with_pvc = opts.storage_capacity.is_some();
    if with_pvc
        && st.store.get(PVCS, &opts.namespace, &pvc_name).is_none()
        && let Some(pvc) = pvc_object(opts, username, &slug, &pvc_name)
    {
        st.create_internal(PVCS, &opts.namespace, pvc, "kubespawner");
    }
    st.delete_internal(PODS, &opts.namespace, &pod_name, false);
    let pod = pod_object(opts, username, &slug, &pod_name, &pvc_name, with_pvc);
    if let Some(created) = st.create_internal(PODS, &opts.namespace, pod, "kubespawner") {
        let uid = str_at(&created, "/metadata/uid").to_string();
        st.ctl.plans.insert(
            uid,
            PodPlan {
                failure: opts.failure.clone(),
            },
        );
    }
    UserServer {
        username: username.to_string(),
        namespace: opts.namespace.clone(),
        pod_name,
        pvc_name: with_pvc.then_some(pvc_name),
    }
}

/// The pod of a user's default server in a namespace, by the username annotation.
pub fn find_pod(st: &SimState, ns: &str, username: &str) -> Option<(String, String)> {
    st.find(PODS, Some(ns), |p| {
        str_at(p, "/metadata/labels/component") == "singleuser-server"
            && str_at(p, "/metadata/annotations/hub.jupyter.org~1username") == username
    })
    .first()
    .map(|p| {
        (
            str_at(p, "/metadata/name").to_string(),
            str_at(p, "/metadata/uid").to_string(),
        )
    })
}

/// Applies a failure to a server now (or, for start-up failures, on its next start).
pub fn fail(st: &mut SimState, ns: &str, username: &str, failure: UserFailure) -> bool {
    let Some((name, uid)) = find_pod(st, ns, username) else {
        return false;
    };
    st.ctl.plans.insert(
        uid.clone(),
        PodPlan {
            failure: Some(failure.clone()),
        },
    );
    match failure {
        UserFailure::OomKilled => crate::controllers::oom_kill(st, ns, &name, &uid),
        UserFailure::Evicted => crate::controllers::evict(st, ns, &name, &uid),
        UserFailure::ImagePull | UserFailure::InsufficientMemory => {}
    }
    true
}

/// Creates `count` users whose servers are already running (benchmarks, demo data),
/// bypassing the step-by-step start so that 10,000 users take well under a second each.
pub fn synthesize(st: &mut SimState, count: usize, base: &SpawnOptions) {
    ensure_namespace(st, &base.namespace);
    st.settle();
    let nodes: Vec<String> = st
        .store
        .list(crate::state::NODES, None)
        .map(|n| str_at(n, "/metadata/name").to_string())
        .collect();
    let now = fmt_time(st.now);
    let capacity = base
        .storage_capacity
        .as_deref()
        .and_then(crate::controllers::quantity)
        .unwrap_or(10.0 * 1024.0 * 1024.0 * 1024.0);
    let class = base
        .storage_class
        .clone()
        .or_else(|| {
            st.store
                .list(crate::state::STORAGE_CLASSES, None)
                .find(|s| {
                    str_at(
                        s,
                        "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
                    ) == "true"
                })
                .map(|s| str_at(s, "/metadata/name").to_string())
        })
        .unwrap_or_default();
    for i in 0..count {
        let username = format!("user{:05}", i + 1);
        let (slug, pod_name, pvc_name) = names(&username, base);
        let node = if nodes.is_empty() {
            String::new()
        } else {
            nodes[i % nodes.len()].clone()
        };
        let with_pvc = base.storage_capacity.is_some();
        if with_pvc && let Some(mut pvc) = pvc_object(base, &username, &slug, &pvc_name) {
            let uid = st.rng.uid();
            pvc["metadata"]["uid"] = json!(uid);
            pvc["metadata"]["creationTimestamp"] = json!(now);
            pvc["spec"]["storageClassName"] = json!(class);
            pvc["spec"]["volumeMode"] = json!("Filesystem");
            pvc["spec"]["volumeName"] = json!(format!("pvc-{uid}"));
            pvc["status"] = json!({
                "phase": "Bound",
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": base.storage_capacity},
            });
            st.store.put(PVCS, &base.namespace, &pvc_name, pvc);
            let fill = 0.02 + st.rng.unit() * st.rng.unit() * 0.93;
            st.ctl.usage.insert(
                (base.namespace.clone(), pvc_name.clone()),
                crate::util::f64_to_u64(capacity * fill),
            );
        }
        // Only a share of users has a running server at any time.
        if st.rng.unit() < 0.35 {
            let mut pod = pod_object(base, &username, &slug, &pod_name, &pvc_name, with_pvc);
            pod["metadata"]["uid"] = json!(st.rng.uid());
            pod["metadata"]["creationTimestamp"] = json!(now);
            pod["spec"]["nodeName"] = json!(node);
            pod["status"] = json!({
                "phase": "Running",
                "qosClass": "Burstable",
                "startTime": now,
                "podIP": format!("10.42.{}.{}", st.rng.range(0, 250), st.rng.range(2, 254)),
                "conditions": [
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                    {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                    {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
                    {"type": "Ready", "status": "True", "lastTransitionTime": now},
                ],
                "containerStatuses": [{
                    "name": "notebook", "image": base.image, "ready": true, "started": true,
                    "restartCount": 0, "state": {"running": {"startedAt": now}}, "lastState": {},
                }],
            });
            st.store.put(PODS, &base.namespace, &pod_name, pod);
        }
    }
    // Synthetic objects are already in their final state: the controllers need not react.
    st.store.take_pending();
}

/// Formats allocatable memory for node objects.
pub fn memory_quantity(bytes: u64) -> String {
    fmt_bytes_quantity(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_kubespawner() {
        assert_eq!(safe_slug("alice"), "alice");
        let s = safe_slug("Alice@Example.com");
        assert!(s.starts_with("alice-example-com---"), "{s}");
        assert_eq!(s.len(), "alice-example-com---".len() + 8);
        assert!(safe_slug("a--b").contains("---"));
        assert!(safe_slug("1abc").starts_with("x-1abc---"));
        assert_eq!(user_server("bob", "gpu"), "bob--gpu");
        assert_eq!(kubespawner_bytes("1G"), Some(1024 * 1024 * 1024));
        assert_eq!(kubespawner_bytes("512M"), Some(512 * 1024 * 1024));
    }
}
