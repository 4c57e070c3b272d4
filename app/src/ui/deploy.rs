//! `/hubs/{id}/deploy`: a hub's Helm release through the Kubernetes API. What is deployed
//! (the `helm history` of its release Secrets), the hub's values against the deployed ones
//! with the impact of applying them, the apply form (reason required), the running
//! operation's live log, rollback to a chosen revision, the values diff of any revision
//! against the deployed one, the recent operations and the uninstall.

use super::diff::{Hunks, LayoutToggle};
use super::form::{ErrorBanner, FieldRow, answer_banner};
use super::table::EmptyState;
use super::text::short_time;
use crate::api::deploy::{
    ApplyRelease, RollbackRelease, UninstallRelease, get_deploy_page, get_operation,
    get_revision_diff,
};
use crate::domain::cluster::ReleaseStatus;
use crate::domain::deploy::{
    ApplyPlan, DeployPage, Impact, Operation, OperationStatus, RevisionRow, validate_reason,
    validate_uninstall_confirmation,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn release_tone(s: &ReleaseStatus) -> &'static str {
    match s {
        ReleaseStatus::Deployed => "status status-ok",
        ReleaseStatus::Failed => "status status-bad",
        ReleaseStatus::Superseded | ReleaseStatus::Uninstalled => "status status-neutral",
        _ => "status status-warn",
    }
}

fn operation_tone(s: OperationStatus) -> &'static str {
    match s {
        OperationStatus::Running => "status status-warn",
        OperationStatus::Succeeded => "status status-ok",
        OperationStatus::Failed | OperationStatus::Interrupted => "status status-bad",
    }
}

fn list(names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// The actions of the page, created once outside the Suspense.
#[derive(Clone, Copy)]
struct Actions {
    apply: ServerAction<ApplyRelease>,
    rollback: ServerAction<RollbackRelease>,
    uninstall: ServerAction<UninstallRelease>,
    /// Bumped when a followed operation ends, to read the page again.
    ended: RwSignal<u32>,
}

#[component]
pub fn DeployPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let actions = Actions {
        apply: ServerAction::<ApplyRelease>::new(),
        rollback: ServerAction::<RollbackRelease>::new(),
        uninstall: ServerAction::<UninstallRelease>::new(),
        ended: RwSignal::new(0),
    };
    let page = Resource::new(
        move || {
            (
                id.get(),
                actions.apply.version().get(),
                actions.rollback.version().get(),
                actions.uninstall.version().get(),
                actions.ended.get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_deploy_page(id).await,
                None => Err(AppError::NotFound("This hub".into())),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Reading the release…"</p> }>
            {move || Suspend::new(async move {
                let p = page.await?;
                Ok::<_, AppError>(view! { <DeployView page=p actions /> })
            })}
        </Transition>
    }
}

#[component]
fn DeployView(page: DeployPage, actions: Actions) -> impl IntoView {
    let DeployPage {
        hub_id,
        release_name,
        namespace,
        driver,
        chart_version,
        current,
        history,
        plan,
        running,
        operations,
        cluster_note,
    } = page;
    let title = format!("Deploy {release_name}");
    let deployed_rev = history
        .iter()
        .find(|r| r.status == ReleaseStatus::Deployed)
        .map(|r| r.revision);
    let exists = current
        .as_ref()
        .is_some_and(|c| c.status != ReleaseStatus::Uninstalled);
    let can_act = plan.blocked.is_none();
    let state = match &current {
        Some(c) => view! {
            <span class=release_tone(&c.status) data-testid="release-status">{c.status.as_str()}</span>
            <span>{format!(" revision {} · {} · app {}", c.revision, c.chart, c.app_version)}</span>
            <span class="muted">{format!(" · updated {}", short_time(&c.updated))}</span>
        }
        .into_any(),
        None => view! { <span class="status status-neutral" data-testid="release-status">"not installed"</span> }.into_any(),
    };
    view! {
        <Title text=title.clone() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/hubs">"Hubs"</a>
            <span aria-hidden="true">" / "</span>
            <a href=format!("/hubs/{hub_id}")>{release_name.clone()}</a>
            <span aria-hidden="true">" / "</span>
            <span>"Deploy"</span>
        </nav>
        <div class="page-header">
            <h1>{title}</h1>
            <p class="muted">
                {format!(
                    "Helm release {release_name} in namespace {namespace}, chart jupyterhub {chart_version}, applied through the Kubernetes API (driver: {}). ",
                    crate::domain::hub::Driver::parse("driver", &driver).map_or(driver.as_str(), |d| d.label())
                )}
                <a href=format!("/hubs/{hub_id}/values")>"Values page"</a>
            </p>
        </div>
        {cluster_note.map(|n| view! { <div class="alert alert-warning" role="status">{n}</div> })}
        <section class="panel" data-testid="release-panel">
            <h2>"Release"</h2>
            <p>{state}</p>
        </section>
        {running.map(|op| view! { <LiveOperation op ended=actions.ended /> })}
        <ApplyPanel hub_id plan exists actions />
        <HistoryPanel hub_id history deployed_rev can_act actions />
        <OperationsPanel operations />
        {exists.then(|| view! { <UninstallPanel hub_id release_name can_act actions /> })}
    }
}

/// One operation: what, by whom, why, the outcome and the log.
#[component]
fn OperationCard(#[prop(into)] op: Signal<Operation>) -> impl IntoView {
    view! {
        <div class="operation" data-testid="operation">
            <p>
                <strong>{move || op.with(|o| format!("{} #{}", o.kind.label(), o.id))}</strong>
                " "
                <span class=move || op.with(|o| operation_tone(o.status)) data-testid="operation-status">
                    {move || op.with(|o| o.status.as_str().to_string())}
                </span>
                <span class="muted">{move || op.with(|o| format!(" by {} at {} · {}", o.actor, short_time(&o.created_at), o.driver_object))}</span>
            </p>
            <p class="muted">{move || op.with(|o| format!("Reason: {}", o.reason))}</p>
            {move || op.with(|o| (!o.message.is_empty()).then(|| view! { <p data-testid="operation-message">{o.message.clone()}</p> }))}
            {move || op.with(|o| (!o.log.is_empty()).then(|| view! {
                <pre class="operation-log" data-testid="operation-log">{o.log.join("\n")}</pre>
            }))}
        </div>
    }
}

/// The running operation, followed through its server-sent events until it ends (then the
/// page reloads its data: history, plan, operations).
#[component]
fn LiveOperation(op: Operation, ended: RwSignal<u32>) -> impl IntoView {
    let current = RwSignal::new(op);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| follow_operation(current, ended));
    #[cfg(not(feature = "hydrate"))]
    let _ = (ended, get_operation);
    view! {
        <section class="panel" aria-live="polite" data-testid="running-operation">
            <h2>"In progress"</h2>
            <OperationCard op=current />
        </section>
    }
}

/// Shows each version of the operation its event stream sends; after the finished one, closes
/// the stream and bumps `ended`. When the stream errs (the browser then reconnects by itself),
/// reads the operation once, so a missed end is still seen.
#[cfg(feature = "hydrate")]
fn follow_operation(current: RwSignal<Operation>, ended: RwSignal<u32>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let id = current.with_untracked(|o| o.id);
    let Ok(source) = web_sys::EventSource::new(&crate::domain::deploy::operation_events_url(id))
    else {
        return;
    };
    let show = move |o: Operation, source: &web_sys::EventSource| {
        let finished = o.status.is_finished();
        current.set(o);
        if finished {
            source.close();
            ended.update(|n| *n = n.wrapping_add(1));
        }
    };
    let on_event = {
        let source = source.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let op = e
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<Operation>(&text).ok());
            if let Some(o) = op {
                show(o, &source);
            }
        })
    };
    let on_error = {
        let source = source.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let source = source.clone();
            leptos::task::spawn_local(async move {
                if let Ok(o) = get_operation(id).await {
                    show(o, &source);
                }
            });
        })
    };
    let _ = source.add_event_listener_with_callback("operation", on_event.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    let kept = StoredValue::new_local((source, on_event, on_error));
    on_cleanup(move || kept.with_value(|(source, ..)| source.close()));
}

#[component]
fn ImpactList(impact: Impact, unchanged: bool) -> impl IntoView {
    let Impact {
        install,
        running_users,
        changed_profiles,
        affected_users,
        created_volumes,
        missing_volumes,
    } = impact;
    let mut items: Vec<String> = Vec::new();
    if install {
        items.push("Installs the release: the hub and its proxy start; users' servers start as they log in.".into());
    } else if !unchanged {
        items.push("The hub pod restarts: sign-ins pause for about a minute. Running servers keep running.".into());
    }
    if !install && !unchanged {
        items.push(if running_users.is_empty() {
            "No user has a server running now.".into()
        } else {
            format!(
                "{} user(s) have a server running ({}): they keep their current settings until they restart their server.",
                running_users.len(),
                list(&running_users)
            )
        });
    }
    if !changed_profiles.is_empty() {
        items.push(format!(
            "Profiles added, changed or removed: {}.",
            list(&changed_profiles)
        ));
    }
    if !affected_users.is_empty() {
        items.push(format!(
            "Running on a changed profile: {} (their next start uses the new settings).",
            list(&affected_users)
        ));
    }
    if !created_volumes.is_empty() {
        items.push(format!(
            "Shared volumes created before the release (Hubfleet manages them): {}.",
            list(&created_volumes)
        ));
    }
    if !missing_volumes.is_empty() {
        items.push(format!(
            "Existing shared volumes not found in the cluster: {}. Servers that mount them stay pending until someone creates them.",
            list(&missing_volumes)
        ));
    }
    view! {
        <ul class="impact" data-testid="impact">
            {items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
        </ul>
    }
}

/// A required reason, checked as typed by the same rule the server applies.
#[component]
pub(super) fn RequiredReason(
    id: &'static str,
    reason: RwSignal<String>,
    touched: RwSignal<bool>,
    /// The server's message for the field, if any.
    #[prop(into)]
    server: Signal<Option<String>>,
) -> impl IntoView {
    let error = Signal::derive(move || {
        if touched.get() {
            validate_reason("reason", &reason.get())
                .err()
                .map(|e| e.message)
                .or_else(|| server.get())
        } else {
            server.get()
        }
    });
    view! {
        <FieldRow label="Reason" id=id hint="Required; kept in the audit trail with the operation." error=error>
            <input id=id name="reason" type="text" autocomplete="off" required=true
                prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev))
                on:blur=move |_| touched.set(true) />
        </FieldRow>
    }
}

pub(super) fn field_message<T>(value: &Option<Result<T, AppError>>, field: &str) -> Option<String> {
    match value {
        Some(Err(AppError::Invalid(e))) => e.get(field).map(str::to_string),
        _ => None,
    }
}

#[component]
fn ApplyPanel(hub_id: i64, plan: ApplyPlan, exists: bool, actions: Actions) -> impl IntoView {
    let ApplyPlan {
        digest,
        errors,
        diff,
        added,
        removed,
        unchanged,
        impact,
        blocked,
    } = plan;
    let apply = actions.apply;
    let reason = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let side = RwSignal::new(false);
    let server_reason = Signal::derive(move || apply.value().with(|v| field_message(v, "reason")));
    // Field errors shown by no input (the values' problems) go into the banner.
    let failed = answer_banner(apply.value(), &["values"]);
    let valid = errors.is_empty();
    let verb = if exists { "Apply upgrade" } else { "Install" };
    let ready = blocked.is_none() && valid && !unchanged;
    view! {
        <section class="panel" data-testid="apply-panel">
            <h2>{if exists { "Apply the hub's values" } else { "Install the hub" }}</h2>
            {blocked.map(|b| view! { <div class="alert alert-warning" role="status" data-testid="apply-blocked">{b}</div> })}
            {(!valid).then(|| view! {
                <div class="alert alert-error" role="alert" data-testid="apply-errors">
                    <strong>"The values have problems; fix them before applying: "</strong>
                    <ul>{errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                    <a href=format!("/hubs/{hub_id}/values")>"Open the values page"</a>
                </div>
            })}
            {if unchanged {
                view! { <p data-testid="apply-unchanged">"The deployed revision has exactly these values: nothing to apply."</p> }.into_any()
            } else {
                view! {
                    <h3>"What changes"</h3>
                    <ImpactList impact unchanged />
                    <div class="diff-toolbar">
                        <p class="diff-stats" data-testid="apply-diff-stats">
                            {if exists { "Deployed → the hub's values now: " } else { "New values file: " }}
                            <span class="diff-add-count">{format!("+{added}")}</span>
                            " "
                            <span class="diff-del-count">{format!("−{removed}")}</span>
                        </p>
                        <LayoutToggle side />
                    </div>
                    <div class="values-diff" data-testid="apply-diff"><Hunks hunks=diff side /></div>
                }.into_any()
            }}
            {ready.then(|| view! {
                <ActionForm action=apply attr:class="stack" attr:data-testid="apply-form">
                    <input type="hidden" name="hub_id" value=hub_id.to_string() />
                    <input type="hidden" name="digest" value=digest.clone() />
                    <RequiredReason id="apply-reason" reason touched server=server_reason />
                    <ErrorBanner message=failed testid="apply-error" />
                    <div class="form-footer">
                        <button type="submit" class="btn btn-primary" data-testid="apply-submit"
                            on:click=move |_| touched.set(true)
                            disabled=move || apply.pending().get() || validate_reason("reason", &reason.get()).is_err()>
                            {verb}
                        </button>
                    </div>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn HistoryPanel(
    hub_id: i64,
    history: Vec<RevisionRow>,
    deployed_rev: Option<u32>,
    can_act: bool,
    actions: Actions,
) -> impl IntoView {
    // (from, to): any two revisions; the buttons compare one with the deployed revision.
    let comparing = RwSignal::new(None::<(u32, u32)>);
    let rolling = RwSignal::new(None::<u32>);
    // Browser-only: created inside the page's Suspend (see the volume page's claim panel).
    let diff = LocalResource::new(move || {
        let pair = comparing.get();
        async move {
            match pair {
                Some((from, to)) => Some(get_revision_diff(hub_id, from, to).await),
                None => None,
            }
        }
    });
    let revisions: Vec<u32> = history.iter().map(|r| r.revision).collect();
    let newest = revisions.first().copied().unwrap_or(0);
    let pick_from = RwSignal::new(revisions.get(1).copied().unwrap_or(newest));
    let pick_to = RwSignal::new(deployed_rev.unwrap_or(newest));
    let side = RwSignal::new(false);
    if history.is_empty() {
        return view! {
            <section class="panel">
                <h2>"Revisions"</h2>
                <EmptyState title="No revision" small=true>"The release has no revision in the cluster yet."</EmptyState>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="panel" data-testid="history-panel">
            <h2>"Revisions"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="history">
                    <thead>
                        <tr>
                            <th scope="col">"Revision"</th>
                            <th scope="col">"Updated"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Chart"</th>
                            <th scope="col">"App version"</th>
                            <th scope="col">"Description"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {history.into_iter().map(|r| {
                            let rev = r.revision;
                            let other = deployed_rev.is_some_and(|d| d != rev);
                            view! {
                                <tr data-revision=rev.to_string()>
                                    <td>{rev.to_string()}</td>
                                    <td class="nowrap">{short_time(&r.updated)}</td>
                                    <td><span class=release_tone(&r.status)>{r.status.as_str()}</span></td>
                                    <td class="nowrap">{r.chart}</td>
                                    <td>{r.app_version}</td>
                                    <td>{r.description}</td>
                                    <td class="nowrap">
                                        {other.then(|| view! {
                                            <button type="button" class="btn btn-small" data-testid=format!("compare-{rev}")
                                                on:click=move |_| comparing.set(deployed_rev.map(|d| (rev, d)))>"Diff with deployed"</button>
                                        })}
                                        {(other && can_act).then(|| view! {
                                            " "
                                            <button type="button" class="btn btn-small" data-testid=format!("rollback-{rev}")
                                                on:click=move |_| rolling.set(Some(rev))>"Roll back…"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {(revisions.len() > 1).then(|| {
                let options = move |selected: RwSignal<u32>| revisions.iter().map(|r| {
                    let r = *r;
                    view! { <option value=r.to_string() selected=move || selected.get() == r>{format!("revision {r}")}</option> }
                }).collect_view();
                let (a, b) = (options(pick_from), options(pick_to));
                view! {
                    <div class="diff-toolbar compare-bar">
                        <label for="compare-from">"Compare"</label>
                        <select id="compare-from" data-testid="compare-from" on:change=move |ev| if let Ok(v) = event_target_value(&ev).parse() { pick_from.set(v) }>{a}</select>
                        <label for="compare-to">"with"</label>
                        <select id="compare-to" data-testid="compare-to" on:change=move |ev| if let Ok(v) = event_target_value(&ev).parse() { pick_to.set(v) }>{b}</select>
                        <button type="button" class="btn btn-small" data-testid="compare-any"
                            on:click=move |_| comparing.set(Some((pick_from.get(), pick_to.get()))) >"Show diff"</button>
                    </div>
                }
            })}
            <RollbackForm hub_id rolling actions />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match diff.await {
                        None => None,
                        Some(Err(e)) => Some(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any()),
                        Some(Ok(d)) => Some(view! {
                            <div data-testid="revision-diff">
                                <div class="diff-toolbar">
                                    <p class="diff-stats">
                                        {if Some(d.to) == deployed_rev {
                                            format!("Revision {} → deployed revision {}: ", d.from, d.to)
                                        } else {
                                            format!("Revision {} → revision {}: ", d.from, d.to)
                                        }}
                                        <span class="diff-add-count">{format!("+{}", d.added)}</span>
                                        " "
                                        <span class="diff-del-count">{format!("−{}", d.removed)}</span>
                                    </p>
                                    <LayoutToggle side />
                                    <button type="button" class="btn btn-small" on:click=move |_| comparing.set(None)>"Close"</button>
                                </div>
                                {if d.hunks.is_empty() {
                                    view! { <p class="muted">"The two revisions have the same values."</p> }.into_any()
                                } else {
                                    view! { <div class="values-diff"><Hunks hunks=d.hunks side /></div> }.into_any()
                                }}
                            </div>
                        }.into_any()),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn RollbackForm(hub_id: i64, rolling: RwSignal<Option<u32>>, actions: Actions) -> impl IntoView {
    let rollback = actions.rollback;
    let reason = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let server_reason =
        Signal::derive(move || rollback.value().with(|v| field_message(v, "reason")));
    let failed = answer_banner(rollback.value(), &["revision"]);
    move || {
        rolling.get().map(|rev| view! {
            <div class="panel rollback-form" data-testid="rollback-form">
                <h3>{format!("Roll back to revision {rev}")}</h3>
                <p class="muted">"Helm deploys that revision's values again as a new revision; the hub pod restarts. The hub, its profiles and volumes in Hubfleet stay as they are, so this page then offers their values again: change them first if the rollback should last."</p>
                <ActionForm action=rollback attr:class="stack">
                    <input type="hidden" name="hub_id" value=hub_id.to_string() />
                    <input type="hidden" name="revision" value=rev.to_string() />
                    <RequiredReason id="rollback-reason" reason touched server=server_reason />
                    <ErrorBanner message=failed testid="rollback-error" />
                    <div class="form-footer">
                        <button type="submit" class="btn btn-primary" data-testid="rollback-submit"
                            on:click=move |_| touched.set(true)
                            disabled=move || rollback.pending().get() || validate_reason("reason", &reason.get()).is_err()>
                            {format!("Roll back to {rev}")}
                        </button>
                        <button type="button" class="btn" on:click=move |_| rolling.set(None)>"Cancel"</button>
                    </div>
                </ActionForm>
            </div>
        })
    }
}

#[component]
fn OperationsPanel(operations: Vec<Operation>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="operations-panel">
            <h2>"Operations"</h2>
            {if operations.is_empty() {
                view! { <EmptyState title="No operation yet" small=true>"Installs, upgrades, rollbacks and uninstalls from this page are listed here with their logs."</EmptyState> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="operations">
                            <thead>
                                <tr>
                                    <th scope="col">"#"</th>
                                    <th scope="col">"Operation"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Revision"</th>
                                    <th scope="col">"By"</th>
                                    <th scope="col">"Started"</th>
                                    <th scope="col">"Reason and outcome"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {operations.into_iter().map(|o| {
                                    let log = o.log.join("\n");
                                    view! {
                                        <tr data-operation=o.id.to_string()>
                                            <td>{o.id.to_string()}</td>
                                            <td>{o.kind.label()}{o.target_revision.map(|r| format!(" to {r}"))}</td>
                                            <td><span class=operation_tone(o.status)>{o.status.as_str()}</span></td>
                                            <td>{o.helm_revision.map(|r| r.to_string()).unwrap_or_default()}</td>
                                            <td>{o.actor}</td>
                                            <td class="nowrap">{short_time(&o.created_at)}</td>
                                            <td class="reason-cell">
                                                <div>{o.reason}</div>
                                                {(!o.message.is_empty()).then(|| view! { <div class="muted">{o.message}</div> })}
                                                {(!log.is_empty()).then(|| view! {
                                                    <details>
                                                        <summary>"Log"</summary>
                                                        <pre class="operation-log">{log}</pre>
                                                    </details>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn UninstallPanel(
    hub_id: i64,
    release_name: String,
    can_act: bool,
    actions: Actions,
) -> impl IntoView {
    let uninstall = actions.uninstall;
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let confirm = RwSignal::new(String::new());
    let release = StoredValue::new(release_name.clone());
    let confirm_error = Signal::derive(move || {
        let typed = confirm.get();
        if typed.is_empty() {
            return uninstall.value().with(|v| field_message(v, "confirm"));
        }
        release.with_value(|r| {
            validate_uninstall_confirmation("confirm", r, &typed)
                .err()
                .map(|e| e.message)
        })
    });
    let server_reason =
        Signal::derive(move || uninstall.value().with(|v| field_message(v, "reason")));
    let failed = answer_banner(uninstall.value(), &[]);
    view! {
        <section class="panel danger-zone" data-testid="uninstall-panel">
            <h2>"Uninstall"</h2>
            <p class="muted">{format!(
                "helm uninstall {release_name}: removes the hub, its proxy and users' running servers. Users' home volumes (PVCs) and shared volumes are kept, so a later install finds their files."
            )}</p>
            <Show
                when=move || open.get() && can_act
                fallback=move || view! {
                    <button type="button" class="btn btn-danger-outline" data-testid="uninstall-open"
                        disabled=!can_act on:click=move |_| open.set(true)>"Uninstall…"</button>
                }
            >
                <ActionForm action=uninstall attr:class="stack">
                    <input type="hidden" name="hub_id" value=hub_id.to_string() />
                    <FieldRow label=format!("Type {} to confirm", release.get_value()) id="uninstall-confirm" error=confirm_error>
                        <input id="uninstall-confirm" name="confirm" type="text" autocomplete="off"
                            prop:value=move || confirm.get()
                            on:input=move |ev| confirm.set(event_target_value(&ev)) />
                    </FieldRow>
                    <RequiredReason id="uninstall-reason" reason touched server=server_reason />
                    <ErrorBanner message=failed testid="uninstall-error" />
                    <div class="form-footer">
                        <button type="submit" class="btn btn-danger" data-testid="uninstall-submit"
                            on:click=move |_| touched.set(true)
                            disabled=move || uninstall.pending().get()
                                || validate_reason("reason", &reason.get()).is_err()
                                || release.with_value(|r| validate_uninstall_confirmation("confirm", r, &confirm.get()).is_err())>
                            "Uninstall the release"
                        </button>
                        <button type="button" class="btn" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </ActionForm>
            </Show>
        </section>
    }
}
