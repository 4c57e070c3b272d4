//! Pages whose features are not built yet: they say so plainly instead of showing nothing.

use crate::domain::user::SessionUser;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MyEnvironmentPage() -> impl IntoView {
    let user = use_context::<SessionUser>();
    let name = user.map(|u| u.username).unwrap_or_default();
    view! {
        <Title text="My environment" />
        <div class="page-header">
            <h1>"My environment"</h1>
            <p class="muted">"Signed in as " <strong>{name}</strong></p>
        </div>
        <div class="empty-state">
            <p class="empty-title">"No environment to choose yet"</p>
            <p>"Your administrator has not published any environment profiles for you. When they do, you will pick one here and see your server's status."</p>
        </div>
    }
}
