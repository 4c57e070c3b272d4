#!/usr/bin/env bash
# Builds the portal: the browser bundle into target/site (sitebuild) and the `hubfleet` binary.
#   scripts/build.sh            debug build  -> target/debug/hubfleet + target/site
#   scripts/build.sh --release  optimised    -> target/release/hubfleet + target/site
# run.sh and test.sh both build through this script, so the tests build exactly what a
# newcomer's `./run.sh` builds. Tools come from scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

ARGS=()
case "${1:-}" in
  --release) ARGS+=(--release) ;;
  "") ;;
  *) echo "usage: scripts/build.sh [--release]" >&2; exit 2 ;;
esac

cargo run -p sitebuild --locked -- "${ARGS[@]}"
cargo build -p server --bin hubfleet --locked "${ARGS[@]}"
