//! Patches and field ownership: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a
//! compact model of server-side apply's managed fields.
//!
//! Field ownership is tracked per leaf path. Lists are atomic (owned whole), which is what the
//! API server does for lists without merge keys; it is enough for the portal's objects, where
//! one manager owns a whole object. `metadata.managedFields` is written in the real
//! `FieldsV1` shape so clients can read it.

use crate::util::{get_path, remove_path, set_path};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub type FieldPath = Vec<String>;

/// RFC 7386 merge: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Some(t) = target.as_object_mut() {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| format!("invalid JSON pointer \"{pointer}\""))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn parent_mut<'a>(doc: &'a mut Value, parts: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get_mut(p).ok_or_else(|| format!("path /{p} not found"))?,
            Value::Array(a) => {
                let i: usize = p.parse().map_err(|_| format!("bad array index {p}"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("index {i} out of range"))?
            }
            _ => return Err(format!("cannot descend into /{p}")),
        };
    }
    Ok(cur)
}

fn pointer_add(doc: &mut Value, parts: &[String], val: Value) -> Result<(), String> {
    let Some((last, parents)) = parts.split_last() else {
        *doc = val;
        return Ok(());
    };
    match parent_mut(doc, parents)? {
        Value::Object(m) => {
            m.insert(last.clone(), val);
            Ok(())
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(val);
            } else {
                let i: usize = last
                    .parse()
                    .map_err(|_| format!("bad array index {last}"))?;
                if i > a.len() {
                    return Err(format!("index {i} out of range"));
                }
                a.insert(i, val);
            }
            Ok(())
        }
        _ => Err("cannot add to a scalar".to_string()),
    }
}

fn pointer_remove(doc: &mut Value, parts: &[String]) -> Result<Value, String> {
    let Some((last, parents)) = parts.split_last() else {
        return Err("cannot remove the whole document".to_string());
    };
    match parent_mut(doc, parents)? {
        Value::Object(m) => m
            .remove(last)
            .ok_or_else(|| format!("path {last} not found")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("bad array index {last}"))?;
            if i >= a.len() {
                return Err(format!("index {i} out of range"));
            }
            Ok(a.remove(i))
        }
        _ => Err("cannot remove from a scalar".to_string()),
    }
}

fn pointer_get(doc: &Value, pointer: &str) -> Result<Value, String> {
    doc.pointer(pointer)
        .cloned()
        .ok_or_else(|| format!("path {pointer} not found"))
}

/// RFC 6902 JSON patch (add, remove, replace, move, copy, test).
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops
        .as_array()
        .ok_or_else(|| "a JSON patch must be an array of operations".to_string())?;
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        let parts = pointer_parts(path)?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("operation {kind} needs a value"))
        };
        match kind {
            "add" => pointer_add(doc, &parts, value()?)?,
            "remove" => {
                pointer_remove(doc, &parts)?;
            }
            "replace" => {
                pointer_remove(doc, &parts)?;
                pointer_add(doc, &parts, value()?)?;
            }
            "move" | "copy" => {
                let from = op.get("from").and_then(Value::as_str).unwrap_or_default();
                let v = if kind == "move" {
                    pointer_remove(doc, &pointer_parts(from)?)?
                } else {
                    pointer_get(doc, from)?
                };
                pointer_add(doc, &parts, v)?;
            }
            "test" => {
                if pointer_get(doc, path)? != value()? {
                    return Err(format!("test operation failed at {path}"));
                }
            }
            other => return Err(format!("unknown JSON patch operation \"{other}\"")),
        }
    }
    Ok(())
}

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedEntry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    /// `""` for the main resource, `"status"` for the status subresource.
    pub subresource: String,
    pub fields: BTreeSet<FieldPath>,
}

/// A field another manager owns with a different value (server-side apply conflict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub field: FieldPath,
}

impl Conflict {
    /// `.spec.replicas`, the way the API server names fields in conflict messages.
    pub fn field_label(&self) -> String {
        format!(".{}", self.field.join("."))
    }
}

fn collect_leaves(v: &Value, prefix: &mut Vec<String>, out: &mut BTreeSet<FieldPath>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                prefix.push(k.clone());
                collect_leaves(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {
            out.insert(prefix.clone());
        }
    }
}

/// The leaf paths of an object that field management tracks: everything but identity and
/// server-set metadata; `status` only for the status subresource (and the reverse).
pub fn tracked_leaves(obj: &Value, subresource: &str) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    let Some(m) = obj.as_object() else {
        return out;
    };
    for (k, v) in m {
        let keep = match k.as_str() {
            "apiVersion" | "kind" => false,
            "status" => subresource == "status",
            "metadata" => {
                if let Some(meta) = v.as_object() {
                    for key in ["labels", "annotations", "finalizers", "ownerReferences"] {
                        if let Some(x) = meta.get(key) {
                            let mut prefix = vec!["metadata".to_string(), key.to_string()];
                            collect_leaves(x, &mut prefix, &mut out);
                        }
                    }
                }
                false
            }
            _ => subresource != "status",
        };
        if keep {
            let mut prefix = vec![k.clone()];
            collect_leaves(v, &mut prefix, &mut out);
        }
    }
    out
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn is_empty_map(v: Option<&Value>) -> bool {
    v.and_then(Value::as_object).is_some_and(Map::is_empty)
}

/// Whether applying leaf `p` touches field `q` owned by another manager. Owning a map (an
/// empty-map leaf) does not own its future keys, and an applied empty map adds nothing.
fn contends(existing: &Value, applied: &Value, p: &[String], q: &[String]) -> bool {
    if !overlaps(p, q) {
        return false;
    }
    if q.len() < p.len() {
        // The other manager owns an ancestor: only an atomic value (list, scalar) contends.
        return !get_path(existing, q).is_some_and(Value::is_object);
    }
    if p.len() < q.len() {
        return !is_empty_map(get_path(applied, p));
    }
    true
}

/// Whether an applied leaf `p` still configures a previously applied field `q`.
fn covers(applied: &Value, p: &[String], q: &[String]) -> bool {
    if !overlaps(p, q) {
        return false;
    }
    if p.len() < q.len() {
        return !is_empty_map(get_path(applied, p));
    }
    true
}

fn fields_to_v1(fields: &BTreeSet<FieldPath>) -> Value {
    let mut root = Value::Object(Map::new());
    for f in fields {
        let keyed: Vec<String> = f.iter().map(|s| format!("f:{s}")).collect();
        if get_path(&root, &keyed).is_some() {
            let mut dot = keyed.clone();
            dot.push(".".to_string());
            set_path(&mut root, &dot, json!({}));
        } else {
            set_path(&mut root, &keyed, json!({}));
        }
    }
    // A parent that is itself owned and also has owned children gets a "." marker; fix up
    // leaves that were inserted before their children.
    for f in fields {
        let keyed: Vec<String> = f.iter().map(|s| format!("f:{s}")).collect();
        if let Some(Value::Object(m)) = get_path(&root, &keyed)
            && !m.is_empty()
            && !m.contains_key(".")
        {
            let mut dot = keyed.clone();
            dot.push(".".to_string());
            set_path(&mut root, &dot, json!({}));
        }
    }
    root
}

fn fields_from_v1(v: &Value, prefix: &mut Vec<String>, out: &mut BTreeSet<FieldPath>) {
    let Some(m) = v.as_object() else {
        return;
    };
    if m.is_empty() && !prefix.is_empty() {
        out.insert(prefix.clone());
        return;
    }
    for (k, c) in m {
        if k == "." {
            out.insert(prefix.clone());
            continue;
        }
        let seg = k
            .strip_prefix("f:")
            .or_else(|| k.get(2..))
            .unwrap_or(k)
            .to_string();
        prefix.push(seg);
        fields_from_v1(c, prefix, out);
        prefix.pop();
    }
}

/// Reads `metadata.managedFields`.
pub fn read_managed(obj: &Value) -> Vec<ManagedEntry> {
    let Some(list) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .map(|e| {
            let mut fields = BTreeSet::new();
            if let Some(f) = e.get("fieldsV1") {
                fields_from_v1(f, &mut Vec::new(), &mut fields);
            }
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            ManagedEntry {
                manager: s("manager"),
                operation: s("operation"),
                api_version: s("apiVersion"),
                time: s("time"),
                subresource: s("subresource"),
                fields,
            }
        })
        .collect()
}

/// Writes `metadata.managedFields` (dropping entries that own nothing).
pub fn write_managed(obj: &mut Value, entries: &[ManagedEntry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_to_v1(&e.fields),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    if list.is_empty() {
        remove_path(obj, &["metadata".into(), "managedFields".into()]);
    } else {
        set_path(
            obj,
            &["metadata".into(), "managedFields".into()],
            Value::Array(list),
        );
    }
}

/// Who is writing, and how.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub time: &'a str,
    pub subresource: &'a str,
}

/// Server-side apply of `applied` onto `existing` (or onto nothing, creating). Returns the
/// merged object with updated managed fields, or the conflicts when `force` is false.
pub fn apply(
    existing: Option<&Value>,
    applied: &Value,
    force: bool,
    w: &Writer<'_>,
) -> Result<Value, Vec<Conflict>> {
    let applied_leaves = tracked_leaves(applied, w.subresource);
    let mut base = existing.cloned().unwrap_or_else(|| json!({}));
    let mut entries = read_managed(&base);
    let mut merged = base.clone();
    merge_patch(&mut merged, applied);

    let is_me = |e: &ManagedEntry| {
        e.manager == w.manager && e.operation == "Apply" && e.subresource == w.subresource
    };
    let mut conflicts = Vec::new();
    for e in entries
        .iter()
        .filter(|e| !is_me(e) && e.subresource == w.subresource)
    {
        for q in &e.fields {
            for p in &applied_leaves {
                if !contends(&base, applied, p, q) {
                    continue;
                }
                let shorter = if p.len() <= q.len() { p } else { q };
                if get_path(&base, shorter) != get_path(&merged, shorter) {
                    conflicts.push(Conflict {
                        manager: e.manager.clone(),
                        field: q.clone(),
                    });
                    break;
                }
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    for c in &conflicts {
        for e in entries.iter_mut().filter(|e| !is_me(e)) {
            if e.manager == c.manager {
                e.fields.remove(&c.field);
            }
        }
    }
    // Fields this manager applied before and no longer applies are removed, unless someone
    // else also owns them.
    let previous: BTreeSet<FieldPath> = entries
        .iter()
        .filter(|e| is_me(e))
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    for q in previous {
        if applied_leaves.iter().any(|p| covers(applied, p, &q)) {
            continue;
        }
        let shared = entries
            .iter()
            .filter(|e| !is_me(e))
            .any(|e| e.fields.iter().any(|o| overlaps(o, &q)));
        if !shared {
            remove_path(&mut base, &q);
        }
    }
    merge_patch(&mut base, applied);
    entries.retain(|e| !is_me(e));
    entries.push(ManagedEntry {
        manager: w.manager.to_string(),
        operation: "Apply".to_string(),
        api_version: w.api_version.to_string(),
        time: w.time.to_string(),
        subresource: w.subresource.to_string(),
        fields: applied_leaves,
    });
    write_managed(&mut base, &entries);
    Ok(base)
}

/// Records an ordinary write (create, replace, patch): the writer takes the fields it changed
/// from whoever owned them, and fields that disappeared are owned by nobody.
pub fn record_update(old: Option<&Value>, new: &mut Value, w: &Writer<'_>) {
    let mut entries = old.map(read_managed).unwrap_or_default();
    let new_leaves = tracked_leaves(new, w.subresource);
    let changed: BTreeSet<FieldPath> = new_leaves
        .iter()
        .filter(|p| old.and_then(|o| get_path(o, p)) != get_path(new, p))
        .cloned()
        .collect();
    let is_me = |e: &ManagedEntry| {
        e.manager == w.manager && e.operation == "Update" && e.subresource == w.subresource
    };
    for e in entries.iter_mut() {
        if e.subresource != w.subresource {
            continue;
        }
        let mine = is_me(e);
        e.fields.retain(|q| {
            get_path(new, q).is_some() && (mine || !changed.iter().any(|p| overlaps(p, q)))
        });
    }
    if !changed.is_empty() {
        match entries.iter_mut().find(|e| is_me(e)) {
            Some(e) => {
                e.fields.extend(changed);
                e.time = w.time.to_string();
            }
            None => entries.push(ManagedEntry {
                manager: w.manager.to_string(),
                operation: "Update".to_string(),
                api_version: w.api_version.to_string(),
                time: w.time.to_string(),
                subresource: w.subresource.to_string(),
                fields: changed,
            }),
        }
    }
    write_managed(new, &entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(manager: &str) -> Writer<'_> {
        Writer {
            manager,
            api_version: "v1",
            time: "2026-01-01T00:00:00Z",
            subresource: "",
        }
    }

    #[test]
    fn merge_patch_deletes_with_null() {
        let mut doc = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch(&mut doc, &json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(doc, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }

    #[test]
    fn json_patch_ops() {
        let mut doc = json!({"a": [1, 2], "b": {"c": 1}});
        json_patch(
            &mut doc,
            &json!([
                {"op": "add", "path": "/a/-", "value": 3},
                {"op": "replace", "path": "/b/c", "value": 5},
                {"op": "test", "path": "/b/c", "value": 5},
                {"op": "copy", "from": "/b/c", "path": "/d"},
                {"op": "remove", "path": "/a/0"}
            ]),
        )
        .unwrap();
        assert_eq!(doc, json!({"a": [2, 3], "b": {"c": 5}, "d": 5}));
        assert!(json_patch(&mut doc, &json!([{"op": "test", "path": "/d", "value": 1}])).is_err());
    }

    #[test]
    fn apply_conflicts_and_force() {
        let first = apply(
            None,
            &json!({"metadata": {"name": "x"}, "data": {"a": "1", "b": "2"}}),
            false,
            &w("alpha"),
        )
        .unwrap();
        // Same value: shared ownership, no conflict.
        let shared = apply(
            Some(&first),
            &json!({"data": {"a": "1"}}),
            false,
            &w("beta"),
        );
        assert!(shared.is_ok());
        let err = apply(
            Some(&first),
            &json!({"data": {"a": "9"}}),
            false,
            &w("beta"),
        )
        .unwrap_err();
        assert_eq!(err[0].manager, "alpha");
        assert_eq!(err[0].field_label(), ".data.a");
        let forced = apply(Some(&first), &json!({"data": {"a": "9"}}), true, &w("beta")).unwrap();
        assert_eq!(forced["data"]["a"], "9");
        let entries = read_managed(&forced);
        let alpha = entries.iter().find(|e| e.manager == "alpha").unwrap();
        assert!(
            !alpha
                .fields
                .contains(&vec!["data".to_string(), "a".to_string()])
        );
        // alpha re-applies without b: b is removed (nobody else owns it).
        let again = apply(Some(&forced), &json!({"data": {}}), false, &w("alpha")).unwrap();
        assert!(again["data"].get("b").is_none());
        assert_eq!(again["data"]["a"], "9");
    }

    #[test]
    fn managed_fields_round_trip() {
        let obj = apply(
            None,
            &json!({"metadata": {"labels": {"x": "1"}}, "spec": {"a": {"b": 1}, "c": [1]}}),
            false,
            &w("m"),
        )
        .unwrap();
        let entries = read_managed(&obj);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].fields.len(), 3);
        assert_eq!(
            obj["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:a"]["f:b"],
            json!({})
        );
    }

    #[test]
    fn update_takes_ownership() {
        let obj = apply(None, &json!({"data": {"a": "1"}}), false, &w("alpha")).unwrap();
        let mut new = obj.clone();
        new["data"]["a"] = json!("2");
        record_update(Some(&obj), &mut new, &w("kubectl"));
        let entries = read_managed(&new);
        assert!(entries.iter().all(|e| e.manager != "alpha"));
        assert!(apply(Some(&new), &json!({"data": {"a": "3"}}), false, &w("alpha")).is_err());
    }
}
