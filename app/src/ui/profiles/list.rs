//! `/profiles`: every profile of every hub; the resources and status texts the hub page
//! shows too.

use crate::api::profiles::{ProfileListItem, list_profiles};
use crate::domain::profile::Profile;
use crate::error::AppError;
use crate::ui::table::{EmptyState, Table, chips};
use crate::ui::text::breakable;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/profiles`: every profile of every hub.
#[component]
pub fn ProfilesPage() -> impl IntoView {
    let profiles = Resource::new(|| (), |_| list_profiles());
    view! {
        <Title text="Profiles" />
        <div class="page-header">
            <h1>"Environment profiles"</h1>
            <p class="muted">"The environments users choose from when they start a server: image, CPU and memory, storage and shared volumes. Each belongs to one hub; add them from the hub's page."</p>
        </div>
        <section class="panel">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = profiles.await?;
                    Ok::<_, AppError>(view! { <ProfileTable profiles=list /> })
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn ProfileTable(profiles: Vec<ProfileListItem>) -> impl IntoView {
    if profiles.is_empty() {
        return view! {
            <EmptyState title="No profiles yet" testid="profiles-empty">
                "Open a " <a href="/hubs">"hub"</a> " and choose “New profile”, or load the example setup with "
                <code>"hubfleet seed --example"</code> "."
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <Table testid="profiles-table" columns=&["Profile", "Hub", "Image", "Resources", "Groups", "Status"]>
            {profiles
                .into_iter()
                .map(|item| {
                    let p = item.profile;
                    let names: Vec<(i64, String)> = item
                        .replaced_by
                        .clone()
                        .zip(p.spec.replaced_by)
                        .map(|(n, id)| vec![(id, n)])
                        .unwrap_or_default();
                    view! {
                        <tr data-profile=p.spec.display_name.clone()>
                            <td>
                                <a href=format!("/profiles/{}", p.id)><strong>{p.spec.display_name.clone()}</strong></a>
                                <div class="hint"><code>{p.spec.slug.clone()}</code></div>
                            </td>
                            <td><a href=format!("/hubs/{}", item.hub.id)>{item.hub.spec.release_name.clone()}</a></td>
                            <td class="mono-cell">{breakable(&p.spec.image.reference())}</td>
                            <td class="nowrap">{resources_text(&p)}</td>
                            <td>
                                {chips(p.spec.allowed_groups.clone(), "everyone")}
                            </td>
                            <td>{profile_status(&p, &names)}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
    .into_any()
}

/// "CPU 0.5–1.5 · memory 1G–3G" for tables.
pub fn resources_text(p: &Profile) -> String {
    let range = |g: Option<String>, l: Option<String>| match (g, l) {
        (Some(g), Some(l)) => format!("{g}–{l}"),
        (None, Some(l)) => format!("≤ {l}"),
        (Some(g), None) => format!("≥ {g}"),
        (None, None) => "any".into(),
    };
    let s = &p.spec;
    format!(
        "CPU {} · memory {}",
        range(
            s.cpu_guarantee.map(crate::domain::quantity::format_cores),
            s.cpu_limit.map(crate::domain::quantity::format_cores)
        ),
        range(
            s.mem_guarantee.as_ref().map(|m| m.as_str().to_string()),
            s.mem_limit.as_ref().map(|m| m.as_str().to_string())
        )
    )
}

/// Default / deprecated / available badge.
pub fn profile_status(p: &Profile, names: &[(i64, String)]) -> AnyView {
    if let Some(r) = p.spec.replaced_by {
        let to = names
            .iter()
            .find(|(id, _)| *id == r)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{r}"));
        view! {
            <span class="status status-warn">"Deprecated"</span>
            <div class="hint">"→ " <a href=format!("/profiles/{r}")>{to}</a></div>
        }
        .into_any()
    } else if p.spec.is_default {
        view! { <span class="status status-ok">"Default"</span> }.into_any()
    } else {
        view! { <span class="status status-neutral">"Available"</span> }.into_any()
    }
}
