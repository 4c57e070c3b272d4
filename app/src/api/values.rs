//! The values page (admins only): the hub's generated values, their validation, versions and
//! diffs. Opening the page records the values as a new version when they changed.

use crate::error::AppError;
use crate::values::{ValuesDiff, ValuesPreview, VersionSummary};
use leptos::prelude::*;

/// The hub's values now (recorded as a new version if they changed), validated, with the
/// diff against version `against` (default: the previous version).
#[server]
pub async fn get_values_preview(
    hub_id: i64,
    against: Option<i64>,
) -> Result<ValuesPreview, AppError> {
    use crate::backend::{context, values};
    let admin = context::require_admin()?;
    let state = context::state();
    context::respond(
        values::preview(
            &state.pool,
            &context::actor(&admin),
            &context::request_meta(),
            hub_id,
            against,
            state.settings.public_url.as_deref(),
        )
        .await,
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
