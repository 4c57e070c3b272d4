//! The two controller drivers, offered when API discovery shows their kinds:
//!
//! - **Flux**: a `HelmRepository` (`source.toolkit.fluxcd.io/v1`) for the chart repository and
//!   one `HelmRelease` (`helm.toolkit.fluxcd.io/v2`) per hub, named after the release, with
//!   `releaseName`, `targetNamespace` and `storageNamespace` set explicitly and the values
//!   inline. Each operation stamps `reconcile.fluxcd.io/requestedAt` with its own token; it is
//!   done when Flux reports that token handled, `observedGeneration == generation` and `Ready`
//!   is True (or False, with Flux's reason). Failed upgrades roll back (remediation).
//! - **k3s / RKE2 helm-controller**: one `HelmChart` (`helm.cattle.io/v1`) per hub with
//!   `valuesContent`, `failurePolicy: abort` (the default, `reinstall`, could uninstall the hub
//!   and its database) and `backOffLimit: 0`. The controller runs Job `helm-install-<name>`:
//!   its status and pod log are the operation's. The previous Job is removed before the
//!   change, so the Job the follower reads is the one this operation caused.
//!
//! Rollback through a controller deploys the chosen revision's values again (neither
//! controller rolls back to a numbered revision). Uninstall deletes the object; the controller
//! uninstalls the release.

use super::job::{MANAGED_BY, OPERATION_LABEL, Progress, Seen, job_progress};
use crate::domain::deploy::{Operation, OperationKind};
use k8s_openapi::api::batch::v1::Job;
use kube::Client;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PropagationPolicy,
};
use serde_json::{Value, json};

/// The HelmRepository every Flux-driven hub of a namespace shares.
pub const FLUX_REPOSITORY: &str = "hubfleet-jupyterhub";
/// The annotation Flux watches to reconcile on request.
pub const FLUX_REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn helm_release() -> ApiResource {
    resource(
        "helm.toolkit.fluxcd.io",
        "v2",
        "HelmRelease",
        "helmreleases",
    )
}

fn helm_repository() -> ApiResource {
    resource(
        "source.toolkit.fluxcd.io",
        "v1",
        "HelmRepository",
        "helmrepositories",
    )
}

fn helm_chart() -> ApiResource {
    resource("helm.cattle.io", "v1", "HelmChart", "helmcharts")
}

/// The token an operation writes into `reconcile.fluxcd.io/requestedAt`.
pub fn request_token(op: &Operation) -> String {
    format!("hubfleet-operation-{}", op.id)
}

fn labels(op: &Operation) -> Value {
    json!({MANAGED_BY.0: MANAGED_BY.1, OPERATION_LABEL: op.id.to_string()})
}

/// The Flux HelmRepository of the chart.
pub fn flux_repository(namespace: &str, chart_repo: &str) -> Value {
    json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": {
            "name": FLUX_REPOSITORY,
            "namespace": namespace,
            "labels": {MANAGED_BY.0: MANAGED_BY.1},
        },
        "spec": {"url": chart_repo, "interval": "1h"},
    })
}

/// The Flux HelmRelease of `op` with `values`.
pub fn flux_release(op: &Operation, values: &Value) -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {
            "name": op.release_name,
            "namespace": op.namespace,
            "labels": labels(op),
            "annotations": {FLUX_REQUESTED_AT: request_token(op)},
        },
        "spec": {
            "releaseName": op.release_name,
            "targetNamespace": op.namespace,
            "storageNamespace": op.namespace,
            "interval": "10m",
            "timeout": super::job::HELM_TIMEOUT,
            "chart": {"spec": {
                "chart": "jupyterhub",
                "version": op.chart_version,
                "sourceRef": {"kind": "HelmRepository", "name": FLUX_REPOSITORY},
            }},
            "install": {"remediation": {"retries": 0}},
            "upgrade": {"remediation": {"retries": 0, "strategy": "rollback"}},
            "values": values,
        },
    })
}

/// The k3s HelmChart of `op` with the values file `values_yaml`.
pub fn k3s_chart(op: &Operation, chart_repo: &str, values_yaml: &str) -> Value {
    json!({
        "apiVersion": "helm.cattle.io/v1",
        "kind": "HelmChart",
        "metadata": {
            "name": op.release_name,
            "namespace": op.namespace,
            "labels": labels(op),
        },
        "spec": {
            "chart": "jupyterhub",
            "repo": chart_repo,
            "version": op.chart_version,
            "targetNamespace": op.namespace,
            "valuesContent": values_yaml,
            "failurePolicy": "abort",
            "backOffLimit": 0,
            "timeout": super::job::HELM_TIMEOUT,
        },
    })
}

/// The Job the helm-controller runs for HelmChart `name`.
pub fn k3s_job_name(name: &str) -> String {
    format!("helm-install-{name}")
}

async fn apply_dynamic(client: &Client, ar: &ApiResource, obj: &Value) -> Result<(), kube::Error> {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, ar);
    crate::backend::cluster::apply(&api, name, obj).await?;
    Ok(())
}

async fn delete_dynamic(
    client: &Client,
    ar: &ApiResource,
    namespace: &str,
    name: &str,
) -> Result<(), kube::Error> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, ar);
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

type StepError = (String, kube::Error);

fn step(what: &str) -> impl FnOnce(kube::Error) -> StepError {
    let what = what.to_string();
    move |e| (what, e)
}

/// Sends `op` through Flux: `values` for install, upgrade and rollback.
pub async fn flux_submit(
    client: &Client,
    op: &Operation,
    values: &Value,
    chart_repo: &str,
) -> Result<(), StepError> {
    if op.kind == OperationKind::Uninstall {
        return delete_dynamic(client, &helm_release(), &op.namespace, &op.release_name)
            .await
            .map_err(step("delete the Flux HelmRelease"));
    }
    apply_dynamic(
        client,
        &helm_repository(),
        &flux_repository(&op.namespace, chart_repo),
    )
    .await
    .map_err(step("apply the Flux HelmRepository"))?;
    apply_dynamic(client, &helm_release(), &flux_release(op, values))
        .await
        .map_err(step("apply the Flux HelmRelease"))
}

/// Sends `op` through the k3s helm-controller: `values_yaml` for install, upgrade and
/// rollback.
pub async fn k3s_submit(
    client: &Client,
    op: &Operation,
    values_yaml: &str,
    chart_repo: &str,
) -> Result<(), StepError> {
    if op.kind == OperationKind::Uninstall {
        return delete_dynamic(client, &helm_chart(), &op.namespace, &op.release_name)
            .await
            .map_err(step("delete the k3s HelmChart"));
    }
    // The controller's previous Job would otherwise be read as this operation's.
    let jobs: Api<Job> = Api::namespaced(client.clone(), &op.namespace);
    let background = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    match jobs
        .delete(&k3s_job_name(&op.release_name), &background)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(("remove the helm-controller's previous Job".into(), e)),
    }
    apply_dynamic(
        client,
        &helm_chart(),
        &k3s_chart(op, chart_repo, values_yaml),
    )
    .await
    .map_err(step("apply the k3s HelmChart"))
}

fn conditions(obj: &DynamicObject) -> Vec<Value> {
    obj.data
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// One log line per condition: `Ready=True (UpgradeSucceeded): message`.
fn condition_lines(obj: &DynamicObject) -> Vec<String> {
    conditions(obj)
        .iter()
        .map(|c| {
            format!(
                "{}={} ({}): {}",
                c["type"].as_str().unwrap_or_default(),
                c["status"].as_str().unwrap_or_default(),
                c["reason"].as_str().unwrap_or_default(),
                c["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Flux's view of `op`.
pub async fn flux_progress(client: &Client, op: &Operation) -> Result<Seen, kube::Error> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &op.namespace, &helm_release());
    let Some(hr) = api.get_opt(&op.release_name).await? else {
        return Ok(if op.kind == OperationKind::Uninstall {
            Seen::Progress(Progress {
                log: vec![format!(
                    "HelmRelease {} deleted: Flux uninstalled the release.",
                    op.release_name
                )],
                done: Some((true, String::new())),
            })
        } else {
            Seen::Gone
        });
    };
    if op.kind == OperationKind::Uninstall {
        return Ok(Seen::Waiting(
            "Waiting for Flux to remove the HelmRelease.".into(),
        ));
    }
    let handled = hr
        .data
        .pointer("/status/lastHandledReconcileAt")
        .and_then(Value::as_str);
    let generation = hr.metadata.generation;
    let observed = hr
        .data
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    if handled != Some(request_token(op).as_str()) || observed != generation {
        return Ok(Seen::Waiting(
            "Waiting for Flux to reconcile the HelmRelease.".into(),
        ));
    }
    let log = condition_lines(&hr);
    let ready = conditions(&hr).into_iter().find(|c| c["type"] == "Ready");
    let done = match ready.as_ref().and_then(|c| c["status"].as_str()) {
        Some("True") => Some((true, String::new())),
        Some("False") => Some((
            false,
            ready
                .as_ref()
                .and_then(|c| c["message"].as_str())
                .unwrap_or("Flux reported the release not ready")
                .to_string(),
        )),
        _ => None,
    };
    Ok(Seen::Progress(Progress { log, done }))
}

/// The helm-controller's view of `op`.
pub async fn k3s_progress(client: &Client, op: &Operation) -> Result<Seen, kube::Error> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &op.namespace, &helm_chart());
    let chart = api.get_opt(&op.release_name).await?;
    if chart.is_none() {
        return Ok(if op.kind == OperationKind::Uninstall {
            Seen::Progress(Progress {
                log: vec![format!(
                    "HelmChart {} deleted: the helm-controller uninstalled the release.",
                    op.release_name
                )],
                done: Some((true, String::new())),
            })
        } else {
            Seen::Gone
        });
    }
    if op.kind == OperationKind::Uninstall {
        return Ok(Seen::Waiting(
            "Waiting for the helm-controller to remove the HelmChart.".into(),
        ));
    }
    Ok(
        match job_progress(client, &op.namespace, &k3s_job_name(&op.release_name)).await? {
            None => Seen::Waiting("Waiting for the helm-controller to start its Job.".into()),
            Some(mut p) => {
                // A failed Job's own message is terse; the helm-controller's condition
                // says which chart failed.
                if let Some((false, msg)) = &mut p.done
                    && msg.is_empty()
                {
                    *msg = "the helm-controller's Job failed".into();
                }
                Seen::Progress(p)
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deploy::OperationStatus;

    fn op() -> Operation {
        Operation {
            id: 9,
            hub_id: 1,
            release_name: "jhub".into(),
            namespace: "hubs".into(),
            kind: OperationKind::Upgrade,
            driver: "flux".into(),
            status: OperationStatus::Running,
            values_version: Some(2),
            digest: None,
            chart_version: "4.4.0".into(),
            target_revision: None,
            helm_revision: None,
            driver_object: "hubs/jhub".into(),
            reason: "r".into(),
            actor: "a".into(),
            message: String::new(),
            log: vec![],
            created_at: String::new(),
            updated_at: String::new(),
            finished_at: None,
        }
    }

    #[test]
    fn flux_release_names_everything_explicitly() {
        let hr = flux_release(&op(), &json!({"a": 1}));
        assert_eq!(hr["spec"]["releaseName"], "jhub");
        assert_eq!(hr["spec"]["targetNamespace"], "hubs");
        assert_eq!(hr["spec"]["storageNamespace"], "hubs");
        assert_eq!(hr["spec"]["values"]["a"], 1);
        assert_eq!(
            hr["metadata"]["annotations"][FLUX_REQUESTED_AT],
            "hubfleet-operation-9"
        );
        assert_eq!(hr["spec"]["upgrade"]["remediation"]["strategy"], "rollback");
        let repo = flux_repository("hubs", "https://charts.example.org/");
        assert_eq!(repo["spec"]["url"], "https://charts.example.org/");
    }

    #[test]
    fn k3s_chart_aborts_instead_of_reinstalling() {
        let c = k3s_chart(&op(), "https://charts.example.org/", "a: 1\n");
        assert_eq!(c["spec"]["failurePolicy"], "abort");
        assert_eq!(c["spec"]["backOffLimit"], 0);
        assert_eq!(c["spec"]["valuesContent"], "a: 1\n");
        assert_eq!(k3s_job_name("jhub"), "helm-install-jhub");
    }
}
