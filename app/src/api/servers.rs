//! Every user's server (admins only): one page of the list, searched, filtered and sorted.

use crate::domain::servers::{ServerPage, ServerQuery};
use crate::error::AppError;
use leptos::prelude::*;

/// The page of users' servers `query` asks for, from the watch stores.
#[server]
pub async fn list_servers(query: ServerQuery) -> Result<ServerPage, AppError> {
    use crate::backend::{context, servers_api};
    context::require_admin()?;
    context::respond(servers_api::page(&context::state(), &query, false).await)
}

/// The history of user `user`'s servers (their pods' events, kept after the pods are gone),
/// newest first.
#[server]
pub async fn get_server_history(
    user: String,
) -> Result<Vec<crate::domain::environment::TimelineEntry>, AppError> {
    use crate::backend::{context, server_events};
    context::require_admin()?;
    context::respond(server_events::timeline(&context::state().pool, user.trim()).await)
}

/// Starts `username`'s server on hub `hub_id` through the hub's REST API, with profile
/// `profile_id` (or their remembered choice / the hub's default). Administrators start anyone's
/// server; other users only their own, with a profile their groups allow.
#[server]
pub async fn start_server(
    hub_id: i64,
    username: String,
    server_name: String,
    profile_id: Option<i64>,
) -> Result<crate::domain::hub_rest::ServerActionResult, AppError> {
    use crate::backend::{context, hub_rest};
    let user = context::require_user()?;
    context::respond(
        hub_rest::start(
            &context::state(),
            &user,
            &context::request_meta(),
            hub_id,
            username.trim(),
            server_name.trim(),
            profile_id,
        )
        .await,
    )
}

/// Stops `username`'s server on hub `hub_id` (the home volume stays). Administrators stop
/// anyone's server; other users only their own.
#[server]
pub async fn stop_server(
    hub_id: i64,
    username: String,
    server_name: String,
) -> Result<crate::domain::hub_rest::ServerActionResult, AppError> {
    use crate::backend::{context, hub_rest};
    let user = context::require_user()?;
    context::respond(
        hub_rest::stop(
            &context::state(),
            &user,
            &context::request_meta(),
            hub_id,
            username.trim(),
            server_name.trim(),
        )
        .await,
    )
}
