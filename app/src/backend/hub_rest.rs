//! Starting and stopping users' servers through each hub's own REST API.
//!
//! Per hub an administrator sets the API URL (default: the hub's in-cluster service, or the
//! simulated hub on the simulated cluster) and an administrator-scoped JupyterHub API token,
//! which is stored only encrypted ([`super::secret_box`]) and never shown again. Administrators
//! start and stop any user's server; every other user only their own, with a profile their
//! groups allow. Each start and stop is audited (`server.start`, `server.stop`) whatever the
//! hub answered; the server's state then follows through the watch stores.

use super::audit::{self, Actor, Change, RequestMeta};
use super::contents;
use super::db::{internal, now};
use super::hub_api;
use super::jupyterhub::{HubClient, HubError, Started, Stopped};
use super::state::AppState;
use super::write::begin_write;
use crate::domain::hub::Hub;
use crate::domain::hub_rest::{
    HubRestAccess, HubRestForm, HubRestPanel, ServerActionResult, token_hint,
};
use crate::domain::user::SessionUser;
use crate::error::{AppError, AppResult};
use crate::values::{ValuesInput, hub_default, remembered_choice};
use serde_json::json;
use sqlx::SqlitePool;

/// The associated data binding a sealed token to its hub.
fn owner(hub_id: i64) -> String {
    format!("hub-rest-access:{hub_id}")
}

/// The API URL used when none is set: the simulated hub on the simulated cluster, else the
/// hub's in-cluster service (z2jh's `hub` Service, port 8081), reachable when the portal runs
/// in the cluster.
pub fn default_url(state: &AppState, hub: &Hub) -> String {
    match &state.settings.simulated_hubs_url {
        Some(base) => format!(
            "{base}/{}/{}/hub/api",
            hub.spec.namespace, hub.spec.release_name
        ),
        None => format!("http://hub.{}.svc:8081/hub/api", hub.spec.namespace),
    }
}

type Row = (i64, String, String, String, String);

fn access_of(row: Row) -> HubRestAccess {
    let (hub_id, api_url, token_hint, updated_at, updated_by) = row;
    HubRestAccess {
        hub_id,
        api_url,
        token_hint,
        updated_at,
        updated_by,
    }
}

pub async fn get(pool: &SqlitePool, hub_id: i64) -> AppResult<Option<HubRestAccess>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT hub_id, api_url, token_hint, updated_at, updated_by FROM hub_rest_access
         WHERE hub_id = ?",
    )
    .bind(hub_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    Ok(row.map(access_of))
}

/// The hub page's section.
pub async fn panel(state: &AppState, hub_id: i64) -> AppResult<HubRestPanel> {
    let hub = super::hubs::get(&state.pool, hub_id).await?;
    Ok(HubRestPanel {
        hub_id,
        access: get(&state.pool, hub_id).await?,
        default_url: default_url(state, &hub),
        simulated_token: state
            .settings
            .simulated_hubs_url
            .is_some()
            .then(|| state.settings.simulated_hub_token.clone()),
    })
}

/// The stored URL and token hint of a hub, inside a write.
async fn stored_on(
    conn: &mut sqlx::SqliteConnection,
    hub_id: i64,
) -> AppResult<Option<(String, String)>> {
    sqlx::query_as("SELECT api_url, token_hint FROM hub_rest_access WHERE hub_id = ?")
        .bind(hub_id)
        .fetch_optional(conn)
        .await
        .map_err(internal)
}

/// How the audit trail shows an access: the URL and the token's hint, never the token.
fn shown((api_url, hint): (String, String)) -> serde_json::Value {
    json!({"api_url": api_url, "token": format!("…{hint}")})
}

/// Sets (or replaces) a hub's REST access; audited without the token.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    hub_id: i64,
    form: &HubRestForm,
) -> AppResult<HubRestAccess> {
    let hub = super::hubs::get(&state.pool, hub_id).await?;
    let spec = form
        .validate(&default_url(state, &hub))
        .map_err(AppError::Invalid)?;
    let sealed = state
        .settings
        .secret_key
        .seal(&spec.token, &owner(hub_id))
        .map_err(AppError::Internal)?;
    let hint = token_hint(&spec.token);
    let mut tx = begin_write(&state.pool).await?;
    let before = stored_on(&mut tx, hub_id).await?;
    let at = now();
    sqlx::query(
        "INSERT INTO hub_rest_access
             (hub_id, api_url, token_nonce, token_ciphertext, token_hint, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (hub_id) DO UPDATE SET api_url = excluded.api_url,
             token_nonce = excluded.token_nonce, token_ciphertext = excluded.token_ciphertext,
             token_hint = excluded.token_hint, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
    )
    .bind(hub_id)
    .bind(&spec.api_url)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .bind(&hint)
    .bind(&at)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "hub.rest_access.set".into(),
            target_type: "hub".into(),
            target_id: hub_id.to_string(),
            target_name: hub.spec.release_name.clone(),
            before: before.map(shown),
            after: Some(shown((spec.api_url.clone(), hint.clone()))),
            reason: String::new(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    get(&state.pool, hub_id)
        .await?
        .ok_or_else(|| AppError::Internal("the saved access is gone".into()))
}

/// Forgets a hub's REST access (its token is deleted); audited.
pub async fn clear(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    hub_id: i64,
) -> AppResult<()> {
    let hub = super::hubs::get(&state.pool, hub_id).await?;
    let mut tx = begin_write(&state.pool).await?;
    let before = stored_on(&mut tx, hub_id).await?;
    let Some(stored) = before else {
        return Ok(());
    };
    sqlx::query("DELETE FROM hub_rest_access WHERE hub_id = ?")
        .bind(hub_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "hub.rest_access.clear".into(),
            target_type: "hub".into(),
            target_id: hub_id.to_string(),
            target_name: hub.spec.release_name,
            before: Some(shown(stored)),
            after: None,
            reason: String::new(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// A client for the hub, or why there is none.
async fn client(state: &AppState, hub: &Hub) -> AppResult<HubClient> {
    let row: Option<(String, Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "SELECT api_url, token_nonce, token_ciphertext FROM hub_rest_access WHERE hub_id = ?",
    )
    .bind(hub.id)
    .fetch_optional(&state.pool)
    .await
    .map_err(internal)?;
    let Some((url, nonce, ciphertext)) = row else {
        return Err(AppError::Conflict(format!(
            "Hubfleet cannot start or stop servers on hub {} yet: an administrator sets its API \
             token under \"Hub API access\" on the hub's page.",
            hub.spec.release_name
        )));
    };
    let token = state
        .settings
        .secret_key
        .open(
            &super::secret_box::Sealed { nonce, ciphertext },
            &owner(hub.id),
        )
        .map_err(AppError::Conflict)?;
    HubClient::new(&url, &token).map_err(AppError::Internal)
}

fn hub_failed(hub: &Hub, e: HubError) -> AppError {
    AppError::Conflict(format!("Hub {}: {e}.", hub.spec.release_name))
}

/// Checks the stored access by asking the hub its version and whether it takes the token.
pub async fn test(state: &AppState, hub_id: i64) -> AppResult<String> {
    let hub = super::hubs::get(&state.pool, hub_id).await?;
    let c = client(state, &hub).await?;
    let version = c.version().await.map_err(|e| hub_failed(&hub, e))?;
    c.check_token("hubfleet-token-check")
        .await
        .map_err(|e| hub_failed(&hub, e))?;
    Ok(format!(
        "Hub {} answers (JupyterHub {version}) and accepts the token.",
        hub.spec.release_name
    ))
}

/// Who may act on `username`'s server: administrators on anyone's, others on their own.
fn may_act(user: &SessionUser, username: &str) -> AppResult<()> {
    if user.is_admin() || user.username.eq_ignore_ascii_case(username) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[allow(clippy::too_many_arguments)]
async fn record_action(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    hub: &Hub,
    action: &str,
    username: &str,
    server_name: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    let mut tx = begin_write(&state.pool).await?;
    let target = if server_name.is_empty() {
        username.to_string()
    } else {
        format!("{username}/{server_name}")
    };
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: action.into(),
            target_type: "server".into(),
            target_id: format!("{}/{target}", hub.id),
            target_name: format!("{target} on {}", hub.spec.release_name),
            before: None,
            after: Some(after),
            reason: String::new(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Starts `username`'s server on hub `hub_id` with `profile_id` (or, when `None`, their
/// remembered choice, else the hub's default profile).
pub async fn start(
    state: &AppState,
    user: &SessionUser,
    meta: &RequestMeta,
    hub_id: i64,
    username: &str,
    server_name: &str,
    profile_id: Option<i64>,
) -> AppResult<ServerActionResult> {
    may_act(user, username)?;
    let c = contents::load(&state.pool, hub_id).await?;
    let hub = &c.hub;
    // Administrators may start any active profile; a user one their groups allow.
    let allowed = |p: &crate::domain::profile::Profile| {
        !p.spec.is_deprecated() && (user.is_admin() || p.spec.offered_to(&user.groups))
    };
    let profile = match profile_id {
        Some(id) => Some(
            c.profiles
                .iter()
                .find(|p| p.id == id && allowed(p))
                .ok_or_else(|| {
                    AppError::invalid(
                        "profile",
                        "This profile is not one you may start on this hub: pick one of the \
                         cards shown.",
                    )
                })?,
        ),
        None => {
            let input = ValuesInput {
                hub,
                profiles: &c.profiles,
                volumes: &c.volumes,
                portal_url: None,
            };
            let groups: Vec<String> = if user.is_admin() {
                // Any group: the administrator may start any profile.
                c.profiles
                    .iter()
                    .flat_map(|p| p.spec.allowed_groups.clone())
                    .collect()
            } else {
                user.groups.clone()
            };
            let remembered = hub_api::remembered_selection(&state.pool, hub_id, username).await?;
            remembered_choice(&input, &groups, remembered)
                .or_else(|| hub_default(&input, &groups))
                .and_then(|id| c.profiles.iter().find(|p| p.id == id && allowed(p)))
        }
    };
    let client = client(state, hub).await?;
    let slug = profile.map(|p| p.spec.slug.clone());
    let result = client.start(username, server_name, slug.as_deref()).await;
    let outcome = match &result {
        Ok(Started::Running) => "running",
        Ok(Started::Starting) => "starting",
        Ok(Started::AlreadyRunning) => "already running",
        Err(_) => "failed",
    };
    record_action(
        state,
        &super::context::actor(user),
        meta,
        hub,
        "server.start",
        username,
        server_name,
        json!({
            "profile": profile.map(|p| p.spec.display_name.clone()),
            "outcome": outcome,
            "error": result.as_ref().err().map(ToString::to_string),
        }),
    )
    .await?;
    let profile_text = profile
        .map(|p| format!(" with profile \"{}\"", p.spec.display_name))
        .unwrap_or_default();
    let message = match result.map_err(|e| hub_failed(hub, e))? {
        Started::Running => format!("{username}'s server is running{profile_text}."),
        Started::Starting => format!(
            "Starting {username}'s server{profile_text}: its state below follows the cluster."
        ),
        Started::AlreadyRunning => format!("{username}'s server is already running."),
    };
    Ok(ServerActionResult { message })
}

/// Stops `username`'s server on hub `hub_id` (the home volume stays).
pub async fn stop(
    state: &AppState,
    user: &SessionUser,
    meta: &RequestMeta,
    hub_id: i64,
    username: &str,
    server_name: &str,
) -> AppResult<ServerActionResult> {
    may_act(user, username)?;
    let hub = super::hubs::get(&state.pool, hub_id).await?;
    let client = client(state, &hub).await?;
    let result = client.stop(username, server_name).await;
    let outcome = match &result {
        Ok(Stopped::Stopped) => "stopped",
        Ok(Stopped::Stopping) => "stopping",
        Ok(Stopped::NotRunning) => "not running",
        Err(_) => "failed",
    };
    record_action(
        state,
        &super::context::actor(user),
        meta,
        &hub,
        "server.stop",
        username,
        server_name,
        json!({
            "outcome": outcome,
            "error": result.as_ref().err().map(ToString::to_string),
        }),
    )
    .await?;
    let message = match result.map_err(|e| hub_failed(&hub, e))? {
        Stopped::Stopped => format!("{username}'s server is stopped; the home volume is kept."),
        Stopped::Stopping => format!("Stopping {username}'s server; the home volume is kept."),
        Stopped::NotRunning => format!("{username}'s server was not running."),
    };
    Ok(ServerActionResult { message })
}
