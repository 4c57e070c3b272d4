//! Who may open which page. The server's page guard and the client-side router read the same
//! table, so a page is never reachable in one and forbidden in the other.

use super::user::{Role, SessionUser};

/// The access level a page requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (the login page).
    Public,
    /// Any signed-in, enabled account.
    SignedIn,
    /// Administrators only.
    Admin,
}

/// Pages and the access they need. A path matches an entry when it equals the entry or
/// continues it with `/…`.
pub const PAGES: &[(&str, Access)] = &[
    ("/login", Access::Public),
    ("/me", Access::SignedIn),
    (PASSWORD_PAGE, Access::SignedIn),
    ("/profiles", Access::Admin),
    ("/volumes", Access::Admin),
    ("/hubs", Access::Admin),
    ("/users", Access::Admin),
    ("/servers", Access::Admin),
    ("/audit", Access::Admin),
    // Also the adopt page of a Helm release, `/cluster/releases/{namespace}/{name}/adopt`.
    ("/cluster", Access::Admin),
];

/// The "change my password" page, open to every signed-in account. An account whose password
/// must be changed (first run, or reset by an administrator) is sent here from every other page.
pub const PASSWORD_PAGE: &str = "/account/password";

/// The access a page path requires; `None` for paths that are not pages (assets, API, 404s).
pub fn page_access(path: &str) -> Option<Access> {
    if path == "/" {
        return Some(Access::SignedIn);
    }
    PAGES.iter().find_map(|(prefix, access)| {
        let rest = path.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(*access)
    })
}

/// The outcome of checking one account against one access level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in: send to the login page.
    SignIn,
    /// Signed in, but the role is not enough: 403.
    Forbidden,
}

pub fn decide(access: Access, user: Option<&SessionUser>) -> Decision {
    match (access, user) {
        (Access::Public, _) => Decision::Allow,
        (_, None) => Decision::SignIn,
        (Access::SignedIn, Some(_)) => Decision::Allow,
        (Access::Admin, Some(u)) if u.role == Role::Admin => Decision::Allow,
        (Access::Admin, Some(_)) => Decision::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> SessionUser {
        SessionUser {
            id: 1,
            username: "u".into(),
            role,
            groups: vec![],
            must_change_password: false,
        }
    }

    #[test]
    fn table() {
        assert_eq!(page_access("/"), Some(Access::SignedIn));
        assert_eq!(page_access("/users"), Some(Access::Admin));
        assert_eq!(page_access("/users/3"), Some(Access::Admin));
        assert_eq!(page_access("/usersx"), None);
        assert_eq!(page_access("/login"), Some(Access::Public));
        assert_eq!(page_access(PASSWORD_PAGE), Some(Access::SignedIn));
        assert_eq!(page_access("/pkg/hubfleet.js"), None);
        assert_eq!(
            page_access(&super::super::adopt::adopt_path("legacy", "legacy-hub")),
            Some(Access::Admin)
        );
    }

    #[test]
    fn decisions() {
        let admin = user(Role::Admin);
        let plain = user(Role::User);
        assert_eq!(decide(Access::Admin, None), Decision::SignIn);
        assert_eq!(decide(Access::Admin, Some(&plain)), Decision::Forbidden);
        assert_eq!(decide(Access::Admin, Some(&admin)), Decision::Allow);
        assert_eq!(decide(Access::SignedIn, Some(&plain)), Decision::Allow);
        assert_eq!(decide(Access::Public, None), Decision::Allow);
    }
}
