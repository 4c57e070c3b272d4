//! `GET /api/audit/export?format=csv|json&actor=…&target_type=…&target_id=…&action=…&from=…&to=…`:
//! the audit trail, filtered like the audit page, as a file download. Administrators only: the
//! handler reads the [`CurrentUser`] the session middleware put on the request and answers 401
//! (not signed in) or 403 (not an administrator) itself, since this path is not a page.

use super::AppState;
use super::admin_route::admin_only;
use super::audit::{self, AuditFilter};
use super::auth::CurrentUser;
use crate::domain::audit::AuditEvent;
use axum::Router;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{StatusCode, header};
use serde::Deserialize;

/// The path of the export route.
pub const EXPORT_PATH: &str = "/api/audit/export";

/// At most this many events go into one file.
pub const EXPORT_CAP: i64 = 100_000;

/// The export route; merge it into the server's router (inside the session and auth layers).
pub fn routes() -> Router<AppState> {
    Router::new().route(EXPORT_PATH, get(export))
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    filter: AuditFilter,
}

fn text(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

async fn export(
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
    req: Request,
) -> Response {
    if let Err((status, message)) = admin_only(
        req.extensions().get::<CurrentUser>(),
        "export the audit trail",
    ) {
        return text(status, message);
    }
    let format = match q.format.trim() {
        "" | "csv" => Format::Csv,
        "json" => Format::Json,
        other => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("Unknown export format \"{other}\": use format=csv or format=json."),
            );
        }
    };
    let events = match audit::export(&state.pool, &q.filter, EXPORT_CAP).await {
        Ok(e) => e,
        Err(e) => return text(e.status(), e.to_string()),
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let (body, content_type, ext) = match format {
        Format::Csv => (to_csv(&events), "text/csv; charset=utf-8", "csv"),
        Format::Json => (
            serde_json::to_string_pretty(&events).unwrap_or_else(|_| "[]".into()),
            "application/json",
            "json",
        ),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"hubfleet-audit-{stamp}.{ext}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

enum Format {
    Csv,
    Json,
}

/// A CSV cell: quoted when needed, and a leading `=`, `+`, `-`, `@` (which spreadsheets would
/// run as a formula) neutralised with a `'`.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn value_text(v: &Option<serde_json::Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The events as CSV (RFC 4180, CRLF line ends), one row per event; the field changes are
/// written as `field: old → new` lines in one cell. `request_id` is the server's id of the
/// request, `client_request_id` the `x-request-id` the client sent (empty when none).
pub fn to_csv(events: &[AuditEvent]) -> String {
    let mut out = String::from(
        "id,occurred_at,actor,action,target_type,target_id,target_name,reason,changes,request_id,client_request_id,client_addr\r\n",
    );
    for e in events {
        let changes: Vec<String> = e
            .diff
            .iter()
            .map(|c| {
                format!(
                    "{}: {} → {}",
                    c.field,
                    value_text(&c.old),
                    value_text(&c.new)
                )
            })
            .collect();
        let row = [
            e.id.to_string(),
            e.occurred_at.clone(),
            e.actor.clone(),
            e.action.clone(),
            e.target_type.clone(),
            e.target_id.clone(),
            e.target_name.clone(),
            e.reason.clone(),
            changes.join("\n"),
            e.request_id.clone(),
            e.client_request_id.clone(),
            e.client_addr.clone(),
        ];
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
    }
}
