//! "Change my password", for every account. An account holding a one-time password (the
//! first-run administrator's, or one an administrator reset) is sent here until it has
//! chosen its own.

use super::form::{FieldRow, answer_errors, server_form_error};
use super::layout::Auth;
use crate::api::auth::ChangePassword;
use crate::domain::user::{PASSWORD_MIN, PasswordChangeForm, SessionUser};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let one_time = use_context::<SessionUser>().is_some_and(|u| u.must_change_password);
    let change = ServerAction::<ChangePassword>::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let touched = RwSignal::new(Vec::<&'static str>::new());
    let touch = move |f: &'static str| {
        touched.update(|t| {
            if !t.contains(&f) {
                t.push(f)
            }
        })
    };
    let form = move || PasswordChangeForm {
        current_password: current.get(),
        new_password: new.get(),
        confirm_password: confirm.get(),
    };
    let value = change.value();
    let server_errors = answer_errors(value);
    let form_error = server_form_error(value);
    // The same validation as the server, shown for the fields the user has typed in.
    let client_error = move |f: &'static str| -> Option<String> {
        if !touched.with(|t| t.contains(&f)) {
            return None;
        }
        form()
            .validate()
            .err()
            .and_then(|e| e.get(f).map(str::to_string))
    };
    let err = move |f: &'static str| {
        Signal::derive(move || {
            client_error(f).or_else(|| {
                server_errors
                    .get()
                    .and_then(|e| e.get(f).map(str::to_string))
            })
        })
    };
    let done = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            current.set(String::new());
            new.set(String::new());
            confirm.set(String::new());
            touched.set(Vec::new());
            done.set(true);
            if one_time {
                // The account may now use every page: ask again who is signed in, then go on.
                auth.user.refetch();
                navigate("/", Default::default());
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        touched.set(vec!["current_password", "new_password", "confirm_password"]);
        done.set(false);
        if form().validate().is_err() {
            ev.prevent_default();
        }
    };
    view! {
        <Title text="Change password" />
        <div class="page-header">
            <h1>"Change password"</h1>
            <p class="muted">"Your other sessions end when the password changes; this one continues."</p>
        </div>
        <section class="panel form-panel narrow-panel">
            {one_time.then(|| view! {
                <div class="alert alert-warning" role="status" data-testid="one-time-password-notice">
                    <strong>"Choose your own password to continue."</strong>
                    " You signed in with a one-time password. Until you change it, Hubfleet shows only this page."
                </div>
            })}
            {move || done.get().then(|| view! {
                <div class="alert alert-success" role="status" data-testid="password-changed">
                    "Password changed. Every other session of your account has been signed out."
                </div>
            })}
            {move || form_error.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            <ActionForm action=change on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="change-password-form">
                <FieldRow label="Current password" id="current-password" error=err("current_password")>
                    <input
                        id="current-password"
                        name="form[current_password]"
                        type="password"
                        autocomplete="current-password"
                        prop:value=current
                        on:input=move |ev| { current.set(event_target_value(&ev)); touch("current_password"); }
                    />
                </FieldRow>
                <FieldRow
                    label="New password"
                    id="new-password"
                    hint=format!("At least {PASSWORD_MIN} characters, different from the current one.")
                    error=err("new_password")
                >
                    <input
                        id="new-password"
                        name="form[new_password]"
                        type="password"
                        autocomplete="new-password"
                        prop:value=new
                        on:input=move |ev| { new.set(event_target_value(&ev)); touch("new_password"); }
                    />
                </FieldRow>
                <FieldRow label="Repeat new password" id="confirm-password" error=err("confirm_password")>
                    <input
                        id="confirm-password"
                        name="form[confirm_password]"
                        type="password"
                        autocomplete="new-password"
                        prop:value=confirm
                        on:input=move |ev| { confirm.set(event_target_value(&ev)); touch("confirm_password"); }
                    />
                </FieldRow>
                <button type="submit" class="btn btn-primary" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
        </section>
    }
}
