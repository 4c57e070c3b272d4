//! Values of a hub from SQLite: generate (pure, `crate::values`), validate (KubeSpawner rules
//! and the chart's schema), digest, and keep every distinct version with the changes that
//! caused it; diffs between versions. Used by the values page, the download route and the
//! `hubfleet values` command.

use super::audit::{self, Actor, Change, RequestMeta};
use super::contents::{self, HubContents};
use super::db;
use super::db::internal;
use super::hubs;
use super::write::begin_write;
use crate::domain::hub::Hub;
use crate::domain::profile::Profile;
use crate::domain::volume::SharedVolume;
use crate::error::{AppError, AppResult};
use crate::values::{
    DiffHunk, DiffLine, LineChange, ValuesDiff, ValuesError, ValuesInput, ValuesPreview,
    VersionSummary, generate, schema,
};
use sha2::{Digest, Sha256};
use sqlx::{SqliteConnection, SqlitePool};

/// sha256 of `text`, lowercase hex.
pub fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A hub's values, generated and validated.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub hub: Hub,
    pub yaml: String,
    pub digest: String,
    pub json: serde_json::Value,
    /// Generation problems, KubeSpawner's rules, then the chart's schema.
    pub errors: Vec<ValuesError>,
    pub notes: Vec<String>,
}

/// Generates and validates values from records (no database).
pub fn render(
    hub: &Hub,
    profiles: &[Profile],
    volumes: &[SharedVolume],
    portal_url: Option<&str>,
) -> AppResult<Rendered> {
    let input = ValuesInput {
        hub,
        profiles,
        volumes,
        portal_url,
    };
    let g = generate(&input);
    let yaml = g
        .yaml(hub)
        .map_err(|e| AppError::Internal(format!("could not write the values as YAML: {e}")))?;
    let json = g.json();
    let mut errors = g.check();
    for e in schema::schema_errors(&g.checked_json(), &g.sources) {
        if !errors.contains(&e) {
            errors.push(e);
        }
    }
    Ok(Rendered {
        hub: hub.clone(),
        digest: digest(&yaml),
        yaml,
        json,
        errors,
        notes: g.notes,
    })
}

/// Generates and validates the values of hub `hub_id` as stored now. `portal_url` is the
/// portal's URL for hub pods (`--public-url`), if configured.
pub async fn render_hub(
    pool: &SqlitePool,
    hub_id: i64,
    portal_url: Option<&str>,
) -> AppResult<Rendered> {
    let c = contents::load(pool, hub_id).await?;
    render(&c.hub, &c.profiles, &c.volumes, portal_url)
}

/// The hub called `name`: a release name, or `namespace/release` when several namespaces
/// have a release of that name.
pub async fn find_hub(pool: &SqlitePool, name: &str) -> AppResult<Hub> {
    let name = name.trim();
    if let Some((ns, release)) = name.split_once('/') {
        return hubs::find(pool, ns, release)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("Hub \"{name}\"")));
    }
    let matching: Vec<Hub> = hubs::list(pool)
        .await?
        .into_iter()
        .filter(|h| h.spec.release_name == name)
        .collect();
    match matching.as_slice() {
        [] => Err(AppError::NotFound(format!("Hub \"{name}\""))),
        [one] => Ok(one.clone()),
        many => Err(AppError::invalid(
            "hub",
            format!(
                "Several hubs are called \"{name}\": name one as namespace/release, e.g. {}.",
                many.iter()
                    .map(|h| format!("{}/{}", h.spec.namespace, h.spec.release_name))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )),
    }
}

/// For `hubfleet values --hub NAME`: the YAML of the hub's values and the errors that make
/// them invalid (empty when valid). The version is recorded like any generation.
pub async fn render_hub_by_name(
    pool: &SqlitePool,
    name: &str,
    portal_url: Option<&str>,
) -> Result<(String, Vec<ValuesError>), AppError> {
    let hub = find_hub(pool, name).await?;
    let meta = RequestMeta {
        request_id: "cli".into(),
        client_request_id: String::new(),
        client_addr: "local".into(),
    };
    let (r, _, _) = record(pool, &Actor::system("cli"), &meta, hub.id, portal_url, None).await?;
    Ok((r.yaml, r.errors))
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    digest: String,
    cause: String,
    valid: bool,
    created_at: String,
    created_by: String,
}

impl From<VersionRow> for VersionSummary {
    fn from(r: VersionRow) -> Self {
        VersionSummary {
            version: r.version,
            digest: r.digest,
            cause: r.cause,
            valid: r.valid,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

const SELECT_VERSIONS: &str =
    "SELECT version, digest, cause, valid, created_at, created_by FROM values_versions";

async fn latest_on(
    conn: &mut SqliteConnection,
    hub_id: i64,
) -> AppResult<Option<(VersionSummary, i64)>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT version, audit_mark FROM values_versions WHERE hub_id = ?
         ORDER BY version DESC LIMIT 1",
    )
    .bind(hub_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    let Some((version, mark)) = row else {
        return Ok(None);
    };
    let v = version_on(conn, hub_id, version).await?;
    Ok(v.map(|v| (v, mark)))
}

async fn version_on(
    conn: &mut SqliteConnection,
    hub_id: i64,
    version: i64,
) -> AppResult<Option<VersionSummary>> {
    let row: Option<VersionRow> = sqlx::query_as(&format!(
        "{SELECT_VERSIONS} WHERE hub_id = ? AND version = ?"
    ))
    .bind(hub_id)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(row.map(Into::into))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    occurred_at: String,
    actor: String,
    action: String,
    target_name: String,
    reason: String,
}

/// The audit events about hub `hub` after event `after` (its own hub record, its profiles,
/// its shared volumes), one line each, oldest first.
async fn changes_since(
    conn: &mut SqliteConnection,
    hub: &Hub,
    after: i64,
) -> AppResult<Vec<String>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT occurred_at, actor, action, target_name, reason FROM audit_events
         WHERE id > ?1 AND action NOT LIKE 'values.%' AND (
             (target_type = 'hub' AND target_id = CAST(?2 AS TEXT))
             OR (target_type = 'profile' AND (
                 CAST(target_id AS INTEGER) IN (SELECT id FROM profiles WHERE hub_id = ?2)
                 OR (action = 'profile.delete' AND target_name LIKE ?3 || '/%')))
             OR (target_type = 'volume' AND (
                 CAST(target_id AS INTEGER) IN (SELECT id FROM shared_volumes WHERE hub_id = ?2)
                 OR (action = 'volume.delete'
                     AND json_extract(before_json, '$.namespace') = ?4)))
         )
         ORDER BY id LIMIT 100",
    )
    .bind(after)
    .bind(hub.id)
    .bind(&hub.spec.release_name)
    .bind(&hub.spec.namespace)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let when: String = r.occurred_at.replace('T', " ").chars().take(16).collect();
            let reason = if r.reason.is_empty() {
                String::new()
            } else {
                format!(" — {}", r.reason)
            };
            format!("{when} {}: {} {}{reason}", r.actor, r.action, r.target_name)
        })
        .collect())
}

/// The number and the cause the hub's current values get when recorded after `latest`: 1
/// for the first version, else the next number with the audit events since `latest` (or why
/// the values changed without one).
async fn next_version_on(
    conn: &mut SqliteConnection,
    hub: &Hub,
    latest: Option<&(VersionSummary, i64)>,
) -> AppResult<(i64, String)> {
    Ok(match latest {
        None => (1, "First version generated by the portal.".to_string()),
        Some((prev, prev_mark)) => {
            let lines = changes_since(conn, hub, *prev_mark).await?;
            let cause = if lines.is_empty() {
                "No change of the hub, its profiles or volumes was recorded since the previous version: the portal's settings (e.g. --public-url / HUBFLEET_PUBLIC_URL) or its generator changed.".to_string()
            } else {
                lines.join("\n")
            };
            (prev.version + 1, cause)
        }
    })
}

/// Generates the hub's values and records them as a new version when their digest differs
/// from the latest version's (with the audit events since that version as the cause, and an
/// audit event `values.version`). With `expected`, the values must still have that digest
/// (what the administrator reviewed), else nothing is recorded and the answer is a conflict.
/// Returns the values, their version and whether it is new. Called by POST requests and the
/// CLI only: showing or downloading values never records them.
pub async fn record(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    hub_id: i64,
    portal_url: Option<&str>,
    expected: Option<&str>,
) -> AppResult<(Rendered, VersionSummary, bool)> {
    let mut tx = begin_write(pool).await?;
    let HubContents {
        hub,
        profiles,
        volumes,
    } = contents::load_on(&mut tx, hub_id).await?;
    let r = render(&hub, &profiles, &volumes, portal_url)?;
    if let Some(expected) = expected
        && expected != r.digest
    {
        return Err(AppError::Conflict(
            "The values changed since this page was loaded (someone edited the hub, a profile or a volume): review them again before recording.".into(),
        ));
    }
    let latest = latest_on(&mut tx, hub_id).await?;
    if let Some((v, _)) = &latest
        && v.digest == r.digest
    {
        let v = v.clone();
        tx.commit().await.map_err(internal)?;
        return Ok((r, v, false));
    }
    let mark: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM audit_events")
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
    let (number, cause) = next_version_on(&mut tx, &hub, latest.as_ref()).await?;
    let now = db::now();
    sqlx::query(
        "INSERT INTO values_versions (hub_id, hub_release_name, hub_namespace, version, digest,
             yaml, cause, audit_mark, valid, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(hub_id)
    .bind(&hub.spec.release_name)
    .bind(&hub.spec.namespace)
    .bind(number)
    .bind(&r.digest)
    .bind(&r.yaml)
    .bind(&cause)
    .bind(mark)
    .bind(r.errors.is_empty())
    .bind(&now)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "values.version".into(),
            target_type: "hub".into(),
            target_id: hub_id.to_string(),
            target_name: hub.spec.release_name.clone(),
            before: latest
                .as_ref()
                .map(|(v, _)| serde_json::json!({"version": v.version, "digest": v.digest})),
            after: Some(serde_json::json!({
                "version": number,
                "digest": r.digest,
                "valid": r.errors.is_empty(),
            })),
            reason: String::new(),
        },
    )
    .await
    .map_err(internal)?;
    let v = version_on(&mut tx, hub_id, number)
        .await?
        .ok_or_else(|| AppError::Internal("the new values version was not stored".into()))?;
    tx.commit().await.map_err(internal)?;
    Ok((r, v, true))
}

/// Every recorded version of hub `hub_id`, newest first.
pub async fn versions(pool: &SqlitePool, hub_id: i64) -> AppResult<Vec<VersionSummary>> {
    let rows: Vec<VersionRow> = sqlx::query_as(&format!(
        "{SELECT_VERSIONS} WHERE hub_id = ? ORDER BY version DESC"
    ))
    .bind(hub_id)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The YAML of version `version` of hub `hub_id`.
pub async fn version_yaml(pool: &SqlitePool, hub_id: i64, version: i64) -> AppResult<String> {
    sqlx::query_scalar("SELECT yaml FROM values_versions WHERE hub_id = ? AND version = ?")
        .bind(hub_id)
        .bind(version)
        .fetch_optional(pool)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::NotFound(format!("Version {version} of hub #{hub_id}'s values")))
}

/// A line diff of two texts, in hunks with `context` unchanged lines around changes.
pub fn diff_text(old: &str, new: &str, context: usize) -> (Vec<DiffHunk>, usize, usize) {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut added = 0;
    let mut removed = 0;
    let hunks = diff
        .grouped_ops(context)
        .iter()
        .map(|group| {
            let mut lines = Vec::new();
            for op in group {
                for change in diff.iter_changes(op) {
                    let (kind, old_no, new_no) = match change.tag() {
                        similar::ChangeTag::Equal => (
                            LineChange::Same,
                            change.old_index().map(|i| i + 1),
                            change.new_index().map(|i| i + 1),
                        ),
                        similar::ChangeTag::Delete => {
                            removed += 1;
                            (LineChange::Removed, change.old_index().map(|i| i + 1), None)
                        }
                        similar::ChangeTag::Insert => {
                            added += 1;
                            (LineChange::Added, None, change.new_index().map(|i| i + 1))
                        }
                    };
                    lines.push(DiffLine {
                        change: kind,
                        old_no,
                        new_no,
                        text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                    });
                }
            }
            DiffHunk { lines }
        })
        .collect();
    (hunks, added, removed)
}

/// The diff between versions `from` and `to` of hub `hub_id`.
pub async fn diff_versions(
    pool: &SqlitePool,
    hub_id: i64,
    from: i64,
    to: i64,
) -> AppResult<ValuesDiff> {
    let old = version_yaml(pool, hub_id, from).await?;
    let new = version_yaml(pool, hub_id, to).await?;
    let (hunks, added, removed) = diff_text(&old, &new, 3);
    Ok(ValuesDiff {
        from,
        to,
        hunks,
        added,
        removed,
    })
}

/// The values page: generates the current values (recording nothing) and diffs them against
/// the latest recorded version when they differ from it, else against the previous version
/// (or against version `against` when given).
pub async fn preview(
    pool: &SqlitePool,
    hub_id: i64,
    against: Option<i64>,
    portal_url: Option<&str>,
) -> AppResult<ValuesPreview> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let HubContents {
        hub,
        profiles,
        volumes,
    } = contents::load_on(&mut tx, hub_id).await?;
    let r = render(&hub, &profiles, &volumes, portal_url)?;
    let latest = latest_on(&mut tx, hub_id).await?;
    let version = latest
        .as_ref()
        .filter(|(v, _)| v.digest == r.digest)
        .map(|(v, _)| v.clone());
    let (next_version, pending_cause) = match &version {
        Some(v) => (v.version + 1, String::new()),
        None => next_version_on(&mut tx, &hub, latest.as_ref()).await?,
    };
    tx.commit().await.map_err(internal)?;
    let all = versions(pool, hub_id).await?;
    // The version to compare with; the values shown are the other side (the recorded
    // version they are, or the version they would become).
    let from = match (&version, against) {
        (Some(current), Some(v)) if v == current.version => None,
        (_, Some(v)) => Some(v),
        (Some(current), None) => all
            .iter()
            .find(|v| v.version < current.version)
            .map(|v| v.version),
        (None, None) => latest.as_ref().map(|(v, _)| v.version),
    };
    let diff = match from {
        Some(f) => {
            let old = version_yaml(pool, hub_id, f).await?;
            let (hunks, added, removed) = diff_text(&old, &r.yaml, 3);
            Some(ValuesDiff {
                from: f,
                to: version.as_ref().map_or(next_version, |v| v.version),
                hunks,
                added,
                removed,
            })
        }
        None => None,
    };
    Ok(ValuesPreview {
        hub_id,
        hub_name: r.hub.spec.release_name.clone(),
        namespace: r.hub.spec.namespace.clone(),
        yaml: r.yaml,
        digest: r.digest,
        errors: r.errors,
        notes: r.notes,
        version,
        next_version,
        pending_cause,
        versions: all,
        diff,
    })
}
