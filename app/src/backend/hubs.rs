//! Hubs in SQLite: list, get, create, update (optimistic locking on `version`), delete. Every
//! change writes one audit event in the same transaction.
//!
//! Also the helpers the hub, profile and volume repositories share: write transactions that
//! take SQLite's write lock up front, the stale-version error, and the mapping of constraint
//! violations to field errors.

use super::audit::{self, Actor, Change, RequestMeta};
use super::db;
use crate::domain::hub::{Driver, Hub, HubSpec};
use crate::domain::volume::quoted_list;
use crate::error::{AppError, AppResult};
use serde::Serialize;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

pub(crate) fn internal(e: sqlx::Error) -> AppError {
    tracing::error!(error = %e, "database error");
    AppError::Internal("the database refused the request; see the server log".into())
}

/// Starts a write transaction with `BEGIN IMMEDIATE`: the write lock is taken before the
/// first read, so the checks made inside the transaction (version, unique slug, volume in use)
/// still hold when it commits, and concurrent writers queue on the busy timeout instead of
/// failing to upgrade a read lock.
pub(crate) async fn begin_write(pool: &SqlitePool) -> AppResult<Transaction<'static, Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await.map_err(internal)
}

/// How one constraint's violation reads as a field error: when the database message contains
/// `needle`, the error goes to `field` with `message`.
pub(crate) struct ConstraintRule<'a> {
    pub needle: &'a str,
    pub field: &'a str,
    pub message: String,
}

/// Maps a constraint violation to a field error (never a 500). The rules are tried in order;
/// a violation no rule names still becomes a form-level field error.
pub(crate) fn constraint_error(e: sqlx::Error, rules: &[ConstraintRule<'_>]) -> AppError {
    let sqlx::Error::Database(d) = &e else {
        return internal(e);
    };
    use sqlx::error::ErrorKind as K;
    let is_constraint = matches!(
        d.kind(),
        K::UniqueViolation | K::ForeignKeyViolation | K::NotNullViolation | K::CheckViolation
    );
    if !is_constraint {
        return internal(e);
    }
    let text = d.message();
    if let Some(r) = rules.iter().find(|r| text.contains(r.needle)) {
        return AppError::invalid(r.field, r.message.clone());
    }
    tracing::warn!(error = %text, "constraint violation without a specific rule");
    AppError::invalid(
        "form",
        format!("The database refused the change ({text}): reload the page and try again."),
    )
}

/// The error for a save or delete made against an old version. Nothing has been written.
pub(crate) fn stale<T: Serialize>(
    what: &str,
    name: &str,
    expected: i64,
    stored_version: i64,
    stored: &T,
) -> AppError {
    AppError::StaleWrite {
        message: format!(
            "{what} \"{name}\" was changed by someone else after you opened it (your version {expected}, stored version {stored_version}). Nothing was saved: compare the stored values with yours, then save again."
        ),
        stored: serde_json::to_value(stored).unwrap_or_default(),
    }
}

pub(crate) fn snapshot<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct HubRow {
    id: i64,
    release_name: String,
    namespace: String,
    chart_version: String,
    ingress_host: Option<String>,
    driver: String,
    version: i64,
    created_at: String,
    updated_at: String,
}

const SELECT_HUBS: &str = "SELECT id, release_name, namespace, chart_version, ingress_host,
        driver, version, created_at, updated_at FROM hubs";

fn from_row(r: HubRow) -> AppResult<Hub> {
    let driver = Driver::parse("driver", &r.driver)
        .map_err(|e| AppError::Internal(format!("hub #{}: {}", r.id, e.message)))?;
    Ok(Hub {
        id: r.id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        spec: HubSpec {
            release_name: r.release_name,
            namespace: r.namespace,
            chart_version: r.chart_version,
            ingress_host: r.ingress_host,
            driver,
        },
    })
}

/// The hub `id`, read on `conn` (inside a transaction when given one).
pub(crate) async fn get_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Option<Hub>> {
    let row: Option<HubRow> = sqlx::query_as(&format!("{SELECT_HUBS} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    row.map(from_row).transpose()
}

pub(crate) async fn require_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Hub> {
    get_on(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Hub #{id}")))
}

pub async fn list(pool: &SqlitePool) -> AppResult<Vec<Hub>> {
    let rows: Vec<HubRow> =
        sqlx::query_as(&format!("{SELECT_HUBS} ORDER BY namespace, release_name"))
            .fetch_all(pool)
            .await
            .map_err(internal)?;
    rows.into_iter().map(from_row).collect()
}

pub async fn get(pool: &SqlitePool, id: i64) -> AppResult<Hub> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    require_on(&mut conn, id).await
}

/// The hub managing release `release_name` in `namespace`, if any.
pub async fn find(
    pool: &SqlitePool,
    namespace: &str,
    release_name: &str,
) -> AppResult<Option<Hub>> {
    let row: Option<HubRow> = sqlx::query_as(&format!(
        "{SELECT_HUBS} WHERE namespace = ? AND release_name = ?"
    ))
    .bind(namespace)
    .bind(release_name)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    row.map(from_row).transpose()
}

fn release_taken_message(spec: &HubSpec) -> String {
    format!(
        "A hub with release name \"{}\" already exists in namespace \"{}\": choose another name.",
        spec.release_name, spec.namespace
    )
}

fn release_taken(spec: &HubSpec) -> AppError {
    AppError::invalid("release_name", release_taken_message(spec))
}

fn rules(spec: &HubSpec) -> Vec<ConstraintRule<'static>> {
    vec![ConstraintRule {
        needle: "hubs.namespace, hubs.release_name",
        field: "release_name",
        message: release_taken_message(spec),
    }]
}

async fn check_release_free(
    conn: &mut SqliteConnection,
    id: Option<i64>,
    spec: &HubSpec,
) -> AppResult<()> {
    let other: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM hubs WHERE namespace = ? AND release_name = ? AND id IS NOT ?",
    )
    .bind(&spec.namespace)
    .bind(&spec.release_name)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    match other {
        Some(_) => Err(release_taken(spec)),
        None => Ok(()),
    }
}

/// Creates a hub on `conn` (the caller owns the transaction), with its audit event.
pub(crate) async fn create_on(
    conn: &mut SqliteConnection,
    actor: &Actor,
    meta: &RequestMeta,
    spec: &HubSpec,
    reason: &str,
) -> AppResult<Hub> {
    check_release_free(conn, None, spec).await?;
    let now = db::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hubs (release_name, namespace, chart_version, ingress_host, driver,
             created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&spec.release_name)
    .bind(&spec.namespace)
    .bind(&spec.chart_version)
    .bind(&spec.ingress_host)
    .bind(spec.driver.as_str())
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| constraint_error(e, &rules(spec)))?;
    audit::record(
        conn,
        actor,
        meta,
        &Change {
            action: "hub.create".into(),
            target_type: "hub".into(),
            target_id: id.to_string(),
            target_name: spec.release_name.clone(),
            before: None,
            after: Some(snapshot(spec)),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    require_on(conn, id).await
}

pub async fn create(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    spec: HubSpec,
    reason: &str,
) -> AppResult<Hub> {
    let mut tx = begin_write(pool).await?;
    let hub = create_on(&mut tx, actor, meta, &spec, reason).await?;
    tx.commit().await.map_err(internal)?;
    Ok(hub)
}

/// Saves `spec` over hub `id` if it is still at `expected_version`; otherwise returns
/// [`AppError::StaleWrite`] carrying the stored hub and writes nothing.
pub async fn update(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    expected_version: i64,
    spec: HubSpec,
    reason: &str,
) -> AppResult<Hub> {
    let mut tx = begin_write(pool).await?;
    let before = require_on(&mut tx, id).await?;
    if before.version != expected_version {
        return Err(stale(
            "Hub",
            &before.spec.release_name,
            expected_version,
            before.version,
            &before,
        ));
    }
    check_release_free(&mut tx, Some(id), &spec).await?;
    if spec.namespace != before.spec.namespace {
        // A pod mounts only claims of its own namespace, and volumes live in the hub's.
        let volumes: Vec<String> =
            sqlx::query_scalar("SELECT name FROM shared_volumes WHERE hub_id = ? ORDER BY name")
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?;
        if !volumes.is_empty() {
            return Err(AppError::invalid(
                "namespace",
                format!(
                    "The shared volumes {} live in namespace \"{}\": a hub with shared volumes cannot move to another namespace. Keep \"{}\", or delete those volumes first.",
                    quoted_list(volumes.iter().map(String::as_str)),
                    before.spec.namespace,
                    before.spec.namespace
                ),
            ));
        }
    }
    let updated = sqlx::query(
        "UPDATE hubs SET release_name = ?, namespace = ?, chart_version = ?, ingress_host = ?,
             driver = ?, version = version + 1, updated_at = ?
         WHERE id = ? AND version = ?",
    )
    .bind(&spec.release_name)
    .bind(&spec.namespace)
    .bind(&spec.chart_version)
    .bind(&spec.ingress_host)
    .bind(spec.driver.as_str())
    .bind(db::now())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await
    .map_err(|e| constraint_error(e, &rules(&spec)))?;
    if updated.rows_affected() == 0 {
        return Err(stale(
            "Hub",
            &before.spec.release_name,
            expected_version,
            before.version,
            &before,
        ));
    }
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "hub.update".into(),
            target_type: "hub".into(),
            target_id: id.to_string(),
            target_name: spec.release_name.clone(),
            before: Some(snapshot(&before.spec)),
            after: Some(snapshot(&spec)),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    let after = require_on(&mut tx, id).await?;
    tx.commit().await.map_err(internal)?;
    Ok(after)
}

/// Deletes hub `id` (at `expected_version`). Refused while it still has profiles or shared
/// volumes (field `hub`). This removes the portal's record only; uninstalling the release is
/// the cluster layer's job.
pub async fn delete(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    expected_version: i64,
    reason: &str,
) -> AppResult<()> {
    let mut tx = begin_write(pool).await?;
    let before = require_on(&mut tx, id).await?;
    if before.version != expected_version {
        return Err(stale(
            "Hub",
            &before.spec.release_name,
            expected_version,
            before.version,
            &before,
        ));
    }
    let (profiles, volumes): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM profiles WHERE hub_id = ?1),
                (SELECT COUNT(*) FROM shared_volumes WHERE hub_id = ?1)",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    let in_use = || {
        AppError::invalid(
            "hub",
            format!(
                "Hub \"{}\" still has {profiles} profile(s) and {volumes} shared volume(s): delete them first.",
                before.spec.release_name
            ),
        )
    };
    if profiles + volumes > 0 {
        return Err(in_use());
    }
    sqlx::query("DELETE FROM hubs WHERE id = ? AND version = ?")
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => in_use(),
            _ => internal(e),
        })?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "hub.delete".into(),
            target_type: "hub".into(),
            target_id: id.to_string(),
            target_name: before.spec.release_name.clone(),
            before: Some(snapshot(&before.spec)),
            after: None,
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}
