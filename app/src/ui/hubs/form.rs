//! The hub form: its fields and inputs, used by the create form on `/hubs` and the edit form
//! on the hub's page, and the hub's delete panel.

use crate::api::hubs::{CreateHub, DeleteHub, UpdateHub};
use crate::domain::FieldErrors;
use crate::domain::hub::{DEFAULT_CHART_VERSION, Driver, Hub, HubForm};
use crate::ui::form::{
    ConflictRow, CreateForm, DeletePanel, EditForm, Errors, FieldRow, FormFields, Names,
    SelectInput, TextField, answer_errors,
};
use leptos::prelude::*;

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
}

impl FormFields for HubFields {
    type Form = HubForm;

    fn load(&self, f: &HubForm) {
        self.release_name.set(f.release_name.clone());
        self.namespace.set(f.namespace.clone());
        self.chart_version.set(f.chart_version.clone());
        self.ingress_host.set(f.ingress_host.clone());
        self.driver.set(f.driver.clone());
    }

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

fn hub_conflict_rows((stored, mine): (HubForm, HubForm)) -> Vec<ConflictRow> {
    vec![
        ConflictRow::new("Release name", &stored.release_name, &mine.release_name),
        ConflictRow::new("Namespace", &stored.namespace, &mine.namespace),
        ConflictRow::new("Chart version", &stored.chart_version, &mine.chart_version),
        ConflictRow::new("Ingress host", &stored.ingress_host, &mine.ingress_host),
        ConflictRow::new("Driver", &stored.driver, &mine.driver),
    ]
}

/// The browser's checks of the hub form (the server runs the same).
fn hub_errors(fields: HubFields, server: Signal<Option<FieldErrors>>) -> Errors {
    Errors::new(Memo::new(move |_| fields.form().validate().err()), server)
}

/// The hub inputs, shared by the create and the edit form.
#[component]
fn HubInputs(fields: HubFields, errors: Errors, prefix: &'static str) -> impl IntoView {
    let drivers: Vec<(String, String)> = Driver::ALL
        .into_iter()
        .map(|d| (d.as_str().to_string(), d.label().to_string()))
        .collect();
    let driver_id = format!("{prefix}-driver");
    view! {
        <TextField errors prefix value=fields.release_name field="release_name" label="Release name" hint="The Helm release, e.g. data8-jupyterhub: lowercase letters, digits and '-', at most 53 characters." placeholder="data8-jupyterhub" />
        <TextField errors prefix value=fields.namespace field="namespace" label="Namespace" hint="The Kubernetes namespace the hub and its users' servers run in." placeholder="jupyterhub" />
        <TextField errors prefix value=fields.chart_version field="chart_version" label="Chart version" hint=format!("The zero-to-jupyterhub chart version; Hubfleet is tested with {DEFAULT_CHART_VERSION}.") placeholder=DEFAULT_CHART_VERSION />
        <TextField errors prefix value=fields.ingress_host field="ingress_host" label="Ingress host (optional)" hint="The host name users open, e.g. hub.example.org. Leave empty for no ingress." placeholder="hub.example.org" />
        <FieldRow label="Driver" id=driver_id.clone() hint="How Hubfleet installs and upgrades the Helm release." error=errors.signal("driver")>
            <SelectInput id=driver_id name="form[driver]" value=fields.driver on_change=errors.edit(fields.driver, "driver") options=drivers />
        </FieldRow>
    }
    .into_any()
}

/// The form that adds a hub (on `/hubs`).
#[component]
pub fn CreateHubForm(create: ServerAction<CreateHub>) -> impl IntoView {
    let fields = HubFields::new(&blank_hub());
    let errors = hub_errors(fields, answer_errors(create.value()));
    view! {
        <CreateForm action=create errors page="/hubs" names=Names::new("hub", "new-hub", "create-hub-form")>
            <HubInputs fields errors prefix="new-hub" />
        </CreateForm>
    }
}

/// The hub's settings on its page.
#[component]
pub fn EditHubForm(saved: RwSignal<Hub>) -> impl IntoView {
    let update = ServerAction::<UpdateHub>::new();
    let fields = HubFields::new(&saved.with_untracked(|h| h.spec.to_form()));
    let errors = hub_errors(fields, answer_errors(update.value()));
    view! {
        <EditForm action=update fields errors saved names=Names::new("hub", "hub", "edit-hub-form") conflict_rows=Callback::new(hub_conflict_rows)>
            <HubInputs fields errors prefix="hub" />
        </EditForm>
    }
}

/// Removing a hub that has no profiles or shared volumes.
#[component]
pub fn DeleteHubPanel(saved: RwSignal<Hub>) -> impl IntoView {
    let delete = ServerAction::<DeleteHub>::new();
    view! {
        <DeletePanel
            delete
            saved
            title="Remove hub"
            note="This hub has no profiles or shared volumes. Removing it deletes Hubfleet's record only; uninstall the Helm release separately if it is installed."
            confirm="Remove permanently"
            reason_id="delete-hub-reason"
            after="/hubs"
        />
    }
}
