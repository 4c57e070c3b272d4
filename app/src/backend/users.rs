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
    pub must_change_password: bool,
    /// Sessions started at another epoch are over (see [`store_password`]).
    pub session_epoch: i64,
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
    must_change_password: bool,
    session_epoch: i64,
}

const SELECT_USERS: &str = "SELECT u.id, u.username, u.role, u.disabled, u.version, u.created_at,
        u.last_login_at, u.must_change_password, u.session_epoch,
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
            must_change_password: r.must_change_password,
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

const SELECT_CREDENTIALS: &str = "SELECT id, username, password_hash, disabled,
        must_change_password, session_epoch FROM users";

pub async fn credentials(pool: &SqlitePool, username: &str) -> AppResult<Option<Credentials>> {
    sqlx::query_as(&format!("{SELECT_CREDENTIALS} WHERE username = ?"))
        .bind(username)
        .fetch_optional(pool)
        .await
        .map_err(internal)
}

pub async fn credentials_by_id(pool: &SqlitePool, id: i64) -> AppResult<Option<Credentials>> {
    sqlx::query_as(&format!("{SELECT_CREDENTIALS} WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(internal)
}

/// The account behind a session, or `None` when it no longer exists or is disabled.
pub async fn session_user(pool: &SqlitePool, id: i64) -> AppResult<Option<SessionUser>> {
    Ok(session_account(pool, id).await?.map(|(u, _)| u))
}

/// The enabled account `id` and its session epoch; `None` when it no longer exists or is
/// disabled.
pub async fn session_account(pool: &SqlitePool, id: i64) -> AppResult<Option<(SessionUser, i64)>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("{SELECT_USERS} WHERE u.id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(internal)?;
    let Some(row) = row.filter(|r| !r.disabled) else {
        return Ok(None);
    };
    let epoch = row.session_epoch;
    let u = UserSummary::from(row);
    Ok(Some((
        SessionUser {
            id: u.id,
            username: u.username,
            role: u.role,
            groups: u.groups,
            must_change_password: u.must_change_password,
        },
        epoch,
    )))
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
    create_hashed(pool, actor, meta, new, &hash, false, reason).await
}

/// Creates an account whose password `new.password` is already hashed into `hash` (requests
/// hash through the state's [`password::Hasher`]). With `must_change_password` the account
/// can only change its password until it has done so.
pub async fn create_hashed(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    new: NewUser,
    hash: &str,
    must_change_password: bool,
    reason: &str,
) -> AppResult<UserSummary> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let now = db::now();
    let inserted = sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, role, created_at, updated_at,
             must_change_password)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&new.username)
    .bind(hash)
    .bind(new.role.as_str())
    .bind(&now)
    .bind(&now)
    .bind(must_change_password)
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
    // Disabling an account ends its sessions for good: re-enabling it does not revive them.
    let disabling = change.disabled && !before.disabled;
    let updated = sqlx::query(
        "UPDATE users SET role = ?, disabled = ?, version = version + 1, updated_at = ?,
             session_epoch = session_epoch + ?
         WHERE id = ? AND version = ?",
    )
    .bind(change.role.as_str())
    .bind(change.disabled)
    .bind(i64::from(disabling))
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
    if disabling {
        record_sessions_ended(
            &mut tx,
            actor,
            meta,
            id,
            &before.username,
            "account disabled",
        )
        .await
        .map_err(internal)?;
    }
    tx.commit().await.map_err(internal)?;
    get(pool, id).await
}

/// The audit event saying every session of account `id` (but the actor's current one, when
/// the actor changed their own password) has ended.
async fn record_sessions_ended(
    conn: &mut SqliteConnection,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    username: &str,
    why: &str,
) -> sqlx::Result<i64> {
    audit::record(
        conn,
        actor,
        meta,
        &Change {
            action: "auth.sessions_ended".into(),
            target_type: "user".into(),
            target_id: id.to_string(),
            target_name: username.into(),
            before: None,
            after: None,
            reason: why.into(),
        },
    )
    .await
}

/// How a password came to be stored, for its audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordEvent {
    /// The account holder changed it (knowing the current one).
    Changed,
    /// An administrator reset it to a one-time password.
    Reset,
    /// Set from the command line (`hubfleet admin create` on an existing name).
    Set,
}

impl PasswordEvent {
    fn action(self) -> &'static str {
        match self {
            PasswordEvent::Changed => "user.password_change",
            PasswordEvent::Reset => "user.password_reset",
            PasswordEvent::Set => "user.password",
        }
    }

    /// Only a reset leaves a one-time password behind (changed at the next sign-in).
    fn one_time(self) -> bool {
        self == PasswordEvent::Reset
    }

    fn sessions(self) -> &'static str {
        match self {
            PasswordEvent::Changed => "password changed: the account's other sessions ended",
            PasswordEvent::Reset => "password reset by an administrator",
            PasswordEvent::Set => "password set from the command line",
        }
    }
}

/// Stores the Argon2 `hash` as account `id`'s password and moves its session epoch on, which
/// ends every session of the account (the caller moves the current session to the returned
/// epoch when it should survive). A reset's password is one-time. Both the change and the
/// ended sessions are audited in the same transaction. Returns the new epoch.
pub async fn store_password(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    hash: &str,
    event: PasswordEvent,
    reason: &str,
) -> AppResult<i64> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let now = db::now();
    let changed: Option<(String, i64)> = sqlx::query_as(
        "UPDATE users SET password_hash = ?, must_change_password = ?,
             session_epoch = session_epoch + 1, password_changed_at = ?,
             version = version + 1, updated_at = ?
         WHERE id = ? RETURNING username, session_epoch",
    )
    .bind(hash)
    .bind(event.one_time())
    .bind(&now)
    .bind(&now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((username, epoch)) = changed else {
        return Err(AppError::NotFound(format!("User #{id}")));
    };
    let reason = if reason.trim().is_empty() {
        match event {
            PasswordEvent::Changed => "changed by the account holder",
            PasswordEvent::Reset => "reset to a one-time password",
            PasswordEvent::Set => "password set",
        }
    } else {
        reason
    };
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: event.action().into(),
            target_type: "user".into(),
            target_id: id.to_string(),
            target_name: username.clone(),
            before: None,
            after: None,
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    record_sessions_ended(&mut tx, actor, meta, id, &username, event.sessions())
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(epoch)
}

/// Sets a new password chosen by the operator (CLI `admin create` on an existing name): not
/// one-time; the account's sessions end.
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
    store_password(pool, actor, meta, id, &hash, PasswordEvent::Set, "").await?;
    Ok(())
}

/// First run: when no enabled administrator exists, creates `admin` with a random, one-time
/// password (changed at first sign-in) and returns the credentials so the caller can print
/// them once.
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
    let hash = password::hash(pw.clone())
        .await
        .map_err(AppError::Internal)?;
    create_hashed(
        pool,
        &Actor::system("system"),
        &RequestMeta::default(),
        NewUser {
            username: username.clone(),
            password: pw.clone(),
            role: Role::Admin,
            groups: vec![],
        },
        &hash,
        true,
        "first run: no administrator existed; its one-time password must be changed at first sign-in",
    )
    .await?;
    Ok(Some((username, pw)))
}
