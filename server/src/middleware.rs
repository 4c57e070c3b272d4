//! Request middleware: request id, request timeout, body limit, client address, security headers, CSRF
//! protection, session → user resolution and the page guard.

use app::backend::AppState;
use app::backend::audit::{self, RequestIds};
use app::backend::auth::{self, CurrentUser};
use app::backend::proxy::ClientAddr;
use app::domain::access::{Decision, PASSWORD_PAGE, decide, page_access};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{Method, StatusCode, header};
use http_body::Body as _;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::net::SocketAddr;
use tower_sessions::Session;

/// The largest request body any route accepts (1 MiB). No route needs more: the largest
/// forms (a profile with its lists) are a few kilobytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// Gives every request an id made here ([`app::backend::audit::new_request_id`]): it replaces
/// any `x-request-id` the client sent (so logs, the response header and audit entries carry
/// the server's id), and the client's value, sanitized, is kept beside it in the
/// [`RequestIds`] extension, which the audit trail records as `client_request_id`.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let client = req
        .headers()
        .get(X_REQUEST_ID)
        .map(|v| audit::sanitize_client_request_id(v.as_bytes()))
        .unwrap_or_default();
    let server = audit::new_request_id();
    if let Ok(v) = http::HeaderValue::from_str(&server) {
        req.headers_mut().insert(X_REQUEST_ID, v);
    }
    req.extensions_mut().insert(RequestIds { server, client });
    next.run(req).await
}

const X_REQUEST_ID: &str = "x-request-id";

/// The span every request is handled in: its server-made id (set by [`request_id`], which
/// runs first), method and path, so every log line written while handling it carries them.
pub fn request_span<B>(req: &http::Request<B>) -> tracing::Span {
    let id = req
        .extensions()
        .get::<RequestIds>()
        .map(|ids| ids.server.as_str())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    )
}

/// Answers 408 when a request (its body included) is not answered within the configured time.
pub async fn request_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.settings.request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(seconds = limit.as_secs(), "request timed out");
            plain(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "The request took longer than {} seconds and was stopped.",
                    limit.as_secs()
                ),
            )
        }
    }
}

/// Refuses bodies larger than [`BODY_LIMIT`] with 413 before anything reads them. A declared
/// length (`Content-Length`) is judged without reading a byte; a body of unknown length
/// (chunked) is read up to the limit and refused as soon as it passes it, so no request
/// holds more than the limit in memory.
pub async fn body_limit(req: Request, next: Next) -> Response {
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The request body is larger than {} KiB, the most Hubfleet accepts.",
                BODY_LIMIT / 1024
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large();
    }
    let hint = req.body().size_hint();
    if hint.lower() > BODY_LIMIT as u64 {
        return too_large();
    }
    if hint.upper().is_some_and(|n| n <= BODY_LIMIT as u64) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Err(e) if e.is::<LengthLimitError>() => too_large(),
        Err(e) => plain(
            StatusCode::BAD_REQUEST,
            format!("The request body could not be read: {e}"),
        ),
    }
}

/// Puts the client's address ([`ClientAddr`]) on the request: the socket peer, or what a
/// trusted proxy's forwarding header says (see `app::backend::proxy`).
pub async fn client_addr(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let proxies = &state.settings.trusted_proxies;
        let values = req
            .headers()
            .get_all(proxies.header.name())
            .iter()
            .filter_map(|v| v.to_str().ok());
        let ip = proxies.client_addr(peer, values);
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

/// Refuses cross-site state-changing requests.
///
/// Every POST/PUT/PATCH/DELETE (server functions included) must come from this site: the
/// browser's `Sec-Fetch-Site` must be `same-origin` (or `none`, a user-typed navigation), or,
/// for browsers that do not send it, the `Origin` (else `Referer`) must match the request's
/// Host or a configured allowed origin. A request carrying none of these headers is not from a
/// browser and cannot ride on a victim's cookies, so it passes (bearer-token API clients).
/// Together with `SameSite=Lax` session cookies this is the approach of the OWASP CSRF
/// cheat sheet's "verifying origin with standard headers" and of Go's CrossOriginProtection.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let allowed = match text("sec-fetch-site").as_deref() {
        Some("same-origin") | Some("none") => true,
        Some(_) => false,
        None => {
            let host = text("host").unwrap_or_default();
            match text("origin").or_else(|| text("referer")) {
                None => true,
                Some(origin) => origin_matches(&origin, &host, &state.settings.allowed_origins),
            }
        }
    };
    // Even when Sec-Fetch-Site says cross-site, an explicitly allowed origin may pass.
    let allowed = allowed
        || text("origin").is_some_and(|o| {
            state
                .settings
                .allowed_origins
                .iter()
                .any(|a| a.trim_end_matches('/') == o)
        });
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), uri = %req.uri(), "refused cross-site request");
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Cross-site request refused: this action must be submitted from Hubfleet's own pages.",
        )
            .into_response()
    }
}

/// Whether `origin` (an Origin header, or a Referer URL) names this host or an allowed origin.
pub fn origin_matches(origin: &str, host: &str, allowed: &[String]) -> bool {
    let authority = origin
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .unwrap_or_default();
    if !host.is_empty() && authority.eq_ignore_ascii_case(host) {
        return true;
    }
    let origin_only = origin
        .split_once("://")
        .map(|(scheme, _)| format!("{scheme}://{authority}"))
        .unwrap_or_default();
    allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin_only))
}

/// Resolves the session into a [`CurrentUser`] extension, then applies the page access table:
/// anonymous visitors of a protected page are sent to sign in, users without the role get 403
/// (the page itself renders the explanation).
pub async fn auth_guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let user = match req.extensions().get::<Session>().cloned() {
        Some(session) => match auth::resolve(&state, &session).await {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(error = %e, "could not resolve session");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Session store unavailable.",
                )
                    .into_response();
            }
        },
        None => None,
    };
    let path = req.uri().path().to_string();
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD);
    let decision = if is_page {
        page_access(&path).map(|a| decide(a, user.as_ref()))
    } else {
        None
    };
    // An account holding a one-time password sees only the page that changes it.
    let must_change = user.as_ref().is_some_and(|u| u.must_change_password);
    let password_page = path == PASSWORD_PAGE || path.starts_with(&format!("{PASSWORD_PAGE}/"));
    if must_change && decision.is_some() && !password_page && path != "/login" {
        return Redirect::to(PASSWORD_PAGE).into_response();
    }
    req.extensions_mut().insert(CurrentUser(user));
    match decision {
        Some(Decision::SignIn) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or(path);
            Redirect::to(&format!(
                "/login?next={}",
                app::ui::encode_component(&target)
            ))
            .into_response()
        }
        Some(Decision::Forbidden) => {
            let mut res = next.run(req).await;
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        }
        _ => next.run(req).await,
    }
}

/// Adds the security headers to every response, each once: the Content-Security-Policy
/// (pages set their own, with the script nonce of their render; everything else gets it
/// without a nonce), `nosniff`, no framing, the referrer policy, and HSTS when cookies are
/// `Secure` (the portal is served over HTTPS).
pub async fn security_headers(
    State(state): State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(v) = http::HeaderValue::from_str(&app::backend::csp::policy(None))
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        http::HeaderValue::from_static("DENY"),
    );
    h.insert(
        header::REFERRER_POLICY,
        http::HeaderValue::from_static("same-origin"),
    );
    if state.settings.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert!(origin_matches(
            "http://127.0.0.1:3000",
            "127.0.0.1:3000",
            &[]
        ));
        assert!(origin_matches(
            "http://127.0.0.1:3000/users?x",
            "127.0.0.1:3000",
            &[]
        ));
        assert!(!origin_matches(
            "https://evil.example",
            "127.0.0.1:3000",
            &[]
        ));
        assert!(!origin_matches("null", "127.0.0.1:3000", &[]));
        assert!(origin_matches(
            "https://hub.example.org",
            "internal:3000",
            &["https://hub.example.org/".into()]
        ));
    }
}
