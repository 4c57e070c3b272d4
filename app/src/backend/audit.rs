//! Writing and reading the audit trail. Events are written on the same connection (and so in
//! the same transaction) as the change they describe; the table itself refuses UPDATE/DELETE.

use crate::domain::audit::{AuditEvent, FieldChange, field_diff};
use serde_json::Value;
use sqlx::{SqliteConnection, SqlitePool};

/// Who did it. `id` is `None` for the system itself (first-run bootstrap, CLI).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Self {
            id: None,
            name: name.to_string(),
        }
    }
}

/// Where the request came from.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: String,
    pub client_addr: String,
}

/// What changed.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub target_name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: String,
}

/// Appends one event. Call it with the transaction that makes the change.
pub async fn record(
    conn: &mut SqliteConnection,
    actor: &Actor,
    meta: &RequestMeta,
    change: &Change,
) -> Result<i64, sqlx::Error> {
    let diff = field_diff(change.before.as_ref(), change.after.as_ref());
    let diff_json = serde_json::to_string(&diff).unwrap_or_else(|_| "[]".into());
    let id = sqlx::query_scalar(
        "INSERT INTO audit_events (occurred_at, actor_id, actor, action, target_type, target_id,
             target_name, before_json, after_json, diff_json, reason, request_id, client_addr)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(super::db::now())
    .bind(actor.id)
    .bind(&actor.name)
    .bind(&change.action)
    .bind(&change.target_type)
    .bind(&change.target_id)
    .bind(&change.target_name)
    .bind(change.before.as_ref().map(Value::to_string))
    .bind(change.after.as_ref().map(Value::to_string))
    .bind(diff_json)
    .bind(change.reason.trim())
    .bind(&meta.request_id)
    .bind(&meta.client_addr)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    occurred_at: String,
    actor: String,
    action: String,
    target_type: String,
    target_id: String,
    target_name: String,
    diff_json: String,
    reason: String,
    request_id: String,
    client_addr: String,
}

/// The newest events first.
pub async fn recent(pool: &SqlitePool, limit: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, occurred_at, actor, action, target_type, target_id, target_name, diff_json,
                reason, request_id, client_addr
         FROM audit_events ORDER BY id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id,
            occurred_at: r.occurred_at,
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            target_name: r.target_name,
            diff: serde_json::from_str::<Vec<FieldChange>>(&r.diff_json).unwrap_or_default(),
            reason: r.reason,
            request_id: r.request_id,
            client_addr: r.client_addr,
        })
        .collect())
}
