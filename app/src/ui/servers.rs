//! Every user's server (admins): a table with each server's state in plain words, resources,
//! node, age, restarts and home volume; search, filters, sortable columns and pages, all in
//! the query string (a filtered view is a link). The list refetches every few seconds while the
//! page is open, so states follow the cluster without a reload.

use super::encode_component;
use super::table::{EmptyState, pager};
use super::text::{breakable, health_tone, short_time};
use crate::api::home_volumes::ExpandHomeVolume;
use crate::api::servers::{StartServer, StopServer, get_server_history, list_servers};
use crate::domain::environment::MyVolume;
use crate::domain::servers::{
    PROBLEM_FILTER, ServerFacets, ServerPage, ServerQuery, ServerRow, ServerSort, age_text,
    request_limit_text,
};
use crate::domain::volume::validate_growth;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// `/servers` with `q`'s non-empty fields.
fn href(q: &ServerQuery) -> String {
    let query: Vec<String> = q
        .pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}={}", encode_component(&v)))
        .collect();
    if query.is_empty() {
        "/servers".to_string()
    } else {
        format!("/servers?{}", query.join("&"))
    }
}

/// The link of a column header: sort by it (ascending first, then the other way), page 1.
fn sort_href(q: &ServerQuery, by: ServerSort) -> String {
    let desc = q.sort_by() == by && !q.descending();
    href(&ServerQuery {
        sort: if by == ServerSort::User {
            String::new()
        } else {
            by.key().to_string()
        },
        dir: if desc { "desc".into() } else { String::new() },
        page: String::new(),
        ..q.clone()
    })
}

fn page_href(q: &ServerQuery, page: usize) -> String {
    href(&ServerQuery {
        page: if page > 1 {
            page.to_string()
        } else {
            String::new()
        },
        ..q.clone()
    })
}

/// Refetches the list when the server says users' pods or volumes changed (server-sent
/// events fed by the watch stores), and every 10 seconds anyway (ages move on, and a lost
/// event stream is not noticed at once).
#[cfg(feature = "hydrate")]
fn follow_changes(tick: RwSignal<u32>) {
    const REFRESH_SECONDS: u64 = 10;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let bump = move || tick.update(|t| *t = t.wrapping_add(1));
    super::tick_every(tick, REFRESH_SECONDS);
    Effect::new(move |_| {
        if let Ok(source) = web_sys::EventSource::new(crate::domain::servers::EVENTS_PATH) {
            let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| bump());
            let _ = source
                .add_event_listener_with_callback("changed", on_change.as_ref().unchecked_ref());
            let kept = StoredValue::new_local((source, on_change));
            on_cleanup(move || kept.with_value(|(source, _)| source.close()));
        }
    });
}

#[component]
pub fn ServersPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| ServerQuery::from_lookup(|k| p.get(k))));
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    follow_changes(tick);
    // The home volume being grown (kept outside the list, which refetches).
    let growing = RwSignal::new(None::<MyVolume>);
    let expand = ServerAction::<ExpandHomeVolume>::new();
    let control = Control {
        start: ServerAction::<StartServer>::new(),
        stop: ServerAction::<StopServer>::new(),
        stopping: RwSignal::new(None),
    };
    let data = Resource::new(
        move || {
            (
                query.get(),
                tick.get(),
                expand.version().get(),
                control.start.version().get(),
                control.stop.version().get(),
            )
        },
        |(q, ..)| list_servers(q),
    );
    // The filter selects' options, kept between refetches so the form is not rebuilt while
    // someone types in it.
    let facets = RwSignal::new(ServerFacets::default());
    Effect::new(move |_| {
        if let Some(Ok(p)) = data.get() {
            facets.set(p.facets);
        }
    });
    view! {
        <Title text="Servers" />
        <div class="page-header">
            <h1>"Servers"</h1>
            <p class="muted">
                "Every user's server on the watched namespaces, as JupyterHub's KubeSpawner started it: its state in plain words, resources, node and home volume. Updates live as the cluster changes. Accounts are on the "
                <a href="/users">"Users"</a>
                " page."
            </p>
        </div>
        {move || view! { <FilterForm q=query.get() facets /> }}
        <GrowPanel growing expand />
        <StopPanel control />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let page = data.await?;
                Ok::<_, AppError>(view! { <Results page q=query.get_untracked() growing control /> })
            })}
        </Transition>
    }
}

#[component]
fn FilterForm(q: ServerQuery, facets: RwSignal<ServerFacets>) -> impl IntoView {
    let select = move |name: &'static str,
                       label: &'static str,
                       any: &'static str,
                       current: String,
                       options: fn(&ServerFacets) -> Vec<(String, String)>| {
        let id = format!("servers-{name}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <select id=id name=name data-testid=format!("filter-{name}")>
                    <option value="" selected=current.is_empty()>{any}</option>
                    {move || {
                        let mut opts = facets.with(options);
                        if !current.is_empty() && !opts.iter().any(|(v, _)| *v == current) {
                            opts.push((current.clone(), current.clone()));
                        }
                        opts.into_iter()
                            .map(|(v, l)| {
                                let sel = v == current;
                                view! { <option value=v selected=sel>{l}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
        }
    };
    fn plain(v: &[String]) -> Vec<(String, String)> {
        v.iter().map(|s| (s.clone(), s.clone())).collect()
    }
    view! {
        <section class="panel filter-panel">
            <Form method="GET" action="/servers">
                <div class="filter-grid" data-testid="servers-filter">
                    <div class="field">
                        <label for="servers-q">"Search"</label>
                        <input id="servers-q" name="q" type="search" value=q.q.clone() placeholder="user, image or node" autocomplete="off" />
                    </div>
                    {select("status", "Status", "Any status", q.status.clone(), |f| {
                        let mut o = vec![(PROBLEM_FILTER.to_string(), "Needs attention".to_string())];
                        o.extend(f.statuses.iter().map(|(k, l, n)| (k.clone(), format!("{l} ({n})"))));
                        o
                    })}
                    {select("profile", "Profile", "Any profile", q.profile.clone(), |f| plain(&f.profiles))}
                    {select("node", "Node", "Any node", q.node.clone(), |f| plain(&f.nodes))}
                    {select("namespace", "Namespace", "Any namespace", q.namespace.clone(), |f| plain(&f.namespaces))}
                    <input type="hidden" name="sort" value=q.sort.clone() />
                    <input type="hidden" name="dir" value=q.dir.clone() />
                    <div class="filter-actions">
                        <button type="submit" class="btn btn-primary">"Apply"</button>
                        <a class="btn" href="/servers">"Clear"</a>
                    </div>
                </div>
            </Form>
        </section>
    }
}

#[component]
fn SortHeader(q: ServerQuery, by: ServerSort, label: &'static str) -> impl IntoView {
    let active = q.sort_by() == by;
    let aria = match (active, q.descending()) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let arrow = match aria {
        "ascending" => " ▲",
        "descending" => " ▼",
        _ => "",
    };
    view! {
        <th scope="col" aria-sort=aria>
            <a class="sort-link" href=sort_href(&q, by) data-testid=format!("sort-{}", by.key())>{label}{arrow}</a>
        </th>
    }
}

#[component]
fn Results(
    page: ServerPage,
    q: ServerQuery,
    growing: RwSignal<Option<MyVolume>>,
    control: Control,
) -> impl IntoView {
    let pages = page.pages();
    let number = page.page;
    let first = (number - 1) * page.page_size + 1;
    let last = first + page.rows.len().saturating_sub(1);
    let summary = if page.total == 0 {
        String::new()
    } else {
        format!(
            "Servers {first}–{last} of {}{}",
            page.total,
            if q.is_filtered() {
                format!(" matching (of {})", page.all)
            } else {
                String::new()
            }
        )
    };
    let previous = (number > 1).then(|| page_href(&q, number - 1));
    let next = (number < pages).then(|| page_href(&q, number + 1));
    let pager = move || {
        pager(
            previous.clone(),
            next.clone(),
            ("← Previous", "Next →"),
            i64::try_from(number).unwrap_or(i64::MAX),
            i64::try_from(pages).unwrap_or(i64::MAX),
        )
    };
    let problems = page.problems;
    let body = if page.rows.is_empty() {
        let filtered = q.is_filtered();
        view! {
            <EmptyState title=if filtered { "No servers match" } else { "No servers running" } testid="no-servers">
                {if filtered {
                    "Change the search or clear the filters."
                } else {
                    "When users start servers from their hub, each appears here with its state."
                }}
            </EmptyState>
        }
        .into_any()
    } else {
        view! {
            <div class="table-wrap">
                <table class="table servers-table" data-testid="servers-table">
                    <thead>
                        <tr>
                            <SortHeader q=q.clone() by=ServerSort::User label="User" />
                            <th scope="col">"Hub"</th>
                            <th scope="col">"Profile"</th>
                            <SortHeader q=q.clone() by=ServerSort::Status label="Status" />
                            <th scope="col">"Image"</th>
                            <th scope="col" title="request / limit">"Resources"</th>
                            <th scope="col">"Node"</th>
                            <SortHeader q=q.clone() by=ServerSort::Age label="Age" />
                            <SortHeader q=q.clone() by=ServerSort::Restarts label="Restarts" />
                            <th scope="col">"Home volume"</th>
                        </tr>
                    </thead>
                    <tbody>{page.rows.into_iter().map(|r| view! { <Row r growing control /> }).collect_view()}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        {page.cluster_note.map(|n| view! { <div class="alert alert-warning" role="status">{n}</div> })}
        <section class="panel">
            <div class="panel-head">
                <p class="muted result-count" data-testid="servers-summary">
                    {summary}
                    {(problems > 0).then(|| view! {
                        " · " <a href=href(&ServerQuery { status: PROBLEM_FILTER.into(), ..ServerQuery::default() })>
                            {format!("{problems} need attention")}
                        </a>
                    })}
                </p>
                {(pages > 1).then(pager.clone())}
            </div>
            {body}
            {(pages > 1).then(pager)}
        </section>
    }
}

/// Starting and stopping servers from the list (through the hub's REST API). Stopping asks
/// first, in a panel outside the list (which refetches).
#[derive(Clone, Copy)]
struct Control {
    start: ServerAction<StartServer>,
    stop: ServerAction<StopServer>,
    /// The server whose stop is being confirmed: (hub id, hub, user, server name).
    stopping: RwSignal<Option<(i64, String, String, String)>>,
}

#[component]
fn Row(r: ServerRow, growing: RwSignal<Option<MyVolume>>, control: Control) -> impl IntoView {
    let start = control.start;
    let action = r.hub_id.map(|hub_id| {
        let (user, server_name) = (r.user.clone(), r.server_name.clone());
        if r.pod.is_empty() {
            view! {
                <ActionForm action=start attr:class="row-action">
                    <input type="hidden" name="hub_id" value=hub_id.to_string() />
                    <input type="hidden" name="username" value=user />
                    <input type="hidden" name="server_name" value=server_name />
                    <button type="submit" class="btn btn-small" data-testid="start-server"
                        title="Start with the user's chosen profile (or the hub's default)"
                        disabled=move || start.pending().get()>"Start"</button>
                </ActionForm>
            }
            .into_any()
        } else {
            let target = (hub_id, r.hub.clone(), user, server_name);
            view! {
                <button type="button" class="btn btn-small row-action" data-testid="stop-server"
                    on:click=move |_| control.stopping.set(Some(target.clone()))>"Stop…"</button>
            }
            .into_any()
        }
    });
    let badge = format!("badge badge-{}", health_tone(&r.health));
    let server = if r.server_name.is_empty() {
        "default server".to_string()
    } else {
        format!("server \"{}\"", r.server_name)
    };
    let hub = if r.hub.is_empty() {
        "—".to_string()
    } else {
        r.hub.clone()
    };
    // Where kubectl finds it: namespace/pod, or just the namespace when no pod runs.
    let place = if r.pod.is_empty() {
        r.namespace.clone()
    } else {
        format!("{}/{}", r.namespace, r.pod)
    };
    let started = r.started_at.as_deref().map(short_time).unwrap_or_default();
    // A stopped server (a home volume without a pod) has no image, resources or node.
    let running = !r.pod.is_empty();
    let or_dash = move |text: String| if running { text } else { "—".to_string() };
    view! {
        <tr data-testid="server-row" data-user=r.user.clone() data-state=r.health.state.key()>
            <td>
                <a href=format!("/servers/{}", encode_component(&r.user)) title="History of this user's servers"><strong>{r.user.clone()}</strong></a>
                <div class="muted small">{server}</div>
            </td>
            <td>{hub}<div class="muted small"><code>{breakable(&place)}</code></div></td>
            <td>{r.profile.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="server-status">
                <span class=badge data-testid="server-status">{r.health.state.label()}</span>
                {r.health.detail.clone().map(|d| view! { <p class="small">{d}</p> })}
                {r.health.hint.clone().map(|h| view! { <p class="hint">{h}</p> })}
                {action}
            </td>
            <td>{if running { view! { <code>{breakable(&r.image)}</code> }.into_any() } else { "—".into_any() }}</td>
            <td class="nowrap">
                {if running {
                    view! {
                        <div>"CPU " {request_limit_text(r.cpu_request.as_deref(), r.cpu_limit.as_deref())}</div>
                        <div>"Memory " {request_limit_text(r.memory_request.as_deref(), r.memory_limit.as_deref())}</div>
                    }
                    .into_any()
                } else {
                    "—".into_any()
                }}
            </td>
            <td class="nowrap">{or_dash(r.health.node.clone().unwrap_or_else(|| "not scheduled".into()))}</td>
            <td class="nowrap" title=started>{or_dash(age_text(r.age_seconds))}</td>
            <td>{r.health.restarts}</td>
            <td>
                {match r.home {
                    Some(v) => {
                        let bound = v.phase == "Bound";
                        let target = v.clone();
                        view! {
                            <code>{v.name.clone()}</code>
                            <div class="muted small">
                                {format!(
                                    "{}, {}, {}",
                                    v.capacity.clone().unwrap_or_else(|| v.requested.clone()),
                                    v.storage_class.clone().unwrap_or_else(|| "default class".into()),
                                    v.phase
                                )}
                            </div>
                            {bound.then(|| view! {
                                <button type="button" class="btn btn-small" data-testid="grow-volume" on:click=move |_| growing.set(Some(target.clone()))>"Grow…"</button>
                            })}
                        }
                        .into_any()
                    }
                    None => view! { <span class="muted">"none"</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}

/// Confirms stopping a server, then shows what the hub answered (for a start too).
#[component]
fn StopPanel(control: Control) -> impl IntoView {
    let Control {
        start,
        stop,
        stopping,
    } = control;
    // The answer of whichever was sent last.
    let last = RwSignal::new(None::<Result<crate::domain::hub_rest::ServerActionResult, AppError>>);
    Effect::new(move |_| {
        if let Some(r) = stop.value().get() {
            stopping.set(None);
            last.set(Some(r));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = start.value().get() {
            last.set(Some(r));
        }
    });
    let answer = move || last.get().map(super::server_parts::action_answer);
    view! {
        {answer}
        {move || stopping.get().map(|(hub_id, hub, user, server_name)| {
            let what = if server_name.is_empty() {
                format!("{user}'s server on {hub}")
            } else {
                format!("{user}'s server \"{server_name}\" on {hub}")
            };
            view! {
                <section class="panel" data-testid="stop-panel">
                    <h2>{format!("Stop {what}?")}</h2>
                    <p>"Anything not saved in the server is lost; the home volume is kept. The user can start it again."</p>
                    <ActionForm action=stop>
                        <input type="hidden" name="hub_id" value=hub_id.to_string() />
                        <input type="hidden" name="username" value=user />
                        <input type="hidden" name="server_name" value=server_name />
                        <div class="form-actions">
                            <button type="submit" class="btn btn-danger" data-testid="confirm-stop" disabled=move || stop.pending().get()>"Stop the server"</button>
                            <button type="button" class="btn" on:click=move |_| stopping.set(None)>"Cancel"</button>
                        </div>
                    </ActionForm>
                </section>
            }
        })}
    }
}

/// Growing one home volume: its new size (checked as typed by the same rule the server
/// applies: larger than now) and a reason for the audit trail. Outside the list, so the
/// list's refetches do not clear what was typed.
#[component]
fn GrowPanel(
    growing: RwSignal<Option<MyVolume>>,
    expand: ServerAction<ExpandHomeVolume>,
) -> impl IntoView {
    let done = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(size)) = expand.value().get() {
            if let Some(v) = growing.get_untracked() {
                done.set(Some(format!(
                    "{}/{} grows to {size}: the cluster's storage resizes it now.",
                    v.namespace, v.name
                )));
            }
            growing.set(None);
        }
    });
    view! {
        {move || done.get().map(|m| view! { <div class="alert alert-success" role="status" data-testid="grow-done">{m}</div> })}
        {move || growing.get().map(|v| {
            let current = v.capacity.clone().unwrap_or_else(|| v.requested.clone());
            let size = RwSignal::new(String::new());
            let touched = RwSignal::new(false);
            let check_current = current.clone();
            let problem = Memo::new(move |_| {
                validate_growth("size", &check_current, &size.get()).err().map(|e| e.message)
            });
            let failed = move || match expand.value().get() {
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            };
            view! {
                <section class="panel" data-testid="grow-panel">
                    <h2>{format!("Grow home volume {}/{}", v.namespace, v.name)}</h2>
                    <p class="muted">{format!(
                        "Now {current} ({}). A volume can only grow, and only when its storage class allows expansion; Hubfleet asks the cluster with a dry run first and records the change in the audit trail.",
                        v.storage_class.clone().unwrap_or_else(|| "cluster default class".into())
                    )}</p>
                    <ActionForm action=expand>
                        <input type="hidden" name="namespace" value=v.namespace.clone() />
                        <input type="hidden" name="name" value=v.name.clone() />
                        <div class="form-grid">
                            <div class="field">
                                <label for="grow-size">"New size"</label>
                                <input id="grow-size" name="size" placeholder="20Gi" autocomplete="off"
                                    aria-invalid=move || (touched.get() && problem.get().is_some()).to_string()
                                    aria-describedby="grow-size-error"
                                    prop:value=move || size.get()
                                    on:input=move |ev| { size.set(event_target_value(&ev)); touched.set(true); } />
                                <p class="field-error" id="grow-size-error" role="alert">{move || if touched.get() { problem.get() } else { None }}</p>
                            </div>
                            <div class="field">
                                <label for="grow-reason">"Reason (optional)"</label>
                                <input id="grow-reason" name="reason" autocomplete="off" />
                            </div>
                        </div>
                        {move || failed().map(|m| view! { <div class="alert alert-error" role="alert" data-testid="grow-error">{m}</div> })}
                        <div class="form-actions">
                            <button type="submit" class="btn btn-primary" data-testid="grow-submit"
                                disabled=move || problem.get().is_some() || expand.pending().get()>"Grow volume"</button>
                            <button type="button" class="btn" on:click=move |_| growing.set(None)>"Cancel"</button>
                        </div>
                    </ActionForm>
                </section>
            }
        })}
    }
}

/// `/servers/:user`: the history of one user's servers (their pods' Kubernetes events, kept
/// after the pods are gone), newest first.
#[component]
pub fn ServerHistoryPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let user = Memo::new(move |_| params.with(|p| p.get("user").unwrap_or_default()));
    let data = Resource::new(move || user.get(), get_server_history);
    view! {
        <Title text=move || format!("Servers of {}", user.get()) />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/servers">"Servers"</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || user.get()}</span>
        </nav>
        <div class="page-header">
            <h1>{move || format!("History of {}'s servers", user.get())}</h1>
            <p class="muted">"What happened to this user's servers (scheduling, image pulls, restarts, out-of-memory kills, evictions), kept after a server is gone for the retention period (--server-event-retention-days)."</p>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let entries = data.await?;
                Ok::<_, AppError>(if entries.is_empty() {
                    view! { <EmptyState title="Nothing recorded" testid="no-history">"No event of this user's servers is kept."</EmptyState> }.into_any()
                } else {
                    view! { <section class="panel"><super::server_parts::Timeline entries /></section> }.into_any()
                })
            })}
        </Transition>
    }
}
