//! API tokens of a hub (admins only): the hub uses one to ask the portal for its users'
//! profiles. A new token is returned once and never again; only its hash is stored.

use crate::error::AppError;
use crate::values::{ApiToken, NewToken};
use leptos::prelude::*;

#[server]
pub async fn list_hub_tokens(hub_id: i64) -> Result<Vec<ApiToken>, AppError> {
    use crate::backend::{context, hubs, tokens};
    context::require_admin()?;
    let pool = context::state().pool;
    context::respond(hubs::get(&pool, hub_id).await)?;
    context::respond(tokens::list(&pool, hub_id).await)
}

#[server]
pub async fn create_hub_token(
    hub_id: i64,
    label: String,
    reason: String,
) -> Result<NewToken, AppError> {
    use crate::backend::{context, tokens};
    let admin = context::require_admin()?;
    context::respond(
        tokens::create(
            &context::state().pool,
            &context::actor(&admin),
            &context::request_meta(),
            hub_id,
            &label,
            &reason,
        )
        .await,
    )
}

#[server]
pub async fn revoke_hub_token(hub_id: i64, id: i64, reason: String) -> Result<ApiToken, AppError> {
    use crate::backend::{context, tokens};
    let admin = context::require_admin()?;
    context::respond(
        tokens::revoke(
            &context::state().pool,
            &context::actor(&admin),
            &context::request_meta(),
            hub_id,
            id,
            &reason,
        )
        .await,
    )
}
