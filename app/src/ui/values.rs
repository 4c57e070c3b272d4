//! `/hubs/{id}/values`: the hub's generated z2jh values — the YAML (highlighted), its digest,
//! the validation result with links to the forms that hold each wrong value, the diff against
//! an earlier version (unified or side by side), every recorded version, the download, and the
//! hub's API tokens (the hub uses one to ask Hubfleet for its users' profiles).

use super::diff::{Hunks, LayoutToggle};
use super::form::FieldRow;
use super::text::short_time;
use crate::api::tokens::{CreateHubToken, RevokeHubToken, list_hub_tokens};
use crate::api::values::{RecordValuesVersion, get_values_preview};
use crate::error::AppError;
use crate::values::highlight::highlight;
use crate::values::{
    ApiToken, NewToken, ValuesDiff, ValuesError, ValuesPreview, VersionSummary, token_secret_name,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn short_digest(d: &str) -> String {
    d.chars().take(12).collect()
}

/// Where an error's field is on its form: the form page, with an anchor for the profile
/// form's plain fields.
fn error_href(e: &ValuesError) -> String {
    let plain = !e.field.is_empty() && !e.field.contains(['[', '.']);
    if e.target == crate::values::TargetKind::Profile && plain {
        format!("{}#pf-{}", e.link, e.field)
    } else {
        e.link.clone()
    }
}

#[component]
pub fn ValuesPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let against = RwSignal::new(None::<i64>);
    // Every resource and action of the page is created here, outside the Suspense: resources
    // created while a Suspend renders would not line up between the server and hydration.
    let create = ServerAction::<CreateHubToken>::new();
    let revoke = ServerAction::<RevokeHubToken>::new();
    let tokens = Resource::new(
        move || (id.get(), create.version().get(), revoke.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => list_hub_tokens(id).await,
                None => Err(AppError::NotFound("This hub".into())),
            }
        },
    );
    let actions = TokenActions {
        create,
        revoke,
        tokens,
    };
    let record = ServerAction::<RecordValuesVersion>::new();
    let preview = Resource::new(
        move || (id.get(), against.get(), record.version().get()),
        |(id, against, _)| async move {
            match id {
                Some(id) => get_values_preview(id, against).await,
                None => Err(AppError::NotFound("This hub".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Generating the values…"</p> }>
            {move || Suspend::new(async move {
                let p = preview.await?;
                Ok::<_, AppError>(view! { <ValuesView preview=p against actions record /> })
            })}
        </Suspense>
    }
}

/// The token list and the actions that change it.
#[derive(Clone, Copy)]
struct TokenActions {
    create: ServerAction<CreateHubToken>,
    revoke: ServerAction<RevokeHubToken>,
    tokens: Resource<Result<Vec<ApiToken>, AppError>>,
}

#[component]
fn ValuesView(
    preview: ValuesPreview,
    against: RwSignal<Option<i64>>,
    actions: TokenActions,
    record: ServerAction<RecordValuesVersion>,
) -> impl IntoView {
    let ValuesPreview {
        hub_id,
        hub_name,
        namespace,
        yaml,
        digest,
        errors,
        notes,
        version,
        next_version,
        pending_cause,
        versions,
        diff,
    } = preview;
    let title = format!("Values of {hub_name}");
    let valid = errors.is_empty();
    let version_no = version.as_ref().map(|v| v.version);
    let version_fact = match &version {
        Some(v) => view! {
            <span data-testid="values-version">{format!("v{}", v.version)}</span>
            <span class="muted">{format!(" recorded {} by {}", short_time(&v.created_at), v.created_by)}</span>
        }
        .into_any(),
        None => view! { <RecordForm record hub_id digest=digest.clone() next_version /> }.into_any(),
    };
    let download = format!("/hubs/{hub_id}/values/config.yaml");
    view! {
        <Title text=title.clone() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/hubs">"Hubs"</a>
            <span aria-hidden="true">" / "</span>
            <a href=format!("/hubs/{hub_id}")>{hub_name.clone()}</a>
            <span aria-hidden="true">" / "</span>
            <span>"Values"</span>
        </nav>
        <div class="page-header page-header-row">
            <div>
                <h1>{title}</h1>
                <p class="muted">
                    "What Hubfleet gives " <code>"helm upgrade --install " {hub_name.clone()} " jupyterhub/jupyterhub -n " {namespace.clone()} " -f config.yaml"</code>
                    ", generated from the hub, its profiles and shared volumes."
                </p>
            </div>
            <div class="header-actions">
                <a class="btn btn-primary" href=download.clone() download="config.yaml" rel="external" data-testid="download-values">"Download config.yaml"</a>
            </div>
        </div>
        <section class="panel values-summary" data-testid="values-summary">
            <dl class="values-facts">
                <div>
                    <dt>"Validation"</dt>
                    <dd>
                        {if valid {
                            view! { <span class="status status-ok" data-testid="values-valid">"Valid"</span> }.into_any()
                        } else {
                            let n = errors.len();
                            view! { <span class="status status-bad" data-testid="values-invalid">{format!("{n} problem{}", if n == 1 { "" } else { "s" })}</span> }.into_any()
                        }}
                        <span class="muted">" chart 4.4.0 schema and KubeSpawner rules"</span>
                    </dd>
                </div>
                <div>
                    <dt>"Digest (sha256)"</dt>
                    <dd><code class="values-digest" title=digest.clone() data-testid="values-digest">{short_digest(&digest)}</code></dd>
                </div>
                <div>
                    <dt>"Version"</dt>
                    <dd>{version_fact}</dd>
                </div>
            </dl>
            {(!notes.is_empty()).then(|| view! {
                <ul class="values-notes">
                    {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
            })}
        </section>
        {(!valid).then(|| view! { <ErrorList errors /> })}
        <div class="values-grid">
            <section class="panel values-yaml-panel">
                <h2>"config.yaml"</h2>
                <YamlView yaml />
            </section>
            <section class="panel values-history">
                <h2>"Changes"</h2>
                <DiffPanel diff versions=versions.clone() current=version_no pending_cause against />
                <h3>"Versions"</h3>
                <VersionTable versions hub_id />
            </section>
        </div>
        <TokensPanel hub_id hub_name namespace actions />
    }
}

/// "Not recorded" and the button that records the values shown (by their digest: if they
/// changed meanwhile, the server refuses and the page shows why).
#[component]
fn RecordForm(
    record: ServerAction<RecordValuesVersion>,
    hub_id: i64,
    digest: String,
    next_version: i64,
) -> impl IntoView {
    let failed = move || match record.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <span class="status status-warn" data-testid="values-unrecorded">"Not recorded"</span>
        <ActionForm action=record attr:class="inline-form" attr:data-testid="record-values-form">
            <input type="hidden" name="hub_id" value=hub_id.to_string() />
            <input type="hidden" name="digest" value=digest />
            <button type="submit" class="btn btn-small" data-testid="record-values" disabled=move || record.pending().get()>
                {format!("Record as v{next_version}")}
            </button>
        </ActionForm>
        <span class="muted">" Showing values records nothing; record the version you hand to Helm."</span>
        {move || failed().map(|m| view! { <p class="field-error" role="alert" data-testid="record-values-error">{m}</p> })}
    }
}

#[component]
fn ErrorList(errors: Vec<ValuesError>) -> impl IntoView {
    view! {
        <section class="panel values-errors" role="alert" data-testid="values-errors">
            <h2>"Problems"</h2>
            <p class="muted">"Each problem links to the form that holds the value. Fix it there; the values are generated again when you come back."</p>
            <ul>
                {errors
                    .into_iter()
                    .map(|e| {
                        let href = error_href(&e);
                        let field = (!e.field.is_empty()).then(|| view! { " · field " <code>{e.field.clone()}</code> });
                        view! {
                            <li data-target=e.target.as_str() data-field=e.field.clone()>
                                <a href=href>{format!("{} \"{}\"", e.target.label(), e.target_name)}</a>
                                {field}
                                ": " {e.message.clone()}
                                {(!e.values_path.is_empty()).then(|| view! { <span class="muted values-path">" (" <code>{e.values_path.clone()}</code> ")"</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// The YAML with line numbers and highlighting.
#[component]
pub(super) fn YamlView(yaml: String) -> impl IntoView {
    let lines = highlight(&yaml);
    view! {
        <pre class="yaml" data-testid="values-yaml"><code>
            {lines
                .into_iter()
                .enumerate()
                .map(|(i, spans)| {
                    view! {
                        <span class="yaml-line">
                            <span class="yaml-ln" aria-hidden="true">{(i + 1).to_string()}</span>
                            {spans
                                .into_iter()
                                .map(|(kind, text)| view! { <span class=kind.class()>{text}</span> })
                                .collect_view()}
                            "\n"
                        </span>
                    }
                })
                .collect_view()}
        </code></pre>
    }
}

#[component]
fn DiffPanel(
    diff: Option<ValuesDiff>,
    versions: Vec<VersionSummary>,
    /// The recorded version shown; `None`: the values shown are not recorded.
    current: Option<i64>,
    pending_cause: String,
    against: RwSignal<Option<i64>>,
) -> impl IntoView {
    let side = RwSignal::new(false);
    let older: Vec<i64> = versions
        .iter()
        .map(|v| v.version)
        .filter(|v| Some(*v) != current)
        .collect();
    let (why, cause) = match current {
        Some(c) => (
            format!("Why v{c}: "),
            versions
                .iter()
                .find(|v| v.version == c)
                .map(|v| v.cause.clone())
                .unwrap_or_default(),
        ),
        None => (
            "Changed since the latest version: ".to_string(),
            pending_cause,
        ),
    };
    // A diff's end that is no recorded version is the values shown, not recorded yet.
    let recorded: Vec<i64> = versions.iter().map(|v| v.version).collect();
    let label = move |v: i64| {
        if recorded.contains(&v) {
            format!("v{v}")
        } else {
            "now".to_string()
        }
    };
    view! {
        <div class="diff-toolbar">
            {(!older.is_empty()).then(|| {
                let selected = diff.as_ref().map(|d| d.from);
                view! {
                    <label for="diff-against">"Compare with "</label>
                    <select
                        id="diff-against"
                        on:change=move |ev| {
                            against.set(event_target_value(&ev).parse::<i64>().ok());
                        }
                    >
                        {older.iter().map(|v| {
                            let v = *v;
                            view! { <option value=v.to_string() selected=Some(v) == selected>{format!("v{v}")}</option> }
                        }).collect_view()}
                    </select>
                }
            })}
            <LayoutToggle side />
        </div>
        <div class="values-cause">
            <strong>{why}</strong>
            <pre class="cause">{cause}</pre>
        </div>
        {match diff {
            None if current.is_none() => view! { <p class="muted" data-testid="values-diff-none">"Nothing is recorded yet: record these values to start their history."</p> }.into_any(),
            None => view! { <p class="muted" data-testid="values-diff-none">"This is the first version: nothing to compare with yet."</p> }.into_any(),
            Some(d) if d.hunks.is_empty() => view! { <p class="muted">{format!("{} and {} are identical.", label(d.from), label(d.to))}</p> }.into_any(),
            Some(d) => {
                let hunks = d.hunks.clone();
                view! {
                    <p class="diff-stats" data-testid="values-diff-stats">
                        {format!("{} → {}: ", label(d.from), label(d.to))}
                        <span class="diff-add-count">{format!("+{}", d.added)}</span>
                        " "
                        <span class="diff-del-count">{format!("−{}", d.removed)}</span>
                    </p>
                    <div class="values-diff" data-testid="values-diff">
                        <Hunks hunks side />
                    </div>
                }
                .into_any()
            }
        }}
    }
}

#[component]
fn VersionTable(versions: Vec<VersionSummary>, hub_id: i64) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="values-versions">
                <thead>
                    <tr>
                        <th scope="col">"Version"</th>
                        <th scope="col">"Digest"</th>
                        <th scope="col">"Recorded"</th>
                        <th scope="col">"Valid"</th>
                        <th scope="col"><span class="sr-only">"Download"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {versions.into_iter().map(|v| view! {
                        <tr title=v.cause.clone()>
                            <td>{format!("v{}", v.version)}</td>
                            <td><code title=v.digest.clone()>{short_digest(&v.digest)}</code></td>
                            <td class="nowrap">{short_time(&v.created_at)} <span class="muted">{format!(" by {}", v.created_by)}</span></td>
                            <td>{if v.valid { "yes" } else { "no" }}</td>
                            <td><a href=format!("/hubs/{hub_id}/values/config.yaml?version={}", v.version) download=format!("config-v{}.yaml", v.version) rel="external">"Download"</a></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn TokensPanel(
    hub_id: i64,
    hub_name: String,
    namespace: String,
    actions: TokenActions,
) -> impl IntoView {
    let TokenActions {
        create,
        revoke,
        tokens,
    } = actions;
    let created = create.value();
    let secret_name = token_secret_name(&hub_name);
    view! {
        <section class="panel values-tokens" data-testid="hub-tokens">
            <h2>"API tokens"</h2>
            <p class="muted">
                "The hub asks Hubfleet for each user's profiles with a token, read from the Secret "
                <code>{secret_name.clone()}</code> " (key " <code>"token"</code> ") in namespace "
                <code>{namespace.clone()}</code>
                ". A token is shown once, when it is created; Hubfleet keeps only its hash."
            </p>
            {move || created.get().map(|r| match r {
                Ok(NewToken { token, secret }) => {
                    let cmd = format!(
                        "kubectl -n {namespace} create secret generic {secret_name} --from-literal=token={secret}"
                    );
                    view! {
                        <div class="alert alert-success token-once" role="status" data-testid="new-token">
                            <p>"Token " <strong>{token.label}</strong> " created. Copy it now: it will not be shown again."</p>
                            <pre class="token-secret" data-testid="new-token-secret">{secret}</pre>
                            <p>"Store it for the hub:"</p>
                            <pre class="token-cmd">{cmd}</pre>
                        </div>
                    }
                    .into_any()
                }
                Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
            })}
            <ActionForm action=create attr:class="inline-edit token-form" attr:novalidate=true attr:data-testid="create-token-form">
                <input type="hidden" name="hub_id" value=hub_id.to_string() />
                <FieldRow label="Name" id="token-label" hint="Where the token is used, e.g. hub pod.">
                    <input id="token-label" name="label" type="text" autocomplete="off" required=true />
                </FieldRow>
                <FieldRow label="Reason (optional)" id="token-reason" hint="Kept in the audit trail.">
                    <input id="token-reason" name="reason" type="text" autocomplete="off" />
                </FieldRow>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create token"</button>
                </div>
            </ActionForm>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = tokens.await?;
                    Ok::<_, AppError>(view! { <TokenTable list hub_id revoke /> })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenTable(
    list: Vec<ApiToken>,
    hub_id: i64,
    revoke: ServerAction<RevokeHubToken>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted" data-testid="no-tokens">"No token yet: the hub uses its static profile list until it has one."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="tokens-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Token"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|t| {
                        let active = t.is_active();
                        view! {
                            <tr data-token=t.prefix.clone()>
                                <td>{t.label.clone()}</td>
                                <td><code>{format!("{}…", t.prefix)}</code></td>
                                <td class="nowrap">{short_time(&t.created_at)} <span class="muted">{format!(" by {}", t.created_by)}</span></td>
                                <td class="nowrap">{t.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                <td>
                                    {if active {
                                        view! { <span class="status status-ok">"Active"</span> }.into_any()
                                    } else {
                                        view! { <span class="status status-bad">{format!("Revoked {}", t.revoked_at.as_deref().map(short_time).unwrap_or_default())}</span> }.into_any()
                                    }}
                                </td>
                                <td class="actions">
                                    {active.then(|| view! {
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <input type="hidden" name="hub_id" value=hub_id.to_string() />
                                            <input type="hidden" name="id" value=t.id.to_string() />
                                            <input type="hidden" name="reason" value="" />
                                            <button type="submit" class="btn btn-small btn-danger">"Revoke"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
