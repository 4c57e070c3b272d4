//! Error pages: 404, 403, and a readable view of any `AppError`.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(
            http::StatusCode::from_u16(_code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found" />
        <div class="error-page">
            <p class="error-code">"404"</p>
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. Check the link, or go back to the dashboard."</p>
            <a class="btn btn-primary" href="/">"Go to the dashboard"</a>
        </div>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    set_status(403);
    view! {
        <Title text="Not allowed" />
        <div class="error-page" data-testid="forbidden">
            <p class="error-code">"403"</p>
            <h1>"You do not have access to this page"</h1>
            <p>"This page is for administrators. If you need access, ask an administrator to change your role."</p>
            <a class="btn btn-primary" href="/">"Go to your dashboard"</a>
        </div>
    }
}

#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    view! {
        <div class="alert alert-error" role="alert">
            <strong>"Something went wrong. "</strong>
            {error.to_string()}
        </div>
    }
}
