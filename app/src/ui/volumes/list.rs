//! `/volumes`: every shared volume of every hub.

use crate::api::volumes::{VolumeListItem, list_volumes};
use crate::error::AppError;
use crate::ui::table::{EmptyState, Table, chips};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/volumes`: every shared volume of every hub.
#[component]
pub fn VolumesPage() -> impl IntoView {
    let volumes = Resource::new(|| (), |_| list_volumes());
    view! {
        <Title text="Shared volumes" />
        <div class="page-header">
            <h1>"Shared volumes"</h1>
            <p class="muted">"PersistentVolumeClaims that profiles mount into every user's server. Each belongs to one hub; add them from the hub's page."</p>
        </div>
        <section class="panel">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = volumes.await?;
                    Ok::<_, AppError>(view! { <VolumeTable volumes=list /> })
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn VolumeTable(volumes: Vec<VolumeListItem>) -> impl IntoView {
    if volumes.is_empty() {
        return view! {
            <EmptyState title="No shared volumes yet" testid="volumes-empty">
                "Open a " <a href="/hubs">"hub"</a> " and choose “New shared volume”, or load the example setup with "
                <code>"hubfleet seed --example"</code> "."
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <Table testid="volumes-table" columns=&["Volume", "Hub", "Claim", "Size", "Access mode", "Storage class", "Mounted by"]>
            {volumes
                .into_iter()
                .map(|item| {
                    let v = item.volume;
                    view! {
                        <tr data-volume=v.spec.name.clone()>
                            <td><a href=format!("/volumes/{}", v.id)><strong>{v.spec.name.clone()}</strong></a></td>
                            <td><a href=format!("/hubs/{}", item.hub.id)>{item.hub.spec.release_name.clone()}</a></td>
                            <td>
                                <code>{format!("{}/{}", v.spec.namespace, v.spec.pvc_name)}</code>
                                <div class="hint">{if v.spec.create_pvc { "created by Hubfleet" } else { "existing claim" }}</div>
                            </td>
                            <td>{v.spec.size.as_ref().map(|s| s.as_str().to_string()).unwrap_or_else(|| "—".into())}</td>
                            <td>{v.spec.access_mode.as_str()}</td>
                            <td>{v.spec.storage_class.clone().unwrap_or_else(|| "cluster default".into())}</td>
                            <td>
                                {chips(item.mounted_by, "not mounted")}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
    .into_any()
}
