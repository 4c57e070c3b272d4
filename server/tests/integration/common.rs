//! Test harness: a real SQLite file per test, the real router driven with `oneshot`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use app::backend::AppState;
use app::backend::audit::{Actor, RequestMeta};
use app::backend::users;
use app::domain::user::{NewUser, Role};
use axum::Router;
use axum::body::Body;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use server::config::{GlobalOpts, ServeOpts};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub router: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(server::SESSION_COOKIE))
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_opts(|_| {}).await
    }

    /// A test app whose `serve` options are adjusted first (e.g. another site root).
    pub async fn with_opts(adjust: impl FnOnce(&mut ServeOpts)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let global = GlobalOpts {
            data_dir: dir.path().to_path_buf(),
            database_url: None,
            log_level: "warn".into(),
        };
        let pool = server::startup::open_database(&global).await.unwrap();
        let mut opts = ServeOpts::from_env().unwrap();
        adjust(&mut opts);
        let cluster = server::startup::simulated_cluster(
            simcluster::SimConfig::for_tests(),
            app::backend::cluster::ClusterOptions {
                start_watchers: false,
                ..app::backend::cluster::ClusterOptions::for_tests()
            },
        )
        .await;
        let state = server::startup::state(pool, &opts, cluster);
        let router = server::router(state.clone());
        Self { dir, state, router }
    }

    pub async fn add_user(&self, name: &str, role: Role) -> i64 {
        users::create(
            &self.state.pool,
            &Actor::system("test"),
            &RequestMeta::default(),
            NewUser {
                username: name.into(),
                password: PASSWORD.into(),
                role,
                groups: vec![],
            },
            "",
        )
        .await
        .unwrap()
        .id
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res: Response<Body> = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(path).header(header::HOST, "127.0.0.1:3000");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// A same-origin form POST, as a browser sends from Hubfleet's own pages.
    pub async fn post_form(&self, path: &str, body: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::post(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// Signs in and returns the `name=value` session cookie.
    pub async fn login(&self, name: &str) -> String {
        let r = self.try_login(name, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "login failed: {}", r.body);
        r.session_cookie().expect("no session cookie")
    }

    pub async fn try_login(&self, name: &str, password: &str) -> Reply {
        let body = format!("username={}&password={}", enc(name), enc(password));
        self.post_form(&fn_path::<app::api::auth::Login>(), &body, None)
            .await
    }
}

pub fn fn_path<T: leptos::server_fn::ServerFn>() -> String {
    T::PATH.to_string()
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
