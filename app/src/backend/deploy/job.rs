//! The Job driver (works on any cluster): the values in a Secret, and a Job running a pinned
//! Helm image with `helm upgrade --install --atomic --wait` (or `rollback`, `uninstall`) under
//! a ServiceAccount the portal binds to a Role in the hub's namespace. The Job's pod log is
//! the operation log; the Job's `Complete` / `Failed` condition is the outcome.
//!
//! Every object is written by server-side apply with the portal's field manager, each after a
//! dry run of the same request.

use crate::domain::deploy::{Operation, OperationKind};
use base64::Engine;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::{NamespaceResourceScope, Resource as K8sResource};
use kube::api::{Api, ListParams, LogParams};
use kube::{Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::fmt::Debug;

/// The ServiceAccount, Role and RoleBinding the Helm Jobs run under (one set per namespace).
pub const HELM_ACCOUNT: &str = "hubfleet-helm";
/// Where the values file is mounted in the Job's pod.
pub const VALUES_DIR: &str = "/values";
/// The key (and file name) of the values in the values Secret.
pub const VALUES_KEY: &str = "values.yaml";
/// How long Helm waits for the release's resources (`--timeout`), and the Job's own deadline
/// a little beyond it, so a stuck Job always ends.
pub const HELM_TIMEOUT: &str = "15m";
pub const JOB_DEADLINE_SECONDS: i64 = 20 * 60;
/// Finished Jobs (and their logs) stay a week for `kubectl logs`.
pub const JOB_TTL_SECONDS: i32 = 7 * 24 * 3600;
/// Labels on every object this driver writes.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "hubfleet");
pub const OPERATION_LABEL: &str = "hubfleet.io/operation";

/// The Helm image the Jobs run by default: pinned by version (`--helm-image` changes it).
pub const DEFAULT_HELM_IMAGE: &str = "alpine/helm:3.17.3";
/// The z2jh chart repository (`--chart-repo` changes it, e.g. for a mirror).
pub const DEFAULT_CHART_REPO: &str = "https://hub.jupyter.org/helm-chart/";

/// Where the Helm image and the chart come from (`--helm-image`, `--chart-repo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmSource {
    pub image: String,
    pub chart_repo: String,
}

impl Default for HelmSource {
    fn default() -> Self {
        Self {
            image: DEFAULT_HELM_IMAGE.into(),
            chart_repo: DEFAULT_CHART_REPO.into(),
        }
    }
}

/// The name of the values Secret of operation `id`.
pub fn values_secret_name(id: i64) -> String {
    format!("hubfleet-values-{id}")
}

/// The Job's name: the part of `driver_object` after the namespace.
pub fn job_name(op: &Operation) -> &str {
    op.driver_object
        .split_once('/')
        .map_or(op.driver_object.as_str(), |(_, n)| n)
}

/// `helm ...` arguments of an operation.
pub fn helm_args(op: &Operation, source: &HelmSource) -> Vec<String> {
    let ns = op.namespace.clone();
    let release = op.release_name.clone();
    let mut args: Vec<String> = match op.kind {
        OperationKind::Install | OperationKind::Upgrade => vec![
            "upgrade".into(),
            "--install".into(),
            release,
            "jupyterhub".into(),
            "--repo".into(),
            source.chart_repo.clone(),
            "--version".into(),
            op.chart_version.clone(),
            "--atomic".into(),
            "--values".into(),
            format!("{VALUES_DIR}/{VALUES_KEY}"),
        ],
        OperationKind::Rollback => vec![
            "rollback".into(),
            release,
            op.target_revision.unwrap_or(0).to_string(),
        ],
        OperationKind::Uninstall => vec!["uninstall".into(), release],
    };
    args.extend([
        "--namespace".into(),
        ns,
        "--wait".into(),
        "--timeout".into(),
        HELM_TIMEOUT.into(),
    ]);
    args
}

fn labels(op: &Operation) -> serde_json::Value {
    json!({
        MANAGED_BY.0: MANAGED_BY.1,
        OPERATION_LABEL: op.id.to_string(),
        "hubfleet.io/release": op.release_name,
    })
}

/// The ServiceAccount, Role and RoleBinding of the Helm Jobs in `namespace`. The Role lets
/// Helm manage every namespaced object of the release (the chart creates Deployments,
/// Services, Secrets, ConfigMaps, PVCs, NetworkPolicies, PodDisruptionBudgets, RBAC and more);
/// the chart's cluster-scoped objects need a ClusterRole the cluster's administrator grants
/// (README, "Applying releases").
pub fn account(namespace: &str) -> (ServiceAccount, Role, RoleBinding) {
    let meta = json!({
        "name": HELM_ACCOUNT,
        "namespace": namespace,
        "labels": {MANAGED_BY.0: MANAGED_BY.1},
    });
    let sa = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta,
    }))
    .expect("a valid ServiceAccount");
    let role = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    }))
    .expect("a valid Role");
    let binding = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": HELM_ACCOUNT},
        "subjects": [{"kind": "ServiceAccount", "name": HELM_ACCOUNT, "namespace": namespace}],
    }))
    .expect("a valid RoleBinding");
    (sa, role, binding)
}

/// The Secret holding the values file of operation `op`.
pub fn values_secret(op: &Operation, yaml: &str) -> Secret {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {
            "name": values_secret_name(op.id),
            "namespace": op.namespace,
            "labels": labels(op),
        },
        "type": "Opaque",
        "data": {VALUES_KEY: base64::engine::general_purpose::STANDARD.encode(yaml)},
    }))
    .expect("a valid Secret")
}

/// The Job of operation `op`.
pub fn job(op: &Operation, source: &HelmSource) -> Job {
    let with_values = matches!(op.kind, OperationKind::Install | OperationKind::Upgrade);
    let mut volumes = vec![json!({"name": "tmp", "emptyDir": {}})];
    let mut mounts = vec![json!({"name": "tmp", "mountPath": "/tmp"})];
    if with_values {
        volumes
            .push(json!({"name": "values", "secret": {"secretName": values_secret_name(op.id)}}));
        mounts.push(json!({"name": "values", "mountPath": VALUES_DIR, "readOnly": true}));
    }
    serde_json::from_value(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {
            "name": job_name(op),
            "namespace": op.namespace,
            "labels": labels(op),
            "annotations": {
                "hubfleet.io/actor": op.actor,
                "hubfleet.io/reason": op.reason,
            },
        },
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": JOB_DEADLINE_SECONDS,
            "ttlSecondsAfterFinished": JOB_TTL_SECONDS,
            "template": {
                "metadata": {"labels": labels(op)},
                "spec": {
                    "serviceAccountName": HELM_ACCOUNT,
                    "restartPolicy": "Never",
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 65534, "runAsGroup": 65534},
                    "containers": [{
                        "name": "helm",
                        "image": source.image,
                        "command": ["helm"],
                        "args": helm_args(op, source),
                        "env": [
                            {"name": "HELM_CACHE_HOME", "value": "/tmp/helm/cache"},
                            {"name": "HELM_CONFIG_HOME", "value": "/tmp/helm/config"},
                            {"name": "HELM_DATA_HOME", "value": "/tmp/helm/data"},
                        ],
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "128Mi"},
                            "limits": {"memory": "512Mi"},
                        },
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true},
                        "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            },
        },
    }))
    .expect("a valid Job")
}

/// The PVC of a portal-managed shared volume.
pub fn shared_claim(
    namespace: &str,
    v: &crate::domain::volume::SharedVolume,
) -> Result<k8s_openapi::api::core::v1::PersistentVolumeClaim, String> {
    let size = v
        .spec
        .size
        .as_ref()
        .ok_or_else(|| "it has no size (set one on the volume page)".to_string())?;
    let mut spec = json!({
        "accessModes": [v.spec.access_mode.as_str()],
        "volumeMode": v.spec.volume_mode.as_str(),
        "resources": {"requests": {"storage": size.as_str()}},
    });
    if let Some(class) = &v.spec.storage_class {
        spec["storageClassName"] = json!(class);
    }
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": v.spec.pvc_name,
            "namespace": namespace,
            "labels": {MANAGED_BY.0: MANAGED_BY.1},
            "annotations": {"hubfleet.io/volume": v.spec.name},
        },
        "spec": spec,
    }))
    .map_err(|e| e.to_string())
}

/// Server-side applies `obj` with the portal's field manager: a dry run, then the write.
pub async fn apply<K>(client: &Client, obj: &K) -> Result<K, kube::Error>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + K8sResource
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    let ns = obj.meta().namespace.clone().unwrap_or_default();
    let name = obj.meta().name.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(client.clone(), &ns);
    crate::backend::cluster::apply(&api, &name, obj).await
}

/// Sends operation `op` to the cluster: the account, the values Secret (install / upgrade)
/// and the Job. `what` names each step for the error message.
pub async fn submit(
    client: &Client,
    op: &Operation,
    values_yaml: Option<&str>,
    source: &HelmSource,
) -> Result<(), (String, kube::Error)> {
    let step = |what: &str| {
        let what = what.to_string();
        move |e| (what, e)
    };
    let (sa, role, binding) = account(&op.namespace);
    apply(client, &sa)
        .await
        .map_err(step("create the Helm ServiceAccount"))?;
    apply(client, &role)
        .await
        .map_err(step("create the Helm Role"))?;
    apply(client, &binding)
        .await
        .map_err(step("create the Helm RoleBinding"))?;
    if let Some(yaml) = values_yaml {
        apply(client, &values_secret(op, yaml))
            .await
            .map_err(step("store the values in a Secret"))?;
    }
    apply(client, &job(op, source))
        .await
        .map_err(step("create the Helm Job"))?;
    Ok(())
}

/// What a driver shows now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    /// The operation log so far (the Job's pod log, or the controller's conditions).
    pub log: Vec<String>,
    /// `Some((succeeded, message))` once the operation has ended.
    pub done: Option<(bool, String)>,
}

/// What a follower finds when it looks at an operation's driver object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The object the operation needs does not exist (never created, or deleted).
    Gone,
    /// A controller has not picked the request up yet (why, in words).
    Waiting(String),
    Progress(Progress),
}

/// Reads Job `namespace/name` and its newest pod's log; `None` when the Job does not exist.
pub async fn job_progress(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Option<Progress>, kube::Error> {
    let jobs: Api<Job> = Api::namespaced(client.clone(), namespace);
    let Some(job) = jobs.get_opt(name).await? else {
        return Ok(None);
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let list = pods
        .list(&ListParams::default().labels(&format!("job-name={name}")))
        .await?;
    let newest = list
        .items
        .iter()
        .max_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
    let mut log = Vec::new();
    if let Some(pod) = newest
        && let Some(pod_name) = &pod.metadata.name
    {
        // A pod still waiting for its container has no log yet.
        if let Ok(text) = pods
            .logs(
                pod_name,
                &LogParams {
                    tail_lines: Some(super::records::LOG_LINES as i64),
                    ..Default::default()
                },
            )
            .await
        {
            log = text.lines().map(str::to_string).collect();
        }
    }
    let conditions = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let done = conditions
        .iter()
        .filter(|c| c.status == "True")
        .find_map(|c| match c.type_.as_str() {
            "Complete" => Some((true, String::new())),
            "Failed" => Some((false, c.message.clone().unwrap_or_default())),
            _ => None,
        });
    Ok(Some(Progress { log, done }))
}

/// The Job driver's view of `op`: its own Job.
pub async fn progress(client: &Client, op: &Operation) -> Result<Seen, kube::Error> {
    Ok(
        match job_progress(client, &op.namespace, job_name(op)).await? {
            None => Seen::Gone,
            Some(p) => Seen::Progress(p),
        },
    )
}

/// Removes the values Secret of a finished operation (best effort: the Job keeps no
/// reference to it once done).
pub async fn clean_up(client: &Client, op: &Operation) {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &op.namespace);
    if let Err(e) = secrets
        .delete(&values_secret_name(op.id), &Default::default())
        .await
        && !matches!(&e, kube::Error::Api(s) if s.code == 404)
    {
        tracing::warn!(operation = op.id, error = %e, "could not remove the values Secret");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deploy::OperationStatus;

    fn op(kind: OperationKind) -> Operation {
        Operation {
            id: 7,
            hub_id: 1,
            release_name: "jhub".into(),
            namespace: "hubs".into(),
            kind,
            driver: "job".into(),
            status: OperationStatus::Running,
            values_version: Some(3),
            digest: Some("abc".into()),
            chart_version: "4.4.0".into(),
            target_revision: Some(2),
            helm_revision: None,
            driver_object: "hubs/hubfleet-upgrade-7".into(),
            reason: "more memory".into(),
            actor: "admin".into(),
            message: String::new(),
            log: vec![],
            created_at: String::new(),
            updated_at: String::new(),
            finished_at: None,
        }
    }

    fn source() -> HelmSource {
        HelmSource {
            image: "helm:pinned".into(),
            chart_repo: "https://charts.example.org/".into(),
        }
    }

    #[test]
    fn helm_command_lines() {
        let up = helm_args(&op(OperationKind::Upgrade), &source()).join(" ");
        assert_eq!(
            up,
            "upgrade --install jhub jupyterhub --repo https://charts.example.org/ --version 4.4.0 --atomic --values /values/values.yaml --namespace hubs --wait --timeout 15m"
        );
        let back = helm_args(&op(OperationKind::Rollback), &source()).join(" ");
        assert_eq!(
            back,
            "rollback jhub 2 --namespace hubs --wait --timeout 15m"
        );
        let gone = helm_args(&op(OperationKind::Uninstall), &source()).join(" ");
        assert_eq!(gone, "uninstall jhub --namespace hubs --wait --timeout 15m");
    }

    #[test]
    fn the_job_mounts_the_values_only_when_it_sends_them() {
        let j = serde_json::to_value(job(&op(OperationKind::Upgrade), &source())).unwrap();
        assert_eq!(j["metadata"]["name"], "hubfleet-upgrade-7");
        assert_eq!(j["spec"]["backoffLimit"], 0);
        let spec = &j["spec"]["template"]["spec"];
        assert_eq!(spec["serviceAccountName"], HELM_ACCOUNT);
        assert_eq!(
            spec["volumes"][1]["secret"]["secretName"],
            "hubfleet-values-7"
        );
        assert_eq!(spec["containers"][0]["image"], "helm:pinned");
        let u = serde_json::to_value(job(&op(OperationKind::Uninstall), &source())).unwrap();
        assert_eq!(
            u["spec"]["template"]["spec"]["volumes"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let s = serde_json::to_value(values_secret(&op(OperationKind::Upgrade), "a: 1\n")).unwrap();
        assert_eq!(s["data"]["values.yaml"], "YTogMQo=");
        assert_eq!(s["metadata"]["labels"][OPERATION_LABEL], "7");
    }

    /// Kubernetes lets the portal write this Role (which allows everything) and bind it
    /// only with `escalate` and `bind` on it: the start-up check asks for exactly those.
    #[test]
    fn the_permission_check_asks_to_escalate_and_bind_this_role() {
        use crate::backend::cluster::discovery::{HELM_ROLE, RBAC_GROUP, default_access_checks};
        use crate::domain::cluster::AccessCheck;
        assert_eq!(HELM_ROLE, HELM_ACCOUNT);
        let checks = default_access_checks();
        for verb in ["escalate", "bind"] {
            assert!(checks.contains(&AccessCheck::named(verb, RBAC_GROUP, "roles", HELM_ACCOUNT)));
        }
        let (_, role, binding) = account("hubs");
        assert_eq!(role.metadata.name.as_deref(), Some(HELM_ACCOUNT));
        assert_eq!(binding.role_ref.kind, "Role");
    }

    #[test]
    fn the_account_binds_the_role_to_the_service_account() {
        let (sa, role, binding) = account("hubs");
        assert_eq!(sa.metadata.name.as_deref(), Some(HELM_ACCOUNT));
        assert_eq!(role.rules.unwrap()[0].verbs, vec!["*".to_string()]);
        let subject = &binding.subjects.unwrap()[0];
        assert_eq!(subject.namespace.as_deref(), Some("hubs"));
        assert_eq!(binding.role_ref.name, HELM_ACCOUNT);
    }
}
