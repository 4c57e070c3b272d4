#!/usr/bin/env bash
# The newcomer's figures: the README's two commands in a fresh clone of this checkout's HEAD.
#   bench/newcomer.sh                    tools as they are on this machine
#   bench/newcomer.sh --uninstall-tools  first removes what scripts/setup.sh installs (the
#                                        wasm target, Debian chromium, npm binaryen), so the
#                                        first run pays for installing them as on a new machine
# Measures, in order: ./run.sh until /readyz answers (empty target/), ./test.sh (then the
# test-only tools get installed), ./run.sh again and ./test.sh again (everything cached), and
# the size of target/ after that. Writes the section "newcomer" of BENCHMARKS.md.
set -euo pipefail
origin="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
unset CARGO_TARGET_DIR

if [ "${1:-}" = "--uninstall-tools" ]; then
  rustup target remove wasm32-unknown-unknown || true
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq chromium >/dev/null || true
  npm uninstall --global --loglevel=error binaryen || true
  rm -f /tmp/.hubfleet-apt-updated
  TOOLS="not installed (wasm target, Debian chromium, npm and PyPI test packages)"
else
  TOOLS="already installed"
fi

clone="$(mktemp -d /tmp/hubfleet-newcomer-XXXXXX)"
git clone -q "$origin" "$clone"
cd "$clone"
commit="$(git rev-parse --short HEAD)"
log="$clone/newcomer.log"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Seconds from starting ./run.sh until /readyz answers 200; the portal is stopped after.
time_run() {
  local p data start pid
  p="$(port)"
  data="$(mktemp -d)"
  start=$(date +%s.%N)
  HUBFLEET_LISTEN="127.0.0.1:$p" HUBFLEET_DATA_DIR="$data" setsid ./run.sh >>"$log" 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$p/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "run.sh exited early; see $log" >&2; exit 1; }
    sleep 0.5
  done
  python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')"
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}

time_test() {
  local start
  start=$(date +%s.%N)
  ./test.sh >>"$log" 2>&1 || { echo "test.sh failed; see $log" >&2; exit 1; }
  python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')"
}

mmss() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }

run_cold=$(time_run)
echo "run.sh, tools $TOOLS, empty target/: ${run_cold} s"
test_first=$(time_test)
echo "test.sh after that: ${test_first} s"
run_warm=$(time_run)
echo "run.sh again: ${run_warm} s"
test_warm=$(time_test)
echo "test.sh again: ${test_warm} s"
target_size=$(du -sh target | cut -f1)
echo "target/: $target_size"

cd "$origin"
node --input-type=module -e "
import { updateSection, machine } from './bench/report.mjs';
updateSection('newcomer', [
  '## A newcomer\'s two commands (fresh clone)',
  '',
  'Measured by \`bench/newcomer.sh ${1:-}\` on ' + machine() + ', commit $commit, in a fresh clone with an empty \`target/\`; tools ${TOOLS}. Times are wall-clock; \`./run.sh\` is timed until \`/readyz\` answers.',
  '',
  '| step | time |',
  '|---|---|',
  '| \`./run.sh\`, first (installs what is missing, builds the site and the server, starts) | $(mmss "$run_cold") |',
  '| \`./test.sh\`, first (installs the test tools, fmt, clippy ×2, nextest, first-run check, end-to-end) | $(mmss "$test_first") |',
  '| \`./run.sh\`, again (nothing to install or build) | $(mmss "$run_warm") |',
  '| \`./test.sh\`, again (warm machine) | $(mmss "$test_warm") |',
  '',
  'Size of \`target/\` after these runs: $target_size.',
]);
"
rm -rf "$clone"
