//! The password lifecycle through the real router and real sessions: changing one's own
//! password, an administrator's reset (one-time password), the first-run administrator's
//! one-time password and its file, the session epoch that ends other sessions, and the audit
//! events of sign-ins, failures, lockouts, sign-outs, changes, resets and ended sessions.

use crate::common::{PASSWORD, TestApp, enc, fn_path};
use app::api::auth::{ChangePassword, Logout};
use app::api::hubs::ListHubs;
use app::api::users::{ListUsers, ResetUserPassword, UpdateUser};
use app::backend::initial_password;
use app::domain::access::PASSWORD_PAGE;
use app::domain::user::Role;
use http::StatusCode;

fn change_body(current: &str, new: &str, confirm: &str) -> String {
    format!(
        "form[current_password]={}&form[new_password]={}&form[confirm_password]={}",
        enc(current),
        enc(new),
        enc(confirm)
    )
}

async fn actions(app: &TestApp, target: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT action, actor, reason FROM audit_events WHERE target_name = ? ORDER BY id",
    )
    .bind(target)
    .fetch_all(&app.state.pool)
    .await
    .unwrap()
}

/// The current password is required and checked, the new one follows the creation rules
/// (field errors name the field), and a change ends the account's other sessions while this
/// one continues under a new id.
#[tokio::test]
async fn changing_ones_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::new().await;
    app.add_user("alice", Role::User).await;
    let here = app.login("alice").await;
    let elsewhere = app.login("alice").await;
    let path = fn_path::<ChangePassword>();

    let r = app
        .post_form(&path, &change_body(PASSWORD, "short", "short"), Some(&here))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("\"new_password\""), "{}", r.body);
    assert!(
        r.body
            .contains("New password has 5 characters: use at least 10."),
        "{}",
        r.body
    );
    let r = app
        .post_form(
            &path,
            &change_body(
                "not my password",
                "a brand new password",
                "a brand new password",
            ),
            Some(&here),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("\"current_password\""), "{}", r.body);
    assert!(
        r.body.contains("Current password is not correct"),
        "{}",
        r.body
    );
    let r = app
        .post_form(
            &path,
            &change_body(PASSWORD, "a brand new password", "a different one"),
            Some(&here),
        )
        .await;
    assert!(r.body.contains("\"confirm_password\""), "{}", r.body);
    // Nothing changed so far; both sessions work.
    assert_eq!(
        app.get("/me", Some(&elsewhere)).await.status,
        StatusCode::OK
    );

    let r = app
        .post_form(
            &path,
            &change_body(PASSWORD, "a brand new password", "a brand new password"),
            Some(&here),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let continued = r
        .session_cookie()
        .expect("the session continues under a new id");
    assert_ne!(continued, here);
    assert_eq!(
        app.get("/me", Some(&continued)).await.status,
        StatusCode::OK
    );
    // The other session ended (and the old id of this one is gone).
    for ended in [&elsewhere, &here] {
        let r = app.get("/me", Some(ended)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(
        app.try_login("alice", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.try_login("alice", "a brand new password").await.status,
        StatusCode::OK
    );
    let audit = actions(&app, "alice").await;
    let names: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    for expected in [
        "auth.login",
        "auth.password_check_failed",
        "user.password_change",
        "auth.sessions_ended",
        "auth.login_failed",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let change = audit
        .iter()
        .find(|(a, _, _)| a == "user.password_change")
        .unwrap();
    assert_eq!(change.1, "alice");
    // The hash never reaches the audit trail.
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'alice'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let leaked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE instr(coalesce(after_json, '') || diff_json || reason, ?) > 0",
    )
    .bind(&hash)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
}

/// An administrator resets a user's password: the one-time password is returned once, the
/// user's sessions end, and after signing in with it the user can only change it (pages
/// redirect to the password page, server functions answer 403) until they have.
#[tokio::test]
async fn a_reset_gives_a_one_time_password_that_must_be_changed() {
    let app = TestApp::new().await;
    let root = app.add_user("root", Role::Admin).await;
    let bob = app.add_user("bob", Role::Admin).await;
    let admin = app.login("root").await;
    let bobs_session = app.login("bob").await;
    let path = fn_path::<ResetUserPassword>();

    // Not for oneself, and not for a user.
    let r = app
        .post_form(&path, &format!("id={root}&reason="), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Change password"), "{}", r.body);
    app.add_user("ursula", Role::User).await;
    let user = app.login("ursula").await;
    let r = app
        .post_form(&path, &format!("id={bob}&reason="), Some(&user))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = app
        .post_form(&path, &format!("id={bob}&reason=forgot+it"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let reset: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(reset["user_id"], bob);
    let one_time = reset["password"].as_str().unwrap().to_string();
    assert_eq!(one_time.len(), 20);
    // Bob's session has ended; the one-time password is not shown anywhere again.
    assert_eq!(
        app.get("/hubs", Some(&bobs_session)).await.status,
        StatusCode::SEE_OTHER
    );
    let list = app
        .post_form(&fn_path::<ListUsers>(), "", Some(&admin))
        .await;
    assert!(!list.body.contains(&one_time));
    assert!(
        list.body.contains("\"must_change_password\":true"),
        "{}",
        list.body
    );

    let r = app.try_login("bob", &one_time).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("\"must_change_password\":true"),
        "{}",
        r.body
    );
    let bob_now = r.session_cookie().unwrap();
    for page in ["/", "/hubs", "/users"] {
        let r = app.get(page, Some(&bob_now)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(r.location(), Some(PASSWORD_PAGE));
    }
    assert_eq!(
        app.get(PASSWORD_PAGE, Some(&bob_now)).await.status,
        StatusCode::OK
    );
    let r = app
        .post_form(&fn_path::<ListHubs>(), "", Some(&bob_now))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("PasswordChangeRequired"), "{}", r.body);

    let r = app
        .post_form(
            &fn_path::<ChangePassword>(),
            &change_body(&one_time, "bob's own password", "bob's own password"),
            Some(&bob_now),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bob_now = r.session_cookie().unwrap();
    assert_eq!(
        app.get("/hubs", Some(&bob_now)).await.status,
        StatusCode::OK
    );
    let r = app
        .post_form(&fn_path::<ListHubs>(), "", Some(&bob_now))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let audit = actions(&app, "bob").await;
    let reset = audit
        .iter()
        .find(|(a, _, _)| a == "user.password_reset")
        .expect("the reset is audited");
    assert_eq!(reset.1, "root");
    assert_eq!(reset.2, "forgot it");
    assert!(
        audit
            .iter()
            .any(|(a, _, r)| a == "auth.sessions_ended" && r.contains("reset"))
    );
}

/// Disabling an account ends its sessions for good: enabling it again does not bring them
/// back. The ended sessions are audited.
#[tokio::test]
async fn disabling_ends_sessions_for_good() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let eve = app.add_user("eve", Role::User).await;
    let admin = app.login("root").await;
    let eves = app.login("eve").await;
    for (version, status) in [(1, "disabled"), (2, "enabled")] {
        let body = format!(
            "id={eve}&version={version}&form[role]=user&form[groups]=&form[status]={status}&reason="
        );
        let r = app
            .post_form(&fn_path::<UpdateUser>(), &body, Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(
        app.get("/me", Some(&eves)).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        actions(&app, "eve")
            .await
            .iter()
            .any(|(a, _, r)| a == "auth.sessions_ended" && r == "account disabled")
    );
}

/// Sign-ins, failed sign-ins, the lockout, and sign-outs are in the audit trail, with the
/// client's address.
#[tokio::test]
async fn sign_ins_failures_lockouts_and_sign_outs_are_audited() {
    let app = TestApp::new().await;
    app.add_user("carl", Role::User).await;
    let cookie = app.login("carl").await;
    let r = app.post_form(&fn_path::<Logout>(), "", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    for _ in 0..app.state.throttle.per_username {
        app.try_login("carl", "not the password").await;
    }
    // Refused while locked: no more events for these.
    let r = app.try_login("carl", "not the password").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.try_login("nobody-here", "not the password").await;

    let audit = actions(&app, "carl").await;
    let count = |action: &str| audit.iter().filter(|(a, _, _)| a == action).count();
    assert_eq!(count("auth.login"), 1, "{audit:?}");
    assert_eq!(count("auth.logout"), 1);
    assert_eq!(count("auth.login_failed"), 5);
    assert_eq!(count("auth.lockout"), 1);
    let lockout = audit.iter().find(|(a, _, _)| a == "auth.lockout").unwrap();
    assert_eq!(lockout.1, "anonymous");
    assert!(lockout.2.contains("5 failed attempts"), "{}", lockout.2);
    // A failure for an unknown name is audited under that name, without an id.
    let (id, name): (String, String) = sqlx::query_as(
        "SELECT target_id, target_name FROM audit_events WHERE action = 'auth.login_failed'
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!((id.as_str(), name.as_str()), ("", "nobody-here"));
}

/// The first run prints the administrator's one-time password to stderr even when the log
/// level hides warnings, and writes it to `initial-admin-password` (owner-only). Signing in
/// with it leads to the password page only; the change removes the file.
#[tokio::test]
async fn first_run_password_is_printed_saved_owner_only_and_removed_after_the_change() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hubfleet"))
        .args([
            "--log-level",
            "error",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cluster",
            "demo",
            "--seed-example=false",
        ])
        .env("HUBFLEET_DATA_DIR", &data)
        .env_remove("HUBFLEET_DATABASE_URL")
        .env_remove("HUBFLEET_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().unwrap();
    let mut password = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(rest) = line.split("with password: ").nth(1) {
            password = Some(rest.trim().to_string());
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let password = password.expect("the password is printed whatever the log level");
    let file = initial_password::path_in(&data);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{password}\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The same data directory served by the test router: sign in with the printed password.
    let app = TestApp::with_dir(dir).await;
    let r = app.try_login("admin", &password).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.location(),
        Some(PASSWORD_PAGE),
        "signing in with the one-time password leads to the password page"
    );
    let cookie = r.session_cookie().unwrap();
    let r = app.get("/", Some(&cookie)).await;
    assert_eq!(r.location(), Some(PASSWORD_PAGE));
    let r = app
        .post_form(
            &fn_path::<ChangePassword>(),
            &change_body(
                &password,
                "the admin's own password",
                "the admin's own password",
            ),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!file.exists(), "the file goes with the one-time password");
    let cookie = r.session_cookie().unwrap();
    assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK);
}

/// When another administrator resets the first-run administrator's password before it was
/// changed, the file with the replaced one-time password goes too.
#[tokio::test]
async fn a_reset_of_the_first_run_password_removes_its_file() {
    let app = TestApp::new().await;
    server::startup::bootstrap(&app.state.pool, false, app.dir.path())
        .await
        .unwrap();
    let file = initial_password::path_in(app.dir.path());
    assert!(file.exists());
    app.add_user("second", Role::Admin).await;
    let admin = app.login("second").await;
    let first: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    // An unrelated reset leaves it.
    let other = app.add_user("someone", Role::User).await;
    let r = app
        .post_form(
            &fn_path::<ResetUserPassword>(),
            &format!("id={other}&reason="),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(file.exists());
    let r = app
        .post_form(
            &fn_path::<ResetUserPassword>(),
            &format!("id={first}&reason="),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        !file.exists(),
        "the replaced one-time password's file is removed"
    );
}
