//! Sign-in, sessions and role checks.
//!
//! The server crate's middleware resolves the session into a [`CurrentUser`] request extension
//! once per request; server functions and the page guard read that, so there is exactly one
//! place that decides who a request belongs to. A disabled account resolves to nobody and its
//! session is flushed.

use super::audit::RequestMeta;
use super::{AppState, password, users};
use crate::domain::user::SessionUser;
use crate::error::{AppError, AppResult};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tower_sessions::Session;

/// Session key holding the signed-in user's id.
pub const SESSION_USER_KEY: &str = "uid";

/// The request's signed-in account, resolved by middleware.
#[derive(Debug, Clone, Default)]
pub struct CurrentUser(pub Option<SessionUser>);

/// Reads the session and returns the enabled account behind it. A session pointing at a
/// disabled or deleted account is flushed.
pub async fn resolve(state: &AppState, session: &Session) -> AppResult<Option<SessionUser>> {
    let id: Option<i64> = session
        .get(SESSION_USER_KEY)
        .await
        .map_err(|e| AppError::Internal(format!("session store: {e}")))?;
    let Some(id) = id else { return Ok(None) };
    let user = users::session_user(&state.pool, id).await?;
    if user.is_none() {
        session
            .flush()
            .await
            .map_err(|e| AppError::Internal(format!("session store: {e}")))?;
    }
    Ok(user)
}

/// Failed sign-in counting, per username and per client address, over a sliding window.
#[derive(Debug)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    pub per_username: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(5, 20, Duration::from_secs(15 * 60))
    }
}

impl LoginThrottle {
    pub fn new(per_username: usize, per_address: usize, window: Duration) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            per_username,
            per_address,
            window,
        }
    }

    fn keys(username: &str, addr: &str) -> [(String, bool); 2] {
        [
            (format!("user:{}", username.to_lowercase()), true),
            (format!("addr:{addr}"), false),
        ]
    }

    /// `Err(wait)` when either key is over its limit.
    pub fn check(&self, username: &str, addr: &str) -> Result<(), (Duration, bool)> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, is_user) in Self::keys(username, addr) {
            let limit = if is_user {
                self.per_username
            } else {
                self.per_address
            };
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let oldest = q.front().copied().unwrap_or(now);
                    let wait = self.window.saturating_sub(now.duration_since(oldest));
                    return Err((wait, is_user));
                }
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, username: &str, addr: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in Self::keys(username, addr) {
            map.entry(key).or_default().push_back(now);
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("user:{}", username.to_lowercase()));
    }
}

const BAD_CREDENTIALS: &str = "Username or password is incorrect.";

/// A hash of a throw-away password, verified against when the username does not exist so a
/// wrong username and a wrong password take the same time.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn dummy_hash() -> String {
    if let Some(h) = DUMMY_HASH.get() {
        return h.clone();
    }
    let h = password::hash("dummy password for timing".into())
        .await
        .unwrap_or_default();
    DUMMY_HASH.get_or_init(|| h).clone()
}

/// Checks the credentials (rate-limited), then rotates the session id and stores the user.
pub async fn login(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    username: &str,
    password_input: &str,
) -> AppResult<SessionUser> {
    let username = username.trim();
    if username.is_empty() || password_input.is_empty() {
        let mut e = crate::domain::FieldErrors::new();
        if username.is_empty() {
            e.push("username", "Enter your username.");
        }
        if password_input.is_empty() {
            e.push("password", "Enter your password.");
        }
        return Err(AppError::Invalid(e));
    }
    if let Err((wait, is_user)) = state.throttle.check(username, &meta.client_addr) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let who = if is_user {
            "this account"
        } else {
            "your network address"
        };
        tracing::warn!(username, addr = %meta.client_addr, "sign-in rate limit hit");
        return Err(AppError::RateLimited(format!(
            "Too many failed sign-in attempts for {who}. Wait {minutes} minute{} and try again, or ask an administrator.",
            if minutes == 1 { "" } else { "s" }
        )));
    }
    let creds = users::credentials(&state.pool, username).await?;
    let (ok, creds) = match creds {
        Some(c) => (
            password::verify(password_input.to_string(), c.password_hash.clone()).await,
            Some(c),
        ),
        None => {
            password::verify(password_input.to_string(), dummy_hash().await).await;
            (false, None)
        }
    };
    let Some(creds) = creds.filter(|_| ok) else {
        state.throttle.record_failure(username, &meta.client_addr);
        tracing::info!(username, addr = %meta.client_addr, "failed sign-in");
        return Err(AppError::invalid("form", BAD_CREDENTIALS));
    };
    if creds.disabled {
        return Err(AppError::invalid(
            "form",
            "This account is disabled. Ask an administrator to enable it.",
        ));
    }
    state.throttle.record_success(username);
    let session_err =
        |e: tower_sessions::session::Error| AppError::Internal(format!("session store: {e}"));
    session.cycle_id().await.map_err(session_err)?;
    session
        .insert(SESSION_USER_KEY, creds.id)
        .await
        .map_err(session_err)?;
    users::record_login(&state.pool, creds.id).await?;
    tracing::info!(username = %creds.username, addr = %meta.client_addr, "signed in");
    users::session_user(&state.pool, creds.id)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// Deletes the sessions that have expired (run periodically by the server).
pub async fn delete_expired_sessions(pool: &sqlx::SqlitePool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM tower_sessions WHERE expiry_date < unixepoch()")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

pub async fn logout(session: &Session) -> AppResult<()> {
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(format!("session store: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_limits_per_user_and_address() {
        let t = LoginThrottle::new(2, 3, Duration::from_secs(60));
        assert!(t.check("alice", "1.1.1.1").is_ok());
        t.record_failure("alice", "1.1.1.1");
        t.record_failure("Alice", "1.1.1.1");
        assert!(matches!(t.check("alice", "2.2.2.2"), Err((_, true))));
        assert!(t.check("bob", "2.2.2.2").is_ok());
        t.record_failure("bob", "1.1.1.1");
        assert!(matches!(t.check("carol", "1.1.1.1"), Err((_, false))));
        t.record_success("alice");
        assert!(t.check("alice", "3.3.3.3").is_ok());
    }

    #[test]
    fn throttle_window_expires() {
        let t = LoginThrottle::new(1, 10, Duration::from_millis(0));
        t.record_failure("a", "x");
        std::thread::sleep(Duration::from_millis(2));
        assert!(t.check("a", "x").is_ok());
    }
}
