//! Running Hubfleet in a cluster (issue 14): the container image's Dockerfile copies what the
//! build needs and what `scripts/build.sh --release` produces; the Helm chart grants exactly
//! the permissions the portal checks at start-up (`default_access_checks`,
//! `cluster_access_checks`), no more and no less; its Deployment's settings parse as the
//! binary's configuration; `hubfleet permissions` prints the same rules; `hubfleet
//! healthcheck` works; and the README's install values are the ones test.sh validates.
//!
//! The chart tests run the helm binary scripts/setup.sh --test installs into
//! target/tools/bin. Without it they are skipped with a message, unless HUBFLEET_REQUIRE_HELM
//! is set (test.sh sets it), which makes them fail instead.

use app::backend::cluster::discovery::{
    check_driver, cluster_access_checks, default_access_checks,
};
use app::domain::cluster::AccessCheck;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const CHART: &str = "deploy/chart/hubfleet";
const RELEASE_NAMESPACE: &str = "hubfleet";

/// The helm binary, or `None` (the test then returns) when it is missing and not required.
fn helm(test: &str) -> Option<PathBuf> {
    let helm = root().join("target/tools/bin/helm");
    if helm.is_file() {
        return Some(helm);
    }
    let msg = format!(
        "{} is missing: run scripts/setup.sh --test to install it and run this test",
        helm.display()
    );
    if std::env::var_os("HUBFLEET_REQUIRE_HELM").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED {test}: {msg}");
    None
}

/// `helm template` of the chart with the given values files (relative to the repository),
/// as one JSON value per manifest.
fn render(helm: &Path, values: &[&str]) -> Vec<Value> {
    let mut cmd = Command::new(helm);
    cmd.current_dir(root()).args([
        "template",
        "hubfleet",
        CHART,
        "--namespace",
        RELEASE_NAMESPACE,
    ]);
    for v in values {
        cmd.args(["--values", v]);
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.lines().chain(std::iter::once("---")) {
        if line == "---" {
            if current
                .lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
            {
                let doc: Value = serde_saphyr::from_str(&current).unwrap_or_else(|e| {
                    panic!("a rendered manifest does not parse: {e}\n{current}")
                });
                docs.push(doc);
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    assert!(!docs.is_empty(), "helm template rendered nothing");
    docs
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// RBAC rules expanded into one check per group, resource, verb and (when the rule names
/// objects) object name.
fn expand(rules: &Value) -> BTreeSet<AccessCheck> {
    let mut out = BTreeSet::new();
    for rule in rules.as_array().expect("rules is a list") {
        let names = strings(&rule["resourceNames"]);
        let names: Vec<Option<String>> = if names.is_empty() {
            vec![None]
        } else {
            names.into_iter().map(Some).collect()
        };
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                for verb in strings(&rule["verbs"]) {
                    for name in &names {
                        let mut c = AccessCheck::new(&verb, &group, &resource);
                        c.resource_name = name.clone();
                        assert!(out.insert(c.clone()), "{} is granted twice", c.label());
                    }
                }
            }
        }
    }
    out
}

fn set(checks: Vec<AccessCheck>) -> BTreeSet<AccessCheck> {
    checks.into_iter().collect()
}

fn labels(checks: &BTreeSet<AccessCheck>) -> Vec<String> {
    checks.iter().map(AccessCheck::label).collect()
}

/// Fails with what the chart grants beyond the list and what it lacks.
fn assert_same(granted: &BTreeSet<AccessCheck>, wanted: &BTreeSet<AccessCheck>, what: &str) {
    let extra: BTreeSet<AccessCheck> = granted.difference(wanted).cloned().collect();
    let missing: BTreeSet<AccessCheck> = wanted.difference(granted).cloned().collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{what}: granted but not asked for by the portal: {:?}; asked for but not granted: {:?}",
        labels(&extra),
        labels(&missing)
    );
}

#[test]
fn the_chart_grants_exactly_what_the_portal_checks() {
    let Some(helm) = helm("the_chart_grants_exactly_what_the_portal_checks") else {
        return;
    };
    // Every option on: two managed namespaces, both controller drivers.
    let docs = render(&helm, &["deploy/chart/hubfleet/ci/all-options.yaml"]);
    let roles = of_kind(&docs, "Role");
    let namespaces: Vec<&str> = roles
        .iter()
        .map(|r| r["metadata"]["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(namespaces, ["hubs", "team-a"]);
    let all = set(default_access_checks());
    for role in &roles {
        assert_same(&expand(&role["rules"]), &all, "a managed namespace's Role");
    }
    let sa = of_kind(&docs, "ServiceAccount")[0]["metadata"]["name"].clone();
    let bindings = of_kind(&docs, "RoleBinding");
    assert_eq!(bindings.len(), roles.len());
    for (binding, role) in bindings.iter().zip(&roles) {
        assert_eq!(
            binding["metadata"]["namespace"],
            role["metadata"]["namespace"]
        );
        assert_eq!(binding["roleRef"]["kind"], "Role");
        assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
        assert_eq!(binding["subjects"][0]["name"], sa);
        assert_eq!(binding["subjects"][0]["namespace"], RELEASE_NAMESPACE);
    }

    let cluster_roles = of_kind(&docs, "ClusterRole");
    assert_eq!(cluster_roles.len(), 1);
    assert_same(
        &expand(&cluster_roles[0]["rules"]),
        &set(cluster_access_checks()),
        "the ClusterRole",
    );
    // Cluster-wide, the portal only reads.
    for c in cluster_access_checks() {
        assert!(
            ["get", "list", "watch"].contains(&c.verb.as_str()),
            "{}",
            c.label()
        );
    }
    let crb = of_kind(&docs, "ClusterRoleBinding")[0];
    assert_eq!(crb["roleRef"]["name"], cluster_roles[0]["metadata"]["name"]);
    assert_eq!(crb["subjects"][0]["name"], sa);
}

#[test]
fn by_default_the_chart_manages_its_own_namespace_with_the_job_driver_only() {
    let Some(helm) =
        helm("by_default_the_chart_manages_its_own_namespace_with_the_job_driver_only")
    else {
        return;
    };
    let docs = render(&helm, &[]);
    let roles = of_kind(&docs, "Role");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["metadata"]["namespace"], RELEASE_NAMESPACE);
    let job_only = set(default_access_checks()
        .into_iter()
        .filter(|c| check_driver(c).is_none())
        .collect());
    assert_same(&expand(&roles[0]["rules"]), &job_only, "the default Role");

    // Hand-made RBAC: no Role, RoleBinding, ClusterRole or ServiceAccount at all.
    let docs = render(&helm, &["deploy/chart/hubfleet/ci/existing-claim.yaml"]);
    for kind in [
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "ServiceAccount",
        "PersistentVolumeClaim",
    ] {
        assert!(of_kind(&docs, kind).is_empty(), "{kind} rendered");
    }
    let pod = &of_kind(&docs, "Deployment")[0]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "hubfleet");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "hubfleet-data"
    );
}

/// The Deployment runs one replica, replaced on upgrade, locked down, probed on /healthz and
/// /readyz; and the settings it passes parse as the binary's configuration: run with them,
/// `hubfleet` gets past its command line and stops only because this is no pod.
#[test]
fn the_deployment_is_locked_down_and_its_settings_parse() {
    let Some(helm) = helm("the_deployment_is_locked_down_and_its_settings_parse") else {
        return;
    };
    for values in [&[][..], &["deploy/chart/hubfleet/ci/all-options.yaml"][..]] {
        let docs = render(&helm, values);
        let deployments = of_kind(&docs, "Deployment");
        assert_eq!(deployments.len(), 1);
        let d = deployments[0];
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["type"], "Recreate");
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let c = &pod["containers"][0];
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true);
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert!(c["resources"]["requests"]["memory"].is_string());
        let mounts: Vec<&str> = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["mountPath"].as_str().unwrap())
            .collect();
        assert_eq!(mounts, ["/data", "/tmp"]);

        let env: Vec<(String, String)> = c["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                // A value from a Secret (the metrics token) gets a stand-in.
                let value = match e["value"].as_str() {
                    Some(v) => v.to_string(),
                    None => {
                        assert!(e["valueFrom"]["secretKeyRef"]["name"].is_string(), "{e}");
                        "a-secret-from-the-cluster".to_string()
                    }
                };
                (e["name"].as_str().unwrap().to_string(), value)
            })
            .collect();
        let get = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("HUBFLEET_CLUSTER"), Some("in-cluster"));
        let managed: Vec<String> = of_kind(&docs, "Role")
            .iter()
            .map(|r| r["metadata"]["namespace"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(get("HUBFLEET_NAMESPACES"), Some(managed.join(",").as_str()));

        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hubfleet"));
        cmd.args(strings(&c["args"]))
            .env_clear()
            .env("HOME", dir.path())
            .envs(env.iter().cloned())
            .env("HUBFLEET_DATA_DIR", dir.path())
            .env("HUBFLEET_LISTEN", "127.0.0.1:0")
            .stdin(Stdio::null());
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("no usable Kubernetes configuration"),
            "the chart's settings did not get the portal to its cluster connection:\n{err}"
        );
    }
}

#[test]
fn hubfleet_permissions_prints_the_checked_rules() {
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_hubfleet"))
            .args(["permissions", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    let yaml: Value = serde_saphyr::from_str(&run("yaml")).unwrap();
    assert_eq!(json, yaml);
    let part = |key: &str| expand(&json[key]);
    let checks = default_access_checks();
    let only = |driver| {
        set(checks
            .iter()
            .filter(|c| check_driver(c) == driver)
            .cloned()
            .collect())
    };
    use app::domain::cluster::HelmDriverKind;
    assert_same(&part("namespaceRules"), &only(None), "namespaceRules");
    assert_same(
        &part("fluxRules"),
        &only(Some(HelmDriverKind::Flux)),
        "fluxRules",
    );
    assert_same(
        &part("k3sRules"),
        &only(Some(HelmDriverKind::K3s)),
        "k3sRules",
    );
    assert_same(
        &part("clusterRules"),
        &set(cluster_access_checks()),
        "clusterRules",
    );
}

#[test]
fn the_readme_shows_the_install_values_test_sh_validates() {
    let readme = read("README.md");
    let values = read("deploy/chart/hubfleet/ci/install-example.yaml");
    assert!(
        readme.contains(&format!("```yaml\n{values}```")),
        "README.md must show deploy/chart/hubfleet/ci/install-example.yaml verbatim in a yaml block"
    );
    assert!(readme.contains("deploy/chart/hubfleet/ci/install-example.yaml"));
}

/// One Dockerfile instruction: keyword and arguments, continuation lines joined.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (kw, args) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((kw.to_ascii_uppercase(), args.trim().to_string()));
                current.clear();
            }
        }
    }
    out
}

/// `COPY [--from=STAGE] SRC... DEST` as (stage, sources, destination).
fn copies(ins: &[(String, String)]) -> Vec<(Option<String>, Vec<String>, String)> {
    ins.iter()
        .filter(|(kw, _)| kw == "COPY")
        .map(|(_, args)| {
            let mut from = None;
            let mut paths = Vec::new();
            for word in args.split_whitespace() {
                match word.strip_prefix("--from=") {
                    Some(stage) => from = Some(stage.to_string()),
                    None if word.starts_with("--") => {}
                    None => paths.push(word.to_string()),
                }
            }
            let dest = paths.pop().expect("COPY has a destination");
            (from, paths, dest)
        })
        .collect()
}

#[test]
fn the_dockerfile_copies_what_the_build_needs_and_produces() {
    let dockerfile = read("deploy/Dockerfile");
    let ins = instructions(&dockerfile);
    let copied = copies(&ins);

    // From the build context: each source exists and .dockerignore lets it through (the
    // ignore file is an allow list: `*`, then `!path` for each thing copied, nothing else).
    let allowed: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix('!').map(str::to_string))
        .collect();
    let from_context: Vec<String> = copied
        .iter()
        .filter(|(from, _, _)| from.is_none())
        .flat_map(|(_, srcs, _)| srcs.clone())
        .map(|s| s.trim_end_matches('/').to_string())
        .collect();
    for src in &from_context {
        assert!(
            root().join(src).exists(),
            "COPY {src}: no such file in the repository"
        );
    }
    let mut a = allowed.clone();
    let mut c = from_context.clone();
    a.sort();
    c.sort();
    assert_eq!(
        a, c,
        ".dockerignore lets through exactly what the Dockerfile copies"
    );
    let covered = |path: &str| {
        from_context
            .iter()
            .any(|c| path == c || path.starts_with(&format!("{c}/")))
    };

    // What cargo and sitebuild read: the workspace manifest and lock, .cargo/config.toml, every
    // member and every file a member's manifest names outside its folder (benchmarks),
    // migrations (sqlx::migrate!), the stylesheet and public assets, and the build script.
    let workspace = read("Cargo.toml");
    let members_line = workspace
        .lines()
        .find(|l| l.starts_with("members"))
        .unwrap();
    let members: Vec<&str> = members_line.split('"').skip(1).step_by(2).collect();
    assert!(members.len() >= 5, "{members:?}");
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "migrations",
        "style",
        "public",
        "scripts/build.sh",
    ]
    .into_iter()
    .chain(members.iter().copied())
    {
        assert!(covered(needed), "the Dockerfile does not copy {needed}");
    }
    for member in &members {
        let manifest = read(&format!("{member}/Cargo.toml"));
        for line in manifest.lines() {
            if let Some(rest) = line.trim().strip_prefix("path = \"../") {
                let path = rest.trim_end_matches('"');
                assert!(
                    covered(path),
                    "{member}/Cargo.toml names ../{path}, which is not copied"
                );
            }
        }
    }

    // The build runs scripts/build.sh --release, whose outputs (README, "How the site is
    // built") are the `hubfleet` binary of the release profile and the site in target/site:
    // exactly what the runtime stage takes, and nothing else.
    let run = ins
        .iter()
        .find(|(kw, args)| kw == "RUN" && args.contains("scripts/build.sh --release"))
        .expect("the build stage runs scripts/build.sh --release")
        .1
        .clone();
    assert!(
        run.contains("cp target/release/hubfleet /out/hubfleet"),
        "{run}"
    );
    assert!(run.contains("cp -R target/site /out/site"), "{run}");
    assert!(read("server/Cargo.toml").contains("name = \"hubfleet\""));
    let bin = Path::new(env!("CARGO_BIN_EXE_hubfleet"));
    assert_eq!(bin.file_name().unwrap(), "hubfleet");
    assert!(bin.parent().unwrap().parent().unwrap().ends_with("target"));
    assert!(read("sitebuild/src/main.rs").contains("site_root: PathBuf::from(\"target/site\")"));
    assert!(!read("scripts/build.sh").contains("--site-root"));
    let from_build: Vec<(Vec<String>, String)> = copied
        .iter()
        .filter(|(from, _, _)| from.as_deref() == Some("build"))
        .map(|(_, s, d)| (s.clone(), d.clone()))
        .collect();
    assert_eq!(
        from_build,
        vec![
            (
                vec!["/out/hubfleet".to_string()],
                "/usr/local/bin/hubfleet".to_string()
            ),
            (
                vec!["/out/site".to_string()],
                "/usr/share/hubfleet/site".to_string()
            ),
        ]
    );

    // The runtime: the copied site is the site root, the data directory is a volume, an
    // unprivileged numeric user, `hubfleet serve` and its health check.
    let env = ins
        .iter()
        .filter(|(kw, _)| kw == "ENV")
        .map(|(_, a)| a.clone())
        .collect::<Vec<_>>()
        .join(" ");
    for setting in [
        "HUBFLEET_SITE_ROOT=/usr/share/hubfleet/site",
        "HUBFLEET_DATA_DIR=/data",
        "HUBFLEET_LISTEN=0.0.0.0:3000",
    ] {
        assert!(env.contains(setting), "ENV lacks {setting}");
    }
    let last = |kw: &str| {
        ins.iter()
            .rev()
            .find(|(k, _)| k == kw)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    };
    let user = last("USER");
    assert!(
        user.split(':')
            .all(|p| p.parse::<u32>().is_ok_and(|id| id > 0)),
        "USER {user} is not a numeric non-root user"
    );
    assert_eq!(last("VOLUME"), "[\"/data\"]");
    assert_eq!(last("ENTRYPOINT"), "[\"/usr/local/bin/hubfleet\"]");
    assert_eq!(last("CMD"), "[\"serve\"]");
    assert!(last("HEALTHCHECK").ends_with("CMD [\"/usr/local/bin/hubfleet\", \"healthcheck\"]"));

    // The toolchain and wasm-opt are the ones the checkout pins.
    let arg = |name: &str| {
        ins.iter()
            .filter(|(kw, _)| kw == "ARG")
            .find_map(|(_, a)| a.strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("no ARG {name}"))
    };
    assert!(workspace.contains(&format!("rust-version = \"{}\"", arg("RUST_VERSION"))));
    assert!(
        read("scripts/setup.sh")
            .contains(&format!("BINARYEN_VERSION={}\n", arg("BINARYEN_VERSION")))
    );
}

/// Answers one connection with `status` (an HTTP status line's code and reason).
fn answer_once(status: &'static str) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let n = conn.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /healthz HTTP/1.1\r\n"));
        let _ = write!(conn, "HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nok");
    });
    addr
}

#[test]
fn hubfleet_healthcheck_passes_only_on_200() {
    let check = |addr: String| {
        Command::new(env!("CARGO_BIN_EXE_hubfleet"))
            .args(["healthcheck", "--listen", &addr, "--timeout-seconds", "5"])
            .env_remove("HUBFLEET_LISTEN")
            .output()
            .unwrap()
    };
    assert!(check(answer_once("200 OK").to_string()).status.success());
    let bad = check(answer_once("503 Service Unavailable").to_string());
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("503"));
    // 0.0.0.0 means this machine.
    let port = answer_once("200 OK").port();
    assert!(check(format!("0.0.0.0:{port}")).status.success());
    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    assert!(!check(closed.to_string()).status.success());
}
