//! Shared set-up of the SQLite integration tests: a migrated database in a temp directory.

#![allow(dead_code)]

use app::backend::audit::{Actor, RequestMeta};
use app::backend::db;
use app::backend::write::{self, By};
use app::domain::hub::{Hub, HubForm};
use app::domain::volume::{SharedVolume, VolumeForm};
use sqlx::SqlitePool;

pub struct Db {
    pub pool: SqlitePool,
    // Kept alive for the test's duration; the directory is removed on drop.
    _dir: tempfile::TempDir,
}

pub async fn db() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("hubfleet.db").display());
    let pool = db::connect(&url).await.expect("connect");
    db::migrate(&pool).await.expect("migrate");
    Db { pool, _dir: dir }
}

pub fn actor() -> Actor {
    Actor {
        id: None,
        name: "tester".into(),
    }
}

pub fn meta() -> RequestMeta {
    RequestMeta {
        request_id: "test".into(),
        client_request_id: String::new(),
        client_addr: "127.0.0.1".into(),
    }
}

pub async fn count(pool: &SqlitePool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .expect("count")
}

pub fn hub_form(release: &str, namespace: &str) -> HubForm {
    HubForm {
        release_name: release.into(),
        namespace: namespace.into(),
        chart_version: String::new(),
        ingress_host: String::new(),
        driver: "job".into(),
        ..HubForm::default()
    }
}

pub async fn hub(pool: &SqlitePool, release: &str, namespace: &str) -> Hub {
    let spec = hub_form(release, namespace).validate().expect("valid hub");
    write::create::<Hub>(pool, &By::new(&actor(), &meta(), "test"), (), &spec)
        .await
        .expect("create hub")
}

pub fn volume_form(name: &str, namespace: &str) -> VolumeForm {
    VolumeForm {
        name: name.into(),
        pvc_name: name.into(),
        namespace: namespace.into(),
        size: "10Gi".into(),
        access_mode: "ReadWriteMany".into(),
        storage_class: "glusterfs".into(),
        volume_mode: "Filesystem".into(),
        create_pvc: "on".into(),
    }
}

pub async fn volume(pool: &SqlitePool, hub: &Hub, name: &str) -> SharedVolume {
    let spec = volume_form(name, &hub.spec.namespace)
        .validate()
        .expect("valid volume");
    write::create::<SharedVolume>(pool, &By::new(&actor(), &meta(), "test"), hub.id, &spec)
        .await
        .expect("create volume")
}

/// The first field error's field name, or a description of the error when it is not one.
pub fn field_of(e: &app::error::AppError) -> String {
    match e.field_errors() {
        Some(f) => f.0.first().map(|x| x.field.clone()).unwrap_or_default(),
        None => format!("not a field error: {e:?}"),
    }
}
