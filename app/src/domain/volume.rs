//! Shared volumes: PersistentVolumeClaims that profiles mount into every user's server
//! (e.g. a course's data set). Each belongs to one hub.
//!
//! Form field names of [`VolumeForm`]: `name`, `pvc_name`, `namespace`, `size`,
//! `access_mode`, `storage_class`, `volume_mode`, `create_pvc` (checkbox: `on` or empty).
//! Errors about deleting a volume use the field `volume`.

use super::quantity::Quantity;
use super::validate::{
    parse_checkbox, validate_display_name, validate_dns1123_subdomain, validate_namespace,
};
use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// PVC access modes. `ReadWriteMany` is what a volume shared by many users' servers needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum AccessMode {
    #[default]
    ReadWriteMany,
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteOncePod,
}

impl AccessMode {
    pub const ALL: [AccessMode; 4] = [
        AccessMode::ReadWriteMany,
        AccessMode::ReadWriteOnce,
        AccessMode::ReadOnlyMany,
        AccessMode::ReadWriteOncePod,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }

    /// An explanation for the form.
    pub fn label(self) -> &'static str {
        match self {
            AccessMode::ReadWriteMany => "ReadWriteMany (many servers read and write)",
            AccessMode::ReadWriteOnce => "ReadWriteOnce (servers on one node only)",
            AccessMode::ReadOnlyMany => "ReadOnlyMany (many servers, read-only)",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod (a single server at a time)",
        }
    }

    /// Empty means the default, `ReadWriteMany`.
    pub fn parse(field: &str, s: &str) -> Result<AccessMode, FieldError> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(AccessMode::default());
        }
        AccessMode::ALL
            .into_iter()
            .find(|m| m.as_str() == t)
            .or_else(|| {
                // Accept the kubectl abbreviations too (RWX, RWO, ROX, RWOP).
                match t.to_ascii_uppercase().as_str() {
                    "RWX" => Some(AccessMode::ReadWriteMany),
                    "RWO" => Some(AccessMode::ReadWriteOnce),
                    "ROX" => Some(AccessMode::ReadOnlyMany),
                    "RWOP" => Some(AccessMode::ReadWriteOncePod),
                    _ => None,
                }
            })
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!(
                        "Access mode \"{t}\" is unknown: choose ReadWriteMany, ReadWriteOnce, ReadOnlyMany or ReadWriteOncePod."
                    ),
                )
            })
    }
}

impl std::fmt::Display for AccessMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum VolumeMode {
    #[default]
    Filesystem,
    /// A raw block device: cannot be mounted as a directory, so profiles cannot mount it.
    Block,
}

impl VolumeMode {
    pub const ALL: [VolumeMode; 2] = [VolumeMode::Filesystem, VolumeMode::Block];

    pub fn as_str(self) -> &'static str {
        match self {
            VolumeMode::Filesystem => "Filesystem",
            VolumeMode::Block => "Block",
        }
    }

    /// Empty means the default, `Filesystem`.
    pub fn parse(field: &str, s: &str) -> Result<VolumeMode, FieldError> {
        match s.trim() {
            "" | "Filesystem" => Ok(VolumeMode::Filesystem),
            "Block" => Ok(VolumeMode::Block),
            other => Err(FieldError::new(
                field,
                format!("Volume mode \"{other}\" is unknown: choose Filesystem or Block."),
            )),
        }
    }
}

impl std::fmt::Display for VolumeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shared-volume form as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub pvc_name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub size: String,
    #[serde(default)]
    pub access_mode: String,
    #[serde(default)]
    pub storage_class: String,
    #[serde(default)]
    pub volume_mode: String,
    /// `on` when the portal creates the PVC; empty when it already exists.
    #[serde(default)]
    pub create_pvc: String,
}

/// A validated shared volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeSpec {
    /// Display name.
    pub name: String,
    pub pvc_name: String,
    /// Must be the hub's namespace: a pod can only mount claims of its own namespace.
    pub namespace: String,
    /// Required when the portal creates the PVC; for an existing claim it is informative.
    pub size: Option<Quantity>,
    pub access_mode: AccessMode,
    /// `None`: the cluster's default storage class.
    pub storage_class: Option<String>,
    pub volume_mode: VolumeMode,
    /// Whether the portal creates (and owns) the PVC, or it already exists.
    pub create_pvc: bool,
}

impl VolumeForm {
    pub fn validate(&self) -> Result<VolumeSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = validate_display_name("name", &self.name)
            .map_err(|e| errors.0.push(e))
            .ok();
        let pvc_name = self.pvc_name.trim().to_string();
        errors.check(validate_dns1123_subdomain(
            "pvc_name", "PVC name", &pvc_name,
        ));
        let namespace = self.namespace.trim().to_string();
        errors.check(validate_namespace("namespace", &namespace));
        let create_pvc = parse_checkbox("create_pvc", &self.create_pvc)
            .map_err(|e| errors.0.push(e))
            .ok();
        let size = match self.size.trim() {
            "" if create_pvc == Some(true) => {
                errors.push(
                    "size",
                    "The portal creates this claim, so it needs a size: write e.g. 10Gi.",
                );
                None
            }
            "" => None,
            s => Quantity::parse("size", s)
                .map_err(|e| errors.0.push(e))
                .ok(),
        };
        let access_mode = AccessMode::parse("access_mode", &self.access_mode)
            .map_err(|e| errors.0.push(e))
            .ok();
        let storage_class = match self.storage_class.trim() {
            "" => None,
            s => {
                errors.check(validate_dns1123_subdomain(
                    "storage_class",
                    "storage class",
                    s,
                ));
                Some(s.to_string())
            }
        };
        let volume_mode = VolumeMode::parse("volume_mode", &self.volume_mode)
            .map_err(|e| errors.0.push(e))
            .ok();
        if !errors.is_empty() {
            return Err(errors);
        }
        match (name, create_pvc, access_mode, volume_mode) {
            (Some(name), Some(create_pvc), Some(access_mode), Some(volume_mode)) => {
                Ok(VolumeSpec {
                    name,
                    pvc_name,
                    namespace,
                    size,
                    access_mode,
                    storage_class,
                    volume_mode,
                    create_pvc,
                })
            }
            _ => Err(FieldErrors(vec![FieldError::new("form", "Invalid form.")])),
        }
    }
}

impl VolumeSpec {
    pub fn to_form(&self) -> VolumeForm {
        VolumeForm {
            name: self.name.clone(),
            pvc_name: self.pvc_name.clone(),
            namespace: self.namespace.clone(),
            size: self
                .size
                .as_ref()
                .map(|q| q.as_str().to_string())
                .unwrap_or_default(),
            access_mode: self.access_mode.as_str().to_string(),
            storage_class: self.storage_class.clone().unwrap_or_default(),
            volume_mode: self.volume_mode.as_str().to_string(),
            create_pvc: super::validate::checkbox_value(self.create_pvc),
        }
    }
}

/// A stored shared volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedVolume {
    pub id: i64,
    pub hub_id: i64,
    /// Optimistic-locking version: send it back with an update or a delete.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub spec: VolumeSpec,
}

/// Rules between a volume and the hub it belongs to (checked by the server on every save).
pub fn check_hub_namespace(spec: &VolumeSpec, hub_namespace: &str) -> Result<(), FieldError> {
    if spec.namespace != hub_namespace {
        return Err(FieldError::new(
            "namespace",
            format!(
                "The hub's servers run in namespace \"{hub_namespace}\" and a pod can only mount claims of its own namespace: write {hub_namespace}."
            ),
        ));
    }
    Ok(())
}

/// The new size of a volume that may only grow: a Kubernetes quantity larger than `current`
/// (Kubernetes refuses to shrink a PersistentVolumeClaim).
pub fn validate_growth(field: &str, current: &str, input: &str) -> Result<Quantity, FieldError> {
    let new = Quantity::parse(field, input)?;
    let now = Quantity::parse(field, current)
        .map(|q| q.bytes())
        .unwrap_or(0);
    if new.bytes() <= now {
        return Err(FieldError::new(
            field,
            format!(
                "New size {} is not larger than the current {current}: a volume can only grow. Enter a larger size.",
                new.as_str()
            ),
        ));
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mount::in_use_error;
    use crate::domain::validate::quoted_list;

    pub(crate) fn example_form() -> VolumeForm {
        VolumeForm {
            name: "claim-share".into(),
            pvc_name: "claim-share".into(),
            namespace: "kube-public".into(),
            size: "10Gi".into(),
            access_mode: "ReadWriteMany".into(),
            storage_class: "glusterfs".into(),
            volume_mode: "Filesystem".into(),
            create_pvc: "on".into(),
        }
    }

    #[test]
    fn example_is_valid_and_roundtrips() {
        let v = example_form().validate().unwrap();
        assert_eq!(v.size.as_ref().unwrap().bytes(), 10 * 1024 * 1024 * 1024);
        assert!(v.create_pvc);
        assert_eq!(v.access_mode, AccessMode::ReadWriteMany);
        assert_eq!(v.to_form(), example_form());
        assert_eq!(v.to_form().validate().unwrap(), v);
    }

    #[test]
    fn defaults() {
        let f = VolumeForm {
            access_mode: String::new(),
            volume_mode: String::new(),
            storage_class: String::new(),
            ..example_form()
        };
        let v = f.validate().unwrap();
        assert_eq!(v.access_mode, AccessMode::ReadWriteMany);
        assert_eq!(v.volume_mode, VolumeMode::Filesystem);
        assert_eq!(v.storage_class, None);
        let existing = VolumeForm {
            size: String::new(),
            create_pvc: String::new(),
            ..example_form()
        };
        let v = existing.validate().unwrap();
        assert_eq!(v.size, None);
        assert!(!v.create_pvc);
    }

    #[test]
    fn every_field_is_reported() {
        let f = VolumeForm {
            name: String::new(),
            pvc_name: "Claim_Share".into(),
            namespace: "kube.public".into(),
            size: "10 GB".into(),
            access_mode: "ReadWriteSome".into(),
            storage_class: "Gluster FS".into(),
            volume_mode: "Raw".into(),
            create_pvc: "perhaps".into(),
        };
        let e = f.validate().unwrap_err();
        for field in [
            "name",
            "pvc_name",
            "namespace",
            "size",
            "access_mode",
            "storage_class",
            "volume_mode",
            "create_pvc",
        ] {
            assert!(e.get(field).is_some(), "{field}: {e}");
        }
        let e = VolumeForm {
            size: String::new(),
            ..example_form()
        }
        .validate()
        .unwrap_err();
        assert!(e.get("size").unwrap().contains("needs a size"));
    }

    #[test]
    fn access_modes() {
        for m in AccessMode::ALL {
            assert_eq!(AccessMode::parse("a", m.as_str()).unwrap(), m);
        }
        assert_eq!(
            AccessMode::parse("a", "rwx").unwrap(),
            AccessMode::ReadWriteMany
        );
        assert_eq!(
            AccessMode::parse("a", "ROX").unwrap(),
            AccessMode::ReadOnlyMany
        );
        assert!(AccessMode::parse("a", "Many").is_err());
    }

    #[test]
    fn lists_and_namespace() {
        assert_eq!(quoted_list(["a"]), "\"a\"");
        assert_eq!(quoted_list(["a", "b", "c"]), "\"a\", \"b\" and \"c\"");
        let v = example_form().validate().unwrap();
        assert!(check_hub_namespace(&v, "kube-public").is_ok());
        let e = check_hub_namespace(&v, "jhub").unwrap_err();
        assert!(e.message.contains("write jhub"), "{}", e.message);
        let e = in_use_error("claim-share", &["Data science".into(), "GPU".into()]);
        assert_eq!(e.field, "volume");
        assert!(
            e.message.contains("\"Data science\" and \"GPU\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn volumes_only_grow() {
        assert_eq!(
            validate_growth("size", "10Gi", "20Gi").map(|q| q.bytes()),
            Ok(20 << 30)
        );
        let e = validate_growth("size", "10Gi", "10Gi").unwrap_err();
        assert_eq!(e.field, "size");
        assert!(e.message.contains("can only grow"), "{}", e.message);
        assert!(validate_growth("size", "10Gi", "5Gi").is_err());
        assert!(validate_growth("size", "10Gi", "lots").is_err());
    }
}

/// A shared volume's claim as the cluster has it (the volume page's "In the cluster").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimState {
    pub namespace: String,
    pub pvc: String,
    /// Hubfleet creates the claim ("Hubfleet creates the PVC").
    pub managed: bool,
    /// The size Hubfleet's record asks for.
    pub wanted: Option<String>,
    pub exists: bool,
    /// `Bound`, `Pending`, `Lost`.
    pub phase: Option<String>,
    pub requested: Option<String>,
    pub capacity: Option<String>,
    pub storage_class: Option<String>,
    /// Why it is not bound, from its latest event.
    pub reason: Option<String>,
    /// Why the state is not known, or a size Hubfleet will not apply.
    pub note: Option<String>,
}
