//! Starting and stopping users' servers through a hub's own REST API: the per-hub access
//! settings (API URL and an administrator-scoped JupyterHub token, which is stored encrypted and
//! never shown again) and the start / stop requests, with their validation.

use super::field::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

pub const API_URL_MAX: usize = 500;
pub const TOKEN_MAX: usize = 500;

/// A hub's REST access as pages see it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubRestAccess {
    pub hub_id: i64,
    pub api_url: String,
    /// The token's last 4 characters, to recognise it.
    pub token_hint: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// The hub page's "Hub API access" section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubRestPanel {
    pub hub_id: i64,
    pub access: Option<HubRestAccess>,
    /// The URL used when none is set: the hub's in-cluster service (or, on the simulated
    /// cluster, its simulated hub).
    pub default_url: String,
    /// On the simulated cluster: the token its simulated hubs accept.
    pub simulated_token: Option<String>,
}

/// The form: URL (empty = the default) and token (required when setting).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubRestForm {
    pub api_url: String,
    pub token: String,
}

/// What a valid form holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRestSpec {
    /// Without a trailing `/`.
    pub api_url: String,
    pub token: String,
}

/// A JupyterHub REST API base URL: http(s), ending in `/hub/api`.
pub fn validate_api_url(field: &str, input: &str, default_url: &str) -> Result<String, FieldError> {
    let url = input.trim().trim_end_matches('/');
    if url.is_empty() {
        return Ok(default_url.to_string());
    }
    let example = "e.g. http://hub.jupyterhub.svc:8081/hub/api or https://hub.example.org/hub/api";
    if url.len() > API_URL_MAX {
        return Err(FieldError::new(
            field,
            format!("The hub API URL is longer than {API_URL_MAX} characters."),
        ));
    }
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return Err(FieldError::new(
            field,
            format!("The hub API URL must start with http:// or https:// ({example})."),
        ));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new(
            field,
            format!("The hub API URL needs a host name and no spaces ({example})."),
        ));
    }
    if !url.ends_with("/hub/api") {
        let fixed = format!("{url}/hub/api");
        return Err(FieldError::new(
            field,
            format!("The hub API URL ends with /hub/api, e.g. {fixed}."),
        )
        .with_suggestion(fixed));
    }
    Ok(url.to_string())
}

/// A JupyterHub API token: printable, no spaces.
pub fn validate_token(field: &str, input: &str) -> Result<String, FieldError> {
    let token = input.trim();
    if token.is_empty() {
        return Err(FieldError::new(
            field,
            "Paste an API token of a hub administrator (on the hub: Token page, or \
             `jupyterhub token <admin>`); it is stored encrypted and not shown again.",
        ));
    }
    if token.len() > TOKEN_MAX || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new(
            field,
            format!(
                "The token has spaces or is longer than {TOKEN_MAX} characters: paste it as the hub showed it."
            ),
        ));
    }
    Ok(token.to_string())
}

impl HubRestForm {
    pub fn validate(&self, default_url: &str) -> Result<HubRestSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let api_url = validate_api_url("api_url", &self.api_url, default_url)
            .map_err(|e| errors.0.push(e))
            .ok();
        let token = validate_token("token", &self.token)
            .map_err(|e| errors.0.push(e))
            .ok();
        match (api_url, token) {
            (Some(api_url), Some(token)) if errors.0.is_empty() => {
                Ok(HubRestSpec { api_url, token })
            }
            _ => Err(errors),
        }
    }
}

/// The last 4 characters of a token (fewer for very short ones).
pub fn token_hint(token: &str) -> String {
    let n = token.chars().count();
    token.chars().skip(n.saturating_sub(4)).collect()
}

/// What a start or stop request did, said to the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerActionResult {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "http://hub.ns.svc:8081/hub/api";

    #[test]
    fn api_urls() {
        assert_eq!(validate_api_url("u", "", DEFAULT).unwrap(), DEFAULT);
        assert_eq!(
            validate_api_url("u", " https://hub.example.org/hub/api/ ", DEFAULT).unwrap(),
            "https://hub.example.org/hub/api"
        );
        let e = validate_api_url("u", "ftp://x/hub/api", DEFAULT).unwrap_err();
        assert!(e.message.contains("http:// or https://"), "{}", e.message);
        let e = validate_api_url("u", "https://hub.example.org", DEFAULT).unwrap_err();
        assert_eq!(
            e.suggestion.as_deref(),
            Some("https://hub.example.org/hub/api")
        );
        assert!(validate_api_url("u", e.suggestion.as_deref().unwrap(), DEFAULT).is_ok());
        assert!(validate_api_url("u", "http:///hub/api", DEFAULT).is_err());
        assert!(validate_api_url("u", "http://a b/hub/api", DEFAULT).is_err());
    }

    #[test]
    fn tokens() {
        assert!(
            validate_token("t", "  ")
                .unwrap_err()
                .message
                .contains("Paste an API token")
        );
        assert!(validate_token("t", "abc def").is_err());
        assert_eq!(validate_token("t", " abc123 ").unwrap(), "abc123");
        assert_eq!(token_hint("abcdef123"), "f123");
        assert_eq!(token_hint("ab"), "ab");
        let errs = HubRestForm::default().validate(DEFAULT).unwrap_err();
        assert_eq!(errs.0.len(), 1);
        assert_eq!(errs.0[0].field, "token");
    }
}
