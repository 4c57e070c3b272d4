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
FLAGS=()
if [ "${1:-}" = "--release" ]; then
  PROFILE=release
  FLAGS+=(--release)
  shift
fi
[ "${1:-}" = "--" ] && shift

scripts/setup.sh "${FLAGS[@]}"
scripts/build.sh "${FLAGS[@]}"

export HUBFLEET_SITE_ROOT="${HUBFLEET_SITE_ROOT:-target/site}"
exec "target/$PROFILE/hubfleet" serve "$@"
