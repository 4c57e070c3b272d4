//! Values generation + validation for a hub with 500 profiles (not a timed test: it measures
//! and writes the figures to BENCHMARKS.md, section `values`).
//!
//! Run: `cargo bench -p app --features ssr --bench values` (optimised build).
//! Each step runs `ROUNDS` times after a warm-up; the table gives the median and the slowest.

use app::domain::hub::{Hub, HubForm};
use app::domain::profile::{EnvVarForm, LabelForm, MountForm, Profile, ProfileForm};
use app::domain::volume::{SharedVolume, VolumeForm};
use app::values::{ValuesInput, check_values, generate, profiles_for_user, schema};
use report::{Timing, machine, ms, update_section};
use std::time::Instant;

#[path = "report.rs"]
mod report;

const PROFILES: usize = 500;
const VOLUMES: usize = 20;
const ROUNDS: usize = 30;

fn hub() -> Hub {
    Hub {
        id: 1,
        version: 1,
        created_at: String::new(),
        updated_at: String::new(),
        spec: HubForm {
            release_name: "bench-hub".into(),
            namespace: "bench".into(),
            chart_version: "4.4.0".into(),
            ingress_host: "hub.example.org".into(),
            driver: "job".into(),
            ..HubForm::default()
        }
        .validate()
        .expect("valid hub"),
    }
}

fn volumes(h: &Hub) -> Vec<SharedVolume> {
    (0..VOLUMES)
        .map(|i| SharedVolume {
            id: 1000 + i as i64,
            hub_id: h.id,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec: VolumeForm {
                name: format!("data-{i}"),
                pvc_name: format!("course-data-{i}"),
                namespace: "bench".into(),
                size: "100Gi".into(),
                access_mode: "ReadWriteMany".into(),
                storage_class: "nfs".into(),
                volume_mode: "Filesystem".into(),
                create_pvc: "on".into(),
            }
            .validate()
            .expect("valid volume"),
        })
        .collect()
}

/// 500 profiles like a large teaching hub's: a few mounts, environment variables, a node
/// selector, group restrictions on most, every tenth one deprecated.
fn profiles(h: &Hub) -> Vec<Profile> {
    (0..PROFILES)
        .map(|i| {
            let deprecated = i % 10 == 9;
            let f = ProfileForm {
                display_name: format!("Course {i:03} environment"),
                slug: format!("course-{i:03}"),
                description: format!(
                    "Environment of course {i}: Python with the scientific stack, the course data under /mnt/data-{}.",
                    i % VOLUMES
                ),
                image_name: format!("registry.example.org/courses/course-{i:03}"),
                image_tag: format!("2024.{}.{}", i % 12 + 1, i % 28 + 1),
                image_pull_policy: "IfNotPresent".into(),
                image_pull_secret: if i % 3 == 0 { "registry-pull".into() } else { String::new() },
                cpu_limit: format!("{}", 1 + i % 8),
                cpu_guarantee: "0.5".into(),
                mem_limit: format!("{}G", 2 + i % 30),
                mem_guarantee: "1G".into(),
                home_capacity: "10Gi".into(),
                home_storage_class: if i % 2 == 0 { "fast".into() } else { String::new() },
                home_mount_path: if i % 50 == 7 { "/home/student".into() } else { "/home/jovyan".into() },
                mounts: (0..1 + i % 3)
                    .map(|k| MountForm {
                        volume_id: (1000 + ((i + k) % VOLUMES) as i64).to_string(),
                        mount_path: format!("/mnt/data-{k}"),
                        read_only: if k > 0 { "on".into() } else { String::new() },
                    })
                    .collect(),
                env: (0..4)
                    .map(|k| EnvVarForm {
                        name: format!("COURSE_VAR_{k}"),
                        value: format!("value {i}/{k}"),
                    })
                    .collect(),
                node_selector: vec![LabelForm {
                    key: "node-pool".into(),
                    value: format!("pool-{}", i % 5),
                }],
                extra_resources: vec![],
                tolerations: vec![],
                node_affinity: vec![],
                node_affinity_preferred: vec![],
                profile_options: vec![],
                allowed_groups: if i % 4 == 0 { String::new() } else { format!("course-{}", i % 40) },
                is_default: if i == 0 { "on".into() } else { String::new() },
                deprecated: if deprecated { "on".into() } else { String::new() },
                replaced_by: if deprecated { "1".into() } else { String::new() },
            };
            Profile {
                id: 1 + i as i64,
                hub_id: h.id,
                version: 1,
                created_at: String::new(),
                updated_at: String::new(),
                spec: f.validate().expect("valid profile"),
            }
        })
        .collect()
}

fn measure<T>(mut f: impl FnMut() -> T) -> Timing {
    let _ = f();
    let times: Vec<std::time::Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    Timing::of(times)
}

fn main() {
    let h = hub();
    let v = volumes(&h);
    let p = profiles(&h);
    let input = ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &v,
        portal_url: Some("https://hubfleet.example.org"),
    };
    let g = generate(&input);
    let json = g.json();
    let yaml = g.yaml(&h).expect("yaml");
    let mut errors = g.check();
    errors.extend(schema::schema_errors(&json, &g.sources));
    assert!(
        errors.is_empty(),
        "the benchmark hub must be valid: {errors:?}"
    );
    let active = p.iter().filter(|x| !x.spec.is_deprecated()).count();

    let gen_t = measure(|| generate(&input));
    let yaml_t = measure(|| g.yaml(&h));
    let json_t = measure(|| g.json());
    let rules_t = measure(|| check_values(&json, &g.sources));
    let schema_t = measure(|| schema::schema_errors(&json, &g.sources));
    let total_t = measure(|| {
        let g = generate(&input);
        let yaml = g.yaml(&h).expect("yaml");
        let json = g.json();
        let mut e = g.check();
        e.extend(schema::schema_errors(&json, &g.sources));
        (yaml, e)
    });
    let groups = vec!["course-7".to_string()];
    let api_t = measure(|| profiles_for_user(&input, &groups, Some(10)));
    let api_json = serde_json::to_string(&profiles_for_user(&input, &groups, Some(10)))
        .expect("json")
        .len();

    let rows = [
        ("generate (typed values + source map)", &gen_t),
        ("YAML (serde-saphyr)", &yaml_t),
        ("to JSON (for validation)", &json_t),
        ("KubeSpawner rules", &rules_t),
        ("chart schema (merged over the chart's defaults)", &schema_t),
        ("**total: generate + YAML + rules + schema**", &total_t),
        ("hub profile API answer for one user (no I/O)", &api_t),
    ];
    let mut lines = vec![
        "## Values generation (500 profiles)".to_string(),
        String::new(),
        format!(
            "Measured by `cargo bench -p app --features ssr --bench values` (optimised build) on {}.",
            machine()
        ),
        format!(
            "One hub with {PROFILES} profiles ({active} active, every tenth deprecated), {VOLUMES} shared volumes, 1–3 mounts, 4 environment variables and a node selector per profile; median and slowest of {ROUNDS} runs after a warm-up."
        ),
        format!(
            "Output: {:.0} KiB of YAML ({} lines); the API answer for a user in one group is {:.1} KiB of JSON.",
            yaml.len() as f64 / 1024.0,
            yaml.lines().count(),
            api_json as f64 / 1024.0
        ),
        String::new(),
        "| step | median | slowest |".into(),
        "|---|---|---|".into(),
    ];
    for (name, t) in rows {
        lines.push(format!("| {name} | {} | {} |", ms(t.median), ms(t.max)));
    }
    for l in &lines {
        println!("{l}");
    }
    match update_section("values", &lines) {
        Ok(f) => println!("\nwrote {}", f.display()),
        Err(e) => eprintln!("could not update BENCHMARKS.md: {e}"),
    }
}
