#!/usr/bin/env bash
# Sets up what is missing, builds and starts Hubfleet on http://127.0.0.1:3000.
#   ./run.sh                 debug build (shares build artifacts with ./test.sh)
#   ./run.sh --release       optimised build (needs wasm-opt; installed from npm)
#   ./run.sh [--release] -- ARGS   extra arguments for `hubfleet serve`
# State lives in ./data (SQLite). Without a kubeconfig the built-in simulated cluster is used.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"

PROFILE=debug
SETUP_ARGS=()
BUILD_ARGS=()
if [ "${1:-}" = "--release" ]; then
  PROFILE=release
  SETUP_ARGS+=(--release)
  BUILD_ARGS+=(--release)
  shift
fi
[ "${1:-}" = "--" ] && shift

scripts/setup.sh "${SETUP_ARGS[@]}"
cargo leptos build "${BUILD_ARGS[@]}"

export HUBFLEET_SITE_ROOT="${HUBFLEET_SITE_ROOT:-target/site}"
exec "target/$PROFILE/hubfleet" serve "$@"
