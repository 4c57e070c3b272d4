//! `/hubs`: every hub, and the form to add one.

use super::form::CreateHubForm;
use crate::api::hubs::{CreateHub, HubSummary, list_hubs};
use crate::error::AppError;
use crate::ui::table::{EmptyState, Table};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/hubs`: every hub, and the form to add one.
#[component]
pub fn HubsPage() -> impl IntoView {
    let create = ServerAction::<CreateHub>::new();
    let hubs = Resource::new(move || create.version().get(), |_| list_hubs());
    view! {
        <Title text="Hubs" />
        <div class="page-header">
            <h1>"Hubs"</h1>
            <p class="muted">"Each hub is one JupyterHub Helm release (zero-to-jupyterhub) that Hubfleet manages, with its environment profiles and shared volumes."</p>
        </div>
        <div class="split">
            <section class="panel">
                <h2>"All hubs"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let list = hubs.await?;
                        Ok::<_, AppError>(view! { <HubTable hubs=list /> })
                    })}
                </Transition>
            </section>
            <section class="panel">
                <h2>"New hub"</h2>
                <CreateHubForm create />
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn HubTable(hubs: Vec<HubSummary>) -> impl IntoView {
    if hubs.is_empty() {
        return view! {
            <EmptyState title="No hubs yet" testid="hubs-empty">
                "Create one with the form on this page, or load the example setup with "
                <code>"hubfleet seed --example"</code>
                "."
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <Table testid="hubs-table" columns=&["Release", "Namespace", "Chart", "Driver", "Profiles", "Volumes"]>
            {hubs
                .into_iter()
                .map(|h| {
                    let href = format!("/hubs/{}", h.hub.id);
                    view! {
                        <tr data-hub=h.hub.spec.release_name.clone()>
                            <td>
                                <a href=href><strong>{h.hub.spec.release_name.clone()}</strong></a>
                                {h.hub.spec.ingress_host.clone().map(|host| view! { <div class="hint">{host}</div> })}
                            </td>
                            <td><code>{h.hub.spec.namespace.clone()}</code></td>
                            <td>{h.hub.spec.chart_version.clone()}</td>
                            <td>{h.hub.spec.driver.label()}</td>
                            <td>
                                {h.profiles}
                                {h.default_profile.map(|d| view! { <div class="hint">"default: " {d}</div> })}
                            </td>
                            <td>{h.volumes}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
    .into_any()
}
