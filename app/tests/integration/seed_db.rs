//! The first-run example: exact values, and idempotence.

use crate::common::*;
use app::backend::{hubs, profiles, seed, volumes};
use app::domain::hub::Driver;
use app::domain::profile::PullPolicy;
use app::domain::quantity::GIB;
use app::domain::volume::{AccessMode, VolumeMode};

#[tokio::test]
async fn seed_example_creates_the_data8_setup_once() {
    let db = db().await;
    let pool = &db.pool;
    assert!(seed::seed_example(pool).await.unwrap());

    let all = hubs::list(pool).await.unwrap();
    assert_eq!(all.len(), 1);
    let h = &all[0];
    assert_eq!(h.spec.release_name, "data8-jupyterhub");
    assert_eq!(h.spec.namespace, "kube-public");
    assert_eq!(h.spec.chart_version, "4.4.0");
    assert_eq!(h.spec.driver, Driver::Job);
    assert_eq!(h.spec.ingress_host, None);

    let vols = volumes::list(pool, h.id).await.unwrap();
    assert_eq!(vols.len(), 1);
    let v = &vols[0].spec;
    assert_eq!(v.name, "claim-share");
    assert_eq!(v.pvc_name, "claim-share");
    assert_eq!(v.namespace, "kube-public");
    assert_eq!(v.size.as_ref().map(|s| s.as_str()), Some("10Gi"));
    assert_eq!(v.size.as_ref().map(|s| s.bytes()), Some(10 * GIB));
    assert_eq!(v.access_mode, AccessMode::ReadWriteMany);
    assert_eq!(v.storage_class.as_deref(), Some("glusterfs"));
    assert_eq!(v.volume_mode, VolumeMode::Filesystem);
    assert!(v.create_pvc);

    let ps = profiles::list(pool, h.id).await.unwrap();
    assert_eq!(ps.len(), 1);
    let p = &ps[0].spec;
    assert_eq!(p.display_name, "Data science");
    assert_eq!(p.slug, "data-science");
    assert!(p.is_default);
    assert_eq!(p.replaced_by, None);
    assert_eq!(
        p.image.name,
        "mydocker.registry.com/jupyterhub/k8s-singleuser"
    );
    assert_eq!(p.image.tag, "v1");
    assert_eq!(
        p.image.reference(),
        "mydocker.registry.com/jupyterhub/k8s-singleuser:v1"
    );
    assert_eq!(p.image.pull_policy, PullPolicy::IfNotPresent);
    assert_eq!(p.mem_limit.as_ref().map(|m| m.as_str()), Some("3G"));
    assert_eq!(p.mem_limit.as_ref().map(|m| m.bytes()), Some(3 * GIB));
    assert_eq!(p.mem_guarantee.as_ref().map(|m| m.as_str()), Some("1G"));
    assert_eq!(p.mem_guarantee.as_ref().map(|m| m.bytes()), Some(GIB));
    assert_eq!(p.cpu_limit, Some(1.5));
    assert_eq!(p.cpu_guarantee, Some(0.5));
    assert_eq!(p.home.capacity.as_str(), "5Gi");
    assert_eq!(p.home.storage_class.as_deref(), Some("glusterfs"));
    assert_eq!(p.home.mount_path, "/home/jupyter");
    assert_eq!(p.mounts.len(), 1);
    assert_eq!(p.mounts[0].volume_id, vols[0].id);
    assert_eq!(p.mounts[0].mount_path, "/mnt");
    assert!(!p.mounts[0].read_only);
    assert!(p.allowed_groups.is_empty());
    assert!(p.env.is_empty());
    assert!(p.node_selector.is_empty());

    // One audit event per created record, by the system.
    assert_eq!(count(pool, "audit_events").await, 3);
    let actors: Vec<String> = sqlx::query_scalar("SELECT DISTINCT actor FROM audit_events")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(actors, ["system"]);

    // Second run: nothing happens.
    assert!(!seed::seed_example(pool).await.unwrap());
    assert_eq!(count(pool, "hubs").await, 1);
    assert_eq!(count(pool, "shared_volumes").await, 1);
    assert_eq!(count(pool, "profiles").await, 1);
    assert_eq!(count(pool, "audit_events").await, 3);
}

#[tokio::test]
async fn seed_example_leaves_an_edited_or_emptied_hub_alone() {
    let db = db().await;
    let pool = &db.pool;
    // The administrator created the hub already (and nothing else): seeding does nothing.
    hub(pool, "data8-jupyterhub", "kube-public").await;
    assert!(!seed::seed_example(pool).await.unwrap());
    assert_eq!(count(pool, "profiles").await, 0);
    assert_eq!(count(pool, "shared_volumes").await, 0);
}

#[tokio::test]
async fn concurrent_seeding_creates_one_example() {
    let db = db().await;
    let pool = db.pool.clone();
    let runs: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { seed::seed_example(&pool).await.unwrap() })
        })
        .collect();
    let mut created = 0;
    for r in runs {
        if r.await.unwrap() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(count(&pool, "hubs").await, 1);
    assert_eq!(count(&pool, "profiles").await, 1);
}
