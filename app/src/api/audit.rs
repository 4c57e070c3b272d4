//! The audit trail (admins only): a filtered, paged read, and "revert to this version" for
//! profile and shared-volume entries (preview first, then the conflict-checked change).

use crate::domain::audit::{AuditEvent, FieldChange};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Events per page.
pub const PAGE_SIZE: i64 = 25;

/// The audit page's filter, as in its query string. Empty fields do not filter; `from` and
/// `to` are dates (`2024-05-01`) or dates and times (`2024-05-01T14:30`) in UTC, inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub target_type: String,
    #[serde(default)]
    pub target_id: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// 1-based; empty or invalid means the first page.
    #[serde(default)]
    pub page: String,
}

impl AuditQuery {
    /// The 1-based page number asked for.
    pub fn page_number(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| *p > 0)
            .unwrap_or(1)
    }

    /// The filter fields as `key=value` pairs (no page), for links and the export URL.
    pub fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("actor", &self.actor),
            ("target_type", &self.target_type),
            ("target_id", &self.target_id),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect()
    }

    pub fn is_filtered(&self) -> bool {
        !self.filter_pairs().is_empty()
    }
}

/// One entry of the audit page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub event: AuditEvent,
    /// Whether "revert to this version" is offered (a profile or volume entry that left a
    /// version behind, i.e. not a delete).
    pub revertible: bool,
}

/// One page of the filtered trail, and the choices for the filter's selects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Events matching the filter, over all pages.
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub page_size: i64,
    pub actors: Vec<String>,
    pub target_types: Vec<String>,
    pub actions: Vec<String>,
}

/// What reverting to an entry would change, shown for confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevertPreview {
    pub event: AuditEvent,
    /// The record's current version: the revert is refused if it changes meanwhile.
    pub current_version: i64,
    /// From the current values (old) to the entry's (new).
    pub changes: Vec<FieldChange>,
}

#[server]
pub async fn audit_events(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::backend::audit::{self, AuditFilter};
    use crate::backend::context;
    use crate::backend::revert::is_revertible;
    context::require_admin()?;
    let pool = context::state().pool;
    let filter = AuditFilter {
        actor: query.actor.clone(),
        target_type: query.target_type.clone(),
        target_id: query.target_id.clone(),
        action: query.action.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
    };
    let page = query.page_number();
    let offset = (page - 1).saturating_mul(PAGE_SIZE);
    let found = context::respond(audit::search(&pool, &filter, offset, PAGE_SIZE).await)?;
    let choices = context::respond(audit::filter_choices(&pool).await)?;
    Ok(AuditPage {
        entries: found
            .events
            .into_iter()
            .map(|(event, has_after)| AuditEntry {
                revertible: is_revertible(&event, has_after),
                event,
            })
            .collect(),
        total: found.total,
        page,
        page_size: PAGE_SIZE,
        actors: choices.actors,
        target_types: choices.target_types,
        actions: choices.actions,
    })
}

#[server]
pub async fn preview_revert(event_id: i64) -> Result<RevertPreview, AppError> {
    use crate::backend::{context, revert};
    context::require_admin()?;
    let plan = context::respond(revert::revert_plan(&context::state().pool, event_id).await)?;
    Ok(RevertPreview {
        event: plan.event,
        current_version: plan.current_version,
        changes: plan.changes,
    })
}

/// Restores the values of entry `event_id` as a new, audited change of its record, if the
/// record is still at `version` (else 409 with the stored record). Returns the new version.
#[server]
pub async fn revert_to_event(event_id: i64, version: i64, reason: String) -> Result<i64, AppError> {
    use crate::backend::{context, revert};
    let admin = context::require_admin()?;
    context::respond(
        revert::revert(
            &context::state().pool,
            &context::actor(&admin),
            &context::request_meta(),
            event_id,
            version,
            &reason,
        )
        .await,
    )
}
