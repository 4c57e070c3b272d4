//! Environment profiles (admins only): list across hubs, read with the data their form needs
//! (the hub's other profiles and its shared volumes, so the browser runs the same cross-row
//! checks as the server), create, edit, delete.

use crate::domain::hub::Hub;
use crate::domain::profile::{Profile, ProfileForm};
use crate::domain::volume::SharedVolume;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A profile with its hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileListItem {
    pub profile: Profile,
    pub hub: Hub,
    /// Display name of the replacement, for deprecated profiles.
    pub replaced_by: Option<String>,
}

/// What the profile form needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileEditor {
    pub hub: Hub,
    /// The profile being edited; `None` for a new one.
    pub profile: Option<Profile>,
    /// Every profile of the hub (the edited one included).
    pub siblings: Vec<Profile>,
    /// The hub's shared volumes.
    pub volumes: Vec<SharedVolume>,
}

#[server]
pub async fn list_profiles() -> Result<Vec<ProfileListItem>, AppError> {
    use crate::backend::{context, profile_queries};
    context::require_admin()?;
    let all = context::respond(profile_queries::all_hubs(&context::state().pool).await)?;
    let mut out = Vec::new();
    for c in all {
        for p in &c.profiles {
            out.push(ProfileListItem {
                replaced_by: p.spec.replaced_by.and_then(|r| {
                    c.profiles
                        .iter()
                        .find(|x| x.id == r)
                        .map(|x| x.spec.display_name.clone())
                }),
                profile: p.clone(),
                hub: c.hub.clone(),
            });
        }
    }
    Ok(out)
}

/// The form data for a new profile of hub `hub_id`.
#[server]
pub async fn load_new_profile(hub_id: i64) -> Result<ProfileEditor, AppError> {
    use crate::backend::{context, profile_queries};
    context::require_admin()?;
    let c = context::respond(profile_queries::hub(&context::state().pool, hub_id).await)?;
    Ok(ProfileEditor {
        hub: c.hub,
        profile: None,
        siblings: c.profiles,
        volumes: c.volumes,
    })
}

/// The form data for editing profile `id`.
#[server]
pub async fn load_profile(id: i64) -> Result<ProfileEditor, AppError> {
    use crate::backend::{context, profile_queries, profiles};
    context::require_admin()?;
    let pool = context::state().pool;
    let profile = context::respond(profiles::get(&pool, id).await)?;
    let c = context::respond(profile_queries::hub(&pool, profile.hub_id).await)?;
    Ok(ProfileEditor {
        hub: c.hub,
        profile: Some(profile),
        siblings: c.profiles,
        volumes: c.volumes,
    })
}

#[server]
pub async fn create_profile(
    hub_id: i64,
    form: ProfileForm,
    reason: String,
) -> Result<Profile, AppError> {
    crate::backend::context::admin_create::<Profile>(hub_id, || form.validate(), &reason).await
}

/// Saves the profile if it is still at `version`; a stale version answers 409 with the stored
/// profile.
#[server]
pub async fn update_profile(
    id: i64,
    version: i64,
    form: ProfileForm,
    reason: String,
) -> Result<Profile, AppError> {
    crate::backend::context::admin_update::<Profile>(id, version, || form.validate(), &reason).await
}

/// Deletes the profile; refused (422, field `profile`) while deprecated profiles name it as
/// their replacement.
#[server]
pub async fn delete_profile(id: i64, version: i64, reason: String) -> Result<(), AppError> {
    crate::backend::context::admin_delete::<Profile>(id, version, &reason).await
}
