//! Small helpers of the pages: times and names for tables, the id in the route.

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

/// The id in the route (`/hubs/{id}`, `/profiles/{id}`, …), if it is a number.
pub fn route_id() -> Memo<Option<i64>> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())))
}
