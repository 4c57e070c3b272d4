use super::*;
use crate::domain::extra_values::parse_extra_values;
use crate::domain::hub::Hub;
use crate::domain::profile::check_siblings;
use crate::values::{ValuesInput, generate};
use serde_json::json;

/// The original hand-written config.yaml of the Data 8 setup (shared/reference/z2jh.md).
pub fn data8_config() -> Value {
    json!({
        "singleuser": {
            "image": {"name": "mydocker.registry.com/jupyterhub/k8s-singleuser", "tag": "v1"},
            "memory": {"limit": "3G", "guarantee": "1G"},
            "cpu": {"limit": 1.5, "guarantee": 0.5},
            "storage": {
                "homeMountPath": "/home/jupyter",
                "capacity": "5G",
                "dynamic": {"storageClass": "glusterfs"},
                "extraVolumes": [{"name": "volume-share", "persistentVolumeClaim": {"claimName": "claim-share"}}],
                "extraVolumeMounts": [{"name": "volume-share", "mountPath": "/mnt"}]
            }
        }
    })
}

fn input<'a>(config: &'a Value, claims: &'a [ExistingClaim]) -> ImportInput<'a> {
    ImportInput {
        release_name: "data8-jupyterhub",
        namespace: "kube-public",
        chart_version: "4.4.0",
        revision: 3,
        config,
        claims,
    }
}

/// The records the forms would become, with ids from 1 (hub 1).
fn records(i: &Imported) -> (Hub, Vec<SharedVolume>, Vec<Profile>) {
    let hub = Hub {
        id: 1,
        version: 1,
        created_at: String::new(),
        updated_at: String::new(),
        spec: i.hub.validate().expect("the hub validates"),
    };
    let volumes = i
        .volumes
        .iter()
        .enumerate()
        .map(|(n, v)| SharedVolume {
            id: n as i64 + 1,
            hub_id: 1,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec: v.validate().expect("the volume validates"),
        })
        .collect();
    let profiles = i
        .profiles
        .iter()
        .enumerate()
        .map(|(n, p)| Profile {
            id: n as i64 + 1,
            hub_id: 1,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec: p.validate().expect("the profile validates"),
        })
        .collect();
    (hub, volumes, profiles)
}

fn assert_all_valid(i: &Imported) {
    let (_, volumes, profiles) = records(i);
    for p in &profiles {
        check_siblings(Some(p.id), &p.spec, &profiles).expect("siblings agree");
        check_mounts(&p.spec, &volumes).expect("mounts agree");
    }
}

#[test]
fn data8_becomes_a_default_profile_and_a_shared_volume() {
    let config = data8_config();
    let i = import_release(&input(&config, &[])).unwrap();
    assert_all_valid(&i);
    assert_eq!(i.hub.release_name, "data8-jupyterhub");
    assert_eq!(i.hub.namespace, "kube-public");
    assert_eq!(i.hub.chart_version, "4.4.0");
    assert_eq!(i.hub.driver, "job");
    assert_eq!(i.hub.extra_values, "", "nothing is left: {:?}", i.kept);
    assert_eq!(i.volumes.len(), 1);
    let v = &i.volumes[0];
    assert_eq!(
        (v.pvc_name.as_str(), v.namespace.as_str()),
        ("claim-share", "kube-public")
    );
    assert_eq!(v.create_pvc, "", "an existing claim");
    assert_eq!(i.profiles.len(), 1);
    let p = &i.profiles[0];
    assert_eq!(
        p.image_name,
        "mydocker.registry.com/jupyterhub/k8s-singleuser"
    );
    assert_eq!(p.image_tag, "v1");
    assert_eq!(
        (p.cpu_limit.as_str(), p.cpu_guarantee.as_str()),
        ("1.5", "0.5")
    );
    assert_eq!(
        (p.mem_limit.as_str(), p.mem_guarantee.as_str()),
        ("3G", "1G")
    );
    assert_eq!(p.home_capacity, "5G");
    assert_eq!(p.home_storage_class, "glusterfs");
    assert_eq!(p.home_mount_path, "/home/jupyter");
    assert_eq!(p.mounts.len(), 1);
    assert_eq!(
        (
            p.mounts[0].volume_id.as_str(),
            p.mounts[0].mount_path.as_str()
        ),
        ("1", "/mnt")
    );
    assert_eq!(p.is_default, "on");
    assert!(
        i.imported.iter().any(|n| n.contains("claim-share")),
        "{:?}",
        i.imported
    );
    assert!(i.dropped.is_empty(), "{:?}", i.dropped);
}

#[test]
fn known_claims_fill_in_the_volume() {
    let config = data8_config();
    let claims = [ExistingClaim {
        name: "claim-share".into(),
        size: Some("10G".into()),
        access_mode: Some("ReadWriteMany".into()),
        storage_class: Some("glusterfs".into()),
        volume_mode: Some("Filesystem".into()),
    }];
    let i = import_release(&input(&config, &claims)).unwrap();
    assert_eq!(i.volumes[0].size, "10G");
    assert_eq!(i.volumes[0].storage_class, "glusterfs");
    assert_all_valid(&i);
}

#[test]
fn the_rest_is_kept_as_extra_values_and_hubfleet_parts_are_not() {
    let mut config = data8_config();
    config["proxy"] = json!({"https": {"enabled": true, "hosts": ["hub.example.org"], "letsencrypt": {"contactEmail": "a@example.org"}}});
    config["hub"] = json!({
        "config": {"GitHubOAuthenticator": {"client_id": "x"}, "KubeSpawner": {"http_timeout": 60}},
        "extraConfig": {"hubfleet-profile-list": "print()", "mine": "c.X = 1"},
        "extraEnv": {"HUBFLEET_URL": "http://p", "HUBFLEET_HUB": "ns/r", "OTHER": "1"},
        "concurrentSpawnLimit": 20
    });
    config["singleuser"]["defaultUrl"] = json!("/lab");
    config["singleuser"]["startTimeout"] = json!(600);
    config["singleuser"]["extraEnv"] = json!({"EDITOR": "vim", "SECRET": {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}});
    config["cull"] = json!({"enabled": true, "timeout": 7200, "every": 600});
    config["ingress"] =
        json!({"enabled": true, "hosts": ["data8.example.org"], "annotations": {"a": "b"}});
    config["prePuller"] = json!({"hook": {"enabled": false}, "continuous": {"enabled": true}});
    config["scheduling"] = json!({"userScheduler": {"enabled": false}});
    let i = import_release(&input(&config, &[])).unwrap();
    assert_all_valid(&i);
    let h = &i.hub;
    assert_eq!(h.ingress_host, "data8.example.org");
    assert_eq!(h.cull_enabled, "on");
    assert_eq!(h.cull_timeout, "7200");
    assert_eq!(h.start_timeout, "600");
    assert_eq!(h.http_timeout, "60");
    assert_eq!(h.concurrent_spawn_limit, "20");
    assert_eq!(i.profiles[0].env.len(), 1);
    assert_eq!(i.profiles[0].env[0].name, "EDITOR");
    let extra = parse_extra_values("x", &h.extra_values)
        .unwrap()
        .unwrap()
        .to_json();
    assert_eq!(extra["proxy"]["https"]["hosts"][0], "hub.example.org");
    assert_eq!(
        extra["hub"]["config"]["GitHubOAuthenticator"]["client_id"],
        "x"
    );
    assert_eq!(extra["hub"]["extraConfig"], json!({"mine": "c.X = 1"}));
    assert_eq!(extra["hub"]["extraEnv"], json!({"OTHER": "1"}));
    assert_eq!(extra["singleuser"]["defaultUrl"], "/lab");
    assert!(extra["singleuser"]["extraEnv"]["SECRET"].is_object());
    assert_eq!(extra["ingress"], json!({"annotations": {"a": "b"}}));
    assert_eq!(extra["scheduling"]["userScheduler"]["enabled"], false);
    assert!(extra.get("prePuller").is_none());
    assert!(extra.get("cull").is_none());
    assert!(extra["hub"]["config"].get("KubeSpawner").is_none());
    assert!(
        i.kept.iter().any(|k| k.starts_with("proxy.https")),
        "{:?}",
        i.kept
    );

    // The hub's values then merge the extra values, and still pass the checks.
    let (hub, volumes, profiles) = records(&i);
    let g = generate(&ValuesInput {
        hub: &hub,
        profiles: &profiles,
        volumes: &volumes,
        portal_url: Some("http://portal"),
    });
    assert!(g.check().is_empty(), "{:?}", g.check());
    let j = g.json();
    assert_eq!(j["proxy"]["https"]["enabled"], true);
    assert_eq!(j["singleuser"]["defaultUrl"], "/lab");
    assert_eq!(j["hub"]["extraConfig"]["mine"], "c.X = 1");
    assert!(j["hub"]["extraConfig"]["hubfleet-profile-list"].is_string());
    assert_eq!(j["hub"]["extraEnv"]["OTHER"], "1");
    assert_eq!(j["singleuser"]["image"]["tag"], "v1");
    let yaml = g.yaml(&hub).unwrap();
    assert!(yaml.contains("defaultUrl: /lab"), "{yaml}");
}

#[test]
fn values_that_do_not_validate_stay_extra() {
    let mut config = data8_config();
    config["singleuser"]["memory"]["limit"] = json!("3Gi");
    config["cull"] = json!({"timeout": "an hour"});
    let i = import_release(&input(&config, &[])).unwrap();
    assert_all_valid(&i);
    assert_eq!(i.profiles[0].mem_limit, "");
    assert_eq!(i.profiles[0].mem_guarantee, "1G");
    let extra = parse_extra_values("x", &i.hub.extra_values)
        .unwrap()
        .unwrap()
        .to_json();
    assert_eq!(extra["singleuser"]["memory"]["limit"], "3Gi");
    assert_eq!(extra["cull"]["timeout"], "an hour");
    assert!(
        i.kept.iter().any(|k| k.contains("singleuser.memory.limit")),
        "{:?}",
        i.kept
    );
}

#[test]
fn a_profile_list_becomes_profiles() {
    let config = json!({
        "singleuser": {
            "image": {"name": "quay.io/jupyter/scipy-notebook", "tag": "2024-05-01"},
            "cpu": {"limit": 2},
            "memory": {"limit": "4G", "guarantee": "2G"},
            "storage": {
                "extraVolumes": {"data": {"name": "data", "persistentVolumeClaim": {"claimName": "course-data"}}},
                "extraVolumeMounts": {"data": {"name": "data", "mountPath": "/data", "readOnly": true}}
            },
            "profileList": [
                {"display_name": "Small &amp; quick", "slug": "small", "description": "For exercises",
                 "kubespawner_override": {"cpu_limit": 1, "mem_limit": "2G", "mem_guarantee": "1G"}},
                {"display_name": "GPU", "default": true,
                 "kubespawner_override": {
                     "image": "quay.io/jupyter/pytorch-notebook:cuda12-2024-05-01",
                     "extra_resource_limits": {"nvidia.com/gpu": "1"},
                     "tolerations": [
                         {"key": "hub.jupyter.org/dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
                         {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                     "node_selector": {"gpu": "true"},
                     "volumes": {"data": null},
                     "volume_mounts": {"data": null},
                     "default_url": "/lab"
                 }},
                {"display_name": "Broken", "kubespawner_override": {"image": "Not An Image"}}
            ]
        }
    });
    let i = import_release(&input(&config, &[])).unwrap();
    assert_all_valid(&i);
    assert_eq!(i.profiles.len(), 2, "{:?}", i.dropped);
    let small = &i.profiles[0];
    assert_eq!(small.display_name, "Small & quick");
    assert_eq!(small.slug, "small");
    assert_eq!(small.cpu_limit, "1");
    assert_eq!(small.mem_limit, "2G");
    assert_eq!(small.image_name, "quay.io/jupyter/scipy-notebook");
    assert_eq!(small.mounts.len(), 1);
    assert_eq!(small.mounts[0].read_only, "on");
    assert_eq!(small.is_default, "");
    let gpu = &i.profiles[1];
    assert_eq!(gpu.slug, "gpu");
    assert_eq!(gpu.is_default, "on");
    assert_eq!(gpu.image_name, "quay.io/jupyter/pytorch-notebook");
    assert_eq!(gpu.image_tag, "cuda12-2024-05-01");
    assert_eq!(gpu.cpu_limit, "2", "inherited from singleuser");
    assert_eq!(gpu.extra_resources.len(), 1);
    assert_eq!(
        gpu.tolerations.len(),
        1,
        "the chart's own toleration is not imported"
    );
    assert_eq!(gpu.tolerations[0].key, "nvidia.com/gpu");
    assert_eq!(gpu.node_selector.len(), 1);
    assert!(gpu.mounts.is_empty());
    assert_eq!(i.volumes.len(), 1);
    assert!(
        i.dropped
            .iter()
            .any(|d| d.contains("GPU") && d.contains("default_url")),
        "{:?}",
        i.dropped
    );
    assert!(
        i.dropped.iter().any(|d| d.contains("Broken")),
        "{:?}",
        i.dropped
    );
    assert_eq!(i.hub.extra_values, "", "{:?}", i.kept);
}

#[test]
fn release_names_hubfleet_cannot_manage_are_refused() {
    let config = json!({});
    let mut inp = input(&config, &[]);
    inp.release_name = "my.release";
    let e = import_release(&inp).unwrap_err();
    assert!(e.get("release_name").is_some(), "{e}");
}

#[test]
fn hubfleet_values_import_back_to_themselves() {
    // Values Hubfleet generated (e.g. a hub deleted from the portal while its release stayed)
    // import back to the same records.
    let config = data8_config();
    let first = import_release(&input(&config, &[])).unwrap();
    let (hub, volumes, profiles) = records(&first);
    let g = generate(&ValuesInput {
        hub: &hub,
        profiles: &profiles,
        volumes: &volumes,
        portal_url: Some("http://portal"),
    });
    let again = import_release(&input(&g.json(), &[])).unwrap();
    assert_all_valid(&again);
    assert_eq!(again.hub.extra_values, "", "{:?}", again.kept);
    assert_eq!(again.profiles.len(), 1);
    let (a, b) = (&first.profiles[0], &again.profiles[0]);
    assert_eq!(
        (
            &a.image_name,
            &a.image_tag,
            &a.cpu_limit,
            &a.mem_limit,
            &a.home_capacity,
            &a.home_mount_path
        ),
        (
            &b.image_name,
            &b.image_tag,
            &b.cpu_limit,
            &b.mem_limit,
            &b.home_capacity,
            &b.home_mount_path
        )
    );
    assert_eq!(again.volumes.len(), 1);
}
