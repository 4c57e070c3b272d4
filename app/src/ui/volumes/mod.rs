//! Shared volumes: the list across hubs (`/volumes`), the create form
//! (`/hubs/{id}/volumes/new`) and the edit form with delete (`/volumes/{id}`).

mod edit;
mod form;
mod list;

pub use edit::{EditVolume, NewVolume};
pub use list::VolumesPage;
