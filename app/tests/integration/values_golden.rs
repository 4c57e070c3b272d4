//! The first-run example's values against a checked-in golden file, determinism, and the YAML
//! reading back as the values that were generated.
//!
//! To accept a deliberate change of the generated values: `UPDATE_GOLDEN=1 cargo test -p app
//! --features ssr --test integration values_golden`, then review the golden file's diff.

use crate::values_support::*;
use app::backend::{hubs, profiles, seed, values, volumes};
use app::values::{ValuesInput, generate, schema};

const PORTAL: &str = "https://hubfleet.example.org";

fn golden_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn compare_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let (hunks, added, removed) = values::diff_text(&expected, actual, 2);
        let mut report = format!("{name} differs from the golden file (+{added} -{removed}):\n");
        for h in hunks {
            for l in h.lines {
                let mark = match l.change {
                    app::values::LineChange::Same => ' ',
                    app::values::LineChange::Removed => '-',
                    app::values::LineChange::Added => '+',
                };
                report.push_str(&format!("{mark}{}\n", l.text));
            }
            report.push_str("...\n");
        }
        panic!("{report}\nIf the change is intended, run with UPDATE_GOLDEN=1.");
    }
}

#[tokio::test]
async fn first_run_example_matches_the_golden_file() {
    let (_dir, pool) = database().await;
    assert!(seed::seed_example(&pool).await.unwrap());
    let hub = values::find_hub(&pool, "data8-jupyterhub").await.unwrap();
    let p = profiles::list(&pool, hub.id).await.unwrap();
    let v = volumes::list(&pool, hub.id).await.unwrap();
    let r = values::render(&hub, &p, &v, Some(PORTAL)).unwrap();
    assert_eq!(r.errors, vec![], "the example must be valid");
    compare_golden("data8-jupyterhub.yaml", &r.yaml);
    assert_eq!(r.digest, values::digest(&r.yaml));
    assert_eq!(r.digest.len(), 64);

    // What `hubfleet values --hub data8-jupyterhub` prints: valid as well.
    let (yaml, errors) = values::render_hub_by_name(&pool, "data8-jupyterhub", None)
        .await
        .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(yaml.contains("claimName: claim-share"), "{yaml}");
    assert!(
        values::render_hub_by_name(&pool, "kube-public/data8-jupyterhub", None)
            .await
            .is_ok()
    );
    assert!(matches!(
        values::render_hub_by_name(&pool, "nope", None).await,
        Err(app::error::AppError::NotFound(_))
    ));
    let _ = hubs::list(&pool).await.unwrap();
}

#[test]
fn sample_hub_matches_the_golden_file() {
    let (h, p, v) = sample();
    let r = values::render(&h, &p, &v, Some(PORTAL)).unwrap();
    assert_eq!(r.errors, vec![], "{:#?}", r.errors);
    compare_golden("sample-physics-hub.yaml", &r.yaml);
}

/// A hub with every lifetime setting (`cull`, `singleuser.startTimeout`, the hub's limits and
/// `hub.config.KubeSpawner.http_timeout`) and a GPU profile (`extra_resource_limits`,
/// tolerations after the chart's own, required node affinity), valid against the chart's
/// schema and KubeSpawner's rules.
#[test]
fn lifetime_hub_matches_the_golden_file() {
    let (h, p, v) = lifetime_sample();
    let r = values::render(&h, &p, &v, Some(PORTAL)).unwrap();
    assert_eq!(r.errors, vec![], "{:#?}", r.errors);
    compare_golden("ml-hub.yaml", &r.yaml);
    let back: serde_json::Value = serde_saphyr::from_str(&r.yaml).expect("YAML parses");
    assert_eq!(back["cull"]["timeout"], 7200);
    assert_eq!(back["singleuser"]["startTimeout"], 900);
    assert_eq!(back["hub"]["config"]["KubeSpawner"]["http_timeout"], 120);
    let gpu = &back["singleuser"]["profileList"][1]["kubespawner_override"];
    assert_eq!(gpu["extra_resource_limits"]["nvidia.com/gpu"], "1");
    let tolerations = gpu["tolerations"].as_array().unwrap();
    assert_eq!(tolerations.len(), 3, "the chart's two, then the profile's");
    assert_eq!(tolerations[0]["key"], "hub.jupyter.org/dedicated");
    assert_eq!(tolerations[2]["key"], "nvidia.com/gpu");
    assert_eq!(
        gpu["node_affinity_required"][0]["matchExpressions"][0]["operator"],
        "In"
    );
    assert!(schema::is_valid(&back));
    // The schema check points a wrong value back at the hub's field.
    let g = generate(&ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &v,
        portal_url: Some(PORTAL),
    });
    let mut bad = g.json();
    bad["cull"]["timeout"] = serde_json::json!("2h");
    let e = schema::schema_errors(&bad, &g.sources);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        (e[0].field.as_str(), e[0].link.as_str()),
        ("cull_timeout", "/hubs/2")
    );
    // A hub with chart defaults writes none of it.
    let (h, p, v) = sample();
    let r = values::render(&h, &p, &v, Some(PORTAL)).unwrap();
    let back: serde_json::Value = serde_saphyr::from_str(&r.yaml).expect("YAML parses");
    for at in [
        "/cull",
        "/singleuser/startTimeout",
        "/hub/concurrentSpawnLimit",
        "/hub/activeServerLimit",
        "/hub/config",
    ] {
        assert!(back.pointer(at).is_none(), "{at} in\n{}", r.yaml);
    }
}

/// A profile with image and size choices plus a free-form image, preferring large nodes, and
/// a GPU profile whose choice doubles the GPUs: `profile_options` in KubeSpawner's format
/// (only what each choice overrides, names escaped, one default each), the chart's
/// node-purpose preference repeated before the profile's, valid against the chart's schema
/// and KubeSpawner's rules.
#[test]
fn choices_hub_matches_the_golden_file() {
    let (h, p, v) = choices_sample();
    let r = values::render(&h, &p, &v, Some(PORTAL)).unwrap();
    assert_eq!(r.errors, vec![], "{:#?}", r.errors);
    compare_golden("course-hub.yaml", &r.yaml);
    let back: serde_json::Value = serde_saphyr::from_str(&r.yaml).expect("YAML parses");
    assert!(schema::is_valid(&back));
    let su = &back["singleuser"];
    assert_eq!(
        su["extraNodeAffinity"]["preferred"][0]["preference"]["matchExpressions"][0]["key"],
        "node-pool"
    );
    let course = &su["profileList"][0];
    let image = &course["profile_options"]["image"];
    assert_eq!(image["choices"]["python"]["default"], true);
    assert_eq!(
        image["choices"]["r"]["kubespawner_override"]["image"],
        "quay.io/jupyter/r-notebook:r-4.4"
    );
    assert_eq!(
        image["unlisted_choice"]["kubespawner_override"]["image"],
        "registry.example.org/{value}"
    );
    assert_eq!(image["unlisted_choice"]["enabled"], true);
    let large = &course["profile_options"]["size"]["choices"]["large"]["kubespawner_override"];
    assert_eq!(large["cpu_limit"], 4.0);
    assert_eq!(large["mem_guarantee"], "8G");
    assert!(
        large.get("image").is_none(),
        "a size choice keeps the image"
    );
    let gpu = &su["profileList"][1];
    let preferred = gpu["kubespawner_override"]["node_affinity_preferred"]
        .as_array()
        .unwrap();
    assert_eq!(
        preferred.len(),
        1,
        "the chart's node-purpose preference only"
    );
    assert_eq!(preferred[0]["weight"], 100);
    assert_eq!(
        gpu["profile_options"]["gpus"]["choices"]["two"]["kubespawner_override"]["extra_resource_limits"]
            ["nvidia.com/gpu"],
        "2"
    );
    // The choice keeps its order in the file: Python before R.
    let python = r.yaml.find("display_name: Python 3.12").unwrap();
    assert!(
        python < r.yaml.find("display_name: R 4.4").unwrap(),
        "{}",
        r.yaml
    );
}

/// A choice whose overrides break a limit in stored values is caught by the KubeSpawner rules
/// and pointed back at the choice's field.
#[test]
fn a_choice_over_its_limit_is_pointed_at() {
    let (h, p, v) = choices_sample();
    let g = generate(&ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &v,
        portal_url: Some(PORTAL),
    });
    let mut bad = g.checked_json();
    bad["singleuser"]["profileList"][0]["profile_options"]["size"]["choices"]["large"]["kubespawner_override"]
        ["mem_guarantee"] = serde_json::json!("32G");
    bad["singleuser"]["profileList"][0]["profile_options"]["image"]["unlisted_choice"]["validation_regex"] =
        serde_json::json!("registry/.*");
    let e = app::values::check_values(&bad, &g.sources);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(e[0].field, "profile_options[0].unlisted_pattern");
    assert!(
        e[0].message.starts_with("Start the pattern with ^"),
        "{}",
        e[0].message
    );
    assert_eq!(e[1].field, "profile_options[1].choices[1].mem_guarantee");
    assert_eq!(
        e[1].message,
        "The memory guarantee (32G) is more than the memory limit (16G): lower the guarantee or raise the limit."
    );
    assert_eq!(e[1].link, "/profiles/40");
}

/// A GPU profile as the base (the default): its settings go to `singleuser` and every other
/// profile clears them (no GPU, the chart's tolerations only, no required affinity).
#[test]
fn a_gpu_base_is_cleared_by_the_other_profiles() {
    let h = hub(3, "gpu-hub", "gpu", "");
    let p = vec![
        profile(
            30,
            &h,
            ProfileForm {
                is_default: "on".into(),
                ..gpu_form()
            },
        ),
        profile(31, &h, form("CPU", "cpu")),
    ];
    let r = values::render(&h, &p, &[], None).unwrap();
    assert_eq!(r.errors, vec![], "{:#?}", r.errors);
    let v: serde_json::Value = serde_saphyr::from_str(&r.yaml).expect("YAML parses");
    let su = &v["singleuser"];
    assert_eq!(su["extraResource"]["limits"]["nvidia.com/gpu"], "1");
    assert_eq!(su["extraTolerations"][0]["operator"], "Exists");
    assert_eq!(
        su["extraNodeAffinity"]["required"][0]["matchExpressions"][0]["key"],
        "nvidia.com/gpu.product"
    );
    let cpu = &su["profileList"][1]["kubespawner_override"];
    assert_eq!(
        cpu["extra_resource_limits"]["nvidia.com/gpu"],
        serde_json::Value::Null
    );
    assert!(
        cpu["extra_resource_limits"]
            .as_object()
            .unwrap()
            .contains_key("nvidia.com/gpu")
    );
    assert_eq!(cpu["tolerations"].as_array().unwrap().len(), 2);
    assert_eq!(cpu["node_affinity_required"], serde_json::json!([]));
    assert!(schema::is_valid(&v));
}

#[test]
fn generation_is_deterministic_and_independent_of_input_order() {
    let (h, p, v) = sample();
    let input = ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &v,
        portal_url: Some(PORTAL),
    };
    let a = generate(&input).yaml(&h).unwrap();
    let b = generate(&input).yaml(&h).unwrap();
    assert_eq!(a, b);
    let mut p2 = p.clone();
    p2.reverse();
    let mut v2 = v.clone();
    v2.reverse();
    let c = generate(&ValuesInput {
        profiles: &p2,
        volumes: &v2,
        ..input
    })
    .yaml(&h)
    .unwrap();
    assert_eq!(a, c);
    assert_eq!(values::digest(&a), values::digest(&c));
}

#[test]
fn yaml_reads_back_as_the_generated_values() {
    let (h, p, v) = sample();
    let g = generate(&ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &v,
        portal_url: Some(PORTAL),
    });
    let yaml = g.yaml(&h).unwrap();
    let back: serde_json::Value = serde_saphyr::from_str(&yaml).expect("YAML parses");
    assert_eq!(back, g.json());
    assert!(schema::is_valid(&back));
}

#[test]
fn strings_that_yaml_1_1_reads_as_other_types_are_quoted() {
    // Helm's YAML reader would take these for booleans or numbers if written plainly.
    let (h, _, v) = sample();
    let tricky = [
        "on", "yes", "no", "off", "y", "n", "1.10", "0777", "null", "~", "true",
    ];
    for (i, t) in tricky.iter().enumerate() {
        let p = vec![profile(
            1,
            &h,
            ProfileForm {
                is_default: "on".into(),
                env: vec![env("X", t)],
                node_selector: vec![label(
                    "tier",
                    if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
                        t
                    } else {
                        "x"
                    },
                )],
                ..form("P", "p")
            },
        )];
        let g = generate(&ValuesInput {
            hub: &h,
            profiles: &p,
            volumes: &v,
            portal_url: None,
        });
        let yaml = g.yaml(&h).unwrap();
        let line = yaml
            .lines()
            .find(|l| l.trim_start().starts_with("X:"))
            .unwrap_or_else(|| panic!("case {i}: no X in\n{yaml}"));
        let value = line.trim_start().trim_start_matches("X:").trim();
        assert!(
            value.starts_with('\'') || value.starts_with('"'),
            "{t:?} written unquoted: {line}"
        );
    }
}

use app::domain::profile::ProfileForm;
