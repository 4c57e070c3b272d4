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
    /// The id the server gave the request (never a value the client chose).
    pub request_id: String,
    /// The `x-request-id` the client sent, if any: bounded and printable ASCII only, kept for
    /// correlation with the client's logs and never trusted as the request's id.
    pub client_request_id: String,
    pub client_addr: String,
}

/// The request ids the server's middleware puts on every request (an extension): its own,
/// and the client's `x-request-id` as [`sanitize_client_request_id`] leaves it.
#[derive(Debug, Clone, Default)]
pub struct RequestIds {
    pub server: String,
    pub client: String,
}

/// The longest client request id kept (longer ones are cut).
pub const CLIENT_REQUEST_ID_MAX: usize = 128;

/// A client's `x-request-id` as the audit trail keeps it: printable ASCII only (other bytes
/// are dropped), surrounding spaces trimmed, at most [`CLIENT_REQUEST_ID_MAX`] characters.
pub fn sanitize_client_request_id(raw: impl AsRef<[u8]>) -> String {
    let kept: String = raw
        .as_ref()
        .iter()
        .filter(|b| (0x20..=0x7e).contains(*b))
        .map(|&b| char::from(b))
        .collect();
    kept.trim().chars().take(CLIENT_REQUEST_ID_MAX).collect()
}

/// A new request id: the time in milliseconds and 80 random bits, in Crockford's base 32
/// (26 characters, sorting by time like a ULID).
pub fn new_request_id() -> String {
    use rand::RngCore;
    const DIGITS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = u128::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
    let mut random = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut random);
    let bits = random.iter().fold(millis & ((1 << 48) - 1), |acc, &b| {
        (acc << 8) | u128::from(b)
    });
    (0..26)
        .rev()
        .map(|i| char::from(DIGITS[((bits >> (i * 5)) & 31) as usize]))
        .collect()
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
             target_name, before_json, after_json, diff_json, reason, request_id,
             client_request_id, client_addr)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
    .bind(sanitize_client_request_id(&meta.client_request_id))
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
    client_request_id: String,
    client_addr: String,
}

/// Whether the trail is empty (a database that has never been used).
pub async fn is_empty(pool: &SqlitePool) -> Result<bool, sqlx::Error> {
    let any: Option<i64> = sqlx::query_scalar("SELECT id FROM audit_events LIMIT 1")
        .fetch_optional(pool)
        .await?;
    Ok(any.is_none())
}

/// The newest events first.
pub async fn recent(pool: &SqlitePool, limit: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, occurred_at, actor, action, target_type, target_id, target_name, diff_json,
                reason, request_id, client_request_id, client_addr
         FROM audit_events ORDER BY id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

impl From<Row> for AuditEvent {
    fn from(r: Row) -> Self {
        AuditEvent {
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
            client_request_id: r.client_request_id,
            client_addr: r.client_addr,
        }
    }
}

/// The audit page's filter as typed by the admin (also the export route's query string).
/// Empty fields do not filter. `from` and `to` accept a date (`2024-05-01`) or a date and time
/// (`2024-05-01T10:00`, seconds optional), read as UTC; both ends are inclusive at their
/// precision (`to = 2024-05-01` includes the whole day).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub target_type: String,
    #[serde(default)]
    pub target_id: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

const STORED_TIME: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// Reads a `from`/`to` value as a bound comparable with `occurred_at`: the first (or, for an
/// upper bound, the last) millisecond of the given day, minute or second.
pub fn time_bound(
    field: &str,
    input: &str,
    upper: bool,
) -> Result<Option<String>, crate::domain::FieldError> {
    use chrono::{Duration, NaiveDate, NaiveDateTime};
    let s = input.trim().trim_end_matches('Z').replace(' ', "T");
    if s.is_empty() {
        return Ok(None);
    }
    let parsed = if let Ok(d) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0).map(|t| (t, Duration::days(1)))
    } else if let Ok(t) = NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M") {
        Some((t, Duration::minutes(1)))
    } else if let Ok(t) = NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S") {
        Some((t, Duration::seconds(1)))
    } else {
        None
    };
    let Some((start, span)) = parsed else {
        return Err(crate::domain::FieldError::new(
            field,
            format!(
                "\"{}\" is not a date: write e.g. 2024-05-01 or 2024-05-01T14:30 (UTC).",
                input.trim()
            ),
        ));
    };
    let t = if upper {
        start + span - Duration::milliseconds(1)
    } else {
        start
    };
    Ok(Some(t.format(STORED_TIME).to_string()))
}

/// The filter's conditions, checked: unknown dates and a range that ends before it starts are
/// field errors (`from`, `to`).
struct Conditions {
    actor: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl AuditFilter {
    fn conditions(&self) -> Result<Conditions, crate::domain::FieldErrors> {
        let mut errors = crate::domain::FieldErrors::new();
        let from = time_bound("from", &self.from, false)
            .map_err(|e| errors.0.push(e))
            .ok()
            .flatten();
        let to = time_bound("to", &self.to, true)
            .map_err(|e| errors.0.push(e))
            .ok()
            .flatten();
        if let (Some(f), Some(t)) = (&from, &to)
            && t < f
        {
            errors.push(
                "to",
                "The end of the time range is before its start: swap the two dates.",
            );
        }
        errors.into_result()?;
        let some = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        Ok(Conditions {
            actor: some(&self.actor),
            target_type: some(&self.target_type),
            target_id: some(&self.target_id),
            action: some(&self.action),
            from,
            to,
        })
    }
}

fn push_where(qb: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>, c: &Conditions) {
    qb.push(" WHERE 1 = 1");
    for (column, value) in [
        ("actor", &c.actor),
        ("target_type", &c.target_type),
        ("target_id", &c.target_id),
        ("action", &c.action),
    ] {
        if let Some(v) = value {
            qb.push(format!(" AND {column} = ")).push_bind(v.clone());
        }
    }
    if let Some(f) = &c.from {
        qb.push(" AND occurred_at >= ").push_bind(f.clone());
    }
    if let Some(t) = &c.to {
        qb.push(" AND occurred_at <= ").push_bind(t.clone());
    }
}

#[derive(sqlx::FromRow)]
struct SearchRow {
    #[sqlx(flatten)]
    event: Row,
    has_after: bool,
}

/// One page of [`search`]: the events (newest first), each with whether it holds a snapshot
/// of the record after the change (what "revert to this version" restores), and the number
/// of events matching the filter.
pub struct SearchPage {
    pub events: Vec<(AuditEvent, bool)>,
    pub total: i64,
}

/// The events matching `filter`, newest first, `limit` of them from `offset`.
pub async fn search(
    pool: &SqlitePool,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> crate::error::AppResult<SearchPage> {
    let c = filter.conditions()?;
    let db = |e: sqlx::Error| super::db::internal(e);
    let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM audit_events");
    push_where(&mut count, &c);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(pool)
        .await
        .map_err(db)?;
    let mut q = sqlx::QueryBuilder::new(
        "SELECT id, occurred_at, actor, action, target_type, target_id, target_name, diff_json,
                reason, request_id, client_request_id, client_addr, after_json IS NOT NULL AS has_after
         FROM audit_events",
    );
    push_where(&mut q, &c);
    q.push(" ORDER BY id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let rows: Vec<SearchRow> = q.build_query_as().fetch_all(pool).await.map_err(db)?;
    let events = rows
        .into_iter()
        .map(|r| {
            let has_after = r.has_after;
            (r.event.into(), has_after)
        })
        .collect();
    Ok(SearchPage { events, total })
}

/// The values the filter's selects offer: every actor, target type and action in the trail.
pub struct FilterChoices {
    pub actors: Vec<String>,
    pub target_types: Vec<String>,
    pub actions: Vec<String>,
}

pub async fn filter_choices(pool: &SqlitePool) -> crate::error::AppResult<FilterChoices> {
    let distinct = |column: &'static str| async move {
        sqlx::query_scalar::<_, String>(&format!(
            "SELECT DISTINCT {column} FROM audit_events ORDER BY {column}"
        ))
        .fetch_all(pool)
        .await
        .map_err(super::db::internal)
    };
    Ok(FilterChoices {
        actors: distinct("actor").await?,
        target_types: distinct("target_type").await?,
        actions: distinct("action").await?,
    })
}

/// Audit entry `id`.
pub(crate) async fn event_by_id(pool: &SqlitePool, id: i64) -> crate::error::AppResult<AuditEvent> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, occurred_at, actor, action, target_type, target_id, target_name, diff_json,
                reason, request_id, client_request_id, client_addr
         FROM audit_events WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(super::db::internal)?;
    let r = row.ok_or_else(|| crate::error::AppError::NotFound(format!("Audit entry #{id}")))?;
    Ok(r.into())
}

/// Every event matching `filter`, newest first, at most `cap` (for exports).
pub async fn export(
    pool: &SqlitePool,
    filter: &AuditFilter,
    cap: i64,
) -> crate::error::AppResult<Vec<AuditEvent>> {
    Ok(search(pool, filter, 0, cap)
        .await?
        .events
        .into_iter()
        .map(|(e, _)| e)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_are_printable_ascii_and_bounded() {
        assert_eq!(sanitize_client_request_id("forged"), "forged");
        assert_eq!(sanitize_client_request_id(" a\tb\u{7f}c\n "), "abc");
        assert_eq!(sanitize_client_request_id("caf\u{e9}-1"), "caf-1");
        let long = "x".repeat(500);
        assert_eq!(
            sanitize_client_request_id(&long).len(),
            CLIENT_REQUEST_ID_MAX
        );
    }

    #[test]
    fn request_ids_are_new_each_time_and_ordered_by_time() {
        let a = new_request_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_request_id();
        assert_eq!(a.len(), 26);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        assert!(a[..10] <= b[..10], "{a} {b}");
    }
}
