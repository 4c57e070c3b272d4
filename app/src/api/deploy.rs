//! The deploy page (administrators only): a hub's release history, the values against what
//! is deployed with the impact of applying them, and the operations that install, upgrade,
//! roll back or uninstall the release through the hub's driver.

use crate::domain::deploy::{DeployPage, Operation, ReleaseList, RevisionDiff};
use crate::error::AppError;
use leptos::prelude::*;

/// Everything the deploy page of hub `hub_id` shows.
#[server]
pub async fn get_deploy_page(hub_id: i64) -> Result<DeployPage, AppError> {
    use crate::backend::{context, deploy::Deployer};
    context::require_admin()?;
    context::respond(Deployer::from_state(&context::state()).page(hub_id).await)
}

/// Operation `id` (its status and log), for following it live.
#[server]
pub async fn get_operation(id: i64) -> Result<Operation, AppError> {
    use crate::backend::{context, deploy};
    context::require_admin()?;
    context::respond(deploy::operation(&context::state().pool, id).await)
}

/// The values diff between two revisions of hub `hub_id`'s release.
#[server]
pub async fn get_revision_diff(hub_id: i64, from: u32, to: u32) -> Result<RevisionDiff, AppError> {
    use crate::backend::{context, deploy::Deployer};
    context::require_admin()?;
    context::respond(
        Deployer::from_state(&context::state())
            .revision_diff(hub_id, from, to)
            .await,
    )
}

/// Installs or upgrades the release with the hub's current values, which must still have
/// `digest` (the values the administrator reviewed). `reason` is required.
#[server]
pub async fn apply_release(
    hub_id: i64,
    digest: String,
    reason: String,
) -> Result<Operation, AppError> {
    use crate::backend::{context, deploy::Deployer, write::By};
    let admin = context::require_admin()?;
    let (actor, meta) = (context::actor(&admin), context::request_meta());
    context::respond(
        Deployer::from_state(&context::state())
            .apply(&By::new(&actor, &meta, &reason), hub_id, digest.trim())
            .await,
    )
}

/// Rolls the release back to `revision`. `reason` is required.
#[server]
pub async fn rollback_release(
    hub_id: i64,
    revision: u32,
    reason: String,
) -> Result<Operation, AppError> {
    use crate::backend::{context, deploy::Deployer, write::By};
    let admin = context::require_admin()?;
    let (actor, meta) = (context::actor(&admin), context::request_meta());
    context::respond(
        Deployer::from_state(&context::state())
            .rollback(&By::new(&actor, &meta, &reason), hub_id, revision)
            .await,
    )
}

/// Uninstalls the release; `confirm` must be the release name. Home volumes are kept.
#[server]
pub async fn uninstall_release(
    hub_id: i64,
    confirm: String,
    reason: String,
) -> Result<Operation, AppError> {
    use crate::backend::{context, deploy::Deployer, write::By};
    let admin = context::require_admin()?;
    let (actor, meta) = (context::actor(&admin), context::request_meta());
    context::respond(
        Deployer::from_state(&context::state())
            .uninstall(&By::new(&actor, &meta, &reason), hub_id, &confirm)
            .await,
    )
}

/// Every Helm release in the watched namespaces (`helm ls --all -A`), with the hub that
/// manages each; releases Hubfleet did not make are listed too.
#[server]
pub async fn list_releases() -> Result<ReleaseList, AppError> {
    use crate::backend::{context, deploy};
    context::require_admin()?;
    let state = context::state();
    context::respond(deploy::releases(&state.pool, &state.cluster).await)
}
