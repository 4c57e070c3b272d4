//! Password hashing with Argon2id (PHC strings), run off the async threads.
//!
//! Requests hash through a [`Hasher`]: each Argon2 run takes about 19 MiB and a blocking
//! thread for a noticeable time, so at most as many run at once as the machine has cores, a
//! bounded number wait for a turn, and past that the caller is told the server is busy. The
//! free functions [`hash`] and [`verify`] are for local, one-off work (the command line, the
//! first run, tests).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// Hashes a password into a PHC string (`$argon2id$v=19$…`) with a random salt.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| e.to_string())?
}

fn hash_now(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a password against a stored PHC string. Malformed hashes never verify.
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_now(&password, &phc))
        .await
        .unwrap_or(false)
}

/// Too many password hashes are running or waiting: the caller should try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Runs Argon2 for requests: at most `running` at once, at most `queue` more waiting.
#[derive(Debug)]
pub struct Hasher {
    permits: Semaphore,
    running: usize,
    queue: usize,
    /// Requests holding or waiting for a permit.
    admitted: AtomicUsize,
    /// Argon2 runs started (hashes and verifications), for tests and metrics.
    started: AtomicU64,
}

impl Default for Hasher {
    /// As many at once as the machine has cores, and four times that waiting.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self::new(cores, cores * 4)
    }
}

/// A request's place: admitted, holding a permit once `permit` is acquired.
struct Admission<'a>(&'a Hasher);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    /// `running` concurrent Argon2 runs (at least 1), `queue` requests waiting for one.
    pub fn new(running: usize, queue: usize) -> Self {
        let running = running.max(1);
        Self {
            permits: Semaphore::new(running),
            running,
            queue,
            admitted: AtomicUsize::new(0),
            started: AtomicU64::new(0),
        }
    }

    /// How many Argon2 runs may execute at once.
    pub fn running_limit(&self) -> usize {
        self.running
    }

    /// How many Argon2 runs (hashes and verifications) have started so far.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, Busy> {
        let admitted = self.admitted.fetch_add(1, Ordering::SeqCst) + 1;
        let admission = Admission(self);
        if admitted > self.running + self.queue {
            return Err(Busy);
        }
        let Ok(_permit) = self.permits.acquire().await else {
            return Err(Busy);
        };
        self.started.fetch_add(1, Ordering::SeqCst);
        let result = tokio::task::spawn_blocking(work).await.ok();
        drop(admission);
        Ok(result)
    }

    /// Verifies `password` against the PHC string `phc`; malformed hashes never verify.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, Busy> {
        Ok(self
            .run(move || verify_now(&password, &phc))
            .await?
            .unwrap_or(false))
    }

    /// Hashes `password` with a random salt.
    pub async fn hash(&self, password: String) -> Result<Result<String, String>, Busy> {
        Ok(self
            .run(move || hash_now(&password))
            .await?
            .unwrap_or_else(|| Err("the hashing task failed".into())))
    }
}

/// A random password for the bootstrap admin: 20 characters from an unambiguous alphabet.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A random URL-safe token (for request ids and API tokens).
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), h.clone()).await);
        assert!(!verify("wrong".into(), h).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
        assert_eq!(generate().len(), 20);
    }

    #[tokio::test]
    async fn hasher_counts_and_verifies() {
        let hasher = Hasher::new(1, 1);
        let h = hasher
            .hash("correct horse battery".into())
            .await
            .unwrap()
            .unwrap();
        assert!(
            hasher
                .verify("correct horse battery".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong".into(), h).await.unwrap());
        assert_eq!(hasher.started(), 3);
    }

    /// Room for one request (one run, no queue): while it waits for the permit (held here),
    /// the next request is told "busy" at once and never runs Argon2.
    #[tokio::test]
    async fn hasher_refuses_past_its_queue() {
        let hasher = Arc::new(Hasher::new(1, 0));
        let held = hasher.permits.acquire().await.unwrap();
        let waiting = {
            let hasher = Arc::clone(&hasher);
            tokio::spawn(async move { hasher.verify("a".into(), "not a hash".into()).await })
        };
        // Let the waiting request take its place in the queue.
        while hasher.admitted.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            hasher.verify("b".into(), "not a hash".into()).await,
            Err(Busy)
        );
        drop(held);
        assert_eq!(waiting.await.unwrap(), Ok(false));
        assert_eq!(hasher.started(), 1);
    }
}
