//! The `hubfleet` command line, run as a real process against a temporary data directory.

use std::io::Write;
use std::process::{Command, Stdio};

fn hubfleet(dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hubfleet"))
        .args(args)
        .env("HUBFLEET_DATA_DIR", dir)
        .env_remove("HUBFLEET_DATABASE_URL")
        .env("HUBFLEET_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn admin_create_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = hubfleet(
        dir.path(),
        &["admin", "create", "--username", "ops"],
        "a strong password\n",
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("Created administrator \"ops\""), "{out}");

    // Again: resets the password and keeps one account.
    let (ok, out, _) = hubfleet(
        dir.path(),
        &["admin", "create", "--username", "ops"],
        "another strong password\n",
    );
    assert!(ok);
    assert!(out.contains("password reset"), "{out}");

    // A short password is refused with the validator's message.
    let (ok, _, err) = hubfleet(
        dir.path(),
        &["admin", "create", "--username", "x"],
        "short\n",
    );
    assert!(!ok);
    assert!(err.contains("at least 10"), "{err}");
}

#[test]
fn seed_example_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = hubfleet(dir.path(), &["seed", "--example"], "");
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Added the example hub data8-jupyterhub"),
        "{out}"
    );
    let (ok, out, _) = hubfleet(dir.path(), &["seed", "--example"], "");
    assert!(ok);
    assert!(out.contains("already exists"), "{out}");
}

#[test]
fn values_of_the_first_run_example_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, _) = hubfleet(dir.path(), &["seed", "--example"], "");
    assert!(ok);
    let (ok, out, err) = hubfleet(dir.path(), &["values", "--hub", "data8-jupyterhub"], "");
    assert!(ok, "{err}");
    for expected in [
        "singleuser:",
        "mydocker.registry.com/jupyterhub/k8s-singleuser",
        "profileList:",
        "claim-share",
        "/home/jupyter",
    ] {
        assert!(out.contains(expected), "{expected} missing:\n{out}");
    }
    let (ok, _, err) = hubfleet(dir.path(), &["values", "--hub", "no-such-hub"], "");
    assert!(!ok);
    assert!(err.contains("no-such-hub"), "{err}");
}

#[test]
fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = hubfleet(dir.path(), &["--help"], "");
    assert!(ok);
    for cmd in ["serve", "admin", "seed", "values"] {
        assert!(out.contains(cmd), "{cmd} missing from --help:\n{out}");
    }
}
