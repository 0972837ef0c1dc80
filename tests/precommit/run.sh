#!/usr/bin/env bash
# Runs this repository's pre-commit hooks the way a user's repository would,
# with pre-commit itself (PyPI), against temporary repositories holding the
# passing and the failing example release:
#
#   tests/precommit/run.sh [HOOK...]      (default: shipgate shipgate-system)
#
#   shipgate         language: rust — pre-commit builds the repository root
#                    package with `cargo install --path .` into its own env
#   shipgate-system  language: system — the `shipgate` binary on PATH
#                    ($SHIPGATE, default target/debug/shipgate)
#
# `pre-commit try-repo` on the passing release must pass, on the failing one
# must fail and name the failing rules, and a change to a file the hook does
# not watch must not run it (the rust hook, which pre-commit builds anew for
# every try-repo, runs the failing case only). Exit 0 when all hold, 77
# when python3, its venv module or git is missing (the caller reports a
# skip), 1 on any failure.
#
# pre-commit is installed once into target/precommit-venv; its hook
# environments live in target/precommit-home. The rust hook's build uses
# target/precommit-build with the release profile made cheap (no LTO, no
# optimisation): the test checks the hook's wiring, not the binary's speed.
set -euo pipefail

PRE_COMMIT_VERSION=4.7.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=$root/target/precommit-venv

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v python3 >/dev/null || skip "python3 is not installed"
command -v git >/dev/null || skip "git is not installed"

# shellcheck source=../lib/venv.sh
. "$root/tests/lib/venv.sh"
ensure_venv "$venv" \
  "import importlib.metadata as m, sys; sys.exit(m.version('pre-commit') != '$PRE_COMMIT_VERSION')" \
  "pre-commit==$PRE_COMMIT_VERSION"

hooks=("$@")
[ ${#hooks[@]} -gt 0 ] || hooks=(shipgate shipgate-system)

export PRE_COMMIT_HOME=$root/target/precommit-home
export CARGO_TARGET_DIR=$root/target/precommit-build
export CARGO_PROFILE_RELEASE_LTO=off
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64
export CARGO_PROFILE_RELEASE_DEBUG=false
export CARGO_PROFILE_RELEASE_INCREMENTAL=true
export NO_COLOR=1
shipgate_bin=${SHIPGATE:-$root/target/debug/shipgate}
[ -x "$shipgate_bin" ] || fail "no shipgate binary at $shipgate_bin (cargo build -p shipgate-cli)"
bindir=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$bindir" "$work"' EXIT
ln -s "$shipgate_bin" "$bindir/shipgate"
export PATH=$bindir:$PATH

# A user's repository: the example release at its root, the bundles beside.
make_repo() {
  local example=$1 dir=$2
  mkdir -p "$dir"
  cp -R "$root/examples/$example/." "$dir/"
  cp -R "$root/policies" "$dir/policies"
  sed -i 's|\.\./\.\./policies/|policies/|' "$dir/shipgate.toml"
  echo "notes" > "$dir/NOTES.txt"
  git -C "$dir" init -q
  git -C "$dir" add -A
  git -C "$dir" -c user.name=t -c user.email=t@example.invalid commit -qm release
}

try_repo() {
  local dir=$1 hook=$2
  shift 2
  (cd "$dir" && "$venv/bin/python" -m pre_commit try-repo "$root" "$hook" --verbose "$@") \
    >"$work/out" 2>&1
}

make_repo edge-agent-pass "$work/pass"
make_repo edge-agent-fail "$work/fail"

for hook in "${hooks[@]}"; do
  # Every try-repo clones this repository afresh, so the rust hook rebuilds
  # shipgate each time (its dependencies come from target/precommit-build):
  # it runs once, on the failing release, which shows the whole chain — the
  # build, the hook's entry and the verdict. The system hook has the same
  # entry and runs every case.
  if [ "$hook" != shipgate ]; then
    try_repo "$work/pass" "$hook" --files release.json \
      || { cat "$work/out" >&2; fail "$hook: the passing release did not pass"; }
    grep -q "verdict: PASS" "$work/out" \
      || { cat "$work/out" >&2; fail "$hook: no verdict in the output of the passing release"; }
    echo "ok $hook: edge-agent-pass passes"
  fi

  if try_repo "$work/fail" "$hook" --files release.json; then
    cat "$work/out" >&2
    fail "$hook: the failing release passed"
  fi
  for rule in provenance.slsa-level sbom.license-denied; do
    grep -q "$rule" "$work/out" \
      || { cat "$work/out" >&2; fail "$hook: failing release: \`$rule\` not in the output"; }
  done
  echo "ok $hook: edge-agent-fail fails and names its rules"

  if [ "$hook" != shipgate ]; then
    try_repo "$work/fail" "$hook" --files NOTES.txt \
      || { cat "$work/out" >&2; fail "$hook: ran on a file it does not watch"; }
    grep -q "no files to check" "$work/out" \
      || { cat "$work/out" >&2; fail "$hook: expected pre-commit to skip the hook for NOTES.txt"; }
    echo "ok $hook: not run for a file it does not watch"
  fi
done
