//! Sign-in, sessions, passwords and role checks.
//!
//! The server crate's middleware resolves the session into a [`CurrentUser`] request extension
//! once per request; server functions and the page guard read that, so there is exactly one
//! place that decides who a request belongs to. A session holds the account id and the
//! account's session epoch at sign-in: a disabled account, or one whose epoch has moved on
//! (password changed or reset, account disabled), resolves to nobody and the session is
//! flushed.
//!
//! A sign-in reserves its attempt in the [`LoginThrottle`] before any password is hashed, so
//! parallel guesses cannot all pass the check; Argon2 runs through the state's
//! [`password::Hasher`]. Sign-ins, failed sign-ins, lockouts, sign-outs, password changes and
//! resets, and the sessions they end are audited.

use super::audit::{self, Actor, Change, RequestMeta};
use super::password::Busy;
use super::{AppState, initial_password, password, users};
use crate::domain::user::{
    OneTimePassword, PASSWORD_MAX, PasswordChangeForm, SessionUser, USERNAME_MAX,
};
use crate::error::{AppError, AppResult};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tower_sessions::Session;

/// Session key holding the signed-in user's id.
pub const SESSION_USER_KEY: &str = "uid";
/// Session key holding the account's session epoch at sign-in.
pub const SESSION_EPOCH_KEY: &str = "epoch";

/// The request's signed-in account, resolved by middleware.
#[derive(Debug, Clone, Default)]
pub struct CurrentUser(pub Option<SessionUser>);

impl CurrentUser {
    /// The account, unless it still has to change its one-time password (routes outside the
    /// server functions use this: such an account may do nothing else).
    pub fn active(&self) -> Option<&SessionUser> {
        self.0.as_ref().filter(|u| !u.must_change_password)
    }
}

fn session_err(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(format!("session store: {e}"))
}

/// Reads the session and returns the enabled account behind it. A session pointing at a
/// disabled or deleted account, or started before the account's session epoch moved on, is
/// flushed.
pub async fn resolve(state: &AppState, session: &Session) -> AppResult<Option<SessionUser>> {
    let id: Option<i64> = session.get(SESSION_USER_KEY).await.map_err(session_err)?;
    let Some(id) = id else { return Ok(None) };
    let epoch: i64 = session
        .get(SESSION_EPOCH_KEY)
        .await
        .map_err(session_err)?
        .unwrap_or(0);
    match users::session_account(&state.pool, id).await? {
        Some((user, current)) if current == epoch => Ok(Some(user)),
        _ => {
            session.flush().await.map_err(session_err)?;
            Ok(None)
        }
    }
}

/// Why the throttle refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures for this account; the wait until the oldest expires.
    Account(Duration),
    /// Too many failures from this client address.
    Address(Duration),
    /// The throttle tracks as many keys as it may: no new ones until old ones expire.
    Full,
}

/// What a failed attempt brought about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failure {
    /// This failure used up the account's allowance: it is locked until the window passes.
    pub account_locked: bool,
    /// This failure used up the client address's allowance.
    pub address_locked: bool,
}

/// Sign-in attempts, per username and per client address, over a sliding window. An attempt
/// is reserved (counted) before its password is checked, and stays counted when it fails, so
/// at most `per_username` checks of one account are ever under way or failed in a window.
#[derive(Debug)]
pub struct LoginThrottle {
    attempts: Mutex<Attempts>,
    pub per_username: usize,
    pub per_address: usize,
    pub window: Duration,
    /// At most this many usernames and addresses are tracked at once.
    pub max_keys: usize,
    /// Failed sign-ins since the process started, by reason (for `/metrics`).
    pub failures: SignInFailures,
}

/// Why a sign-in failed, as `/metrics` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// Unknown account or wrong password.
    BadCredentials,
    /// Refused by the rate limit before any password check.
    RateLimited,
    /// Right password, disabled account.
    Disabled,
}

impl FailureReason {
    pub const ALL: [FailureReason; 3] = [
        FailureReason::BadCredentials,
        FailureReason::RateLimited,
        FailureReason::Disabled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FailureReason::BadCredentials => "bad_credentials",
            FailureReason::RateLimited => "rate_limited",
            FailureReason::Disabled => "disabled",
        }
    }
}

/// Counters of failed sign-ins, one per [`FailureReason`].
#[derive(Debug, Default)]
pub struct SignInFailures([std::sync::atomic::AtomicU64; 3]);

impl SignInFailures {
    pub fn count(&self, reason: FailureReason) {
        self.0[reason as usize].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Every reason with its count (zeros included, so the series exist from the start).
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        FailureReason::ALL
            .iter()
            .map(|r| {
                (
                    r.label(),
                    self.0[*r as usize].load(std::sync::atomic::Ordering::Relaxed),
                )
            })
            .collect()
    }
}

#[derive(Debug, Default)]
struct Attempts {
    by_key: HashMap<String, VecDeque<Instant>>,
    last_prune: Option<Instant>,
}

impl Attempts {
    /// Forgets every attempt older than `window`, and the keys left with none.
    fn prune(&mut self, now: Instant, window: Duration) {
        self.by_key.retain(|_, q| {
            expire(q, now, window);
            !q.is_empty()
        });
        self.last_prune = Some(now);
    }

    fn remove_one(&mut self, key: &str, at: Instant) {
        if let Some(q) = self.by_key.get_mut(key) {
            if let Some(i) = q.iter().position(|t| *t == at) {
                q.remove(i);
            }
            if q.is_empty() {
                self.by_key.remove(key);
            }
        }
    }
}

fn expire(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(5, 20, Duration::from_secs(15 * 60))
    }
}

/// A reserved sign-in attempt. Settle it with [`Attempt::succeeded`] or [`Attempt::failed`];
/// dropped unsettled (the password was never checked, e.g. the hasher was busy) it is
/// released and does not count.
#[must_use]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    user_key: String,
    addr_key: String,
    at: Instant,
    settled: bool,
}

impl Attempt<'_> {
    /// The password was right: the account's failures are forgotten, and this attempt no
    /// longer counts against the address.
    pub fn succeeded(mut self) {
        self.settled = true;
        let mut a = self.throttle.lock();
        a.by_key.remove(&self.user_key);
        a.remove_one(&self.addr_key, self.at);
    }

    /// The password was wrong: the attempt stays counted for the window.
    pub fn failed(mut self) -> Failure {
        self.settled = true;
        let a = self.throttle.lock();
        // The failure that fills a queue (its newest entry) is the one that locks it.
        let locks = |key: &str, limit: usize| {
            a.by_key
                .get(key)
                .is_some_and(|q| q.len() >= limit && q.back() == Some(&self.at))
        };
        Failure {
            account_locked: locks(&self.user_key, self.throttle.per_username),
            address_locked: locks(&self.addr_key, self.throttle.per_address),
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let mut a = self.throttle.lock();
            a.remove_one(&self.user_key, self.at);
            a.remove_one(&self.addr_key, self.at);
        }
    }
}

impl LoginThrottle {
    pub fn new(per_username: usize, per_address: usize, window: Duration) -> Self {
        Self {
            attempts: Mutex::new(Attempts::default()),
            per_username,
            per_address,
            window,
            max_keys: 50_000,
            failures: SignInFailures::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Attempts> {
        self.attempts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn keys(username: &str, addr: &str) -> (String, String) {
        (
            format!("user:{}", username.to_lowercase()),
            format!("addr:{addr}"),
        )
    }

    /// Reserves an attempt for `username` from `addr`, or says why not. Checking and counting
    /// happen under one lock, so parallel attempts cannot all pass.
    pub fn reserve(&self, username: &str, addr: &str) -> Result<Attempt<'_>, Refusal> {
        let now = Instant::now();
        let (user_key, addr_key) = Self::keys(username, addr);
        let mut a = self.lock();
        let due = a
            .last_prune
            .is_none_or(|t| now.duration_since(t) >= self.window);
        if due || a.by_key.len() >= self.max_keys {
            a.prune(now, self.window);
        }
        for (key, limit, refusal) in [
            (
                &user_key,
                self.per_username,
                Refusal::Account as fn(Duration) -> Refusal,
            ),
            (&addr_key, self.per_address, Refusal::Address),
        ] {
            if let Some(q) = a.by_key.get_mut(key) {
                expire(q, now, self.window);
                if q.len() >= limit {
                    let oldest = q.front().copied().unwrap_or(now);
                    return Err(refusal(
                        self.window.saturating_sub(now.duration_since(oldest)),
                    ));
                }
            }
        }
        let new_keys = [&user_key, &addr_key]
            .iter()
            .filter(|k| !a.by_key.contains_key(k.as_str()))
            .count();
        if a.by_key.len() + new_keys > self.max_keys {
            return Err(Refusal::Full);
        }
        for key in [&user_key, &addr_key] {
            a.by_key.entry(key.clone()).or_default().push_back(now);
        }
        drop(a);
        Ok(Attempt {
            throttle: self,
            user_key,
            addr_key,
            at: now,
            settled: false,
        })
    }

    /// How many usernames and addresses are tracked now.
    pub fn tracked_keys(&self) -> usize {
        self.lock().by_key.len()
    }
}

const BAD_CREDENTIALS: &str = "Username or password is incorrect.";

fn rate_limited(refusal: Refusal) -> AppError {
    let (who, wait) = match refusal {
        Refusal::Account(w) => ("this account", w),
        Refusal::Address(w) => ("your network address", w),
        Refusal::Full => {
            return AppError::RateLimited(
                "Too many sign-in attempts on this server right now. Wait a few minutes and try again."
                    .into(),
            );
        }
    };
    let minutes = wait.as_secs().div_ceil(60).max(1);
    AppError::RateLimited(format!(
        "Too many failed sign-in attempts for {who}. Wait {minutes} minute{} and try again, or ask an administrator.",
        if minutes == 1 { "" } else { "s" }
    ))
}

fn busy(_: Busy) -> AppError {
    AppError::Busy(
        "The server is busy checking other passwords. Try again in a few seconds.".into(),
    )
}

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

/// The anonymous actor of failed sign-ins.
fn anonymous() -> Actor {
    Actor::system("anonymous")
}

/// Appends one authentication event (its own transaction: nothing else changes with it).
async fn record(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    action: &str,
    target: (Option<i64>, &str),
    reason: &str,
) -> AppResult<()> {
    let mut conn = state.pool.acquire().await.map_err(super::db::internal)?;
    audit::record(
        &mut conn,
        actor,
        meta,
        &Change {
            action: action.into(),
            target_type: "user".into(),
            target_id: target.0.map(|id| id.to_string()).unwrap_or_default(),
            target_name: target.1.into(),
            before: None,
            after: None,
            reason: reason.into(),
        },
    )
    .await
    .map_err(super::db::internal)?;
    Ok(())
}

/// Audits a failed check of `username`'s password and the lockouts it caused.
async fn record_failure(
    state: &AppState,
    meta: &RequestMeta,
    action: &str,
    target: (Option<i64>, &str),
    failure: Failure,
) -> AppResult<()> {
    record(state, &anonymous(), meta, action, target, "wrong password").await?;
    if failure.account_locked {
        let reason = format!(
            "{} failed attempts for this account within {} minutes",
            state.throttle.per_username,
            state.throttle.window.as_secs() / 60
        );
        record(state, &anonymous(), meta, "auth.lockout", target, &reason).await?;
    }
    if failure.address_locked {
        let reason = format!(
            "{} failed attempts from {} within {} minutes",
            state.throttle.per_address,
            meta.client_addr,
            state.throttle.window.as_secs() / 60
        );
        record(state, &anonymous(), meta, "auth.lockout", target, &reason).await?;
    }
    Ok(())
}

/// Starts `user`'s session at `epoch` under a new session id.
async fn start_session(session: &Session, id: i64, epoch: i64) -> AppResult<()> {
    session.cycle_id().await.map_err(session_err)?;
    session
        .insert(SESSION_USER_KEY, id)
        .await
        .map_err(session_err)?;
    session
        .insert(SESSION_EPOCH_KEY, epoch)
        .await
        .map_err(session_err)
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
    // No account has a longer name or password: refused before anything is stored or hashed.
    if username.chars().count() > USERNAME_MAX || password_input.len() > PASSWORD_MAX {
        return Err(AppError::invalid("form", BAD_CREDENTIALS));
    }
    let attempt = match state.throttle.reserve(username, &meta.client_addr) {
        Ok(a) => a,
        Err(refusal) => {
            state.throttle.failures.count(FailureReason::RateLimited);
            tracing::warn!(username, addr = %meta.client_addr, ?refusal, "sign-in refused by the rate limit");
            return Err(rate_limited(refusal));
        }
    };
    let creds = users::credentials(&state.pool, username).await?;
    let phc = match &creds {
        Some(c) => c.password_hash.clone(),
        None => dummy_hash().await,
    };
    let ok = state
        .hasher
        .verify(password_input.to_string(), phc)
        .await
        .map_err(busy)?;
    let id = creds.as_ref().map(|c| c.id);
    let Some(creds) = creds.filter(|_| ok) else {
        let failure = attempt.failed();
        state.throttle.failures.count(FailureReason::BadCredentials);
        tracing::info!(username, addr = %meta.client_addr, "failed sign-in");
        record_failure(state, meta, "auth.login_failed", (id, username), failure).await?;
        return Err(AppError::invalid("form", BAD_CREDENTIALS));
    };
    if creds.disabled {
        drop(attempt);
        state.throttle.failures.count(FailureReason::Disabled);
        record(
            state,
            &anonymous(),
            meta,
            "auth.login_failed",
            (Some(creds.id), &creds.username),
            "account disabled",
        )
        .await?;
        return Err(AppError::invalid(
            "form",
            "This account is disabled. Ask an administrator to enable it.",
        ));
    }
    attempt.succeeded();
    start_session(session, creds.id, creds.session_epoch).await?;
    users::record_login(&state.pool, creds.id).await?;
    let actor = Actor {
        id: Some(creds.id),
        name: creds.username.clone(),
    };
    let reason = if creds.must_change_password {
        "signed in with a one-time password, which must be changed now"
    } else {
        "signed in"
    };
    record(
        state,
        &actor,
        meta,
        "auth.login",
        (Some(creds.id), &creds.username),
        reason,
    )
    .await?;
    tracing::info!(username = %creds.username, addr = %meta.client_addr, "signed in");
    users::session_user(&state.pool, creds.id)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// The signed-in `user` changes their own password: the current one must be right (checked
/// through the throttle like a sign-in), the new one follows the creation rules. Every other
/// session of the account ends; this one continues under a new id. A one-time password is no
/// longer one, and the first-run password file goes when it held the old password.
pub async fn change_password(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    user: &SessionUser,
    form: &PasswordChangeForm,
) -> AppResult<()> {
    let new_password = form.validate()?;
    let attempt = state
        .throttle
        .reserve(&user.username, &meta.client_addr)
        .map_err(rate_limited)?;
    let creds = users::credentials_by_id(&state.pool, user.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let ok = state
        .hasher
        .verify(form.current_password.clone(), creds.password_hash)
        .await
        .map_err(busy)?;
    if !ok {
        let failure = attempt.failed();
        record_failure(
            state,
            meta,
            "auth.password_check_failed",
            (Some(user.id), &user.username),
            failure,
        )
        .await?;
        return Err(AppError::invalid(
            "current_password",
            "Current password is not correct: type the password you signed in with.",
        ));
    }
    attempt.succeeded();
    let hash = state
        .hasher
        .hash(new_password)
        .await
        .map_err(busy)?
        .map_err(AppError::Internal)?;
    let actor = Actor {
        id: Some(user.id),
        name: user.username.clone(),
    };
    let epoch = users::store_password(
        &state.pool,
        &actor,
        meta,
        user.id,
        &hash,
        users::PasswordEvent::Changed,
        "",
    )
    .await?;
    start_session(session, user.id, epoch).await?;
    if let Some(path) = &state.settings.initial_password_file
        && initial_password::remove_if_holds(path, &form.current_password)
    {
        tracing::info!(path = %path.display(), "the one-time administrator password was changed; its file is removed");
    }
    Ok(())
}

/// An administrator resets account `id`'s password to a random one-time password, returned
/// to be shown once; the account must change it at its next sign-in and all its sessions end.
/// Their own account is changed on the password page instead (with the current password).
pub async fn reset_password(
    state: &AppState,
    admin: &SessionUser,
    meta: &RequestMeta,
    id: i64,
    reason: &str,
) -> AppResult<OneTimePassword> {
    if id == admin.id {
        return Err(AppError::invalid(
            "form",
            "You cannot reset your own password here: use \"Change password\" with your current password.",
        ));
    }
    let user = users::get(&state.pool, id).await?;
    let first_run_file = first_run_file_of(state, id).await;
    let one_time = password::generate();
    let hash = state
        .hasher
        .hash(one_time.clone())
        .await
        .map_err(busy)?
        .map_err(AppError::Internal)?;
    let actor = Actor {
        id: Some(admin.id),
        name: admin.username.clone(),
    };
    users::store_password(
        &state.pool,
        &actor,
        meta,
        id,
        &hash,
        users::PasswordEvent::Reset,
        reason,
    )
    .await?;
    if let Some((path, old)) = first_run_file {
        initial_password::remove_if_holds(&path, &old);
    }
    Ok(OneTimePassword {
        user_id: id,
        username: user.username,
        password: one_time,
    })
}

/// The first-run password file and the password it holds, when that is still account
/// `id`'s password (the file is to go when the password is replaced).
async fn first_run_file_of(state: &AppState, id: i64) -> Option<(std::path::PathBuf, String)> {
    let path = state.settings.initial_password_file.clone()?;
    let old = initial_password::read(&path)?;
    let creds = users::credentials_by_id(&state.pool, id).await.ok()??;
    let holds = state
        .hasher
        .verify(old.clone(), creds.password_hash)
        .await
        .ok()?;
    holds.then_some((path, old))
}

/// Deletes the sessions that have expired (run periodically by the server).
pub async fn delete_expired_sessions(pool: &sqlx::SqlitePool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM tower_sessions WHERE expiry_date < unixepoch()")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Ends the session; a signed-in `user`'s sign-out is audited.
pub async fn logout(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    user: Option<&SessionUser>,
) -> AppResult<()> {
    session.flush().await.map_err(session_err)?;
    if let Some(u) = user {
        let actor = Actor {
            id: Some(u.id),
            name: u.username.clone(),
        };
        record(
            state,
            &actor,
            meta,
            "auth.logout",
            (Some(u.id), &u.username),
            "signed out: the session ended",
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_limits_per_user_and_address() {
        let t = LoginThrottle::new(2, 3, Duration::from_secs(60));
        let _ = t.reserve("alice", "1.1.1.1").unwrap().failed();
        let second = t.reserve("Alice", "1.1.1.1").unwrap().failed();
        assert!(second.account_locked);
        assert!(!second.address_locked);
        assert!(matches!(
            t.reserve("alice", "2.2.2.2"),
            Err(Refusal::Account(_))
        ));
        let third = t.reserve("bob", "1.1.1.1").unwrap().failed();
        assert!(third.address_locked);
        assert!(matches!(
            t.reserve("carol", "1.1.1.1"),
            Err(Refusal::Address(_))
        ));
        // A success forgets the account's failures.
        let t = LoginThrottle::new(2, 10, Duration::from_secs(60));
        let _ = t.reserve("dora", "x").unwrap().failed();
        t.reserve("dora", "x").unwrap().succeeded();
        let _ = t.reserve("dora", "x").unwrap().failed();
        assert!(t.reserve("dora", "x").is_ok());
    }

    /// Reserved attempts count while their password is being checked: the limit holds for
    /// attempts that are all under way at once.
    #[test]
    fn reservations_count_before_the_check() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let held: Vec<_> = (0..3).map(|_| t.reserve("eve", "x").unwrap()).collect();
        assert!(matches!(t.reserve("eve", "x"), Err(Refusal::Account(_))));
        // Dropped unsettled (never checked): released.
        drop(held);
        assert!(t.reserve("eve", "x").is_ok());
    }

    #[test]
    fn throttle_window_expires_and_prunes() {
        let t = LoginThrottle::new(1, 10, Duration::from_millis(0));
        let _ = t.reserve("a", "x").unwrap().failed();
        assert!(t.reserve("a", "x").is_ok());
        assert_eq!(t.tracked_keys(), 0, "expired keys are forgotten");
    }

    #[test]
    fn throttle_map_is_bounded() {
        let mut t = LoginThrottle::new(5, 5, Duration::from_secs(60));
        t.max_keys = 4;
        let _ = t.reserve("a", "1").unwrap().failed();
        let _ = t.reserve("b", "2").unwrap().failed();
        assert_eq!(t.tracked_keys(), 4);
        assert_eq!(t.reserve("c", "3").err(), Some(Refusal::Full));
        // Known keys still work.
        assert!(t.reserve("a", "2").is_ok());
    }
}
