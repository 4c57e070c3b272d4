//! Small text helpers for tables and headers.

use crate::domain::cluster::{PodHealth, PodState};
use leptos::prelude::*;

/// Short UTC time for tables (`2024-05-01 14:30`).
pub fn short_time(t: &str) -> String {
    t.replace('T', " ").chars().take(16).collect()
}

/// An image reference (or any slash-separated name) that may wrap after each `/`.
pub fn breakable(text: &str) -> AnyView {
    let parts: Vec<String> = text.split('/').map(str::to_string).collect();
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            if i + 1 < n {
                view! { {format!("{p}/")}<wbr /> }.into_any()
            } else {
                view! { {p} }.into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// How a server's state reads at a glance: `bad` (needs attention), `ok` (ready), `neutral`
/// (not running, nothing wrong) or `warn` (on its way); the suffix of the `status-*` and
/// `badge-*` classes.
pub fn health_tone(h: &PodHealth) -> &'static str {
    if h.state.is_problem() {
        "bad"
    } else if matches!(h.state, PodState::Stopped | PodState::Completed) {
        "neutral"
    } else if h.ready {
        "ok"
    } else {
        "warn"
    }
}
