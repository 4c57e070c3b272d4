//! Controller state that is not stored as API objects: pod logs, volume usage, scripted
//! failures and the Helm operations in flight. Plain data, so the object store's state can
//! own it without depending on the controllers that fill it.

use crate::config::{JobOutcome, UserFailure};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the simulator intends for one pod (set by scripting; absent = healthy).
#[derive(Debug, Clone, Default)]
pub struct PodPlan {
    pub failure: Option<UserFailure>,
}

/// Mutable controller state that is not stored as API objects.
#[derive(Debug, Default)]
pub struct Controllers {
    /// Pod logs by pod uid: (time, line).
    pub logs: HashMap<String, Vec<(DateTime<Utc>, String)>>,
    /// Bytes used on each bound PVC, by (namespace, name).
    pub usage: BTreeMap<(String, String), u64>,
    pub plans: HashMap<String, PodPlan>,
    pub unpullable: HashSet<String>,
    pub job_outcomes: HashMap<(String, String), JobOutcome>,
    /// Event dedup index: (namespace, involved uid, reason, message) -> event name.
    pub event_index: HashMap<(String, String, String, String), String>,
    pub releases: Releases,
}

/// What a Helm operation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelmAction {
    /// `helm upgrade --install`.
    Upgrade,
    Uninstall,
    /// Roll back to a revision (the previous one when `None`).
    Rollback(Option<u32>),
}

/// Which driver started an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    Job { ns: String, name: String },
    Flux { ns: String, name: String },
    K3s { ns: String, name: String },
}

#[derive(Debug, Clone)]
pub struct HelmOp {
    pub action: HelmAction,
    pub release: String,
    pub namespace: String,
    pub storage_ns: String,
    pub chart: String,
    pub chart_version: String,
    pub values: Value,
    pub driver: Driver,
    pub fail: Option<String>,
    pub revision: u32,
    pub install: bool,
    pub done: bool,
}

#[derive(Debug, Default)]
pub struct Releases {
    pub ops: BTreeMap<u64, HelmOp>,
    pub next: u64,
    /// Job (namespace, name) -> operation.
    pub job_ops: HashMap<(String, String), u64>,
    /// Release name -> failure message for its next operation.
    pub fail_next: HashMap<String, String>,
    /// Driver object (key, ns, name) -> the last handled generation / reconcile request.
    pub seen: HashMap<(String, String, String), String>,
}
