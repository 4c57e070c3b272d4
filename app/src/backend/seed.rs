//! The first-run example: the hand-written Data 8 setup the portal replaces, as portal data.
//! Hub `data8-jupyterhub` in `kube-public`, the shared volume `claim-share`, and the default
//! profile "Data science".

use super::audit::{Actor, RequestMeta};
use super::db::internal;
use super::write::{self, By, begin_write};
use crate::domain::hub::{Hub, HubForm};
use crate::domain::profile::{MountForm, Profile, ProfileForm};
use crate::domain::volume::{SharedVolume, VolumeForm};
use crate::error::AppError;
use sqlx::SqlitePool;

pub const EXAMPLE_RELEASE: &str = "data8-jupyterhub";
pub const EXAMPLE_NAMESPACE: &str = "kube-public";

pub fn example_hub() -> HubForm {
    HubForm {
        release_name: EXAMPLE_RELEASE.into(),
        namespace: EXAMPLE_NAMESPACE.into(),
        chart_version: "4.4.0".into(),
        ingress_host: String::new(),
        driver: "job".into(),
        ..HubForm::default()
    }
}

pub fn example_volume() -> VolumeForm {
    VolumeForm {
        name: "claim-share".into(),
        pvc_name: "claim-share".into(),
        namespace: EXAMPLE_NAMESPACE.into(),
        size: "10Gi".into(),
        access_mode: "ReadWriteMany".into(),
        storage_class: "glusterfs".into(),
        volume_mode: "Filesystem".into(),
        create_pvc: "on".into(),
    }
}

/// The example profile; `volume_id` is the id of the `claim-share` volume.
pub fn example_profile(volume_id: i64) -> ProfileForm {
    ProfileForm {
        display_name: "Data science".into(),
        slug: "data-science".into(),
        description: "Python with scipy, numpy, pandas, matplotlib, seaborn and scikit-learn; the course data is shared under /mnt.".into(),
        image_name: "mydocker.registry.com/jupyterhub/k8s-singleuser".into(),
        image_tag: "v1".into(),
        image_pull_policy: "IfNotPresent".into(),
        image_pull_secret: String::new(),
        cpu_limit: "1.5".into(),
        cpu_guarantee: "0.5".into(),
        mem_limit: "3G".into(),
        mem_guarantee: "1G".into(),
        home_capacity: "5Gi".into(),
        home_storage_class: "glusterfs".into(),
        home_mount_path: "/home/jupyter".into(),
        mounts: vec![MountForm {
            volume_id: volume_id.to_string(),
            mount_path: "/mnt".into(),
            read_only: String::new(),
        }],
        env: vec![],
        node_selector: vec![],
        extra_resources: vec![],
        tolerations: vec![],
        node_affinity: vec![],
        node_affinity_preferred: vec![],
        profile_options: vec![],
        allowed_groups: String::new(),
        is_default: "on".into(),
        deprecated: String::new(),
        replaced_by: String::new(),
    }
}

/// Creates the example hub, volume and profile in one transaction, with audit events by the
/// system actor. Does nothing and returns `false` when the hub already exists (whatever its
/// contents), so it is safe to call on every start.
pub async fn seed_example(pool: &SqlitePool) -> Result<bool, AppError> {
    let actor = Actor::system("system");
    let meta = RequestMeta::default();
    let reason = "first run: example hub";
    let mut tx = begin_write(pool).await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM hubs WHERE namespace = ? AND release_name = ?")
            .bind(EXAMPLE_NAMESPACE)
            .bind(EXAMPLE_RELEASE)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    if exists.is_some() {
        return Ok(false);
    }
    let by = By::new(&actor, &meta, reason);
    let hub: Hub = write::create_on(&mut tx, &by, (), &example_hub().validate()?).await?;
    let volume_spec = example_volume().validate()?;
    let volume: SharedVolume = write::create_on(&mut tx, &by, hub.id, &volume_spec).await?;
    let profile_spec = example_profile(volume.id).validate()?;
    write::create_on::<Profile>(&mut tx, &by, hub.id, &profile_spec).await?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}
