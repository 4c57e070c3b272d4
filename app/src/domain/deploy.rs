//! Release operations: what an administrator asks the cluster to do with a hub's Helm
//! release (install, upgrade, rollback, uninstall), what the deploy page shows before
//! (values diff against what is deployed, impact) and during and after (status, log, Helm
//! revision). Plain data and pure checks, shared by the browser and the server.

use super::cluster::{ReleaseRevision, ReleaseStatus};
use super::field::FieldError;
use crate::values::DiffHunk;
use serde::{Deserialize, Serialize};

/// The longest reason accepted for an operation.
pub const REASON_MAX: usize = 500;

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationKind {
    Install,
    Upgrade,
    Rollback,
    Uninstall,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Upgrade => "upgrade",
            Self::Rollback => "rollback",
            Self::Uninstall => "uninstall",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Install,
            Self::Upgrade,
            Self::Rollback,
            Self::Uninstall,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// "Install", "Upgrade"...: for buttons and table cells.
    pub fn label(self) -> &'static str {
        match self {
            Self::Install => "Install",
            Self::Upgrade => "Upgrade",
            Self::Rollback => "Rollback",
            Self::Uninstall => "Uninstall",
        }
    }
}

/// Where an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationStatus {
    /// Sent to the cluster, outcome not known yet.
    Running,
    Succeeded,
    Failed,
    /// The portal stopped before the cluster received the request: nothing was applied.
    Interrupted,
}

impl OperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Succeeded,
            Self::Failed,
            Self::Interrupted,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        self != Self::Running
    }
}

/// The route of an operation's progress as server-sent events: one `operation` event (data:
/// the [`Operation`] as JSON) at once and after every change, the stream ending after the
/// event that shows it finished. Administrators only.
pub const OPERATION_EVENTS_ROUTE: &str = "/api/v1/operations/{id}/events";

/// [`OPERATION_EVENTS_ROUTE`] for operation `id`.
pub fn operation_events_url(id: i64) -> String {
    OPERATION_EVENTS_ROUTE.replace("{id}", &id.to_string())
}

/// One operation, as the deploy page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub id: i64,
    pub hub_id: i64,
    pub release_name: String,
    pub namespace: String,
    pub kind: OperationKind,
    /// `job`, `flux` or `k3s`.
    pub driver: String,
    pub status: OperationStatus,
    /// The values version sent (install / upgrade).
    pub values_version: Option<i64>,
    pub digest: Option<String>,
    pub chart_version: String,
    /// The revision a rollback returns to.
    pub target_revision: Option<u32>,
    /// The Helm revision the operation produced.
    pub helm_revision: Option<u32>,
    /// The driver's object, e.g. `jhub/hubfleet-upgrade-12` (a Job).
    pub driver_object: String,
    pub reason: String,
    pub actor: String,
    /// The outcome in one sentence (empty while running).
    pub message: String,
    /// The last lines of the operation log.
    pub log: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

/// `helm history` row without the values (which stay on the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionRow {
    pub revision: u32,
    pub updated: String,
    pub status: ReleaseStatus,
    /// `jupyterhub-4.4.0`.
    pub chart: String,
    pub app_version: String,
    pub description: String,
}

impl RevisionRow {
    pub fn of(r: &ReleaseRevision) -> Self {
        Self {
            revision: r.revision,
            updated: r
                .last_deployed
                .clone()
                .or_else(|| r.first_deployed.clone())
                .unwrap_or_default(),
            status: r.status.clone(),
            chart: r.chart_label(),
            app_version: r.app_version.clone(),
            description: r.description.clone(),
        }
    }
}

/// One row of `helm ls --all -A`: a release's latest revision, and the hub that manages it
/// (`None`: a release Hubfleet did not make, shown read-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseListRow {
    pub name: String,
    pub namespace: String,
    pub latest: RevisionRow,
    pub hub_id: Option<i64>,
}

/// The releases table, or why the cluster's releases cannot be read now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseList {
    pub rows: Vec<ReleaseListRow>,
    pub note: Option<String>,
}

/// What applying the hub's current values would change, beyond the values themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impact {
    /// The release does not exist yet: this is an install.
    pub install: bool,
    /// Users with a server running in the hub's namespace now.
    pub running_users: Vec<String>,
    /// Profiles (slugs) added, changed or removed against the deployed values.
    pub changed_profiles: Vec<String>,
    /// Running users whose server was started with one of `changed_profiles`.
    pub affected_users: Vec<String>,
    /// Portal-managed shared volumes that do not exist yet: the apply creates them (PVC
    /// names).
    pub created_volumes: Vec<String>,
    /// Shared volumes marked as existing claims that are not in the cluster (PVC names):
    /// servers mounting them stay pending until someone creates them.
    pub missing_volumes: Vec<String>,
}

/// The deploy page's proposal: the values to send and what they would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyPlan {
    /// Digest of the values to send (what the confirmation names).
    pub digest: String,
    /// Validation errors (generation, KubeSpawner rules, chart schema), one line each.
    pub errors: Vec<String>,
    /// The values against the deployed release's values (`helm get values`); against an
    /// empty file for an install.
    pub diff: Vec<DiffHunk>,
    pub added: usize,
    pub removed: usize,
    /// No difference with what is deployed.
    pub unchanged: bool,
    pub impact: Impact,
    /// Why the portal refuses to apply now (unset public URL, cluster unreachable, another
    /// operation running, unsupported driver), if it does.
    pub blocked: Option<String>,
}

/// Everything the deploy page of one hub shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployPage {
    pub hub_id: i64,
    pub release_name: String,
    pub namespace: String,
    pub driver: String,
    pub chart_version: String,
    /// The release's latest revision, if the release exists.
    pub current: Option<RevisionRow>,
    /// `helm history`, newest first.
    pub history: Vec<RevisionRow>,
    pub plan: ApplyPlan,
    /// The operation running now, if any.
    pub running: Option<Operation>,
    /// Recent operations, newest first.
    pub operations: Vec<Operation>,
    /// Why the cluster cannot be read now, when it cannot.
    pub cluster_note: Option<String>,
}

/// A diff between two revisions of a release's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionDiff {
    pub from: u32,
    pub to: u32,
    pub hunks: Vec<DiffHunk>,
    pub added: usize,
    pub removed: usize,
}

/// An operation's reason: required (it goes into the audit trail and the Helm description),
/// one paragraph of at most [`REASON_MAX`] characters.
pub fn validate_reason(field: &str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(
            field,
            "Say why, e.g. \"raise the memory limit for the spring course\": the reason is kept in the audit trail.",
        ));
    }
    if s.chars().count() > REASON_MAX {
        return Err(FieldError::new(
            field,
            format!("Shorten the reason to at most {REASON_MAX} characters."),
        ));
    }
    Ok(s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Uninstalling needs the release name typed exactly.
pub fn validate_uninstall_confirmation(
    field: &str,
    release: &str,
    typed: &str,
) -> Result<(), FieldError> {
    if typed.trim() == release {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("Type the release name \"{release}\" exactly to confirm the uninstall."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert_eq!(
            validate_reason("reason", "  more\n memory ").unwrap(),
            "more memory"
        );
        let e = validate_reason("reason", "   ").unwrap_err();
        assert_eq!(e.field, "reason");
        assert!(e.message.contains("Say why"));
        let long = "x".repeat(REASON_MAX + 1);
        assert!(
            validate_reason("reason", &long)
                .unwrap_err()
                .message
                .contains("at most 500")
        );
        assert!(validate_reason("reason", &"x".repeat(REASON_MAX)).is_ok());
    }

    #[test]
    fn uninstall_confirmation() {
        assert!(validate_uninstall_confirmation("confirm", "jhub", " jhub ").is_ok());
        let e = validate_uninstall_confirmation("confirm", "jhub", "jhu").unwrap_err();
        assert!(e.message.contains("\"jhub\""));
    }

    #[test]
    fn kinds_and_statuses_round_trip() {
        for k in [
            OperationKind::Install,
            OperationKind::Upgrade,
            OperationKind::Rollback,
            OperationKind::Uninstall,
        ] {
            assert_eq!(OperationKind::parse(k.as_str()), Some(k));
        }
        for s in [
            OperationStatus::Running,
            OperationStatus::Succeeded,
            OperationStatus::Failed,
            OperationStatus::Interrupted,
        ] {
            assert_eq!(OperationStatus::parse(s.as_str()), Some(s));
        }
        assert!(!OperationStatus::Running.is_finished());
        assert_eq!(OperationKind::parse("delete"), None);
    }
}
