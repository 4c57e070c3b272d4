//! API discovery: server version, which Helm drivers' kinds are served, nodes and what they
//! can hold, storage classes, and the portal's own permissions per namespace.

use crate::domain::cluster::{
    AccessCheck, DriverSupport, NamespacePermissions, NodeInfo, PermissionResult, ServerVersion,
    StorageClassInfo,
};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, ResourceRule, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    SelfSubjectRulesReview, SelfSubjectRulesReviewSpec,
};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams, PostParams};
use kube::{Client, ResourceExt};

/// Flux's helm-controller group/version and kind.
pub const FLUX_HELM: (&str, &str) = ("helm.toolkit.fluxcd.io/v2", "HelmRelease");
/// Flux's source-controller group/version and kind.
pub const FLUX_SOURCE: (&str, &str) = ("source.toolkit.fluxcd.io/v1", "HelmRepository");
/// The k3s / RKE2 helm-controller group/version and kind.
pub const K3S_HELM: (&str, &str) = ("helm.cattle.io/v1", "HelmChart");

/// What one discovery run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub server_version: ServerVersion,
    pub drivers: DriverSupport,
    pub nodes: Vec<NodeInfo>,
    pub storage_classes: Vec<StorageClassInfo>,
    pub permissions: Vec<NamespacePermissions>,
    /// Parts that failed without failing discovery (e.g. nodes not listable).
    pub warnings: Vec<String>,
}

/// The permissions the portal needs to manage hubs in a namespace.
pub fn default_access_checks() -> Vec<AccessCheck> {
    let mut out = Vec::new();
    let mut add = |verbs: &[&str], group: &str, resource: &str| {
        for v in verbs {
            out.push(AccessCheck::new(v, group, resource));
        }
    };
    add(&["get", "list", "watch"], "", "pods");
    add(&["get"], "", "pods/log");
    add(&["delete"], "", "pods");
    add(
        &["get", "list", "watch", "create", "patch", "delete"],
        "",
        "persistentvolumeclaims",
    );
    add(&["get", "list", "watch", "create", "patch"], "", "secrets");
    add(&["get", "create", "patch", "delete"], "", "configmaps");
    add(&["list", "watch"], "", "events");
    add(
        &["get", "list", "watch", "create", "delete"],
        "batch",
        "jobs",
    );
    add(&["create", "patch"], "", "serviceaccounts");
    add(&["create", "patch"], "rbac.authorization.k8s.io", "roles");
    add(
        &["create", "patch"],
        "rbac.authorization.k8s.io",
        "rolebindings",
    );
    add(
        &["get", "list", "watch", "create", "patch", "delete"],
        "helm.toolkit.fluxcd.io",
        "helmreleases",
    );
    add(
        &["get", "create", "patch"],
        "source.toolkit.fluxcd.io",
        "helmrepositories",
    );
    add(
        &["get", "list", "watch", "create", "patch", "delete"],
        "helm.cattle.io",
        "helmcharts",
    );
    out
}

/// Whether a check's API group is served (checks for absent drivers are skipped).
pub fn check_group_served(check: &AccessCheck, drivers: &DriverSupport) -> bool {
    match check.group.as_str() {
        "helm.toolkit.fluxcd.io" => drivers.flux_helm_release,
        "source.toolkit.fluxcd.io" => drivers.flux_helm_repository,
        "helm.cattle.io" => drivers.k3s_helm_chart,
        _ => true,
    }
}

fn matches_entry(list: &[String], want: &str) -> bool {
    list.iter().any(|x| {
        x == "*"
            || x == want
            || x.strip_suffix("/*")
                .is_some_and(|base| want.split('/').next() == Some(base) && want.contains('/'))
    })
}

/// Whether a set of RBAC rules (from a SelfSubjectRulesReview) allows a check.
pub fn rules_allow(rules: &[ResourceRule], check: &AccessCheck) -> bool {
    rules.iter().any(|r| {
        matches_entry(&r.verbs, &check.verb)
            && r.api_groups
                .as_deref()
                .is_some_and(|g| matches_entry(g, &check.group))
            && r.resources
                .as_deref()
                .is_some_and(|res| matches_entry(res, &check.resource))
    })
}

async fn is_served(client: &Client, group_version: &str, kind: &str) -> bool {
    match client.list_api_group_resources(group_version).await {
        Ok(list) => list
            .resources
            .iter()
            .any(|r| r.kind == kind && !r.name.contains('/')),
        Err(_) => false,
    }
}

/// Which Helm drivers' kinds the cluster serves.
pub async fn driver_support(client: &Client) -> Result<DriverSupport, kube::Error> {
    let groups = client.list_api_groups().await?;
    let has_version = |gv: &str| {
        groups
            .groups
            .iter()
            .any(|g| g.versions.iter().any(|v| v.group_version == gv))
    };
    let mut out = DriverSupport::default();
    if has_version(FLUX_HELM.0) {
        out.flux_helm_release = is_served(client, FLUX_HELM.0, FLUX_HELM.1).await;
    }
    if has_version(FLUX_SOURCE.0) {
        out.flux_helm_repository = is_served(client, FLUX_SOURCE.0, FLUX_SOURCE.1).await;
    }
    if has_version(K3S_HELM.0) {
        out.k3s_helm_chart = is_served(client, K3S_HELM.0, K3S_HELM.1).await;
    }
    Ok(out)
}

pub(crate) fn quantity_to_u64(
    q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    scale: f64,
) -> u64 {
    q.and_then(|q| clusterkit::quantity::parse(&q.0))
        .map(|v| clusterkit::quantity::to_u64(v * scale))
        .unwrap_or(0)
}

pub(crate) fn node_info(n: &Node) -> NodeInfo {
    let alloc = n.status.as_ref().and_then(|s| s.allocatable.as_ref());
    NodeInfo {
        name: n.name_any(),
        cpu_millis: quantity_to_u64(alloc.and_then(|a| a.get("cpu")), 1000.0),
        memory_bytes: quantity_to_u64(alloc.and_then(|a| a.get("memory")), 1.0),
        ready: n
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True")),
        schedulable: !n
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false),
    }
}

fn storage_class_info(s: &StorageClass) -> StorageClassInfo {
    let default = |key: &str| {
        s.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .is_some_and(|v| v == "true")
    };
    StorageClassInfo {
        name: s.name_any(),
        provisioner: s.provisioner.clone(),
        allow_volume_expansion: s.allow_volume_expansion.unwrap_or(false),
        is_default: default("storageclass.kubernetes.io/is-default-class")
            || default("storageclass.beta.kubernetes.io/is-default-class"),
    }
}

/// The portal's permissions in a namespace: one SelfSubjectRulesReview, or one
/// SelfSubjectAccessReview per check when rules reviews are not available.
pub async fn permissions(
    client: &Client,
    namespace: &str,
    checks: &[AccessCheck],
) -> Result<NamespacePermissions, kube::Error> {
    let ssrr = SelfSubjectRulesReview {
        spec: SelfSubjectRulesReviewSpec {
            namespace: Some(namespace.to_string()),
        },
        ..Default::default()
    };
    let rules_api: Api<SelfSubjectRulesReview> = Api::all(client.clone());
    if let Ok(review) = rules_api.create(&PostParams::default(), &ssrr).await
        && let Some(status) = review.status
    {
        let results = checks
            .iter()
            .map(|c| PermissionResult {
                check: c.clone(),
                allowed: rules_allow(&status.resource_rules, c),
            })
            .collect();
        return Ok(NamespacePermissions {
            namespace: namespace.to_string(),
            results,
            incomplete: status.incomplete,
        });
    }
    let access_api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let mut results = Vec::new();
    for c in checks {
        let (resource, sub) = match c.resource.split_once('/') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (c.resource.clone(), None),
        };
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: Some(namespace.to_string()),
                    verb: Some(c.verb.clone()),
                    group: Some(c.group.clone()),
                    resource: Some(resource),
                    subresource: sub,
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let allowed = access_api
            .create(&PostParams::default(), &review)
            .await?
            .status
            .is_some_and(|s| s.allowed);
        results.push(PermissionResult {
            check: c.clone(),
            allowed,
        });
    }
    Ok(NamespacePermissions {
        namespace: namespace.to_string(),
        results,
        incomplete: false,
    })
}

/// Runs discovery. Fails only when the API server does not answer `/version`; other parts
/// that fail become warnings.
pub async fn discover(
    client: &Client,
    namespaces: &[String],
    checks: &[AccessCheck],
) -> Result<Discovered, kube::Error> {
    let info = client.apiserver_version().await?;
    let server_version = ServerVersion {
        git_version: info.git_version,
        major: info.major,
        minor: info.minor,
        platform: info.platform,
    };
    let mut warnings = Vec::new();
    let drivers = match driver_support(client).await {
        Ok(d) => d,
        Err(e) => {
            warnings.push(format!("Could not list API groups: {e}"));
            DriverSupport::default()
        }
    };
    let nodes = match Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
    {
        Ok(list) => list.items.iter().map(node_info).collect(),
        Err(e) => {
            warnings.push(format!("Could not list nodes: {e}"));
            Vec::new()
        }
    };
    let storage_classes = match Api::<StorageClass>::all(client.clone())
        .list(&ListParams::default())
        .await
    {
        Ok(list) => list.items.iter().map(storage_class_info).collect(),
        Err(e) => {
            warnings.push(format!("Could not list storage classes: {e}"));
            Vec::new()
        }
    };
    let relevant: Vec<AccessCheck> = checks
        .iter()
        .filter(|c| check_group_served(c, &drivers))
        .cloned()
        .collect();
    let mut perms = Vec::new();
    for ns in namespaces {
        match permissions(client, ns, &relevant).await {
            Ok(p) => perms.push(p),
            Err(e) => warnings.push(format!("Could not check permissions in {ns}: {e}")),
        }
    }
    Ok(Discovered {
        server_version,
        drivers,
        nodes,
        storage_classes,
        permissions: perms,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_evaluate_wildcards_and_subresources() {
        let rules = vec![
            ResourceRule {
                verbs: vec!["get".into(), "list".into()],
                api_groups: Some(vec!["".into()]),
                resources: Some(vec!["pods".into(), "pods/*".into()]),
                ..Default::default()
            },
            ResourceRule {
                verbs: vec!["*".into()],
                api_groups: Some(vec!["batch".into()]),
                resources: Some(vec!["*".into()]),
                ..Default::default()
            },
        ];
        assert!(rules_allow(&rules, &AccessCheck::new("get", "", "pods")));
        assert!(rules_allow(
            &rules,
            &AccessCheck::new("get", "", "pods/log")
        ));
        assert!(!rules_allow(
            &rules,
            &AccessCheck::new("delete", "", "pods")
        ));
        assert!(rules_allow(
            &rules,
            &AccessCheck::new("create", "batch", "jobs")
        ));
        assert!(!rules_allow(
            &rules,
            &AccessCheck::new("get", "", "secrets")
        ));
    }
}
