//! Helm, simulated: the three drivers (a Job running `helm`, a Flux `HelmRelease`, a k3s
//! `HelmChart`) lead to the same outcome a real cluster shows — release Secrets in Helm's
//! storage format (older revisions superseded), a hub pod restarted on every change and a
//! proxy pod — and report progress the way each driver does (Job status and pod log, Flux
//! conditions and history, HelmChart job).
//!
//! A Job is recognised as a Helm job when a container runs `helm upgrade|install|uninstall|
//! rollback ...` (directly or inside `sh -c`). Values come from `-f/--values` files mounted
//! from a ConfigMap or Secret (JSON or YAML) and `--set a.b=c`.

use crate::config::JobOutcome;
use crate::controller_state::{Driver, HelmAction, HelmOp};
use crate::events::{event, log};
use crate::state::{
    Action, CONFIGMAPS, FLUX_HELMRELEASES, JOBS, K3S_HELMCHARTS, PODS, SECRETS, SimState,
};
use crate::store::{Change, ChangeKind};
use crate::util::{set_path, str_at};
use base64::Engine;
use clusterkit::helm::{self, ChartMetadata, ChartRecord, ReleaseInfo, ReleaseRecord};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

fn app_version(chart: &str, version: &str) -> String {
    if chart == "jupyterhub" {
        match version {
            v if v.starts_with("4.") => "5.5.0".to_string(),
            v if v.starts_with("3.") => "4.1.5".to_string(),
            _ => version.to_string(),
        }
    } else {
        version.to_string()
    }
}

fn digest(values: &Value) -> String {
    let bytes = serde_json::to_vec(values).unwrap_or_default();
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Parses values text: JSON first, then YAML.
pub fn parse_values(text: &str) -> Value {
    if text.trim().is_empty() {
        return json!({});
    }
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_saphyr::from_str::<Value>(text).ok())
        .unwrap_or_else(|| json!({}))
}

// ---- recognising Helm jobs ---------------------------------------------------------------

struct HelmInvocation {
    action: HelmAction,
    release: String,
    chart: String,
    namespace: Option<String>,
    version: Option<String>,
    values_files: Vec<String>,
    sets: Vec<String>,
}

fn tokens(container: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["command", "args"] {
        if let Some(list) = container.get(key).and_then(Value::as_array) {
            for t in list.iter().filter_map(Value::as_str) {
                // Shell separators become tokens of their own.
                let spaced = t
                    .replace("&&", " && ")
                    .replace("||", " || ")
                    .replace([';', '\n'], " ; ");
                out.extend(
                    spaced
                        .split_whitespace()
                        .map(|s| s.trim_matches(|c| c == '"' || c == '\'').to_string()),
                );
            }
        }
    }
    out
}

/// The first `helm` invocation with an action the simulator understands (so
/// `helm repo add ... && helm upgrade --install ...` finds the upgrade).
fn parse_helm(tokens: &[String]) -> Option<HelmInvocation> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| *t == "helm" || t.ends_with("/helm"))
        .find_map(|(i, _)| parse_helm_at(&tokens[i + 1..]))
}

fn parse_helm_at(tokens: &[String]) -> Option<HelmInvocation> {
    let mut rest = tokens
        .iter()
        .take_while(|t| !matches!(t.as_str(), "&&" | ";" | "||" | "|"));
    let mut positional = Vec::new();
    let mut inv = HelmInvocation {
        action: HelmAction::Upgrade,
        release: String::new(),
        chart: String::new(),
        namespace: None,
        version: None,
        values_files: Vec::new(),
        sets: Vec::new(),
    };
    while let Some(t) = rest.next() {
        let (flag, inline) = match t.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f.to_string(), Some(v.to_string())),
            _ => (t.clone(), None),
        };
        let mut value = |inline: Option<String>| inline.or_else(|| rest.next().cloned());
        match flag.as_str() {
            "-n" | "--namespace" => inv.namespace = value(inline),
            "--version" => inv.version = value(inline),
            "-f" | "--values" => inv.values_files.extend(value(inline)),
            "--set" | "--set-string" => inv.sets.extend(value(inline)),
            "--timeout" | "--repo" | "--kube-context" | "--history-max" | "--description"
            | "--post-renderer" | "--username" | "--password" | "--wait-for" => {
                let _ = value(inline);
            }
            f if f.starts_with('-') => {}
            _ => positional.push(t.clone()),
        }
    }
    let verb = positional.first()?.clone();
    match verb.as_str() {
        "upgrade" | "install" => {
            inv.release = positional.get(1)?.clone();
            inv.chart = positional.get(2).cloned().unwrap_or_default();
        }
        "uninstall" | "delete" | "del" => {
            inv.action = HelmAction::Uninstall;
            inv.release = positional.get(1)?.clone();
        }
        "rollback" => {
            inv.release = positional.get(1)?.clone();
            inv.action = HelmAction::Rollback(positional.get(2).and_then(|r| r.parse().ok()));
        }
        _ => return None,
    }
    Some(inv)
}

/// Reads a values file the job mounts from a ConfigMap or Secret.
fn read_mounted_file(
    st: &SimState,
    ns: &str,
    pod_spec: &Value,
    container: &Value,
    path: &str,
) -> Option<String> {
    let mounts = container.get("volumeMounts")?.as_array()?;
    let mount = mounts.iter().find(|m| {
        let mp = str_at(m, "/mountPath").trim_end_matches('/');
        !mp.is_empty() && path.starts_with(&format!("{mp}/"))
    })?;
    let rel = path[str_at(mount, "/mountPath").trim_end_matches('/').len() + 1..].to_string();
    let vol_name = str_at(mount, "/name");
    let vol = pod_spec
        .get("volumes")?
        .as_array()?
        .iter()
        .find(|v| str_at(v, "/name") == vol_name)?;
    let (source, key) = if vol.get("configMap").is_some() {
        ("configMap", str_at(vol, "/configMap/name").to_string())
    } else {
        ("secret", str_at(vol, "/secret/secretName").to_string())
    };
    let items = vol[source]["items"].as_array();
    let data_key = items
        .and_then(|items| {
            items
                .iter()
                .find(|i| str_at(i, "/path") == rel)
                .map(|i| str_at(i, "/key").to_string())
        })
        .unwrap_or(rel);
    if source == "configMap" {
        let cm = st.store.get(CONFIGMAPS, ns, &key)?;
        cm["data"].get(&data_key)?.as_str().map(str::to_string)
    } else {
        let s = st.store.get(SECRETS, ns, &key)?;
        let enc = s["data"].get(&data_key)?.as_str()?;
        let raw = base64::engine::general_purpose::STANDARD.decode(enc).ok()?;
        String::from_utf8(raw).ok()
    }
}

fn apply_set(values: &mut Value, set: &str) {
    for pair in set.split(',') {
        if let Some((k, v)) = pair.split_once('=') {
            let val = match v {
                "true" => json!(true),
                "false" => json!(false),
                "null" => Value::Null,
                _ => v
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| json!(v)),
            };
            let path: Vec<String> = k.split('.').map(str::to_string).collect();
            set_path(values, &path, val);
        }
    }
}

// ---- driver hooks ------------------------------------------------------------------------

fn new_op(st: &mut SimState, op: HelmOp) -> u64 {
    let r = &mut st.ctl.releases;
    r.next += 1;
    let id = r.next;
    let mut op = op;
    if let Some(msg) = r.fail_next.remove(&op.release) {
        op.fail = Some(msg);
    }
    r.ops.insert(id, op);
    id
}

/// A new Job: if it runs Helm, an operation is attached to it.
pub fn job_created(st: &mut SimState, job: &Value) {
    let ns = str_at(job, "/metadata/namespace").to_string();
    let name = str_at(job, "/metadata/name").to_string();
    if st
        .ctl
        .releases
        .job_ops
        .contains_key(&(ns.clone(), name.clone()))
    {
        return;
    }
    let pod_spec = &job["spec"]["template"]["spec"];
    let Some(containers) = pod_spec["containers"].as_array() else {
        return;
    };
    for c in containers {
        let Some(inv) = parse_helm(&tokens(c)) else {
            continue;
        };
        let mut values = json!({});
        for f in &inv.values_files {
            if let Some(text) = read_mounted_file(st, &ns, pod_spec, c, f) {
                crate::fields::merge_patch(&mut values, &parse_values(&text));
            }
        }
        for s in &inv.sets {
            apply_set(&mut values, s);
        }
        let target = inv.namespace.clone().unwrap_or_else(|| ns.clone());
        let chart_name = inv
            .chart
            .rsplit('/')
            .next()
            .unwrap_or("jupyterhub")
            .to_string();
        let op = HelmOp {
            action: inv.action,
            release: inv.release,
            namespace: target.clone(),
            storage_ns: target,
            chart: if chart_name.is_empty() {
                "jupyterhub".into()
            } else {
                chart_name
            },
            chart_version: inv.version.unwrap_or_else(|| "4.4.0".to_string()),
            values,
            driver: Driver::Job {
                ns: ns.clone(),
                name: name.clone(),
            },
            fail: None,
            revision: 0,
            install: false,
            done: false,
        };
        let id = new_op(st, op);
        st.ctl.releases.job_ops.insert((ns, name), id);
        return;
    }
}

fn job_op(st: &SimState, ns: &str, job: &str) -> Option<u64> {
    st.ctl
        .releases
        .job_ops
        .get(&(ns.to_string(), job.to_string()))
        .copied()
}

pub fn is_helm_job(st: &SimState, ns: &str, job: &str) -> bool {
    job_op(st, ns, job).is_some()
}

pub fn job_duration(st: &SimState, ns: &str, job: &str) -> Duration {
    if is_helm_job(st, ns, job) {
        st.config.delays.release_run
    } else {
        st.config.delays.job_run
    }
}

pub fn job_outcome(st: &SimState, ns: &str, job: &str) -> Option<JobOutcome> {
    let op = st.ctl.releases.ops.get(&job_op(st, ns, job)?)?;
    Some(match &op.fail {
        Some(msg) => JobOutcome::Fail(helm_error(op, msg)),
        None => JobOutcome::Succeed,
    })
}

fn helm_error(op: &HelmOp, msg: &str) -> String {
    match op.action {
        HelmAction::Uninstall => format!("Error: uninstallation completed with 1 error(s): {msg}"),
        HelmAction::Rollback(_) => format!("Error: ROLLBACK FAILED: {msg}"),
        HelmAction::Upgrade if op.install => format!("Error: INSTALLATION FAILED: {msg}"),
        HelmAction::Upgrade => format!("Error: UPGRADE FAILED: {msg}"),
    }
}

pub fn job_pod_started(st: &mut SimState, ns: &str, job: &str, pod: &Value) {
    let Some(id) = job_op(st, ns, job) else {
        return;
    };
    let uid = str_at(pod, "/metadata/uid").to_string();
    start_op(st, id);
    if let Some(op) = st.ctl.releases.ops.get(&id).cloned() {
        let verb = match op.action {
            HelmAction::Uninstall => "uninstall",
            HelmAction::Rollback(_) => "rollback",
            HelmAction::Upgrade => "upgrade --install",
        };
        log(
            st,
            &uid,
            format!(
                "+ helm {verb} {} {} --namespace {} --version {}",
                op.release, op.chart, op.namespace, op.chart_version
            ),
        );
        if op.action == HelmAction::Upgrade && op.install {
            log(
                st,
                &uid,
                format!(
                    "Release \"{}\" does not exist. Installing it now.",
                    op.release
                ),
            );
        }
    }
}

pub fn job_finished(st: &mut SimState, ns: &str, job: &str, _ok: bool) {
    if let Some(id) = job_op(st, ns, job) {
        finish_op(st, id);
    }
}

fn crd_key(change_key: &str, obj: &Value) -> String {
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let requested = str_at(
        obj,
        "/metadata/annotations/reconcile.fluxcd.io~1requestedAt",
    );
    format!("{change_key}|{generation}|{requested}")
}

/// Flux HelmRelease and k3s HelmChart objects drive operations.
pub fn on_change(st: &mut SimState, change: &Change) {
    let res = change.resource.as_str();
    if res != FLUX_HELMRELEASES && res != K3S_HELMCHARTS {
        return;
    }
    let obj = &change.object;
    let ns = change.namespace.clone();
    let name = change.name.clone();
    let seen_key = (res.to_string(), ns.clone(), name.clone());
    if change.kind == ChangeKind::Deleted {
        st.ctl.releases.seen.remove(&seen_key);
        let (release, target, storage) = driver_target(res, obj);
        uninstall_now(st, &release, &target, &storage);
        return;
    }
    let key = crd_key(res, obj);
    if st.ctl.releases.seen.get(&seen_key) == Some(&key) {
        return;
    }
    st.ctl.releases.seen.insert(seen_key, key);
    let (release, target, storage) = driver_target(res, obj);
    if res == FLUX_HELMRELEASES {
        if obj["spec"]["suspend"].as_bool() == Some(true) {
            return;
        }
        let chart_spec = &obj["spec"]["chart"]["spec"];
        let mut values = obj["spec"]["values"].clone();
        if values.is_null() {
            values = json!({});
        }
        if let Some(from) = obj["spec"]["valuesFrom"].as_array() {
            for vf in from {
                let kind = str_at(vf, "/kind");
                let vname = str_at(vf, "/name");
                let vkey = match str_at(vf, "/valuesKey") {
                    "" => "values.yaml",
                    k => k,
                };
                let text = if kind == "Secret" {
                    st.store.get(SECRETS, &ns, vname).and_then(|s| {
                        let enc = s["data"].get(vkey)?.as_str()?.to_string();
                        let raw = base64::engine::general_purpose::STANDARD.decode(enc).ok()?;
                        String::from_utf8(raw).ok()
                    })
                } else {
                    st.store
                        .get(CONFIGMAPS, &ns, vname)
                        .and_then(|c| c["data"].get(vkey)?.as_str().map(str::to_string))
                };
                if let Some(t) = text {
                    let mut merged = parse_values(&t);
                    crate::fields::merge_patch(&mut merged, &values);
                    values = merged;
                }
            }
        }
        let op = HelmOp {
            action: HelmAction::Upgrade,
            release,
            namespace: target,
            storage_ns: storage,
            chart: match str_at(chart_spec, "/chart") {
                "" => "jupyterhub".to_string(),
                c => c.to_string(),
            },
            chart_version: match str_at(chart_spec, "/version") {
                "" | "*" => "4.4.0".to_string(),
                v => v.to_string(),
            },
            values,
            driver: Driver::Flux {
                ns: ns.clone(),
                name: name.clone(),
            },
            fail: None,
            revision: 0,
            install: false,
            done: false,
        };
        let id = new_op(st, op);
        start_op(st, id);
        let delay = st.config.delays.release_run;
        st.schedule(delay, Action::FinishRelease { op: id });
    } else {
        let values = parse_values(str_at(obj, "/spec/valuesContent"));
        let job_name = format!("helm-install-{name}");
        let chart = str_at(obj, "/spec/chart").to_string();
        let version = match str_at(obj, "/spec/version") {
            "" => "4.4.0".to_string(),
            v => v.to_string(),
        };
        let op = HelmOp {
            action: HelmAction::Upgrade,
            release,
            namespace: target.clone(),
            storage_ns: storage,
            chart: chart
                .rsplit('/')
                .next()
                .filter(|c| !c.is_empty())
                .unwrap_or("jupyterhub")
                .to_string(),
            chart_version: version.clone(),
            values,
            driver: Driver::K3s {
                ns: ns.clone(),
                name: name.clone(),
            },
            fail: None,
            revision: 0,
            install: false,
            done: false,
        };
        let id = new_op(st, op);
        st.delete_internal(JOBS, &ns, &job_name, false);
        st.ctl
            .releases
            .job_ops
            .insert((ns.clone(), job_name.clone()), id);
        let job = json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": job_name,
                "namespace": ns,
                "labels": {"helmcharts.helm.cattle.io/chart": name},
                "ownerReferences": [{
                    "apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "name": name,
                    "uid": obj["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
                }],
            },
            "spec": {
                "backoffLimit": obj["spec"]["backOffLimit"].as_i64().unwrap_or(1000),
                "template": {
                    "metadata": {"labels": {"helmcharts.helm.cattle.io/chart": name}},
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "serviceAccountName": format!("helm-{name}"),
                        "containers": [{
                            "name": "helm",
                            "image": "rancher/klipper-helm:v0.9.4-build20250113",
                            "args": ["install"],
                            "env": [
                                {"name": "NAME", "value": name},
                                {"name": "VERSION", "value": version},
                                {"name": "REPO", "value": obj["spec"]["repo"]},
                                {"name": "TARGET_NAMESPACE", "value": target},
                                {"name": "CHART", "value": chart},
                            ],
                        }],
                    },
                },
            },
        });
        st.create_internal(JOBS, &ns, job, "helm-controller");
        let now = st.now_str();
        st.modify(K3S_HELMCHARTS, &ns, &name, |c| {
            c["status"]["jobName"] = json!(job_name);
            c["status"]["conditions"] = json!([{"type": "JobCreated", "status": "True", "reason": "Job created", "message": format!("Applying HelmChart using Job {ns}/{job_name}"), "lastTransitionTime": now}]);
        });
    }
}

/// (release name, target namespace, storage namespace) of a driver object.
fn driver_target(res: &str, obj: &Value) -> (String, String, String) {
    let ns = str_at(obj, "/metadata/namespace").to_string();
    let name = str_at(obj, "/metadata/name").to_string();
    if res == FLUX_HELMRELEASES {
        let target = match str_at(obj, "/spec/targetNamespace") {
            "" => ns.clone(),
            t => t.to_string(),
        };
        let release = match str_at(obj, "/spec/releaseName") {
            "" if target != ns => format!("{target}-{name}"),
            "" => name.clone(),
            r => r.to_string(),
        };
        let storage = match str_at(obj, "/spec/storageNamespace") {
            "" => ns,
            s => s.to_string(),
        };
        (release, target, storage)
    } else {
        let target = match str_at(obj, "/spec/targetNamespace") {
            "" => ns,
            t => t.to_string(),
        };
        (name, target.clone(), target)
    }
}

// ---- the operation itself ----------------------------------------------------------------

/// The values (`config`) of the release's deployed revision, if one is deployed.
pub fn deployed_values(st: &SimState, namespace: &str, release: &str) -> Option<Value> {
    release_secrets(st, namespace, release)
        .into_iter()
        .rev()
        .find(|(_, rec)| rec.info.status == "deployed")
        .map(|(_, rec)| rec.config)
}

fn release_secrets(st: &SimState, storage_ns: &str, release: &str) -> Vec<(u32, ReleaseRecord)> {
    let mut out: Vec<(u32, ReleaseRecord)> = st
        .find(SECRETS, Some(storage_ns), |s| {
            str_at(s, "/metadata/labels/owner") == "helm"
                && str_at(s, "/metadata/labels/name") == release
        })
        .iter()
        .filter_map(|s| {
            let secret: k8s_openapi::api::core::v1::Secret =
                serde_json::from_value((**s).clone()).ok()?;
            let rec = helm::decode_secret(&secret).ok()?;
            Some((rec.version, rec))
        })
        .collect();
    out.sort_by_key(|(v, _)| *v);
    out
}

fn write_record(st: &mut SimState, rec: &ReleaseRecord) {
    let Ok(secret) = helm::release_secret(rec) else {
        return;
    };
    let Ok(mut value) = serde_json::to_value(&secret) else {
        return;
    };
    let name = helm::secret_name(&rec.name, rec.version);
    if st.store.get(SECRETS, &rec.namespace, &name).is_some() {
        let data = value["data"].clone();
        let labels = value["metadata"]["labels"].clone();
        st.modify(SECRETS, &rec.namespace, &name, |s| {
            s["data"] = data;
            s["metadata"]["labels"] = labels;
        });
    } else {
        value["apiVersion"] = json!("v1");
        value["kind"] = json!("Secret");
        st.create_internal(SECRETS, &rec.namespace.clone(), value, "helm");
    }
}

fn manifest(op: &HelmOp) -> String {
    format!(
        "---\n# Source: {chart}/templates/hub/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hub\n  namespace: {ns}\n  labels:\n    component: hub\n    app: jupyterhub\n    release: {rel}\n    chart: {chart}-{ver}\n---\n# Source: {chart}/templates/proxy/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: proxy\n  namespace: {ns}\n  labels:\n    component: proxy\n    app: jupyterhub\n    release: {rel}\n",
        chart = op.chart,
        ns = op.namespace,
        rel = op.release,
        ver = op.chart_version,
    )
}

fn record_for(
    st: &SimState,
    op: &HelmOp,
    status: &str,
    description: &str,
    first: Option<String>,
) -> ReleaseRecord {
    let now = st.now_str();
    ReleaseRecord {
        name: op.release.clone(),
        info: ReleaseInfo {
            first_deployed: Some(first.unwrap_or_else(|| now.clone())),
            last_deployed: Some(now),
            deleted: Some(String::new()),
            description: description.to_string(),
            status: status.to_string(),
            notes: Some(format!(
                "Thank you for installing JupyterHub!\n\nYour release is named \"{}\" and installed into the namespace \"{}\".\n",
                op.release, op.namespace
            )),
            extra: Map::new(),
        },
        chart: Some(ChartRecord {
            metadata: ChartMetadata {
                name: op.chart.clone(),
                version: op.chart_version.clone(),
                app_version: Some(app_version(&op.chart, &op.chart_version)),
                api_version: Some("v2".to_string()),
                description: Some("Multi-user Jupyter installation".to_string()),
                extra: Map::new(),
            },
            extra: Map::new(),
        }),
        config: op.values.clone(),
        manifest: manifest(op),
        version: op.revision,
        namespace: op.storage_ns.clone(),
        extra: Map::new(),
    }
}

/// Starts an operation: a pending revision appears (or the release is marked uninstalling).
pub fn start_op(st: &mut SimState, id: u64) {
    let Some(mut op) = st.ctl.releases.ops.get(&id).cloned() else {
        return;
    };
    if op.revision != 0 || op.done {
        return;
    }
    // As `helm --create-namespace` (and Flux / k3s) would.
    for ns in [op.storage_ns.clone(), op.namespace.clone()] {
        if st.store.get(crate::state::NAMESPACES, "", &ns).is_none() {
            st.create_internal(
                crate::state::NAMESPACES,
                "",
                json!({"metadata": {"name": ns}}),
                "helm",
            );
        }
    }
    let existing = release_secrets(st, &op.storage_ns, &op.release);
    let latest = existing.last().map(|(v, _)| *v).unwrap_or(0);
    let has_deployed = existing.iter().any(|(_, r)| r.info.status == "deployed");
    match op.action.clone() {
        HelmAction::Uninstall => {
            op.revision = latest.max(1);
            if let Some((_, mut rec)) = existing
                .into_iter()
                .rfind(|(_, r)| r.info.status == "deployed")
            {
                rec.info.status = "uninstalling".to_string();
                rec.info.description = "Deletion in progress (or silently failed)".to_string();
                write_record(st, &rec);
            }
        }
        HelmAction::Rollback(target) => {
            op.revision = latest + 1;
            let to = target.unwrap_or(latest.saturating_sub(1)).max(1);
            if let Some((_, r)) = existing.iter().find(|(v, _)| *v == to) {
                op.values = r.config.clone();
                if let Some(c) = &r.chart {
                    op.chart = c.metadata.name.clone();
                    op.chart_version = c.metadata.version.clone();
                }
            }
            op.action = HelmAction::Rollback(Some(to));
            let first = existing
                .first()
                .and_then(|(_, r)| r.info.first_deployed.clone());
            let rec = record_for(st, &op, "pending-rollback", "Rollback in progress", first);
            write_record(st, &rec);
        }
        HelmAction::Upgrade => {
            op.install = !has_deployed;
            op.revision = latest + 1;
            let (status, desc) = if op.install {
                ("pending-install", "Initial install underway")
            } else {
                ("pending-upgrade", "Preparing upgrade")
            };
            let first = existing
                .first()
                .and_then(|(_, r)| r.info.first_deployed.clone());
            let rec = record_for(st, &op, status, desc, first);
            write_record(st, &rec);
        }
    }
    if let Driver::Flux { ns, name } = &op.driver {
        let now = st.now_str();
        let verb = if op.install { "install" } else { "upgrade" };
        st.modify(FLUX_HELMRELEASES, ns, name, |hr| {
            hr["status"]["conditions"] = json!([
                {"type": "Reconciling", "status": "True", "reason": "Progressing", "message": format!("Running '{verb}' action with timeout of 5m0s"), "lastTransitionTime": now, "observedGeneration": hr["metadata"]["generation"]},
                {"type": "Ready", "status": "Unknown", "reason": "Progressing", "message": format!("Running '{verb}' action with timeout of 5m0s"), "lastTransitionTime": now, "observedGeneration": hr["metadata"]["generation"]},
            ]);
        });
    }
    st.ctl.releases.ops.insert(id, op);
}

/// Completes an operation: the revision becomes deployed (older ones superseded) or failed,
/// the hub restarts, the driver reports the outcome.
pub fn finish_op(st: &mut SimState, id: u64) {
    start_op(st, id);
    let Some(mut op) = st.ctl.releases.ops.get(&id).cloned() else {
        return;
    };
    if op.done {
        return;
    }
    op.done = true;
    st.ctl.releases.ops.insert(id, op.clone());
    let existing = release_secrets(st, &op.storage_ns, &op.release);
    let first = existing
        .first()
        .and_then(|(_, r)| r.info.first_deployed.clone());
    let job_pod_uid = job_pod_uid(st, &op);
    if let Some(msg) = op.fail.clone() {
        if op.action != HelmAction::Uninstall {
            let desc = if op.install {
                format!("Release \"{}\" failed: {msg}", op.release)
            } else {
                format!("Upgrade \"{}\" failed: {msg}", op.release)
            };
            let rec = record_for(st, &op, "failed", &desc, first);
            write_record(st, &rec);
        }
        report(st, &op, false, &msg);
        return;
    }
    match op.action {
        HelmAction::Uninstall => {
            for (v, _) in &existing {
                st.delete_internal(
                    SECRETS,
                    &op.storage_ns,
                    &helm::secret_name(&op.release, *v),
                    true,
                );
            }
            remove_hub(st, &op.namespace, &op.release);
            if let Some(uid) = &job_pod_uid {
                log(st, uid, format!("release \"{}\" uninstalled", op.release));
            }
        }
        HelmAction::Upgrade | HelmAction::Rollback(_) => {
            for (_, mut rec) in existing
                .into_iter()
                .filter(|(v, r)| *v != op.revision && r.info.status == "deployed")
            {
                rec.info.status = "superseded".to_string();
                write_record(st, &rec);
            }
            let desc = match op.action {
                HelmAction::Rollback(Some(to)) => format!("Rollback to {to}"),
                _ if op.install => "Install complete".to_string(),
                _ => "Upgrade complete".to_string(),
            };
            let rec = record_for(st, &op, "deployed", &desc, first);
            write_record(st, &rec);
            prune_history(st, &op);
            restart_hub(st, &op);
            if let Some(uid) = &job_pod_uid {
                let now = st.now.format("%a %b %e %H:%M:%S %Y").to_string();
                let lines = [
                    if op.install {
                        format!("NAME: {}", op.release)
                    } else {
                        format!(
                            "Release \"{}\" has been upgraded. Happy Helming!\nNAME: {}",
                            op.release, op.release
                        )
                    },
                    format!("LAST DEPLOYED: {now}"),
                    format!("NAMESPACE: {}", op.namespace),
                    "STATUS: deployed".to_string(),
                    format!("REVISION: {}", op.revision),
                    "TEST SUITE: None".to_string(),
                ];
                for l in lines {
                    for part in l.split('\n') {
                        log(st, uid, part.to_string());
                    }
                }
            }
        }
    }
    report(st, &op, true, "");
}

fn job_pod_uid(st: &SimState, op: &HelmOp) -> Option<String> {
    let (ns, job) = match &op.driver {
        Driver::Job { ns, name } => (ns.clone(), name.clone()),
        Driver::K3s { ns, name } => (ns.clone(), format!("helm-install-{name}")),
        Driver::Flux { .. } => return None,
    };
    st.find(PODS, Some(&ns), |p| {
        str_at(p, "/metadata/labels/job-name") == job
    })
    .first()
    .map(|p| str_at(p, "/metadata/uid").to_string())
}

fn prune_history(st: &mut SimState, op: &HelmOp) {
    let existing = release_secrets(st, &op.storage_ns, &op.release);
    let max = st.config.helm_history_max.max(1);
    if existing.len() > max {
        let drop = existing.len() - max;
        for (v, r) in existing.iter().take(drop) {
            if r.info.status == "superseded" || r.info.status == "failed" {
                st.delete_internal(
                    SECRETS,
                    &op.storage_ns,
                    &helm::secret_name(&op.release, *v),
                    true,
                );
            }
        }
    }
}

fn report(st: &mut SimState, op: &HelmOp, ok: bool, msg: &str) {
    let now = st.now_str();
    match &op.driver {
        Driver::Flux { ns, name } => {
            let chart = format!("{}@{}", op.chart, op.chart_version);
            let verb = if op.install { "install" } else { "upgrade" };
            let (reason, message) = if ok {
                (
                    if op.install {
                        "InstallSucceeded"
                    } else {
                        "UpgradeSucceeded"
                    },
                    format!(
                        "Helm {verb} succeeded for release {}/{}.v{} with chart {chart}",
                        op.namespace, op.release, op.revision
                    ),
                )
            } else {
                (
                    if op.install {
                        "InstallFailed"
                    } else {
                        "UpgradeFailed"
                    },
                    format!(
                        "Helm {verb} failed for release {}/{} with chart {chart}: {msg}",
                        op.namespace, op.release
                    ),
                )
            };
            let config_digest = digest(&op.values);
            let app = app_version(&op.chart, &op.chart_version);
            let updated = st.modify(FLUX_HELMRELEASES, ns, name, |hr| {
                let generation = hr["metadata"]["generation"].clone();
                let status = &mut hr["status"];
                status["observedGeneration"] = generation.clone();
                status["lastAttemptedGeneration"] = generation.clone();
                status["lastAttemptedRevision"] = json!(op.chart_version);
                status["lastAttemptedConfigDigest"] = json!(config_digest);
                status["lastAttemptedReleaseAction"] = json!(verb);
                status["storageNamespace"] = json!(op.storage_ns);
                status["helmChart"] = json!(format!("{ns}/{ns}-{name}"));
                if let Some(req) = hr["metadata"]["annotations"].get("reconcile.fluxcd.io/requestedAt").cloned() {
                    hr["status"]["lastHandledReconcileAt"] = req;
                }
                let status = &mut hr["status"];
                status["conditions"] = json!([
                    {"type": "Ready", "status": if ok { "True" } else { "False" }, "reason": reason, "message": message, "lastTransitionTime": now, "observedGeneration": generation},
                    {"type": "Released", "status": if ok { "True" } else { "False" }, "reason": reason, "message": message, "lastTransitionTime": now, "observedGeneration": generation},
                ]);
                if ok {
                    let entry = json!({
                        "name": op.release, "namespace": op.namespace, "version": op.revision,
                        "status": "deployed", "chartName": op.chart, "chartVersion": op.chart_version,
                        "appVersion": app, "configDigest": config_digest,
                        "digest": digest(&json!([op.release, op.revision, op.chart_version])),
                        "firstDeployed": now, "lastDeployed": now,
                    });
                    let mut history = status["history"].as_array().cloned().unwrap_or_default();
                    for h in history.iter_mut() {
                        if h["status"] == "deployed" {
                            h["status"] = json!("superseded");
                        }
                    }
                    history.insert(0, entry);
                    history.truncate(5);
                    status["history"] = Value::Array(history);
                    status["failures"] = json!(0);
                } else {
                    status["failures"] = json!(status["failures"].as_i64().unwrap_or(0) + 1);
                }
            });
            if let Some(hr) = updated {
                event(
                    st,
                    &hr,
                    if ok { "Normal" } else { "Warning" },
                    reason,
                    &message,
                    "helm-controller",
                );
            }
        }
        Driver::K3s { ns, name } => {
            st.modify(K3S_HELMCHARTS, ns, name, |c| {
                let mut conds = vec![json!({"type": "JobCreated", "status": "True", "reason": "Job created", "message": format!("Applying HelmChart using Job {ns}/helm-install-{name}"), "lastTransitionTime": now})];
                if !ok {
                    conds.push(json!({"type": "Failed", "status": "True", "reason": "Job failed", "message": msg, "lastTransitionTime": now}));
                }
                c["status"]["conditions"] = Value::Array(conds);
            });
        }
        Driver::Job { .. } => {}
    }
}

fn hub_pods(st: &SimState, ns: &str, release: &str, component: &str) -> Vec<String> {
    st.find(PODS, Some(ns), |p| {
        str_at(p, "/metadata/labels/component") == component
            && str_at(p, "/metadata/labels/release") == release
    })
    .iter()
    .map(|p| str_at(p, "/metadata/name").to_string())
    .collect()
}

fn remove_hub(st: &mut SimState, ns: &str, release: &str) {
    for component in ["hub", "proxy"] {
        for name in hub_pods(st, ns, release, component) {
            st.delete_internal(PODS, ns, &name, false);
        }
    }
}

fn chart_pod(st: &mut SimState, op: &HelmOp, component: &str, image: &str, mem: &str) -> Value {
    let hash = st.rng.hex(10);
    let suffix = st.rng.name_suffix(5);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("{component}-{hash}-{suffix}"),
            "namespace": op.namespace,
            "labels": {
                "app": "jupyterhub",
                "app.kubernetes.io/component": component,
                "app.kubernetes.io/instance": op.release,
                "app.kubernetes.io/name": "jupyterhub",
                "component": component,
                "release": op.release,
                "hub.jupyter.org/network-access-proxy-api": "true",
                "pod-template-hash": hash,
            },
            "annotations": {"checksum/config-map": digest(&op.values)},
        },
        "spec": {
            "restartPolicy": "Always",
            "serviceAccountName": component,
            "containers": [{
                "name": component,
                "image": image,
                "resources": {"requests": {"cpu": "200m", "memory": mem}},
            }],
        },
    })
}

fn restart_hub(st: &mut SimState, op: &HelmOp) {
    if st
        .store
        .get(crate::state::NAMESPACES, "", &op.namespace)
        .is_none()
    {
        st.create_internal(
            crate::state::NAMESPACES,
            "",
            json!({"metadata": {"name": op.namespace}}),
            "helm",
        );
    }
    for name in hub_pods(st, &op.namespace, &op.release, "hub") {
        st.delete_internal(PODS, &op.namespace, &name, false);
    }
    let tag = op.chart_version.clone();
    let hub = chart_pod(
        st,
        op,
        "hub",
        &format!("quay.io/jupyterhub/k8s-hub:{tag}"),
        "512Mi",
    );
    st.create_internal(PODS, &op.namespace.clone(), hub, "kube-controller-manager");
    if hub_pods(st, &op.namespace, &op.release, "proxy").is_empty() {
        let proxy = chart_pod(
            st,
            op,
            "proxy",
            "quay.io/jupyterhub/configurable-http-proxy:4.6.3",
            "256Mi",
        );
        st.create_internal(
            PODS,
            &op.namespace.clone(),
            proxy,
            "kube-controller-manager",
        );
    }
}

fn uninstall_now(st: &mut SimState, release: &str, target: &str, storage: &str) {
    for (v, _) in release_secrets(st, storage, release) {
        st.delete_internal(SECRETS, storage, &helm::secret_name(release, v), true);
    }
    remove_hub(st, target, release);
}

/// Installs a release directly (demo data, scripting): as if a Helm job had just succeeded.
pub fn install_now(
    st: &mut SimState,
    release: &str,
    namespace: &str,
    chart_version: &str,
    values: Value,
) -> u32 {
    let op = HelmOp {
        action: HelmAction::Upgrade,
        release: release.to_string(),
        namespace: namespace.to_string(),
        storage_ns: namespace.to_string(),
        chart: "jupyterhub".to_string(),
        chart_version: chart_version.to_string(),
        values,
        driver: Driver::Job {
            ns: namespace.to_string(),
            name: String::new(),
        },
        fail: None,
        revision: 0,
        install: false,
        done: false,
    };
    let id = new_op(st, op);
    finish_op(st, id);
    st.ctl.releases.ops.get(&id).map_or(0, |o| o.revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_helm_command_lines() {
        let inv = parse_helm(&toks(
            "sh -c helm upgrade --install --atomic --wait hub1 jupyterhub/jupyterhub --namespace jh --version 4.4.0 -f /values/values.yaml --set proxy.https.enabled=false",
        ))
        .unwrap();
        assert_eq!(inv.action, HelmAction::Upgrade);
        assert_eq!(inv.release, "hub1");
        assert_eq!(inv.chart, "jupyterhub/jupyterhub");
        assert_eq!(inv.namespace.as_deref(), Some("jh"));
        assert_eq!(inv.version.as_deref(), Some("4.4.0"));
        assert_eq!(inv.values_files, vec!["/values/values.yaml"]);
        let mut v = json!({});
        apply_set(&mut v, &inv.sets[0]);
        assert_eq!(v, json!({"proxy": {"https": {"enabled": false}}}));
        let un = parse_helm(&toks("helm uninstall hub1 -n jh")).unwrap();
        assert_eq!(un.action, HelmAction::Uninstall);
        let rb = parse_helm(&toks("helm rollback hub1 2 --namespace=jh")).unwrap();
        assert_eq!(rb.action, HelmAction::Rollback(Some(2)));
        assert_eq!(rb.namespace.as_deref(), Some("jh"));
        assert!(parse_helm(&toks("echo hello")).is_none());
        let chained = tokens(
            &json!({"command": ["sh", "-c"], "args": ["helm repo add jh https://hub.jupyter.org/helm-chart/ && helm repo update;helm upgrade --install hub9 jh/jupyterhub -n jh"]}),
        );
        let inv = parse_helm(&chained).unwrap();
        assert_eq!(inv.release, "hub9");
        assert_eq!(inv.chart, "jh/jupyterhub");
    }

    #[test]
    fn values_parse_json_and_yaml() {
        assert_eq!(parse_values("{\"a\": 1}"), json!({"a": 1}));
        assert_eq!(
            parse_values("a:\n  b: on\n  c: \"x\"\n")["a"]["c"],
            json!("x")
        );
        assert_eq!(parse_values(""), json!({}));
    }
}
