//! Adopting a Helm release Hubfleet did not create: the preview (the deployed revision's
//! values through the importer, `crate::values::import`) and the adoption itself, which writes
//! the hub, its shared volumes and profiles in one transaction through the write path (each
//! with its audit event carrying the reason) plus a `hub.adopt` event naming the release and
//! revision. Nothing is written to the cluster: the hub's deploy page then shows the generated
//! values against the deployed ones.

use super::audit::{self, Change};
use super::cluster::ClusterHandle;
use super::cluster::helm::{decode_secret, is_release_secret, secret_name};
use super::db::internal;
use super::hubs;
use super::write::{self, By, begin_write};
use crate::domain::adopt::{AdoptPreview, ExistingClaim};
use crate::domain::cluster::ReleaseStatus;
use crate::domain::deploy::validate_reason;
use crate::domain::hub::Hub;
use crate::domain::profile::{Profile, ProfileForm};
use crate::domain::volume::SharedVolume;
use crate::error::{AppError, AppResult};
use crate::values::import::{ImportInput, import_release};
use serde_json::json;
use sqlx::SqlitePool;

/// The deployed revision of a release, decoded.
struct Deployed {
    revision: u32,
    chart_version: String,
    chart: String,
    app_version: String,
    status: String,
    config: serde_json::Value,
}

/// The revision number of a release Secret (`sh.helm.release.v1.<release>.v<N>`).
fn revision_of(name: &str, release: &str) -> Option<u32> {
    name.strip_prefix(&format!("sh.helm.release.v1.{release}.v"))?
        .parse()
        .ok()
}

/// The deployed revision of `release` in `namespace`, from the watch store. Refused when the
/// release does not exist, when no revision is deployed, or when the newest revision (or the
/// deployed one) cannot be decoded.
fn deployed(cluster: &ClusterHandle, namespace: &str, release: &str) -> AppResult<Deployed> {
    let stores = cluster.ready_stores().map_err(|why| {
        AppError::Conflict(format!("The cluster's releases cannot be read now: {why}"))
    })?;
    let mut secrets: Vec<(u32, _)> = stores
        .release_secrets
        .filter(|s| {
            s.metadata.namespace.as_deref() == Some(namespace)
                && is_release_secret(s)
                && s.metadata
                    .name
                    .as_deref()
                    .and_then(|n| revision_of(n, release))
                    .is_some()
        })
        .into_iter()
        .filter_map(|s| {
            let n = s
                .metadata
                .name
                .as_deref()
                .and_then(|n| revision_of(n, release))?;
            Some((n, s))
        })
        .collect();
    secrets.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let Some((newest, _)) = secrets.first() else {
        return Err(AppError::NotFound(format!(
            "Helm release \"{release}\" in namespace \"{namespace}\""
        )));
    };
    let newest = *newest;
    for (n, secret) in &secrets {
        let record = decode_secret(secret).map_err(|e| {
            AppError::Conflict(format!(
                "Revision {n} of release \"{release}\" (Secret {}) cannot be decoded ({e}), so its values cannot be imported. Nothing was adopted.",
                secret_name(release, *n)
            ))
        })?;
        if record.status() == ReleaseStatus::Deployed {
            let meta = record.chart.as_ref().map(|c| c.metadata.clone());
            return Ok(Deployed {
                revision: *n,
                chart_version: meta.as_ref().map(|m| m.version.clone()).unwrap_or_default(),
                chart: meta
                    .as_ref()
                    .map(|m| format!("{}-{}", m.name, m.version))
                    .unwrap_or_default(),
                app_version: meta.and_then(|m| m.app_version).unwrap_or_default(),
                status: record.info.status.clone(),
                config: record.values(),
            });
        }
        if *n == newest && record.status() == ReleaseStatus::Uninstalled {
            break;
        }
    }
    Err(AppError::Conflict(format!(
        "Release \"{release}\" in namespace \"{namespace}\" has no deployed revision (the newest, {newest}, is not deployed): only a deployed release can be adopted."
    )))
}

/// The claims in `namespace`, as the watch store has them.
fn claims(cluster: &ClusterHandle, namespace: &str) -> Vec<ExistingClaim> {
    let Ok(stores) = cluster.ready_stores() else {
        return Vec::new();
    };
    stores
        .pvcs
        .filter(|p| p.metadata.namespace.as_deref() == Some(namespace))
        .into_iter()
        .filter_map(|p| {
            let spec = p.spec.as_ref();
            Some(ExistingClaim {
                name: p.metadata.name.clone()?,
                size: p
                    .status
                    .as_ref()
                    .and_then(|s| s.capacity.as_ref())
                    .and_then(|c| c.get("storage"))
                    .or_else(|| {
                        spec.and_then(|s| s.resources.as_ref())
                            .and_then(|r| r.requests.as_ref())
                            .and_then(|r| r.get("storage"))
                    })
                    .map(|q| q.0.clone()),
                access_mode: spec
                    .and_then(|s| s.access_modes.as_ref())
                    .and_then(|m| m.first().cloned()),
                storage_class: spec.and_then(|s| s.storage_class_name.clone()),
                volume_mode: spec.and_then(|s| s.volume_mode.clone()),
            })
        })
        .collect()
}

async fn refuse_managed(pool: &SqlitePool, namespace: &str, release: &str) -> AppResult<()> {
    if let Some(hub) = hubs::find(pool, namespace, release).await? {
        return Err(AppError::Conflict(format!(
            "Release \"{release}\" in namespace \"{namespace}\" is already managed by hub #{} ({}): nothing to adopt.",
            hub.id, hub.spec.release_name
        )));
    }
    Ok(())
}

/// What adopting release `release` of `namespace` would create.
pub async fn preview(
    pool: &SqlitePool,
    cluster: &ClusterHandle,
    namespace: &str,
    release: &str,
) -> AppResult<AdoptPreview> {
    refuse_managed(pool, namespace, release).await?;
    let d = deployed(cluster, namespace, release)?;
    let claims = claims(cluster, namespace);
    let imported = import_release(&ImportInput {
        release_name: release,
        namespace,
        chart_version: &d.chart_version,
        revision: d.revision,
        config: &d.config,
        claims: &claims,
    })
    .map_err(AppError::Invalid)?;
    Ok(AdoptPreview {
        release: release.to_string(),
        namespace: namespace.to_string(),
        revision: d.revision,
        chart: d.chart,
        app_version: d.app_version,
        status: d.status,
        extra_values: imported.hub.extra_values.clone(),
        imported,
    })
}

/// Adopts the release: the hub, its shared volumes and profiles as the preview of `revision`
/// shows them, in one transaction. Refused when the deployed revision is no longer
/// `revision` (the preview is stale), when a hub manages the release, or without a reason.
pub async fn adopt(
    pool: &SqlitePool,
    cluster: &ClusterHandle,
    by: &By<'_>,
    namespace: &str,
    release: &str,
    revision: u32,
) -> AppResult<Hub> {
    let reason = validate_reason("reason", by.reason)
        .map_err(|e| AppError::Invalid(crate::domain::FieldErrors(vec![e])))?;
    let p = preview(pool, cluster, namespace, release).await?;
    if p.revision != revision {
        return Err(AppError::Conflict(format!(
            "The deployed revision of \"{release}\" is now {} (the preview showed {revision}): look at the preview again before adopting.",
            p.revision
        )));
    }
    let by = By::new(by.actor, by.meta, &reason);
    let hub_spec = p.imported.hub.validate()?;
    let mut tx = begin_write(pool).await?;
    let hub: Hub = write::create_on(&mut tx, &by, (), &hub_spec).await?;
    let mut volume_ids = Vec::new();
    for v in &p.imported.volumes {
        let spec = v.validate()?;
        let created: SharedVolume = write::create_on(&mut tx, &by, hub.id, &spec).await?;
        volume_ids.push(created.id);
    }
    for f in &p.imported.profiles {
        let mut f: ProfileForm = f.clone();
        for m in &mut f.mounts {
            let id = m
                .volume_id
                .parse::<usize>()
                .ok()
                .and_then(|i| volume_ids.get(i.wrapping_sub(1)))
                .ok_or_else(|| {
                    AppError::Internal(format!("mount of unknown volume {}", m.volume_id))
                })?;
            m.volume_id = id.to_string();
        }
        write::create_on::<Profile>(&mut tx, &by, hub.id, &f.validate()?).await?;
    }
    audit::record(
        &mut tx,
        by.actor,
        by.meta,
        &Change {
            action: "hub.adopt".into(),
            target_type: "hub".into(),
            target_id: hub.id.to_string(),
            target_name: hub.spec.release_name.clone(),
            before: None,
            after: Some(json!({
                "release": release,
                "namespace": namespace,
                "revision": revision,
                "chart": p.chart,
                "shared_volumes": p.imported.volumes.len(),
                "profiles": p.imported.profiles.len(),
                "extra_values": !p.imported.hub.extra_values.is_empty(),
            })),
            reason: reason.clone(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(hub)
}
