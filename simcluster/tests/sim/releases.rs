//! Helm through the simulated cluster (the release Secret codec is tested in `clusterkit`):
//! the three drivers (a Job
//! running helm, a Flux HelmRelease, a k3s HelmChart) producing release Secrets in Helm's
//! format, superseding revisions, restarting the hub and reporting progress and failures.

use clusterkit::helm::{self, ReleaseStatus};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use simcluster::{JobOutcome, SimConfig, Simulator};
use std::time::Duration;

fn sim() -> (Simulator, Client) {
    let sim = Simulator::new(SimConfig::for_tests());
    let client = sim.client();
    (sim, client)
}

fn helm_job(name: &str, args: &[&str], values_cm: Option<&str>) -> Job {
    let mut pod_spec = json!({
        "restartPolicy": "Never",
        "serviceAccountName": "hubfleet-helm",
        "containers": [{"name": "helm", "image": "alpine/helm:3.17.3", "command": ["helm"], "args": args}],
    });
    if let Some(cm) = values_cm {
        pod_spec["containers"][0]["volumeMounts"] =
            json!([{"name": "values", "mountPath": "/values"}]);
        pod_spec["volumes"] = json!([{"name": "values", "configMap": {"name": cm}}]);
    }
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "hubfleet"}},
        "spec": {"backoffLimit": 0, "template": {"spec": pod_spec}},
    }))
    .expect("a valid job")
}

fn job_state(job: &Job) -> Option<(String, String)> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Complete" || c.type_ == "Failed")
        .map(|c| (c.type_.clone(), c.status.clone()))
}

async fn release_secrets(client: &Client, ns: &str) -> Vec<Secret> {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().labels("owner=helm"))
        .await
        .expect("release secrets list")
        .items
}

async fn hub_pods(client: &Client, ns: &str, release: &str) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().labels(&format!("component=hub,release={release}")))
        .await
        .expect("hub pods list")
        .items
}

#[tokio::test]
async fn job_driver_installs_upgrades_and_uninstalls() {
    let (sim, client) = sim();
    let ns = "jupyterhub";
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns);
    let values_yaml =
        "singleuser:\n  memory:\n    limit: 3G\n    guarantee: 1G\n  storage:\n    capacity: 5Gi\n";
    cms.create(
        &PostParams::default(),
        &serde_json::from_value(
            json!({"metadata": {"name": "hub1-values"}, "data": {"values.yaml": values_yaml}}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let args = [
        "upgrade",
        "--install",
        "--atomic",
        "--wait",
        "hub1",
        "jupyterhub/jupyterhub",
        "--namespace",
        ns,
        "--version",
        "4.4.0",
        "-f",
        "/values/values.yaml",
    ];
    jobs.create(
        &PostParams::default(),
        &helm_job("hub1-apply-1", &args, Some("hub1-values")),
    )
    .await
    .unwrap();
    sim.advance(Duration::from_secs(10));

    let job = jobs.get("hub1-apply-1").await.unwrap();
    assert_eq!(job_state(&job), Some(("Complete".into(), "True".into())));
    assert_eq!(job.status.as_ref().unwrap().succeeded, Some(1));
    let secrets = release_secrets(&client, ns).await;
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].name_any(), "sh.helm.release.v1.hub1.v1");
    let r1 = helm::decode_secret(&secrets[0]).unwrap();
    assert_eq!(r1.status(), ReleaseStatus::Deployed);
    assert_eq!(r1.info.description, "Install complete");
    assert_eq!(r1.config["singleuser"]["memory"]["limit"], "3G");
    assert_eq!(r1.config["singleuser"]["storage"]["capacity"], "5Gi");
    let hubs = hub_pods(&client, ns, "hub1").await;
    assert_eq!(hubs.len(), 1);
    assert_eq!(
        hubs[0].status.as_ref().unwrap().phase.as_deref(),
        Some("Running")
    );
    let first_hub = hubs[0].name_any();
    // The Job's pod log is the operation log.
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let job_pod = pods
        .list(&ListParams::default().labels("job-name=hub1-apply-1"))
        .await
        .unwrap()
        .items
        .remove(0);
    let log = pods
        .logs(&job_pod.name_any(), &Default::default())
        .await
        .unwrap();
    assert!(
        log.contains("STATUS: deployed") && log.contains("REVISION: 1"),
        "{log}"
    );

    // Upgrade with changed values: revision 2 deployed, 1 superseded, hub restarted.
    cms.patch(
        "hub1-values",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"values.yaml": "singleuser:\n  memory:\n    limit: 4G\n"}})),
    )
    .await
    .unwrap();
    jobs.create(
        &PostParams::default(),
        &helm_job("hub1-apply-2", &args, Some("hub1-values")),
    )
    .await
    .unwrap();
    sim.advance(Duration::from_secs(10));
    let secrets = release_secrets(&client, ns).await;
    let history = helm::history(&secrets, "hub1", ns);
    assert_eq!(
        history
            .iter()
            .map(|r| (r.version, r.status()))
            .collect::<Vec<_>>(),
        vec![(2, ReleaseStatus::Deployed), (1, ReleaseStatus::Superseded)]
    );
    assert_eq!(history[0].values()["singleuser"]["memory"]["limit"], "4G");
    assert_eq!(history[0].info.description, "Upgrade complete");
    let v1 = secrets
        .iter()
        .find(|s| s.name_any().ends_with(".v1"))
        .unwrap();
    assert_eq!(v1.labels()["status"], "superseded");
    let hubs = hub_pods(&client, ns, "hub1").await;
    assert_eq!(hubs.len(), 1);
    assert_ne!(hubs[0].name_any(), first_hub);

    // Rollback to 1, then uninstall.
    jobs.create(
        &PostParams::default(),
        &helm_job(
            "hub1-rollback",
            &["rollback", "hub1", "1", "--namespace", ns],
            None,
        ),
    )
    .await
    .unwrap();
    sim.advance(Duration::from_secs(10));
    let history = helm::history(&release_secrets(&client, ns).await, "hub1", ns);
    assert_eq!(history[0].version, 3);
    assert_eq!(history[0].info.description, "Rollback to 1");
    assert_eq!(history[0].values()["singleuser"]["memory"]["limit"], "3G");
    jobs.create(
        &PostParams::default(),
        &helm_job(
            "hub1-uninstall",
            &["uninstall", "hub1", "--namespace", ns],
            None,
        ),
    )
    .await
    .unwrap();
    sim.advance(Duration::from_secs(10));
    assert!(release_secrets(&client, ns).await.is_empty());
    assert!(hub_pods(&client, ns, "hub1").await.is_empty());
}

#[tokio::test]
async fn failing_helm_job_and_plain_jobs() {
    let (sim, client) = sim();
    let ns = "jupyterhub";
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns);
    sim.fail_next_release("hub2", "timed out waiting for the condition");
    let args = [
        "upgrade",
        "--install",
        "hub2",
        "jupyterhub/jupyterhub",
        "-n",
        ns,
        "--version",
        "4.4.0",
    ];
    jobs.create(&PostParams::default(), &helm_job("hub2-apply", &args, None))
        .await
        .unwrap();
    sim.advance(Duration::from_secs(10));
    let job = jobs.get("hub2-apply").await.unwrap();
    assert_eq!(job_state(&job), Some(("Failed".into(), "True".into())));
    let secrets = release_secrets(&client, ns).await;
    let r = helm::decode_secret(&secrets[0]).unwrap();
    assert_eq!(r.status(), ReleaseStatus::Failed);
    assert!(
        r.info.description.contains("timed out"),
        "{}",
        r.info.description
    );
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let job_pod = pods
        .list(&ListParams::default().labels("job-name=hub2-apply"))
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(
        job_pod.status.as_ref().unwrap().phase.as_deref(),
        Some("Failed")
    );
    let log = pods
        .logs(&job_pod.name_any(), &Default::default())
        .await
        .unwrap();
    assert!(
        log.contains("Error: INSTALLATION FAILED: timed out"),
        "{log}"
    );

    // A plain Job succeeds by default and fails when scripted to.
    let plain = |name: &str| -> Job {
        serde_json::from_value(json!({"metadata": {"name": name}, "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36", "command": ["true"]}]}}}}))
            .expect("a valid job")
    };
    jobs.create(&PostParams::default(), &plain("ok"))
        .await
        .unwrap();
    sim.set_job_outcome(ns, "bad", JobOutcome::Fail("exit status 3".into()));
    jobs.create(&PostParams::default(), &plain("bad"))
        .await
        .unwrap();
    assert!(jobs.get("ok").await.unwrap().status.unwrap().active == Some(1));
    sim.advance(Duration::from_secs(10));
    assert_eq!(
        job_state(&jobs.get("ok").await.unwrap()),
        Some(("Complete".into(), "True".into()))
    );
    assert_eq!(
        job_state(&jobs.get("bad").await.unwrap()),
        Some(("Failed".into(), "True".into()))
    );
    // Deleting a Job deletes its pods (owner references).
    jobs.delete("ok", &Default::default()).await.unwrap();
    assert!(
        pods.list(&ListParams::default().labels("job-name=ok"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

fn dynamic_api(
    client: &Client,
    ns: &str,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
) -> Api<DynamicObject> {
    let ar =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    Api::namespaced_with(client.clone(), ns, &ar)
}

fn condition(obj: &DynamicObject, t: &str) -> Option<Value> {
    obj.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == t)
        .cloned()
}

#[tokio::test]
async fn flux_helm_release_reconciles() {
    let (sim, client) = sim();
    let repos = dynamic_api(
        &client,
        "flux-system-x",
        "source.toolkit.fluxcd.io",
        "v1",
        "HelmRepository",
        "helmrepositories",
    );
    let _ = repos;
    let ns = "jupyterhub";
    let hrs = dynamic_api(
        &client,
        ns,
        "helm.toolkit.fluxcd.io",
        "v2",
        "HelmRelease",
        "helmreleases",
    );
    let repo_api = dynamic_api(
        &client,
        ns,
        "source.toolkit.fluxcd.io",
        "v1",
        "HelmRepository",
        "helmrepositories",
    );
    let pp = PatchParams::apply("hubfleet").force();
    repo_api
        .patch("jupyterhub", &pp, &Patch::Apply(json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository", "metadata": {"name": "jupyterhub"}, "spec": {"url": "https://hub.jupyter.org/helm-chart/", "interval": "1h"}})))
        .await
        .unwrap();
    let hr = |limit: &str| {
        json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "hub3"},
            "spec": {
                "interval": "10m", "releaseName": "hub3", "targetNamespace": ns, "storageNamespace": ns,
                "chart": {"spec": {"chart": "jupyterhub", "version": "4.4.0", "sourceRef": {"kind": "HelmRepository", "name": "jupyterhub"}}},
                "values": {"singleuser": {"memory": {"limit": limit}}},
            },
        })
    };
    hrs.patch("hub3", &pp, &Patch::Apply(hr("3G")))
        .await
        .unwrap();
    let progressing = hrs.get("hub3").await.unwrap();
    assert_eq!(
        condition(&progressing, "Ready").unwrap()["status"],
        "Unknown"
    );
    assert_eq!(
        helm::decode_secret(&release_secrets(&client, ns).await[0])
            .unwrap()
            .status(),
        ReleaseStatus::PendingInstall
    );
    sim.advance(Duration::from_secs(5));
    let done = hrs.get("hub3").await.unwrap();
    let ready = condition(&done, "Ready").unwrap();
    assert_eq!(ready["status"], "True");
    assert_eq!(ready["reason"], "InstallSucceeded");
    assert_eq!(done.data["status"]["observedGeneration"], json!(1));
    assert_eq!(done.data["status"]["history"][0]["version"], json!(1));
    assert_eq!(done.data["status"]["history"][0]["chartVersion"], "4.4.0");
    assert_eq!(hub_pods(&client, ns, "hub3").await.len(), 1);

    // A values change bumps the generation and upgrades.
    hrs.patch("hub3", &pp, &Patch::Apply(hr("4G")))
        .await
        .unwrap();
    sim.advance(Duration::from_secs(5));
    let up = hrs.get("hub3").await.unwrap();
    assert_eq!(up.metadata.generation, Some(2));
    assert_eq!(up.data["status"]["observedGeneration"], json!(2));
    assert_eq!(
        condition(&up, "Ready").unwrap()["reason"],
        "UpgradeSucceeded"
    );
    let history = helm::history(&release_secrets(&client, ns).await, "hub3", ns);
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].values()["singleuser"]["memory"]["limit"], "4G");
    assert_eq!(history[1].status(), ReleaseStatus::Superseded);

    // A reconcile request re-runs the release; a failure shows on Ready.
    sim.fail_next_release("hub3", "context deadline exceeded");
    hrs.patch("hub3", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": "2026-01-01T00:10:00Z"}}})))
        .await
        .unwrap();
    sim.advance(Duration::from_secs(5));
    let failed = hrs.get("hub3").await.unwrap();
    let ready = condition(&failed, "Ready").unwrap();
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "UpgradeFailed");
    assert!(
        ready["message"]
            .as_str()
            .unwrap()
            .contains("context deadline exceeded")
    );
    assert_eq!(
        failed.data["status"]["lastHandledReconcileAt"],
        "2026-01-01T00:10:00Z"
    );

    // Deleting the HelmRelease uninstalls.
    hrs.delete("hub3", &Default::default()).await.unwrap();
    sim.advance(Duration::from_secs(1));
    assert!(release_secrets(&client, ns).await.is_empty());
    assert!(hub_pods(&client, ns, "hub3").await.is_empty());
}

#[tokio::test]
async fn k3s_helm_chart_runs_an_install_job() {
    let (sim, client) = sim();
    let charts = dynamic_api(
        &client,
        "kube-system",
        "helm.cattle.io",
        "v1",
        "HelmChart",
        "helmcharts",
    );
    charts
        .patch(
            "hub4",
            &PatchParams::apply("hubfleet"),
            &Patch::Apply(json!({
                "apiVersion": "helm.cattle.io/v1", "kind": "HelmChart", "metadata": {"name": "hub4"},
                "spec": {"repo": "https://hub.jupyter.org/helm-chart/", "chart": "jupyterhub", "version": "4.4.0",
                    "targetNamespace": "jupyterhub", "backOffLimit": 1, "failurePolicy": "abort",
                    "valuesContent": "hub:\n  config:\n    JupyterHub:\n      admin_access: true\n"},
            })),
        )
        .await
        .unwrap();
    let chart = charts.get("hub4").await.unwrap();
    assert_eq!(chart.data["status"]["jobName"], "helm-install-hub4");
    sim.advance(Duration::from_secs(10));
    let jobs: Api<Job> = Api::namespaced(client.clone(), "kube-system");
    assert_eq!(
        job_state(&jobs.get("helm-install-hub4").await.unwrap()),
        Some(("Complete".into(), "True".into()))
    );
    let secrets = release_secrets(&client, "jupyterhub").await;
    let r = helm::decode_secret(&secrets[0]).unwrap();
    assert_eq!(
        (r.name.as_str(), r.version, r.status()),
        ("hub4", 1, ReleaseStatus::Deployed)
    );
    assert_eq!(
        r.config["hub"]["config"]["JupyterHub"]["admin_access"],
        json!(true)
    );
    assert_eq!(hub_pods(&client, "jupyterhub", "hub4").await.len(), 1);
}
