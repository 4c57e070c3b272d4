//! What a server function knows about its request: the state, the signed-in user, the
//! request id and client address. Role checks live here so every server function starts
//! with one line: `let user = require_admin()?;`.

use super::AppState;
use super::audit::{Actor, RequestMeta};
use super::auth::CurrentUser;
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

/// Any signed-in account.
pub fn require_user() -> AppResult<SessionUser> {
    current_user().ok_or_else(|| fail(AppError::Unauthorized))
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

/// Request id (set by the server's request-id layer) and the client's address.
pub fn request_meta() -> RequestMeta {
    let Some(parts) = use_context::<Parts>() else {
        return RequestMeta::default();
    };
    request_meta_from(&parts)
}

pub fn request_meta_from(parts: &Parts) -> RequestMeta {
    RequestMeta {
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        client_addr: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into()),
    }
}

/// Maps a result's error to the response status; use as `respond(async { … }.await)`.
pub fn respond<T>(r: AppResult<T>) -> AppResult<T> {
    r.map_err(fail)
}
