//! Hubs (admins only): list, read with their profiles and shared volumes, create, edit,
//! delete.

use crate::domain::hub::{Hub, HubForm};
use crate::domain::profile::Profile;
use crate::domain::volume::SharedVolume;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A hub in the hub list, with how much belongs to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubSummary {
    pub hub: Hub,
    pub profiles: usize,
    pub volumes: usize,
    /// Display name of the default profile, if any.
    pub default_profile: Option<String>,
}

/// A hub with its profiles (default first) and shared volumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubDetail {
    pub hub: Hub,
    pub profiles: Vec<Profile>,
    pub volumes: Vec<SharedVolume>,
}

#[server]
pub async fn list_hubs() -> Result<Vec<HubSummary>, AppError> {
    use crate::backend::{context, profile_queries};
    context::require_admin()?;
    let all = context::respond(profile_queries::all_hubs(&context::state().pool).await)?;
    Ok(all
        .into_iter()
        .map(|c| HubSummary {
            default_profile: c
                .profiles
                .iter()
                .find(|p| p.spec.is_default)
                .map(|p| p.spec.display_name.clone()),
            profiles: c.profiles.len(),
            volumes: c.volumes.len(),
            hub: c.hub,
        })
        .collect())
}

#[server]
pub async fn get_hub(id: i64) -> Result<HubDetail, AppError> {
    use crate::backend::{context, profile_queries};
    context::require_admin()?;
    let c = context::respond(profile_queries::hub(&context::state().pool, id).await)?;
    Ok(HubDetail {
        hub: c.hub,
        profiles: c.profiles,
        volumes: c.volumes,
    })
}

#[server]
pub async fn create_hub(form: HubForm, reason: String) -> Result<Hub, AppError> {
    crate::backend::context::admin_create::<Hub>((), || form.validate(), &reason).await
}

/// Saves the hub if it is still at `version`; a stale version answers 409 with the stored hub.
#[server]
pub async fn update_hub(
    id: i64,
    version: i64,
    form: HubForm,
    reason: String,
) -> Result<Hub, AppError> {
    crate::backend::context::admin_update::<Hub>(id, version, || form.validate(), &reason).await
}

/// Removes the portal's record of a hub without profiles or shared volumes.
#[server]
pub async fn delete_hub(id: i64, version: i64, reason: String) -> Result<(), AppError> {
    crate::backend::context::admin_delete::<Hub>(id, version, &reason).await
}

/// The hub's REST API access as its page shows it (never the token).
#[server]
pub async fn get_hub_rest_access(
    hub_id: i64,
) -> Result<crate::domain::hub_rest::HubRestPanel, AppError> {
    use crate::backend::{context, hub_rest};
    context::require_admin()?;
    context::respond(hub_rest::panel(&context::state(), hub_id).await)
}

/// Sets the hub's REST API URL and administrator token (stored encrypted, not shown again).
#[server]
pub async fn set_hub_rest_access(
    hub_id: i64,
    form: crate::domain::hub_rest::HubRestForm,
) -> Result<crate::domain::hub_rest::HubRestAccess, AppError> {
    use crate::backend::{context, hub_rest};
    let user = context::require_admin()?;
    context::respond(
        hub_rest::set(
            &context::state(),
            &context::actor(&user),
            &context::request_meta(),
            hub_id,
            &form,
        )
        .await,
    )
}

/// Forgets the hub's REST API token.
#[server]
pub async fn clear_hub_rest_access(hub_id: i64) -> Result<(), AppError> {
    use crate::backend::{context, hub_rest};
    let user = context::require_admin()?;
    context::respond(
        hub_rest::clear(
            &context::state(),
            &context::actor(&user),
            &context::request_meta(),
            hub_id,
        )
        .await,
    )
}

/// Asks the hub its version and whether it accepts the stored token.
#[server]
pub async fn test_hub_rest_access(hub_id: i64) -> Result<String, AppError> {
    use crate::backend::{context, hub_rest};
    context::require_admin()?;
    context::respond(hub_rest::test(&context::state(), hub_id).await)
}
