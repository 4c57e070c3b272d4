//! SQLite: one pool for the process (WAL, foreign keys, busy timeout), migrations at start.

use sqlx::SqlitePool;
use sqlx::migrate::{Migrate, MigrateError, Migration};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// The migrations embedded in the binary (`migrations/` at the workspace root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens (creating if needed) the database at `url` with the settings the portal relies on.
pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
}

/// The header line that makes [`migrate`] run a migration with foreign keys disabled.
pub const FOREIGN_KEYS_OFF: &str = "-- foreign_keys: off";

/// Whether `migration` starts with the [`FOREIGN_KEYS_OFF`] header (among its first comment
/// lines).
fn wants_foreign_keys_off(migration: &Migration) -> bool {
    migration
        .sql
        .lines()
        .take_while(|l| l.trim_start().starts_with("--"))
        .any(|l| l.trim() == FOREIGN_KEYS_OFF)
}

/// Applies pending migrations, oldest first, each in its own transaction (as sqlx's migrator
/// does, with the same bookkeeping table and checksums).
///
/// A migration whose header says [`FOREIGN_KEYS_OFF`] (one that rebuilds tables others
/// reference: SQLite cannot alter a column's definition in place) runs with foreign keys
/// disabled on its connection; that cannot be switched inside a transaction, so it is done
/// around the migration's own. `PRAGMA foreign_key_check` runs afterwards and any row it
/// reports fails the start-up (such a migration also checks before it commits). Foreign keys
/// are switched on again whatever happened; a connection on which that cannot be confirmed is
/// closed rather than handed back to the pool.
pub async fn migrate(pool: &SqlitePool) -> Result<(), MigrateError> {
    let mut conn = pool.acquire().await?;
    conn.ensure_migrations_table().await?;
    if let Some(version) = conn.dirty_version().await? {
        return Err(MigrateError::Dirty(version));
    }
    let applied: HashMap<i64, Vec<u8>> = conn
        .list_applied_migrations()
        .await?
        .into_iter()
        .map(|m| (m.version, m.checksum.into_owned()))
        .collect();
    for migration in MIGRATOR.iter() {
        if migration.migration_type.is_down_migration() {
            continue;
        }
        if let Some(checksum) = applied.get(&migration.version) {
            if *checksum != *migration.checksum {
                return Err(MigrateError::VersionMismatch(migration.version));
            }
            continue;
        }
        if !wants_foreign_keys_off(migration) {
            conn.apply(migration).await?;
            continue;
        }
        let result = apply_without_foreign_keys(&mut conn, migration).await;
        let restored = sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut *conn)
            .await
            .is_ok()
            && sqlx::query_scalar::<_, i64>("PRAGMA foreign_keys")
                .fetch_one(&mut *conn)
                .await
                .is_ok_and(|on| on == 1);
        if !restored {
            let _ = conn.close().await;
            result?;
            return Err(MigrateError::ExecuteMigration(
                sqlx::Error::Protocol("foreign keys could not be switched on again".into()),
                migration.version,
            ));
        }
        result?;
    }
    Ok(())
}

async fn apply_without_foreign_keys(
    conn: &mut sqlx::SqliteConnection,
    migration: &Migration,
) -> Result<(), MigrateError> {
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    conn.apply(migration).await?;
    foreign_keys_hold(conn, migration.version).await
}

/// `PRAGMA foreign_key_check` on the whole database: an error naming the first broken rows.
async fn foreign_keys_hold(
    conn: &mut sqlx::SqliteConnection,
    version: i64,
) -> Result<(), MigrateError> {
    let rows: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .fetch_all(&mut *conn)
            .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let first: Vec<String> = rows
        .iter()
        .take(5)
        .map(|(table, rowid, parent)| {
            format!("{table} row {} → {parent}", rowid.unwrap_or_default())
        })
        .collect();
    Err(MigrateError::ExecuteMigration(
        sqlx::Error::Protocol(format!(
            "{} foreign key violation(s) after the migration: {}",
            rows.len(),
            first.join(", ")
        )),
        version,
    ))
}

/// Whether every embedded migration has been applied (used by `/readyz`).
pub async fn migrations_applied(pool: &SqlitePool) -> Result<bool, sqlx::Error> {
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(pool)
            .await?;
    let expected = i64::try_from(MIGRATOR.iter().count()).unwrap_or(i64::MAX);
    Ok(applied >= expected)
}

/// Current time as stored in every timestamp column (RFC 3339, UTC, milliseconds).
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// A database error the user cannot fix: logged in full, answered as a generic 500.
pub(crate) fn internal(e: sqlx::Error) -> crate::error::AppError {
    tracing::error!(error = %e, "database error");
    crate::error::AppError::Internal("the database refused the request; see the server log".into())
}
