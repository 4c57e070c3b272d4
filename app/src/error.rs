//! The one error type of the app crate. It crosses the wire from server functions to the
//! browser, so it is serializable, and every variant reads well when shown to a person.

use crate::domain::FieldErrors;
use serde::{Deserialize, Serialize};
use server_fn_error::{FromServerFnError, ServerFnErrorErr, codec::JsonEncoding};

mod server_fn_error {
    pub use leptos::server_fn::codec;
    pub use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do this. Ask an administrator.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("Please fix the highlighted fields: {0}")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    /// A save (or delete) carried a version older than the stored one: someone else saved in
    /// between, and nothing was written. `stored` is the stored record as JSON, of the same
    /// type the page loaded (e.g. `domain::profile::Profile`), so the page can show the stored
    /// and the submitted values side by side and retry with the stored version.
    #[error("{message}")]
    StaleWrite {
        message: String,
        stored: serde_json::Value,
    },
    #[error("{0}")]
    RateLimited(String),
    /// Too much password hashing is under way: nothing was checked; try again shortly.
    #[error("{0}")]
    Busy(String),
    /// The account holds a one-time password: only changing it (and signing out) works.
    #[error("Change your one-time password first: open \"Change password\" and choose your own.")]
    PasswordChangeRequired,
    #[error("Something went wrong on the server: {0}")]
    Internal(String),
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::Unauthorized => S::UNAUTHORIZED,
            AppError::Forbidden | AppError::PasswordChangeRequired => S::FORBIDDEN,
            AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Invalid(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) | AppError::StaleWrite { .. } => S::CONFLICT,
            AppError::RateLimited(_) => S::TOO_MANY_REQUESTS,
            AppError::Busy(_) => S::SERVICE_UNAVAILABLE,
            AppError::Internal(_) | AppError::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// Field errors, when this error is about a form.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(e) => Some(e),
            _ => None,
        }
    }

    /// The stored record of a [`AppError::StaleWrite`], decoded as `T`.
    pub fn stored<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        match self {
            AppError::StaleWrite { stored, .. } => serde_json::from_value(stored.clone()).ok(),
            _ => None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.push(field, message);
        AppError::Invalid(e)
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
