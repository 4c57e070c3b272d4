//! The lifetime of a hub's servers: idle culling (the chart's `cull.*`), how long a server may
//! take to start (`singleuser.startTimeout`, `hub.config.KubeSpawner.http_timeout`) and how
//! many may start or run at once (`hub.concurrentSpawnLimit`, `hub.activeServerLimit`).
//!
//! Every setting is optional: empty means "the chart's default", and only settings an
//! administrator chose are written into the values. Form field names (on [`super::hub::HubForm`]):
//! `cull_enabled`, `cull_users` (selects: empty, `on`, `off`), `cull_timeout`, `cull_every`,
//! `cull_max_age`, `start_timeout`, `http_timeout` (whole seconds), `concurrent_spawn_limit`,
//! `active_server_limit` (whole numbers, 0 = no limit).

use super::field::optional;
use super::validate::valid_fix;
use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// The chart's (4.4.0) defaults, shown as placeholders and used by the rules between fields.
pub const CHART_CULL_ENABLED: bool = true;
pub const CHART_CULL_USERS: bool = false;
pub const CHART_CULL_TIMEOUT: u32 = 3600;
pub const CHART_CULL_EVERY: u32 = 600;
/// 0: no maximum age.
pub const CHART_CULL_MAX_AGE: u32 = 0;
pub const CHART_START_TIMEOUT: u32 = 300;
/// JupyterHub's `Spawner.http_timeout` default (the chart does not set it).
pub const CHART_HTTP_TIMEOUT: u32 = 30;
pub const CHART_CONCURRENT_SPAWN_LIMIT: u32 = 64;
/// Durations are capped at a year: anything longer is a typo.
pub const MAX_SECONDS: u32 = 365 * 24 * 3600;
/// Counts of servers are capped here: anything larger is a typo.
pub const MAX_SERVERS: u32 = 1_000_000;

/// The lifetime settings of a hub; `None` = the chart's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerLifetime {
    pub cull_enabled: Option<bool>,
    /// Also remove users (not only their servers) once idle.
    pub cull_users: Option<bool>,
    /// Seconds without activity before a server is stopped.
    pub cull_timeout: Option<u32>,
    /// Seconds between the culler's checks.
    pub cull_every: Option<u32>,
    /// Seconds after which a server is stopped even when active (0: never).
    pub cull_max_age: Option<u32>,
    /// Seconds a server may take to start (pod scheduled, image pulled, container running).
    pub start_timeout: Option<u32>,
    /// Seconds the hub waits for a started server to answer HTTP.
    pub http_timeout: Option<u32>,
    /// Servers starting at the same time (0: no limit).
    pub concurrent_spawn_limit: Option<u32>,
    /// Servers running at the same time (0: no limit).
    pub active_server_limit: Option<u32>,
}

impl ServerLifetime {
    pub fn is_default(&self) -> bool {
        *self == ServerLifetime::default()
    }

    /// Whether any `cull.*` setting is chosen.
    pub fn sets_cull(&self) -> bool {
        self.cull_enabled.is_some()
            || self.cull_users.is_some()
            || self.cull_timeout.is_some()
            || self.cull_every.is_some()
            || self.cull_max_age.is_some()
    }
}

/// A yes/no select that may also be left at the chart's default: empty → `None`.
pub fn parse_choice(field: &str, input: &str) -> Result<Option<bool>, FieldError> {
    match input.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "on" | "true" | "yes" | "1" => Ok(Some(true)),
        "off" | "false" | "no" | "0" => Ok(Some(false)),
        other => Err(FieldError::new(
            field,
            format!("\"{other}\" is not a choice here: choose the chart's default, on or off."),
        )),
    }
}

/// The select value of a choice, as [`parse_choice`] reads it back.
pub fn choice_value(v: Option<bool>) -> String {
    match v {
        None => String::new(),
        Some(true) => "on".into(),
        Some(false) => "off".into(),
    }
}

/// `3600` → "1 hour", `90` → "1 min 30 s": durations as people read them.
pub fn duration_text(seconds: u32) -> String {
    if seconds == 0 {
        return "0 s".into();
    }
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    let unit = |n: u32, one: &str, many: &str| {
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    };
    [
        unit(d, "day", "days"),
        unit(h, "hour", "hours"),
        unit(m, "min", "min"),
        unit(s, "s", "s"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

/// `"1h"`, `"30 min"`, `"2d"`: the number of seconds it means, for suggesting a fix.
fn with_unit(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let per = match unit.trim().to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    };
    n.checked_mul(per)
}

/// A whole number of seconds between `min` and [`MAX_SECONDS`] (`0` also when `zero_ok`).
/// `what` names the setting in messages ("The idle timeout").
pub fn parse_seconds(
    field: &str,
    what: &str,
    input: &str,
    min: u32,
    zero_ok: bool,
) -> Result<u32, FieldError> {
    let s = input.trim();
    let check = |f: &str| parse_seconds(field, what, f, min, zero_ok);
    if let Some(secs) = with_unit(s) {
        let fix = valid_fix(secs.to_string(), check);
        let write = match &fix {
            Some(f) => format!("write {f}"),
            None => "write a whole number of seconds".into(),
        };
        return Err(FieldError::new(
            field,
            format!("{what} is counted in seconds, without a unit: for \"{s}\" {write}."),
        )
        .with_fix(fix));
    }
    let n: u64 = match s.parse() {
        Ok(n) => n,
        Err(_) => {
            let example = if zero_ok { " (0: no limit)" } else { "" };
            return Err(FieldError::new(
                field,
                format!(
                    "\"{s}\" is not a whole number of seconds: {what} is written e.g. 3600 for one hour{example}."
                ),
            ));
        }
    };
    if n == 0 && zero_ok {
        return Ok(0);
    }
    if n < u64::from(min) {
        return Err(FieldError::new(
            field,
            format!(
                "{what} of {n} s is too short: write at least {min} ({}){}.",
                duration_text(min),
                if zero_ok { ", or 0 for no limit" } else { "" }
            ),
        ));
    }
    if n > u64::from(MAX_SECONDS) {
        return Err(FieldError::new(
            field,
            format!("{what} of {n} s is more than a year: write at most {MAX_SECONDS}."),
        ));
    }
    u32::try_from(n).map_err(|_| FieldError::new(field, "Too large."))
}

/// A whole number of servers, 0 meaning no limit.
pub fn parse_count(field: &str, what: &str, input: &str) -> Result<u32, FieldError> {
    let s = input.trim();
    match s.parse::<u64>() {
        Ok(n) if n <= u64::from(MAX_SERVERS) => {
            u32::try_from(n).map_err(|_| FieldError::new(field, "Too large."))
        }
        Ok(_) => Err(FieldError::new(
            field,
            format!(
                "{what} is more than {MAX_SERVERS}: write a smaller number, or 0 for no limit."
            ),
        )),
        Err(_) => Err(FieldError::new(
            field,
            format!(
                "\"{s}\" is not a whole number: {what} is a count of servers, e.g. 20 (0: no limit)."
            ),
        )),
    }
}

/// The lifetime fields of a hub form, as submitted.
pub struct LifetimeInput<'a> {
    pub cull_enabled: &'a str,
    pub cull_users: &'a str,
    pub cull_timeout: &'a str,
    pub cull_every: &'a str,
    pub cull_max_age: &'a str,
    pub start_timeout: &'a str,
    pub http_timeout: &'a str,
    pub concurrent_spawn_limit: &'a str,
    pub active_server_limit: &'a str,
}

impl LifetimeInput<'_> {
    /// Checks every field and the rule between the culler's timeout and its interval; the
    /// problems go to `errors`.
    pub fn validate(&self, errors: &mut FieldErrors) -> ServerLifetime {
        let cull_enabled = parse_choice("cull_enabled", self.cull_enabled)
            .map_err(|e| errors.0.push(e))
            .unwrap_or(None);
        let cull_users = parse_choice("cull_users", self.cull_users)
            .map_err(|e| errors.0.push(e))
            .unwrap_or(None);
        let cull_timeout = optional(errors, self.cull_timeout, |s| {
            parse_seconds("cull_timeout", "The idle timeout", s, 60, false)
        });
        let cull_every = optional(errors, self.cull_every, |s| {
            parse_seconds("cull_every", "The check interval", s, 10, false)
        });
        let cull_max_age = optional(errors, self.cull_max_age, |s| {
            parse_seconds("cull_max_age", "The maximum age", s, 60, true)
        });
        let start_timeout = optional(errors, self.start_timeout, |s| {
            parse_seconds("start_timeout", "The start timeout", s, 10, false)
        });
        let http_timeout = optional(errors, self.http_timeout, |s| {
            parse_seconds("http_timeout", "The HTTP timeout", s, 5, false)
        });
        let concurrent_spawn_limit = optional(errors, self.concurrent_spawn_limit, |s| {
            parse_count(
                "concurrent_spawn_limit",
                "The limit of servers starting at once",
                s,
            )
        });
        let active_server_limit = optional(errors, self.active_server_limit, |s| {
            parse_count(
                "active_server_limit",
                "The limit of servers running at once",
                s,
            )
        });
        let touched_cull_times =
            !self.cull_timeout.trim().is_empty() || !self.cull_every.trim().is_empty();
        let timeout = cull_timeout.unwrap_or(CHART_CULL_TIMEOUT);
        let every = cull_every.unwrap_or(CHART_CULL_EVERY);
        if touched_cull_times
            && every > timeout
            && errors.get("cull_every").is_none()
            && errors.get("cull_timeout").is_none()
        {
            let half = (timeout / 2).max(10).to_string();
            let fix = valid_fix(half, |f| {
                parse_seconds("cull_every", "The check interval", f, 10, false)
            });
            let whose = if cull_every.is_some() {
                "The culler"
            } else {
                "By the chart's default the culler"
            };
            errors.0.push(
                FieldError::new(
                    "cull_every",
                    format!(
                        "{whose} checks every {every} s, longer than the idle timeout ({timeout} s): idle servers would keep running up to {} s. Check at most every {timeout} s{}.",
                        u64::from(timeout) + u64::from(every),
                        fix.as_deref()
                            .map(|f| format!(", e.g. {f}"))
                            .unwrap_or_default()
                    ),
                )
                .with_fix(fix),
            );
        }
        ServerLifetime {
            cull_enabled,
            cull_users,
            cull_timeout,
            cull_every,
            cull_max_age,
            start_timeout,
            http_timeout,
            concurrent_spawn_limit,
            active_server_limit,
        }
    }
}

fn number(v: Option<u32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// The form values of a stored lifetime: (cull_enabled, cull_users, cull_timeout, cull_every,
/// cull_max_age, start_timeout, http_timeout, concurrent_spawn_limit, active_server_limit).
pub fn form_values(l: &ServerLifetime) -> [String; 9] {
    [
        choice_value(l.cull_enabled),
        choice_value(l.cull_users),
        number(l.cull_timeout),
        number(l.cull_every),
        number(l.cull_max_age),
        number(l.start_timeout),
        number(l.http_timeout),
        number(l.concurrent_spawn_limit),
        number(l.active_server_limit),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input<'a>(timeout: &'a str, every: &'a str) -> LifetimeInput<'a> {
        LifetimeInput {
            cull_enabled: "",
            cull_users: "",
            cull_timeout: timeout,
            cull_every: every,
            cull_max_age: "",
            start_timeout: "",
            http_timeout: "",
            concurrent_spawn_limit: "",
            active_server_limit: "",
        }
    }

    #[test]
    fn empty_means_the_chart_default() {
        let mut e = FieldErrors::new();
        let l = input("", "").validate(&mut e);
        assert!(e.is_empty(), "{e}");
        assert!(l.is_default());
        assert!(!l.sets_cull());
    }

    #[test]
    fn every_field_parses() {
        let mut e = FieldErrors::new();
        let l = LifetimeInput {
            cull_enabled: "on",
            cull_users: "off",
            cull_timeout: "7200",
            cull_every: "300",
            cull_max_age: "0",
            start_timeout: "600",
            http_timeout: "60",
            concurrent_spawn_limit: "10",
            active_server_limit: "0",
        }
        .validate(&mut e);
        assert!(e.is_empty(), "{e}");
        assert_eq!(l.cull_enabled, Some(true));
        assert_eq!(l.cull_users, Some(false));
        assert_eq!(l.cull_timeout, Some(7200));
        assert_eq!(l.cull_every, Some(300));
        assert_eq!(l.cull_max_age, Some(0));
        assert_eq!(l.start_timeout, Some(600));
        assert_eq!(l.http_timeout, Some(60));
        assert_eq!(l.concurrent_spawn_limit, Some(10));
        assert_eq!(l.active_server_limit, Some(0));
        assert!(l.sets_cull());
    }

    /// Bad values of each field: the error names that field and says what to write.
    #[test]
    fn bad_values_name_their_field_and_the_fix() {
        let cases: [(&str, &str, &str); 12] = [
            ("cull_enabled", "maybe", "on or off"),
            ("cull_users", "2", "on or off"),
            ("cull_timeout", "1h", "write 3600"),
            ("cull_timeout", "30", "at least 60"),
            ("cull_timeout", "-5", "whole number of seconds"),
            ("cull_every", "1.5", "whole number of seconds"),
            ("cull_max_age", "10", "or 0 for no limit"),
            ("start_timeout", "5 min", "write 300"),
            ("start_timeout", "99999999999", "more than a year"),
            ("http_timeout", "2", "at least 5"),
            ("concurrent_spawn_limit", "ten", "e.g. 20"),
            ("active_server_limit", "-1", "whole number"),
        ];
        for (field, value, hint) in cases {
            let mut i = input("", "");
            match field {
                "cull_enabled" => i.cull_enabled = value,
                "cull_users" => i.cull_users = value,
                "cull_timeout" => i.cull_timeout = value,
                "cull_every" => i.cull_every = value,
                "cull_max_age" => i.cull_max_age = value,
                "start_timeout" => i.start_timeout = value,
                "http_timeout" => i.http_timeout = value,
                "concurrent_spawn_limit" => i.concurrent_spawn_limit = value,
                _ => i.active_server_limit = value,
            }
            let mut e = FieldErrors::new();
            i.validate(&mut e);
            let m = e
                .get(field)
                .unwrap_or_else(|| panic!("{field}={value}: no error in {e}"));
            assert!(m.contains(hint), "{field}={value}: {m}");
        }
    }

    #[test]
    fn units_are_offered_in_seconds() {
        let e = parse_seconds("cull_timeout", "The idle timeout", "2h", 60, false).unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("7200"));
        let e = parse_seconds("x", "X", "1d", 60, false).unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("86400"));
        // A unit that gives too little has no fix to offer.
        let e = parse_seconds("x", "X", "10s", 60, false).unwrap_err();
        assert_eq!(e.suggestion, None);
    }

    #[test]
    fn the_culler_checks_at_least_as_often_as_the_timeout() {
        let mut e = FieldErrors::new();
        input("300", "").validate(&mut e);
        let m = e.get("cull_every").expect("every above timeout");
        assert!(m.contains("chart's default"), "{m}");
        assert!(m.contains("e.g. 150"), "{m}");
        assert_eq!(e.0[0].suggestion.as_deref(), Some("150"));
        let mut e = FieldErrors::new();
        input("", "7200").validate(&mut e);
        assert!(e.get("cull_every").unwrap().contains("3600"));
        let mut e = FieldErrors::new();
        input("600", "600").validate(&mut e);
        assert!(e.is_empty(), "{e}");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(3600), "1 hour");
        assert_eq!(duration_text(90), "1 min 30 s");
        assert_eq!(duration_text(86_400 + 7200), "1 day 2 hours");
    }

    proptest! {
        #[test]
        fn seconds_never_panic_and_fixes_pass(s in ".{0,12}", n in 0u64..10_000_000) {
            for input in [s.clone(), format!("{n}"), format!("{n}m"), format!("{n} h")] {
                if let Err(e) = parse_seconds("f", "X", &input, 60, true)
                    && let Some(fix) = &e.suggestion
                {
                    prop_assert!(parse_seconds("f", "X", fix, 60, true).is_ok(), "{input:?} -> {fix:?}");
                }
                let _ = parse_count("f", "X", &input);
                let _ = parse_choice("f", &input);
            }
        }

        #[test]
        fn stored_values_roundtrip(t in 60u32..100_000, m in 0u32..1000) {
            let mut e = FieldErrors::new();
            let l = LifetimeInput {
                cull_enabled: "off",
                cull_users: "",
                cull_timeout: &t.to_string(),
                cull_every: &(t / 2).max(10).to_string(),
                cull_max_age: "",
                start_timeout: "",
                http_timeout: "",
                concurrent_spawn_limit: &m.to_string(),
                active_server_limit: "",
            }
            .validate(&mut e);
            prop_assert!(e.is_empty(), "{}", e);
            let v = form_values(&l);
            let mut e2 = FieldErrors::new();
            let back = LifetimeInput {
                cull_enabled: &v[0],
                cull_users: &v[1],
                cull_timeout: &v[2],
                cull_every: &v[3],
                cull_max_age: &v[4],
                start_timeout: &v[5],
                http_timeout: &v[6],
                concurrent_spawn_limit: &v[7],
                active_server_limit: &v[8],
            }
            .validate(&mut e2);
            prop_assert_eq!(back, l);
        }
    }
}
