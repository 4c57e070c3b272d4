//! Errors found in generated values, each pointing back at the hub, profile or shared volume
//! (and the form field) that produced the offending value, so the UI can link to the form.
//!
//! Generation records a [`SourceMap`]: for each place in the values (a JSON pointer) the
//! record and field it came from. An error at any pointer resolves to the longest recorded
//! prefix, and to the hub itself when nothing more specific was recorded.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kind of record an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Hub,
    Profile,
    Volume,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Hub => "hub",
            TargetKind::Profile => "profile",
            TargetKind::Volume => "volume",
        }
    }

    /// The page with the record's form, e.g. `/profiles/3`.
    pub fn link(self, id: i64) -> String {
        match self {
            TargetKind::Hub => format!("/hubs/{id}"),
            TargetKind::Profile => format!("/profiles/{id}"),
            TargetKind::Volume => format!("/volumes/{id}"),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TargetKind::Hub => "Hub",
            TargetKind::Profile => "Profile",
            TargetKind::Volume => "Shared volume",
        }
    }
}

/// One problem with the generated values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ValuesError {
    pub target: TargetKind,
    pub target_id: i64,
    /// The record's name as people know it (release name, profile display name, volume name).
    pub target_name: String,
    /// The form field, by the domain's field names (`mem_limit`, `mounts[0].mount_path`);
    /// empty when the problem is with the record as a whole or with generated parts.
    pub field: String,
    /// The page with the form, e.g. `/profiles/3`.
    pub link: String,
    /// Where in the values the problem is (a JSON pointer, e.g.
    /// `/singleuser/profileList/0/kubespawner_override/mem_limit`).
    pub values_path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ValuesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} \"{}\" ({})",
            self.target.label(),
            self.target_name,
            self.link
        )?;
        if !self.field.is_empty() {
            write!(f, ", field {}", self.field)?;
        }
        write!(f, ": {} [values {}]", self.message, self.values_path)
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub target: TargetKind,
    pub target_id: i64,
    pub target_name: String,
    pub field: String,
}

/// Escapes one JSON-pointer segment (`~` → `~0`, `/` → `~1`).
pub fn escape_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Builds a JSON pointer from segments, escaping each.
pub fn pointer<S: AsRef<str>>(segments: &[S]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", escape_segment(s.as_ref())))
        .collect()
}

/// Records, for places in the values, the record and field each came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMap {
    hub: Source,
    /// By pointer.
    entries: BTreeMap<String, Source>,
}

impl SourceMap {
    pub fn new(hub_id: i64, hub_name: &str) -> Self {
        Self {
            hub: Source {
                target: TargetKind::Hub,
                target_id: hub_id,
                target_name: hub_name.to_string(),
                field: String::new(),
            },
            entries: BTreeMap::new(),
        }
    }

    pub fn hub_source(&self) -> &Source {
        &self.hub
    }

    pub fn add(
        &mut self,
        pointer: impl Into<String>,
        target: TargetKind,
        target_id: i64,
        target_name: &str,
        field: &str,
    ) {
        self.entries.insert(
            pointer.into(),
            Source {
                target,
                target_id,
                target_name: target_name.to_string(),
                field: field.to_string(),
            },
        );
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The source of the longest recorded prefix of `pointer` (whole segments), else the hub.
    pub fn resolve(&self, pointer: &str) -> &Source {
        let mut p = pointer;
        loop {
            if let Some(s) = self.entries.get(p) {
                return s;
            }
            match p.rfind('/') {
                Some(i) if !p.is_empty() => p = &p[..i],
                _ => return &self.hub,
            }
        }
    }

    /// An error at `pointer`, attributed through the map.
    pub fn error(&self, pointer: &str, message: impl Into<String>) -> ValuesError {
        let s = self.resolve(pointer);
        ValuesError {
            target: s.target,
            target_id: s.target_id,
            target_name: s.target_name.clone(),
            field: s.field.clone(),
            link: s.target.link(s.target_id),
            values_path: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.to_string()
            },
            message: message.into(),
        }
    }

    /// An error about the value of a map entry whose key the map records (environment
    /// variables, node-selector labels): the field becomes the row's value field
    /// (`env[2].name` → `env[2].value`, `node_selector[0].key` → `node_selector[0].value`).
    pub fn value_error(&self, pointer: &str, message: impl Into<String>) -> ValuesError {
        let mut e = self.error(pointer, message);
        for suffix in [".name", ".key"] {
            if let Some(row) = e.field.strip_suffix(suffix) {
                e.field = format!("{row}.value");
                break;
            }
        }
        e
    }

    /// An error about a record directly (not about a place in the values).
    pub fn record_error(
        target: TargetKind,
        target_id: i64,
        target_name: &str,
        field: &str,
        message: impl Into<String>,
    ) -> ValuesError {
        ValuesError {
            target,
            target_id,
            target_name: target_name.to_string(),
            field: field.to_string(),
            link: target.link(target_id),
            values_path: String::new(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let mut m = SourceMap::new(1, "hub");
        m.add("/singleuser/profileList/0", TargetKind::Profile, 7, "P", "");
        m.add(
            "/singleuser/profileList/0/kubespawner_override/mem_limit",
            TargetKind::Profile,
            7,
            "P",
            "mem_limit",
        );
        let s = m.resolve("/singleuser/profileList/0/kubespawner_override/mem_limit");
        assert_eq!(s.field, "mem_limit");
        let s = m.resolve("/singleuser/profileList/0/kubespawner_override/cpu_limit");
        assert_eq!(
            (s.target, s.target_id, s.field.as_str()),
            (TargetKind::Profile, 7, "")
        );
        // "/singleuser/profileList/01" is not under "/singleuser/profileList/0".
        assert_eq!(
            m.resolve("/singleuser/profileList/01").target,
            TargetKind::Hub
        );
        assert_eq!(m.resolve("/nothing").target, TargetKind::Hub);
        assert_eq!(m.resolve("").target, TargetKind::Hub);
        let e = m.error("/singleuser/profileList/0/slug", "bad");
        assert_eq!(e.link, "/profiles/7");
        assert_eq!(e.values_path, "/singleuser/profileList/0/slug");
    }

    #[test]
    fn pointers_escape() {
        assert_eq!(
            pointer(&["singleuser", "nodeSelector", "kubernetes.io/arch"]),
            "/singleuser/nodeSelector/kubernetes.io~1arch"
        );
        assert_eq!(escape_segment("a~b"), "a~0b");
    }
}
