//! Sign-in, sign-out, "who am I" and changing one's own password.

use crate::domain::user::{PasswordChangeForm, SessionUser};
use crate::error::AppError;
use leptos::prelude::*;

/// The signed-in account, or `None` for anonymous visitors. An account that must still
/// change its one-time password is returned too (with `must_change_password`), so the pages
/// can send it to the password page.
#[server]
pub async fn get_current_user() -> Result<Option<SessionUser>, AppError> {
    Ok(crate::backend::context::current_user())
}

/// Checks the credentials and starts a session (new session id). On success the browser is
/// sent to `next` when it is a local path, else to the dashboard; an account holding a
/// one-time password is sent to the password page instead.
#[server]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<SessionUser, AppError> {
    use crate::backend::{auth, context};
    use crate::domain::access::PASSWORD_PAGE;
    let state = context::state();
    let meta = context::request_meta();
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| context::fail(AppError::Internal(format!("session: {e}"))))?;
    let user = context::respond(auth::login(&state, &session, &meta, &username, &password).await)?;
    if user.must_change_password {
        leptos_axum::redirect(PASSWORD_PAGE);
    } else {
        leptos_axum::redirect(&crate::domain::user::safe_next_path(next.as_deref()));
    }
    Ok(user)
}

/// Ends the session and returns to the sign-in page.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::backend::{auth, context};
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| context::fail(AppError::Internal(format!("session: {e}"))))?;
    let user = context::current_user();
    context::respond(
        auth::logout(
            &context::state(),
            &session,
            &context::request_meta(),
            user.as_ref(),
        )
        .await,
    )?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in account changes its own password (the current one is required). Every other
/// session of the account ends; this one continues.
#[server]
pub async fn change_password(form: PasswordChangeForm) -> Result<(), AppError> {
    use crate::backend::{auth, context};
    let user = context::require_account()?;
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| context::fail(AppError::Internal(format!("session: {e}"))))?;
    context::respond(
        auth::change_password(
            &context::state(),
            &session,
            &context::request_meta(),
            &user,
            &form,
        )
        .await,
    )
}
