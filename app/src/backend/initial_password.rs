//! The file `initial-admin-password` in the data directory: the first-run administrator's
//! one-time password, readable by the owner only, removed once that password is changed.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "initial-admin-password";

/// Where the file lives for data directory `data_dir`.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Writes `password` (and a newline) to `path`, readable and writable by the owner only. A
/// file left from before is replaced, never reused with its old permissions.
pub fn write(path: &Path, password: &str) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(format!("{password}\n").as_bytes())?;
    file.sync_all()
}

/// The password the file at `path` holds, when it exists.
pub fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|c| c.trim_end_matches(['\n', '\r']).to_string())
}

/// Removes the file at `path` when it holds `old_password`, the password that was just
/// changed: the one-time password is then useless, and the file goes with it. Returns whether
/// it was removed.
pub fn remove_if_holds(path: &Path, old_password: &str) -> bool {
    if read(path).as_deref() != Some(old_password) {
        return false;
    }
    match std::fs::remove_file(path) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "could not remove the initial administrator password file");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_owner_only_and_removed_by_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        write(&path, "first").unwrap();
        write(&path, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!remove_if_holds(&path, "first"));
        assert!(path.exists());
        assert!(remove_if_holds(&path, "second"));
        assert!(!path.exists());
    }
}
