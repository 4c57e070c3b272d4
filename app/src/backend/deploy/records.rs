//! The `operations` table: one row per install, upgrade, rollback or uninstall, from the
//! confirmed request to its outcome, with the audit events that record both ends.

use crate::backend::audit::{self, Actor, Change, RequestMeta};
use crate::backend::db::{self, internal};
use crate::backend::write::begin_write;
use crate::domain::deploy::{Operation, OperationKind, OperationStatus};
use crate::domain::hub::{Driver, Hub};
use crate::error::{AppError, AppResult};
use sqlx::{SqliteConnection, SqlitePool};

/// Lines of the operation log kept with the row.
pub const LOG_LINES: usize = 200;

/// Bumped after every write to an operation's log or outcome, so the pages that follow an
/// operation (server-sent events, `deploy_events`) read it again at once instead of polling.
static CHANGES: std::sync::LazyLock<tokio::sync::watch::Sender<u64>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// A receiver that sees every later write to an operation's log or outcome.
pub fn changes() -> tokio::sync::watch::Receiver<u64> {
    CHANGES.subscribe()
}

fn changed() {
    CHANGES.send_modify(|n| *n = n.wrapping_add(1));
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    hub_id: i64,
    release_name: String,
    namespace: String,
    kind: String,
    driver: String,
    status: String,
    values_version: Option<i64>,
    digest: Option<String>,
    chart_version: String,
    target_revision: Option<i64>,
    helm_revision: Option<i64>,
    driver_object: String,
    reason: String,
    actor: String,
    message: String,
    log: String,
    created_at: String,
    updated_at: String,
    finished_at: Option<String>,
}

const COLUMNS: &str = "id, hub_id, release_name, namespace, kind, driver, status, values_version,
    digest, chart_version, target_revision, helm_revision, driver_object, reason, actor, message,
    log, created_at, updated_at, finished_at";

fn revision(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

impl From<Row> for Operation {
    fn from(r: Row) -> Self {
        Operation {
            id: r.id,
            hub_id: r.hub_id,
            release_name: r.release_name,
            namespace: r.namespace,
            kind: OperationKind::parse(&r.kind).unwrap_or(OperationKind::Upgrade),
            driver: r.driver,
            status: OperationStatus::parse(&r.status).unwrap_or(OperationStatus::Failed),
            values_version: r.values_version,
            digest: r.digest,
            chart_version: r.chart_version,
            target_revision: revision(r.target_revision),
            helm_revision: revision(r.helm_revision),
            driver_object: r.driver_object,
            reason: r.reason,
            actor: r.actor,
            message: r.message,
            log: if r.log.is_empty() {
                Vec::new()
            } else {
                r.log.lines().map(str::to_string).collect()
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        }
    }
}

/// What a new operation is.
#[derive(Debug, Clone)]
pub struct NewOperation<'a> {
    pub hub: &'a Hub,
    pub kind: OperationKind,
    pub values_version: Option<i64>,
    pub digest: Option<&'a str>,
    pub target_revision: Option<u32>,
    pub reason: &'a str,
}

/// The name of an operation's driver object: for the Job driver a Job of its own,
/// `hubfleet-<kind>-<id>` (a DNS label); for Flux and k3s the release's one `HelmRelease` /
/// `HelmChart`, named after the release.
pub fn object_name(driver: Driver, kind: OperationKind, id: i64, release: &str) -> String {
    match driver {
        Driver::Job => format!("hubfleet-{}-{id}", kind.as_str()),
        Driver::Flux | Driver::K3s => release.to_string(),
    }
}

fn running_conflict(op: &Operation) -> AppError {
    AppError::Conflict(format!(
        "{} is already running an operation on this hub ({} #{}, started {}): wait for it to finish, then try again.",
        op.actor,
        op.kind.as_str(),
        op.id,
        op.created_at
    ))
}

/// Records a new running operation and the audit event of the request, in one transaction.
/// Refused (conflict naming who and since when) while another operation of the hub runs.
pub async fn start(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    new: &NewOperation<'_>,
) -> AppResult<Operation> {
    let mut tx = begin_write(pool).await?;
    if let Some(op) = running_on(&mut tx, new.hub.id).await? {
        return Err(running_conflict(&op));
    }
    let now = db::now();
    let hub = new.hub;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO operations (hub_id, release_name, namespace, kind, driver, values_version,
             digest, chart_version, target_revision, driver_object, reason, actor, request_id,
             created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(hub.id)
    .bind(&hub.spec.release_name)
    .bind(&hub.spec.namespace)
    .bind(new.kind.as_str())
    .bind(hub.spec.driver.as_str())
    .bind(new.values_version)
    .bind(new.digest)
    .bind(&hub.spec.chart_version)
    .bind(new.target_revision.map(i64::from))
    .bind(new.reason)
    .bind(&actor.name)
    .bind(&meta.request_id)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    let object = format!(
        "{}/{}",
        hub.spec.namespace,
        object_name(hub.spec.driver, new.kind, id, &hub.spec.release_name)
    );
    let audit_id = audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: format!("release.{}", new.kind.as_str()),
            target_type: "hub".into(),
            target_id: hub.id.to_string(),
            target_name: hub.spec.release_name.clone(),
            before: None,
            after: Some(serde_json::json!({
                "operation": id,
                "namespace": hub.spec.namespace,
                "chart_version": hub.spec.chart_version,
                "driver": hub.spec.driver.as_str(),
                "values_version": new.values_version,
                "digest": new.digest,
                "target_revision": new.target_revision,
                "driver_object": object,
            })),
            reason: new.reason.to_string(),
        },
    )
    .await
    .map_err(internal)?;
    sqlx::query("UPDATE operations SET driver_object = ?, audit_event_id = ? WHERE id = ?")
        .bind(&object)
        .bind(audit_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let op = get_on(&mut tx, id).await?;
    tx.commit().await.map_err(|e| {
        if e.to_string().contains("operations_one_running") || e.to_string().contains("UNIQUE") {
            AppError::Conflict("Another operation on this hub started at the same moment: reload the page to see it.".into())
        } else {
            internal(e)
        }
    })?;
    Ok(op)
}

async fn get_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Operation> {
    sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM operations WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?
        .map(Operation::from)
        .ok_or_else(|| AppError::NotFound(format!("Operation #{id}")))
}

/// Operation `id`.
pub async fn get(pool: &SqlitePool, id: i64) -> AppResult<Operation> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    get_on(&mut conn, id).await
}

async fn running_on(conn: &mut SqliteConnection, hub_id: i64) -> AppResult<Option<Operation>> {
    Ok(sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM operations WHERE hub_id = ? AND status = 'running'"
    ))
    .bind(hub_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?
    .map(Operation::from))
}

/// The operation of hub `hub_id` running now, if any.
pub async fn running(pool: &SqlitePool, hub_id: i64) -> AppResult<Option<Operation>> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    running_on(&mut conn, hub_id).await
}

/// Refused with who is running what since when, while an operation of the hub runs.
pub async fn ensure_idle(pool: &SqlitePool, hub_id: i64) -> AppResult<()> {
    match running(pool, hub_id).await? {
        Some(op) => Err(running_conflict(&op)),
        None => Ok(()),
    }
}

/// The latest `limit` operations of hub `hub_id`, newest first.
pub async fn recent(pool: &SqlitePool, hub_id: i64, limit: i64) -> AppResult<Vec<Operation>> {
    Ok(sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM operations WHERE hub_id = ? ORDER BY id DESC LIMIT ?"
    ))
    .bind(hub_id)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(internal)?
    .into_iter()
    .map(Operation::from)
    .collect())
}

/// Every operation still marked running (after a restart: those to reconcile).
pub async fn unfinished(pool: &SqlitePool) -> AppResult<Vec<Operation>> {
    Ok(sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM operations WHERE status = 'running' ORDER BY id"
    ))
    .fetch_all(pool)
    .await
    .map_err(internal)?
    .into_iter()
    .map(Operation::from)
    .collect())
}

/// The last [`LOG_LINES`] of `lines`, as stored.
/// How many operations there are of each driver, kind and status (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeCount {
    pub driver: String,
    pub kind: String,
    pub status: String,
    pub count: u64,
}

pub async fn counts_by_outcome(pool: &SqlitePool) -> AppResult<Vec<OutcomeCount>> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT driver, kind, status, COUNT(*) FROM operations
         GROUP BY driver, kind, status ORDER BY driver, kind, status",
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(driver, kind, status, n)| OutcomeCount {
            driver,
            kind,
            status,
            count: u64::try_from(n).unwrap_or_default(),
        })
        .collect())
}

pub fn log_tail(lines: &[String]) -> String {
    let start = lines.len().saturating_sub(LOG_LINES);
    lines[start..].join("\n")
}

/// Stores the latest log lines of a running operation.
pub async fn save_log(pool: &SqlitePool, id: i64, lines: &[String]) -> AppResult<()> {
    sqlx::query(
        "UPDATE operations SET log = ?, updated_at = ? WHERE id = ? AND status = 'running'",
    )
    .bind(log_tail(lines))
    .bind(db::now())
    .bind(id)
    .execute(pool)
    .await
    .map_err(internal)?;
    changed();
    Ok(())
}

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: OperationStatus,
    pub message: String,
    pub helm_revision: Option<u32>,
    pub log: Vec<String>,
}

/// Marks a running operation finished and records the outcome in the audit trail (one
/// transaction). Returns `None` when it was not running any more (already finished).
pub async fn finish(pool: &SqlitePool, id: i64, outcome: &Outcome) -> AppResult<Option<Operation>> {
    let mut tx = begin_write(pool).await?;
    let op = get_on(&mut tx, id).await?;
    if op.status.is_finished() {
        return Ok(None);
    }
    let now = db::now();
    sqlx::query(
        "UPDATE operations SET status = ?, message = ?, helm_revision = ?, log = ?,
             updated_at = ?, finished_at = ? WHERE id = ?",
    )
    .bind(outcome.status.as_str())
    .bind(&outcome.message)
    .bind(outcome.helm_revision.map(i64::from))
    .bind(log_tail(&outcome.log))
    .bind(&now)
    .bind(&now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let meta = RequestMeta {
        request_id: op_request_id(id),
        client_request_id: String::new(),
        client_addr: "cluster".into(),
    };
    audit::record(
        &mut tx,
        &Actor::system("hubfleet"),
        &meta,
        &Change {
            action: format!("release.{}.{}", op.kind.as_str(), outcome.status.as_str()),
            target_type: "hub".into(),
            target_id: op.hub_id.to_string(),
            target_name: op.release_name.clone(),
            before: Some(serde_json::json!({"operation": id, "status": "running"})),
            after: Some(serde_json::json!({
                "operation": id,
                "status": outcome.status.as_str(),
                "helm_revision": outcome.helm_revision,
                "message": outcome.message,
            })),
            reason: op.reason.clone(),
        },
    )
    .await
    .map_err(internal)?;
    let done = get_on(&mut tx, id).await?;
    tx.commit().await.map_err(internal)?;
    changed();
    Ok(Some(done))
}

/// The request id the outcome's audit event carries: `operation-<id>`.
pub fn op_request_id(id: i64) -> String {
    format!("operation-{id}")
}
