//! API tokens with which a hub asks the portal for its users' profiles. An administrator
//! creates one per hub (the token is shown once), and can revoke it. Only a sha256 of the token
//! is stored: tokens are 40 random characters (about 238 bits), so a fast hash is enough, and
//! a stolen database does not reveal usable tokens. Creation and revocation are audited in the
//! same transaction.

use super::audit::{self, Actor, Change, RequestMeta};
use super::db;
use super::db::internal;
use super::hubs;
use super::write::begin_write;
use crate::error::{AppError, AppResult};
pub use crate::values::{ApiToken, NewToken};
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

/// Every token starts with this, so it is recognisable in a secret store or a log.
pub const TOKEN_PREFIX: &str = "hfh_";
const TOKEN_RANDOM_CHARS: usize = 40;
/// Characters of the token kept in clear to recognise it in lists.
const SHOWN_PREFIX_CHARS: usize = TOKEN_PREFIX.len() + 6;
pub const LABEL_MAX: usize = 100;

fn random_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rngs::OsRng;
    let body: String = (0..TOKEN_RANDOM_CHARS)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{TOKEN_PREFIX}{body}")
}

fn hash_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Checks a token label: required, one line, at most [`LABEL_MAX`] characters.
pub fn validate_label(input: &str) -> Result<String, crate::domain::FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(crate::domain::FieldError::new(
            "label",
            "Name the token after where it is used, e.g. \"hub pod\".",
        ));
    }
    if s.chars().count() > LABEL_MAX {
        return Err(crate::domain::FieldError::new(
            "label",
            format!("The name is longer than {LABEL_MAX} characters: shorten it."),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(crate::domain::FieldError::new(
            "label",
            "The name contains a line break or control character: write it on one line.",
        ));
    }
    Ok(s.to_string())
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    hub_id: i64,
    label: String,
    prefix: String,
    created_at: String,
    created_by: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
    revoked_by: Option<String>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            hub_id: r.hub_id,
            label: r.label,
            prefix: r.prefix,
            created_at: r.created_at,
            created_by: r.created_by,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            revoked_by: r.revoked_by,
        }
    }
}

const SELECT_TOKENS: &str = "SELECT id, hub_id, label, prefix, created_at, created_by,
        last_used_at, revoked_at, revoked_by FROM hub_api_tokens";

/// The tokens of hub `hub_id`, newest first.
pub async fn list(pool: &SqlitePool, hub_id: i64) -> AppResult<Vec<ApiToken>> {
    let rows: Vec<TokenRow> = sqlx::query_as(&format!(
        "{SELECT_TOKENS} WHERE hub_id = ? ORDER BY id DESC"
    ))
    .bind(hub_id)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

async fn get_on(conn: &mut sqlx::SqliteConnection, id: i64) -> AppResult<ApiToken> {
    let row: Option<TokenRow> = sqlx::query_as(&format!("{SELECT_TOKENS} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    row.map(Into::into)
        .ok_or_else(|| AppError::NotFound(format!("API token #{id}")))
}

/// Creates a token for hub `hub_id`. The returned secret is not stored anywhere.
pub async fn create(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    hub_id: i64,
    label: &str,
    reason: &str,
) -> AppResult<NewToken> {
    let label = validate_label(label)
        .map_err(|e| AppError::Invalid(crate::domain::FieldErrors(vec![e])))?;
    let secret = random_token();
    let prefix: String = secret.chars().take(SHOWN_PREFIX_CHARS).collect();
    let mut tx = begin_write(pool).await?;
    let hub = hubs::require_on(&mut tx, hub_id).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hub_api_tokens (hub_id, label, token_hash, prefix, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(hub_id)
    .bind(&label)
    .bind(hash_hex(&secret))
    .bind(&prefix)
    .bind(db::now())
    .bind(&actor.name)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "hub_token.create".into(),
            target_type: "hub_token".into(),
            target_id: id.to_string(),
            target_name: format!("{}/{}", hub.spec.release_name, label),
            before: None,
            after: Some(serde_json::json!({"hub_id": hub_id, "label": label, "prefix": prefix})),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    let token = get_on(&mut tx, id).await?;
    tx.commit().await.map_err(internal)?;
    Ok(NewToken { token, secret })
}

/// Revokes token `id` of hub `hub_id`; revoking a revoked token changes nothing.
pub async fn revoke(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    hub_id: i64,
    id: i64,
    reason: &str,
) -> AppResult<ApiToken> {
    let mut tx = begin_write(pool).await?;
    let before = get_on(&mut tx, id).await?;
    if before.hub_id != hub_id {
        return Err(AppError::NotFound(format!(
            "API token #{id} of hub #{hub_id}"
        )));
    }
    if !before.is_active() {
        tx.commit().await.map_err(internal)?;
        return Ok(before);
    }
    let hub = hubs::require_on(&mut tx, hub_id).await?;
    sqlx::query(
        "UPDATE hub_api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
    )
    .bind(db::now())
    .bind(&actor.name)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "hub_token.revoke".into(),
            target_type: "hub_token".into(),
            target_id: id.to_string(),
            target_name: format!("{}/{}", hub.spec.release_name, before.label),
            before: Some(serde_json::json!({"revoked": false})),
            after: Some(serde_json::json!({"revoked": true})),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(after)
}

/// The hub an active token belongs to, or `None` for an unknown, malformed or revoked token.
/// Candidates are found by the token's clear prefix; the hashes are compared in constant time.
pub async fn authenticate(pool: &SqlitePool, token: &str) -> AppResult<Option<(i64, i64)>> {
    let token = token.trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + TOKEN_RANDOM_CHARS {
        return Ok(None);
    }
    let prefix: String = token.chars().take(SHOWN_PREFIX_CHARS).collect();
    let candidates: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, hub_id, token_hash FROM hub_api_tokens
         WHERE prefix = ? AND revoked_at IS NULL",
    )
    .bind(&prefix)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let hash = hash_hex(token);
    let mut found = None;
    for (id, hub_id, stored) in candidates {
        if constant_time_eq(stored.as_bytes(), hash.as_bytes()) {
            found = Some((id, hub_id));
        }
    }
    if let Some((id, _)) = found {
        // At most one write a minute per token.
        let cutoff = (chrono::Utc::now() - chrono::Duration::minutes(1))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        sqlx::query(
            "UPDATE hub_api_tokens SET last_used_at = ?
             WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        )
        .bind(db::now())
        .bind(id)
        .bind(cutoff)
        .execute(pool)
        .await
        .map_err(internal)?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_shaped() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + TOKEN_RANDOM_CHARS);
        assert_eq!(hash_hex(&a).len(), 64);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn labels() {
        assert_eq!(validate_label("  hub pod ").unwrap(), "hub pod");
        assert!(validate_label("").is_err());
        assert!(validate_label("a\nb").is_err());
        assert!(validate_label(&"x".repeat(101)).is_err());
    }
}
