#!/usr/bin/env bash
# shipgate's Rego engine (regorus, the fork in vendor/regorus) against OPA v1.20
# on the shipped sbom bundle, for every SBOM of a corpus: the same input
# document and parameters go to both, and each rule's violations and warnings
# must be the same messages with the same details.
#   tests/differential/opa.sh [CORPUS_DIR]     (default: $SHIPGATE_SBOM_CORPUS,
#                                               else ../shared/corpus/sboms)
# Installs OPA into target/bench-peers (PEERS_HOME overrides) like the
# benchmark; exits 1 on any difference, 2 when it cannot run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PEERS_HOME=${PEERS_HOME:-$ROOT/target/bench-peers}
CORPUS=${1:-${SHIPGATE_SBOM_CORPUS:-$ROOT/../shared/corpus/sboms}}
[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS" >&2; exit 2; }
mkdir -p "$PEERS_HOME"
. tests/bench/lib.sh
install_opa "$PEERS_HOME" || exit 2
BENCH_BIN=$(build_release)
exec "$PEERS_HOME/venv-opa/bin/python" tests/differential/opa.py --shipgate "$ROOT/target/release/shipgate" \
  --bench-bin "$BENCH_BIN" --bundle "$ROOT/policies/sbom" --corpus "$CORPUS"
