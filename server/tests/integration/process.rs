//! The `hubfleet` binary as a separate process against the simulated cluster served on
//! loopback (the path a real user takes with `--cluster kubeconfig`): an administrator made
//! with `hubfleet admin create`, the portal started and its address read off its log, signed
//! in over HTTP. Shared by the kubeconfig and the crash-recovery tests.

use crate::common::{RawReply, enc, fn_path, raw_request};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const OPERATOR: &str = "ops";
pub const OPERATOR_PASSWORD: &str = "a long operator password";

/// Stops the portal when dropped, however the test ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hubfleet(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hubfleet"));
    c.env("HUBFLEET_DATA_DIR", dir.join("data"))
        .env_remove("HUBFLEET_DATABASE_URL")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", dir);
    c
}

/// `hubfleet admin create --username ops` with the password on standard input.
pub fn create_operator(dir: &Path) {
    create_admin(dir, OPERATOR, OPERATOR_PASSWORD);
}

/// `hubfleet admin create --username NAME` with `password` on standard input.
pub fn create_admin(dir: &Path, name: &str, password: &str) {
    let mut admin = hubfleet(dir)
        .args(["admin", "create", "--username", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("admin create starts");
    {
        let mut stdin = admin.stdin.take().unwrap();
        stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    }
    assert!(admin.wait().unwrap().success());
}

/// Runs `hubfleet ARGS` to completion (e.g. `seed --example`).
pub fn run(dir: &Path, args: &[&str]) {
    let status = hubfleet(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("hubfleet runs");
    assert!(status.success(), "hubfleet {args:?} failed");
}

/// Starts `hubfleet serve --cluster kubeconfig` on a free port with `extra` arguments and
/// returns it with the address it reports once ready.
pub async fn serve(dir: &Path, kubeconfig: &Path, extra: &[&str]) -> (Running, String) {
    let mut args = vec!["--cluster", "kubeconfig"];
    args.extend_from_slice(extra);
    let (running, addr, _) = start(dir, &args, &[("KUBECONFIG", kubeconfig.as_os_str())]).await;
    (running, addr)
}

/// Every line the portal has logged so far.
pub type Log = Arc<Mutex<Vec<String>>>;

/// Starts `hubfleet serve --listen 127.0.0.1:0 ARGS` with `envs`; returns it, the address
/// it reports once ready, and its log (still filling).
pub async fn start(dir: &Path, args: &[&str], envs: &[(&str, &OsStr)]) -> (Running, String, Log) {
    let mut child = hubfleet(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .envs(envs.iter().copied())
        .env("HUBFLEET_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().unwrap();
    let running = Running(child);
    let log: Log = Arc::default();
    // The ready line names the address; keep reading the log afterwards.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let lines = log.clone();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("ready on http://").nth(1)
                && let Some(tx) = tx.take()
            {
                let addr: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || ".:[]".contains(*c))
                    .collect();
                let _ = tx.send(addr);
            }
            lines.lock().unwrap().push(line);
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), rx)
        .await
        .expect("hubfleet became ready")
        .expect("ready line");
    (running, addr, log)
}

/// Runs `hubfleet ARGS` to completion; returns whether it succeeded, its stdout and stderr.
pub fn output(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = hubfleet(dir)
        .args(args)
        .env("HUBFLEET_LOG", "warn")
        .output()
        .expect("hubfleet runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A form POST to the portal at `addr`, as its own pages send it.
pub async fn post(addr: &str, path: &str, body: &str, cookie: Option<&str>) -> RawReply {
    let cookie = cookie
        .map(|c| format!("\r\nCookie: {c}"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}{cookie}",
        body.len()
    );
    raw_request(addr, &head, body.as_bytes()).await
}

/// Signs the operator in; returns the `name=value` session cookie.
pub async fn sign_in(addr: &str) -> String {
    let login = format!("username={OPERATOR}&password={}", enc(OPERATOR_PASSWORD));
    let r = post(addr, &fn_path::<app::api::auth::Login>(), &login, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.header("set-cookie")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string()
}
