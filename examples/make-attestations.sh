#!/usr/bin/env bash
# Signs the example releases' attestations from their predicates:
#
#   examples/<release>/attestations/<name>.predicate.json
#     -> examples/<release>/attestations/<name>.dsse.json
#
# with the example attestor key (examples/keys/attestor.example.key — an
# example key, published with the examples: never trust it for anything
# real). Ed25519 signatures are deterministic, so running this again gives
# the same bytes; tests/e2e checks that the committed files are current.
#
#   examples/make-attestations.sh [SHIPGATE]    (default: target/debug/shipgate)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shipgate=${1:-$here/../target/debug/shipgate}

for dir in "$here"/voice-assistant-*/; do
  release=$(basename "$dir")
  for predicate in "$dir"attestations/*.predicate.json; do
    name=$(basename "$predicate" .predicate.json)
    case $name in
      privacy) type=privacy; artifacts=(--artifact kws-model-3.1.0.tflite) ;;
      residency) type=residency; artifacts=() ;;
      provenance) type=slsa-provenance; artifacts=() ;;
      *) echo "unknown predicate $predicate" >&2; exit 1 ;;
    esac
    "$shipgate" attest --type "$type" --predicate "$predicate" \
      --manifest "$dir/release.json" "${artifacts[@]}" \
      --key "$here/keys/attestor.example.key" \
      --out "$dir/attestations/$name.dsse.json"
    echo "$release/attestations/$name.dsse.json"
  done
done
