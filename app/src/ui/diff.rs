//! Line diffs of values files (unified or side by side), shared by the values page and the
//! deploy page.

use crate::values::{DiffHunk, DiffLine, LineChange, side_by_side};
use leptos::prelude::*;

fn line_class(c: LineChange) -> &'static str {
    match c {
        LineChange::Same => "diff-same",
        LineChange::Removed => "diff-removed",
        LineChange::Added => "diff-added",
    }
}

fn marker(c: LineChange) -> &'static str {
    match c {
        LineChange::Same => " ",
        LineChange::Removed => "-",
        LineChange::Added => "+",
    }
}

fn num(n: Option<usize>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// The two layouts' switch.
#[component]
pub fn LayoutToggle(side: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="diff-mode" role="group" aria-label="Diff layout">
            <button type="button" class="btn btn-small" class:active=move || !side.get() aria-pressed=move || (!side.get()).to_string() on:click=move |_| side.set(false)>"Unified"</button>
            <button type="button" class="btn btn-small" class:active=move || side.get() aria-pressed=move || side.get().to_string() on:click=move |_| side.set(true)>"Side by side"</button>
        </div>
    }
}

/// Every hunk, in the layout `side` selects.
#[component]
pub fn Hunks(hunks: Vec<DiffHunk>, side: RwSignal<bool>) -> impl IntoView {
    let hunks = StoredValue::new(hunks);
    move || {
        if side.get() {
            hunks
                .with_value(|h| {
                    h.iter()
                        .map(|h| view! { <SideBySide hunk=h.clone() /> })
                        .collect_view()
                })
                .into_any()
        } else {
            hunks
                .with_value(|h| {
                    h.iter()
                        .map(|h| view! { <Unified hunk=h.clone() /> })
                        .collect_view()
                })
                .into_any()
        }
    }
}

#[component]
fn Unified(hunk: DiffHunk) -> impl IntoView {
    view! {
        <table class="diff-table diff-unified">
            <tbody>
                {hunk.lines.into_iter().map(|l| view! {
                    <tr class=line_class(l.change)>
                        <td class="diff-no">{num(l.old_no)}</td>
                        <td class="diff-no">{num(l.new_no)}</td>
                        <td class="diff-mark">{marker(l.change)}</td>
                        <td class="diff-text">{l.text}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SideBySide(hunk: DiffHunk) -> impl IntoView {
    let rows = side_by_side(&hunk);
    let cell = |l: Option<DiffLine>, old: bool| match l {
        Some(l) => {
            let n = if old { l.old_no } else { l.new_no };
            view! {
                <td class=format!("diff-no {}", line_class(l.change))>{num(n)}</td>
                <td class=format!("diff-text {}", line_class(l.change))>{l.text}</td>
            }
            .into_any()
        }
        None => {
            view! { <td class="diff-no diff-empty"></td><td class="diff-text diff-empty"></td> }
                .into_any()
        }
    };
    view! {
        <table class="diff-table diff-side">
            <tbody>
                {rows.into_iter().map(|(a, b)| view! { <tr>{cell(a, true)}{cell(b, false)}</tr> }).collect_view()}
            </tbody>
        </table>
    }
}
