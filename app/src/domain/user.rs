//! Accounts: usernames, passwords, roles and groups, and the rules they follow.

use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// What a signed-in account may do. Checked on the server for every server function and route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages hubs, profiles, volumes, users; sees the audit trail.
    Admin,
    /// Picks an environment profile and sees their own server.
    User,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::User => "User",
        }
    }

    pub fn parse(s: &str) -> Result<Role, FieldError> {
        match s.trim() {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            other => Err(FieldError::new(
                "role",
                format!("Role \"{other}\" is unknown: choose \"admin\" or \"user\"."),
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const USERNAME_MAX: usize = 64;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;
pub const GROUP_MAX: usize = 63;

/// A username must also be a valid JupyterHub user name, since the portal answers the hub's
/// profile requests by user name: lowercase letters, digits, `.`, `_`, `-` and `@`.
pub fn validate_username(name: &str) -> Result<(), FieldError> {
    let err = |m: String| Err(FieldError::new("username", m));
    if name.is_empty() {
        return err("Username is required.".into());
    }
    if name.len() > USERNAME_MAX {
        return err(format!(
            "Username is {} characters long: use at most {USERNAME_MAX}.",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(*c)))
    {
        let hint = if c.is_ascii_uppercase() {
            " Write it in lowercase.".to_string()
        } else {
            String::new()
        };
        return err(format!(
            "Username contains \"{c}\": use only lowercase letters, digits, '.', '_', '-' and '@'.{hint}"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return err("Username must start with a letter or a digit.".into());
    }
    Ok(())
}

/// Password policy: long enough to resist guessing, not so long that hashing it is a DoS.
pub fn validate_password(password: &str) -> Result<(), FieldError> {
    password_rules(password, "password", "Password")
}

/// The password policy for the form field `field`, whose label is `label`: every form that
/// sets a password (new account, change of one's own password) checks it with this.
pub fn password_rules(password: &str, field: &str, label: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            format!("{label} has {len} characters: use at least {PASSWORD_MIN}."),
        ));
    }
    if password.len() > PASSWORD_MAX {
        return Err(FieldError::new(
            field,
            format!("{label} is too long: use at most {PASSWORD_MAX} bytes."),
        ));
    }
    if password.trim().is_empty() {
        return Err(FieldError::new(
            field,
            format!("{label} cannot be only spaces."),
        ));
    }
    Ok(())
}

/// The "change my password" form: the current password, the new one, and the new one again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChangeForm {
    pub current_password: String,
    pub new_password: String,
    pub confirm_password: String,
}

impl PasswordChangeForm {
    /// The current password must be given (the server checks it is right), the new one must
    /// follow the same rules as at account creation and differ from the current one, and the
    /// repetition must match. Returns the new password.
    pub fn validate(&self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.current_password.is_empty() {
            errors.push(
                "current_password",
                "Current password is empty: type the password you signed in with.",
            );
        } else if self.current_password.len() > PASSWORD_MAX {
            errors.push(
                "current_password",
                format!(
                    "Current password is longer than {PASSWORD_MAX} bytes, so it cannot be right: type the password you signed in with."
                ),
            );
        }
        match password_rules(&self.new_password, "new_password", "New password") {
            Err(e) => errors.0.push(e),
            Ok(()) if self.new_password == self.current_password => errors.push(
                "new_password",
                "New password is the same as the current one: choose a different password.",
            ),
            Ok(()) => {}
        }
        if self.confirm_password != self.new_password {
            errors.push(
                "confirm_password",
                "Repeat new password does not match the new password: type the same password twice.",
            );
        }
        errors.into_result().map(|()| self.new_password.clone())
    }
}

/// Group names follow the same shape as JupyterHub group names that admins already use:
/// lowercase letters, digits, `-` and `_`, starting with a letter.
pub fn validate_group_name(name: &str) -> Result<(), FieldError> {
    let err = |m: String| Err(FieldError::new("groups", m));
    if name.is_empty() {
        return err("A group name is empty: remove the extra comma.".into());
    }
    if name.len() > GROUP_MAX {
        return err(format!(
            "Group \"{name}\" is longer than {GROUP_MAX} characters: shorten it."
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return err(format!(
            "Group \"{name}\" must start with a lowercase letter."
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        return err(format!(
            "Group \"{name}\" contains \"{c}\": use lowercase letters, digits, '-' and '_'."
        ));
    }
    Ok(())
}

/// Splits the comma-separated groups field, trims, lowercases nothing (errors say so),
/// removes duplicates while keeping order.
pub fn parse_groups(input: &str) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    if input.trim().is_empty() {
        return Ok(out);
    }
    for part in input.split(',') {
        let g = part.trim();
        validate_group_name(g)?;
        if !out.iter().any(|x| x == g) {
            out.push(g.to_string());
        }
    }
    Ok(out)
}

/// The "create user" form, as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserForm {
    pub username: String,
    pub password: String,
    pub role: String,
    pub groups: String,
}

/// A validated new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub groups: Vec<String>,
}

impl NewUserForm {
    pub fn validate(&self) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = self.username.trim().to_string();
        errors.check(validate_username(&username));
        errors.check(validate_password(&self.password));
        let role = Role::parse(&self.role).map_err(|e| errors.0.push(e)).ok();
        let groups = parse_groups(&self.groups)
            .map_err(|e| errors.0.push(e))
            .ok();
        match (errors.into_result(), role, groups) {
            (Ok(()), Some(role), Some(groups)) => Ok(NewUser {
                username,
                password: self.password.clone(),
                role,
                groups,
            }),
            (Err(e), _, _) => Err(e),
            // Unreachable in practice: a None always pushed an error above.
            _ => Err(FieldErrors(vec![FieldError::new("form", "Invalid form.")])),
        }
    }
}

/// The "edit user" form: role, groups and status (`enabled` or `disabled`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdateForm {
    pub role: String,
    pub groups: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub role: Role,
    pub groups: Vec<String>,
    pub disabled: bool,
}

impl UserUpdateForm {
    pub fn validate(&self) -> Result<UserUpdate, FieldErrors> {
        let mut errors = FieldErrors::new();
        let role = Role::parse(&self.role).map_err(|e| errors.0.push(e)).ok();
        let groups = parse_groups(&self.groups)
            .map_err(|e| errors.0.push(e))
            .ok();
        let disabled = match self.status.trim() {
            "enabled" => Some(false),
            "disabled" => Some(true),
            other => {
                errors.push(
                    "status",
                    format!("Status \"{other}\" is unknown: choose \"enabled\" or \"disabled\"."),
                );
                None
            }
        };
        match (role, groups, disabled) {
            (Some(role), Some(groups), Some(disabled)) => Ok(UserUpdate {
                role,
                groups,
                disabled,
            }),
            _ => Err(errors),
        }
    }
}

/// What the UI knows about the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub groups: Vec<String>,
    /// The password is one-time (the first-run administrator's, or one an administrator
    /// reset): until it is changed, only the "change my password" page and sign-out work.
    #[serde(default)]
    pub must_change_password: bool,
}

impl SessionUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A row of the users table as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub groups: Vec<String>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: String,
    pub last_login_at: Option<String>,
    /// Holds a one-time password (first run, or reset by an administrator) not yet changed.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A password an administrator reset, shown to them once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimePassword {
    pub user_id: i64,
    pub username: String,
    pub password: String,
}

/// Only local paths are accepted as the post-login destination (no open redirect).
pub fn safe_next_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.starts_with("/login")
                && !p.chars().any(char::is_control) =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames() {
        for ok in [
            "admin",
            "alice",
            "bob.smith",
            "a_b-c",
            "x@example.org",
            "7seas",
        ] {
            assert!(validate_username(ok).is_ok(), "{ok}");
        }
        let e = validate_username("Alice").unwrap_err();
        assert_eq!(e.field, "username");
        assert!(e.message.contains("lowercase"), "{}", e.message);
        assert!(
            validate_username("")
                .unwrap_err()
                .message
                .contains("required")
        );
        assert!(validate_username("-x").is_err());
        assert!(
            validate_username("a b")
                .unwrap_err()
                .message
                .contains("\" \"")
        );
        assert!(validate_username(&"a".repeat(65)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(validate_password("correct horse").is_ok());
        let e = validate_password("short").unwrap_err();
        assert_eq!(e.field, "password");
        assert!(e.message.contains("at least 10"));
        assert!(validate_password("          ").is_err());
        assert!(validate_password(&"x".repeat(300)).is_err());
    }

    #[test]
    fn groups() {
        assert_eq!(
            parse_groups(" data-science, physics ,data-science").unwrap(),
            vec!["data-science".to_string(), "physics".to_string()]
        );
        assert_eq!(parse_groups("").unwrap(), Vec::<String>::new());
        assert!(parse_groups("a,,b").unwrap_err().message.contains("comma"));
        assert!(parse_groups("Physics").is_err());
        assert!(parse_groups("9lives").is_err());
    }

    #[test]
    fn new_user_form_reports_every_field() {
        let form = NewUserForm {
            username: "Bad Name".into(),
            password: "x".into(),
            role: "root".into(),
            groups: "ok,Not Ok".into(),
        };
        let errs = form.validate().unwrap_err();
        for f in ["username", "password", "role", "groups"] {
            assert!(errs.get(f).is_some(), "missing error for {f}: {errs}");
        }
        let good = NewUserForm {
            username: " alice ".into(),
            password: "a long password".into(),
            role: "user".into(),
            groups: "physics".into(),
        };
        let u = good.validate().unwrap();
        assert_eq!(u.username, "alice");
        assert_eq!(u.role, Role::User);
    }

    #[test]
    fn next_path_is_local_only() {
        assert_eq!(safe_next_path(Some("/users")), "/users");
        assert_eq!(safe_next_path(Some("//evil.example")), "/");
        assert_eq!(safe_next_path(Some("https://evil.example")), "/");
        assert_eq!(safe_next_path(Some("/login")), "/");
        assert_eq!(safe_next_path(None), "/");
    }

    #[test]
    fn password_change_form_names_each_field() {
        let form = PasswordChangeForm {
            current_password: String::new(),
            new_password: "short".into(),
            confirm_password: "other".into(),
        };
        let errs = form.validate().unwrap_err();
        assert!(
            errs.get("current_password")
                .unwrap()
                .contains("Current password")
        );
        assert_eq!(
            errs.get("new_password"),
            Some("New password has 5 characters: use at least 10.")
        );
        assert!(
            errs.get("confirm_password")
                .unwrap()
                .contains("does not match")
        );
        let same = PasswordChangeForm {
            current_password: "a long password".into(),
            new_password: "a long password".into(),
            confirm_password: "a long password".into(),
        };
        assert!(
            same.validate()
                .unwrap_err()
                .get("new_password")
                .unwrap()
                .contains("same as the current one")
        );
        let good = PasswordChangeForm {
            current_password: "the old password".into(),
            new_password: "a new long password".into(),
            confirm_password: "a new long password".into(),
        };
        assert_eq!(good.validate().unwrap(), "a new long password");
    }

    proptest! {
        #[test]
        fn valid_usernames_roundtrip(name in "[a-z0-9][a-z0-9._@-]{0,63}") {
            prop_assert!(validate_username(&name).is_ok());
        }

        #[test]
        fn usernames_with_uppercase_are_rejected(name in "[a-z]{0,5}[A-Z][a-z]{0,5}") {
            prop_assert!(validate_username(&name).is_err());
        }

        #[test]
        fn validators_never_panic(s in ".*") {
            let _ = validate_username(&s);
            let _ = validate_password(&s);
            let _ = parse_groups(&s);
            let _ = safe_next_path(Some(&s));
        }

        #[test]
        fn password_change_errors_name_a_field(a in ".{0,12}", b in ".{0,12}", c in ".{0,12}") {
            let form = PasswordChangeForm { current_password: a, new_password: b, confirm_password: c };
            if let Err(errs) = form.validate() {
                for e in &errs.0 {
                    prop_assert!(["current_password", "new_password", "confirm_password"].contains(&e.field.as_str()));
                }
            }
        }
    }
}
