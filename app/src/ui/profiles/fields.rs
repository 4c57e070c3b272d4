//! The profile form's values: one signal per field and a list per repeatable section, the
//! browser's checks (the domain validators the server runs) and the conflict view's rows.

use crate::domain::FieldErrors;
use crate::domain::choices::{ChoiceForm, OptionForm};
use crate::domain::mount::check_mounts;
use crate::domain::profile::{
    DEFAULT_HOME_MOUNT_PATH, EnvVarForm, LabelForm, MountForm, Profile, ProfileForm, PullPolicy,
    check_siblings,
};
use crate::domain::scheduling::{AffinityForm, ExtraResourceForm, PreferredForm, TolerationForm};
use crate::domain::validate::{checkbox_value, parse_checkbox};
use crate::domain::volume::SharedVolume;
use crate::ui::form::{ConflictRow, Errors, FormFields, Problem};
use leptos::prelude::*;

/// One shared-volume mount row. `key` identifies the row while rows come and go.
#[derive(Debug, Clone, PartialEq)]
pub struct MountRow {
    pub key: u64,
    pub volume_id: String,
    pub mount_path: String,
    pub read_only: bool,
}

/// One row of a two-column list: environment variables (name, value) or node-selector labels
/// (key, value).
#[derive(Debug, Clone, PartialEq)]
pub struct PairRow {
    pub key: u64,
    pub a: String,
    pub b: String,
}

/// One extra-resource row (GPUs and other extended resources).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub key: u64,
    pub name: String,
    pub limit: String,
    pub guarantee: String,
}

/// One toleration row.
#[derive(Debug, Clone, PartialEq)]
pub struct TolerationRow {
    pub key: u64,
    pub taint_key: String,
    pub operator: String,
    pub value: String,
    pub effect: String,
    pub seconds: String,
}

/// One node-affinity row.
#[derive(Debug, Clone, PartialEq)]
pub struct AffinityRow {
    pub key: u64,
    pub label_key: String,
    pub operator: String,
    pub values: String,
}

impl AffinityRow {
    fn form(&self) -> AffinityForm {
        AffinityForm {
            key: self.label_key.clone(),
            operator: self.operator.clone(),
            values: self.values.clone(),
        }
    }
}

/// One preferred node-affinity row: a weight and a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferredRow {
    pub key: u64,
    pub weight: String,
    pub rule: AffinityRow,
}

/// One choice of an option.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRow {
    pub key: u64,
    pub choice_key: String,
    pub display_name: String,
    pub is_default: bool,
    pub image: String,
    pub cpu_limit: String,
    pub cpu_guarantee: String,
    pub mem_limit: String,
    pub mem_guarantee: String,
    pub extra_resources: String,
}

/// One option inside the profile, with its own list of choices (a signal of its own, so a
/// choice row edits its option's list without touching the others).
#[derive(Debug, Clone)]
pub struct OptionRow {
    pub key: u64,
    pub option_key: String,
    pub display_name: String,
    pub choices: RwSignal<Vec<ChoiceRow>>,
    pub unlisted: bool,
    pub unlisted_display_name: String,
    pub unlisted_image: String,
    pub unlisted_pattern: String,
    pub unlisted_message: String,
}

impl ChoiceRow {
    pub fn new(key: u64, c: &ChoiceForm) -> Self {
        ChoiceRow {
            key,
            choice_key: c.key.clone(),
            display_name: c.display_name.clone(),
            is_default: checked(&c.is_default),
            image: c.image.clone(),
            cpu_limit: c.cpu_limit.clone(),
            cpu_guarantee: c.cpu_guarantee.clone(),
            mem_limit: c.mem_limit.clone(),
            mem_guarantee: c.mem_guarantee.clone(),
            extra_resources: c.extra_resources.clone(),
        }
    }

    fn form(&self) -> ChoiceForm {
        ChoiceForm {
            key: self.choice_key.clone(),
            display_name: self.display_name.clone(),
            is_default: checkbox_value(self.is_default),
            image: self.image.clone(),
            cpu_limit: self.cpu_limit.clone(),
            cpu_guarantee: self.cpu_guarantee.clone(),
            mem_limit: self.mem_limit.clone(),
            mem_guarantee: self.mem_guarantee.clone(),
            extra_resources: self.extra_resources.clone(),
        }
    }
}

/// Which two-column list a [`PairRow`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PairList {
    Env,
    NodeSelector,
}

impl PairList {
    pub fn list(self) -> &'static str {
        match self {
            PairList::Env => "env",
            PairList::NodeSelector => "node_selector",
        }
    }
    pub fn a(self) -> &'static str {
        match self {
            PairList::Env => "name",
            PairList::NodeSelector => "key",
        }
    }
    pub fn a_label(self) -> &'static str {
        match self {
            PairList::Env => "Name",
            PairList::NodeSelector => "Label key",
        }
    }
    pub fn b_label(self) -> &'static str {
        match self {
            PairList::Env => "Value",
            PairList::NodeSelector => "Label value",
        }
    }
    pub fn a_placeholder(self) -> &'static str {
        match self {
            PairList::Env => "CONDA_DIR",
            PairList::NodeSelector => "node-pool",
        }
    }
    pub fn b_placeholder(self) -> &'static str {
        match self {
            PairList::Env => "/opt/conda",
            PairList::NodeSelector => "user",
        }
    }
    pub fn noun(self) -> &'static str {
        match self {
            PairList::Env => "variable",
            PairList::NodeSelector => "label",
        }
    }
}

/// The profile form's values.
#[derive(Clone, Copy)]
pub struct ProfileFields {
    pub display_name: RwSignal<String>,
    pub slug: RwSignal<String>,
    pub description: RwSignal<String>,
    pub image_name: RwSignal<String>,
    pub image_tag: RwSignal<String>,
    pub image_pull_policy: RwSignal<String>,
    pub image_pull_secret: RwSignal<String>,
    pub cpu_limit: RwSignal<String>,
    pub cpu_guarantee: RwSignal<String>,
    pub mem_limit: RwSignal<String>,
    pub mem_guarantee: RwSignal<String>,
    pub home_capacity: RwSignal<String>,
    pub home_storage_class: RwSignal<String>,
    pub home_mount_path: RwSignal<String>,
    pub mounts: RwSignal<Vec<MountRow>>,
    pub env: RwSignal<Vec<PairRow>>,
    pub node_selector: RwSignal<Vec<PairRow>>,
    pub extra_resources: RwSignal<Vec<ResourceRow>>,
    pub tolerations: RwSignal<Vec<TolerationRow>>,
    pub node_affinity: RwSignal<Vec<AffinityRow>>,
    pub node_affinity_preferred: RwSignal<Vec<PreferredRow>>,
    pub profile_options: RwSignal<Vec<OptionRow>>,
    pub allowed_groups: RwSignal<String>,
    pub is_default: RwSignal<bool>,
    pub deprecated: RwSignal<bool>,
    pub replaced_by: RwSignal<String>,
    pub next_key: StoredValue<u64>,
}

fn checked(v: &str) -> bool {
    parse_checkbox("x", v).unwrap_or(false)
}

impl ProfileFields {
    pub fn new(f: &ProfileForm) -> Self {
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
            extra_resources: RwSignal::new(Vec::new()),
            tolerations: RwSignal::new(Vec::new()),
            node_affinity: RwSignal::new(Vec::new()),
            node_affinity_preferred: RwSignal::new(Vec::new()),
            profile_options: RwSignal::new(Vec::new()),
            allowed_groups: s(&f.allowed_groups),
            is_default: RwSignal::new(checked(&f.is_default)),
            deprecated: RwSignal::new(checked(&f.deprecated)),
            replaced_by: s(&f.replaced_by),
            next_key: StoredValue::new(0),
        };
        fields.load_rows(f);
        fields
    }

    /// A new row key.
    pub fn key(&self) -> u64 {
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
        let resources = f
            .extra_resources
            .iter()
            .map(|r| ResourceRow {
                key: self.key(),
                name: r.name.clone(),
                limit: r.limit.clone(),
                guarantee: r.guarantee.clone(),
            })
            .collect();
        let tolerations = f
            .tolerations
            .iter()
            .map(|t| TolerationRow {
                key: self.key(),
                taint_key: t.key.clone(),
                operator: t.operator.clone(),
                value: t.value.clone(),
                effect: t.effect.clone(),
                seconds: t.seconds.clone(),
            })
            .collect();
        let rule = |key: u64, a: &AffinityForm| AffinityRow {
            key,
            label_key: a.key.clone(),
            operator: a.operator.clone(),
            values: a.values.clone(),
        };
        let affinity = f
            .node_affinity
            .iter()
            .map(|a| rule(self.key(), a))
            .collect();
        let preferred = f
            .node_affinity_preferred
            .iter()
            .map(|p| {
                let key = self.key();
                PreferredRow {
                    key,
                    weight: p.weight.clone(),
                    rule: rule(
                        key,
                        &AffinityForm {
                            key: p.key.clone(),
                            operator: p.operator.clone(),
                            values: p.values.clone(),
                        },
                    ),
                }
            })
            .collect();
        let options = f
            .profile_options
            .iter()
            .map(|o| OptionRow {
                key: self.key(),
                option_key: o.key.clone(),
                display_name: o.display_name.clone(),
                choices: RwSignal::new(
                    o.choices
                        .iter()
                        .map(|c| ChoiceRow::new(self.key(), c))
                        .collect(),
                ),
                unlisted: checked(&o.unlisted),
                unlisted_display_name: o.unlisted_display_name.clone(),
                unlisted_image: o.unlisted_image.clone(),
                unlisted_pattern: o.unlisted_pattern.clone(),
                unlisted_message: o.unlisted_message.clone(),
            })
            .collect();
        self.mounts.set(mounts);
        self.env.set(env);
        self.node_selector.set(labels);
        self.extra_resources.set(resources);
        self.tolerations.set(tolerations);
        self.node_affinity.set(affinity);
        self.node_affinity_preferred.set(preferred);
        self.profile_options.set(options);
    }

    pub fn pairs(&self, list: PairList) -> RwSignal<Vec<PairRow>> {
        match list {
            PairList::Env => self.env,
            PairList::NodeSelector => self.node_selector,
        }
    }

    /// The visibility key, input id and label of the field an error names
    /// (`mounts[1].mount_path` → the second mount row's path input).
    pub fn locate(&self, field: &str) -> Problem {
        // A choice inside an option: `profile_options[0].choices[1].image`.
        if let Some(rest) = field.strip_prefix("profile_options[")
            && let Some((i, rest)) = rest.split_once("].choices[")
            && let Some((j, sub)) = rest.split_once("].")
            && let (Ok(i), Ok(j)) = (i.parse::<usize>(), j.parse::<usize>())
        {
            let key = self.profile_options.with_untracked(|o| {
                o.get(i)
                    .and_then(|o| o.choices.with_untracked(|c| c.get(j).map(|c| c.key)))
            });
            let label = format!(
                "Option {}, choice {}: {}",
                i + 1,
                j + 1,
                sub.replace('_', " ")
            );
            return match key {
                Some(k) => (
                    format!("choices#{k}.{sub}"),
                    format!("pf-choices-{k}-{sub}"),
                    label,
                ),
                None => (field.to_string(), "pf-form".into(), label),
            };
        }
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
                "extra_resources" => self
                    .extra_resources
                    .with_untracked(|r| r.get(i).map(|r| r.key)),
                "tolerations" => self.tolerations.with_untracked(|r| r.get(i).map(|r| r.key)),
                "node_affinity" => self
                    .node_affinity
                    .with_untracked(|r| r.get(i).map(|r| r.key)),
                "node_affinity_preferred" => self
                    .node_affinity_preferred
                    .with_untracked(|r| r.get(i).map(|r| r.key)),
                "profile_options" => self
                    .profile_options
                    .with_untracked(|r| r.get(i).map(|r| r.key)),
                _ => None,
            };
            let what = match list {
                "mounts" => "Shared volume mount",
                "env" => "Environment variable",
                "extra_resources" => "GPU or other resource",
                "tolerations" => "Toleration",
                "node_affinity" => "Node affinity rule",
                "node_affinity_preferred" => "Preferred node affinity rule",
                "profile_options" => "Option",
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

impl FormFields for ProfileFields {
    type Form = ProfileForm;

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
            extra_resources: self.extra_resources.with(|rows| {
                rows.iter()
                    .map(|r| ExtraResourceForm {
                        name: r.name.clone(),
                        limit: r.limit.clone(),
                        guarantee: r.guarantee.clone(),
                    })
                    .collect()
            }),
            tolerations: self.tolerations.with(|rows| {
                rows.iter()
                    .map(|r| TolerationForm {
                        key: r.taint_key.clone(),
                        operator: r.operator.clone(),
                        value: r.value.clone(),
                        effect: r.effect.clone(),
                        seconds: r.seconds.clone(),
                    })
                    .collect()
            }),
            node_affinity: self
                .node_affinity
                .with(|rows| rows.iter().map(AffinityRow::form).collect()),
            node_affinity_preferred: self.node_affinity_preferred.with(|rows| {
                rows.iter()
                    .map(|r| {
                        let AffinityForm {
                            key,
                            operator,
                            values,
                        } = r.rule.form();
                        PreferredForm {
                            weight: r.weight.clone(),
                            key,
                            operator,
                            values,
                        }
                    })
                    .collect()
            }),
            profile_options: self.profile_options.with(|rows| {
                rows.iter()
                    .map(|o| OptionForm {
                        key: o.option_key.clone(),
                        display_name: o.display_name.clone(),
                        choices: o.choices.with(|c| c.iter().map(ChoiceRow::form).collect()),
                        unlisted: checkbox_value(o.unlisted),
                        unlisted_display_name: o.unlisted_display_name.clone(),
                        unlisted_image: o.unlisted_image.clone(),
                        unlisted_pattern: o.unlisted_pattern.clone(),
                        unlisted_message: o.unlisted_message.clone(),
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
/// The errors of a profile form: the browser's checks of [`check_profile`] and the
/// server's answer.
pub fn profile_errors(
    fields: ProfileFields,
    id: Option<i64>,
    siblings: StoredValue<Vec<Profile>>,
    volumes: StoredValue<Vec<SharedVolume>>,
    server: Signal<Option<FieldErrors>>,
) -> Errors {
    let client = Memo::new(move |_| {
        let f = fields.form();
        siblings.with_value(|s| volumes.with_value(|v| check_profile(&f, id, s, v)))
    });
    Errors::new(client, server)
}

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

pub fn profile_conflict_rows(
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
    let resources = |f: &ProfileForm| {
        lines(&f.extra_resources, |r| {
            if r.name.is_empty() && r.limit.is_empty() && r.guarantee.is_empty() {
                String::new()
            } else if r.guarantee.is_empty() {
                format!("{}: {}", r.name, r.limit)
            } else {
                format!("{}: {} (guaranteed {})", r.name, r.limit, r.guarantee)
            }
        })
    };
    let tolerations = |f: &ProfileForm| {
        lines(&f.tolerations, |t| {
            let mut s = format!("{} {} {}", t.key, t.operator, t.value);
            if !t.effect.is_empty() {
                s.push_str(&format!(" :{}", t.effect));
            }
            if !t.seconds.is_empty() {
                s.push_str(&format!(" for {} s", t.seconds));
            }
            s.trim().to_string()
        })
    };
    let affinity = |f: &ProfileForm| {
        lines(&f.node_affinity, |a| {
            format!("{} {} {}", a.key, a.operator, a.values)
                .trim()
                .to_string()
        })
    };
    let preferred = |f: &ProfileForm| {
        lines(&f.node_affinity_preferred, |p| {
            format!(
                "{} {} {} (weight {})",
                p.key, p.operator, p.values, p.weight
            )
            .trim()
            .to_string()
        })
    };
    let options = |f: &ProfileForm| {
        lines(&f.profile_options, |o| {
            let choices: Vec<String> = o
                .choices
                .iter()
                .map(|c| {
                    let mut s = format!("{}={}", c.key, c.display_name);
                    for v in c.overrides() {
                        if !v.trim().is_empty() {
                            s.push_str(&format!(" {v}"));
                        }
                    }
                    if checked(&c.is_default) {
                        s.push_str(" (default)");
                    }
                    s
                })
                .collect();
            let free = if checked(&o.unlisted) {
                format!(
                    "; free-form {} matching {}",
                    o.unlisted_image, o.unlisted_pattern
                )
            } else {
                String::new()
            };
            format!(
                "{} ({}): {}{free}",
                o.display_name,
                o.key,
                choices.join(", ")
            )
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
            "GPUs and other resources",
            resources(stored),
            resources(mine),
        ),
        ConflictRow::new("Tolerations", tolerations(stored), tolerations(mine)),
        ConflictRow::new("Node affinity", affinity(stored), affinity(mine)),
        ConflictRow::new(
            "Preferred node affinity",
            preferred(stored),
            preferred(mine),
        ),
        ConflictRow::new("Choices", options(stored), options(mine)),
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

pub fn blank_profile() -> ProfileForm {
    ProfileForm {
        image_pull_policy: PullPolicy::IfNotPresent.as_str().into(),
        home_capacity: "10Gi".into(),
        home_mount_path: DEFAULT_HOME_MOUNT_PATH.into(),
        ..ProfileForm::default()
    }
}
