//! Pages of one record: the id in the route, loaded from the server, then shown.

use crate::error::AppError;
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// The id in the route (`/hubs/{id}`, `/profiles/{id}`, …), if it is a number.
pub fn route_id() -> Memo<Option<i64>> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())))
}

/// Loads what the page shows with `load(id)` (the id in the route) and shows it with `show`.
/// A route id that is not a number is "`missing` was not found".
#[component]
pub fn RecordPage<T, Fut, V>(
    load: fn(i64) -> Fut,
    /// What the page is about, e.g. "This hub".
    missing: &'static str,
    show: fn(T) -> V,
) -> impl IntoView
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    V: IntoView + 'static,
{
    let id = route_id();
    let data = Resource::new(
        move || id.get(),
        move |id| async move {
            match id {
                Some(id) => load(id).await,
                None => Err(AppError::NotFound(missing.into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let d = data.await?;
                Ok::<_, AppError>(show(d))
            })}
        </Suspense>
    }
    .into_any()
}
