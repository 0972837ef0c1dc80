#!/usr/bin/env bash
# Runs `shipgate check` for the action: annotations on stdout (GitHub workflow
# commands), the Markdown summary appended to $GITHUB_STEP_SUMMARY, SARIF and
# the JSON report (and the signed record, with a key) in the output directory,
# and the step outputs verdict, record, sarif and failed-rules.
# Runs outside GitHub too: set GITHUB_WORKSPACE, GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY, and SHIPGATE (the binary) if it is not on PATH.
set -uo pipefail
workspace="${GITHUB_WORKSPACE:-$PWD}"
cd "$workspace"
shipgate="${SHIPGATE:-shipgate}"
out="${INPUT_OUTPUT_DIR:-shipgate-results}"
mkdir -p "$out"

args=(check "${INPUT_CONFIG:-shipgate.toml}" --format github
      --output "sarif=$out/shipgate.sarif" --output "json=$out/report.json"
      --output "markdown=$out/summary.md")
if [ "${INPUT_FAIL_ON_WARNINGS:-false}" = "true" ]; then
  args+=(--fail-on warn)
fi
record=""
if [ -n "${INPUT_SIGN_KEY:-}" ]; then
  keyfile="$(mktemp)"
  chmod 600 "$keyfile"
  printf '%s\n' "$INPUT_SIGN_KEY" > "$keyfile"
  trap 'rm -f "$keyfile"' EXIT
  record="$out/shipgate.record.dsse.json"
  args+=(--sign-key "$keyfile" --record "$record")
fi
# Word-splitting of the extra flags is intended: they are flags.
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})

"$shipgate" "${args[@]}" "${extra[@]}"
status=$?

if [ -f "$out/summary.md" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
verdict="fail"
failed=""
if [ -f "$out/report.json" ]; then
  verdict="$(grep -m1 -o '"verdict": *"[a-z]*"' "$out/report.json" | sed 's/.*"\([a-z]*\)"$/\1/')"
  failed="$(python3 - "$out/report.json" <<'PY' 2>/dev/null || true
import json, sys
report = json.load(open(sys.argv[1]))
print(",".join(r["id"] for r in report["rules"] if r["status"] in ("fail", "error")))
PY
)"
fi
{
  echo "verdict=$verdict"
  echo "sarif=$out/shipgate.sarif"
  echo "record=$record"
  echo "failed-rules=$failed"
} >> "${GITHUB_OUTPUT:-/dev/null}"
exit "$status"
