# Shared by the test scripts that check shipgate's output with tools from PyPI.
# Source it after defining skip() (exit 77: the caller reports a skip) and
# fail() (exit 1).
#
#   ensure_venv VENV READY PACKAGE...
#
# Makes VENV a virtual environment with PACKAGE... installed, unless the
# Python snippet READY already exits 0 in it. Tests run in parallel and
# several may want the same venv at once: the check-build-rename sequence
# holds an exclusive lock on VENV.lock (flock), so one run builds and the
# others wait and reuse it. The venv is built beside its final place and
# renamed, so an interrupted run never leaves a half-installed venv where the
# next run would use it. Delete it to rebuild.
ensure_venv() {
  local venv=$1 ready=$2 tmp
  shift 2
  "$venv/bin/python" -c "$ready" 2>/dev/null && return 0
  command -v python3 >/dev/null || skip "python3 is not installed"
  command -v flock >/dev/null || fail "flock (util-linux) is needed to share $venv between parallel tests"
  mkdir -p "$(dirname "$venv")"
  # The lock is held by file descriptor 9 until this shell exits.
  exec 9>"$venv.lock"
  flock 9
  if ! "$venv/bin/python" -c "$ready" 2>/dev/null; then
    tmp=$(mktemp -d "$venv.tmp.XXXXXX")
    if ! python3 -m venv "$tmp" 2>/dev/null; then
      rm -rf "$tmp"
      skip "python3 cannot create a venv (install python3-venv)"
    fi
    if ! "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; then
      rm -rf "$tmp"
      fail "pip could not install $*"
    fi
    rm -rf "$venv"
    mv "$tmp" "$venv"
  fi
  flock -u 9
  "$venv/bin/python" -c "$ready" 2>/dev/null || fail "the venv at $venv does not have $*"
}
