//! Account administration (admins only).

use crate::domain::audit::AuditEvent;
use crate::domain::user::{NewUserForm, OneTimePassword, UserSummary, UserUpdateForm};
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::backend::{context, users};
    context::require_admin()?;
    context::respond(users::list(&context::state().pool).await)
}

#[server]
pub async fn create_user(form: NewUserForm, reason: String) -> Result<UserSummary, AppError> {
    use crate::backend::{context, users};
    let admin = context::require_admin()?;
    let new = context::respond(form.validate().map_err(AppError::from))?;
    let state = context::state();
    let hash = context::respond(match state.hasher.hash(new.password.clone()).await {
        Ok(Ok(hash)) => Ok(hash),
        Ok(Err(e)) => Err(AppError::Internal(e)),
        Err(_) => Err(AppError::Busy(
            "The server is busy checking other passwords. Try again in a few seconds.".into(),
        )),
    })?;
    context::respond(
        users::create_hashed(
            &state.pool,
            &context::actor(&admin),
            &context::request_meta(),
            new,
            &hash,
            false,
            &reason,
        )
        .await,
    )
}

/// Resets account `id`'s password to a random one-time password, returned once for the
/// administrator to pass on; the account must change it at its next sign-in, and all its
/// sessions end.
#[server]
pub async fn reset_user_password(id: i64, reason: String) -> Result<OneTimePassword, AppError> {
    use crate::backend::{auth, context};
    let admin = context::require_admin()?;
    context::respond(
        auth::reset_password(
            &context::state(),
            &admin,
            &context::request_meta(),
            id,
            &reason,
        )
        .await,
    )
}

#[server]
pub async fn update_user(
    id: i64,
    version: i64,
    form: UserUpdateForm,
    reason: String,
) -> Result<UserSummary, AppError> {
    use crate::backend::{context, users};
    let admin = context::require_admin()?;
    let change = context::respond(form.validate().map_err(AppError::from))?;
    context::respond(
        users::update(
            &context::state().pool,
            &context::actor(&admin),
            &context::request_meta(),
            id,
            version,
            change,
            &reason,
        )
        .await,
    )
}

/// The newest audit events (the full audit page comes with the profiles work).
#[server]
pub async fn recent_audit() -> Result<Vec<AuditEvent>, AppError> {
    use crate::backend::{audit, context};
    context::require_admin()?;
    context::respond(
        audit::recent(&context::state().pool, 200)
            .await
            .map_err(|e| AppError::Internal(e.to_string())),
    )
}
