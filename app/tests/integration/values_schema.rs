//! Generated values against the chart's own JSON schema (merged over the chart's defaults, as
//! helm does), and the rules the schema does not know.

use crate::values_support::*;
use app::values::{ValuesInput, check_values, generate, schema};
use serde_json::json;

fn sample_json() -> (serde_json::Value, app::values::SourceMap) {
    let (h, p, v) = sample();
    let g = generate(&ValuesInput {
        hub: &h,
        profiles: &p,
        volumes: &v,
        portal_url: Some("https://portal"),
    });
    (g.json(), g.sources)
}

#[test]
fn generated_values_pass_the_schema() {
    let (j, s) = sample_json();
    assert!(schema::is_valid(&j));
    assert_eq!(schema::schema_errors(&j, &s), vec![]);
    assert_eq!(check_values(&j, &s), vec![]);
}

#[test]
fn a_hub_without_profiles_still_has_valid_values() {
    let h = hub(5, "empty", "ns", "");
    let g = generate(&ValuesInput {
        hub: &h,
        profiles: &[],
        volumes: &[],
        portal_url: None,
    });
    assert!(
        schema::is_valid(&g.json()),
        "{:?}",
        schema::schema_errors(&g.json(), &g.sources)
    );
    assert!(g.check().is_empty());
    assert!(
        g.notes.iter().any(|n| n.contains("no active profile")),
        "{:?}",
        g.notes
    );
    assert!(
        g.notes.iter().any(|n| n.contains("HUBFLEET_PUBLIC_URL")),
        "{:?}",
        g.notes
    );
}

#[test]
fn an_unknown_key_is_rejected() {
    let (mut j, s) = sample_json();
    j["singleuser"]["storage"]["capacty"] = json!("5Gi");
    let e = schema::schema_errors(&j, &s);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].values_path, "/singleuser/storage/capacty");
    assert!(!schema::is_valid(&j));
    let (mut j, s) = sample_json();
    j["prePuller"]["hook"]["enable"] = json!(false);
    assert!(!schema::schema_errors(&j, &s).is_empty());
    let (mut j, s) = sample_json();
    j["unknownTopLevel"] = json!({});
    assert!(!schema::schema_errors(&j, &s).is_empty());
}

#[test]
fn a_list_extra_config_is_rejected() {
    let (mut j, s) = sample_json();
    j["hub"]["extraConfig"] = json!(["c.KubeSpawner.image = 'x'"]);
    let e = schema::schema_errors(&j, &s);
    assert!(
        e.iter().any(|e| e.values_path == "/hub/extraConfig"),
        "{e:?}"
    );
    let e = check_values(&j, &s);
    assert!(
        e.iter().any(|e| e.values_path == "/hub/extraConfig"),
        "{e:?}"
    );
}

#[test]
fn schema_and_rules_split_the_work() {
    // Millicores: the schema refuses them (numbers only).
    let (mut j, s) = sample_json();
    j["singleuser"]["cpu"]["limit"] = json!("1500m");
    assert!(!schema::is_valid(&j));
    // Kubernetes memory notation passes the schema but not KubeSpawner.
    let (mut j, s2) = sample_json();
    j["singleuser"]["memory"]["limit"] = json!("3Gi");
    assert!(schema::is_valid(&j));
    let e = check_values(&j, &s2);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("KubeSpawner"));
    let _ = s;
}
