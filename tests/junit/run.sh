#!/usr/bin/env bash
# Reads JUnit XML written by `shipgate check --format junit` with junitparser,
# a JUnit reader that is not shipgate, and prints one line per test suite:
#
#   NAME TESTS FAILURES ERRORS SKIPPED
#
#   tests/junit/run.sh FILE
#
# It also checks that each suite's count attributes agree with its test cases'
# results. Exit 0 when the file parses and agrees, 77 when python3 (or its
# venv module) is missing (the caller reports a skip), 1 on any failure.
#
# junitparser is installed once into a venv (default target/junit-venv,
# override with SHIPGATE_JUNIT_VENV); delete it to rebuild.
set -euo pipefail

JUNITPARSER_VERSION=5.0.3

file=${1:?usage: run.sh FILE}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${SHIPGATE_JUNIT_VENV:-$root/target/junit-venv}

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v python3 >/dev/null || skip "python3 is not installed"

# shellcheck source=../lib/venv.sh
. "$root/tests/lib/venv.sh"
ensure_venv "$venv" \
  "import importlib.metadata as m, sys; sys.exit(m.version('junitparser') != '$JUNITPARSER_VERSION')" \
  "junitparser==$JUNITPARSER_VERSION"

"$venv/bin/python" - "$file" <<'PY'
import sys
from junitparser import JUnitXml, TestSuite, Failure, Error, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
suites = [xml] if isinstance(xml, TestSuite) else list(xml)
if not suites:
    sys.exit("FAIL: no test suite")
for suite in suites:
    cases = list(suite)
    counted = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
    for case in cases:
        for result in case.result:
            if isinstance(result, Failure):
                counted["failures"] += 1
            elif isinstance(result, Error):
                counted["errors"] += 1
            elif isinstance(result, Skipped):
                counted["skipped"] += 1
    declared = {k: int(getattr(suite, k) or 0) for k in counted}
    if declared != counted:
        sys.exit(f"FAIL: suite {suite.name}: attributes say {declared}, test cases say {counted}")
    print(suite.name, *(counted[k] for k in ("tests", "failures", "errors", "skipped")))
PY
