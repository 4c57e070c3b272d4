//! Accounts in SQLite: create, update (optimistic locking on `version`), look-ups, and the
//! first-run administrator. Every change writes an audit event in the same transaction.

use super::audit::{self, Actor, Change, RequestMeta};
use super::{db, password};
use crate::domain::user::{NewUser, Role, SessionUser, UserSummary, UserUpdate};
use crate::error::{AppError, AppResult};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

/// The columns needed to sign someone in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub disabled: bool,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    disabled: bool,
    version: i64,
    created_at: String,
    last_login_at: Option<String>,
    groups: Option<String>,
}

const SELECT_USERS: &str = "SELECT u.id, u.username, u.role, u.disabled, u.version, u.created_at,
        u.last_login_at,
        (SELECT group_concat(name, ',') FROM (SELECT g.name FROM user_groups ug
            JOIN groups g ON g.id = ug.group_id WHERE ug.user_id = u.id ORDER BY g.name)) AS groups
     FROM users u";

fn parse_role(s: &str) -> Role {
    // The CHECK constraint allows only these two values.
    if s == "admin" {
        Role::Admin
    } else {
        Role::User
    }
}

impl From<UserRow> for UserSummary {
    fn from(r: UserRow) -> Self {
        UserSummary {
            id: r.id,
            username: r.username,
            role: parse_role(&r.role),
            groups: r
                .groups
                .map(|g| g.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            disabled: r.disabled,
            version: r.version,
            created_at: r.created_at,
            last_login_at: r.last_login_at,
        }
    }
}

fn internal(e: sqlx::Error) -> AppError {
    tracing::error!(error = %e, "database error");
    AppError::Internal("the database refused the request; see the server log".into())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

pub async fn credentials(pool: &SqlitePool, username: &str) -> AppResult<Option<Credentials>> {
    sqlx::query_as("SELECT id, username, password_hash, disabled FROM users WHERE username = ?")
        .bind(username)
        .fetch_optional(pool)
        .await
        .map_err(internal)
}

/// The account behind a session, or `None` when it no longer exists or is disabled.
pub async fn session_user(pool: &SqlitePool, id: i64) -> AppResult<Option<SessionUser>> {
    let Some(u) = get_on(pool, id).await? else {
        return Ok(None);
    };
    Ok((!u.disabled).then_some(SessionUser {
        id: u.id,
        username: u.username,
        role: u.role,
        groups: u.groups,
    }))
}

async fn get_on(pool: &SqlitePool, id: i64) -> AppResult<Option<UserSummary>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("{SELECT_USERS} WHERE u.id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(internal)?;
    Ok(row.map(Into::into))
}

pub async fn get(pool: &SqlitePool, id: i64) -> AppResult<UserSummary> {
    get_on(pool, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("User #{id}")))
}

pub async fn list(pool: &SqlitePool) -> AppResult<Vec<UserSummary>> {
    let rows: Vec<UserRow> = sqlx::query_as(&format!("{SELECT_USERS} ORDER BY u.username"))
        .fetch_all(pool)
        .await
        .map_err(internal)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn count_enabled_admins(pool: &SqlitePool) -> AppResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
        .fetch_one(pool)
        .await
        .map_err(internal)
}

pub async fn record_login(pool: &SqlitePool, id: i64) -> AppResult<()> {
    sqlx::query("UPDATE users SET last_login_at = ? WHERE id = ?")
        .bind(db::now())
        .bind(id)
        .execute(pool)
        .await
        .map_err(internal)?;
    Ok(())
}

async fn set_groups(
    conn: &mut SqliteConnection,
    user_id: i64,
    groups: &[String],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM user_groups WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for g in groups {
        sqlx::query(
            "INSERT INTO groups (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
        )
        .bind(g)
        .bind(db::now())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO user_groups (user_id, group_id) SELECT ?, id FROM groups WHERE name = ?",
        )
        .bind(user_id)
        .bind(g)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The audited view of an account (never the password hash).
fn snapshot(username: &str, role: Role, groups: &[String], disabled: bool) -> serde_json::Value {
    json!({ "username": username, "role": role, "groups": groups, "disabled": disabled })
}

/// Creates an account (password hashed with Argon2id) and its audit event.
pub async fn create(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    new: NewUser,
    reason: &str,
) -> AppResult<UserSummary> {
    let hash = password::hash(new.password.clone())
        .await
        .map_err(AppError::Internal)?;
    let mut tx = pool.begin().await.map_err(internal)?;
    let now = db::now();
    let inserted = sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, role, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&new.username)
    .bind(&hash)
    .bind(new.role.as_str())
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::invalid(
                "username",
                format!(
                    "Username \"{}\" is already taken: choose another.",
                    new.username
                ),
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    set_groups(&mut tx, id, &new.groups)
        .await
        .map_err(internal)?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "user.create".into(),
            target_type: "user".into(),
            target_id: id.to_string(),
            target_name: new.username.clone(),
            before: None,
            after: Some(snapshot(&new.username, new.role, &new.groups, false)),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    get(pool, id).await
}

/// Changes role, groups and the disabled flag. `expected_version` is the version the form was
/// loaded at: if someone saved in between, nothing is written and a conflict is returned.
pub async fn update(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    expected_version: i64,
    change: UserUpdate,
    reason: &str,
) -> AppResult<UserSummary> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let before: UserSummary =
        sqlx::query_as::<_, UserRow>(&format!("{SELECT_USERS} WHERE u.id = ?"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .map(Into::into)
            .ok_or_else(|| AppError::NotFound(format!("User #{id}")))?;
    let loses_admin = before.role == Role::Admin
        && !before.disabled
        && (change.role != Role::Admin || change.disabled);
    if loses_admin {
        let admins: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?;
        if admins <= 1 {
            let field = if change.disabled { "status" } else { "role" };
            return Err(AppError::invalid(
                field,
                format!(
                    "\"{}\" is the last enabled administrator: make another user an administrator first.",
                    before.username
                ),
            ));
        }
    }
    let updated = sqlx::query(
        "UPDATE users SET role = ?, disabled = ?, version = version + 1, updated_at = ?
         WHERE id = ? AND version = ?",
    )
    .bind(change.role.as_str())
    .bind(change.disabled)
    .bind(db::now())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if updated.rows_affected() == 0 {
        return Err(AppError::Conflict(format!(
            "User \"{}\" was changed by someone else after you opened it (your version {expected_version}, stored version {}). Reload to see the stored values, then apply your change again.",
            before.username, before.version
        )));
    }
    set_groups(&mut tx, id, &change.groups)
        .await
        .map_err(internal)?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "user.update".into(),
            target_type: "user".into(),
            target_id: id.to_string(),
            target_name: before.username.clone(),
            before: Some(snapshot(
                &before.username,
                before.role,
                &before.groups,
                before.disabled,
            )),
            after: Some(snapshot(
                &before.username,
                change.role,
                &change.groups,
                change.disabled,
            )),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    get(pool, id).await
}

/// Sets a new password (CLI `admin create` on an existing name, or an admin reset).
pub async fn set_password(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    new_password: String,
) -> AppResult<()> {
    let hash = password::hash(new_password)
        .await
        .map_err(AppError::Internal)?;
    let user = get(pool, id).await?;
    let mut tx = pool.begin().await.map_err(internal)?;
    sqlx::query(
        "UPDATE users SET password_hash = ?, version = version + 1, updated_at = ? WHERE id = ?",
    )
    .bind(hash)
    .bind(db::now())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "user.password".into(),
            target_type: "user".into(),
            target_id: id.to_string(),
            target_name: user.username,
            before: None,
            after: None,
            reason: "password set".into(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// First run: when no enabled administrator exists, creates `admin` with a random password
/// and returns the credentials so the caller can print them once.
pub async fn bootstrap_admin(pool: &SqlitePool) -> AppResult<Option<(String, String)>> {
    if count_enabled_admins(pool).await? > 0 {
        return Ok(None);
    }
    let mut username = "admin".to_string();
    let mut n = 1;
    while credentials(pool, &username).await?.is_some() {
        n += 1;
        username = format!("admin{n}");
    }
    let pw = password::generate();
    create(
        pool,
        &Actor::system("system"),
        &RequestMeta::default(),
        NewUser {
            username: username.clone(),
            password: pw.clone(),
            role: Role::Admin,
            groups: vec![],
        },
        "first run: no administrator existed",
    )
    .await?;
    Ok(Some((username, pw)))
}
