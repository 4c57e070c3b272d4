//! The hub form: its fields and inputs, used by the create form on `/hubs` and the edit form
//! on the hub's page, and the hub's delete panel.

use crate::api::hubs::{CreateHub, DeleteHub, UpdateHub};
use crate::domain::FieldErrors;
use crate::domain::hub::{DEFAULT_CHART_VERSION, Driver, Hub, HubForm};
use crate::domain::lifetime::{
    CHART_CONCURRENT_SPAWN_LIMIT, CHART_CULL_EVERY, CHART_CULL_TIMEOUT, CHART_HTTP_TIMEOUT,
    CHART_START_TIMEOUT, duration_text,
};
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
    cull_enabled: RwSignal<String>,
    cull_users: RwSignal<String>,
    cull_timeout: RwSignal<String>,
    cull_every: RwSignal<String>,
    cull_max_age: RwSignal<String>,
    start_timeout: RwSignal<String>,
    http_timeout: RwSignal<String>,
    concurrent_spawn_limit: RwSignal<String>,
    active_server_limit: RwSignal<String>,
    extra_values: RwSignal<String>,
}

impl HubFields {
    fn new(f: &HubForm) -> Self {
        Self {
            release_name: RwSignal::new(f.release_name.clone()),
            namespace: RwSignal::new(f.namespace.clone()),
            chart_version: RwSignal::new(f.chart_version.clone()),
            ingress_host: RwSignal::new(f.ingress_host.clone()),
            driver: RwSignal::new(f.driver.clone()),
            cull_enabled: RwSignal::new(f.cull_enabled.clone()),
            cull_users: RwSignal::new(f.cull_users.clone()),
            cull_timeout: RwSignal::new(f.cull_timeout.clone()),
            cull_every: RwSignal::new(f.cull_every.clone()),
            cull_max_age: RwSignal::new(f.cull_max_age.clone()),
            start_timeout: RwSignal::new(f.start_timeout.clone()),
            http_timeout: RwSignal::new(f.http_timeout.clone()),
            concurrent_spawn_limit: RwSignal::new(f.concurrent_spawn_limit.clone()),
            active_server_limit: RwSignal::new(f.active_server_limit.clone()),
            extra_values: RwSignal::new(f.extra_values.clone()),
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
        self.cull_enabled.set(f.cull_enabled.clone());
        self.cull_users.set(f.cull_users.clone());
        self.cull_timeout.set(f.cull_timeout.clone());
        self.cull_every.set(f.cull_every.clone());
        self.cull_max_age.set(f.cull_max_age.clone());
        self.start_timeout.set(f.start_timeout.clone());
        self.http_timeout.set(f.http_timeout.clone());
        self.concurrent_spawn_limit
            .set(f.concurrent_spawn_limit.clone());
        self.active_server_limit.set(f.active_server_limit.clone());
        self.extra_values.set(f.extra_values.clone());
    }

    fn form(&self) -> HubForm {
        HubForm {
            release_name: self.release_name.get(),
            namespace: self.namespace.get(),
            chart_version: self.chart_version.get(),
            ingress_host: self.ingress_host.get(),
            driver: self.driver.get(),
            cull_enabled: self.cull_enabled.get(),
            cull_users: self.cull_users.get(),
            cull_timeout: self.cull_timeout.get(),
            cull_every: self.cull_every.get(),
            cull_max_age: self.cull_max_age.get(),
            start_timeout: self.start_timeout.get(),
            http_timeout: self.http_timeout.get(),
            concurrent_spawn_limit: self.concurrent_spawn_limit.get(),
            active_server_limit: self.active_server_limit.get(),
            extra_values: self.extra_values.get(),
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
        ConflictRow::new(
            "Stop idle servers",
            choice(&stored.cull_enabled),
            choice(&mine.cull_enabled),
        ),
        ConflictRow::new("Idle timeout (s)", &stored.cull_timeout, &mine.cull_timeout),
        ConflictRow::new("Check every (s)", &stored.cull_every, &mine.cull_every),
        ConflictRow::new("Maximum age (s)", &stored.cull_max_age, &mine.cull_max_age),
        ConflictRow::new(
            "Remove idle users",
            choice(&stored.cull_users),
            choice(&mine.cull_users),
        ),
        ConflictRow::new(
            "Start timeout (s)",
            &stored.start_timeout,
            &mine.start_timeout,
        ),
        ConflictRow::new("HTTP timeout (s)", &stored.http_timeout, &mine.http_timeout),
        ConflictRow::new(
            "Servers starting at once",
            &stored.concurrent_spawn_limit,
            &mine.concurrent_spawn_limit,
        ),
        ConflictRow::new(
            "Servers running at once",
            &stored.active_server_limit,
            &mine.active_server_limit,
        ),
        ConflictRow::new("Extra values", &stored.extra_values, &mine.extra_values),
    ]
}

/// A chart-default / on / off select's value in words.
fn choice(v: &str) -> &'static str {
    match v {
        "on" => "on",
        "off" => "off",
        _ => "chart default",
    }
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
        <LifetimeInputs fields errors prefix />
        <ExtraValuesInput fields errors prefix />
    }
    .into_any()
}

/// The extra values: chart values Hubfleet does not generate, as YAML, checked as typed by
/// the same parser the server uses. A section that opens by itself when set or wrong.
#[component]
fn ExtraValuesInput(fields: HubFields, errors: Errors, prefix: &'static str) -> impl IntoView {
    let id = format!("{prefix}-extra_values");
    let initial = fields.extra_values.get_untracked();
    let initially_open = !initial.trim().is_empty();
    let has_error = move || errors.of("extra_values", "extra_values").is_some();
    let forced_open =
        Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || has_error());
    let lines = move || fields.extra_values.with(|v| v.lines().count());
    view! {
        <details class="form-section extra-values-section" data-testid="extra-values-section" open=initially_open prop:open=move || initially_open || forced_open.get()>
            <summary>
                <span class="summary-title">"Extra values"</span>
                " "
                <span class="muted summary-note">
                    {move || match lines() {
                        0 => "none: only what Hubfleet generates".to_string(),
                        1 => "1 line of chart values".to_string(),
                        n => format!("{n} lines of chart values"),
                    }}
                </span>
            </summary>
            <FieldRow label="Chart values Hubfleet does not generate (YAML)" id=id.clone() hint="A YAML mapping merged under the generated values, e.g. proxy.https, an authenticator's hub.config, singleuser.defaultUrl or scheduling. Where both set something, the hub's settings, profiles and shared volumes win; the values page lists what was overridden." error=errors.signal("extra_values")>
                <textarea
                    id=id
                    name="form[extra_values]"
                    class="code-input"
                    rows="8"
                    spellcheck="false"
                    autocapitalize="none"
                    placeholder="proxy:\n  https:\n    enabled: true"
                    prop:value=move || fields.extra_values.get()
                    on:input=move |ev| {
                        fields.extra_values.set(event_target_value(&ev));
                        errors.shown.touch("extra_values");
                    }
                >
                    {initial}
                </textarea>
            </FieldRow>
        </details>
    }
    .into_any()
}

const LIFETIME_FIELDS: [&str; 9] = [
    "cull_enabled",
    "cull_users",
    "cull_timeout",
    "cull_every",
    "cull_max_age",
    "start_timeout",
    "http_timeout",
    "concurrent_spawn_limit",
    "active_server_limit",
];

/// Idle culling, timeouts and limits: a section that opens by itself when the hub sets any
/// of them or one of them has an error. Empty fields keep the chart's default, shown as the
/// placeholder.
#[component]
fn LifetimeInputs(fields: HubFields, errors: Errors, prefix: &'static str) -> impl IntoView {
    let set_count = move || {
        fields
            .form()
            .to_lifetime_values()
            .iter()
            .filter(|v| !v.trim().is_empty())
            .count()
    };
    let initially_open = set_count() > 0;
    let has_error = move || LIFETIME_FIELDS.iter().any(|f| errors.of(f, f).is_some());
    // Opened once when one of its fields has an error, never closed by the form: the admin
    // may close it again (a plain closure would re-run, and close it, on every keystroke).
    let forced_open =
        Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || has_error());
    let choice_options = |on: &str, off: &str| {
        vec![
            ("on".to_string(), on.to_string()),
            ("off".to_string(), off.to_string()),
        ]
    };
    let cull_id = format!("{prefix}-cull_enabled");
    let users_id = format!("{prefix}-cull_users");
    let secs = |n: u32| format!("{n} ({})", duration_text(n));
    view! {
        <details class="form-section lifetime-section" data-testid="lifetime-section" open=initially_open prop:open=move || initially_open || forced_open.get()>
            <summary>
                <span class="summary-title">"Lifetime of servers"</span>
                " "
                <span class="muted summary-note">
                    {move || match set_count() {
                        0 => "idle culling, timeouts and limits: chart defaults".to_string(),
                        1 => "1 setting differs from the chart's default".to_string(),
                        n => format!("{n} settings differ from the chart's defaults"),
                    }}
                </span>
            </summary>
            <p class="hint">"Empty fields keep the chart's default, shown greyed in them. Times are in seconds."</p>
            <h3 class="subsection">"Stop idle servers"</h3>
            <div class="form-grid">
                <FieldRow label="Idle culling" id=cull_id.clone() hint="Stops servers nobody used for the idle timeout; files stay." error=errors.signal("cull_enabled")>
                    <SelectInput id=cull_id name="form[cull_enabled]" value=fields.cull_enabled on_change=errors.edit(fields.cull_enabled, "cull_enabled") empty="Default (on)" options=choice_options("On", "Off") />
                </FieldRow>
                <FieldRow label="Remove idle users" id=users_id.clone() hint="Also deletes idle users from JupyterHub (not their files). Default: no." error=errors.signal("cull_users")>
                    <SelectInput id=users_id name="form[cull_users]" value=fields.cull_users on_change=errors.edit(fields.cull_users, "cull_users") empty="Default (no)" options=choice_options("Yes", "No") />
                </FieldRow>
                <TextField errors prefix value=fields.cull_timeout field="cull_timeout" label="Idle timeout" hint=format!("Default {}.", secs(CHART_CULL_TIMEOUT)) placeholder=CHART_CULL_TIMEOUT.to_string() inputmode="numeric" />
                <TextField errors prefix value=fields.cull_every field="cull_every" label="Check every" hint=format!("Default {}.", secs(CHART_CULL_EVERY)) placeholder=CHART_CULL_EVERY.to_string() inputmode="numeric" />
                <TextField errors prefix value=fields.cull_max_age field="cull_max_age" label="Maximum age" hint="Stops servers this old even in use. Default 0: never." placeholder="0" inputmode="numeric" />
            </div>
            <h3 class="subsection">"Starting servers"</h3>
            <div class="form-grid">
                <TextField errors prefix value=fields.start_timeout field="start_timeout" label="Start timeout" hint=format!("To schedule and pull the image. Default {}.", secs(CHART_START_TIMEOUT)) placeholder=CHART_START_TIMEOUT.to_string() inputmode="numeric" />
                <TextField errors prefix value=fields.http_timeout field="http_timeout" label="HTTP timeout" hint=format!("For a started server to answer. Default {}.", secs(CHART_HTTP_TIMEOUT)) placeholder=CHART_HTTP_TIMEOUT.to_string() inputmode="numeric" />
                <TextField errors prefix value=fields.concurrent_spawn_limit field="concurrent_spawn_limit" label="Starting at once" hint=format!("Servers. Default {CHART_CONCURRENT_SPAWN_LIMIT}; 0: no limit.") placeholder=CHART_CONCURRENT_SPAWN_LIMIT.to_string() inputmode="numeric" />
                <TextField errors prefix value=fields.active_server_limit field="active_server_limit" label="Running at once" hint="Servers. Default: no limit (also 0)." placeholder="no limit" inputmode="numeric" />
            </div>
        </details>
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
