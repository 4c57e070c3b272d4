//! "My environment" for every signed-in user: only their own choices, servers and volumes.

use crate::domain::environment::MyEnvironment;
use crate::error::AppError;
use leptos::prelude::*;

/// The hubs and profiles the signed-in user may use, whether each fits the cluster now, their
/// choices, and their own servers and home volumes.
#[server]
pub async fn get_my_environment() -> Result<MyEnvironment, AppError> {
    use crate::backend::{context, my_environment};
    let user = context::require_user()?;
    let state = context::state();
    context::respond(my_environment::load(&state.pool, &state.cluster, &user).await)
}

/// Remembers the signed-in user's choice of profile on a hub (audited); the hub preselects it.
#[server]
pub async fn choose_profile(hub_id: i64, profile_id: i64) -> Result<(), AppError> {
    use crate::backend::{context, my_environment};
    let user = context::require_user()?;
    context::respond(
        my_environment::choose(
            &context::state().pool,
            &context::actor(&user),
            &context::request_meta(),
            &user,
            hub_id,
            profile_id,
        )
        .await,
    )
}
