//! Property tests: for any valid hub, profiles and volumes, generation does not panic, is
//! deterministic, passes the chart's schema and KubeSpawner's rules, and its YAML reads back
//! as the generated values. For arbitrary (even invalid) stored records it never panics.

use crate::values_support::*;
use app::domain::profile::{EnvVarForm, LabelForm, MountForm, ProfileForm};
use app::domain::volume::SharedVolume;
use app::values::{ValuesInput, generate, schema};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct ProfileCase {
    name: String,
    image: (String, String),
    cpu: Option<(u32, Option<u32>)>,
    mem: Option<(u32, Option<u32>)>,
    capacity: u32,
    storage_class: Option<String>,
    home: String,
    mounts: Vec<(usize, String, bool)>,
    env: Vec<(String, String)>,
    labels: Vec<(String, String)>,
    groups: Vec<String>,
    pull_secret: Option<String>,
    deprecated: bool,
}

fn profile_case() -> impl Strategy<Value = ProfileCase> {
    (
        (
            "[A-Za-z][A-Za-z0-9 ()-]{0,30}",
            (
                prop::sample::select(vec![
                    "quay.io/jupyter/scipy-notebook",
                    "jupyter/base-notebook",
                    "registry.example.org:5000/team/image",
                    "ubuntu",
                ]),
                prop_oneof![
                    "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,20}",
                    Just("on".to_string()),
                    Just("1.10".to_string()),
                    "[0-9]{1,4}".prop_map(|s| s),
                    Just(format!("sha256:{}", "ab".repeat(32))),
                ],
            ),
            prop::option::of((1u32..64_000, prop::option::of(1u32..64_000))),
            prop::option::of((256u32..65_536, prop::option::of(1u32..65_536))),
            1u32..500,
            prop::option::of("[a-z][a-z0-9-]{0,10}[a-z0-9]"),
            "/home/[a-z]{1,10}",
        ),
        (
            prop::collection::vec(
                (0usize..4, "/(mnt|data|srv)/[a-z]{1,8}", any::<bool>()),
                0..4,
            ),
            prop::collection::vec(
                (
                    "[A-Z_][A-Z0-9_]{0,10}",
                    prop_oneof![
                        "[ -~]{0,30}",
                        Just("yes".to_string()),
                        Just("null".to_string()),
                        Just("- item".to_string()),
                        Just("a: b # c".to_string()),
                        Just("line one\nline two".to_string()),
                        Just("ünïcödé ✓".to_string()),
                    ],
                ),
                0..4,
            ),
            prop::collection::vec(
                (
                    "([a-z]{1,8}\\.)?[a-z]{1,8}(/[a-z][a-z0-9-]{0,8})?",
                    "([a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?)?",
                ),
                0..3,
            ),
            prop::collection::vec("[a-z][a-z0-9-]{0,8}", 0..3),
            prop::option::of("[a-z][a-z0-9-]{0,10}"),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (name, image, cpu, mem, capacity, storage_class, home),
                (mounts, env, labels, groups, pull_secret, deprecated),
            )| {
                ProfileCase {
                    name,
                    image: (image.0.to_string(), image.1),
                    cpu,
                    mem,
                    capacity,
                    storage_class,
                    home,
                    mounts,
                    env,
                    labels,
                    groups,
                    pull_secret,
                    deprecated,
                }
            },
        )
}

fn build(
    cases: &[ProfileCase],
    pvcs: &[String],
    host: bool,
) -> Option<(
    app::domain::hub::Hub,
    Vec<app::domain::profile::Profile>,
    Vec<SharedVolume>,
)> {
    let h = hub(
        1,
        "prop-hub",
        "ns",
        if host { "hub.example.org" } else { "" },
    );
    let volumes: Vec<SharedVolume> = pvcs
        .iter()
        .enumerate()
        .map(|(i, p)| volume(100 + i as i64, &h, p))
        .collect();
    let mut profiles = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let id = i as i64 + 1;
        let mut mounts = Vec::new();
        let mut paths = Vec::new();
        for (v, path, ro) in &c.mounts {
            if volumes.is_empty() || paths.contains(path) || path == &c.home {
                continue;
            }
            paths.push(path.clone());
            mounts.push(MountForm {
                volume_id: volumes[v % volumes.len()].id.to_string(),
                mount_path: path.clone(),
                read_only: if *ro { "on".into() } else { String::new() },
            });
        }
        let fmt_cpu = |m: u32| app::domain::quantity::format_cores(f64::from(m) / 1000.0);
        let (cpu_limit, cpu_guarantee) = match c.cpu {
            Some((l, g)) => (fmt_cpu(l), g.map(|g| fmt_cpu(g.min(l))).unwrap_or_default()),
            None => (String::new(), String::new()),
        };
        let (mem_limit, mem_guarantee) = match c.mem {
            Some((l, g)) => (
                format!("{l}M"),
                g.map(|g| format!("{}M", g.clamp(1, l))).unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        };
        // The first profile is the default and the replacement of every deprecated one.
        let deprecated = c.deprecated && i > 0;
        let form = ProfileForm {
            display_name: c.name.clone(),
            slug: format!("p{i}"),
            description: c.name.repeat(5),
            image_name: c.image.0.clone(),
            image_tag: c.image.1.clone(),
            image_pull_policy: "IfNotPresent".into(),
            image_pull_secret: c.pull_secret.clone().unwrap_or_default(),
            cpu_limit,
            cpu_guarantee,
            mem_limit,
            mem_guarantee,
            home_capacity: format!("{}Gi", c.capacity),
            home_storage_class: c.storage_class.clone().unwrap_or_default(),
            home_mount_path: c.home.clone(),
            mounts,
            env: c
                .env
                .iter()
                .map(|(n, v)| EnvVarForm {
                    name: n.clone(),
                    value: v.clone(),
                })
                .collect(),
            node_selector: c
                .labels
                .iter()
                .map(|(k, v)| LabelForm {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            extra_resources: vec![],
            tolerations: vec![],
            node_affinity: vec![],
            node_affinity_preferred: vec![],
            profile_options: vec![],
            allowed_groups: c.groups.join(", "),
            is_default: if i == 0 { "on".into() } else { String::new() },
            deprecated: if deprecated {
                "on".into()
            } else {
                String::new()
            },
            replaced_by: if deprecated {
                "1".into()
            } else {
                String::new()
            },
        };
        let spec = form.validate().ok()?;
        profiles.push(app::domain::profile::Profile {
            id,
            hub_id: h.id,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec,
        });
    }
    Some((h, profiles, volumes))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn valid_specs_give_valid_deterministic_values(
        cases in prop::collection::vec(profile_case(), 0..6),
        pvcs in prop::collection::btree_set("[a-z]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z]{1,8})?", 0..4),
        host in any::<bool>(),
        portal in prop::option::of(Just("https://portal.example.org")),
    ) {
        let pvcs: Vec<String> = pvcs.into_iter().collect();
        let built = build(&cases, &pvcs, host);
        prop_assume!(built.is_some());
        let (h, p, v) = built.unwrap_or_else(|| unreachable!());
        let input = ValuesInput { hub: &h, profiles: &p, volumes: &v, portal_url: portal };
        let g = generate(&input);
        let json = g.json();
        let mut errors = g.check();
        errors.extend(schema::schema_errors(&json, &g.sources));
        prop_assert!(errors.is_empty(), "{:#?}\n{}", errors, g.yaml(&h).unwrap_or_default());
        let yaml = g.yaml(&h).expect("yaml");
        prop_assert_eq!(&yaml, &generate(&input).yaml(&h).expect("yaml"));
        let back: serde_json::Value = serde_saphyr::from_str(&yaml).expect("the YAML parses");
        prop_assert_eq!(back, json);
    }

    #[test]
    fn generation_never_panics_on_odd_records(
        cases in prop::collection::vec(profile_case(), 1..4),
        cpu in prop::num::f64::ANY,
        missing_volume in any::<bool>(),
        second_default in any::<bool>(),
    ) {
        let built = build(&cases, &["data".to_string()], false);
        prop_assume!(built.is_some());
        let (h, mut p, v) = built.unwrap_or_else(|| unreachable!());
        p[0].spec.cpu_limit = Some(cpu);
        p[0].spec.cpu_guarantee = Some(-cpu);
        if missing_volume {
            p[0].spec.mounts.push(app::domain::profile::VolumeMount { volume_id: 999, mount_path: "/x".into(), read_only: false });
        }
        if second_default && p.len() > 1 {
            p[1].spec.is_default = true;
            p[1].spec.slug = p[0].spec.slug.clone();
        }
        let g = generate(&ValuesInput { hub: &h, profiles: &p, volumes: &v, portal_url: None });
        let _ = g.check();
        let _ = schema::schema_errors(&g.json(), &g.sources);
        prop_assert!(g.yaml(&h).is_ok());
    }
}
