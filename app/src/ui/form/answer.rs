//! What a server action answered, for the page: field errors for the fields, a banner for
//! the rest, the list of problems above a long form and the "saved" confirmation.

use crate::domain::FieldErrors;
use crate::error::AppError;
use leptos::prelude::*;

/// A non-field error from a server action (conflict, forbidden, rate limit, form-level
/// messages), for the banner above the form.
pub fn server_form_error<T, W>(value: W) -> Signal<Option<String>>
where
    T: 'static,
    W: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(AppError::Invalid(e))) => e.get("form").map(str::to_string),
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    })
}

/// The list of a form's current problems, with links to the fields, above a long form.
#[component]
pub fn ErrorSummary(
    /// (input id, label, message) of each problem.
    #[prop(into)]
    problems: Signal<Vec<(String, String, String)>>,
) -> impl IntoView {
    move || {
        let list = problems.get();
        if list.is_empty() {
            return None;
        }
        let n = list.len();
        Some(view! {
            <div class="alert alert-error error-summary" role="alert" data-testid="error-summary">
                <strong>
                    {if n == 1 {
                        "1 field needs fixing before this can be saved:".to_string()
                    } else {
                        format!("{n} fields need fixing before this can be saved:")
                    }}
                </strong>
                <ul>
                    {list
                        .into_iter()
                        .map(|(id, label, message)| {
                            view! {
                                <li>
                                    <a href=format!("#{id}")>{label}</a>
                                    ": "
                                    {message}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        })
    }
}

/// "Created" / "Saved" confirmation above a form.
#[component]
pub fn SavedBanner(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <div class="alert alert-success" role="status" data-testid="saved">{m}</div> })
    }
}

/// The field errors of a server answer, for [`super::Shown::error`].
pub fn answer_errors<T, W>(value: W) -> Signal<Option<FieldErrors>>
where
    T: 'static,
    W: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(AppError::Invalid(e))) => Some(e.clone()),
            _ => None,
        })
    })
}

/// A banner for an answer that is neither a success, nor field errors shown next to fields,
/// nor a conflict (shown by [`super::ConflictView`]): forbidden, not found, server errors, and field
/// errors about no single field (`form`, or any of `extra_fields`).
pub fn answer_banner<T, W>(
    value: W,
    extra_fields: &'static [&'static str],
) -> Signal<Option<String>>
where
    T: 'static,
    W: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(AppError::Invalid(e))) => {
                let msgs: Vec<&str> =
                    e.0.iter()
                        .filter(|f| f.field == "form" || extra_fields.contains(&f.field.as_str()))
                        .map(|f| f.message.as_str())
                        .collect();
                (!msgs.is_empty()).then(|| msgs.join(" "))
            }
            Some(Err(AppError::StaleWrite { .. })) => None,
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    })
}

/// Every message of an error, for a banner: the field messages joined, or the error itself.
pub fn error_text(e: &AppError) -> String {
    match e {
        AppError::Invalid(f) => {
            f.0.iter()
                .map(|x| x.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }
        other => other.to_string(),
    }
}

/// An error banner above a form, while there is a message.
#[component]
pub fn ErrorBanner(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    move || {
        message.get().map(
            |m| view! { <div class="alert alert-error" role="alert" data-testid=testid>{m}</div> },
        )
    }
}
