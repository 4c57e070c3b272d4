//! Audit trail integrity (migration 0006): history cannot be replaced, values versions are
//! append-only and outlive their hub, record ids are never reused, and a revert only ever
//! changes the record its entry is about. Also the migration itself on a database made by the
//! earlier migrations.

use crate::common::*;
use app::backend::write::{self, By};
use app::backend::{db, hubs, revert, values};
use app::domain::hub::Hub;
use app::domain::profile::{Profile, ProfileForm};
use app::domain::volume::SharedVolume;
use app::error::AppError;
use sqlx::SqlitePool;

fn by<'a>(
    actor: &'a app::backend::audit::Actor,
    meta: &'a app::backend::audit::RequestMeta,
) -> By<'a> {
    By::new(actor, meta, "test")
}

fn profile_form(slug: &str) -> ProfileForm {
    ProfileForm {
        display_name: slug.into(),
        slug: slug.into(),
        image_name: "quay.io/jupyter/scipy-notebook".into(),
        image_tag: "2024-05-01".into(),
        home_capacity: "5Gi".into(),
        ..Default::default()
    }
}

async fn audit_row(pool: &SqlitePool, id: i64) -> (String, String, String) {
    sqlx::query_as("SELECT actor, action, target_name FROM audit_events WHERE id = ?")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn insert_or_replace_cannot_rewrite_an_audit_event() {
    let db = db().await;
    let pool = &db.pool;
    hub(pool, "jh", "ns").await;
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM audit_events")
        .fetch_one(pool)
        .await
        .unwrap();
    let before = audit_row(pool, id).await;
    for verb in ["INSERT OR REPLACE", "REPLACE", "INSERT"] {
        let e = sqlx::query(&format!(
            "{verb} INTO audit_events (id, occurred_at, actor, action, target_type, target_id,
                 target_name)
             VALUES (?, '2000-01-01T00:00:00.000Z', 'mallory', 'hub.create', 'hub', '1', 'x')"
        ))
        .bind(id)
        .execute(pool)
        .await
        .expect_err(verb);
        assert!(e.to_string().contains("append-only"), "{verb}: {e}");
    }
    assert_eq!(audit_row(pool, id).await, before);
    assert_eq!(count(pool, "audit_events").await, 1);
    // New events are still written.
    hub(pool, "jh2", "ns").await;
    assert_eq!(count(pool, "audit_events").await, 2);
}

#[tokio::test]
async fn values_versions_are_append_only_and_outlive_their_hub() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "jh", "ns").await;
    values::record(pool, &actor(), &meta(), h.id, None, None)
        .await
        .unwrap();
    let mut changed = h.spec.clone();
    changed.chart_version = "4.5.0".into();
    write::update::<Hub>(pool, &by(&actor(), &meta()), h.id, 1, &changed)
        .await
        .unwrap();
    let (_, v2, new) = values::record(pool, &actor(), &meta(), h.id, None, None)
        .await
        .unwrap();
    assert!(new);
    assert_eq!(v2.version, 2);

    let refused = [
        "UPDATE values_versions SET yaml = 'forged'".to_string(),
        "DELETE FROM values_versions".to_string(),
        format!(
            "INSERT OR REPLACE INTO values_versions (id, hub_id, version, digest, yaml, valid,
                 created_at, created_by)
             SELECT id, hub_id, version, digest, 'forged', valid, created_at, 'mallory'
             FROM values_versions WHERE hub_id = {} AND version = 1",
            h.id
        ),
        // Same (hub, version) under a new id: REPLACE would delete the old row.
        format!(
            "INSERT OR REPLACE INTO values_versions (hub_id, version, digest, yaml, valid,
                 created_at, created_by)
             SELECT hub_id, version, digest, 'forged', valid, created_at, 'mallory'
             FROM values_versions WHERE hub_id = {} AND version = 2",
            h.id
        ),
    ];
    for sql in &refused {
        let e = sqlx::query(sql).execute(pool).await.expect_err(sql);
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    let yamls: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT version, yaml, created_by FROM values_versions WHERE hub_id = ? ORDER BY version",
    )
    .bind(h.id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(yamls.len(), 2);
    assert!(
        yamls
            .iter()
            .all(|(_, y, by)| y != "forged" && by == "tester")
    );

    // Deleting the hub works and leaves its history, readable without the hub.
    let stored = hubs::get(pool, h.id).await.unwrap();
    write::delete::<Hub>(pool, &by(&actor(), &meta()), h.id, stored.version)
        .await
        .unwrap();
    assert_eq!(count(pool, "hubs").await, 0);
    let kept: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT version, hub_release_name, hub_namespace FROM values_versions
         WHERE hub_id = ? ORDER BY version",
    )
    .bind(h.id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        kept,
        vec![(1, "jh".into(), "ns".into()), (2, "jh".into(), "ns".into())]
    );
    assert_eq!(values::versions(pool, h.id).await.unwrap().len(), 2);
    assert_eq!(
        values::version_yaml(pool, h.id, 2).await.unwrap(),
        yamls[1].1
    );

    // A new hub (even with the same name) starts its own history under a new id.
    let again = hub(pool, "jh", "ns").await;
    assert!(again.id > h.id);
    let (_, v, _) = values::record(pool, &actor(), &meta(), again.id, None, None)
        .await
        .unwrap();
    assert_eq!(v.version, 1);
}

#[tokio::test]
async fn ids_of_deleted_records_are_never_reused() {
    let db = db().await;
    let pool = &db.pool;
    let (a, m) = (actor(), meta());
    let b = by(&a, &m);
    let h1 = hub(pool, "one", "ns").await;
    let p1 = write::create::<Profile>(pool, &b, h1.id, &profile_form("p").validate().unwrap())
        .await
        .unwrap();
    let v1 = volume(pool, &h1, "data").await;
    write::delete::<Profile>(pool, &b, p1.id, p1.version)
        .await
        .unwrap();
    write::delete::<SharedVolume>(pool, &b, v1.id, v1.version)
        .await
        .unwrap();
    write::delete::<Hub>(pool, &b, h1.id, h1.version)
        .await
        .unwrap();

    let h2 = hub(pool, "two", "ns").await;
    assert!(h2.id > h1.id, "hub id {} reused", h2.id);
    let p2 = write::create::<Profile>(pool, &b, h2.id, &profile_form("p").validate().unwrap())
        .await
        .unwrap();
    assert!(p2.id > p1.id, "profile id {} reused", p2.id);
    let v2 = volume(pool, &h2, "data").await;
    assert!(v2.id > v1.id, "volume id {} reused", v2.id);
}

/// A database made before ids were kept unique may hand a deleted hub's id to a new hub; an
/// entry about the deleted hub must not be "reverted" onto the new one.
#[tokio::test]
async fn revert_never_changes_another_record_with_the_same_id() {
    let db = db().await;
    let pool = &db.pool;
    let (a, m) = (actor(), meta());
    let b = by(&a, &m);
    let old = hub(pool, "old", "ns").await;
    let mut changed = old.spec.clone();
    changed.chart_version = "4.5.0".into();
    let old = write::update::<Hub>(pool, &b, old.id, 1, &changed)
        .await
        .unwrap();
    let edit: i64 = sqlx::query_scalar("SELECT id FROM audit_events WHERE action = 'hub.update'")
        .fetch_one(pool)
        .await
        .unwrap();
    write::delete::<Hub>(pool, &b, old.id, old.version)
        .await
        .unwrap();
    // Another hub under the deleted one's id, as an older database could have made it.
    sqlx::query(
        "INSERT INTO hubs (id, release_name, namespace, chart_version, driver, created_at,
             updated_at)
         VALUES (?, 'other', 'elsewhere', '4.4.0', 'job', '2030-01-01T00:00:00.000Z',
             '2030-01-01T00:00:00.000Z')",
    )
    .bind(old.id)
    .execute(pool)
    .await
    .unwrap();
    let other = hubs::get(pool, old.id).await.unwrap();
    let events = count(pool, "audit_events").await;

    let e = revert::revert_plan(pool, edit)
        .await
        .err()
        .expect("refused");
    assert_eq!(field_of(&e), "event", "{e:?}");
    assert!(e.to_string().contains("deleted"), "{e}");
    let e = revert::revert(pool, &actor(), &meta(), edit, other.version, "")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    assert_eq!(hubs::get(pool, old.id).await.unwrap(), other);
    assert_eq!(count(pool, "audit_events").await, events);
}

/// The migration on a database the earlier migrations made, with data: rows, foreign keys
/// and values history are kept, the tables gain AUTOINCREMENT and the id counters start above
/// every id the audit trail has named (also of records deleted before the migration).
#[tokio::test]
async fn migration_0006_keeps_the_data_and_never_reuses_ids() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let pool = db::connect(&url).await.unwrap();
    let before_0006 = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(
            db::MIGRATOR
                .iter()
                .filter(|m| m.version < 6)
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before_0006.run(&pool).await.unwrap();
    let fixture = "
        INSERT INTO hubs (id, release_name, namespace, driver, created_at, updated_at)
            VALUES (1, 'a', 'ns', 'job', 't', 't'), (2, 'b', 'ns', 'job', 't', 't');
        INSERT INTO shared_volumes (id, hub_id, name, pvc_name, namespace, size, create_pvc,
                                    created_at, updated_at)
            VALUES (1, 1, 'v', 'v', 'ns', '1Gi', 1, 't', 't');
        INSERT INTO profiles (id, hub_id, slug, display_name, image_name, image_tag,
                              home_capacity, replaced_by, created_at, updated_at)
            VALUES (1, 1, 'p', 'P', 'img', '1', '1Gi', NULL, 't', 't'),
                   (2, 1, 'q', 'Q', 'img', '1', '1Gi', 1, 't', 't');
        INSERT INTO profile_volume_mounts VALUES (1, 1, 1, 0, '/data', 0);
        INSERT INTO values_versions (hub_id, version, digest, yaml, valid, created_at, created_by)
            VALUES (1, 1, printf('%064d', 0), 'yaml', 1, 't', 'x');
        INSERT INTO hub_api_tokens (hub_id, label, token_hash, prefix, created_at, created_by)
            VALUES (1, 'l', printf('%064d', 1), 'p', 't', 'x');
        INSERT INTO user_selections VALUES (1, 'u', 1, 't');
        -- Hub #7, profile #9 and volume #4 existed once and were deleted.
        INSERT INTO audit_events (occurred_at, actor, action, target_type, target_id)
            VALUES ('t', 'x', 'hub.delete', 'hub', '7'),
                   ('t', 'x', 'profile.delete', 'profile', '9'),
                   ('t', 'x', 'volume.delete', 'volume', '4');
    ";
    sqlx::raw_sql(fixture).execute(&pool).await.unwrap();

    db::migrate(&pool).await.unwrap();
    assert!(db::migrations_applied(&pool).await.unwrap());

    for (table, n) in [
        ("hubs", 2),
        ("shared_volumes", 1),
        ("profiles", 2),
        ("profile_volume_mounts", 1),
        ("values_versions", 1),
        ("hub_api_tokens", 1),
        ("user_selections", 1),
    ] {
        assert_eq!(count(&pool, table).await, n, "{table}");
    }
    let (name, ns): (String, String) =
        sqlx::query_as("SELECT hub_release_name, hub_namespace FROM values_versions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), ns.as_str()), ("a", "ns"));
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let fk_on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(fk_on, 1);

    // Foreign keys still hold on the rebuilt tables.
    let e = sqlx::query("DELETE FROM shared_volumes WHERE id = 1")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("FOREIGN KEY"), "{e}");

    let h = hub(&pool, "c", "ns").await;
    assert_eq!(h.id, 8);
    let p = write::create::<Profile>(
        &pool,
        &by(&actor(), &meta()),
        h.id,
        &profile_form("p").validate().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(p.id, 10);
    let v = volume(&pool, &h, "data").await;
    assert_eq!(v.id, 5);
}

/// A migration that would leave a broken foreign key is rolled back.
#[tokio::test]
async fn migration_0006_refuses_to_leave_broken_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let pool = db::connect(&url).await.unwrap();
    let before_0006 = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(
            db::MIGRATOR
                .iter()
                .filter(|m| m.version < 6)
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before_0006.run(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO user_selections VALUES (99, 'u', 1, 't');
         PRAGMA foreign_keys = ON;",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let e = db::migrate(&pool).await.unwrap_err();
    assert!(e.to_string().contains("migration 6"), "{e}");
    assert!(!db::migrations_applied(&pool).await.unwrap());
    // Nothing of it stayed: the hubs table is the old one.
    let sql: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'hubs'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!sql.contains("AUTOINCREMENT"), "{sql}");
}
