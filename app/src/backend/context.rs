//! What a server function knows about its request: the state, the signed-in user, the
//! request id and client address. Role checks live here so every server function starts
//! with one line: `let user = require_admin()?;`. An administrator's create, edit or delete
//! of a versioned record (hub, profile, shared volume) is one call: [`admin_create`],
//! [`admin_update`], [`admin_delete`].

use super::AppState;
use super::audit::{Actor, RequestIds, RequestMeta, sanitize_client_request_id};
use super::auth::CurrentUser;
use super::proxy::ClientAddr;
use super::write::{self, By, Versioned};
use crate::domain::FieldErrors;
use crate::domain::user::{Role, SessionUser};
use crate::error::{AppError, AppResult};
use axum::extract::ConnectInfo;
use http::request::Parts;
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;

pub fn state() -> AppState {
    expect_context::<AppState>()
}

/// The signed-in, enabled account of this request, as resolved by the session middleware.
pub fn current_user() -> Option<SessionUser> {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<CurrentUser>().cloned())
        .and_then(|c| c.0)
}

/// Sets the HTTP status of the response to match the error, then returns it.
pub fn fail(e: AppError) -> AppError {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.set_status(e.status());
    }
    e
}

/// Any signed-in account, even one that still holds a one-time password: only for changing
/// that password (and saying who is signed in).
pub fn require_account() -> AppResult<SessionUser> {
    current_user().ok_or_else(|| fail(AppError::Unauthorized))
}

/// Any signed-in account that has chosen its own password.
pub fn require_user() -> AppResult<SessionUser> {
    let user = require_account()?;
    if user.must_change_password {
        return Err(fail(AppError::PasswordChangeRequired));
    }
    Ok(user)
}

/// Administrators only.
pub fn require_admin() -> AppResult<SessionUser> {
    let user = require_user()?;
    if user.role == Role::Admin {
        Ok(user)
    } else {
        Err(fail(AppError::Forbidden))
    }
}

pub fn actor(user: &SessionUser) -> Actor {
    Actor {
        id: Some(user.id),
        name: user.username.clone(),
    }
}

/// Request ids (set by the server's request-id middleware) and the client's address.
pub fn request_meta() -> RequestMeta {
    let Some(parts) = use_context::<Parts>() else {
        return RequestMeta::default();
    };
    request_meta_from(&parts)
}

/// The request's ids come from the [`RequestIds`] extension the server's middleware sets; an
/// incoming `x-request-id` header is never the request id. Without the middleware (a router
/// assembled without it) the request id is empty and the header is kept, sanitized, as the
/// client's.
pub fn request_meta_from(parts: &Parts) -> RequestMeta {
    let ids = parts
        .extensions
        .get::<RequestIds>()
        .cloned()
        .unwrap_or_else(|| RequestIds {
            server: String::new(),
            client: parts
                .headers
                .get("x-request-id")
                .map(|v| sanitize_client_request_id(v.as_bytes()))
                .unwrap_or_default(),
        });
    RequestMeta {
        request_id: ids.server,
        client_request_id: ids.client,
        client_addr: client_addr(parts),
    }
}

/// The client's address: as the server's middleware resolved it (trusted proxies), else the
/// socket peer.
pub fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ClientAddr>()
        .map(|c| c.0)
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
        .map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// Maps a result's error to the response status; use as `respond(async { … }.await)`.
pub fn respond<T>(r: AppResult<T>) -> AppResult<T> {
    r.map_err(fail)
}

/// An administrator's write: who makes it (the audit event's actor) and this request's
/// metadata.
struct AdminWrite {
    actor: Actor,
    meta: RequestMeta,
}

impl AdminWrite {
    /// The role check; 401/403 before anything else is looked at.
    fn start() -> AppResult<Self> {
        let admin = require_admin()?;
        Ok(AdminWrite {
            actor: actor(&admin),
            meta: request_meta(),
        })
    }

    /// The role check, then the form (422 with the field errors): `validate` runs only after
    /// the role check passed, so anonymous and user requests never see a field error.
    fn start_with<S>(validate: impl FnOnce() -> Result<S, FieldErrors>) -> AppResult<(Self, S)> {
        let write = Self::start()?;
        let spec = respond(validate().map_err(AppError::from))?;
        Ok((write, spec))
    }

    fn by<'a>(&'a self, reason: &'a str) -> By<'a> {
        By::new(&self.actor, &self.meta, reason)
    }
}

/// An administrator creates a record of kind `R` under `parent` from the form `validate`
/// reads.
pub async fn admin_create<R: Versioned>(
    parent: R::Parent,
    validate: impl FnOnce() -> Result<R::Spec, FieldErrors>,
    reason: &str,
) -> AppResult<R> {
    let (admin, spec) = AdminWrite::start_with(validate)?;
    respond(write::create(&state().pool, &admin.by(reason), parent, &spec).await)
}

/// An administrator saves the form `validate` reads over record `id` of kind `R` if it is
/// still at `version` (otherwise 409 with the stored record).
pub async fn admin_update<R: Versioned>(
    id: i64,
    version: i64,
    validate: impl FnOnce() -> Result<R::Spec, FieldErrors>,
    reason: &str,
) -> AppResult<R> {
    let (admin, spec) = AdminWrite::start_with(validate)?;
    respond(write::update(&state().pool, &admin.by(reason), id, version, &spec).await)
}

/// An administrator deletes record `id` of kind `R` if it is still at `version` and nothing
/// refuses it.
pub async fn admin_delete<R: Versioned>(id: i64, version: i64, reason: &str) -> AppResult<()> {
    let admin = AdminWrite::start()?;
    respond(write::delete::<R>(&state().pool, &admin.by(reason), id, version).await)
}
