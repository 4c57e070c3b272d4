//! `/metrics`: the portal's figures in the Prometheus / OpenMetrics text format
//! (`prometheus-client`).
//!
//! - `hubfleet_http_requests_total{method,route,status}` and
//!   `hubfleet_http_request_duration_seconds{method,route}` (histogram): every request, by the
//!   route that matched (its template, e.g. `/hubs/{id}`, so ids do not make new series;
//!   unmatched paths count as `unmatched`).
//! - `hubfleet_watch_store_objects`, `hubfleet_watch_store_ready`,
//!   `hubfleet_watch_store_last_event_age_seconds`, `hubfleet_watch_store_errors_total`
//!   `{store,namespace}`: the cluster watch stores the pages read.
//! - `hubfleet_release_operations_total{driver,kind,result}`: applies, rollbacks and
//!   uninstalls by driver and result, counted from the operations table (so they survive a
//!   restart).
//! - `hubfleet_sign_in_failures_total{reason}`: failed sign-ins since the process started.
//!
//! Who may read them: a client presenting the configured bearer token (`--metrics-token`), or
//! anyone reaching the separate listen address (`--metrics-listen`), meant for a port only the
//! cluster's monitoring reaches. With neither configured, `/metrics` answers 404.

use app::backend::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// The OpenMetrics text format's content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    store: String,
    namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    driver: String,
    kind: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 1 ms … about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The request figures (kept for the life of the process) and who may read `/metrics`.
#[derive(Clone)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    /// SHA-256 of the bearer token `/metrics` on the main address asks for.
    token_digest: Option<[u8; 32]>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("token", &self.token_digest.map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// `token`: the bearer token that opens `/metrics` on the main address (`None`: closed
    /// there; an empty token counts as none).
    pub fn new(token: Option<&str>) -> Arc<Self> {
        Arc::new(Self {
            requests: Family::default(),
            durations: Family::new_with_constructor(duration_histogram),
            token_digest: token
                .filter(|t| !t.is_empty())
                .map(|t| Sha256::digest(t.as_bytes()).into()),
        })
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Whether the request carries the configured bearer token (compared as digests, so the
    /// comparison takes the same time whatever the presented token).
    fn authorized(&self, headers: &http::HeaderMap) -> bool {
        let Some(want) = self.token_digest else {
            return false;
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        let got: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        want.iter().zip(got).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Everything, encoded: the request figures plus what is read now (stores, operations,
    /// sign-in failures).
    pub async fn render(&self, state: &AppState) -> Result<String, String> {
        let mut registry = Registry::with_prefix("hubfleet");
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route and status",
            self.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response head, by method and matched route",
            self.durations.clone(),
        );

        let objects = Family::<StoreLabels, Gauge>::default();
        let ready = Family::<StoreLabels, Gauge>::default();
        let age = Family::<StoreLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        let errors = Family::<StoreLabels, Counter>::default();
        let now = chrono::Utc::now();
        for m in state
            .cluster
            .stores()
            .map(|s| s.metrics())
            .unwrap_or_default()
        {
            let labels = StoreLabels {
                store: m.name.clone(),
                namespace: m.namespace.clone().unwrap_or_default(),
            };
            objects
                .get_or_create(&labels)
                .set(i64::try_from(m.objects).unwrap_or(i64::MAX));
            ready.get_or_create(&labels).set(i64::from(m.ready));
            errors.get_or_create(&labels).inc_by(m.errors);
            if let Some(at) = m
                .last_event
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            {
                let seconds = (now - at.with_timezone(&chrono::Utc)).num_milliseconds() as f64;
                age.get_or_create(&labels).set((seconds / 1000.0).max(0.0));
            }
        }
        registry.register(
            "watch_store_objects",
            "Objects held by a cluster watch store",
            objects,
        );
        registry.register(
            "watch_store_ready",
            "1 when the watch store's initial list has completed",
            ready,
        );
        registry.register(
            "watch_store_last_event_age_seconds",
            "Seconds since the watch store's last event",
            age,
        );
        registry.register(
            "watch_store_errors",
            "Watch errors seen by the store (each followed by a retry)",
            errors,
        );

        let operations = Family::<OperationLabels, Counter>::default();
        let counts = app::backend::deploy::records::counts_by_outcome(&state.pool)
            .await
            .map_err(|e| e.to_string())?;
        for c in counts {
            operations
                .get_or_create(&OperationLabels {
                    driver: c.driver,
                    kind: c.kind,
                    result: c.status,
                })
                .inc_by(c.count);
        }
        registry.register(
            "release_operations",
            "Release operations (install, upgrade, rollback, uninstall) by driver, kind and \
             result (running, succeeded, failed, interrupted)",
            operations,
        );

        let failures = Family::<ReasonLabels, Counter>::default();
        for (reason, n) in state.throttle.failures.snapshot() {
            failures
                .get_or_create(&ReasonLabels {
                    reason: reason.to_string(),
                })
                .inc_by(n);
        }
        registry.register(
            "sign_in_failures",
            "Failed sign-ins since the portal started, by reason",
            failures,
        );

        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }
}

/// Counts every request by the route that matched.
pub async fn track(
    axum::Extension(metrics): axum::Extension<Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let res = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    metrics.observe(&method, &route, status, seconds);
    // The access line (inside the request's span, so with its id). Static files and probes
    // only at debug level.
    let ms = (seconds * 1000.0 * 10.0).round() / 10.0;
    if route.starts_with("/pkg") || route == "/healthz" || route == "/readyz" {
        tracing::debug!(status, ms, route, "answered");
    } else {
        tracing::info!(status, ms, route, "answered");
    }
    res
}

fn encoded(body: Result<String, String>) -> Response {
    match body {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not gather the metrics");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The metrics could not be gathered: {e}"),
            )
                .into_response()
        }
    }
}

/// `/metrics` on the main address: only with the configured bearer token.
pub async fn guarded(
    State(state): State<AppState>,
    axum::Extension(metrics): axum::Extension<Arc<Metrics>>,
    headers: http::HeaderMap,
) -> Response {
    if metrics.token_digest.is_none() {
        return (
            StatusCode::NOT_FOUND,
            "Metrics are not served here: start the portal with --metrics-token (then send it as \
             a bearer token) or --metrics-listen (a separate address).",
        )
            .into_response();
    }
    if !metrics.authorized(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Send the metrics token as `Authorization: Bearer <token>`.",
        )
            .into_response();
    }
    encoded(metrics.render(&state).await)
}

/// The router of the separate metrics address (`--metrics-listen`): `/metrics` for anyone
/// who reaches it, nothing else.
pub fn listener_router(state: AppState, metrics: Arc<Metrics>) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(
                |State(state): State<AppState>,
                 axum::Extension(metrics): axum::Extension<Arc<Metrics>>| async move {
                    encoded(metrics.render(&state).await)
                },
            ),
        )
        .layer(axum::Extension(metrics))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_token_must_match_exactly() {
        let m = Metrics::new(Some("s3cret"));
        let with = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().expect("header"));
            h
        };
        assert!(m.authorized(&with("Bearer s3cret")));
        assert!(!m.authorized(&with("Bearer s3cre")));
        assert!(!m.authorized(&with("Basic s3cret")));
        assert!(!m.authorized(&http::HeaderMap::new()));
        assert!(!Metrics::new(Some("")).authorized(&with("Bearer ")));
        assert!(!Metrics::new(None).authorized(&with("Bearer s3cret")));
    }
}
