//! Adopting a Helm release Hubfleet did not create (administrators only): the preview of
//! what it would become, and the adoption.

use crate::domain::adopt::AdoptPreview;
use crate::domain::hub::Hub;
use crate::error::AppError;
use leptos::prelude::*;

/// What adopting release `name` of `namespace` would create (its deployed revision's values
/// through the importer). Nothing is written.
#[server]
pub async fn get_adopt_preview(namespace: String, name: String) -> Result<AdoptPreview, AppError> {
    use crate::backend::{adopt, context};
    context::require_admin()?;
    let state = context::state();
    context::respond(
        adopt::preview(&state.pool, &state.cluster, namespace.trim(), name.trim()).await,
    )
}

/// Adopts the release as previewed at `revision`: creates the hub, its shared volumes and
/// profiles in one transaction. `reason` is required. The cluster is not touched.
#[server]
pub async fn adopt_release(
    namespace: String,
    name: String,
    revision: u32,
    reason: String,
) -> Result<Hub, AppError> {
    use crate::backend::{adopt, context, write::By};
    let admin = context::require_admin()?;
    let (actor, meta) = (context::actor(&admin), context::request_meta());
    let state = context::state();
    context::respond(
        adopt::adopt(
            &state.pool,
            &state.cluster,
            &By::new(&actor, &meta, &reason),
            namespace.trim(),
            name.trim(),
            revision,
        )
        .await,
    )
}
