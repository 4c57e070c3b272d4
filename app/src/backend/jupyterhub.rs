//! A client of JupyterHub 5's REST API (the calls the portal makes): the hub's version, and
//! starting and stopping a user's server with `POST|DELETE /users/{name}/server` (or
//! `/servers/{server}` for a named one), the profile passed in the spawn options as KubeSpawner
//! reads it (`{"profile": "<slug>"}`). HTTP/1.1 over plain HTTP (the hub's in-cluster service)
//! or HTTPS (public roots), `Authorization: token <t>`, 20 seconds per call.

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(20);

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// A hub's REST API with a token.
#[derive(Clone)]
pub struct HubClient {
    base: String,
    token: String,
    http: Client<Https, Full<Bytes>>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Why a call did not do what was asked, in words for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("the hub at {url} cannot be reached: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the hub refused the token (HTTP {status}): set an administrator's token again")]
    Unauthorized { status: u16 },
    #[error("the hub answered HTTP {status}: {message}")]
    Refused { status: u16, message: String },
}

/// The outcome of a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// 201: running.
    Running,
    /// 202: the hub is starting it.
    Starting,
    /// 400 "already running".
    AlreadyRunning,
}

/// The outcome of a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// 204.
    Stopped,
    /// 202: the hub is stopping it.
    Stopping,
    /// It was not running.
    NotRunning,
}

fn encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl HubClient {
    /// `base`: the API URL, e.g. `http://hub.ns.svc:8081/hub/api`.
    pub fn new(base: &str, token: &str) -> Result<Self, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    fn server_path(user: &str, server_name: &str) -> String {
        if server_name.is_empty() {
            format!("/users/{}/server", encode(user))
        } else {
            format!("/users/{}/servers/{}", encode(user), encode(server_name))
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), HubError> {
        let url = format!("{}{}", self.base, path);
        let unreachable = |detail: String| HubError::Unreachable {
            url: self.base.clone(),
            detail,
        };
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let req = Request::builder()
            .method(method)
            .uri(&url)
            .header(header::AUTHORIZATION, format!("token {}", self.token))
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| unreachable(e.to_string()))?;
        let res = tokio::time::timeout(TIMEOUT, self.http.request(req))
            .await
            .map_err(|_| unreachable(format!("no answer within {} seconds", TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(error_chain(&e)))?;
        let status = res.status();
        let body = tokio::time::timeout(TIMEOUT, res.into_body().collect())
            .await
            .map_err(|_| unreachable("the answer did not finish".into()))?
            .map_err(|e| unreachable(e.to_string()))?
            .to_bytes();
        let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(HubError::Unauthorized {
                status: status.as_u16(),
            });
        }
        Ok((status, value))
    }

    fn refused(status: StatusCode, body: &Value) -> HubError {
        HubError::Refused {
            status: status.as_u16(),
            message: message_of(body),
        }
    }

    /// `GET /`: the hub's version (no token needed, but sent).
    pub async fn version(&self) -> Result<String, HubError> {
        let (status, body) = self.call(Method::GET, "/", None).await?;
        if !status.is_success() {
            return Err(Self::refused(status, &body));
        }
        Ok(body
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string())
    }

    /// Checks that the token is accepted (reads the user `name`, which may not exist).
    pub async fn check_token(&self, name: &str) -> Result<(), HubError> {
        let (status, body) = self
            .call(Method::GET, &format!("/users/{}", encode(name)), None)
            .await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(Self::refused(status, &body))
        }
    }

    /// Starts `user`'s server (`server_name` empty: the default one) with `profile` (a
    /// KubeSpawner profile slug). A user the hub does not know yet is created first, as an
    /// administrator would on the hub's admin page.
    pub async fn start(
        &self,
        user: &str,
        server_name: &str,
        profile: Option<&str>,
    ) -> Result<Started, HubError> {
        let path = Self::server_path(user, server_name);
        let body = profile.map(|p| json!({ "profile": p }));
        let (mut status, mut answer) = self.call(Method::POST, &path, body.clone()).await?;
        if status == StatusCode::NOT_FOUND {
            let (created, created_answer) = self
                .call(Method::POST, &format!("/users/{}", encode(user)), None)
                .await?;
            if !created.is_success() && created != StatusCode::CONFLICT {
                return Err(Self::refused(created, &created_answer));
            }
            (status, answer) = self.call(Method::POST, &path, body).await?;
        }
        match status {
            StatusCode::CREATED | StatusCode::OK => Ok(Started::Running),
            StatusCode::ACCEPTED => Ok(Started::Starting),
            StatusCode::BAD_REQUEST if message_of(&answer).contains("already running") => {
                Ok(Started::AlreadyRunning)
            }
            other => Err(Self::refused(other, &answer)),
        }
    }

    /// Stops `user`'s server.
    pub async fn stop(&self, user: &str, server_name: &str) -> Result<Stopped, HubError> {
        let path = Self::server_path(user, server_name);
        let (status, answer) = self.call(Method::DELETE, &path, None).await?;
        match status {
            StatusCode::NO_CONTENT | StatusCode::OK => Ok(Stopped::Stopped),
            StatusCode::ACCEPTED => Ok(Stopped::Stopping),
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND
                if message_of(&answer).contains("not running")
                    || message_of(&answer).contains("No such") =>
            {
                Ok(Stopped::NotRunning)
            }
            other => Err(Self::refused(other, &answer)),
        }
    }
}

fn message_of(body: &Value) -> String {
    body.get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| "no message".into())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_one_path_segment() {
        assert_eq!(HubClient::server_path("ada", ""), "/users/ada/server");
        assert_eq!(
            HubClient::server_path("a/b c@x", "gpu"),
            "/users/a%2Fb%20c%40x/servers/gpu"
        );
    }
}
