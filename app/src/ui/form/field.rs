//! One labelled field: the label, the control, its hint and its error, and the attributes
//! that let a screen reader announce the error with the control (`aria-invalid`,
//! `aria-describedby`).

use super::shown::Errors;
use leptos::attr::{aria_describedby, aria_invalid};
use leptos::prelude::*;

/// The ids a control points to with `aria-describedby`: its hint (when there is one) and, while
/// an error is shown, the error's message.
fn described_by(hint_id: Option<&str>, err_id: &str, invalid: bool) -> Option<String> {
    let ids: Vec<&str> = hint_id
        .into_iter()
        .chain(invalid.then_some(err_id))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A label, one control (the children), an optional hint and the field's error. The control
/// gets `aria-invalid="true"` while the error is shown and `aria-describedby` naming the hint
/// and the message, so every form that uses this row is announced the same way.
#[component]
pub fn FieldRow(
    #[prop(into)] label: String,
    /// The control's id.
    #[prop(into)]
    id: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
    children: Children,
) -> impl IntoView {
    let err_id = format!("{id}-error");
    let hint = hint.filter(|h| !h.is_empty());
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let invalid = move || error.with(Option::is_some);
    let control = {
        let err_id = err_id.clone();
        let hint_id = hint_id.clone();
        children().add_any_attr((
            aria_invalid(move || invalid().then_some("true")),
            aria_describedby(move || described_by(hint_id.as_deref(), &err_id, invalid())),
        ))
    };
    view! {
        <div class="field" class:has-error=invalid>
            <label for=id>{label}</label>
            {control}
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <p class="field-error" id=err_id role="alert">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// A checkbox with its label after the box, a hint and the field's error, wired for screen
/// readers like [`FieldRow`].
#[component]
pub fn CheckRow(
    #[prop(into)] label: String,
    #[prop(into)] id: String,
    /// The form field's name; may change (rows of a repeatable list are renumbered).
    #[prop(into)]
    name: Signal<String>,
    #[prop(into)] checked: Signal<bool>,
    on_change: Callback<bool>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
    /// An empty line above the box, to align it with the inputs of a row of fields.
    #[prop(optional)]
    spacer: bool,
) -> impl IntoView {
    let err_id = format!("{id}-error");
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let label_for = id.clone();
    let invalid = move || error.with(Option::is_some);
    let described = {
        let err_id = err_id.clone();
        let hint_id = hint_id.clone();
        move || described_by(hint_id.as_deref(), &err_id, invalid())
    };
    let initial = checked.get_untracked();
    view! {
        <div class="field check-field" class:has-error=invalid>
            {spacer.then(|| view! { <span class="field-label-spacer" aria-hidden="true">" "</span> })}
            <label class="check-inline" for=label_for>
                <input
                    id=id
                    type="checkbox"
                    name=move || name.get()
                    checked=initial
                    prop:checked=move || checked.get()
                    aria-invalid=move || invalid().then_some("true")
                    aria-describedby=described
                    on:change=move |ev| on_change.run(event_target_checked(&ev))
                />
                " "
                {label}
            </label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <p class="field-error" id=err_id role="alert">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
    .into_any()
}

/// A one-line text input bound to a value. `name` may change (rows of a repeatable list are
/// renumbered when one is removed). Its ARIA attributes come from the [`FieldRow`] around it.
/// `input_type` is `text` unless given (e.g. `password`); `autocomplete` is `off` unless given
/// (e.g. `current-password`).
#[component]
pub fn TextInput(
    #[prop(into)] id: String,
    #[prop(into)] name: Signal<String>,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] list: Option<String>,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let initial = value.get_untracked();
    view! {
        <input
            type=input_type.unwrap_or("text")
            id=id
            name=move || name.get()
            value=initial
            prop:value=move || value.get()
            placeholder=placeholder
            inputmode=inputmode
            list=list
            autocomplete=autocomplete.unwrap_or("off")
            autocapitalize="none"
            spellcheck="false"
            on:input=move |ev| on_input.run(event_target_value(&ev))
        />
    }
}

/// The row of one text field of a form: the input is named `form[{field}]` and has the id
/// `{prefix}-{field}`; typing stores the value, marks the field edited, then runs `on_change`.
#[component]
pub fn TextField(
    errors: Errors,
    value: RwSignal<String>,
    prefix: &'static str,
    field: &'static str,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] on_change: Option<Callback<String>>,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{prefix}-{field}");
    let on_input = Callback::new(move |v: String| {
        value.set(v.clone());
        errors.shown.touch(field);
        if let Some(cb) = on_change {
            cb.run(v);
        }
    });
    view! {
        <FieldRow label id=id.clone() hint=hint.unwrap_or_default() error=errors.signal(field)>
            <TextInput
                id
                name=format!("form[{field}]")
                value
                on_input
                placeholder=placeholder.unwrap_or_default()
                inputmode=inputmode.unwrap_or("text")
                input_type=input_type.unwrap_or("text")
                autocomplete=autocomplete.unwrap_or("off")
            />
        </FieldRow>
    }
}

/// A `<select>` of fixed choices bound to a value.
#[component]
pub fn SelectInput(
    #[prop(into)] id: String,
    #[prop(into)] name: Signal<String>,
    #[prop(into)] value: Signal<String>,
    on_change: Callback<String>,
    /// (value, label) of each choice.
    options: Vec<(String, String)>,
    /// A first, empty choice ("Choose …").
    #[prop(optional, into)]
    empty: Option<String>,
) -> impl IntoView {
    view! {
        <select
            id=id
            name=move || name.get()
            prop:value=move || value.get()
            on:change=move |ev| on_change.run(event_target_value(&ev))
        >
            {empty.map(|label| view! { <option value="" selected=move || value.with(String::is_empty)>{label}</option> })}
            {options
                .into_iter()
                .map(|(v, label)| {
                    let current = v.clone();
                    view! { <option value=v selected=move || value.with(|x| *x == current)>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// The optional "Reason" of a change, kept in the audit trail. Bound to `reason` when given
/// (so an edit form can clear it after a save), else a plain input.
#[component]
pub fn ReasonRow(
    #[prop(into)] id: String,
    #[prop(optional)] reason: Option<RwSignal<String>>,
    /// Without the hint (the delete forms).
    #[prop(optional)]
    short: bool,
) -> impl IntoView {
    let hint = (!short).then(|| "Kept in the audit trail.".to_string());
    let input = match reason {
        Some(reason) => view! {
            <input
                id=id.clone()
                name="reason"
                type="text"
                autocomplete="off"
                prop:value=reason
                on:input=move |ev| reason.set(event_target_value(&ev))
            />
        }
        .into_any(),
        None => view! { <input id=id.clone() name="reason" type="text" autocomplete="off" /> }
            .into_any(),
    };
    view! {
        <FieldRow label="Reason (optional)" id=id hint=hint.unwrap_or_default()>
            {input}
        </FieldRow>
    }
}

#[cfg(test)]
mod tests {
    use super::described_by;

    #[test]
    fn describes_the_hint_and_only_a_shown_error() {
        assert_eq!(
            described_by(Some("a-hint"), "a-error", false).as_deref(),
            Some("a-hint")
        );
        assert_eq!(
            described_by(Some("a-hint"), "a-error", true).as_deref(),
            Some("a-hint a-error")
        );
        assert_eq!(
            described_by(None, "a-error", true).as_deref(),
            Some("a-error")
        );
        assert_eq!(described_by(None, "a-error", false), None);
    }
}
