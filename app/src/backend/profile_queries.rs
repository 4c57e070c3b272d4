//! Read-only queries the admin pages need across hubs: every hub with its profiles and
//! volumes, one hub's contents (both from [`super::contents`]), and for a volume the profiles
//! that mount it.

pub use super::contents::HubContents;
use crate::domain::profile::Profile;
use crate::error::AppResult;
use sqlx::SqlitePool;

/// Every hub (by namespace, release name) with its profiles and shared volumes.
pub async fn all_hubs(pool: &SqlitePool) -> AppResult<Vec<HubContents>> {
    super::contents::load_all(pool).await
}

/// Hub `id` with its profiles and shared volumes.
pub async fn hub(pool: &SqlitePool, id: i64) -> AppResult<HubContents> {
    super::contents::load(pool, id).await
}

/// Display names of the profiles of `profiles` that mount volume `volume_id`.
pub fn mounted_by(volume_id: i64, profiles: &[Profile]) -> Vec<String> {
    profiles
        .iter()
        .filter(|p| p.spec.mounts.iter().any(|m| m.volume_id == volume_id))
        .map(|p| p.spec.display_name.clone())
        .collect()
}
