//! Rules between profiles and the shared volumes they mount, checked from both sides: a
//! profile's mounts against the hub's volumes ([`check_mounts`]), and a volume's new settings
//! against the profiles mounting it ([`check_against_mounts`], or [`check_against_uses`] when
//! only the mounts are at hand, as on the server).

use super::profile::{Profile, ProfileSpec};
use super::validate::quoted_list;
use super::volume::{AccessMode, SharedVolume, VolumeMode, VolumeSpec};
use super::{FieldError, FieldErrors};

/// Rules between a profile's mounts and the hub's shared volumes: the volume exists in this
/// hub, is a Filesystem volume, and a ReadOnlyMany volume is mounted read-only.
pub fn check_mounts(spec: &ProfileSpec, volumes: &[SharedVolume]) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    for (i, m) in spec.mounts.iter().enumerate() {
        match volumes.iter().find(|v| v.id == m.volume_id) {
            None => e.push(
                format!("mounts[{i}].volume_id"),
                format!(
                    "Shared volume #{} does not exist in this hub: choose one from the list.",
                    m.volume_id
                ),
            ),
            Some(v) if v.spec.volume_mode == VolumeMode::Block => e.push(
                format!("mounts[{i}].volume_id"),
                format!(
                    "\"{}\" is a Block volume, which cannot be mounted as a directory: choose a Filesystem volume.",
                    v.spec.name
                ),
            ),
            Some(v) if v.spec.access_mode == AccessMode::ReadOnlyMany && !m.read_only => e.push(
                format!("mounts[{i}].read_only"),
                format!("\"{}\" is ReadOnlyMany: tick read-only.", v.spec.name),
            ),
            Some(_) => {}
        }
    }
    e.into_result()
}

/// One profile's mount of a volume: the profile's display name and whether it mounts it
/// read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountUse {
    pub profile: String,
    pub read_only: bool,
}

/// The mounts of volume `volume_id` among `profiles`.
pub fn uses_of(volume_id: i64, profiles: &[Profile]) -> Vec<MountUse> {
    profiles
        .iter()
        .flat_map(|p| {
            p.spec
                .mounts
                .iter()
                .filter(move |m| m.volume_id == volume_id)
                .map(|m| MountUse {
                    profile: p.spec.display_name.clone(),
                    read_only: m.read_only,
                })
        })
        .collect()
}

/// Rules between a volume and the profiles that mount it: a Block volume cannot be mounted
/// as a directory, and a ReadOnlyMany volume must be mounted read-only. `mounted_by` are the
/// profiles mounting volume `volume_id`.
pub fn check_against_mounts(
    volume_id: i64,
    spec: &VolumeSpec,
    mounted_by: &[Profile],
) -> Result<(), FieldErrors> {
    check_against_uses(spec, &uses_of(volume_id, mounted_by))
}

/// [`check_against_mounts`] on the volume's mounts.
pub fn check_against_uses(spec: &VolumeSpec, uses: &[MountUse]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut users: Vec<&str> = uses.iter().map(|u| u.profile.as_str()).collect();
    users.dedup();
    if spec.volume_mode == VolumeMode::Block && !users.is_empty() {
        errors.push(
            "volume_mode",
            format!(
                "A Block volume cannot be mounted as a directory, and profiles {} mount this one: remove those mounts first or keep Filesystem.",
                quoted_list(users.iter().copied())
            ),
        );
    }
    if spec.access_mode == AccessMode::ReadOnlyMany {
        let mut writers: Vec<&str> = uses
            .iter()
            .filter(|u| !u.read_only)
            .map(|u| u.profile.as_str())
            .collect();
        writers.dedup();
        if !writers.is_empty() {
            errors.push(
                "access_mode",
                format!(
                    "ReadOnlyMany volumes must be mounted read-only, and profiles {} mount this one read-write: make those mounts read-only first.",
                    quoted_list(writers)
                ),
            );
        }
    }
    errors.into_result()
}

/// The error for deleting a volume that profiles still mount.
pub fn in_use_error(volume_name: &str, profile_names: &[String]) -> FieldError {
    FieldError::new(
        "volume",
        format!(
            "Shared volume \"{volume_name}\" is mounted by {} {}: remove it from {} first.",
            if profile_names.len() == 1 {
                "profile"
            } else {
                "profiles"
            },
            quoted_list(profile_names.iter().map(String::as_str)),
            if profile_names.len() == 1 {
                "that profile"
            } else {
                "those profiles"
            },
        ),
    )
}
