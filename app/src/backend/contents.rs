//! One hub with everything that belongs to it (its profiles and shared volumes), read in one
//! go: the pages, the values and the hub profile API all start from this.

use super::db::internal;
use super::{hubs, profiles, volumes};
use crate::domain::hub::Hub;
use crate::domain::profile::Profile;
use crate::domain::volume::SharedVolume;
use crate::error::AppResult;
use sqlx::{SqliteConnection, SqlitePool};

/// One hub with everything that belongs to it.
#[derive(Debug, Clone)]
pub struct HubContents {
    pub hub: Hub,
    /// The default first, then by display name.
    pub profiles: Vec<Profile>,
    /// By name.
    pub volumes: Vec<SharedVolume>,
}

/// Hub `hub_id` with its profiles and volumes, read on `conn` (inside the caller's
/// transaction when it has one, so the three reads see the same state).
pub(crate) async fn load_on(conn: &mut SqliteConnection, hub_id: i64) -> AppResult<HubContents> {
    let hub = hubs::require_on(conn, hub_id).await?;
    let profiles = profiles::list_on(conn, hub_id).await?;
    let volumes = volumes::list_on(conn, hub_id).await?;
    Ok(HubContents {
        hub,
        profiles,
        volumes,
    })
}

/// Hub `hub_id` with its profiles and volumes: one connection, one read transaction.
pub async fn load(pool: &SqlitePool, hub_id: i64) -> AppResult<HubContents> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let contents = load_on(&mut tx, hub_id).await?;
    tx.commit().await.map_err(internal)?;
    Ok(contents)
}

/// Every hub (by namespace, release name) with its contents, in one read transaction.
pub async fn load_all(pool: &SqlitePool) -> AppResult<Vec<HubContents>> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM hubs ORDER BY namespace, release_name")
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
    let mut all = Vec::with_capacity(ids.len());
    for id in ids {
        all.push(load_on(&mut tx, id).await?);
    }
    tx.commit().await.map_err(internal)?;
    Ok(all)
}
