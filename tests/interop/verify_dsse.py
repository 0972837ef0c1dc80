"""Check one directory of shipgate's keys and DSSE envelope with securesystemslib.

Usage: verify_dsse.py DIR

DIR holds what shipgate wrote: shipgate.key, shipgate.pub, payload.json,
envelope.json and tampered-*.json. Nothing here imports or runs shipgate:
every check uses securesystemslib's own DSSE and key classes and pyca/cryptography.

Checks:
- the key id in the envelope is the SHA-256 of the public key's SPKI DER,
  computed here from shipgate.pub;
- securesystemslib's Envelope.verify accepts envelope.json with that key and
  its payload is payload.json, byte for byte;
- payload.json is canonical JSON (RFC 8785): for the payload the test writes
  (integers, strings, keys in the BMP) that equals Python's sorted, compact,
  non-ASCII json.dumps;
- every tampered-*.json is rejected;
- securesystemslib loads shipgate.key (PKCS#8) as a signer and signs
  python-envelope.json, which the Rust test then verifies with shipgate.

It also writes pae.bin (securesystemslib's PAE of envelope.json) and sig.bin
(the raw signature) for the OpenSSL checks in run.sh.
"""

import base64
import hashlib
import json
import pathlib
import sys

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, Signer, SSlibKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    d = pathlib.Path(sys.argv[1])

    public = load_pem_public_key((d / "shipgate.pub").read_bytes())
    spki_der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    keyid = hashlib.sha256(spki_der).hexdigest()
    key = SSlibKey.from_crypto(public, keyid=keyid)

    # securesystemslib matches signatures to keys by keyid before verifying
    # (its issue #416), so ours must be exactly the id computed here.
    raw = json.loads((d / "envelope.json").read_text())
    claimed = [s.get("keyid") for s in raw["signatures"]]
    if claimed != [keyid]:
        fail(f"{d.name}: envelope keyids {claimed}, but sha256(SPKI DER) is {keyid}")

    envelope = Envelope.from_dict(json.loads((d / "envelope.json").read_text()))
    accepted = envelope.verify([key], 1)
    if list(accepted) != [keyid]:
        fail(f"{d.name}: accepted keys {list(accepted)}")
    payload = (d / "payload.json").read_bytes()
    if envelope.payload != payload:
        fail(f"{d.name}: verified payload differs from payload.json")
    if envelope.payload_type != PAYLOAD_TYPE:
        fail(f"{d.name}: payload type {envelope.payload_type!r}")
    print(f"ok {d.name}: securesystemslib verifies envelope.json ({key.keytype}/{key.scheme})")

    again = json.dumps(
        json.loads(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    if again != payload:
        fail(f"{d.name}: payload.json is not canonical:\n{payload!r}\n{again!r}")
    print(f"ok {d.name}: payload.json is canonical JSON")

    tampered = sorted(d.glob("tampered-*.json"))
    if not tampered:
        fail(f"{d.name}: no tampered-*.json to check")
    for path in tampered:
        try:
            Envelope.from_dict(json.loads(path.read_text())).verify([key], 1)
        except VerificationError:
            print(f"ok {d.name}: securesystemslib rejects {path.name}")
        else:
            fail(f"{d.name}: securesystemslib accepted {path.name}")

    signer = Signer.from_priv_key_uri(f"file2:{d / 'shipgate.key'}", key)
    if not isinstance(signer, CryptoSigner):
        fail(f"{d.name}: unexpected signer {type(signer)}")
    ours = Envelope(payload=payload, payload_type=PAYLOAD_TYPE, signatures={})
    ours.sign(signer)
    (d / "python-envelope.json").write_text(json.dumps(ours.to_dict()))
    print(f"ok {d.name}: securesystemslib signs with shipgate.key")

    (d / "pae.bin").write_bytes(envelope.pae())
    (d / "sig.bin").write_bytes(base64.b64decode(raw["signatures"][0]["sig"]))


if __name__ == "__main__":
    main()
