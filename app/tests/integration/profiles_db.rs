//! Profiles against a real SQLite database: CRUD, cross-row rules as field errors, stale
//! versions, audit in the same transaction, and 100 concurrent writers losing nothing.

use crate::common::*;
use app::backend::profiles;
use app::backend::write::{self, By};
use app::domain::hub::Hub;
use app::domain::profile::{EnvVarForm, LabelForm, MountForm, Profile, ProfileForm};
use app::domain::quantity::GIB;
use app::error::AppError;
use sqlx::SqlitePool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn form(name: &str, slug: &str) -> ProfileForm {
    ProfileForm {
        display_name: name.into(),
        slug: slug.into(),
        description: "start".into(),
        image_name: "quay.io/jupyter/scipy-notebook".into(),
        image_tag: "2024-05-01".into(),
        cpu_limit: "2".into(),
        cpu_guarantee: "0.5".into(),
        mem_limit: "4G".into(),
        mem_guarantee: "1G".into(),
        home_capacity: "10Gi".into(),
        ..Default::default()
    }
}

async fn create(pool: &SqlitePool, hub: &Hub, f: ProfileForm) -> Result<Profile, AppError> {
    let spec = f.validate().map_err(AppError::Invalid)?;
    write::create::<Profile>(pool, &By::new(&actor(), &meta(), "test"), hub.id, &spec).await
}

async fn save(pool: &SqlitePool, p: &Profile, f: ProfileForm) -> Result<Profile, AppError> {
    let spec = f.validate().map_err(AppError::Invalid)?;
    write::update::<Profile>(
        pool,
        &By::new(&actor(), &meta(), "test"),
        p.id,
        p.version,
        &spec,
    )
    .await
}

#[tokio::test]
async fn profile_crud_roundtrips_every_field() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let share = volume(pool, &h, "share").await;
    let data = volume(pool, &h, "data").await;
    let mut f = form("Data science", "data-science");
    f.image_pull_policy = "Always".into();
    f.image_pull_secret = "regcred".into();
    f.home_storage_class = "glusterfs".into();
    f.home_mount_path = "/home/jupyter".into();
    f.mounts = vec![
        MountForm {
            volume_id: share.id.to_string(),
            mount_path: "/mnt".into(),
            read_only: String::new(),
        },
        MountForm {
            volume_id: data.id.to_string(),
            mount_path: "/data".into(),
            read_only: "on".into(),
        },
    ];
    f.env = vec![
        EnvVarForm {
            name: "ZED".into(),
            value: "1".into(),
        },
        EnvVarForm {
            name: "ALPHA".into(),
            value: "$(ZED)/x".into(),
        },
    ];
    f.node_selector = vec![LabelForm {
        key: "kubernetes.io/arch".into(),
        value: "amd64".into(),
    }];
    f.allowed_groups = "physics, data-science".into();
    f.is_default = "on".into();
    let spec = f.validate().unwrap();
    let p = create(pool, &h, f).await.unwrap();
    assert_eq!(p.version, 1);
    assert_eq!(p.hub_id, h.id);
    assert_eq!(
        p.spec, spec,
        "stored profile differs from the submitted one"
    );
    assert_eq!(p.spec.env[0].name, "ZED", "env order is kept");
    assert_eq!(profiles::get(pool, p.id).await.unwrap(), p);
    assert_eq!(profiles::list(pool, h.id).await.unwrap(), vec![p.clone()]);
    assert_eq!(
        profiles::find_by_slug(pool, h.id, "data-science")
            .await
            .unwrap(),
        Some(p.clone())
    );

    // Update: drop a mount, change resources.
    let mut f2 = p.spec.to_form();
    f2.mounts.truncate(1);
    f2.mem_limit = "8G".into();
    let p2 = save(pool, &p, f2).await.unwrap();
    assert_eq!(p2.version, 2);
    assert_eq!(p2.spec.mounts.len(), 1);
    assert_eq!(p2.spec.mem_limit.as_ref().unwrap().bytes(), 8 * GIB);
    assert_eq!(count(pool, "profile_volume_mounts").await, 1);

    // Delete (stale first) removes the mounts with it.
    let e = write::delete::<Profile>(pool, &By::new(&actor(), &meta(), ""), p.id, 1)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::StaleWrite { .. }), "{e:?}");
    write::delete::<Profile>(pool, &By::new(&actor(), &meta(), ""), p.id, 2)
        .await
        .unwrap();
    assert_eq!(count(pool, "profiles").await, 0);
    assert_eq!(count(pool, "profile_volume_mounts").await, 0);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE target_type = 'profile' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["profile.create", "profile.update", "profile.delete"]
    );
}

#[tokio::test]
async fn unique_slug_per_hub_is_a_slug_field_error() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let other = hub(pool, "hub2", "jhub2").await;
    create(pool, &h, form("Data science", "data-science"))
        .await
        .unwrap();
    let (profiles_before, audits_before) = (
        count(pool, "profiles").await,
        count(pool, "audit_events").await,
    );
    let e = create(pool, &h, form("Data science 2", "data-science"))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "slug");
    assert!(e.to_string().contains("Data science"), "{e}");
    assert_eq!(count(pool, "profiles").await, profiles_before);
    assert_eq!(count(pool, "audit_events").await, audits_before);
    // The same slug in another hub is fine.
    create(pool, &other, form("Data science", "data-science"))
        .await
        .unwrap();
    // Renaming onto a taken slug is refused as well.
    let b = create(pool, &h, form("B", "b")).await.unwrap();
    let mut f = b.spec.to_form();
    f.slug = "data-science".into();
    assert_eq!(field_of(&save(pool, &b, f).await.unwrap_err()), "slug");
}

#[tokio::test]
async fn at_most_one_default_per_hub() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let other = hub(pool, "hub2", "jhub2").await;
    let mut a = form("A", "a");
    a.is_default = "on".into();
    let a = create(pool, &h, a).await.unwrap();
    let mut b = form("B", "b");
    b.is_default = "on".into();
    let e = create(pool, &h, b.clone()).await.unwrap_err();
    assert_eq!(field_of(&e), "is_default");
    assert!(e.to_string().contains("\"A\""), "{e}");
    // Another hub has its own default.
    create(pool, &other, b.clone()).await.unwrap();
    // Moving the default: untick A, then tick B.
    b.is_default = String::new();
    let b = create(pool, &h, b).await.unwrap();
    let mut fa = a.spec.to_form();
    fa.is_default = String::new();
    save(pool, &a, fa).await.unwrap();
    let mut fb = b.spec.to_form();
    fb.is_default = "on".into();
    let b = save(pool, &b, fb).await.unwrap();
    assert!(b.spec.is_default);
    let defaults: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM profiles WHERE hub_id = ? AND is_default = 1")
            .bind(h.id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(defaults, 1);
}

#[tokio::test]
async fn replacement_rules() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let other = hub(pool, "hub2", "jhub2").await;
    let old = create(pool, &h, form("Old image", "old")).await.unwrap();
    let new = create(pool, &h, form("New image", "new")).await.unwrap();
    let foreign = create(pool, &other, form("Elsewhere", "elsewhere"))
        .await
        .unwrap();

    let deprecate = |p: &Profile, by: i64| {
        let mut f = p.spec.to_form();
        f.deprecated = "on".into();
        f.replaced_by = by.to_string();
        f
    };
    // Not itself, not another hub's profile.
    let e = save(pool, &old, deprecate(&old, old.id)).await.unwrap_err();
    assert_eq!(field_of(&e), "replaced_by");
    let e = save(pool, &old, deprecate(&old, foreign.id))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "replaced_by");
    assert!(e.to_string().contains("not a profile of this hub"), "{e}");

    let old = save(pool, &old, deprecate(&old, new.id)).await.unwrap();
    assert_eq!(old.spec.replaced_by, Some(new.id));
    // No loop back.
    let e = save(pool, &new, deprecate(&new, old.id)).await.unwrap_err();
    assert_eq!(field_of(&e), "replaced_by");
    assert!(e.to_string().contains("loop"), "{e}");
    // The replacement cannot be deleted while it is one.
    let e = write::delete::<Profile>(pool, &By::new(&actor(), &meta(), ""), new.id, new.version)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "profile");
    assert!(e.to_string().contains("\"Old image\""), "{e}");
    // The database enforces the same-hub rule on its own too.
    let raw = sqlx::query("UPDATE profiles SET replaced_by = ? WHERE id = ?")
        .bind(foreign.id)
        .bind(new.id)
        .execute(pool)
        .await
        .unwrap_err();
    assert!(raw.to_string().contains("FOREIGN KEY"), "{raw}");
}

#[tokio::test]
async fn mounts_must_use_this_hubs_filesystem_volumes() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let other = hub(pool, "hub2", "jhub2").await;
    let foreign = volume(pool, &other, "theirs").await;
    let mut f = form("A", "a");
    f.mounts = vec![MountForm {
        volume_id: foreign.id.to_string(),
        mount_path: "/mnt".into(),
        read_only: String::new(),
    }];
    let e = create(pool, &h, f).await.unwrap_err();
    assert_eq!(field_of(&e), "mounts[0].volume_id");
    assert_eq!(count(pool, "profiles").await, 0);
    // The composite foreign key refuses a cross-hub mount even without the check.
    let p = create(pool, &h, form("B", "b")).await.unwrap();
    let raw = sqlx::query(
        "INSERT INTO profile_volume_mounts (profile_id, hub_id, volume_id, position, mount_path)
         VALUES (?, ?, ?, 0, '/mnt')",
    )
    .bind(p.id)
    .bind(h.id)
    .bind(foreign.id)
    .execute(pool)
    .await
    .unwrap_err();
    assert!(raw.to_string().contains("FOREIGN KEY"), "{raw}");
}

#[tokio::test]
async fn stale_update_returns_the_stored_values_and_writes_nothing() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let p = create(pool, &h, form("A", "a")).await.unwrap();
    let mut first = p.spec.to_form();
    first.cpu_limit = "4".into();
    let stored = save(pool, &p, first).await.unwrap();

    let (audits, mounts) = (
        count(pool, "audit_events").await,
        count(pool, "profile_volume_mounts").await,
    );
    let mut late = p.spec.to_form(); // still at version 1
    late.description = "mine".into();
    late.cpu_limit = "3".into();
    let e = save(pool, &p, late.clone()).await.unwrap_err();
    let AppError::StaleWrite { message, .. } = &e else {
        panic!("expected a stale write, got {e:?}");
    };
    assert!(
        message.contains("version 1") && message.contains("version 2"),
        "{message}"
    );
    assert_eq!(e.status(), http::StatusCode::CONFLICT);
    // Stored next to submitted, field by field.
    let theirs: Profile = e.stored().expect("stored profile");
    assert_eq!(theirs, stored);
    assert_eq!(theirs.spec.to_form().cpu_limit, "4");
    assert_eq!(late.cpu_limit, "3");
    // Nothing written.
    assert_eq!(profiles::get(pool, p.id).await.unwrap(), stored);
    assert_eq!(count(pool, "audit_events").await, audits);
    assert_eq!(count(pool, "profile_volume_mounts").await, mounts);
    // Retrying with the stored version works.
    let done = save(pool, &theirs, late).await.unwrap();
    assert_eq!(done.version, 3);
    assert_eq!(done.spec.description, "mine");
}

#[tokio::test]
async fn every_change_writes_one_audit_event_with_snapshots() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "data8-jupyterhub", "jhub").await;
    let base = count(pool, "audit_events").await;
    let p = create(pool, &h, form("A", "a")).await.unwrap();
    assert_eq!(count(pool, "audit_events").await, base + 1);
    let mut f = p.spec.to_form();
    f.mem_limit = "6G".into();
    save(pool, &p, f).await.unwrap();
    assert_eq!(count(pool, "audit_events").await, base + 2);
    let (name, before, after, diff): (String, String, String, String) = sqlx::query_as(
        "SELECT target_name, before_json, after_json, diff_json FROM audit_events
         WHERE action = 'profile.update'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(name, "data8-jupyterhub/a");
    assert!(before.contains("\"mem_limit\":\"4G\""), "{before}");
    assert!(after.contains("\"mem_limit\":\"6G\""), "{after}");
    let diff: serde_json::Value = serde_json::from_str(&diff).unwrap();
    assert_eq!(diff.as_array().map(Vec::len), Some(1), "{diff}");
    assert_eq!(diff[0]["field"], "mem_limit");
    // A refused change leaves no event.
    let e = create(pool, &h, form("A again", "a")).await.unwrap_err();
    assert_eq!(field_of(&e), "slug");
    assert_eq!(count(pool, "audit_events").await, base + 2);
}

/// 100 writers update the same profile at once, each re-reading on conflict: every update
/// lands exactly once and the version counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_updates_lose_nothing() {
    let db = db().await;
    let pool = db.pool.clone();
    let h = hub(&pool, "hub", "jhub").await;
    let p = create(&pool, &h, form("Counter", "counter")).await.unwrap();
    let audits = count(&pool, "audit_events").await;
    let conflicts = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..100 {
        let pool = pool.clone();
        let conflicts = conflicts.clone();
        let id = p.id;
        tasks.push(tokio::spawn(async move {
            let mut current = profiles::get(&pool, id).await.unwrap();
            loop {
                let mut f = current.spec.to_form();
                f.description.push_str(&format!(" t{i};"));
                let spec = f.validate().unwrap();
                match write::update::<Profile>(
                    &pool,
                    &By::new(&actor(), &meta(), "race"),
                    id,
                    current.version,
                    &spec,
                )
                .await
                {
                    Ok(_) => return,
                    Err(e @ AppError::StaleWrite { .. }) => {
                        conflicts.fetch_add(1, Ordering::Relaxed);
                        current = e.stored().expect("stored profile");
                    }
                    Err(e) => panic!("task {i}: {e:?}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let last = profiles::get(&pool, p.id).await.unwrap();
    assert_eq!(last.version, 101);
    for i in 0..100 {
        let marker = format!(" t{i};");
        assert_eq!(
            last.spec.description.matches(&marker).count(),
            1,
            "update {i} lost or doubled: {}",
            last.spec.description
        );
    }
    assert_eq!(count(&pool, "audit_events").await, audits + 100);
    eprintln!("conflicts retried: {}", conflicts.load(Ordering::Relaxed));
}

/// A GPU profile (extended resource, toleration, node affinity) is stored, read back equal,
/// and audited field by field; removing the toleration is one diff entry.
#[tokio::test]
async fn gpu_profile_roundtrips_and_is_audited() {
    use app::domain::scheduling::{AffinityForm, ExtraResourceForm, TolerationForm};
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let mut f = form("GPU", "gpu");
    f.extra_resources = vec![
        ExtraResourceForm {
            name: "nvidia.com/gpu".into(),
            limit: "2".into(),
            guarantee: "2".into(),
        },
        ExtraResourceForm {
            name: "ephemeral-storage".into(),
            limit: "20Gi".into(),
            guarantee: String::new(),
        },
    ];
    f.tolerations = vec![TolerationForm {
        key: "dedicated".into(),
        operator: "Equal".into(),
        value: "gpu".into(),
        effect: "NoExecute".into(),
        seconds: "600".into(),
    }];
    f.node_affinity = vec![AffinityForm {
        key: "gpu-memory".into(),
        operator: "Gt".into(),
        values: "40".into(),
    }];
    let p = create(pool, &h, f).await.unwrap();
    assert_eq!(profiles::get(pool, p.id).await.unwrap(), p);
    assert_eq!(p.spec.tolerations[0].seconds, Some(600));
    assert_eq!(
        p.spec
            .extra_resource_guarantees
            .get("nvidia.com/gpu")
            .map(String::as_str),
        Some("2")
    );
    let mut f2 = p.spec.to_form();
    f2.tolerations.clear();
    let p2 = save(pool, &p, f2).await.unwrap();
    assert!(p2.spec.tolerations.is_empty());
    let latest = &app::backend::audit::recent(pool, 1).await.unwrap()[0];
    let fields: Vec<&str> = latest.diff.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["tolerations"]);
}

/// Choices inside a profile and a preferred node-affinity rule are stored, read back equal,
/// audited field by field (one changed choice setting is one diff entry, named by option and
/// choice key), and a revert to the creation brings them back.
#[tokio::test]
async fn profile_choices_roundtrip_are_audited_by_field_and_revert() {
    use app::backend::revert;
    use app::domain::choices::{example_image_option, example_size_option};
    use app::domain::scheduling::PreferredForm;
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let mut f = form("Course", "course");
    let mut image = example_image_option();
    image.unlisted_image = "{value}".into();
    f.profile_options = vec![image, example_size_option()];
    f.node_affinity_preferred = vec![PreferredForm {
        weight: "20".into(),
        key: "node-pool".into(),
        operator: "In".into(),
        values: "large".into(),
    }];
    let p = create(pool, &h, f).await.unwrap();
    assert_eq!(profiles::get(pool, p.id).await.unwrap(), p);
    assert_eq!(p.spec.profile_options.len(), 2);
    assert_eq!(p.spec.node_affinity_preferred[0].weight, 20);
    let create_event: i64 =
        sqlx::query_scalar("SELECT id FROM audit_events WHERE action = 'profile.create'")
            .fetch_one(pool)
            .await
            .unwrap();

    let mut f2 = p.spec.to_form();
    f2.profile_options[1].choices[1].mem_limit = "32G".into();
    let p2 = save(pool, &p, f2).await.unwrap();
    let latest = &app::backend::audit::recent(pool, 1).await.unwrap()[0];
    let fields: Vec<&str> = latest.diff.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["profile_options[size].choices[large].mem_limit"]);
    assert_eq!(latest.diff[0].old, Some(serde_json::json!("16G")));
    assert_eq!(latest.diff[0].new, Some(serde_json::json!("32G")));

    let plan = revert::revert_plan(pool, create_event).await.unwrap();
    let fields: Vec<&str> = plan.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["profile_options[size].choices[large].mem_limit"]);
    revert::revert(pool, &actor(), &meta(), create_event, p2.version, "too big")
        .await
        .unwrap();
    let back = profiles::get(pool, p.id).await.unwrap();
    assert_eq!(back.spec, p.spec);
}
