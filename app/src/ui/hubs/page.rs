//! `/hubs/{id}`: one hub with its edit form, its profiles and its shared volumes.

use super::form::{DeleteHubPanel, EditHubForm};
use super::rest_access::HubRestAccessPanel;
use crate::api::hubs::HubDetail;
use crate::domain::profile::Profile;
use crate::domain::volume::SharedVolume;
use crate::ui::profiles::{profile_status, resources_text};
use crate::ui::table::{EmptyState, Table, chips};
use crate::ui::text::breakable;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/hubs/{id}`: edit the hub; its profiles and shared volumes.
#[component]
pub fn HubView(detail: HubDetail) -> impl IntoView {
    let HubDetail {
        hub,
        profiles,
        volumes,
    } = detail;
    let hub_id = hub.id;
    let saved = RwSignal::new(hub);
    let query = use_query_map();
    let created = query.with_untracked(|q| q.get("created").is_some());
    let adopted = query.with_untracked(|q| q.get("adopted").is_some());
    let empty = profiles.is_empty() && volumes.is_empty();
    view! {
        <Title text=move || saved.with(|h| format!("Hub {}", h.spec.release_name)) />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/hubs">"Hubs"</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || saved.with(|h| h.spec.release_name.clone())}</span>
        </nav>
        <div class="page-header page-header-row">
            <div>
                <h1>{move || saved.with(|h| h.spec.release_name.clone())}</h1>
                <p class="muted">
                    "Namespace " <code>{move || saved.with(|h| h.spec.namespace.clone())}</code>
                    " · chart " {move || saved.with(|h| h.spec.chart_version.clone())}
                    " · " {move || saved.with(|h| h.spec.driver.label())}
                </p>
            </div>
            <div class="header-actions">
                <a class="btn" href=format!("/hubs/{hub_id}/values") data-testid="values-link">"Values (config.yaml)"</a>
                <a class="btn" href=format!("/hubs/{hub_id}/deploy") data-testid="deploy-link">"Deploy"</a>
                <a class="btn" href=format!("/hubs/{hub_id}/volumes/new")>"+ New shared volume"</a>
                <a class="btn btn-primary" href=format!("/hubs/{hub_id}/profiles/new")>"+ New profile"</a>
            </div>
        </div>
        {adopted.then(|| view! {
            <div class="alert alert-success" role="status" data-testid="adopted">
                "Release adopted: Hubfleet now manages it. Nothing changed in the cluster yet. Next: open "
                <a href=format!("/hubs/{hub_id}/deploy")>"Deploy"</a>
                " to compare the values Hubfleet generates with the deployed ones before applying."
            </div>
        })}
        {created.then(|| view! {
            <div class="alert alert-success" role="status" data-testid="saved">
                "Hub created. Next: add the shared volumes its profiles mount, then the environment profiles users choose from."
            </div>
        })}
        <div class="split">
            <div>
                <section class="panel">
                    <div class="panel-head">
                        <h2>"Environment profiles"</h2>
                        <a class="btn btn-small" href=format!("/hubs/{hub_id}/profiles/new")>"+ New profile"</a>
                    </div>
                    <HubProfiles profiles hub_id volumes=volumes.clone() />
                </section>
                <section class="panel">
                    <div class="panel-head">
                        <h2>"Shared volumes"</h2>
                        <a class="btn btn-small" href=format!("/hubs/{hub_id}/volumes/new")>"+ New shared volume"</a>
                    </div>
                    <HubVolumes volumes hub_id />
                </section>
            </div>
            <div>
                <section class="panel">
                    <h2>"Hub settings"</h2>
                    <EditHubForm saved />
                </section>
                <HubRestAccessPanel hub_id />
                {empty.then(|| view! { <DeleteHubPanel saved /> })}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn HubProfiles(profiles: Vec<Profile>, hub_id: i64, volumes: Vec<SharedVolume>) -> impl IntoView {
    if profiles.is_empty() {
        return view! {
            <EmptyState title="No profiles yet" small=true>
                "Users of this hub have nothing to choose from. "
                <a href=format!("/hubs/{hub_id}/profiles/new")>"Create the first profile"</a>
                " (add shared volumes first if it should mount any)."
            </EmptyState>
        }
        .into_any();
    }
    let names: Vec<(i64, String)> = profiles
        .iter()
        .map(|p| (p.id, p.spec.display_name.clone()))
        .collect();
    view! {
        <Table testid="hub-profiles" columns=&["Profile", "Resources", "Mounts", "Status"]>
            {profiles
                .into_iter()
                .map(|p| {
                    let mounts: Vec<String> = p
                        .spec
                        .mounts
                        .iter()
                        .map(|m| {
                            let v = volumes
                                .iter()
                                .find(|v| v.id == m.volume_id)
                                .map(|v| v.spec.name.clone())
                                .unwrap_or_else(|| format!("#{}", m.volume_id));
                            format!("{v} → {}", m.mount_path)
                        })
                        .collect();
                    view! {
                        <tr>
                            <td>
                                <a href=format!("/profiles/{}", p.id)><strong>{p.spec.display_name.clone()}</strong></a>
                                <div class="hint mono-cell">{breakable(&p.spec.image.reference())}</div>
                            </td>
                            <td class="nowrap">{resources_text(&p)}</td>
                            <td>{chips(mounts, "—")}</td>
                            <td>{profile_status(&p, &names)}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
    .into_any()
}

#[component]
fn HubVolumes(volumes: Vec<SharedVolume>, hub_id: i64) -> impl IntoView {
    if volumes.is_empty() {
        return view! {
            <EmptyState title="No shared volumes" small=true>
                "A shared volume is a PersistentVolumeClaim mounted into every user's server, e.g. course data. "
                <a href=format!("/hubs/{hub_id}/volumes/new")>"Add one"</a>
                " if your profiles need it."
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <Table testid="hub-volumes" columns=&["Volume", "Claim", "Size", "Access", "Storage class"]>
            {volumes
                .into_iter()
                .map(|v| {
                    view! {
                        <tr>
                            <td><a href=format!("/volumes/{}", v.id)><strong>{v.spec.name.clone()}</strong></a></td>
                            <td>
                                <code>{v.spec.pvc_name.clone()}</code>
                                <div class="hint">{if v.spec.create_pvc { "created by Hubfleet" } else { "existing claim" }}</div>
                            </td>
                            <td>{v.spec.size.as_ref().map(|s| s.as_str().to_string()).unwrap_or_else(|| "—".into())}</td>
                            <td>{v.spec.access_mode.as_str()}</td>
                            <td>{v.spec.storage_class.clone().unwrap_or_else(|| "cluster default".into())}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
    .into_any()
}

/// "Hubs / {hub} / {here}" above a page of one of the hub's records.
#[component]
pub fn HubCrumbs(
    hub_id: i64,
    hub_name: String,
    #[prop(into)] here: Signal<String>,
) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/hubs">"Hubs"</a>
            <span aria-hidden="true">" / "</span>
            <a href=format!("/hubs/{hub_id}")>{hub_name}</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || here.get()}</span>
        </nav>
    }
    .into_any()
}
