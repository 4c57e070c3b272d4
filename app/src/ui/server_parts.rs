//! Pieces both the user's own page (`me`) and the administrators' Servers page show:
//! a server's event timeline and the answer to a start or stop.

use super::text::short_time;
use crate::domain::environment::TimelineEntry;
use crate::error::AppError;
use leptos::prelude::*;

/// What a start or stop answered, as a banner (also on My environment).
pub fn action_answer(r: Result<crate::domain::hub_rest::ServerActionResult, AppError>) -> AnyView {
    match r {
        Ok(r) => view! { <div class="alert alert-success" role="status" data-testid="server-action-ok">{r.message}</div> }.into_any(),
        Err(e) => view! { <div class="alert alert-error" role="alert" data-testid="server-action-error">{super::form::error_text(&e)}</div> }.into_any(),
    }
}

/// A user's server history, newest first.
#[component]
pub fn Timeline(entries: Vec<TimelineEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table timeline" data-testid="timeline">
                <thead><tr><th>"When"</th><th>"Server"</th><th>"What happened"</th></tr></thead>
                <tbody>
                    {entries.into_iter().map(|t| {
                        let server = if t.server_name.is_empty() { "default".to_string() } else { t.server_name.clone() };
                        let times = (t.count > 1).then(|| format!(" (×{})", t.count));
                        view! {
                            <tr class:warning=t.event.kind == "Warning">
                                <td class="nowrap">{short_time(&t.event.time)}</td>
                                <td>{server} <span class="muted">{format!(" {}", t.pod)}</span></td>
                                <td><strong>{t.event.reason.clone()}</strong>": "{t.event.message.clone()}{times}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
