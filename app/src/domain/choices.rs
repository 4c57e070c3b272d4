//! Choices inside a profile (KubeSpawner 7's `profile_options`): a profile may offer named
//! options (e.g. "Image": Python 3.12 / R 4.4; "Size": small / large), each with listed
//! choices that override some of the profile's settings (image, CPU, memory, GPUs and other
//! extended resources), exactly one default choice, and optionally a free-form value
//! (`unlisted_choice`) that fills an image template and must match a pattern.
//!
//! Form field names (rows of [`super::profile::ProfileForm`], `i` = the option's position,
//! `j` = the choice's position inside it):
//!
//! | field | meaning |
//! |---|---|
//! | `profile_options[i].key`, `.display_name` | the option: KubeSpawner's form field key, its label |
//! | `profile_options[i].choices[j].key`, `.display_name`, `.is_default` | a listed choice |
//! | `profile_options[i].choices[j].image`, `.cpu_limit`, `.cpu_guarantee`, `.mem_limit`, `.mem_guarantee`, `.extra_resources` | what the choice overrides (empty: the profile's own) |
//! | `profile_options[i].unlisted`, `.unlisted_display_name`, `.unlisted_image`, `.unlisted_pattern`, `.unlisted_message` | the free-form value |
//!
//! Every choice is checked against the profile's own limits and guarantees with the one
//! "guarantee ≤ limit" rule ([`check_guarantee`]); two options may not override the same
//! setting (KubeSpawner would let the later one win silently), so checking each choice
//! against the profile alone covers every combination a user can pick.
//!
//! The free-form pattern goes into the spawn page's HTML attribute unescaped and is matched
//! by Python's `re` on the hub: the check here is a light syntax check that runs in the
//! browser too, and the server compiles the pattern as well (feature `ssr`).

use super::field::{keep, optional};
use super::image::validate_image_reference;
use super::quantity::{Memory, Shown, check_guarantee, validate_cpu};
use super::scheduling::{ResourceKind, parse_extended_count, validate_resource_name};
use super::validate::{checkbox_value, parse_checkbox, validate_display_name};
use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest option or choice key (it becomes part of an HTML form field name).
pub const KEY_MAX: usize = 63;
/// The longest free-form pattern.
pub const PATTERN_MAX: usize = 500;
/// What KubeSpawner replaces with the free-form value in the unlisted choice's overrides.
pub const VALUE_PLACEHOLDER: &str = "{value}";
/// The `user_options` key of the selected profile: no option may take it.
pub const RESERVED_OPTION_KEY: &str = "profile";
/// The select's value KubeSpawner uses for the free-form choice: no choice may take it.
pub const RESERVED_CHOICE_KEY: &str = "unlisted-choice";

/// One listed choice as submitted. Flat on purpose: the server function's form decoder nests
/// at most five levels (`form[profile_options][0][choices][1][image]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub display_name: String,
    /// Checkbox: `on` or empty.
    #[serde(default)]
    pub is_default: String,
    /// A whole reference (`name:tag`); empty keeps the profile's image.
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub cpu_limit: String,
    #[serde(default)]
    pub cpu_guarantee: String,
    #[serde(default)]
    pub mem_limit: String,
    #[serde(default)]
    pub mem_guarantee: String,
    /// `nvidia.com/gpu=1`, comma-separated.
    #[serde(default)]
    pub extra_resources: String,
}

/// One option as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionForm {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub choices: Vec<ChoiceForm>,
    /// Checkbox: users may also type a value of their own.
    #[serde(default)]
    pub unlisted: String,
    /// The label of the free-form input.
    #[serde(default)]
    pub unlisted_display_name: String,
    /// The image the value makes, with [`VALUE_PLACEHOLDER`] (e.g. `registry.example.org/{value}`).
    #[serde(default)]
    pub unlisted_image: String,
    /// The regular expression the value must match (`^…$`).
    #[serde(default)]
    pub unlisted_pattern: String,
    /// What the spawn page says when the value does not match.
    #[serde(default)]
    pub unlisted_message: String,
}

/// A validated listed choice: what it overrides (`None` / empty: the profile's own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionChoice {
    pub key: String,
    pub display_name: String,
    #[serde(default)]
    pub is_default: bool,
    /// A whole image reference (`name:tag` or `name@sha256:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_guarantee: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<Memory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_guarantee: Option<Memory>,
    /// Extended resources (whole units): name → count, as KubeSpawner's `extra_resource_limits`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_resource_limits: BTreeMap<String, String>,
}

/// A validated free-form value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlistedChoice {
    pub display_name: String,
    /// The image template, with [`VALUE_PLACEHOLDER`].
    pub image: String,
    pub pattern: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A validated option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileOption {
    pub key: String,
    pub display_name: String,
    pub choices: Vec<OptionChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<UnlistedChoice>,
}

/// The profile's own settings a choice is checked against (`None`: not set, or not valid).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileBase<'a> {
    pub cpu_limit: Option<f64>,
    pub cpu_guarantee: Option<f64>,
    pub mem_limit: Option<&'a Memory>,
    pub mem_guarantee: Option<&'a Memory>,
}

/// Settings two options must not both override.
fn setting_groups(c: &OptionChoice) -> Vec<String> {
    let mut out = Vec::new();
    if c.image.is_some() {
        out.push("the image".to_string());
    }
    if c.cpu_limit.is_some() || c.cpu_guarantee.is_some() {
        out.push("CPU".to_string());
    }
    if c.mem_limit.is_some() || c.mem_guarantee.is_some() {
        out.push("memory".to_string());
    }
    out.extend(c.extra_resource_limits.keys().cloned());
    out
}

impl OptionChoice {
    /// Whether a server of this choice asks the scheduler for something else than the profile.
    pub fn changes_resources(&self) -> bool {
        self.cpu_limit.is_some()
            || self.cpu_guarantee.is_some()
            || self.mem_limit.is_some()
            || self.mem_guarantee.is_some()
            || !self.extra_resource_limits.is_empty()
    }

    pub fn to_form(&self) -> ChoiceForm {
        let text = |m: &Option<Memory>| {
            m.as_ref()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default()
        };
        ChoiceForm {
            key: self.key.clone(),
            display_name: self.display_name.clone(),
            is_default: checkbox_value(self.is_default),
            image: self.image.clone().unwrap_or_default(),
            cpu_limit: self
                .cpu_limit
                .map(super::quantity::format_cores)
                .unwrap_or_default(),
            cpu_guarantee: self
                .cpu_guarantee
                .map(super::quantity::format_cores)
                .unwrap_or_default(),
            mem_limit: text(&self.mem_limit),
            mem_guarantee: text(&self.mem_guarantee),
            extra_resources: self
                .extra_resource_limits
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl ProfileOption {
    /// The default choice (validation makes sure there is exactly one).
    pub fn default_choice(&self) -> Option<&OptionChoice> {
        self.choices.iter().find(|c| c.is_default)
    }

    pub fn to_form(&self) -> OptionForm {
        let u = self.unlisted.as_ref();
        let text = |f: fn(&UnlistedChoice) -> &String| u.map(|u| f(u).clone()).unwrap_or_default();
        OptionForm {
            key: self.key.clone(),
            display_name: self.display_name.clone(),
            choices: self.choices.iter().map(OptionChoice::to_form).collect(),
            unlisted: checkbox_value(u.is_some()),
            unlisted_display_name: text(|u| &u.display_name),
            unlisted_image: text(|u| &u.image),
            unlisted_pattern: text(|u| &u.pattern),
            unlisted_message: text(|u| &u.message),
        }
    }
}

/// An option or choice key: it becomes part of the spawn page's form field names
/// (`profile-option-<slug>--<key>`) and of the JSON KubeSpawner stores as the user's options.
/// `what` is "option" or "choice".
pub fn validate_key(field: &str, what: &str, input: &str) -> Result<String, FieldError> {
    key_check(field, what, input, true)
}

/// [`validate_key`]; `fixes` says whether to look for a fix to offer (off while checking a
/// candidate fix, so a check never recurses).
fn key_check(field: &str, what: &str, input: &str, fixes: bool) -> Result<String, FieldError> {
    let s = input.trim();
    let a = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let err = |m: String| Err(FieldError::new(field, m));
    let allowed = "lowercase letters, digits, '-' and '_'";
    if s.is_empty() {
        let example = if what == "option" { "image" } else { "python" };
        return err(format!(
            "{} {what} key is required: KubeSpawner names the spawn form's field after it. Use {allowed}, e.g. {example}.",
            if a == "an" { "An" } else { "A" }
        ));
    }
    if s.chars().count() > KEY_MAX {
        return err(format!(
            "The {what} key has {} characters: use at most {KEY_MAX}.",
            s.chars().count()
        ));
    }
    let fix = || {
        let mapped: String = s
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let mut f = mapped.trim_matches(['-', '_']).to_string();
        while f.contains("--") {
            f = f.replace("--", "-");
        }
        (fixes && key_check(field, what, &f, false).is_ok()).then_some(f)
    };
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        let fix = fix();
        let write = fix
            .as_deref()
            .map(|f| format!(" Write \"{f}\"."))
            .unwrap_or_default();
        let said = if c.is_ascii_uppercase() {
            format!("\"{s}\" has uppercase letters: {a} {what} key may only contain {allowed}.")
        } else {
            format!(
                "\"{s}\" contains \"{c}\": {a} {what} key may only contain {allowed} (it becomes part of the spawn form's field names)."
            )
        };
        return Err(FieldError::new(field, format!("{said}{write}")).with_fix(fix));
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !s.starts_with(alnum) || !s.ends_with(alnum) {
        return Err(FieldError::new(
            field,
            format!("\"{s}\" must start and end with a lowercase letter or digit."),
        )
        .with_fix(fix()));
    }
    if s.contains("--") {
        return Err(FieldError::new(
            field,
            format!(
                "\"{s}\" contains \"--\", which KubeSpawner uses to separate the parts of a spawn form field name: use a single '-'."
            ),
        )
        .with_fix(fix()));
    }
    if what == "option" && s == RESERVED_OPTION_KEY {
        return err(format!(
            "\"{RESERVED_OPTION_KEY}\" is the spawn form's field for the profile itself: choose another key, e.g. variant."
        ));
    }
    if what == "choice" && s == RESERVED_CHOICE_KEY {
        return err(format!(
            "\"{RESERVED_CHOICE_KEY}\" is what KubeSpawner calls the free-form value: choose another key."
        ));
    }
    Ok(s.to_string())
}

/// The characters a pattern may not contain (KubeSpawner writes it into an HTML attribute
/// without escaping), with the escape that means the same to a regular expression.
const HTML_SPECIAL: [(char, &str); 4] = [
    ('"', "\\x22"),
    ('<', "\\x3c"),
    ('>', "\\x3e"),
    ('&', "\\x26"),
];

/// The free-form value's pattern: a regular expression from `^` to `$` (Python checks it from
/// the start only, the spawn page against the whole value; anchoring both ends makes them
/// agree), without the HTML special characters, with balanced groups and classes. On the
/// server it is also compiled.
pub fn validate_pattern(field: &str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    let err = |m: String| Err(FieldError::new(field, m));
    if s.is_empty() {
        return err(
            "A pattern is required: without one any value could be started. Write a regular expression from ^ to $, e.g. ^registry\\.example\\.org/[a-z0-9._/-]+:[A-Za-z0-9._-]+$."
                .into(),
        );
    }
    if s.chars().count() > PATTERN_MAX {
        return err(format!(
            "The pattern has {} characters: use at most {PATTERN_MAX}.",
            s.chars().count()
        ));
    }
    if let Some((c, escape)) = HTML_SPECIAL.iter().find(|(c, _)| s.contains(*c)) {
        return err(format!(
            "The pattern contains {c}, which KubeSpawner's spawn page cannot carry (it writes the pattern into an HTML attribute as it is): write {escape} instead, which matches the same character."
        ));
    }
    if !s.starts_with('^') || !s.ends_with('$') || s.ends_with("\\$") {
        return err(format!(
            "Start the pattern with ^ and end it with $ (e.g. ^{}$): KubeSpawner checks the value from its start only while the spawn page checks all of it, and anchoring both ends makes them agree.",
            s.trim_start_matches('^').trim_end_matches('$')
        ));
    }
    pattern_syntax(field, s)?;
    #[cfg(feature = "ssr")]
    if let Err(e) = fancy_regex::Regex::new(s) {
        return err(format!(
            "The pattern is not a valid regular expression: {e}. Check its brackets, escapes and repetitions."
        ));
    }
    Ok(s.to_string())
}

/// The light syntax check of a pattern (no regular-expression engine in the browser bundle):
/// escapes, character classes, groups and what a repetition applies to.
fn pattern_syntax(field: &str, s: &str) -> Result<(), FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let chars: Vec<char> = s.chars().collect();
    let mut depth = 0usize;
    // Whether the previous item can be repeated (not the start, '(', '|' or '^').
    let mut repeatable = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                if i + 1 >= chars.len() {
                    return err(
                        "The pattern ends with a lone \\: escape it as \\\\ or remove it.".into(),
                    );
                }
                i += 2;
                repeatable = true;
                continue;
            }
            '[' => {
                // A class: ']' right after '[' or '[^' is a literal.
                let mut j = i + 1;
                if chars.get(j) == Some(&'^') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                let mut closed = false;
                while j < chars.len() {
                    match chars[j] {
                        '\\' => j += 2,
                        ']' => {
                            closed = true;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                if !closed {
                    return err(format!(
                        "The character class opened at position {} has no closing ]: close it, or write \\[ for a literal [.",
                        i + 1
                    ));
                }
                i = j + 1;
                repeatable = true;
                continue;
            }
            '(' => {
                depth += 1;
                repeatable = false;
                // `(?:`, `(?P<name>`, `(?=` …: the '?' belongs to the group.
                if chars.get(i + 1) == Some(&'?') {
                    i += 2;
                    continue;
                }
            }
            ')' => {
                if depth == 0 {
                    return err(format!(
                        "The ) at position {} closes no group: remove it, or write \\) for a literal ).",
                        i + 1
                    ));
                }
                depth -= 1;
                repeatable = true;
            }
            '|' | '^' => repeatable = false,
            '*' | '+' | '?' => {
                if !repeatable {
                    return err(format!(
                        "The {c} at position {} repeats nothing: put it after what it repeats, or write \\{c} for a literal {c}.",
                        i + 1
                    ));
                }
                // A lazy or possessive mark may follow once (`*?`, `++`).
                if matches!(chars.get(i + 1), Some('?' | '+')) {
                    i += 1;
                }
                repeatable = false;
            }
            _ => repeatable = true,
        }
        i += 1;
    }
    if depth > 0 {
        return err(format!(
            "The pattern opens {depth} group(s) with ( that it does not close: add the ), or write \\( for a literal (."
        ));
    }
    Ok(())
}

/// The image a free-form value makes: a template with [`VALUE_PLACEHOLDER`] once, the rest the
/// characters of an image reference (e.g. `{value}` or `registry.example.org/{value}`).
pub fn validate_image_template(field: &str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    let err = |m: String| Err(FieldError::new(field, m));
    if s.is_empty() {
        return err(format!(
            "Write the image the value makes, with {VALUE_PLACEHOLDER} where the value goes: e.g. {VALUE_PLACEHOLDER} (the whole image) or registry.example.org/{VALUE_PLACEHOLDER}."
        ));
    }
    let count = s.matches(VALUE_PLACEHOLDER).count();
    if count != 1 {
        return err(format!(
            "\"{s}\" must contain {VALUE_PLACEHOLDER} exactly once (it has it {count} times): that is where the typed value goes."
        ));
    }
    let rest = s.replace(VALUE_PLACEHOLDER, "");
    if let Some(c) = rest.chars().find(|c| *c == '{' || *c == '}') {
        return err(format!(
            "\"{s}\" has a {c} outside {VALUE_PLACEHOLDER}, which KubeSpawner would try to fill in and fail: remove it."
        ));
    }
    if let Some(c) = rest.chars().find(|c| {
        !(c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || matches!(c, '.' | '_' | '-' | '/' | ':' | '@'))
    }) {
        return err(format!(
            "\"{s}\" contains \"{c}\", which no image reference has: use lowercase letters, digits and . _ - / : @ around {VALUE_PLACEHOLDER}."
        ));
    }
    Ok(s.to_string())
}

/// `nvidia.com/gpu=1, amd.com/gpu=2`: extended resources a choice sets, in whole units.
pub fn parse_choice_resources(
    field: &str,
    input: &str,
) -> Result<BTreeMap<String, String>, FieldError> {
    let mut out = BTreeMap::new();
    for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, count)) = part.split_once('=') else {
            return Err(FieldError::new(
                field,
                format!("\"{part}\" has no count: write name=count, e.g. nvidia.com/gpu=1."),
            ));
        };
        let (name, count) = (name.trim(), count.trim());
        let kind = validate_resource_name(field, name)?;
        if kind == ResourceKind::EphemeralStorage {
            return Err(FieldError::new(
                field,
                "Ephemeral storage is set on the profile itself (GPUs and node pools): a choice sets GPUs and other extended resources only.",
            ));
        }
        let n = parse_extended_count(field, name, count)?;
        if out.insert(name.to_string(), n.to_string()).is_some() {
            return Err(FieldError::new(
                field,
                format!("{name} is listed twice: keep one."),
            ));
        }
    }
    Ok(out)
}

/// One side of a limit/guarantee pair: the amount and whether the choice sets it (else it is
/// the profile's).
type Side<T> = Option<(Shown<T>, bool)>;

/// The guarantee ≤ limit rule between a choice and its profile: reported on the choice's own
/// field (its guarantee when it sets one, else its limit), naming which side is the profile's.
fn check_choice_pair<T: PartialOrd + std::fmt::Display>(
    e: &mut FieldErrors,
    what: &str,
    (guarantee_field, limit_field): (&str, &str),
    guarantee: Side<T>,
    limit: Side<T>,
) {
    let (Some((g, g_own)), Some((l, l_own))) = (guarantee, limit) else {
        return;
    };
    if !(g_own || l_own) {
        return;
    }
    let Err(x) = check_guarantee(guarantee_field, what, &g, &l) else {
        return;
    };
    let (field, message) = match (g_own, l_own) {
        (true, true) => (guarantee_field, x.message),
        (true, false) => (
            guarantee_field,
            format!(
                "This choice's {what} guarantee ({g}) is more than the profile's {what} limit ({l}): lower the guarantee, or give the choice its own {what} limit of at least {g}."
            ),
        ),
        _ => (
            limit_field,
            format!(
                "This choice's {what} limit ({l}) is less than the profile's {what} guarantee ({g}): raise the limit, or give the choice its own {what} guarantee of at most {l}."
            ),
        ),
    };
    e.push(field, message);
}

impl ChoiceForm {
    /// A choice that overrides nothing yet (fill the overrides in with struct update syntax).
    pub fn new(key: &str, display_name: &str, is_default: bool) -> Self {
        ChoiceForm {
            key: key.into(),
            display_name: display_name.into(),
            is_default: checkbox_value(is_default),
            ..ChoiceForm::default()
        }
    }

    /// The override fields as typed: image, CPU limit and guarantee, memory limit and
    /// guarantee, extended resources.
    pub fn overrides(&self) -> [&String; 6] {
        [
            &self.image,
            &self.cpu_limit,
            &self.cpu_guarantee,
            &self.mem_limit,
            &self.mem_guarantee,
            &self.extra_resources,
        ]
    }
}

fn choice_is_blank(c: &ChoiceForm) -> bool {
    [&c.key, &c.display_name]
        .into_iter()
        .chain(c.overrides())
        .all(|s| s.trim().is_empty())
        && !parse_checkbox("x", &c.is_default).unwrap_or(true)
}

fn option_is_blank(o: &OptionForm) -> bool {
    o.key.trim().is_empty()
        && o.display_name.trim().is_empty()
        && o.choices.iter().all(choice_is_blank)
        && !parse_checkbox("x", &o.unlisted).unwrap_or(true)
}

/// One listed choice (`at` = `profile_options[i].choices[j]`).
fn check_choice(
    at: &str,
    c: &ChoiceForm,
    base: &ProfileBase<'_>,
    e: &mut FieldErrors,
) -> Option<OptionChoice> {
    let f = |sub: &str| format!("{at}.{sub}");
    let before = e.0.len();
    let key = keep(e, validate_key(&f("key"), "choice", &c.key));
    let display_name = keep(
        e,
        validate_display_name(&f("display_name"), &c.display_name),
    );
    let is_default = keep(e, parse_checkbox(&f("is_default"), &c.is_default));
    let image = optional(e, &c.image, |s| validate_image_reference(&f("image"), s));
    let cpu_limit = optional(e, &c.cpu_limit, |s| validate_cpu(&f("cpu_limit"), s));
    let cpu_guarantee = optional(e, &c.cpu_guarantee, |s| {
        validate_cpu(&f("cpu_guarantee"), s)
    });
    let mem_limit = optional(e, &c.mem_limit, |s| Memory::parse(&f("mem_limit"), s));
    let mem_guarantee = optional(e, &c.mem_guarantee, |s| {
        Memory::parse(&f("mem_guarantee"), s)
    });
    let extra = keep(
        e,
        parse_choice_resources(&f("extra_resources"), &c.extra_resources),
    );
    let side = |own: Option<f64>, profile: Option<f64>| {
        own.map(|v| (Shown::cores(v), true))
            .or(profile.map(|v| (Shown::cores(v), false)))
    };
    check_choice_pair(
        e,
        "CPU",
        (&f("cpu_guarantee"), &f("cpu_limit")),
        side(cpu_guarantee, base.cpu_guarantee),
        side(cpu_limit, base.cpu_limit),
    );
    let mem_side = |own: &Option<Memory>, profile: Option<&Memory>| {
        own.as_ref()
            .map(|m| (Shown::memory(m), true))
            .or(profile.map(|m| (Shown::memory(m), false)))
    };
    check_choice_pair(
        e,
        "memory",
        (&f("mem_guarantee"), &f("mem_limit")),
        mem_side(&mem_guarantee, base.mem_guarantee),
        mem_side(&mem_limit, base.mem_limit),
    );
    if e.0.len() != before {
        return None;
    }
    Some(OptionChoice {
        key: key?,
        display_name: display_name?,
        is_default: is_default?,
        image,
        cpu_limit,
        cpu_guarantee,
        mem_limit,
        mem_guarantee,
        extra_resource_limits: extra?,
    })
}

/// The free-form value of option `at` (`profile_options[i]`), when it is switched on.
fn check_unlisted(at: &str, o: &OptionForm, e: &mut FieldErrors) -> Option<Option<UnlistedChoice>> {
    let f = |sub: &str| format!("{at}.{sub}");
    let on = keep(e, parse_checkbox(&f("unlisted"), &o.unlisted))?;
    if !on {
        return Some(None);
    }
    let before = e.0.len();
    let display_name = keep(
        e,
        validate_display_name(&f("unlisted_display_name"), &o.unlisted_display_name),
    );
    let image = keep(
        e,
        validate_image_template(&f("unlisted_image"), &o.unlisted_image),
    );
    let pattern = keep(
        e,
        validate_pattern(&f("unlisted_pattern"), &o.unlisted_pattern),
    );
    let message = o.unlisted_message.trim();
    if message.chars().any(char::is_control) {
        e.push(
            f("unlisted_message"),
            "The message contains a line break or control character: write it on one line.",
        );
    } else if message.chars().count() > 200 {
        e.push(
            f("unlisted_message"),
            "The message is longer than 200 characters: shorten it (it is shown as a tooltip).",
        );
    }
    if e.0.len() != before {
        return None;
    }
    Some(Some(UnlistedChoice {
        display_name: display_name?,
        image: image?,
        pattern: pattern?,
        message: message.to_string(),
    }))
}

/// The example of the documentation and the tests: an image option, Python 3.12 (the default)
/// or R 4.4, or any image of `registry.example.org` typed as `name:tag`.
pub fn example_image_option() -> OptionForm {
    OptionForm {
        key: "image".into(),
        display_name: "Image".into(),
        choices: vec![
            ChoiceForm {
                image: "quay.io/jupyter/scipy-notebook:python-3.12".into(),
                ..ChoiceForm::new("python", "Python 3.12", true)
            },
            ChoiceForm {
                image: "quay.io/jupyter/r-notebook:r-4.4".into(),
                ..ChoiceForm::new("r", "R 4.4", false)
            },
        ],
        unlisted: checkbox_value(true),
        unlisted_display_name: "Image from registry.example.org".into(),
        unlisted_image: "registry.example.org/{value}".into(),
        unlisted_pattern: "^[a-z0-9._/-]+:[A-Za-z0-9._-]+$".into(),
        unlisted_message: "Write name:tag, e.g. course/python:2025".into(),
    }
}

/// The example of the documentation and the tests: a size option, small (1 CPU, 2G; the
/// default) or large (4 CPU, 16G, half of each guaranteed).
pub fn example_size_option() -> OptionForm {
    OptionForm {
        key: "size".into(),
        display_name: "Size".into(),
        choices: vec![
            ChoiceForm {
                cpu_limit: "1".into(),
                mem_limit: "2G".into(),
                ..ChoiceForm::new("small", "Small (1 CPU, 2G)", true)
            },
            ChoiceForm {
                cpu_limit: "4".into(),
                cpu_guarantee: "2".into(),
                mem_limit: "16G".into(),
                mem_guarantee: "8G".into(),
                ..ChoiceForm::new("large", "Large (4 CPU, 16G)", false)
            },
        ],
        ..OptionForm::default()
    }
}

/// The option rows: keys, choices, exactly one default each, overrides that keep every
/// guarantee within its limit against the profile's own `base`, the free-form value, and no
/// setting overridden by two options. Rows left entirely blank are ignored.
pub fn check_options(
    rows: &[OptionForm],
    base: &ProfileBase<'_>,
    e: &mut FieldErrors,
) -> Vec<ProfileOption> {
    let mut out: Vec<ProfileOption> = Vec::new();
    let mut keys: Vec<(String, usize)> = Vec::new();
    // Setting → (option position, option label): who overrides it first.
    let mut owners: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for (i, o) in rows.iter().enumerate() {
        if option_is_blank(o) {
            continue;
        }
        let at = format!("profile_options[{i}]");
        let f = |sub: &str| format!("{at}.{sub}");
        let before = e.0.len();
        let key = keep(e, validate_key(&f("key"), "option", &o.key));
        if let Some(k) = &key {
            if let Some((_, j)) = keys.iter().find(|(x, _)| x == k) {
                e.push(
                    f("key"),
                    format!(
                        "Option {} already has the key \"{k}\": each option needs its own key.",
                        j + 1
                    ),
                );
            }
            keys.push((k.clone(), i));
        }
        let display_name = keep(
            e,
            validate_display_name(&f("display_name"), &o.display_name),
        );
        let label = display_name
            .clone()
            .unwrap_or_else(|| o.key.trim().to_string());
        let mut choices: Vec<OptionChoice> = Vec::new();
        let mut choice_keys: Vec<(String, usize)> = Vec::new();
        let mut defaults: Vec<usize> = Vec::new();
        let mut first_row: Option<usize> = None;
        for (j, c) in o.choices.iter().enumerate() {
            if choice_is_blank(c) {
                continue;
            }
            first_row.get_or_insert(j);
            let cat = format!("{at}.choices[{j}]");
            let ck = c.key.trim();
            if let Some((_, k)) = choice_keys.iter().find(|(x, _)| x == ck) {
                e.push(
                    format!("{cat}.key"),
                    format!(
                        "Choice {} of this option already has the key \"{ck}\": each choice needs its own key.",
                        k + 1
                    ),
                );
            }
            choice_keys.push((ck.to_string(), j));
            if parse_checkbox("x", &c.is_default).unwrap_or(false) {
                if let Some(&first) = defaults.first() {
                    e.push(
                        format!("{cat}.is_default"),
                        format!(
                            "Choice {} is already the default of \"{label}\" and an option has exactly one: untick this one.",
                            first + 1
                        ),
                    );
                }
                defaults.push(j);
            }
            if let Some(choice) = check_choice(&cat, c, base, e) {
                choices.push(choice);
            }
        }
        match first_row {
            None => e.push(
                f("choices"),
                format!(
                    "\"{label}\" has no choice: add at least one (KubeSpawner starts servers with the option's default choice, also when a free-form value is allowed)."
                ),
            ),
            Some(j) if defaults.is_empty() => e.push(
                format!("{at}.choices[{j}].is_default"),
                format!(
                    "Tick Default on one choice of \"{label}\": the spawn page preselects it, and a server started without a choice gets it."
                ),
            ),
            Some(_) => {}
        }
        let unlisted = check_unlisted(&at, o, e);
        // Two options overriding the same setting: the later one would always win.
        let mut groups: Vec<String> = choices.iter().flat_map(setting_groups).collect();
        if let Some(Some(_)) = &unlisted {
            groups.push("the image".to_string());
        }
        groups.sort();
        groups.dedup();
        for g in groups {
            match owners.get(&g) {
                Some((j, other)) => e.push(
                    f("key"),
                    format!(
                        "Option {} (\"{other}\") already sets {g}: KubeSpawner would apply this option over it, so set {g} in one of the two options only.",
                        j + 1
                    ),
                ),
                None => {
                    owners.insert(g, (i, label.clone()));
                }
            }
        }
        if e.0.len() != before {
            continue;
        }
        if let (Some(key), Some(display_name), Some(unlisted)) = (key, display_name, unlisted) {
            out.push(ProfileOption {
                key,
                display_name,
                choices,
                unlisted,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn choice(key: &str, name: &str, default: bool) -> ChoiceForm {
        ChoiceForm::new(key, name, default)
    }

    fn image_option() -> OptionForm {
        example_image_option()
    }

    /// The example sizes, the large one with a GPU.
    fn size_option() -> OptionForm {
        let mut o = example_size_option();
        o.choices[1].extra_resources = "nvidia.com/gpu=1".into();
        o
    }

    fn memory(s: &str) -> Memory {
        Memory::parse("m", s).unwrap()
    }

    fn run(rows: &[OptionForm]) -> (Vec<ProfileOption>, FieldErrors) {
        let g = memory("1G");
        let base = ProfileBase {
            cpu_limit: Some(2.0),
            cpu_guarantee: Some(0.5),
            mem_limit: None,
            mem_guarantee: Some(&g),
        };
        let mut e = FieldErrors::new();
        let out = check_options(rows, &base, &mut e);
        (out, e)
    }

    #[test]
    fn image_and_size_options_validate_and_roundtrip() {
        let (out, e) = run(&[image_option(), size_option(), OptionForm::default()]);
        assert!(e.is_empty(), "{e}");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].default_choice().unwrap().key, "python");
        assert_eq!(
            out[0].unlisted.as_ref().unwrap().image,
            "registry.example.org/{value}"
        );
        let large = &out[1].choices[1];
        assert!(large.changes_resources());
        assert_eq!(large.mem_limit.as_ref().unwrap().as_str(), "16G");
        assert_eq!(
            large
                .extra_resource_limits
                .get("nvidia.com/gpu")
                .map(String::as_str),
            Some("1")
        );
        let forms: Vec<OptionForm> = out.iter().map(ProfileOption::to_form).collect();
        let (again, e) = run(&forms);
        assert!(e.is_empty(), "{e}");
        assert_eq!(again, out);
    }

    /// Bad values of every field of an option, a choice and the free-form value: the exact
    /// message, on the field it names.
    #[test]
    fn bad_values_name_the_field_and_the_fix() {
        type Change = Box<dyn Fn(&mut OptionForm)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|o| o.key = String::new()),
                "profile_options[0].key",
                "An option key is required: KubeSpawner names the spawn form's field after it. Use lowercase letters, digits, '-' and '_', e.g. image.",
            ),
            (
                Box::new(|o| o.key = "Image".into()),
                "profile_options[0].key",
                "\"Image\" has uppercase letters: an option key may only contain lowercase letters, digits, '-' and '_'. Write \"image\".",
            ),
            (
                Box::new(|o| o.key = "my image".into()),
                "profile_options[0].key",
                "\"my image\" contains \" \": an option key may only contain lowercase letters, digits, '-' and '_' (it becomes part of the spawn form's field names). Write \"my-image\".",
            ),
            (
                Box::new(|o| o.key = "image--x".into()),
                "profile_options[0].key",
                "\"image--x\" contains \"--\", which KubeSpawner uses to separate the parts of a spawn form field name: use a single '-'.",
            ),
            (
                Box::new(|o| o.key = "-image".into()),
                "profile_options[0].key",
                "\"-image\" must start and end with a lowercase letter or digit.",
            ),
            (
                Box::new(|o| o.key = "profile".into()),
                "profile_options[0].key",
                "\"profile\" is the spawn form's field for the profile itself: choose another key, e.g. variant.",
            ),
            (
                Box::new(|o| o.key = "x".repeat(64)),
                "profile_options[0].key",
                "The option key has 64 characters: use at most 63.",
            ),
            (
                Box::new(|o| o.display_name = String::new()),
                "profile_options[0].display_name",
                "A name is required.",
            ),
            (
                Box::new(|o| o.choices.clear()),
                "profile_options[0].choices",
                "\"Image\" has no choice: add at least one (KubeSpawner starts servers with the option's default choice, also when a free-form value is allowed).",
            ),
            (
                Box::new(|o| o.choices[0].key = "unlisted-choice".into()),
                "profile_options[0].choices[0].key",
                "\"unlisted-choice\" is what KubeSpawner calls the free-form value: choose another key.",
            ),
            (
                Box::new(|o| o.choices[1].key = "python".into()),
                "profile_options[0].choices[1].key",
                "Choice 1 of this option already has the key \"python\": each choice needs its own key.",
            ),
            (
                Box::new(|o| o.choices[1].display_name = "  ".into()),
                "profile_options[0].choices[1].display_name",
                "A name is required.",
            ),
            (
                Box::new(|o| o.choices[0].is_default = String::new()),
                "profile_options[0].choices[0].is_default",
                "Tick Default on one choice of \"Image\": the spawn page preselects it, and a server started without a choice gets it.",
            ),
            (
                Box::new(|o| o.choices[1].is_default = "on".into()),
                "profile_options[0].choices[1].is_default",
                "Choice 1 is already the default of \"Image\" and an option has exactly one: untick this one.",
            ),
            (
                Box::new(|o| o.choices[1].is_default = "maybe".into()),
                "profile_options[0].choices[1].is_default",
                "\"maybe\" is not a yes/no value: tick or untick the box.",
            ),
            (
                Box::new(|o| o.choices[1].image = "quay.io/jupyter/r-notebook".into()),
                "profile_options[0].choices[1].image",
                "\"quay.io/jupyter/r-notebook\" has no tag: write the image with its tag, e.g. quay.io/jupyter/r-notebook:2024-05-01 (no tag means latest, which changes under your users).",
            ),
            (
                Box::new(|o| o.choices[1].cpu_limit = "1500m".into()),
                "profile_options[0].choices[1].cpu_limit",
                "\"1500m\" is in millicores, which the JupyterHub chart rejects (it takes a number of cores): write 1.5.",
            ),
            (
                Box::new(|o| o.choices[1].cpu_guarantee = "lots".into()),
                "profile_options[0].choices[1].cpu_guarantee",
                "\"lots\" is not a number of cores: write a decimal such as 1.5 or 0.5.",
            ),
            (
                Box::new(|o| o.choices[1].mem_limit = "3Gi".into()),
                "profile_options[0].choices[1].mem_limit",
                "\"3Gi\" is Kubernetes notation, which KubeSpawner does not understand: the hub would accept it and the user's server would then fail to start. KubeSpawner's G is already 1024-based: write 3G (the same amount).",
            ),
            (
                Box::new(|o| o.choices[1].mem_guarantee = "1GB".into()),
                "profile_options[0].choices[1].mem_guarantee",
                "\"1GB\" is not a unit KubeSpawner understands (it takes one uppercase letter, 1024-based): write 1G.",
            ),
            (
                Box::new(|o| o.choices[1].extra_resources = "gpu=1".into()),
                "profile_options[0].choices[1].extra_resources",
                "\"gpu\" has no domain: extended resources are named domain/name, e.g. nvidia.com/gpu or amd.com/gpu.",
            ),
            (
                Box::new(|o| o.choices[1].extra_resources = "nvidia.com/gpu".into()),
                "profile_options[0].choices[1].extra_resources",
                "\"nvidia.com/gpu\" has no count: write name=count, e.g. nvidia.com/gpu=1.",
            ),
            (
                Box::new(|o| o.choices[1].extra_resources = "nvidia.com/gpu=0.5".into()),
                "profile_options[0].choices[1].extra_resources",
                "\"0.5\" is not a whole number: nvidia.com/gpu comes in whole units, write e.g. 1.",
            ),
            (
                Box::new(|o| o.choices[1].extra_resources = "ephemeral-storage=1Gi".into()),
                "profile_options[0].choices[1].extra_resources",
                "Ephemeral storage is set on the profile itself (GPUs and node pools): a choice sets GPUs and other extended resources only.",
            ),
            (
                Box::new(|o| {
                    o.choices[1].extra_resources = "nvidia.com/gpu=1, nvidia.com/gpu=2".into()
                }),
                "profile_options[0].choices[1].extra_resources",
                "nvidia.com/gpu is listed twice: keep one.",
            ),
            (
                Box::new(|o| o.unlisted = "perhaps".into()),
                "profile_options[0].unlisted",
                "\"perhaps\" is not a yes/no value: tick or untick the box.",
            ),
            (
                Box::new(|o| o.unlisted_display_name = String::new()),
                "profile_options[0].unlisted_display_name",
                "A name is required.",
            ),
            (
                Box::new(|o| o.unlisted_image = "registry.example.org/image".into()),
                "profile_options[0].unlisted_image",
                "\"registry.example.org/image\" must contain {value} exactly once (it has it 0 times): that is where the typed value goes.",
            ),
            (
                Box::new(|o| o.unlisted_image = "{tag}/{value}".into()),
                "profile_options[0].unlisted_image",
                "\"{tag}/{value}\" has a { outside {value}, which KubeSpawner would try to fill in and fail: remove it.",
            ),
            (
                Box::new(|o| o.unlisted_image = "Registry/{value}".into()),
                "profile_options[0].unlisted_image",
                "\"Registry/{value}\" contains \"R\", which no image reference has: use lowercase letters, digits and . _ - / : @ around {value}.",
            ),
            (
                Box::new(|o| o.unlisted_image = String::new()),
                "profile_options[0].unlisted_image",
                "Write the image the value makes, with {value} where the value goes: e.g. {value} (the whole image) or registry.example.org/{value}.",
            ),
            (
                Box::new(|o| o.unlisted_pattern = String::new()),
                "profile_options[0].unlisted_pattern",
                "A pattern is required: without one any value could be started. Write a regular expression from ^ to $, e.g. ^registry\\.example\\.org/[a-z0-9._/-]+:[A-Za-z0-9._-]+$.",
            ),
            (
                Box::new(|o| o.unlisted_pattern = "^a\"b$".into()),
                "profile_options[0].unlisted_pattern",
                "The pattern contains \", which KubeSpawner's spawn page cannot carry (it writes the pattern into an HTML attribute as it is): write \\x22 instead, which matches the same character.",
            ),
            (
                Box::new(|o| o.unlisted_pattern = "registry/.+".into()),
                "profile_options[0].unlisted_pattern",
                "Start the pattern with ^ and end it with $ (e.g. ^registry/.+$): KubeSpawner checks the value from its start only while the spawn page checks all of it, and anchoring both ends makes them agree.",
            ),
            (
                Box::new(|o| o.unlisted_pattern = "^(a|b$".into()),
                "profile_options[0].unlisted_pattern",
                "The pattern opens 1 group(s) with ( that it does not close: add the ), or write \\( for a literal (.",
            ),
            (
                Box::new(|o| o.unlisted_pattern = "^[a-z$".into()),
                "profile_options[0].unlisted_pattern",
                "The character class opened at position 2 has no closing ]: close it, or write \\[ for a literal [.",
            ),
            (
                Box::new(|o| o.unlisted_pattern = "^a)$".into()),
                "profile_options[0].unlisted_pattern",
                "The ) at position 3 closes no group: remove it, or write \\) for a literal ).",
            ),
            (
                Box::new(|o| o.unlisted_pattern = "^*x$".into()),
                "profile_options[0].unlisted_pattern",
                "The * at position 2 repeats nothing: put it after what it repeats, or write \\* for a literal *.",
            ),
            (
                Box::new(|o| o.unlisted_message = "two\nlines".into()),
                "profile_options[0].unlisted_message",
                "The message contains a line break or control character: write it on one line.",
            ),
        ];
        for (change, field, message) in cases {
            let mut o = image_option();
            change(&mut o);
            let (out, e) = run(&[o.clone()]);
            assert_eq!(e.get(field), Some(message), "{o:?}: {e}");
            assert!(out.is_empty(), "{o:?} kept");
        }
    }

    /// A choice whose overrides break a limit, against its own values and the profile's.
    #[test]
    fn choices_keep_guarantees_within_limits() {
        let cases: [(ChoiceForm, &str, &str); 4] = [
            (
                ChoiceForm {
                    mem_limit: "2G".into(),
                    mem_guarantee: "4G".into(),
                    ..choice("big", "Big", true)
                },
                "profile_options[0].choices[0].mem_guarantee",
                "The memory guarantee (4G) is more than the memory limit (2G): lower the guarantee or raise the limit.",
            ),
            (
                ChoiceForm {
                    cpu_guarantee: "3".into(),
                    ..choice("big", "Big", true)
                },
                "profile_options[0].choices[0].cpu_guarantee",
                "This choice's CPU guarantee (3) is more than the profile's CPU limit (2): lower the guarantee, or give the choice its own CPU limit of at least 3.",
            ),
            (
                ChoiceForm {
                    cpu_limit: "0.25".into(),
                    ..choice("tiny", "Tiny", true)
                },
                "profile_options[0].choices[0].cpu_limit",
                "This choice's CPU limit (0.25) is less than the profile's CPU guarantee (0.5): raise the limit, or give the choice its own CPU guarantee of at most 0.25.",
            ),
            (
                ChoiceForm {
                    mem_limit: "512M".into(),
                    ..choice("tiny", "Tiny", true)
                },
                "profile_options[0].choices[0].mem_limit",
                "This choice's memory limit (512M) is less than the profile's memory guarantee (1G): raise the limit, or give the choice its own memory guarantee of at most 512M.",
            ),
        ];
        for (c, field, message) in cases {
            let o = OptionForm {
                key: "size".into(),
                display_name: "Size".into(),
                choices: vec![c],
                ..OptionForm::default()
            };
            let (_, e) = run(&[o]);
            assert_eq!(e.get(field), Some(message), "{e}");
        }
        // The same choice with its own guarantee within its limit is fine.
        let o = OptionForm {
            key: "size".into(),
            display_name: "Size".into(),
            choices: vec![ChoiceForm {
                mem_limit: "512M".into(),
                mem_guarantee: "256M".into(),
                cpu_limit: "0.25".into(),
                cpu_guarantee: "0.25".into(),
                ..choice("tiny", "Tiny", true)
            }],
            ..OptionForm::default()
        };
        let (_, e) = run(&[o]);
        assert!(e.is_empty(), "{e}");
    }

    #[test]
    fn options_have_their_own_keys_and_settings() {
        let mut second = image_option();
        second.display_name = "Flavour".into();
        let (_, e) = run(&[image_option(), second]);
        assert_eq!(
            e.get("profile_options[1].key"),
            Some("Option 1 already has the key \"image\": each option needs its own key.")
        );
        let mut flavour = image_option();
        flavour.key = "flavour".into();
        flavour.display_name = "Flavour".into();
        let (_, e) = run(&[image_option(), flavour]);
        assert_eq!(
            e.get("profile_options[1].key"),
            Some(
                "Option 1 (\"Image\") already sets the image: KubeSpawner would apply this option over it, so set the image in one of the two options only."
            )
        );
        // Image in one option, size in another: fine.
        let (out, e) = run(&[image_option(), size_option()]);
        assert!(e.is_empty() && out.len() == 2, "{e}");
    }

    #[test]
    fn patterns() {
        for ok in [
            "^registry\\.example\\.org/[a-z0-9._/-]+:[A-Za-z0-9._-]+$",
            "^(?:python|r)-[0-9]+$",
            "^[]a]+$",
            "^a+?b*$",
            "^(?:x|y)+[0-9]{1,3}$",
        ] {
            assert_eq!(validate_pattern("p", ok).unwrap(), ok, "{ok}");
        }
        // Named groups need '<', which the spawn page's HTML attribute cannot carry.
        for bad in [
            "^a\\$",
            "^a\\",
            "^(a))$",
            "^a|*$",
            "^a<b$",
            "^a&b$",
            "^(?P<n>a)$",
        ] {
            assert!(validate_pattern("p", bad).is_err(), "{bad}");
        }
    }

    /// The server also compiles the pattern.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_server_compiles_patterns() {
        let e = validate_pattern("p", "^[z-a]$").unwrap_err();
        assert!(
            e.message
                .starts_with("The pattern is not a valid regular expression: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn key_fixes_are_valid_keys() {
        for bad in ["My Image", "GPU__Type", "a--b", "-x-"] {
            let e = validate_key("k", "option", bad).unwrap_err();
            if let Some(fix) = e.suggestion {
                assert!(validate_key("k", "option", &fix).is_ok(), "{bad} -> {fix}");
            }
        }
    }

    proptest! {
        #[test]
        fn option_checks_never_panic(a in ".{0,20}", b in ".{0,20}", c in ".{0,12}") {
            let o = OptionForm {
                key: a.clone(),
                display_name: b.clone(),
                choices: vec![ChoiceForm { key: a.clone(), display_name: b.clone(), is_default: c.clone(), image: a.clone(), cpu_limit: c.clone(), cpu_guarantee: b.clone(), mem_limit: c.clone(), mem_guarantee: a.clone(), extra_resources: b.clone() }],
                unlisted: "on".into(),
                unlisted_display_name: a.clone(),
                unlisted_image: b.clone(),
                unlisted_pattern: format!("^{a}$"),
                unlisted_message: c,
            };
            let _ = run(&[o]);
        }

        #[test]
        fn valid_keys_pass(k in "[a-z0-9]([a-z0-9_]|-[a-z0-9_]){0,30}[a-z0-9]") {
            prop_assume!(k != RESERVED_OPTION_KEY && !k.contains("--") && !k.ends_with('_'));
            prop_assert!(validate_key("k", "option", &k).is_ok(), "{}", k);
        }
    }
}
