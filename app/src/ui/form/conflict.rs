//! The conflict view shown when a save carried an old version (someone else saved in
//! between): the stored and the submitted values side by side, with "keep mine" (save again
//! over the stored version) and "discard mine" (load the stored values).

use leptos::prelude::*;

/// One field of the conflict view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub label: String,
    pub stored: String,
    pub mine: String,
}

impl ConflictRow {
    pub fn new(
        label: impl Into<String>,
        stored: impl Into<String>,
        mine: impl Into<String>,
    ) -> Self {
        Self {
            label: label.into(),
            stored: stored.into(),
            mine: mine.into(),
        }
    }

    pub fn differs(&self) -> bool {
        self.stored.trim() != self.mine.trim()
    }
}

fn shown_value(v: &str) -> AnyView {
    if v.trim().is_empty() {
        view! { <span class="muted">"(empty)"</span> }.into_any()
    } else {
        view! { <span class="conflict-value">{v.to_string()}</span> }.into_any()
    }
}

/// The stored and the submitted values side by side, differing fields highlighted.
#[component]
pub fn ConflictView(
    /// The server's explanation (names the record and both versions).
    #[prop(into)]
    message: String,
    stored_version: i64,
    rows: Vec<ConflictRow>,
    /// Save the submitted values over the stored version.
    on_keep: Callback<()>,
    /// Throw the submitted values away and load the stored ones.
    on_discard: Callback<()>,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    let differing = rows.iter().filter(|r| r.differs()).count();
    let only_diff = RwSignal::new(false);
    let rows = StoredValue::new(rows);
    view! {
        <section class="panel conflict" role="alert" data-testid="conflict">
            <h2>"Someone else saved this while you were editing"</h2>
            <p>{message}</p>
            <p class="muted">
                {format!(
                    "{differing} field{} differ{} from the stored version {stored_version} (highlighted). Nothing has been saved yet.",
                    if differing == 1 { "" } else { "s" },
                    if differing == 1 { "s" } else { "" },
                )}
            </p>
            <label class="check-inline">
                <input type="checkbox" prop:checked=only_diff on:change=move |ev| only_diff.set(event_target_checked(&ev)) />
                " Show only the differing fields"
            </label>
            <div class="table-wrap">
                <table class="table conflict-table" data-testid="conflict-table">
                    <thead>
                        <tr>
                            <th scope="col">"Field"</th>
                            <th scope="col">{format!("Stored (version {stored_version})")}</th>
                            <th scope="col">"Yours (not saved)"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            rows.get_value()
                                .into_iter()
                                .filter(|r| !only_diff.get() || r.differs())
                                .map(|r| {
                                    let differs = r.differs();
                                    view! {
                                        <tr class:differs=differs data-differs=differs.to_string()>
                                            <th scope="row">
                                                {r.label.clone()}
                                                {differs.then(|| view! { <span class="badge badge-warn">"differs"</span> })}
                                            </th>
                                            <td class="conflict-stored">{shown_value(&r.stored)}</td>
                                            <td class="conflict-mine">{shown_value(&r.mine)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            <div class="conflict-actions">
                <button
                    type="button"
                    class="btn btn-primary"
                    disabled=move || pending.get()
                    on:click=move |_| on_keep.run(())
                >
                    "Keep mine (save over the stored version)"
                </button>
                <button
                    type="button"
                    class="btn"
                    disabled=move || pending.get()
                    on:click=move |_| on_discard.run(())
                >
                    "Discard mine (load stored)"
                </button>
            </div>
            <p class="hint">
                "Keep mine replaces every field with your values, including fields only the other person changed. To combine both, choose Discard mine, then make your change again."
            </p>
        </section>
    }
    .into_any()
}
