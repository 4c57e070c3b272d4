//! Shared volumes in SQLite: list, get, create, update (optimistic locking), delete (refused
//! while a profile mounts the volume). Every change writes one audit event in the same
//! transaction.

use super::audit::{self, Actor, Change, RequestMeta};
use super::db;
use super::hubs::{self, ConstraintRule, begin_write, constraint_error, internal, snapshot, stale};
use crate::domain::FieldErrors;
use crate::domain::quantity::Quantity;
use crate::domain::volume::{
    AccessMode, SharedVolume, VolumeMode, VolumeSpec, check_against_mounts, check_hub_namespace,
    in_use_error,
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

async fn require_on(conn: &mut SqliteConnection, id: i64) -> AppResult<SharedVolume> {
    get_on(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Shared volume #{id}")))
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
    require_on(&mut conn, id).await
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
    if let Some(id) = id {
        let profiles = super::profiles::list_on(conn, hub_id).await?;
        if let Err(e) = check_against_mounts(id, spec, &profiles) {
            errors.0.extend(e.0);
        }
    }
    errors.into_result().map_err(AppError::Invalid)
}

/// Creates a volume of hub `hub_id` on `conn` (the caller owns the transaction).
pub(crate) async fn create_on(
    conn: &mut SqliteConnection,
    actor: &Actor,
    meta: &RequestMeta,
    hub_id: i64,
    spec: &VolumeSpec,
    reason: &str,
) -> AppResult<SharedVolume> {
    check(conn, hub_id, None, spec).await?;
    let now = db::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO shared_volumes (hub_id, name, pvc_name, namespace, size, access_mode,
             storage_class, volume_mode, create_pvc, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(hub_id)
    .bind(&spec.name)
    .bind(&spec.pvc_name)
    .bind(&spec.namespace)
    .bind(spec.size.as_ref().map(Quantity::as_str))
    .bind(spec.access_mode.as_str())
    .bind(&spec.storage_class)
    .bind(spec.volume_mode.as_str())
    .bind(spec.create_pvc)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| constraint_error(e, &rules(spec)))?;
    audit::record(
        conn,
        actor,
        meta,
        &Change {
            action: "volume.create".into(),
            target_type: "volume".into(),
            target_id: id.to_string(),
            target_name: spec.name.clone(),
            before: None,
            after: Some(snapshot(spec)),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    require_on(conn, id).await
}

pub async fn create(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    hub_id: i64,
    spec: VolumeSpec,
    reason: &str,
) -> AppResult<SharedVolume> {
    let mut tx = begin_write(pool).await?;
    let v = create_on(&mut tx, actor, meta, hub_id, &spec, reason).await?;
    tx.commit().await.map_err(internal)?;
    Ok(v)
}

/// Saves `spec` over volume `id` if it is still at `expected_version`; otherwise returns
/// [`AppError::StaleWrite`] with the stored volume and writes nothing.
pub async fn update(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    expected_version: i64,
    spec: VolumeSpec,
    reason: &str,
) -> AppResult<SharedVolume> {
    let mut tx = begin_write(pool).await?;
    let before = require_on(&mut tx, id).await?;
    if before.version != expected_version {
        return Err(stale(
            "Shared volume",
            &before.spec.name,
            expected_version,
            before.version,
            &before,
        ));
    }
    check(&mut tx, before.hub_id, Some(id), &spec).await?;
    let updated = sqlx::query(
        "UPDATE shared_volumes SET name = ?, pvc_name = ?, namespace = ?, size = ?,
             access_mode = ?, storage_class = ?, volume_mode = ?, create_pvc = ?,
             version = version + 1, updated_at = ?
         WHERE id = ? AND version = ?",
    )
    .bind(&spec.name)
    .bind(&spec.pvc_name)
    .bind(&spec.namespace)
    .bind(spec.size.as_ref().map(Quantity::as_str))
    .bind(spec.access_mode.as_str())
    .bind(&spec.storage_class)
    .bind(spec.volume_mode.as_str())
    .bind(spec.create_pvc)
    .bind(db::now())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await
    .map_err(|e| constraint_error(e, &rules(&spec)))?;
    if updated.rows_affected() == 0 {
        return Err(stale(
            "Shared volume",
            &before.spec.name,
            expected_version,
            before.version,
            &before,
        ));
    }
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "volume.update".into(),
            target_type: "volume".into(),
            target_id: id.to_string(),
            target_name: spec.name.clone(),
            before: Some(snapshot(&before.spec)),
            after: Some(snapshot(&spec)),
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    let after = require_on(&mut tx, id).await?;
    tx.commit().await.map_err(internal)?;
    Ok(after)
}

/// Deletes volume `id` (at `expected_version`). Refused with a field error on `volume`,
/// listing the profiles, while any profile mounts it (the foreign key refuses it too). This
/// removes the portal's record only; deleting a PVC it created is the cluster layer's job.
pub async fn delete(
    pool: &SqlitePool,
    actor: &Actor,
    meta: &RequestMeta,
    id: i64,
    expected_version: i64,
    reason: &str,
) -> AppResult<()> {
    let mut tx = begin_write(pool).await?;
    let before = require_on(&mut tx, id).await?;
    if before.version != expected_version {
        return Err(stale(
            "Shared volume",
            &before.spec.name,
            expected_version,
            before.version,
            &before,
        ));
    }
    let users = mounted_by_on(&mut tx, id).await?;
    if !users.is_empty() {
        return Err(AppError::Invalid(FieldErrors(vec![in_use_error(
            &before.spec.name,
            &users,
        )])));
    }
    let deleted = sqlx::query("DELETE FROM shared_volumes WHERE id = ? AND version = ?")
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await;
    if let Err(e) = deleted {
        return Err(match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                let users = mounted_by_on(&mut tx, id).await?;
                AppError::Invalid(FieldErrors(vec![in_use_error(&before.spec.name, &users)]))
            }
            _ => internal(e),
        });
    }
    audit::record(
        &mut tx,
        actor,
        meta,
        &Change {
            action: "volume.delete".into(),
            target_type: "volume".into(),
            target_id: id.to_string(),
            target_name: before.spec.name.clone(),
            before: Some(snapshot(&before.spec)),
            after: None,
            reason: reason.into(),
        },
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}
