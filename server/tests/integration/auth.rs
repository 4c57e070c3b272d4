//! Accounts, sessions, CSRF and role checks through the real router and a real SQLite file.

use crate::common::{PASSWORD, TestApp, enc, fn_path};
use app::api::auth::Logout;
use app::api::users::{CreateUser, ListUsers, RecentAudit, UpdateUser};
use app::domain::access::{Access, PAGES};
use app::domain::user::Role;
use axum::body::Body;
use http::{Request, StatusCode, header};

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn login_ok_and_bad() {
    let app = TestApp::new().await;
    app.add_user("alice", Role::User).await;
    let bad = app.try_login("alice", "wrong password!").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("Username or password is incorrect"),
        "{}",
        bad.body
    );
    assert!(bad.session_cookie().is_none());
    let unknown = app.try_login("nobody", PASSWORD).await;
    assert!(unknown.body.contains("Username or password is incorrect"));

    let good = app.try_login("alice", PASSWORD).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    let set_cookie = good
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = good.session_cookie().unwrap();
    let me = app.get("/me", Some(&cookie)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("alice"));
}

#[tokio::test]
async fn empty_login_fields_get_field_errors() {
    let app = TestApp::new().await;
    let r = app
        .post_form(
            &fn_path::<app::api::auth::Login>(),
            "username=&password=",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Enter your username"), "{}", r.body);
    assert!(r.body.contains("Enter your password"), "{}", r.body);
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_username() {
    let app = TestApp::new().await;
    app.add_user("bob", Role::User).await;
    for _ in 0..5 {
        let r = app.try_login("bob", "not the password").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Even the right password is refused until the window passes.
    let r = app.try_login("bob", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(
        r.body
            .contains("Too many failed sign-in attempts for this account"),
        "{}",
        r.body
    );
    assert!(r.session_cookie().is_none());
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_address() {
    let app = TestApp::new().await;
    // 20 failures spread over many usernames from one address.
    for i in 0..20 {
        app.try_login(&format!("guess{i}"), "not the password")
            .await;
    }
    app.add_user("carol", Role::User).await;
    let r = app.try_login("carol", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("your network address"), "{}", r.body);
}

#[tokio::test]
async fn session_id_rotates_at_login() {
    let app = TestApp::new().await;
    app.add_user("dave", Role::User).await;
    let first = app.login("dave").await;
    let body = format!("username=dave&password={}", enc(PASSWORD));
    let again = app
        .post_form(&fn_path::<app::api::auth::Login>(), &body, Some(&first))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let second = again.session_cookie().expect("a new session cookie");
    assert_ne!(first, second, "the session id must change at login");
    // The old id no longer works.
    let r = app.get("/me", Some(&first)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forged_cross_site_requests_are_refused() {
    let app = TestApp::new().await;
    app.add_user("admin1", Role::Admin).await;
    let cookie = app.login("admin1").await;
    let path = fn_path::<CreateUser>();
    let body = format!(
        "form[username]=mallory&form[password]={}&form[role]=admin&form[groups]=&reason=",
        enc(PASSWORD)
    );
    // A page on another site posting with the victim's cookie: modern browsers say cross-site.
    let forged = Request::post(&path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .unwrap();
    let r = app.send(forged).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Cross-site request refused"));
    // Older browsers without Sec-Fetch-Site: the Origin decides.
    let forged = Request::post(&path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(app.send(forged).await.status, StatusCode::FORBIDDEN);
    // Forged logout (a classic nuisance CSRF) is refused too.
    let forged = Request::post(fn_path::<Logout>())
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::REFERER, "https://evil.example/page")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(forged).await.status, StatusCode::FORBIDDEN);
    // Nothing was created.
    let list = app
        .post_form(&fn_path::<ListUsers>(), "", Some(&cookie))
        .await;
    assert!(!list.body.contains("mallory"), "{}", list.body);
    // The same request from our own page works.
    let ok = app.post_form(&path, &body, Some(&cookie)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

fn signed_in_pages() -> Vec<(&'static str, Access)> {
    let mut pages: Vec<(&'static str, Access)> = PAGES
        .iter()
        .copied()
        .filter(|(_, a)| *a != Access::Public)
        .collect();
    pages.push(("/", Access::SignedIn));
    pages
}

#[tokio::test]
async fn every_page_checks_the_role() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let admin = app.login("root").await;
    let user = app.login("ursula").await;
    for (path, access) in signed_in_pages() {
        let anon = app.get(path, None).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER, "anonymous {path}");
        assert!(
            anon.location().unwrap().starts_with("/login?next="),
            "anonymous {path} → {:?}",
            anon.location()
        );
        let as_user = app.get(path, Some(&user)).await;
        let expected = if access == Access::Admin {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        };
        assert_eq!(as_user.status, expected, "user {path}");
        if access == Access::Admin {
            assert!(
                as_user.body.contains("You do not have access"),
                "user {path}"
            );
        }
        let as_admin = app.get(path, Some(&admin)).await;
        assert_eq!(as_admin.status, StatusCode::OK, "admin {path}");
    }
    let login = app.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("Sign in"));
    let missing = app.get("/no-such-page", Some(&admin)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Page not found"));
}

#[tokio::test]
async fn every_admin_server_function_checks_the_role() {
    let app = TestApp::new().await;
    let root_id = app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let admin = app.login("root").await;
    let user = app.login("ursula").await;
    let calls = [
        (fn_path::<ListUsers>(), String::new()),
        (fn_path::<RecentAudit>(), String::new()),
        (
            fn_path::<CreateUser>(),
            format!(
                "form[username]=newbie&form[password]={}&form[role]=user&form[groups]=&reason=",
                enc(PASSWORD)
            ),
        ),
        (
            fn_path::<UpdateUser>(),
            format!(
                "id={root_id}&version=1&form[role]=admin&form[groups]=ops&form[status]=enabled&reason="
            ),
        ),
    ];
    for (path, body) in &calls {
        let anon = app.post_form(path, body, None).await;
        assert_eq!(
            anon.status,
            StatusCode::UNAUTHORIZED,
            "anonymous {path}: {}",
            anon.body
        );
        let as_user = app.post_form(path, body, Some(&user)).await;
        assert_eq!(
            as_user.status,
            StatusCode::FORBIDDEN,
            "user {path}: {}",
            as_user.body
        );
        let as_admin = app.post_form(path, body, Some(&admin)).await;
        assert_eq!(
            as_admin.status,
            StatusCode::OK,
            "admin {path}: {}",
            as_admin.body
        );
    }
    // get_current_user is open to everyone and says who you are.
    let me = app
        .post_form(
            &fn_path::<app::api::auth::GetCurrentUser>(),
            "",
            Some(&user),
        )
        .await;
    assert!(me.body.contains("ursula"));
    let anon = app
        .post_form(&fn_path::<app::api::auth::GetCurrentUser>(), "", None)
        .await;
    assert_eq!(anon.body.trim(), "null");
}

#[tokio::test]
async fn disabled_users_lose_their_sessions_and_cannot_sign_in() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let eve_id = app.add_user("eve", Role::User).await;
    let admin = app.login("root").await;
    let eve = app.login("eve").await;
    assert_eq!(app.get("/me", Some(&eve)).await.status, StatusCode::OK);

    let body = format!(
        "id={eve_id}&version=1&form[role]=user&form[groups]=&form[status]=disabled&reason=left+the+team"
    );
    let r = app
        .post_form(&fn_path::<UpdateUser>(), &body, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = app.get("/me", Some(&eve)).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a disabled user's session must stop working"
    );
    let r = app.try_login("eve", PASSWORD).await;
    assert!(r.body.contains("disabled"), "{}", r.body);
    assert!(r.session_cookie().is_none());
}

#[tokio::test]
async fn user_changes_are_validated_conflict_checked_and_audited() {
    let app = TestApp::new().await;
    let root_id = app.add_user("root", Role::Admin).await;
    let admin = app.login("root").await;
    let bad = "form[username]=Bad+Name&form[password]=short&form[role]=user&form[groups]=&reason=";
    let r = app
        .post_form(&fn_path::<CreateUser>(), bad, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("\"username\""), "{}", r.body);
    assert!(r.body.contains("at least 10"), "{}", r.body);

    let good = format!(
        "form[username]=frank&form[password]={}&form[role]=user&form[groups]=physics&reason=new+hire",
        enc(PASSWORD)
    );
    let r = app
        .post_form(&fn_path::<CreateUser>(), &good, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post_form(&fn_path::<CreateUser>(), &good, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("already taken"), "{}", r.body);

    let frank: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'frank'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let edit = |version: i64, groups: &str| {
        format!(
            "id={frank}&version={version}&form[role]=user&form[groups]={groups}&form[status]=enabled&reason="
        )
    };
    let r = app
        .post_form(
            &fn_path::<UpdateUser>(),
            &edit(1, "physics,chem"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A second form opened at version 1 is now stale.
    let r = app
        .post_form(&fn_path::<UpdateUser>(), &edit(1, "biology"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let groups: String = sqlx::query_scalar(
        "SELECT group_concat(g.name) FROM user_groups ug JOIN groups g ON g.id = ug.group_id
         JOIN users u ON u.id = ug.user_id WHERE u.username = 'frank'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert!(!groups.contains("biology"), "stale write leaked: {groups}");

    // Demoting the last administrator is refused with a field error.
    let body = format!(
        "id={root_id}&version=1&form[role]=user&form[groups]=&form[status]=enabled&reason="
    );
    let r = app
        .post_form(&fn_path::<UpdateUser>(), &body, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("last enabled administrator"), "{}", r.body);

    let actions: Vec<(String, String, String)> =
        sqlx::query_as("SELECT actor, action, reason FROM audit_events ORDER BY id")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    let mine: Vec<_> = actions
        .iter()
        .filter(|(actor, action, _)| actor == "root" && !action.starts_with("auth."))
        .collect();
    assert_eq!(mine.len(), 2, "{actions:?}");
    assert_eq!(mine[0].1, "user.create");
    assert_eq!(mine[0].2, "new hire");
    assert_eq!(mine[1].1, "user.update");
}

#[tokio::test]
async fn audit_trail_is_append_only() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert!(n >= 1);
    let upd = sqlx::query("UPDATE audit_events SET actor = 'someone else'")
        .execute(&app.state.pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM audit_events")
        .execute(&app.state.pool)
        .await;
    assert!(del.unwrap_err().to_string().contains("append-only"));
    // A replacing insert deletes the old row without firing DELETE triggers: refused too.
    let first: (i64, String, String) =
        sqlx::query_as("SELECT id, actor, action FROM audit_events ORDER BY id LIMIT 1")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let replace = sqlx::query(
        "INSERT OR REPLACE INTO audit_events (id, occurred_at, actor, action, target_type,
             target_id)
         VALUES (?, '2000-01-01T00:00:00.000Z', 'someone else', 'user.delete', 'user', '1')",
    )
    .bind(first.0)
    .execute(&app.state.pool)
    .await;
    assert!(replace.unwrap_err().to_string().contains("append-only"));
    let after: (i64, String, String) =
        sqlx::query_as("SELECT id, actor, action FROM audit_events ORDER BY id LIMIT 1")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(after, first);
}

#[tokio::test]
async fn first_run_creates_one_admin() {
    let app = TestApp::new().await;
    let first = app::backend::users::bootstrap_admin(&app.state.pool)
        .await
        .unwrap();
    let (name, password) = first.expect("an admin is created on an empty database");
    assert_eq!(name, "admin");
    assert_eq!(password.len(), 20);
    assert!(
        app::backend::users::bootstrap_admin(&app.state.pool)
            .await
            .unwrap()
            .is_none()
    );
    let r = app.try_login("admin", &password).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::new().await;
    app.add_user("gina", Role::User).await;
    let cookie = app.login("gina").await;
    let r = app.post_form(&fn_path::<Logout>(), "", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.get("/me", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}
