//! Backups of the database (`hubfleet backup` / `hubfleet restore`).
//!
//! A backup is SQLite's `VACUUM INTO`: it reads one snapshot of the live database (a read
//! transaction, which in WAL mode never blocks the portal's writers) and writes it to a new
//! file, so the copy holds exactly what was committed when it started. The copy is written
//! under a temporary name, checked (`PRAGMA integrity_check`, migrations this binary knows),
//! and only then renamed to the name asked for.
//!
//! A restore checks the backup the same way, keeps a copy of the database it replaces beside
//! it, and puts the backup in place. The caller makes sure no portal runs on the database
//! (the data directory's lock, in the server crate).

use super::db::MIGRATOR;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};
use std::path::{Path, PathBuf};

/// What a backup file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub bytes: u64,
    /// The newest migration applied in it.
    pub schema_version: i64,
    pub hubs: i64,
    pub profiles: i64,
    pub accounts: i64,
    pub audit_events: i64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bytes, schema version {}: {} hub(s), {} profile(s), {} account(s), {} audit event(s)",
            self.bytes,
            self.schema_version,
            self.hubs,
            self.profiles,
            self.accounts,
            self.audit_events
        )
    }
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Copies the database behind `pool` to `dest` (which must not exist) while it stays in use.
pub async fn backup_to(pool: &SqlitePool, dest: &Path) -> Result<Summary, String> {
    if dest.exists() {
        return Err(format!(
            "{} exists: choose a new file name (a backup never overwrites a file)",
            dest.display()
        ));
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(format!(
            "the folder {} does not exist: create it first",
            dir.display()
        ));
    }
    let partial = with_suffix(dest, ".partial");
    let _ = std::fs::remove_file(&partial);
    let target = partial
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", partial.display()))?;
    let result = async {
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(pool)
            .await
            .map_err(|e| format!("the copy failed: {e}"))?;
        let summary = inspect(&partial).await?;
        std::fs::rename(&partial, dest)
            .map_err(|e| format!("cannot rename the copy to {}: {e}", dest.display()))?;
        Ok(summary)
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

async fn open_read_only(path: &Path) -> Result<SqliteConnection, String> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| format!("{} is not a readable SQLite database: {e}", path.display()))
}

async fn count(conn: &mut SqliteConnection, table: &str) -> Result<i64, String> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| format!("cannot count {table}: {e}"))
}

/// Checks that `path` is a sound Hubfleet database this binary can run on: SQLite's
/// integrity check passes, and every migration applied in it is one of this binary's, with
/// the same checksum (an older backup is fine: the portal applies the rest at start).
pub async fn inspect(path: &Path) -> Result<Summary, String> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    let mut conn = open_read_only(path).await?;
    let result = async {
        let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| format!("{} is not a readable SQLite database: {e}", path.display()))?;
        if problems != ["ok"] {
            return Err(format!(
                "{} fails SQLite's integrity check: {}",
                path.display(),
                problems.join("; ")
            ));
        }
        let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(|_| {
            format!(
                "{} is not a Hubfleet database (no migrations table)",
                path.display()
            )
        })?;
        for (version, checksum) in &applied {
            match MIGRATOR.iter().find(|m| m.version == *version) {
                None => {
                    return Err(format!(
                        "{} was made by a newer Hubfleet (migration {version} is unknown to this \
                         one): restore it with that version",
                        path.display()
                    ));
                }
                Some(m) if *m.checksum != **checksum => {
                    return Err(format!(
                        "{}: migration {version} differs from this Hubfleet's; it was not made by \
                         this project",
                        path.display()
                    ));
                }
                Some(_) => {}
            }
        }
        let schema_version = applied.last().map_or(0, |(v, _)| *v);
        Ok(Summary {
            bytes,
            schema_version,
            hubs: count(&mut conn, "hubs").await?,
            profiles: count(&mut conn, "profiles").await?,
            accounts: count(&mut conn, "users").await?,
            audit_events: count(&mut conn, "audit_events").await?,
        })
    }
    .await;
    let _ = conn.close().await;
    result
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub summary: Summary,
    /// Where the database that was replaced is kept (`None`: there was none).
    pub previous: Option<PathBuf>,
}

/// Puts the backup `from` in place of the database file `db_path`. No portal may be using
/// `db_path` (the caller holds the data directory's lock). The database replaced is first
/// copied, consistently, to `<db_path>.before-restore-<UTC time>`.
pub async fn restore(from: &Path, db_path: &Path) -> Result<Restored, String> {
    let summary = inspect(from).await?;
    let previous = if db_path.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let keep = with_suffix(db_path, &format!(".before-restore-{stamp}"));
        let mut conn = SqliteConnectOptions::new()
            .filename(db_path)
            .connect()
            .await
            .map_err(|e| {
                format!(
                    "cannot open the current database {}: {e}",
                    db_path.display()
                )
            })?;
        let keep_str = keep
            .to_str()
            .ok_or_else(|| format!("{} is not a UTF-8 path", keep.display()))?;
        let copied = sqlx::query("VACUUM INTO ?")
            .bind(keep_str)
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        copied.map_err(|e| {
            format!(
                "cannot keep a copy of the current database ({}); nothing was changed: {e}",
                keep.display()
            )
        })?;
        Some(keep)
    } else {
        None
    };
    let incoming = with_suffix(db_path, ".restoring");
    std::fs::copy(from, &incoming)
        .and_then(|_| std::fs::File::open(&incoming)?.sync_all())
        .map_err(|e| format!("cannot copy the backup next to the database: {e}"))?;
    // The replaced database's write-ahead log and index belong to it, not to the backup.
    for suffix in ["-wal", "-shm"] {
        let side = with_suffix(db_path, suffix);
        if side.exists() {
            std::fs::remove_file(&side)
                .map_err(|e| format!("cannot remove {}: {e}", side.display()))?;
        }
    }
    std::fs::rename(&incoming, db_path)
        .map_err(|e| format!("cannot put the backup in place: {e}"))?;
    Ok(Restored { summary, previous })
}

/// The file of a `sqlite:` database URL (`sqlite://path`, `sqlite:path`, query ignored);
/// `None` for an in-memory database.
pub fn file_of_url(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_name_their_file() {
        assert_eq!(
            file_of_url("sqlite:///data/hubfleet.db"),
            Some(PathBuf::from("/data/hubfleet.db"))
        );
        assert_eq!(
            file_of_url("sqlite://./data/hubfleet.db?mode=rwc"),
            Some(PathBuf::from("./data/hubfleet.db"))
        );
        assert_eq!(file_of_url("sqlite::memory:"), None);
        assert_eq!(file_of_url("postgres://x"), None);
    }
}
