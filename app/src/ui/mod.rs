//! Pages and components. `App` is the router; `shell` is the HTML document around it.

mod account;
mod adopt;
mod audit;
mod cluster;
mod dashboard;
mod deploy;
mod diff;
mod errors;
mod form;
mod hubs;
mod layout;
mod loader;
mod login;
mod me;
mod profiles;
mod server_parts;
mod servers;
mod table;
mod text;
mod users;
mod values;
mod volumes;

pub use errors::{ErrorView, Forbidden, NotFound};
pub use layout::{Auth, encode_component};

/// Counts `tick` up every `seconds` while the calling page is shown (resources that read it
/// refetch): for pages that follow the cluster.
#[cfg(feature = "hydrate")]
pub fn tick_every(tick: RwSignal<u32>, seconds: u64) {
    Effect::new(move |_| {
        if let Ok(h) = set_interval_with_handle(
            move || tick.update(|t| *t = t.wrapping_add(1)),
            std::time::Duration::from_secs(seconds),
        ) {
            on_cleanup(move || h.clear());
        }
    });
}

use crate::api::auth::{Login, Logout, get_current_user};
use crate::api::hubs::get_hub;
use crate::api::profiles::{load_new_profile, load_profile};
use crate::api::volumes::{load_new_volume, load_volume};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, lazy_route};
use leptos_router::{SsrMode, path};
use loader::RecordPage;

/// A page loaded on demand: its code is split out of the main wasm module by `sitebuild`
/// (wasm-split), so the login page and the dashboard hydrate without it. The router fetches the
/// page's module before rendering or hydrating it.
macro_rules! lazy_page {
    ($route:ident, $view:expr) => {
        #[derive(Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}

lazy_page!(MyEnvironmentRoute, view! { <me::MyEnvironmentPage /> });
lazy_page!(PasswordRoute, view! { <account::ChangePasswordPage /> });
lazy_page!(
    HubsRoute,
    view! { <layout::AdminOnly><hubs::HubsPage /></layout::AdminOnly> }
);
lazy_page!(
    HubRoute,
    view! { <layout::AdminOnly><RecordPage load=get_hub missing="This hub" show=|detail| view! { <hubs::HubView detail /> } /></layout::AdminOnly> }
);
lazy_page!(
    ValuesRoute,
    view! { <layout::AdminOnly><values::ValuesPage /></layout::AdminOnly> }
);
lazy_page!(
    DeployRoute,
    view! { <layout::AdminOnly><deploy::DeployPage /></layout::AdminOnly> }
);
lazy_page!(
    NewProfileRoute,
    view! { <layout::AdminOnly><RecordPage load=load_new_profile missing="This hub" show=|editor| view! { <profiles::NewProfile editor /> } /></layout::AdminOnly> }
);
lazy_page!(
    ProfilesRoute,
    view! { <layout::AdminOnly><profiles::ProfilesPage /></layout::AdminOnly> }
);
lazy_page!(
    ProfileRoute,
    view! { <layout::AdminOnly><RecordPage load=load_profile missing="This profile" show=|editor| view! { <profiles::EditProfile editor /> } /></layout::AdminOnly> }
);
lazy_page!(
    NewVolumeRoute,
    view! { <layout::AdminOnly><RecordPage load=load_new_volume missing="This hub" show=|editor| view! { <volumes::NewVolume editor /> } /></layout::AdminOnly> }
);
lazy_page!(
    VolumesRoute,
    view! { <layout::AdminOnly><volumes::VolumesPage /></layout::AdminOnly> }
);
lazy_page!(
    VolumeRoute,
    view! { <layout::AdminOnly><RecordPage load=load_volume missing="This shared volume" show=|editor| view! { <volumes::EditVolume editor /> } /></layout::AdminOnly> }
);
lazy_page!(
    ClusterRoute,
    view! { <layout::AdminOnly><cluster::ClusterPage /></layout::AdminOnly> }
);
lazy_page!(
    AdoptRoute,
    view! { <layout::AdminOnly><adopt::AdoptPage /></layout::AdminOnly> }
);
lazy_page!(
    UsersRoute,
    view! { <layout::AdminOnly><users::UsersPage /></layout::AdminOnly> }
);
lazy_page!(
    ServersRoute,
    view! { <layout::AdminOnly><servers::ServersPage /></layout::AdminOnly> }
);
lazy_page!(
    ServerHistoryRoute,
    view! { <layout::AdminOnly><servers::ServerHistoryPage /></layout::AdminOnly> }
);
lazy_page!(
    AuditRoute,
    view! { <layout::AdminOnly><audit::AuditPage /></layout::AdminOnly> }
);

/// The HTML document served for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The Content-Security-Policy with this response's script nonce.
    #[cfg(feature = "ssr")]
    crate::backend::csp::set_for_page();
    // The bundle's files carry a content hash in their name when built by `sitebuild`.
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link id="leptos" rel="stylesheet" href=stylesheet />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    // The account is fetched again after every sign-in and sign-out.
    let user = Resource::new(
        move || (login.version().get(), logout.version().get()),
        |_| get_current_user(),
    );
    provide_context(Auth {
        user,
        login,
        logout,
    });

    view! {
        <Title formatter=|t: String| if t.is_empty() { "Hubfleet".to_string() } else { format!("{t} · Hubfleet") } />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=login::LoginPage />
                <ParentRoute path=path!("") view=layout::Frame>
                    // Async SSR everywhere inside the frame: with out-of-order streaming, a page's
                    // own <Suspense> inside the frame's <Suspense> is streamed out of order on a
                    // full page load (tachys 0.2.19) and hydration fails.
                    <Route path=path!("/") view=dashboard::DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/me") view={Lazy::<MyEnvironmentRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/password") view={Lazy::<PasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/hubs") view={Lazy::<HubsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/hubs/:id") view={Lazy::<HubRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/hubs/:id/values") view={Lazy::<ValuesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/hubs/:id/deploy") view={Lazy::<DeployRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/hubs/:id/profiles/new") view={Lazy::<NewProfileRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/profiles") view={Lazy::<ProfilesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/profiles/:id") view={Lazy::<ProfileRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/hubs/:id/volumes/new") view={Lazy::<NewVolumeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/volumes") view={Lazy::<VolumesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/volumes/:id") view={Lazy::<VolumeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/cluster") view={Lazy::<ClusterRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/cluster/releases/:namespace/:name/adopt") view={Lazy::<AdoptRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/servers") view={Lazy::<ServersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/servers/:user") view={Lazy::<ServerHistoryRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
