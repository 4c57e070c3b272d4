//! Reverting a record to the values an audit entry left behind: the plan the admin confirms
//! (the record's current version and the field changes), then the revert itself, written as
//! a new version through the shared write path (so it is checked, version-guarded and audited
//! like any edit). Dispatches on the entry's target type: hubs, profiles, shared volumes.

use super::audit::{Actor, RequestMeta, event_by_id};
use super::db::internal;
use super::write::{self, By, Versioned, snapshot};
use crate::domain::audit::{AuditEvent, FieldChange, field_diff};
use crate::domain::hub::{Hub, HubSpec};
use crate::domain::profile::{Profile, ProfileSpec};
use crate::domain::volume::{SharedVolume, VolumeSpec};
use crate::domain::{FieldError, FieldErrors};
use crate::error::{AppError, AppResult};
use sqlx::SqlitePool;

/// Kinds of records whose audit entries can be reverted to.
pub const REVERTIBLE: [&str; 3] = ["hub", "profile", "volume"];

/// Whether an entry can be reverted to: an edit (`<target>.<verb>`, not e.g. the hub's
/// `values.version`) of a revertible kind that left values behind (`has_after`).
pub fn is_revertible(event: &AuditEvent, has_after: bool) -> bool {
    has_after && is_edit(&event.target_type, &event.action)
}

fn is_edit(target_type: &str, action: &str) -> bool {
    // Only the write path's own verbs carry the record's values (`hub.adopt` or
    // `hub.rest_access.set` are about a hub but hold other things).
    REVERTIBLE.contains(&target_type)
        && action
            .strip_prefix(target_type)
            .is_some_and(|rest| matches!(rest, ".create" | ".update" | ".delete"))
}

/// What reverting to an audit entry would do: the record's current version and the field
/// changes from its current values to the entry's.
pub struct RevertPlan {
    pub event: AuditEvent,
    pub current_version: i64,
    pub changes: Vec<FieldChange>,
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    id: i64,
    action: String,
    target_type: String,
    target_id: String,
    target_name: String,
    after_json: Option<String>,
}

/// The record values an entry left behind, typed by target.
enum Target {
    Hub(i64, HubSpec),
    Profile(i64, Box<ProfileSpec>),
    Volume(i64, VolumeSpec),
}

async fn revert_target(pool: &SqlitePool, event_id: i64) -> AppResult<Target> {
    let row: Option<SnapshotRow> = sqlx::query_as(
        "SELECT id, action, target_type, target_id, target_name, after_json
         FROM audit_events WHERE id = ?",
    )
    .bind(event_id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    let row = row.ok_or_else(|| AppError::NotFound(format!("Audit entry #{event_id}")))?;
    // Entries about a record that are not edits of it (e.g. `values.version` on a hub) hold
    // no values of the record.
    if !is_edit(&row.target_type, &row.action) {
        return Err(AppError::invalid(
            "event",
            format!(
                "Entry #{} ({}) is not a change of a hub, profile or shared volume: only hub, profile and shared-volume entries can be reverted.",
                row.id, row.action
            ),
        ));
    }
    let Some(after) = row.after_json else {
        return Err(AppError::invalid(
            "event",
            format!(
                "Entry #{} ({}) removed {}: there is no version to go back to. Create it again instead.",
                row.id, row.action, row.target_name
            ),
        ));
    };
    let target_id: i64 = row.target_id.parse().map_err(|_| {
        AppError::Internal(format!("audit entry #{} has no numeric target", row.id))
    })?;
    // Only the record the entry is about may be changed. Every delete is audited in its own
    // transaction, so a delete entry after this one means that record is gone; whatever now
    // has its id (ids are never reused, but a database may predate that) is another record.
    let deleted: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM audit_events
         WHERE target_type = ? AND target_id = ? AND action = ? AND id > ?
         ORDER BY id LIMIT 1",
    )
    .bind(&row.target_type)
    .bind(&row.target_id)
    .bind(format!("{}.delete", row.target_type))
    .bind(row.id)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    if let Some(deleted) = deleted {
        return Err(AppError::invalid(
            "event",
            format!(
                "Entry #{} is about {} \"{}\" (#{}), which was deleted afterwards (entry #{deleted}): there is no record left to revert. Create it again instead.",
                row.id, row.target_type, row.target_name, row.target_id
            ),
        ));
    }
    let bad = |e: serde_json::Error| {
        AppError::Internal(format!(
            "audit entry #{}: stored values unreadable: {e}",
            row.id
        ))
    };
    // The stored values go through today's form validation again: rules may have become
    // stricter since the entry was written.
    let revalidate = |e: FieldErrors| {
        AppError::Invalid(FieldErrors(vec![FieldError::new(
            "event",
            format!(
                "The values of entry #{} no longer pass today's checks, so they cannot be restored as they are: {e}. Edit the {} instead.",
                row.id, row.target_type
            ),
        )]))
    };
    Ok(match row.target_type.as_str() {
        "hub" => {
            let spec: HubSpec = serde_json::from_str(&after).map_err(bad)?;
            Target::Hub(target_id, spec.to_form().validate().map_err(revalidate)?)
        }
        "profile" => {
            let spec: ProfileSpec = serde_json::from_str(&after).map_err(bad)?;
            let spec = spec.to_form().validate().map_err(revalidate)?;
            Target::Profile(target_id, Box::new(spec))
        }
        _ => {
            let spec: VolumeSpec = serde_json::from_str(&after).map_err(bad)?;
            Target::Volume(target_id, spec.to_form().validate().map_err(revalidate)?)
        }
    })
}

/// The record's current version and the changes from its values to `spec`.
async fn plan_for<E: Versioned>(
    pool: &SqlitePool,
    id: i64,
    spec: &E::Spec,
) -> AppResult<(i64, Vec<FieldChange>)> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    let current: E = write::require(&mut conn, id).await?;
    let changes = field_diff(Some(&snapshot(current.spec())), Some(&snapshot(spec)));
    Ok((current.version(), changes))
}

/// What [`revert`] would change, for the confirmation the admin sees first.
pub async fn revert_plan(pool: &SqlitePool, event_id: i64) -> AppResult<RevertPlan> {
    let event = event_by_id(pool, event_id).await?;
    let (current_version, changes) = match revert_target(pool, event_id).await? {
        Target::Hub(id, spec) => plan_for::<Hub>(pool, id, &spec).await?,
        Target::Profile(id, spec) => plan_for::<Profile>(pool, id, &spec).await?,
        Target::Volume(id, spec) => plan_for::<SharedVolume>(pool, id, &spec).await?,
    };
    Ok(RevertPlan {
        event,
        current_version,
        changes,
    })
}

/// Restores the values entry `event_id` left behind, as a new change of the record (audited
/// like any edit, with a reason naming the entry). `expected_version` is the record's version
/// the admin saw in the [`RevertPlan`]; if it changed since, nothing is written and the stale
/// error carries the stored record. The values are validated again, with every rule involving
/// other records (e.g. a mounted volume that no longer exists).
pub async fn revert(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    event_id: i64,
    expected_version: i64,
    reason: &str,
) -> AppResult<i64> {
    let plan = revert_plan(pool, event_id).await?;
    if plan.changes.is_empty() && plan.current_version == expected_version {
        return Err(AppError::invalid(
            "event",
            format!(
                "{} already has the values of entry #{event_id}: there is nothing to revert.",
                plan.event.target_name
            ),
        ));
    }
    let why = match reason.trim() {
        "" => format!("Revert to the version of audit entry #{event_id}"),
        r => format!("Revert to the version of audit entry #{event_id}: {r}"),
    };
    let by = By::new(actor, meta, &why);
    Ok(match revert_target(pool, event_id).await? {
        Target::Hub(id, spec) => {
            write::update::<Hub>(pool, &by, id, expected_version, &spec)
                .await?
                .version
        }
        Target::Profile(id, spec) => {
            write::update::<Profile>(pool, &by, id, expected_version, &spec)
                .await?
                .version
        }
        Target::Volume(id, spec) => {
            write::update::<SharedVolume>(pool, &by, id, expected_version, &spec)
                .await?
                .version
        }
    })
}
