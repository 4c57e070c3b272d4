#!/usr/bin/env bash
# Proves the generated hub.extraConfig code works in the real hub stack: JupyterHub 5.5.0 and
# KubeSpawner 7.0.0 (from PyPI) evaluate it, then KubeSpawner asks a running portal for each
# user's profiles (and falls back to the static list when the portal is down).
#
# Creates a virtualenv in target/pyenv once (kept while it has the pinned versions), then runs
# the Rust test that serves the portal on a loopback port with seeded data and a token, and
# runs end2end/python/test_profiles.py against it.
#
# Usage (from anywhere): end2end/python/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
VENV=target/pyenv
PYTHON="${PYTHON:-python3}"

has_pinned_versions() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
import sys

pins = {}
for line in open("end2end/python/requirements.txt"):
    line = line.split("#")[0].strip()
    if "==" in line:
        name, version = line.split("==")
        pins[name.strip()] = version.strip()
try:
    ok = all(m.version(name) == version for name, version in pins.items())
except m.PackageNotFoundError:
    ok = False
sys.exit(0 if ok else 1)
PY
}

if [ -x "$VENV/bin/python" ] && has_pinned_versions; then
  echo "==> python env: $VENV (pinned versions present)"
else
  echo "==> python env: creating $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r end2end/python/requirements.txt
  has_pinned_versions || { echo "the pinned versions did not install" >&2; exit 1; }
fi

echo "==> KubeSpawner against the portal"
HUBFLEET_REQUIRE_PYENV=1 cargo nextest run --workspace --locked \
  -E "test(python_kubespawner_gets_the_profiles_of_each_user)" --no-capture
