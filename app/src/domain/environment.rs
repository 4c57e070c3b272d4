//! "My environment": what one signed-in user may choose on each hub and the state of their
//! own servers and home volumes. Built on the server from SQLite and the watch stores, for
//! that user only; plain data here so the page renders it in the browser too.

use super::choices::OptionChoice;
use super::cluster::PodHealth;
use super::fit::{Fit, ServerRequest, bytes_text};
use super::profile::{Profile, ProfileSpec};
use super::quantity::format_cores;
use super::scheduling::{extended_requests, extra_resource_rows};
use super::volume::SharedVolume;
use serde::{Deserialize, Serialize};

/// Everything "My environment" shows for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyEnvironment {
    pub username: String,
    /// Hubs with at least one profile this user may use.
    pub hubs: Vec<HubChoices>,
    /// The user's own servers (pods annotated with their name).
    pub servers: Vec<MyServer>,
    /// The user's own home volumes.
    pub volumes: Vec<MyVolume>,
    /// Why the cluster part is empty, when it is not known (not connected yet, unreachable).
    pub cluster_note: Option<String>,
    /// The history of the user's servers (kept after the pods are gone), newest first.
    pub timeline: Vec<TimelineEntry>,
}

/// One event of a user's server, as kept in the portal's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// JupyterHub's server name (empty for the default server).
    pub server_name: String,
    /// `namespace/pod`.
    pub pod: String,
    /// How many times Kubernetes saw it (a repeated event is one entry).
    pub count: i64,
    pub event: ServerEvent,
}

/// A hub and the profiles this user may choose there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubChoices {
    pub hub_id: i64,
    pub hub_name: String,
    pub namespace: String,
    pub profiles: Vec<ProfileCard>,
    /// The profile the user chose (remembered; the hub preselects it), if any and still
    /// allowed; else the hub's default when the user may use it.
    pub chosen: Option<i64>,
    /// Whether `chosen` is the user's own choice (not the hub's default).
    pub chosen_by_user: bool,
}

/// One profile as a card: what a server of it gets, and whether it fits the cluster now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileCard {
    pub id: i64,
    pub display_name: String,
    pub description: String,
    pub image: String,
    /// e.g. "2 CPU (0.5 guaranteed)", "no limit".
    pub cpu: String,
    pub memory: String,
    /// e.g. "10Gi at /home/jovyan".
    pub home: String,
    /// e.g. "course-data at /mnt/data (read-only)".
    pub volumes: Vec<String>,
    /// GPUs and other extended resources, e.g. "1 nvidia.com/gpu".
    #[serde(default)]
    pub devices: Vec<String>,
    /// The choices inside the profile; image, CPU, memory, GPUs and `fit` above are those of
    /// the default choices (what a server gets when the user picks nothing).
    #[serde(default)]
    pub options: Vec<CardOption>,
    pub fit: Fit,
}

/// One option of a profile as the card lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardOption {
    pub display_name: String,
    pub choices: Vec<CardChoice>,
    /// The free-form value's label, when users may type one (e.g. "Image from our registry").
    pub free_form: Option<String>,
}

/// One choice as the card lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardChoice {
    pub display_name: String,
    /// What it changes, e.g. "quay.io/jupyter/r-notebook:r-4.4" or "up to 4 CPU, up to 16 GiB, 1 nvidia.com/gpu".
    pub detail: String,
    pub is_default: bool,
    /// Whether a server with this choice fits now, for a choice that asks the scheduler for
    /// other resources than the default; `None` otherwise (the card's own answer holds).
    pub fit: Option<Fit>,
}

fn resource_text(limit: Option<String>, guarantee: Option<String>) -> String {
    match (limit, guarantee) {
        (Some(l), Some(g)) if l == g => format!("{l} guaranteed"),
        (Some(l), Some(g)) => format!("up to {l} ({g} guaranteed)"),
        (Some(l), None) => format!("up to {l}"),
        (None, Some(g)) => format!("{g} guaranteed, no limit"),
        (None, None) => "no limit".to_string(),
    }
}

fn cpu_text(s: &ProfileSpec) -> String {
    resource_text(
        s.cpu_limit.map(|c| format!("{} CPU", format_cores(c))),
        s.cpu_guarantee.map(|c| format!("{} CPU", format_cores(c))),
    )
}

fn memory_text(s: &ProfileSpec) -> String {
    resource_text(
        s.mem_limit.as_ref().map(|m| bytes_text(m.bytes())),
        s.mem_guarantee.as_ref().map(|m| bytes_text(m.bytes())),
    )
}

fn devices_text(s: &ProfileSpec) -> Vec<String> {
    extra_resource_rows(&s.extra_resource_limits, &s.extra_resource_guarantees)
        .into_iter()
        .map(|r| {
            let n = if r.limit.is_empty() {
                r.guarantee
            } else {
                r.limit
            };
            format!("{n} {}", r.name)
        })
        .collect()
}

/// What a choice changes, in the card's words (its image, CPU, memory and GPUs as a server
/// with it gets them).
fn choice_detail(c: &OptionChoice, with: &ProfileSpec) -> String {
    let mut parts = Vec::new();
    if let Some(image) = &c.image {
        parts.push(image.clone());
    }
    if c.cpu_limit.is_some() || c.cpu_guarantee.is_some() {
        parts.push(cpu_text(with));
    }
    if c.mem_limit.is_some() || c.mem_guarantee.is_some() {
        parts.push(memory_text(with));
    }
    parts.extend(
        c.extra_resource_limits
            .iter()
            .map(|(name, n)| format!("{n} {name}")),
    );
    parts.join(", ")
}

impl ProfileCard {
    /// The card of profile `p`, naming its shared volumes from `volumes`; `fit_of` answers
    /// whether a server asking a request fits (once for the default choices, once per choice
    /// that asks for other resources).
    pub fn new(
        p: &Profile,
        volumes: &[SharedVolume],
        fit_of: impl Fn(&ServerRequest) -> Fit,
    ) -> Self {
        let s = p.spec.with_defaults();
        let mounts = s
            .mounts
            .iter()
            .map(|m| {
                let name = volumes
                    .iter()
                    .find(|v| v.id == m.volume_id)
                    .map(|v| v.spec.name.clone())
                    .unwrap_or_else(|| format!("volume #{}", m.volume_id));
                format!(
                    "{name} at {}{}",
                    m.mount_path,
                    if m.read_only { " (read-only)" } else { "" }
                )
            })
            .collect();
        let options = p
            .spec
            .profile_options
            .iter()
            .map(|o| CardOption {
                display_name: o.display_name.clone(),
                choices: o
                    .choices
                    .iter()
                    .map(|c| {
                        // This choice with the other options' defaults.
                        let with = s.with_choice(c);
                        CardChoice {
                            display_name: c.display_name.clone(),
                            detail: choice_detail(c, &with),
                            is_default: c.is_default,
                            fit: (c.changes_resources() && !c.is_default)
                                .then(|| fit_of(&request_of(&with))),
                        }
                    })
                    .collect(),
                free_form: o.unlisted.as_ref().map(|u| u.display_name.clone()),
            })
            .collect();
        ProfileCard {
            id: p.id,
            display_name: s.display_name.clone(),
            description: s.description.clone(),
            image: s.image.reference(),
            cpu: cpu_text(&s),
            memory: memory_text(&s),
            home: format!("{} at {}", s.home.capacity.as_str(), s.home.mount_path),
            volumes: mounts,
            devices: devices_text(&s),
            options,
            fit: fit_of(&request_of(&s)),
        }
    }

    /// What a server of profile `p` requests from the scheduler (with the default choices).
    pub fn request(p: &Profile) -> ServerRequest {
        request_of(&p.spec.with_defaults())
    }
}

/// What a server with these settings requests from the scheduler.
pub fn request_of(s: &ProfileSpec) -> ServerRequest {
    ServerRequest::from_settings(
        s.cpu_guarantee,
        s.cpu_limit,
        s.mem_guarantee.as_ref().map(|m| m.bytes()),
        s.mem_limit.as_ref().map(|m| m.bytes()),
        s.node_selector.clone(),
    )
    .with_scheduling(
        extended_requests(&s.extra_resource_limits, &s.extra_resource_guarantees),
        s.tolerations.clone(),
        s.node_affinity.clone(),
    )
}

/// One of the user's servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyServer {
    pub pod: String,
    pub namespace: String,
    /// The portal's hub of the pod's namespace and release, when there is one.
    #[serde(default)]
    pub hub_id: Option<i64>,
    /// JupyterHub's server name (empty for the default server).
    pub server_name: String,
    pub image: String,
    /// Requests and limits as the pod has them, e.g. "0.5 / 2" CPU, "1Gi / 4Gi" memory.
    pub cpu: String,
    pub memory: String,
    pub started_at: Option<String>,
    pub health: PodHealth,
    /// The pod's events, oldest first.
    pub events: Vec<ServerEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerEvent {
    pub time: String,
    /// `Normal` or `Warning`.
    pub kind: String,
    pub reason: String,
    pub message: String,
}

/// One of the user's home volumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyVolume {
    pub name: String,
    pub namespace: String,
    /// What was asked for and what the volume has (`status.capacity`), e.g. "10Gi".
    pub requested: String,
    pub capacity: Option<String>,
    pub storage_class: Option<String>,
    /// `Bound`, `Pending`, `Lost`.
    pub phase: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::{MountForm, ProfileForm};
    use crate::domain::volume::VolumeForm;

    fn profile(f: ProfileForm) -> Profile {
        Profile {
            id: 7,
            hub_id: 1,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec: f.validate().expect("valid"),
        }
    }

    #[test]
    fn a_card_says_what_a_server_gets() {
        let vol = SharedVolume {
            id: 3,
            hub_id: 1,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            spec: VolumeForm {
                name: "course-data".into(),
                pvc_name: "course-data".into(),
                namespace: "jhub".into(),
                size: "10Gi".into(),
                access_mode: "ReadOnlyMany".into(),
                volume_mode: "Filesystem".into(),
                ..Default::default()
            }
            .validate()
            .expect("valid"),
        };
        let p = profile(ProfileForm {
            display_name: "Standard".into(),
            slug: "standard".into(),
            image_name: "quay.io/jupyter/scipy-notebook".into(),
            image_tag: "2024-05-01".into(),
            image_pull_policy: "IfNotPresent".into(),
            cpu_limit: "2".into(),
            cpu_guarantee: "0.5".into(),
            mem_limit: "4G".into(),
            home_capacity: "10Gi".into(),
            mounts: vec![MountForm {
                volume_id: "3".into(),
                mount_path: "/mnt/data".into(),
                read_only: "on".into(),
            }],
            ..Default::default()
        });
        let card = ProfileCard::new(&p, &[vol], |_| Fit::Unknown);
        assert_eq!(card.image, "quay.io/jupyter/scipy-notebook:2024-05-01");
        assert_eq!(card.cpu, "up to 2 CPU (0.5 CPU guaranteed)");
        assert_eq!(card.memory, "up to 4 GiB");
        assert_eq!(card.home, "10Gi at /home/jovyan");
        assert_eq!(card.volumes, ["course-data at /mnt/data (read-only)"]);
        let r = ProfileCard::request(&p);
        assert_eq!((r.cpu_millis, r.memory_bytes), (500, 4 << 30));
    }

    /// A profile with choices: the card shows what the default choices give, lists every
    /// choice, and does not claim "Fits now" for a choice that needs more than there is.
    #[test]
    fn a_card_lists_the_choices_and_their_fit() {
        use crate::domain::choices::{example_image_option, example_size_option};
        let mut image = example_image_option();
        // R 4.4 is the default, the second choice keeps the profile's image.
        image.choices[0].is_default = String::new();
        image.choices[0].image = String::new();
        image.choices[1].is_default = "on".into();
        let mut size = example_size_option();
        size.choices[1].cpu_limit = "8".into();
        size.choices[1].cpu_guarantee = String::new();
        size.choices[1].mem_limit = "32G".into();
        size.choices[1].mem_guarantee = String::new();
        size.choices[1].extra_resources = "nvidia.com/gpu=1".into();
        let p = profile(ProfileForm {
            display_name: "Course".into(),
            slug: "course".into(),
            image_name: "quay.io/jupyter/scipy-notebook".into(),
            image_tag: "2024-05-01".into(),
            cpu_limit: "2".into(),
            mem_limit: "4G".into(),
            home_capacity: "10Gi".into(),
            profile_options: vec![image, size],
            ..Default::default()
        });
        // A cluster with room for 2 CPU and no GPU.
        let card = ProfileCard::new(&p, &[], |r| {
            if r.cpu_millis <= 2000 && r.extended.is_empty() {
                Fit::FitsNow { node: "n1".into() }
            } else {
                Fit::NoRoomNow {
                    reason: "too big".into(),
                }
            }
        });
        assert_eq!(card.image, "quay.io/jupyter/r-notebook:r-4.4");
        assert_eq!(card.cpu, "up to 1 CPU");
        assert_eq!(card.memory, "up to 2 GiB");
        assert_eq!(card.fit.label(), "Fits now");
        assert_eq!(card.options.len(), 2);
        let image = &card.options[0];
        assert_eq!(
            image.free_form.as_deref(),
            Some("Image from registry.example.org")
        );
        assert_eq!(image.choices[0].detail, "");
        assert_eq!(image.choices[1].detail, "quay.io/jupyter/r-notebook:r-4.4");
        assert!(image.choices[1].is_default && image.choices[1].fit.is_none());
        let large = &card.options[1].choices[1];
        assert_eq!(large.detail, "up to 8 CPU, up to 32 GiB, 1 nvidia.com/gpu");
        assert_eq!(large.fit.as_ref().map(Fit::label), Some("No room now"));
        assert_eq!(ProfileCard::request(&p).cpu_millis, 1000);
    }
}
