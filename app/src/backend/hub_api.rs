//! HTTP routes outside the Leptos app:
//!
//! - `GET /api/hub/users/{name}/profiles[?hub=<namespace>/<release>]` with
//!   `Authorization: Bearer <token>`: the profiles user `name` may use, in KubeSpawner's
//!   `profile_list` format (a JSON list), for the hub the token belongs to. Called by the
//!   code the values install in the hub (`c.KubeSpawner.profile_list`). Answered from SQLite
//!   alone (no cluster call). A missing, wrong or revoked token, or a token of another hub
//!   than `hub` names, gets 401 with no detail.
//! - `GET /hubs/{id}/values/config.yaml[?version=N]`: the hub's values as a download
//!   (administrators only; the current values unless a recorded version is asked for).
//!
//! Also the users' remembered profile choices ([`remember_selection`]), which the API marks as
//! their default.

use super::AppState;
use super::auth::CurrentUser;
use super::db::{self, internal};
use super::{contents, hubs, profiles, tokens, values};
use crate::error::{AppError, AppResult};
use crate::values::{ValuesInput, hub_key, profiles_for_user};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use sqlx::{SqliteConnection, SqlitePool};

/// The routes of this module; the server merges them into its router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/hub/users/{name}/profiles", get(user_profiles))
        .route("/hubs/{id}/values/config.yaml", get(download_values))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
        Body::empty(),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

#[derive(Debug, Deserialize)]
struct HubQuery {
    hub: Option<String>,
}

/// The groups of portal account `name` (case-insensitive), empty for an unknown or disabled
/// account.
pub async fn user_groups(pool: &SqlitePool, name: &str) -> AppResult<Vec<String>> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    user_groups_on(&mut conn, name).await
}

async fn user_groups_on(conn: &mut SqliteConnection, name: &str) -> AppResult<Vec<String>> {
    sqlx::query_scalar(
        "SELECT g.name FROM users u
         JOIN user_groups ug ON ug.user_id = u.id
         JOIN groups g ON g.id = ug.group_id
         WHERE u.username = ? AND u.disabled = 0
         ORDER BY g.name",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)
}

/// The profile user `name` chose last on hub `hub_id`, if remembered.
pub async fn remembered_selection(
    pool: &SqlitePool,
    hub_id: i64,
    name: &str,
) -> AppResult<Option<i64>> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    remembered_on(&mut conn, hub_id, name).await
}

pub async fn remembered_on(
    conn: &mut SqliteConnection,
    hub_id: i64,
    name: &str,
) -> AppResult<Option<i64>> {
    sqlx::query_scalar("SELECT profile_id FROM user_selections WHERE hub_id = ? AND user_name = ?")
        .bind(hub_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)
}

/// Remembers that user `name` chose profile `profile_id` on hub `hub_id` (the profile must
/// belong to that hub). The hub profile API then marks it as the user's default.
pub async fn remember_selection(
    pool: &SqlitePool,
    hub_id: i64,
    name: &str,
    profile_id: i64,
) -> AppResult<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("user", "A user name is required."));
    }
    let p = profiles::get(pool, profile_id).await?;
    if p.hub_id != hub_id {
        return Err(AppError::invalid(
            "profile",
            format!(
                "Profile \"{}\" is not a profile of this hub.",
                p.spec.display_name
            ),
        ));
    }
    let mut conn = pool.acquire().await.map_err(internal)?;
    store_selection_on(&mut conn, hub_id, name, profile_id).await
}

/// Stores user `name`'s choice of `profile_id` on hub `hub_id` (replacing an earlier one).
pub async fn store_selection_on(
    conn: &mut SqliteConnection,
    hub_id: i64,
    name: &str,
    profile_id: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO user_selections (hub_id, user_name, profile_id, updated_at)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (hub_id, user_name)
         DO UPDATE SET profile_id = excluded.profile_id, updated_at = excluded.updated_at",
    )
    .bind(hub_id)
    .bind(name)
    .bind(profile_id)
    .bind(db::now())
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(())
}

/// The profiles user `name` may use on hub `hub_id`, as the API answers them: the hub's
/// contents, the user's groups and remembered choice, read in one transaction.
/// `portal_url` is the portal's URL for hub pods (`--public-url`), if configured.
pub async fn profiles_for(
    pool: &SqlitePool,
    hub_id: i64,
    name: &str,
    portal_url: Option<&str>,
) -> AppResult<Vec<crate::values::ProfileEntry>> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let c = contents::load_on(&mut tx, hub_id).await?;
    let groups = user_groups_on(&mut tx, name).await?;
    let remembered = remembered_on(&mut tx, hub_id, name).await?;
    tx.commit().await.map_err(internal)?;
    let input = ValuesInput {
        hub: &c.hub,
        profiles: &c.profiles,
        volumes: &c.volumes,
        portal_url,
    };
    Ok(profiles_for_user(&input, &groups, remembered))
}

async fn user_profiles(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HubQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return unauthorized();
    };
    let hub_id = match tokens::authenticate(&state.pool, token).await {
        Ok(Some((_, hub_id))) => hub_id,
        Ok(None) => return unauthorized(),
        Err(e) => return error_response(&e),
    };
    if let Some(wanted) = q.hub.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        match hubs::get(&state.pool, hub_id).await {
            Ok(h) if hub_key(&h) == wanted => {}
            Ok(_) => return unauthorized(),
            Err(e) => return error_response(&e),
        }
    }
    let portal_url = state.settings.public_url.as_deref();
    match profiles_for(&state.pool, hub_id, &name, portal_url).await {
        Ok(list) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()),
        )
            .into_response(),
        Err(e) => error_response(&e),
    }
}

fn error_response(e: &AppError) -> Response {
    tracing::error!(error = %e, "hub API request failed");
    (
        e.status(),
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        e.to_string(),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct DownloadQuery {
    version: Option<i64>,
}

async fn download_values(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<DownloadQuery>,
    req: axum::extract::Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let user = parts
        .extensions
        .get::<CurrentUser>()
        .and_then(|c| c.active().cloned());
    match user {
        None => return error_response(&AppError::Unauthorized),
        Some(u) if !u.is_admin() => return error_response(&AppError::Forbidden),
        Some(_) => {}
    }
    // The current values are `config.yaml` (what `helm upgrade -f config.yaml` takes); an
    // older version is `config-v<N>.yaml`. A GET records nothing.
    let result = match q.version {
        Some(v) => values::version_yaml(&state.pool, id, v)
            .await
            .map(|y| (y, format!("config-v{v}.yaml"))),
        None => values::render_hub(&state.pool, id, state.settings.public_url.as_deref())
            .await
            .map(|r| (r.yaml, "config.yaml".to_string())),
    };
    match result {
        Ok((yaml, name)) => {
            let disposition = format!("attachment; filename=\"{name}\"");
            (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/yaml; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                yaml,
            )
                .into_response()
        }
        Err(e) => error_response(&e),
    }
}
