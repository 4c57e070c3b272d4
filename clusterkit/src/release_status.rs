//! Helm's release statuses, as written in a release record's `info.status` and in the
//! `status` label of its Secret. Plain data, no dependencies beyond serde: the portal's browser
//! build uses it too.

use serde::{Deserialize, Serialize};

/// Helm's release statuses (`info.status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseStatus {
    Deployed,
    Superseded,
    Failed,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
    Uninstalling,
    Uninstalled,
    Unknown,
}

impl ReleaseStatus {
    /// Parses Helm's spelling; anything unrecognised is `Unknown`.
    pub fn parse(s: &str) -> Self {
        match s {
            "deployed" => Self::Deployed,
            "superseded" => Self::Superseded,
            "failed" => Self::Failed,
            "pending-install" => Self::PendingInstall,
            "pending-upgrade" => Self::PendingUpgrade,
            "pending-rollback" => Self::PendingRollback,
            "uninstalling" => Self::Uninstalling,
            "uninstalled" => Self::Uninstalled,
            _ => Self::Unknown,
        }
    }

    /// Helm's spelling (`pending-upgrade`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Deployed => "deployed",
            Self::Superseded => "superseded",
            Self::Failed => "failed",
            Self::PendingInstall => "pending-install",
            Self::PendingUpgrade => "pending-upgrade",
            Self::PendingRollback => "pending-rollback",
            Self::Uninstalling => "uninstalling",
            Self::Uninstalled => "uninstalled",
            Self::Unknown => "unknown",
        }
    }

    /// An operation on this release is still running.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Self::PendingInstall
                | Self::PendingUpgrade
                | Self::PendingRollback
                | Self::Uninstalling
        )
    }
}
