//! `/hubs/{id}/volumes/new` and `/volumes/{id}`: create, edit and delete a shared volume.

use super::form::{VolumeFields, VolumeInputs, volume_conflict_rows, volume_errors};
use crate::api::volumes::{
    CreateVolume, CreateVolumeClaim, DeleteVolume, UpdateVolume, VolumeEditor, get_volume_claim,
};
use crate::domain::volume::{AccessMode, VolumeForm, VolumeMode};
use crate::ui::form::{
    CreateForm, DeletePanel, EditForm, ErrorBanner, FieldRow, Names, answer_errors,
};
use crate::ui::hubs::HubCrumbs;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The create and the edit form name their inputs alike.
const NAMES: Names = Names::new("shared volume", "vol", "volume-form");

/// `/hubs/{id}/volumes/new`.
#[component]
pub fn NewVolume(editor: VolumeEditor) -> impl IntoView {
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
    let errors = volume_errors(
        fields,
        hub.spec.namespace.clone(),
        None,
        StoredValue::new(Vec::new()),
        answer_errors(create.value()),
    );
    let hub_name = hub.spec.release_name.clone();
    view! {
        <Title text="New shared volume" />
        <HubCrumbs hub_id=hub.id hub_name=hub_name.clone() here="New shared volume".to_string() />
        <div class="page-header">
            <h1>"New shared volume"</h1>
            <p class="muted">"For hub " <strong>{hub_name}</strong> " in namespace " <code>{hub.spec.namespace.clone()}</code> "."</p>
        </div>
        <section class="panel form-panel">
            <CreateForm
                action=create
                errors
                page="/volumes"
                names=NAMES
                cancel=format!("/hubs/{}", hub.id)
            >
                <input type="hidden" name="hub_id" value=hub.id.to_string() />
                <VolumeInputs fields errors hub_namespace=hub.spec.namespace.clone() follow_name=true />
            </CreateForm>
        </section>
    }
    .into_any()
}

/// `/volumes/{id}`.
#[component]
pub fn EditVolume(editor: VolumeEditor) -> impl IntoView {
    let VolumeEditor {
        hub,
        volume,
        profiles,
    } = editor;
    let Some(volume) = volume else {
        return view! { <p>"Not found."</p> }.into_any();
    };
    let update = ServerAction::<UpdateVolume>::new();
    let fields = VolumeFields::new(&volume.spec.to_form());
    let vid = volume.id;
    let saved = RwSignal::new(volume);
    let errors = volume_errors(
        fields,
        hub.spec.namespace.clone(),
        Some(vid),
        StoredValue::new(profiles.clone()),
        answer_errors(update.value()),
    );
    let created = use_query_map().with_untracked(|q| q.get("created").is_some());
    let mounted_links: Vec<(i64, String)> = profiles
        .iter()
        .filter(|p| p.spec.mounts.iter().any(|m| m.volume_id == vid))
        .map(|p| (p.id, p.spec.display_name.clone()))
        .collect();
    let mounted_by: Vec<String> = mounted_links.iter().map(|(_, n)| n.clone()).collect();
    let title = move || saved.with(|v| v.spec.name.clone());
    let delete = ServerAction::<DeleteVolume>::new();
    view! {
        <Title text=move || format!("Shared volume {}", title()) />
        <HubCrumbs hub_id=hub.id hub_name=hub.spec.release_name.clone() here=Signal::derive(title) />
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
            <EditForm action=update fields errors saved names=NAMES conflict_rows=Callback::new(volume_conflict_rows) notice=created.then(|| "Shared volume created. Profiles of this hub can now mount it.".to_string())>
                <VolumeInputs fields errors hub_namespace=hub.spec.namespace.clone() follow_name=false />
            </EditForm>
        </section>
        <ClaimPanel id=vid />
        <DeletePanel
            delete
            saved
            title="Delete shared volume"
            note=delete_note(&mounted_by)
            confirm="Delete permanently"
            reason_id="delete-vol-reason"
            after=format!("/hubs/{}", hub.id)
        />
    }
    .into_any()
}

fn delete_note(mounted_by: &[String]) -> String {
    if mounted_by.is_empty() {
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
    }
}

/// "In the cluster", shown once the page has hydrated: the panel is created while the page's
/// own loader renders, so it is left out of the server's HTML (and of hydration) and built in
/// the browser.
#[component]
fn ClaimPanel(id: i64) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || mounted.get().then(|| view! { <ClaimState id /> })
}

/// The claim's state, and for a portal-managed volume whose claim does not exist, "Create in
/// cluster" (a dry run shown first, then the write, with a reason).
#[component]
fn ClaimState(id: i64) -> impl IntoView {
    let create = ServerAction::<CreateVolumeClaim>::new();
    let state = Resource::new(
        move || create.version().get(),
        move |_| get_volume_claim(id),
    );
    let preview = RwSignal::new(None::<String>);
    let reason = RwSignal::new(String::new());
    // Which button sent the last request: the preview's label says what the YAML is.
    let last_dry = RwSignal::new(true);
    Effect::new(move |_| {
        if let Some(Ok(yaml)) = create.value().get() {
            preview.set(Some(yaml));
        }
    });
    let failed = Signal::derive(move || {
        create.value().with(|v| match v {
            Some(Err(e)) => Some(crate::ui::form::error_text(e)),
            _ => None,
        })
    });
    view! {
        <section class="panel" data-testid="claim-panel">
            <h2>"In the cluster"</h2>
            <Transition fallback=|| view! { <p class="muted">"Reading the cluster…"</p> }>
                {move || Suspend::new(async move {
                    let s = state.await?;
                    let summary = if s.exists {
                        let phase = s.phase.clone().unwrap_or_else(|| "unknown".into());
                        let tone = if phase == "Bound" { "status status-ok" } else { "status status-warn" };
                        view! {
                            <p>
                                <span class=tone data-testid="claim-phase">{phase}</span>
                                {format!(
                                    " {}/{} · requested {} · capacity {} · class {}",
                                    s.namespace,
                                    s.pvc,
                                    s.requested.clone().unwrap_or_else(|| "?".into()),
                                    s.capacity.clone().unwrap_or_else(|| "not yet".into()),
                                    s.storage_class.clone().unwrap_or_else(|| "cluster default".into())
                                )}
                            </p>
                            {s.reason.clone().map(|r| view! { <p class="muted">{r}</p> })}
                        }.into_any()
                    } else if s.managed {
                        view! { <p data-testid="claim-missing">{format!("Claim {}/{} does not exist yet. Hubfleet creates it here, or at the hub's next apply.", s.namespace, s.pvc)}</p> }.into_any()
                    } else {
                        view! { <p data-testid="claim-missing">{format!("Claim {}/{} was not found. It is marked as an existing claim: create it with kubectl (servers that mount it stay pending until then).", s.namespace, s.pvc)}</p> }.into_any()
                    };
                    let can_create = s.managed && !s.exists && s.note.is_none();
                    Ok::<_, crate::error::AppError>(view! {
                        {summary}
                        {s.note.clone().map(|n| view! { <div class="alert alert-warning" role="status">{n}</div> })}
                        {can_create.then(|| view! {
                            <ActionForm action=create attr:class="stack">
                                <input type="hidden" name="id" value=id.to_string() />
                                <FieldRow label="Reason (optional)" id="claim-reason" hint="Kept in the audit trail.">
                                    <input id="claim-reason" name="reason" type="text" autocomplete="off"
                                        prop:value=move || reason.get()
                                        on:input=move |ev| reason.set(event_target_value(&ev)) />
                                </FieldRow>
                                <div class="form-footer">
                                    <button type="submit" class="btn" name="dry_run" value="true" data-testid="claim-preview" on:click=move |_| last_dry.set(true)>"Preview (dry run)"</button>
                                    <button type="submit" class="btn btn-primary" name="dry_run" value="false" data-testid="claim-create"
                                        on:click=move |_| last_dry.set(false)
                                        disabled=move || preview.get().is_none()>"Create in cluster"</button>
                                </div>
                            </ActionForm>
                        })}
                    })
                })}
            </Transition>
            <ErrorBanner message=failed testid="claim-error" />
            {move || preview.get().map(|yaml| view! {
                <details open=true data-testid="claim-yaml">
                    <summary>{move || if last_dry.get() { "What the API server would store (dry run)" } else { "Created: what the API server stored" }}</summary>
                    <pre class="operation-log">{yaml}</pre>
                </details>
            })}
        </section>
    }
}
