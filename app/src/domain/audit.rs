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
/// with `.`). Two non-empty lists of objects that each carry their own unique `key` (a
/// profile's options and their choices) are compared element by element by that key
/// (`profile_options[size].choices[large].mem_limit`), with an `… (order)` change when only
/// their order moved; other arrays and scalars are compared whole, which reads best for lists
/// such as groups.
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
        (Some(Value::Array(a)), Some(Value::Array(b)))
            if !path.is_empty() && keyed(a).is_some() && keyed(b).is_some() =>
        {
            let (ka, kb) = (keyed(a).unwrap_or_default(), keyed(b).unwrap_or_default());
            for (k, v) in &ka {
                let after = kb.iter().find(|(x, _)| x == k).map(|(_, v)| *v);
                walk(&format!("{path}[{k}]"), Some(v), after, out);
            }
            for (k, v) in kb.iter().filter(|(k, _)| !ka.iter().any(|(x, _)| x == k)) {
                walk(&format!("{path}[{k}]"), None, Some(v), out);
            }
            let order = |l: &[(&str, &Value)]| -> Vec<String> {
                l.iter().map(|(k, _)| (*k).to_string()).collect()
            };
            let (oa, ob) = (order(&ka), order(&kb));
            let common = |o: &[String], other: &[String]| -> Vec<String> {
                o.iter().filter(|k| other.contains(k)).cloned().collect()
            };
            if common(&oa, &ob) != common(&ob, &oa) {
                out.push(FieldChange {
                    field: format!("{path} (order)"),
                    old: Some(Value::from(oa)),
                    new: Some(Value::from(ob)),
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

/// The elements of a list by their `key`, when every element is an object with a non-empty
/// string `key` of its own.
fn keyed(list: &[Value]) -> Option<Vec<(&str, &Value)>> {
    let mut out: Vec<(&str, &Value)> = Vec::new();
    for v in list {
        let k = v.get("key")?.as_str().filter(|k| !k.is_empty())?;
        if out.iter().any(|(x, _)| *x == k) {
            return None;
        }
        out.push((k, v));
    }
    (!out.is_empty()).then_some(out)
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
    fn keyed_lists_are_compared_by_key() {
        let a = json!({"profile_options": [
            {"key": "image", "choices": [{"key": "py", "image": "a:1"}, {"key": "r", "image": "r:1"}]},
            {"key": "size", "choices": [{"key": "small", "mem_limit": "2G"}]}
        ], "groups": ["a"]});
        let b = json!({"profile_options": [
            {"key": "size", "choices": [{"key": "small", "mem_limit": "4G"}, {"key": "large", "mem_limit": "16G"}]},
            {"key": "image", "choices": [{"key": "py", "image": "a:2"}, {"key": "r", "image": "r:1"}]}
        ], "groups": ["a"]});
        let d = field_diff(Some(&a), Some(&b));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "profile_options[image].choices[py].image",
                "profile_options[size].choices[small].mem_limit",
                "profile_options[size].choices[large]",
                "profile_options (order)",
            ]
        );
        assert_eq!(d[0].old, Some(json!("a:1")));
        assert_eq!(d[2].old, None);
        // A list emptied, or one whose elements share a key, is compared whole.
        let c = json!({"profile_options": [], "groups": ["a"]});
        assert_eq!(field_diff(Some(&a), Some(&c))[0].field, "profile_options");
        let t1 = json!({"t": [{"key": "k", "effect": "A"}, {"key": "k", "effect": "B"}]});
        let t2 = json!({"t": [{"key": "k", "effect": "A"}]});
        assert_eq!(field_diff(Some(&t1), Some(&t2))[0].field, "t");
    }

    #[test]
    fn create_and_delete() {
        let b = json!({"name": "n"});
        assert_eq!(field_diff(None, Some(&b)).len(), 1);
        assert_eq!(field_diff(Some(&b), None)[0].new, None);
        assert!(field_diff(Some(&b), Some(&b)).is_empty());
    }
}
