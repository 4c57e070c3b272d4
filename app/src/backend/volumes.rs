//! Shared volumes in SQLite: list, get, and create, update, delete through the shared
//! versioned write path ([`super::write`]). A volume cannot be deleted while a profile mounts
//! it, nor changed in a way its mounts forbid.

use super::db::{self, internal};
use super::hubs;
use super::write::{self, ConstraintRule, Statement, Versioned};
use crate::domain::FieldErrors;
use crate::domain::mount::{MountUse, check_against_uses, in_use_error};
use crate::domain::quantity::Quantity;
use crate::domain::volume::{
    AccessMode, SharedVolume, VolumeMode, VolumeSpec, check_hub_namespace,
};
use crate::error::{AppError, AppResult};
use sqlx::{SqliteConnection, SqlitePool};

#[derive(sqlx::FromRow)]
struct VolumeRow {
    id: i64,
    hub_id: i64,
    name: String,
    pvc_name: String,
    namespace: String,
    size: Option<String>,
    access_mode: String,
    storage_class: Option<String>,
    volume_mode: String,
    create_pvc: bool,
    version: i64,
    created_at: String,
    updated_at: String,
}

const SELECT_VOLUMES: &str = "SELECT id, hub_id, name, pvc_name, namespace, size, access_mode,
        storage_class, volume_mode, create_pvc, version, created_at, updated_at
     FROM shared_volumes";

fn from_row(r: VolumeRow) -> AppResult<SharedVolume> {
    let bad = |m: String| AppError::Internal(format!("shared volume #{}: {m}", r.id));
    let size = match &r.size {
        Some(s) => Some(Quantity::parse("size", s).map_err(|e| bad(e.message))?),
        None => None,
    };
    let access_mode =
        AccessMode::parse("access_mode", &r.access_mode).map_err(|e| bad(e.message))?;
    let volume_mode =
        VolumeMode::parse("volume_mode", &r.volume_mode).map_err(|e| bad(e.message))?;
    Ok(SharedVolume {
        id: r.id,
        hub_id: r.hub_id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        spec: VolumeSpec {
            name: r.name,
            pvc_name: r.pvc_name,
            namespace: r.namespace,
            size,
            access_mode,
            storage_class: r.storage_class,
            volume_mode,
            create_pvc: r.create_pvc,
        },
    })
}

pub(crate) async fn get_on(
    conn: &mut SqliteConnection,
    id: i64,
) -> AppResult<Option<SharedVolume>> {
    let row: Option<VolumeRow> = sqlx::query_as(&format!("{SELECT_VOLUMES} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    row.map(from_row).transpose()
}

/// The shared volumes of hub `hub_id`, by name.
pub(crate) async fn list_on(
    conn: &mut SqliteConnection,
    hub_id: i64,
) -> AppResult<Vec<SharedVolume>> {
    let rows: Vec<VolumeRow> = sqlx::query_as(&format!(
        "{SELECT_VOLUMES} WHERE hub_id = ? ORDER BY name COLLATE NOCASE, id"
    ))
    .bind(hub_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    rows.into_iter().map(from_row).collect()
}

pub async fn list(pool: &SqlitePool, hub_id: i64) -> AppResult<Vec<SharedVolume>> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    list_on(&mut conn, hub_id).await
}

pub async fn get(pool: &SqlitePool, id: i64) -> AppResult<SharedVolume> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    write::require(&mut conn, id).await
}

#[derive(sqlx::FromRow)]
struct UseRow {
    display_name: String,
    read_only: bool,
}

/// The mounts of volume `id`, in the order profiles are listed (default first, then by
/// display name).
async fn uses_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Vec<MountUse>> {
    let rows: Vec<UseRow> = sqlx::query_as(
        "SELECT p.display_name, m.read_only FROM profile_volume_mounts m
         JOIN profiles p ON p.id = m.profile_id
         WHERE m.volume_id = ?
         ORDER BY p.is_default DESC, p.display_name COLLATE NOCASE, p.id, m.position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|r| MountUse {
            profile: r.display_name,
            read_only: r.read_only,
        })
        .collect())
}

/// Display names of the profiles that mount volume `id`, sorted.
pub(crate) async fn mounted_by_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT p.display_name FROM profile_volume_mounts m
         JOIN profiles p ON p.id = m.profile_id
         WHERE m.volume_id = ? ORDER BY p.display_name",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)
}

/// Display names of the profiles that mount volume `id` (for the delete button's warning).
pub async fn mounted_by(pool: &SqlitePool, id: i64) -> AppResult<Vec<String>> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    mounted_by_on(&mut conn, id).await
}

fn rules(spec: &VolumeSpec) -> Vec<ConstraintRule<'static>> {
    vec![
        ConstraintRule {
            needle: "shared_volumes.hub_id, shared_volumes.name",
            field: "name",
            message: name_taken(spec),
        },
        ConstraintRule {
            needle: "shared_volumes.hub_id, shared_volumes.pvc_name",
            field: "pvc_name",
            message: pvc_taken(spec, None),
        },
    ]
}

fn name_taken(spec: &VolumeSpec) -> String {
    format!(
        "This hub already has a shared volume named \"{}\": choose another name.",
        spec.name
    )
}

fn pvc_taken(spec: &VolumeSpec, other: Option<&str>) -> String {
    match other {
        Some(o) => format!(
            "Shared volume \"{o}\" of this hub already uses the claim \"{}\": mount that volume instead, or choose another PVC name.",
            spec.pvc_name
        ),
        None => format!(
            "Another shared volume of this hub already uses the claim \"{}\": choose another PVC name.",
            spec.pvc_name
        ),
    }
}

/// Every rule involving other rows, checked inside the write transaction: the hub's
/// namespace, unique name and PVC per hub, and (for an update) the profiles mounting it.
async fn check(
    conn: &mut SqliteConnection,
    hub_id: i64,
    id: Option<i64>,
    spec: &VolumeSpec,
) -> AppResult<()> {
    let hub = hubs::require_on(conn, hub_id).await?;
    let mut errors = FieldErrors::new();
    errors.check(check_hub_namespace(spec, &hub.spec.namespace));
    let siblings = list_on(conn, hub_id).await?;
    let others = siblings.iter().filter(|v| Some(v.id) != id);
    for v in others {
        if v.spec.name == spec.name {
            errors.push("name", name_taken(spec));
        }
        if v.spec.pvc_name == spec.pvc_name {
            errors.push("pvc_name", pvc_taken(spec, Some(&v.spec.name)));
        }
    }
    if let Some(id) = id
        && let Err(e) = check_against_uses(spec, &uses_on(conn, id).await?)
    {
        errors.0.extend(e.0);
    }
    errors.into_result().map_err(AppError::Invalid)
}

/// Binds the spec's columns, in the order both the INSERT and the UPDATE list them (from
/// `name` to `create_pvc`).
fn bind_spec<'q>(q: Statement<'q>, spec: &'q VolumeSpec) -> Statement<'q> {
    q.bind(&spec.name)
        .bind(&spec.pvc_name)
        .bind(&spec.namespace)
        .bind(spec.size.as_ref().map(Quantity::as_str))
        .bind(spec.access_mode.as_str())
        .bind(&spec.storage_class)
        .bind(spec.volume_mode.as_str())
        .bind(spec.create_pvc)
}

impl Versioned for SharedVolume {
    type Spec = VolumeSpec;
    type Parent = i64;
    const KIND: &'static str = "Shared volume";
    const TARGET: &'static str = "volume";

    fn version(&self) -> i64 {
        self.version
    }
    fn spec(&self) -> &VolumeSpec {
        &self.spec
    }
    fn parent(&self) -> i64 {
        self.hub_id
    }
    fn name(&self) -> &str {
        &self.spec.name
    }

    async fn load(conn: &mut SqliteConnection, id: i64) -> AppResult<Option<SharedVolume>> {
        get_on(conn, id).await
    }

    async fn audit_name(_: &mut SqliteConnection, _: i64, spec: &VolumeSpec) -> AppResult<String> {
        Ok(spec.name.clone())
    }

    async fn insert(conn: &mut SqliteConnection, hub_id: i64, spec: &VolumeSpec) -> AppResult<i64> {
        check(conn, hub_id, None, spec).await?;
        let now = db::now();
        let insert = sqlx::query(
            "INSERT INTO shared_volumes (hub_id, name, pvc_name, namespace, size, access_mode,
                 storage_class, volume_mode, create_pvc, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(hub_id);
        let insert = bind_spec(insert, spec).bind(now.clone()).bind(now);
        write::insert_returning_id(conn, insert, &rules(spec)).await
    }

    async fn overwrite(
        conn: &mut SqliteConnection,
        before: &SharedVolume,
        spec: &VolumeSpec,
    ) -> AppResult<u64> {
        check(conn, before.hub_id, Some(before.id), spec).await?;
        let update = sqlx::query(
            "UPDATE shared_volumes SET name = ?, pvc_name = ?, namespace = ?, size = ?,
                 access_mode = ?, storage_class = ?, volume_mode = ?, create_pvc = ?,
                 version = version + 1, updated_at = ?
             WHERE id = ? AND version = ?",
        );
        let update = bind_spec(update, spec)
            .bind(db::now())
            .bind(before.id)
            .bind(before.version);
        write::update_rows(conn, update, &rules(spec)).await
    }

    /// Refused with a field error on `volume`, listing the profiles, while any profile mounts
    /// it (the foreign key refuses it too). This removes the portal's record only; deleting a
    /// PVC it created is the cluster layer's job.
    async fn remove(conn: &mut SqliteConnection, before: &SharedVolume) -> AppResult<()> {
        let id = before.id;
        let in_use = |users: &[String]| {
            AppError::Invalid(FieldErrors(vec![in_use_error(&before.spec.name, users)]))
        };
        let users = mounted_by_on(conn, id).await?;
        if !users.is_empty() {
            return Err(in_use(&users));
        }
        let deleted = sqlx::query("DELETE FROM shared_volumes WHERE id = ? AND version = ?")
            .bind(id)
            .bind(before.version)
            .execute(&mut *conn)
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                Err(in_use(&mounted_by_on(conn, id).await?))
            }
            Err(e) => Err(internal(e)),
        }
    }
}
