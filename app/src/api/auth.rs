//! Sign-in, sign-out and "who am I".

use crate::domain::user::SessionUser;
use crate::error::AppError;
use leptos::prelude::*;

/// The signed-in account, or `None` for anonymous visitors.
#[server]
pub async fn get_current_user() -> Result<Option<SessionUser>, AppError> {
    Ok(crate::backend::context::current_user())
}

/// Checks the credentials and starts a session (new session id). On success the browser is
/// sent to `next` when it is a local path, else to the dashboard.
#[server]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<SessionUser, AppError> {
    use crate::backend::{auth, context};
    let state = context::state();
    let meta = context::request_meta();
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| context::fail(AppError::Internal(format!("session: {e}"))))?;
    let user = context::respond(auth::login(&state, &session, &meta, &username, &password).await)?;
    leptos_axum::redirect(&crate::domain::user::safe_next_path(next.as_deref()));
    Ok(user)
}

/// Ends the session and returns to the sign-in page.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::backend::{auth, context};
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| context::fail(AppError::Internal(format!("session: {e}"))))?;
    context::respond(auth::logout(&session).await)?;
    leptos_axum::redirect("/login");
    Ok(())
}
