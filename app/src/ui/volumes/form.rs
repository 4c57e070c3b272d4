//! The shared-volume form: its fields, the browser's checks and the inputs, used by the
//! create and the edit page.

use crate::domain::FieldErrors;
use crate::domain::mount::check_against_mounts;
use crate::domain::profile::{Profile, slugify};
use crate::domain::validate::{checkbox_value, parse_checkbox};
use crate::domain::volume::{AccessMode, VolumeForm, VolumeMode, check_hub_namespace};
use crate::ui::form::{
    CheckRow, ConflictRow, Errors, FieldRow, FormFields, SelectInput, TextField,
};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct VolumeFields {
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
    pub fn new(f: &VolumeForm) -> Self {
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
}

impl FormFields for VolumeFields {
    type Form = VolumeForm;

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
}

fn yes_no(v: &str) -> String {
    if parse_checkbox("x", v).unwrap_or(false) {
        "yes".into()
    } else {
        "no".into()
    }
}

pub fn volume_conflict_rows((stored, mine): (VolumeForm, VolumeForm)) -> Vec<ConflictRow> {
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

/// The errors of a shared-volume form: the browser's checks of [`check_volume`] and the
/// server's answer. `profiles` are the hub's profiles (to check an existing volume's mounts).
pub fn volume_errors(
    fields: VolumeFields,
    hub_namespace: String,
    id: Option<i64>,
    profiles: StoredValue<Vec<Profile>>,
    server: Signal<Option<FieldErrors>>,
) -> Errors {
    let client = Memo::new(move |_| {
        let f = fields.form();
        profiles.with_value(|p| check_volume(&f, &hub_namespace, id, p))
    });
    Errors::new(client, server)
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
pub fn VolumeInputs(
    fields: VolumeFields,
    errors: Errors,
    hub_namespace: String,
    /// New volume: the PVC name follows the name until edited.
    follow_name: bool,
) -> impl IntoView {
    let err = move |f: &'static str| errors.signal(f);
    let id = |f: &str| format!("vol-{f}");
    let name = |f: &str| format!("form[{f}]");
    let shown = errors.shown;
    let pvc_follows = RwSignal::new(follow_name);
    let on_name = Callback::new(move |v: String| {
        if pvc_follows.get_untracked() {
            fields.pvc_name.set(slugify(&v));
        }
    });
    let on_pvc = Callback::new(move |_: String| pvc_follows.set(false));
    let on_create_pvc = Callback::new(move |b: bool| {
        fields.create_pvc.set(b);
        shown.touch("create_pvc");
        shown.touch("size");
    });
    let access_modes: Vec<(String, String)> = AccessMode::ALL
        .into_iter()
        .map(|m| (m.as_str().to_string(), m.label().to_string()))
        .collect();
    let volume_modes: Vec<(String, String)> = VolumeMode::ALL
        .into_iter()
        .map(|m| (m.as_str().to_string(), m.as_str().to_string()))
        .collect();
    view! {
        <div class="form-grid">
            <TextField errors prefix="vol" value=fields.name field="name" label="Name" hint="Shown to admins and in profile forms, e.g. course-data." placeholder="claim-share" on_change=on_name />
            <TextField errors prefix="vol" value=fields.pvc_name field="pvc_name" label="PVC name" hint="The PersistentVolumeClaim's name in Kubernetes." placeholder="claim-share" on_change=on_pvc />
            <TextField errors prefix="vol" value=fields.namespace field="namespace" label="Namespace" hint=format!("Must be the hub's namespace, {hub_namespace}: a server can only mount claims of its own namespace.") />
            <TextField errors prefix="vol" value=fields.size field="size" label="Size" hint="Kubernetes quantity, e.g. 10Gi. Required when Hubfleet creates the claim." placeholder="10Gi" />
            <FieldRow label="Access mode" id=id("access_mode") hint="Shared by many users' servers: ReadWriteMany (or ReadOnlyMany)." error=err("access_mode")>
                <SelectInput id=id("access_mode") name=name("access_mode") value=fields.access_mode on_change=errors.edit(fields.access_mode, "access_mode") options=access_modes />
            </FieldRow>
            <TextField errors prefix="vol" value=fields.storage_class field="storage_class" label="Storage class (optional)" hint="Empty: the cluster's default storage class." placeholder="glusterfs" />
            <FieldRow label="Volume mode" id=id("volume_mode") hint="Filesystem for anything mounted as a directory." error=err("volume_mode")>
                <SelectInput id=id("volume_mode") name=name("volume_mode") value=fields.volume_mode on_change=errors.edit(fields.volume_mode, "volume_mode") options=volume_modes />
            </FieldRow>
        </div>
        <CheckRow
            label="Hubfleet creates the PVC"
            id=id("create_pvc")
            name=name("create_pvc")
            checked=fields.create_pvc
            on_change=on_create_pvc
            hint="Ticked: Hubfleet creates (and owns) the claim with this size and class. Unticked: the claim already exists and is only mounted."
            error=err("create_pvc")
        />
    }
    .into_any()
}
