//! DSSE v1 envelopes: how a certification record carries its signatures.
//!
//! DSSE (<https://github.com/secure-systems-lab/dsse>) signs the
//! pre-authentication encoding of the payload type and the payload bytes, so
//! a signature never covers bytes that a verifier would read differently and a
//! statement cannot be replayed under another type. It is what in-toto,
//! Sigstore and securesystemslib use, so records verify with their tools.
//!
//! Verification follows the spec's security rules strictly:
//! - the `keyid` of a signature is an unauthenticated hint. It never selects or
//!   trusts a key: every signature is tried against every trusted key, and the
//!   result names the trusted keys that verified, by their own ids;
//! - the payload handed back is the very byte string that was verified, never
//!   re-read from the envelope;
//! - input is bounded before parsing (size, signature count), and both
//!   standard and URL-safe base64 are accepted, as the spec requires.
//!
//! Our envelopes serialize canonically (RFC 8785), so the same record signed
//! with the same key gives the same file: both algorithms sign
//! deterministically.

use std::fs;
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::keys::{SigningKey, VerifyingKey};
use crate::diag::{Code, Location, Problem};

/// The largest envelope read: records are kilobytes, evidence in DSSE a few
/// megabytes; this bounds memory and verification time for hostile input.
pub const MAX_ENVELOPE_BYTES: usize = 64 << 20;

/// The largest payload signed: its base64 (4/3 larger) plus signatures stay
/// under [`MAX_ENVELOPE_BYTES`], so whatever we sign we can read back.
pub const MAX_PAYLOAD_BYTES: usize = 47 << 20;

/// The most signatures an envelope may carry: each is tried against every
/// trusted key, and each try of Ed25519 hashes the whole payload.
pub const MAX_SIGNATURES: usize = 16;

/// The longest payload type signed (they are media types or URIs).
const MAX_PAYLOAD_TYPE_BYTES: usize = 1024;

const ENVELOPE_HELP: &str = "a DSSE envelope is a JSON object with `payload` (base64), `payloadType` \
     and `signatures`: a list of `{\"keyid\": ..., \"sig\": <base64>}`";

/// DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
/// decimal bytes. This, not the payload, is what gets signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let t = payload_type.len().to_string();
    let b = payload.len().to_string();
    let mut out = Vec::with_capacity(9 + t.len() + payload_type.len() + b.len() + payload.len());
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(t.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(b.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// A DSSE JSON envelope (field names as in the spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The signed bytes (base64 in JSON).
    #[serde(with = "base64_bytes")]
    pub payload: Vec<u8>,
    /// How to read the payload, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// One or more signatures over [`pae`] of type and payload.
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Hint at the signing key (ours: the key's id). Unauthenticated: anyone
    /// can write any id here, so it is never used to decide anything.
    #[serde(default)]
    pub keyid: String,
    /// The signature bytes (base64 in JSON): 64 bytes for Ed25519, DER for ECDSA.
    #[serde(with = "base64_bytes")]
    pub sig: Vec<u8>,
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The payload type that was verified.
    pub payload_type: String,
    /// The payload bytes that were verified: read the statement from these.
    pub payload: Vec<u8>,
    /// Ids of the trusted keys that verified a signature, in the order the
    /// keys were given (each once).
    pub keyids: Vec<String>,
}

impl Envelope {
    /// Signs `payload` as `payload_type` with every key in `keys`.
    pub fn sign(
        payload_type: &str,
        payload: &[u8],
        keys: &[&SigningKey],
    ) -> Result<Envelope, Problem> {
        if keys.is_empty() {
            return Err(Problem::error(
                Code::Internal,
                "no key to sign the envelope with",
            ));
        }
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(Problem::error(
                Code::EnvelopeInvalid,
                format!(
                    "the payload is {} bytes, more than the {MAX_PAYLOAD_BYTES} an envelope may carry",
                    payload.len()
                ),
            ));
        }
        if payload_type.len() > MAX_PAYLOAD_TYPE_BYTES || keys.len() > MAX_SIGNATURES {
            return Err(Problem::error(
                Code::EnvelopeInvalid,
                format!(
                    "an envelope allows a payload type of at most {MAX_PAYLOAD_TYPE_BYTES} bytes and at most {MAX_SIGNATURES} signatures"
                ),
            ));
        }
        let message = pae(payload_type, payload);
        let signatures = keys
            .iter()
            .map(|k| {
                Ok(Signature {
                    keyid: k.keyid(),
                    sig: k.sign(&message)?,
                })
            })
            .collect::<Result<Vec<_>, Problem>>()?;
        Ok(Envelope {
            payload: payload.to_vec(),
            payload_type: payload_type.to_owned(),
            signatures,
        })
    }

    /// Parses an envelope from JSON, refusing more than [`MAX_ENVELOPE_BYTES`]
    /// before parsing. Malformed base64, duplicate fields or an empty
    /// signature list are errors; unknown fields are ignored (as the spec says).
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, Problem> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        let envelope: Envelope = serde_json::from_slice(bytes).map_err(|e| {
            Problem::error(Code::EnvelopeInvalid, format!("not a DSSE envelope: {e}"))
                .with_help(ENVELOPE_HELP)
        })?;
        envelope.check_shape()?;
        Ok(envelope)
    }

    /// Reads an envelope file (see [`Envelope::from_json`]).
    pub fn from_file(path: &Path) -> Result<Envelope, Problem> {
        let shown = path.display().to_string();
        let at = || Location::file(&shown);
        let io = |e: std::io::Error| {
            Problem::error(Code::Io, format!("cannot read `{shown}`: {e}")).at(at())
        };
        let file = fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_ENVELOPE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Envelope::from_json(&bytes).map_err(|p| p.at(at()))
    }

    /// Canonical (RFC 8785) JSON of the envelope, standard padded base64.
    pub fn to_json(&self) -> String {
        // Made at its size: the payload of a large record is tens of MB.
        let encoded = base64::encoded_len(self.payload.len(), true).unwrap_or_default();
        let mut out = String::with_capacity(encoded + 256 * (self.signatures.len() + 1));
        let _ = self.pieces(&mut |piece| {
            out.push_str(piece);
            Ok(())
        });
        out
    }

    /// Writes [`to_json`](Self::to_json)'s text to `w` piece by piece, the
    /// payload's base64 a chunk at a time: never held whole.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.pieces(&mut |piece| w.write_all(piece.as_bytes()))
    }

    /// The envelope's JSON text, in order, to `sink`.
    fn pieces(&self, sink: &mut dyn FnMut(&str) -> std::io::Result<()>) -> std::io::Result<()> {
        /// Payload bytes encoded at once: a multiple of 3, so that the
        /// chunks' base64 joined is the whole payload's.
        const CHUNK: usize = 3 * 16 * 1024;
        let b64 = &base64::engine::general_purpose::STANDARD;
        // Keys in JCS order: payload < payloadType < signatures, keyid < sig.
        // Base64 needs no escaping: the payload is quoted as it is.
        sink("{\"payload\":\"")?;
        let mut text = String::with_capacity(CHUNK / 3 * 4);
        for chunk in self.payload.chunks(CHUNK) {
            text.clear();
            b64.encode_string(chunk, &mut text);
            sink(&text)?;
        }
        sink("\",\"payloadType\":")?;
        sink(&crate::canonical::quote(&self.payload_type))?;
        sink(",\"signatures\":[")?;
        for (i, s) in self.signatures.iter().enumerate() {
            if i > 0 {
                sink(",")?;
            }
            sink("{\"keyid\":")?;
            sink(&crate::canonical::quote(&s.keyid))?;
            sink(",\"sig\":")?;
            sink(&crate::canonical::quote(&b64.encode(&s.sig)))?;
            sink("}")?;
        }
        sink("]}")
    }

    /// Verifies the envelope against `trusted` keys: it holds when at least
    /// one signature verifies with at least one trusted key. Every signature
    /// is tried against every key; `keyid` hints play no part.
    pub fn verify(&self, trusted: &[VerifyingKey]) -> Result<Verified, Problem> {
        self.check_shape()?;
        if trusted.is_empty() {
            return Err(Problem::error(
                Code::SignatureUnverified,
                "no trusted keys to verify the envelope with",
            )
            .with_help(
                "configure the signer's public key (e.g. `shipgate.pub`) as a trusted key",
            ));
        }
        let message = pae(&self.payload_type, &self.payload);
        let digest: Option<[u8; 32]> = trusted
            .iter()
            .any(|k| matches!(k, VerifyingKey::EcdsaP256(_)))
            .then(|| Sha256::digest(&message).into());
        let mut verified = vec![false; trusted.len()];
        for sig in &self.signatures {
            for (key, ok) in trusted.iter().zip(verified.iter_mut()) {
                if !*ok && key.verifies(&message, digest.as_ref(), &sig.sig) {
                    *ok = true;
                }
            }
        }
        let keyids: Vec<String> = trusted
            .iter()
            .zip(&verified)
            .filter(|(_, ok)| **ok)
            .map(|(k, _)| k.keyid())
            .collect();
        if keyids.is_empty() {
            return Err(self.unverified(trusted));
        }
        Ok(Verified {
            payload_type: self.payload_type.clone(),
            payload: self.payload.clone(),
            keyids,
        })
    }

    fn check_shape(&self) -> Result<(), Problem> {
        if self.signatures.is_empty() {
            return Err(
                Problem::error(Code::EnvelopeInvalid, "the envelope has no signatures")
                    .with_help("the file was not signed, or its signatures were stripped"),
            );
        }
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(Problem::error(
                Code::EnvelopeInvalid,
                format!(
                    "the envelope has {} signatures, more than the {MAX_SIGNATURES} shipgate checks",
                    self.signatures.len()
                ),
            ));
        }
        Ok(())
    }

    /// Why nothing verified, as precisely as can be said without trusting hints.
    fn unverified(&self, trusted: &[VerifyingKey]) -> Problem {
        let trusted_ids: Vec<String> = trusted.iter().map(VerifyingKey::keyid).collect();
        let claims_trusted = self
            .signatures
            .iter()
            .any(|s| trusted_ids.contains(&s.keyid));
        let message = format!(
            "no signature of the envelope ({} of them) verifies with any of the {} trusted key{}",
            self.signatures.len(),
            trusted.len(),
            if trusted.len() == 1 { "" } else { "s" },
        );
        let help = if claims_trusted {
            "a signature names a trusted key but does not verify with it: the payload, its type or \
             the signature was changed after signing, or the key id is false"
                .to_owned()
        } else {
            let hints: Vec<String> = self
                .signatures
                .iter()
                .map(|s| {
                    if s.keyid.is_empty() {
                        "(none)".to_owned()
                    } else {
                        format!("`{}`", s.keyid)
                    }
                })
                .collect();
            format!(
                "the envelope was changed after signing, or signed by a key that is not trusted \
                 (its signatures name {}; trusted: {})",
                hints.join(", "),
                trusted_ids
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Problem::error(Code::SignatureUnverified, message).with_help(help)
    }
}

fn too_large(len: u64) -> Problem {
    Problem::error(
        Code::TooLarge,
        format!("the envelope is {len} bytes or more, beyond the limit of {MAX_ENVELOPE_BYTES}"),
    )
}

/// Decodes base64 as envelopes carry it: standard or URL-safe, padded or not.
/// For readers that take an envelope apart field by field (attestations).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    base64_bytes::decode(text)
}

/// Base64 in envelopes: we write standard padded; we read standard or
/// URL-safe, padded or not (the spec: verifiers MUST accept either).
mod base64_bytes {
    use super::*;

    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        decode(&text).map_err(serde::de::Error::custom)
    }

    pub(super) fn decode(text: &str) -> Result<Vec<u8>, String> {
        let engine = if text.contains(['-', '_']) {
            &URL_SAFE
        } else {
            &STANDARD
        };
        engine
            .decode(text)
            .map_err(|e| format!("invalid base64 ({e})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::keys::Algorithm;

    const HELLO_TYPE: &str = "http://example.com/HelloWorld";

    /// The DSSE spec's test vector (protocol.md, "Test Vectors").
    #[test]
    fn pae_spec_vector() {
        assert_eq!(
            pae(HELLO_TYPE, b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
        // Lengths are bytes, not characters.
        assert_eq!(pae("é", "ü".as_bytes()), "DSSEv1 2 é 2 ü".as_bytes());
    }

    fn decimal_to_be32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for digit in s.bytes() {
            let mut carry = u32::from(digit - b'0');
            for byte in out.iter_mut().rev() {
                let v = u32::from(*byte) * 10 + carry;
                *byte = (v & 0xff) as u8;
                carry = v >> 8;
            }
            assert_eq!(carry, 0);
        }
        out
    }

    /// The spec's ECDSA example: its key, RFC 6979 nonces, so our signature
    /// must be the spec's (which is raw r‖s; ours is the same pair in DER).
    #[test]
    fn spec_ecdsa_vector_signs_and_verifies() {
        let d = decimal_to_be32(
            "97358161215184420915383655311931858321456579547487070936769975997791359926199",
        );
        let x = decimal_to_be32(
            "46950820868899156662930047687818585632848591499744589407958293238635476079160",
        );
        let y = decimal_to_be32(
            "5640078356564379163099075877009565129882514886557779369047442380624545832820",
        );
        let key = SigningKey::EcdsaP256(p256::ecdsa::SigningKey::from_slice(&d).unwrap());
        let VerifyingKey::EcdsaP256(vk) = key.verifying_key() else {
            unreachable!()
        };
        let point = vk.to_encoded_point(false);
        assert_eq!(point.x().unwrap().as_slice(), x);
        assert_eq!(point.y().unwrap().as_slice(), y);

        let env = Envelope::sign(HELLO_TYPE, b"hello world", &[&key]).unwrap();
        let raw = p256::ecdsa::Signature::from_der(&env.signatures[0].sig)
            .unwrap()
            .to_bytes();
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(raw),
            "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="
        );
        let v = env.verify(&[key.verifying_key()]).unwrap();
        assert_eq!(v.payload, b"hello world");
        assert_eq!(v.keyids, [key.keyid()]);
    }

    fn keys() -> [SigningKey; 2] {
        [
            SigningKey::generate(Algorithm::Ed25519).unwrap(),
            SigningKey::generate(Algorithm::EcdsaP256).unwrap(),
        ]
    }

    /// The text written piece by piece is the text made whole, for payloads
    /// of several base64 chunks, one byte past a chunk, and none.
    #[test]
    fn written_json_is_the_json() {
        let [ed, p256] = keys();
        for len in [0, 5, 3 * 16 * 1024 + 1, 2 * 3 * 16 * 1024 + 5] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let env = Envelope::sign(HELLO_TYPE, &payload, &[&ed, &p256]).unwrap();
            let mut written = Vec::new();
            env.write_json(&mut written).unwrap();
            let json = env.to_json();
            assert_eq!(written, json.as_bytes(), "{len}");
            assert_eq!(
                Envelope::from_json(json.as_bytes()).unwrap().payload,
                payload
            );
        }
    }

    #[test]
    fn sign_json_round_trip_verify() {
        for key in keys() {
            let env =
                Envelope::sign("application/vnd.in-toto+json", b"{\"a\":1}", &[&key]).unwrap();
            let json = env.to_json();
            assert!(json.starts_with("{\"payload\":\"eyJhIjoxfQ==\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"keyid\":\""));
            // Our writer is canonical and agrees with serde's field names.
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(crate::canonical::to_string(&value).unwrap(), json);
            assert_eq!(serde_json::to_value(&env).unwrap(), value);

            let back = Envelope::from_json(json.as_bytes()).unwrap();
            assert_eq!(back, env);
            let v = back.verify(&[key.verifying_key()]).unwrap();
            assert_eq!(v.payload, b"{\"a\":1}");
            assert_eq!(v.payload_type, "application/vnd.in-toto+json");
            assert_eq!(v.keyids, [key.keyid()]);
            // Same input, same key: same bytes.
            assert_eq!(
                Envelope::sign("application/vnd.in-toto+json", b"{\"a\":1}", &[&key])
                    .unwrap()
                    .to_json(),
                json
            );
        }
    }

    #[test]
    fn any_changed_byte_fails() {
        for key in keys() {
            let trusted = [key.verifying_key()];
            let env = Envelope::sign(HELLO_TYPE, b"hello world", &[&key]).unwrap();
            for i in 0..env.payload.len() {
                let mut e = env.clone();
                e.payload[i] ^= 1;
                let err = e.verify(&trusted).unwrap_err();
                assert_eq!(err.code, Code::SignatureUnverified);
                assert!(
                    err.help
                        .as_deref()
                        .unwrap()
                        .contains("changed after signing"),
                    "{err:?}"
                );
            }
            for i in 0..env.signatures[0].sig.len() {
                let mut e = env.clone();
                e.signatures[0].sig[i] ^= 0x10;
                assert!(e.verify(&trusted).is_err(), "sig byte {i}");
            }
            let mut e = env.clone();
            e.payload_type.push('x');
            assert!(e.verify(&trusted).is_err());
            let mut e = env.clone();
            e.payload.push(b'!');
            assert!(e.verify(&trusted).is_err());
            // The key id is a hint: changing it changes nothing.
            let mut e = env.clone();
            e.signatures[0].keyid = "whatever".into();
            assert_eq!(e.verify(&trusted).unwrap().keyids, [key.keyid()]);
        }
    }

    #[test]
    fn untrusted_key_and_keyid_lies_are_rejected() {
        let [trusted_key, attacker] = keys();
        let env = Envelope::sign(HELLO_TYPE, b"payload", &[&attacker]).unwrap();
        let err = env.verify(&[trusted_key.verifying_key()]).unwrap_err();
        assert_eq!(err.code, Code::SignatureUnverified);
        assert!(
            err.help.as_deref().unwrap().contains("not trusted"),
            "{err:?}"
        );

        // The attacker claims the trusted key's id: still rejected.
        let mut lie = env.clone();
        lie.signatures[0].keyid = trusted_key.keyid();
        let err = lie.verify(&[trusted_key.verifying_key()]).unwrap_err();
        assert_eq!(err.code, Code::SignatureUnverified);
        assert!(
            err.help.as_deref().unwrap().contains("names a trusted key"),
            "{err:?}"
        );

        // Same algorithm, other key, lying id.
        let other = SigningKey::generate(trusted_key.algorithm()).unwrap();
        let mut lie = Envelope::sign(HELLO_TYPE, b"payload", &[&other]).unwrap();
        lie.signatures[0].keyid = trusted_key.keyid();
        assert!(lie.verify(&[trusted_key.verifying_key()]).is_err());

        // A true signature under a wrong or missing id still verifies.
        let mut hidden = Envelope::sign(HELLO_TYPE, b"payload", &[&trusted_key]).unwrap();
        hidden.signatures[0].keyid = attacker.keyid();
        let v = hidden
            .verify(&[attacker.verifying_key(), trusted_key.verifying_key()])
            .unwrap();
        assert_eq!(v.keyids, [trusted_key.keyid()]);

        assert!(env.verify(&[]).is_err());
    }

    #[test]
    fn multiple_signatures_name_every_trusted_signer() {
        let [a, b] = keys();
        let c = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let env = Envelope::sign(HELLO_TYPE, b"x", &[&a, &c, &b]).unwrap();
        let v = env.verify(&[b.verifying_key(), a.verifying_key()]).unwrap();
        assert_eq!(v.keyids, [b.keyid(), a.keyid()]);
        // One untrusted signer among trusted ones does not spoil it.
        let v = env.verify(&[c.verifying_key()]).unwrap();
        assert_eq!(v.keyids, [c.keyid()]);
    }

    #[test]
    fn malformed_envelopes_are_rejected_before_verification() {
        let [key, _] = keys();
        let json = Envelope::sign(HELLO_TYPE, b"hello", &[&key])
            .unwrap()
            .to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();

        let bad = json.replacen("\"payload\":\"", "\"payload\":\"*", 1);
        let err = Envelope::from_json(bad.as_bytes()).unwrap_err();
        assert_eq!(err.code, Code::EnvelopeInvalid);
        assert!(err.message.contains("invalid base64"), "{}", err.message);

        let mut empty = value.clone();
        empty["signatures"] = serde_json::json!([]);
        let err = Envelope::from_json(empty.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.message, "the envelope has no signatures");

        let dup = json.replacen('{', "{\"payload\":\"aGk=\",", 1);
        let err = Envelope::from_json(dup.as_bytes()).unwrap_err();
        assert!(
            err.message.contains("duplicate field `payload`"),
            "{}",
            err.message
        );

        let mut many = value.clone();
        many["signatures"] =
            serde_json::Value::Array(vec![value["signatures"][0].clone(); MAX_SIGNATURES + 1]);
        assert_eq!(
            Envelope::from_json(many.to_string().as_bytes())
                .unwrap_err()
                .code,
            Code::EnvelopeInvalid
        );

        assert_eq!(
            Envelope::from_json(b"[]").unwrap_err().code,
            Code::EnvelopeInvalid
        );
        assert_eq!(
            Envelope::from_json(b"{\"payload\":\"\"}").unwrap_err().code,
            Code::EnvelopeInvalid
        );

        let huge = vec![b' '; MAX_ENVELOPE_BYTES + 1];
        assert_eq!(Envelope::from_json(&huge).unwrap_err().code, Code::TooLarge);
        assert_eq!(
            Envelope::sign(HELLO_TYPE, &vec![0; MAX_PAYLOAD_BYTES + 1], &[&key])
                .unwrap_err()
                .code,
            Code::EnvelopeInvalid
        );
    }

    #[test]
    fn url_safe_unpadded_base64_and_unknown_fields_are_read() {
        let [key, _] = keys();
        // Payload bytes whose base64 uses the 62nd and 63rd characters.
        let payload = [0xfb, 0xff, 0xbf];
        let env = Envelope::sign(HELLO_TYPE, &payload, &[&key]).unwrap();
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let json = serde_json::json!({
            "payload": url.encode(payload),
            "payloadType": HELLO_TYPE,
            "signatures": [{"sig": url.encode(&env.signatures[0].sig), "extra": 1}],
            "future": true,
        });
        assert!(json["payload"].as_str().unwrap().contains(['-', '_']));
        let back = Envelope::from_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(back.signatures[0].keyid, "");
        assert_eq!(
            back.verify(&[key.verifying_key()]).unwrap().payload,
            payload
        );
        // Mixed alphabets are not base64.
        assert!(base64_bytes::decode("+-==").is_err());
    }

    #[test]
    fn envelope_files_are_read_with_location() {
        let dir = tempfile::tempdir().unwrap();
        let [key, _] = keys();
        let path = dir.path().join("record.dsse.json");
        std::fs::write(
            &path,
            Envelope::sign(HELLO_TYPE, b"x", &[&key]).unwrap().to_json(),
        )
        .unwrap();
        assert!(
            Envelope::from_file(&path)
                .unwrap()
                .verify(&[key.verifying_key()])
                .is_ok()
        );
        std::fs::write(&path, "{}").unwrap();
        let err = Envelope::from_file(&path).unwrap_err();
        assert_eq!(
            err.location.unwrap().file.to_string(),
            path.display().to_string()
        );
    }
}
