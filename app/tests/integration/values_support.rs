//! Shared helpers of the values tests: a migrated SQLite file, and in-memory hubs, profiles
//! and volumes built through the domain's own form validation.
#![allow(dead_code)]

use app::backend::db;
use app::domain::choices::{ChoiceForm, OptionForm, example_image_option, example_size_option};
use app::domain::hub::{Hub, HubForm};
use app::domain::profile::{EnvVarForm, LabelForm, MountForm, Profile, ProfileForm};
use app::domain::scheduling::{AffinityForm, ExtraResourceForm, PreferredForm, TolerationForm};
use app::domain::volume::{SharedVolume, VolumeForm};
use sqlx::SqlitePool;

pub async fn database() -> (tempfile::TempDir, SqlitePool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let pool = db::connect(&url).await.expect("connect");
    db::migrate(&pool).await.expect("migrate");
    (dir, pool)
}

pub fn hub(id: i64, release: &str, namespace: &str, host: &str) -> Hub {
    Hub {
        id,
        version: 1,
        created_at: "2026-01-01T00:00:00.000Z".into(),
        updated_at: "2026-01-01T00:00:00.000Z".into(),
        spec: HubForm {
            release_name: release.into(),
            namespace: namespace.into(),
            chart_version: "4.4.0".into(),
            ingress_host: host.into(),
            driver: "job".into(),
            ..HubForm::default()
        }
        .validate()
        .expect("valid hub"),
    }
}

pub fn volume(id: i64, hub: &Hub, pvc: &str) -> SharedVolume {
    SharedVolume {
        id,
        hub_id: hub.id,
        version: 1,
        created_at: String::new(),
        updated_at: String::new(),
        spec: VolumeForm {
            name: pvc.into(),
            pvc_name: pvc.into(),
            namespace: hub.spec.namespace.clone(),
            size: "10Gi".into(),
            access_mode: "ReadWriteMany".into(),
            storage_class: String::new(),
            volume_mode: "Filesystem".into(),
            create_pvc: "on".into(),
        }
        .validate()
        .expect("valid volume"),
    }
}

/// A valid profile form; adjust fields with struct update syntax.
pub fn form(name: &str, slug: &str) -> ProfileForm {
    ProfileForm {
        display_name: name.into(),
        slug: slug.into(),
        description: String::new(),
        image_name: "quay.io/jupyter/scipy-notebook".into(),
        image_tag: "2024-05-01".into(),
        image_pull_policy: "IfNotPresent".into(),
        image_pull_secret: String::new(),
        cpu_limit: "2".into(),
        cpu_guarantee: "0.5".into(),
        mem_limit: "4G".into(),
        mem_guarantee: "1G".into(),
        home_capacity: "10Gi".into(),
        home_storage_class: String::new(),
        home_mount_path: "/home/jovyan".into(),
        mounts: vec![],
        env: vec![],
        node_selector: vec![],
        extra_resources: vec![],
        tolerations: vec![],
        node_affinity: vec![],
        node_affinity_preferred: vec![],
        profile_options: vec![],
        allowed_groups: String::new(),
        is_default: String::new(),
        deprecated: String::new(),
        replaced_by: String::new(),
    }
}

pub fn profile(id: i64, hub: &Hub, f: ProfileForm) -> Profile {
    Profile {
        id,
        hub_id: hub.id,
        version: 1,
        created_at: String::new(),
        updated_at: String::new(),
        spec: f.validate().expect("valid profile"),
    }
}

pub fn mount(volume_id: i64, path: &str) -> MountForm {
    MountForm {
        volume_id: volume_id.to_string(),
        mount_path: path.into(),
        read_only: String::new(),
    }
}

pub fn env(name: &str, value: &str) -> EnvVarForm {
    EnvVarForm {
        name: name.into(),
        value: value.into(),
    }
}

pub fn label(key: &str, value: &str) -> LabelForm {
    LabelForm {
        key: key.into(),
        value: value.into(),
    }
}

/// A hub with three profiles (default with a shared volume and env; a GPU one for a group
/// with a node selector; a deprecated one replaced by the default) and two volumes.
pub fn sample() -> (Hub, Vec<Profile>, Vec<SharedVolume>) {
    let h = hub(1, "physics-hub", "jhub", "hub.example.org");
    let vols = vec![
        volume(10, &h, "course-data"),
        volume(11, &h, "scratch.shared"),
    ];
    let profiles = vec![
        profile(
            1,
            &h,
            ProfileForm {
                is_default: "on".into(),
                description: "The course environment.".into(),
                mounts: vec![mount(10, "/mnt/data")],
                env: vec![env("COURSE", "physics-101"), env("DATA", "/mnt/data")],
                ..form("Standard", "standard")
            },
        ),
        profile(
            2,
            &h,
            ProfileForm {
                image_name: "nvcr.io/nvidia/pytorch".into(),
                image_tag: "24.05-py3".into(),
                cpu_limit: "8".into(),
                cpu_guarantee: String::new(),
                mem_limit: "32G".into(),
                mem_guarantee: String::new(),
                home_mount_path: "/home/researcher".into(),
                mounts: vec![mount(11, "/scratch"), mount(10, "/mnt/data")],
                node_selector: vec![label("nvidia.com/gpu.present", "true")],
                allowed_groups: "gpu-users".into(),
                image_pull_secret: "nvcr-pull".into(),
                ..form("GPU", "gpu")
            },
        ),
        profile(
            3,
            &h,
            ProfileForm {
                deprecated: "on".into(),
                replaced_by: "1".into(),
                ..form("Old standard", "old-standard")
            },
        ),
    ];
    (h, profiles, vols)
}

/// A hub that sets every lifetime setting (culling, timeouts, limits) with one profile.
pub fn lifetime_sample() -> (Hub, Vec<Profile>, Vec<SharedVolume>) {
    let mut h = hub(2, "ml-hub", "ml", "");
    h.spec = HubForm {
        cull_enabled: "on".into(),
        cull_users: "off".into(),
        cull_timeout: "7200".into(),
        cull_every: "600".into(),
        cull_max_age: "86400".into(),
        start_timeout: "900".into(),
        http_timeout: "120".into(),
        concurrent_spawn_limit: "10".into(),
        active_server_limit: "40".into(),
        ..h.spec.to_form()
    }
    .validate()
    .expect("valid hub");
    let profiles = vec![
        profile(
            20,
            &h,
            ProfileForm {
                is_default: "on".into(),
                ..form("CPU", "cpu")
            },
        ),
        profile(21, &h, gpu_form()),
    ];
    (h, profiles, vec![])
}

/// A GPU profile: one NVIDIA GPU, the GPU nodes' taint tolerated, A100 or H100 nodes only.
pub fn gpu_form() -> ProfileForm {
    ProfileForm {
        image_name: "quay.io/jupyter/pytorch-notebook".into(),
        image_tag: "cuda12-2024-05-01".into(),
        cpu_limit: "8".into(),
        mem_limit: "32G".into(),
        mem_guarantee: "16G".into(),
        extra_resources: vec![ExtraResourceForm {
            name: "nvidia.com/gpu".into(),
            limit: "1".into(),
            guarantee: String::new(),
        }],
        tolerations: vec![TolerationForm {
            key: "nvidia.com/gpu".into(),
            operator: "Exists".into(),
            value: String::new(),
            effect: "NoSchedule".into(),
            seconds: String::new(),
        }],
        node_affinity: vec![AffinityForm {
            key: "nvidia.com/gpu.product".into(),
            operator: "In".into(),
            values: "NVIDIA-A100-SXM4-80GB, NVIDIA-H100-80GB-HBM3".into(),
        }],
        ..form("GPU (1 × A100 or H100)", "gpu")
    }
}

/// A hub whose default profile offers image and size choices plus a free-form image and
/// prefers large nodes, and a GPU profile (toleration, 1 or 2 GPUs to choose).
pub fn choices_sample() -> (Hub, Vec<Profile>, Vec<SharedVolume>) {
    let h = hub(4, "course-hub", "courses", "");
    let profiles = vec![
        profile(
            40,
            &h,
            ProfileForm {
                is_default: "on".into(),
                description: "Pick an image and a size when you start.".into(),
                profile_options: vec![example_image_option(), example_size_option()],
                node_affinity_preferred: vec![PreferredForm {
                    weight: "50".into(),
                    key: "node-pool".into(),
                    operator: "In".into(),
                    values: "large".into(),
                }],
                ..form("Course", "course")
            },
        ),
        profile(
            41,
            &h,
            ProfileForm {
                profile_options: vec![OptionForm {
                    key: "gpus".into(),
                    display_name: "GPUs".into(),
                    choices: vec![
                        ChoiceForm::new("one", "One GPU", true),
                        ChoiceForm {
                            extra_resources: "nvidia.com/gpu=2".into(),
                            mem_limit: "64G".into(),
                            ..ChoiceForm::new("two", "Two GPUs", false)
                        },
                    ],
                    ..OptionForm::default()
                }],
                ..gpu_form()
            },
        ),
    ];
    (h, profiles, vec![])
}
