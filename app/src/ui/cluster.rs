//! The cluster connection: the banner shown on every signed-in page, and the Cluster page
//! (server version, Helm drivers, nodes, storage classes, the portal's permissions).

use crate::api::cluster::{get_cluster_banner, get_cluster_overview};
use crate::domain::cluster::{ClusterOverview, ClusterStatus};
use crate::domain::fit::cores_text;
use leptos::prelude::*;
use leptos_meta::Title;

fn short_time(t: &str) -> String {
    t.replace('T', " ").chars().take(19).collect()
}

fn gib(bytes: u64) -> String {
    // Display only: precision loss beyond 2^53 bytes does not matter here.
    #[allow(clippy::cast_precision_loss)]
    let g = bytes as f64 / 1024.0 / 1024.0 / 1024.0;
    format!("{g:.1} GiB")
}

/// The strip under the top bar: simulated cluster, or the cluster is unreachable.
#[component]
pub fn ClusterBannerView() -> impl IntoView {
    let banner = Resource::new(|| (), |_| get_cluster_banner());
    // Keep the banner current while the page stays open.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let _ =
            set_interval_with_handle(move || banner.refetch(), std::time::Duration::from_secs(15));
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(b) = banner.await else { return ().into_any() };
                let unreachable = match &b.status {
                    ClusterStatus::Unreachable { since, last_error } => Some(format!(
                        "Cluster unreachable since {} ({last_error}). Showing the last known state{}; changes that need the cluster are disabled.",
                        short_time(since),
                        b.last_seen.as_deref().map(|t| format!(" from {}", short_time(t))).unwrap_or_default(),
                    )),
                    _ => None,
                };
                view! {
                    {unreachable.map(|m| view! { <div class="banner banner-error" role="alert" data-testid="cluster-unreachable">{m}</div> })}
                    {b.simulated.then(|| view! {
                        <div class="banner banner-sim" data-testid="simulated-banner">
                            <strong>"Simulated cluster"</strong>
                            " — no kubeconfig was found, so Hubfleet runs against its built-in stand-in. Nothing you do here touches a real cluster."
                        </div>
                    })}
                }.into_any()
            })}
        </Transition>
    }
}

#[component]
pub fn ClusterPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let data = Resource::new(move || refresh.get(), |n| get_cluster_overview(n > 0));
    view! {
        <Title text="Cluster" />
        <div class="page-header page-header-row">
            <div>
                <h1>"Cluster"</h1>
                <p class="muted">"What the Kubernetes API server tells Hubfleet, and what Hubfleet may do there."</p>
            </div>
            <button class="btn" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (status, overview) = data.await?;
                Ok::<_, crate::error::AppError>(view! { <Overview status overview /> })
            })}
        </Transition>
        <Releases refresh />
    }
}

/// `helm ls --all -A`: every release in the watched namespaces, linked to its hub's deploy
/// page when Hubfleet manages it.
#[component]
fn Releases(refresh: RwSignal<u32>) -> impl IntoView {
    let data = Resource::new(
        move || refresh.get(),
        |_| crate::api::deploy::list_releases(),
    );
    view! {
        <section class="panel" data-testid="releases-panel">
            <h2>"Helm releases"</h2>
            <p class="muted">"Read from the releases' Secrets, whoever installed them (helm ls --all -A). Releases no hub in Hubfleet manages are read-only until adopted: Adopt… shows what they would become."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (rows, note) = match data.await {
                        Ok(list) => (list.rows, list.note),
                        Err(e) => return view! { <p class="muted">{e.to_string()}</p> }.into_any(),
                    };
                    if let Some(note) = note {
                        return view! { <p class="muted">{note}</p> }.into_any();
                    }
                    if rows.is_empty() {
                        return view! { <p class="muted" data-testid="no-releases">"No Helm release in the watched namespaces."</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="table" data-testid="releases">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Namespace"</th>
                                        <th scope="col">"Revision"</th>
                                        <th scope="col">"Updated"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Chart"</th>
                                        <th scope="col">"App version"</th>
                                        <th scope="col">"Managed by"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows.into_iter().map(|r| view! {
                                        <tr data-release=r.name.clone()>
                                            <td>{r.name.clone()}</td>
                                            <td>{r.namespace.clone()}</td>
                                            <td>{r.latest.revision.to_string()}</td>
                                            <td class="nowrap">{super::text::short_time(&r.latest.updated)}</td>
                                            <td>{r.latest.status.as_str()}</td>
                                            <td class="nowrap">{r.latest.chart}</td>
                                            <td>{r.latest.app_version}</td>
                                            <td>{match r.hub_id {
                                                Some(id) => view! { <a href=format!("/hubs/{id}/deploy")>"Hubfleet (deploy page)"</a> }.into_any(),
                                                None => view! {
                                                    <span class="muted">"Not managed"</span>
                                                    " · "
                                                    <a href=crate::domain::adopt::adopt_path(&r.namespace, &r.name) data-testid="adopt-link">"Adopt…"</a>
                                                }.into_any(),
                                            }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Overview(status: ClusterStatus, overview: ClusterOverview) -> impl IntoView {
    let status_class = match status {
        ClusterStatus::Connected { .. } => "status status-ok",
        ClusterStatus::Connecting => "status status-warn",
        ClusterStatus::Unreachable { .. } => "status status-bad",
    };
    let version = overview
        .server_version
        .as_ref()
        .map(|v| v.git_version.clone())
        .unwrap_or_else(|| "unknown".into());
    let flux_release = overview.served_label(|d| d.flux_helm_release);
    let flux_repository = overview.served_label(|d| d.flux_helm_repository);
    let k3s_chart = overview.served_label(|d| d.k3s_helm_chart);
    view! {
        <div class="cards">
            <div class="card stat">
                <span class=status_class data-testid="cluster-status">{status.label()}</span>
                <span class="stat-label">{overview.source.label()}</span>
            </div>
            <div class="card stat">
                <span class="stat-value">{version}</span>
                <span class="stat-label">"Kubernetes version"</span>
            </div>
            <div class="card stat">
                <span class="stat-value">{overview.nodes.len()}</span>
                <span class="stat-label">"Nodes"</span>
            </div>
            <div class="card stat">
                <span class="stat-value">{overview.storage_classes.len()}</span>
                <span class="stat-label">"Storage classes"</span>
            </div>
        </div>
        {(!overview.warnings.is_empty()).then(|| view! {
            <div class="alert alert-error" role="alert">
                <ul>{overview.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}</ul>
            </div>
        })}
        <section class="panel">
            <h2>"Ways to install hubs"</h2>
            <table class="table">
                <tbody>
                    <tr><td>"Job running Helm"</td><td>"always available"</td></tr>
                    <tr><td><code>"helm.toolkit.fluxcd.io/v2"</code>" HelmRelease (Flux)"</td><td>{flux_release}</td></tr>
                    <tr><td><code>"source.toolkit.fluxcd.io/v1"</code>" HelmRepository (Flux)"</td><td>{flux_repository}</td></tr>
                    <tr><td><code>"helm.cattle.io/v1"</code>" HelmChart (k3s / RKE2)"</td><td>{k3s_chart}</td></tr>
                </tbody>
            </table>
        </section>
        <section class="panel">
            <h2>"Nodes"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="nodes-table">
                    <thead><tr><th>"Name"</th><th>"Allocatable CPU"</th><th>"Allocatable memory"</th><th>"Ready"</th><th>"Schedulable"</th></tr></thead>
                    <tbody>
                        {overview.nodes.iter().map(|n| view! {
                            <tr>
                                <td>{n.name.clone()}</td>
                                <td>{cores_text(n.cpu_millis)}" cores"</td>
                                <td>{gib(n.memory_bytes)}</td>
                                <td>{if n.ready { "yes" } else { "no" }}</td>
                                <td>{if n.schedulable { "yes" } else { "cordoned" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="panel">
            <h2>"Storage classes"</h2>
            <div class="table-wrap">
                <table class="table">
                    <thead><tr><th>"Name"</th><th>"Provisioner"</th><th>"Volume expansion"</th><th>"Default"</th></tr></thead>
                    <tbody>
                        {overview.storage_classes.iter().map(|s| view! {
                            <tr>
                                <td>{s.name.clone()}</td>
                                <td><code>{s.provisioner.clone()}</code></td>
                                <td>{if s.allow_volume_expansion { "allowed" } else { "not allowed" }}</td>
                                <td>{if s.is_default { "default" } else { "" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="panel">
            <h2>"Hubfleet's permissions"</h2>
            {(!overview.cluster_permissions.is_empty()).then(|| {
                let all = &overview.cluster_permissions;
                let denied: Vec<String> = all.iter().filter(|r| !r.allowed).map(|r| r.check.label()).collect();
                view! {
                    <p data-testid="cluster-permissions">
                        <strong>"Cluster-wide: "</strong>
                        {if denied.is_empty() {
                            format!("all {} checked actions allowed", all.len())
                        } else {
                            format!("missing: {} (nodes, volume usage or storage classes stay unknown)", denied.join(", "))
                        }}
                    </p>
                }
            })}
            {overview.permissions.iter().map(|ns| {
                let denied: Vec<String> = ns.results.iter().filter(|r| !r.allowed).map(|r| r.check.label()).collect();
                view! {
                    <p>
                        <strong>{format!("Namespace {}: ", ns.namespace)}</strong>
                        {if denied.is_empty() {
                            format!("all {} checked actions allowed", ns.results.len())
                        } else {
                            format!("missing: {}", denied.join(", "))
                        }}
                        {ns.incomplete.then_some(" (check incomplete)")}
                    </p>
                }
            }).collect_view()}
            <p class="hint">{format!("API server {} · discovered {} · last answer {}",
                overview.api_server,
                overview.discovered_at.as_deref().map(short_time).unwrap_or_else(|| "never".into()),
                overview.last_seen.as_deref().map(short_time).unwrap_or_else(|| "never".into()))}</p>
        </section>
    }
}
