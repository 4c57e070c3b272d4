//! Every validation error points at the record and form field that caused it. Table-driven:
//! each row breaks one value of a valid hub's generated values (or one record) and says which
//! profile, volume or hub field the error must name.

use crate::values_support::*;
use app::domain::profile::ProfileForm;
use app::values::{TargetKind, ValuesError, ValuesInput, check_values, generate, schema};
use serde_json::{Value, json};

/// Sets `pointer` in `doc` to `value`, creating the last key if needed.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer");
    let last = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent).expect("parent exists") {
        Value::Object(o) => {
            o.insert(last, value);
        }
        Value::Array(a) => {
            let i: usize = last.parse().expect("index");
            a[i] = value;
        }
        other => panic!("cannot set under {other}"),
    }
}

fn all_errors(doc: &Value, g: &app::values::Generated) -> Vec<ValuesError> {
    let mut e = g.problems.clone();
    e.extend(check_values(doc, &g.sources));
    e.extend(schema::schema_errors(doc, &g.sources));
    e
}

fn fmt(errors: &[ValuesError]) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                "  {:?} #{} {:?} at {}: {}",
                e.target, e.target_id, e.field, e.values_path, e.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sample hub's generated values.
fn sample_values() -> app::values::Generated {
    let (h, p, v) = sample();
    generate(&ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &v,
        portal_url: None,
    })
}

#[test]
fn the_sample_is_valid_to_start_with() {
    let g = sample_values();
    let e = all_errors(&g.checked_json(), &g);
    assert!(e.is_empty(), "{}", fmt(&e));
}

#[test]
fn errors_in_values_point_at_the_field_that_produced_them() {
    use TargetKind::{Hub, Profile, Volume};
    let gpu = "/singleuser/profileList/1";
    let o = "/singleuser/profileList/1/kubespawner_override";
    // (pointer, broken value, target, id, field, a word the message must contain)
    let cases: Vec<(String, Value, TargetKind, i64, &str, &str)> = vec![
        (
            "/singleuser/memory/limit".into(),
            json!("4Gi"),
            Profile,
            1,
            "mem_limit",
            "KubeSpawner",
        ),
        (
            "/singleuser/memory/guarantee".into(),
            json!("8G"),
            Profile,
            1,
            "mem_guarantee",
            "more than the memory limit",
        ),
        (
            "/singleuser/memory/limit".into(),
            json!(512),
            Profile,
            1,
            "mem_limit",
            "too little",
        ),
        (
            "/singleuser/cpu/limit".into(),
            json!("1500m"),
            Profile,
            1,
            "cpu_limit",
            "millicores",
        ),
        (
            "/singleuser/cpu/guarantee".into(),
            json!(3),
            Profile,
            1,
            "cpu_guarantee",
            "more than the CPU limit",
        ),
        (
            "/singleuser/cpu/limit".into(),
            json!(0.0005),
            Profile,
            1,
            "cpu_limit",
            "decimals",
        ),
        (
            "/singleuser/storage/capacity".into(),
            json!("10 GB"),
            Profile,
            1,
            "home_capacity",
            "space",
        ),
        (
            "/singleuser/storage/homeMountPath".into(),
            json!("home"),
            Profile,
            1,
            "home_mount_path",
            "absolute",
        ),
        (
            "/singleuser/storage/extraVolumeMounts/shared-course-data/mountPath".into(),
            json!("/home/jovyan"),
            Profile,
            1,
            "mounts[0].mount_path",
            "home directory",
        ),
        (
            "/singleuser/storage/extraVolumeMounts/shared-course-data/name".into(),
            json!("gone"),
            Profile,
            1,
            "mounts[0].volume_id",
            "gone",
        ),
        (
            "/singleuser/storage/extraVolumes/shared-course-data/persistentVolumeClaim/claimName"
                .into(),
            json!("Course_Data"),
            Volume,
            10,
            "pvc_name",
            "uppercase",
        ),
        (
            "/singleuser/extraEnv/COURSE".into(),
            json!(3),
            Profile,
            1,
            "env[0].value",
            "text",
        ),
        (
            format!("{o}/mem_limit"),
            json!("32Gi"),
            Profile,
            2,
            "mem_limit",
            "write 32G",
        ),
        (
            format!("{o}/mem_guarantee"),
            json!("64G"),
            Profile,
            2,
            "mem_guarantee",
            "more than the memory limit",
        ),
        (
            format!("{o}/cpu_limit"),
            json!("8"),
            Profile,
            2,
            "cpu_limit",
            "not a number of cores",
        ),
        (
            format!("{o}/cpu_guarantee"),
            json!(9),
            Profile,
            2,
            "cpu_guarantee",
            "more than the CPU limit",
        ),
        (
            format!("{o}/storage_capacity"),
            json!("5GB"),
            Profile,
            2,
            "home_capacity",
            "5Gi",
        ),
        (
            format!("{o}/storage_class"),
            json!("Fast SSD"),
            Profile,
            2,
            "home_storage_class",
            "storage class",
        ),
        (
            format!("{o}/image"),
            json!(""),
            Profile,
            2,
            "image_name",
            "image reference",
        ),
        (
            format!("{o}/image_pull_policy"),
            json!("always"),
            Profile,
            2,
            "image_pull_policy",
            "pull policy",
        ),
        (
            format!("{o}/image_pull_secrets"),
            json!(["Bad Secret"]),
            Profile,
            2,
            "image_pull_secret",
            "secret name",
        ),
        (
            format!("{o}/volume_mounts/shared-course-data/mountPath"),
            json!("/home/researcher"),
            Profile,
            2,
            "mounts[1].mount_path",
            "home directory",
        ),
        (
            format!("{o}/volume_mounts/shared-course-data/mountPath"),
            json!("/mnt/"),
            Profile,
            2,
            "mounts[1].mount_path",
            "ends with",
        ),
        (
            format!("{o}/volume_mounts/shared-course-data/name"),
            json!("nowhere"),
            Profile,
            2,
            "mounts[1].volume_id",
            "nowhere",
        ),
        (
            format!("{o}/volumes/shared-course-data/persistentVolumeClaim/claimName"),
            json!("-x"),
            Profile,
            2,
            "mounts[1].volume_id",
            "start and end",
        ),
        (
            format!("{o}/volume_mounts"),
            json!([]),
            Profile,
            2,
            "mounts",
            "home directory",
        ),
        (
            format!("{o}/node_selector/nvidia.com~1gpu.present"),
            json!("not valid!"),
            Profile,
            2,
            "node_selector[0].value",
            "Label value",
        ),
        (
            format!("{o}/environment/COURSE"),
            json!(false),
            Profile,
            2,
            "env",
            "text",
        ),
        (
            format!("{o}/mem_limt"),
            json!("1G"),
            Profile,
            2,
            "",
            "mem_limt",
        ),
        (
            format!("{gpu}/slug"),
            json!("standard"),
            Profile,
            2,
            "slug",
            "already used",
        ),
        (
            format!("{gpu}/slug"),
            json!("GPU"),
            Profile,
            2,
            "slug",
            "uppercase",
        ),
        (
            format!("{gpu}/default"),
            json!(true),
            Profile,
            2,
            "is_default",
            "at most one",
        ),
        (
            format!("{gpu}/display_name"),
            json!(""),
            Profile,
            2,
            "display_name",
            "name",
        ),
        (
            format!("{gpu}/colour"),
            json!("red"),
            Profile,
            2,
            "",
            "colour",
        ),
        (
            "/ingress/hosts".into(),
            json!("hub.example.org"),
            Hub,
            1,
            "ingress_host",
            "schema",
        ),
        (
            "/ingress/enabeld".into(),
            json!(true),
            Hub,
            1,
            "ingress_host",
            "enabeld",
        ),
        (
            "/hub/extraConfig".into(),
            json!(["print(1)"]),
            Hub,
            1,
            "",
            "extraConfig",
        ),
        (
            "/singleuser/memroy".into(),
            json!({"limit": "1G"}),
            Hub,
            1,
            "",
            "memroy",
        ),
    ];
    let g = sample_values();
    for (pointer, value, target, id, field, word) in cases {
        let mut doc = g.checked_json();
        set(&mut doc, &pointer, value.clone());
        let errors = all_errors(&doc, &g);
        assert!(!errors.is_empty(), "{pointer} = {value}: no error");
        let hit = errors.iter().find(|e| {
            e.target == target && e.target_id == id && e.field == field && e.message.contains(word)
        });
        assert!(
            hit.is_some(),
            "{pointer} = {value}: expected {target:?} #{id} field {field:?} with \"{word}\", got:\n{}",
            fmt(&errors)
        );
        let hit = hit.unwrap_or_else(|| unreachable!());
        assert_eq!(hit.link, target.link(id));
        assert!(!hit.values_path.is_empty());
    }
}

#[test]
fn errors_in_records_point_at_the_record() {
    let (h, p, v) = sample();
    let run = |p: &[app::domain::profile::Profile], v: &[app::domain::volume::SharedVolume]| {
        let g = generate(&ValuesInput {
            hub: &h,
            profiles: p,
            volumes: v,
            portal_url: None,
        });
        all_errors(&g.checked_json(), &g)
    };
    let has = |errors: &[ValuesError], target: TargetKind, id: i64, field: &str| {
        errors
            .iter()
            .any(|e| e.target == target && e.target_id == id && e.field == field)
    };

    // A mount of a volume that is not the hub's.
    let mut p1 = p.clone();
    p1[1].spec.mounts[0].volume_id = 99;
    let e = run(&p1, &v);
    assert!(
        has(&e, TargetKind::Profile, 2, "mounts[0].volume_id"),
        "{}",
        fmt(&e)
    );

    // A Block volume, a volume in another namespace, a read-write mount of a ReadOnlyMany one.
    let mut v2 = v.clone();
    v2[1].spec.volume_mode = app::domain::volume::VolumeMode::Block;
    let e = run(&p, &v2);
    assert!(
        has(&e, TargetKind::Profile, 2, "mounts[0].volume_id"),
        "{}",
        fmt(&e)
    );
    let mut v3 = v.clone();
    v3[0].spec.namespace = "elsewhere".into();
    let e = run(&p, &v3);
    assert!(has(&e, TargetKind::Volume, 10, "namespace"), "{}", fmt(&e));
    let mut v4 = v.clone();
    v4[1].spec.access_mode = app::domain::volume::AccessMode::ReadOnlyMany;
    let e = run(&p, &v4);
    assert!(
        has(&e, TargetKind::Profile, 2, "mounts[0].read_only"),
        "{}",
        fmt(&e)
    );

    // Guarantees above limits stored past the form (e.g. an old row).
    let mut p5 = p.clone();
    p5[1].spec.cpu_guarantee = Some(16.0);
    p5[0].spec.mem_guarantee = p5[1].spec.mem_limit.clone();
    let e = run(&p5, &v);
    assert!(
        has(&e, TargetKind::Profile, 2, "cpu_guarantee"),
        "{}",
        fmt(&e)
    );
    assert!(
        has(&e, TargetKind::Profile, 1, "mem_guarantee"),
        "{}",
        fmt(&e)
    );

    // Two profiles with one slug, two defaults.
    let mut p6 = p.clone();
    p6[1].spec.slug = "standard".into();
    p6[1].spec.is_default = true;
    let e = run(&p6, &v);
    let second = |field| {
        e.iter().any(|x| {
            x.target == TargetKind::Profile
                && x.field == field
                && x.values_path.starts_with("/singleuser/profileList/1/")
        })
    };
    assert!(second("slug"), "{}", fmt(&e));
    assert!(second("is_default"), "{}", fmt(&e));

    // A profile that belongs to another hub is left out with an error naming it.
    let other = hub(2, "other", "jhub", "");
    let stray = profile(77, &other, form("Stray", "stray"));
    let mut p7 = p.clone();
    p7.push(stray);
    let e = run(&p7, &v);
    assert!(has(&e, TargetKind::Profile, 77, ""), "{}", fmt(&e));

    // Non-finite CPU never reaches the values.
    let mut p8 = p.clone();
    p8[0].spec.cpu_limit = Some(f64::NAN);
    let e = run(&p8, &v);
    assert!(has(&e, TargetKind::Profile, 1, "cpu_limit"), "{}", fmt(&e));
}

#[test]
fn digest_tags_become_valid_references() {
    let h = hub(1, "h", "ns", "");
    let digest = format!("sha256:{}", "a".repeat(64));
    let p = vec![profile(
        1,
        &h,
        ProfileForm {
            is_default: "on".into(),
            image_tag: digest.clone(),
            ..form("P", "p")
        },
    )];
    let g = generate(&ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &[],
        portal_url: None,
    });
    let j = g.checked_json();
    assert_eq!(
        j["singleuser"]["image"]["tag"],
        json!(format!("latest@{digest}"))
    );
    assert_eq!(
        j["singleuser"]["profileList"][0]["kubespawner_override"]["image"],
        json!(format!("quay.io/jupyter/scipy-notebook@{digest}"))
    );
    assert!(all_errors(&j, &g).is_empty());
}

/// Volumes other than claims (a ConfigMap, an emptyDir, … as adopted releases carry in their
/// extra values) pass; a volume without a source, or with two, is refused with the fix.
#[test]
fn volumes_take_exactly_one_kubernetes_source() {
    let g = sample_values();
    let mut doc = g.checked_json();
    let at = "/singleuser/storage/extraVolumes/course-tools";
    set(
        &mut doc,
        at,
        json!({"name": "course-tools", "configMap": {"name": "course-tools"}}),
    );
    set(
        &mut doc,
        "/singleuser/storage/extraVolumeMounts/course-tools",
        json!({"name": "course-tools", "mountPath": "/opt/course-tools", "readOnly": true}),
    );
    let e = all_errors(&doc, &g);
    assert!(e.is_empty(), "{}", fmt(&e));

    set(&mut doc, at, json!({"name": "course-tools"}));
    let e = all_errors(&doc, &g);
    assert!(
        e.iter()
            .any(|e| e.values_path == at && e.message.contains("no source")),
        "{}",
        fmt(&e)
    );

    set(
        &mut doc,
        at,
        json!({"name": "course-tools", "configMap": {"name": "x"}, "emptyDir": {}}),
    );
    let e = all_errors(&doc, &g);
    assert!(
        e.iter()
            .any(|e| e.values_path == at && e.message.contains("2 sources")),
        "{}",
        fmt(&e)
    );
}
