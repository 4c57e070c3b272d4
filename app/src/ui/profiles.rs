//! Environment profiles: the list across hubs (`/profiles`), the create form
//! (`/hubs/{id}/profiles/new`) and the edit form (`/profiles/{id}`).
//!
//! The form runs the same validation as the server as the admin types: `ProfileForm::validate`
//! for every field, then `check_siblings` and `check_mounts` against the hub's other profiles
//! and shared volumes loaded with the page. Inputs are named as the domain documents
//! (`form[mounts][1][mount_path]`), so the server's answer names the same fields.

use super::conflict::{
    ConflictRow, ConflictView, ErrorSummary, SavedBanner, Shown, TextInput, answer_banner,
    answer_errors, breakable, short_time,
};
use super::form::FieldRow;
use super::hubs::{profile_status, resources_text, route_id};
use crate::api::profiles::{
    CreateProfile, DeleteProfile, ProfileEditor, ProfileListItem, UpdateProfile, list_profiles,
    load_new_profile, load_profile,
};
use crate::domain::FieldErrors;
use crate::domain::hub::Hub;
use crate::domain::mount::check_mounts;
use crate::domain::profile::{
    DEFAULT_HOME_MOUNT_PATH, EnvVarForm, LabelForm, MountForm, Profile, ProfileForm, PullPolicy,
    check_siblings, slugify,
};
use crate::domain::validate::{checkbox_value, parse_checkbox};
use crate::domain::volume::SharedVolume;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

/// One shared-volume mount row. `key` identifies the row while rows come and go.
#[derive(Debug, Clone, PartialEq)]
struct MountRow {
    key: u64,
    volume_id: String,
    mount_path: String,
    read_only: bool,
}

/// One row of a two-column list: environment variables (name, value) or node-selector labels
/// (key, value).
#[derive(Debug, Clone, PartialEq)]
struct PairRow {
    key: u64,
    a: String,
    b: String,
}

/// Which two-column list a [`PairRow`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PairList {
    Env,
    NodeSelector,
}

impl PairList {
    fn list(self) -> &'static str {
        match self {
            PairList::Env => "env",
            PairList::NodeSelector => "node_selector",
        }
    }
    fn a(self) -> &'static str {
        match self {
            PairList::Env => "name",
            PairList::NodeSelector => "key",
        }
    }
    fn a_label(self) -> &'static str {
        match self {
            PairList::Env => "Name",
            PairList::NodeSelector => "Label key",
        }
    }
    fn b_label(self) -> &'static str {
        match self {
            PairList::Env => "Value",
            PairList::NodeSelector => "Label value",
        }
    }
    fn a_placeholder(self) -> &'static str {
        match self {
            PairList::Env => "CONDA_DIR",
            PairList::NodeSelector => "node-pool",
        }
    }
    fn b_placeholder(self) -> &'static str {
        match self {
            PairList::Env => "/opt/conda",
            PairList::NodeSelector => "user",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            PairList::Env => "variable",
            PairList::NodeSelector => "label",
        }
    }
}

/// The profile form's values.
#[derive(Clone, Copy)]
struct ProfileFields {
    display_name: RwSignal<String>,
    slug: RwSignal<String>,
    description: RwSignal<String>,
    image_name: RwSignal<String>,
    image_tag: RwSignal<String>,
    image_pull_policy: RwSignal<String>,
    image_pull_secret: RwSignal<String>,
    cpu_limit: RwSignal<String>,
    cpu_guarantee: RwSignal<String>,
    mem_limit: RwSignal<String>,
    mem_guarantee: RwSignal<String>,
    home_capacity: RwSignal<String>,
    home_storage_class: RwSignal<String>,
    home_mount_path: RwSignal<String>,
    mounts: RwSignal<Vec<MountRow>>,
    env: RwSignal<Vec<PairRow>>,
    node_selector: RwSignal<Vec<PairRow>>,
    allowed_groups: RwSignal<String>,
    is_default: RwSignal<bool>,
    deprecated: RwSignal<bool>,
    replaced_by: RwSignal<String>,
    next_key: StoredValue<u64>,
}

fn checked(v: &str) -> bool {
    parse_checkbox("x", v).unwrap_or(false)
}

impl ProfileFields {
    fn new(f: &ProfileForm) -> Self {
        let s = |v: &String| RwSignal::new(v.clone());
        let fields = Self {
            display_name: s(&f.display_name),
            slug: s(&f.slug),
            description: s(&f.description),
            image_name: s(&f.image_name),
            image_tag: s(&f.image_tag),
            image_pull_policy: s(&f.image_pull_policy),
            image_pull_secret: s(&f.image_pull_secret),
            cpu_limit: s(&f.cpu_limit),
            cpu_guarantee: s(&f.cpu_guarantee),
            mem_limit: s(&f.mem_limit),
            mem_guarantee: s(&f.mem_guarantee),
            home_capacity: s(&f.home_capacity),
            home_storage_class: s(&f.home_storage_class),
            home_mount_path: s(&f.home_mount_path),
            mounts: RwSignal::new(Vec::new()),
            env: RwSignal::new(Vec::new()),
            node_selector: RwSignal::new(Vec::new()),
            allowed_groups: s(&f.allowed_groups),
            is_default: RwSignal::new(checked(&f.is_default)),
            deprecated: RwSignal::new(checked(&f.deprecated)),
            replaced_by: s(&f.replaced_by),
            next_key: StoredValue::new(0),
        };
        fields.load_rows(f);
        fields
    }

    fn key(&self) -> u64 {
        let k = self.next_key.get_value();
        self.next_key.set_value(k + 1);
        k
    }

    fn load_rows(&self, f: &ProfileForm) {
        let mounts = f
            .mounts
            .iter()
            .map(|m| MountRow {
                key: self.key(),
                volume_id: m.volume_id.clone(),
                mount_path: m.mount_path.clone(),
                read_only: checked(&m.read_only),
            })
            .collect();
        let env = f
            .env
            .iter()
            .map(|e| PairRow {
                key: self.key(),
                a: e.name.clone(),
                b: e.value.clone(),
            })
            .collect();
        let labels = f
            .node_selector
            .iter()
            .map(|l| PairRow {
                key: self.key(),
                a: l.key.clone(),
                b: l.value.clone(),
            })
            .collect();
        self.mounts.set(mounts);
        self.env.set(env);
        self.node_selector.set(labels);
    }

    fn load(&self, f: &ProfileForm) {
        self.display_name.set(f.display_name.clone());
        self.slug.set(f.slug.clone());
        self.description.set(f.description.clone());
        self.image_name.set(f.image_name.clone());
        self.image_tag.set(f.image_tag.clone());
        self.image_pull_policy.set(f.image_pull_policy.clone());
        self.image_pull_secret.set(f.image_pull_secret.clone());
        self.cpu_limit.set(f.cpu_limit.clone());
        self.cpu_guarantee.set(f.cpu_guarantee.clone());
        self.mem_limit.set(f.mem_limit.clone());
        self.mem_guarantee.set(f.mem_guarantee.clone());
        self.home_capacity.set(f.home_capacity.clone());
        self.home_storage_class.set(f.home_storage_class.clone());
        self.home_mount_path.set(f.home_mount_path.clone());
        self.allowed_groups.set(f.allowed_groups.clone());
        self.is_default.set(checked(&f.is_default));
        self.deprecated.set(checked(&f.deprecated));
        self.replaced_by.set(f.replaced_by.clone());
        self.load_rows(f);
    }

    /// The current values (tracked), as the browser submits them.
    fn form(&self) -> ProfileForm {
        ProfileForm {
            display_name: self.display_name.get(),
            slug: self.slug.get(),
            description: self.description.get(),
            image_name: self.image_name.get(),
            image_tag: self.image_tag.get(),
            image_pull_policy: self.image_pull_policy.get(),
            image_pull_secret: self.image_pull_secret.get(),
            cpu_limit: self.cpu_limit.get(),
            cpu_guarantee: self.cpu_guarantee.get(),
            mem_limit: self.mem_limit.get(),
            mem_guarantee: self.mem_guarantee.get(),
            home_capacity: self.home_capacity.get(),
            home_storage_class: self.home_storage_class.get(),
            home_mount_path: self.home_mount_path.get(),
            mounts: self.mounts.with(|rows| {
                rows.iter()
                    .map(|r| MountForm {
                        volume_id: r.volume_id.clone(),
                        mount_path: r.mount_path.clone(),
                        read_only: checkbox_value(r.read_only),
                    })
                    .collect()
            }),
            env: self.env.with(|rows| {
                rows.iter()
                    .map(|r| EnvVarForm {
                        name: r.a.clone(),
                        value: r.b.clone(),
                    })
                    .collect()
            }),
            node_selector: self.node_selector.with(|rows| {
                rows.iter()
                    .map(|r| LabelForm {
                        key: r.a.clone(),
                        value: r.b.clone(),
                    })
                    .collect()
            }),
            allowed_groups: self.allowed_groups.get(),
            is_default: checkbox_value(self.is_default.get()),
            deprecated: checkbox_value(self.deprecated.get()),
            // Only a deprecated profile submits its replacement (the select is shown then).
            replaced_by: if self.deprecated.get() {
                self.replaced_by.get()
            } else {
                String::new()
            },
        }
    }

    fn form_untracked(&self) -> ProfileForm {
        untrack(|| self.form())
    }

    fn pairs(&self, list: PairList) -> RwSignal<Vec<PairRow>> {
        match list {
            PairList::Env => self.env,
            PairList::NodeSelector => self.node_selector,
        }
    }

    /// The visibility key, input id and label of the field an error names
    /// (`mounts[1].mount_path` → the second mount row's path input).
    fn locate(&self, field: &str) -> (String, String, String) {
        if let Some((list, rest)) = field.split_once('[')
            && let Some((index, sub)) = rest.split_once("].")
            && let Ok(i) = index.parse::<usize>()
        {
            let key = match list {
                "mounts" => self.mounts.with_untracked(|r| r.get(i).map(|r| r.key)),
                "env" => self.env.with_untracked(|r| r.get(i).map(|r| r.key)),
                "node_selector" => self
                    .node_selector
                    .with_untracked(|r| r.get(i).map(|r| r.key)),
                _ => None,
            };
            let what = match list {
                "mounts" => "Shared volume mount",
                "env" => "Environment variable",
                _ => "Node selector label",
            };
            let sub_label = sub.replace('_', " ");
            return match key {
                Some(k) => (
                    format!("{list}#{k}.{sub}"),
                    format!("pf-{list}-{k}-{sub}"),
                    format!("{what} {}: {sub_label}", i + 1),
                ),
                None => (
                    field.to_string(),
                    "pf-form".into(),
                    format!("{what} {}", i + 1),
                ),
            };
        }
        (
            field.to_string(),
            format!("pf-{field}"),
            field_label(field).to_string(),
        )
    }
}

fn field_label(field: &str) -> &'static str {
    match field {
        "display_name" => "Display name",
        "slug" => "Slug",
        "description" => "Description",
        "image_name" => "Image",
        "image_tag" => "Tag",
        "image_pull_policy" => "Pull policy",
        "image_pull_secret" => "Pull secret",
        "cpu_limit" => "CPU limit",
        "cpu_guarantee" => "CPU guarantee",
        "mem_limit" => "Memory limit",
        "mem_guarantee" => "Memory guarantee",
        "home_capacity" => "Home size",
        "home_storage_class" => "Home storage class",
        "home_mount_path" => "Home mount path",
        "allowed_groups" => "Allowed groups",
        "is_default" => "Default profile",
        "deprecated" => "Deprecated",
        "replaced_by" => "Replaced by",
        "mounts" => "Shared volumes",
        _ => "Form",
    }
}

/// Every check the browser can make before the server sees the form: each field, then the
/// rules involving the hub's other profiles and its volumes (skipped while fields are
/// invalid, as on the server).
fn check_profile(
    form: &ProfileForm,
    id: Option<i64>,
    siblings: &[Profile],
    volumes: &[SharedVolume],
) -> Option<FieldErrors> {
    match form.validate() {
        Err(e) => Some(e),
        Ok(spec) => {
            let mut e = FieldErrors::new();
            if let Err(x) = check_siblings(id, &spec, siblings) {
                e.0.extend(x.0);
            }
            if let Err(x) = check_mounts(&spec, volumes) {
                e.0.extend(x.0);
            }
            (!e.is_empty()).then_some(e)
        }
    }
}

fn lines<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join("\n")
}

fn profile_conflict_rows(
    stored: &ProfileForm,
    mine: &ProfileForm,
    volumes: &[SharedVolume],
    siblings: &[Profile],
) -> Vec<ConflictRow> {
    let volume_name = |id: &str| {
        volumes
            .iter()
            .find(|v| v.id.to_string() == id.trim())
            .map(|v| v.spec.name.clone())
            .unwrap_or_else(|| format!("volume #{id}"))
    };
    let mounts = |f: &ProfileForm| {
        lines(&f.mounts, |m| {
            format!(
                "{} → {}{}",
                volume_name(&m.volume_id),
                m.mount_path,
                if checked(&m.read_only) {
                    " (read-only)"
                } else {
                    ""
                }
            )
        })
    };
    let env = |f: &ProfileForm| {
        lines(&f.env, |e| {
            if e.name.is_empty() && e.value.is_empty() {
                String::new()
            } else {
                format!("{}={}", e.name, e.value)
            }
        })
    };
    let labels = |f: &ProfileForm| {
        lines(&f.node_selector, |l| {
            if l.key.is_empty() && l.value.is_empty() {
                String::new()
            } else {
                format!("{}={}", l.key, l.value)
            }
        })
    };
    let yes = |v: &str| if checked(v) { "yes" } else { "no" };
    let replaced = |f: &ProfileForm| {
        if !checked(&f.deprecated) {
            return String::new();
        }
        siblings
            .iter()
            .find(|p| p.id.to_string() == f.replaced_by.trim())
            .map(|p| p.spec.display_name.clone())
            .unwrap_or_else(|| f.replaced_by.clone())
    };
    let home_path = |f: &ProfileForm| {
        if f.home_mount_path.trim().is_empty() {
            DEFAULT_HOME_MOUNT_PATH.to_string()
        } else {
            f.home_mount_path.clone()
        }
    };
    let pull = |f: &ProfileForm| {
        if f.image_pull_policy.trim().is_empty() {
            PullPolicy::IfNotPresent.as_str().to_string()
        } else {
            f.image_pull_policy.clone()
        }
    };
    vec![
        ConflictRow::new("Display name", &stored.display_name, &mine.display_name),
        ConflictRow::new("Slug", &stored.slug, &mine.slug),
        ConflictRow::new("Description", &stored.description, &mine.description),
        ConflictRow::new("Image", &stored.image_name, &mine.image_name),
        ConflictRow::new("Tag", &stored.image_tag, &mine.image_tag),
        ConflictRow::new("Pull policy", pull(stored), pull(mine)),
        ConflictRow::new(
            "Pull secret",
            &stored.image_pull_secret,
            &mine.image_pull_secret,
        ),
        ConflictRow::new("CPU limit", &stored.cpu_limit, &mine.cpu_limit),
        ConflictRow::new("CPU guarantee", &stored.cpu_guarantee, &mine.cpu_guarantee),
        ConflictRow::new("Memory limit", &stored.mem_limit, &mine.mem_limit),
        ConflictRow::new(
            "Memory guarantee",
            &stored.mem_guarantee,
            &mine.mem_guarantee,
        ),
        ConflictRow::new("Home size", &stored.home_capacity, &mine.home_capacity),
        ConflictRow::new(
            "Home storage class",
            &stored.home_storage_class,
            &mine.home_storage_class,
        ),
        ConflictRow::new("Home mount path", home_path(stored), home_path(mine)),
        ConflictRow::new("Shared volumes", mounts(stored), mounts(mine)),
        ConflictRow::new("Environment", env(stored), env(mine)),
        ConflictRow::new("Node selector", labels(stored), labels(mine)),
        ConflictRow::new(
            "Allowed groups",
            &stored.allowed_groups,
            &mine.allowed_groups,
        ),
        ConflictRow::new("Default", yes(&stored.is_default), yes(&mine.is_default)),
        ConflictRow::new("Deprecated", yes(&stored.deprecated), yes(&mine.deprecated)),
        ConflictRow::new("Replaced by", replaced(stored), replaced(mine)),
    ]
}

/// What the inputs need to show errors.
#[derive(Clone, Copy)]
struct Errors {
    shown: Shown,
    client: Memo<Option<FieldErrors>>,
    server: Signal<Option<FieldErrors>>,
}

impl Errors {
    fn of(&self, key: &str, field: &str) -> Option<String> {
        self.client.with(|c| {
            self.server
                .with(|s| self.shown.error(key, field, c.as_ref(), s.as_ref()))
        })
    }

    fn signal(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || self.of(field, field))
    }

    /// The problems to list above the form, in field order.
    fn summary(self, fields: ProfileFields) -> Signal<Vec<(String, String, String)>> {
        Signal::derive(move || {
            // Listed after a save attempt; while typing, errors show next to their fields.
            if !self.shown.submitted() {
                return Vec::new();
            }
            let mut names: Vec<String> = Vec::new();
            self.client.with(|c| {
                if let Some(c) = c {
                    names.extend(c.0.iter().map(|e| e.field.clone()));
                }
            });
            self.server.with(|s| {
                if let Some(s) = s {
                    names.extend(s.0.iter().map(|e| e.field.clone()));
                }
            });
            let mut out: Vec<(String, String, String)> = Vec::new();
            for name in names {
                if name == "form" {
                    continue;
                }
                let (key, id, label) = fields.locate(&name);
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

/// A text field of the profile form.
#[component]
fn ProfileText(
    fields: ProfileFields,
    errors: Errors,
    sig: RwSignal<String>,
    field: &'static str,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] on_change: Option<Callback<String>>,
) -> impl IntoView {
    let _ = fields;
    let id = format!("pf-{field}");
    let on_input = Callback::new(move |v: String| {
        sig.set(v.clone());
        errors.shown.touch(field);
        if let Some(cb) = on_change {
            cb.run(v);
        }
    });
    view! {
        <FieldRow label id=id.clone() hint=hint.unwrap_or_default() error=errors.signal(field)>
            <TextInput
                id=id
                name=format!("form[{field}]")
                value=sig
                on_input
                placeholder=placeholder.unwrap_or_default()
                inputmode=inputmode.unwrap_or("text")
            />
        </FieldRow>
    }
    .into_any()
}

#[component]
fn MountRowView(
    row_key: u64,
    fields: ProfileFields,
    errors: Errors,
    volumes: StoredValue<Vec<SharedVolume>>,
) -> impl IntoView {
    let rows = fields.mounts;
    let index = Memo::new(move |_| {
        rows.with(|v| v.iter().position(|r| r.key == row_key))
            .unwrap_or(0)
    });
    let get = move |f: fn(&MountRow) -> String| {
        move || {
            rows.with(|v| {
                v.iter()
                    .find(|r| r.key == row_key)
                    .map(f)
                    .unwrap_or_default()
            })
        }
    };
    let set = move |f: fn(&mut MountRow, String)| {
        move |value: String| {
            rows.update(|v| {
                if let Some(r) = v.iter_mut().find(|r| r.key == row_key) {
                    f(r, value)
                }
            })
        }
    };
    let name = move |sub: &'static str| {
        Signal::derive(move || format!("form[mounts][{}][{sub}]", index.get()))
    };
    let err = move |sub: &'static str| {
        Signal::derive(move || {
            errors.of(
                &format!("mounts#{row_key}.{sub}"),
                &format!("mounts[{}].{sub}", index.get()),
            )
        })
    };
    let id = move |sub: &str| format!("pf-mounts-{row_key}-{sub}");
    let volume_value = Signal::derive(get(|r| r.volume_id.clone()));
    let set_volume = set(|r, v| r.volume_id = v);
    let set_path = set(|r, v| r.mount_path = v);
    let read_only = Signal::derive(move || {
        rows.with(|v| {
            v.iter()
                .find(|r| r.key == row_key)
                .is_some_and(|r| r.read_only)
        })
    });
    let initial_ro = read_only.get_untracked();
    let set_ro = move |b: bool| {
        rows.update(|v| {
            if let Some(r) = v.iter_mut().find(|r| r.key == row_key) {
                r.read_only = b
            }
        })
    };
    view! {
        <div class="row-card" data-testid="mount-row">
            <div class="row-fields row-fields-mount">
                <FieldRow label="Shared volume" id=id("volume_id") error=err("volume_id")>
                    <select
                        id=id("volume_id")
                        name=move || name("volume_id").get()
                        prop:value=move || volume_value.get()
                        on:change=move |ev| {
                            set_volume(event_target_value(&ev));
                            errors.shown.touch(&format!("mounts#{row_key}.volume_id"));
                            errors.shown.touch(&format!("mounts#{row_key}.read_only"));
                        }
                    >
                        <option value="" selected=move || volume_value.get().is_empty()>"Choose a volume…"</option>
                        {volumes
                            .get_value()
                            .into_iter()
                            .map(|v| {
                                let value = v.id.to_string();
                                let v2 = value.clone();
                                let size = v.spec.size.as_ref().map(|s| format!(", {}", s.as_str())).unwrap_or_default();
                                view! {
                                    <option value=value selected=move || volume_value.get() == v2>
                                        {format!("{} ({}{size}, {})", v.spec.name, v.spec.pvc_name, v.spec.access_mode.as_str())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </FieldRow>
                <FieldRow label="Mount path" id=id("mount_path") error=err("mount_path")>
                    <TextInput
                        id=id("mount_path")
                        name=name("mount_path")
                        value=Signal::derive(get(|r| r.mount_path.clone()))
                        on_input=Callback::new(move |v: String| {
                            set_path(v);
                            errors.shown.touch(&format!("mounts#{row_key}.mount_path"));
                        })
                        placeholder="/mnt/data"
                    />
                </FieldRow>
                <div class="field check-field" class:has-error=move || err("read_only").get().is_some()>
                    <span class="field-label-spacer" aria-hidden="true">" "</span>
                    <label class="check-inline" for=id("read_only")>
                        <input
                            id=id("read_only")
                            type="checkbox"
                            name=move || name("read_only").get()
                            checked=initial_ro
                            prop:checked=move || read_only.get()
                            on:change=move |ev| {
                                set_ro(event_target_checked(&ev));
                                errors.shown.touch(&format!("mounts#{row_key}.read_only"));
                            }
                        />
                        " Read-only"
                    </label>
                    <p class="field-error" id=format!("{}-error", id("read_only")) role="alert">{move || err("read_only").get().unwrap_or_default()}</p>
                </div>
                <div class="row-remove">
                    <button
                        type="button"
                        class="btn btn-small btn-icon"
                        aria-label=move || format!("Remove mount {}", index.get() + 1)
                        title="Remove this mount"
                        on:click=move |_| {
                            rows.update(|v| v.retain(|r| r.key != row_key));
                            errors.shown.rows_changed();
                        }
                    >
                        "✕"
                    </button>
                </div>
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
    let rows = fields.pairs(list);
    let index = Memo::new(move |_| {
        rows.with(|v| v.iter().position(|r| r.key == row_key))
            .unwrap_or(0)
    });
    let l = list.list();
    let a = list.a();
    let name = move |sub: &'static str| {
        Signal::derive(move || format!("form[{l}][{}][{sub}]", index.get()))
    };
    let err = move |sub: &'static str| {
        Signal::derive(move || {
            errors.of(
                &format!("{l}#{row_key}.{sub}"),
                &format!("{l}[{}].{sub}", index.get()),
            )
        })
    };
    let id = move |sub: &str| format!("pf-{l}-{row_key}-{sub}");
    let value_a = Signal::derive(move || {
        rows.with(|v| {
            v.iter()
                .find(|r| r.key == row_key)
                .map(|r| r.a.clone())
                .unwrap_or_default()
        })
    });
    let value_b = Signal::derive(move || {
        rows.with(|v| {
            v.iter()
                .find(|r| r.key == row_key)
                .map(|r| r.b.clone())
                .unwrap_or_default()
        })
    });
    view! {
        <div class="row-card" data-testid=format!("{l}-row")>
            <div class="row-fields row-fields-pair">
                <FieldRow label=list.a_label() id=id(a) error=err(a)>
                    <TextInput
                        id=id(a)
                        name=name(a)
                        value=value_a
                        on_input=Callback::new(move |v: String| {
                            rows.update(|rs| if let Some(r) = rs.iter_mut().find(|r| r.key == row_key) { r.a = v });
                            errors.shown.touch(&format!("{l}#{row_key}.{a}"));
                        })
                        placeholder=list.a_placeholder()
                    />
                </FieldRow>
                <FieldRow label=list.b_label() id=id("value") error=err("value")>
                    <TextInput
                        id=id("value")
                        name=name("value")
                        value=value_b
                        on_input=Callback::new(move |v: String| {
                            rows.update(|rs| if let Some(r) = rs.iter_mut().find(|r| r.key == row_key) { r.b = v });
                            errors.shown.touch(&format!("{l}#{row_key}.value"));
                        })
                        placeholder=list.b_placeholder()
                    />
                </FieldRow>
                <div class="row-remove">
                    <button
                        type="button"
                        class="btn btn-small btn-icon"
                        aria-label=move || format!("Remove {} {}", list.noun(), index.get() + 1)
                        title=format!("Remove this {}", list.noun())
                        on:click=move |_| {
                            rows.update(|v| v.retain(|r| r.key != row_key));
                            errors.shown.rows_changed();
                        }
                    >
                        "✕"
                    </button>
                </div>
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

/// The whole profile form body (everything but the hidden ids, the reason and the buttons).
#[component]
fn ProfileInputs(
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
    let checkbox = move |sig: RwSignal<bool>,
                         field: &'static str,
                         label: &'static str,
                         hint: &'static str| {
        let err = errors.signal(field);
        let id = format!("pf-{field}");
        view! {
            <div class="field check-field" class:has-error=move || err.get().is_some()>
                <label class="check-inline" for=id.clone()>
                    <input
                        id=id.clone()
                        type="checkbox"
                        name=format!("form[{field}]")
                        checked=sig.get_untracked()
                        prop:checked=move || sig.get()
                        on:change=move |ev| {
                            sig.set(event_target_checked(&ev));
                            errors.shown.touch(field);
                            errors.shown.touch("is_default");
                            errors.shown.touch("replaced_by");
                        }
                    />
                    " " {label}
                </label>
                <p class="hint">{hint}</p>
                <p class="field-error" id=format!("{id}-error") role="alert">{move || err.get().unwrap_or_default()}</p>
            </div>
        }
    };
    let description_initial = fields.description.get_untracked();
    let no_volumes = volumes.with_value(Vec::is_empty);
    view! {
        <fieldset class="form-section">
            <legend>"Name"</legend>
            <div class="form-grid">
                <ProfileText fields errors sig=fields.display_name field="display_name" label="Display name" hint="What users see in the list of environments." placeholder="Data science" on_change=on_display_name />
                <ProfileText fields errors sig=fields.slug field="slug" label="Slug" hint="KubeSpawner's id for the profile: lowercase letters, digits and '-'." placeholder="data-science" on_change=on_slug />
            </div>
            <FieldRow label="Description (optional)" id="pf-description" hint="One or two sentences under the name in the list." error=errors.signal("description")>
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
                <ProfileText fields errors sig=fields.image_name field="image_name" label="Image" hint="Registry and repository, without the tag." placeholder="quay.io/jupyter/scipy-notebook" />
                <ProfileText fields errors sig=fields.image_tag field="image_tag" label="Tag" hint="A tag such as v1, or a digest sha256:…" placeholder="v1" />
                <FieldRow label="Pull policy" id="pf-image_pull_policy" error=errors.signal("image_pull_policy")>
                    <select
                        id="pf-image_pull_policy"
                        name="form[image_pull_policy]"
                        prop:value=move || fields.image_pull_policy.get()
                        on:change=move |ev| {
                            fields.image_pull_policy.set(event_target_value(&ev));
                            errors.shown.touch("image_pull_policy");
                        }
                    >
                        {PullPolicy::ALL
                            .into_iter()
                            .map(|p| view! { <option value=p.as_str() selected=move || fields.image_pull_policy.get() == p.as_str()>{p.as_str()}</option> })
                            .collect_view()}
                    </select>
                </FieldRow>
                <ProfileText fields errors sig=fields.image_pull_secret field="image_pull_secret" label="Pull secret (optional)" hint="A docker-registry Secret in the hub's namespace, for private registries." />
            </div>
        </fieldset>
        <fieldset class="form-section">
            <legend>"Resources"</legend>
            <p class="hint">"CPU in cores (1.5 = one and a half). Memory as KubeSpawner writes it: a number and K, M, G or T, all 1024-based (3G = 3 GiB). Leave empty for no limit or guarantee."</p>
            <div class="form-grid">
                <ProfileText fields errors sig=fields.cpu_limit field="cpu_limit" label="CPU limit" placeholder="1.5" inputmode="decimal" />
                <ProfileText fields errors sig=fields.cpu_guarantee field="cpu_guarantee" label="CPU guarantee" placeholder="0.5" inputmode="decimal" />
                <ProfileText fields errors sig=fields.mem_limit field="mem_limit" label="Memory limit" placeholder="3G" />
                <ProfileText fields errors sig=fields.mem_guarantee field="mem_guarantee" label="Memory guarantee" placeholder="1G" />
            </div>
        </fieldset>
        <fieldset class="form-section">
            <legend>"Home directory"</legend>
            <p class="hint">"Each user gets a persistent volume of this size for their files."</p>
            <div class="form-grid form-grid-3">
                <ProfileText fields errors sig=fields.home_capacity field="home_capacity" label="Size" hint="Kubernetes quantity, e.g. 5Gi." placeholder="5Gi" />
                <ProfileText fields errors sig=fields.home_storage_class field="home_storage_class" label="Storage class (optional)" hint="Empty: the cluster default." placeholder="glusterfs" />
                <ProfileText fields errors sig=fields.home_mount_path field="home_mount_path" label="Mount path" hint=format!("Empty: {DEFAULT_HOME_MOUNT_PATH}.") placeholder=DEFAULT_HOME_MOUNT_PATH />
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
        <fieldset class="form-section">
            <legend>"Access and lifecycle"</legend>
            <ProfileText fields errors sig=fields.allowed_groups field="allowed_groups" label="Allowed groups (optional)" hint="Comma-separated groups whose members may choose this profile. Empty: everyone." placeholder="data-science, physics" />
            <div class="form-grid">
                {checkbox(fields.is_default, "is_default", "Default profile", "Pre-selected for users of this hub; a hub has at most one.")}
                {checkbox(fields.deprecated, "deprecated", "Deprecated", "No longer offered: its users are moved to the replacement.")}
            </div>
            <Show when=move || fields.deprecated.get()>
                <FieldRow label="Replaced by" id="pf-replaced_by" hint="Users of this profile get this one instead." error=errors.signal("replaced_by")>
                    <select
                        id="pf-replaced_by"
                        name="form[replaced_by]"
                        prop:value=move || fields.replaced_by.get()
                        on:change=move |ev| {
                            fields.replaced_by.set(event_target_value(&ev));
                            errors.shown.touch("replaced_by");
                        }
                    >
                        <option value="" selected=move || fields.replaced_by.get().is_empty()>"Choose a profile…"</option>
                        {siblings
                            .get_value()
                            .into_iter()
                            .filter(|p| Some(p.id) != profile_id)
                            .map(|p| {
                                let value = p.id.to_string();
                                let v2 = value.clone();
                                let label = if p.spec.is_deprecated() {
                                    format!("{} (deprecated)", p.spec.display_name)
                                } else {
                                    p.spec.display_name.clone()
                                };
                                view! { <option value=value selected=move || fields.replaced_by.get() == v2>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </FieldRow>
            </Show>
        </fieldset>
    }
    .into_any()
}

fn blank_profile() -> ProfileForm {
    ProfileForm {
        image_pull_policy: PullPolicy::IfNotPresent.as_str().into(),
        home_capacity: "10Gi".into(),
        home_mount_path: DEFAULT_HOME_MOUNT_PATH.into(),
        ..ProfileForm::default()
    }
}

#[component]
fn ProfileCrumbs(hub: Hub, #[prop(into)] here: Signal<String>) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/hubs">"Hubs"</a>
            <span aria-hidden="true">" / "</span>
            <a href=format!("/hubs/{}", hub.id)>{hub.spec.release_name.clone()}</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || here.get()}</span>
        </nav>
    }
    .into_any()
}

/// `/hubs/{id}/profiles/new`.
#[component]
pub fn NewProfilePage() -> impl IntoView {
    let hub_id = route_id();
    let editor = Resource::new(
        move || hub_id.get(),
        |id| async move {
            match id {
                Some(id) => load_new_profile(id).await,
                None => Err(AppError::NotFound("This hub".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let e = editor.await?;
                Ok::<_, AppError>(view! { <NewProfile editor=e /> })
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn NewProfile(editor: ProfileEditor) -> impl IntoView {
    let create = ServerAction::<CreateProfile>::new();
    let ProfileEditor {
        hub,
        siblings,
        volumes,
        ..
    } = editor;
    let mut blank = blank_profile();
    // The first profile of a hub is its default.
    if siblings.is_empty() {
        blank.is_default = "on".into();
    }
    let fields = ProfileFields::new(&blank);
    let siblings = StoredValue::new(siblings);
    let volumes = StoredValue::new(volumes);
    let shown = Shown::new();
    let value = create.value();
    let client = Memo::new(move |_| {
        let f = fields.form();
        siblings.with_value(|s| volumes.with_value(|v| check_profile(&f, None, s, v)))
    });
    let errors = Errors {
        shown,
        client,
        server: answer_errors(value),
    };
    let banner = answer_banner(value, &["mounts"]);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(p)) = value.get() {
            navigate(
                &format!("/profiles/{}?created=1", p.id),
                NavigateOptions::default(),
            );
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        shown.submit();
        if client.get_untracked().is_some() {
            ev.prevent_default();
        }
    };
    let hub_id = hub.id;
    view! {
        <Title text="New profile" />
        <ProfileCrumbs hub=hub.clone() here="New profile".to_string() />
        <div class="page-header">
            <h1>"New environment profile"</h1>
            <p class="muted">"For hub " <strong>{hub.spec.release_name.clone()}</strong> ". Every field is checked as you type, with the same rules the server applies."</p>
        </div>
        <section class="panel form-panel">
            {move || banner.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            <ErrorSummary problems=errors.summary(fields) />
            <ActionForm action=create on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="profile-form">
                <input type="hidden" name="hub_id" value=hub_id.to_string() />
                <ProfileInputs fields errors hub=hub.clone() profile_id=None siblings volumes />
                <FieldRow label="Reason (optional)" id="pf-reason" hint="Kept in the audit trail.">
                    <input id="pf-reason" name="reason" type="text" autocomplete="off" />
                </FieldRow>
                <div class="form-footer">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create profile" }}
                    </button>
                    <a class="btn" href=format!("/hubs/{hub_id}")>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// `/profiles/{id}`.
#[component]
pub fn EditProfilePage() -> impl IntoView {
    let id = route_id();
    let editor = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => load_profile(id).await,
                None => Err(AppError::NotFound("This profile".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let e = editor.await?;
                Ok::<_, AppError>(view! { <EditProfile editor=e /> })
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn EditProfile(editor: ProfileEditor) -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let ProfileEditor {
        hub,
        profile,
        siblings,
        volumes,
    } = editor;
    let Some(profile) = profile else {
        return view! { <p>"Not found."</p> }.into_any();
    };
    let pid = profile.id;
    let fields = ProfileFields::new(&profile.spec.to_form());
    let saved = RwSignal::new(profile.clone());
    let siblings = StoredValue::new(siblings);
    let volumes = StoredValue::new(volumes);
    let reason = RwSignal::new(String::new());
    let shown = Shown::new();
    let value = update.value();
    let client = Memo::new(move |_| {
        let f = fields.form();
        siblings.with_value(|s| volumes.with_value(|v| check_profile(&f, Some(pid), s, v)))
    });
    let errors = Errors {
        shown,
        client,
        server: answer_errors(value),
    };
    let banner = answer_banner(value, &["mounts"]);
    let submitted = RwSignal::new(None::<ProfileForm>);
    let conflict = RwSignal::new(None::<(String, Profile)>);
    let query = use_query_map();
    let notice = RwSignal::new(
        query
            .with_untracked(|q| q.get("created").is_some())
            .then(|| "Profile created. Users of this hub can choose it now.".to_string()),
    );
    Effect::new(move |_| match value.get() {
        Some(Ok(p)) => {
            fields.load(&p.spec.to_form());
            reason.set(String::new());
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!("Saved (version {}).", p.version)));
            saved.set(p);
        }
        Some(Err(e)) => {
            notice.set(None);
            if let Some(stored) = e.stored::<Profile>() {
                conflict.set(Some((e.to_string(), stored)));
            }
        }
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        shown.submit();
        notice.set(None);
        if client.get_untracked().is_some() {
            ev.prevent_default();
            return;
        }
        submitted.set(Some(fields.form_untracked()));
    };
    let keep = Callback::new(move |()| {
        if let (Some((_, stored)), Some(mine)) =
            (conflict.get_untracked(), submitted.get_untracked())
        {
            update.dispatch(UpdateProfile {
                id: pid,
                version: stored.version,
                form: mine,
                reason: reason.get_untracked(),
            });
        }
    });
    let discard = Callback::new(move |()| {
        if let Some((_, stored)) = conflict.get_untracked() {
            fields.load(&stored.spec.to_form());
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!(
                "Loaded the stored values (version {}). Your changes were discarded.",
                stored.version
            )));
            saved.set(stored);
        }
    });
    let title = move || saved.with(|p| p.spec.display_name.clone());
    let hub_id = hub.id;
    let names: Vec<(i64, String)> = siblings.with_value(|s| {
        s.iter()
            .map(|p| (p.id, p.spec.display_name.clone()))
            .collect()
    });
    view! {
        <Title text=move || format!("Profile {}", title()) />
        <ProfileCrumbs hub=hub.clone() here=Signal::derive(title) />
        <div class="page-header page-header-row">
            <div>
                <h1>{title}</h1>
                <p class="muted">
                    "Environment profile of hub " <a href=format!("/hubs/{}", hub.id)>{hub.spec.release_name.clone()}</a>
                    " · " {move || saved.with(|p| profile_status(p, &names))}
                </p>
            </div>
            <div class="header-actions">
                <a class="btn" href=format!("/audit?target_type=profile&target_id={pid}")>"History"</a>
            </div>
        </div>
        <section class="panel form-panel">
            <SavedBanner message=notice />
            {move || banner.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            {move || {
                conflict.get().map(|(message, stored)| {
                    let mine = submitted.get_untracked().unwrap_or_default();
                    let rows = volumes.with_value(|v| {
                        siblings.with_value(|s| profile_conflict_rows(&stored.spec.to_form(), &mine, v, s))
                    });
                    view! {
                        <ConflictView
                            message
                            stored_version=stored.version
                            rows
                            on_keep=keep
                            on_discard=discard
                            pending=update.pending()
                        />
                    }
                })
            }}
            <ErrorSummary problems=errors.summary(fields) />
            <ActionForm action=update on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="profile-form">
                <input type="hidden" name="id" value=pid.to_string() />
                <input type="hidden" name="version" value=move || saved.with(|p| p.version.to_string()) />
                <ProfileInputs fields errors hub=hub.clone() profile_id=Some(pid) siblings volumes />
                <FieldRow label="Reason (optional)" id="pf-reason" hint="Kept in the audit trail.">
                    <input
                        id="pf-reason"
                        name="reason"
                        type="text"
                        autocomplete="off"
                        prop:value=reason
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    />
                </FieldRow>
                <div class="form-footer">
                    <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>
                        {move || if update.pending().get() { "Saving…" } else { "Save profile" }}
                    </button>
                    <span class="hint">
                        {move || saved.with(|p| format!("Version {} · last saved {}", p.version, short_time(&p.updated_at)))}
                    </span>
                </div>
            </ActionForm>
        </section>
        <DeleteProfile pid saved hub_id=hub_id />
    }
    .into_any()
}

#[component]
fn DeleteProfile(pid: i64, saved: RwSignal<Profile>, hub_id: i64) -> impl IntoView {
    let delete = ServerAction::<DeleteProfile>::new();
    let open = RwSignal::new(false);
    let value = delete.value();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            navigate(&format!("/hubs/{hub_id}"), NavigateOptions::default());
        }
    });
    let error = Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(AppError::Invalid(f))) => Some(
                f.0.iter()
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    });
    view! {
        <section class="panel danger-zone">
            <h2>"Delete profile"</h2>
            <p class="muted">"Users who picked it get the hub's default at their next start. To move them to a specific profile instead, mark this one deprecated and choose its replacement."</p>
            {move || error.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            <Show
                when=move || open.get()
                fallback=move || view! { <button type="button" class="btn btn-danger-outline" on:click=move |_| open.set(true)>"Delete profile…"</button> }
            >
                <ActionForm action=delete attr:class="stack">
                    <input type="hidden" name="id" value=pid.to_string() />
                    <input type="hidden" name="version" value=move || saved.with(|p| p.version.to_string()) />
                    <FieldRow label="Reason (optional)" id="delete-profile-reason">
                        <input id="delete-profile-reason" name="reason" type="text" autocomplete="off" />
                    </FieldRow>
                    <div class="form-footer">
                        <button type="submit" class="btn btn-danger" disabled=move || delete.pending().get()>"Delete permanently"</button>
                        <button type="button" class="btn" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </ActionForm>
            </Show>
        </section>
    }
    .into_any()
}

/// `/profiles`: every profile of every hub.
#[component]
pub fn ProfilesPage() -> impl IntoView {
    let profiles = Resource::new(|| (), |_| list_profiles());
    view! {
        <Title text="Profiles" />
        <div class="page-header">
            <h1>"Environment profiles"</h1>
            <p class="muted">"The environments users choose from when they start a server: image, CPU and memory, storage and shared volumes. Each belongs to one hub; add them from the hub's page."</p>
        </div>
        <section class="panel">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = profiles.await?;
                    Ok::<_, AppError>(view! { <ProfileTable profiles=list /> })
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn ProfileTable(profiles: Vec<ProfileListItem>) -> impl IntoView {
    if profiles.is_empty() {
        return view! {
            <div class="empty-state" data-testid="profiles-empty">
                <p class="empty-title">"No profiles yet"</p>
                <p>
                    "Open a " <a href="/hubs">"hub"</a> " and choose “New profile”, or load the example setup with "
                    <code>"hubfleet seed --example"</code> "."
                </p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="profiles-table">
                <thead>
                    <tr>
                        <th scope="col">"Profile"</th>
                        <th scope="col">"Hub"</th>
                        <th scope="col">"Image"</th>
                        <th scope="col">"Resources"</th>
                        <th scope="col">"Groups"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {profiles
                        .into_iter()
                        .map(|item| {
                            let p = item.profile;
                            let names: Vec<(i64, String)> = item
                                .replaced_by
                                .clone()
                                .zip(p.spec.replaced_by)
                                .map(|(n, id)| vec![(id, n)])
                                .unwrap_or_default();
                            view! {
                                <tr data-profile=p.spec.display_name.clone()>
                                    <td>
                                        <a href=format!("/profiles/{}", p.id)><strong>{p.spec.display_name.clone()}</strong></a>
                                        <div class="hint"><code>{p.spec.slug.clone()}</code></div>
                                    </td>
                                    <td><a href=format!("/hubs/{}", item.hub.id)>{item.hub.spec.release_name.clone()}</a></td>
                                    <td class="mono-cell">{breakable(&p.spec.image.reference())}</td>
                                    <td class="nowrap">{resources_text(&p)}</td>
                                    <td>
                                        {if p.spec.allowed_groups.is_empty() {
                                            view! { <span class="muted">"everyone"</span> }.into_any()
                                        } else {
                                            p.spec.allowed_groups.iter().map(|g| view! { <span class="chip">{g.clone()}</span> }).collect_view().into_any()
                                        }}
                                    </td>
                                    <td>{profile_status(&p, &names)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
