//! Audit events and the field-level diff between two versions of a record.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One changed field: its dotted path, the old and the new value (absent = `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Compares two JSON documents field by field. Objects are walked recursively (paths joined
/// with `.`); arrays and scalars are compared whole, which reads best for lists such as groups.
pub fn field_diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Object(a)), None) if path.is_empty() => {
            for (k, v) in a {
                out.push(FieldChange {
                    field: k.clone(),
                    old: Some(v.clone()),
                    new: None,
                });
            }
        }
        (None, Some(Value::Object(b))) if path.is_empty() => {
            for (k, v) in b {
                out.push(FieldChange {
                    field: k.clone(),
                    old: None,
                    new: Some(v.clone()),
                });
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            field: path.to_string(),
            old: a.cloned(),
            new: b.cloned(),
        }),
        _ => {}
    }
}

/// An audit event as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub target_name: String,
    pub diff: Vec<FieldChange>,
    pub reason: String,
    /// The id the server gave the request that made the change.
    pub request_id: String,
    /// The `x-request-id` the client sent (sanitized), empty when none.
    #[serde(default)]
    pub client_request_id: String,
    pub client_addr: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_changes_and_lists() {
        let a = json!({"role": "user", "groups": ["a"], "x": {"y": 1, "z": 2}});
        let b = json!({"role": "admin", "groups": ["a", "b"], "x": {"y": 1, "z": 3}});
        let d = field_diff(Some(&a), Some(&b));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["groups", "role", "x.z"]);
        assert_eq!(d[1].old, Some(json!("user")));
        assert_eq!(d[1].new, Some(json!("admin")));
    }

    #[test]
    fn create_and_delete() {
        let b = json!({"name": "n"});
        assert_eq!(field_diff(None, Some(&b)).len(), 1);
        assert_eq!(field_diff(Some(&b), None)[0].new, None);
        assert!(field_diff(Some(&b), Some(&b)).is_empty());
    }
}
