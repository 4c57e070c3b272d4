//! Growing a user's home volume (administrators): only a home PVC (KubeSpawner's
//! `hub.jupyter.org/username` annotation), only upward, only when its StorageClass allows
//! expansion; by server-side apply with the portal's field manager, a dry run first, and an
//! audit event. The cluster's storage controller then resizes the volume.

use super::audit::{self, Change};
use super::cluster::{self, ClusterHandle};
use super::db::internal;
use super::user_servers::{home_volume, owner};
use super::write::By;
use crate::domain::FieldErrors;
use crate::domain::volume::validate_growth;
use crate::error::{AppError, AppResult};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::Api;
use sqlx::SqlitePool;

/// What an expansion changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub user: String,
    pub from: String,
    pub to: String,
}

fn kube_error(action: &str, e: &kube::Error) -> AppError {
    match e {
        kube::Error::Api(s) if s.code == 422 || s.code == 403 || s.code == 409 => {
            AppError::Conflict(format!("The cluster refused to {action}: {}", s.message))
        }
        other => AppError::Internal(format!("could not {action}: {other}")),
    }
}

/// Grows home volume `namespace/name` to `size`, recording who did it and why.
pub async fn expand(
    pool: &SqlitePool,
    cluster: &ClusterHandle,
    by: &By<'_>,
    namespace: &str,
    name: &str,
    size: &str,
) -> AppResult<Expanded> {
    cluster
        .ensure_connected()
        .map_err(|e| AppError::Conflict(e.reason))?;
    let api: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client(), namespace);
    let Some(pvc) = api
        .get_opt(name)
        .await
        .map_err(|e| kube_error("read the volume", &e))?
    else {
        return Err(AppError::NotFound(format!("Volume {namespace}/{name}")));
    };
    let Some(user) = owner(&pvc.metadata) else {
        return Err(AppError::invalid(
            "size",
            format!(
                "{namespace}/{name} is not a user's home volume: only home volumes are grown here."
            ),
        ));
    };
    let current = home_volume(&pvc).requested;
    let new = validate_growth("size", &current, size)
        .map_err(|e| AppError::Invalid(FieldErrors(vec![e])))?;
    let overview = cluster.overview();
    let class_name = pvc.spec.as_ref().and_then(|s| s.storage_class_name.clone());
    let class = match &class_name {
        Some(n) => overview.storage_class(n),
        None => overview.default_storage_class(),
    };
    match class {
        Some(c) if c.allow_volume_expansion => {}
        Some(c) => {
            return Err(AppError::invalid(
                "size",
                format!(
                    "Storage class {} does not allow growing volumes (allowVolumeExpansion is not true): ask the cluster's administrator, or move the data to a larger volume.",
                    c.name
                ),
            ));
        }
        None => {
            return Err(AppError::invalid(
                "size",
                format!(
                    "The storage class of this volume ({}) is not known to Hubfleet: refresh the Cluster page and try again.",
                    class_name.as_deref().unwrap_or("the cluster default")
                ),
            ));
        }
    }
    let patch = serde_json::json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"resources": {"requests": {"storage": new.as_str()}}},
    });
    // KubeSpawner created the claim, so its manager owns the size: taking it over is what an
    // administrator asks for here.
    cluster::dry_run(&api, name, &patch)
        .await
        .map_err(|e| kube_error("grow the volume (dry run)", &e))?;
    cluster::write(&api, name, &patch)
        .await
        .map_err(|e| kube_error("grow the volume", &e))?;
    let mut tx = pool.begin().await.map_err(internal)?;
    audit::record(
        &mut tx,
        by.actor,
        by.meta,
        &Change {
            action: "pvc.expand".into(),
            target_type: "pvc".into(),
            target_id: format!("{namespace}/{name}"),
            target_name: name.to_string(),
            before: Some(serde_json::json!({"size": current, "user": user})),
            after: Some(serde_json::json!({"size": new.as_str(), "user": user})),
            reason: by.reason.trim().to_string(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(Expanded {
        user,
        from: current,
        to: new.as_str().to_string(),
    })
}
