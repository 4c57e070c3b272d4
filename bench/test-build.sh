#!/usr/bin/env bash
# Builds every Rust test binary (`cargo nextest run --workspace --no-run`, debug) of each given
# commit in a fresh clone with an empty target/, and prints the build time, the size of target/
# and the number of test binaries (nextest's suites: unit tests of each crate plus every
# integration-test binary). Used for BENCHMARKS.md, section "Build".
#   bench/test-build.sh 78d6da6 HEAD
set -u
origin="$(cd "$(dirname "$0")/.." && pwd)"
unset CARGO_TARGET_DIR
for c in "$@"; do
  d="$(mktemp -d /tmp/hubfleet-test-build-XXXXXX)"
  git clone -q "$origin" "$d" && cd "$d" && git checkout -q "$c"
  s=$(date +%s)
  cargo nextest run --workspace --locked --no-run >"$d.log" 2>&1
  rc=$?
  e=$(($(date +%s) - s))
  suites=$(cargo nextest list --workspace --locked --message-format json 2>/dev/null |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rust-suites"]))')
  echo "$(git rev-parse --short HEAD) rc=$rc build=${e}s target=$(du -sh target | cut -f1) test_binaries=$suites"
  cd / && rm -rf "$d" "$d.log"
done
