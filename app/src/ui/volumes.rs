//! Shared volumes: the list across hubs (`/volumes`), the create form
//! (`/hubs/{id}/volumes/new`) and the edit form with delete (`/volumes/{id}`).

use super::conflict::{
    ConflictRow, ConflictView, SavedBanner, Shown, TextInput, answer_banner, answer_errors,
    short_time,
};
use super::form::FieldRow;
use super::hubs::route_id;
use crate::api::volumes::{
    CreateVolume, DeleteVolume, UpdateVolume, VolumeEditor, VolumeListItem, list_volumes,
    load_new_volume, load_volume,
};
use crate::domain::FieldErrors;
use crate::domain::mount::check_against_mounts;
use crate::domain::profile::{Profile, slugify};
use crate::domain::validate::{checkbox_value, parse_checkbox};
use crate::domain::volume::{
    AccessMode, SharedVolume, VolumeForm, VolumeMode, check_hub_namespace,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

#[derive(Clone, Copy)]
struct VolumeFields {
    name: RwSignal<String>,
    pvc_name: RwSignal<String>,
    namespace: RwSignal<String>,
    size: RwSignal<String>,
    access_mode: RwSignal<String>,
    storage_class: RwSignal<String>,
    volume_mode: RwSignal<String>,
    create_pvc: RwSignal<bool>,
}

impl VolumeFields {
    fn new(f: &VolumeForm) -> Self {
        Self {
            name: RwSignal::new(f.name.clone()),
            pvc_name: RwSignal::new(f.pvc_name.clone()),
            namespace: RwSignal::new(f.namespace.clone()),
            size: RwSignal::new(f.size.clone()),
            access_mode: RwSignal::new(f.access_mode.clone()),
            storage_class: RwSignal::new(f.storage_class.clone()),
            volume_mode: RwSignal::new(f.volume_mode.clone()),
            create_pvc: RwSignal::new(parse_checkbox("create_pvc", &f.create_pvc).unwrap_or(false)),
        }
    }

    fn load(&self, f: &VolumeForm) {
        self.name.set(f.name.clone());
        self.pvc_name.set(f.pvc_name.clone());
        self.namespace.set(f.namespace.clone());
        self.size.set(f.size.clone());
        self.access_mode.set(f.access_mode.clone());
        self.storage_class.set(f.storage_class.clone());
        self.volume_mode.set(f.volume_mode.clone());
        self.create_pvc
            .set(parse_checkbox("create_pvc", &f.create_pvc).unwrap_or(false));
    }

    fn form(&self) -> VolumeForm {
        VolumeForm {
            name: self.name.get(),
            pvc_name: self.pvc_name.get(),
            namespace: self.namespace.get(),
            size: self.size.get(),
            access_mode: self.access_mode.get(),
            storage_class: self.storage_class.get(),
            volume_mode: self.volume_mode.get(),
            create_pvc: checkbox_value(self.create_pvc.get()),
        }
    }

    fn form_untracked(&self) -> VolumeForm {
        untrack(|| self.form())
    }
}

fn yes_no(v: &str) -> String {
    if parse_checkbox("x", v).unwrap_or(false) {
        "yes".into()
    } else {
        "no".into()
    }
}

fn volume_conflict_rows(stored: &VolumeForm, mine: &VolumeForm) -> Vec<ConflictRow> {
    vec![
        ConflictRow::new("Name", &stored.name, &mine.name),
        ConflictRow::new("PVC name", &stored.pvc_name, &mine.pvc_name),
        ConflictRow::new("Namespace", &stored.namespace, &mine.namespace),
        ConflictRow::new("Size", &stored.size, &mine.size),
        ConflictRow::new("Access mode", &stored.access_mode, &mine.access_mode),
        ConflictRow::new("Storage class", &stored.storage_class, &mine.storage_class),
        ConflictRow::new("Volume mode", &stored.volume_mode, &mine.volume_mode),
        ConflictRow::new(
            "Hubfleet creates the PVC",
            yes_no(&stored.create_pvc),
            yes_no(&mine.create_pvc),
        ),
    ]
}

/// Every check the browser can make: the form itself, the hub's namespace and, for an
/// existing volume, the profiles that mount it. The server runs the same functions.
fn check_volume(
    form: &VolumeForm,
    hub_namespace: &str,
    id: Option<i64>,
    profiles: &[Profile],
) -> Option<FieldErrors> {
    match form.validate() {
        Err(e) => Some(e),
        Ok(spec) => {
            let mut e = FieldErrors::new();
            e.check(check_hub_namespace(&spec, hub_namespace));
            if let Some(id) = id
                && let Err(more) = check_against_mounts(id, &spec, profiles)
            {
                e.0.extend(more.0);
            }
            (!e.is_empty()).then_some(e)
        }
    }
}

#[component]
fn VolumeInputs(
    fields: VolumeFields,
    shown: Shown,
    client: Memo<Option<FieldErrors>>,
    #[prop(into)] server: Signal<Option<FieldErrors>>,
    hub_namespace: String,
    /// New volume: the PVC name follows the name until edited.
    follow_name: bool,
) -> impl IntoView {
    let err = move |f: &'static str| {
        Signal::derive(move || {
            client.with(|c| server.with(|s| shown.error(f, f, c.as_ref(), s.as_ref())))
        })
    };
    let id = |f: &str| format!("vol-{f}");
    let pvc_follows = RwSignal::new(follow_name);
    let edit = move |sig: RwSignal<String>, f: &'static str| {
        Callback::new(move |v: String| {
            sig.set(v);
            shown.touch(f);
        })
    };
    let on_name = Callback::new(move |v: String| {
        if pvc_follows.get_untracked() {
            fields.pvc_name.set(slugify(&v));
        }
        fields.name.set(v);
        shown.touch("name");
    });
    let on_pvc = Callback::new(move |v: String| {
        pvc_follows.set(false);
        fields.pvc_name.set(v);
        shown.touch("pvc_name");
    });
    view! {
        <div class="form-grid">
            <FieldRow label="Name" id=id("name") hint="Shown to admins and in profile forms, e.g. course-data." error=err("name")>
                <TextInput id=id("name") name="form[name]" value=fields.name on_input=on_name placeholder="claim-share" />
            </FieldRow>
            <FieldRow label="PVC name" id=id("pvc_name") hint="The PersistentVolumeClaim's name in Kubernetes." error=err("pvc_name")>
                <TextInput id=id("pvc_name") name="form[pvc_name]" value=fields.pvc_name on_input=on_pvc placeholder="claim-share" />
            </FieldRow>
            <FieldRow label="Namespace" id=id("namespace") hint=format!("Must be the hub's namespace, {hub_namespace}: a server can only mount claims of its own namespace.") error=err("namespace")>
                <TextInput id=id("namespace") name="form[namespace]" value=fields.namespace on_input=edit(fields.namespace, "namespace") />
            </FieldRow>
            <FieldRow label="Size" id=id("size") hint="Kubernetes quantity, e.g. 10Gi. Required when Hubfleet creates the claim." error=err("size")>
                <TextInput id=id("size") name="form[size]" value=fields.size on_input=edit(fields.size, "size") placeholder="10Gi" />
            </FieldRow>
            <FieldRow label="Access mode" id=id("access_mode") hint="Shared by many users' servers: ReadWriteMany (or ReadOnlyMany)." error=err("access_mode")>
                <select
                    id=id("access_mode")
                    name="form[access_mode]"
                    prop:value=move || fields.access_mode.get()
                    on:change=move |ev| {
                        fields.access_mode.set(event_target_value(&ev));
                        shown.touch("access_mode");
                    }
                >
                    {AccessMode::ALL
                        .into_iter()
                        .map(|m| view! { <option value=m.as_str() selected=move || fields.access_mode.get() == m.as_str()>{m.label()}</option> })
                        .collect_view()}
                </select>
            </FieldRow>
            <FieldRow label="Storage class (optional)" id=id("storage_class") hint="Empty: the cluster's default storage class." error=err("storage_class")>
                <TextInput id=id("storage_class") name="form[storage_class]" value=fields.storage_class on_input=edit(fields.storage_class, "storage_class") placeholder="glusterfs" />
            </FieldRow>
            <FieldRow label="Volume mode" id=id("volume_mode") hint="Filesystem for anything mounted as a directory." error=err("volume_mode")>
                <select
                    id=id("volume_mode")
                    name="form[volume_mode]"
                    prop:value=move || fields.volume_mode.get()
                    on:change=move |ev| {
                        fields.volume_mode.set(event_target_value(&ev));
                        shown.touch("volume_mode");
                    }
                >
                    {VolumeMode::ALL
                        .into_iter()
                        .map(|m| view! { <option value=m.as_str() selected=move || fields.volume_mode.get() == m.as_str()>{m.as_str()}</option> })
                        .collect_view()}
                </select>
            </FieldRow>
        </div>
        <div class="field check-field" class:has-error=move || err("create_pvc").get().is_some()>
            <label class="check-inline" for=id("create_pvc")>
                <input
                    id=id("create_pvc")
                    type="checkbox"
                    name="form[create_pvc]"
                    checked=fields.create_pvc.get_untracked()
                    prop:checked=move || fields.create_pvc.get()
                    on:change=move |ev| {
                        fields.create_pvc.set(event_target_checked(&ev));
                        shown.touch("create_pvc");
                        shown.touch("size");
                    }
                />
                " Hubfleet creates the PVC"
            </label>
            <p class="hint">"Ticked: Hubfleet creates (and owns) the claim with this size and class. Unticked: the claim already exists and is only mounted."</p>
            <p class="field-error" role="alert">{move || err("create_pvc").get().unwrap_or_default()}</p>
        </div>
    }
    .into_any()
}

/// `/volumes`: every shared volume of every hub.
#[component]
pub fn VolumesPage() -> impl IntoView {
    let volumes = Resource::new(|| (), |_| list_volumes());
    view! {
        <Title text="Shared volumes" />
        <div class="page-header">
            <h1>"Shared volumes"</h1>
            <p class="muted">"PersistentVolumeClaims that profiles mount into every user's server. Each belongs to one hub; add them from the hub's page."</p>
        </div>
        <section class="panel">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = volumes.await?;
                    Ok::<_, AppError>(view! { <VolumeTable volumes=list /> })
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn VolumeTable(volumes: Vec<VolumeListItem>) -> impl IntoView {
    if volumes.is_empty() {
        return view! {
            <div class="empty-state" data-testid="volumes-empty">
                <p class="empty-title">"No shared volumes yet"</p>
                <p>
                    "Open a " <a href="/hubs">"hub"</a> " and choose “New shared volume”, or load the example setup with "
                    <code>"hubfleet seed --example"</code> "."
                </p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="volumes-table">
                <thead>
                    <tr>
                        <th scope="col">"Volume"</th>
                        <th scope="col">"Hub"</th>
                        <th scope="col">"Claim"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Access mode"</th>
                        <th scope="col">"Storage class"</th>
                        <th scope="col">"Mounted by"</th>
                    </tr>
                </thead>
                <tbody>
                    {volumes
                        .into_iter()
                        .map(|item| {
                            let v = item.volume;
                            view! {
                                <tr data-volume=v.spec.name.clone()>
                                    <td><a href=format!("/volumes/{}", v.id)><strong>{v.spec.name.clone()}</strong></a></td>
                                    <td><a href=format!("/hubs/{}", item.hub.id)>{item.hub.spec.release_name.clone()}</a></td>
                                    <td>
                                        <code>{format!("{}/{}", v.spec.namespace, v.spec.pvc_name)}</code>
                                        <div class="hint">{if v.spec.create_pvc { "created by Hubfleet" } else { "existing claim" }}</div>
                                    </td>
                                    <td>{v.spec.size.as_ref().map(|s| s.as_str().to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td>{v.spec.access_mode.as_str()}</td>
                                    <td>{v.spec.storage_class.clone().unwrap_or_else(|| "cluster default".into())}</td>
                                    <td>
                                        {if item.mounted_by.is_empty() {
                                            view! { <span class="muted">"not mounted"</span> }.into_any()
                                        } else {
                                            item.mounted_by.into_iter().map(|p| view! { <span class="chip">{p}</span> }).collect_view().into_any()
                                        }}
                                    </td>
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

/// `/hubs/{id}/volumes/new`.
#[component]
pub fn NewVolumePage() -> impl IntoView {
    let hub_id = route_id();
    let editor = Resource::new(
        move || hub_id.get(),
        |id| async move {
            match id {
                Some(id) => load_new_volume(id).await,
                None => Err(AppError::NotFound("This hub".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let e = editor.await?;
                Ok::<_, AppError>(view! { <NewVolume editor=e /> })
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn VolumeCrumbs(
    hub_id: i64,
    hub_name: String,
    #[prop(into)] here: Signal<String>,
) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/hubs">"Hubs"</a>
            <span aria-hidden="true">" / "</span>
            <a href=format!("/hubs/{hub_id}")>{hub_name}</a>
            <span aria-hidden="true">" / "</span>
            <span>{move || here.get()}</span>
        </nav>
    }
    .into_any()
}

#[component]
fn NewVolume(editor: VolumeEditor) -> impl IntoView {
    let create = ServerAction::<CreateVolume>::new();
    let hub = editor.hub;
    let blank = VolumeForm {
        namespace: hub.spec.namespace.clone(),
        access_mode: AccessMode::ReadWriteMany.as_str().into(),
        volume_mode: VolumeMode::Filesystem.as_str().into(),
        create_pvc: "on".into(),
        ..VolumeForm::default()
    };
    let fields = VolumeFields::new(&blank);
    let shown = Shown::new();
    let value = create.value();
    let ns = hub.spec.namespace.clone();
    let client = Memo::new(move |_| check_volume(&fields.form(), &ns, None, &[]));
    let server = answer_errors(value);
    let banner = answer_banner(value, &[]);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(v)) = value.get() {
            navigate(
                &format!("/volumes/{}?created=1", v.id),
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
    let hub_name = hub.spec.release_name.clone();
    view! {
        <Title text="New shared volume" />
        <VolumeCrumbs hub_id=hub.id hub_name=hub_name.clone() here="New shared volume".to_string() />
        <div class="page-header">
            <h1>"New shared volume"</h1>
            <p class="muted">"For hub " <strong>{hub_name}</strong> " in namespace " <code>{hub.spec.namespace.clone()}</code> "."</p>
        </div>
        <section class="panel form-panel">
            {move || banner.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            <ActionForm action=create on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="volume-form">
                <input type="hidden" name="hub_id" value=hub.id.to_string() />
                <VolumeInputs fields shown client server hub_namespace=hub.spec.namespace.clone() follow_name=true />
                <FieldRow label="Reason (optional)" id="vol-reason" hint="Kept in the audit trail.">
                    <input id="vol-reason" name="reason" type="text" autocomplete="off" />
                </FieldRow>
                <div class="form-footer">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create shared volume" }}
                    </button>
                    <a class="btn" href=format!("/hubs/{}", hub.id)>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// `/volumes/{id}`.
#[component]
pub fn EditVolumePage() -> impl IntoView {
    let id = route_id();
    let editor = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => load_volume(id).await,
                None => Err(AppError::NotFound("This shared volume".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let e = editor.await?;
                Ok::<_, AppError>(match e.volume.clone() {
                    Some(v) => view! { <EditVolume volume=v hub=e.hub profiles=e.profiles /> }.into_any(),
                    None => view! { <p>"Not found."</p> }.into_any(),
                })
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn EditVolume(
    volume: SharedVolume,
    hub: crate::domain::hub::Hub,
    profiles: Vec<Profile>,
) -> impl IntoView {
    let update = ServerAction::<UpdateVolume>::new();
    let fields = VolumeFields::new(&volume.spec.to_form());
    let saved = RwSignal::new(volume.clone());
    let reason = RwSignal::new(String::new());
    let shown = Shown::new();
    let value = update.value();
    let vid = volume.id;
    let ns = hub.spec.namespace.clone();
    let profiles_for_check = StoredValue::new(profiles.clone());
    let client = Memo::new(move |_| {
        let f = fields.form();
        profiles_for_check.with_value(|p| check_volume(&f, &ns, Some(vid), p))
    });
    let server = answer_errors(value);
    let banner = answer_banner(value, &[]);
    let submitted = RwSignal::new(None::<VolumeForm>);
    let conflict = RwSignal::new(None::<(String, SharedVolume)>);
    let query = use_query_map();
    let notice = RwSignal::new(
        query
            .with_untracked(|q| q.get("created").is_some())
            .then(|| "Shared volume created. Profiles of this hub can now mount it.".to_string()),
    );
    Effect::new(move |_| match value.get() {
        Some(Ok(v)) => {
            fields.load(&v.spec.to_form());
            reason.set(String::new());
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!("Saved (version {}).", v.version)));
            saved.set(v);
        }
        Some(Err(e)) => {
            notice.set(None);
            if let Some(stored) = e.stored::<SharedVolume>() {
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
            update.dispatch(UpdateVolume {
                id: vid,
                version: stored.version,
                form: mine,
                reason: reason.get_untracked(),
            });
        }
    });
    let discard = Callback::new(move |()| {
        if let Some((_, stored)) = conflict.get_untracked() {
            fields.load(&stored.spec.to_form());
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!(
                "Loaded the stored values (version {}). Your changes were discarded.",
                stored.version
            )));
            saved.set(stored);
        }
    });
    let mounted_by: Vec<String> = profiles
        .iter()
        .filter(|p| p.spec.mounts.iter().any(|m| m.volume_id == vid))
        .map(|p| p.spec.display_name.clone())
        .collect();
    let mounted_links: Vec<(i64, String)> = profiles
        .iter()
        .filter(|p| p.spec.mounts.iter().any(|m| m.volume_id == vid))
        .map(|p| (p.id, p.spec.display_name.clone()))
        .collect();
    let title = move || saved.with(|v| v.spec.name.clone());
    view! {
        <Title text=move || format!("Shared volume {}", title()) />
        <VolumeCrumbs hub_id=hub.id hub_name=hub.spec.release_name.clone() here=Signal::derive(title) />
        <div class="page-header">
            <h1>{title}</h1>
            <p class="muted">
                "Shared volume of hub " <a href=format!("/hubs/{}", hub.id)>{hub.spec.release_name.clone()}</a>
                {if mounted_links.is_empty() {
                    view! { " · not mounted by any profile" }.into_any()
                } else {
                    view! {
                        " · mounted by "
                        {mounted_links.into_iter().map(|(id, n)| view! { <a class="chip" href=format!("/profiles/{id}")>{n}</a> }).collect_view()}
                    }
                    .into_any()
                }}
            </p>
        </div>
        <section class="panel form-panel">
            <SavedBanner message=notice />
            {move || banner.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            {move || {
                conflict.get().map(|(message, stored)| {
                    let mine = submitted.get_untracked().unwrap_or_default();
                    view! {
                        <ConflictView
                            message
                            stored_version=stored.version
                            rows=volume_conflict_rows(&stored.spec.to_form(), &mine)
                            on_keep=keep
                            on_discard=discard
                            pending=update.pending()
                        />
                    }
                })
            }}
            <ActionForm action=update on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="volume-form">
                <input type="hidden" name="id" value=vid.to_string() />
                <input type="hidden" name="version" value=move || saved.with(|v| v.version.to_string()) />
                <VolumeInputs fields shown client server hub_namespace=hub.spec.namespace.clone() follow_name=false />
                <FieldRow label="Reason (optional)" id="vol-reason" hint="Kept in the audit trail.">
                    <input
                        id="vol-reason"
                        name="reason"
                        type="text"
                        autocomplete="off"
                        prop:value=reason
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    />
                </FieldRow>
                <div class="form-footer">
                    <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>
                        {move || if update.pending().get() { "Saving…" } else { "Save shared volume" }}
                    </button>
                    <span class="hint">
                        {move || saved.with(|v| format!("Version {} · last saved {}", v.version, short_time(&v.updated_at)))}
                    </span>
                </div>
            </ActionForm>
        </section>
        <DeleteVolume vid saved mounted_by hub_id=hub.id />
    }
    .into_any()
}

#[component]
fn DeleteVolume(
    vid: i64,
    saved: RwSignal<SharedVolume>,
    mounted_by: Vec<String>,
    hub_id: i64,
) -> impl IntoView {
    let delete = ServerAction::<DeleteVolume>::new();
    let open = RwSignal::new(false);
    let value = delete.value();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            navigate(&format!("/hubs/{hub_id}"), NavigateOptions::default());
        }
    });
    let error = Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(AppError::Invalid(f))) => Some(
                f.0.iter()
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    });
    let note = if mounted_by.is_empty() {
        "No profile mounts this volume. Deleting it removes Hubfleet's record; a claim Hubfleet created is removed from the cluster at the next apply.".to_string()
    } else {
        format!(
            "Mounted by {}: remove it from {} first, or the delete is refused.",
            mounted_by.join(", "),
            if mounted_by.len() == 1 {
                "that profile"
            } else {
                "those profiles"
            }
        )
    };
    view! {
        <section class="panel danger-zone">
            <h2>"Delete shared volume"</h2>
            <p class="muted">{note}</p>
            {move || error.get().map(|m| view! { <div class="alert alert-error" role="alert" data-testid="delete-error">{m}</div> })}
            <Show
                when=move || open.get()
                fallback=move || view! { <button type="button" class="btn btn-danger-outline" on:click=move |_| open.set(true)>"Delete shared volume…"</button> }
            >
                <ActionForm action=delete attr:class="stack">
                    <input type="hidden" name="id" value=vid.to_string() />
                    <input type="hidden" name="version" value=move || saved.with(|v| v.version.to_string()) />
                    <FieldRow label="Reason (optional)" id="delete-vol-reason">
                        <input id="delete-vol-reason" name="reason" type="text" autocomplete="off" />
                    </FieldRow>
                    <div class="form-footer">
                        <button type="submit" class="btn btn-danger" disabled=move || delete.pending().get()>"Delete permanently"</button>
                        <button type="button" class="btn" on:click=move |_| open.set(false)>"Cancel"</button>
                    </div>
                </ActionForm>
            </Show>
        </section>
    }
    .into_any()
}
