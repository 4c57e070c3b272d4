//! `/hubs/{id}/profiles/new` and `/profiles/{id}`: create, edit and delete a profile.

use super::fields::{ProfileFields, blank_profile, profile_conflict_rows, profile_errors};
use super::inputs::ProfileInputs;
use super::list::profile_status;
use crate::api::profiles::{CreateProfile, DeleteProfile, ProfileEditor, UpdateProfile};
use crate::ui::form::{CreateForm, DeletePanel, EditForm, Names, answer_errors};
use crate::ui::hubs::HubCrumbs;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The create and the edit form name their inputs alike.
const NAMES: Names = Names::new("profile", "pf", "profile-form");

/// `/hubs/{id}/profiles/new`.
#[component]
pub fn NewProfile(editor: ProfileEditor) -> impl IntoView {
    let create = ServerAction::<CreateProfile>::new();
    let ProfileEditor {
        hub,
        siblings,
        volumes,
        ..
    } = editor;
    let mut blank = blank_profile();
    // The first profile of a hub is its default.
    if siblings.is_empty() {
        blank.is_default = "on".into();
    }
    let fields = ProfileFields::new(&blank);
    let siblings = StoredValue::new(siblings);
    let volumes = StoredValue::new(volumes);
    let errors = profile_errors(
        fields,
        None,
        siblings,
        volumes,
        answer_errors(create.value()),
    );
    let hub_id = hub.id;
    view! {
        <Title text="New profile" />
        <HubCrumbs hub_id hub_name=hub.spec.release_name.clone() here="New profile".to_string() />
        <div class="page-header">
            <h1>"New environment profile"</h1>
            <p class="muted">"For hub " <strong>{hub.spec.release_name.clone()}</strong> ". Every field is checked as you type, with the same rules the server applies."</p>
        </div>
        <section class="panel form-panel">
            <CreateForm
                action=create
                errors
                page="/profiles"
                names=NAMES
                summary=errors.summary(move |f| fields.locate(f))
                banner_fields=&["mounts"]
                cancel=format!("/hubs/{hub_id}")
            >
                <input type="hidden" name="hub_id" value=hub_id.to_string() />
                <ProfileInputs fields errors hub=hub.clone() profile_id=None siblings volumes />
            </CreateForm>
        </section>
    }
    .into_any()
}

/// `/profiles/{id}`.
#[component]
pub fn EditProfile(editor: ProfileEditor) -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let ProfileEditor {
        hub,
        profile,
        siblings,
        volumes,
    } = editor;
    let Some(profile) = profile else {
        return view! { <p>"Not found."</p> }.into_any();
    };
    let pid = profile.id;
    let fields = ProfileFields::new(&profile.spec.to_form());
    let saved = RwSignal::new(profile);
    let siblings = StoredValue::new(siblings);
    let volumes = StoredValue::new(volumes);
    let errors = profile_errors(
        fields,
        Some(pid),
        siblings,
        volumes,
        answer_errors(update.value()),
    );
    let conflict_rows = Callback::new(move |(stored, mine)| {
        volumes.with_value(|v| siblings.with_value(|s| profile_conflict_rows(&stored, &mine, v, s)))
    });
    let created = use_query_map().with_untracked(|q| q.get("created").is_some());
    let title = move || saved.with(|p| p.spec.display_name.clone());
    let hub_id = hub.id;
    let names: Vec<(i64, String)> = siblings.with_value(|s| {
        s.iter()
            .map(|p| (p.id, p.spec.display_name.clone()))
            .collect()
    });
    let delete = ServerAction::<DeleteProfile>::new();
    view! {
        <Title text=move || format!("Profile {}", title()) />
        <HubCrumbs hub_id hub_name=hub.spec.release_name.clone() here=Signal::derive(title) />
        <div class="page-header page-header-row">
            <div>
                <h1>{title}</h1>
                <p class="muted">
                    "Environment profile of hub " <a href=format!("/hubs/{hub_id}")>{hub.spec.release_name.clone()}</a>
                    " · " {move || saved.with(|p| profile_status(p, &names))}
                </p>
            </div>
            <div class="header-actions">
                <a class="btn" href=format!("/audit?target_type=profile&target_id={pid}")>"History"</a>
            </div>
        </div>
        <section class="panel form-panel">
            <EditForm action=update fields errors saved names=NAMES conflict_rows notice=created.then(|| "Profile created. Users of this hub can choose it now.".to_string()) summary=errors.summary(move |f| fields.locate(f)) banner_fields=&["mounts"]>
                <ProfileInputs fields errors hub=hub.clone() profile_id=Some(pid) siblings volumes />
            </EditForm>
        </section>
        <DeletePanel
            delete
            saved
            title="Delete profile"
            note="Users who picked it get the hub's default at their next start. To move them to a specific profile instead, mark this one deprecated and choose its replacement."
            confirm="Delete permanently"
            reason_id="delete-profile-reason"
            after=format!("/hubs/{hub_id}")
        />
    }
    .into_any()
}
