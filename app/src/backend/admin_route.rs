//! The role check of plain routes (not pages, not server functions) that only administrators
//! may call. Such a path is outside the page guard, so each handler asks here and answers the
//! refusal itself: 401 when nobody (or an account that must still change its one-time
//! password) is signed in, 403 for a signed-in user who is not an administrator.

use super::auth::CurrentUser;
use crate::error::AppError;
use http::StatusCode;

/// `Ok` for an active administrator, else the status and a sentence naming `what` (e.g. "export
/// the audit trail") that says what to do.
pub fn admin_only(user: Option<&CurrentUser>, what: &str) -> Result<(), (StatusCode, String)> {
    match user.and_then(CurrentUser::active) {
        None => Err((
            StatusCode::UNAUTHORIZED,
            format!("Please sign in to {what}."),
        )),
        Some(u) if !u.is_admin() => Err((
            StatusCode::FORBIDDEN,
            format!("Only administrators may {what}."),
        )),
        Some(_) => Ok(()),
    }
}

/// [`admin_only`] answered as JSON (`{"error": …}`), for the JSON and event-stream routes.
pub fn json_refusal(user: Option<&CurrentUser>, what: &str) -> Option<axum::response::Response> {
    admin_only(user, what)
        .err()
        .map(|(status, message)| json_error(status, &message))
}

/// The error answer of the JSON and event-stream routes: `{"error": message}`.
pub fn json_error(status: StatusCode, message: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// [`json_error`] for an [`AppError`], with the status it maps to.
pub fn app_error_json(e: &AppError) -> axum::response::Response {
    json_error(e.status(), &e.to_string())
}
