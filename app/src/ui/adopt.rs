//! `/cluster/releases/{namespace}/{name}/adopt`: what adopting a Helm release Hubfleet did not
//! create would make of it (the hub, its profiles and shared volumes, the extra values, and
//! notes on what went where), and the button that adopts it with a reason.

use super::deploy::{RequiredReason, field_message};
use super::form::{ErrorBanner, answer_banner};
use super::values::YamlView;
use crate::api::adopt::{AdoptRelease, get_adopt_preview};
use crate::domain::adopt::AdoptPreview;
use crate::domain::deploy::validate_reason;
use crate::domain::hub::HubForm;
use crate::domain::profile::ProfileForm;
use crate::domain::volume::VolumeForm;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

#[component]
pub fn AdoptPage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("namespace").unwrap_or_default(),
                p.get("name").unwrap_or_default(),
            )
        })
    });
    let preview = Resource::new(
        move || key.get(),
        |(namespace, name)| get_adopt_preview(namespace, name),
    );
    let adopt = ServerAction::<AdoptRelease>::new();
    // After adopting, open the new hub.
    Effect::new(move |_| {
        if let Some(Ok(hub)) = adopt.value().get() {
            use_navigate()(&format!("/hubs/{}?adopted=1", hub.id), Default::default());
        }
    });
    view! {
        <Title text=move || key.with(|(_, n)| format!("Adopt {n}")) />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/cluster">"Cluster"</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || key.with(|(ns, n)| format!("Helm release {ns}/{n}"))}</span>
        </nav>
        <Transition fallback=|| view! { <p class="muted">"Reading the release…"</p> }>
            {move || Suspend::new(async move {
                let p = preview.await?;
                Ok::<_, AppError>(view! { <AdoptView p adopt /> })
            })}
        </Transition>
    }
}

#[component]
fn AdoptView(p: AdoptPreview, adopt: ServerAction<AdoptRelease>) -> impl IntoView {
    let AdoptPreview {
        release,
        namespace,
        revision,
        chart,
        app_version,
        status,
        imported,
        extra_values,
    } = p;
    let reason = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let server_reason = Signal::derive(move || adopt.value().with(|v| field_message(v, "reason")));
    let failed = answer_banner(
        adopt.value(),
        &["release_name", "namespace", "chart_version", "form", "hub"],
    );
    let volumes = imported.volumes.clone();
    view! {
        <div class="page-header">
            <h1>{format!("Adopt {release}")}</h1>
            <p class="muted">
                "Helm release " <code>{release.clone()}</code> " in namespace " <code>{namespace.clone()}</code>
                {format!(" · revision {revision} ({status}) · {chart}")}
                {(!app_version.is_empty()).then(|| format!(" · app {app_version}"))}
            </p>
            <p class="lead">
                "Hubfleet did not create this release. Adopting it creates a hub with the profiles and shared volumes below, read from the deployed revision's values; what has no form in Hubfleet is kept as the hub's extra values. "
                <strong>"Nothing changes in the cluster"</strong>
                " until you apply the hub from its deploy page, which first shows the values Hubfleet would send against the deployed ones."
            </p>
        </div>
        <div class="split">
            <div>
                <section class="panel" data-testid="adopt-hub">
                    <h2>"Hub"</h2>
                    <HubSummary hub=imported.hub.clone() />
                </section>
                <section class="panel" data-testid="adopt-profiles">
                    <h2>{format!("Environment profiles ({})", imported.profiles.len())}</h2>
                    {if imported.profiles.is_empty() {
                        view! { <p class="muted">"No profile: users would get the chart's defaults until you add one."</p> }.into_any()
                    } else {
                        imported.profiles.iter().map(|f| view! { <ProfileSummary f=f.clone() volumes=volumes.clone() /> }).collect_view().into_any()
                    }}
                </section>
                <section class="panel" data-testid="adopt-volumes">
                    <h2>{format!("Shared volumes ({})", imported.volumes.len())}</h2>
                    {if imported.volumes.is_empty() {
                        view! { <p class="muted">"None."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table class="table">
                                    <thead><tr><th scope="col">"Claim"</th><th scope="col">"Size"</th><th scope="col">"Access"</th><th scope="col">"Storage class"</th><th scope="col">"Created by"</th></tr></thead>
                                    <tbody>
                                        {imported.volumes.iter().map(|v| view! {
                                            <tr>
                                                <td><code>{v.pvc_name.clone()}</code></td>
                                                <td>{if v.size.trim().is_empty() { "not known".to_string() } else { v.size.clone() }}</td>
                                                <td>{if v.access_mode.is_empty() { "ReadWriteMany".to_string() } else { v.access_mode.clone() }}</td>
                                                <td>{if v.storage_class.is_empty() { "cluster default".to_string() } else { v.storage_class.clone() }}</td>
                                                <td>"exists already (not Hubfleet)"</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }}
                </section>
                <section class="panel">
                    <h2>"Adopt into Hubfleet"</h2>
                    <ActionForm action=adopt attr:class="stack" attr:data-testid="adopt-form">
                        <input type="hidden" name="namespace" value=namespace.clone() />
                        <input type="hidden" name="name" value=release.clone() />
                        <input type="hidden" name="revision" value=revision.to_string() />
                        <RequiredReason id="adopt-reason" reason touched server=server_reason />
                        <ErrorBanner message=failed testid="adopt-error" />
                        <div class="form-footer">
                            <button type="submit" class="btn btn-primary" data-testid="adopt-submit"
                                on:click=move |_| touched.set(true)
                                disabled=move || adopt.pending().get() || validate_reason("reason", &reason.get()).is_err()>
                                "Adopt into Hubfleet"
                            </button>
                            <a class="btn" href="/cluster">"Cancel"</a>
                        </div>
                    </ActionForm>
                </section>
            </div>
            <div>
                <section class="panel" data-testid="adopt-extra">
                    <h2>"Extra values"</h2>
                    {if extra_values.is_empty() {
                        view! { <p class="muted" data-testid="no-extra-values">"None: everything in the release's values has a place in Hubfleet."</p> }.into_any()
                    } else {
                        view! {
                            <p class="muted">"Kept as they are and merged under the values Hubfleet generates; edit them on the hub's page."</p>
                            <YamlView yaml=extra_values.clone() />
                        }.into_any()
                    }}
                </section>
                <section class="panel" data-testid="adopt-notes">
                    <h2>"What goes where"</h2>
                    <Notes title="Imported" items=imported.imported.clone() testid="notes-imported" />
                    <Notes title="Kept as extra values" items=imported.kept.clone() testid="notes-kept" />
                    <Notes title="Not kept: set these again after adopting" items=imported.dropped.clone() testid="notes-dropped" />
                </section>
            </div>
        </div>
    }
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.to_string()
    }
}

#[component]
fn Notes(title: &'static str, items: Vec<String>, testid: &'static str) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <h3 class="subsection">{format!("{title} ({})", items.len())}</h3>
            <ul class="adopt-notes" data-testid=testid>
                {items.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn HubSummary(hub: HubForm) -> impl IntoView {
    let lifetime: Vec<(&str, String)> = [
        ("Idle culling", &hub.cull_enabled),
        ("Remove idle users", &hub.cull_users),
        ("Idle timeout (s)", &hub.cull_timeout),
        ("Check every (s)", &hub.cull_every),
        ("Maximum age (s)", &hub.cull_max_age),
        ("Start timeout (s)", &hub.start_timeout),
        ("HTTP timeout (s)", &hub.http_timeout),
        ("Starting at once", &hub.concurrent_spawn_limit),
        ("Running at once", &hub.active_server_limit),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k, v.clone()))
    .collect();
    view! {
        <dl class="facts">
            <dt>"Release"</dt><dd><code>{hub.release_name}</code></dd>
            <dt>"Namespace"</dt><dd><code>{hub.namespace}</code></dd>
            <dt>"Chart version"</dt><dd>{hub.chart_version}</dd>
            <dt>"Ingress host"</dt><dd>{if hub.ingress_host.is_empty() { "none".to_string() } else { hub.ingress_host }}</dd>
            <dt>"Driver"</dt><dd>"Helm in a Job (change it on the hub's page)"</dd>
            {lifetime.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
        </dl>
    }
}

#[component]
fn ProfileSummary(f: ProfileForm, volumes: Vec<VolumeForm>) -> impl IntoView {
    let resources = [
        ("CPU", &f.cpu_guarantee, &f.cpu_limit),
        ("memory", &f.mem_guarantee, &f.mem_limit),
    ]
    .iter()
    .filter(|(_, g, l)| !g.is_empty() || !l.is_empty())
    .map(|(what, g, l)| format!("{what} {} / {}", or_dash(g), or_dash(l)))
    .collect::<Vec<_>>()
    .join(", ");
    let mounts: Vec<String> = f
        .mounts
        .iter()
        .map(|m| {
            let claim = m
                .volume_id
                .parse::<usize>()
                .ok()
                .and_then(|i| volumes.get(i.wrapping_sub(1)))
                .map_or_else(|| "?".to_string(), |v| v.pvc_name.clone());
            format!(
                "{claim} at {}{}",
                m.mount_path,
                if m.read_only == "on" {
                    " (read-only)"
                } else {
                    ""
                }
            )
        })
        .collect();
    let home = format!(
        "{} at {}{}",
        f.home_capacity,
        if f.home_mount_path.is_empty() {
            "/home/jovyan"
        } else {
            &f.home_mount_path
        },
        if f.home_storage_class.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.home_storage_class)
        }
    );
    view! {
        <div class="adopt-profile" data-testid="adopt-profile" data-slug=f.slug.clone()>
            <h3 class="subsection">
                {f.display_name.clone()}
                " " <span class="muted">"(slug " <code>{f.slug.clone()}</code> ")"</span>
                {(f.is_default == "on").then(|| view! { " " <span class="badge">"default profile"</span> })}
            </h3>
            {(!f.description.is_empty()).then(|| view! { <p class="muted">{f.description.clone()}</p> })}
            <dl class="facts">
                <dt>"Image"</dt><dd><code>{format!("{}:{}", f.image_name, f.image_tag)}</code></dd>
                <dt>"Resources (guarantee / limit)"</dt><dd>{if resources.is_empty() { "chart defaults".to_string() } else { resources }}</dd>
                <dt>"Home volume"</dt><dd>{home}</dd>
                <dt>"Shared volumes"</dt><dd>{if mounts.is_empty() { "none".to_string() } else { mounts.join(", ") }}</dd>
                {(!f.env.is_empty()).then(|| view! { <dt>"Environment"</dt><dd>{f.env.iter().map(|e| e.name.clone()).collect::<Vec<_>>().join(", ")}</dd> })}
                {(!f.node_selector.is_empty()).then(|| view! { <dt>"Node selector"</dt><dd>{f.node_selector.iter().map(|l| format!("{}={}", l.key, l.value)).collect::<Vec<_>>().join(", ")}</dd> })}
                {(!f.extra_resources.is_empty()).then(|| view! { <dt>"Extra resources"</dt><dd>{f.extra_resources.iter().map(|r| format!("{} {}", r.name, r.limit)).collect::<Vec<_>>().join(", ")}</dd> })}
                {(!f.tolerations.is_empty()).then(|| view! { <dt>"Tolerations"</dt><dd>{f.tolerations.iter().map(|t| t.key.clone()).collect::<Vec<_>>().join(", ")}</dd> })}
            </dl>
        </div>
    }
}
