//! Small text helpers for tables and headers.

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
