//! Secrets the portal must read back (a hub's JupyterHub API token), encrypted at rest with
//! ChaCha20-Poly1305: a 256-bit key from the configuration (`--secret-key-file`, a file holding
//! the key in base64), a fresh random 96-bit nonce per value, and the owner of the value (e.g.
//! `hub-rest-access:7`) as associated data, so a ciphertext copied onto another row does not
//! open. Without a configured file the key lives in `<data-dir>/secret.key`, created on first
//! use, readable by its owner only; a database copied without that file reveals no token.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the key comes from, loaded on first use.
#[derive(Default)]
pub struct SecretKey {
    path: Option<PathBuf>,
    /// Create the file (with a new random key) when it is missing: only for the default path
    /// in the data directory; a configured file must exist.
    create: bool,
    loaded: OnceLock<Result<ChaCha20Poly1305, String>>,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        Self {
            path: self.path.clone(),
            create: self.create,
            loaded: OnceLock::new(),
        }
    }
}

/// An encrypted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl SecretKey {
    /// The key in `path`; `create`: make the file with a new key when it does not exist.
    pub fn at(path: PathBuf, create: bool) -> Self {
        Self {
            path: Some(path),
            create,
            loaded: OnceLock::new(),
        }
    }

    fn cipher(&self) -> Result<&ChaCha20Poly1305, String> {
        self.loaded
            .get_or_init(|| {
                let path = self
                    .path
                    .as_deref()
                    .ok_or_else(|| "no secret key is configured (--secret-key-file)".to_string())?;
                load(path, self.create).map(|key| ChaCha20Poly1305::new(&key))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Loads the key now (start-up checks it, so a bad file is reported at once).
    pub fn check(&self) -> Result<(), String> {
        self.cipher().map(|_| ())
    }

    pub fn seal(&self, plaintext: &str, owner: &str) -> Result<Sealed, String> {
        use rand::RngCore;
        let cipher = self.cipher()?;
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| "encryption failed".to_string())?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    pub fn open(&self, sealed: &Sealed, owner: &str) -> Result<String, String> {
        let cipher = self.cipher()?;
        if sealed.nonce.len() != 12 {
            return Err("the stored secret is damaged".into());
        }
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| {
                "the stored secret cannot be decrypted with this portal's key (was the secret \
                 key file replaced?): set it again"
                    .to_string()
            })?;
        String::from_utf8(plain).map_err(|_| "the stored secret is damaged".into())
    }
}

fn load(path: &Path, create: bool) -> Result<Key, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = STANDARD.decode(text.trim()).map_err(|_| {
                format!(
                    "the secret key file {} does not hold a base64 key",
                    path.display()
                )
            })?;
            if bytes.len() != 32 {
                return Err(format!(
                    "the secret key file {} must hold 32 bytes in base64 (e.g. the output of \
                     `head -c 32 /dev/urandom | base64`), not {}",
                    path.display(),
                    bytes.len()
                ));
            }
            Ok(*Key::from_slice(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            use rand::RngCore;
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            match write_owner_only(path, &format!("{}\n", STANDARD.encode(key))) {
                Ok(()) => Ok(*Key::from_slice(&key)),
                // Another process (or clone) made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(path, false),
                Err(e) => Err(format!(
                    "cannot create the secret key file {}: {e}",
                    path.display()
                )),
            }
        }
        Err(e) => Err(format!(
            "cannot read the secret key file {}: {e}",
            path.display()
        )),
    }
}

fn write_owner_only(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_owner() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret.key");
        let key = SecretKey::at(path.clone(), true);
        let sealed = key
            .seal("hub-token-123", "hub-rest-access:1")
            .expect("seal");
        assert!(
            !sealed.ciphertext.windows(5).any(|w| w == b"token"),
            "no plaintext in the ciphertext"
        );
        assert_eq!(
            key.open(&sealed, "hub-rest-access:1").expect("open"),
            "hub-token-123"
        );
        assert!(key.open(&sealed, "hub-rest-access:2").is_err());
        // The same file opens it again (another process); the nonce differs per value.
        let again = SecretKey::at(path.clone(), false);
        assert_eq!(
            again.open(&sealed, "hub-rest-access:1").expect("open"),
            "hub-token-123"
        );
        assert_ne!(
            key.seal("x", "o").unwrap().nonce,
            key.seal("x", "o").unwrap().nonce
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Another key does not.
        let other = SecretKey::at(dir.path().join("other.key"), true);
        assert!(other.open(&sealed, "hub-rest-access:1").is_err());
        // A configured file that is missing or malformed is an error naming it.
        let missing = SecretKey::at(dir.path().join("missing.key"), false);
        assert!(missing.check().unwrap_err().contains("missing.key"));
        std::fs::write(dir.path().join("short.key"), "c2hvcnQ=").unwrap();
        let short = SecretKey::at(dir.path().join("short.key"), false);
        assert!(short.check().unwrap_err().contains("32 bytes"));
    }
}
