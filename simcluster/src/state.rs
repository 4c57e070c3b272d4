//! The simulated API server's state and its write path: defaulting, validation, optimistic
//! concurrency, server-side apply, dry runs, cascading deletes. Both the HTTP layer and the
//! controllers write through here so watches see every change.

use crate::config::SimConfig;
use crate::controller_state::Controllers;
use crate::fields::{self, Writer};
use crate::resources::{self, ResourceType};
use crate::store::Change;
use crate::store::ObjectStore;
use crate::util::{Rng, fmt_time, pod_requests, str_at};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// An API error, answered as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: String,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, rt: &ResourceType, name: &str) -> Self {
        let mut d = json!({"name": name, "kind": rt.plural});
        if !rt.group.is_empty() {
            d["group"] = json!(rt.group);
        }
        self.details = Some(d);
        self
    }

    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.qualified()),
        )
        .with_details(rt, name)
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.qualified()),
        )
        .with_details(rt, name)
    }

    pub fn conflict(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                rt.qualified()
            ),
        )
        .with_details(rt, name)
    }

    pub fn invalid(rt: &ResourceType, name: &str, field: &str, msg: &str) -> Self {
        let mut e = Self::new(
            422,
            "Invalid",
            format!(
                "{} \"{name}\" is invalid: {field}: {msg}",
                if rt.group.is_empty() {
                    rt.kind.clone()
                } else {
                    format!("{}.{}", rt.kind, rt.group)
                }
            ),
        )
        .with_details(rt, name);
        if let Some(d) = e.details.as_mut() {
            d["kind"] = json!(rt.kind);
            d["causes"] = json!([{"reason": "FieldValueInvalid", "message": msg, "field": field}]);
        }
        e
    }

    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", msg)
    }

    /// The `Status` body.
    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

/// Who writes and how (from the request's query parameters).
#[derive(Debug, Clone)]
pub struct WriteCtx {
    pub manager: String,
    pub dry_run: bool,
}

impl WriteCtx {
    /// A controller of the simulator itself.
    pub fn controller(name: &str) -> Self {
        Self {
            manager: name.to_string(),
            dry_run: false,
        }
    }
}

/// A scheduled controller step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    SchedulePod {
        ns: String,
        name: String,
        uid: String,
    },
    StartPod {
        ns: String,
        name: String,
        uid: String,
    },
    ImagePullBackOff {
        ns: String,
        name: String,
        uid: String,
    },
    OomKill {
        ns: String,
        name: String,
        uid: String,
    },
    Evict {
        ns: String,
        name: String,
        uid: String,
    },
    FinishJobPod {
        ns: String,
        name: String,
        uid: String,
    },
    BindPvc {
        ns: String,
        name: String,
        uid: String,
    },
    ResizePvc {
        ns: String,
        name: String,
        uid: String,
    },
    FinishRelease {
        op: u64,
    },
}

/// What the controllers plug into the write path and the clock. The crate root passes
/// `controllers::HOOKS`; the indirection keeps this module below the controllers in the
/// module graph (they read and write through it).
#[derive(Clone, Copy)]
pub struct Hooks {
    /// Defaulting of a new object (admission plugins).
    pub default_new: fn(&mut SimState, &ResourceType, &mut Value),
    /// Validating admission of a create or update.
    pub admit: fn(&SimState, &ResourceType, Option<&Value>, &Value) -> Result<(), ApiError>,
    /// Reaction to a committed change.
    pub on_change: fn(&mut SimState, &Change),
    /// A scheduled step that fell due.
    pub run_action: fn(&mut SimState, Action),
    /// Storage usage growing with time.
    pub grow_usage: fn(&mut SimState, std::time::Duration),
}

pub struct SimState {
    pub config: SimConfig,
    hooks: Hooks,
    pub store: ObjectStore,
    pub rng: Rng,
    pub now: DateTime<Utc>,
    builtins: Vec<ResourceType>,
    crd_types: Vec<ResourceType>,
    queue: BTreeMap<(DateTime<Utc>, u64), Action>,
    seq: u64,
    pub ctl: Controllers,
}

pub const NAMESPACES: &str = "/namespaces";
pub const PODS: &str = "/pods";
pub const PVCS: &str = "/persistentvolumeclaims";
pub const SECRETS: &str = "/secrets";
pub const CONFIGMAPS: &str = "/configmaps";
pub const EVENTS: &str = "/events";
pub const NODES: &str = "/nodes";
pub const JOBS: &str = "batch/jobs";
pub const STORAGE_CLASSES: &str = "storage.k8s.io/storageclasses";
pub const CRDS: &str = "apiextensions.k8s.io/customresourcedefinitions";
pub const FLUX_HELMRELEASES: &str = "helm.toolkit.fluxcd.io/helmreleases";
pub const K3S_HELMCHARTS: &str = "helm.cattle.io/helmcharts";

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Everything but metadata and status: a change here bumps `metadata.generation`.
fn spec_part(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("kind");
        m.remove("apiVersion");
    }
    c
}

impl SimState {
    pub fn new(config: SimConfig, now: DateTime<Utc>, hooks: Hooks) -> Self {
        Self {
            hooks,
            store: ObjectStore::new(config.history_limit),
            rng: Rng::new(config.seed),
            now,
            builtins: resources::builtins(),
            crd_types: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            ctl: Controllers::default(),
            config,
        }
    }

    pub fn now_str(&self) -> String {
        fmt_time(self.now)
    }

    /// All served kinds (built-ins first, then CRD kinds).
    pub fn resource_types(&self) -> impl Iterator<Item = &ResourceType> {
        self.builtins.iter().chain(self.crd_types.iter())
    }

    /// The kind served at `group/version/plural`.
    pub fn resolve(&self, group: &str, version: &str, plural: &str) -> Option<ResourceType> {
        self.resource_types()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
            .cloned()
    }

    /// A kind by its storage key (`group/plural`), preferring the first served version.
    pub fn by_key(&self, key: &str) -> Option<ResourceType> {
        self.resource_types().find(|r| r.key() == key).cloned()
    }

    fn refresh_crds(&mut self) {
        let crds: Vec<Arc<Value>> = self.store.list(CRDS, None).cloned().collect();
        self.crd_types = crds.iter().flat_map(|c| resources::from_crd(c)).collect();
    }

    // ---- scheduling of controller steps -------------------------------------------------

    pub fn schedule(&mut self, delay: std::time::Duration, action: Action) {
        let at = self.now + chrono::Duration::from_std(delay).unwrap_or_default();
        self.seq += 1;
        self.queue.insert((at, self.seq), action);
    }

    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.queue.keys().next().map(|(t, _)| *t)
    }

    fn pop_due(&mut self) -> Option<Action> {
        let key = *self.queue.keys().next()?;
        if key.0 > self.now {
            return None;
        }
        self.queue.remove(&key)
    }

    /// Lets the controllers react to every pending change and run every due step.
    pub fn settle(&mut self) {
        for _ in 0..1_000_000 {
            let pending = self.store.take_pending();
            if !pending.is_empty() {
                if pending.iter().any(|c| c.resource == CRDS) {
                    self.refresh_crds();
                }
                for change in pending {
                    (self.hooks.on_change)(self, &change);
                }
                continue;
            }
            match self.pop_due() {
                Some(action) => (self.hooks.run_action)(self, action),
                None => return,
            }
        }
        tracing::warn!("simulated cluster: controllers did not settle");
    }

    /// Moves the clock forward, running every step that falls due on the way in order.
    pub fn advance(&mut self, d: std::time::Duration) {
        let target = self.now + chrono::Duration::from_std(d).unwrap_or_default();
        let start = self.now;
        self.settle();
        while let Some(t) = self.next_due() {
            if t > target {
                break;
            }
            if t > self.now {
                self.now = t;
            }
            self.settle();
        }
        self.now = target;
        self.settle();
        let elapsed = (target - start).to_std().unwrap_or_default();
        (self.hooks.grow_usage)(self, elapsed);
        self.settle();
    }

    // ---- the write path -----------------------------------------------------------------

    fn namespace_exists(&self, ns: &str) -> bool {
        self.store.get(NAMESPACES, "", ns).is_some()
    }

    /// Fills server-set metadata and per-kind defaults on a new object.
    fn prepare_new(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        mut obj: Value,
    ) -> Result<(Value, String), ApiError> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the request body must be a JSON object",
            ));
        }
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        if !obj.get("metadata").is_some_and(Value::is_object) {
            obj["metadata"] = json!({});
        }
        let mut name = str_at(&obj, "/metadata/name").to_string();
        if name.is_empty() {
            let prefix = str_at(&obj, "/metadata/generateName").to_string();
            if prefix.is_empty() {
                return Err(ApiError::invalid(
                    rt,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            }
            name = format!("{prefix}{}", self.rng.name_suffix(5));
        }
        if !valid_name(&name) {
            return Err(ApiError::invalid(
                rt,
                &name,
                "metadata.name",
                "Invalid value: a lowercase RFC 1123 subdomain must consist of lower case \
                 alphanumeric characters, '-' or '.', and must start and end with an \
                 alphanumeric character",
            ));
        }
        let body_ns = str_at(&obj, "/metadata/namespace").to_string();
        if rt.namespaced && !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let uid = self.rng.uid();
        let now = self.now_str();
        if let Some(meta) = obj["metadata"].as_object_mut() {
            meta.insert("name".into(), json!(name));
            if rt.namespaced {
                meta.insert("namespace".into(), json!(ns));
            } else {
                meta.remove("namespace");
            }
            meta.insert("uid".into(), json!(uid));
            meta.insert("creationTimestamp".into(), json!(now));
            meta.insert("generation".into(), json!(1));
            meta.remove("resourceVersion");
            meta.remove("deletionTimestamp");
            meta.remove("managedFields");
        }
        (self.hooks.default_new)(self, rt, &mut obj);
        Ok((obj, name))
    }

    fn admit(&self, rt: &ResourceType, old: Option<&Value>, new: &Value) -> Result<(), ApiError> {
        (self.hooks.admit)(self, rt, old, new)
    }

    /// Creates an object (`POST`).
    pub fn create(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        obj: Value,
        ctx: &WriteCtx,
    ) -> Result<Arc<Value>, ApiError> {
        if rt.namespaced && !self.namespace_exists(ns) {
            return Err(ApiError::not_found(
                &self.by_key(NAMESPACES).unwrap_or_else(|| rt.clone()),
                ns,
            ));
        }
        let (mut obj, name) = self.prepare_new(rt, ns, obj)?;
        let ns_key = if rt.namespaced { ns } else { "" };
        if self.store.get(&rt.key(), ns_key, &name).is_some() {
            return Err(ApiError::already_exists(rt, &name));
        }
        self.admit(rt, None, &obj)?;
        let time = self.now_str();
        let api_version = rt.api_version();
        fields::record_update(
            None,
            &mut obj,
            &Writer {
                manager: &ctx.manager,
                api_version: &api_version,
                time: &time,
                subresource: "",
            },
        );
        if ctx.dry_run {
            return Ok(Arc::new(obj));
        }
        Ok(self.store.put(&rt.key(), ns_key, &name, obj))
    }

    /// Completes an update: keeps identity, applies the status-subresource split, checks the
    /// resourceVersion precondition, bumps the generation, admits and stores.
    #[allow(clippy::too_many_arguments)] // one write path shared by replace, patch and apply
    fn finish_update(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        old: &Arc<Value>,
        mut new: Value,
        subresource: &str,
        ctx: &WriteCtx,
        track_update: bool,
    ) -> Result<Arc<Value>, ApiError> {
        let want_rv = str_at(&new, "/metadata/resourceVersion").to_string();
        if !want_rv.is_empty() && want_rv != str_at(old, "/metadata/resourceVersion") {
            return Err(ApiError::conflict(rt, name));
        }
        if !new.is_object() {
            return Err(ApiError::bad_request(
                "the request body must be a JSON object",
            ));
        }
        if subresource == "status" {
            let status = new.get("status").cloned();
            let mut merged = (**old).clone();
            match status {
                Some(s) => merged["status"] = s,
                None => {
                    if let Some(m) = merged.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
            // Managed fields may have been updated by an apply to the status subresource.
            if let Some(mf) = new.pointer("/metadata/managedFields") {
                merged["metadata"]["managedFields"] = mf.clone();
            }
            new = merged;
        } else if rt.has_status {
            match old.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        new["apiVersion"] = json!(rt.api_version());
        new["kind"] = json!(rt.kind);
        if !new.get("metadata").is_some_and(Value::is_object) {
            new["metadata"] = json!({});
        }
        for key in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
        ] {
            match old["metadata"].get(key) {
                Some(v) => new["metadata"][key] = v.clone(),
                None => {
                    if let Some(m) = new["metadata"].as_object_mut() {
                        m.remove(key);
                    }
                }
            }
        }
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
        let bumped = if spec_part(old) != spec_part(&new) {
            generation + 1
        } else {
            generation
        };
        new["metadata"]["generation"] = json!(bumped);
        self.admit(rt, Some(old), &new)?;
        if track_update {
            let time = self.now_str();
            let api_version = rt.api_version();
            fields::record_update(
                Some(old),
                &mut new,
                &Writer {
                    manager: &ctx.manager,
                    api_version: &api_version,
                    time: &time,
                    subresource,
                },
            );
        }
        if ctx.dry_run {
            return Ok(Arc::new(new));
        }
        if **old == new {
            return Ok(old.clone());
        }
        Ok(self.store.put(&rt.key(), ns, name, new))
    }

    fn existing(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Arc<Value>, ApiError> {
        self.store
            .get(&rt.key(), ns, name)
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    /// Replaces an object (`PUT`), optionally its status subresource.
    pub fn replace(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        obj: Value,
        subresource: &str,
        ctx: &WriteCtx,
    ) -> Result<Arc<Value>, ApiError> {
        let ns = if rt.namespaced { ns } else { "" };
        let body_name = str_at(&obj, "/metadata/name");
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        let old = self.existing(rt, ns, name)?;
        let mut obj = obj;
        // A replace without managed fields keeps the stored ones (as the API server does).
        if obj.pointer("/metadata/managedFields").is_none()
            && let Some(mf) = old.pointer("/metadata/managedFields")
        {
            obj["metadata"]["managedFields"] = mf.clone();
        }
        self.finish_update(rt, ns, name, &old, obj, subresource, ctx, true)
    }

    /// Patches an object with a merge patch, strategic merge patch (treated as a merge patch)
    /// or JSON patch.
    #[allow(clippy::too_many_arguments)] // mirrors the request: target, body, options
    pub fn patch(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        content_type: &str,
        patch: &Value,
        subresource: &str,
        ctx: &WriteCtx,
    ) -> Result<Arc<Value>, ApiError> {
        let ns = if rt.namespaced { ns } else { "" };
        let old = self.existing(rt, ns, name)?;
        let mut new = (*old).clone();
        if content_type.starts_with("application/json-patch+json") {
            if let Some(m) = new.pointer_mut("/metadata").and_then(Value::as_object_mut) {
                m.remove("resourceVersion");
            }
            fields::json_patch(&mut new, patch).map_err(|e| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!("the JSON patch could not be applied: {e}"),
                )
            })?;
        } else {
            if let Some(m) = new.pointer_mut("/metadata").and_then(Value::as_object_mut) {
                m.remove("resourceVersion");
            }
            fields::merge_patch(&mut new, patch);
        }
        self.finish_update(rt, ns, name, &old, new, subresource, ctx, true)
    }

    /// Server-side apply (creating the object when absent).
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        applied: Value,
        force: bool,
        subresource: &str,
        ctx: &WriteCtx,
    ) -> Result<Arc<Value>, ApiError> {
        let ns = if rt.namespaced { ns } else { "" };
        if ctx.manager.is_empty() || ctx.manager == "unknown" {
            return Err(ApiError::bad_request(
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        }
        let mut applied = applied;
        if !applied.is_object() {
            return Err(ApiError::bad_request("the apply body must be an object"));
        }
        let body_name = str_at(&applied, "/metadata/name");
        if body_name != name {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        if let Some(m) = applied.as_object_mut() {
            if subresource == "status" {
                m.retain(|k, _| {
                    k == "status" || k == "metadata" || k == "apiVersion" || k == "kind"
                });
            } else if rt.has_status {
                m.remove("status");
            }
        }
        let rv_precondition = str_at(&applied, "/metadata/resourceVersion").to_string();
        if let Some(m) = applied
            .pointer_mut("/metadata")
            .and_then(Value::as_object_mut)
        {
            for k in [
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "managedFields",
                "generation",
            ] {
                m.remove(k);
            }
        }
        let time = self.now_str();
        let api_version = rt.api_version();
        let writer = Writer {
            manager: &ctx.manager,
            api_version: &api_version,
            time: &time,
            subresource,
        };
        let old = self.store.get(&rt.key(), ns, name);
        match old {
            None => {
                if subresource == "status" {
                    return Err(ApiError::not_found(rt, name));
                }
                if rt.namespaced && !self.namespace_exists(ns) {
                    return Err(ApiError::not_found(
                        &self.by_key(NAMESPACES).unwrap_or_else(|| rt.clone()),
                        ns,
                    ));
                }
                let merged = fields::apply(None, &applied, force, &writer)
                    .map_err(|c| conflict_error(rt, name, &c))?;
                let managed = merged.pointer("/metadata/managedFields").cloned();
                let (mut obj, name) = self.prepare_new(rt, ns, merged)?;
                if let Some(mf) = managed {
                    obj["metadata"]["managedFields"] = mf;
                }
                self.admit(rt, None, &obj)?;
                if ctx.dry_run {
                    return Ok(Arc::new(obj));
                }
                Ok(self.store.put(&rt.key(), ns, &name, obj))
            }
            Some(old) => {
                if !rv_precondition.is_empty()
                    && rv_precondition != str_at(&old, "/metadata/resourceVersion")
                {
                    return Err(ApiError::conflict(rt, name));
                }
                let mut merged = fields::apply(Some(&old), &applied, force, &writer)
                    .map_err(|c| conflict_error(rt, name, &c))?;
                if let Some(m) = merged
                    .pointer_mut("/metadata")
                    .and_then(Value::as_object_mut)
                {
                    m.remove("resourceVersion");
                }
                self.finish_update(rt, ns, name, &old, merged, subresource, ctx, false)
            }
        }
    }

    /// Deletes an object and, unless orphaning, what it owns.
    pub fn delete(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        ctx: &WriteCtx,
        orphan: bool,
    ) -> Result<Arc<Value>, ApiError> {
        let ns = if rt.namespaced { ns } else { "" };
        let old = self.existing(rt, ns, name)?;
        if ctx.dry_run {
            return Ok(old);
        }
        self.delete_internal(&rt.key(), ns, name, orphan)
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    /// Removes an object; cascades to owned objects and namespace contents.
    pub fn delete_internal(
        &mut self,
        key: &str,
        ns: &str,
        name: &str,
        orphan: bool,
    ) -> Option<Arc<Value>> {
        let last = self.store.remove(key, ns, name)?;
        if key == NAMESPACES {
            for res in self.store.resources() {
                let names: Vec<String> = self
                    .store
                    .list(&res, Some(name))
                    .map(|o| str_at(o, "/metadata/name").to_string())
                    .collect();
                for n in names {
                    self.store.remove(&res, name, &n);
                }
            }
        } else if !orphan {
            let uid = str_at(&last, "/metadata/uid").to_string();
            let owned: Vec<(String, String, String)> = [PODS, JOBS, SECRETS, CONFIGMAPS, PVCS]
                .iter()
                .flat_map(|res| {
                    self.store
                        .list(res, Some(ns))
                        .filter(|o| {
                            o.pointer("/metadata/ownerReferences")
                                .and_then(Value::as_array)
                                .is_some_and(|refs| refs.iter().any(|r| r["uid"] == json!(uid)))
                        })
                        .map(|o| {
                            (
                                res.to_string(),
                                str_at(o, "/metadata/namespace").to_string(),
                                str_at(o, "/metadata/name").to_string(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            for (res, ons, oname) in owned {
                self.delete_internal(&res, &ons, &oname, false);
            }
        }
        Some(last)
    }

    // ---- controller conveniences --------------------------------------------------------

    /// Creates an object on behalf of a controller (errors are logged, not returned).
    pub fn create_internal(
        &mut self,
        key: &str,
        ns: &str,
        obj: Value,
        manager: &str,
    ) -> Option<Arc<Value>> {
        let rt = self.by_key(key)?;
        match self.create(&rt, ns, obj, &WriteCtx::controller(manager)) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::debug!(error = %e.message, "simulated controller could not create an object");
                None
            }
        }
    }

    /// Changes an object in place on behalf of a controller; stores only real changes.
    pub fn modify(
        &mut self,
        key: &str,
        ns: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Option<Arc<Value>> {
        let old = self.store.get(key, ns, name)?;
        let mut new = (*old).clone();
        f(&mut new);
        if new == *old {
            return Some(old);
        }
        Some(self.store.put(key, ns, name, new))
    }

    /// Objects of a kind matching a predicate (cloned handles).
    pub fn find(
        &self,
        key: &str,
        ns: Option<&str>,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Arc<Value>> {
        self.store
            .list(key, ns)
            .filter(|o| pred(o))
            .cloned()
            .collect()
    }

    /// Per-node requested (cpu millis, memory bytes) of pods that hold resources.
    pub fn node_usage(&self) -> HashMap<String, (u64, u64)> {
        let mut out: HashMap<String, (u64, u64)> = HashMap::new();
        for pod in self.store.list(PODS, None) {
            let node = str_at(pod, "/spec/nodeName");
            let phase = str_at(pod, "/status/phase");
            if node.is_empty() || phase == "Succeeded" || phase == "Failed" {
                continue;
            }
            let (c, m) = pod_requests(pod);
            let e = out.entry(node.to_string()).or_default();
            e.0 += c;
            e.1 += m;
        }
        out
    }
}

fn conflict_error(rt: &ResourceType, name: &str, conflicts: &[fields::Conflict]) -> ApiError {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|c| {
            json!({
                "reason": "FieldManagerConflict",
                "message": format!("conflict with \"{}\"", c.manager),
                "field": c.field_label(),
            })
        })
        .collect();
    let list: Vec<String> = conflicts
        .iter()
        .map(|c| format!("conflict with \"{}\": {}", c.manager, c.field_label()))
        .collect();
    let n = conflicts.len();
    let mut e = ApiError::new(
        409,
        "Conflict",
        format!(
            "Apply failed with {n} conflict{}: {}",
            if n == 1 { "" } else { "s" },
            list.join("\n")
        ),
    )
    .with_details(rt, name);
    if let Some(d) = e.details.as_mut() {
        d["causes"] = Value::Array(causes);
    }
    e
}
