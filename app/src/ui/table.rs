//! The tables of the list pages and what they show when there is nothing to list.

use leptos::prelude::*;

/// A table of records with a header row; the rows are the children.
#[component]
pub fn Table(
    testid: &'static str,
    /// The column headers.
    columns: &'static [&'static str],
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class=class.unwrap_or("table") data-testid=testid>
                <thead>
                    <tr>{columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// What an empty list says, with the next step (the children).
#[component]
pub fn EmptyState(
    title: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
    /// Inside a panel next to other content.
    #[prop(optional)]
    small: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="empty-state" class:empty-small=small data-testid=testid>
            <p class="empty-title">{title}</p>
            <p>{children()}</p>
        </div>
    }
}

/// Names as chips, or a muted `none` when there are none.
pub fn chips(items: Vec<String>, none: &'static str) -> AnyView {
    if items.is_empty() {
        view! { <span class="muted">{none}</span> }.into_any()
    } else {
        items
            .into_iter()
            .map(|i| view! { <span class="chip">{i}</span> })
            .collect_view()
            .into_any()
    }
}

/// Links to the previous and next page (disabled at either end) around "Page n of m".
pub fn pager(
    previous: Option<String>,
    next: Option<String>,
    labels: (&'static str, &'static str),
    number: i64,
    pages: i64,
) -> AnyView {
    let link = |h: Option<String>, text: &'static str| match h {
        Some(h) => view! { <a class="btn btn-small" href=h>{text}</a> }.into_any(),
        None => view! { <span class="btn btn-small" aria-disabled="true">{text}</span> }.into_any(),
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {link(previous, labels.0)}
            <span class="muted">{format!("Page {number} of {pages}")}</span>
            {link(next, labels.1)}
        </nav>
    }
    .into_any()
}
