//! SQLite: one pool for the process (WAL, foreign keys, busy timeout), migrations at start.

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
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

/// Applies pending migrations.
pub async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
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
