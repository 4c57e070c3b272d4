//! Adopting a Helm release the portal did not create: what the importer made of its values
//! (a hub, its shared volumes and profiles as forms, the rest as extra values) and the page
//! that previews it before anything is written.

use super::hub::HubForm;
use super::profile::ProfileForm;
use super::volume::VolumeForm;
use serde::{Deserialize, Serialize};

/// A PersistentVolumeClaim that exists in the release's namespace (from the watch store), so
/// an imported shared volume can say what it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingClaim {
    pub name: String,
    pub size: Option<String>,
    pub access_mode: Option<String>,
    pub storage_class: Option<String>,
    pub volume_mode: Option<String>,
}

/// What the importer made of a release's values. Every form passes its own validation;
/// profiles' mounts name volumes by their 1-based position in `volumes` (ids do not exist
/// yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// The hub, its `extra_values` holding what was not imported as anything else.
    pub hub: HubForm,
    pub volumes: Vec<VolumeForm>,
    pub profiles: Vec<ProfileForm>,
    /// What was imported as what ("singleuser.memory.limit → profile "Default", memory limit").
    pub imported: Vec<String>,
    /// What was kept as extra values, and why.
    pub kept: Vec<String>,
    /// What could be neither imported nor kept (e.g. settings of one profile that have no
    /// field in Hubfleet), so the administrator can set them again.
    pub dropped: Vec<String>,
}

/// The adopt page: the release and what adopting it would create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptPreview {
    pub release: String,
    pub namespace: String,
    /// The deployed revision the values come from.
    pub revision: u32,
    pub chart: String,
    pub app_version: String,
    pub status: String,
    pub imported: Imported,
    /// The extra values as highlighted YAML lines are made from (the hub form's text).
    pub extra_values: String,
}

/// `/cluster/releases/{namespace}/{name}/adopt`.
pub fn adopt_path(namespace: &str, name: &str) -> String {
    format!("/cluster/releases/{namespace}/{name}/adopt")
}
