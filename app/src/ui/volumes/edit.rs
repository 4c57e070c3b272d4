//! `/hubs/{id}/volumes/new` and `/volumes/{id}`: create, edit and delete a shared volume.

use super::form::{VolumeFields, VolumeInputs, volume_conflict_rows, volume_errors};
use crate::api::volumes::{CreateVolume, DeleteVolume, UpdateVolume, VolumeEditor};
use crate::domain::volume::{AccessMode, VolumeForm, VolumeMode};
use crate::ui::form::{CreateForm, DeletePanel, EditForm, Names, answer_errors};
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
