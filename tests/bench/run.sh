#!/usr/bin/env bash
# shipgate against OPA and cel-js, side by side (issue 6). See tests/bench/README.md.
#   tests/bench/run.sh            1k, 10k and 100k components (about 10 minutes)
#   tests/bench/run.sh --quick    10k only, fewer repetitions
# Other options go to bench.py (--sizes, --cel-timeout SECONDS, --out FILE).
# Installs the peers into target/bench-peers (PEERS_HOME overrides) the way
# tests/bench/peers/setup.sh does; a peer that cannot be installed is skipped with
# a message. Builds shipgate and the bench program in release mode. Writes the
# table to target/bench/results.md; exits 1 when shipgate's results differ from a
# peer's. Measure on an otherwise idle machine: a parallel build triples the times.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PEERS_HOME=${PEERS_HOME:-$ROOT/target/bench-peers}
mkdir -p "$PEERS_HOME" target/bench/work
. tests/bench/lib.sh

# --- peers (each on its own: one that fails to install is skipped, not fatal) ---
install_opa "$PEERS_HOME" || echo "bench: OPA figures will be skipped" >&2
if [ ! -d "$PEERS_HOME/npm/node_modules/@marcbachmann/cel-js" ]; then
  if command -v npm >/dev/null; then
    echo "bench: installing cel-js (npm @marcbachmann/cel-js) into $PEERS_HOME/npm" >&2
    mkdir -p "$PEERS_HOME/npm"
    (cd "$PEERS_HOME/npm" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
       && npm install -s --no-audit --no-fund @marcbachmann/cel-js@8.0.0 @bufbuild/cel@0.6.1) \
      || echo "bench: cannot install cel-js: its figures will be skipped" >&2
  else
    echo "bench: no npm: cel-js figures will be skipped" >&2
  fi
fi

# --- builds ---
BENCH_BIN=$(build_release)

load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "bench: load average before measuring: $load (measure on an idle machine)" >&2
exec python3 tests/bench/bench.py --shipgate "$ROOT/target/release/shipgate" --bench-bin "$BENCH_BIN" \
  --peers-home "$PEERS_HOME" "$@"
