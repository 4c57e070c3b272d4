//! The HTTP surface's defences through the real `server::router` with real sessions: body
//! limit and timeout, sign-in throttling and the password hasher's bound, trusted proxies,
//! the security headers and CSP, `/readyz`, CSRF, and one table of who may call every server
//! function, page and route.

use crate::common::{PASSWORD, TestApp, enc, fn_path, raw_request, serve};
use app::api::auth::{ChangePassword, GetCurrentUser, Login, Logout};
use app::api::cluster::GetClusterBanner;
use app::api::users::{CreateUser, ListUsers};
use app::backend::audit::{Actor, RequestMeta};
use app::backend::{password, users};
use app::domain::access::{Access, PASSWORD_PAGE, page_access};
use app::domain::user::{NewUser, Role};
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, StatusCode, header};
use server::middleware::BODY_LIMIT;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A POST declaring a 5 MiB body is answered 413 from its headers alone: the test sends no
/// byte of the body and reads the whole answer, so the server neither waited for nor buffered
/// the body (before: the framework read up to 2 MB of it and answered 500).
#[tokio::test]
async fn oversized_post_is_refused_before_its_body_is_sent() {
    let app = TestApp::new().await;
    let addr = serve(app.router.clone()).await;
    for path in [
        fn_path::<Login>(),
        "/healthz".to_string(),
        "/no-such-route".into(),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}",
            5 * 1024 * 1024
        );
        let r = raw_request(&addr, &head, b"").await;
        assert_eq!(r.status, 413, "{path}: {}", r.body);
        assert!(r.body.contains("larger than 1024 KiB"), "{}", r.body);
    }
    // Just under the limit is read and handled as usual.
    let body = format!("username=x&password={}", "p".repeat(BODY_LIMIT - 40));
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}",
        fn_path::<Login>(),
        body.len()
    );
    let r = raw_request(&addr, &head, body.as_bytes()).await;
    assert_eq!(r.status, 422, "{}", r.body);
}

/// A body of unknown length (chunked) is read only until it passes the limit: the server
/// pulls at most the limit plus one chunk out of an endless body, then answers 413.
#[tokio::test]
async fn endless_chunked_body_is_cut_at_the_limit() {
    let app = TestApp::new().await;
    let pulled = Arc::new(AtomicUsize::new(0));
    const CHUNK: usize = 64 * 1024;
    let counter = Arc::clone(&pulled);
    let endless = futures::stream::repeat_with(move || {
        counter.fetch_add(CHUNK, Ordering::SeqCst);
        Ok::<_, std::io::Error>(bytes_of(CHUNK))
    });
    let req = Request::post(fn_path::<Login>())
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from_stream(endless))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(pulled.load(Ordering::SeqCst) <= BODY_LIMIT + CHUNK);
}

fn bytes_of(n: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b'a'; n])
}

/// A request whose body never arrives is answered 408 after the configured time, on any
/// route, server functions included.
#[tokio::test]
async fn requests_that_never_finish_time_out() {
    let app = TestApp::with_opts(|o| o.request_timeout_seconds = 1).await;
    for path in [fn_path::<Login>(), "/healthz".to_string()] {
        let never = futures::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
        let req = Request::post(&path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from_stream(never))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT, "{path}: {}", r.body);
    }
}

/// 50 wrong passwords for one account sent at once: the attempt is reserved before the hash,
/// so at most the per-account limit (5) reach Argon2, counted by the state's hasher; the rest
/// are refused with 429 without hashing. Before, every one passed the check and was hashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_reach_the_hasher_at_most_the_limit() {
    let app = TestApp::new().await;
    app.add_user("victim", Role::User).await;
    let limit = app.state.throttle.per_username;
    let started_before = app.state.hasher.started();
    let guesses: Vec<String> = (0..50).map(|i| format!("wrong password {i}")).collect();
    let replies =
        futures::future::join_all(guesses.iter().map(|g| app.try_login("victim", g))).await;
    let hashed = app.state.hasher.started() - started_before;
    let wrong = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        hashed <= limit as u64,
        "{hashed} Argon2 runs for {limit} allowed attempts"
    );
    assert_eq!(wrong, limit);
    assert_eq!(refused, 50 - limit);
    assert_eq!(hashed, wrong as u64);
    // And the right password is refused now too, without hashing.
    let r = app.try_login("victim", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(app.state.hasher.started() - started_before, hashed);
}

/// A username or password longer than any account can have is refused before the throttle
/// stores anything and before any hashing.
#[tokio::test]
async fn overlong_credentials_are_refused_before_anything_is_stored_or_hashed() {
    let app = TestApp::new().await;
    let r = app.try_login(&"u".repeat(10_000), "a password").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.try_login("someone", &"p".repeat(100_000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(app.state.throttle.tracked_keys(), 0);
    assert_eq!(app.state.hasher.started(), 0);
}

/// A sign-in POST from socket peer `peer` carrying `X-Forwarded-For: xff`.
async fn login_via(app: &TestApp, peer: &str, xff: &str, user: &str) -> StatusCode {
    let body = format!("username={user}&password={}", enc("not the password"));
    let mut req = Request::post(fn_path::<Login>())
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", xff)
        .body(Body::from(body))
        .unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    app.send(req).await.status
}

/// A sign-in with the given `x-request-id` header value.
async fn login_with_request_id(app: &TestApp, user: &str, id: &[u8]) -> crate::common::Reply {
    let body = format!("username={user}&password={}", enc(PASSWORD));
    let req = Request::post(fn_path::<Login>())
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-request-id", http::HeaderValue::from_bytes(id).unwrap())
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// The request id of an audit entry is the server's own, whatever the client sends; the
/// client's `x-request-id` is kept apart (bounded, printable ASCII), and both are in the
/// export. Before, the header's value was stored as the request id.
#[tokio::test]
async fn audit_rows_carry_the_servers_request_id_and_the_clients_apart() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let r = login_with_request_id(&app, "root", b"forged").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let echoed = r.headers.get("x-request-id").and_then(|v| v.to_str().ok());
    assert!(echoed.is_some_and(|v| v != "forged"), "{echoed:?}");
    let cookie = r.session_cookie().unwrap();

    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT request_id, client_request_id FROM audit_events WHERE action = 'auth.login'",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    let (request_id, client_request_id) = &rows[0];
    assert_ne!(request_id, "forged");
    assert_eq!(request_id.len(), 26, "{request_id}");
    assert_eq!(Some(request_id.as_str()), echoed);
    assert_eq!(client_request_id, "forged");

    // Overlong and non-ASCII values are cut and cleaned; each request gets its own id.
    let mut long = b"caf\xc3\xa9 ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 500));
    let r = login_with_request_id(&app, "root", &long).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT request_id, client_request_id FROM audit_events WHERE action = 'auth.login'
         ORDER BY id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[1].0, rows[0].0);
    assert!(rows[1].1.starts_with("caf x"), "{}", rows[1].1);
    assert_eq!(rows[1].1.len(), 128);

    let csv = app
        .get(
            "/api/audit/export?format=csv&action=auth.login",
            Some(&cookie),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert!(
        lines[0].ends_with(",request_id,client_request_id,client_addr"),
        "{}",
        lines[0]
    );
    let oldest = lines.last().unwrap();
    assert!(
        oldest.contains(&format!(",{request_id},forged,")),
        "{oldest}"
    );
}

/// Behind a trusted proxy each client has its own address bucket (the forwarding header
/// names it, and audit events record it); a peer that is not a trusted proxy cannot choose
/// its bucket with the header.
#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let app = TestApp::with_opts(|o| {
        o.trusted_proxies = vec![app::backend::proxy::Network::parse("10.0.0.0/8").unwrap()];
    })
    .await;
    let per_address = app.state.throttle.per_address;
    // Through the ingress (trusted): the client at 198.51.100.1 uses up its allowance ...
    for i in 0..per_address {
        let s = login_via(
            &app,
            "10.0.0.2",
            "6.6.6.6, 198.51.100.1",
            &format!("guess{i}"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        login_via(&app, "10.0.0.2", "198.51.100.1", "another").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ... while another client behind the same ingress is not locked out.
    assert_eq!(
        login_via(&app, "10.0.0.2", "198.51.100.2", "another").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Direct (untrusted) peer: the header is ignored, every attempt counts against the peer.
    for i in 0..per_address {
        let fake = format!("192.0.2.{i}");
        let s = login_via(&app, "203.0.113.5", &fake, &format!("direct{i}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        login_via(&app, "203.0.113.5", "192.0.2.200", "another").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The audit trail names the client, never the proxy or a forged entry.
    let addrs: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT client_addr FROM audit_events WHERE action = 'auth.login_failed' ORDER BY 1",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(addrs, ["198.51.100.1", "198.51.100.2", "203.0.113.5"]);
}

/// Pages carry a Content-Security-Policy whose nonce is the one on the page's scripts, with
/// no `unsafe-inline`; every response carries each security header once; no HSTS over plain
/// HTTP.
#[tokio::test]
async fn pages_carry_a_nonce_policy_and_each_security_header_once() {
    let app = TestApp::new().await;
    let r = app.get("/login", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let csp: Vec<&str> = r
        .headers
        .get_all(header::CONTENT_SECURITY_POLICY)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(csp.len(), 1, "{csp:?}");
    let csp = csp[0];
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        r.body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the policy's nonce"
    );
    // Every inline script of the page carries it.
    for script in r.body.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap_or_default();
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "<script{tag}>");
    }
    // A new response, a new nonce.
    let again = app.get("/login", None).await;
    let other = again.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert_ne!(other, csp);
    for path in [
        "/login",
        "/healthz",
        "/readyz",
        "/no-such-page",
        "/api/audit/export",
    ] {
        let r = app.get(path, None).await;
        for name in [
            header::CONTENT_SECURITY_POLICY,
            header::X_CONTENT_TYPE_OPTIONS,
            header::X_FRAME_OPTIONS,
            header::REFERRER_POLICY,
        ] {
            assert_eq!(r.headers.get_all(&name).iter().count(), 1, "{path} {name}");
        }
        assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(
            !r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "no HSTS over http"
        );
    }
}

/// With an https public URL the session cookie is `Secure` and HSTS is sent, unless turned
/// off explicitly.
#[tokio::test]
async fn https_public_url_makes_cookies_secure_and_sends_hsts() {
    let app = TestApp::with_opts(|o| {
        o.portal.public_url = Some("https://hubfleet.example.org".into());
    })
    .await;
    app.add_user("alice", Role::User).await;
    let r = app.try_login("alice", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let set_cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    assert_eq!(
        r.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    let app = TestApp::with_opts(|o| {
        o.portal.public_url = Some("https://hubfleet.example.org".into());
        o.secure_cookies = Some(false);
    })
    .await;
    app.add_user("alice", Role::User).await;
    let r = app.try_login("alice", PASSWORD).await;
    assert!(
        !r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
    assert!(!r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
}

/// Anyone learns whether the portal is ready, nothing more; a signed-in administrator also
/// sees the database and cluster details.
#[tokio::test]
async fn readyz_details_only_for_administrators() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let admin = app.login("root").await;
    let user = app.login("ursula").await;
    for cookie in [None, Some(user.as_str())] {
        let r = app.get("/readyz", cookie).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, r#"{"ready":true}"#);
    }
    let r = app.get("/readyz", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["ready"], true);
    assert_eq!(v["database"], "ok");
    assert!(v["cluster"]["source"].is_string(), "{}", r.body);
}

/// CSRF, as documented in the README: a POST with no Origin, Referer or Sec-Fetch-Site is not
/// from a browser, so it carries no ambient credentials; it is accepted, and then it needs a
/// valid session like any other request (401 without one). A browser-shaped cross-site POST
/// is refused even with the victim's cookie, and a cross-site sign-in too.
#[tokio::test]
async fn non_browser_posts_need_a_session_and_cross_site_browser_posts_are_refused() {
    let app = TestApp::new().await;
    app.add_user("root", Role::Admin).await;
    let cookie = app.login("root").await;
    let bare = |cookie: Option<&str>| {
        let mut b = Request::post(fn_path::<ListUsers>()).header(header::HOST, "127.0.0.1:3000");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::empty()).unwrap()
    };
    let r = app.send(bare(None)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = app
        .send(bare(Some("hubfleet_session=forged-session-id")))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = app.send(bare(Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("root"));

    let body = format!(
        "form[username]=mallory&form[password]={}&form[role]=admin&form[groups]=&reason=",
        enc(PASSWORD)
    );
    let cross_site = |path: String, body: String, cookie: Option<&str>| {
        let mut b = Request::post(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::REFERER, "https://evil.example/page")
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-mode", "navigate")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::from(body)).unwrap()
    };
    let r = app
        .send(cross_site(fn_path::<CreateUser>(), body, Some(&cookie)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Cross-site request refused"), "{}", r.body);
    let login = format!("username=root&password={}", enc(PASSWORD));
    let r = app.send(cross_site(fn_path::<Login>(), login, None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no login CSRF");
    assert!(r.session_cookie().is_none());
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = 'mallory'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// The start of a body, for assertion messages.
fn short(body: &str) -> String {
    body.chars().take(300).collect()
}

/// Who may call a server function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// Anyone (signing in, signing out, "who am I").
    Anyone,
    /// Any signed-in account, even one that must still change its one-time password.
    Account,
    /// Any signed-in account that has chosen its own password.
    User,
    /// Administrators who have chosen their own password.
    Admin,
    /// Administrators for anyone; other users only for themselves (the table's arguments name
    /// another user, so a user is refused).
    OwnOrAdmin,
}

/// Every server function and who may call it. A server function missing here fails
/// `every_server_function_page_and_route_checks_the_role`: add it with its role.
fn server_functions() -> Vec<(String, Caller)> {
    use app::api::{
        audit, deploy, home_volumes, hubs, me, profiles, tokens, users, values, volumes,
    };
    use leptos::server_fn::ServerFn;
    fn p<T: ServerFn>() -> String {
        T::PATH.to_string()
    }
    vec![
        (p::<GetCurrentUser>(), Caller::Anyone),
        (p::<Login>(), Caller::Anyone),
        (p::<Logout>(), Caller::Anyone),
        (p::<ChangePassword>(), Caller::Account),
        (p::<GetClusterBanner>(), Caller::Account),
        (p::<app::api::cluster::GetClusterOverview>(), Caller::Admin),
        (p::<users::ListUsers>(), Caller::Admin),
        (p::<users::CreateUser>(), Caller::Admin),
        (p::<users::UpdateUser>(), Caller::Admin),
        (p::<users::ResetUserPassword>(), Caller::Admin),
        (p::<users::RecentAudit>(), Caller::Admin),
        (p::<audit::AuditEvents>(), Caller::Admin),
        (p::<audit::PreviewRevert>(), Caller::Admin),
        (p::<audit::RevertToEvent>(), Caller::Admin),
        (p::<hubs::ListHubs>(), Caller::Admin),
        (p::<hubs::GetHub>(), Caller::Admin),
        (p::<hubs::CreateHub>(), Caller::Admin),
        (p::<hubs::UpdateHub>(), Caller::Admin),
        (p::<hubs::DeleteHub>(), Caller::Admin),
        (p::<volumes::ListVolumes>(), Caller::Admin),
        (p::<volumes::LoadNewVolume>(), Caller::Admin),
        (p::<volumes::LoadVolume>(), Caller::Admin),
        (p::<volumes::CreateVolume>(), Caller::Admin),
        (p::<volumes::UpdateVolume>(), Caller::Admin),
        (p::<volumes::DeleteVolume>(), Caller::Admin),
        (p::<profiles::ListProfiles>(), Caller::Admin),
        (p::<profiles::LoadNewProfile>(), Caller::Admin),
        (p::<profiles::LoadProfile>(), Caller::Admin),
        (p::<profiles::CreateProfile>(), Caller::Admin),
        (p::<profiles::UpdateProfile>(), Caller::Admin),
        (p::<profiles::DeleteProfile>(), Caller::Admin),
        (p::<tokens::ListHubTokens>(), Caller::Admin),
        (p::<tokens::CreateHubToken>(), Caller::Admin),
        (p::<tokens::RevokeHubToken>(), Caller::Admin),
        (p::<values::GetValuesPreview>(), Caller::Admin),
        (p::<values::RecordValuesVersion>(), Caller::Admin),
        (p::<me::GetMyEnvironment>(), Caller::User),
        (p::<app::api::servers::ListServers>(), Caller::Admin),
        (p::<me::ChooseProfile>(), Caller::User),
        (p::<home_volumes::ExpandHomeVolume>(), Caller::Admin),
        (p::<app::api::servers::GetServerHistory>(), Caller::Admin),
        (p::<values::GetValuesVersions>(), Caller::Admin),
        (p::<values::GetValuesDiff>(), Caller::Admin),
        (p::<deploy::GetDeployPage>(), Caller::Admin),
        (p::<deploy::GetOperation>(), Caller::Admin),
        (p::<deploy::GetRevisionDiff>(), Caller::Admin),
        (p::<deploy::ApplyRelease>(), Caller::Admin),
        (p::<deploy::RollbackRelease>(), Caller::Admin),
        (p::<deploy::UninstallRelease>(), Caller::Admin),
        (p::<deploy::ListReleases>(), Caller::Admin),
        (p::<app::api::adopt::GetAdoptPreview>(), Caller::Admin),
        (p::<app::api::adopt::AdoptRelease>(), Caller::Admin),
        (p::<volumes::GetVolumeClaim>(), Caller::Admin),
        (p::<volumes::CreateVolumeClaim>(), Caller::Admin),
        (p::<hubs::GetHubRestAccess>(), Caller::Admin),
        (p::<hubs::SetHubRestAccess>(), Caller::Admin),
        (p::<hubs::ClearHubRestAccess>(), Caller::Admin),
        (p::<hubs::TestHubRestAccess>(), Caller::Admin),
        (p::<app::api::servers::StartServer>(), Caller::OwnOrAdmin),
        (p::<app::api::servers::StopServer>(), Caller::OwnOrAdmin),
    ]
}

/// One body every server function can decode: each argument name any of them takes, with a
/// harmless value (ids of the seeded example, wrong passwords). A new server function with a
/// new argument gets it added here.
const ANY_ARGUMENTS: &str = "id=1&version=1&hub_id=1&event_id=1&from=1&to=1&refresh=false&profile_id=999999\
&label=probe&digest=probe&namespace=probe&name=probe&size=1Gi&user=probe&reason=role+table&username=nobody&password=not+the+password\
&form[username]=probe&form[password]=probe+password+long&form[role]=user&form[groups]=\
&form[status]=enabled&form[current_password]=wrong+password\
&form[new_password]=another+long+password&form[confirm_password]=another+long+password\
&form[release_name]=probe&form[namespace]=probe&form[name]=probe&form[display_name]=probe\
&query[page]=1&revision=1&confirm=probe&dry_run=true&server_name=&form[api_url]=&form[token]=probe";

/// Routes outside the pages and server functions, named as their `.route(…)` call names them
/// in the source, with a path to call and what anonymous, user, one-time-password and
/// administrator sessions get. A new route missing here fails the test.
fn plain_routes() -> Vec<(&'static str, String, [StatusCode; 4])> {
    use StatusCode as S;
    vec![
        ("\"/healthz\"", "/healthz".into(), [S::OK; 4]),
        ("\"/readyz\"", "/readyz".into(), [S::OK; 4]),
        // Only to the configured bearer token (none here), whatever the session.
        ("\"/metrics\"", "/metrics".into(), [S::NOT_FOUND; 4]),
        (
            "EXPORT_PATH",
            format!("{}?format=csv", app::backend::audit_export::EXPORT_PATH),
            [S::UNAUTHORIZED, S::FORBIDDEN, S::UNAUTHORIZED, S::OK],
        ),
        // Every user's server as JSON: administrators' sessions only.
        (
            "API_PATH",
            app::backend::servers_api::API_PATH.to_string(),
            [S::UNAUTHORIZED, S::FORBIDDEN, S::UNAUTHORIZED, S::OK],
        ),
        // Changes of users' servers as server-sent events: administrators only (no cluster is
        // watched in this test, so 503 for them).
        (
            "EVENTS_PATH",
            app::backend::servers_api::EVENTS_PATH.to_string(),
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::UNAUTHORIZED,
                S::SERVICE_UNAVAILABLE,
            ],
        ),
        // An operation's progress as server-sent events: administrators only (operation 1
        // does not exist here, so 404 for them).
        (
            "OPERATION_EVENTS_ROUTE",
            app::domain::deploy::operation_events_url(1),
            [S::UNAUTHORIZED, S::FORBIDDEN, S::UNAUTHORIZED, S::NOT_FOUND],
        ),
        // The hub's profile API answers bearer tokens only: a session gets nothing.
        (
            "\"/api/hub/users/{name}/profiles\"",
            "/api/hub/users/ursula/profiles".into(),
            [S::UNAUTHORIZED; 4],
        ),
        // Under /hubs, a page for the page guard: sign in first, or change the password first.
        (
            "\"/hubs/{id}/values/config.yaml\"",
            "/hubs/1/values/config.yaml".into(),
            [S::SEE_OTHER, S::FORBIDDEN, S::SEE_OTHER, S::OK],
        ),
        // The bundle (no site is built in these tests: 404 for everyone, never a sign-in).
        (
            "&format!(\"/{pkg_dir}\")",
            "/pkg/hubfleet.js".into(),
            [S::NOT_FOUND; 4],
        ),
    ]
}

/// The first argument of every `.route(`, `.route_service(`, `.nest(` and `.nest_service(`
/// call in the server and app sources.
fn routes_in_source() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut found = BTreeSet::new();
    let mut dirs = vec![root.join("server/src"), root.join("app/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
                    for rest in text.split(call).skip(1) {
                        let arg = rest.split(',').next().unwrap_or_default().trim();
                        found.insert(arg.to_string());
                    }
                }
            }
        }
    }
    found
}

/// One table of who may call what, through the real router with real sessions: every
/// registered server function (from the server-function registry: a new one not in the
/// table fails here), every page of the app (from its route list: each must have an access
/// rule), and every other route (from the source: each must be in the table), for anonymous
/// visitors, a user, an account that must still change its one-time password, and an
/// administrator.
#[tokio::test]
async fn every_server_function_page_and_route_checks_the_role() {
    let app = TestApp::new().await;
    assert!(
        app::backend::seed::seed_example(&app.state.pool)
            .await
            .unwrap()
    );
    let root = app.add_user("root", Role::Admin).await;
    app.add_user("ursula", Role::User).await;
    let hash = password::hash(PASSWORD.into()).await.unwrap();
    users::create_hashed(
        &app.state.pool,
        &Actor::system("test"),
        &RequestMeta::default(),
        NewUser {
            username: "polly".into(),
            password: PASSWORD.into(),
            role: Role::User,
            groups: vec![],
        },
        &hash,
        true,
        "",
    )
    .await
    .unwrap();
    // The generic arguments name the administrator's own id: updates keep it the last
    // administrator, and a reset of one's own password is refused.
    assert_eq!(root, 1);
    let sessions = [
        ("user", Some(app.login("ursula").await)),
        ("one-time", Some(app.login("polly").await)),
        ("admin", Some(app.login("root").await)),
    ];
    let anonymous = ("anonymous", None::<String>);
    let all: Vec<(&str, Option<String>)> = std::iter::once(anonymous)
        .chain(sessions.iter().cloned())
        .collect();

    // Pages: every route of the app has an access rule, and the guard applies it.
    let pages = server::page_paths();
    assert!(pages.len() >= 14, "{pages:?}");
    for page in &pages {
        let path = page.replace(":id", "1");
        let access = page_access(&path)
            .unwrap_or_else(|| panic!("page {page} has no rule in domain::access::PAGES"));
        for (who, cookie) in &all {
            let r = app.get(&path, cookie.as_deref()).await;
            let expected = match (access, *who) {
                (Access::Public, _) => StatusCode::OK,
                (_, "anonymous") => StatusCode::SEE_OTHER,
                (_, "one-time") if path == PASSWORD_PAGE => StatusCode::OK,
                (_, "one-time") => StatusCode::SEE_OTHER,
                (Access::Admin, "user") => StatusCode::FORBIDDEN,
                // The guard lets the administrator in; the adopt page then finds no release
                // to preview (no cluster is watched here), which sets the page's status.
                (Access::Admin, "admin") if path.ends_with("/adopt") => StatusCode::CONFLICT,
                _ => StatusCode::OK,
            };
            assert_eq!(r.status, expected, "{who} GET {path}: {:?}", r.location());
            if r.status == StatusCode::SEE_OTHER {
                let to = r.location().unwrap_or_default();
                let want = if *who == "anonymous" {
                    "/login?next="
                } else {
                    PASSWORD_PAGE
                };
                assert!(to.starts_with(want), "{who} GET {path} → {to}");
            }
        }
    }

    // Other routes, and the source has no route the table lacks.
    let table = plain_routes();
    let named: BTreeSet<String> = table.iter().map(|(n, _, _)| n.to_string()).collect();
    assert_eq!(
        routes_in_source(),
        named,
        "a route in the source is missing from plain_routes() (or the table names one that is gone)"
    );
    for (_, path, expected) in &table {
        for ((who, cookie), want) in all.iter().zip(expected) {
            let r = app.get(path, cookie.as_deref()).await;
            assert_eq!(r.status, *want, "{who} GET {path}: {}", r.body);
        }
    }

    // Server functions: the registry and the table name the same set.
    let table = server_functions();
    let listed: BTreeSet<String> = table.iter().map(|(p, _)| p.clone()).collect();
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "server functions without a role in the table: {missing:?}"
    );
    assert_eq!(listed, registered);
    // Sign-out last: it ends the session the later calls use.
    let mut table = table;
    table.sort_by_key(|(p, _)| *p == fn_path::<Logout>());
    for (path, caller) in &table {
        for (who, cookie) in &all {
            let r = app.post_form(path, ANY_ARGUMENTS, cookie.as_deref()).await;
            let refused = match (caller, *who) {
                (Caller::Anyone, _) => None,
                (_, "anonymous") => Some(StatusCode::UNAUTHORIZED),
                (Caller::Account, _) => None,
                (Caller::User, "one-time") => Some(StatusCode::FORBIDDEN),
                (Caller::User, _) => None,
                (Caller::Admin, "user" | "one-time") => Some(StatusCode::FORBIDDEN),
                (Caller::Admin, _) => None,
                (Caller::OwnOrAdmin, "user" | "one-time") => Some(StatusCode::FORBIDDEN),
                (Caller::OwnOrAdmin, _) => None,
            };
            match refused {
                Some(code) => assert_eq!(r.status, code, "{who} {path}: {}", short(&r.body)),
                None => assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&r.status)
                        && !r.body.contains("Transport"),
                    "{who} {path} should be allowed: {} {}",
                    r.status,
                    short(&r.body)
                ),
            }
            if *who == "one-time" && refused == Some(StatusCode::FORBIDDEN) {
                assert!(
                    r.body.contains("PasswordChangeRequired"),
                    "{path}: {}",
                    r.body
                );
            }
        }
    }
    // Nobody but the administrator changed anything.
    let by_others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events
         WHERE action NOT LIKE 'auth.%' AND actor NOT IN ('root', 'system', 'test')",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(by_others, 0);
}
