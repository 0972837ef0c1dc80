#!/usr/bin/env bash
# Checks keys and DSSE envelopes written by shipgate with tools that are not
# shipgate: securesystemslib (Python) and the OpenSSL command line.
#
#   tests/interop/run.sh DIR
#
# DIR has one subdirectory per algorithm (ed25519/, ecdsa-p256/) as written by
# engine/tests/sign_interop.rs; see README.md. Exit 0 when every check passed,
# 77 when a tool is missing (the caller reports a skip), 1 on any failure.
#
# securesystemslib is installed once into a venv (default target/interop-venv,
# override with SHIPGATE_INTEROP_VENV); delete it to rebuild.
set -euo pipefail

SSLIB_VERSION=1.6.0

dir=${1:?usage: run.sh DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${SHIPGATE_INTEROP_VENV:-$root/target/interop-venv}

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v python3 >/dev/null || skip "python3 is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"

# shellcheck source=../lib/venv.sh
. "$root/tests/lib/venv.sh"
ensure_venv "$venv" \
  "import securesystemslib, cryptography, sys; sys.exit(securesystemslib.__version__ != '$SSLIB_VERSION')" \
  "securesystemslib[crypto]==$SSLIB_VERSION"
py="$venv/bin/python"

checked=0
for alg in ed25519 ecdsa-p256; do
  d=$dir/$alg
  [ -d "$d" ] || continue
  checked=$((checked + 1))

  # OpenSSL reads our key files, and derives our public key from our private key.
  openssl pkey -in "$d/shipgate.key" -noout || fail "$alg: openssl cannot read shipgate.key"
  openssl pkey -pubin -in "$d/shipgate.pub" -noout || fail "$alg: openssl cannot read shipgate.pub"
  openssl pkey -in "$d/shipgate.key" -pubout -out "$d/derived.pub"
  cmp -s "$d/derived.pub" "$d/shipgate.pub" || fail "$alg: openssl derives another public key (or PEM) from shipgate.key"
  echo "ok $alg: openssl reads shipgate.key and shipgate.pub, and they match"

  "$py" "$here/verify_dsse.py" "$d"

  # OpenSSL verifies our signature over securesystemslib's PAE; one changed
  # byte must make it fail (so the check is not vacuous).
  cp "$d/pae.bin" "$d/pae-tampered.bin"
  printf 'X' | dd of="$d/pae-tampered.bin" bs=1 seek=20 conv=notrunc status=none
  case $alg in
    ed25519)
      verify() { openssl pkeyutl -verify -pubin -inkey "$d/$1" -rawin -in "$2" -sigfile "$3" >/dev/null; }
      openssl genpkey -algorithm ED25519 -out "$d/openssl.key"
      openssl pkeyutl -sign -inkey "$d/openssl.key" -rawin -in "$d/pae.bin" -out "$d/openssl.sig"
      ;;
    ecdsa-p256)
      verify() { openssl dgst -sha256 -verify "$d/$1" -signature "$3" "$2" >/dev/null; }
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/openssl.key"
      openssl dgst -sha256 -sign "$d/openssl.key" -out "$d/openssl.sig" "$d/pae.bin"
      ;;
  esac
  verify shipgate.pub "$d/pae.bin" "$d/sig.bin" || fail "$alg: openssl rejects shipgate's signature"
  if verify shipgate.pub "$d/pae-tampered.bin" "$d/sig.bin" 2>/dev/null; then
    fail "$alg: openssl accepted a signature over changed bytes"
  fi
  echo "ok $alg: openssl verifies shipgate's signature and rejects changed bytes"

  # The other way round: an OpenSSL key and signature for shipgate to read.
  openssl pkey -in "$d/openssl.key" -pubout -out "$d/openssl.pub"
  verify openssl.pub "$d/pae.bin" "$d/openssl.sig" || fail "$alg: openssl rejects its own signature"
done

[ "$checked" -gt 0 ] || fail "no ed25519/ or ecdsa-p256/ directory in $dir"
echo "interop: $checked algorithms checked with securesystemslib $SSLIB_VERSION and $(openssl version)"
