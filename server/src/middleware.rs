//! Request middleware: CSRF protection, session → user resolution and the page guard.

use app::backend::AppState;
use app::backend::auth::{self, CurrentUser};
use app::domain::access::{Decision, decide, page_access};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{Method, StatusCode, header};
use tower_sessions::Session;

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

/// Adds conservative security headers to every response.
pub async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        http::HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", http::HeaderValue::from_static("DENY"));
    h.insert(
        "referrer-policy",
        http::HeaderValue::from_static("same-origin"),
    );
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
