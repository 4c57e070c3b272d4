//! The static profile list fails closed (issue 9, item 1): it is what the hub offers when the
//! portal does not answer, so it holds only profiles open to everyone, and `singleuser` holds
//! nothing (image, resources, volumes) that only a restricted profile uses. Restricted
//! profiles are still served by the hub profile API and still validated.

use crate::values_support::*;
use app::values::{ENV_REQUIRE_PROFILE, HubEnv, ValuesInput, generate, profile_entries};

const PORTAL: &str = "https://hubfleet.example.org";

fn values_of(
    h: &app::domain::hub::Hub,
    profiles: &[app::domain::profile::Profile],
    vols: &[app::domain::volume::SharedVolume],
) -> app::values::Generated {
    generate(&ValuesInput {
        hub: h,
        profiles,
        volumes: vols,
        portal_url: Some(PORTAL),
    })
}

fn slugs(list: &[app::values::ProfileEntry]) -> Vec<&str> {
    list.iter().map(|e| e.slug.as_str()).collect()
}

#[test]
fn the_static_list_holds_only_profiles_open_to_everyone() {
    let (h, profiles, vols) = sample();
    let input = ValuesInput {
        hub: &h,
        profiles: &profiles,
        volumes: &vols,
        portal_url: Some(PORTAL),
    };
    let g = generate(&input);
    assert_eq!(slugs(&g.values.singleuser.profile_list), ["standard"]);
    assert_eq!(slugs(&g.restricted), ["gpu"]);
    // The API still serves the restricted profile.
    let served: Vec<String> = profile_entries(&input)
        .into_iter()
        .map(|(_, e)| e.slug)
        .collect();
    assert_eq!(served, ["standard", "gpu"]);
    // Nothing of GPU's is written out: not its image, pull secret, volume or home path.
    let yaml = g.yaml(&h).unwrap();
    for leak in ["nvcr.io", "nvcr-pull", "scratch", "/home/researcher", "gpu"] {
        assert!(
            !yaml.contains(leak),
            "{leak} is in the static values:\n{yaml}"
        );
    }
    assert!(!g.values.hub.extra_env.contains_key(ENV_REQUIRE_PROFILE));
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("only the profiles open to everyone") && n.contains("\"GPU\"")),
        "{:?}",
        g.notes
    );
    assert!(g.check().is_empty(), "{:?}", g.check());
}

#[test]
fn a_restricted_default_does_not_become_the_base() {
    let (h, mut profiles, vols) = sample();
    profiles[0].spec.is_default = false;
    profiles[1].spec.is_default = true;
    let g = values_of(&h, &profiles, &vols);
    let su = &g.values.singleuser;
    assert_eq!(
        su.image.as_ref().map(|i| i.name.as_str()),
        Some("quay.io/jupyter/scipy-notebook")
    );
    assert_eq!(su.storage.home_mount_path, "/home/jovyan");
    assert!(
        su.storage
            .extra_volumes
            .iter()
            .all(|(k, _)| !k.contains("scratch"))
    );
    assert_eq!(slugs(&su.profile_list), ["standard"]);
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("The default profile \"GPU\" is restricted")),
        "{:?}",
        g.notes
    );
}

#[test]
fn with_no_profile_open_to_everyone_the_hub_requires_the_portal() {
    let (h, mut profiles, vols) = sample();
    profiles[0].spec.allowed_groups = vec!["staff".into()];
    let g = values_of(&h, &profiles, &vols);
    let su = &g.values.singleuser;
    assert!(su.profile_list.is_empty());
    assert!(su.image.is_none(), "no restricted image as the default");
    assert!(su.storage.extra_volumes.is_empty());
    assert!(su.extra_env.is_empty());
    assert_eq!(
        g.values.hub.extra_env.get(ENV_REQUIRE_PROFILE),
        Some(&HubEnv::Value("1".into()))
    );
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("No profile is open to everyone")),
        "{:?}",
        g.notes
    );
    assert!(g.check().is_empty(), "{:?}", g.check());
}

#[test]
fn restricted_profiles_are_still_checked() {
    let (h, mut profiles, vols) = sample();
    // Behind the form's back: a guarantee above the limit (KubeSpawner would refuse it).
    profiles[1].spec.cpu_limit = Some(1.0);
    profiles[1].spec.cpu_guarantee = Some(4.0);
    let g = values_of(&h, &profiles, &vols);
    let errors = g.check();
    assert!(
        errors
            .iter()
            .any(|e| e.target_id == 2 && e.field.starts_with("cpu")),
        "{errors:?}"
    );
}

#[test]
fn names_and_descriptions_are_sent_as_escaped_html() {
    let (h, mut profiles, vols) = sample();
    profiles[0].spec.display_name = "<img src=x onerror=alert(1)>".into();
    profiles[0].spec.description = "R & \"Python\" 'fast'".into();
    profiles[1].spec.display_name = "GPU <b>".into();
    let input = ValuesInput {
        hub: &h,
        profiles: &profiles,
        volumes: &vols,
        portal_url: Some(PORTAL),
    };
    let g = generate(&input);
    let e = &g.values.singleuser.profile_list[0];
    assert_eq!(e.display_name, "&lt;img src=x onerror=alert(1)&gt;");
    assert_eq!(e.description, "R &amp; &quot;Python&quot; &#39;fast&#39;");
    // The hub profile API answers the same entries.
    let served = profile_entries(&input);
    assert!(served.iter().all(|(_, e)| !e.display_name.contains('<')));
    assert!(
        served
            .iter()
            .any(|(_, e)| e.display_name == "GPU &lt;b&gt;")
    );
}
