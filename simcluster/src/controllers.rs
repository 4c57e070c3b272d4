//! The simulated cluster's controllers: defaulting and admission, the scheduler, a kubelet
//! (container start, image pull errors, OOM kills, evictions, logs), the PVC binder and
//! expander, the Job controller and storage usage. Helm-driving controllers live in
//! `releases`, user servers in `users`.
//!
//! Controllers react to committed changes (`on_change`) and to scheduled steps
//! (`run_action`); every step re-reads the object and checks its uid, so steps for deleted or
//! re-created objects do nothing.

use crate::config::{JobOutcome, UserFailure};
use crate::events::{event, log};
use crate::releases;
use crate::resources::ResourceType;
use crate::state::{
    Action, Hooks, JOBS, NAMESPACES, NODES, PODS, PVCS, SECRETS, STORAGE_CLASSES, SimState,
};
use crate::store::{Change, ChangeKind};
use crate::util::{f64_to_u64, fmt_time, parse_quantity, pod_requests, quantity_of, str_at};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

// ---- quantities of pods and nodes --------------------------------------------------------

fn node_allocatable(node: &Value) -> (u64, u64) {
    let cpu = quantity_of(node.pointer("/status/allocatable/cpu")).unwrap_or(0.0);
    let mem = quantity_of(node.pointer("/status/allocatable/memory")).unwrap_or(0.0);
    (f64_to_u64(cpu * 1000.0), f64_to_u64(mem))
}

fn node_ready(node: &Value) -> bool {
    node.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

// ---- defaulting and admission ------------------------------------------------------------

fn default_storage_class(st: &SimState) -> Option<String> {
    st.store
        .list(STORAGE_CLASSES, None)
        .find(|sc| {
            str_at(
                sc,
                "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
            ) == "true"
        })
        .map(|sc| str_at(sc, "/metadata/name").to_string())
}

/// Fills defaults on a new object, as the API server's defaulting and admission plugins do.
pub fn default_new(st: &mut SimState, rt: &ResourceType, obj: &mut Value) {
    match rt.key().as_str() {
        NAMESPACES => {
            let name = str_at(obj, "/metadata/name").to_string();
            obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
            if obj.pointer("/spec/finalizers").is_none() {
                obj["spec"]["finalizers"] = json!(["kubernetes"]);
            }
            obj["status"] = json!({"phase": "Active"});
        }
        PODS => {
            let spec = &mut obj["spec"];
            for (k, v) in [
                ("restartPolicy", json!("Always")),
                ("schedulerName", json!("default-scheduler")),
                ("terminationGracePeriodSeconds", json!(30)),
                ("dnsPolicy", json!("ClusterFirst")),
                ("serviceAccountName", json!("default")),
                ("enableServiceLinks", json!(true)),
            ] {
                if spec.get(k).is_none() {
                    spec[k] = v;
                }
            }
            if let Some(cs) = spec.get_mut("containers").and_then(Value::as_array_mut) {
                for c in cs {
                    if c.get("imagePullPolicy").is_none() {
                        let image = c["image"].as_str().unwrap_or_default();
                        let tag = image.rsplit('/').next().and_then(|s| s.split_once(':'));
                        let policy = match tag {
                            Some((_, "latest")) | None => "Always",
                            Some(_) => "IfNotPresent",
                        };
                        c["imagePullPolicy"] = json!(policy);
                    }
                    if c.get("terminationMessagePath").is_none() {
                        c["terminationMessagePath"] = json!("/dev/termination-log");
                    }
                }
            }
            let qos = qos_class(obj);
            if obj.pointer("/status/phase").is_none() {
                obj["status"] = json!({"phase": "Pending", "qosClass": qos});
            }
        }
        PVCS => {
            if obj.pointer("/spec/volumeMode").is_none() {
                obj["spec"]["volumeMode"] = json!("Filesystem");
            }
            if obj.pointer("/spec/storageClassName").is_none()
                && let Some(sc) = default_storage_class(st)
            {
                obj["spec"]["storageClassName"] = json!(sc);
            }
            obj["status"] = json!({"phase": "Pending"});
        }
        SECRETS => {
            if obj.get("type").is_none() {
                obj["type"] = json!("Opaque");
            }
            if let Some(Value::Object(sd)) =
                obj.as_object_mut().and_then(|m| m.remove("stringData"))
            {
                for (k, v) in sd {
                    let raw = v.as_str().unwrap_or_default().to_string();
                    obj["data"][k] =
                        json!(base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()));
                }
            }
        }
        JOBS => {
            let uid = str_at(obj, "/metadata/uid").to_string();
            let name = str_at(obj, "/metadata/name").to_string();
            let spec = &mut obj["spec"];
            for (k, v) in [
                ("backoffLimit", json!(6)),
                ("completions", json!(1)),
                ("parallelism", json!(1)),
                ("completionMode", json!("NonIndexed")),
                ("suspend", json!(false)),
            ] {
                if spec.get(k).is_none() {
                    spec[k] = v;
                }
            }
            if spec.get("selector").is_none() {
                spec["selector"] =
                    json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
            }
            let labels = &mut spec["template"]["metadata"]["labels"];
            for (k, v) in [
                ("batch.kubernetes.io/controller-uid", &uid),
                ("batch.kubernetes.io/job-name", &name),
                ("controller-uid", &uid),
                ("job-name", &name),
            ] {
                labels[k] = json!(v);
            }
            obj["status"] = json!({});
        }
        _ => {}
    }
}

fn qos_class(pod: &Value) -> &'static str {
    let cs = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let any = cs.iter().any(|c| {
        c.pointer("/resources/requests").is_some() || c.pointer("/resources/limits").is_some()
    });
    if !any {
        return "BestEffort";
    }
    let guaranteed = cs.iter().all(|c| {
        let r = &c["resources"];
        ["cpu", "memory"].iter().all(|k| {
            let lim = r.get("limits").and_then(|l| l.get(*k));
            let req = r.get("requests").and_then(|l| l.get(*k)).or(lim);
            lim.is_some() && quantity_of(lim) == quantity_of(req)
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Validates a write the way admission and validation would for the kinds with rules.
pub fn admit(
    st: &SimState,
    rt: &ResourceType,
    old: Option<&Value>,
    new: &Value,
) -> Result<(), crate::state::ApiError> {
    use crate::state::ApiError;
    let name = str_at(new, "/metadata/name");
    if rt.key() == PVCS {
        let req = quantity_of(new.pointer("/spec/resources/requests/storage"));
        if req.is_none() {
            return Err(ApiError::invalid(
                rt,
                name,
                "spec.resources[storage]",
                "Required value",
            ));
        }
        if let Some(old) = old {
            let before = quantity_of(old.pointer("/spec/resources/requests/storage"));
            let mut a = old["spec"].clone();
            let mut b = new["spec"].clone();
            for s in [&mut a, &mut b] {
                if let Some(r) = s.pointer_mut("/resources").and_then(Value::as_object_mut) {
                    r.remove("requests");
                }
                if let Some(m) = s.as_object_mut() {
                    m.remove("volumeName");
                }
            }
            if a != b {
                return Err(ApiError::invalid(
                    rt,
                    name,
                    "spec",
                    "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                ));
            }
            if req < before {
                return Err(ApiError::invalid(
                    rt,
                    name,
                    "spec.resources.requests.storage",
                    "Forbidden: field can not be less than status.capacity",
                ));
            }
            if req > before {
                let class = str_at(new, "/spec/storageClassName");
                let expandable = st
                    .store
                    .get(STORAGE_CLASSES, "", class)
                    .is_some_and(|sc| sc["allowVolumeExpansion"].as_bool() == Some(true));
                let bound = str_at(old, "/status/phase") == "Bound";
                if !bound || !expandable {
                    return Err(ApiError::invalid(
                        rt,
                        name,
                        "spec",
                        "Forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
                    ));
                }
            }
        }
    }
    if rt.key() == JOBS
        && let Some(old) = old
        && old["spec"]["template"] != new["spec"]["template"]
    {
        return Err(ApiError::invalid(
            rt,
            name,
            "spec.template",
            "Invalid value: field is immutable",
        ));
    }
    Ok(())
}

// ---- reacting to changes -----------------------------------------------------------------

fn ids(obj: &Value) -> (String, String, String) {
    (
        str_at(obj, "/metadata/namespace").to_string(),
        str_at(obj, "/metadata/name").to_string(),
        str_at(obj, "/metadata/uid").to_string(),
    )
}

fn is_terminal(phase: &str) -> bool {
    phase == "Succeeded" || phase == "Failed"
}

/// Unscheduled pending pods get another scheduling attempt (resources or volumes changed).
fn retry_unscheduled(st: &mut SimState, ns: Option<&str>) {
    let pending = st.find(PODS, ns, |p| {
        str_at(p, "/status/phase") == "Pending" && str_at(p, "/spec/nodeName").is_empty()
    });
    for p in pending {
        let (ns, name, uid) = ids(&p);
        st.schedule(Duration::ZERO, Action::SchedulePod { ns, name, uid });
    }
}

pub fn on_change(st: &mut SimState, change: &Change) {
    let obj = &change.object;
    match (change.resource.as_str(), change.kind) {
        (PODS, ChangeKind::Added)
            if str_at(obj, "/spec/nodeName").is_empty()
                && str_at(obj, "/status/phase") == "Pending" =>
        {
            let (ns, name, uid) = ids(obj);
            let delay = st.config.delays.schedule;
            st.schedule(delay, Action::SchedulePod { ns, name, uid });
        }
        (PODS, ChangeKind::Modified) => {
            let was = change
                .old
                .as_ref()
                .map(|o| str_at(o, "/status/phase").to_string())
                .unwrap_or_default();
            let now = str_at(obj, "/status/phase");
            if is_terminal(now) && !is_terminal(&was) {
                job_pod_finished(st, obj);
                retry_unscheduled(st, None);
            }
        }
        (PODS, ChangeKind::Deleted) => {
            let uid = str_at(obj, "/metadata/uid");
            st.ctl.plans.remove(uid);
            st.ctl.logs.remove(uid);
            retry_unscheduled(st, None);
        }
        (PVCS, ChangeKind::Added | ChangeKind::Modified) => {
            let (ns, name, uid) = ids(obj);
            match str_at(obj, "/status/phase") {
                "Pending" => {
                    let delay = st.config.delays.pvc_bind;
                    st.schedule(delay, Action::BindPvc { ns, name, uid });
                }
                "Bound" => {
                    let requested = quantity_of(obj.pointer("/spec/resources/requests/storage"));
                    let capacity = quantity_of(obj.pointer("/status/capacity/storage"));
                    if requested > capacity {
                        let delay = st.config.delays.pvc_resize;
                        st.schedule(
                            delay,
                            Action::ResizePvc {
                                ns: ns.clone(),
                                name,
                                uid,
                            },
                        );
                    }
                    let was_bound = change
                        .old
                        .as_ref()
                        .is_some_and(|o| str_at(o, "/status/phase") == "Bound");
                    if !was_bound {
                        retry_unscheduled(st, Some(&ns));
                    }
                }
                _ => {}
            }
        }
        (PVCS, ChangeKind::Deleted) => {
            let (ns, name, _) = ids(obj);
            st.ctl.usage.remove(&(ns, name));
        }
        (STORAGE_CLASSES, ChangeKind::Added) => {
            let pending = st.find(PVCS, None, |p| str_at(p, "/status/phase") == "Pending");
            for p in pending {
                let (ns, name, uid) = ids(&p);
                st.schedule(Duration::ZERO, Action::BindPvc { ns, name, uid });
            }
        }
        (NODES, _) => retry_unscheduled(st, None),
        (JOBS, ChangeKind::Added) => job_created(st, obj),
        _ => {}
    }
    releases::on_change(st, change);
}

pub fn run_action(st: &mut SimState, action: Action) {
    match action {
        Action::SchedulePod { ns, name, uid } => schedule_pod(st, &ns, &name, &uid),
        Action::StartPod { ns, name, uid } => start_pod(st, &ns, &name, &uid),
        Action::ImagePullBackOff { ns, name, uid } => image_pull_backoff(st, &ns, &name, &uid),
        Action::OomKill { ns, name, uid } => oom_kill(st, &ns, &name, &uid),
        Action::Evict { ns, name, uid } => evict(st, &ns, &name, &uid),
        Action::FinishJobPod { ns, name, uid } => finish_job_pod(st, &ns, &name, &uid),
        Action::BindPvc { ns, name, uid } => bind_pvc(st, &ns, &name, &uid),
        Action::ResizePvc { ns, name, uid } => resize_pvc(st, &ns, &name, &uid),
        Action::FinishRelease { op } => releases::finish_op(st, op),
    }
}

fn current(
    st: &SimState,
    key: &str,
    ns: &str,
    name: &str,
    uid: &str,
) -> Option<std::sync::Arc<Value>> {
    st.store
        .get(key, ns, name)
        .filter(|o| str_at(o, "/metadata/uid") == uid)
}

fn set_condition(
    obj: &mut Value,
    ctype: &str,
    status: &str,
    reason: Option<&str>,
    message: Option<&str>,
    now: &str,
) {
    if !obj["status"]["conditions"].is_array() {
        obj["status"]["conditions"] = json!([]);
    }
    let Some(conds) = obj["status"]["conditions"].as_array_mut() else {
        return;
    };
    let mut c =
        json!({"type": ctype, "status": status, "lastProbeTime": null, "lastTransitionTime": now});
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    if let Some(m) = message {
        c["message"] = json!(m);
    }
    match conds.iter_mut().find(|x| x["type"] == ctype) {
        Some(existing) => {
            if existing["status"] == json!(status) {
                c["lastTransitionTime"] = existing["lastTransitionTime"].clone();
            }
            *existing = c;
        }
        None => conds.push(c),
    }
}

// ---- scheduler ---------------------------------------------------------------------------

fn schedule_pod(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pod) = current(st, PODS, ns, name, uid) else {
        return;
    };
    if !str_at(&pod, "/spec/nodeName").is_empty() || str_at(&pod, "/status/phase") != "Pending" {
        return;
    }
    let nodes: Vec<std::sync::Arc<Value>> = st.store.list(NODES, None).cloned().collect();
    let n = nodes.len();
    let now = st.now_str();
    let mut failure: Option<String> = None;
    // Volumes first: a pod with an unbound claim is not scheduled.
    if let Some(vols) = pod.pointer("/spec/volumes").and_then(Value::as_array) {
        for v in vols {
            let claim = str_at(v, "/persistentVolumeClaim/claimName");
            if claim.is_empty() {
                continue;
            }
            match st.store.get(PVCS, ns, claim) {
                None => {
                    failure = Some(format!("persistentvolumeclaim \"{claim}\" not found"));
                }
                Some(pvc) if str_at(&pvc, "/status/phase") != "Bound" => {
                    failure = Some(format!(
                        "0/{n} nodes are available: pod has unbound immediate PersistentVolumeClaims."
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let forced = st
        .ctl
        .plans
        .get(uid)
        .is_some_and(|p| p.failure == Some(UserFailure::InsufficientMemory));
    let mut chosen: Option<(String, u64)> = None;
    if failure.is_none() {
        let (cpu, mem) = pod_requests(&pod);
        let used = st.node_usage();
        let selector = pod.pointer("/spec/nodeSelector").and_then(Value::as_object);
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for node in &nodes {
            let node_name = str_at(node, "/metadata/name").to_string();
            if !node_ready(node) {
                *reasons.entry("node(s) were not ready".into()).or_default() += 1;
                continue;
            }
            if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
                *reasons
                    .entry("node(s) were unschedulable".into())
                    .or_default() += 1;
                continue;
            }
            if let Some(sel) = selector
                && !sel
                    .iter()
                    .all(|(k, v)| node["metadata"]["labels"].get(k) == Some(v))
            {
                *reasons
                    .entry("node(s) didn't match Pod's node affinity/selector".into())
                    .or_default() += 1;
                continue;
            }
            let (acpu, amem) = node_allocatable(node);
            let (ucpu, umem) = used.get(&node_name).copied().unwrap_or_default();
            let mut fits = true;
            if ucpu + cpu > acpu {
                *reasons.entry("Insufficient cpu".into()).or_default() += 1;
                fits = false;
            }
            if forced || umem + mem > amem {
                *reasons.entry("Insufficient memory".into()).or_default() += 1;
                fits = false;
            }
            if fits {
                let free = amem - umem - mem;
                if chosen.as_ref().is_none_or(|(_, f)| free > *f) {
                    chosen = Some((node_name, free));
                }
            }
        }
        if chosen.is_none() {
            let list: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
            failure = Some(if list.is_empty() {
                format!("0/{n} nodes are available.")
            } else {
                format!("0/{n} nodes are available: {}.", list.join(", "))
            });
        }
    }
    if let Some(msg) = failure {
        let updated = st.modify(PODS, ns, name, |p| {
            set_condition(
                p,
                "PodScheduled",
                "False",
                Some("Unschedulable"),
                Some(&msg),
                &now,
            );
        });
        if let Some(p) = updated {
            event(
                st,
                &p,
                "Warning",
                "FailedScheduling",
                &msg,
                "default-scheduler",
            );
        }
        return;
    }
    let Some((node, _)) = chosen else {
        return;
    };
    let host_ip = format!(
        "10.0.0.{}",
        10 + nodes
            .iter()
            .position(|x| str_at(x, "/metadata/name") == node)
            .unwrap_or(0)
    );
    let updated = st.modify(PODS, ns, name, |p| {
        p["spec"]["nodeName"] = json!(node);
        set_condition(p, "PodScheduled", "True", None, None, &now);
        set_condition(p, "PodReadyToStartContainers", "False", None, None, &now);
        set_condition(p, "Initialized", "True", None, None, &now);
        set_condition(p, "Ready", "False", Some("ContainersNotReady"), None, &now);
        set_condition(
            p,
            "ContainersReady",
            "False",
            Some("ContainersNotReady"),
            None,
            &now,
        );
        p["status"]["hostIP"] = json!(host_ip);
        p["status"]["hostIPs"] = json!([{"ip": host_ip}]);
        p["status"]["startTime"] = json!(now);
        let statuses: Vec<Value> = p["spec"]["containers"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        json!({
                            "name": c["name"], "image": c["image"], "imageID": "",
                            "ready": false, "started": false, "restartCount": 0,
                            "state": {"waiting": {"reason": "ContainerCreating"}},
                            "lastState": {},
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        p["status"]["containerStatuses"] = Value::Array(statuses);
    });
    if let Some(p) = updated {
        let msg = format!("Successfully assigned {ns}/{name} to {node}");
        event(st, &p, "Normal", "Scheduled", &msg, "default-scheduler");
        let delay = st.config.delays.container_creating;
        st.schedule(
            delay,
            Action::StartPod {
                ns: ns.into(),
                name: name.into(),
                uid: uid.into(),
            },
        );
    }
}

// ---- kubelet -----------------------------------------------------------------------------

fn containers(pod: &Value) -> Vec<(String, String)> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    (
                        str_at(c, "/name").to_string(),
                        str_at(c, "/image").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set_container_states(p: &mut Value, mut f: impl FnMut(&mut Value)) {
    if let Some(cs) = p["status"]["containerStatuses"].as_array_mut() {
        for c in cs {
            f(c);
        }
    }
}

fn start_pod(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pod) = current(st, PODS, ns, name, uid) else {
        return;
    };
    if str_at(&pod, "/status/phase") != "Pending" {
        return;
    }
    let plan = st.ctl.plans.get(uid).cloned().unwrap_or_default();
    let conts = containers(&pod);
    let bad_image = conts
        .iter()
        .find(|(_, image)| st.ctl.unpullable.contains(image))
        .map(|(_, i)| i.clone())
        .or_else(|| {
            (plan.failure == Some(UserFailure::ImagePull))
                .then(|| conts.first().map(|(_, i)| i.clone()))
                .flatten()
        });
    let now = st.now_str();
    if let Some(image) = bad_image {
        let pull_msg = format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
        );
        let updated = st.modify(PODS, ns, name, |p| {
            set_container_states(p, |c| {
                if c["image"] == json!(image) {
                    c["state"] =
                        json!({"waiting": {"reason": "ErrImagePull", "message": pull_msg}});
                }
            });
        });
        if let Some(p) = updated {
            event(
                st,
                &p,
                "Normal",
                "Pulling",
                &format!("Pulling image \"{image}\""),
                "kubelet",
            );
            event(
                st,
                &p,
                "Warning",
                "Failed",
                &format!("Failed to pull image \"{image}\": {pull_msg}"),
                "kubelet",
            );
            event(
                st,
                &p,
                "Warning",
                "Failed",
                "Error: ErrImagePull",
                "kubelet",
            );
            let delay = st.config.delays.image_pull_backoff;
            st.schedule(
                delay,
                Action::ImagePullBackOff {
                    ns: ns.into(),
                    name: name.into(),
                    uid: uid.into(),
                },
            );
        }
        return;
    }
    let pod_ip = format!("10.42.{}.{}", st.rng.range(0, 8), st.rng.range(2, 254));
    let updated = st.modify(PODS, ns, name, |p| {
        p["status"]["phase"] = json!("Running");
        p["status"]["podIP"] = json!(pod_ip);
        p["status"]["podIPs"] = json!([{"ip": pod_ip}]);
        set_condition(p, "PodReadyToStartContainers", "True", None, None, &now);
        set_condition(p, "Ready", "True", None, None, &now);
        set_condition(p, "ContainersReady", "True", None, None, &now);
        set_container_states(p, |c| {
            c["state"] = json!({"running": {"startedAt": now}});
            c["ready"] = json!(true);
            c["started"] = json!(true);
            c["imageID"] = json!(format!(
                "{}@sha256:{}",
                c["image"].as_str().unwrap_or_default(),
                "0".repeat(64)
            ));
            c["containerID"] = json!(format!("containerd://{}", "1".repeat(64)));
        });
    });
    let Some(p) = updated else {
        return;
    };
    for (cname, image) in &conts {
        event(
            st,
            &p,
            "Normal",
            "Pulling",
            &format!("Pulling image \"{image}\""),
            "kubelet",
        );
        event(
            st,
            &p,
            "Normal",
            "Pulled",
            &format!("Successfully pulled image \"{image}\" in 2.1s (2.1s including waiting)"),
            "kubelet",
        );
        event(
            st,
            &p,
            "Normal",
            "Created",
            &format!("Created container: {cname}"),
            "kubelet",
        );
        event(
            st,
            &p,
            "Normal",
            "Started",
            &format!("Started container {cname}"),
            "kubelet",
        );
    }
    startup_log(st, &p);
    let job = str_at(&p, "/metadata/labels/job-name").to_string();
    if !job.is_empty() {
        releases::job_pod_started(st, ns, &job, &p);
        let delay = releases::job_duration(st, ns, &job);
        st.schedule(
            delay,
            Action::FinishJobPod {
                ns: ns.into(),
                name: name.into(),
                uid: uid.into(),
            },
        );
    }
    match plan.failure {
        Some(UserFailure::OomKilled) => {
            let delay = st.config.delays.oom_after;
            st.schedule(
                delay,
                Action::OomKill {
                    ns: ns.into(),
                    name: name.into(),
                    uid: uid.into(),
                },
            );
        }
        Some(UserFailure::Evicted) => {
            let delay = st.config.delays.evict_after;
            st.schedule(
                delay,
                Action::Evict {
                    ns: ns.into(),
                    name: name.into(),
                    uid: uid.into(),
                },
            );
        }
        _ => {}
    }
}

fn startup_log(st: &mut SimState, pod: &Value) {
    let uid = str_at(pod, "/metadata/uid").to_string();
    let component = str_at(pod, "/metadata/labels/component").to_string();
    let ts = st.now.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
    let lines: Vec<String> = match component.as_str() {
        "singleuser-server" => {
            let user = str_at(pod, "/metadata/annotations/hub.jupyter.org~1username").to_string();
            vec![
                format!("[I {ts} ServerApp] Extension package jupyterlab took 0.1412s to import"),
                format!("[I {ts} ServerApp] jupyterhub | extension was successfully linked."),
                format!("[I {ts} ServerApp] Serving notebooks from local directory: /home/jovyan"),
                format!("[I {ts} ServerApp] Jupyter Server 2.15.0 is running at:"),
                format!(
                    "[I {ts} ServerApp] http://{}:8888/user/{user}/lab",
                    str_at(pod, "/metadata/name")
                ),
                format!(
                    "[I {ts} JupyterHubSingleUser] Updating Hub with activity every 300 seconds"
                ),
            ]
        }
        "hub" => vec![
            format!("[I {ts} JupyterHub app:3313] Running JupyterHub version 5.5.0"),
            format!(
                "[I {ts} JupyterHub app:3343] Using Authenticator: jupyterhub.auth.DummyAuthenticator-5.5.0"
            ),
            format!(
                "[I {ts} JupyterHub app:3343] Using Spawner: kubespawner.spawner.KubeSpawner-7.0.0"
            ),
            format!(
                "[I {ts} JupyterHub app:3343] Using Proxy: jupyterhub.proxy.ConfigurableHTTPProxy-5.5.0"
            ),
            format!(
                "[I {ts} JupyterHub app:3793] JupyterHub is now running, internal Hub API at http://hub:8081/hub/"
            ),
        ],
        "proxy" => vec![format!(
            "{ts} [ConfigProxy] info: Proxying http://*:8000 to (no default)"
        )],
        _ => Vec::new(),
    };
    for l in lines {
        log(st, &uid, l);
    }
}

fn image_pull_backoff(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pod) = current(st, PODS, ns, name, uid) else {
        return;
    };
    let image = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| str_at(c, "/state/waiting/reason") == "ErrImagePull")
                .map(|c| str_at(c, "/image").to_string())
        });
    let Some(image) = image else {
        return;
    };
    let msg = format!("Back-off pulling image \"{image}\"");
    let updated = st.modify(PODS, ns, name, |p| {
        set_container_states(p, |c| {
            if c["image"] == json!(image) {
                c["state"] = json!({"waiting": {"reason": "ImagePullBackOff", "message": msg}});
            }
        });
    });
    if let Some(p) = updated {
        event(st, &p, "Normal", "BackOff", &msg, "kubelet");
        event(
            st,
            &p,
            "Warning",
            "Failed",
            "Error: ImagePullBackOff",
            "kubelet",
        );
    }
}

/// A running container is killed at its memory limit.
pub fn oom_kill(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pod) = current(st, PODS, ns, name, uid) else {
        return;
    };
    if str_at(&pod, "/status/phase") != "Running" {
        return;
    }
    let now = st.now_str();
    let restart = str_at(&pod, "/spec/restartPolicy") != "Never";
    let cname = containers(&pod)
        .first()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let updated = st.modify(PODS, ns, name, |p| {
        let mut first = true;
        set_container_states(p, |c| {
            if !std::mem::take(&mut first) {
                return;
            }
            let started = c.pointer("/state/running/startedAt").cloned().unwrap_or(json!(now));
            let terminated = json!({"terminated": {
                "reason": "OOMKilled", "exitCode": 137, "startedAt": started, "finishedAt": now,
                "containerID": c["containerID"],
            }});
            c["ready"] = json!(false);
            c["started"] = json!(false);
            if restart {
                c["lastState"] = terminated;
                c["restartCount"] = json!(c["restartCount"].as_i64().unwrap_or(0) + 1);
                c["state"] = json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 10s restarting failed container={} pod={}", c["name"].as_str().unwrap_or_default(), name)}});
            } else {
                c["state"] = terminated;
            }
        });
        if !restart {
            p["status"]["phase"] = json!("Failed");
        }
        set_condition(p, "Ready", "False", Some("ContainersNotReady"), Some(&format!("containers with unready status: [{cname}]")), &now);
        set_condition(p, "ContainersReady", "False", Some("ContainersNotReady"), Some(&format!("containers with unready status: [{cname}]")), &now);
    });
    if let Some(p) = updated {
        log(st, uid, "Killed");
        if restart {
            let msg =
                format!("Back-off restarting failed container {cname} in pod {name}_{ns}({uid})");
            event(st, &p, "Warning", "BackOff", &msg, "kubelet");
        }
    }
}

/// The kubelet evicts a pod under node memory pressure.
pub fn evict(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pod) = current(st, PODS, ns, name, uid) else {
        return;
    };
    if is_terminal(str_at(&pod, "/status/phase")) {
        return;
    }
    let now = st.now_str();
    let cname = containers(&pod)
        .first()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let (_, mem) = pod_requests(&pod);
    let msg = format!(
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 56Mi. Container {cname} was using {}Mi, request is {}Mi, has larger consumption of memory. ",
        mem / (1024 * 1024) + 517,
        mem / (1024 * 1024)
    );
    let updated = st.modify(PODS, ns, name, |p| {
        p["status"]["phase"] = json!("Failed");
        p["status"]["reason"] = json!("Evicted");
        p["status"]["message"] = json!(msg);
        set_condition(p, "DisruptionTarget", "True", Some("TerminationByKubelet"), Some(&msg), &now);
        set_condition(p, "Ready", "False", Some("PodFailed"), None, &now);
        set_condition(p, "ContainersReady", "False", Some("PodFailed"), None, &now);
        set_container_states(p, |c| {
            c["ready"] = json!(false);
            c["started"] = json!(false);
            c["state"] = json!({"terminated": {"reason": "ContainerStatusUnknown", "exitCode": 137, "finishedAt": now, "message": "The container could not be located when the pod was terminated"}});
        });
    });
    if let Some(p) = updated {
        event(st, &p, "Warning", "Evicted", &msg, "kubelet");
        event(
            st,
            &p,
            "Normal",
            "Killing",
            &format!("Stopping container {cname}"),
            "kubelet",
        );
    }
}

// ---- jobs --------------------------------------------------------------------------------

fn job_created(st: &mut SimState, job: &Value) {
    let (ns, name, uid) = ids(job);
    if job["spec"]["suspend"].as_bool() == Some(true) {
        return;
    }
    let template = job["spec"]["template"].clone();
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": template.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    });
    pod["metadata"]["generateName"] = json!(format!("{name}-"));
    pod["metadata"]["ownerReferences"] = json!([{
        "apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid,
        "controller": true, "blockOwnerDeletion": true,
    }]);
    releases::job_created(st, job);
    let created = st.create_internal(PODS, &ns, pod, "kube-controller-manager");
    let now = st.now_str();
    st.modify(JOBS, &ns, &name, |j| {
        j["status"] = json!({
            "active": 1, "ready": 0, "terminating": 0, "startTime": now,
            "uncountedTerminatedPods": {},
        });
    });
    if let (Some(p), Some(j)) = (created, st.store.get(JOBS, &ns, &name)) {
        let msg = format!("Created pod: {}", str_at(&p, "/metadata/name"));
        event(st, &j, "Normal", "SuccessfulCreate", &msg, "job-controller");
    }
}

/// The outcome of a job pod that finished its work (scripted, or the Helm operation's).
fn finish_job_pod(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pod) = current(st, PODS, ns, name, uid) else {
        return;
    };
    if str_at(&pod, "/status/phase") != "Running" {
        return;
    }
    let job = str_at(&pod, "/metadata/labels/job-name").to_string();
    let outcome = releases::job_outcome(st, ns, &job)
        .or_else(|| {
            st.ctl
                .job_outcomes
                .get(&(ns.to_string(), job.clone()))
                .cloned()
        })
        .unwrap_or(JobOutcome::Succeed);
    let now = st.now_str();
    let ok = outcome == JobOutcome::Succeed;
    if let JobOutcome::Fail(msg) = &outcome {
        log(st, uid, msg.clone());
    } else if !releases::is_helm_job(st, ns, &job) {
        log(st, uid, format!("job {job} completed"));
    }
    st.modify(PODS, ns, name, |p| {
        p["status"]["phase"] = json!(if ok { "Succeeded" } else { "Failed" });
        set_condition(p, "Ready", "False", Some("PodCompleted"), None, &now);
        set_condition(
            p,
            "ContainersReady",
            "False",
            Some("PodCompleted"),
            None,
            &now,
        );
        set_container_states(p, |c| {
            let started = c
                .pointer("/state/running/startedAt")
                .cloned()
                .unwrap_or(json!(now));
            c["ready"] = json!(false);
            c["started"] = json!(false);
            c["state"] = json!({"terminated": {
                "reason": if ok { "Completed" } else { "Error" },
                "exitCode": if ok { 0 } else { 1 },
                "startedAt": started, "finishedAt": now,
            }});
        });
    });
}

fn job_pod_finished(st: &mut SimState, pod: &Value) {
    let ns = str_at(pod, "/metadata/namespace").to_string();
    let job = str_at(pod, "/metadata/labels/job-name").to_string();
    if job.is_empty() {
        return;
    }
    let Some(j) = st.store.get(JOBS, &ns, &job) else {
        return;
    };
    if j.pointer("/status/completionTime").is_some() || j.pointer("/status/failed").is_some() {
        return;
    }
    let ok = str_at(pod, "/status/phase") == "Succeeded";
    let now = st.now_str();
    let updated = st.modify(JOBS, &ns, &job, |j| {
        j["status"]["active"] = json!(0);
        j["status"]["ready"] = json!(0);
        if ok {
            j["status"]["succeeded"] = json!(1);
            j["status"]["completionTime"] = json!(now);
            set_condition(
                j,
                "SuccessCriteriaMet",
                "True",
                Some("CompletionsReached"),
                Some("Reached expected number of succeeded pods"),
                &now,
            );
            set_condition(
                j,
                "Complete",
                "True",
                Some("CompletionsReached"),
                Some("Reached expected number of succeeded pods"),
                &now,
            );
        } else {
            j["status"]["failed"] = json!(1);
            set_condition(
                j,
                "FailureTarget",
                "True",
                Some("BackoffLimitExceeded"),
                Some("Job has reached the specified backoff limit"),
                &now,
            );
            set_condition(
                j,
                "Failed",
                "True",
                Some("BackoffLimitExceeded"),
                Some("Job has reached the specified backoff limit"),
                &now,
            );
        }
    });
    if let Some(j) = updated {
        if ok {
            event(
                st,
                &j,
                "Normal",
                "Completed",
                "Job completed",
                "job-controller",
            );
        } else {
            event(
                st,
                &j,
                "Warning",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "job-controller",
            );
        }
    }
    releases::job_finished(st, &ns, &job, ok);
}

// ---- volumes -----------------------------------------------------------------------------

fn bind_pvc(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pvc) = current(st, PVCS, ns, name, uid) else {
        return;
    };
    if str_at(&pvc, "/status/phase") != "Pending" {
        return;
    }
    let class = str_at(&pvc, "/spec/storageClassName").to_string();
    if class.is_empty() {
        event(
            st,
            &pvc,
            "Normal",
            "FailedBinding",
            "no persistent volumes available for this claim and no storage class is set",
            "persistentvolume-controller",
        );
        return;
    }
    let Some(sc) = st.store.get(STORAGE_CLASSES, "", &class) else {
        let msg = format!("storageclass.storage.k8s.io \"{class}\" not found");
        event(
            st,
            &pvc,
            "Warning",
            "ProvisioningFailed",
            &msg,
            "persistentvolume-controller",
        );
        return;
    };
    let provisioner = str_at(&sc, "/provisioner").to_string();
    let requested = pvc
        .pointer("/spec/resources/requests/storage")
        .cloned()
        .unwrap_or(json!("1Gi"));
    let modes = pvc
        .pointer("/spec/accessModes")
        .cloned()
        .unwrap_or(json!(["ReadWriteOnce"]));
    let volume = format!("pvc-{uid}");
    let updated = st.modify(PVCS, ns, name, |p| {
        p["spec"]["volumeName"] = json!(volume);
        let ann = &mut p["metadata"]["annotations"];
        ann["pv.kubernetes.io/bind-completed"] = json!("yes");
        ann["pv.kubernetes.io/bound-by-controller"] = json!("yes");
        ann["volume.beta.kubernetes.io/storage-provisioner"] = json!(provisioner);
        ann["volume.kubernetes.io/storage-provisioner"] = json!(provisioner);
        p["status"] =
            json!({"phase": "Bound", "accessModes": modes, "capacity": {"storage": requested}});
    });
    if let Some(p) = updated {
        event(
            st,
            &p,
            "Normal",
            "Provisioning",
            &format!("External provisioner is provisioning volume for claim \"{ns}/{name}\""),
            &provisioner,
        );
        event(
            st,
            &p,
            "Normal",
            "ProvisioningSucceeded",
            &format!("Successfully provisioned volume {volume}"),
            &provisioner,
        );
        let initial = 4 * 1024 * 1024 + st.rng.range(0, 16 * 1024 * 1024);
        st.ctl
            .usage
            .entry((ns.to_string(), name.to_string()))
            .or_insert(initial);
    }
}

fn resize_pvc(st: &mut SimState, ns: &str, name: &str, uid: &str) {
    let Some(pvc) = current(st, PVCS, ns, name, uid) else {
        return;
    };
    let requested = pvc.pointer("/spec/resources/requests/storage").cloned();
    let Some(requested) = requested else {
        return;
    };
    if quantity_of(Some(&requested)) <= quantity_of(pvc.pointer("/status/capacity/storage")) {
        return;
    }
    let updated = st.modify(PVCS, ns, name, |p| {
        p["status"]["capacity"]["storage"] = requested.clone();
        p["status"]["allocatedResources"] = json!({"storage": requested});
    });
    if let Some(p) = updated {
        event(
            st,
            &p,
            "Normal",
            "ExternalExpanding",
            "waiting for an external controller to expand this PVC",
            "volume_expand",
        );
        event(
            st,
            &p,
            "Normal",
            "FileSystemResizeSuccessful",
            &format!("MountVolume.NodeExpandVolume succeeded for volume \"pvc-{uid}\""),
            "kubelet",
        );
    }
}

/// Home directories fill up while their server runs; old events expire.
pub fn grow_usage(st: &mut SimState, elapsed: Duration) {
    if elapsed.is_zero() {
        return;
    }
    let hours = elapsed.as_secs_f64() / 3600.0;
    let mut active: HashSet<(String, String)> = HashSet::new();
    for pod in st.store.list(PODS, None) {
        if str_at(pod, "/status/phase") != "Running" {
            continue;
        }
        let ns = str_at(pod, "/metadata/namespace");
        if let Some(vols) = pod.pointer("/spec/volumes").and_then(Value::as_array) {
            for v in vols {
                let claim = str_at(v, "/persistentVolumeClaim/claimName");
                if !claim.is_empty() {
                    active.insert((ns.to_string(), claim.to_string()));
                }
            }
        }
    }
    let keys: Vec<(String, String)> = st.ctl.usage.keys().cloned().collect();
    for key in keys {
        if !active.contains(&key) {
            continue;
        }
        let capacity = st
            .store
            .get(PVCS, &key.0, &key.1)
            .and_then(|p| quantity_of(p.pointer("/status/capacity/storage")))
            .unwrap_or(0.0);
        let rate_mib = 20.0 + st.rng.unit() * 180.0;
        let grow = f64_to_u64(rate_mib * 1024.0 * 1024.0 * hours);
        let cap = f64_to_u64(capacity * 0.97);
        if let Some(u) = st.ctl.usage.get_mut(&key) {
            *u = (*u).max(u.saturating_add(grow).min(cap));
        }
    }
    // Events expire after an hour, as on a real API server.
    let cutoff = fmt_time(st.now - chrono::Duration::hours(1));
    let old: Vec<(String, String)> = st
        .store
        .list(crate::state::EVENTS, None)
        .filter(|e| str_at(e, "/lastTimestamp") < cutoff.as_str())
        .map(|e| {
            (
                str_at(e, "/metadata/namespace").to_string(),
                str_at(e, "/metadata/name").to_string(),
            )
        })
        .collect();
    if !old.is_empty() {
        let names: HashSet<&String> = old.iter().map(|(_, n)| n).collect();
        st.ctl.event_index.retain(|_, v| !names.contains(v));
        for (ns, name) in &old {
            st.store.remove(crate::state::EVENTS, ns, name);
        }
    }
}

/// `parse_quantity` for callers outside this module.
pub fn quantity(q: &str) -> Option<f64> {
    parse_quantity(q)
}

/// The controllers as the object store calls them (see [`Hooks`]).
pub const HOOKS: Hooks = Hooks {
    default_new,
    admit,
    on_change,
    run_action,
    grow_usage,
};
