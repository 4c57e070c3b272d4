//! Hubs: the list with the create form (`/hubs`), and one hub (`/hubs/{id}`) with its edit
//! form, its profiles and its shared volumes.

use super::conflict::{
    ConflictRow, ConflictView, SavedBanner, Shown, TextInput, answer_banner, answer_errors,
    breakable, short_time,
};
use super::form::FieldRow;
use crate::api::hubs::{
    CreateHub, DeleteHub, HubDetail, HubSummary, UpdateHub, get_hub, list_hubs,
};
use crate::domain::FieldErrors;
use crate::domain::hub::{DEFAULT_CHART_VERSION, Driver, Hub, HubForm};
use crate::domain::profile::Profile;
use crate::domain::volume::SharedVolume;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// The hub form's values, one signal per field.
#[derive(Clone, Copy)]
struct HubFields {
    release_name: RwSignal<String>,
    namespace: RwSignal<String>,
    chart_version: RwSignal<String>,
    ingress_host: RwSignal<String>,
    driver: RwSignal<String>,
}

impl HubFields {
    fn new(f: &HubForm) -> Self {
        Self {
            release_name: RwSignal::new(f.release_name.clone()),
            namespace: RwSignal::new(f.namespace.clone()),
            chart_version: RwSignal::new(f.chart_version.clone()),
            ingress_host: RwSignal::new(f.ingress_host.clone()),
            driver: RwSignal::new(f.driver.clone()),
        }
    }

    fn load(&self, f: &HubForm) {
        self.release_name.set(f.release_name.clone());
        self.namespace.set(f.namespace.clone());
        self.chart_version.set(f.chart_version.clone());
        self.ingress_host.set(f.ingress_host.clone());
        self.driver.set(f.driver.clone());
    }

    /// The current values (tracked).
    fn form(&self) -> HubForm {
        HubForm {
            release_name: self.release_name.get(),
            namespace: self.namespace.get(),
            chart_version: self.chart_version.get(),
            ingress_host: self.ingress_host.get(),
            driver: self.driver.get(),
        }
    }
}

fn blank_hub() -> HubForm {
    HubForm {
        chart_version: DEFAULT_CHART_VERSION.into(),
        driver: Driver::Job.as_str().into(),
        ..HubForm::default()
    }
}

fn hub_conflict_rows(stored: &HubForm, mine: &HubForm) -> Vec<ConflictRow> {
    vec![
        ConflictRow::new("Release name", &stored.release_name, &mine.release_name),
        ConflictRow::new("Namespace", &stored.namespace, &mine.namespace),
        ConflictRow::new("Chart version", &stored.chart_version, &mine.chart_version),
        ConflictRow::new("Ingress host", &stored.ingress_host, &mine.ingress_host),
        ConflictRow::new("Driver", &stored.driver, &mine.driver),
    ]
}

/// The hub inputs, shared by the create and the edit form.
#[component]
fn HubInputs(
    fields: HubFields,
    shown: Shown,
    client: Memo<Option<FieldErrors>>,
    #[prop(into)] server: Signal<Option<FieldErrors>>,
    prefix: &'static str,
) -> impl IntoView {
    let err = move |f: &'static str| {
        Signal::derive(move || {
            client.with(|c| server.with(|s| shown.error(f, f, c.as_ref(), s.as_ref())))
        })
    };
    let id = move |f: &str| format!("{prefix}-{f}");
    let edit = move |sig: RwSignal<String>, f: &'static str| {
        Callback::new(move |v: String| {
            sig.set(v);
            shown.touch(f);
        })
    };
    view! {
        <FieldRow label="Release name" id=id("release_name") hint="The Helm release, e.g. data8-jupyterhub: lowercase letters, digits and '-', at most 53 characters." error=err("release_name")>
            <TextInput id=id("release_name") name="form[release_name]" value=fields.release_name on_input=edit(fields.release_name, "release_name") placeholder="data8-jupyterhub" />
        </FieldRow>
        <FieldRow label="Namespace" id=id("namespace") hint="The Kubernetes namespace the hub and its users' servers run in." error=err("namespace")>
            <TextInput id=id("namespace") name="form[namespace]" value=fields.namespace on_input=edit(fields.namespace, "namespace") placeholder="jupyterhub" />
        </FieldRow>
        <FieldRow label="Chart version" id=id("chart_version") hint=format!("The zero-to-jupyterhub chart version; Hubfleet is tested with {DEFAULT_CHART_VERSION}.") error=err("chart_version")>
            <TextInput id=id("chart_version") name="form[chart_version]" value=fields.chart_version on_input=edit(fields.chart_version, "chart_version") placeholder=DEFAULT_CHART_VERSION />
        </FieldRow>
        <FieldRow label="Ingress host (optional)" id=id("ingress_host") hint="The host name users open, e.g. hub.example.org. Leave empty for no ingress." error=err("ingress_host")>
            <TextInput id=id("ingress_host") name="form[ingress_host]" value=fields.ingress_host on_input=edit(fields.ingress_host, "ingress_host") placeholder="hub.example.org" />
        </FieldRow>
        <FieldRow label="Driver" id=id("driver") hint="How Hubfleet installs and upgrades the Helm release." error=err("driver")>
            <select
                id=id("driver")
                name="form[driver]"
                prop:value=move || fields.driver.get()
                on:change=move |ev| {
                    fields.driver.set(event_target_value(&ev));
                    shown.touch("driver");
                }
            >
                {Driver::ALL
                    .into_iter()
                    .map(|d| {
                        view! {
                            <option value=d.as_str() selected=move || fields.driver.get() == d.as_str()>
                                {d.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </FieldRow>
    }
    .into_any()
}

/// `/hubs`: every hub, and the form to add one.
#[component]
pub fn HubsPage() -> impl IntoView {
    let create = ServerAction::<CreateHub>::new();
    let hubs = Resource::new(move || create.version().get(), |_| list_hubs());
    view! {
        <Title text="Hubs" />
        <div class="page-header">
            <h1>"Hubs"</h1>
            <p class="muted">"Each hub is one JupyterHub Helm release (zero-to-jupyterhub) that Hubfleet manages, with its environment profiles and shared volumes."</p>
        </div>
        <div class="split">
            <section class="panel">
                <h2>"All hubs"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let list = hubs.await?;
                        Ok::<_, AppError>(view! { <HubTable hubs=list /> })
                    })}
                </Transition>
            </section>
            <section class="panel">
                <h2>"New hub"</h2>
                <CreateHubForm create />
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn HubTable(hubs: Vec<HubSummary>) -> impl IntoView {
    if hubs.is_empty() {
        return view! {
            <div class="empty-state" data-testid="hubs-empty">
                <p class="empty-title">"No hubs yet"</p>
                <p>
                    "Create one with the form on this page, or load the example setup with "
                    <code>"hubfleet seed --example"</code>
                    "."
                </p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="hubs-table">
                <thead>
                    <tr>
                        <th scope="col">"Release"</th>
                        <th scope="col">"Namespace"</th>
                        <th scope="col">"Chart"</th>
                        <th scope="col">"Driver"</th>
                        <th scope="col">"Profiles"</th>
                        <th scope="col">"Volumes"</th>
                    </tr>
                </thead>
                <tbody>
                    {hubs
                        .into_iter()
                        .map(|h| {
                            let href = format!("/hubs/{}", h.hub.id);
                            view! {
                                <tr data-hub=h.hub.spec.release_name.clone()>
                                    <td>
                                        <a href=href><strong>{h.hub.spec.release_name.clone()}</strong></a>
                                        {h.hub.spec.ingress_host.clone().map(|host| view! { <div class="hint">{host}</div> })}
                                    </td>
                                    <td><code>{h.hub.spec.namespace.clone()}</code></td>
                                    <td>{h.hub.spec.chart_version.clone()}</td>
                                    <td>{h.hub.spec.driver.label()}</td>
                                    <td>
                                        {h.profiles}
                                        {h.default_profile.map(|d| view! { <div class="hint">"default: " {d}</div> })}
                                    </td>
                                    <td>{h.volumes}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CreateHubForm(create: ServerAction<CreateHub>) -> impl IntoView {
    let fields = HubFields::new(&blank_hub());
    let shown = Shown::new();
    let value = create.value();
    let client = Memo::new(move |_| fields.form().validate().err());
    let server = answer_errors(value);
    let banner = answer_banner(value, &[]);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(hub)) = value.get() {
            navigate(
                &format!("/hubs/{}?created=1", hub.id),
                NavigateOptions::default(),
            );
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        shown.submit();
        if client.get_untracked().is_some() {
            ev.prevent_default();
        }
    };
    view! {
        {move || banner.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
        <ActionForm action=create on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="create-hub-form">
            <HubInputs fields shown client server prefix="new-hub" />
            <FieldRow label="Reason (optional)" id="new-hub-reason" hint="Kept in the audit trail.">
                <input id="new-hub-reason" name="reason" type="text" autocomplete="off" />
            </FieldRow>
            <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                {move || if create.pending().get() { "Creating…" } else { "Create hub" }}
            </button>
        </ActionForm>
    }
    .into_any()
}

/// The id in the route (`/hubs/{id}`, `/profiles/{id}`, …), if it is a number.
pub fn route_id() -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())))
}

/// `/hubs/{id}`: edit the hub; its profiles and shared volumes.
#[component]
pub fn HubPage() -> impl IntoView {
    let id = route_id();
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_hub(id).await,
                None => Err(AppError::NotFound("This hub".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let d = detail.await?;
                Ok::<_, AppError>(view! { <HubView detail=d /> })
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn HubView(detail: HubDetail) -> impl IntoView {
    let HubDetail {
        hub,
        profiles,
        volumes,
    } = detail;
    let saved = RwSignal::new(hub.clone());
    let query = use_query_map();
    let created = query.with_untracked(|q| q.get("created").is_some());
    let hub_id = hub.id;
    let empty = profiles.is_empty() && volumes.is_empty();
    view! {
        <Title text=move || saved.with(|h| format!("Hub {}", h.spec.release_name)) />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/hubs">"Hubs"</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || saved.with(|h| h.spec.release_name.clone())}</span>
        </nav>
        <div class="page-header page-header-row">
            <div>
                <h1>{move || saved.with(|h| h.spec.release_name.clone())}</h1>
                <p class="muted">
                    "Namespace " <code>{move || saved.with(|h| h.spec.namespace.clone())}</code>
                    " · chart " {move || saved.with(|h| h.spec.chart_version.clone())}
                    " · " {move || saved.with(|h| h.spec.driver.label())}
                </p>
            </div>
            <div class="header-actions">
                <a class="btn" href=format!("/hubs/{hub_id}/values") data-testid="values-link">"Values (config.yaml)"</a>
                <a class="btn" href=format!("/hubs/{hub_id}/volumes/new")>"+ New shared volume"</a>
                <a class="btn btn-primary" href=format!("/hubs/{hub_id}/profiles/new")>"+ New profile"</a>
            </div>
        </div>
        {created.then(|| view! {
            <div class="alert alert-success" role="status" data-testid="saved">
                "Hub created. Next: add the shared volumes its profiles mount, then the environment profiles users choose from."
            </div>
        })}
        <div class="split">
            <div>
                <section class="panel">
                    <div class="panel-head">
                        <h2>"Environment profiles"</h2>
                        <a class="btn btn-small" href=format!("/hubs/{hub_id}/profiles/new")>"+ New profile"</a>
                    </div>
                    <HubProfiles profiles hub_id volumes=volumes.clone() />
                </section>
                <section class="panel">
                    <div class="panel-head">
                        <h2>"Shared volumes"</h2>
                        <a class="btn btn-small" href=format!("/hubs/{hub_id}/volumes/new")>"+ New shared volume"</a>
                    </div>
                    <HubVolumes volumes hub_id />
                </section>
            </div>
            <div>
                <section class="panel">
                    <h2>"Hub settings"</h2>
                    <EditHubForm hub saved />
                </section>
                {empty.then(|| view! { <DeleteHub hub_id saved /> })}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn HubProfiles(profiles: Vec<Profile>, hub_id: i64, volumes: Vec<SharedVolume>) -> impl IntoView {
    if profiles.is_empty() {
        return view! {
            <div class="empty-state empty-small">
                <p class="empty-title">"No profiles yet"</p>
                <p>
                    "Users of this hub have nothing to choose from. "
                    <a href=format!("/hubs/{hub_id}/profiles/new")>"Create the first profile"</a>
                    " (add shared volumes first if it should mount any)."
                </p>
            </div>
        }
        .into_any();
    }
    let names: Vec<(i64, String)> = profiles
        .iter()
        .map(|p| (p.id, p.spec.display_name.clone()))
        .collect();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="hub-profiles">
                <thead>
                    <tr>
                        <th scope="col">"Profile"</th>
                        <th scope="col">"Resources"</th>
                        <th scope="col">"Mounts"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {profiles
                        .into_iter()
                        .map(|p| {
                            let mounts: Vec<String> = p
                                .spec
                                .mounts
                                .iter()
                                .map(|m| {
                                    let v = volumes
                                        .iter()
                                        .find(|v| v.id == m.volume_id)
                                        .map(|v| v.spec.name.clone())
                                        .unwrap_or_else(|| format!("#{}", m.volume_id));
                                    format!("{v} → {}", m.mount_path)
                                })
                                .collect();
                            view! {
                                <tr>
                                    <td>
                                        <a href=format!("/profiles/{}", p.id)><strong>{p.spec.display_name.clone()}</strong></a>
                                        <div class="hint mono-cell">{breakable(&p.spec.image.reference())}</div>
                                    </td>
                                    <td class="nowrap">{resources_text(&p)}</td>
                                    <td>
                                        {if mounts.is_empty() {
                                            view! { <span class="muted">"—"</span> }.into_any()
                                        } else {
                                            mounts.into_iter().map(|m| view! { <span class="chip">{m}</span> }).collect_view().into_any()
                                        }}
                                    </td>
                                    <td>{profile_status(&p, &names)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// "CPU 0.5–1.5 · memory 1G–3G" for tables.
pub fn resources_text(p: &Profile) -> String {
    let range = |g: Option<String>, l: Option<String>| match (g, l) {
        (Some(g), Some(l)) => format!("{g}–{l}"),
        (None, Some(l)) => format!("≤ {l}"),
        (Some(g), None) => format!("≥ {g}"),
        (None, None) => "any".into(),
    };
    let s = &p.spec;
    format!(
        "CPU {} · memory {}",
        range(
            s.cpu_guarantee.map(crate::domain::quantity::format_cores),
            s.cpu_limit.map(crate::domain::quantity::format_cores)
        ),
        range(
            s.mem_guarantee.as_ref().map(|m| m.as_str().to_string()),
            s.mem_limit.as_ref().map(|m| m.as_str().to_string())
        )
    )
}

/// Default / deprecated / available badge.
pub fn profile_status(p: &Profile, names: &[(i64, String)]) -> AnyView {
    if let Some(r) = p.spec.replaced_by {
        let to = names
            .iter()
            .find(|(id, _)| *id == r)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{r}"));
        view! {
            <span class="status status-warn">"Deprecated"</span>
            <div class="hint">"→ " <a href=format!("/profiles/{r}")>{to}</a></div>
        }
        .into_any()
    } else if p.spec.is_default {
        view! { <span class="status status-ok">"Default"</span> }.into_any()
    } else {
        view! { <span class="status status-neutral">"Available"</span> }.into_any()
    }
}

#[component]
fn HubVolumes(volumes: Vec<SharedVolume>, hub_id: i64) -> impl IntoView {
    if volumes.is_empty() {
        return view! {
            <div class="empty-state empty-small">
                <p class="empty-title">"No shared volumes"</p>
                <p>
                    "A shared volume is a PersistentVolumeClaim mounted into every user's server, e.g. course data. "
                    <a href=format!("/hubs/{hub_id}/volumes/new")>"Add one"</a>
                    " if your profiles need it."
                </p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="hub-volumes">
                <thead>
                    <tr>
                        <th scope="col">"Volume"</th>
                        <th scope="col">"Claim"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Access"</th>
                        <th scope="col">"Storage class"</th>
                    </tr>
                </thead>
                <tbody>
                    {volumes
                        .into_iter()
                        .map(|v| {
                            view! {
                                <tr>
                                    <td><a href=format!("/volumes/{}", v.id)><strong>{v.spec.name.clone()}</strong></a></td>
                                    <td>
                                        <code>{v.spec.pvc_name.clone()}</code>
                                        <div class="hint">{if v.spec.create_pvc { "created by Hubfleet" } else { "existing claim" }}</div>
                                    </td>
                                    <td>{v.spec.size.as_ref().map(|s| s.as_str().to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td>{v.spec.access_mode.as_str()}</td>
                                    <td>{v.spec.storage_class.clone().unwrap_or_else(|| "cluster default".into())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn EditHubForm(hub: Hub, saved: RwSignal<Hub>) -> impl IntoView {
    let update = ServerAction::<UpdateHub>::new();
    let fields = HubFields::new(&hub.spec.to_form());
    let version = RwSignal::new(hub.version);
    let reason = RwSignal::new(String::new());
    let shown = Shown::new();
    let value = update.value();
    let client = Memo::new(move |_| fields.form().validate().err());
    let server = answer_errors(value);
    let banner = answer_banner(value, &[]);
    let submitted = RwSignal::new(None::<HubForm>);
    let conflict = RwSignal::new(None::<(String, Hub)>);
    let notice = RwSignal::new(None::<String>);
    let hub_id = hub.id;
    Effect::new(move |_| match value.get() {
        Some(Ok(h)) => {
            version.set(h.version);
            fields.load(&h.spec.to_form());
            reason.set(String::new());
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!("Saved (version {}).", h.version)));
            saved.set(h);
        }
        Some(Err(e)) => {
            notice.set(None);
            if let Some(stored) = e.stored::<Hub>() {
                conflict.set(Some((e.to_string(), stored)));
            }
        }
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        shown.submit();
        notice.set(None);
        if client.get_untracked().is_some() {
            ev.prevent_default();
            return;
        }
        submitted.set(Some(fields.form_untracked()));
    };
    let keep = Callback::new(move |()| {
        if let (Some((_, stored)), Some(mine)) =
            (conflict.get_untracked(), submitted.get_untracked())
        {
            update.dispatch(UpdateHub {
                id: hub_id,
                version: stored.version,
                form: mine,
                reason: reason.get_untracked(),
            });
        }
    });
    let discard = Callback::new(move |()| {
        if let Some((_, stored)) = conflict.get_untracked() {
            fields.load(&stored.spec.to_form());
            version.set(stored.version);
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!(
                "Loaded the stored values (version {}). Your changes were discarded.",
                stored.version
            )));
            saved.set(stored);
        }
    });
    view! {
        <SavedBanner message=notice />
        {move || banner.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
        {move || {
            conflict.get().map(|(message, stored)| {
                let mine = submitted.get_untracked().unwrap_or_default();
                view! {
                    <ConflictView
                        message
                        stored_version=stored.version
                        rows=hub_conflict_rows(&stored.spec.to_form(), &mine)
                        on_keep=keep
                        on_discard=discard
                        pending=update.pending()
                    />
                }
            })
        }}
        <ActionForm action=update on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="edit-hub-form">
            <input type="hidden" name="id" value=hub_id.to_string() />
            <input type="hidden" name="version" value=move || version.get().to_string() />
            <HubInputs fields shown client server prefix="hub" />
            <FieldRow label="Reason (optional)" id="hub-reason" hint="Kept in the audit trail.">
                <input
                    id="hub-reason"
                    name="reason"
                    type="text"
                    autocomplete="off"
                    prop:value=reason
                    on:input=move |ev| reason.set(event_target_value(&ev))
                />
            </FieldRow>
            <div class="form-footer">
                <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>
                    {move || if update.pending().get() { "Saving…" } else { "Save hub" }}
                </button>
                <span class="hint">
                    {move || format!("Version {} · last saved {}", version.get(), short_time(&saved.with(|h| h.updated_at.clone())))}
                </span>
            </div>
        </ActionForm>
    }
    .into_any()
}

impl HubFields {
    fn form_untracked(&self) -> HubForm {
        untrack(|| self.form())
    }
}

#[component]
fn DeleteHub(hub_id: i64, saved: RwSignal<Hub>) -> impl IntoView {
    let delete = ServerAction::<DeleteHub>::new();
    let open = RwSignal::new(false);
    let value = delete.value();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            navigate("/hubs", NavigateOptions::default());
        }
    });
    let error = Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(e)) => Some(match e {
                AppError::Invalid(f) => {
                    f.0.iter()
                        .map(|x| x.message.clone())
                        .collect::<Vec<_>>()
                        .join(" ")
                }
                other => other.to_string(),
            }),
            _ => None,
        })
    });
    view! {
        <section class="panel danger-zone">
            <h2>"Remove hub"</h2>
            <p class="muted">"This hub has no profiles or shared volumes. Removing it deletes Hubfleet's record only; uninstall the Helm release separately if it is installed."</p>
            {move || error.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            <Show
                when=move || open.get()
                fallback=move || view! { <button type="button" class="btn btn-danger-outline" on:click=move |_| open.set(true)>"Remove hub…"</button> }
            >
                <ActionForm action=delete attr:class="stack">
                    <input type="hidden" name="id" value=hub_id.to_string() />
                    <input type="hidden" name="version" value=move || saved.with(|h| h.version.to_string()) />
                    <FieldRow label="Reason (optional)" id="delete-hub-reason">
                        <input id="delete-hub-reason" name="reason" type="text" autocomplete="off" />
                    </FieldRow>
                    <div class="form-footer">
                        <button type="submit" class="btn btn-danger" disabled=move || delete.pending().get()>"Remove permanently"</button>
                        <button type="button" class="btn" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </ActionForm>
            </Show>
        </section>
    }
    .into_any()
}
