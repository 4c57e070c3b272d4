//! One portal per data directory: `hubfleet serve` holds an exclusive lock on
//! `<data-dir>/hubfleet.lock` while it runs (the operating system releases it when the process
//! ends, however it ends), so a second portal on the same database, or a restore under a
//! running portal, is refused with the holder's process id.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "hubfleet.lock";

/// Held for as long as the value lives.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    pub path: PathBuf,
}

/// Takes the data directory's lock, or says which process holds it. `purpose` completes the
/// refusal, e.g. "stop it before restoring".
pub fn acquire(data_dir: &Path, purpose: &str) -> Result<DataLock, String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                String::new()
            } else {
                format!(" (process {holder})")
            };
            return Err(format!(
                "a Hubfleet portal{who} is running on data directory {}: {purpose}",
                data_dir.display()
            ));
        }
        Err(TryLockError::Error(e)) => {
            return Err(format!("cannot lock {}: {e}", path.display()));
        }
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(DataLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_process() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = acquire(dir.path(), "stop it first").expect("first lock");
        let err = acquire(dir.path(), "stop it first").expect_err("second lock");
        assert!(
            err.contains(&format!("(process {})", std::process::id())),
            "{err}"
        );
        assert!(err.ends_with("stop it first"), "{err}");
        drop(first);
        acquire(dir.path(), "stop it first").expect("free again");
    }
}
