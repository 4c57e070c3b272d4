//! A shared volume's claim in the cluster: its state (Bound, or Pending with the reason from
//! its events), and "create in cluster" for portal-managed volumes (server-side apply after a
//! dry run whose answer the page shows first; audited). An existing claim is never rewritten:
//! a smaller size in Hubfleet than in the cluster is reported, never applied.

use super::audit::{self, Change};
use super::cluster::{self, ClusterHandle};
use super::db::internal;
use super::deploy::job;
use super::volumes;
use super::write::By;
use crate::domain::quantity::Quantity;
use crate::domain::volume::ClaimState;
use crate::error::{AppError, AppResult};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::Api;
use sqlx::SqlitePool;

/// What the cluster has for shared volume `id`.
pub async fn state(pool: &SqlitePool, cluster: &ClusterHandle, id: i64) -> AppResult<ClaimState> {
    let v = volumes::get(pool, id).await?;
    let mut s = ClaimState {
        namespace: v.spec.namespace.clone(),
        pvc: v.spec.pvc_name.clone(),
        managed: v.spec.create_pvc,
        wanted: v.spec.size.as_ref().map(|q| q.as_str().to_string()),
        ..ClaimState::default()
    };
    let stores = match cluster.ready_stores() {
        Ok(st) => st,
        Err(why) => {
            s.note = Some(why);
            return Ok(s);
        }
    };
    let Some(claim) = stores.pvcs.get(Some(&v.spec.namespace), &v.spec.pvc_name) else {
        return Ok(s);
    };
    s.exists = true;
    let status = claim.status.as_ref();
    s.phase = status.and_then(|st| st.phase.clone());
    s.capacity = status
        .and_then(|st| st.capacity.as_ref())
        .and_then(|c| c.get("storage"))
        .map(|q| q.0.clone());
    s.requested = claim
        .spec
        .as_ref()
        .and_then(|sp| sp.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .map(|q| q.0.clone());
    s.storage_class = claim
        .spec
        .as_ref()
        .and_then(|sp| sp.storage_class_name.clone());
    if s.phase.as_deref() != Some("Bound")
        && let Some(uid) = claim.metadata.uid.as_deref()
    {
        s.reason = stores
            .events_for(uid)
            .last()
            .and_then(|e| e.message.clone());
    }
    if let (Some(w), Some(r)) = (&s.wanted, &s.requested)
        && let (Ok(w), Ok(r)) = (Quantity::parse("size", w), Quantity::parse("size", r))
        && w.bytes() < r.bytes()
    {
        s.note = Some(format!(
            "Hubfleet's size ({}) is smaller than the claim's ({}): Hubfleet never shrinks a claim.",
            s.wanted.clone().unwrap_or_default(),
            s.requested.clone().unwrap_or_default()
        ));
    }
    Ok(s)
}

fn refused(e: &kube::Error) -> AppError {
    match e {
        kube::Error::Api(s) => {
            AppError::Conflict(format!("The cluster refused the claim: {}", s.message))
        }
        other => AppError::Internal(format!("could not create the claim: {other}")),
    }
}

/// Creates the claim of portal-managed shared volume `id` when it does not exist. With
/// `dry_run`, nothing is stored: the answer is what the API server would store (as YAML).
pub async fn create(
    pool: &SqlitePool,
    cluster: &ClusterHandle,
    by: &By<'_>,
    id: i64,
    dry_run: bool,
) -> AppResult<String> {
    cluster
        .ensure_connected()
        .map_err(|e| AppError::Conflict(e.reason))?;
    let v = volumes::get(pool, id).await?;
    if !v.spec.create_pvc {
        return Err(AppError::invalid(
            "form",
            "This volume is an existing claim (\"Hubfleet creates the PVC\" is off): create it with kubectl, or turn that option on.",
        ));
    }
    let ns = v.spec.namespace.clone();
    let api: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client(), &ns);
    if api
        .get_opt(&v.spec.pvc_name)
        .await
        .map_err(|e| refused(&e))?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "Claim {ns}/{} already exists: Hubfleet does not rewrite an existing claim.",
            v.spec.pvc_name
        )));
    }
    let claim = job::shared_claim(&ns, &v).map_err(|e| AppError::invalid("size", e))?;
    let preview = cluster::dry_run(&api, &v.spec.pvc_name, &claim)
        .await
        .map_err(|e| refused(&e))?;
    let shown = if dry_run {
        preview
    } else {
        let made = cluster::write(&api, &v.spec.pvc_name, &claim)
            .await
            .map_err(|e| refused(&e))?;
        let mut tx = pool.begin().await.map_err(internal)?;
        audit::record(
            &mut tx,
            by.actor,
            by.meta,
            &Change {
                action: "pvc.create".into(),
                target_type: "volume".into(),
                target_id: id.to_string(),
                target_name: v.spec.name.clone(),
                before: None,
                after: Some(serde_json::json!({
                    "pvc": format!("{ns}/{}", v.spec.pvc_name),
                    "size": v.spec.size.as_ref().map(|q| q.as_str().to_string()),
                    "access_mode": v.spec.access_mode.as_str(),
                    "storage_class": v.spec.storage_class,
                })),
                reason: by.reason.trim().to_string(),
            },
        )
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        made
    };
    let mut value = serde_json::to_value(&shown).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("managedFields");
    }
    serde_saphyr2::to_string(&value).map_err(|e| AppError::Internal(e.to_string()))
}
