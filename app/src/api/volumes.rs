//! Shared volumes (admins only): list across hubs, read with the data their form needs,
//! create, edit, delete (refused while profiles mount the volume).

use crate::domain::hub::Hub;
use crate::domain::profile::Profile;
use crate::domain::volume::{SharedVolume, VolumeForm};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A shared volume with its hub and the profiles mounting it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeListItem {
    pub volume: SharedVolume,
    pub hub: Hub,
    /// Display names of the profiles that mount it.
    pub mounted_by: Vec<String>,
}

/// What the volume form needs: the hub (its namespace), the volume when editing, and the
/// hub's profiles (to check mode changes against their mounts in the browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeEditor {
    pub hub: Hub,
    pub volume: Option<SharedVolume>,
    pub profiles: Vec<Profile>,
}

#[server]
pub async fn list_volumes() -> Result<Vec<VolumeListItem>, AppError> {
    use crate::backend::{context, profile_queries};
    context::require_admin()?;
    let all = context::respond(profile_queries::all_hubs(&context::state().pool).await)?;
    let mut out = Vec::new();
    for c in all {
        for v in c.volumes {
            out.push(VolumeListItem {
                mounted_by: profile_queries::mounted_by(v.id, &c.profiles),
                volume: v,
                hub: c.hub.clone(),
            });
        }
    }
    Ok(out)
}

/// The form data for a new volume of hub `hub_id`.
#[server]
pub async fn load_new_volume(hub_id: i64) -> Result<VolumeEditor, AppError> {
    use crate::backend::{context, profile_queries};
    context::require_admin()?;
    let c = context::respond(profile_queries::hub(&context::state().pool, hub_id).await)?;
    Ok(VolumeEditor {
        hub: c.hub,
        volume: None,
        profiles: c.profiles,
    })
}

/// The form data for editing volume `id`.
#[server]
pub async fn load_volume(id: i64) -> Result<VolumeEditor, AppError> {
    use crate::backend::{context, profile_queries, volumes};
    context::require_admin()?;
    let pool = context::state().pool;
    let volume = context::respond(volumes::get(&pool, id).await)?;
    let c = context::respond(profile_queries::hub(&pool, volume.hub_id).await)?;
    Ok(VolumeEditor {
        hub: c.hub,
        volume: Some(volume),
        profiles: c.profiles,
    })
}

#[server]
pub async fn create_volume(
    hub_id: i64,
    form: VolumeForm,
    reason: String,
) -> Result<SharedVolume, AppError> {
    crate::backend::context::admin_create::<SharedVolume>(hub_id, || form.validate(), &reason).await
}

/// Saves the volume if it is still at `version`; a stale version answers 409 with the stored
/// volume.
#[server]
pub async fn update_volume(
    id: i64,
    version: i64,
    form: VolumeForm,
    reason: String,
) -> Result<SharedVolume, AppError> {
    crate::backend::context::admin_update::<SharedVolume>(id, version, || form.validate(), &reason)
        .await
}

/// Deletes the volume; refused (422, field `volume`, naming the profiles) while mounted.
#[server]
pub async fn delete_volume(id: i64, version: i64, reason: String) -> Result<(), AppError> {
    crate::backend::context::admin_delete::<SharedVolume>(id, version, &reason).await
}

/// The claim of shared volume `id` in the cluster (Bound, Pending with why, or missing).
#[server]
pub async fn get_volume_claim(id: i64) -> Result<crate::domain::volume::ClaimState, AppError> {
    use crate::backend::{context, shared_claims};
    context::require_admin()?;
    let state = context::state();
    context::respond(shared_claims::state(&state.pool, &state.cluster, id).await)
}

/// Creates the claim of portal-managed shared volume `id` (`dry_run`: only what the API server
/// would store, as YAML). Audited as `pvc.create`.
#[server]
pub async fn create_volume_claim(
    id: i64,
    dry_run: bool,
    reason: String,
) -> Result<String, AppError> {
    use crate::backend::{context, shared_claims, write::By};
    let admin = context::require_admin()?;
    let state = context::state();
    let (actor, meta) = (context::actor(&admin), context::request_meta());
    context::respond(
        shared_claims::create(
            &state.pool,
            &state.cluster,
            &By::new(&actor, &meta, &reason),
            id,
            dry_run,
        )
        .await,
    )
}
