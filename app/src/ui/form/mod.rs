//! Form building blocks shared by every page: the labelled field rows and inputs (with their
//! screen-reader wiring), when a field's error is shown, the banners for a server's answer,
//! the conflict view, and the generic create / edit / delete editor of the hub, shared-volume
//! and profile pages.

mod answer;
mod conflict;
mod editor;
mod field;
mod shown;

pub use answer::{ErrorBanner, answer_banner, answer_errors, error_text, server_form_error};
pub use conflict::ConflictRow;
pub use editor::{CreateForm, DeletePanel, EditForm, FormFields, Names};
pub use field::{CheckRow, FieldRow, SelectInput, TextField, TextInput};
pub use shown::{Errors, Problem};
