//! Arbitrary input to every form validator and to the values generator (issue 9, item 9):
//! nothing panics, and every error names a field of the form it came from (or, for values, the
//! record and the place in the values) with a message saying what to do.
//!
//! CI runs a modest number of cases per property; a full run takes the count from
//! `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=100000 cargo test -p app --features ssr --test integration -- input_props`
//! (the figure of the last full run is in BENCHMARKS.md, section "Property runs").

use crate::values_support::*;
use app::domain::field::FieldErrors;
use app::domain::hub::HubForm;
use app::domain::profile::{EnvVar, EnvVarForm, LabelForm, MountForm, ProfileForm};
use app::domain::user::{NewUserForm, PasswordChangeForm, UserUpdateForm};
use app::domain::volume::VolumeForm;
use app::values::{ValuesInput, generate};
use proptest::prelude::*;

/// Cases per property: `PROPTEST_CASES` when set, else 512.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Text a user might type or paste: anything at all, near-valid names and quantities,
/// markup, control characters, and over-long input.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-z0-9.-]{0,70}",
        "[ a-zA-Z0-9_./:@-]{0,40}",
        "[0-9.eE+-]{0,12}(m|k|Ki|Mi|Gi|Ti|K|M|G|T|P|E|)",
        "[<>&\"'/=() a-z]{0,30}",
        "[\\x00-\\x1f\\x7f\u{200b}\u{feff} a]{0,10}",
        "[ -~]{200,700}",
        Just(String::new()),
        Just("on".to_string()),
    ]
}

/// Every error names one of `fields` (a repeated field as `name[i].part`) and says something.
fn names_fields(errors: &FieldErrors, fields: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(!errors.0.is_empty(), "an Err without errors");
    for e in &errors.0 {
        let base = e.field.split(['[', '.']).next().unwrap_or_default();
        prop_assert!(
            fields.contains(&base),
            "error for unknown field {:?}: {}",
            e.field,
            e.message
        );
        prop_assert!(
            e.message.trim().len() >= 10,
            "{:?} has no real message: {:?}",
            e.field,
            e.message
        );
    }
    Ok(())
}

const PROFILE_FIELDS: &[&str] = &[
    "display_name",
    "slug",
    "description",
    "image_name",
    "image_tag",
    "image_pull_policy",
    "image_pull_secret",
    "cpu_limit",
    "cpu_guarantee",
    "mem_limit",
    "mem_guarantee",
    "home_capacity",
    "home_storage_class",
    "home_mount_path",
    "mounts",
    "env",
    "node_selector",
    "allowed_groups",
    "is_default",
    "deprecated",
    "replaced_by",
];

fn profile_form() -> impl Strategy<Value = ProfileForm> {
    (
        (text(), text(), text(), text(), text(), text(), text()),
        (text(), text(), text(), text(), text(), text(), text()),
        (
            prop::collection::vec((text(), text(), text()), 0..4),
            prop::collection::vec((text(), text()), 0..4),
            prop::collection::vec((text(), text()), 0..4),
            text(),
            text(),
            text(),
            text(),
        ),
    )
        .prop_map(
            |(
                (display_name, slug, description, image_name, image_tag, policy, secret),
                (cpu_l, cpu_g, mem_l, mem_g, capacity, class, home),
                (mounts, env, labels, groups, is_default, deprecated, replaced_by),
            )| ProfileForm {
                display_name,
                slug,
                description,
                image_name,
                image_tag,
                image_pull_policy: policy,
                image_pull_secret: secret,
                cpu_limit: cpu_l,
                cpu_guarantee: cpu_g,
                mem_limit: mem_l,
                mem_guarantee: mem_g,
                home_capacity: capacity,
                home_storage_class: class,
                home_mount_path: home,
                mounts: mounts
                    .into_iter()
                    .map(|(volume_id, mount_path, read_only)| MountForm {
                        volume_id,
                        mount_path,
                        read_only,
                    })
                    .collect(),
                env: env
                    .into_iter()
                    .map(|(name, value)| EnvVarForm { name, value })
                    .collect(),
                node_selector: labels
                    .into_iter()
                    .map(|(key, value)| LabelForm { key, value })
                    .collect(),
                extra_resources: vec![],
                tolerations: vec![],
                node_affinity: vec![],
                node_affinity_preferred: vec![],
                profile_options: vec![],
                allowed_groups: groups,
                is_default,
                deprecated,
                replaced_by,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hub_form_any_input(
        release_name in text(), namespace in text(), chart_version in text(),
        ingress_host in text(), driver in text(),
    ) {
        let f = HubForm { release_name, namespace, chart_version, ingress_host, driver, ..HubForm::default() };
        if let Err(e) = f.validate() {
            names_fields(&e, &["release_name", "namespace", "chart_version", "ingress_host", "driver"])?;
        }
    }

    #[test]
    fn volume_form_any_input(
        name in text(), pvc_name in text(), namespace in text(), size in text(),
        access_mode in text(), storage_class in text(), volume_mode in text(), create_pvc in text(),
    ) {
        let f = VolumeForm { name, pvc_name, namespace, size, access_mode, storage_class, volume_mode, create_pvc };
        if let Err(e) = f.validate() {
            names_fields(&e, &["name", "pvc_name", "namespace", "size", "access_mode", "storage_class", "volume_mode", "create_pvc"])?;
        }
    }

    #[test]
    fn profile_form_any_input(f in profile_form()) {
        if let Err(e) = f.validate() {
            names_fields(&e, PROFILE_FIELDS)?;
        }
    }

    #[test]
    fn user_forms_any_input(
        username in text(), password in text(), role in text(), groups in text(),
        status in text(), current in text(), confirm in text(),
    ) {
        let new = NewUserForm { username, password: password.clone(), role: role.clone(), groups: groups.clone() };
        if let Err(e) = new.validate() {
            names_fields(&e, &["username", "password", "role", "groups"])?;
        }
        let update = UserUpdateForm { role, groups, status };
        if let Err(e) = update.validate() {
            names_fields(&e, &["role", "groups", "status"])?;
        }
        let change = PasswordChangeForm { current_password: current, new_password: password, confirm_password: confirm };
        if let Err(e) = change.validate() {
            names_fields(&e, &["current_password", "new_password", "confirm_password"])?;
        }
    }

    /// The generator on records as they might be stored (validated forms, then any text
    /// written behind the forms' back): no panic, the YAML is written, and every problem names
    /// its record and where it is.
    #[test]
    fn values_generator_any_records(
        forms in prop::collection::vec(profile_form(), 0..3),
        odd in prop::collection::vec((text(), text(), text(), text(), text(), text()), 1..3),
        portal in prop::option::of(text()),
    ) {
        let (h, mut profiles, vols) = sample();
        for (i, f) in forms.iter().enumerate() {
            if let Ok(spec) = f.validate() {
                let mut p = profile(10 + i as i64, &h, form("x", "x"));
                p.spec = spec;
                profiles.push(p);
            }
        }
        for (p, (name, image, tag, env, label, home)) in profiles.iter_mut().zip(odd) {
            p.spec.display_name = name;
            p.spec.image.name = image;
            p.spec.image.tag = tag;
            p.spec.env.push(EnvVar { name: env.clone(), value: env });
            p.spec.node_selector.insert(label.clone(), label);
            p.spec.home.mount_path = home;
        }
        let input = ValuesInput { hub: &h, profiles: &profiles, volumes: &vols, portal_url: portal.as_deref() };
        let g = generate(&input);
        prop_assert!(g.yaml(&h).is_ok());
        for e in g.check() {
            prop_assert!(e.target_id > 0 && !e.link.is_empty(), "{e:?}");
            prop_assert!(!e.field.is_empty() || !e.values_path.is_empty(), "{e:?}");
            prop_assert!(e.message.trim().len() >= 10, "{e:?}");
        }
    }
}
