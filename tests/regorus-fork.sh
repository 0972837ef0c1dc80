#!/usr/bin/env bash
# Runs regorus's own unit tests (its YAML interpreter cases among them) against
# the fork in vendor/regorus: the published 0.14.1 crate, fetched from the
# registry, with its src/ replaced by the fork's. .ci/run calls it; building
# regorus's test dependencies takes a few minutes.
# Usage: tests/regorus-fork.sh [extra cargo test arguments]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${REGORUS_FORK_WORK:-${TMPDIR:-/tmp}/shipgate-regorus-fork}
mkdir -p "$WORK/probe/src"
cat > "$WORK/probe/Cargo.toml" <<'TOML'
[package]
name = "probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
regorus = { version = "=0.14.1", default-features = false }

[workspace]
TOML
: > "$WORK/probe/src/lib.rs"
cargo fetch --manifest-path "$WORK/probe/Cargo.toml" >&2
SRC=$(cargo metadata --manifest-path "$WORK/probe/Cargo.toml" --format-version 1 | python3 -c '
import json, os, sys
m = json.load(sys.stdin)
print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"] == "regorus"))')
rm -rf "$WORK/crate"
cp -r "$SRC" "$WORK/crate"
chmod -R u+w "$WORK/crate"
rm -rf "$WORK/crate/src"
cp -r "$ROOT/vendor/regorus/src" "$WORK/crate/src"
cd "$WORK/crate"
CARGO_TARGET_DIR="$WORK/target" cargo test --lib "$@"
