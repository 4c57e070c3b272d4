//! Read-only queries the admin pages need across hubs, composed from the hub, profile and
//! shared-volume repositories on one connection: every hub with its profiles and volumes, and
//! for a volume the profiles that mount it.

use super::hubs::{self, internal};
use super::{profiles, volumes};
use crate::domain::hub::Hub;
use crate::domain::profile::Profile;
use crate::domain::volume::SharedVolume;
use crate::error::AppResult;
use sqlx::SqlitePool;

/// One hub with everything that belongs to it.
pub struct HubContents {
    pub hub: Hub,
    /// The default first, then by display name.
    pub profiles: Vec<Profile>,
    /// By name.
    pub volumes: Vec<SharedVolume>,
}

/// Every hub (by namespace, release name) with its profiles and shared volumes.
pub async fn all_hubs(pool: &SqlitePool) -> AppResult<Vec<HubContents>> {
    let list = hubs::list(pool).await?;
    let mut conn = pool.acquire().await.map_err(internal)?;
    let mut out = Vec::with_capacity(list.len());
    for hub in list {
        let profiles = profiles::list_on(&mut conn, hub.id).await?;
        let volumes = volumes::list_on(&mut conn, hub.id).await?;
        out.push(HubContents {
            hub,
            profiles,
            volumes,
        });
    }
    Ok(out)
}

/// Hub `id` with its profiles and shared volumes.
pub async fn hub(pool: &SqlitePool, id: i64) -> AppResult<HubContents> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    let hub = hubs::require_on(&mut conn, id).await?;
    let profiles = profiles::list_on(&mut conn, id).await?;
    let volumes = volumes::list_on(&mut conn, id).await?;
    Ok(HubContents {
        hub,
        profiles,
        volumes,
    })
}

/// Display names of the profiles of `profiles` that mount volume `volume_id`.
pub fn mounted_by(volume_id: i64, profiles: &[Profile]) -> Vec<String> {
    profiles
        .iter()
        .filter(|p| p.spec.mounts.iter().any(|m| m.volume_id == volume_id))
        .map(|p| p.spec.display_name.clone())
        .collect()
}
