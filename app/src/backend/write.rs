//! The write path every versioned record (hub, profile, shared volume) shares: a transaction
//! that takes SQLite's write lock up front, the optimistic-locking check (a stale write is
//! refused with both versions and the stored record), constraint violations as field errors,
//! one audit event in the same transaction, and the record read back.
//!
//! An entity implements [`Versioned`] (its reads, its checks and SQL statements) and gets
//! [`create`], [`update`] and [`delete`] from here.

use super::audit::{self, Actor, Change, RequestMeta};
use super::db::internal;
use crate::error::{AppError, AppResult};
use serde::Serialize;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool, Transaction};

/// A statement being bound (entities bind their spec's columns with one function, shared by
/// their INSERT and UPDATE).
pub(crate) type Statement<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// Runs an `INSERT ... RETURNING id`; a constraint violation becomes a field error by `rules`.
pub(crate) async fn insert_returning_id(
    conn: &mut SqliteConnection,
    insert: Statement<'_>,
    rules: &[ConstraintRule<'_>],
) -> AppResult<i64> {
    let row = insert
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| constraint_error(e, rules))?;
    row.try_get("id").map_err(internal)
}

/// Runs an `UPDATE ... WHERE id = ? AND version = ?`: the number of rows changed (0 when
/// someone else wrote first).
pub(crate) async fn update_rows(
    conn: &mut SqliteConnection,
    update: Statement<'_>,
    rules: &[ConstraintRule<'_>],
) -> AppResult<u64> {
    let done = update
        .execute(&mut *conn)
        .await
        .map_err(|e| constraint_error(e, rules))?;
    Ok(done.rows_affected())
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

/// A record's values as JSON, as the audit trail and conflict answers carry them.
pub(crate) fn snapshot<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// A stored record written with optimistic locking on its `version`.
pub trait Versioned: Serialize + Sized + Send + Sync {
    /// The values an edit changes (what the form validates and the audit trail records).
    type Spec: Serialize + Send + Sync;
    /// What the record belongs to: `()` for hubs, the hub's id for profiles and volumes.
    type Parent: Copy + Send + Sync;
    /// How messages name the kind: "Hub", "Profile", "Shared volume".
    const KIND: &'static str;
    /// The audit trail's target type, also its actions' prefix (`hub` → `hub.update`).
    const TARGET: &'static str;

    fn version(&self) -> i64;
    fn spec(&self) -> &Self::Spec;
    fn parent(&self) -> Self::Parent;
    /// The record's name in messages (release name, display name, volume name).
    fn name(&self) -> &str;

    /// Record `id`, read on `conn`.
    fn load(
        conn: &mut SqliteConnection,
        id: i64,
    ) -> impl Future<Output = AppResult<Option<Self>>> + Send;

    /// The audit trail's name of the record with `spec` under `parent`.
    fn audit_name(
        conn: &mut SqliteConnection,
        parent: Self::Parent,
        spec: &Self::Spec,
    ) -> impl Future<Output = AppResult<String>> + Send;

    /// Checks involving other rows, then the INSERT; the new id.
    fn insert(
        conn: &mut SqliteConnection,
        parent: Self::Parent,
        spec: &Self::Spec,
    ) -> impl Future<Output = AppResult<i64>> + Send;

    /// Checks involving other rows, then the UPDATE of `stored` guarded by its version; the
    /// number of rows changed (0: someone else wrote first).
    fn overwrite(
        conn: &mut SqliteConnection,
        stored: &Self,
        spec: &Self::Spec,
    ) -> impl Future<Output = AppResult<u64>> + Send;

    /// Refusals (rows that still use the record), then the DELETE guarded by its version.
    fn remove(
        conn: &mut SqliteConnection,
        stored: &Self,
    ) -> impl Future<Output = AppResult<()>> + Send;
}

/// Record `id` of kind `E`, or not found.
pub(crate) async fn require<E: Versioned>(conn: &mut SqliteConnection, id: i64) -> AppResult<E> {
    E::load(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{} #{id}", E::KIND)))
}

/// The error for a save or delete made against an old version. Nothing has been written.
pub(crate) fn stale<E: Versioned>(stored: &E, expected: i64) -> AppError {
    AppError::StaleWrite {
        message: format!(
            "{} \"{}\" was changed by someone else after you opened it (your version {expected}, stored version {}). Nothing was saved: compare the stored values with yours, then save again.",
            E::KIND,
            stored.name(),
            stored.version()
        ),
        stored: snapshot(stored),
    }
}

/// Record `id`, read inside the write transaction, if it is still at `expected`.
async fn require_at<E: Versioned>(
    conn: &mut SqliteConnection,
    id: i64,
    expected: i64,
) -> AppResult<E> {
    let stored: E = require(conn, id).await?;
    if stored.version() != expected {
        return Err(stale(&stored, expected));
    }
    Ok(stored)
}

/// Who makes a change, from where, and why (the audit event's context).
pub struct By<'a> {
    pub actor: &'a Actor,
    pub meta: &'a RequestMeta,
    pub reason: &'a str,
}

impl<'a> By<'a> {
    pub fn new(actor: &'a Actor, meta: &'a RequestMeta, reason: &'a str) -> Self {
        By {
            actor,
            meta,
            reason,
        }
    }
}

async fn record<E: Versioned>(
    conn: &mut SqliteConnection,
    by: &By<'_>,
    verb: &str,
    id: i64,
    target_name: String,
    before: Option<&E::Spec>,
    after: Option<&E::Spec>,
) -> AppResult<()> {
    audit::record(
        conn,
        by.actor,
        by.meta,
        &Change {
            action: format!("{}.{verb}", E::TARGET),
            target_type: E::TARGET.into(),
            target_id: id.to_string(),
            target_name,
            before: before.map(snapshot),
            after: after.map(snapshot),
            reason: by.reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    Ok(())
}

/// Creates a record on `conn` (the caller owns the transaction), with its audit event.
pub async fn create_on<E: Versioned>(
    conn: &mut SqliteConnection,
    by: &By<'_>,
    parent: E::Parent,
    spec: &E::Spec,
) -> AppResult<E> {
    let id = E::insert(conn, parent, spec).await?;
    let name = E::audit_name(conn, parent, spec).await?;
    record::<E>(conn, by, "create", id, name, None, Some(spec)).await?;
    require(conn, id).await
}

/// Creates a record in its own write transaction.
pub async fn create<E: Versioned>(
    pool: &SqlitePool,
    by: &By<'_>,
    parent: E::Parent,
    spec: &E::Spec,
) -> AppResult<E> {
    let mut tx = begin_write(pool).await?;
    let created = create_on(&mut tx, by, parent, spec).await?;
    tx.commit().await.map_err(internal)?;
    Ok(created)
}

/// Saves `spec` over record `id` if it is still at `expected`; otherwise returns
/// [`AppError::StaleWrite`] carrying the stored record and writes nothing.
pub async fn update<E: Versioned>(
    pool: &SqlitePool,
    by: &By<'_>,
    id: i64,
    expected: i64,
    spec: &E::Spec,
) -> AppResult<E> {
    let mut tx = begin_write(pool).await?;
    let before: E = require_at(&mut tx, id, expected).await?;
    if E::overwrite(&mut tx, &before, spec).await? == 0 {
        return Err(stale(&before, expected));
    }
    let name = E::audit_name(&mut tx, before.parent(), spec).await?;
    record::<E>(
        &mut tx,
        by,
        "update",
        id,
        name,
        Some(before.spec()),
        Some(spec),
    )
    .await?;
    let after = require(&mut tx, id).await?;
    tx.commit().await.map_err(internal)?;
    Ok(after)
}

/// Deletes record `id` if it is still at `expected` and nothing refuses it.
pub async fn delete<E: Versioned>(
    pool: &SqlitePool,
    by: &By<'_>,
    id: i64,
    expected: i64,
) -> AppResult<()> {
    let mut tx = begin_write(pool).await?;
    let before: E = require_at(&mut tx, id, expected).await?;
    let name = E::audit_name(&mut tx, before.parent(), before.spec()).await?;
    E::remove(&mut tx, &before).await?;
    record::<E>(&mut tx, by, "delete", id, name, Some(before.spec()), None).await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}
