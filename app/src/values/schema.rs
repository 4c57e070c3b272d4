//! Validation against the chart's own JSON schema, as `helm install` does it: the chart's
//! default values with the given values coalesced over them (maps merged key by key, any
//! other value replacing the default, `null` deleting it), then checked against
//! `values.schema.json`. Both files ship in `app/schema/` (chart 4.4.0, BSD-3-Clause, Project
//! Jupyter; see the README there). Server only: the schema engine is not built for the browser.

use super::errors::{SourceMap, ValuesError, escape_segment};
use jsonschema::Validator;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// The chart's `values.schema.json`.
pub const SCHEMA_JSON: &str = include_str!("../../schema/z2jh-values.schema.json");
/// The chart's `values.yaml`, as JSON.
pub const DEFAULTS_JSON: &str = include_str!("../../schema/z2jh-values.defaults.json");

struct Loaded {
    validator: Result<Validator, String>,
    defaults: Value,
}

static LOADED: LazyLock<Loaded> = LazyLock::new(|| {
    let validator = serde_json::from_str::<Value>(SCHEMA_JSON)
        .map_err(|e| format!("the bundled chart schema is not JSON: {e}"))
        .and_then(|schema| {
            jsonschema::draft7::new(&schema)
                .map_err(|e| format!("the bundled chart schema is not usable: {e}"))
        });
    let defaults = serde_json::from_str::<Value>(DEFAULTS_JSON).unwrap_or(Value::Null);
    Loaded {
        validator,
        defaults,
    }
});

/// The chart's default values.
pub fn chart_defaults() -> &'static Value {
    &LOADED.defaults
}

/// Helm's coalescing of user values over chart defaults.
pub fn coalesce(defaults: &Value, values: &Value) -> Value {
    match (defaults, values) {
        (Value::Object(d), Value::Object(v)) => {
            let mut out: Map<String, Value> = d.clone();
            for (k, val) in v {
                if val.is_null() {
                    out.remove(k);
                    continue;
                }
                let merged = match out.get(k) {
                    Some(dv) => coalesce(dv, val),
                    None => val.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, v) => v.clone(),
    }
}

/// Schema errors in `values` (merged over the chart's defaults), attributed through
/// `sources`. An unknown key is reported at the key itself.
pub fn schema_errors(values: &Value, sources: &SourceMap) -> Vec<ValuesError> {
    let loaded = &*LOADED;
    let validator = match &loaded.validator {
        Ok(v) => v,
        Err(e) => return vec![sources.error("", e.clone())],
    };
    let merged = coalesce(&loaded.defaults, values);
    let mut out: Vec<ValuesError> = Vec::new();
    for e in validator.iter_errors(&merged) {
        let at = e.instance_path().as_str().to_string();
        let message = e.to_string();
        match e.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let here = format!("{at}/{}", escape_segment(key));
                    out.push(sources.error(
                        &here,
                        format!(
                            "The chart does not know the setting \"{key}\" here, and helm install would refuse the values ({message})."
                        ),
                    ));
                }
            }
            _ => out.push(sources.error(
                &at,
                format!("The chart's schema refuses this value: {message}."),
            )),
        }
    }
    out.dedup();
    out
}

/// Whether `values` pass the chart's schema.
pub fn is_valid(values: &Value) -> bool {
    match &LOADED.validator {
        Ok(v) => v.is_valid(&coalesce(&LOADED.defaults, values)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coalescing_merges_maps_replaces_the_rest_and_null_deletes() {
        let d = json!({"a": {"x": 1, "y": [1, 2]}, "b": 2, "c": 3});
        let v = json!({"a": {"y": [3], "z": true}, "b": null, "d": "new"});
        assert_eq!(
            coalesce(&d, &v),
            json!({"a": {"x": 1, "y": [3], "z": true}, "c": 3, "d": "new"})
        );
    }

    #[test]
    fn chart_defaults_pass_their_own_schema() {
        assert!(chart_defaults().is_object());
        assert!(is_valid(&json!({})));
        let sources = SourceMap::new(1, "h");
        assert_eq!(schema_errors(&json!({}), &sources), vec![]);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        let sources = SourceMap::new(1, "h");
        let e = schema_errors(
            &json!({"singleuser": {"memroy": {"limit": "1G"}}}),
            &sources,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].values_path, "/singleuser/memroy");
        assert!(e[0].message.contains("memroy"), "{}", e[0].message);
        let e = schema_errors(&json!({"hub": {"extraConfig": ["print(1)"]}}), &sources);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].values_path, "/hub/extraConfig");
        let e = schema_errors(
            &json!({"singleuser": {"cpu": {"limit": "1500m"}}}),
            &sources,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].values_path, "/singleuser/cpu/limit");
    }
}
