//! Hubs and shared volumes against a real SQLite database: CRUD, field errors from cross-row
//! rules, stale versions, and one audit event per change.

use crate::common::*;
use app::backend::write::{self, By};
use app::backend::{hubs, volumes};
use app::domain::hub::{Driver, Hub};
use app::domain::profile::{MountForm, Profile, ProfileForm};
use app::domain::volume::{SharedVolume, VolumeMode};
use app::error::AppError;

fn profile_form(name: &str, slug: &str, mounts: &[(i64, &str)]) -> ProfileForm {
    ProfileForm {
        display_name: name.into(),
        slug: slug.into(),
        image_name: "quay.io/jupyter/scipy-notebook".into(),
        image_tag: "2024-05-01".into(),
        home_capacity: "5Gi".into(),
        mounts: mounts
            .iter()
            .map(|(id, path)| MountForm {
                volume_id: id.to_string(),
                mount_path: (*path).into(),
                read_only: String::new(),
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn hub_crud_with_audit_and_versions() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "data8-jupyterhub", "kube-public").await;
    assert_eq!(h.version, 1);
    assert_eq!(h.spec.chart_version, "4.4.0");
    assert_eq!(h.spec.driver, Driver::Job);
    assert_eq!(count(pool, "audit_events").await, 1);
    assert_eq!(hubs::get(pool, h.id).await.unwrap(), h);
    assert_eq!(hubs::list(pool).await.unwrap(), vec![h.clone()]);
    assert_eq!(
        hubs::find(pool, "kube-public", "data8-jupyterhub")
            .await
            .unwrap(),
        Some(h.clone())
    );

    // Same release name in the same namespace: a field error, nothing written.
    let dup = hub_form("data8-jupyterhub", "kube-public")
        .validate()
        .unwrap();
    let e = write::create::<Hub>(pool, &By::new(&actor(), &meta(), ""), (), &dup)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "release_name");
    assert_eq!(count(pool, "hubs").await, 1);
    assert_eq!(count(pool, "audit_events").await, 1);
    // ... in another namespace it is another release.
    let other = hub(pool, "data8-jupyterhub", "staging").await;

    // Update.
    let mut form = h.spec.to_form();
    form.driver = "flux".into();
    form.ingress_host = "hub.example.org".into();
    let updated = write::update::<Hub>(
        pool,
        &By::new(&actor(), &meta(), "flux"),
        h.id,
        1,
        &form.validate().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.spec.driver, Driver::Flux);
    assert_eq!(
        updated.spec.ingress_host.as_deref(),
        Some("hub.example.org")
    );
    let (before, after, diff): (String, String, String) = sqlx::query_as(
        "SELECT before_json, after_json, diff_json FROM audit_events
         WHERE action = 'hub.update' AND target_id = ?",
    )
    .bind(h.id.to_string())
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(before.contains("\"driver\":\"job\""), "{before}");
    assert!(after.contains("\"driver\":\"flux\""), "{after}");
    assert!(diff.contains("ingress_host"), "{diff}");

    // Renaming onto the other hub's release in its namespace is refused.
    let mut clash = updated.spec.to_form();
    clash.namespace = "staging".into();
    let e = write::update::<Hub>(
        pool,
        &By::new(&actor(), &meta(), ""),
        h.id,
        2,
        &clash.validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), "release_name");

    // Stale update: conflict with the stored hub, nothing written.
    let audits = count(pool, "audit_events").await;
    let mut stale_form = h.spec.to_form();
    stale_form.chart_version = "4.3.0".into();
    let e = write::update::<Hub>(
        pool,
        &By::new(&actor(), &meta(), ""),
        h.id,
        1,
        &stale_form.validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::StaleWrite { .. }), "{e:?}");
    assert_eq!(e.status(), http::StatusCode::CONFLICT);
    assert_eq!(e.stored::<Hub>(), Some(updated.clone()));
    assert_eq!(hubs::get(pool, h.id).await.unwrap(), updated);
    assert_eq!(count(pool, "audit_events").await, audits);

    // Delete: stale first, then for real.
    let e = write::delete::<Hub>(pool, &By::new(&actor(), &meta(), ""), other.id, 7)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::StaleWrite { .. }), "{e:?}");
    write::delete::<Hub>(pool, &By::new(&actor(), &meta(), "cleanup"), other.id, 1)
        .await
        .unwrap();
    assert!(matches!(
        hubs::get(pool, other.id).await,
        Err(AppError::NotFound(_))
    ));
    let deletes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'hub.delete'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(deletes, 1);
}

#[tokio::test]
async fn hub_with_contents_cannot_be_deleted_or_moved() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let v = volume(pool, &h, "share").await;
    let e = write::delete::<Hub>(pool, &By::new(&actor(), &meta(), ""), h.id, 1)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "hub");
    assert!(e.to_string().contains("1 shared volume"), "{e}");
    let mut moved = h.spec.to_form();
    moved.namespace = "elsewhere".into();
    let e = write::update::<Hub>(
        pool,
        &By::new(&actor(), &meta(), ""),
        h.id,
        1,
        &moved.validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), "namespace");
    assert!(e.to_string().contains("\"share\""), "{e}");
    write::delete::<SharedVolume>(pool, &By::new(&actor(), &meta(), ""), v.id, 1)
        .await
        .unwrap();
    write::delete::<Hub>(pool, &By::new(&actor(), &meta(), ""), h.id, 1)
        .await
        .unwrap();
    assert_eq!(count(pool, "hubs").await, 0);
}

#[tokio::test]
async fn volume_crud_and_rules() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let other_hub = hub(pool, "hub2", "jhub2").await;
    let v = volume(pool, &h, "claim-share").await;
    assert_eq!(v.version, 1);
    assert_eq!(v.spec.size.as_ref().unwrap().as_str(), "10Gi");
    assert_eq!(volumes::get(pool, v.id).await.unwrap(), v);
    assert_eq!(volumes::list(pool, h.id).await.unwrap(), vec![v.clone()]);
    assert!(volumes::list(pool, other_hub.id).await.unwrap().is_empty());

    // Namespace must be the hub's.
    let wrong_ns = volume_form("other", "default").validate().unwrap();
    let e = write::create::<SharedVolume>(pool, &By::new(&actor(), &meta(), ""), h.id, &wrong_ns)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "namespace");
    assert!(e.to_string().contains("jhub"), "{e}");

    // Same name / same claim in the hub.
    let mut same = volume_form("claim-share", "jhub");
    same.pvc_name = "another-claim".into();
    let e = write::create::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), ""),
        h.id,
        &same.validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), "name");
    let mut same_pvc = volume_form("Course data", "jhub");
    same_pvc.pvc_name = "claim-share".into();
    let e = write::create::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), ""),
        h.id,
        &same_pvc.validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), "pvc_name");
    assert!(e.to_string().contains("\"claim-share\""), "{e}");
    // ... but another hub may use the same names.
    volume(pool, &other_hub, "claim-share").await;

    // Unknown hub.
    let e = write::create::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), ""),
        999,
        &volume_form("x", "jhub").validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");

    // Update and stale update.
    let mut f = v.spec.to_form();
    f.size = "20Gi".into();
    f.access_mode = "ReadOnlyMany".into();
    let v2 = write::update::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), "grow"),
        v.id,
        1,
        &f.validate().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.spec.size.as_ref().unwrap().as_str(), "20Gi");
    let e = write::update::<SharedVolume>(pool, &By::new(&actor(), &meta(), ""), v.id, 1, &v.spec)
        .await
        .unwrap_err();
    assert_eq!(e.stored::<SharedVolume>(), Some(v2.clone()));
    assert_eq!(volumes::get(pool, v.id).await.unwrap(), v2);

    // Audit: 2 hubs and 2 volumes created, 1 volume updated; refused writes left none.
    assert_eq!(count(pool, "audit_events").await, 5);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE target_type = 'volume' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(actions, ["volume.create", "volume.create", "volume.update"]);
}

#[tokio::test]
async fn a_mounted_volume_cannot_be_deleted() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "hub", "jhub").await;
    let v = volume(pool, &h, "claim-share").await;
    let a = write::create::<Profile>(
        pool,
        &By::new(&actor(), &meta(), ""),
        h.id,
        &profile_form("Data science", "data-science", &[(v.id, "/mnt")])
            .validate()
            .unwrap(),
    )
    .await
    .unwrap();
    let b = write::create::<Profile>(
        pool,
        &By::new(&actor(), &meta(), ""),
        h.id,
        &profile_form("Astronomy", "astro", &[(v.id, "/data")])
            .validate()
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        volumes::mounted_by(pool, v.id).await.unwrap(),
        ["Astronomy", "Data science"]
    );
    let audits = count(pool, "audit_events").await;
    let e = write::delete::<SharedVolume>(pool, &By::new(&actor(), &meta(), ""), v.id, 1)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "volume");
    let msg = e.field_errors().unwrap().get("volume").unwrap().to_string();
    assert!(msg.contains("\"Astronomy\" and \"Data science\""), "{msg}");
    assert_eq!(count(pool, "shared_volumes").await, 1);
    assert_eq!(count(pool, "audit_events").await, audits);

    // The database refuses it too.
    let raw = sqlx::query("DELETE FROM shared_volumes WHERE id = ?")
        .bind(v.id)
        .execute(pool)
        .await
        .unwrap_err();
    assert!(raw.to_string().contains("FOREIGN KEY"), "{raw}");

    // Block mode or ReadOnlyMany would break the mounts: refused with the profiles named.
    let mut block = v.spec.to_form();
    block.volume_mode = "Block".into();
    let e = write::update::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), ""),
        v.id,
        1,
        &block.validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), "volume_mode");
    let mut rox = v.spec.to_form();
    rox.access_mode = "ReadOnlyMany".into();
    let e = write::update::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), ""),
        v.id,
        1,
        &rox.validate().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), "access_mode");
    assert!(e.to_string().contains("Astronomy"), "{e}");
    assert_eq!(
        volumes::get(pool, v.id).await.unwrap().spec.volume_mode,
        VolumeMode::Filesystem
    );

    // Once no profile mounts it, it can go.
    for p in [a, b] {
        let mut f = p.spec.to_form();
        f.mounts.clear();
        write::update::<Profile>(
            pool,
            &By::new(&actor(), &meta(), ""),
            p.id,
            p.version,
            &f.validate().unwrap(),
        )
        .await
        .unwrap();
    }
    write::delete::<SharedVolume>(
        pool,
        &By::new(&actor(), &meta(), "no longer needed"),
        v.id,
        1,
    )
    .await
    .unwrap();
    assert_eq!(count(pool, "shared_volumes").await, 0);
}

/// Reverting a hub's audit entry restores its values as a new version, audited like any
/// edit; a revert against an old version is refused and writes nothing.
#[tokio::test]
async fn hub_entries_are_revertible() {
    use app::backend::revert;
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "data8-jupyterhub", "kube-public").await;
    let mut changed = h.spec.clone();
    changed.chart_version = "4.5.0".into();
    changed.ingress_host = Some("hub.example.org".into());
    let h2 = write::update::<Hub>(
        pool,
        &By::new(&actor(), &meta(), "upgrade"),
        h.id,
        1,
        &changed,
    )
    .await
    .unwrap();
    assert_eq!(h2.version, 2);
    let create_event: i64 =
        sqlx::query_scalar("SELECT id FROM audit_events WHERE action = 'hub.create'")
            .fetch_one(pool)
            .await
            .unwrap();

    let plan = revert::revert_plan(pool, create_event).await.unwrap();
    assert_eq!(plan.current_version, 2);
    let fields: Vec<&str> = plan.changes.iter().map(|c| c.field.as_str()).collect();
    assert!(fields.contains(&"chart_version"), "{fields:?}");
    assert!(fields.contains(&"ingress_host"), "{fields:?}");

    // Someone saved in between: the revert is stale and nothing is written.
    let events = count(pool, "audit_events").await;
    let e = revert::revert(pool, &actor(), &meta(), create_event, 1, "")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::StaleWrite { .. }), "{e:?}");
    assert_eq!(count(pool, "audit_events").await, events);
    assert_eq!(hubs::get(pool, h.id).await.unwrap(), h2);

    let v = revert::revert(pool, &actor(), &meta(), create_event, 2, "bad upgrade")
        .await
        .unwrap();
    assert_eq!(v, 3);
    let back = hubs::get(pool, h.id).await.unwrap();
    assert_eq!(back.version, 3);
    assert_eq!(back.spec, h.spec);
    let (action, reason): (String, String) =
        sqlx::query_as("SELECT action, reason FROM audit_events ORDER BY id DESC LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(action, "hub.update");
    assert!(
        reason.contains(&format!("audit entry #{create_event}")),
        "{reason}"
    );
    assert!(reason.contains("bad upgrade"), "{reason}");
    assert_eq!(count(pool, "audit_events").await, events + 1);

    // The values' own entries on a hub hold no hub values: not revertible.
    let summary = app::domain::audit::AuditEvent {
        id: 0,
        occurred_at: String::new(),
        actor: String::new(),
        action: "values.version".into(),
        target_type: "hub".into(),
        target_id: h.id.to_string(),
        target_name: String::new(),
        diff: vec![],
        reason: String::new(),
        request_id: String::new(),
        client_request_id: String::new(),
        client_addr: String::new(),
    };
    assert!(!revert::is_revertible(&summary, true));
}

/// The lifetime of servers is stored (NULL = chart default), read back, and audited field by
/// field through the shared write path; a hub created before it existed reads as defaults.
#[tokio::test]
async fn hub_lifetime_is_stored_and_audited_per_field() {
    let db = db().await;
    let pool = &db.pool;
    let h = hub(pool, "data8-jupyterhub", "kube-public").await;
    assert!(h.spec.lifetime.is_default());
    let mut form = h.spec.to_form();
    form.cull_timeout = "7200".into();
    form.cull_enabled = "off".into();
    form.active_server_limit = "50".into();
    let updated = write::update::<Hub>(
        pool,
        &By::new(&actor(), &meta(), "longer idle time"),
        h.id,
        1,
        &form.validate().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(updated.spec.lifetime.cull_timeout, Some(7200));
    assert_eq!(updated.spec.lifetime.cull_enabled, Some(false));
    assert_eq!(updated.spec.lifetime.active_server_limit, Some(50));
    assert_eq!(updated.spec.lifetime.start_timeout, None);
    assert_eq!(hubs::get(pool, h.id).await.unwrap(), updated);
    let latest = &app::backend::audit::recent(pool, 1).await.unwrap()[0];
    assert_eq!(latest.action, "hub.update");
    let fields: Vec<&str> = latest.diff.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "lifetime.active_server_limit",
            "lifetime.cull_enabled",
            "lifetime.cull_timeout"
        ]
    );
    // The database refuses what the form would: a backstop for writes that bypass it.
    let e = sqlx::query("UPDATE hubs SET cull_timeout = 0 WHERE id = ?")
        .bind(h.id)
        .execute(pool)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("CHECK"), "{e}");
}
