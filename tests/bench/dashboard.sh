#!/usr/bin/env bash
# Times `shipgate dashboard` (release build) on a synthetic ledger:
#
#   tests/bench/dashboard.sh [RECORDS]        (default 10000)
#
# The ledger is written once through the ledger API by the ignored e2e test
# `dashboard_bench_ledger` (signed synthetic records over 400 days, with
# waivers, cost and residency) into target/bench/ledger-RECORDS, and reused
# by later runs. Prints the build time, the site's size and the overview's
# size; exits 1 when the build takes 10 s or more.
set -euo pipefail

records=${1:-10000}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bench=$root/target/bench
ledger=$bench/ledger-$records
site=$bench/site-$records

cargo build --release -p shipgate-cli --quiet
if [ ! -f "$ledger/HEAD" ] || [ ! -f "$ledger.pub" ]; then
  rm -rf "$ledger" "$ledger.pub"
  mkdir -p "$bench"
  echo "writing a ledger of $records records to $ledger (once) ..."
  SHIPGATE_BENCH_LEDGER=$ledger SHIPGATE_BENCH_RECORDS=$records \
    cargo test -p shipgate-cli --test e2e dashboard_bench_ledger -- --ignored --nocapture
fi

rm -rf "$site"
start=$(date +%s.%N)
status=0
"$root/target/release/shipgate" dashboard --ledger "$ledger" --out "$site" \
  --key "$ledger.pub" --now 2026-11-23 || status=$?
end=$(date +%s.%N)
# 0: intact; 1: the synthetic ledger has unsigned records only, which are
# not a failure, so anything else is.
[ "$status" -le 1 ] || { echo "FAIL: shipgate dashboard exited $status" >&2; exit 1; }

seconds=$(echo "$end - $start" | bc)
files=$(find "$site" -type f | wc -l)
bytes=$(du -sb "$site" | cut -f1)
overview=$(stat -c %s "$site/index.html")
index_js=$(stat -c %s "$site/records/index.js")
largest=$(find "$site/records" -name '[0-9]*.html' -printf '%s\n' | sort -n | tail -1)
echo "records:        $records"
echo "build time:     ${seconds} s (release build)"
echo "site:           $files files, $bytes bytes"
echo "overview:       $overview bytes (index.html)"
echo "filter index:   $index_js bytes (records/index.js)"
echo "largest record: $largest bytes"
if [ "$(echo "$seconds >= 10" | bc)" = 1 ]; then
  echo "FAIL: the build took 10 s or more" >&2
  exit 1
fi
