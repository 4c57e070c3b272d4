//! Every user's server (admins only): one page of the list, searched, filtered and sorted.

use crate::domain::servers::{ServerPage, ServerQuery};
use crate::error::AppError;
use leptos::prelude::*;

/// The page of users' servers `query` asks for, from the watch stores.
#[server]
pub async fn list_servers(query: ServerQuery) -> Result<ServerPage, AppError> {
    use crate::backend::{context, servers};
    context::require_admin()?;
    Ok(servers::list(&context::state().cluster, &query))
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
