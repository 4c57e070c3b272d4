//! API discovery: server version, which Helm drivers' kinds are served, nodes and what they
//! can hold, storage classes, and the portal's own permissions per namespace.

use crate::domain::cluster::{
    AccessCheck, DriverSupport, HelmDriverKind, NamespacePermissions, NodeInfo, PermissionResult,
    ServerVersion, StorageClassInfo,
};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, ResourceRule, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    SelfSubjectRulesReview, SelfSubjectRulesReviewSpec,
};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::rbac::v1::PolicyRule;
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
    /// The cluster-scoped checks ([`cluster_access_checks`]).
    pub cluster_permissions: Vec<PermissionResult>,
    /// Parts that failed without failing discovery (e.g. nodes not listable).
    pub warnings: Vec<String>,
}

/// The RBAC API group (Roles, RoleBindings).
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// The Role the Job driver writes for its Helm Jobs (`deploy::job::HELM_ACCOUNT`, which a test
/// there keeps equal; named here so that cluster access does not depend on the drivers).
pub const HELM_ROLE: &str = "hubfleet-helm";

/// The permissions the portal needs to manage hubs in a namespace: the single source of truth
/// for the start-up permission check, `hubfleet permissions` and the Helm chart's Role
/// (`deploy/chart/hubfleet/templates/rbac.yaml`, compared by a test). Each rule is what the
/// code really does there, nothing more:
///
/// - the watch stores (`watch.rs`): list and watch pods, PVCs, events and Helm release
///   Secrets; the Job driver lists its Job's pods and reads their log;
/// - server-side apply (`apply.rs`) is a PATCH, and a PATCH that creates the object also needs
///   `create`: token and values Secrets, shared and home volumes (PVCs), the Helm Job's
///   ServiceAccount, Role and RoleBinding, Jobs, and the controllers' objects;
/// - `get` where the code reads one object (the token Secret, a PVC, a Job, a HelmRelease or
///   HelmChart), `delete` where it removes one (the values Secret after an operation, the
///   helm-controller's previous Job, a HelmRelease or HelmChart on uninstall);
/// - the Job driver's Role (`deploy/job.rs`, `account`) allows
///   everything in the namespace. Kubernetes lets an account write such a Role only when it
///   holds every permission in it, or `escalate` on that Role; and bind it only with `bind`
///   on it. Both are asked for the Role [`HELM_ROLE`] alone.
///
/// Checks of the Flux and k3s groups only apply where the cluster serves them
/// ([`check_group_served`]).
pub fn default_access_checks() -> Vec<AccessCheck> {
    let mut out = Vec::new();
    let mut add = |verbs: &[&str], group: &str, resource: &str| {
        for v in verbs {
            out.push(AccessCheck::new(v, group, resource));
        }
    };
    add(&["list", "watch"], "", "pods");
    add(&["get"], "", "pods/log");
    add(
        &["get", "list", "watch", "create", "patch"],
        "",
        "persistentvolumeclaims",
    );
    add(
        &["get", "list", "watch", "create", "patch", "delete"],
        "",
        "secrets",
    );
    add(&["list", "watch"], "", "events");
    add(&["get", "create", "patch", "delete"], "batch", "jobs");
    add(&["create", "patch"], "", "serviceaccounts");
    add(&["create", "patch"], RBAC_GROUP, "roles");
    add(&["create", "patch"], RBAC_GROUP, "rolebindings");
    add(
        &["get", "create", "patch", "delete"],
        "helm.toolkit.fluxcd.io",
        "helmreleases",
    );
    add(
        &["create", "patch"],
        "source.toolkit.fluxcd.io",
        "helmrepositories",
    );
    add(
        &["get", "create", "patch", "delete"],
        "helm.cattle.io",
        "helmcharts",
    );
    for verb in ["escalate", "bind"] {
        out.push(AccessCheck::named(verb, RBAC_GROUP, "roles", HELM_ROLE));
    }
    out
}

/// The cluster-scoped permissions the portal needs (a ClusterRole; read only): the node
/// watch store and discovery list and watch nodes (the fit check, the Cluster page), volume
/// usage reads each node's kubelet stats summary through the API server's node proxy
/// (`stats.rs`), and discovery lists storage classes (volume forms, growing home volumes).
/// Discovery checks these on every run and shows the result on the Cluster page.
pub fn cluster_access_checks() -> Vec<AccessCheck> {
    vec![
        AccessCheck::new("list", "", "nodes"),
        AccessCheck::new("watch", "", "nodes"),
        AccessCheck::new("get", "", "nodes/proxy"),
        AccessCheck::new("list", "storage.k8s.io", "storageclasses"),
    ]
}

/// The Helm driver a check is only needed for (`None`: every cluster needs it).
pub fn check_driver(check: &AccessCheck) -> Option<HelmDriverKind> {
    match check.group.as_str() {
        "helm.toolkit.fluxcd.io" | "source.toolkit.fluxcd.io" => Some(HelmDriverKind::Flux),
        "helm.cattle.io" => Some(HelmDriverKind::K3s),
        _ => None,
    }
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

/// Checks as RBAC rules: one rule per group, object name and set of verbs, listing every
/// resource that needs exactly those verbs (in the checks' order), ready for a Role or
/// ClusterRole.
pub fn rbac_rules(checks: &[AccessCheck]) -> Vec<PolicyRule> {
    // (group, resource, name) -> verbs, in first-seen order.
    type Key<'a> = (&'a str, &'a str, Option<&'a str>);
    let mut per_resource: Vec<(Key<'_>, Vec<String>)> = Vec::new();
    for c in checks {
        let key = (
            c.group.as_str(),
            c.resource.as_str(),
            c.resource_name.as_deref(),
        );
        match per_resource.iter_mut().find(|(k, _)| *k == key) {
            Some((_, verbs)) if verbs.contains(&c.verb) => {}
            Some((_, verbs)) => verbs.push(c.verb.clone()),
            None => per_resource.push((key, vec![c.verb.clone()])),
        }
    }
    let mut rules: Vec<PolicyRule> = Vec::new();
    for ((group, resource, name), verbs) in per_resource {
        let names = name.map(|n| vec![n.to_string()]);
        let same = rules.iter_mut().find(|r| {
            r.api_groups.as_deref() == Some(&[group.to_string()][..])
                && r.resource_names == names
                && r.verbs == verbs
        });
        match same {
            Some(rule) => rule
                .resources
                .get_or_insert_with(Vec::new)
                .push(resource.to_string()),
            None => rules.push(PolicyRule {
                api_groups: Some(vec![group.to_string()]),
                resources: Some(vec![resource.to_string()]),
                resource_names: names,
                verbs,
                ..Default::default()
            }),
        }
    }
    rules
}

/// What `hubfleet permissions` prints: the RBAC rules the portal needs, for administrators
/// who write their own (the Helm chart grants exactly these).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredPermissions {
    /// A Role in every namespace whose hubs the portal manages (`--namespaces`).
    pub namespace_rules: Vec<PolicyRule>,
    /// Also in those Roles where hubs use the Flux driver.
    pub flux_rules: Vec<PolicyRule>,
    /// Also in those Roles where hubs use the k3s / RKE2 helm-controller driver.
    pub k3s_rules: Vec<PolicyRule>,
    /// A ClusterRole (read only).
    pub cluster_rules: Vec<PolicyRule>,
}

impl RequiredPermissions {
    /// As YAML, with a comment saying where each part goes.
    pub fn to_yaml(&self) -> Result<String, String> {
        let part =
            |rules: &Vec<PolicyRule>| serde_saphyr2::to_string(rules).map_err(|e| e.to_string());
        Ok(format!(
            "# The Kubernetes RBAC rules Hubfleet needs (`hubfleet permissions`).\n\
             # namespaceRules: a Role in every namespace whose hubs it manages (--namespaces),\n\
             # bound to the portal's ServiceAccount; fluxRules / k3sRules: also in those Roles\n\
             # where hubs use the Flux or k3s helm-controller driver; clusterRules: a ClusterRole.\n\
             namespaceRules:\n{}fluxRules:\n{}k3sRules:\n{}clusterRules:\n{}",
            part(&self.namespace_rules)?,
            part(&self.flux_rules)?,
            part(&self.k3s_rules)?,
            part(&self.cluster_rules)?,
        ))
    }
}

/// The portal's required permissions as RBAC rules.
pub fn required_permissions() -> RequiredPermissions {
    let checks = default_access_checks();
    let only = |driver: Option<HelmDriverKind>| {
        let picked: Vec<AccessCheck> = checks
            .iter()
            .filter(|c| check_driver(c) == driver)
            .cloned()
            .collect();
        rbac_rules(&picked)
    };
    RequiredPermissions {
        namespace_rules: only(None),
        flux_rules: only(Some(HelmDriverKind::Flux)),
        k3s_rules: only(Some(HelmDriverKind::K3s)),
        cluster_rules: rbac_rules(&cluster_access_checks()),
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

/// Whether a set of RBAC rules (from a SelfSubjectRulesReview) allows a check. A rule limited
/// to some objects (`resourceNames`) allows only checks on one of those.
pub fn rules_allow(rules: &[ResourceRule], check: &AccessCheck) -> bool {
    rules.iter().any(|r| {
        matches_entry(&r.verbs, &check.verb)
            && r.api_groups
                .as_deref()
                .is_some_and(|g| matches_entry(g, &check.group))
            && r.resources
                .as_deref()
                .is_some_and(|res| matches_entry(res, &check.resource))
            && match r.resource_names.as_deref() {
                None | Some([]) => true,
                Some(names) => check
                    .resource_name
                    .as_ref()
                    .is_some_and(|n| names.contains(n)),
            }
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

/// One SelfSubjectAccessReview per check, in `namespace` (`None`: cluster-scoped).
async fn access_reviews(
    client: &Client,
    namespace: Option<&str>,
    checks: &[AccessCheck],
) -> Result<Vec<PermissionResult>, kube::Error> {
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
                    namespace: namespace.map(str::to_string),
                    verb: Some(c.verb.clone()),
                    group: Some(c.group.clone()),
                    resource: Some(resource),
                    subresource: sub,
                    name: c.resource_name.clone(),
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
    Ok(results)
}

/// The portal's cluster-scoped permissions ([`cluster_access_checks`]), one
/// SelfSubjectAccessReview each.
pub async fn cluster_permissions(client: &Client) -> Result<Vec<PermissionResult>, kube::Error> {
    access_reviews(client, None, &cluster_access_checks()).await
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
    let results = access_reviews(client, Some(namespace), checks).await?;
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
    let cluster_permissions = match cluster_permissions(client).await {
        Ok(p) => p,
        Err(e) => {
            warnings.push(format!("Could not check cluster-wide permissions: {e}"));
            Vec::new()
        }
    };
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
        cluster_permissions,
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

    #[test]
    fn rules_limited_to_names_allow_only_those_objects() {
        let rules = vec![ResourceRule {
            verbs: vec!["escalate".into(), "bind".into()],
            api_groups: Some(vec![RBAC_GROUP.into()]),
            resources: Some(vec!["roles".into()]),
            resource_names: Some(vec![HELM_ROLE.into()]),
        }];
        let named = |verb: &str, name: &str| AccessCheck::named(verb, RBAC_GROUP, "roles", name);
        assert!(rules_allow(&rules, &named("escalate", HELM_ROLE)));
        assert!(rules_allow(&rules, &named("bind", HELM_ROLE)));
        assert!(!rules_allow(&rules, &named("bind", "admin")));
        assert!(!rules_allow(
            &rules,
            &AccessCheck::new("escalate", RBAC_GROUP, "roles")
        ));
        assert_eq!(
            named("bind", HELM_ROLE).label(),
            "bind rbac.authorization.k8s.io/roles hubfleet-helm"
        );
    }

    #[test]
    fn checks_become_compact_rbac_rules_and_back() {
        let checks = default_access_checks();
        let rules = rbac_rules(&checks);
        // Resources needing the same verbs share a rule; named checks get their own.
        let rbac: Vec<&PolicyRule> = rules
            .iter()
            .filter(|r| r.api_groups.as_deref() == Some(&[RBAC_GROUP.to_string()][..]))
            .collect();
        assert_eq!(rbac.len(), 2, "{rbac:?}");
        assert_eq!(
            rbac[0].resources.as_deref(),
            Some(&["roles".to_string(), "rolebindings".to_string()][..])
        );
        assert_eq!(
            rbac[1].resource_names.as_deref(),
            Some(&[HELM_ROLE.to_string()][..])
        );
        // Expanding the rules again gives back exactly the checks.
        let mut back: Vec<AccessCheck> = Vec::new();
        for r in &rules {
            for g in r.api_groups.iter().flatten() {
                for res in r.resources.iter().flatten() {
                    for v in &r.verbs {
                        let mut c = AccessCheck::new(v, g, res);
                        c.resource_name = r.resource_names.as_ref().map(|n| n[0].clone());
                        back.push(c);
                    }
                }
            }
        }
        let mut want = checks.clone();
        want.sort();
        back.sort();
        assert_eq!(back, want);
        // Every check is in exactly one part of `hubfleet permissions`.
        let p = required_permissions();
        assert!(!p.flux_rules.is_empty() && !p.k3s_rules.is_empty());
        assert_eq!(
            p.cluster_rules.len(),
            3,
            "nodes (list, watch), nodes/proxy (get), storage classes (list): {:?}",
            p.cluster_rules
        );
    }
}
