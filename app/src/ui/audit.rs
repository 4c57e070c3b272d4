//! The audit trail: who changed what, when, why, with the field-level diff.

use crate::api::users::recent_audit;
use crate::domain::audit::FieldChange;
use leptos::prelude::*;
use leptos_meta::Title;

fn show(v: &Option<serde_json::Value>) -> String {
    match v {
        None => "—".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[component]
fn Diff(changes: Vec<FieldChange>) -> impl IntoView {
    view! {
        <table class="diff">
            <thead>
                <tr>
                    <th scope="col">"Field"</th>
                    <th scope="col">"Old"</th>
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
                                <td class="diff-old">{show(&c.old)}</td>
                                <td class="diff-new">{show(&c.new)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let events = Resource::new(|| (), |_| recent_audit());
    view! {
        <Title text="Audit" />
        <div class="page-header">
            <h1>"Audit trail"</h1>
            <p class="muted">"Every change, newest first. Entries can never be edited or removed."</p>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let events = events.await?;
                Ok::<_, crate::error::AppError>(view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="audit-table">
                            <thead>
                                <tr>
                                    <th scope="col">"When (UTC)"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"Action"</th>
                                    <th scope="col">"Target"</th>
                                    <th scope="col">"Changes"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {events
                                    .into_iter()
                                    .map(|e| {
                                        let reason = e.reason.clone();
                                        view! {
                                            <tr>
                                                <td class="nowrap">{e.occurred_at.replace('T', " ").chars().take(19).collect::<String>()}</td>
                                                <td>{e.actor.clone()}</td>
                                                <td><code>{e.action.clone()}</code></td>
                                                <td>{format!("{} {}", e.target_type, e.target_name)}</td>
                                                <td>
                                                    <details>
                                                        <summary>{format!("{} field(s)", e.diff.len())}</summary>
                                                        {(!reason.is_empty()).then(|| view! { <p class="muted">"Reason: " {reason.clone()}</p> })}
                                                        <Diff changes=e.diff.clone() />
                                                        <p class="hint">{format!("request {} from {}", e.request_id, e.client_addr)}</p>
                                                    </details>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                })
            })}
        </Suspense>
    }
}
