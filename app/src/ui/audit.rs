//! The audit trail (`/audit`): every change, newest first, paged; filtered by actor, target,
//! action and time range (all in the query string, so a filtered view is a link); each entry
//! expands to its field diff; the filtered list downloads as CSV or JSON; profile and volume
//! entries offer "revert to this version" (previewed, then applied as a new audited change).

use super::layout::encode_component;
use crate::api::audit::{
    AuditEntry, AuditPage as AuditData, AuditQuery, PreviewRevert, RevertToEvent, audit_events,
};
use crate::domain::audit::{AuditEvent, FieldChange};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde_json::Value;
use std::collections::HashSet;

/// Where the export route lives (served by `backend::audit_export`).
const EXPORT_PATH: &str = "/api/audit/export";

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        // Floats print without a trailing ".0" (2, not 2.0).
        Value::Number(n) => n
            .as_f64()
            .filter(|_| n.is_f64())
            .map_or_else(|| n.to_string(), |f| f.to_string()),
        other => other.to_string(),
    }
}

fn object_line(m: &serde_json::Map<String, Value>) -> String {
    m.iter()
        .map(|(k, v)| format!("{}: {}", k.replace('_', " "), scalar(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value of a field diff as people read it: lists one item per line, objects as
/// `key: value` pairs, booleans as yes/no.
pub fn readable(v: &Option<Value>) -> String {
    match v {
        None => "—".into(),
        Some(Value::Array(items)) if items.is_empty() => "(none)".into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Object(m) => object_line(m),
                other => scalar(other),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Some(Value::Object(m)) if m.is_empty() => "(none)".into(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| format!("{k} = {}", scalar(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => scalar(other),
    }
}

/// The field changes of one entry, old → new.
#[component]
pub fn Diff(changes: Vec<FieldChange>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted">"No field changed."</p> }.into_any();
    }
    view! {
        <table class="diff" data-testid="diff">
            <thead>
                <tr>
                    <th scope="col">"Field"</th>
                    <th scope="col">"Old"</th>
                    <th scope="col" aria-hidden="true"></th>
                    <th scope="col">"New"</th>
                </tr>
            </thead>
            <tbody>
                {changes
                    .into_iter()
                    .map(|c| {
                        view! {
                            <tr>
                                <td><code>{c.field.clone()}</code></td>
                                <td class="diff-old">{readable(&c.old)}</td>
                                <td class="diff-arrow" aria-hidden="true">"→"</td>
                                <td class="diff-new">{readable(&c.new)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn query_from(params: &leptos_router::params::ParamsMap) -> AuditQuery {
    let g = |k: &str| params.get(k).unwrap_or_default();
    AuditQuery {
        actor: g("actor"),
        target_type: g("target_type"),
        target_id: g("target_id"),
        action: g("action"),
        from: g("from"),
        to: g("to"),
        page: g("page"),
    }
}

fn href_with(q: &AuditQuery, page: Option<i64>, base: &str, extra: &[(&str, &str)]) -> String {
    let mut parts: Vec<String> = extra
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    parts.extend(
        q.filter_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode_component(&v))),
    );
    if let Some(p) = page.filter(|p| *p > 1) {
        parts.push(format!("page={p}"));
    }
    if parts.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

fn target_href(e: &crate::domain::audit::AuditEvent) -> Option<String> {
    if e.action.ends_with(".delete") {
        return None;
    }
    match e.target_type.as_str() {
        "profile" => Some(format!("/profiles/{}", e.target_id)),
        "volume" => Some(format!("/volumes/{}", e.target_id)),
        "hub" => Some(format!("/hubs/{}", e.target_id)),
        "user" => Some("/users".into()),
        _ => None,
    }
}

fn action_class(action: &str) -> &'static str {
    if action.ends_with(".create") {
        "badge badge-create"
    } else if action.ends_with(".delete") {
        "badge badge-delete"
    } else {
        "badge badge-update"
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from));
    let refresh = RwSignal::new(0u32);
    let state = ListState {
        refresh,
        open: RwSignal::new(HashSet::new()),
        reverted: RwSignal::new(None),
    };
    let data = Resource::new(
        move || (query.get(), refresh.get()),
        |(q, _)| audit_events(q),
    );
    view! {
        <Title text="Audit" />
        <div class="page-header page-header-row">
            <div>
                <h1>"Audit trail"</h1>
                <p class="muted">"Every change, newest first. Entries can never be edited or removed; times are UTC."</p>
            </div>
            <div class="header-actions">
                <a class="btn" rel="external" download="" href=move || href_with(&query.get(), None, EXPORT_PATH, &[("format", "csv")]) data-testid="export-csv">"⤓ Export CSV"</a>
                <a class="btn" rel="external" download="" href=move || href_with(&query.get(), None, EXPORT_PATH, &[("format", "json")]) data-testid="export-json">"⤓ Export JSON"</a>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(page) => Ok(view! { <AuditResults page q state /> }.into_any()),
                    Err(AppError::Invalid(e)) => Ok(view! {
                        <FilterForm q=q.clone() data=None errors=Some(e) />
                        <div class="empty-state"><p>"Fix the filter to see events."</p></div>
                    }.into_any()),
                    Err(e) => Err::<AnyView, AppError>(e),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// What the page keeps while its list reloads: the reload trigger, the expanded entries and
/// the last revert.
#[derive(Clone, Copy)]
struct ListState {
    refresh: RwSignal<u32>,
    open: RwSignal<HashSet<i64>>,
    reverted: RwSignal<Option<Reverted>>,
}

/// A revert made on this page.
#[derive(Debug, Clone, PartialEq)]
struct Reverted {
    /// The entry whose values were restored.
    event_id: i64,
    target_type: String,
    target_id: String,
    /// The record's version after the revert.
    version: i64,
}

impl Reverted {
    /// Whether `e` is the entry this revert wrote (the server records it as a change of the
    /// same record, with a reason naming the restored entry).
    fn is_recorded_by(&self, e: &AuditEvent) -> bool {
        let why = format!("Revert to the version of audit entry #{}", self.event_id);
        e.id > self.event_id
            && e.target_type == self.target_type
            && e.target_id == self.target_id
            && e.reason
                .strip_prefix(&why)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
    }
}

/// The confirmation of the last revert, above the list; links to the revert's own entry once
/// the reloaded list shows it.
#[component]
fn RevertNotice(state: ListState, listed: Vec<AuditEvent>) -> impl IntoView {
    move || {
        state.reverted.get().map(|r| {
            let new_entry = listed.iter().find(|e| r.is_recorded_by(e)).map(|e| e.id);
            view! {
                <div class="alert alert-success" role="status" data-testid="revert-notice">
                    {format!(
                        "Reverted: the values of entry #{} are now the current version ({}). The revert is recorded as a new entry at the top of the trail.",
                        r.event_id, r.version
                    )}
                    {new_entry.map(|n| view! { " " <a href=format!("#event-{n}") data-testid="revert-new-entry">{format!("See the new entry #{n}")}</a> })}
                    " "
                    <button type="button" class="btn btn-small" on:click=move |_| state.reverted.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}

#[component]
fn FilterForm(
    q: AuditQuery,
    data: Option<(Vec<String>, Vec<String>, Vec<String>)>,
    errors: Option<crate::domain::FieldErrors>,
) -> impl IntoView {
    let (actors, types, actions) = data.unwrap_or_default();
    let err = |f: &str| errors.as_ref().and_then(|e| e.get(f)).map(str::to_string);
    let select = |name: &'static str,
                  label: &'static str,
                  any: &'static str,
                  current: String,
                  options: Vec<String>| {
        let id = format!("audit-{name}");
        let mut options = options;
        if !current.is_empty() && !options.contains(&current) {
            options.push(current.clone());
        }
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <select id=id name=name>
                    <option value="" selected=current.is_empty()>{any}</option>
                    {options
                        .into_iter()
                        .map(|o| {
                            let sel = o == current;
                            view! { <option value=o.clone() selected=sel>{o.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
        }
    };
    let from_err = err("from");
    let to_err = err("to");
    view! {
        <section class="panel filter-panel">
            <Form method="GET" action="/audit">
                <div class="filter-grid" data-testid="audit-filter">
                    {select("actor", "Actor", "Anyone", q.actor.clone(), actors)}
                    {select("target_type", "Target type", "Any type", q.target_type.clone(), types)}
                    <div class="field">
                        <label for="audit-target_id">"Target id"</label>
                        <input id="audit-target_id" name="target_id" type="text" value=q.target_id.clone() placeholder="e.g. 3" autocomplete="off" />
                    </div>
                    {select("action", "Action", "Any action", q.action.clone(), actions)}
                    <div class="field" class:has-error=from_err.is_some()>
                        <label for="audit-from">"From (UTC)"</label>
                        <input id="audit-from" name="from" type="datetime-local" value=q.from.clone() />
                        <p class="field-error" role="alert">{from_err.clone().unwrap_or_default()}</p>
                    </div>
                    <div class="field" class:has-error=to_err.is_some()>
                        <label for="audit-to">"To (UTC)"</label>
                        <input id="audit-to" name="to" type="datetime-local" value=q.to.clone() />
                        <p class="field-error" role="alert">{to_err.clone().unwrap_or_default()}</p>
                    </div>
                    <div class="filter-actions">
                        <button type="submit" class="btn btn-primary">"Apply filters"</button>
                        <a class="btn" href="/audit">"Clear"</a>
                    </div>
                </div>
            </Form>
        </section>
    }
    .into_any()
}

#[component]
fn AuditResults(page: AuditData, q: AuditQuery, state: ListState) -> impl IntoView {
    let AuditData {
        entries,
        total,
        page: number,
        page_size,
        actors,
        target_types,
        actions,
    } = page;
    let pages = ((total + page_size - 1) / page_size).max(1);
    let first = if total == 0 {
        0
    } else {
        (number - 1) * page_size + 1
    };
    let last = ((number - 1) * page_size + i64::try_from(entries.len()).unwrap_or(0)).max(0);
    let filtered = q.is_filtered();
    let listed: Vec<AuditEvent> = entries.iter().map(|e| e.event.clone()).collect();
    let newer = (number > 1).then(|| href_with(&q, Some(number - 1), "/audit", &[]));
    let older = (number < pages).then(|| href_with(&q, Some(number + 1), "/audit", &[]));
    let pager = move || {
        super::table::pager(
            newer.clone(),
            older.clone(),
            ("← Newer", "Older →"),
            number,
            pages,
        )
    };
    view! {
        <RevertNotice state listed />
        <FilterForm q=q.clone() data=Some((actors, target_types, actions)) errors=None />
        <section class="panel">
            <div class="panel-head">
                <p class="muted result-count" data-testid="audit-count">
                    {if total == 0 {
                        "No events".to_string()
                    } else {
                        format!("Events {first}–{last} of {total}{}", if filtered { " matching the filter" } else { "" })
                    }}
                </p>
                {(pages > 1).then(pager.clone())}
            </div>
            {if entries.is_empty() {
                view! {
                    <div class="empty-state">
                        <p class="empty-title">{if filtered { "No events match this filter" } else { "No events yet" }}</p>
                        <p>{if filtered { "Widen the time range or clear the filter." } else { "Changes made in Hubfleet appear here." }}</p>
                    </div>
                }
                .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table audit-table" data-testid="audit-table">
                            <thead>
                                <tr>
                                    <th scope="col">"When (UTC)"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"Action"</th>
                                    <th scope="col">"Target"</th>
                                    <th scope="col">"Reason"</th>
                                    <th scope="col"><span class="sr-only">"Details"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {entries.into_iter().map(|e| view! { <EntryRow entry=e state /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
            {(pages > 1).then(pager)}
        </section>
    }
    .into_any()
}

#[component]
fn EntryRow(entry: AuditEntry, state: ListState) -> impl IntoView {
    let e = entry.event.clone();
    let id = e.id;
    // Kept by the page, so an entry stays open when the list reloads (after a revert).
    let open = Signal::derive(move || state.open.with(|o| o.contains(&id)));
    let toggle = move || {
        state.open.update(|o| {
            if !o.remove(&id) {
                o.insert(id);
            }
        })
    };
    let n = e.diff.len();
    let target_link = target_href(&e);
    let target_label = if e.target_name.is_empty() {
        format!("#{}", e.target_id)
    } else {
        e.target_name.clone()
    };
    let reason = e.reason.clone();
    view! {
        <tr id=format!("event-{id}") class="audit-row" class:open=move || open.get() data-event=id.to_string() data-action=e.action.clone()>
            <td class="nowrap">{e.occurred_at.replace('T', " ").chars().take(19).collect::<String>()}</td>
            <td>{e.actor.clone()}</td>
            <td><span class=action_class(&e.action)>{e.action.clone()}</span></td>
            <td>
                <span class="muted">{e.target_type.clone()} " "</span>
                {match target_link {
                    Some(h) => view! { <a href=h>{target_label}</a> }.into_any(),
                    None => view! { <span>{target_label}</span> }.into_any(),
                }}
            </td>
            <td class="reason-cell">{if reason.is_empty() { view! { <span class="muted">"—"</span> }.into_any() } else { view! { <span>{reason}</span> }.into_any() }}</td>
            <td class="actions">
                <button
                    type="button"
                    class="btn btn-small"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| toggle()
                >
                    {move || if open.get() { "Hide".to_string() } else { format!("{n} change{}", if n == 1 { "" } else { "s" }) }}
                </button>
            </td>
        </tr>
        <Show when=move || open.get()>
            <tr class="audit-detail">
                <td colspan="6">
                    <EntryDetail entry=entry.clone() state />
                </td>
            </tr>
        </Show>
    }
    .into_any()
}

#[component]
fn EntryDetail(entry: AuditEntry, state: ListState) -> impl IntoView {
    let e = entry.event;
    let id = e.id;
    let preview = ServerAction::<PreviewRevert>::new();
    let revert = ServerAction::<RevertToEvent>::new();
    let reason = RwSignal::new(String::new());
    let target = (e.target_type.clone(), e.target_id.clone());
    Effect::new(move |_| {
        if let Some(Ok(version)) = revert.value().get() {
            // The confirmation lives in the page, above the list: the reload below replaces
            // this entry's view.
            state.reverted.set(Some(Reverted {
                event_id: id,
                target_type: target.0.clone(),
                target_id: target.1.clone(),
                version,
            }));
            preview.value().set(None);
            state.refresh.update(|r| *r += 1);
        }
    });
    let revert_error = Signal::derive(move || {
        revert.value().with(|v| match v {
            Some(Err(AppError::Invalid(f))) => Some(
                f.0.iter()
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Some(Err(e @ AppError::StaleWrite { .. })) => {
                Some(format!("{e} Review the changes again before reverting."))
            }
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    });
    view! {
        <div class="entry-detail" data-testid="entry-detail">
            <Diff changes=e.diff.clone() />
            <p class="hint" data-testid="entry-request">{request_line(&e)}</p>
            {entry.revertible.then(|| view! {
                <div class="revert-box">
                    {move || {
                        let p = preview.value().get();
                        match p {
                            None => view! {
                                <button
                                    type="button"
                                    class="btn btn-small"
                                    disabled=move || preview.pending().get()
                                    on:click=move |_| {
                                        state.reverted.set(None);
                                        revert.value().set(None);
                                        preview.dispatch(PreviewRevert { event_id: id });
                                    }
                                >
                                    "↶ Revert to this version…"
                                </button>
                                <span class="hint">" Restores the values as they were right after this change, as a new change."</span>
                            }
                            .into_any(),
                            Some(Err(err)) => {
                                let msg = match &err {
                                    AppError::Invalid(f) => f.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join(" "),
                                    other => other.to_string(),
                                };
                                view! {
                                    <div class="alert alert-error" role="alert">{msg}</div>
                                    <button type="button" class="btn btn-small" on:click=move |_| preview.value().set(None)>"Close"</button>
                                }
                                .into_any()
                            }
                            Some(Ok(plan)) => {
                                let version = plan.current_version;
                                let nothing = plan.changes.is_empty();
                                view! {
                                    <div class="revert-preview" data-testid="revert-preview">
                                        <h3>{format!("Revert {} {} to entry #{id}", plan.event.target_type, plan.event.target_name)}</h3>
                                        {if nothing {
                                            view! { <p class="muted">"The current values (version " {version} ") are already those of this entry: there is nothing to revert."</p> }.into_any()
                                        } else {
                                            view! {
                                                <p class="muted">{format!("These fields change from the current version {version} (old) to this entry's values (new):")}</p>
                                                <Diff changes=plan.changes.clone() />
                                            }
                                            .into_any()
                                        }}
                                        {move || revert_error.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
                                        <div class="revert-actions">
                                            <div class="field">
                                                <label for=format!("revert-reason-{id}")>"Reason (optional)"</label>
                                                <input
                                                    id=format!("revert-reason-{id}")
                                                    type="text"
                                                    autocomplete="off"
                                                    prop:value=reason
                                                    on:input=move |ev| reason.set(event_target_value(&ev))
                                                />
                                            </div>
                                            <button
                                                type="button"
                                                class="btn btn-primary"
                                                disabled=move || nothing || revert.pending().get()
                                                on:click=move |_| {
                                                    revert.dispatch(RevertToEvent { event_id: id, version, reason: reason.get_untracked() });
                                                }
                                            >
                                                "Revert"
                                            </button>
                                            <button
                                                type="button"
                                                class="btn"
                                                on:click=move |_| {
                                                    revert.value().set(None);
                                                    preview.dispatch(PreviewRevert { event_id: id });
                                                }
                                            >
                                                "Review again"
                                            </button>
                                            <button type="button" class="btn" on:click=move |_| { revert.value().set(None); preview.value().set(None); }>"Cancel"</button>
                                        </div>
                                    </div>
                                }
                                .into_any()
                            }
                        }
                    }}
                </div>
            })}
        </div>
    }
    .into_any()
}

/// The entry's origin: its number, the request id the server gave the request, the
/// `x-request-id` the client sent (when it sent one, marked as the client's), and the address.
fn request_line(e: &AuditEvent) -> String {
    let server = if e.request_id.is_empty() {
        "—"
    } else {
        &e.request_id
    };
    let client = if e.client_request_id.is_empty() {
        String::new()
    } else {
        format!(" (client's request id {})", e.client_request_id)
    };
    format!(
        "Entry #{} · request {server}{client} from {}",
        e.id, e.client_addr
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_well() {
        assert_eq!(readable(&None), "—");
        assert_eq!(readable(&Some(json!(true))), "yes");
        assert_eq!(readable(&Some(json!(2.0))), "2");
        assert_eq!(readable(&Some(json!(1.5))), "1.5");
        assert_eq!(readable(&Some(json!(""))), "(empty)");
        assert_eq!(readable(&Some(json!(["a", "b"]))), "a\nb");
        assert_eq!(readable(&Some(json!([]))), "(none)");
        assert_eq!(
            readable(&Some(json!([{"mount_path": "/mnt", "read_only": false}]))),
            "mount path: /mnt, read only: no"
        );
        assert_eq!(readable(&Some(json!({"k": "v"}))), "k = v");
    }

    #[test]
    fn a_revert_finds_its_own_entry() {
        let r = Reverted {
            event_id: 7,
            target_type: "profile".into(),
            target_id: "3".into(),
            version: 4,
        };
        let event = |id: i64, target_id: &str, reason: &str| AuditEvent {
            id,
            occurred_at: String::new(),
            actor: "admin".into(),
            action: "profile.update".into(),
            target_type: "profile".into(),
            target_id: target_id.into(),
            target_name: "Data science".into(),
            diff: Vec::new(),
            reason: reason.into(),
            request_id: String::new(),
            client_request_id: String::new(),
            client_addr: String::new(),
        };
        assert!(r.is_recorded_by(&event(
            9,
            "3",
            "Revert to the version of audit entry #7: quota"
        )));
        assert!(r.is_recorded_by(&event(9, "3", "Revert to the version of audit entry #7")));
        assert!(!r.is_recorded_by(&event(9, "4", "Revert to the version of audit entry #7")));
        assert!(!r.is_recorded_by(&event(9, "3", "Revert to the version of audit entry #71")));
        assert!(!r.is_recorded_by(&event(9, "3", "more CPU")));
        assert!(!r.is_recorded_by(&event(5, "3", "Revert to the version of audit entry #7")));
    }

    #[test]
    fn the_entry_names_both_request_ids() {
        let mut e = AuditEvent {
            id: 3,
            occurred_at: String::new(),
            actor: "admin".into(),
            action: "hub.update".into(),
            target_type: "hub".into(),
            target_id: "1".into(),
            target_name: "jh".into(),
            diff: Vec::new(),
            reason: String::new(),
            request_id: "01JABCDEF".into(),
            client_request_id: String::new(),
            client_addr: "10.0.0.1".into(),
        };
        assert_eq!(
            request_line(&e),
            "Entry #3 · request 01JABCDEF from 10.0.0.1"
        );
        e.client_request_id = "forged".into();
        assert_eq!(
            request_line(&e),
            "Entry #3 · request 01JABCDEF (client's request id forged) from 10.0.0.1"
        );
    }

    #[test]
    fn links_keep_the_filter() {
        let q = AuditQuery {
            target_type: "profile".into(),
            target_id: "3".into(),
            ..Default::default()
        };
        assert_eq!(
            href_with(&q, Some(2), "/audit", &[]),
            "/audit?target_type=profile&target_id=3&page=2"
        );
        assert_eq!(
            href_with(&q, None, EXPORT_PATH, &[("format", "csv")]),
            "/api/audit/export?format=csv&target_type=profile&target_id=3"
        );
    }
}
