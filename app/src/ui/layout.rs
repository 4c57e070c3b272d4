//! The frame around every signed-in page: top bar, navigation by role, and the guards that
//! mirror the server's page access table for client-side navigation.

use super::errors::{ErrorView, Forbidden};
use crate::api::auth::{Login, Logout};
use crate::domain::access::PASSWORD_PAGE;
use crate::domain::user::SessionUser;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

/// The signed-in account and the actions that change it, provided by `App`.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
}

/// Percent-encodes a path for use in a query string.
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn Frame() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match auth.user.await {
                    // A one-time password must be changed before anything else.
                    Ok(Some(user))
                        if user.must_change_password
                            && location.pathname.get_untracked() != PASSWORD_PAGE =>
                    {
                        view! { <Redirect path=PASSWORD_PAGE /> }.into_any()
                    }
                    Ok(Some(user)) => view! { <SignedIn user /> }.into_any(),
                    Ok(None) => {
                        let here = location.pathname.get_untracked();
                        let path = format!("/login?next={}", encode_component(&here));
                        view! { <Redirect path /> }.into_any()
                    }
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignedIn(user: SessionUser) -> impl IntoView {
    let auth = expect_context::<Auth>();
    provide_context(user.clone());
    let is_admin = user.is_admin();
    // Holding a one-time password: nothing to navigate to until it is changed.
    let restricted = user.must_change_password;
    let nav_open = RwSignal::new(false);
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app">
            <header class="topbar">
                <button
                    class="nav-toggle"
                    aria-label="Toggle navigation"
                    aria-expanded=move || nav_open.get().to_string()
                    on:click=move |_| nav_open.update(|o| *o = !*o)
                >
                    "☰"
                </button>
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"⬡"</span>
                    "Hubfleet"
                </a>
                <div class="topbar-spacer"></div>
                <span class="whoami" title="Signed in">
                    <span class="avatar" aria-hidden="true">
                        {user.username.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('?').to_string()}
                    </span>
                    <span class="whoami-name">{user.username.clone()}</span>
                    <span class="badge">{user.role.label()}</span>
                </span>
                <a class="btn btn-ghost topbar-password" href=PASSWORD_PAGE>"Change password"</a>
                <ActionForm action=auth.logout attr:class="inline-form">
                    <button type="submit" class="btn btn-ghost">"Sign out"</button>
                </ActionForm>
            </header>
            <div class="banners">
                <super::cluster::ClusterBannerView />
            </div>
            <nav class="sidebar" class:open=move || nav_open.get() aria-label="Main">
                <ul on:click=move |_| nav_open.set(false)>
                    {(!restricted).then(|| view! { <NavItem href="/" label="Dashboard" icon="◧" /> })}
                    {if restricted {
                        ().into_any()
                    } else if is_admin {
                        view! {
                            <NavItem href="/hubs" label="Hubs" icon="⬢" />
                            <NavItem href="/profiles" label="Profiles" icon="▤" />
                            <NavItem href="/volumes" label="Volumes" icon="⛁" />
                            <NavItem href="/users" label="Users" icon="☺" />
                            <NavItem href="/servers" label="Servers" icon="▦" />
                            <NavItem href="/audit" label="Audit" icon="☰" />
                            <NavItem href="/cluster" label="Cluster" icon="⎈" />
                        }
                            .into_any()
                    } else {
                        view! { <NavItem href="/me" label="My environment" icon="▣" /> }.into_any()
                    }}
                    // Also in the top bar on wide screens; here for narrow ones.
                    <NavItem href=PASSWORD_PAGE label="Your password" icon="◆" />
                </ul>
            </nav>
            <main id="main" class="content" tabindex="-1">
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <div class="alert alert-error" role="alert">
                            <strong>"This page could not be shown."</strong>
                            <ul>
                                {move || {
                                    errors
                                        .get()
                                        .into_iter()
                                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                                        .collect_view()
                                }}
                            </ul>
                        </div>
                    }
                }>
                    <Outlet />
                </ErrorBoundary>
            </main>
        </div>
    }
}

#[component]
fn NavItem(href: &'static str, label: &'static str, icon: &'static str) -> impl IntoView {
    view! {
        <li>
            <A href=href exact=true>
                <span class="nav-icon" aria-hidden="true">{icon}</span>
                <span>{label}</span>
            </A>
        </li>
    }
}

/// Shows its children to administrators and the 403 page to everyone else. The server
/// enforces the same rule (page guard, and every server function); this covers client-side
/// navigation.
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let user = use_context::<SessionUser>();
    move || {
        if user.as_ref().is_some_and(SessionUser::is_admin) {
            children().into_any()
        } else {
            view! { <Forbidden /> }.into_any()
        }
    }
}
