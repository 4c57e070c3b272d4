//! "Change my password", for every account. An account holding a one-time password (the
//! first-run administrator's, or one an administrator reset) is sent here until it has
//! chosen its own.

use super::form::{Errors, TextField, answer_errors, server_form_error};
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
    let form = move || PasswordChangeForm {
        current_password: current.get(),
        new_password: new.get(),
        confirm_password: confirm.get(),
    };
    let value = change.value();
    let form_error = server_form_error(value);
    // The same validation as the server, shown as the user types; the server's answer after.
    let errors = Errors::new(
        Memo::new(move |_| form().validate().err()),
        answer_errors(value),
    );
    let done = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            current.set(String::new());
            new.set(String::new());
            confirm.set(String::new());
            errors.shown.reset();
            done.set(true);
            if one_time {
                // The account may now use every page: ask again who is signed in, then go on.
                auth.user.refetch();
                navigate("/", Default::default());
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        errors.shown.submit();
        done.set(false);
        if errors.blocks_submit() {
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
                <TextField
                    errors
                    value=current
                    prefix="account"
                    field="current_password"
                    label="Current password"
                    input_type="password"
                    autocomplete="current-password"
                />
                <TextField
                    errors
                    value=new
                    prefix="account"
                    field="new_password"
                    label="New password"
                    hint=format!("At least {PASSWORD_MIN} characters, different from the current one.")
                    input_type="password"
                    autocomplete="new-password"
                />
                <TextField
                    errors
                    value=confirm
                    prefix="account"
                    field="confirm_password"
                    label="Repeat new password"
                    input_type="password"
                    autocomplete="new-password"
                />
                <button type="submit" class="btn btn-primary" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
        </section>
    }
}
