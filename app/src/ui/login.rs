//! The sign-in page.

use super::form::{FieldRow, answer_errors, server_form_error};
use super::layout::Auth;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    let value = auth.login.value();
    let field_errors = answer_errors(value);
    let form_error = server_form_error(value);
    let err = move |f: &'static str| {
        Signal::derive(move || {
            field_errors
                .get()
                .and_then(|e| e.get(f).map(str::to_string))
        })
    };
    view! {
        <Title text="Sign in" />
        <div class="login-wrap">
            <div class="login-card">
                <div class="login-brand">
                    <span class="brand-mark" aria-hidden="true">"⬡"</span>
                    <span>"Hubfleet"</span>
                </div>
                <h1>"Sign in"</h1>
                <p class="muted">"JupyterHub environments, releases and users in one place."</p>
                {move || {
                    form_error
                        .get()
                        .map(|m| view! { <div class="alert alert-error" role="alert" data-testid="login-error">{m}</div> })
                }}
                <ActionForm action=auth.login attr:class="stack" attr:novalidate=true>
                    <input type="hidden" name="next" prop:value=next />
                    <FieldRow label="Username" id="login-username" error=err("username")>
                        <input
                            id="login-username"
                            name="username"
                            type="text"
                            autocomplete="username"
                            autocapitalize="none"
                            spellcheck="false"
                            required
                            autofocus
                        />
                    </FieldRow>
                    <FieldRow label="Password" id="login-password" error=err("password")>
                        <input id="login-password" name="password" type="password" autocomplete="current-password" required />
                    </FieldRow>
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || auth.login.pending().get()>
                        {move || if auth.login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="hint">
                    "First run? The initial administrator's password is printed once in the server log."
                </p>
            </div>
        </div>
    }
}
