//! Environment profiles in SQLite: list, get, find by slug, and create, update, delete
//! through the shared versioned write path ([`super::write`]). Rules that involve other rows
//! (unique slug, one default per hub, the replacement, mounted volumes) are checked inside the
//! write transaction with the same pure functions the browser uses, and the database
//! constraints back them up.

use super::db::{self, internal};
use super::write::{self, ConstraintRule, Statement, Versioned, constraint_error};
use super::{hubs, volumes};
use crate::domain::FieldErrors;
use crate::domain::choices::ProfileOption;
use crate::domain::mount::check_mounts;
use crate::domain::profile::{
    EnvVar, HomeStorage, ImageSpec, Profile, ProfileSpec, PullPolicy, VolumeMount, check_siblings,
};
use crate::domain::quantity::{Memory, Quantity};
use crate::domain::scheduling::{MatchExpression, PreferredTerm, Toleration};
use crate::domain::validate::quoted_list;
use crate::error::{AppError, AppResult};
use std::collections::{BTreeMap, HashMap};

use sqlx::{SqliteConnection, SqlitePool};

#[derive(sqlx::FromRow)]
struct ProfileRow {
    id: i64,
    hub_id: i64,
    slug: String,
    display_name: String,
    description: String,
    image_name: String,
    image_tag: String,
    image_pull_policy: String,
    image_pull_secret: Option<String>,
    cpu_limit: Option<f64>,
    cpu_guarantee: Option<f64>,
    mem_limit: Option<String>,
    mem_guarantee: Option<String>,
    home_capacity: String,
    home_storage_class: Option<String>,
    home_mount_path: String,
    env_json: String,
    node_selector_json: String,
    extra_resource_limits_json: String,
    extra_resource_guarantees_json: String,
    tolerations_json: String,
    node_affinity_json: String,
    node_affinity_preferred_json: String,
    profile_options_json: String,
    allowed_groups_json: String,
    is_default: bool,
    replaced_by: Option<i64>,
    version: i64,
    created_at: String,
    updated_at: String,
}

#[derive(sqlx::FromRow)]
struct MountRow {
    profile_id: i64,
    volume_id: i64,
    mount_path: String,
    read_only: bool,
}

const SELECT_PROFILES: &str = "SELECT id, hub_id, slug, display_name, description, image_name,
        image_tag, image_pull_policy, image_pull_secret, cpu_limit, cpu_guarantee, mem_limit,
        mem_guarantee, home_capacity, home_storage_class, home_mount_path, env_json,
        node_selector_json, extra_resource_limits_json, extra_resource_guarantees_json,
        tolerations_json, node_affinity_json, node_affinity_preferred_json, profile_options_json,
        allowed_groups_json, is_default, replaced_by, version, created_at, updated_at
     FROM profiles";

fn from_row(r: ProfileRow, mounts: Vec<VolumeMount>) -> AppResult<Profile> {
    let id = r.id;
    let bad = |what: &str, m: String| {
        AppError::Internal(format!("profile #{id}: stored {what} is invalid: {m}"))
    };
    let memory = |what: &str, v: Option<String>| -> AppResult<Option<Memory>> {
        v.map(|s| Memory::parse(what, &s).map_err(|e| bad(what, e.message)))
            .transpose()
    };
    let env: Vec<EnvVar> =
        serde_json::from_str(&r.env_json).map_err(|e| bad("env", e.to_string()))?;
    let node_selector: BTreeMap<String, String> = serde_json::from_str(&r.node_selector_json)
        .map_err(|e| bad("node_selector", e.to_string()))?;
    let allowed_groups: Vec<String> = serde_json::from_str(&r.allowed_groups_json)
        .map_err(|e| bad("allowed_groups", e.to_string()))?;
    let extra_resource_limits: BTreeMap<String, String> =
        serde_json::from_str(&r.extra_resource_limits_json)
            .map_err(|e| bad("extra_resource_limits", e.to_string()))?;
    let extra_resource_guarantees: BTreeMap<String, String> =
        serde_json::from_str(&r.extra_resource_guarantees_json)
            .map_err(|e| bad("extra_resource_guarantees", e.to_string()))?;
    let tolerations: Vec<Toleration> =
        serde_json::from_str(&r.tolerations_json).map_err(|e| bad("tolerations", e.to_string()))?;
    let node_affinity: Vec<MatchExpression> = serde_json::from_str(&r.node_affinity_json)
        .map_err(|e| bad("node_affinity", e.to_string()))?;
    let node_affinity_preferred: Vec<PreferredTerm> =
        serde_json::from_str(&r.node_affinity_preferred_json)
            .map_err(|e| bad("node_affinity_preferred", e.to_string()))?;
    let profile_options: Vec<ProfileOption> = serde_json::from_str(&r.profile_options_json)
        .map_err(|e| bad("profile_options", e.to_string()))?;
    Ok(Profile {
        id,
        hub_id: r.hub_id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        spec: ProfileSpec {
            display_name: r.display_name,
            slug: r.slug,
            description: r.description,
            image: ImageSpec {
                name: r.image_name,
                tag: r.image_tag,
                pull_policy: PullPolicy::parse("image_pull_policy", &r.image_pull_policy)
                    .map_err(|e| bad("image_pull_policy", e.message))?,
                pull_secret: r.image_pull_secret,
            },
            cpu_limit: r.cpu_limit,
            cpu_guarantee: r.cpu_guarantee,
            mem_limit: memory("mem_limit", r.mem_limit)?,
            mem_guarantee: memory("mem_guarantee", r.mem_guarantee)?,
            home: HomeStorage {
                capacity: Quantity::parse("home_capacity", &r.home_capacity)
                    .map_err(|e| bad("home_capacity", e.message))?,
                storage_class: r.home_storage_class,
                mount_path: r.home_mount_path,
            },
            mounts,
            env,
            node_selector,
            extra_resource_limits,
            extra_resource_guarantees,
            tolerations,
            node_affinity,
            node_affinity_preferred,
            profile_options,
            allowed_groups,
            is_default: r.is_default,
            replaced_by: r.replaced_by,
        },
    })
}

async fn mounts_where(
    conn: &mut SqliteConnection,
    column: &str,
    value: i64,
) -> AppResult<HashMap<i64, Vec<VolumeMount>>> {
    let rows: Vec<MountRow> = sqlx::query_as(&format!(
        "SELECT profile_id, volume_id, mount_path, read_only FROM profile_volume_mounts
         WHERE {column} = ? ORDER BY profile_id, position"
    ))
    .bind(value)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let mut out: HashMap<i64, Vec<VolumeMount>> = HashMap::new();
    for m in rows {
        out.entry(m.profile_id).or_default().push(VolumeMount {
            volume_id: m.volume_id,
            mount_path: m.mount_path,
            read_only: m.read_only,
        });
    }
    Ok(out)
}

pub(crate) async fn get_on(conn: &mut SqliteConnection, id: i64) -> AppResult<Option<Profile>> {
    let row: Option<ProfileRow> = sqlx::query_as(&format!("{SELECT_PROFILES} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut mounts = mounts_where(conn, "profile_id", id).await?;
    from_row(row, mounts.remove(&id).unwrap_or_default()).map(Some)
}

/// The profiles of hub `hub_id`: the default first, then by display name.
pub(crate) async fn list_on(conn: &mut SqliteConnection, hub_id: i64) -> AppResult<Vec<Profile>> {
    let rows: Vec<ProfileRow> = sqlx::query_as(&format!(
        "{SELECT_PROFILES} WHERE hub_id = ?
         ORDER BY is_default DESC, display_name COLLATE NOCASE, id"
    ))
    .bind(hub_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let mut mounts = mounts_where(conn, "hub_id", hub_id).await?;
    rows.into_iter()
        .map(|r| {
            let m = mounts.remove(&r.id).unwrap_or_default();
            from_row(r, m)
        })
        .collect()
}

pub async fn list(pool: &SqlitePool, hub_id: i64) -> AppResult<Vec<Profile>> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    list_on(&mut conn, hub_id).await
}

pub async fn get(pool: &SqlitePool, id: i64) -> AppResult<Profile> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    write::require(&mut conn, id).await
}

/// The profile with `slug` in hub `hub_id`, if any.
pub async fn find_by_slug(
    pool: &SqlitePool,
    hub_id: i64,
    slug: &str,
) -> AppResult<Option<Profile>> {
    let mut conn = pool.acquire().await.map_err(internal)?;
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM profiles WHERE hub_id = ? AND slug = ?")
            .bind(hub_id)
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
    match id {
        Some(id) => get_on(&mut conn, id).await,
        None => Ok(None),
    }
}

fn rules(spec: &ProfileSpec) -> Vec<ConstraintRule<'static>> {
    vec![
        ConstraintRule {
            needle: "profiles.hub_id, profiles.slug",
            field: "slug",
            message: format!(
                "Another profile of this hub already uses the slug \"{}\": choose another.",
                spec.slug
            ),
        },
        // The partial unique index `profiles_one_default` reports only its column.
        ConstraintRule {
            needle: "UNIQUE constraint failed: profiles.hub_id",
            field: "is_default",
            message: "Another profile is already this hub's default and a hub has at most one: untick its default first.".into(),
        },
        ConstraintRule {
            needle: "profile_volume_mounts.profile_id, profile_volume_mounts.mount_path",
            field: "mounts",
            message: "Two mounts use the same path: give each its own.".into(),
        },
        ConstraintRule {
            needle: "FOREIGN KEY",
            field: "form",
            message: "The replacement profile or a shared volume no longer exists in this hub: reload the page and choose again.".into(),
        },
    ]
}

/// Every rule involving other rows, on the transaction's connection.
async fn check(
    conn: &mut SqliteConnection,
    hub_id: i64,
    id: Option<i64>,
    spec: &ProfileSpec,
) -> AppResult<()> {
    let siblings = list_on(conn, hub_id).await?;
    let volumes = volumes::list_on(conn, hub_id).await?;
    let mut errors = FieldErrors::new();
    if let Err(e) = check_siblings(id, spec, &siblings) {
        errors.0.extend(e.0);
    }
    if let Err(e) = check_mounts(spec, &volumes) {
        errors.0.extend(e.0);
    }
    errors.into_result().map_err(AppError::Invalid)
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

async fn write_mounts(
    conn: &mut SqliteConnection,
    hub_id: i64,
    id: i64,
    spec: &ProfileSpec,
) -> AppResult<()> {
    sqlx::query("DELETE FROM profile_volume_mounts WHERE profile_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    for (position, m) in spec.mounts.iter().enumerate() {
        sqlx::query(
            "INSERT INTO profile_volume_mounts (profile_id, hub_id, volume_id, position, mount_path, read_only)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(hub_id)
        .bind(m.volume_id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&m.mount_path)
        .bind(m.read_only)
        .execute(&mut *conn)
        .await
        .map_err(|e| constraint_error(e, &rules(spec)))?;
    }
    Ok(())
}

fn bytes_i64(b: u64) -> i64 {
    i64::try_from(b).unwrap_or(i64::MAX)
}

/// Binds the spec's columns, in the order both the INSERT and the UPDATE list them (from
/// `slug` to `replaced_by`).
fn bind_spec<'q>(q: Statement<'q>, spec: &'q ProfileSpec) -> Statement<'q> {
    q.bind(&spec.slug)
        .bind(&spec.display_name)
        .bind(&spec.description)
        .bind(&spec.image.name)
        .bind(&spec.image.tag)
        .bind(spec.image.pull_policy.as_str())
        .bind(&spec.image.pull_secret)
        .bind(spec.cpu_limit)
        .bind(spec.cpu_guarantee)
        .bind(spec.mem_limit.as_ref().map(Memory::as_str))
        .bind(spec.mem_limit.as_ref().map(|m| bytes_i64(m.bytes())))
        .bind(spec.mem_guarantee.as_ref().map(Memory::as_str))
        .bind(spec.mem_guarantee.as_ref().map(|m| bytes_i64(m.bytes())))
        .bind(spec.home.capacity.as_str())
        .bind(&spec.home.storage_class)
        .bind(&spec.home.mount_path)
        .bind(json_text(&spec.env))
        .bind(json_text(&spec.node_selector))
        .bind(json_text(&spec.extra_resource_limits))
        .bind(json_text(&spec.extra_resource_guarantees))
        .bind(json_text(&spec.tolerations))
        .bind(json_text(&spec.node_affinity))
        .bind(json_text(&spec.node_affinity_preferred))
        .bind(json_text(&spec.profile_options))
        .bind(json_text(&spec.allowed_groups))
        .bind(spec.is_default)
        .bind(spec.replaced_by)
}

impl Versioned for Profile {
    type Spec = ProfileSpec;
    type Parent = i64;
    const KIND: &'static str = "Profile";
    const TARGET: &'static str = "profile";

    fn version(&self) -> i64 {
        self.version
    }
    fn spec(&self) -> &ProfileSpec {
        &self.spec
    }
    fn parent(&self) -> i64 {
        self.hub_id
    }
    fn name(&self) -> &str {
        &self.spec.display_name
    }

    async fn load(conn: &mut SqliteConnection, id: i64) -> AppResult<Option<Profile>> {
        get_on(conn, id).await
    }

    /// `release/slug`: a slug is unique only within its hub.
    async fn audit_name(
        conn: &mut SqliteConnection,
        hub_id: i64,
        spec: &ProfileSpec,
    ) -> AppResult<String> {
        let hub = hubs::require_on(conn, hub_id).await?;
        Ok(format!("{}/{}", hub.spec.release_name, spec.slug))
    }

    async fn insert(
        conn: &mut SqliteConnection,
        hub_id: i64,
        spec: &ProfileSpec,
    ) -> AppResult<i64> {
        hubs::require_on(conn, hub_id).await?;
        check(conn, hub_id, None, spec).await?;
        let now = db::now();
        let insert = sqlx::query(
            "INSERT INTO profiles (hub_id, slug, display_name, description, image_name, image_tag,
                 image_pull_policy, image_pull_secret, cpu_limit, cpu_guarantee, mem_limit,
                 mem_limit_bytes, mem_guarantee, mem_guarantee_bytes, home_capacity,
                 home_storage_class, home_mount_path, env_json, node_selector_json,
                 extra_resource_limits_json, extra_resource_guarantees_json, tolerations_json,
                 node_affinity_json, node_affinity_preferred_json, profile_options_json,
                 allowed_groups_json, is_default, replaced_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                 ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(hub_id);
        let insert = bind_spec(insert, spec).bind(now.clone()).bind(now);
        let id = write::insert_returning_id(conn, insert, &rules(spec)).await?;
        write_mounts(conn, hub_id, id, spec).await?;
        Ok(id)
    }

    async fn overwrite(
        conn: &mut SqliteConnection,
        before: &Profile,
        spec: &ProfileSpec,
    ) -> AppResult<u64> {
        hubs::require_on(conn, before.hub_id).await?;
        check(conn, before.hub_id, Some(before.id), spec).await?;
        let update = sqlx::query(
            "UPDATE profiles SET slug = ?, display_name = ?, description = ?, image_name = ?,
                 image_tag = ?, image_pull_policy = ?, image_pull_secret = ?, cpu_limit = ?,
                 cpu_guarantee = ?, mem_limit = ?, mem_limit_bytes = ?, mem_guarantee = ?,
                 mem_guarantee_bytes = ?, home_capacity = ?, home_storage_class = ?,
                 home_mount_path = ?, env_json = ?, node_selector_json = ?,
                 extra_resource_limits_json = ?, extra_resource_guarantees_json = ?,
                 tolerations_json = ?, node_affinity_json = ?, node_affinity_preferred_json = ?,
                 profile_options_json = ?, allowed_groups_json = ?,
                 is_default = ?, replaced_by = ?, version = version + 1, updated_at = ?
             WHERE id = ? AND version = ?",
        );
        let update = bind_spec(update, spec)
            .bind(db::now())
            .bind(before.id)
            .bind(before.version);
        let updated = write::update_rows(conn, update, &rules(spec)).await?;
        if updated > 0 {
            write_mounts(conn, before.hub_id, before.id, spec).await?;
        }
        Ok(updated)
    }

    /// Deletes the profile and its mounts. Refused (field `profile`) while deprecated profiles
    /// name it as their replacement.
    async fn remove(conn: &mut SqliteConnection, before: &Profile) -> AppResult<()> {
        let id = before.id;
        let replaced: Vec<String> = sqlx::query_scalar(
            "SELECT display_name FROM profiles WHERE replaced_by = ? ORDER BY display_name",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
        let in_use = |names: &[String]| {
            AppError::invalid(
                "profile",
                format!(
                    "\"{}\" replaces the deprecated {} {}: choose another replacement there first.",
                    before.spec.display_name,
                    if names.len() == 1 {
                        "profile"
                    } else {
                        "profiles"
                    },
                    quoted_list(names.iter().map(String::as_str))
                ),
            )
        };
        if !replaced.is_empty() {
            return Err(in_use(&replaced));
        }
        sqlx::query("DELETE FROM profiles WHERE id = ? AND version = ?")
            .bind(id)
            .bind(before.version)
            .execute(&mut *conn)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => in_use(&[]),
                _ => internal(e),
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constraints are the backstop of the checks above: when a write reaches them anyway
    /// (bypassing `check`), the violation still becomes a field error, never an internal one.
    #[tokio::test]
    async fn constraint_violations_become_field_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let pool = db::connect(&url).await.expect("connect");
        db::migrate(&pool).await.expect("migrate");
        let now = db::now();
        sqlx::query(
            "INSERT INTO hubs (id, release_name, namespace, driver, created_at, updated_at)
             VALUES (1, 'h', 'ns', 'job', ?, ?)",
        )
        .bind(&now)
        .bind(&now)
        .execute(&pool)
        .await
        .expect("hub");
        let insert = |slug: &'static str, is_default: bool, replaced_by: Option<i64>| {
            let pool = pool.clone();
            let now = now.clone();
            async move {
                sqlx::query(
                    "INSERT INTO profiles (hub_id, slug, display_name, image_name, image_tag,
                         home_capacity, is_default, replaced_by, created_at, updated_at)
                     VALUES (1, ?, 'P', 'img', 'v1', '1Gi', ?, ?, ?, ?)",
                )
                .bind(slug)
                .bind(is_default)
                .bind(replaced_by)
                .bind(&now)
                .bind(&now)
                .execute(&pool)
                .await
            }
        };
        insert("a", true, None).await.expect("first");
        let spec_rules = |slug: &str| {
            let f = crate::domain::profile::ProfileForm {
                display_name: "P".into(),
                slug: slug.into(),
                image_name: "img".into(),
                image_tag: "v1".into(),
                home_capacity: "1Gi".into(),
                ..Default::default()
            };
            rules(&f.validate().expect("valid"))
        };
        let field_of = |e: AppError| {
            e.field_errors()
                .and_then(|f| f.0.first().map(|x| x.field.clone()))
        };

        let dup = insert("a", false, None).await.expect_err("duplicate slug");
        assert_eq!(
            field_of(constraint_error(dup, &spec_rules("a"))).as_deref(),
            Some("slug")
        );
        let two_defaults = insert("b", true, None).await.expect_err("second default");
        assert_eq!(
            field_of(constraint_error(two_defaults, &spec_rules("b"))).as_deref(),
            Some("is_default")
        );
        let dangling = insert("c", false, Some(999))
            .await
            .expect_err("missing replacement");
        assert_eq!(
            field_of(constraint_error(dangling, &spec_rules("c"))).as_deref(),
            Some("form")
        );
        // A CHECK no rule names still becomes a (form-level) field error.
        let check = sqlx::query("UPDATE profiles SET cpu_limit = -1 WHERE slug = 'a'")
            .execute(&pool)
            .await
            .expect_err("negative cpu");
        let e = constraint_error(check, &[]);
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
        assert_eq!(field_of(e).as_deref(), Some("form"));
    }
}
