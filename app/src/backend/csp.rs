//! The Content-Security-Policy. Pages carry a fresh nonce per response (Leptos adds it to
//! the hydration and resource scripts it writes); nothing inline runs without it, and no
//! `unsafe-inline` or `unsafe-eval` is allowed (`wasm-unsafe-eval` lets the bundle compile
//! its WebAssembly). Other responses get the policy without a nonce.

use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;

/// The policy, allowing inline scripts that carry `nonce` when there is one.
pub fn policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "default-src 'self'; {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the page's policy with this render's nonce on the response (called by the shell
/// while it renders on the server).
pub fn set_for_page() {
    let nonce = leptos::nonce::use_nonce();
    let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&policy(nonce.as_deref())) {
        res.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_unsafe_inline_and_no_framing() {
        let p = policy(Some("abc"));
        assert!(p.contains("'nonce-abc'"));
        assert!(!p.contains("unsafe-inline"));
        assert!(!p.contains("'unsafe-eval'"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!policy(None).contains("nonce"));
    }
}
