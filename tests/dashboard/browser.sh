#!/usr/bin/env bash
# Loads pages of a generated dashboard in headless Chromium, from the file
# system as a user would open them, and keeps what the browser made of them:
#
#   tests/dashboard/browser.sh SITE OUT PAGE...
#
#   SITE   the dashboard directory (`shipgate dashboard --out SITE`)
#   OUT    where to write, per page, NAME.dom.html (the DOM after the page's
#          scripts ran, from --dump-dom) and NAME.png (a screenshot)
#   PAGE   a path inside SITE, optionally with a #fragment (the records
#          filter reads its settings from it), e.g. records/index.html#verdict=fail
#          NAME is PAGE with every character outside [A-Za-z0-9.-] made `_`
#
# The caller (tests/e2e/dashboard.rs) checks the DOM. Exit 0 when every page
# was dumped and shot, 77 when Chromium is not installed (the caller reports
# a loud skip; CI installs it: see .ci/run), 1 on any failure.
#
# Chromium runs without a display, sandbox or GPU, and with background
# networking off; the pages themselves carry a Content-Security-Policy that
# allows nothing but the site's own files.
set -euo pipefail

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ $# -ge 3 ] || fail "usage: $0 SITE OUT PAGE..."
site=$(cd "$1" && pwd)
out=$2
shift 2

chromium=${CHROMIUM:-}
if [ -z "$chromium" ]; then
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null; then chromium=$(command -v "$c"); break; fi
  done
fi
[ -n "$chromium" ] || skip "chromium is not installed (apt-get install -y chromium)"

mkdir -p "$out"
: >"$out/chromium.log"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

browse() {
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --no-first-run --no-default-browser-check --disable-extensions --disable-sync \
    --user-data-dir="$profile" --window-size=1280,2000 "$@" 2>>"$out/chromium.log"
}

for page in "$@"; do
  name=$(printf '%s' "$page" | tr -c 'A-Za-z0-9.-' '_')
  url="file://$site/$page"
  browse --dump-dom "$url" >"$out/$name.dom.html" || fail "chromium could not load $url (see $out/chromium.log)"
  grep -q '</html>' "$out/$name.dom.html" || fail "no DOM for $url"
  browse --screenshot="$out/$name.png" "$url" >/dev/null || fail "chromium could not screenshot $url"
  [ -s "$out/$name.png" ] || fail "no screenshot of $url"
  echo "ok $page -> $out/$name.dom.html, $out/$name.png"
done
