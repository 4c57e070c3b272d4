//! Environment profiles: the list across hubs (`/profiles`), the create form
//! (`/hubs/{id}/profiles/new`) and the edit form (`/profiles/{id}`).
//!
//! The form runs the same validation as the server as the admin types: `ProfileForm::validate`
//! for every field, then `check_siblings` and `check_mounts` against the hub's other profiles
//! and shared volumes loaded with the page. Inputs are named as the domain documents
//! (`form[mounts][1][mount_path]`), so the server's answer names the same fields.

mod edit;
mod fields;
mod inputs;
mod list;

pub use edit::{EditProfile, NewProfile};
pub use list::{ProfilesPage, profile_status, resources_text};
