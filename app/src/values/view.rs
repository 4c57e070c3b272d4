//! What the values page shows, as it crosses the wire from the server: the YAML, its digest,
//! the validation result, the recorded versions and a diff between two of them. Also the
//! per-user profile selection of the hub profile API (pure, so it is tested without a server).

use super::errors::ValuesError;
use super::model::ProfileEntry;
use super::{ValuesInput, profile_entries};
use serde::{Deserialize, Serialize};

/// One recorded version of a hub's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSummary {
    pub version: i64,
    /// sha256 of the YAML, lowercase hex.
    pub digest: String,
    /// The changes since the previous version (one per line), or why it was recorded.
    pub cause: String,
    pub valid: bool,
    pub created_at: String,
    pub created_by: String,
}

/// How one line of a diff changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineChange {
    Same,
    Removed,
    Added,
}

/// One line of a unified diff, with its line numbers in the old and the new file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub change: LineChange,
    pub old_no: Option<usize>,
    pub new_no: Option<usize>,
    pub text: String,
}

/// A run of changed lines with some unchanged context around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffHunk {
    pub lines: Vec<DiffLine>,
}

/// A diff between two versions of a hub's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValuesDiff {
    /// Version numbers.
    pub from: i64,
    pub to: i64,
    pub hunks: Vec<DiffHunk>,
    pub added: usize,
    pub removed: usize,
}

/// The values page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValuesPreview {
    pub hub_id: i64,
    pub hub_name: String,
    pub namespace: String,
    pub yaml: String,
    pub digest: String,
    /// Generation problems, KubeSpawner rules and the chart's schema, in that order.
    pub errors: Vec<ValuesError>,
    pub notes: Vec<String>,
    /// The recorded version these values are; `None` when they differ from the latest
    /// recorded version (or none is recorded yet). Showing values never records them.
    pub version: Option<VersionSummary>,
    /// The number these values get when recorded (when `version` is `None`).
    pub next_version: i64,
    /// Why they would be recorded: the changes since the latest version (when `version` is
    /// `None`).
    pub pending_cause: String,
    /// Every version, newest first.
    pub versions: Vec<VersionSummary>,
    /// Against the previous version, when there is one; for values not recorded yet, the
    /// latest version against them (`to` is `next_version`).
    pub diff: Option<ValuesDiff>,
}

/// Pairs a hunk's lines for a side-by-side view: unchanged lines on both sides, a run of
/// removed lines next to the run of added lines that follows it.
pub fn side_by_side(hunk: &DiffHunk) -> Vec<(Option<DiffLine>, Option<DiffLine>)> {
    let mut rows = Vec::new();
    let mut removed: Vec<DiffLine> = Vec::new();
    let mut added: Vec<DiffLine> = Vec::new();
    let flush = |rows: &mut Vec<(Option<DiffLine>, Option<DiffLine>)>,
                 removed: &mut Vec<DiffLine>,
                 added: &mut Vec<DiffLine>| {
        let n = removed.len().max(added.len());
        let mut r = removed.drain(..);
        let mut a = added.drain(..);
        for _ in 0..n {
            rows.push((r.next(), a.next()));
        }
    };
    for l in &hunk.lines {
        match l.change {
            LineChange::Same => {
                flush(&mut rows, &mut removed, &mut added);
                rows.push((Some(l.clone()), Some(l.clone())));
            }
            LineChange::Removed => {
                if !added.is_empty() {
                    flush(&mut rows, &mut removed, &mut added);
                }
                removed.push(l.clone());
            }
            LineChange::Added => added.push(l.clone()),
        }
    }
    flush(&mut rows, &mut removed, &mut added);
    rows
}

/// The profile a user's list marks as default: their remembered choice
/// ([`remembered_choice`]), else the hub's default when they may use it. `groups` is empty
/// for a user the portal does not know.
pub fn default_choice(
    input: &ValuesInput<'_>,
    groups: &[String],
    remembered: Option<i64>,
) -> Option<i64> {
    remembered_choice(input, groups, remembered).or_else(|| hub_default(input, groups))
}

/// The hub's default profile, when a member of `groups` may use it.
pub fn hub_default(input: &ValuesInput<'_>, groups: &[String]) -> Option<i64> {
    input
        .profiles
        .iter()
        .find(|p| {
            p.hub_id == input.hub.id
                && p.spec.is_default
                && !p.spec.is_deprecated()
                && p.spec.offered_to(groups)
        })
        .map(|p| p.id)
}

/// A user's remembered choice — a deprecated choice followed to its replacement — when they
/// may still use it.
pub fn remembered_choice(
    input: &ValuesInput<'_>,
    groups: &[String],
    remembered: Option<i64>,
) -> Option<i64> {
    let own: Vec<&crate::domain::profile::Profile> = input
        .profiles
        .iter()
        .filter(|p| p.hub_id == input.hub.id)
        .collect();
    let allowed = |id: i64| {
        own.iter()
            .find(|p| p.id == id)
            .is_some_and(|p| p.spec.offered_to(groups))
    };
    // Follow replacements (bounded: the chain cannot be longer than the list).
    let resolve = |mut id: i64| -> Option<i64> {
        for _ in 0..=own.len() {
            let p = own.iter().find(|p| p.id == id)?;
            match p.spec.replaced_by {
                Some(next) => id = next,
                None => return Some(id),
            }
        }
        None
    };
    remembered.and_then(resolve).filter(|id| allowed(*id))
}

/// What the hub profile API answers for one user, in KubeSpawner's `profile_list` format:
/// the active profiles the user's groups allow (a profile without allowed groups is for
/// everyone), with the default moved to [`default_choice`].
pub fn profiles_for_user(
    input: &ValuesInput<'_>,
    groups: &[String],
    remembered: Option<i64>,
) -> Vec<ProfileEntry> {
    let allowed = |id: i64| {
        input
            .profiles
            .iter()
            .find(|p| p.id == id && p.hub_id == input.hub.id)
            .is_some_and(|p| p.spec.offered_to(groups))
    };
    let default = default_choice(input, groups, remembered);
    profile_entries(input)
        .into_iter()
        .filter(|(id, _)| allowed(*id))
        .map(|(id, mut e)| {
            e.default = Some(id) == default;
            e
        })
        .collect()
}

/// A hub API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub hub_id: i64,
    pub label: String,
    /// The first characters of the token, e.g. `hfh_a1B2c3`.
    pub prefix: String,
    pub created_at: String,
    pub created_by: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl ApiToken {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A new token: its record and the token itself, to show once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}
