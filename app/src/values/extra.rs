//! A hub's extra values (chart values Hubfleet does not generate) merged under the generated
//! values: mappings merge key by key, recursively; where both set something else (a scalar, a
//! list, or a mapping against a non-mapping) the generated value stays and a note names the
//! overridden path. Keys only the extra values have keep the order they were written in,
//! after the generated keys of the same mapping.

use super::errors::{SourceMap, TargetKind, escape_segment};
use super::model::Values;
use crate::domain::extra_values::Tree;
use crate::domain::hub::Hub;

/// The generated values as an ordered tree (the order they serialize in).
pub fn values_tree(values: &Values) -> Result<Tree, String> {
    let text = serde_json::to_string(values).map_err(|e| e.to_string())?;
    serde_json::from_str::<Tree>(&text).map_err(|e| e.to_string())
}

/// What merging extra values did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergeReport {
    /// Paths (dotted) of extra values the generated values override.
    pub overridden: Vec<String>,
    /// JSON pointers of the places the extra values added.
    pub added: Vec<String>,
}

fn dotted(path: &[String]) -> String {
    path.join(".")
}

fn pointer_of(path: &[String]) -> String {
    path.iter()
        .map(|s| format!("/{}", escape_segment(s)))
        .collect()
}

/// Merges `extra` under `generated` (generated values win), in place.
pub fn merge_under(generated: &mut Tree, extra: &Tree) -> MergeReport {
    let mut report = MergeReport::default();
    let mut path = Vec::new();
    merge_at(generated, extra, &mut path, &mut report);
    report
}

fn merge_at(generated: &mut Tree, extra: &Tree, path: &mut Vec<String>, r: &mut MergeReport) {
    match (generated, extra) {
        (Tree::Map(gen_entries), Tree::Map(extra_entries)) => {
            for (k, ev) in extra_entries {
                path.push(k.clone());
                match gen_entries.iter_mut().find(|(gk, _)| gk == k) {
                    Some((_, gv)) => merge_at(gv, ev, path, r),
                    None => {
                        r.added.push(pointer_of(path));
                        gen_entries.push((k.clone(), ev.clone()));
                    }
                }
                path.pop();
            }
        }
        (g, e) => {
            if *g != *e {
                r.overridden.push(dotted(path));
            }
        }
    }
}

/// The generated `values` with the hub's extra values merged under them, the notes to show,
/// and the places the extra values added recorded in `sources` (so an error there points at
/// the hub's extra values). `None` when the hub has no extra values. A stored text that does
/// not parse (it is checked before it is saved) is a problem of the hub's field.
pub fn merge_hub_extra(
    hub: &Hub,
    values: &Values,
    sources: &mut SourceMap,
    notes: &mut Vec<String>,
) -> Result<Option<Tree>, String> {
    let extra = match crate::domain::extra_values::parse_extra_values(
        crate::domain::extra_values::FIELD,
        &hub.spec.extra_values,
    ) {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(None),
        Err(e) => return Err(e.message),
    };
    let mut tree = values_tree(values)?;
    let report = merge_under(&mut tree, &extra);
    for at in &report.added {
        sources.add(
            at.clone(),
            TargetKind::Hub,
            hub.id,
            &hub.spec.release_name,
            crate::domain::extra_values::FIELD,
        );
    }
    if !report.overridden.is_empty() {
        notes.push(format!(
            "Extra values overridden by Hubfleet's generated values (the hub's settings, profiles and shared volumes win): {}. Change them in Hubfleet's forms instead, or remove them from the extra values.",
            report.overridden.join(", ")
        ));
    }
    Ok(Some(tree))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::extra_values::parse_extra_values;

    fn tree(yaml: &str) -> Tree {
        parse_extra_values("f", yaml).unwrap().unwrap()
    }

    #[test]
    fn generated_wins_and_maps_merge() {
        let mut g = tree(
            "singleuser:\n  image:\n    name: a\n    tag: v1\n  storage:\n    type: dynamic\nhub:\n  extraConfig:\n    x: old\n",
        );
        let e = tree(
            "singleuser:\n  image:\n    tag: v2\n  defaultUrl: /lab\n  storage:\n    type: none\nproxy:\n  https:\n    enabled: true\nhub:\n  extraConfig:\n    mine: code\n",
        );
        let r = merge_under(&mut g, &e);
        assert_eq!(
            r.overridden,
            vec!["singleuser.image.tag", "singleuser.storage.type"]
        );
        assert_eq!(
            r.added,
            vec!["/singleuser/defaultUrl", "/proxy", "/hub/extraConfig/mine"]
        );
        let j = g.to_json();
        assert_eq!(j["singleuser"]["image"]["tag"], "v1");
        assert_eq!(j["singleuser"]["defaultUrl"], "/lab");
        assert_eq!(j["proxy"]["https"]["enabled"], true);
        assert_eq!(j["hub"]["extraConfig"]["x"], "old");
        assert_eq!(j["hub"]["extraConfig"]["mine"], "code");
        // Added keys come after the generated ones of the same mapping.
        let Tree::Map(top) = &g else { panic!() };
        let keys: Vec<&str> = top.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["singleuser", "hub", "proxy"]);
    }

    #[test]
    fn equal_values_are_not_overrides_and_lists_do_not_merge() {
        let mut g = tree("a:\n  b: [1, 2]\n  c: x\n");
        let e = tree("a:\n  b: [3]\n  c: x\n");
        let r = merge_under(&mut g, &e);
        assert_eq!(r.overridden, vec!["a.b"]);
        assert_eq!(g.to_json()["a"]["b"], serde_json::json!([1, 2]));
    }
}
