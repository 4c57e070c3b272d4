//! Form building blocks: a labelled field with its error and hint, and the glue that merges
//! client-side validation (the same `domain` code the server runs) with server answers.

use crate::domain::FieldErrors;
use crate::error::AppError;
use leptos::prelude::*;

/// A label, one input (the children), an optional hint and the field's error, wired for
/// screen readers (`aria-describedby`, `role=alert`).
#[component]
pub fn FieldRow(
    #[prop(into)] label: String,
    /// The input's id.
    #[prop(into)]
    id: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
    children: Children,
) -> impl IntoView {
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {children()}
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <p class="field-error" id=err_id role="alert">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// The field errors in a server action's last answer.
pub fn server_field_errors<T, W>(value: W) -> Signal<Option<FieldErrors>>
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
