//! Which errors a form shows, and when: [`Shown`] decides per field, [`Errors`] combines it
//! with the browser's checks and the server's answer.

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

/// (input id, label, message) of one problem of the error summary.
pub type Problem = (String, String, String);

/// What a form's inputs need to show their errors: when to show them, the browser's checks
/// (the same `domain` validators the server runs) and the server's last answer.
#[derive(Clone, Copy)]
pub struct Errors {
    pub shown: Shown,
    pub client: Memo<Option<FieldErrors>>,
    pub server: Signal<Option<FieldErrors>>,
}

impl Errors {
    pub fn new(client: Memo<Option<FieldErrors>>, server: Signal<Option<FieldErrors>>) -> Self {
        Self {
            shown: Shown::new(),
            client,
            server,
        }
    }

    /// The message shown now for the field named `field` (visibility key `key`).
    pub fn of(&self, key: &str, field: &str) -> Option<String> {
        self.client.with(|c| {
            self.server
                .with(|s| self.shown.error(key, field, c.as_ref(), s.as_ref()))
        })
    }

    /// The message of a single (not repeated) field, as a signal for [`super::FieldRow`].
    pub fn signal(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || self.of(field, field))
    }

    /// An input handler that stores the value and marks the field as edited.
    pub fn edit(self, sig: RwSignal<String>, field: &'static str) -> Callback<String> {
        Callback::new(move |v: String| {
            sig.set(v);
            self.shown.touch(field);
        })
    }

    /// Whether the browser's checks find a problem (the submit is then stopped).
    pub fn blocks_submit(&self) -> bool {
        self.client.with_untracked(Option::is_some)
    }

    /// The problems to list above the form, in the order the checks report them, after a save
    /// attempt (while typing, errors show next to their fields). `locate` gives an error's
    /// field name its (visibility key, input id, label).
    pub fn summary(
        self,
        locate: impl Fn(&str) -> Problem + Send + Sync + 'static,
    ) -> Signal<Vec<Problem>> {
        Signal::derive(move || {
            if !self.shown.submitted() {
                return Vec::new();
            }
            let mut names: Vec<String> = Vec::new();
            for answer in [self.client.get(), self.server.get()].into_iter().flatten() {
                names.extend(answer.0.into_iter().map(|e| e.field));
            }
            let mut out: Vec<Problem> = Vec::new();
            for name in names.into_iter().filter(|n| n != "form") {
                let (key, id, label) = locate(&name);
                if let Some(m) = self.of(&key, &name)
                    && !out.iter().any(|(i, _, _)| i == &id)
                {
                    out.push((id, label, m));
                }
            }
            out
        })
    }
}
