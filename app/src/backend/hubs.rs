//! Hubs in SQLite: list, get, find, and create, update, delete through the shared versioned
//! write path ([`super::write`]). A hub with profiles or shared volumes cannot be deleted nor
//! move to another namespace.

use super::db::{self, internal};
use super::write::{self, ConstraintRule, Statement, Versioned};
use crate::domain::hub::{Driver, Hub, HubSpec};
use crate::domain::lifetime::ServerLifetime;
use crate::domain::validate::quoted_list;
use crate::error::{AppError, AppResult};
use sqlx::{SqliteConnection, SqlitePool};

#[derive(sqlx::FromRow)]
struct HubRow {
    id: i64,
    release_name: String,
    namespace: String,
    chart_version: String,
    ingress_host: Option<String>,
    driver: String,
    cull_enabled: Option<bool>,
    cull_users: Option<bool>,
    cull_timeout: Option<i64>,
    cull_every: Option<i64>,
    cull_max_age: Option<i64>,
    start_timeout: Option<i64>,
    http_timeout: Option<i64>,
    concurrent_spawn_limit: Option<i64>,
    active_server_limit: Option<i64>,
    extra_values: String,
    version: i64,
    created_at: String,
    updated_at: String,
}

const SELECT_HUBS: &str = "SELECT id, release_name, namespace, chart_version, ingress_host,
        driver, cull_enabled, cull_users, cull_timeout, cull_every, cull_max_age, start_timeout,
        http_timeout, concurrent_spawn_limit, active_server_limit, extra_values, version,
        created_at, updated_at FROM hubs";

fn from_row(r: HubRow) -> AppResult<Hub> {
    let driver = Driver::parse("driver", &r.driver)
        .map_err(|e| AppError::Internal(format!("hub #{}: {}", r.id, e.message)))?;
    let id = r.id;
    let n = |what: &str, v: Option<i64>| -> AppResult<Option<u32>> {
        v.map(|v| {
            u32::try_from(v).map_err(|_| {
                AppError::Internal(format!("hub #{id}: stored {what} {v} is out of range"))
            })
        })
        .transpose()
    };
    let lifetime = ServerLifetime {
        cull_enabled: r.cull_enabled,
        cull_users: r.cull_users,
        cull_timeout: n("cull_timeout", r.cull_timeout)?,
        cull_every: n("cull_every", r.cull_every)?,
        cull_max_age: n("cull_max_age", r.cull_max_age)?,
        start_timeout: n("start_timeout", r.start_timeout)?,
        http_timeout: n("http_timeout", r.http_timeout)?,
        concurrent_spawn_limit: n("concurrent_spawn_limit", r.concurrent_spawn_limit)?,
        active_server_limit: n("active_server_limit", r.active_server_limit)?,
    };
    Ok(Hub {
        id: r.id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        spec: HubSpec {
            release_name: r.release_name,
            namespace: r.namespace,
            chart_version: r.chart_version,
            ingress_host: r.ingress_host,
            driver,
            lifetime,
            extra_values: r.extra_values,
        },
    })
}

/// The hub `id`, read on `conn` (inside a transaction when given one).
pub(crate) async fn get_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Option<Hub>> {
    let row: Option<HubRow> = sqlx::query_as(&format!("{SELECT_HUBS} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    row.map(from_row).transpose()
}

pub(crate) async fn require_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Hub> {
    write::require(conn, id).await
}

pub async fn list(pool: &SqlitePool) -> AppResult<Vec<Hub>> {
    let rows: Vec<HubRow> =
        sqlx::query_as(&format!("{SELECT_HUBS} ORDER BY namespace, release_name"))
            .fetch_all(pool)
            .await
            .map_err(internal)?;
    rows.into_iter().map(from_row).collect()
}

pub async fn get(pool: &SqlitePool, id: i64) -> AppResult<Hub> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    require_on(&mut conn, id).await
}

/// The hub managing release `release_name` in `namespace`, if any.
pub async fn find(
    pool: &SqlitePool,
    namespace: &str,
    release_name: &str,
) -> AppResult<Option<Hub>> {
    let row: Option<HubRow> = sqlx::query_as(&format!(
        "{SELECT_HUBS} WHERE namespace = ? AND release_name = ?"
    ))
    .bind(namespace)
    .bind(release_name)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    row.map(from_row).transpose()
}

fn release_taken_message(spec: &HubSpec) -> String {
    format!(
        "A hub with release name \"{}\" already exists in namespace \"{}\": choose another name.",
        spec.release_name, spec.namespace
    )
}

fn release_taken(spec: &HubSpec) -> AppError {
    AppError::invalid("release_name", release_taken_message(spec))
}

fn rules(spec: &HubSpec) -> Vec<ConstraintRule<'static>> {
    vec![ConstraintRule {
        needle: "hubs.namespace, hubs.release_name",
        field: "release_name",
        message: release_taken_message(spec),
    }]
}

async fn check_release_free(
    conn: &mut SqliteConnection,
    id: Option<i64>,
    spec: &HubSpec,
) -> AppResult<()> {
    let other: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM hubs WHERE namespace = ? AND release_name = ? AND id IS NOT ?",
    )
    .bind(&spec.namespace)
    .bind(&spec.release_name)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    match other {
        Some(_) => Err(release_taken(spec)),
        None => Ok(()),
    }
}

/// Binds the spec's columns, in the order both the INSERT and the UPDATE list them.
fn bind_spec<'q>(q: Statement<'q>, spec: &'q HubSpec) -> Statement<'q> {
    q.bind(&spec.release_name)
        .bind(&spec.namespace)
        .bind(&spec.chart_version)
        .bind(&spec.ingress_host)
        .bind(spec.driver.as_str())
        .bind(spec.lifetime.cull_enabled)
        .bind(spec.lifetime.cull_users)
        .bind(spec.lifetime.cull_timeout)
        .bind(spec.lifetime.cull_every)
        .bind(spec.lifetime.cull_max_age)
        .bind(spec.lifetime.start_timeout)
        .bind(spec.lifetime.http_timeout)
        .bind(spec.lifetime.concurrent_spawn_limit)
        .bind(spec.lifetime.active_server_limit)
        .bind(&spec.extra_values)
}

impl Versioned for Hub {
    type Spec = HubSpec;
    type Parent = ();
    const KIND: &'static str = "Hub";
    const TARGET: &'static str = "hub";

    fn version(&self) -> i64 {
        self.version
    }
    fn spec(&self) -> &HubSpec {
        &self.spec
    }
    fn parent(&self) {}
    fn name(&self) -> &str {
        &self.spec.release_name
    }

    async fn load(conn: &mut SqliteConnection, id: i64) -> AppResult<Option<Hub>> {
        get_on(conn, id).await
    }

    async fn audit_name(_: &mut SqliteConnection, _: (), spec: &HubSpec) -> AppResult<String> {
        Ok(spec.release_name.clone())
    }

    async fn insert(conn: &mut SqliteConnection, _: (), spec: &HubSpec) -> AppResult<i64> {
        check_release_free(conn, None, spec).await?;
        let now = db::now();
        let insert = sqlx::query(
            "INSERT INTO hubs (release_name, namespace, chart_version, ingress_host, driver,
                 cull_enabled, cull_users, cull_timeout, cull_every, cull_max_age,
                 start_timeout, http_timeout, concurrent_spawn_limit, active_server_limit,
                 extra_values, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        );
        let insert = bind_spec(insert, spec).bind(now.clone()).bind(now);
        write::insert_returning_id(conn, insert, &rules(spec)).await
    }

    async fn overwrite(
        conn: &mut SqliteConnection,
        before: &Hub,
        spec: &HubSpec,
    ) -> AppResult<u64> {
        let id = before.id;
        check_release_free(conn, Some(id), spec).await?;
        if spec.namespace != before.spec.namespace {
            // A pod mounts only claims of its own namespace, and volumes live in the hub's.
            let volumes: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM shared_volumes WHERE hub_id = ? ORDER BY name",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
            if !volumes.is_empty() {
                return Err(AppError::invalid(
                    "namespace",
                    format!(
                        "The shared volumes {} live in namespace \"{}\": a hub with shared volumes cannot move to another namespace. Keep \"{}\", or delete those volumes first.",
                        quoted_list(volumes.iter().map(String::as_str)),
                        before.spec.namespace,
                        before.spec.namespace
                    ),
                ));
            }
        }
        let update = sqlx::query(
            "UPDATE hubs SET release_name = ?, namespace = ?, chart_version = ?, ingress_host = ?,
                 driver = ?, cull_enabled = ?, cull_users = ?, cull_timeout = ?, cull_every = ?,
                 cull_max_age = ?, start_timeout = ?, http_timeout = ?,
                 concurrent_spawn_limit = ?, active_server_limit = ?, extra_values = ?,
                 version = version + 1,
                 updated_at = ?
             WHERE id = ? AND version = ?",
        );
        let update = bind_spec(update, spec)
            .bind(db::now())
            .bind(id)
            .bind(before.version);
        write::update_rows(conn, update, &rules(spec)).await
    }

    /// Refused while the hub still has profiles or shared volumes (field `hub`). This removes
    /// the portal's record only; uninstalling the release is the cluster layer's job.
    async fn remove(conn: &mut SqliteConnection, before: &Hub) -> AppResult<()> {
        let id = before.id;
        let (profiles, volumes): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM profiles WHERE hub_id = ?1),
                    (SELECT COUNT(*) FROM shared_volumes WHERE hub_id = ?1)",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)?;
        let in_use = || {
            AppError::invalid(
                "hub",
                format!(
                    "Hub \"{}\" still has {profiles} profile(s) and {volumes} shared volume(s): delete them first.",
                    before.spec.release_name
                ),
            )
        };
        if profiles + volumes > 0 {
            return Err(in_use());
        }
        sqlx::query("DELETE FROM hubs WHERE id = ? AND version = ?")
            .bind(id)
            .bind(before.version)
            .execute(&mut *conn)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => in_use(),
                _ => internal(e),
            })?;
        Ok(())
    }
}

/// Every namespace that holds a hub, sorted (the cluster connection checks its permissions
/// there).
pub async fn namespaces(pool: &SqlitePool) -> AppResult<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT namespace FROM hubs ORDER BY 1")
        .fetch_all(pool)
        .await
        .map_err(internal)
}
