//! Hubs: the list with the create form (`/hubs`), and one hub (`/hubs/{id}`) with its edit
//! form, its profiles and its shared volumes.

mod form;
mod list;
mod page;
mod rest_access;

pub use list::HubsPage;
pub use page::{HubCrumbs, HubView};
