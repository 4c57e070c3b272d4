//! Editing stored records: when a field's error is shown, the banners of a saved form, and
//! the conflict view shown when a save carried an old version (someone else saved in
//! between): the stored and the submitted values side by side, with "keep mine" (save again
//! over the stored version) and "discard mine" (load the stored values).

use crate::domain::FieldErrors;
use leptos::prelude::*;
use std::collections::HashSet;

/// Decides when a field's error is shown. Browser-side errors (the domain validators run as
/// the admin types) show once a field has been edited, or for every field once the form was
/// submitted. A server answer's errors show until the admin edits that field again (or adds
/// or removes a row, which renumbers the rows the server named).
///
/// Fields are identified by a key: the error's field name for single fields (`mem_limit`),
/// and `<list>#<row key>.<field>` for fields of repeatable rows, whose error names
/// (`mounts[1].mount_path`) change with the row's position.
#[derive(Clone, Copy)]
pub struct Shown {
    touched: RwSignal<HashSet<String>>,
    edited_since_submit: RwSignal<HashSet<String>>,
    rows_changed: RwSignal<bool>,
    submitted: RwSignal<bool>,
}

impl Default for Shown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shown {
    pub fn new() -> Self {
        Self {
            touched: RwSignal::new(HashSet::new()),
            edited_since_submit: RwSignal::new(HashSet::new()),
            rows_changed: RwSignal::new(false),
            submitted: RwSignal::new(false),
        }
    }

    /// The admin changed the field with this key.
    pub fn touch(&self, key: &str) {
        if !self.touched.with_untracked(|t| t.contains(key)) {
            self.touched.update(|t| {
                t.insert(key.to_string());
            });
        }
        if !self.edited_since_submit.with_untracked(|t| t.contains(key)) {
            self.edited_since_submit.update(|t| {
                t.insert(key.to_string());
            });
        }
    }

    /// A row was added or removed.
    pub fn rows_changed(&self) {
        self.rows_changed.set(true);
    }

    /// The form is being submitted: show every browser-side error, and the answer's errors.
    pub fn submit(&self) {
        self.submitted.set(true);
        self.edited_since_submit.set(HashSet::new());
        self.rows_changed.set(false);
    }

    /// Back to a pristine form (after a save, or loading the stored values).
    pub fn reset(&self) {
        self.touched.set(HashSet::new());
        self.edited_since_submit.set(HashSet::new());
        self.rows_changed.set(false);
        self.submitted.set(false);
    }

    /// Whether the form was submitted since it was loaded or saved.
    pub fn submitted(&self) -> bool {
        self.submitted.get()
    }

    /// The message to show for the field named `field` (key `key`): the browser's check
    /// first, else the server's answer.
    pub fn error(
        &self,
        key: &str,
        field: &str,
        client: Option<&FieldErrors>,
        server: Option<&FieldErrors>,
    ) -> Option<String> {
        let show_client = self.submitted.get() || self.touched.with(|t| t.contains(key));
        let from_client = if show_client {
            client.and_then(|e| e.get(field)).map(str::to_string)
        } else {
            None
        };
        from_client.or_else(|| {
            let fresh =
                !self.rows_changed.get() && !self.edited_since_submit.with(|t| t.contains(key));
            if fresh {
                server.and_then(|e| e.get(field)).map(str::to_string)
            } else {
                None
            }
        })
    }
}

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

/// The list of a form's current problems, with links to the fields, above a long form.
#[component]
pub fn ErrorSummary(
    /// (input id, label, message) of each problem.
    #[prop(into)]
    problems: Signal<Vec<(String, String, String)>>,
) -> impl IntoView {
    move || {
        let list = problems.get();
        if list.is_empty() {
            return None;
        }
        let n = list.len();
        Some(view! {
            <div class="alert alert-error error-summary" role="alert" data-testid="error-summary">
                <strong>
                    {if n == 1 {
                        "1 field needs fixing before this can be saved:".to_string()
                    } else {
                        format!("{n} fields need fixing before this can be saved:")
                    }}
                </strong>
                <ul>
                    {list
                        .into_iter()
                        .map(|(id, label, message)| {
                            view! {
                                <li>
                                    <a href=format!("#{id}")>{label}</a>
                                    ": "
                                    {message}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        })
    }
}

/// "Created" / "Saved" confirmation above a form.
#[component]
pub fn SavedBanner(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <div class="alert alert-success" role="status" data-testid="saved">{m}</div> })
    }
}

/// The field errors of a server answer, for [`Shown::error`].
pub fn answer_errors<T, W>(value: W) -> Signal<Option<FieldErrors>>
where
    T: 'static,
    W: With<Value = Option<Result<T, crate::error::AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(crate::error::AppError::Invalid(e))) => Some(e.clone()),
            _ => None,
        })
    })
}

/// A banner for an answer that is neither a success, nor field errors shown next to fields,
/// nor a conflict (shown by [`ConflictView`]): forbidden, not found, server errors, and field
/// errors about no single field (`form`, or any of `extra_fields`).
pub fn answer_banner<T, W>(
    value: W,
    extra_fields: &'static [&'static str],
) -> Signal<Option<String>>
where
    T: 'static,
    W: With<Value = Option<Result<T, crate::error::AppError>>> + Copy + Send + Sync + 'static,
{
    use crate::error::AppError;
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(AppError::Invalid(e))) => {
                let msgs: Vec<&str> =
                    e.0.iter()
                        .filter(|f| f.field == "form" || extra_fields.contains(&f.field.as_str()))
                        .map(|f| f.message.as_str())
                        .collect();
                (!msgs.is_empty()).then(|| msgs.join(" "))
            }
            Some(Err(AppError::StaleWrite { .. })) => None,
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    })
}

/// Short UTC time for tables (`2024-05-01 14:30`).
pub fn short_time(t: &str) -> String {
    t.replace('T', " ").chars().take(16).collect()
}

/// A one-line text input bound to a value, for the forms of this module's callers. `name` may
/// change (rows of a repeatable list are renumbered when one is removed).
#[component]
pub fn TextInput(
    #[prop(into)] id: String,
    #[prop(into)] name: Signal<String>,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] list: Option<String>,
) -> impl IntoView {
    let initial = value.get_untracked();
    let described = format!("{id}-hint {id}-error");
    view! {
        <input
            type="text"
            id=id
            name=move || name.get()
            value=initial
            prop:value=move || value.get()
            placeholder=placeholder
            inputmode=inputmode
            list=list
            autocomplete="off"
            autocapitalize="none"
            spellcheck="false"
            aria-describedby=described
            on:input=move |ev| on_input.run(event_target_value(&ev))
        />
    }
    .into_any()
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
