//! Account administration: create accounts, change role and groups, disable.

use super::form::{FieldRow, answer_errors, server_form_error};
use crate::api::users::{CreateUser, ResetUserPassword, UpdateUser, list_users};
use crate::domain::user::{
    NewUserForm, Role, SessionUser, UserSummary, parse_groups, validate_password, validate_username,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<ResetUserPassword>::new();
    // A reset does not reload the table: its row keeps showing the one-time password.
    let users = Resource::new(
        move || (create.version().get(), update.version().get()),
        |_| list_users(),
    );
    view! {
        <Title text="Users" />
        <div class="page-header">
            <h1>"Users"</h1>
            <p class="muted">"Accounts that can sign in to Hubfleet. Groups decide which environment profiles a user may pick. "
                <a href="/servers" data-testid="users-servers-link">"Every user's server and its state →"</a>
            </p>
        </div>
        <div class="split">
            <section class="panel">
                <h2>"Accounts"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let list = users.await?;
                        Ok::<_, crate::error::AppError>(view! { <UserTable users=list update reset /> })
                    })}
                </Transition>
            </section>
            <section class="panel">
                <h2>"New account"</h2>
                <CreateUserForm create />
            </section>
        </div>
    }
}

#[component]
fn CreateUserForm(create: ServerAction<CreateUser>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let groups = RwSignal::new(String::new());
    let touched = RwSignal::new(Vec::<&'static str>::new());
    let touch = move |f: &'static str| {
        touched.update(|t| {
            if !t.contains(&f) {
                t.push(f)
            }
        })
    };
    let value = create.value();
    let server_errors = answer_errors(value);
    let form_error = server_form_error(value);
    // The same validators as the server, run as the admin types.
    let client_error = move |f: &'static str| -> Option<String> {
        if !touched.with(|t| t.contains(&f)) {
            return None;
        }
        match f {
            "username" => validate_username(username.get().trim()).err(),
            "password" => validate_password(&password.get()).err(),
            "groups" => parse_groups(&groups.get()).err(),
            _ => None,
        }
        .map(|e| e.message)
    };
    let err = move |f: &'static str| {
        Signal::derive(move || {
            client_error(f).or_else(|| {
                server_errors
                    .get()
                    .and_then(|e| e.get(f).map(str::to_string))
            })
        })
    };
    let created = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(u)) = value.get() {
            created.set(Some(u.username.clone()));
            username.set(String::new());
            password.set(String::new());
            groups.set(String::new());
            touched.set(Vec::new());
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        touched.set(vec!["username", "password", "groups"]);
        let form = NewUserForm {
            username: username.get_untracked(),
            password: password.get_untracked(),
            role: "user".into(),
            groups: groups.get_untracked(),
        };
        if form.validate().is_err() {
            ev.prevent_default();
        }
        created.set(None);
    };
    view! {
        {move || created.get().map(|name| view! { <div class="alert alert-success" role="status">"Account " <strong>{name}</strong> " created."</div> })}
        {move || form_error.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
        <ActionForm action=create on:submit:capture=on_submit attr:class="stack" attr:novalidate=true attr:data-testid="create-user-form">
            <FieldRow label="Username" id="new-username" hint="Lowercase letters, digits, . _ - @ — the same name the user has in JupyterHub." error=err("username")>
                <input
                    id="new-username"
                    name="form[username]"
                    type="text"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    prop:value=username
                    on:input=move |ev| { username.set(event_target_value(&ev)); touch("username"); }
                />
            </FieldRow>
            <FieldRow label="Initial password" id="new-password" hint="At least 10 characters. Share it with the user over a safe channel." error=err("password")>
                <input
                    id="new-password"
                    name="form[password]"
                    type="password"
                    autocomplete="new-password"
                    prop:value=password
                    on:input=move |ev| { password.set(event_target_value(&ev)); touch("password"); }
                />
            </FieldRow>
            <FieldRow label="Role" id="new-role" error=err("role")>
                <select id="new-role" name="form[role]">
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::User>{r.label()}</option> }).collect_view()}
                </select>
            </FieldRow>
            <FieldRow label="Groups" id="new-groups" hint="Comma-separated, e.g. data-science, physics. New groups are created." error=err("groups")>
                <input
                    id="new-groups"
                    name="form[groups]"
                    type="text"
                    autocomplete="off"
                    prop:value=groups
                    on:input=move |ev| { groups.set(event_target_value(&ev)); touch("groups"); }
                />
            </FieldRow>
            <FieldRow label="Reason (optional)" id="new-reason" hint="Kept in the audit trail.">
                <input id="new-reason" name="reason" type="text" autocomplete="off" />
            </FieldRow>
            <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                {move || if create.pending().get() { "Creating…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}

#[component]
fn UserTable(
    users: Vec<UserSummary>,
    update: ServerAction<UpdateUser>,
    reset: ServerAction<ResetUserPassword>,
) -> impl IntoView {
    if users.is_empty() {
        return view! { <p class="muted">"No accounts yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="users-table">
                <thead>
                    <tr>
                        <th scope="col">"Username"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Groups"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last sign-in"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {users.into_iter().map(|u| view! { <UserRow user=u update reset /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn UserRow(
    user: UserSummary,
    update: ServerAction<UpdateUser>,
    reset: ServerAction<ResetUserPassword>,
) -> impl IntoView {
    // The one-time password of this row's last reset, shown until the page is left.
    let one_time = RwSignal::new(None::<String>);
    let id = user.id;
    Effect::new(move |_| {
        if let Some(Ok(pw)) = reset.value().get()
            && pw.user_id == id
        {
            one_time.set(Some(pw.password));
        }
    });
    let editing = RwSignal::new(false);
    let u = StoredValue::new(user.clone());
    let last = user
        .last_login_at
        .clone()
        .map(|t| t.replace('T', " ").chars().take(16).collect::<String>())
        .unwrap_or_else(|| "never".into());
    view! {
        <tr data-username=user.username.clone()>
            <td><strong>{user.username.clone()}</strong></td>
            <td>
                <span class="badge" class:badge-admin=user.role == Role::Admin>{user.role.label()}</span>
            </td>
            <td>
                {if user.groups.is_empty() {
                    view! { <span class="muted">"—"</span> }.into_any()
                } else {
                    user.groups.iter().map(|g| view! { <span class="chip">{g.clone()}</span> }).collect_view().into_any()
                }}
            </td>
            <td>
                {if user.disabled {
                    view! { <span class="status status-bad">"Disabled"</span> }.into_any()
                } else {
                    view! { <span class="status status-ok">"Enabled"</span> }.into_any()
                }}
                {user.must_change_password.then(|| view! {
                    <span class="badge badge-warn" title="Signs in with a one-time password and must choose a new one">"one-time password"</span>
                })}
            </td>
            <td class="nowrap">{last}</td>
            <td class="actions">
                <button
                    type="button"
                    class="btn btn-small"
                    aria-expanded=move || editing.get().to_string()
                    on:click=move |_| editing.update(|e| *e = !*e)
                >
                    {move || if editing.get() { "Close" } else { "Edit" }}
                </button>
            </td>
        </tr>
        <Show when=move || editing.get()>
            <tr class="edit-row">
                <td colspan="6">
                    <EditUserForm user=u.get_value() update />
                    <ResetPasswordForm user=u.get_value() reset one_time />
                </td>
            </tr>
        </Show>
    }
}

#[component]
fn EditUserForm(user: UserSummary, update: ServerAction<UpdateUser>) -> impl IntoView {
    let value = update.value();
    let id = user.id;
    // Only show answers that belong to this row's submission.
    let mine = move || update.input().get().map(|i| i.id == id).unwrap_or(true);
    let server_errors = answer_errors(value);
    let form_error = server_form_error(value);
    let err = move |f: &'static str| {
        Signal::derive(move || {
            if !mine() {
                return None;
            }
            server_errors
                .get()
                .and_then(|e| e.get(f).map(str::to_string))
        })
    };
    let groups = user.groups.join(", ");
    let role_id = format!("edit-{}-role", user.id);
    let groups_id = format!("edit-{}-groups", user.id);
    let status_id = format!("edit-{}-status", user.id);
    let reason_id = format!("edit-{}-reason", user.id);
    view! {
        {move || form_error.get().filter(|_| mine()).map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
        <ActionForm action=update attr:class="inline-edit" attr:novalidate=true>
            <input type="hidden" name="id" value=user.id.to_string() />
            <input type="hidden" name="version" value=user.version.to_string() />
            <FieldRow label="Role" id=role_id.clone() error=err("role")>
                <select id=role_id.clone() name="form[role]">
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == user.role>{r.label()}</option> }).collect_view()}
                </select>
            </FieldRow>
            <FieldRow label="Groups" id=groups_id.clone() error=err("groups")>
                <input id=groups_id.clone() name="form[groups]" type="text" value=groups />
            </FieldRow>
            <FieldRow label="Status" id=status_id.clone() hint="A disabled account cannot sign in; its open sessions stop working." error=err("status")>
                <select id=status_id.clone() name="form[status]">
                    <option value="enabled" selected=!user.disabled>"Enabled"</option>
                    <option value="disabled" selected=user.disabled>"Disabled"</option>
                </select>
            </FieldRow>
            <FieldRow label="Reason (optional)" id=reason_id.clone()>
                <input id=reason_id.clone() name="reason" type="text" />
            </FieldRow>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || update.pending().get()>"Save changes"</button>
            </div>
        </ActionForm>
    }
}

/// An administrator resets another account's password: a random one-time password, shown
/// here once, that the account must change at its next sign-in; its sessions end.
#[component]
fn ResetPasswordForm(
    user: UserSummary,
    reset: ServerAction<ResetUserPassword>,
    one_time: RwSignal<Option<String>>,
) -> impl IntoView {
    let me = use_context::<SessionUser>().is_some_and(|me| me.id == user.id);
    if me {
        return view! {
            <p class="hint reset-password">
                "To change your own password, use " <a href=crate::domain::access::PASSWORD_PAGE>"Change password"</a> "."
            </p>
        }
        .into_any();
    }
    let id = user.id;
    // Errors are shown in the rows that submitted a reset.
    let submitted = RwSignal::new(false);
    let mine = move || submitted.get();
    let form_error = server_form_error(reset.value());
    let reason_id = format!("reset-{id}-reason");
    let name = user.username.clone();
    view! {
        <div class="reset-password" data-testid="reset-password">
            {move || one_time.get().map(|pw| view! {
                <div class="alert alert-success" role="status" data-testid="reset-password-result">
                    "One-time password for " <strong>{name.clone()}</strong> ": "
                    <code class="one-time-password" data-testid="one-time-password">{pw}</code>
                    <br />
                    "Pass it on over a safe channel: it is not shown again. "
                    {name.clone()} " must choose a new password at the next sign-in; their open sessions have ended."
                </div>
            })}
            {move || form_error.get().filter(|_| mine()).map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            <ActionForm action=reset on:submit:capture=move |_| submitted.set(true) attr:class="inline-edit" attr:novalidate=true>
                <input type="hidden" name="id" value=id.to_string() />
                <FieldRow label="Reason for the reset (optional)" id=reason_id.clone() hint="Sets a random one-time password and signs the account out everywhere. Kept in the audit trail.">
                    <input id=reason_id.clone() name="reason" type="text" autocomplete="off" />
                </FieldRow>
                <div class="form-actions">
                    <button type="submit" class="btn" disabled=move || reset.pending().get()>"Reset password"</button>
                </div>
            </ActionForm>
        </div>
    }
    .into_any()
}
