//! GPUs and node pools: a profile's extended resources (e.g. `nvidia.com/gpu: 1`), its
//! tolerations of node taints and its required and preferred node-affinity match expressions, with the rules
//! Kubernetes applies to them (checked here so the browser and the server refuse the same
//! values, before a server fails to start).
//!
//! Form field names (rows of [`super::profile::ProfileForm`], `i` = the row's position):
//!
//! | field | meaning |
//! |---|---|
//! | `extra_resources[i].name`, `.limit`, `.guarantee` | KubeSpawner `extra_resource_limits` / `extra_resource_guarantees` |
//! | `tolerations[i].key`, `.operator`, `.value`, `.effect`, `.seconds` | pod tolerations |
//! | `node_affinity[i].key`, `.operator`, `.values` | required node affinity (one term, all expressions must match) |
//! | `node_affinity_preferred[i].weight`, `.key`, `.operator`, `.values` | preferred node affinity (one weighted term per row) |

use super::quantity::{Quantity, Shown, check_guarantee};
use super::validate::{
    DNS1123_SUBDOMAIN_MAX, LABEL_NAME_MAX, dns1123_name, label_name_ok, quoted_list,
    validate_label_key, validate_label_value,
};
use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest count of an extended resource one server may ask for.
pub const EXTENDED_MAX: u64 = 1024;
/// Kubernetes' resource for scratch space on the node (the one non-extended resource the
/// section accepts: CPU and memory have their own fields).
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";

/// One extra-resource row as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraResourceForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub limit: String,
    #[serde(default)]
    pub guarantee: String,
}

/// One toleration row as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TolerationForm {
    #[serde(default)]
    pub key: String,
    /// `Equal` (also when empty) or `Exists`.
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub value: String,
    /// Empty (every effect), `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    #[serde(default)]
    pub effect: String,
    /// `tolerationSeconds`: only with `NoExecute`.
    #[serde(default)]
    pub seconds: String,
}

/// One node-affinity row as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffinityForm {
    #[serde(default)]
    pub key: String,
    /// `In` (also when empty), `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
    #[serde(default)]
    pub operator: String,
    /// Comma-separated.
    #[serde(default)]
    pub values: String,
}

/// What kind of resource a name is, which decides how its amounts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `domain/name` (e.g. `nvidia.com/gpu`): whole units, never overcommitted.
    Extended,
    /// `ephemeral-storage`: a Kubernetes quantity.
    EphemeralStorage,
}

/// An extended resource name (`vendor.example/name`) or `ephemeral-storage`.
pub fn validate_resource_name(field: &str, input: &str) -> Result<ResourceKind, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    let s = input.trim();
    match s {
        "" => return err("A resource name is required, e.g. nvidia.com/gpu.".into()),
        "cpu" => return err("CPU has its own fields above (CPU limit and guarantee): use those and remove this row.".into()),
        "memory" => return err("Memory has its own fields above (memory limit and guarantee): use those and remove this row.".into()),
        EPHEMERAL_STORAGE => return Ok(ResourceKind::EphemeralStorage),
        _ => {}
    }
    let Some((prefix, name)) = s.split_once('/') else {
        return err(format!(
            "\"{s}\" has no domain: extended resources are named domain/name, e.g. nvidia.com/gpu or amd.com/gpu."
        ));
    };
    if name.contains('/') {
        return err(format!(
            "\"{s}\" has more than one '/': write domain/name, e.g. nvidia.com/gpu."
        ));
    }
    dns1123_name(
        field,
        "resource domain",
        prefix,
        DNS1123_SUBDOMAIN_MAX,
        true,
    )
    .map_err(|e| {
        FieldError::new(
            field,
            format!(
                "Resource \"{s}\": the part before '/' must be a domain. {}",
                e.message
            ),
        )
    })?;
    if prefix == "kubernetes.io" || prefix.ends_with(".kubernetes.io") {
        return err(format!(
            "\"{prefix}\" names Kubernetes' own resources, which are not extended resources: use the resource name the device plugin advertises, e.g. nvidia.com/gpu."
        ));
    }
    if s.starts_with("requests.") {
        return err(format!(
            "\"{s}\" starts with \"requests.\", which Kubernetes reserves for quotas: remove it."
        ));
    }
    if !label_name_ok(name) {
        return err(format!(
            "Resource \"{s}\": the name after '/' must be 1 to {LABEL_NAME_MAX} letters, digits, '-', '_' or '.', starting and ending with a letter or digit."
        ));
    }
    Ok(ResourceKind::Extended)
}

/// A count of an extended resource: a whole number from 1 to [`EXTENDED_MAX`].
pub fn parse_extended_count(field: &str, name: &str, input: &str) -> Result<u64, FieldError> {
    let s = input.trim();
    match s.parse::<u64>() {
        Ok(0) => Err(FieldError::new(
            field,
            format!("0 {name} asks for nothing: write at least 1, or remove the row."),
        )),
        Ok(n) if n <= EXTENDED_MAX => Ok(n),
        Ok(n) => Err(FieldError::new(
            field,
            format!("{n} {name} is more than any node has: write at most {EXTENDED_MAX}."),
        )),
        Err(_) => {
            let whole = s
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0 && *v <= 1024.0)
                .map_or(1.0, f64::ceil);
            Err(FieldError::new(
                field,
                format!(
                    "\"{s}\" is not a whole number: {name} comes in whole units, write e.g. {whole}."
                ),
            ))
        }
    }
}

/// A toleration's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

impl TolerationOperator {
    pub const ALL: [TolerationOperator; 2] =
        [TolerationOperator::Equal, TolerationOperator::Exists];

    pub fn as_str(self) -> &'static str {
        match self {
            TolerationOperator::Equal => "Equal",
            TolerationOperator::Exists => "Exists",
        }
    }

    /// Empty means `Equal`, as in Kubernetes.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "" | "Equal" => Ok(TolerationOperator::Equal),
            "Exists" => Ok(TolerationOperator::Exists),
            other => Err(FieldError::new(
                field,
                format!("Operator \"{other}\" is unknown: choose Equal or Exists."),
            )),
        }
    }
}

/// A taint's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub const ALL: [TaintEffect; 3] = [
        TaintEffect::NoSchedule,
        TaintEffect::PreferNoSchedule,
        TaintEffect::NoExecute,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }

    /// Empty means every effect (`None`).
    pub fn parse(field: &str, s: &str) -> Result<Option<Self>, FieldError> {
        match s.trim() {
            "" => Ok(None),
            "NoSchedule" => Ok(Some(TaintEffect::NoSchedule)),
            "PreferNoSchedule" => Ok(Some(TaintEffect::PreferNoSchedule)),
            "NoExecute" => Ok(Some(TaintEffect::NoExecute)),
            other => Err(FieldError::new(
                field,
                format!(
                    "Effect \"{other}\" is unknown: choose NoSchedule, PreferNoSchedule, NoExecute, or any effect."
                ),
            )),
        }
    }
}

/// A validated toleration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Toleration {
    /// Empty with `Exists`: every taint.
    pub key: String,
    pub operator: TolerationOperator,
    /// Empty with `Exists`.
    pub value: String,
    /// `None`: every effect.
    pub effect: Option<TaintEffect>,
    /// How long a pod stays on a node after a `NoExecute` taint appears (`None`: forever).
    pub seconds: Option<i64>,
}

impl Toleration {
    /// Whether this toleration tolerates a taint `key=value:effect` (Kubernetes' rule).
    pub fn tolerates(&self, key: &str, value: &str, effect: &str) -> bool {
        if let Some(e) = self.effect
            && e.as_str() != effect
        {
            return false;
        }
        if !self.key.is_empty() && self.key != key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == value,
        }
    }

    pub fn to_form(&self) -> TolerationForm {
        TolerationForm {
            key: self.key.clone(),
            operator: self.operator.as_str().into(),
            value: self.value.clone(),
            effect: self
                .effect
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            seconds: self.seconds.map(|s| s.to_string()).unwrap_or_default(),
        }
    }

    /// `nvidia.com/gpu=true:NoSchedule`, `nvidia.com/gpu (any value)`, for cards and messages.
    pub fn text(&self) -> String {
        let what = match (self.key.is_empty(), self.operator) {
            (true, _) => "every taint".to_string(),
            (false, TolerationOperator::Exists) => format!("{} (any value)", self.key),
            (false, TolerationOperator::Equal) => format!("{}={}", self.key, self.value),
        };
        match self.effect {
            Some(e) => format!("{what}:{}", e.as_str()),
            None => what,
        }
    }
}

/// A node-affinity operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum AffinityOperator {
    #[default]
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

impl AffinityOperator {
    pub const ALL: [AffinityOperator; 6] = [
        AffinityOperator::In,
        AffinityOperator::NotIn,
        AffinityOperator::Exists,
        AffinityOperator::DoesNotExist,
        AffinityOperator::Gt,
        AffinityOperator::Lt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AffinityOperator::In => "In",
            AffinityOperator::NotIn => "NotIn",
            AffinityOperator::Exists => "Exists",
            AffinityOperator::DoesNotExist => "DoesNotExist",
            AffinityOperator::Gt => "Gt",
            AffinityOperator::Lt => "Lt",
        }
    }

    /// The select's label.
    pub fn label(self) -> &'static str {
        match self {
            AffinityOperator::In => "In (one of)",
            AffinityOperator::NotIn => "NotIn (none of)",
            AffinityOperator::Exists => "Exists",
            AffinityOperator::DoesNotExist => "DoesNotExist",
            AffinityOperator::Gt => "Gt (greater than)",
            AffinityOperator::Lt => "Lt (less than)",
        }
    }

    /// Empty means `In`.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(AffinityOperator::In);
        }
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!(
                        "Operator \"{s}\" is unknown: choose In, NotIn, Exists, DoesNotExist, Gt or Lt."
                    ),
                )
            })
    }
}

/// A validated node-affinity match expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MatchExpression {
    pub key: String,
    pub operator: AffinityOperator,
    pub values: Vec<String>,
}

impl MatchExpression {
    /// Whether a node with `labels` satisfies this expression (Kubernetes' rule).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let label = labels.get(&self.key);
        let number = |v: &str| v.parse::<i64>().ok();
        match self.operator {
            AffinityOperator::In => label.is_some_and(|l| self.values.contains(l)),
            AffinityOperator::NotIn => label.is_none_or(|l| !self.values.contains(l)),
            AffinityOperator::Exists => label.is_some(),
            AffinityOperator::DoesNotExist => label.is_none(),
            AffinityOperator::Gt | AffinityOperator::Lt => {
                let (Some(l), Some(v)) = (
                    label.and_then(|l| number(l)),
                    self.values.first().and_then(|v| number(v)),
                ) else {
                    return false;
                };
                if self.operator == AffinityOperator::Gt {
                    l > v
                } else {
                    l < v
                }
            }
        }
    }

    pub fn to_form(&self) -> AffinityForm {
        AffinityForm {
            key: self.key.clone(),
            operator: self.operator.as_str().into(),
            values: self.values.join(", "),
        }
    }

    /// `gpu-type In (a100, h100)`, for cards and messages.
    pub fn text(&self) -> String {
        match self.operator {
            AffinityOperator::Exists | AffinityOperator::DoesNotExist => {
                format!("{} {}", self.key, self.operator.as_str())
            }
            _ => format!(
                "{} {} ({})",
                self.key,
                self.operator.as_str(),
                self.values.join(", ")
            ),
        }
    }
}

/// The validated scheduling part of a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scheduling {
    pub extra_resource_limits: BTreeMap<String, String>,
    pub extra_resource_guarantees: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub node_affinity: Vec<MatchExpression>,
}

/// The extra-resource rows: names, amounts, and Kubernetes' rules between a limit and a
/// guarantee (an extended resource needs a limit and a guarantee equal to it).
pub fn check_extra_resources(
    rows: &[ExtraResourceForm],
    e: &mut FieldErrors,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut limits = BTreeMap::new();
    let mut guarantees = BTreeMap::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let (name, limit, guarantee) = (r.name.trim(), r.limit.trim(), r.guarantee.trim());
        if name.is_empty() && limit.is_empty() && guarantee.is_empty() {
            continue;
        }
        let name_field = format!("extra_resources[{i}].name");
        let limit_field = format!("extra_resources[{i}].limit");
        let guarantee_field = format!("extra_resources[{i}].guarantee");
        let before = e.0.len();
        let kind = validate_resource_name(&name_field, name)
            .map_err(|x| e.0.push(x))
            .ok();
        if kind.is_some() && seen.iter().any(|s| s == name) {
            e.push(
                name_field.clone(),
                format!("{name} is listed twice: keep one of the rows."),
            );
        }
        seen.push(name.to_string());
        if limit.is_empty() && guarantee.is_empty() {
            e.push(
                limit_field.clone(),
                format!("Write how many {name} a server gets, e.g. 1 (or remove the row)."),
            );
        }
        match kind {
            Some(ResourceKind::Extended) => {
                let l = (!limit.is_empty())
                    .then(|| parse_extended_count(&limit_field, name, limit))
                    .transpose()
                    .map_err(|x| e.0.push(x))
                    .ok()
                    .flatten();
                let g = (!guarantee.is_empty())
                    .then(|| parse_extended_count(&guarantee_field, name, guarantee))
                    .transpose()
                    .map_err(|x| e.0.push(x))
                    .ok()
                    .flatten();
                match (l, g) {
                    (None, Some(g)) if limit.is_empty() => e.push(
                        guarantee_field.clone(),
                        format!(
                            "Kubernetes does not share {name} between servers, so it needs a limit: write {g} as the limit and leave the guarantee empty (it then equals the limit)."
                        ),
                    ),
                    (Some(l), Some(g)) if l != g => e.push(
                        guarantee_field.clone(),
                        format!(
                            "Kubernetes does not share {name} between servers: the guarantee ({g}) must equal the limit ({l}). Write {l}, or leave it empty."
                        ),
                    ),
                    _ => {}
                }
            }
            Some(ResourceKind::EphemeralStorage) => {
                let l = (!limit.is_empty())
                    .then(|| Quantity::parse(&limit_field, limit))
                    .transpose()
                    .map_err(|x| e.0.push(x))
                    .ok()
                    .flatten();
                let g = (!guarantee.is_empty())
                    .then(|| Quantity::parse(&guarantee_field, guarantee))
                    .transpose()
                    .map_err(|x| e.0.push(x))
                    .ok()
                    .flatten();
                if let (Some(l), Some(g)) = (&l, &g) {
                    e.check(check_guarantee(
                        &guarantee_field,
                        "ephemeral storage",
                        &Shown {
                            value: g.bytes(),
                            text: g.as_str().to_string(),
                        },
                        &Shown {
                            value: l.bytes(),
                            text: l.as_str().to_string(),
                        },
                    ));
                }
            }
            None => {}
        }
        if e.0.len() == before {
            if !limit.is_empty() {
                limits.insert(name.to_string(), limit.to_string());
            }
            if !guarantee.is_empty() {
                guarantees.insert(name.to_string(), guarantee.to_string());
            }
        }
    }
    (limits, guarantees)
}

fn taint_key(field: &str, key: &str) -> Result<(), FieldError> {
    validate_label_key(field, key).map_err(|x| {
        FieldError::new(
            field,
            x.message
                .replacen("A label key is required", "A taint key is required", 1)
                .replacen("Label key", "Taint key", 1),
        )
    })
}

/// The toleration rows, with the combinations Kubernetes accepts.
pub fn check_tolerations(rows: &[TolerationForm], e: &mut FieldErrors) -> Vec<Toleration> {
    let mut out: Vec<Toleration> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let (key, value, seconds) = (r.key.trim(), r.value.trim(), r.seconds.trim());
        let f = |sub: &str| format!("tolerations[{i}].{sub}");
        let operator = TolerationOperator::parse(&f("operator"), &r.operator);
        if key.is_empty()
            && value.is_empty()
            && seconds.is_empty()
            && r.effect.trim().is_empty()
            && operator
                .as_ref()
                .is_ok_and(|o| *o == TolerationOperator::Equal)
        {
            continue;
        }
        let before = e.0.len();
        let operator = operator.map_err(|x| e.0.push(x)).ok();
        let effect = TaintEffect::parse(&f("effect"), &r.effect)
            .map_err(|x| e.0.push(x))
            .ok();
        if key.is_empty() {
            if operator == Some(TolerationOperator::Equal) {
                e.push(
                    f("key"),
                    "A toleration without a key tolerates every taint, which needs operator Exists: write the taint's key (e.g. nvidia.com/gpu) or choose Exists.",
                );
            }
        } else {
            e.check(taint_key(&f("key"), key));
        }
        match operator {
            Some(TolerationOperator::Exists) if !value.is_empty() => e.push(
                f("value"),
                format!(
                    "With operator Exists any value matches, so the value must be empty: clear \"{value}\", or choose Equal."
                ),
            ),
            Some(TolerationOperator::Equal) => {
                e.check(
                    validate_label_value(&f("value"), value).map_err(|x| {
                        FieldError::new(
                            f("value"),
                            x.message.replacen("Label value", "Taint value", 1),
                        )
                    }),
                );
            }
            _ => {}
        }
        let secs = if seconds.is_empty() {
            None
        } else {
            match seconds.parse::<i64>() {
                Ok(s) if s >= 0 => Some(s),
                _ => {
                    e.push(
                        f("seconds"),
                        format!(
                            "\"{seconds}\" is not a whole number of seconds: write e.g. 300 (0 evicts at once)."
                        ),
                    );
                    None
                }
            }
        };
        if !seconds.is_empty() && effect != Some(Some(TaintEffect::NoExecute)) && effect.is_some() {
            e.push(
                f("seconds"),
                "Only a NoExecute toleration has seconds (how long the server may stay once the taint appears): choose the NoExecute effect, or clear the seconds.",
            );
        }
        if e.0.len() == before
            && let (Some(operator), Some(effect)) = (operator, effect)
        {
            let t = Toleration {
                key: key.to_string(),
                operator,
                value: value.to_string(),
                effect,
                seconds: secs,
            };
            if out.contains(&t) {
                e.push(
                    f("key"),
                    format!("{} is listed twice: keep one of the rows.", t.text()),
                );
            } else {
                out.push(t);
            }
        }
    }
    out
}

/// One node-affinity row (`f` names its fields): `None` when it is blank (`Some(None)`) or
/// wrong (`None`, the errors pushed), else the expression.
fn expression_row(
    f: &dyn Fn(&str) -> String,
    r: &AffinityForm,
    e: &mut FieldErrors,
) -> Option<Option<MatchExpression>> {
    let key = r.key.trim();
    let operator = AffinityOperator::parse(&f("operator"), &r.operator);
    let values: Vec<String> = r
        .values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if key.is_empty()
        && values.is_empty()
        && operator.as_ref().is_ok_and(|o| *o == AffinityOperator::In)
    {
        return Some(None);
    }
    let before = e.0.len();
    if key.is_empty() {
        e.push(
            f("key"),
            "A node label key is required, e.g. nvidia.com/gpu.product or node-pool.",
        );
    } else {
        e.check(validate_label_key(&f("key"), key));
    }
    let operator = operator.map_err(|x| e.0.push(x)).ok();
    let vf = f("values");
    match operator {
        Some(o @ (AffinityOperator::In | AffinityOperator::NotIn)) => {
            if values.is_empty() {
                e.push(
                    vf.clone(),
                    format!(
                        "{} needs at least one value: write the label values, separated by commas, e.g. a100, h100.",
                        o.as_str()
                    ),
                );
            }
            for v in &values {
                if let Err(x) = validate_label_value(&vf, v) {
                    e.0.push(x);
                    break;
                }
            }
        }
        Some(o @ (AffinityOperator::Exists | AffinityOperator::DoesNotExist))
            if !values.is_empty() =>
        {
            e.push(
                vf.clone(),
                format!(
                    "{} looks only at whether the label is there: clear the values, or choose In.",
                    o.as_str()
                ),
            );
        }
        Some(AffinityOperator::Exists | AffinityOperator::DoesNotExist) => {}
        Some(o @ (AffinityOperator::Gt | AffinityOperator::Lt)) => match values.as_slice() {
            [v] if v.parse::<i64>().is_ok() => {}
            [v] => e.push(
                vf.clone(),
                format!(
                    "{} compares numbers: \"{v}\" is not a whole number, write e.g. 40.",
                    o.as_str()
                ),
            ),
            _ => e.push(
                vf.clone(),
                format!(
                    "{} compares with exactly one whole number: write one, e.g. 40.",
                    o.as_str()
                ),
            ),
        },
        None => {}
    }
    if e.0.len() != before {
        return None;
    }
    operator.map(|operator| {
        Some(MatchExpression {
            key: key.to_string(),
            operator,
            values,
        })
    })
}

/// The node-affinity rows, with the operator/values combinations Kubernetes accepts.
pub fn check_node_affinity(rows: &[AffinityForm], e: &mut FieldErrors) -> Vec<MatchExpression> {
    let mut out: Vec<MatchExpression> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let f = |sub: &str| format!("node_affinity[{i}].{sub}");
        if let Some(Some(m)) = expression_row(&f, r, e) {
            if out.contains(&m) {
                e.push(
                    f("key"),
                    format!("{} is listed twice: keep one of the rows.", m.text()),
                );
            } else {
                out.push(m);
            }
        }
    }
    out
}

/// The largest weight of a preferred node-affinity rule (Kubernetes' limit).
pub const WEIGHT_MAX: u8 = 100;

/// One preferred node-affinity row as submitted: a weight and one match expression.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferredForm {
    /// 1 to [`WEIGHT_MAX`].
    #[serde(default)]
    pub weight: String,
    #[serde(default)]
    pub key: String,
    /// `In` (also when empty), `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
    #[serde(default)]
    pub operator: String,
    /// Comma-separated.
    #[serde(default)]
    pub values: String,
}

/// A validated preferred rule: nodes matching `expression` get `weight` points, and the
/// scheduler prefers the nodes with the most (KubeSpawner's `node_affinity_preferred`, one
/// `PreferredSchedulingTerm` per rule).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PreferredTerm {
    pub weight: u8,
    pub expression: MatchExpression,
}

impl PreferredTerm {
    pub fn to_form(&self) -> PreferredForm {
        let m = self.expression.to_form();
        PreferredForm {
            weight: self.weight.to_string(),
            key: m.key,
            operator: m.operator,
            values: m.values,
        }
    }

    /// `prefers gpu-type In (a100) (weight 50)`, for cards and messages.
    pub fn text(&self) -> String {
        format!("{} (weight {})", self.expression.text(), self.weight)
    }
}

/// The preferred node-affinity rows: a weight from 1 to 100 and an expression with the same
/// rules as a required one.
pub fn check_preferred_affinity(rows: &[PreferredForm], e: &mut FieldErrors) -> Vec<PreferredTerm> {
    let mut out: Vec<PreferredTerm> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let f = |sub: &str| format!("node_affinity_preferred[{i}].{sub}");
        let row = AffinityForm {
            key: r.key.clone(),
            operator: r.operator.clone(),
            values: r.values.clone(),
        };
        let weight_text = r.weight.trim();
        let before = e.0.len();
        let expression = expression_row(&f, &row, e);
        if matches!(expression, Some(None)) && weight_text.is_empty() {
            continue;
        }
        let weight = match weight_text.parse::<u8>() {
            Ok(w) if (1..=WEIGHT_MAX).contains(&w) => Some(w),
            _ if weight_text.is_empty() => {
                e.push(
                    f("weight"),
                    format!("A weight from 1 to {WEIGHT_MAX} is required: nodes matching rules with more weight are preferred, e.g. 50."),
                );
                None
            }
            _ => {
                e.push(
                    f("weight"),
                    format!("\"{weight_text}\" is not a weight: write a whole number from 1 to {WEIGHT_MAX}, e.g. 50."),
                );
                None
            }
        };
        if matches!(expression, Some(None)) {
            e.push(
                f("key"),
                "A node label key is required, e.g. node-pool: the weight goes to the nodes that match the rule.",
            );
        }
        if e.0.len() != before {
            continue;
        }
        if let (Some(weight), Some(Some(expression))) = (weight, expression) {
            let t = PreferredTerm { weight, expression };
            if out.iter().any(|x| x.expression == t.expression) {
                e.push(
                    f("key"),
                    format!(
                        "{} is listed twice: keep one of the rows (add up the weights).",
                        t.expression.text()
                    ),
                );
            } else {
                out.push(t);
            }
        }
    }
    out
}

/// Extra-resource rows showing stored limits and guarantees (one row per name).
pub fn extra_resource_rows(
    limits: &BTreeMap<String, String>,
    guarantees: &BTreeMap<String, String>,
) -> Vec<ExtraResourceForm> {
    let mut names: Vec<&String> = limits.keys().chain(guarantees.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| ExtraResourceForm {
            name: n.clone(),
            limit: limits.get(n).cloned().unwrap_or_default(),
            guarantee: guarantees.get(n).cloned().unwrap_or_default(),
        })
        .collect()
}

/// What a server of a profile needs of each extended resource: the guarantee, else the limit
/// (Kubernetes sets the request of an extended resource to its limit).
pub fn extended_requests(
    limits: &BTreeMap<String, String>,
    guarantees: &BTreeMap<String, String>,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (name, amount) in limits.iter().chain(guarantees.iter()) {
        if validate_resource_name("x", name) == Ok(ResourceKind::Extended)
            && let Ok(n) = amount.trim().parse::<u64>()
        {
            out.insert(name.clone(), n);
        }
    }
    out
}

/// `"nvidia.com/gpu", "amd.com/gpu"` for messages.
pub fn names_text(names: &[&str]) -> String {
    quoted_list(names.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn res(name: &str, limit: &str, guarantee: &str) -> ExtraResourceForm {
        ExtraResourceForm {
            name: name.into(),
            limit: limit.into(),
            guarantee: guarantee.into(),
        }
    }

    fn tol(key: &str, op: &str, value: &str, effect: &str, seconds: &str) -> TolerationForm {
        TolerationForm {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            seconds: seconds.into(),
        }
    }

    fn aff(key: &str, op: &str, values: &str) -> AffinityForm {
        AffinityForm {
            key: key.into(),
            operator: op.into(),
            values: values.into(),
        }
    }

    #[test]
    fn resource_names() {
        for ok in [
            "nvidia.com/gpu",
            "amd.com/gpu",
            "example.org/fpga_x1",
            "gpu.intel.com/i915",
        ] {
            assert_eq!(
                validate_resource_name("n", ok),
                Ok(ResourceKind::Extended),
                "{ok}"
            );
        }
        assert_eq!(
            validate_resource_name("n", "ephemeral-storage"),
            Ok(ResourceKind::EphemeralStorage)
        );
        for (bad, hint) in [
            ("", "required"),
            ("gpu", "no domain"),
            ("cpu", "CPU has its own fields"),
            ("memory", "Memory has its own fields"),
            ("nvidia.com/gpu/x", "more than one"),
            ("NVIDIA.com/gpu", "domain"),
            ("kubernetes.io/gpu", "Kubernetes' own"),
            ("nvidia.com/-gpu", "after '/'"),
            ("requests.nvidia.com/gpu", "quotas"),
        ] {
            let e = validate_resource_name("n", bad).unwrap_err();
            assert!(e.message.contains(hint), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn extra_resource_rows_follow_kubernetes() {
        let mut e = FieldErrors::new();
        let (l, g) = check_extra_resources(
            &[
                res("nvidia.com/gpu", "1", ""),
                res("", "", ""),
                res("example.org/fpga", "2", "2"),
                res("ephemeral-storage", "20Gi", "10Gi"),
            ],
            &mut e,
        );
        assert!(e.is_empty(), "{e}");
        assert_eq!(l.get("nvidia.com/gpu").map(String::as_str), Some("1"));
        assert_eq!(g.get("example.org/fpga").map(String::as_str), Some("2"));
        assert_eq!(g.len(), 2);
        let back = extra_resource_rows(&l, &g);
        assert_eq!(back.len(), 3);
        let req = extended_requests(&l, &g);
        assert_eq!(req.get("nvidia.com/gpu"), Some(&1));
        assert!(!req.contains_key("ephemeral-storage"));
    }

    /// Bad values of each extra-resource field: the error names the field and the fix.
    #[test]
    fn bad_extra_resources() {
        let cases: [(ExtraResourceForm, &str, &str); 9] = [
            (
                res("gpu", "1", ""),
                "extra_resources[0].name",
                "nvidia.com/gpu",
            ),
            (
                res("nvidia.com/gpu", "0.5", ""),
                "extra_resources[0].limit",
                "whole units",
            ),
            (
                res("nvidia.com/gpu", "500m", ""),
                "extra_resources[0].limit",
                "whole number",
            ),
            (
                res("nvidia.com/gpu", "0", ""),
                "extra_resources[0].limit",
                "at least 1",
            ),
            (
                res("nvidia.com/gpu", "5000", ""),
                "extra_resources[0].limit",
                "at most",
            ),
            (
                res("nvidia.com/gpu", "", "1"),
                "extra_resources[0].guarantee",
                "write 1 as the limit",
            ),
            (
                res("nvidia.com/gpu", "2", "1"),
                "extra_resources[0].guarantee",
                "must equal the limit (2)",
            ),
            (
                res("nvidia.com/gpu", "", ""),
                "extra_resources[0].limit",
                "how many",
            ),
            (
                res("ephemeral-storage", "1Gi", "2Gi"),
                "extra_resources[0].guarantee",
                "more than",
            ),
        ];
        for (row, field, hint) in cases {
            let mut e = FieldErrors::new();
            let (l, g) = check_extra_resources(std::slice::from_ref(&row), &mut e);
            let m = e
                .get(field)
                .unwrap_or_else(|| panic!("{row:?}: no error for {field}: {e}"));
            assert!(m.contains(hint), "{row:?}: {m}");
            assert!(l.is_empty() && g.is_empty(), "{row:?} kept");
        }
        let mut e = FieldErrors::new();
        check_extra_resources(
            &[
                res("nvidia.com/gpu", "1", ""),
                res("nvidia.com/gpu", "2", ""),
            ],
            &mut e,
        );
        assert!(e.get("extra_resources[1].name").unwrap().contains("twice"));
    }

    #[test]
    fn tolerations_follow_kubernetes() {
        let mut e = FieldErrors::new();
        let t = check_tolerations(
            &[
                tol("nvidia.com/gpu", "Exists", "", "NoSchedule", ""),
                tol("", "Equal", "", "", ""),
                tol("dedicated", "Equal", "gpu", "NoExecute", "300"),
                tol("", "Exists", "", "", ""),
            ],
            &mut e,
        );
        assert!(e.is_empty(), "{e}");
        assert_eq!(t.len(), 3);
        assert!(t[0].tolerates("nvidia.com/gpu", "present", "NoSchedule"));
        assert!(!t[0].tolerates("nvidia.com/gpu", "present", "NoExecute"));
        assert!(t[1].tolerates("dedicated", "gpu", "NoExecute"));
        assert!(!t[1].tolerates("dedicated", "cpu", "NoExecute"));
        assert!(t[2].tolerates("anything", "x", "NoSchedule"));
        assert_eq!(t[0].text(), "nvidia.com/gpu (any value):NoSchedule");
        for x in &t {
            let mut e = FieldErrors::new();
            assert_eq!(check_tolerations(&[x.to_form()], &mut e), vec![x.clone()]);
        }
    }

    /// Bad values of each toleration field: the error names the field and the fix.
    #[test]
    fn bad_tolerations() {
        let cases: [(TolerationForm, &str, &str); 9] = [
            (tol("", "Equal", "gpu", "", ""), "key", "choose Exists"),
            (tol("a/b/c", "Equal", "", "", ""), "key", "Taint key"),
            (
                tol("gpu", "Maybe", "", "", ""),
                "operator",
                "Equal or Exists",
            ),
            (
                tol("gpu", "Exists", "true", "", ""),
                "value",
                "must be empty",
            ),
            (tol("gpu", "Equal", "-x", "", ""), "value", "Taint value"),
            (tol("gpu", "Equal", "x", "NoRun", ""), "effect", "NoExecute"),
            (
                tol("gpu", "Equal", "x", "NoSchedule", "60"),
                "seconds",
                "NoExecute",
            ),
            (
                tol("gpu", "Equal", "x", "NoExecute", "soon"),
                "seconds",
                "whole number",
            ),
            (
                tol("gpu", "Equal", "x", "NoExecute", "-1"),
                "seconds",
                "whole number",
            ),
        ];
        for (row, sub, hint) in cases {
            let mut e = FieldErrors::new();
            let t = check_tolerations(std::slice::from_ref(&row), &mut e);
            let field = format!("tolerations[0].{sub}");
            let m = e
                .get(&field)
                .unwrap_or_else(|| panic!("{row:?}: no error for {field}: {e}"));
            assert!(m.contains(hint), "{row:?}: {m}");
            assert!(t.is_empty());
        }
        let mut e = FieldErrors::new();
        let row = tol("gpu", "Exists", "", "", "");
        check_tolerations(&[row.clone(), row], &mut e);
        assert!(e.get("tolerations[1].key").unwrap().contains("twice"));
    }

    #[test]
    fn node_affinity_follows_kubernetes() {
        let mut e = FieldErrors::new();
        let m = check_node_affinity(
            &[
                aff("nvidia.com/gpu.product", "In", "A100, H100"),
                aff("", "In", ""),
                aff("spot", "DoesNotExist", ""),
                aff("cores", "Gt", "16"),
                aff("pool", "NotIn", "small"),
            ],
            &mut e,
        );
        assert!(e.is_empty(), "{e}");
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].values, ["A100", "H100"]);
        let labels: BTreeMap<String, String> = [
            ("nvidia.com/gpu.product".to_string(), "A100".to_string()),
            ("cores".to_string(), "32".to_string()),
        ]
        .into();
        assert!(m.iter().all(|x| x.matches(&labels)), "{m:?}");
        let small: BTreeMap<String, String> = [("cores".to_string(), "8".to_string())].into();
        assert!(!m[2].matches(&small));
        assert!(!m[0].matches(&small));
        for x in &m {
            let mut e = FieldErrors::new();
            assert_eq!(check_node_affinity(&[x.to_form()], &mut e), vec![x.clone()]);
        }
    }

    /// Bad values of each node-affinity field: the error names the field and the fix.
    #[test]
    fn bad_node_affinity() {
        let cases: [(AffinityForm, &str, &str); 8] = [
            (aff("", "Exists", ""), "key", "required"),
            (aff("a b", "Exists", ""), "key", "Label key"),
            (aff("pool", "Near", "x"), "operator", "choose In"),
            (aff("pool", "In", ""), "values", "at least one value"),
            (aff("pool", "In", "ok, -bad"), "values", "Label value"),
            (aff("pool", "Exists", "x"), "values", "clear the values"),
            (aff("cores", "Gt", "many"), "values", "not a whole number"),
            (aff("cores", "Lt", "1, 2"), "values", "exactly one"),
        ];
        for (row, sub, hint) in cases {
            let mut e = FieldErrors::new();
            let m = check_node_affinity(std::slice::from_ref(&row), &mut e);
            let field = format!("node_affinity[0].{sub}");
            let msg = e
                .get(&field)
                .unwrap_or_else(|| panic!("{row:?}: no error for {field}: {e}"));
            assert!(msg.contains(hint), "{row:?}: {msg}");
            assert!(m.is_empty());
        }
    }

    fn pref(weight: &str, key: &str, op: &str, values: &str) -> PreferredForm {
        PreferredForm {
            weight: weight.into(),
            key: key.into(),
            operator: op.into(),
            values: values.into(),
        }
    }

    #[test]
    fn preferred_affinity_is_weighted() {
        let mut e = FieldErrors::new();
        let t = check_preferred_affinity(
            &[
                pref("80", "node-pool", "In", "gpu-large"),
                pref("", "", "In", ""),
                pref("1", "spot", "DoesNotExist", ""),
            ],
            &mut e,
        );
        assert!(e.is_empty(), "{e}");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].weight, 80);
        assert_eq!(t[0].text(), "node-pool In (gpu-large) (weight 80)");
        for x in &t {
            let mut e = FieldErrors::new();
            assert_eq!(
                check_preferred_affinity(&[x.to_form()], &mut e),
                vec![x.clone()]
            );
        }
    }

    /// Bad values of each preferred-affinity field: the exact message, on the field it names.
    #[test]
    fn bad_preferred_affinity() {
        let cases: [(PreferredForm, &str, &str); 7] = [
            (
                pref("", "node-pool", "In", "gpu"),
                "weight",
                "A weight from 1 to 100 is required: nodes matching rules with more weight are preferred, e.g. 50.",
            ),
            (
                pref("0", "node-pool", "In", "gpu"),
                "weight",
                "\"0\" is not a weight: write a whole number from 1 to 100, e.g. 50.",
            ),
            (
                pref("101", "node-pool", "In", "gpu"),
                "weight",
                "\"101\" is not a weight: write a whole number from 1 to 100, e.g. 50.",
            ),
            (
                pref("50", "", "In", ""),
                "key",
                "A node label key is required, e.g. node-pool: the weight goes to the nodes that match the rule.",
            ),
            (
                pref("50", "a b", "In", "x"),
                "key",
                "Label key \"a b\" is invalid: the name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
            ),
            (
                pref("50", "pool", "Near", "x"),
                "operator",
                "Operator \"Near\" is unknown: choose In, NotIn, Exists, DoesNotExist, Gt or Lt.",
            ),
            (
                pref("50", "pool", "In", ""),
                "values",
                "In needs at least one value: write the label values, separated by commas, e.g. a100, h100.",
            ),
        ];
        for (row, sub, message) in cases {
            let mut e = FieldErrors::new();
            let t = check_preferred_affinity(std::slice::from_ref(&row), &mut e);
            let field = format!("node_affinity_preferred[0].{sub}");
            assert_eq!(e.get(&field), Some(message), "{row:?}: {e}");
            assert!(t.is_empty());
        }
        let mut e = FieldErrors::new();
        let row = pref("10", "pool", "Exists", "");
        check_preferred_affinity(&[row.clone(), row], &mut e);
        assert_eq!(
            e.get("node_affinity_preferred[1].key"),
            Some("pool Exists is listed twice: keep one of the rows (add up the weights).")
        );
    }

    proptest! {
        #[test]
        fn scheduling_checks_never_panic(a in ".{0,20}", b in ".{0,12}", c in ".{0,12}") {
            let mut e = FieldErrors::new();
            let _ = check_extra_resources(&[res(&a, &b, &c)], &mut e);
            let _ = check_tolerations(&[tol(&a, &b, &c, &b, &c)], &mut e);
            let _ = check_node_affinity(&[aff(&a, &b, &c)], &mut e);
            let _ = check_preferred_affinity(&[pref(&c, &a, &b, &c)], &mut e);
        }

        #[test]
        fn whole_gpu_counts_pass(n in 1u64..=EXTENDED_MAX) {
            let mut e = FieldErrors::new();
            let (l, _) = check_extra_resources(&[res("nvidia.com/gpu", &n.to_string(), "")], &mut e);
            prop_assert!(e.is_empty());
            let req = extended_requests(&l, &BTreeMap::new());
            prop_assert_eq!(req.get("nvidia.com/gpu"), Some(&n));
        }
    }
}
