//! Cluster status (for the banner on every page) and the discovery overview (Cluster page).

use crate::domain::cluster::{ClusterOverview, ClusterStatus};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What every signed-in page shows about the cluster connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterBanner {
    pub simulated: bool,
    pub source: String,
    pub status: ClusterStatus,
    /// When the API server last answered, if ever.
    pub last_seen: Option<String>,
}

#[server]
pub async fn get_cluster_banner() -> Result<ClusterBanner, AppError> {
    use crate::backend::context;
    // Shown on every signed-in page, the password page of a one-time password included.
    context::require_account()?;
    let cluster = context::state().cluster;
    let overview = cluster.overview();
    Ok(ClusterBanner {
        simulated: cluster.is_simulated(),
        source: overview.source.label(),
        status: cluster.status(),
        last_seen: overview.last_seen,
    })
}

/// Server version, Helm drivers served, nodes, storage classes and the portal's permissions.
/// `refresh` re-runs discovery first (when the cluster answers).
#[server]
pub async fn get_cluster_overview(
    refresh: bool,
) -> Result<(ClusterStatus, ClusterOverview), AppError> {
    use crate::backend::context;
    context::require_admin()?;
    let cluster = context::state().cluster;
    if refresh {
        // A failed refresh turns the status unreachable; the last known overview is shown.
        let _ = cluster.refresh().await;
    }
    Ok((cluster.status(), cluster.overview()))
}
