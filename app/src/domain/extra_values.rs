//! A hub's extra values: chart values Hubfleet does not generate (e.g. `proxy.https`,
//! `hub.config.GitHubOAuthenticator`, `singleuser.defaultUrl`, `scheduling.*`), kept as the
//! YAML mapping an administrator wrote and deep-merged under the generated values
//! (`crate::values` decides the merge; generated values win).
//!
//! [`Tree`] is a YAML/JSON document that keeps the order of mapping keys as written, so the
//! merged values file lists keys as the administrator wrote them. The same parser runs in the
//! browser (the hub form) and on the server: [`parse_extra_values`].

use super::FieldError;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;

/// The form field (on [`super::hub::HubForm`]) holding the extra values.
pub const FIELD: &str = "extra_values";
/// Extra values longer than this are refused (the request body limit is 1 MiB anyway).
pub const EXTRA_VALUES_MAX: usize = 256 * 1024;
/// Deepest nesting accepted (the chart's values nest about 8 levels).
pub const MAX_DEPTH: usize = 64;

/// A YAML/JSON value whose mappings keep their keys in written order.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// The value of `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self, Tree::Map(_))
    }

    /// Whether this is an empty mapping (or null, which an empty document reads as).
    pub fn is_empty_map(&self) -> bool {
        match self {
            Tree::Map(m) => m.is_empty(),
            Tree::Null => true,
            _ => false,
        }
    }

    /// The JSON value (keys sorted, as `serde_json` keeps them).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(*b),
            Tree::Number(n) => Value::Number(n.clone()),
            Tree::String(s) => Value::String(s.clone()),
            Tree::Seq(items) => Value::Array(items.iter().map(Tree::to_json).collect()),
            Tree::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A tree from a JSON value (keys in `serde_json`'s order, i.e. sorted).
    pub fn from_json(v: &serde_json::Value) -> Tree {
        use serde_json::Value;
        match v {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(*b),
            Value::Number(n) => Tree::Number(n.clone()),
            Value::String(s) => Tree::String(s.clone()),
            Value::Array(items) => Tree::Seq(items.iter().map(Tree::from_json).collect()),
            Value::Object(m) => Tree::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Tree::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The tree as YAML (block style, deterministic). Empty mappings give an empty string.
    pub fn to_yaml(&self) -> Result<String, String> {
        if self.is_empty_map() {
            return Ok(String::new());
        }
        serde_saphyr2::to_string(self).map_err(|e| e.to_string())
    }
}

impl Serialize for Tree {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Null => s.serialize_none(),
            Tree::Bool(b) => s.serialize_bool(*b),
            Tree::Number(n) => n.serialize(s),
            Tree::String(v) => s.serialize_str(v),
            Tree::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Tree::Map(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Tree, E> {
        i64::try_from(v)
            .map(|n| Tree::Number(n.into()))
            .map_err(|_| E::custom(format!("the number {v} is too large")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Tree, E> {
        u64::try_from(v)
            .map(|n| Tree::Number(n.into()))
            .map_err(|_| E::custom(format!("the number {v} is too large")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
        serde_json::Number::from_f64(v)
            .map(Tree::Number)
            .ok_or_else(|| {
                E::custom(format!(
                    "{v} is not a finite number, which values cannot hold"
                ))
            })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::String(v))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Tree, E> {
        Err(E::custom("binary values are not supported"))
    }

    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Tree>()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries: Vec<(String, Tree)> = Vec::new();
        while let Some(key) = map.next_key::<Tree>()? {
            let key = match key {
                Tree::String(s) => s,
                Tree::Number(n) => n.to_string(),
                Tree::Bool(b) => b.to_string(),
                Tree::Null => "null".to_string(),
                Tree::Seq(_) | Tree::Map(_) => {
                    return Err(de::Error::custom(
                        "a key is a list or a mapping: keys must be plain text",
                    ));
                }
            };
            let value = map.next_value::<Tree>()?;
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("the key \"{key}\" is repeated")));
            }
            entries.push((key, value));
        }
        Ok(Tree::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

fn depth(t: &Tree) -> usize {
    match t {
        Tree::Seq(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Tree::Map(entries) => 1 + entries.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether `text` has nothing but blank lines and comments.
fn only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// The extra values typed in the hub form: `None` when empty (only blanks or comments), else
/// the YAML mapping. Anything else (a list, a scalar, a syntax error, a repeated key) is a
/// field error saying where, by line and column.
pub fn parse_extra_values(field: &str, text: &str) -> Result<Option<Tree>, FieldError> {
    if only_comments(text) {
        return Ok(None);
    }
    if text.len() > EXTRA_VALUES_MAX {
        return Err(FieldError::new(
            field,
            format!(
                "The extra values are longer than {} KiB: keep only what Hubfleet does not generate.",
                EXTRA_VALUES_MAX / 1024
            ),
        ));
    }
    if text.contains('\t')
        && let Some((n, _)) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.trim_start_matches(' ').starts_with('\t'))
    {
        return Err(FieldError::new(
            field,
            format!(
                "Line {}: YAML is indented with spaces, not tabs: replace the tab with spaces.",
                n + 1
            ),
        ));
    }
    let tree: Tree = serde_saphyr2::from_str(text).map_err(|e| {
        let plain = e.without_snippet();
        let at = plain
            .location()
            .map(|l| format!("Line {}, column {}: ", l.line(), l.column()))
            .unwrap_or_default();
        let message = plain.to_string();
        // The parser's message names the place itself at its end ("at line 2 column 3");
        // keep the first line of it only.
        let message = message.lines().next().unwrap_or("").trim().to_string();
        FieldError::new(
            field,
            format!("{at}these extra values are not valid YAML ({message})."),
        )
    })?;
    match &tree {
        Tree::Null => Ok(None),
        Tree::Map(m) if m.is_empty() => Ok(None),
        Tree::Map(_) if depth(&tree) > MAX_DEPTH => Err(FieldError::new(
            field,
            format!("The extra values nest deeper than {MAX_DEPTH} levels."),
        )),
        Tree::Map(_) => Ok(Some(tree)),
        Tree::Seq(_) => Err(FieldError::new(
            field,
            "The extra values are a list: write a mapping of chart values, e.g. \"proxy:\" on the first line and its settings indented below.",
        )),
        _ => Err(FieldError::new(
            field,
            "The extra values are a single value: write a mapping of chart values, e.g. \"singleuser:\\n  defaultUrl: /lab\".",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_comments_are_none() {
        assert_eq!(parse_extra_values("f", "").unwrap(), None);
        assert_eq!(
            parse_extra_values("f", "  \n# only a comment\n").unwrap(),
            None
        );
        assert_eq!(parse_extra_values("f", "{}").unwrap(), None);
    }

    #[test]
    fn a_mapping_keeps_its_order() {
        let t = parse_extra_values(
            "f",
            "proxy:\n  https:\n    enabled: true\n    hosts: [hub.example.org]\nsingleuser:\n  defaultUrl: /lab\n  uid: 1000\n  cpu: {limit: 1.5}\n",
        )
        .unwrap()
        .unwrap();
        let Tree::Map(top) = &t else { panic!("a map") };
        assert_eq!(top[0].0, "proxy");
        assert_eq!(top[1].0, "singleuser");
        let su = t.get("singleuser").unwrap();
        assert_eq!(su.get("defaultUrl"), Some(&Tree::String("/lab".into())));
        assert_eq!(su.get("uid"), Some(&Tree::Number(1000.into())));
        assert_eq!(
            t.to_json()["proxy"]["https"]["hosts"][0],
            serde_json::json!("hub.example.org")
        );
        // YAML out and back in is the same tree.
        let yaml = t.to_yaml().unwrap();
        assert_eq!(parse_extra_values("f", &yaml).unwrap().unwrap(), t);
    }

    #[test]
    fn errors_say_where() {
        let e = parse_extra_values("extra_values", "proxy:\n  https: [\n").unwrap_err();
        assert_eq!(e.field, "extra_values");
        assert!(e.message.contains("Line "), "{}", e.message);
        let e = parse_extra_values("f", "a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("Line 2"), "{}", e.message);
        let e = parse_extra_values("f", "- a\n- b\n").unwrap_err();
        assert!(e.message.contains("list"), "{}", e.message);
        let e = parse_extra_values("f", "just text").unwrap_err();
        assert!(e.message.contains("single value"), "{}", e.message);
        let e = parse_extra_values("f", "a:\n\tb: 1\n").unwrap_err();
        assert!(
            e.message.contains("Line 2") && e.message.contains("tab"),
            "{}",
            e.message
        );
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"b": [1, 2.5, "x", null, true], "a": {"c": {}}});
        assert_eq!(Tree::from_json(&j).to_json(), j);
    }
}
