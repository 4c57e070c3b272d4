//! The profile form's inputs: text fields, the shared-volume mounts, the environment and
//! node-selector rows, and the whole form body shared by the create and the edit page.

use super::fields::{
    AffinityRow, ChoiceRow, MountRow, OptionRow, PairList, PairRow, PreferredRow, ProfileFields,
    ResourceRow, TolerationRow,
};
use crate::domain::hub::Hub;
use crate::domain::profile::{DEFAULT_HOME_MOUNT_PATH, Profile, PullPolicy, slugify};
use crate::domain::scheduling::{AffinityOperator, TaintEffect, TolerationOperator};
use crate::domain::volume::SharedVolume;
use crate::ui::form::{CheckRow, Errors, FieldRow, SelectInput, TextField, TextInput};
use leptos::prelude::*;

/// A row of a repeatable list, identified by its key while rows come and go.
pub trait Keyed {
    fn row_key(&self) -> u64;
}

/// Rows identified by their `key` field.
macro_rules! keyed {
    ($($row:ty),*) => {
        $(impl Keyed for $row {
            fn row_key(&self) -> u64 {
                self.key
            }
        })*
    };
}
keyed!(
    MountRow,
    PairRow,
    ResourceRow,
    TolerationRow,
    AffinityRow,
    PreferredRow,
    OptionRow,
    ChoiceRow
);

/// A row holding one node-affinity rule (required, or preferred with a weight).
trait RuleRow: Keyed {
    fn rule(&self) -> &AffinityRow;
    fn rule_mut(&mut self) -> &mut AffinityRow;
}

impl RuleRow for AffinityRow {
    fn rule(&self) -> &AffinityRow {
        self
    }
    fn rule_mut(&mut self) -> &mut AffinityRow {
        self
    }
}

impl RuleRow for PreferredRow {
    fn rule(&self) -> &AffinityRow {
        &self.rule
    }
    fn rule_mut(&mut self) -> &mut AffinityRow {
        &mut self.rule
    }
}

/// One row of a repeatable list (`mounts`, `env`, `node_selector`, …, and the choices of an
/// option): its position now (rows are renumbered when one is removed), its input ids and
/// names, its errors, and reads and writes of its values.
struct ListRow<T: Send + Sync + 'static> {
    rows: RwSignal<Vec<T>>,
    key: u64,
    list: &'static str,
    index: Memo<usize>,
    /// The list's place inside a row of another list (`profile_options[2].choices`).
    parent: Option<(&'static str, Memo<usize>)>,
    errors: Errors,
}

impl<T: Send + Sync + 'static> Clone for ListRow<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for ListRow<T> {}

impl<T: Keyed + Send + Sync + 'static> ListRow<T> {
    fn new(rows: RwSignal<Vec<T>>, key: u64, list: &'static str, errors: Errors) -> Self {
        let index = Memo::new(move |_| {
            rows.with(|v| v.iter().position(|r| r.row_key() == key))
                .unwrap_or(0)
        });
        Self {
            rows,
            key,
            list,
            index,
            parent: None,
            errors,
        }
    }

    /// The same row in a list that lives in row `index` of list `list`.
    fn under(mut self, list: &'static str, index: Memo<usize>) -> Self {
        self.parent = Some((list, index));
        self
    }

    fn id(self, sub: &str) -> String {
        format!("pf-{}-{}-{sub}", self.list, self.key)
    }

    /// The input's name, as the domain documents it (`form[mounts][1][mount_path]`,
    /// `form[profile_options][0][choices][1][image]`).
    fn name(self, sub: &'static str) -> Signal<String> {
        Signal::derive(move || match self.parent {
            Some((list, i)) => format!(
                "form[{list}][{}][{}][{}][{sub}]",
                i.get(),
                self.list,
                self.index.get()
            ),
            None => format!("form[{}][{}][{sub}]", self.list, self.index.get()),
        })
    }

    /// The field name of `sub` in the domain's errors (`profile_options[0].choices[1].image`).
    fn field(self, sub: &str) -> String {
        match self.parent {
            Some((list, i)) => format!(
                "{list}[{}].{}[{}].{sub}",
                i.get(),
                self.list,
                self.index.get()
            ),
            None => format!("{}[{}].{sub}", self.list, self.index.get()),
        }
    }

    fn touch(self, sub: &str) {
        self.errors
            .shown
            .touch(&format!("{}#{}.{sub}", self.list, self.key));
    }

    /// The error of the field `sub`, named by the row's position (`mounts[1].mount_path`).
    fn error(self, sub: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.errors.of(
                &format!("{}#{}.{sub}", self.list, self.key),
                &self.field(sub),
            )
        })
    }

    fn get<V: Default + Clone + Send + Sync + 'static>(self, f: fn(&T) -> V) -> Signal<V> {
        Signal::derive(move || {
            self.rows.with(|v| {
                v.iter()
                    .find(|r| r.row_key() == self.key)
                    .map(f)
                    .unwrap_or_default()
            })
        })
    }

    /// Stores a new value of the field `sub` and marks it edited.
    fn edit<V: 'static>(self, sub: &'static str, f: fn(&mut T, V)) -> Callback<V> {
        Callback::new(move |value: V| {
            self.rows.update(|v| {
                if let Some(r) = v.iter_mut().find(|r| r.row_key() == self.key) {
                    f(r, value)
                }
            });
            self.touch(sub);
        })
    }

    /// The "✕" that removes the row; `noun` names it for screen readers ("Remove mount 2").
    fn remove_button(self, noun: &'static str) -> impl IntoView {
        view! {
            <div class="row-remove">
                <button
                    type="button"
                    class="btn btn-small btn-icon"
                    aria-label=move || format!("Remove {noun} {}", self.index.get() + 1)
                    title=format!("Remove this {noun}")
                    on:click=move |_| {
                        self.rows.update(|v| v.retain(|r| r.row_key() != self.key));
                        self.errors.shown.rows_changed();
                    }
                >
                    "✕"
                </button>
            </div>
        }
    }
}

#[component]
fn MountRowView(
    row_key: u64,
    fields: ProfileFields,
    errors: Errors,
    volumes: StoredValue<Vec<SharedVolume>>,
) -> impl IntoView {
    let row = ListRow::new(fields.mounts, row_key, "mounts", errors);
    let set_volume = row.edit("volume_id", |r, v| r.volume_id = v);
    let options = volumes.with_value(|vs| {
        vs.iter()
            .map(|v| {
                let size = v
                    .spec
                    .size
                    .as_ref()
                    .map(|s| format!(", {}", s.as_str()))
                    .unwrap_or_default();
                let label = format!(
                    "{} ({}{size}, {})",
                    v.spec.name,
                    v.spec.pvc_name,
                    v.spec.access_mode.as_str()
                );
                (v.id.to_string(), label)
            })
            .collect()
    });
    view! {
        <div class="row-card" data-testid="mount-row">
            <div class="row-fields row-fields-mount">
                <FieldRow label="Shared volume" id=row.id("volume_id") error=row.error("volume_id")>
                    <SelectInput
                        id=row.id("volume_id")
                        name=row.name("volume_id")
                        value=row.get(|r| r.volume_id.clone())
                        on_change=Callback::new(move |v: String| {
                            set_volume.run(v);
                            // A read-only volume decides whether the mount may write.
                            row.touch("read_only");
                        })
                        empty="Choose a volume…"
                        options
                    />
                </FieldRow>
                <FieldRow label="Mount path" id=row.id("mount_path") error=row.error("mount_path")>
                    <TextInput
                        id=row.id("mount_path")
                        name=row.name("mount_path")
                        value=row.get(|r| r.mount_path.clone())
                        on_input=row.edit("mount_path", |r, v| r.mount_path = v)
                        placeholder="/mnt/data"
                    />
                </FieldRow>
                <CheckRow
                    label="Read-only"
                    id=row.id("read_only")
                    name=row.name("read_only")
                    checked=row.get(|r| r.read_only)
                    on_change=row.edit("read_only", |r, b| r.read_only = b)
                    error=row.error("read_only")
                    spacer=true
                />
                {row.remove_button("mount")}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn PairRowView(
    row_key: u64,
    list: PairList,
    fields: ProfileFields,
    errors: Errors,
) -> impl IntoView {
    let row = ListRow::new(fields.pairs(list), row_key, list.list(), errors);
    let a = list.a();
    view! {
        <div class="row-card" data-testid=format!("{}-row", list.list())>
            <div class="row-fields row-fields-pair">
                <FieldRow label=list.a_label() id=row.id(a) error=row.error(a)>
                    <TextInput
                        id=row.id(a)
                        name=row.name(a)
                        value=row.get(|r| r.a.clone())
                        on_input=row.edit(a, |r, v| r.a = v)
                        placeholder=list.a_placeholder()
                    />
                </FieldRow>
                <FieldRow label=list.b_label() id=row.id("value") error=row.error("value")>
                    <TextInput
                        id=row.id("value")
                        name=row.name("value")
                        value=row.get(|r| r.b.clone())
                        on_input=row.edit("value", |r, v| r.b = v)
                        placeholder=list.b_placeholder()
                    />
                </FieldRow>
                {row.remove_button(list.noun())}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn PairSection(list: PairList, fields: ProfileFields, errors: Errors) -> impl IntoView {
    let rows = fields.pairs(list);
    let (title, hint, add) = match list {
        PairList::Env => (
            "Environment variables",
            "Set in every server of this profile. Rows left empty are ignored; JUPYTERHUB_* names are reserved.",
            "+ Add variable",
        ),
        PairList::NodeSelector => (
            "Node selector",
            "Servers of this profile run only on nodes with all these labels, e.g. node-pool = gpu.",
            "+ Add label",
        ),
    };
    view! {
        <fieldset class="form-section" data-testid=format!("{}-section", list.list())>
            <legend>{title}</legend>
            <p class="hint">{hint}</p>
            <div class="rows">
                <For each=move || rows.get() key=|r| r.key let:row>
                    <PairRowView row_key=row.key list fields errors />
                </For>
            </div>
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="muted rows-empty">{format!("No {}s.", list.noun())}</p>
            </Show>
            <button
                type="button"
                class="btn btn-small"
                on:click=move |_| {
                    let key = fields.key();
                    rows.update(|v| v.push(PairRow { key, a: String::new(), b: String::new() }));
                    errors.shown.rows_changed();
                }
            >
                {add}
            </button>
        </fieldset>
    }
    .into_any()
}

#[component]
fn ResourceRowView(row_key: u64, fields: ProfileFields, errors: Errors) -> impl IntoView {
    let row = ListRow::new(fields.extra_resources, row_key, "extra_resources", errors);
    view! {
        <div class="row-card" data-testid="extra_resources-row">
            <div class="row-fields row-fields-resource">
                <FieldRow label="Resource" id=row.id("name") error=row.error("name")>
                    <TextInput
                        id=row.id("name")
                        name=row.name("name")
                        value=row.get(|r| r.name.clone())
                        on_input=row.edit("name", |r, v| r.name = v)
                        placeholder="nvidia.com/gpu"
                        list="pf-resource-names".to_string()
                    />
                </FieldRow>
                <FieldRow label="Limit" id=row.id("limit") error=row.error("limit")>
                    <TextInput
                        id=row.id("limit")
                        name=row.name("limit")
                        value=row.get(|r| r.limit.clone())
                        on_input=row.edit("limit", |r, v| r.limit = v)
                        placeholder="1"
                        inputmode="numeric"
                    />
                </FieldRow>
                <FieldRow label="Guarantee (optional)" id=row.id("guarantee") error=row.error("guarantee")>
                    <TextInput
                        id=row.id("guarantee")
                        name=row.name("guarantee")
                        value=row.get(|r| r.guarantee.clone())
                        on_input=row.edit("guarantee", |r, v| r.guarantee = v)
                        placeholder="= limit"
                    />
                </FieldRow>
                {row.remove_button("resource")}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn TolerationRowView(row_key: u64, fields: ProfileFields, errors: Errors) -> impl IntoView {
    let row = ListRow::new(fields.tolerations, row_key, "tolerations", errors);
    let operator = row.get(|r| r.operator.clone());
    let exists = Signal::derive(move || operator.get() == TolerationOperator::Exists.as_str());
    let effect = row.get(|r| r.effect.clone());
    let timed = Signal::derive(move || effect.get() == TaintEffect::NoExecute.as_str());
    let set_operator = row.edit("operator", |r: &mut TolerationRow, v: String| {
        // Exists matches any value: the value field is cleared and disabled.
        if v == TolerationOperator::Exists.as_str() {
            r.value.clear();
        }
        r.operator = v;
    });
    let operators = TolerationOperator::ALL
        .into_iter()
        .map(|o| (o.as_str().to_string(), o.as_str().to_string()))
        .collect();
    let effects = TaintEffect::ALL
        .into_iter()
        .map(|e| (e.as_str().to_string(), e.as_str().to_string()))
        .collect();
    view! {
        <div class="row-card" data-testid="tolerations-row">
            <div class="row-fields row-fields-toleration">
                {row_text(row, "Taint key", "key", |r| r.taint_key.clone(), |r, v| r.taint_key = v, "nvidia.com/gpu")}
                {row_operator(row, operator, set_operator, "value", operators)}
                {row_switched_text(
                    row,
                    ("Value", "value"),
                    (|r| r.value.clone(), |r, v| r.value = v),
                    Signal::derive(move || if exists.get() { "any value" } else { "present" }),
                    exists,
                )}
                <FieldRow label="Effect" id=row.id("effect") error=row.error("effect")>
                    <SelectInput
                        id=row.id("effect")
                        name=row.name("effect")
                        value=row.get(|r| r.effect.clone())
                        on_change=Callback::new(move |v: String| {
                            // Seconds belong to NoExecute only: cleared and disabled otherwise.
                            row.edit("effect", |r: &mut TolerationRow, v: String| {
                                if v != TaintEffect::NoExecute.as_str() {
                                    r.seconds.clear();
                                }
                                r.effect = v;
                            })
                            .run(v);
                            row.touch("seconds");
                        })
                        empty="Any effect"
                        options=effects
                    />
                </FieldRow>
                <FieldRow label="Seconds" id=row.id("seconds") error=row.error("seconds")>
                    <input
                        type="text"
                        id=row.id("seconds")
                        name=move || row.name("seconds").get()
                        prop:value=row.get(|r| r.seconds.clone())
                        placeholder=move || if timed.get() { "forever" } else { "—" }
                        title="Only with NoExecute: how long the server stays once the taint appears"
                        disabled=move || !timed.get()
                        inputmode="numeric"
                        autocomplete="off"
                        on:input={
                            let edit = row.edit("seconds", |r: &mut TolerationRow, v: String| r.seconds = v);
                            move |ev| edit.run(event_target_value(&ev))
                        }
                    />
                </FieldRow>
                {row.remove_button("toleration")}
            </div>
        </div>
    }
    .into_any()
}

/// The key, operator and values of a node-affinity rule (the values are cleared and disabled
/// for Exists and DoesNotExist).
fn rule_fields<T: RuleRow + Send + Sync + 'static>(row: ListRow<T>) -> impl IntoView {
    let operator = row.get(|r: &T| r.rule().operator.clone());
    let no_values = Signal::derive(move || {
        let o = operator.get();
        o == AffinityOperator::Exists.as_str() || o == AffinityOperator::DoesNotExist.as_str()
    });
    let set_operator = row.edit("operator", |r: &mut T, v: String| {
        let rule = r.rule_mut();
        if v == AffinityOperator::Exists.as_str() || v == AffinityOperator::DoesNotExist.as_str() {
            rule.values.clear();
        }
        rule.operator = v;
    });
    let operators = AffinityOperator::ALL
        .into_iter()
        .map(|o| (o.as_str().to_string(), o.label().to_string()))
        .collect();
    let placeholder = Signal::derive(move || match operator.get().as_str() {
        "Gt" | "Lt" => "a whole number, e.g. 40",
        "Exists" | "DoesNotExist" => "no values",
        _ => "comma-separated, e.g. A100, H100",
    });
    view! {
        {row_text(
            row,
            "Node label key",
            "key",
            |r: &T| r.rule().label_key.clone(),
            |r: &mut T, v| r.rule_mut().label_key = v,
            "nvidia.com/gpu.product",
        )}
        {row_operator(row, operator, set_operator, "values", operators)}
        {row_switched_text(
            row,
            ("Values", "values"),
            (|r: &T| r.rule().values.clone(), |r: &mut T, v| r.rule_mut().values = v),
            placeholder,
            no_values,
        )}
    }
}

/// The operator select of a row: choosing one also shows the check of the field it decides
/// (`then_check`: the value or values).
fn row_operator<T: Keyed + Send + Sync + 'static>(
    row: ListRow<T>,
    value: Signal<String>,
    set: Callback<String>,
    then_check: &'static str,
    options: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <FieldRow label="Operator" id=row.id("operator") error=row.error("operator")>
            <SelectInput
                id=row.id("operator")
                name=row.name("operator")
                value
                on_change=Callback::new(move |v: String| {
                    set.run(v);
                    row.touch(then_check);
                })
                options
            />
        </FieldRow>
    }
}

/// How a text field of a row is read and written.
type Access<T> = (fn(&T) -> String, fn(&mut T, String));

/// A text input of a row that some other choice of the row switches off (cleared and
/// disabled), with a placeholder saying why.
fn row_switched_text<T: Keyed + Send + Sync + 'static>(
    row: ListRow<T>,
    (label, sub): (&'static str, &'static str),
    (get, set): Access<T>,
    placeholder: Signal<&'static str>,
    off: Signal<bool>,
) -> impl IntoView {
    let edit = row.edit(sub, set);
    view! {
        <FieldRow label id=row.id(sub) error=row.error(sub)>
            <input
                type="text"
                id=row.id(sub)
                name=move || row.name(sub).get()
                prop:value=row.get(get)
                placeholder=move || placeholder.get()
                disabled=move || off.get()
                autocomplete="off"
                autocapitalize="none"
                spellcheck="false"
                on:input=move |ev| edit.run(event_target_value(&ev))
            />
        </FieldRow>
    }
}

#[component]
fn AffinityRowView(row_key: u64, fields: ProfileFields, errors: Errors) -> impl IntoView {
    let row = ListRow::new(fields.node_affinity, row_key, "node_affinity", errors);
    view! {
        <div class="row-card" data-testid="node_affinity-row">
            <div class="row-fields row-fields-affinity">
                {rule_fields(row)}
                {row.remove_button("rule")}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn PreferredRowView(row_key: u64, fields: ProfileFields, errors: Errors) -> impl IntoView {
    let row = ListRow::new(
        fields.node_affinity_preferred,
        row_key,
        "node_affinity_preferred",
        errors,
    );
    view! {
        <div class="row-card" data-testid="node_affinity_preferred-row">
            <div class="row-fields row-fields-preferred">
                <FieldRow label="Weight" id=row.id("weight") error=row.error("weight")>
                    <TextInput
                        id=row.id("weight")
                        name=row.name("weight")
                        value=row.get(|r| r.weight.clone())
                        on_input=row.edit("weight", |r, v| r.weight = v)
                        placeholder="1–100"
                        inputmode="numeric"
                    />
                </FieldRow>
                {rule_fields(row)}
                {row.remove_button("preference")}
            </div>
        </div>
    }
    .into_any()
}

/// What an empty list says: what it is and how to add a row.
fn empty_rows<T: Send + Sync + 'static>(
    rows: RwSignal<Vec<T>>,
    testid: &'static str,
    text: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || rows.with(Vec::is_empty)>
            <p class="muted rows-empty" data-testid=testid>{text}</p>
        </Show>
    }
}

/// A text input of a list row, in its labelled field row.
fn row_text<T: Keyed + Send + Sync + 'static>(
    row: ListRow<T>,
    label: &'static str,
    sub: &'static str,
    get: fn(&T) -> String,
    set: fn(&mut T, String),
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <FieldRow label id=row.id(sub) error=row.error(sub)>
            <TextInput
                id=row.id(sub)
                name=row.name(sub)
                value=row.get(get)
                on_input=row.edit(sub, set)
                placeholder
            />
        </FieldRow>
    }
}

#[component]
fn ChoiceRowView(
    row_key: u64,
    choices: RwSignal<Vec<ChoiceRow>>,
    option_index: Memo<usize>,
    errors: Errors,
) -> impl IntoView {
    let row =
        ListRow::new(choices, row_key, "choices", errors).under("profile_options", option_index);
    // One default per option: ticking a choice unticks the others.
    let set_default = Callback::new(move |on: bool| {
        choices.update(|v| {
            for r in v.iter_mut() {
                if r.key == row_key {
                    r.is_default = on;
                } else if on {
                    r.is_default = false;
                }
            }
        });
        row.touch("is_default");
    });
    view! {
        <div class="row-card choice-row" data-testid="choice-row">
            <div class="row-fields row-fields-choice">
                {row_text(row, "Key", "key", |r| r.choice_key.clone(), |r, v| r.choice_key = v, "python")}
                {row_text(row, "Shown as", "display_name", |r| r.display_name.clone(), |r, v| r.display_name = v, "Python 3.12")}
                <CheckRow
                    label="Default"
                    id=row.id("is_default")
                    name=row.name("is_default")
                    checked=row.get(|r| r.is_default)
                    on_change=set_default
                    error=row.error("is_default")
                    spacer=true
                />
                {row.remove_button("choice")}
            </div>
            <div class="row-fields row-fields-overrides">
                {row_text(row, "Image", "image", |r| r.image.clone(), |r, v| r.image = v, "the profile's")}
                {row_text(row, "CPU limit", "cpu_limit", |r| r.cpu_limit.clone(), |r, v| r.cpu_limit = v, "the profile's")}
                {row_text(row, "CPU guarantee", "cpu_guarantee", |r| r.cpu_guarantee.clone(), |r, v| r.cpu_guarantee = v, "the profile's")}
                {row_text(row, "Memory limit", "mem_limit", |r| r.mem_limit.clone(), |r, v| r.mem_limit = v, "the profile's")}
                {row_text(row, "Memory guarantee", "mem_guarantee", |r| r.mem_guarantee.clone(), |r, v| r.mem_guarantee = v, "the profile's")}
                {row_text(row, "GPUs", "extra_resources", |r| r.extra_resources.clone(), |r, v| r.extra_resources = v, "nvidia.com/gpu=1")}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn OptionRowView(row_key: u64, fields: ProfileFields, errors: Errors) -> impl IntoView {
    let row = ListRow::new(fields.profile_options, row_key, "profile_options", errors);
    // An option keeps its list of choices for its whole life (loading the form makes new rows).
    let choices = fields
        .profile_options
        .with_untracked(|v| v.iter().find(|r| r.key == row_key).map(|r| r.choices))
        .unwrap_or_else(|| RwSignal::new(Vec::new()));
    let unlisted = row.get(|r| r.unlisted);
    let add_choice = move |_| {
        let key = fields.key();
        let first = choices.with_untracked(Vec::is_empty);
        choices.update(|v| {
            v.push(ChoiceRow {
                key,
                choice_key: String::new(),
                display_name: String::new(),
                // The first choice is the default until another is ticked.
                is_default: first,
                image: String::new(),
                cpu_limit: String::new(),
                cpu_guarantee: String::new(),
                mem_limit: String::new(),
                mem_guarantee: String::new(),
                extra_resources: String::new(),
            })
        });
        errors.shown.rows_changed();
    };
    let label = move || {
        let name = row.get(|r| r.display_name.clone()).get();
        if name.trim().is_empty() {
            format!("Option {}", row.index.get() + 1)
        } else {
            name
        }
    };
    view! {
        <div class="row-card option-card" data-testid="option-row">
            <h4 class="option-title">{label}</h4>
            <div class="row-fields row-fields-option">
                {row_text(row, "Key", "key", |r| r.option_key.clone(), |r, v| r.option_key = v, "image")}
                {row_text(row, "Shown as", "display_name", |r| r.display_name.clone(), |r, v| r.display_name = v, "Image")}
                {row.remove_button("option")}
            </div>
            <p class="hint">"Each choice overrides only what it fills in; empty fields keep the profile's own value. Exactly one choice is the default."</p>
            <div class="rows choice-rows">
                <For each=move || choices.get() key=|r| r.key let:choice>
                    <ChoiceRowView row_key=choice.key choices option_index=row.index errors />
                </For>
            </div>
            <Show when=move || choices.with(Vec::is_empty)>
                <p class="muted rows-empty">"No choice yet: add one, for example an image or a size users can pick."</p>
            </Show>
            {move || errors.of(&format!("profile_options#{row_key}.choices"), &row.field("choices")).map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            <button type="button" class="btn btn-small" id=row.id("choices") data-testid="add-choice" on:click=add_choice>
                "+ Add choice"
            </button>
            <CheckRow
                label="Also accept a value typed by the user"
                id=row.id("unlisted")
                name=row.name("unlisted")
                checked=unlisted
                on_change=row.edit("unlisted", |r, b| r.unlisted = b)
                hint="KubeSpawner's \"Other…\": the value is put into an image you describe, after it matches your pattern."
                error=row.error("unlisted")
            />
            <Show when=move || unlisted.get()>
                <div class="row-fields row-fields-unlisted">
                    {row_text(row, "Label of the input", "unlisted_display_name", |r| r.unlisted_display_name.clone(), |r, v| r.unlisted_display_name = v, "Image from our registry")}
                    {row_text(row, "Image ({value} = what is typed)", "unlisted_image", |r| r.unlisted_image.clone(), |r, v| r.unlisted_image = v, "registry.example.org/{value}")}
                    {row_text(row, "Pattern", "unlisted_pattern", |r| r.unlisted_pattern.clone(), |r, v| r.unlisted_pattern = v, "^[a-z0-9._/-]+:[A-Za-z0-9._-]+$")}
                    {row_text(row, "Message when it does not match", "unlisted_message", |r| r.unlisted_message.clone(), |r, v| r.unlisted_message = v, "Write name:tag")}
                </div>
            </Show>
        </div>
    }
    .into_any()
}

/// Choices inside the profile (KubeSpawner's `profile_options`).
#[component]
fn ChoicesSection(fields: ProfileFields, errors: Errors) -> impl IntoView {
    let add_option = move |_| {
        let key = fields.key();
        let first = fields.key();
        fields.profile_options.update(|v| {
            v.push(OptionRow {
                key,
                option_key: String::new(),
                display_name: String::new(),
                choices: RwSignal::new(vec![ChoiceRow {
                    key: first,
                    choice_key: String::new(),
                    display_name: String::new(),
                    is_default: true,
                    image: String::new(),
                    cpu_limit: String::new(),
                    cpu_guarantee: String::new(),
                    mem_limit: String::new(),
                    mem_guarantee: String::new(),
                    extra_resources: String::new(),
                }]),
                unlisted: false,
                unlisted_display_name: String::new(),
                unlisted_image: String::new(),
                unlisted_pattern: String::new(),
                unlisted_message: String::new(),
            })
        });
        errors.shown.rows_changed();
    };
    view! {
        <fieldset class="form-section" data-testid="choices-section">
            <legend>"Choices"</legend>
            <p class="hint">"Let users pick inside this profile on the spawn page, e.g. an image (Python 3.12 or R 4.4) or a size (small or large). Each option is a list of choices; a choice overrides the image, CPU, memory or GPUs of the profile."</p>
            <div class="rows">
                <For each=move || fields.profile_options.get() key=|r| r.key let:row>
                    <OptionRowView row_key=row.key fields errors />
                </For>
            </div>
            {empty_rows(fields.profile_options, "no-options", "No choices: users get this profile as it is. Add an option to let them pick, for example, an image or a size when they start a server.")}
            <button type="button" class="btn btn-small" data-testid="add-option" on:click=add_option>
                "+ Add option"
            </button>
        </fieldset>
    }
    .into_any()
}

/// GPUs and other extended resources, tolerations, required and preferred node affinity.
#[component]
fn SchedulingSection(fields: ProfileFields, errors: Errors) -> impl IntoView {
    let add_button = |label: &'static str, testid: &'static str, add: Callback<()>| {
        view! {
            <button
                type="button"
                class="btn btn-small"
                data-testid=testid
                on:click=move |_| {
                    add.run(());
                    errors.shown.rows_changed();
                }
            >
                {label}
            </button>
        }
    };
    let add_resource = Callback::new(move |()| {
        let key = fields.key();
        fields.extra_resources.update(|v| {
            v.push(ResourceRow {
                key,
                name: String::new(),
                limit: String::new(),
                guarantee: String::new(),
            })
        });
    });
    let add_toleration = Callback::new(move |()| {
        let key = fields.key();
        fields.tolerations.update(|v| {
            v.push(TolerationRow {
                key,
                taint_key: String::new(),
                operator: TolerationOperator::Equal.as_str().into(),
                value: String::new(),
                effect: String::new(),
                seconds: String::new(),
            })
        });
    });
    let blank_rule = |key: u64| AffinityRow {
        key,
        label_key: String::new(),
        operator: AffinityOperator::In.as_str().into(),
        values: String::new(),
    };
    let add_affinity = Callback::new(move |()| {
        let key = fields.key();
        fields.node_affinity.update(|v| v.push(blank_rule(key)));
    });
    let add_preferred = Callback::new(move |()| {
        let key = fields.key();
        fields.node_affinity_preferred.update(|v| {
            v.push(PreferredRow {
                key,
                weight: String::new(),
                rule: blank_rule(key),
            })
        });
    });
    view! {
        <fieldset class="form-section" data-testid="scheduling-section">
            <legend>"GPUs and node pools"</legend>
            <p class="hint">"For servers that need a GPU or must run on a separate pool of nodes. Rows left empty are ignored."</p>
            <datalist id="pf-resource-names">
                <option value="nvidia.com/gpu"></option>
                <option value="amd.com/gpu"></option>
                <option value="gpu.intel.com/i915"></option>
                <option value="ephemeral-storage"></option>
            </datalist>
            <h3 class="subsection">"GPUs and other resources"</h3>
            <p class="hint">"What the device plugin advertises, e.g. nvidia.com/gpu, in whole units. Kubernetes never shares these: a guarantee, when given, equals the limit."</p>
            <div class="rows">
                <For each=move || fields.extra_resources.get() key=|r| r.key let:row>
                    <ResourceRowView row_key=row.key fields errors />
                </For>
            </div>
            {empty_rows(fields.extra_resources, "no-resources", "No GPUs or other resources: servers get CPU and memory only. Add a resource to give each server, for example, one nvidia.com/gpu.")}
            {add_button("+ Add resource", "add-resource", add_resource)}
            <h3 class="subsection">"Tolerations"</h3>
            <p class="hint">"Taints of the nodes these servers may run on, e.g. nvidia.com/gpu with Exists and NoSchedule. Seconds apply to NoExecute only: how long a server stays once the taint appears."</p>
            <div class="rows">
                <For each=move || fields.tolerations.get() key=|r| r.key let:row>
                    <TolerationRowView row_key=row.key fields errors />
                </For>
            </div>
            {empty_rows(fields.tolerations, "no-tolerations", "No tolerations: servers stay off tainted nodes (the chart's own user-node taint excepted). Add one to let them onto, for example, GPU nodes tainted nvidia.com/gpu.")}
            {add_button("+ Add toleration", "add-toleration", add_toleration)}
            <h3 class="subsection">"Required node affinity"</h3>
            <p class="hint">"Servers run only on nodes matching every rule (the node selector above must match too)."</p>
            <div class="rows">
                <For each=move || fields.node_affinity.get() key=|r| r.key let:row>
                    <AffinityRowView row_key=row.key fields errors />
                </For>
            </div>
            {empty_rows(fields.node_affinity, "no-affinity", "No required rules: servers may run on any node that fits. Add a rule to keep them on, for example, nodes whose nvidia.com/gpu.product is A100.")}
            {add_button("+ Add rule", "add-affinity", add_affinity)}
            <h3 class="subsection">"Preferred node affinity"</h3>
            <p class="hint">"Nodes matching a rule get its weight (1 to 100); the scheduler prefers the nodes with the most, but uses others when they are full."</p>
            <div class="rows">
                <For each=move || fields.node_affinity_preferred.get() key=|r| r.key let:row>
                    <PreferredRowView row_key=row.key fields errors />
                </For>
            </div>
            {empty_rows(fields.node_affinity_preferred, "no-preferred", "No preferences: the scheduler picks any node that fits. Add one to favour, for example, node-pool In (large) with weight 50.")}
            {add_button("+ Add preference", "add-preferred", add_preferred)}
        </fieldset>
    }
    .into_any()
}

/// The whole profile form body (everything but the hidden ids, the reason and the buttons).
#[component]
pub fn ProfileInputs(
    fields: ProfileFields,
    errors: Errors,
    hub: Hub,
    /// The profile being edited (`None`: new).
    profile_id: Option<i64>,
    siblings: StoredValue<Vec<Profile>>,
    volumes: StoredValue<Vec<SharedVolume>>,
) -> impl IntoView {
    let slug_follows = RwSignal::new(profile_id.is_none());
    let on_display_name = Callback::new(move |v: String| {
        if slug_follows.get_untracked() {
            fields.slug.set(slugify(&v));
        }
    });
    let on_slug = Callback::new(move |_: String| slug_follows.set(false));
    let hub_id = hub.id;
    let checkbox =
        move |sig: RwSignal<bool>, field: &'static str, label: &'static str, hint: &'static str| {
            // Default and deprecated are checked together (a deprecated profile cannot be the
            // default) and decide whether a replacement is needed.
            let on_change = Callback::new(move |b: bool| {
                sig.set(b);
                errors.shown.touch(field);
                errors.shown.touch("is_default");
                errors.shown.touch("replaced_by");
            });
            view! {
                <CheckRow
                    label
                    id=format!("pf-{field}")
                    name=format!("form[{field}]")
                    checked=sig
                    on_change
                    hint
                    error=errors.signal(field)
                />
            }
        };
    let description_initial = fields.description.get_untracked();
    let no_volumes = volumes.with_value(Vec::is_empty);
    view! {
        <fieldset class="form-section">
            <legend>"Name"</legend>
            <div class="form-grid">
                <TextField errors prefix="pf" value=fields.display_name field="display_name" label="Display name" hint="What users see in the list of environments. Plain text: markup is shown as typed, never run." placeholder="Data science" on_change=on_display_name />
                <TextField errors prefix="pf" value=fields.slug field="slug" label="Slug" hint="KubeSpawner's id for the profile: lowercase letters, digits and '-'." placeholder="data-science" on_change=on_slug />
            </div>
            <FieldRow label="Description (optional)" id="pf-description" hint="One or two sentences under the name in the list. Plain text (HTML is escaped)." error=errors.signal("description")>
                <textarea
                    id="pf-description"
                    name="form[description]"
                    rows="2"
                    prop:value=move || fields.description.get()
                    on:input=move |ev| {
                        fields.description.set(event_target_value(&ev));
                        errors.shown.touch("description");
                    }
                >
                    {description_initial}
                </textarea>
            </FieldRow>
        </fieldset>
        <fieldset class="form-section">
            <legend>"Image"</legend>
            <div class="form-grid">
                <TextField errors prefix="pf" value=fields.image_name field="image_name" label="Image" hint="Registry and repository, without the tag." placeholder="quay.io/jupyter/scipy-notebook" />
                <TextField errors prefix="pf" value=fields.image_tag field="image_tag" label="Tag" hint="A tag such as v1, or a digest sha256:…" placeholder="v1" />
                <FieldRow label="Pull policy" id="pf-image_pull_policy" error=errors.signal("image_pull_policy")>
                    <SelectInput
                        id="pf-image_pull_policy"
                        name="form[image_pull_policy]"
                        value=fields.image_pull_policy
                        on_change=errors.edit(fields.image_pull_policy, "image_pull_policy")
                        options=PullPolicy::ALL.into_iter().map(|p| (p.as_str().to_string(), p.as_str().to_string())).collect()
                    />
                </FieldRow>
                <TextField errors prefix="pf" value=fields.image_pull_secret field="image_pull_secret" label="Pull secret (optional)" hint="A docker-registry Secret in the hub's namespace, for private registries." />
            </div>
        </fieldset>
        <fieldset class="form-section">
            <legend>"Resources"</legend>
            <p class="hint">"CPU in cores (1.5 = one and a half). Memory as KubeSpawner writes it: a number and K, M, G or T, all 1024-based (3G = 3 GiB). Leave empty for no limit or guarantee."</p>
            <div class="form-grid">
                <TextField errors prefix="pf" value=fields.cpu_limit field="cpu_limit" label="CPU limit" placeholder="1.5" inputmode="decimal" />
                <TextField errors prefix="pf" value=fields.cpu_guarantee field="cpu_guarantee" label="CPU guarantee" placeholder="0.5" inputmode="decimal" />
                <TextField errors prefix="pf" value=fields.mem_limit field="mem_limit" label="Memory limit" placeholder="3G" />
                <TextField errors prefix="pf" value=fields.mem_guarantee field="mem_guarantee" label="Memory guarantee" placeholder="1G" />
            </div>
        </fieldset>
        <fieldset class="form-section">
            <legend>"Home directory"</legend>
            <p class="hint">"Each user gets a persistent volume of this size for their files."</p>
            <div class="form-grid form-grid-3">
                <TextField errors prefix="pf" value=fields.home_capacity field="home_capacity" label="Size" hint="Kubernetes quantity, e.g. 5Gi." placeholder="5Gi" />
                <TextField errors prefix="pf" value=fields.home_storage_class field="home_storage_class" label="Storage class (optional)" hint="Empty: the cluster default." placeholder="glusterfs" />
                <TextField errors prefix="pf" value=fields.home_mount_path field="home_mount_path" label="Mount path" hint=format!("Empty: {DEFAULT_HOME_MOUNT_PATH}.") placeholder=DEFAULT_HOME_MOUNT_PATH />
            </div>
        </fieldset>
        <fieldset class="form-section" data-testid="mounts-section">
            <legend>"Shared volumes"</legend>
            <p class="hint">"Volumes of this hub mounted into every server of the profile."</p>
            {no_volumes.then(|| view! {
                <p class="muted">
                    "This hub has no shared volumes yet. "
                    <a href=format!("/hubs/{hub_id}/volumes/new")>"Create one"</a>
                    " first to mount it here."
                </p>
            })}
            <div class="rows">
                <For each=move || fields.mounts.get() key=|r| r.key let:row>
                    <MountRowView row_key=row.key fields errors volumes />
                </For>
            </div>
            {move || errors.of("mounts", "mounts").map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            <button
                type="button"
                class="btn btn-small"
                disabled=no_volumes
                on:click=move |_| {
                    let key = fields.key();
                    fields.mounts.update(|v| v.push(MountRow { key, volume_id: String::new(), mount_path: String::new(), read_only: false }));
                    errors.shown.rows_changed();
                }
            >
                "+ Add mount"
            </button>
        </fieldset>
        <PairSection list=PairList::Env fields errors />
        <PairSection list=PairList::NodeSelector fields errors />
        <SchedulingSection fields errors />
        <ChoicesSection fields errors />
        <fieldset class="form-section">
            <legend>"Access and lifecycle"</legend>
            <TextField errors prefix="pf" value=fields.allowed_groups field="allowed_groups" label="Allowed groups (optional)" hint="Comma-separated groups whose members may choose this profile. Empty: everyone. Only profiles open to everyone are offered while the hub cannot reach the portal." placeholder="data-science, physics" />
            <div class="form-grid">
                {checkbox(fields.is_default, "is_default", "Default profile", "Pre-selected for users of this hub; a hub has at most one.")}
                {checkbox(fields.deprecated, "deprecated", "Deprecated", "No longer offered: its users are moved to the replacement.")}
            </div>
            <Show when=move || fields.deprecated.get()>
                <FieldRow label="Replaced by" id="pf-replaced_by" hint="Users of this profile get this one instead." error=errors.signal("replaced_by")>
                    <SelectInput
                        id="pf-replaced_by"
                        name="form[replaced_by]"
                        value=fields.replaced_by
                        on_change=errors.edit(fields.replaced_by, "replaced_by")
                        empty="Choose a profile…"
                        options=siblings.with_value(|s| s
                            .iter()
                            .filter(|p| Some(p.id) != profile_id)
                            .map(|p| {
                                let label = if p.spec.is_deprecated() {
                                    format!("{} (deprecated)", p.spec.display_name)
                                } else {
                                    p.spec.display_name.clone()
                                };
                                (p.id.to_string(), label)
                            })
                            .collect())
                    />
                </FieldRow>
            </Show>
        </fieldset>
    }
    .into_any()
}
