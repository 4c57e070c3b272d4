//! The editor shared by the hub, shared-volume and profile pages: the create form, the edit
//! form (banners, error summary, the conflict view with keep mine / discard mine, save) and
//! the delete panel with its reason. The pages give the inputs (children), the checks and the
//! conflict rows; everything about saving lives here once.

use super::answer::{ErrorBanner, ErrorSummary, SavedBanner, answer_banner, error_text};
use super::conflict::{ConflictRow, ConflictView};
use super::field::ReasonRow;
use super::shown::{Errors, Problem};
use crate::domain::hub::Hub;
use crate::domain::profile::Profile;
use crate::domain::volume::SharedVolume;
use crate::error::AppError;
use crate::ui::text::short_time;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::client::Client;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Http, ServerFn};
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use serde::de::DeserializeOwned;

/// A stored record the editor edits.
pub trait Record: Clone + DeserializeOwned + Send + Sync + 'static {
    /// The form's values as the browser submits them.
    type Form: Clone + Default + Send + Sync + 'static;
    fn id(&self) -> i64;
    /// The optimistic-locking version a save must carry.
    fn version(&self) -> i64;
    fn updated_at(&self) -> &str;
    fn to_form(&self) -> Self::Form;
}

macro_rules! record {
    ($record:ty, $form:ty) => {
        impl Record for $record {
            type Form = $form;
            fn id(&self) -> i64 {
                self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn updated_at(&self) -> &str {
                &self.updated_at
            }
            fn to_form(&self) -> Self::Form {
                self.spec.to_form()
            }
        }
    };
}
record!(Hub, crate::domain::hub::HubForm);
record!(SharedVolume, crate::domain::volume::VolumeForm);
record!(Profile, crate::domain::profile::ProfileForm);

/// The signals holding a form's values.
pub trait FormFields: Copy + Send + Sync + 'static {
    type Form;
    /// Replace every value (after a save, or to load the stored values).
    fn load(&self, form: &Self::Form);
    /// The current values (tracked).
    fn form(&self) -> Self::Form;
}

/// A server function posted by a `<form>` (so the forms also work before the page hydrates).
/// Implemented for every server function with the default URL-encoded input.
pub trait PostAction: ServerFn<Error = AppError> + Clone + Send + Sync + 'static {
    /// The `<form>` of this action, with `children` inside.
    fn form(action: ServerAction<Self>, attrs: FormAttrs, children: Children) -> AnyView;
}

/// The attributes of an action's `<form>`.
pub struct FormAttrs {
    pub class: &'static str,
    pub testid: Option<&'static str>,
    /// Runs before the form is sent; may stop it (`prevent_default`).
    pub on_submit: Box<dyn FnMut(SubmitEvent) + Send>,
}

impl<S, P> PostAction for S
where
    S: DeserializeOwned
        + ServerFn<Protocol = Http<PostUrl, P>, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
    <<S::Client as Client<AppError>>::Request as ClientReq<AppError>>::FormData:
        From<leptos::web_sys::FormData>,
    S::Output: Send + Sync + 'static,
    S::Client: Client<AppError>,
{
    fn form(action: ServerAction<Self>, attrs: FormAttrs, children: Children) -> AnyView {
        let FormAttrs {
            class,
            testid,
            on_submit,
        } = attrs;
        view! {
            <ActionForm action on:submit:capture=on_submit attr:class=class attr:novalidate=true attr:data-testid=testid>
                {children()}
            </ActionForm>
        }
        .into_any()
    }
}

/// The server function that saves an edited record.
pub trait SaveAction: PostAction<Output = <Self as SaveAction>::Record> {
    type Record: Record;
    /// Save `form` over the stored record `id`, which must still be at `version`.
    fn save(id: i64, version: i64, form: <Self::Record as Record>::Form, reason: String) -> Self;
}

macro_rules! save_action {
    ($action:ty, $record:ty) => {
        impl SaveAction for $action {
            type Record = $record;
            fn save(
                id: i64,
                version: i64,
                form: <$record as Record>::Form,
                reason: String,
            ) -> Self {
                Self {
                    id,
                    version,
                    form,
                    reason,
                }
            }
        }
    };
}
save_action!(crate::api::hubs::UpdateHub, Hub);
save_action!(crate::api::volumes::UpdateVolume, SharedVolume);
save_action!(crate::api::profiles::UpdateProfile, Profile);

/// How a form names itself: the record in its buttons ("hub": "Save hub", "Create hub"), the
/// prefix of its input ids (the reason is `{prefix}-reason`) and its `data-testid`.
#[derive(Clone, Copy)]
pub struct Names {
    pub noun: &'static str,
    pub prefix: &'static str,
    pub testid: &'static str,
}

impl Names {
    pub const fn new(noun: &'static str, prefix: &'static str, testid: &'static str) -> Self {
        Self {
            noun,
            prefix,
            testid,
        }
    }

    fn reason_id(self) -> String {
        format!("{}-reason", self.prefix)
    }
}

/// The error summary (when the form has one) above the action's form.
fn summarised_form<A: PostAction>(
    action: ServerAction<A>,
    testid: &'static str,
    summary: Option<Signal<Vec<Problem>>>,
    on_submit: impl FnMut(SubmitEvent) + Send + 'static,
    body: Children,
) -> impl IntoView {
    let attrs = FormAttrs {
        class: "stack",
        testid: Some(testid),
        on_submit: Box::new(on_submit),
    };
    view! {
        {summary.map(|problems| view! { <ErrorSummary problems /> })}
        {A::form(action, attrs, body)}
    }
}

/// The form's main button: `idle`, or `busy` (and disabled) while the action runs.
fn submit_button(pending: Memo<bool>, idle: String, busy: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
            {move || if pending.get() { busy.to_string() } else { idle.clone() }}
        </button>
    }
}

/// The form that creates a record: the inputs (children, with any hidden parent id), the
/// reason, and the submit button. The browser's checks stop a submit with problems; a created
/// record opens at `{page}/{id}?created=1`.
#[component]
pub fn CreateForm<A>(
    action: ServerAction<A>,
    errors: Errors,
    /// The record's page, e.g. `/hubs`.
    page: &'static str,
    names: Names,
    /// The problems listed above the form after a submit.
    #[prop(optional, into)]
    summary: Option<Signal<Vec<Problem>>>,
    /// Field errors shown in the banner (about no single input).
    #[prop(optional)]
    banner_fields: &'static [&'static str],
    #[prop(optional, into)] cancel: Option<String>,
    children: Children,
) -> impl IntoView
where
    A: PostAction,
    A::Output: Record,
{
    let value = action.value();
    let banner = answer_banner(value, banner_fields);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(r)) = value.get() {
            navigate(
                &format!("{page}/{}?created=1", r.id()),
                NavigateOptions::default(),
            );
        }
    });
    let on_submit = move |ev: SubmitEvent| {
        errors.shown.submit();
        if errors.blocks_submit() {
            ev.prevent_default();
        }
    };
    let pending = action.pending();
    let body: Children = Box::new(move || {
        view! {
            {children()}
            <ReasonRow id=names.reason_id() />
            <div class="form-footer">
                {submit_button(pending, format!("Create {}", names.noun), "Creating…")}
                {cancel.map(|href| view! { <a class="btn" href=href>"Cancel"</a> })}
            </div>
        }
        .into_any()
    });
    view! {
        <ErrorBanner message=banner />
        {summarised_form(action, names.testid, summary, on_submit, body)}
    }
}

/// The form that edits a stored record. After a save the form shows the saved values and
/// "Saved (version N)". A save that carried an old version shows the conflict view: "keep
/// mine" saves the submitted values over the stored version, "discard mine" loads the stored
/// values.
#[component]
pub fn EditForm<A, F>(
    action: ServerAction<A>,
    fields: F,
    errors: Errors,
    /// The stored record as last saved or loaded (the page header shows it too).
    saved: RwSignal<A::Record>,
    names: Names,
    /// The stored and the submitted values, field by field, for the conflict view.
    conflict_rows: Callback<(F::Form, F::Form), Vec<ConflictRow>>,
    /// A confirmation shown when the page opens (e.g. after the record was created).
    #[prop(default = None)]
    notice: Option<String>,
    #[prop(optional, into)] summary: Option<Signal<Vec<Problem>>>,
    #[prop(optional)] banner_fields: &'static [&'static str],
    children: Children,
) -> impl IntoView
where
    A: SaveAction,
    F: FormFields<Form = <A::Record as Record>::Form>,
{
    let value = action.value();
    let banner = answer_banner(value, banner_fields);
    let shown = errors.shown;
    let reason = RwSignal::new(String::new());
    let notice = RwSignal::new(notice);
    let submitted = RwSignal::new(None::<F::Form>);
    let conflict = RwSignal::new(None::<(String, A::Record)>);
    let id = saved.with_untracked(Record::id);
    Effect::new(move |_| match value.get() {
        Some(Ok(r)) => {
            fields.load(&r.to_form());
            reason.set(String::new());
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!("Saved (version {}).", r.version())));
            saved.set(r);
        }
        Some(Err(e)) => {
            notice.set(None);
            if let Some(stored) = e.stored::<A::Record>() {
                conflict.set(Some((e.to_string(), stored)));
            }
        }
        None => {}
    });
    let on_submit = move |ev: SubmitEvent| {
        shown.submit();
        notice.set(None);
        if errors.blocks_submit() {
            ev.prevent_default();
            return;
        }
        submitted.set(Some(untrack(|| fields.form())));
    };
    let keep = Callback::new(move |()| {
        if let (Some((_, stored)), Some(mine)) =
            (conflict.get_untracked(), submitted.get_untracked())
        {
            action.dispatch(A::save(id, stored.version(), mine, reason.get_untracked()));
        }
    });
    let discard = Callback::new(move |()| {
        if let Some((_, stored)) = conflict.get_untracked() {
            fields.load(&stored.to_form());
            shown.reset();
            conflict.set(None);
            notice.set(Some(format!(
                "Loaded the stored values (version {}). Your changes were discarded.",
                stored.version()
            )));
            saved.set(stored);
        }
    });
    let pending = action.pending();
    let body: Children = Box::new(move || {
        view! {
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="version" value=move || saved.with(|r| r.version().to_string()) />
            {children()}
            <ReasonRow id=names.reason_id() reason />
            <div class="form-footer">
                {submit_button(pending, format!("Save {}", names.noun), "Saving…")}
                <span class="hint">
                    {move || saved.with(|r| format!("Version {} · last saved {}", r.version(), short_time(r.updated_at())))}
                </span>
            </div>
        }
        .into_any()
    });
    view! {
        <SavedBanner message=notice />
        <ErrorBanner message=banner />
        {move || {
            conflict.get().map(|(message, stored)| {
                let mine = submitted.get_untracked().unwrap_or_default();
                view! {
                    <ConflictView
                        message
                        stored_version=stored.version()
                        rows=conflict_rows.run((stored.to_form(), mine))
                        on_keep=keep
                        on_discard=discard
                        pending
                    />
                }
            })
        }}
        {summarised_form(action, names.testid, summary, on_submit, body)}
    }
}

/// The danger zone under an edit form: a button that opens the delete form (with its reason),
/// then "delete permanently". A refused delete shows why; a deleted record leaves for `after`.
#[component]
pub fn DeletePanel<A, R>(
    delete: ServerAction<A>,
    /// The record being deleted (its id and current version are submitted).
    saved: RwSignal<R>,
    /// The panel's title, e.g. "Delete profile"; the opening button adds "…".
    title: &'static str,
    /// What deleting does (or why it would be refused).
    #[prop(into)]
    note: String,
    /// The confirming button, e.g. "Delete permanently".
    confirm: &'static str,
    reason_id: &'static str,
    /// Where to go once deleted.
    #[prop(into)]
    after: String,
) -> impl IntoView
where
    A: PostAction<Output = ()>,
    R: Record,
{
    let open = RwSignal::new(false);
    let value = delete.value();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            navigate(&after, NavigateOptions::default());
        }
    });
    let error = Signal::derive(move || value.with(|v| v.as_ref()?.as_ref().err().map(error_text)));
    let pending = delete.pending();
    let id = saved.with_untracked(Record::id);
    view! {
        <section class="panel danger-zone">
            <h2>{title}</h2>
            <p class="muted">{note}</p>
            <ErrorBanner message=error testid="delete-error" />
            <Show
                when=move || open.get()
                fallback=move || view! { <button type="button" class="btn btn-danger-outline" on:click=move |_| open.set(true)>{format!("{title}…")}</button> }
            >
                {A::form(
                    delete,
                    FormAttrs { class: "stack", testid: None, on_submit: Box::new(|_| {}) },
                    Box::new(move || {
                        view! {
                            <input type="hidden" name="id" value=id.to_string() />
                            <input type="hidden" name="version" value=move || saved.with(|r| r.version().to_string()) />
                            <ReasonRow id=reason_id short=true />
                            <div class="form-footer">
                                <button type="submit" class="btn btn-danger" disabled=move || pending.get()>{confirm}</button>
                                <button type="button" class="btn" on:click=move |_| open.set(false)>"Cancel"</button>
                            </div>
                        }
                        .into_any()
                    }),
                )}
            </Show>
        </section>
    }
}
