//! The landing page: an overview for administrators; users are sent to their own environment
//! (`/me`, a page loaded on demand, so the landing page's bundle stays small).

use crate::api::users::{list_users, recent_audit};
use crate::domain::user::{Role, SessionUser};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let is_admin = use_context::<SessionUser>().is_some_and(|u| u.is_admin());
    if is_admin {
        view! { <AdminDashboard /> }.into_any()
    } else {
        view! { <Redirect path="/me" /> }.into_any()
    }
}

#[component]
fn AdminDashboard() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    let audit = Resource::new(|| (), |_| recent_audit());
    view! {
        <Title text="Dashboard" />
        <div class="page-header">
            <h1>"Dashboard"</h1>
            <p class="muted">"What Hubfleet manages, at a glance."</p>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let users = users.await?;
                let admins = users.iter().filter(|u| u.role == Role::Admin && !u.disabled).count();
                let disabled = users.iter().filter(|u| u.disabled).count();
                let total = users.len();
                Ok::<_, crate::error::AppError>(view! {
                    <div class="cards">
                        <a class="card stat" href="/users">
                            <span class="stat-value" data-testid="stat-users">{total}</span>
                            <span class="stat-label">"Accounts"</span>
                        </a>
                        <a class="card stat" href="/users">
                            <span class="stat-value">{admins}</span>
                            <span class="stat-label">"Administrators"</span>
                        </a>
                        <a class="card stat" href="/users">
                            <span class="stat-value">{disabled}</span>
                            <span class="stat-label">"Disabled accounts"</span>
                        </a>
                    </div>
                })
            })}
        </Suspense>
        <section class="panel">
            <h2>"Recent changes"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let events = audit.await?;
                    Ok::<_, crate::error::AppError>(if events.is_empty() {
                        view! { <p class="muted">"No changes recorded yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="activity">
                                {events
                                    .into_iter()
                                    .take(8)
                                    .map(|e| {
                                        view! {
                                            <li>
                                                <span class="activity-time">{e.occurred_at.replace('T', " ").chars().take(19).collect::<String>()}</span>
                                                <strong>{e.actor}</strong>
                                                " "
                                                <code>{e.action}</code>
                                                " "
                                                {e.target_name}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <a href="/audit">"See the full audit trail →"</a>
                        }
                            .into_any()
                    })
                })}
            </Suspense>
        </section>
    }
}
