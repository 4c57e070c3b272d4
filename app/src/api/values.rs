//! The values page (admins only): the hub's generated values, their validation, versions and
//! diffs. Showing values records nothing; an administrator records a version explicitly
//! (POST), naming the digest they reviewed.

use crate::error::AppError;
use crate::values::{ValuesDiff, ValuesPreview, VersionSummary};
use leptos::prelude::*;

/// The hub's values now, validated, with the diff against version `against` (default: the
/// latest recorded version, or the previous one when the values are that version).
#[server]
pub async fn get_values_preview(
    hub_id: i64,
    against: Option<i64>,
) -> Result<ValuesPreview, AppError> {
    use crate::backend::{context, values};
    context::require_admin()?;
    let state = context::state();
    context::respond(
        values::preview(
            &state.pool,
            hub_id,
            against,
            state.settings.public_url.as_deref(),
        )
        .await,
    )
}

/// Records the hub's current values as a new version, if they still have `digest` (the
/// values the administrator reviewed; a conflict otherwise) and differ from the latest.
#[server]
pub async fn record_values_version(
    hub_id: i64,
    digest: String,
) -> Result<VersionSummary, AppError> {
    use crate::backend::{context, values};
    let admin = context::require_admin()?;
    let state = context::state();
    context::respond(
        values::record(
            &state.pool,
            &context::actor(&admin),
            &context::request_meta(),
            hub_id,
            state.settings.public_url.as_deref(),
            Some(digest.trim()),
        )
        .await
        .map(|(_, v, _)| v),
    )
}

/// Every recorded version of the hub's values, newest first.
#[server]
pub async fn get_values_versions(hub_id: i64) -> Result<Vec<VersionSummary>, AppError> {
    use crate::backend::{context, values};
    context::require_admin()?;
    context::respond(values::versions(&context::state().pool, hub_id).await)
}

/// The diff between two recorded versions.
#[server]
pub async fn get_values_diff(hub_id: i64, from: i64, to: i64) -> Result<ValuesDiff, AppError> {
    use crate::backend::{context, values};
    context::require_admin()?;
    context::respond(values::diff_versions(&context::state().pool, hub_id, from, to).await)
}
