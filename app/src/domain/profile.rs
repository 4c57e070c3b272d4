//! Environment profiles: each becomes one KubeSpawner profile (`profileList` entry) of a hub.
//!
//! # Form field names
//! Errors name the field by its path in [`ProfileForm`]; the HTML input for a field is that
//! path under the server function's argument, e.g. error `mem_limit` ↔ `form[mem_limit]`,
//! error `mounts[1].mount_path` ↔ `form[mounts][1][mount_path]`.
//!
//! | field | meaning |
//! |---|---|
//! | `display_name`, `slug`, `description` | names shown to users; slug = KubeSpawner slug |
//! | `image_name`, `image_tag`, `image_pull_policy`, `image_pull_secret` | the image |
//! | `cpu_limit`, `cpu_guarantee` | decimal cores (`1.5`), empty = none |
//! | `mem_limit`, `mem_guarantee` | KubeSpawner memory (`3G`), empty = none |
//! | `home_capacity`, `home_storage_class`, `home_mount_path` | per-user home volume |
//! | `mounts[i].volume_id`, `mounts[i].mount_path`, `mounts[i].read_only` | shared volumes |
//! | `env[i].name`, `env[i].value` | environment variables |
//! | `node_selector[i].key`, `node_selector[i].value` | node selector labels |
//! | `extra_resources[i].name`, `.limit`, `.guarantee` | GPUs and other extended resources |
//! | `tolerations[i].key`, `.operator`, `.value`, `.effect`, `.seconds` | tolerated node taints |
//! | `node_affinity[i].key`, `.operator`, `.values` | required node affinity |
//! | `node_affinity_preferred[i].weight`, `.key`, `.operator`, `.values` | preferred node affinity |
//! | `profile_options[i]…` | choices inside the profile (see [`super::choices`]) |
//! | `allowed_groups` | comma-separated groups; empty = everyone |
//! | `is_default`, `deprecated` (checkboxes), `replaced_by` (profile id) | lifecycle |
//!
//! `i` is the 0-based position of the row in the submitted list. Every mount row counts (a row
//! without a volume is an error: remove it), while `env`, `node_selector`, `extra_resources`,
//! `tolerations`, `node_affinity`, `node_affinity_preferred` and `profile_options` rows left
//! entirely blank are ignored (see [`super::scheduling`] and [`super::choices`] for their rules). Server-side checks that need other rows (unique slug, one
//! default, replacement, volumes) use the same names and are pure functions here too
//! ([`check_siblings`], [`crate::domain::mount::check_mounts`]), so the browser can run them on the lists it shows.

use super::choices::{OptionChoice, OptionForm, ProfileBase, ProfileOption, check_options};
use super::field::{keep, optional};
use super::image::split_reference;
pub use super::image::{IMAGE_NAME_MAX, is_digest, validate_image_name, validate_image_tag};
use super::quantity::{Memory, Quantity, Shown, check_guarantee, format_cores, validate_cpu};
use super::scheduling::{
    AffinityForm, ExtraResourceForm, MatchExpression, PreferredForm, PreferredTerm, Toleration,
    TolerationForm, check_extra_resources, check_node_affinity, check_preferred_affinity,
    check_tolerations, extra_resource_rows,
};
use super::user::parse_groups;
use super::validate::{
    checkbox_value, parse_checkbox, quoted_list, validate_absolute_path, validate_display_name,
    validate_dns1123_label, validate_dns1123_subdomain, validate_label_key, validate_label_value,
};
use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DEFAULT_HOME_MOUNT_PATH: &str = "/home/jovyan";
pub const DESCRIPTION_MAX: usize = 2000;
pub const ENV_VALUE_MAX: usize = 32 * 1024;

/// When to pull the image (the container's `imagePullPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum PullPolicy {
    Always,
    #[default]
    IfNotPresent,
    Never,
}

impl PullPolicy {
    pub const ALL: [PullPolicy; 3] = [
        PullPolicy::Always,
        PullPolicy::IfNotPresent,
        PullPolicy::Never,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }

    /// Empty means the default, `IfNotPresent`.
    pub fn parse(field: &str, s: &str) -> Result<PullPolicy, FieldError> {
        match s.trim() {
            "" | "IfNotPresent" => Ok(PullPolicy::IfNotPresent),
            "Always" => Ok(PullPolicy::Always),
            "Never" => Ok(PullPolicy::Never),
            other => Err(FieldError::new(
                field,
                format!(
                    "Pull policy \"{other}\" is unknown: choose Always, IfNotPresent or Never (the names are case-sensitive)."
                ),
            )),
        }
    }
}

impl std::fmt::Display for PullPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`. Names JupyterHub sets itself
/// (`JUPYTERHUB_*`) are refused: the spawner overwrites them, so the value would be ignored.
pub fn validate_env_name(field: &str, name: &str) -> Result<(), FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    if name.is_empty() {
        return err("A variable name is required: use letters, digits and '_'.".into());
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return err(format!(
            "\"{name}\" starts with a digit: a variable name starts with a letter or '_'."
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        let hint = if c == '-' || c == '.' || c == ' ' {
            format!(" Write \"{}\".", name.replace(['-', '.', ' '], "_"))
        } else {
            String::new()
        };
        return err(format!(
            "\"{name}\" contains \"{c}\": a variable name may only contain letters, digits and '_'.{hint}"
        ));
    }
    if name.starts_with("JUPYTERHUB_") {
        return err(format!(
            "\"{name}\" is set by JupyterHub itself for every server and would overwrite this value: choose another name."
        ));
    }
    Ok(())
}

fn validate_env_value(field: &str, value: &str) -> Result<(), FieldError> {
    if value.contains('\0') {
        return Err(FieldError::new(
            field,
            "The value contains a NUL character: remove it.",
        ));
    }
    if value.len() > ENV_VALUE_MAX {
        return Err(FieldError::new(
            field,
            format!("The value is longer than {ENV_VALUE_MAX} bytes: mount a file instead."),
        ));
    }
    Ok(())
}

/// A slug suggestion for a display name (`Data science` → `data-science`), for pre-filling.
pub fn slugify(display_name: &str) -> String {
    let mut out = String::new();
    for c in display_name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// One shared-volume mount row as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountForm {
    /// The shared volume's id (a select of the hub's volumes).
    #[serde(default)]
    pub volume_id: String,
    #[serde(default)]
    pub mount_path: String,
    /// Checkbox: `on` or empty.
    #[serde(default)]
    pub read_only: String,
}

/// One environment variable row as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVarForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// One node-selector row as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelForm {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// The profile form as submitted (see the module documentation for the field names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub image_name: String,
    #[serde(default)]
    pub image_tag: String,
    #[serde(default)]
    pub image_pull_policy: String,
    #[serde(default)]
    pub image_pull_secret: String,
    #[serde(default)]
    pub cpu_limit: String,
    #[serde(default)]
    pub cpu_guarantee: String,
    #[serde(default)]
    pub mem_limit: String,
    #[serde(default)]
    pub mem_guarantee: String,
    #[serde(default)]
    pub home_capacity: String,
    #[serde(default)]
    pub home_storage_class: String,
    /// Empty means [`DEFAULT_HOME_MOUNT_PATH`].
    #[serde(default)]
    pub home_mount_path: String,
    #[serde(default)]
    pub mounts: Vec<MountForm>,
    #[serde(default)]
    pub env: Vec<EnvVarForm>,
    #[serde(default)]
    pub node_selector: Vec<LabelForm>,
    #[serde(default)]
    pub extra_resources: Vec<ExtraResourceForm>,
    #[serde(default)]
    pub tolerations: Vec<TolerationForm>,
    #[serde(default)]
    pub node_affinity: Vec<AffinityForm>,
    #[serde(default)]
    pub node_affinity_preferred: Vec<PreferredForm>,
    #[serde(default)]
    pub profile_options: Vec<OptionForm>,
    #[serde(default)]
    pub allowed_groups: String,
    #[serde(default)]
    pub is_default: String,
    #[serde(default)]
    pub deprecated: String,
    /// Id of the profile that replaces this one (same hub); used when `deprecated` is on.
    #[serde(default)]
    pub replaced_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSpec {
    /// Registry and repository, without tag.
    pub name: String,
    /// A tag or a digest (`sha256:…`).
    pub tag: String,
    pub pull_policy: PullPolicy,
    /// Name of a `kubernetes.io/dockerconfigjson` Secret in the hub's namespace.
    pub pull_secret: Option<String>,
}

impl ImageSpec {
    /// `name:tag`, or `name@sha256:…` for a digest.
    pub fn reference(&self) -> String {
        if is_digest(&self.tag) {
            format!("{}@{}", self.name, self.tag)
        } else {
            format!("{}:{}", self.name, self.tag)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeStorage {
    pub capacity: Quantity,
    /// `None`: the cluster's default storage class.
    pub storage_class: Option<String>,
    pub mount_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMount {
    pub volume_id: i64,
    pub mount_path: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// A validated profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileSpec {
    pub display_name: String,
    pub slug: String,
    pub description: String,
    pub image: ImageSpec,
    /// Cores.
    pub cpu_limit: Option<f64>,
    pub cpu_guarantee: Option<f64>,
    pub mem_limit: Option<Memory>,
    pub mem_guarantee: Option<Memory>,
    pub home: HomeStorage,
    /// In the submitted order.
    pub mounts: Vec<VolumeMount>,
    /// In the submitted order (later variables may refer to earlier ones).
    pub env: Vec<EnvVar>,
    pub node_selector: BTreeMap<String, String>,
    /// Extended resources (e.g. `nvidia.com/gpu` → `1`) and `ephemeral-storage`, as
    /// KubeSpawner's `extra_resource_limits` / `extra_resource_guarantees`. Absent in audit
    /// entries older than them, as are the next two.
    #[serde(default)]
    pub extra_resource_limits: BTreeMap<String, String>,
    #[serde(default)]
    pub extra_resource_guarantees: BTreeMap<String, String>,
    /// Node taints the servers tolerate.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Required node affinity: a node must match every expression.
    #[serde(default)]
    pub node_affinity: Vec<MatchExpression>,
    /// Preferred node affinity: weighted rules the scheduler favours. Absent in audit entries
    /// older than it, as are the options.
    #[serde(default)]
    pub node_affinity_preferred: Vec<PreferredTerm>,
    /// Choices inside the profile (KubeSpawner's `profile_options`), in the order shown.
    #[serde(default)]
    pub profile_options: Vec<ProfileOption>,
    /// Empty: everyone may use the profile.
    pub allowed_groups: Vec<String>,
    pub is_default: bool,
    /// `Some(id)`: deprecated, users are sent to profile `id` instead.
    pub replaced_by: Option<i64>,
}

impl ProfileSpec {
    pub fn is_deprecated(&self) -> bool {
        self.replaced_by.is_some()
    }

    /// Whether a member of `groups` may choose this profile (deprecated profiles are chosen
    /// by nobody: their users are sent to the replacement).
    pub fn offered_to(&self, groups: &[String]) -> bool {
        !self.is_deprecated()
            && (self.allowed_groups.is_empty()
                || self.allowed_groups.iter().any(|g| groups.contains(g)))
    }

    pub fn to_form(&self) -> ProfileForm {
        ProfileForm {
            display_name: self.display_name.clone(),
            slug: self.slug.clone(),
            description: self.description.clone(),
            image_name: self.image.name.clone(),
            image_tag: self.image.tag.clone(),
            image_pull_policy: self.image.pull_policy.as_str().into(),
            image_pull_secret: self.image.pull_secret.clone().unwrap_or_default(),
            cpu_limit: self.cpu_limit.map(format_cores).unwrap_or_default(),
            cpu_guarantee: self.cpu_guarantee.map(format_cores).unwrap_or_default(),
            mem_limit: self
                .mem_limit
                .as_ref()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            mem_guarantee: self
                .mem_guarantee
                .as_ref()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            home_capacity: self.home.capacity.as_str().into(),
            home_storage_class: self.home.storage_class.clone().unwrap_or_default(),
            home_mount_path: self.home.mount_path.clone(),
            mounts: self
                .mounts
                .iter()
                .map(|m| MountForm {
                    volume_id: m.volume_id.to_string(),
                    mount_path: m.mount_path.clone(),
                    read_only: checkbox_value(m.read_only),
                })
                .collect(),
            env: self
                .env
                .iter()
                .map(|e| EnvVarForm {
                    name: e.name.clone(),
                    value: e.value.clone(),
                })
                .collect(),
            node_selector: self
                .node_selector
                .iter()
                .map(|(k, v)| LabelForm {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            extra_resources: extra_resource_rows(
                &self.extra_resource_limits,
                &self.extra_resource_guarantees,
            ),
            tolerations: self.tolerations.iter().map(Toleration::to_form).collect(),
            node_affinity: self
                .node_affinity
                .iter()
                .map(MatchExpression::to_form)
                .collect(),
            node_affinity_preferred: self
                .node_affinity_preferred
                .iter()
                .map(PreferredTerm::to_form)
                .collect(),
            profile_options: self
                .profile_options
                .iter()
                .map(ProfileOption::to_form)
                .collect(),
            allowed_groups: self.allowed_groups.join(", "),
            is_default: checkbox_value(self.is_default),
            deprecated: checkbox_value(self.is_deprecated()),
            replaced_by: self.replaced_by.map(|i| i.to_string()).unwrap_or_default(),
        }
    }

    /// What a server of this profile gets with `choice` picked: the choice's overrides over
    /// the profile's settings, as KubeSpawner applies them (a GPU count also sets the
    /// guarantee the profile has for it, which Kubernetes requires to equal the limit).
    pub fn with_choice(&self, choice: &OptionChoice) -> ProfileSpec {
        let mut s = self.clone();
        if let Some((name, tag)) = choice.image.as_deref().and_then(split_reference) {
            s.image.name = name.to_string();
            s.image.tag = tag.to_string();
        }
        s.cpu_limit = choice.cpu_limit.or(s.cpu_limit);
        s.cpu_guarantee = choice.cpu_guarantee.or(s.cpu_guarantee);
        if choice.mem_limit.is_some() {
            s.mem_limit.clone_from(&choice.mem_limit);
        }
        if choice.mem_guarantee.is_some() {
            s.mem_guarantee.clone_from(&choice.mem_guarantee);
        }
        for (name, n) in &choice.extra_resource_limits {
            s.extra_resource_limits.insert(name.clone(), n.clone());
            if let Some(g) = s.extra_resource_guarantees.get_mut(name) {
                g.clone_from(n);
            }
        }
        s
    }

    /// What a server of this profile gets when the user picks nothing: every option's
    /// default choice applied in order.
    pub fn with_defaults(&self) -> ProfileSpec {
        self.profile_options
            .iter()
            .filter_map(ProfileOption::default_choice)
            .fold(self.clone(), |s, c| s.with_choice(c))
    }
}

/// A stored profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub id: i64,
    pub hub_id: i64,
    /// Optimistic-locking version: send it back with an update or a delete.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub spec: ProfileSpec,
}

/// Parses an id from a select (`"12"`).
pub fn parse_id(field: &str, what: &str, input: &str) -> Result<i64, FieldError> {
    match input.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ if input.trim().is_empty() => Err(FieldError::new(field, format!("Choose {what}."))),
        _ => Err(FieldError::new(
            field,
            format!(
                "\"{}\" is not a valid choice: choose {what} from the list.",
                input.trim()
            ),
        )),
    }
}

impl ProfileForm {
    /// Checks every field and the rules between fields of this form; all problems are
    /// reported at once.
    pub fn validate(&self) -> Result<ProfileSpec, FieldErrors> {
        let mut e = FieldErrors::new();

        let display_name = keep(
            &mut e,
            validate_display_name("display_name", &self.display_name),
        );
        let slug = self.slug.trim().to_string();
        e.check(validate_dns1123_label("slug", "slug", &slug));
        let description = self.description.trim().to_string();
        if description.chars().count() > DESCRIPTION_MAX {
            e.push(
                "description",
                format!("The description is longer than {DESCRIPTION_MAX} characters: shorten it."),
            );
        }

        let image_name = keep(&mut e, validate_image_name("image_name", &self.image_name));
        let image_tag = keep(&mut e, validate_image_tag("image_tag", &self.image_tag));
        let pull_policy = keep(
            &mut e,
            PullPolicy::parse("image_pull_policy", &self.image_pull_policy),
        );
        let pull_secret = optional(&mut e, &self.image_pull_secret, |s| {
            validate_dns1123_subdomain("image_pull_secret", "secret name", s)
                .map(|()| s.to_string())
        });

        let cpu_limit = optional(&mut e, &self.cpu_limit, |s| validate_cpu("cpu_limit", s));
        let cpu_guarantee = optional(&mut e, &self.cpu_guarantee, |s| {
            validate_cpu("cpu_guarantee", s)
        });
        if let (Some(g), Some(l)) = (cpu_guarantee, cpu_limit) {
            e.check(check_guarantee(
                "cpu_guarantee",
                "CPU",
                &Shown::cores(g),
                &Shown::cores(l),
            ));
        }
        let mem_limit = optional(&mut e, &self.mem_limit, |s| Memory::parse("mem_limit", s));
        let mem_guarantee = optional(&mut e, &self.mem_guarantee, |s| {
            Memory::parse("mem_guarantee", s)
        });
        if let (Some(g), Some(l)) = (&mem_guarantee, &mem_limit) {
            e.check(check_guarantee(
                "mem_guarantee",
                "memory",
                &Shown::memory(g),
                &Shown::memory(l),
            ));
        }

        let home_capacity = keep(
            &mut e,
            Quantity::parse("home_capacity", &self.home_capacity),
        );
        let home_storage_class = optional(&mut e, &self.home_storage_class, |s| {
            validate_dns1123_subdomain("home_storage_class", "storage class", s)
                .map(|()| s.to_string())
        });
        let home_mount_path = if self.home_mount_path.trim().is_empty() {
            Some(DEFAULT_HOME_MOUNT_PATH.to_string())
        } else {
            keep(
                &mut e,
                validate_absolute_path("home_mount_path", &self.home_mount_path),
            )
        };

        let mut mounts = Vec::new();
        let mut seen_paths: Vec<(String, usize)> = Vec::new();
        for (i, m) in self.mounts.iter().enumerate() {
            let volume_id = keep(
                &mut e,
                parse_id(
                    &format!("mounts[{i}].volume_id"),
                    "a shared volume (or remove this mount)",
                    &m.volume_id,
                ),
            );
            let path_field = format!("mounts[{i}].mount_path");
            let mount_path = keep(&mut e, validate_absolute_path(&path_field, &m.mount_path));
            let read_only = keep(
                &mut e,
                parse_checkbox(&format!("mounts[{i}].read_only"), &m.read_only),
            );
            if let Some(p) = &mount_path {
                if let Some((_, j)) = seen_paths.iter().find(|(q, _)| q == p) {
                    e.push(
                        path_field.clone(),
                        format!(
                            "{p} is already the mount path of mount {}: choose another path.",
                            j + 1
                        ),
                    );
                } else if Some(p) == home_mount_path.as_ref() {
                    e.push(
                        path_field.clone(),
                        format!("{p} is where the home directory is mounted: choose another path, e.g. /mnt/shared."),
                    );
                }
                seen_paths.push((p.clone(), i));
            }
            if let (Some(volume_id), Some(mount_path), Some(read_only)) =
                (volume_id, mount_path, read_only)
            {
                mounts.push(VolumeMount {
                    volume_id,
                    mount_path,
                    read_only,
                });
            }
        }

        let mut env = Vec::new();
        for (i, v) in self.env.iter().enumerate() {
            let name = v.name.trim();
            if name.is_empty() && v.value.is_empty() {
                continue;
            }
            let field = format!("env[{i}].name");
            let before = e.0.len();
            e.check(validate_env_name(&field, name));
            e.check(validate_env_value(&format!("env[{i}].value"), &v.value));
            if env.iter().any(|x: &EnvVar| x.name == name) {
                e.push(field, format!("{name} is set twice: keep one of the rows."));
            } else if e.0.len() == before {
                env.push(EnvVar {
                    name: name.to_string(),
                    value: v.value.clone(),
                });
            }
        }

        let mut node_selector = BTreeMap::new();
        for (i, l) in self.node_selector.iter().enumerate() {
            let key = l.key.trim();
            let value = l.value.trim();
            if key.is_empty() && value.is_empty() {
                continue;
            }
            let field = format!("node_selector[{i}].key");
            let before = e.0.len();
            e.check(validate_label_key(&field, key));
            e.check(validate_label_value(
                &format!("node_selector[{i}].value"),
                value,
            ));
            if node_selector.contains_key(key) {
                e.push(
                    field,
                    format!("{key} is listed twice: keep one of the rows."),
                );
            } else if e.0.len() == before {
                node_selector.insert(key.to_string(), value.to_string());
            }
        }

        let (extra_resource_limits, extra_resource_guarantees) =
            check_extra_resources(&self.extra_resources, &mut e);
        let tolerations = check_tolerations(&self.tolerations, &mut e);
        let node_affinity = check_node_affinity(&self.node_affinity, &mut e);
        let node_affinity_preferred =
            check_preferred_affinity(&self.node_affinity_preferred, &mut e);
        let profile_options = check_options(
            &self.profile_options,
            &ProfileBase {
                cpu_limit,
                cpu_guarantee,
                mem_limit: mem_limit.as_ref(),
                mem_guarantee: mem_guarantee.as_ref(),
            },
            &mut e,
        );

        let allowed_groups = keep(
            &mut e,
            parse_groups(&self.allowed_groups)
                .map_err(|err| FieldError::new("allowed_groups", err.message)),
        );
        let is_default = keep(&mut e, parse_checkbox("is_default", &self.is_default));
        let deprecated = keep(&mut e, parse_checkbox("deprecated", &self.deprecated));
        let replaced_by = match deprecated {
            Some(true) => keep(
                &mut e,
                parse_id(
                    "replaced_by",
                    "the profile that replaces this one",
                    &self.replaced_by,
                ),
            )
            .map(Some),
            _ => Some(None),
        };
        if is_default == Some(true) && deprecated == Some(true) {
            e.push(
                "is_default",
                "A deprecated profile cannot be the default: untick one of the two.",
            );
        }

        if !e.is_empty() {
            return Err(e);
        }
        match (
            display_name,
            image_name,
            image_tag,
            pull_policy,
            home_capacity,
            home_mount_path,
            allowed_groups,
            is_default,
            replaced_by,
        ) {
            (
                Some(display_name),
                Some(image_name),
                Some(image_tag),
                Some(pull_policy),
                Some(capacity),
                Some(mount_path),
                Some(allowed_groups),
                Some(is_default),
                Some(replaced_by),
            ) => Ok(ProfileSpec {
                display_name,
                slug,
                description,
                image: ImageSpec {
                    name: image_name,
                    tag: image_tag,
                    pull_policy,
                    pull_secret,
                },
                cpu_limit,
                cpu_guarantee,
                mem_limit,
                mem_guarantee,
                home: HomeStorage {
                    capacity,
                    storage_class: home_storage_class,
                    mount_path,
                },
                mounts,
                env,
                node_selector,
                extra_resource_limits,
                extra_resource_guarantees,
                tolerations,
                node_affinity,
                node_affinity_preferred,
                profile_options,
                allowed_groups,
                is_default,
                replaced_by,
            }),
            // Unreachable in practice: every None above pushed an error.
            _ => Err(FieldErrors(vec![FieldError::new("form", "Invalid form.")])),
        }
    }
}

/// Rules between a profile and the other profiles of its hub: unique slug, at most one
/// default, and a replacement that is another profile of the same hub without a loop.
/// `id` is the profile being saved (`None` when it is new); `siblings` are the hub's stored
/// profiles (it may include the profile itself, which is skipped).
pub fn check_siblings(
    id: Option<i64>,
    spec: &ProfileSpec,
    siblings: &[Profile],
) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    let others = || siblings.iter().filter(move |p| Some(p.id) != id);
    if let Some(p) = others().find(|p| p.spec.slug == spec.slug) {
        e.push(
            "slug",
            format!(
                "Profile \"{}\" of this hub already uses the slug \"{}\": choose another.",
                p.spec.display_name, spec.slug
            ),
        );
    }
    if spec.is_default
        && let Some(p) = others().find(|p| p.spec.is_default)
    {
        e.push(
            "is_default",
            format!(
                "\"{}\" is already this hub's default profile and a hub has at most one: untick its default first.",
                p.spec.display_name
            ),
        );
    }
    if let Some(target) = spec.replaced_by {
        if Some(target) == id {
            e.push(
                "replaced_by",
                "A profile cannot replace itself: choose another profile.",
            );
        } else if let Some(t) = others().find(|p| p.id == target) {
            // Follow the chain of replacements from the target: it must not lead back here.
            let mut chain = vec![t.spec.display_name.clone()];
            let mut next = t.spec.replaced_by;
            let mut steps = 0;
            while let Some(n) = next {
                steps += 1;
                if Some(n) == id || steps > siblings.len() {
                    e.push(
                        "replaced_by",
                        format!(
                            "That would make a loop: {} is itself replaced by this profile. Choose a profile that is not deprecated.",
                            quoted_list(chain.iter().map(String::as_str))
                        ),
                    );
                    break;
                }
                match siblings.iter().find(|p| p.id == n) {
                    Some(p) => {
                        chain.push(p.spec.display_name.clone());
                        next = p.spec.replaced_by;
                    }
                    None => break,
                }
            }
        } else {
            e.push(
                "replaced_by",
                format!(
                    "Profile #{target} is not a profile of this hub: choose one from the list."
                ),
            );
        }
    }
    e.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::choices::ChoiceForm;
    use crate::domain::mount::check_mounts;
    use crate::domain::quantity::GIB;
    use crate::domain::volume::{AccessMode, SharedVolume, VolumeMode, VolumeSpec};
    use proptest::prelude::*;

    fn example() -> ProfileForm {
        ProfileForm {
            display_name: "Data science".into(),
            slug: "data-science".into(),
            description: "Python with the scientific stack".into(),
            image_name: "mydocker.registry.com/jupyterhub/k8s-singleuser".into(),
            image_tag: "v1".into(),
            image_pull_policy: "IfNotPresent".into(),
            image_pull_secret: String::new(),
            cpu_limit: "1.5".into(),
            cpu_guarantee: "0.5".into(),
            mem_limit: "3G".into(),
            mem_guarantee: "1G".into(),
            home_capacity: "5Gi".into(),
            home_storage_class: "glusterfs".into(),
            home_mount_path: "/home/jupyter".into(),
            mounts: vec![MountForm {
                volume_id: "1".into(),
                mount_path: "/mnt".into(),
                read_only: String::new(),
            }],
            env: vec![],
            node_selector: vec![],
            extra_resources: vec![],
            tolerations: vec![],
            node_affinity: vec![],
            node_affinity_preferred: vec![],
            profile_options: vec![],
            allowed_groups: String::new(),
            is_default: "on".into(),
            deprecated: String::new(),
            replaced_by: String::new(),
        }
    }

    fn stored(id: i64, spec: ProfileSpec) -> Profile {
        Profile {
            id,
            hub_id: 1,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec,
        }
    }

    fn volume(id: i64, mode: VolumeMode, access: AccessMode) -> SharedVolume {
        SharedVolume {
            id,
            hub_id: 1,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec: VolumeSpec {
                name: format!("vol{id}"),
                pvc_name: format!("vol{id}"),
                namespace: "ns".into(),
                size: None,
                access_mode: access,
                storage_class: None,
                volume_mode: mode,
                create_pvc: false,
            },
        }
    }

    #[test]
    fn the_example_is_valid() {
        let p = example().validate().unwrap();
        assert_eq!(p.mem_limit.as_ref().unwrap().bytes(), 3 * GIB);
        assert_eq!(p.mem_guarantee.as_ref().unwrap().bytes(), GIB);
        assert_eq!(p.cpu_limit, Some(1.5));
        assert_eq!(p.cpu_guarantee, Some(0.5));
        assert_eq!(p.home.capacity.bytes(), 5 * GIB);
        assert_eq!(p.home.mount_path, "/home/jupyter");
        assert_eq!(
            p.image.reference(),
            "mydocker.registry.com/jupyterhub/k8s-singleuser:v1"
        );
        assert!(p.is_default);
        assert_eq!(p.to_form().validate().unwrap(), p);
        assert_eq!(p.to_form(), example());
    }

    #[test]
    fn defaults_and_optional_fields() {
        let f = ProfileForm {
            cpu_limit: String::new(),
            cpu_guarantee: String::new(),
            mem_limit: String::new(),
            mem_guarantee: String::new(),
            home_mount_path: String::new(),
            home_storage_class: String::new(),
            image_pull_policy: String::new(),
            ..example()
        };
        let p = f.validate().unwrap();
        assert_eq!(p.cpu_limit, None);
        assert_eq!(p.mem_limit, None);
        assert_eq!(p.home.mount_path, DEFAULT_HOME_MOUNT_PATH);
        assert_eq!(p.home.storage_class, None);
        assert_eq!(p.image.pull_policy, PullPolicy::IfNotPresent);
    }

    #[test]
    fn the_classic_mistakes() {
        let f = ProfileForm {
            cpu_limit: "1500m".into(),
            mem_limit: "3Gi".into(),
            home_capacity: "5 GB".into(),
            ..example()
        };
        let e = f.validate().unwrap_err();
        assert!(e.get("cpu_limit").unwrap().contains("1.5"));
        assert!(e.get("mem_limit").unwrap().contains("KubeSpawner"));
        assert!(e.get("home_capacity").is_some());
    }

    #[test]
    fn guarantee_above_limit() {
        let f = ProfileForm {
            cpu_limit: "0.5".into(),
            cpu_guarantee: "1.5".into(),
            mem_limit: "1G".into(),
            mem_guarantee: "3G".into(),
            ..example()
        };
        let e = f.validate().unwrap_err();
        let cpu = e.get("cpu_guarantee").unwrap();
        assert!(
            cpu.contains("(1.5) is more than the CPU limit (0.5)"),
            "{cpu}"
        );
        let mem = e.get("mem_guarantee").unwrap();
        assert!(
            mem.contains("(3G) is more than the memory limit (1G)"),
            "{mem}"
        );
        // Equal is fine; 1024M == 1G.
        let ok = ProfileForm {
            mem_limit: "1G".into(),
            mem_guarantee: "1024M".into(),
            cpu_limit: "1".into(),
            cpu_guarantee: "1.0".into(),
            ..example()
        };
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn every_field_is_reported() {
        let f = ProfileForm {
            display_name: String::new(),
            slug: "Data Science".into(),
            description: "x".repeat(DESCRIPTION_MAX + 1),
            image_name: "Registry/Image:v1".into(),
            image_tag: ":v1".into(),
            image_pull_policy: "always".into(),
            image_pull_secret: "my_secret".into(),
            cpu_limit: "1500m".into(),
            cpu_guarantee: "lots".into(),
            mem_limit: "3Gi".into(),
            mem_guarantee: "1GB".into(),
            home_capacity: "5 GB".into(),
            home_storage_class: "Gluster".into(),
            home_mount_path: "home".into(),
            mounts: vec![MountForm {
                volume_id: String::new(),
                mount_path: "mnt".into(),
                read_only: "maybe".into(),
            }],
            env: vec![EnvVarForm {
                name: "1X".into(),
                value: "\0".into(),
            }],
            node_selector: vec![LabelForm {
                key: "a/b/c".into(),
                value: "-x".into(),
            }],
            extra_resources: vec![
                ExtraResourceForm {
                    name: "gpu".into(),
                    limit: "1".into(),
                    guarantee: String::new(),
                },
                ExtraResourceForm {
                    name: "nvidia.com/gpu".into(),
                    limit: "0.5".into(),
                    guarantee: "x".into(),
                },
            ],
            tolerations: vec![TolerationForm {
                key: "a b".into(),
                operator: "Sometimes".into(),
                value: "-x".into(),
                effect: "Never".into(),
                seconds: "soon".into(),
            }],
            node_affinity: vec![AffinityForm {
                key: "a b".into(),
                operator: "Near".into(),
                values: "x".into(),
            }],
            node_affinity_preferred: vec![PreferredForm {
                weight: "0".into(),
                key: "pool".into(),
                operator: "In".into(),
                values: "gpu".into(),
            }],
            profile_options: vec![OptionForm {
                key: "Image".into(),
                display_name: "Image".into(),
                choices: vec![ChoiceForm {
                    key: "py".into(),
                    display_name: "Python".into(),
                    is_default: "on".into(),
                    image: "python".into(),
                    ..ChoiceForm::default()
                }],
                ..OptionForm::default()
            }],
            allowed_groups: "Physics".into(),
            is_default: "x".into(),
            deprecated: "on".into(),
            replaced_by: "abc".into(),
        };
        let e = f.validate().unwrap_err();
        for field in [
            "display_name",
            "slug",
            "description",
            "image_name",
            "image_tag",
            "image_pull_policy",
            "image_pull_secret",
            "cpu_limit",
            "cpu_guarantee",
            "mem_limit",
            "mem_guarantee",
            "home_capacity",
            "home_storage_class",
            "home_mount_path",
            "mounts[0].volume_id",
            "mounts[0].mount_path",
            "mounts[0].read_only",
            "env[0].name",
            "env[0].value",
            "node_selector[0].key",
            "node_selector[0].value",
            "extra_resources[0].name",
            "extra_resources[1].limit",
            "extra_resources[1].guarantee",
            "tolerations[0].key",
            "tolerations[0].operator",
            "tolerations[0].effect",
            "tolerations[0].seconds",
            "node_affinity[0].key",
            "node_affinity[0].operator",
            "node_affinity_preferred[0].weight",
            "profile_options[0].key",
            "profile_options[0].choices[0].image",
            "allowed_groups",
            "is_default",
            "replaced_by",
        ] {
            assert!(e.get(field).is_some(), "no error for {field}: {e}");
        }
    }

    #[test]
    fn mount_paths_are_unique_and_not_home() {
        let mut f = example();
        f.mounts = vec![
            MountForm {
                volume_id: "1".into(),
                mount_path: "/mnt".into(),
                read_only: String::new(),
            },
            MountForm {
                volume_id: "2".into(),
                mount_path: "/mnt".into(),
                read_only: "on".into(),
            },
            MountForm {
                volume_id: "2".into(),
                mount_path: "/home/jupyter".into(),
                read_only: String::new(),
            },
            MountForm {
                volume_id: "2".into(),
                mount_path: "/home/jupyter/shared".into(),
                read_only: String::new(),
            },
        ];
        let e = f.validate().unwrap_err();
        assert_eq!(e.0.len(), 2, "{e}");
        assert!(e.get("mounts[1].mount_path").unwrap().contains("mount 1"));
        assert!(
            e.get("mounts[2].mount_path")
                .unwrap()
                .contains("home directory")
        );
    }

    #[test]
    fn env_and_node_selector() {
        let mut f = example();
        f.env = vec![
            EnvVarForm {
                name: "CONDA_DIR".into(),
                value: "/opt/conda".into(),
            },
            EnvVarForm::default(),
            EnvVarForm {
                name: "_x1".into(),
                value: String::new(),
            },
        ];
        f.node_selector = vec![
            LabelForm {
                key: "kubernetes.io/arch".into(),
                value: "amd64".into(),
            },
            LabelForm::default(),
        ];
        let p = f.validate().unwrap();
        assert_eq!(p.env.len(), 2);
        assert_eq!(
            p.node_selector
                .get("kubernetes.io/arch")
                .map(String::as_str),
            Some("amd64")
        );

        f.env.push(EnvVarForm {
            name: "CONDA_DIR".into(),
            value: "/other".into(),
        });
        f.env.push(EnvVarForm {
            name: "MY-VAR".into(),
            value: String::new(),
        });
        f.env.push(EnvVarForm {
            name: "JUPYTERHUB_API_TOKEN".into(),
            value: "x".into(),
        });
        f.node_selector.push(LabelForm {
            key: "kubernetes.io/arch".into(),
            value: "arm64".into(),
        });
        let e = f.validate().unwrap_err();
        assert!(e.get("env[3].name").unwrap().contains("twice"));
        assert!(e.get("env[4].name").unwrap().contains("MY_VAR"));
        assert!(e.get("env[5].name").unwrap().contains("JupyterHub"));
        assert!(e.get("node_selector[2].key").unwrap().contains("twice"));
    }

    #[test]
    fn gpu_profile_roundtrips_and_old_entries_read() {
        let f = ProfileForm {
            extra_resources: vec![ExtraResourceForm {
                name: "nvidia.com/gpu".into(),
                limit: "1".into(),
                guarantee: String::new(),
            }],
            tolerations: vec![TolerationForm {
                key: "nvidia.com/gpu".into(),
                operator: "Exists".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
                seconds: String::new(),
            }],
            node_affinity: vec![AffinityForm {
                key: "nvidia.com/gpu.product".into(),
                operator: "In".into(),
                values: "A100, H100".into(),
            }],
            ..example()
        };
        let p = f.validate().unwrap();
        assert_eq!(
            p.extra_resource_limits
                .get("nvidia.com/gpu")
                .map(String::as_str),
            Some("1")
        );
        assert_eq!(p.tolerations.len(), 1);
        assert_eq!(p.node_affinity[0].values, ["A100", "H100"]);
        assert_eq!(p.to_form().validate().unwrap(), p);
        // A profile recorded before these fields existed still reads (and reverts).
        let mut old = serde_json::to_value(example().validate().unwrap()).unwrap();
        for k in [
            "extra_resource_limits",
            "extra_resource_guarantees",
            "tolerations",
            "node_affinity",
            "node_affinity_preferred",
            "profile_options",
        ] {
            old.as_object_mut().unwrap().remove(k);
        }
        let back: ProfileSpec = serde_json::from_value(old).unwrap();
        assert!(back.tolerations.is_empty() && back.extra_resource_limits.is_empty());
    }

    #[test]
    fn env_names() {
        for ok in ["A", "_", "PATH", "my_var2", "_X"] {
            assert!(validate_env_name("n", ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A B", "Ä", "A=B", "JUPYTERHUB_USER"] {
            assert!(validate_env_name("n", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn images() {
        for ok in [
            "mydocker.registry.com/jupyterhub/k8s-singleuser",
            "quay.io/jupyter/scipy-notebook",
            "jupyter/base-notebook",
            "ubuntu",
            "localhost:5000/a/b",
            "registry.example.org:5000/a__b/c.d/e--f",
        ] {
            assert_eq!(validate_image_name("i", ok).unwrap(), ok);
        }
        let e = validate_image_name("image_name", "quay.io/jupyter/scipy-notebook:2024-05-01")
            .unwrap_err();
        assert!(e.message.contains("tag field"), "{}", e.message);
        assert!(e.message.contains("\"2024-05-01\""), "{}", e.message);
        assert!(
            validate_image_name("i", "a@sha256:abc")
                .unwrap_err()
                .message
                .contains("digest")
        );
        assert!(
            validate_image_name("i", "Jupyter/Base")
                .unwrap_err()
                .message
                .contains("lowercase")
        );
        assert!(
            validate_image_name("i", "https://quay.io/x")
                .unwrap_err()
                .message
                .contains("URL")
        );
        for bad in ["", "a//b", "-a", "a-", "a..b", "a___b", "bad_host.:5000/x"] {
            assert!(validate_image_name("i", bad).is_err(), "{bad}");
        }
        let digest = format!("sha256:{}", "a".repeat(64));
        assert!(validate_image_tag("t", &digest).is_ok());
        let spec = ImageSpec {
            name: "x/y".into(),
            tag: digest.clone(),
            pull_policy: PullPolicy::Always,
            pull_secret: None,
        };
        assert_eq!(spec.reference(), format!("x/y@{digest}"));
        for ok in ["v1", "latest", "2024.05-01", "_x"] {
            assert!(validate_image_tag("t", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ":v1",
            "@sha256:ab",
            "sha256:abc",
            ".x",
            "-x",
            "a b",
            &"a".repeat(129),
        ] {
            assert!(validate_image_tag("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn deprecation_and_default() {
        let mut f = example();
        f.deprecated = "on".into();
        f.replaced_by = String::new();
        let e = f.validate().unwrap_err();
        assert!(e.get("replaced_by").unwrap().contains("Choose"));
        assert!(e.get("is_default").unwrap().contains("deprecated"));
        f.is_default = String::new();
        f.replaced_by = "7".into();
        assert_eq!(f.validate().unwrap().replaced_by, Some(7));
        // Not deprecated: a leftover selection is ignored.
        f.deprecated = String::new();
        assert_eq!(f.validate().unwrap().replaced_by, None);
    }

    #[test]
    fn groups() {
        let mut f = example();
        f.allowed_groups = "physics, data-science".into();
        let p = f.validate().unwrap();
        assert!(p.offered_to(&["physics".into()]));
        assert!(!p.offered_to(&["history".into()]));
        f.allowed_groups = String::new();
        assert!(f.validate().unwrap().offered_to(&[]));
    }

    #[test]
    fn siblings() {
        let a = example().validate().unwrap();
        let mut b = a.clone();
        b.slug = "other".into();
        b.is_default = false;
        let existing = vec![stored(1, a.clone()), stored(2, b.clone())];
        // Saving profile 1 unchanged is fine.
        assert!(check_siblings(Some(1), &a, &existing).is_ok());
        // A new profile with the same slug and default flag is not.
        let e = check_siblings(None, &a, &existing).unwrap_err();
        assert!(e.get("slug").unwrap().contains("Data science"));
        assert!(e.get("is_default").unwrap().contains("at most one"));
        // Replacement rules.
        let mut c = b.clone();
        c.replaced_by = Some(2);
        assert!(
            check_siblings(Some(2), &c, &existing)
                .unwrap_err()
                .get("replaced_by")
                .unwrap()
                .contains("itself")
        );
        c.replaced_by = Some(99);
        assert!(
            check_siblings(Some(2), &c, &existing)
                .unwrap_err()
                .get("replaced_by")
                .unwrap()
                .contains("not a profile of this hub")
        );
        // 1 -> 2 while 2 -> 1 is a loop.
        let mut a2 = a.clone();
        a2.is_default = false;
        a2.replaced_by = Some(2);
        let mut b2 = b.clone();
        b2.replaced_by = Some(1);
        let looped = vec![stored(1, a.clone()), stored(2, b2)];
        let e = check_siblings(Some(1), &a2, &looped).unwrap_err();
        assert!(e.get("replaced_by").unwrap().contains("loop"));
        // A chain 1 -> 2 -> 3 is fine.
        let mut b3 = b.clone();
        b3.replaced_by = Some(3);
        let mut c3 = b.clone();
        c3.slug = "third".into();
        let chain = vec![stored(1, a.clone()), stored(2, b3), stored(3, c3)];
        assert!(check_siblings(Some(1), &a2, &chain).is_ok());
    }

    #[test]
    fn mounts_against_volumes() {
        let mut f = example();
        f.mounts = vec![
            MountForm {
                volume_id: "1".into(),
                mount_path: "/a".into(),
                read_only: String::new(),
            },
            MountForm {
                volume_id: "2".into(),
                mount_path: "/b".into(),
                read_only: String::new(),
            },
            MountForm {
                volume_id: "3".into(),
                mount_path: "/c".into(),
                read_only: String::new(),
            },
            MountForm {
                volume_id: "4".into(),
                mount_path: "/d".into(),
                read_only: String::new(),
            },
        ];
        let p = f.validate().unwrap();
        let vols = vec![
            volume(1, VolumeMode::Filesystem, AccessMode::ReadWriteMany),
            volume(2, VolumeMode::Block, AccessMode::ReadWriteMany),
            volume(3, VolumeMode::Filesystem, AccessMode::ReadOnlyMany),
        ];
        let e = check_mounts(&p, &vols).unwrap_err();
        assert_eq!(e.0.len(), 3, "{e}");
        assert!(e.get("mounts[1].volume_id").unwrap().contains("Block"));
        assert!(e.get("mounts[2].read_only").unwrap().contains("read-only"));
        assert!(
            e.get("mounts[3].volume_id")
                .unwrap()
                .contains("does not exist")
        );
    }

    #[test]
    fn slugs_from_names() {
        assert_eq!(slugify("Data science"), "data-science");
        assert_eq!(slugify("  GPU (A100) -- big! "), "gpu-a100-big");
        assert_eq!(slugify("!!!"), "");
        assert!(validate_dns1123_label("s", "slug", &slugify(&"Ab ".repeat(40))).is_ok());
    }

    proptest! {
        #[test]
        fn env_names_match_the_grammar(n in "[A-Za-z_][A-Za-z0-9_]{0,30}") {
            prop_assume!(!n.starts_with("JUPYTERHUB_"));
            prop_assert!(validate_env_name("n", &n).is_ok());
        }

        #[test]
        fn env_names_outside_the_grammar_fail(n in "[A-Za-z_]{0,5}[^A-Za-z0-9_][A-Za-z_]{0,5}") {
            prop_assert!(validate_env_name("n", &n).is_err());
        }

        #[test]
        fn slugify_gives_valid_slugs(s in ".{0,100}") {
            let slug = slugify(&s);
            prop_assume!(!slug.is_empty());
            prop_assert!(validate_dns1123_label("s", "slug", &slug).is_ok(), "{}", slug);
        }

        #[test]
        fn forms_roundtrip(cpu_l in 2u32..64_000, cpu_g in 1u32..2_000, mem_g in 1u64..64, extra in 0u64..64) {
            let f = ProfileForm {
                cpu_limit: format_cores(f64::from(cpu_l) / 1000.0),
                cpu_guarantee: format_cores(f64::from(cpu_g.min(cpu_l)) / 1000.0),
                mem_limit: format!("{}G", mem_g + extra),
                mem_guarantee: format!("{mem_g}G"),
                ..example()
            };
            let p = f.validate().unwrap();
            prop_assert_eq!(p.to_form().validate().unwrap(), p);
        }

        #[test]
        fn guarantee_above_limit_always_fails(l in 1u64..1000, d in 1u64..1000) {
            let f = ProfileForm {
                mem_limit: format!("{l}M"),
                mem_guarantee: format!("{}M", l + d),
                ..example()
            };
            let e = f.validate().unwrap_err();
            prop_assert!(e.get("mem_guarantee").is_some());
        }

        #[test]
        fn duplicate_mount_paths_always_fail(p in "/[a-z]{1,10}(/[a-z]{1,10}){0,2}", n in 2usize..5) {
            prop_assume!(p != "/home/jupyter");
            let mut f = example();
            f.mounts = (0..n).map(|i| MountForm { volume_id: (i + 1).to_string(), mount_path: p.clone(), read_only: String::new() }).collect();
            let e = f.validate().unwrap_err();
            prop_assert_eq!(e.0.len(), n - 1);
        }

        #[test]
        fn profile_validation_never_panics(s in ".{0,30}", t in ".{0,30}") {
            let f = ProfileForm {
                display_name: s.clone(), slug: t.clone(), image_name: s.clone(), image_tag: t.clone(),
                cpu_limit: s.clone(), mem_limit: t.clone(), home_capacity: s.clone(), home_mount_path: t.clone(),
                mounts: vec![MountForm { volume_id: s.clone(), mount_path: t.clone(), read_only: s.clone() }],
                env: vec![EnvVarForm { name: s.clone(), value: t.clone() }],
                node_selector: vec![LabelForm { key: s.clone(), value: t.clone() }],
                allowed_groups: s.clone(), replaced_by: t.clone(), deprecated: s.clone(),
                ..example()
            };
            let _ = f.validate();
            let _ = validate_image_name("i", &s);
            let _ = validate_image_tag("t", &s);
        }
    }
}
