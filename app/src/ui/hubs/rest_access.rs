//! The hub page's "Hub API access": the hub's REST API URL and an administrator token with
//! which Hubfleet starts and stops users' servers. The token is stored encrypted and never
//! shown again (only its last 4 characters).

use crate::api::hubs::{
    ClearHubRestAccess, SetHubRestAccess, TestHubRestAccess, get_hub_rest_access,
};
use crate::domain::hub_rest::{HubRestForm, validate_api_url, validate_token};
use crate::error::AppError;
use crate::ui::form::{FieldRow, error_text};
use leptos::prelude::*;

/// Built after hydration: the page around it is rendered inside its loader's Suspend.
#[component]
pub fn HubRestAccessPanel(hub_id: i64) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || mounted.get().then(|| view! { <AccessState hub_id /> })
}

#[component]
fn AccessState(hub_id: i64) -> impl IntoView {
    let set = ServerAction::<SetHubRestAccess>::new();
    let clear = ServerAction::<ClearHubRestAccess>::new();
    let test = ServerAction::<TestHubRestAccess>::new();
    let panel = Resource::new(
        move || (set.version().get(), clear.version().get()),
        move |_| get_hub_rest_access(hub_id),
    );
    let url = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    // The same checks as the server (the default URL only matters there).
    let url_error = Memo::new(move |_| {
        url.with(|u| validate_api_url("api_url", u, "http://default/hub/api").err())
            .map(|e| e.message)
    });
    let token_error = Memo::new(move |_| {
        touched
            .get()
            .then(|| token.with(|t| validate_token("token", t).err()))
            .flatten()
            .map(|e| e.message)
    });
    let server_field = move |name: &'static str| {
        Signal::derive(move || {
            set.value().with(|v| match v {
                Some(Err(AppError::Invalid(e))) => e.get(name).map(str::to_string),
                _ => None,
            })
        })
    };
    let url_shown =
        Signal::derive(move || url_error.get().or_else(|| server_field("api_url").get()));
    let token_shown =
        Signal::derive(move || token_error.get().or_else(|| server_field("token").get()));
    Effect::new(move |_| {
        if matches!(set.value().get(), Some(Ok(_))) {
            token.set(String::new());
            touched.set(false);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if url_error.get_untracked().is_some()
            || token.with_untracked(|t| validate_token("token", t).is_err())
        {
            return;
        }
        set.dispatch(SetHubRestAccess {
            hub_id,
            form: HubRestForm {
                api_url: url.get_untracked(),
                token: token.get_untracked(),
            },
        });
    };
    let banner = move || {
        let failed = |e: &AppError| !matches!(e, AppError::Invalid(_));
        if let Some(Err(e)) = set.value().get().filter(|r| r.as_ref().is_err_and(failed)) {
            return Some(
                view! { <div class="alert alert-error" role="alert">{error_text(&e)}</div> }
                    .into_any(),
            );
        }
        if let Some(r) = test.value().get() {
            return Some(match r {
                Ok(msg) => view! { <div class="alert alert-success" role="status" data-testid="rest-test-ok">{msg}</div> }.into_any(),
                Err(e) => view! { <div class="alert alert-error" role="alert" data-testid="rest-test-failed">{error_text(&e)}</div> }.into_any(),
            });
        }
        None
    };
    view! {
        <section class="panel" data-testid="hub-rest-access">
            <h2>"Hub API access"</h2>
            <p class="muted">
                "With an administrator's API token of this hub, Hubfleet starts and stops users' servers "
                "(administrators on the Servers page, users on My environment). The token is stored "
                "encrypted and never shown again."
            </p>
            {banner}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = panel.await?;
                    let default_url = p.default_url.clone();
                    let state = match &p.access {
                        Some(a) => view! {
                            <p data-testid="rest-access-set">
                                <span class="status status-ok">"Token set"</span>
                                {format!(" (…{}) for {} · by {} at {}", a.token_hint, a.api_url, a.updated_by, a.updated_at)}
                            </p>
                            <div class="form-actions">
                                <button type="button" class="btn btn-small" data-testid="rest-test"
                                    disabled=move || test.pending().get()
                                    on:click=move |_| { test.dispatch(TestHubRestAccess { hub_id }); }>
                                    "Test connection"
                                </button>
                                <button type="button" class="btn btn-small btn-danger"
                                    disabled=move || clear.pending().get()
                                    on:click=move |_| { clear.dispatch(ClearHubRestAccess { hub_id }); }>
                                    "Forget the token"
                                </button>
                            </div>
                        }.into_any(),
                        None => view! {
                            <p class="muted" data-testid="rest-access-unset">
                                "No token yet: nobody can start or stop servers of this hub from Hubfleet."
                            </p>
                        }.into_any(),
                    };
                    let simulated = p.simulated_token.clone().map(|t| view! {
                        <p class="muted">"Simulated cluster: its simulated hubs accept the token " <code data-testid="sim-hub-token">{t}</code> "."</p>
                    });
                    Ok::<_, AppError>(view! {
                        {state}
                        {simulated}
                        <form class="inline-edit" novalidate=true on:submit=submit data-testid="rest-access-form">
                            <FieldRow label="Hub API URL" id="rest-url" hint=format!("Empty: {default_url}") error=url_shown>
                                <input id="rest-url" name="api_url" type="url" autocomplete="off"
                                    placeholder=default_url.clone()
                                    prop:value=move || url.get()
                                    on:input=move |ev| url.set(event_target_value(&ev)) />
                            </FieldRow>
                            <FieldRow label="Administrator API token" id="rest-token"
                                hint="From the hub's Token page (as an admin) or `jupyterhub token`." error=token_shown>
                                <input id="rest-token" name="token" type="password" autocomplete="off"
                                    prop:value=move || token.get()
                                    on:input=move |ev| { token.set(event_target_value(&ev)); touched.set(true); } />
                            </FieldRow>
                            <div class="form-actions">
                                <button type="submit" class="btn btn-primary" disabled=move || set.pending().get()>
                                    {if p.access.is_some() { "Replace token" } else { "Save token" }}
                                </button>
                            </div>
                        </form>
                    })
                })}
            </Transition>
        </section>
    }
}
