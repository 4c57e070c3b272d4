//! Field-level validation errors: each names the form field and says how to fix the value.

use serde::{Deserialize, Serialize};

/// One problem with one form field. `field` is the form's field name (the `name` attribute),
/// `message` is a full sentence that says what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// A value the same validator accepts, when the message offers one ("write ..."): what
    /// the form may put in the field for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            suggestion: None,
        }
    }

    /// The same error offering `fix` (see [`FieldError::suggestion`]).
    pub fn with_suggestion(mut self, fix: impl Into<String>) -> Self {
        self.suggestion = Some(fix.into());
        self
    }

    /// The same error offering `fix` when there is one.
    pub fn with_fix(mut self, fix: Option<String>) -> Self {
        self.suggestion = fix;
        self
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All problems found in one form, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of a single-field check, if any.
    pub fn check(&mut self, result: Result<(), FieldError>) {
        if let Err(e) = result {
            self.0.push(e);
        }
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`, for showing next to the input.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Pushes the error of `r` (if any) into `errors` and returns the value.
pub fn keep<T>(errors: &mut FieldErrors, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.0.push(e)).ok()
}

/// An optional field: `None` when `input` is blank, else `parse` of it (its error pushed).
pub fn optional<T>(
    errors: &mut FieldErrors,
    input: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<T> {
    let t = input.trim();
    if t.is_empty() {
        None
    } else {
        keep(errors, parse(t))
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}
