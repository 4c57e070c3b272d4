//! Growing a user's home volume (administrators only).

use crate::error::AppError;
use leptos::prelude::*;

/// Grows home volume `namespace/name` to `size` (a Kubernetes quantity larger than now), when
/// its storage class allows it; dry run first, audited with `reason`. Returns the new size.
#[server]
pub async fn expand_home_volume(
    namespace: String,
    name: String,
    size: String,
    reason: String,
) -> Result<String, AppError> {
    use crate::backend::{context, home_volumes, write::By};
    let admin = context::require_admin()?;
    let state = context::state();
    let (actor, meta) = (context::actor(&admin), context::request_meta());
    context::respond(
        home_volumes::expand(
            &state.pool,
            &state.cluster,
            &By::new(&actor, &meta, &reason),
            namespace.trim(),
            name.trim(),
            size.trim(),
        )
        .await
        .map(|e| e.to),
    )
}
