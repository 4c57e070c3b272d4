#!/usr/bin/env bash
# Runs every check and test: formatting, the deploy checks (Dockerfile, Helm chart), clippy
# (server and browser builds, warnings denied), cargo tests (unit, property, SQLite
# integration, the chart's permissions), then the end-to-end browser tests against the real
# binary. Installs missing tools first. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }

step "tools"
scripts/setup.sh --test

step "cargo fmt --check"
cargo fmt --all --check

step "module graph: no import cycles (non-test code)"
python3 scripts/module-cycles.py app/src server/src clusterkit/src simcluster/src sitebuild/src

step "deploy: hadolint on the Dockerfile; helm lint, helm template and strict kubernetes-validate of the chart"
scripts/check-deploy.sh

step "clippy (server build: app with ssr, server, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (browser build: app with hydrate, wasm32)"
cargo clippy -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --locked -- -D warnings

step "cargo nextest (unit, property and SQLite integration tests; one process per test)"
# The KubeSpawner test and the chart tests must not skip themselves: setup.sh made the Python
# env and installed helm.
HUBFLEET_REQUIRE_PYENV=1 HUBFLEET_REQUIRE_HELM=1 cargo nextest run --workspace --locked

step "the README's first command: ./run.sh on a free port and a fresh data directory, sign in"
# run.sh builds through scripts/build.sh (site bundle + binary), exactly as for a newcomer.
node end2end/first-run.mjs

step "end-to-end (Chromium)"
node end2end/run.mjs
