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
        Self::build(tempfile::tempdir().unwrap(), adjust).await
    }

    /// A test app on the data directory `dir` (its database, if any, is used as it is).
    pub async fn with_dir(dir: tempfile::TempDir) -> Self {
        Self::build(dir, |_| {}).await
    }

    /// A test app whose simulated cluster runs its watchers, with the simulator to act on it
    /// (start users' servers, fail them); returns once the stores hold their first lists.
    pub async fn with_simulator() -> (Self, simcluster::Simulator) {
        Self::with_simulator_config(simcluster::SimConfig::for_tests()).await
    }

    /// [`TestApp::with_simulator`] with a simulator configured by the test.
    pub async fn with_simulator_config(
        config: simcluster::SimConfig,
    ) -> (Self, simcluster::Simulator) {
        let dir = tempfile::tempdir().unwrap();
        let global = GlobalOpts {
            data_dir: dir.path().to_path_buf(),
            database_url: None,
            log_level: "warn".into(),
            log_format: server::config::LogFormat::Text,
        };
        let pool = server::startup::open_database(&global).await.unwrap();
        let opts = ServeOpts::from_env().unwrap();
        let sim = simcluster::Simulator::new(config);
        let cluster = app::backend::cluster::ClusterHandle::from_client(
            sim.client(),
            app::domain::cluster::ClusterSource::Simulated,
            "simulated://hubfleet".to_string(),
            app::backend::cluster::ClusterOptions::for_tests(),
        )
        .await;
        let stores = cluster.stores().expect("watchers run").clone();
        assert!(
            stores
                .wait_until_ready(std::time::Duration::from_secs(20))
                .await,
            "the stores did not fill"
        );
        let state = server::startup::state(pool, &opts, cluster, dir.path());
        let router = server::router(state.clone());
        (Self { dir, state, router }, sim)
    }

    async fn build(dir: tempfile::TempDir, adjust: impl FnOnce(&mut ServeOpts)) -> Self {
        let global = GlobalOpts {
            data_dir: dir.path().to_path_buf(),
            database_url: None,
            log_level: "warn".into(),
            log_format: server::config::LogFormat::Text,
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
        let state = server::startup::state(pool, &opts, cluster, dir.path());
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

/// A reply read off a socket: status line's code, headers (lowercase names) and body.
pub struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body` over a new
/// connection to `addr` with `Connection: close`, and reads the whole answer.
pub async fn raw_request(addr: &str, head: &str, body: &[u8]) -> RawReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    parse_reply(&raw)
}

/// Parses an HTTP/1.1 answer (`Content-Length` or read-to-close bodies).
pub fn parse_reply(raw: &[u8]) -> RawReply {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    RawReply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Serves `router` on a loopback port (with the peer address, as `hubfleet serve` does) and
/// returns the address.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    addr.to_string()
}

/// What KubeSpawner is configured with for a server of hub `physics-hub` in `jhub` running
/// `image` (2 CPU, 0.5 guaranteed; 4G memory, 1G guaranteed; a 10Gi home).
pub fn physics_server(image: &str) -> simcluster::SpawnOptions {
    simcluster::SpawnOptions {
        release: "physics-hub".into(),
        namespace: "jhub".into(),
        image: image.into(),
        cpu_limit: Some(2.0),
        cpu_guarantee: Some(0.5),
        mem_limit: Some("4G".into()),
        mem_guarantee: Some("1G".into()),
        storage_capacity: Some("10Gi".into()),
        ..simcluster::SpawnOptions::default()
    }
}
