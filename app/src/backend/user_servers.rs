//! Reading what KubeSpawner made for a user: the server pod and the home PVC, matched to their
//! user and server by the `hub.jupyter.org/username` / `hub.jupyter.org/servername`
//! annotations (never by recomputing names). Shared by "My environment" (one user's own) and
//! the administrators' list of every user's server.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;

use crate::domain::environment::MyVolume;

/// KubeSpawner's annotations on a user's pod and home PVC.
pub const USERNAME_ANNOTATION: &str = "hub.jupyter.org/username";
pub const SERVERNAME_ANNOTATION: &str = "hub.jupyter.org/servername";
/// The profile a server was started with, as the portal's hub configuration annotates it.
pub use crate::values::PROFILE_ANNOTATION;

/// The value of annotation `key`, empty when absent.
pub fn annotation(meta: &ObjectMeta, key: &str) -> String {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .cloned()
        .unwrap_or_default()
}

/// The user an object belongs to (`None` when it carries no username annotation).
pub fn owner(meta: &ObjectMeta) -> Option<String> {
    Some(annotation(meta, USERNAME_ANNOTATION)).filter(|u| !u.is_empty())
}

/// Whether an object belongs to `username` (portal user names are unique regardless of case,
/// and JupyterHub may have lower-cased the name).
pub fn owned_by(meta: &ObjectMeta, username: &str) -> bool {
    owner(meta).is_some_and(|u| u.eq_ignore_ascii_case(username))
}

/// The key a server and its home volume share: namespace, user (lower case), server name.
pub fn server_key(meta: &ObjectMeta) -> Option<(String, String, String)> {
    Some((
        meta.namespace.clone().unwrap_or_default(),
        owner(meta)?.to_lowercase(),
        annotation(meta, SERVERNAME_ANNOTATION),
    ))
}

/// The image of the pod's first (notebook) container.
pub fn image(p: &Pod) -> String {
    p.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

/// When the pod started (RFC 3339), if it has.
pub fn started_at(p: &Pod) -> Option<String> {
    p.status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .map(|t| t.0.to_string())
}

/// Whether the pod has finished (it requests nothing from its node any more).
pub fn finished(p: &Pod) -> bool {
    matches!(
        p.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// What the pod's first container requests and is limited to for resource `key` (`cpu`,
/// `memory`), as written on the pod.
pub fn request_and_limit(p: &Pod, key: &str) -> (Option<String>, Option<String>) {
    let r = p
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.resources.as_ref());
    let get = |m: Option<&std::collections::BTreeMap<String, Quantity>>| {
        m.and_then(|m| m.get(key)).map(|q| q.0.clone())
    };
    (
        get(r.and_then(|r| r.requests.as_ref())),
        get(r.and_then(|r| r.limits.as_ref())),
    )
}

/// A home volume as the pages show it.
pub fn home_volume(c: &PersistentVolumeClaim) -> MyVolume {
    let spec = c.spec.as_ref();
    let status = c.status.as_ref();
    MyVolume {
        name: c.name_any(),
        namespace: c.namespace().unwrap_or_default(),
        requested: spec
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.clone())
            .unwrap_or_default(),
        capacity: status
            .and_then(|s| s.capacity.as_ref())
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.clone()),
        storage_class: spec.and_then(|s| s.storage_class_name.clone()),
        phase: status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".into()),
    }
}
