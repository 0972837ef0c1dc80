//! Signing and verifying certification records.
//!
//! Two pieces, kept apart so each can be checked against its spec alone:
//! [`keys`] (Ed25519 and ECDSA P-256 keys in PKCS#8 / SPKI PEM, DER ECDSA
//! signatures, key ids) and [`dsse`] (the DSSE v1 envelope that carries a
//! record's signatures). Both follow what other tools read — OpenSSL,
//! securesystemslib, in-toto, cosign — because a record is only worth its
//! signature if someone who does not run shipgate can check it;
//! `tests/interop/` proves that with those tools.
//!
//! ```
//! use shipgate_engine::sign::{Algorithm, Envelope, SigningKey, VerifyingKey};
//!
//! let key = SigningKey::generate(Algorithm::Ed25519)?;
//! let public = VerifyingKey::from_pem(&key.verifying_key().to_spki_pem())?;
//! let envelope = Envelope::sign("application/vnd.in-toto+json", b"{}", &[&key])?;
//! let json = envelope.to_json();
//!
//! let verified = Envelope::from_json(json.as_bytes())?.verify(&[public])?;
//! assert_eq!(verified.payload, b"{}"); // read the statement from these bytes
//! assert_eq!(verified.keyids, [key.keyid()]);
//! # Ok::<(), shipgate_engine::Problem>(())
//! ```

pub mod dsse;
pub mod keys;

pub use dsse::{Envelope, Signature, Verified, pae};
pub use keys::{Algorithm, SigningKey, VerifyingKey, generate, write_keypair};
