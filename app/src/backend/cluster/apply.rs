//! Every write the portal makes to the cluster: server-side apply with one field manager,
//! forced (the portal takes over the fields it sets), each write preceded by a dry run of the
//! same request so admission errors surface before anything is stored.

use kube::api::{Api, Patch, PatchParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// The field manager of every write the portal makes.
pub const FIELD_MANAGER: &str = "hubfleet";

fn params() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

/// The dry run of applying `body` to object `name`: what the API server would store.
pub async fn dry_run<K, P>(api: &Api<K>, name: &str, body: &P) -> Result<K, kube::Error>
where
    K: Clone + DeserializeOwned + Debug,
    P: Serialize + Debug,
{
    api.patch(name, &params().dry_run(), &Patch::Apply(body))
        .await
}

/// Applies `body` to object `name` (call [`dry_run`] first, or use [`apply`]).
pub async fn write<K, P>(api: &Api<K>, name: &str, body: &P) -> Result<K, kube::Error>
where
    K: Clone + DeserializeOwned + Debug,
    P: Serialize + Debug,
{
    api.patch(name, &params(), &Patch::Apply(body)).await
}

/// A dry run, then the write: what the API server stored.
pub async fn apply<K, P>(api: &Api<K>, name: &str, body: &P) -> Result<K, kube::Error>
where
    K: Clone + DeserializeOwned + Debug,
    P: Serialize + Debug,
{
    dry_run(api, name, body).await?;
    write(api, name, body).await
}
