//! The kinds the simulated API server serves: built-in kinds plus every kind described by a
//! stored CustomResourceDefinition (so creating a CRD through the API makes its kind served,
//! exactly like a real cluster).

use serde_json::{Value, json};

/// One served resource (`group/version`, plural, kind, scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// API group, `""` for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    /// Has a `status` subresource: main-resource writes keep the stored status.
    pub has_status: bool,
    /// A virtual, create-only review resource (not stored).
    pub virtual_review: bool,
}

impl ResourceType {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The key objects of this kind are stored under (version-independent).
    pub fn key(&self) -> String {
        format!("{}/{}", self.group, self.plural)
    }

    /// `pods` or `helmreleases.helm.toolkit.fluxcd.io`, as API errors name resources.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn verbs(&self) -> Vec<&'static str> {
        if self.virtual_review {
            vec!["create"]
        } else {
            vec![
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        }
    }

    /// An `APIResource` entry of a discovery document.
    pub fn api_resource(&self) -> Value {
        json!({
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs(),
            "shortNames": self.short_names,
        })
    }

    /// The subresources served for this kind (name only).
    pub fn subresources(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.has_status {
            out.push("status");
        }
        if self.group.is_empty() && self.plural == "pods" {
            out.push("log");
        }
        if self.group.is_empty() && self.plural == "nodes" {
            out.push("proxy");
        }
        out
    }
}

fn builtin(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
    short: &[&str],
    has_status: bool,
) -> ResourceType {
    ResourceType {
        group: group.to_string(),
        version: version.to_string(),
        kind: kind.to_string(),
        plural: plural.to_string(),
        singular: kind.to_lowercase(),
        namespaced,
        short_names: short.iter().map(|s| s.to_string()).collect(),
        has_status,
        virtual_review: false,
    }
}

/// The built-in kinds.
pub fn builtins() -> Vec<ResourceType> {
    let mut v = vec![
        builtin("", "v1", "Namespace", "namespaces", false, &["ns"], true),
        builtin("", "v1", "Node", "nodes", false, &["no"], true),
        builtin("", "v1", "Pod", "pods", true, &["po"], true),
        builtin(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            &["pvc"],
            true,
        ),
        builtin(
            "",
            "v1",
            "PersistentVolume",
            "persistentvolumes",
            false,
            &["pv"],
            true,
        ),
        builtin("", "v1", "Secret", "secrets", true, &[], false),
        builtin("", "v1", "ConfigMap", "configmaps", true, &["cm"], false),
        builtin("", "v1", "Event", "events", true, &["ev"], false),
        builtin("", "v1", "Service", "services", true, &["svc"], true),
        builtin(
            "",
            "v1",
            "ServiceAccount",
            "serviceaccounts",
            true,
            &["sa"],
            false,
        ),
        builtin("batch", "v1", "Job", "jobs", true, &[], true),
        builtin(
            "apps",
            "v1",
            "Deployment",
            "deployments",
            true,
            &["deploy"],
            true,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "Role",
            "roles",
            true,
            &[],
            false,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "RoleBinding",
            "rolebindings",
            true,
            &[],
            false,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
            &[],
            false,
        ),
        builtin(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
            &[],
            false,
        ),
        builtin(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            false,
            &["sc"],
            false,
        ),
        builtin(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            &["crd", "crds"],
            true,
        ),
        builtin(
            "events.k8s.io",
            "v1",
            "Event",
            "events",
            true,
            &["ev"],
            false,
        ),
    ];
    for (kind, plural) in [
        ("SelfSubjectAccessReview", "selfsubjectaccessreviews"),
        ("SelfSubjectRulesReview", "selfsubjectrulesreviews"),
    ] {
        let mut r = builtin(
            "authorization.k8s.io",
            "v1",
            kind,
            plural,
            false,
            &[],
            false,
        );
        r.virtual_review = true;
        v.push(r);
    }
    v
}

/// The served kinds a CRD object describes (one per served version).
pub fn from_crd(crd: &Value) -> Vec<ResourceType> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let names = &spec["names"];
    let plural = names["plural"].as_str().unwrap_or_default();
    let kind = names["kind"].as_str().unwrap_or_default();
    if group.is_empty() || plural.is_empty() || kind.is_empty() {
        return Vec::new();
    }
    let singular = names["singular"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let short_names: Vec<String> = names["shortNames"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    spec["versions"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter(|v| v["served"].as_bool().unwrap_or(true))
                .filter_map(|v| {
                    Some(ResourceType {
                        group: group.to_string(),
                        version: v["name"].as_str()?.to_string(),
                        kind: kind.to_string(),
                        plural: plural.to_string(),
                        singular: singular.clone(),
                        namespaced,
                        short_names: short_names.clone(),
                        has_status: v.pointer("/subresources/status").is_some(),
                        virtual_review: false,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A CRD object for a kind (used to pre-install the Flux and k3s kinds).
pub fn crd_object(
    group: &str,
    versions: &[&str],
    kind: &str,
    plural: &str,
    short: &[&str],
) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "name": v,
                "served": true,
                "storage": i == 0,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}},
            })
        })
        .collect();
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "names": {
                "kind": kind,
                "listKind": format!("{kind}List"),
                "plural": plural,
                "singular": kind.to_lowercase(),
                "shortNames": short,
            },
            "scope": "Namespaced",
            "versions": versions,
        },
        "status": {
            "conditions": [
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
            ],
            "acceptedNames": {"kind": kind, "plural": plural},
            "storedVersions": [versions.first().and_then(|v| v["name"].as_str()).unwrap_or("v1")],
        }
    })
}

/// The CRDs of Flux's helm-controller and source-controller (the kinds the portal drives).
pub fn flux_crds() -> Vec<Value> {
    vec![
        crd_object(
            "helm.toolkit.fluxcd.io",
            &["v2", "v2beta2"],
            "HelmRelease",
            "helmreleases",
            &["hr"],
        ),
        crd_object(
            "source.toolkit.fluxcd.io",
            &["v1", "v1beta2"],
            "HelmRepository",
            "helmrepositories",
            &["helmrepo"],
        ),
        crd_object(
            "source.toolkit.fluxcd.io",
            &["v1"],
            "HelmChart",
            "helmcharts",
            &["hc"],
        ),
    ]
}

/// The CRDs of the k3s / RKE2 helm-controller.
pub fn k3s_crds() -> Vec<Value> {
    vec![
        crd_object("helm.cattle.io", &["v1"], "HelmChart", "helmcharts", &[]),
        crd_object(
            "helm.cattle.io",
            &["v1"],
            "HelmChartConfig",
            "helmchartconfigs",
            &[],
        ),
    ]
}
