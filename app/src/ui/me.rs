//! `/me`, "My environment" (every signed-in user): on each hub, the profiles the user may use
//! as cards (image, CPU, memory, home storage, shared volumes, whether it fits the cluster
//! now) with their choice, then their own servers (status in plain words, resources, events)
//! and home volumes. Only ever the signed-in user's own state.

use super::text::{health_tone, short_time};
use crate::api::me::{ChooseProfile, get_my_environment};
use crate::api::servers::{StartServer, StopServer};
use crate::domain::environment::{
    CardOption, HubChoices, MyEnvironment, MyServer, MyVolume, ProfileCard,
};
use crate::domain::fit::Fit;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// The page's actions: choosing a profile, starting and stopping the user's own server.
#[derive(Clone, Copy)]
struct Actions {
    choose: ServerAction<ChooseProfile>,
    start: ServerAction<StartServer>,
    stop: ServerAction<StopServer>,
}

#[component]
pub fn MyEnvironmentPage() -> impl IntoView {
    let choose = ServerAction::<ChooseProfile>::new();
    let start = ServerAction::<StartServer>::new();
    let stop = ServerAction::<StopServer>::new();
    // Refetched every few seconds, so a starting or stopping server's state follows.
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    super::tick_every(tick, 5);
    let data = Resource::new(
        move || {
            (
                choose.version().get(),
                start.version().get(),
                stop.version().get(),
                tick.get(),
            )
        },
        |_| get_my_environment(),
    );
    let actions = Actions {
        choose,
        start,
        stop,
    };
    view! {
        <Title text="My environment" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let env = data.await?;
                Ok::<_, AppError>(view! { <Environment env actions /> })
            })}
        </Transition>
    }
}

/// What the last start or stop answered.
fn server_answer(actions: Actions) -> impl Fn() -> Option<AnyView> {
    move || {
        let answer = actions
            .start
            .value()
            .get()
            .or_else(|| actions.stop.value().get())?;
        Some(super::server_parts::action_answer(answer))
    }
}

#[component]
fn Environment(env: MyEnvironment, actions: Actions) -> impl IntoView {
    let choose = actions.choose;
    let MyEnvironment {
        username,
        hubs,
        servers,
        volumes,
        cluster_note,
        timeline,
    } = env;
    let failed = move || match choose.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <div class="page-header">
            <h1>"My environment"</h1>
            <p class="muted">"Signed in as " <strong>{username.clone()}</strong> ". Choose the environment your server starts with; the hub preselects it on its spawn page."</p>
        </div>
        {move || failed().map(|m| view! { <div class="alert alert-error" role="alert" data-testid="choose-error">{m}</div> })}
        {server_answer(actions)}
        {if hubs.is_empty() {
            view! {
                <div class="empty-state" data-testid="no-environments">
                    <p class="empty-title">"No environment to choose yet"</p>
                    <p>"Your administrator has not published an environment profile for you. When they do, you will pick one here."</p>
                </div>
            }
            .into_any()
        } else {
            hubs.into_iter().map(|h| {
                let running = servers.iter().any(|s| s.hub_id == Some(h.hub_id));
                view! { <HubSection hub=h actions username=username.clone() running /> }
            }).collect_view().into_any()
        }}
        <section class="panel" data-testid="my-servers">
            <h2>"My servers"</h2>
            {cluster_note.clone().map(|n| view! { <p class="muted">{n}</p> })}
            {if servers.is_empty() {
                view! { <p class="muted" data-testid="no-servers">"You have no server running. Start one with a profile above, or from your hub's page."</p> }.into_any()
            } else {
                servers.into_iter().map(|s| view! { <ServerCard server=s actions username=username.clone() /> }).collect_view().into_any()
            }}
        </section>
        <section class="panel" data-testid="my-history">
            <h2>"History of my servers"</h2>
            {if timeline.is_empty() {
                view! { <p class="muted">"Nothing yet: what happens to your servers (scheduling, image pulls, restarts, out-of-memory kills) is kept here, also after a server is gone."</p> }.into_any()
            } else {
                view! { <super::server_parts::Timeline entries=timeline /> }.into_any()
            }}
        </section>
        <section class="panel" data-testid="my-volumes">
            <h2>"My storage"</h2>
            {if volumes.is_empty() {
                view! { <p class="muted">"No home volume yet: it is made when your first server starts."</p> }.into_any()
            } else {
                view! { <VolumeTable volumes /> }.into_any()
            }}
        </section>
    }
}

fn fit_class(f: &Fit) -> &'static str {
    match f {
        Fit::FitsNow { .. } => "status status-ok",
        Fit::NoRoomNow { .. } => "status status-warn",
        Fit::NeverFits { .. } => "status status-bad",
        Fit::Unknown => "status",
    }
}

#[component]
fn HubSection(hub: HubChoices, actions: Actions, username: String, running: bool) -> impl IntoView {
    let HubChoices {
        hub_id,
        hub_name,
        namespace,
        profiles,
        chosen,
        chosen_by_user,
    } = hub;
    view! {
        <section class="panel" data-testid="hub-choices" data-hub=hub_name.clone()>
            <h2>{hub_name.clone()} <span class="muted">{format!(" · namespace {namespace}")}</span></h2>
            <div class="profile-cards">
                {profiles.into_iter().map(|p| {
                    let is_chosen = chosen == Some(p.id);
                    view! { <Card card=p hub_id is_chosen chosen_by_user actions username=username.clone() running /> }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn Card(
    card: ProfileCard,
    hub_id: i64,
    is_chosen: bool,
    chosen_by_user: bool,
    actions: Actions,
    username: String,
    /// The user's server on this hub runs (no start button then).
    running: bool,
) -> impl IntoView {
    let Actions { choose, start, .. } = actions;
    let ProfileCard {
        id,
        display_name,
        description,
        image,
        cpu,
        memory,
        home,
        volumes,
        devices,
        options,
        fit,
    } = card;
    let choose_label = format!("Choose {display_name}");
    let start_label = format!("Start my server with {display_name}");
    let chosen_label = if chosen_by_user {
        "Your choice"
    } else {
        "Hub default"
    };
    view! {
        <article class="card profile-card" class:chosen=is_chosen data-testid="profile-card" data-profile=display_name.clone()>
            <header class="profile-card-head">
                <h3>{display_name.clone()}</h3>
                {is_chosen.then(|| view! { <span class="status status-ok" data-testid="chosen">{chosen_label}</span> })}
            </header>
            {(!description.is_empty()).then(|| view! { <p class="muted">{description}</p> })}
            <dl class="profile-facts">
                <dt>"Image"</dt><dd><code>{image}</code></dd>
                <dt>"CPU"</dt><dd>{cpu}</dd>
                <dt>"Memory"</dt><dd>{memory}</dd>
                {(!devices.is_empty()).then(|| view! {
                    <dt>"GPU"</dt>
                    <dd data-testid="devices">{devices.join(", ")}</dd>
                })}
                <dt>"Home"</dt><dd>{home}</dd>
                {(!volumes.is_empty()).then(|| view! {
                    <dt>"Shared"</dt>
                    <dd>{volumes.join("; ")}</dd>
                })}
            </dl>
            {(!options.is_empty()).then(|| view! { <CardOptions options /> })}
            <p class="profile-fit">
                <span class=fit_class(&fit) data-testid="fit">{fit.label()}</span>
                " " <span class="muted">{fit.explain()}</span>
            </p>
            {(!is_chosen || !chosen_by_user).then(|| view! {
                <ActionForm action=choose>
                    <input type="hidden" name="hub_id" value=hub_id.to_string() />
                    <input type="hidden" name="profile_id" value=id.to_string() />
                    <button type="submit" class="btn btn-small" data-testid="choose" disabled=move || choose.pending().get()>
                        {choose_label}
                    </button>
                </ActionForm>
            })}
            {(!running && !matches!(fit, Fit::NeverFits { .. })).then(|| view! {
                <ActionForm action=start>
                    <input type="hidden" name="hub_id" value=hub_id.to_string() />
                    <input type="hidden" name="username" value=username.clone() />
                    <input type="hidden" name="server_name" value="" />
                    <input type="hidden" name="profile_id" value=id.to_string() />
                    <button type="submit" class="btn btn-small btn-primary" data-testid="start" disabled=move || start.pending().get()>
                        {start_label}
                    </button>
                </ActionForm>
            })}
        </article>
    }
}

/// The choices inside a profile: each option with its choices (the default marked, what each
/// changes, and whether a choice asking for more fits now) and the free-form value if any.
#[component]
fn CardOptions(options: Vec<CardOption>) -> impl IntoView {
    view! {
        <div class="card-options" data-testid="card-options">
            {options.into_iter().map(|o| view! {
                <div class="card-option" data-testid="card-option" data-option=o.display_name.clone()>
                    <p class="card-option-name">{format!("{}: choose on the spawn page", o.display_name)}</p>
                    <ul class="card-choices">
                        {o.choices.into_iter().map(|c| view! {
                            <li data-testid="card-choice">
                                <strong>{c.display_name}</strong>
                                {c.is_default.then(|| view! { " " <span class="status" data-testid="default-choice">"default"</span> })}
                                {(!c.detail.is_empty()).then(|| view! { " " <span class="muted">{c.detail}</span> })}
                                {c.fit.map(|f| view! { " " <span class=fit_class(&f) title=f.explain() data-testid="choice-fit">{f.label()}</span> })}
                            </li>
                        }).collect_view()}
                        {o.free_form.map(|f| view! { <li class="muted" data-testid="free-form">{format!("or type your own ({f})")}</li> })}
                    </ul>
                </div>
            }).collect_view()}
        </div>
    }
}

#[component]
fn ServerCard(server: MyServer, actions: Actions, username: String) -> impl IntoView {
    let stop = actions.stop;
    let MyServer {
        pod,
        namespace,
        hub_id,
        server_name,
        image,
        cpu,
        memory,
        started_at,
        health,
        events,
    } = server;
    let class = format!("status status-{}", health_tone(&health));
    let title = if server_name.is_empty() {
        "Default server".to_string()
    } else {
        format!("Server \"{server_name}\"")
    };
    view! {
        <article class="card server-card" data-testid="my-server" data-pod=pod.clone()>
            <header class="profile-card-head">
                <h3>{title}</h3>
                <span class=class data-testid="server-state">{health.state.label()}</span>
            </header>
            {health.detail.clone().map(|d| view! { <p>{d}</p> })}
            {health.hint.clone().map(|h| view! { <p class="hint">{h}</p> })}
            <dl class="profile-facts">
                <dt>"Image"</dt><dd><code>{image}</code></dd>
                <dt>"CPU"</dt><dd>{cpu}</dd>
                <dt>"Memory"</dt><dd>{memory}</dd>
                <dt>"Node"</dt><dd>{health.node.clone().unwrap_or_else(|| "not scheduled yet".into())}</dd>
                <dt>"Started"</dt><dd>{started_at.as_deref().map(short_time).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Restarts"</dt><dd>{health.restarts}</dd>
                <dt>"Pod"</dt><dd><code>{format!("{namespace}/{pod}")}</code></dd>
            </dl>
            {hub_id.map(|hub_id| view! {
                <ActionForm action=stop>
                    <input type="hidden" name="hub_id" value=hub_id.to_string() />
                    <input type="hidden" name="username" value=username.clone() />
                    <input type="hidden" name="server_name" value=server_name.clone() />
                    <button type="submit" class="btn btn-small btn-danger" data-testid="stop" disabled=move || stop.pending().get()>
                        "Stop this server"
                    </button>
                    <span class="muted small">" Your home volume is kept."</span>
                </ActionForm>
            })}
            {(!events.is_empty()).then(|| view! {
                <details class="server-events">
                    <summary>{format!("Events ({})", events.len())}</summary>
                    <ul>
                        {events.into_iter().map(|e| view! {
                            <li class:warning=e.kind == "Warning">
                                <span class="muted">{short_time(&e.time)}</span> " " <strong>{e.reason}</strong> ": " {e.message}
                            </li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </article>
    }
}

#[component]
fn VolumeTable(volumes: Vec<MyVolume>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="my-volume-table">
                <thead><tr><th>"Volume"</th><th>"Size"</th><th>"Storage class"</th><th>"State"</th></tr></thead>
                <tbody>
                    {volumes.into_iter().map(|v| view! {
                        <tr>
                            <td><code>{format!("{}/{}", v.namespace, v.name)}</code></td>
                            <td>{v.capacity.clone().unwrap_or_else(|| v.requested.clone())}</td>
                            <td>{v.storage_class.clone().unwrap_or_else(|| "cluster default".into())}</td>
                            <td>{v.phase.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
