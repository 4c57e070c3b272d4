//! The HTTP face of the simulated API server: routing of `/api`, `/apis`, `/version`,
//! resource paths (namespaced and cluster-scoped, subresources `status`, `log`, `eviction`,
//! node `proxy/stats/summary`), discovery documents (legacy and aggregated v2), list with
//! selectors and pagination, streaming watches with bookmarks and 410 Gone, and the
//! authorization review resources.

use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::shared::Shared;
use crate::state::{ApiError, NODES, PODS, PVCS, SimState, WriteCtx};
use crate::store::{Change, ChangeKind};
use crate::util::{fmt_time, str_at};
use base64::Engine;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody, combinators::UnsyncBoxBody};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// Boxed error type of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The response body of the simulated API server (whole documents or a watch stream).
pub type SimBody = UnsyncBoxBody<Bytes, BoxError>;

fn full(bytes: impl Into<Bytes>) -> SimBody {
    Full::new(bytes.into())
        .map_err(|never| -> BoxError { match never {} })
        .boxed_unsync()
}

fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<SimBody> {
    let mut res = Response::new(full(body));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}

fn json_response(status: u16, v: &Value) -> Response<SimBody> {
    respond(
        status,
        "application/json",
        serde_json::to_vec(v).unwrap_or_default(),
    )
}

fn error_response(e: &ApiError) -> Response<SimBody> {
    json_response(e.code, &e.status())
}

/// Query parameters (last value wins).
struct Query(HashMap<String, String>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(q.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|s| !s.is_empty())
    }
    fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1"))
    }
}

/// A parsed resource path.
#[derive(Debug)]
struct Target {
    group: String,
    version: String,
    namespace: Option<String>,
    plural: String,
    name: Option<String>,
    sub: Vec<String>,
    legacy_watch: bool,
}

fn parse_target(segs: &[&str]) -> Option<Target> {
    let (group, version, rest) = match segs {
        ["api", v, rest @ ..] => (String::new(), v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (g.to_string(), v.to_string(), rest),
        _ => return None,
    };
    let mut rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    let legacy_watch = rest.first().map(String::as_str) == Some("watch");
    if legacy_watch {
        rest.remove(0);
    }
    if rest.is_empty() {
        return None;
    }
    let (namespace, tail) = if rest[0] == "namespaces"
        && rest.len() >= 3
        && !matches!(rest[2].as_str(), "status" | "finalize")
    {
        (Some(rest[1].clone()), rest[2..].to_vec())
    } else {
        (None, rest)
    };
    Some(Target {
        group,
        version,
        namespace,
        plural: tail[0].clone(),
        name: tail.get(1).cloned(),
        sub: tail.get(2..).map(<[String]>::to_vec).unwrap_or_default(),
        legacy_watch,
    })
}

/// Whether the client asked for metadata-only objects.
fn wants_metadata_only(req_accept: &str) -> bool {
    req_accept.contains("as=PartialObjectMetadata")
}

fn to_partial(obj: &Value) -> Value {
    json!({
        "apiVersion": "meta.k8s.io/v1",
        "kind": "PartialObjectMetadata",
        "metadata": obj["metadata"],
    })
}

/// Handles one request. Watches answer at once and stream from a spawned task.
pub async fn handle(sim: &Shared, req: Request<Bytes>) -> Response<SimBody> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query());
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string();
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = parts.method.clone();

    // Non-resource paths.
    if method == Method::GET {
        match segs.as_slice() {
            ["version"] => {
                let st = sim.lock();
                return json_response(200, &version_doc(&st));
            }
            ["healthz"] | ["readyz"] | ["livez"] => return respond(200, "text/plain", "ok"),
            ["api"] => {
                let st = sim.lock();
                return json_response(200, &discovery_api(&st, &accept));
            }
            ["apis"] => {
                let st = sim.lock();
                return json_response(200, &discovery_apis(&st, &accept));
            }
            ["api", v] => {
                let st = sim.lock();
                return discovery_resources(&st, "", v);
            }
            ["apis", g] => {
                let st = sim.lock();
                return discovery_group(&st, g);
            }
            ["apis", g, v] => {
                let st = sim.lock();
                return discovery_resources(&st, g, v);
            }
            _ => {}
        }
    }
    let Some(target) = parse_target(&segs) else {
        return error_response(&ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    };
    let rt = {
        let st = sim.lock();
        st.resolve(&target.group, &target.version, &target.plural)
    };
    let Some(rt) = rt else {
        return error_response(&ApiError::new(
            404,
            "NotFound",
            format!(
                "the server could not find the requested resource ({} {})",
                method, path
            ),
        ));
    };
    let ns = target.namespace.clone().unwrap_or_default();
    if rt.namespaced && target.name.is_some() && target.namespace.is_none() {
        return error_response(&ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let dry_run = query.get("dryRun") == Some("All");
    let manager = query
        .get("fieldManager")
        .map(str::to_string)
        .unwrap_or_else(|| {
            user_agent
                .split('/')
                .next()
                .unwrap_or("unknown")
                .to_string()
        });
    let ctx = WriteCtx { manager, dry_run };
    let meta_only = wants_metadata_only(&accept);
    let sub = target.sub.iter().map(String::as_str).collect::<Vec<_>>();

    if rt.virtual_review {
        if method != Method::POST {
            return error_response(&ApiError::new(
                405,
                "MethodNotAllowed",
                "only create is supported",
            ));
        }
        let body = match parse_body(&body, &content_type) {
            Ok(b) => b,
            Err(e) => return error_response(&e),
        };
        let st = sim.lock();
        return json_response(201, &review(&st, &rt, body));
    }

    match (method.clone(), target.name.as_deref(), sub.as_slice()) {
        (Method::GET, None, []) => {
            if target.legacy_watch || query.flag("watch") {
                start_watch(sim, &rt, target.namespace.clone(), &query, meta_only)
            } else {
                let st = sim.lock();
                list(&st, &rt, target.namespace.as_deref(), &query, meta_only)
            }
        }
        (Method::GET, Some(name), [] | ["status"]) => {
            let st = sim.lock();
            let key_ns = if rt.namespaced { ns.as_str() } else { "" };
            match st.store.get(&rt.key(), key_ns, name) {
                Some(o) => json_response(
                    200,
                    &if meta_only {
                        to_partial(&o)
                    } else {
                        (*o).clone()
                    },
                ),
                None => error_response(&ApiError::not_found(&rt, name)),
            }
        }
        (Method::GET, Some(name), ["log"]) if rt.key() == PODS => {
            let st = sim.lock();
            pod_log(&st, &ns, name, &query)
        }
        (Method::GET, Some(name), ["proxy", "stats", "summary"]) if rt.key() == NODES => {
            let st = sim.lock();
            stats_summary(&st, name)
        }
        (Method::POST, None, []) => {
            let body = match parse_body(&body, &content_type) {
                Ok(b) => b,
                Err(e) => return error_response(&e),
            };
            let mut st = sim.lock();
            let res = st.create(&rt, &ns, body, &ctx);
            st.settle();
            match res {
                Ok(o) => json_response(201, &o),
                Err(e) => error_response(&e),
            }
        }
        (Method::POST, Some(name), ["eviction"]) if rt.key() == PODS => {
            let mut st = sim.lock();
            let res = st.delete(&rt, &ns, name, &ctx, false);
            st.settle();
            match res {
                Ok(_) => json_response(
                    201,
                    &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
                ),
                Err(e) => error_response(&e),
            }
        }
        (Method::PUT, Some(name), sub @ ([] | ["status"])) => {
            let body = match parse_body(&body, &content_type) {
                Ok(b) => b,
                Err(e) => return error_response(&e),
            };
            let subresource = sub.first().copied().unwrap_or("");
            let mut st = sim.lock();
            let res = st.replace(&rt, &ns, name, body, subresource, &ctx);
            st.settle();
            match res {
                Ok(o) => json_response(200, &o),
                Err(e) => error_response(&e),
            }
        }
        (Method::PATCH, Some(name), sub @ ([] | ["status"])) => {
            let body = match parse_body(&body, &content_type) {
                Ok(b) => b,
                Err(e) => return error_response(&e),
            };
            let subresource = sub.first().copied().unwrap_or("");
            let mut st = sim.lock();
            let res = if content_type.starts_with("application/apply-patch") {
                st.apply(&rt, &ns, name, body, query.flag("force"), subresource, &ctx)
            } else {
                st.patch(&rt, &ns, name, &content_type, &body, subresource, &ctx)
            };
            st.settle();
            match res {
                Ok(o) => json_response(200, &o),
                Err(e) => error_response(&e),
            }
        }
        (Method::DELETE, Some(name), []) => {
            let opts = parse_body(&body, "application/json").unwrap_or(Value::Null);
            let dry = dry_run
                || opts["dryRun"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "All"));
            let orphan = opts["propagationPolicy"] == "Orphan" || opts["orphanDependents"] == true;
            let ctx = WriteCtx {
                dry_run: dry,
                ..ctx
            };
            let mut st = sim.lock();
            if let Some(uid) = opts.pointer("/preconditions/uid").and_then(Value::as_str) {
                let key_ns = if rt.namespaced { ns.as_str() } else { "" };
                if st
                    .store
                    .get(&rt.key(), key_ns, name)
                    .is_some_and(|o| str_at(&o, "/metadata/uid") != uid)
                {
                    return error_response(&ApiError::conflict(&rt, name));
                }
            }
            let res = st.delete(&rt, &ns, name, &ctx, orphan);
            st.settle();
            match res {
                Ok(o) => json_response(200, &o),
                Err(e) => error_response(&e),
            }
        }
        (Method::DELETE, None, []) => {
            let opts = parse_body(&body, "application/json").unwrap_or(Value::Null);
            let dry = dry_run
                || opts["dryRun"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "All"));
            let ctx = WriteCtx {
                dry_run: dry,
                ..ctx
            };
            let (labels, fields) = match selectors(&query) {
                Ok(s) => s,
                Err(e) => return error_response(&e),
            };
            let mut st = sim.lock();
            let victims: Vec<Arc<Value>> = st.find(&rt.key(), target.namespace.as_deref(), |o| {
                labels.matches(o) && fields.matches(o)
            });
            let mut items = Vec::new();
            for v in victims {
                let vns = str_at(&v, "/metadata/namespace").to_string();
                let vname = str_at(&v, "/metadata/name").to_string();
                if let Ok(o) = st.delete(&rt, &vns, &vname, &ctx, false) {
                    items.push((*o).clone());
                }
            }
            st.settle();
            let rv = st.store.resource_version().to_string();
            json_response(
                200,
                &json!({
                    "apiVersion": rt.api_version(), "kind": format!("{}List", rt.kind),
                    "metadata": {"resourceVersion": rv}, "items": items,
                }),
            )
        }
        _ => error_response(&ApiError::new(
            405,
            "MethodNotAllowed",
            format!(
                "the server does not allow this method on the requested resource ({method} {path})"
            ),
        )),
    }
}

fn parse_body(body: &Bytes, content_type: &str) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok(v),
        Err(e) => {
            if content_type.contains("yaml")
                && let Ok(text) = std::str::from_utf8(body)
                && let Ok(v) = serde_saphyr::from_str::<Value>(text)
            {
                return Ok(v);
            }
            Err(ApiError::bad_request(format!(
                "the request body could not be decoded: {e}"
            )))
        }
    }
}

fn selectors(q: &Query) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(q.get("labelSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(q.get("fieldSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

// ---- list ----------------------------------------------------------------------------------

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{rv}\n{ns}\n{name}"))
}

fn decode_continue(token: &str) -> Option<(u64, String, String)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.splitn(3, '\n');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.to_string(),
        parts.next()?.to_string(),
    ))
}

fn list(
    st: &SimState,
    rt: &ResourceType,
    ns: Option<&str>,
    q: &Query,
    meta_only: bool,
) -> Response<SimBody> {
    let (labels, fields) = match selectors(q) {
        Ok(s) => s,
        Err(e) => return error_response(&e),
    };
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(0);
    let key = rt.key();
    let (list_rv, iter): (u64, Box<dyn Iterator<Item = &Arc<Value>>>) = match q.get("continue") {
        Some(token) => match decode_continue(token) {
            Some((rv, cns, cname)) => (rv, st.store.list_after(&key, (cns, cname))),
            None => return error_response(&ApiError::bad_request("invalid continue token")),
        },
        None => (st.store.resource_version(), st.store.list(&key, ns)),
    };
    let mut items = Vec::new();
    let mut more = false;
    let mut last: Option<(String, String)> = None;
    let mut remaining = 0usize;
    for o in iter {
        if let Some(ns) = ns
            && str_at(o, "/metadata/namespace") != ns
        {
            // list_after spans namespaces; keep to the requested one.
            if str_at(o, "/metadata/namespace") > ns {
                break;
            }
            continue;
        }
        if !(labels.matches(o) && fields.matches(o)) {
            continue;
        }
        if limit > 0 && items.len() >= limit {
            more = true;
            remaining += 1;
            continue;
        }
        last = Some((
            str_at(o, "/metadata/namespace").to_string(),
            str_at(o, "/metadata/name").to_string(),
        ));
        items.push(if meta_only {
            to_partial(o)
        } else {
            (**o).clone()
        });
    }
    let mut meta = json!({"resourceVersion": list_rv.to_string()});
    if more && let Some((lns, lname)) = last {
        meta["continue"] = json!(encode_continue(list_rv, &lns, &lname));
        meta["remainingItemCount"] = json!(remaining);
    }
    let (api_version, kind) = if meta_only {
        (
            "meta.k8s.io/v1".to_string(),
            "PartialObjectMetadataList".to_string(),
        )
    } else {
        (rt.api_version(), format!("{}List", rt.kind))
    };
    json_response(
        200,
        &json!({"apiVersion": api_version, "kind": kind, "metadata": meta, "items": items}),
    )
}

// ---- watch ---------------------------------------------------------------------------------

struct WatchFilter {
    key: String,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    meta_only: bool,
}

impl WatchFilter {
    fn matches(&self, o: &Value) -> bool {
        self.labels.matches(o) && self.fields.matches(o)
    }

    /// The watch event type and object for a change, if this watch should see it.
    fn translate(&self, c: &Change) -> Option<(&'static str, Value)> {
        if c.resource != self.key {
            return None;
        }
        if let Some(ns) = &self.namespace
            && &c.namespace != ns
        {
            return None;
        }
        let new_m = self.matches(&c.object);
        let old_m = c.old.as_ref().is_some_and(|o| self.matches(o));
        let kind = match c.kind {
            ChangeKind::Added if new_m => "ADDED",
            ChangeKind::Modified => match (old_m, new_m) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return None,
            },
            ChangeKind::Deleted if old_m || new_m => "DELETED",
            _ => return None,
        };
        let obj = if self.meta_only {
            to_partial(&c.object)
        } else {
            (*c.object).clone()
        };
        Some((kind, obj))
    }
}

fn frame(kind: &str, object: &Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

fn bookmark(rt: &ResourceType, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    frame(
        "BOOKMARK",
        &json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": meta}),
    )
}

type FrameResult = Result<Frame<Bytes>, BoxError>;

fn start_watch(
    sim: &Shared,
    rt: &ResourceType,
    ns: Option<String>,
    q: &Query,
    meta_only: bool,
) -> Response<SimBody> {
    let (labels, fields) = match selectors(q) {
        Ok(s) => s,
        Err(e) => return error_response(&e),
    };
    let filter = WatchFilter {
        key: rt.key(),
        namespace: ns,
        labels,
        fields,
        meta_only,
    };
    let bookmarks = q.flag("allowWatchBookmarks");
    let send_initial = q.flag("sendInitialEvents");
    let timeout = Duration::from_secs(
        q.get("timeoutSeconds")
            .and_then(|t| t.parse().ok())
            .unwrap_or(1800),
    );
    let requested_rv = q.get("resourceVersion").map(str::to_string);
    let mut initial: Vec<Bytes> = Vec::new();
    let mut close_after_initial = false;
    let (rx_changes, start_rv, bookmark_every) = {
        let st = sim.lock();
        let current = st.store.resource_version();
        let rx = st.store.subscribe();
        match requested_rv.as_deref() {
            None | Some("0") => {
                for o in st.store.list(&filter.key, filter.namespace.as_deref()) {
                    if filter.matches(o) {
                        let obj = if meta_only {
                            to_partial(o)
                        } else {
                            (**o).clone()
                        };
                        initial.push(frame("ADDED", &obj));
                    }
                }
                if send_initial {
                    initial.push(bookmark(rt, current, true));
                }
            }
            Some(rv) => match rv.parse::<u64>() {
                Ok(rv) => match st.store.changes_since(rv) {
                    Ok(changes) => {
                        for c in changes {
                            if let Some((kind, obj)) = filter.translate(&c) {
                                initial.push(frame(kind, &obj));
                            }
                        }
                    }
                    Err(_) => {
                        let status = ApiError::new(
                            410,
                            "Expired",
                            format!("too old resource version: {rv} ({current})"),
                        )
                        .status();
                        initial.push(frame("ERROR", &status));
                        close_after_initial = true;
                    }
                },
                Err(_) => {
                    return error_response(&ApiError::bad_request(format!(
                        "invalid resourceVersion \"{rv}\""
                    )));
                }
            },
        }
        (rx, current, st.config.bookmark_interval)
    };
    let (tx, rx) = mpsc::channel::<FrameResult>(512);
    let mut reachable = sim.reachable_watch();
    let rt = rt.clone();
    tokio::spawn(async move {
        for f in initial {
            if tx.send(Ok(Frame::data(f))).await.is_err() {
                return;
            }
        }
        if close_after_initial {
            return;
        }
        let mut rx_changes: broadcast::Receiver<Arc<Change>> = rx_changes;
        let mut last_rv = start_rv;
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(bookmark_every.max(Duration::from_millis(50)));
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                changed = reachable.changed() => {
                    if changed.is_err() || !*reachable.borrow() {
                        let err: BoxError = Box::new(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "simulated cluster became unreachable",
                        ));
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                }
                _ = ticker.tick(), if bookmarks => {
                    if tx.send(Ok(Frame::data(bookmark(&rt, last_rv, false)))).await.is_err() {
                        return;
                    }
                }
                msg = rx_changes.recv() => match msg {
                    Ok(change) => {
                        if change.rv <= last_rv {
                            continue;
                        }
                        last_rv = change.rv;
                        if let Some((kind, obj)) = filter.translate(&change)
                            && tx.send(Ok(Frame::data(frame(kind, &obj)))).await.is_err()
                        {
                            return;
                        }
                    }
                    // A watcher that falls behind is closed; the client resumes from its
                    // last resourceVersion (or relists on 410).
                    Err(_) => return,
                },
            }
        }
    });
    let stream =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
    let body: SimBody = StreamBody::new(stream).boxed_unsync();
    let mut res = Response::new(body);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    res
}

// ---- discovery -----------------------------------------------------------------------------

fn version_doc(st: &SimState) -> Value {
    let v = st
        .config
        .kubernetes_version
        .trim_start_matches('v')
        .to_string();
    let mut parts = v.split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    json!({
        "major": major, "minor": minor,
        "gitVersion": st.config.kubernetes_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.6",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// Group -> versions (preferred first) -> resources.
fn groups(st: &SimState) -> BTreeMap<String, BTreeMap<String, Vec<ResourceType>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<ResourceType>>> = BTreeMap::new();
    for r in st.resource_types() {
        out.entry(r.group.clone())
            .or_default()
            .entry(r.version.clone())
            .or_default()
            .push(r.clone());
    }
    out
}

fn preferred(versions: &BTreeMap<String, Vec<ResourceType>>) -> String {
    // "v2" before "v2beta2" before "v1": the highest stable version is preferred.
    let mut vs: Vec<&String> = versions.keys().collect();
    vs.sort_by_key(|v| {
        let stable = !v.contains("alpha") && !v.contains("beta");
        let num: u32 = v
            .trim_start_matches('v')
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        (std::cmp::Reverse(stable), std::cmp::Reverse(num))
    });
    vs.first().map(|s| s.to_string()).unwrap_or_default()
}

fn aggregated_group(name: &str, versions: &BTreeMap<String, Vec<ResourceType>>) -> Value {
    let pref = preferred(versions);
    let mut ordered: Vec<(&String, &Vec<ResourceType>)> = versions.iter().collect();
    ordered.sort_by_key(|(v, _)| **v != pref);
    let versions: Vec<Value> = ordered
        .into_iter()
        .map(|(v, rs)| {
            let resources: Vec<Value> = rs
                .iter()
                .map(|r| {
                    let subs: Vec<Value> = r
                        .subresources()
                        .iter()
                        .map(|s| json!({"subresource": s, "verbs": ["get", "patch", "update"]}))
                        .collect();
                    json!({
                        "resource": r.plural,
                        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.singular,
                        "verbs": r.verbs(),
                        "shortNames": r.short_names,
                        "subresources": subs,
                    })
                })
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": name}, "versions": versions})
}

fn discovery_api(st: &SimState, accept: &str) -> Value {
    if accept.contains("as=APIGroupDiscoveryList") {
        let gs = groups(st);
        let items: Vec<Value> = gs
            .get("")
            .map(|core| vec![aggregated_group("", core)])
            .unwrap_or_default();
        return json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items});
    }
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
    })
}

fn group_doc(name: &str, versions: &BTreeMap<String, Vec<ResourceType>>) -> Value {
    let pref = preferred(versions);
    let vs: Vec<Value> = versions
        .keys()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    json!({
        "name": name,
        "versions": vs,
        "preferredVersion": {"groupVersion": format!("{name}/{pref}"), "version": pref},
    })
}

fn discovery_apis(st: &SimState, accept: &str) -> Value {
    let gs = groups(st);
    if accept.contains("as=APIGroupDiscoveryList") {
        let items: Vec<Value> = gs
            .iter()
            .filter(|(g, _)| !g.is_empty())
            .map(|(g, vs)| aggregated_group(g, vs))
            .collect();
        return json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items});
    }
    let groups: Vec<Value> = gs
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| group_doc(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn discovery_group(st: &SimState, group: &str) -> Response<SimBody> {
    match groups(st).get(group) {
        Some(vs) => {
            let mut doc = group_doc(group, vs);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            json_response(200, &doc)
        }
        None => error_response(&ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    }
}

fn discovery_resources(st: &SimState, group: &str, version: &str) -> Response<SimBody> {
    let rs: Vec<&ResourceType> = st
        .resource_types()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if rs.is_empty() {
        return error_response(&ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let mut resources = Vec::new();
    for r in &rs {
        resources.push(r.api_resource());
        for s in r.subresources() {
            resources.push(json!({
                "name": format!("{}/{s}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": if s == "log" || s == "proxy" { "Pod".to_string() } else { r.kind.clone() },
                "verbs": if s == "status" { json!(["get", "patch", "update"]) } else { json!(["get"]) },
            }));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json_response(
        200,
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

// ---- authorization reviews -----------------------------------------------------------------

fn denied(st: &SimState, ns: &str, verb: &str, group: &str, resource: &str) -> bool {
    st.config.denied.iter().any(|d| {
        (d.verb == verb || d.verb == "*")
            && (d.group == group || d.group == "*")
            && (d.resource == resource || d.resource == "*")
            && d.namespace.as_deref().is_none_or(|n| n == ns)
    })
}

fn review(st: &SimState, rt: &ResourceType, body: Value) -> Value {
    let mut out = body.clone();
    out["apiVersion"] = json!("authorization.k8s.io/v1");
    out["kind"] = json!(rt.kind);
    if out.get("metadata").is_none() {
        out["metadata"] = json!({});
    }
    if rt.plural == "selfsubjectaccessreviews" {
        let a = &body["spec"]["resourceAttributes"];
        let mut resource = str_at(a, "/resource").to_string();
        let sub = str_at(a, "/subresource");
        if !sub.is_empty() {
            resource = format!("{resource}/{sub}");
        }
        let is_denied = denied(
            st,
            str_at(a, "/namespace"),
            str_at(a, "/verb"),
            str_at(a, "/group"),
            &resource,
        );
        out["status"] = if is_denied {
            json!({"allowed": false, "denied": true, "reason": "denied by the simulated cluster's configuration"})
        } else {
            json!({"allowed": true, "reason": "the simulated cluster allows everything not explicitly denied"})
        };
    } else {
        let ns = str_at(&body, "/spec/namespace").to_string();
        let any_denied = st
            .config
            .denied
            .iter()
            .any(|d| d.namespace.as_deref().is_none_or(|n| n == ns));
        let rules: Vec<Value> = if any_denied {
            let mut rules = Vec::new();
            for r in st.resource_types() {
                let mut names = vec![r.plural.clone()];
                names.extend(r.subresources().iter().map(|s| format!("{}/{s}", r.plural)));
                for name in names {
                    let mut all = r.verbs();
                    // RBAC's own verbs on roles, which discovery does not list.
                    if r.group == "rbac.authorization.k8s.io"
                        && matches!(name.as_str(), "roles" | "clusterroles")
                    {
                        all.extend(["bind", "escalate"]);
                    }
                    let verbs: Vec<&str> = all
                        .into_iter()
                        .filter(|v| !denied(st, &ns, v, &r.group, &name))
                        .collect();
                    if !verbs.is_empty() {
                        rules.push(
                            json!({"verbs": verbs, "apiGroups": [r.group], "resources": [name]}),
                        );
                    }
                }
            }
            rules
        } else {
            vec![json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})]
        };
        out["status"] = json!({
            "resourceRules": rules,
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": false,
        });
    }
    out
}

// ---- pod logs and kubelet stats --------------------------------------------------------------

fn pod_log(st: &SimState, ns: &str, name: &str, q: &Query) -> Response<SimBody> {
    let Some(rt) = st.by_key(PODS) else {
        return error_response(&ApiError::new(500, "InternalError", "pods are not served"));
    };
    let Some(pod) = st.store.get(PODS, ns, name) else {
        return error_response(&ApiError::not_found(&rt, name));
    };
    let containers: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().map(|c| str_at(c, "/name").to_string()).collect())
        .unwrap_or_default();
    let container = q
        .get("container")
        .map(str::to_string)
        .or_else(|| containers.first().cloned())
        .unwrap_or_default();
    if !containers.contains(&container) {
        return error_response(&ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let status = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| str_at(c, "/name") == container).cloned());
    let waiting = status
        .as_ref()
        .map(|s| str_at(s, "/state/waiting/reason").to_string())
        .unwrap_or_else(|| "ContainerCreating".to_string());
    let ever_started = status.as_ref().is_some_and(|s| {
        s.pointer("/state/running").is_some()
            || s.pointer("/state/terminated").is_some()
            || s.pointer("/lastState/terminated").is_some()
    });
    if !ever_started {
        return error_response(&ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {}",
            if waiting.is_empty() {
                "ContainerCreating"
            } else {
                &waiting
            }
        )));
    }
    let uid = str_at(&pod, "/metadata/uid");
    let mut lines: Vec<String> = st
        .ctl
        .logs
        .get(uid)
        .map(|l| {
            l.iter()
                .map(|(t, line)| {
                    if q.flag("timestamps") {
                        format!(
                            "{} {line}",
                            crate::util::fmt_micro_time(*t).replace('Z', "000Z")
                        )
                    } else {
                        line.clone()
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(n) = q.get("tailLines").and_then(|t| t.parse::<usize>().ok()) {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    if let Some(limit) = q.get("limitBytes").and_then(|t| t.parse::<usize>().ok())
        && text.len() > limit
    {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    respond(200, "text/plain", text)
}

fn stats_summary(st: &SimState, node: &str) -> Response<SimBody> {
    let Some(rt) = st.by_key(NODES) else {
        return error_response(&ApiError::new(500, "InternalError", "nodes are not served"));
    };
    if st.store.get(NODES, "", node).is_none() {
        return error_response(&ApiError::not_found(&rt, node));
    }
    let now = fmt_time(st.now);
    let mut pods = Vec::new();
    let mut used_mem = 0u64;
    for pod in st.store.list(PODS, None) {
        if str_at(pod, "/spec/nodeName") != node || str_at(pod, "/status/phase") != "Running" {
            continue;
        }
        let ns = str_at(pod, "/metadata/namespace");
        let (_, mem) = crate::util::pod_requests(pod);
        used_mem += mem;
        let mut volumes = Vec::new();
        if let Some(vols) = pod.pointer("/spec/volumes").and_then(Value::as_array) {
            for v in vols {
                let claim = str_at(v, "/persistentVolumeClaim/claimName");
                if claim.is_empty() {
                    continue;
                }
                let capacity = st
                    .store
                    .get(PVCS, ns, claim)
                    .and_then(|p| crate::util::quantity_of(p.pointer("/status/capacity/storage")))
                    .map(crate::util::f64_to_u64)
                    .unwrap_or(0);
                let used = st
                    .ctl
                    .usage
                    .get(&(ns.to_string(), claim.to_string()))
                    .copied()
                    .unwrap_or(0)
                    .min(capacity);
                volumes.push(json!({
                    "time": now,
                    "availableBytes": capacity.saturating_sub(used),
                    "capacityBytes": capacity,
                    "usedBytes": used,
                    "inodesFree": 1_000_000u64,
                    "inodes": 1_048_576u64,
                    "inodesUsed": 48_576u64,
                    "name": str_at(v, "/name"),
                    "pvcRef": {"name": claim, "namespace": ns},
                }));
            }
        }
        pods.push(json!({
            "podRef": {"name": pod["metadata"]["name"], "namespace": ns, "uid": pod["metadata"]["uid"]},
            "startTime": pod["status"]["startTime"],
            "cpu": {"time": now, "usageNanoCores": 25_000_000u64},
            "memory": {"time": now, "workingSetBytes": mem / 2},
            "volume": volumes,
        }));
    }
    json_response(
        200,
        &json!({
            "node": {
                "nodeName": node,
                "startTime": fmt_time(st.now - chrono::Duration::days(3)),
                "cpu": {"time": now, "usageNanoCores": 400_000_000u64},
                "memory": {"time": now, "workingSetBytes": used_mem / 2 + 1_073_741_824},
            },
            "pods": pods,
        }),
    )
}

/// Collects a request body into bytes.
pub async fn collect_body<B>(body: B) -> Result<Bytes, BoxError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    Ok(body.collect().await.map_err(Into::into)?.to_bytes())
}
