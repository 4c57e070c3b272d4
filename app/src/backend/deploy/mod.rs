//! Applying a hub through the Kubernetes API: what the deploy page shows (the release's
//! history from its Secrets, the values against what is deployed, the impact), and the
//! operations (install / upgrade, rollback, uninstall) sent through the hub's driver and
//! followed to their outcome.
//!
//! An operation is recorded (with its audit event) before anything is sent; one runs per hub
//! at a time. A follower task reads the driver's progress until it ends and records the
//! outcome (with a second audit event). At start-up [`Deployer::resume_unfinished`] follows
//! every operation a previous process left running, so none stays running forever.
//!
//! Three drivers: a Helm Job (any cluster), Flux and the k3s / RKE2 helm-controller (when API
//! discovery shows their kinds); see [`job`] and [`controllers`].

pub mod controllers;
pub mod job;
pub mod records;

use super::cluster::ClusterHandle;
use super::cluster::helm;
use super::contents;
use super::tokens;
use super::values::{self as values_backend, diff_text};
use super::write::By;
use crate::domain::cluster::{PodState, ReleaseRevision, ReleaseStatus};
use crate::domain::deploy::{
    ApplyPlan, DeployPage, Impact, Operation, OperationKind, OperationStatus, RevisionDiff,
    RevisionRow, validate_reason, validate_uninstall_confirmation,
};
use crate::domain::hub::{Driver, Hub};
use crate::domain::{FieldError, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::values::{TOKEN_SECRET_KEY, token_secret_name};
use chrono::Utc;
pub use job::HelmSource;
use job::Seen;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret};
use kube::api::{Api, ListParams};
use records::{NewOperation, Outcome};
use serde_json::Value;
use sqlx::SqlitePool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// How long a follower waits for a controller (Flux, helm-controller) to pick a request up
/// before it marks the operation interrupted.
const CONTROLLER_GRACE: Duration = Duration::from_secs(120);

/// The values an operation sends: as JSON (Flux) and as a values file (Job, k3s).
#[derive(Debug, Clone)]
struct SentValues {
    json: Value,
    yaml: String,
}

fn driver_of(op: &Operation) -> Driver {
    Driver::parse("driver", &op.driver).unwrap_or(Driver::Job)
}

fn helm_kind(d: Driver) -> crate::domain::cluster::HelmDriverKind {
    use crate::domain::cluster::HelmDriverKind;
    match d {
        Driver::Job => HelmDriverKind::Job,
        Driver::Flux => HelmDriverKind::Flux,
        Driver::K3s => HelmDriverKind::K3s,
    }
}

/// Lines of context around each change in the values diffs.
const DIFF_CONTEXT: usize = 3;
/// Operations listed on the deploy page.
const RECENT_OPERATIONS: i64 = 20;

/// Everything an operation needs: the database, the cluster, the portal's URL (which the
/// values reference) and where Helm comes from.
#[derive(Clone)]
pub struct Deployer {
    pub pool: SqlitePool,
    pub cluster: ClusterHandle,
    pub portal_url: Option<String>,
    pub source: HelmSource,
    /// How often a follower reads the driver's progress.
    pub poll: Duration,
}

fn invalid(e: FieldError) -> AppError {
    AppError::Invalid(FieldErrors(vec![e]))
}

/// A values document as YAML, for diffs (maps in key order, so both sides compare alike).
fn yaml_of(v: &Value) -> String {
    if v.as_object().is_some_and(|m| m.is_empty()) || v.is_null() {
        return String::new();
    }
    serde_saphyr2::to_string(v).unwrap_or_else(|e| format!("# cannot show these values: {e}\n"))
}

/// The profile list entries of a values document, by slug.
fn profile_entries(values: &Value) -> BTreeMap<String, Value> {
    values
        .pointer("/singleuser/profileList")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| {
                    let slug = e
                        .get("slug")
                        .and_then(Value::as_str)
                        .or_else(|| e.get("display_name").and_then(Value::as_str))
                        .unwrap_or_default()
                        .to_string();
                    (slug, e.clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Slugs of the profiles added, changed or removed between two values documents.
pub fn changed_profiles(deployed: &Value, new: &Value) -> Vec<String> {
    let (old, new) = (profile_entries(deployed), profile_entries(new));
    let slugs: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    slugs
        .into_iter()
        .filter(|s| old.get(*s) != new.get(*s))
        .cloned()
        .collect()
}

/// The revision serving now: the newest `deployed` one.
fn deployed(history: &[ReleaseRevision]) -> Option<&ReleaseRevision> {
    history.iter().find(|r| r.status == ReleaseStatus::Deployed)
}

/// The release exists (and is not uninstalled).
fn exists(history: &[ReleaseRevision]) -> bool {
    history
        .first()
        .is_some_and(|r| r.status != ReleaseStatus::Uninstalled)
}

impl Deployer {
    /// The deployer of a running portal.
    pub fn from_state(state: &super::AppState) -> Self {
        Self {
            pool: state.pool.clone(),
            cluster: state.cluster.clone(),
            portal_url: state.settings.public_url.clone(),
            source: state.settings.helm.clone(),
            poll: Duration::from_millis(500),
        }
    }

    /// The release history of `hub` (newest first), or why the cluster cannot be read.
    fn history(&self, hub: &Hub) -> Result<Vec<ReleaseRevision>, String> {
        self.cluster
            .ready_stores()
            .map(|s| s.release_history(&hub.spec.namespace, &hub.spec.release_name))
    }

    /// Why nothing can be applied to `hub` now, if so (besides invalid values).
    fn refusal(&self, hub: &Hub, running: Option<&Operation>) -> Option<String> {
        let drivers = self.cluster.overview().drivers;
        if !drivers.supports(helm_kind(hub.spec.driver)) {
            return Some(format!(
                "This hub uses the {} driver, but the cluster does not serve its kinds (API discovery): set the hub's driver to \"{}\" on the hub page, or install the controller.",
                hub.spec.driver.label(),
                Driver::Job.label()
            ));
        }
        if self.portal_url.is_none() {
            return Some("The portal's public URL is not set, and the hub would not find the portal for its users' profiles: start Hubfleet with --public-url (or HUBFLEET_PUBLIC_URL) set to the URL hub pods reach it at.".into());
        }
        if let Err(e) = self.cluster.ensure_connected() {
            return Some(e.reason);
        }
        if let Some(op) = running {
            return Some(format!(
                "{} is running an operation on this hub ({} #{}, started {}): wait for it to finish.",
                op.actor,
                op.kind.as_str(),
                op.id,
                op.created_at
            ));
        }
        None
    }

    fn impact(
        &self,
        hub: &Hub,
        volumes: &[crate::domain::volume::SharedVolume],
        history: &[ReleaseRevision],
        new_values: &Value,
    ) -> Impact {
        let empty = Value::Object(Default::default());
        let old = deployed(history).map_or(&empty, |r| &r.values);
        let changed = changed_profiles(old, new_values);
        let mut impact = Impact {
            install: !exists(history),
            changed_profiles: changed.clone(),
            ..Impact::default()
        };
        if let Ok(stores) = self.cluster.ready_stores() {
            let mut running = BTreeSet::new();
            let mut affected = BTreeSet::new();
            for row in super::servers::rows(stores, Utc::now()) {
                if row.namespace != hub.spec.namespace
                    || row.pod.is_empty()
                    || matches!(row.health.state, PodState::Stopped | PodState::Completed)
                {
                    continue;
                }
                if row
                    .profile
                    .as_ref()
                    .is_some_and(|p| changed.iter().any(|c| c == p))
                {
                    affected.insert(row.user.clone());
                }
                running.insert(row.user);
            }
            impact.running_users = running.into_iter().collect();
            impact.affected_users = affected.into_iter().collect();
            let claims: BTreeSet<String> = stores
                .pvcs
                .state()
                .iter()
                .filter(|c| c.metadata.namespace.as_deref() == Some(hub.spec.namespace.as_str()))
                .filter_map(|c| c.metadata.name.clone())
                .collect();
            for v in volumes
                .iter()
                .filter(|v| !claims.contains(&v.spec.pvc_name))
            {
                if v.spec.create_pvc {
                    impact.created_volumes.push(v.spec.pvc_name.clone());
                } else {
                    impact.missing_volumes.push(v.spec.pvc_name.clone());
                }
            }
        }
        impact
    }

    /// The deploy page of hub `hub_id`.
    pub async fn page(&self, hub_id: i64) -> AppResult<DeployPage> {
        let c = contents::load(&self.pool, hub_id).await?;
        let r =
            values_backend::render(&c.hub, &c.profiles, &c.volumes, self.portal_url.as_deref())?;
        let (history, cluster_note) = match self.history(&c.hub) {
            Ok(h) => (h, None),
            Err(why) => (Vec::new(), Some(why)),
        };
        let empty = Value::Object(Default::default());
        let old = deployed(&history).map_or(&empty, |r| &r.values);
        let (diff, added, removed) = diff_text(&yaml_of(old), &yaml_of(&r.json), DIFF_CONTEXT);
        let running = records::running(&self.pool, hub_id).await?;
        let blocked = self
            .refusal(&c.hub, running.as_ref())
            .or_else(|| cluster_note.clone());
        let plan = ApplyPlan {
            digest: r.digest.clone(),
            errors: r.errors.iter().map(|e| e.to_string()).collect(),
            unchanged: exists(&history) && added == 0 && removed == 0,
            diff,
            added,
            removed,
            impact: self.impact(&c.hub, &c.volumes, &history, &r.json),
            blocked,
        };
        Ok(DeployPage {
            hub_id,
            release_name: c.hub.spec.release_name.clone(),
            namespace: c.hub.spec.namespace.clone(),
            driver: c.hub.spec.driver.as_str().to_string(),
            chart_version: c.hub.spec.chart_version.clone(),
            current: history.first().map(RevisionRow::of),
            history: history.iter().map(RevisionRow::of).collect(),
            plan,
            running,
            operations: records::recent(&self.pool, hub_id, RECENT_OPERATIONS).await?,
            cluster_note,
        })
    }

    /// The values diff between revisions `from` and `to` of hub `hub_id`'s release.
    pub async fn revision_diff(&self, hub_id: i64, from: u32, to: u32) -> AppResult<RevisionDiff> {
        let hub = contents::load(&self.pool, hub_id).await?.hub;
        let history = self.history(&hub).map_err(AppError::Conflict)?;
        let find = |n: u32| {
            history.iter().find(|r| r.revision == n).ok_or_else(|| {
                AppError::NotFound(format!("Revision {n} of {}", hub.spec.release_name))
            })
        };
        let (a, b) = (find(from)?, find(to)?);
        let (hunks, added, removed) =
            diff_text(&yaml_of(&a.values), &yaml_of(&b.values), DIFF_CONTEXT);
        Ok(RevisionDiff {
            from,
            to,
            hunks,
            added,
            removed,
        })
    }

    fn ensure_can_apply(&self, hub: &Hub) -> AppResult<()> {
        match self.refusal(hub, None) {
            Some(why) => Err(AppError::Conflict(why)),
            None => Ok(()),
        }
    }

    /// Installs or upgrades hub `hub_id`'s release with its current values, which must still
    /// have `digest` (what the administrator reviewed).
    pub async fn apply(&self, by: &By<'_>, hub_id: i64, digest: &str) -> AppResult<Operation> {
        let reason = validate_reason("reason", by.reason).map_err(invalid)?;
        let contents::HubContents { hub, volumes, .. } = contents::load(&self.pool, hub_id).await?;
        self.ensure_can_apply(&hub)?;
        records::ensure_idle(&self.pool, hub_id).await?;
        let history = self.history(&hub).map_err(AppError::Conflict)?;
        let (rendered, version, _) = values_backend::record(
            &self.pool,
            by.actor,
            by.meta,
            hub_id,
            self.portal_url.as_deref(),
            Some(digest),
        )
        .await?;
        if !rendered.errors.is_empty() {
            return Err(AppError::invalid(
                "values",
                format!(
                    "The values have {} error(s), the first: {}. Fix them on the values page, then apply.",
                    rendered.errors.len(),
                    rendered.errors[0]
                ),
            ));
        }
        let kind = if exists(&history) {
            OperationKind::Upgrade
        } else {
            OperationKind::Install
        };
        let op = records::start(
            &self.pool,
            by.actor,
            by.meta,
            &NewOperation {
                hub: &hub,
                kind,
                values_version: Some(version.version),
                digest: Some(&rendered.digest),
                target_revision: None,
                reason: &reason,
            },
        )
        .await?;
        if let Err(why) = self.ensure_token(by, &hub, &op).await {
            return Err(self.refused(&op, why).await);
        }
        if let Err(why) = self.create_volumes(&op, &volumes).await {
            return Err(self.refused(&op, why).await);
        }
        let values = SentValues {
            json: rendered.json.clone(),
            yaml: rendered.yaml.clone(),
        };
        self.send(op, Some(values)).await
    }

    /// Rolls hub `hub_id`'s release back to `revision`.
    pub async fn rollback(&self, by: &By<'_>, hub_id: i64, revision: u32) -> AppResult<Operation> {
        let reason = validate_reason("reason", by.reason).map_err(invalid)?;
        let hub = contents::load(&self.pool, hub_id).await?.hub;
        self.ensure_can_apply(&hub)?;
        records::ensure_idle(&self.pool, hub_id).await?;
        let history = self.history(&hub).map_err(AppError::Conflict)?;
        if !history.iter().any(|r| r.revision == revision) {
            return Err(AppError::invalid(
                "revision",
                format!(
                    "Revision {revision} of {} is not in its history: pick one of the revisions listed.",
                    hub.spec.release_name
                ),
            ));
        }
        let chosen = history
            .iter()
            .find(|r| r.revision == revision)
            .map(|r| r.values.clone())
            .unwrap_or(Value::Null);
        if deployed(&history).is_some_and(|r| r.revision == revision) {
            return Err(AppError::invalid(
                "revision",
                format!("Revision {revision} is the one deployed now: pick an earlier one."),
            ));
        }
        let op = records::start(
            &self.pool,
            by.actor,
            by.meta,
            &NewOperation {
                hub: &hub,
                kind: OperationKind::Rollback,
                values_version: None,
                digest: None,
                target_revision: Some(revision),
                reason: &reason,
            },
        )
        .await?;
        // The Job runs `helm rollback`; the controllers deploy the revision's values again.
        let values = (hub.spec.driver != Driver::Job).then(|| SentValues {
            yaml: yaml_of(&chosen),
            json: chosen,
        });
        self.send(op, values).await
    }

    /// Uninstalls hub `hub_id`'s release; `confirmation` must be the release name. Home
    /// volumes are kept (the chart does not own them).
    pub async fn uninstall(
        &self,
        by: &By<'_>,
        hub_id: i64,
        confirmation: &str,
    ) -> AppResult<Operation> {
        let hub = contents::load(&self.pool, hub_id).await?.hub;
        let mut errors = FieldErrors::new();
        errors.check(validate_uninstall_confirmation(
            "confirm",
            &hub.spec.release_name,
            confirmation,
        ));
        let reason = validate_reason("reason", by.reason)
            .map_err(|e| errors.0.push(e))
            .ok();
        let (Some(reason), true) = (reason, errors.0.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        self.ensure_can_apply(&hub)?;
        records::ensure_idle(&self.pool, hub_id).await?;
        let history = self.history(&hub).map_err(AppError::Conflict)?;
        if !exists(&history) {
            return Err(AppError::Conflict(format!(
                "There is no release {} in namespace {} to uninstall.",
                hub.spec.release_name, hub.spec.namespace
            )));
        }
        let op = records::start(
            &self.pool,
            by.actor,
            by.meta,
            &NewOperation {
                hub: &hub,
                kind: OperationKind::Uninstall,
                values_version: None,
                digest: None,
                target_revision: None,
                reason: &reason,
            },
        )
        .await?;
        self.send(op, None).await
    }

    /// Marks `op` failed because the cluster refused it before anything ran; the error the
    /// caller returns says so.
    async fn refused(&self, op: &Operation, why: String) -> AppError {
        let message = format!("{why}. Nothing was applied: the previous release keeps running.");
        let outcome = Outcome {
            status: OperationStatus::Failed,
            message: message.clone(),
            helm_revision: None,
            log: Vec::new(),
        };
        if let Err(e) = records::finish(&self.pool, op.id, &outcome).await {
            tracing::error!(operation = op.id, error = %e, "could not record a refused operation");
        }
        job::clean_up(&self.cluster.client(), op).await;
        AppError::Conflict(message)
    }

    /// Sends a recorded operation through the driver and starts following it.
    async fn send(&self, op: Operation, values: Option<SentValues>) -> AppResult<Operation> {
        let client = self.cluster.client();
        let repo = &self.source.chart_repo;
        let empty = Value::Object(Default::default());
        let sent = match driver_of(&op) {
            Driver::Job => {
                job::submit(
                    &client,
                    &op,
                    values.as_ref().map(|v| v.yaml.as_str()),
                    &self.source,
                )
                .await
            }
            Driver::Flux => {
                let json = values.as_ref().map_or(&empty, |v| &v.json);
                controllers::flux_submit(&client, &op, json, repo).await
            }
            Driver::K3s => {
                let yaml = values.as_ref().map_or("", |v| v.yaml.as_str());
                controllers::k3s_submit(&client, &op, yaml, repo).await
            }
        };
        if let Err((what, e)) = sent {
            let why = match &e {
                kube::Error::Api(s) => format!("The cluster refused to {what}: {}", s.message),
                other => format!("Could not {what}: {other}"),
            };
            return Err(self.refused(&op, why).await);
        }
        let follower = self.clone();
        let sent = op.clone();
        tokio::spawn(async move { follower.follow(sent).await });
        Ok(op)
    }

    /// The hub's token Secret holds a token of this hub that the portal accepts; otherwise a
    /// new token is created (audited, stored hashed) and written into the Secret.
    async fn ensure_token(&self, by: &By<'_>, hub: &Hub, op: &Operation) -> Result<(), String> {
        let api: Api<Secret> = Api::namespaced(self.cluster.client(), &hub.spec.namespace);
        let name = token_secret_name(&hub.spec.release_name);
        let current = api
            .get_opt(&name)
            .await
            .map_err(|e| format!("Could not read the hub's token Secret {name}: {e}"))?;
        let stored = current
            .and_then(|s| s.data)
            .and_then(|d| d.get(TOKEN_SECRET_KEY).cloned())
            .and_then(|b| String::from_utf8(b.0).ok());
        if let Some(token) = stored
            && let Ok(Some((id, _))) = tokens::authenticate(&self.pool, &token).await
            && id == hub.id
        {
            return Ok(());
        }
        let new = tokens::create(
            &self.pool,
            by.actor,
            by.meta,
            hub.id,
            &format!("hub pod (operation #{})", op.id),
            by.reason,
        )
        .await
        .map_err(|e| format!("Could not create the hub's API token: {e}"))?;
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": hub.spec.namespace,
                "labels": {job::MANAGED_BY.0: job::MANAGED_BY.1},
            },
            "type": "Opaque",
            "stringData": {TOKEN_SECRET_KEY: new.secret},
        }))
        .map_err(|e| format!("Could not build the token Secret: {e}"))?;
        job::apply(&self.cluster.client(), &secret)
            .await
            .map(|_| ())
            .map_err(|e| format!("The cluster refused to store the hub's token Secret {name}: {e}"))
    }

    /// Creates the portal-managed shared volumes of the hub that do not exist yet (server-side
    /// apply, dry run first). Existing claims are left alone: a claim is never shrunk or
    /// rewritten by an apply.
    async fn create_volumes(
        &self,
        op: &Operation,
        volumes: &[crate::domain::volume::SharedVolume],
    ) -> Result<(), String> {
        let client = self.cluster.client();
        let api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &op.namespace);
        for v in volumes.iter().filter(|v| v.spec.create_pvc) {
            let name = &v.spec.pvc_name;
            let exists = api
                .get_opt(name)
                .await
                .map_err(|e| format!("Could not read shared volume {name}: {e}"))?
                .is_some();
            if exists {
                continue;
            }
            let claim = job::shared_claim(&op.namespace, v)
                .map_err(|e| format!("Could not build shared volume {name}: {e}"))?;
            job::apply(&client, &claim).await.map_err(|e| match e {
                kube::Error::Api(s) => {
                    format!(
                        "The cluster refused to create shared volume {name}: {}",
                        s.message
                    )
                }
                other => format!("Could not create shared volume {name}: {other}"),
            })?;
            tracing::info!(operation = op.id, pvc = %name, "created a shared volume");
        }
        Ok(())
    }

    /// Reads the driver's progress until the operation ends, then records the outcome.
    pub async fn follow(&self, op: Operation) -> Option<Operation> {
        let client = self.cluster.client();
        let mut shown: Vec<String> = op.log.clone();
        let mut failures: u32 = 0;
        let mut waiting_since: Option<std::time::Instant> = None;
        let outcome = loop {
            let seen = match driver_of(&op) {
                Driver::Job => job::progress(&client, &op).await,
                Driver::Flux => controllers::flux_progress(&client, &op).await,
                Driver::K3s => controllers::k3s_progress(&client, &op).await,
            };
            let mut lines = None;
            match seen {
                Ok(Seen::Gone) => {
                    break Outcome {
                        status: OperationStatus::Interrupted,
                        message: format!(
                            "{} does not exist: the portal stopped before the cluster received the operation (or someone deleted it). Nothing is known to have been applied; the release history shows what is deployed.",
                            op.driver_object
                        ),
                        helm_revision: None,
                        log: shown,
                    };
                }
                Ok(Seen::Waiting(why)) => {
                    failures = 0;
                    let since = *waiting_since.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() > CONTROLLER_GRACE {
                        break Outcome {
                            status: OperationStatus::Interrupted,
                            message: format!(
                                "{why} It did not within {} seconds: check that the controller runs (the Cluster page lists the kinds the cluster serves).",
                                CONTROLLER_GRACE.as_secs()
                            ),
                            helm_revision: None,
                            log: shown,
                        };
                    }
                    lines = Some(vec![why]);
                }
                Ok(Seen::Progress(p)) => {
                    failures = 0;
                    waiting_since = None;
                    if let Some((ok, message)) = p.done {
                        let log = if p.log.is_empty() { shown } else { p.log };
                        break self.outcome(&op, ok, message, log).await;
                    }
                    lines = Some(p.log);
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(operation = op.id, error = %e, "could not read the operation's progress; retrying");
                }
            }
            if let Some(lines) = lines.filter(|l| !l.is_empty() && *l != shown) {
                shown = lines;
                if let Err(e) = records::save_log(&self.pool, op.id, &shown).await {
                    tracing::warn!(operation = op.id, error = %e, "could not store the operation log");
                }
            }
            tokio::time::sleep(self.poll * failures.clamp(1, 10)).await;
        };
        if driver_of(&op) == Driver::Job {
            job::clean_up(&client, &op).await;
        }
        match records::finish(&self.pool, op.id, &outcome).await {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(operation = op.id, error = %e, "could not record the outcome");
                None
            }
        }
    }

    /// The outcome of a finished Job, with the release's revision read from its Secrets.
    async fn outcome(
        &self,
        op: &Operation,
        ok: bool,
        job_message: String,
        log: Vec<String>,
    ) -> Outcome {
        let secrets: Api<Secret> = Api::namespaced(self.cluster.client(), &op.namespace);
        let revision = secrets
            .list(&ListParams::default().labels(&format!("owner=helm,name={}", op.release_name)))
            .await
            .ok()
            .and_then(|list| {
                helm::history(list.items.iter(), &op.release_name, &op.namespace)
                    .first()
                    .map(|r| r.revision)
            });
        let helm_revision = if op.kind == OperationKind::Uninstall {
            None
        } else {
            revision
        };
        if !ok {
            let error = log
                .iter()
                .rev()
                .find(|l| l.starts_with("Error"))
                .cloned()
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| {
                    if job_message.is_empty() {
                        "the Helm Job failed".into()
                    } else {
                        job_message
                    }
                });
            return Outcome {
                status: OperationStatus::Failed,
                message: format!(
                    "{error}. Helm rolled the change back (--atomic): the previous release keeps running."
                ),
                helm_revision,
                log,
            };
        }
        let message = match (op.kind, helm_revision) {
            (OperationKind::Uninstall, _) => format!(
                "Release {} uninstalled. Users' home volumes are kept.",
                op.release_name
            ),
            (OperationKind::Rollback, Some(n)) => format!(
                "Rolled back to revision {} (now revision {n}).",
                op.target_revision.unwrap_or(0)
            ),
            (_, Some(n)) => format!("Revision {n} deployed."),
            (_, None) => "Helm reported success.".into(),
        };
        Outcome {
            status: OperationStatus::Succeeded,
            message,
            helm_revision,
            log,
        }
    }

    /// At start-up: follows every operation a previous process left running until its
    /// outcome is known (or marks it interrupted when its Job never reached the cluster).
    pub async fn resume_unfinished(&self) -> AppResult<usize> {
        let ops = records::unfinished(&self.pool).await?;
        let n = ops.len();
        for op in ops {
            tracing::info!(
                operation = op.id,
                "following an operation left running by a previous process"
            );
            let follower = self.clone();
            tokio::spawn(async move { follower.follow(op).await });
        }
        Ok(n)
    }
}

/// `helm ls --all -A` from the watch store: every release's latest revision, by namespace
/// and name, with the hub that manages it.
pub async fn releases(
    pool: &SqlitePool,
    cluster: &ClusterHandle,
) -> AppResult<crate::domain::deploy::ReleaseList> {
    let stores = match cluster.ready_stores() {
        Ok(s) => s,
        Err(why) => {
            return Ok(crate::domain::deploy::ReleaseList {
                rows: Vec::new(),
                note: Some(why),
            });
        }
    };
    let hubs: BTreeMap<(String, String), i64> = super::hubs::list(pool)
        .await?
        .into_iter()
        .map(|h| ((h.spec.namespace, h.spec.release_name), h.id))
        .collect();
    let rows = stores
        .releases()
        .iter()
        .map(|r| crate::domain::deploy::ReleaseListRow {
            hub_id: hubs.get(&(r.namespace.clone(), r.name.clone())).copied(),
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            latest: RevisionRow::of(r),
        })
        .collect();
    Ok(crate::domain::deploy::ReleaseList { rows, note: None })
}

/// Operation `id`.
pub async fn operation(pool: &SqlitePool, id: i64) -> AppResult<Operation> {
    records::get(pool, id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_profiles_by_slug() {
        let old = json!({"singleuser": {"profileList": [
            {"slug": "small", "kubespawner_override": {"mem_limit": "2G"}},
            {"slug": "gone"},
        ]}});
        let new = json!({"singleuser": {"profileList": [
            {"slug": "small", "kubespawner_override": {"mem_limit": "4G"}},
            {"slug": "new"},
        ]}});
        assert_eq!(changed_profiles(&old, &new), vec!["gone", "new", "small"]);
        assert!(changed_profiles(&new, &new).is_empty());
        assert_eq!(changed_profiles(&json!({}), &new), vec!["new", "small"]);
    }

    #[test]
    fn yaml_of_empty_values_is_empty() {
        assert_eq!(yaml_of(&json!({})), "");
        assert!(yaml_of(&json!({"a": 1})).contains("a: 1"));
    }
}
