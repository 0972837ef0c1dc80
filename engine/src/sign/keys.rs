//! Signing keys: Ed25519 and ECDSA P-256 in the PEM forms every tool reads.
//!
//! Records must verify with tools other than shipgate, so the key and
//! signature formats are the ones OpenSSL, pyca/cryptography, securesystemslib
//! and cosign agree on, not the defaults of the Rust crates underneath:
//! - private keys are unencrypted PKCS#8 PEM. For Ed25519 we write PKCS#8
//!   **v1** (RFC 8410, no public key attached): `ed25519-dalek` writes v2 by
//!   default, which OpenSSL 3.0 refuses. Reading accepts v1 and v2 (a v2 key's
//!   attached public key must match its seed);
//! - public keys are SPKI PEM (`-----BEGIN PUBLIC KEY-----`);
//! - ECDSA signs SHA-256 of the message (RFC 6979 nonces) and encodes the
//!   signature as ASN.1 DER, what securesystemslib and cosign expect — not the
//!   raw `r‖s` of the `p256` crate's default. Verification reads DER only;
//! - a key's id is the lowercase hex SHA-256 of its SPKI DER (the point of a
//!   P-256 key uncompressed), so anyone can recompute it from `shipgate.pub`
//!   with `openssl pkey -pubin -outform DER | sha256sum`.
//!
//! Nothing here trusts a key id: it only names a key (see `dsse`).

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use ed25519_dalek::pkcs8::KeypairBytes;
use p256::ecdsa::signature::{Signer, Verifier};
use pkcs8::der::pem::LineEnding;
use pkcs8::{AssociatedOid, DecodePrivateKey, DecodePublicKey, EncodePrivateKey, ObjectIdentifier};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::diag::{Code, Location, Problem};

/// File name of a generated private key.
pub const PRIVATE_KEY_FILE: &str = "shipgate.key";
/// File name of a generated public key.
pub const PUBLIC_KEY_FILE: &str = "shipgate.pub";

/// Key files are a few hundred bytes; anything much larger is not a key.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// SPKI DER of an Ed25519 key, before the 32 key bytes (RFC 8410 §4).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// SPKI DER of a P-256 key (id-ecPublicKey, prime256v1), before the 65-byte
/// uncompressed point (RFC 5480 §2).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

const KEYGEN_HELP: &str = "shipgate reads unencrypted PKCS#8 private keys and SPKI public keys in PEM, \
     Ed25519 or ECDSA P-256; `shipgate keygen` writes a pair";

/// A signature algorithm shipgate signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// Ed25519 (RFC 8032), pure: the message itself is signed.
    #[serde(rename = "ed25519")]
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256, DER-encoded signatures.
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: &'static [Algorithm] = &[Algorithm::Ed25519, Algorithm::EcdsaP256];

    /// The name in configuration and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::EcdsaP256 => "ecdsa-p256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Problem;

    fn from_str(s: &str) -> Result<Self, Problem> {
        Algorithm::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                Problem::error(Code::KeyInvalid, format!("unknown key algorithm `{s}`"))
                    .with_help("use `ed25519` or `ecdsa-p256`")
            })
    }
}

/// A private key.
#[derive(Clone)]
pub enum SigningKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// ECDSA P-256.
    EcdsaP256(p256::ecdsa::SigningKey),
}

/// A public key.
#[derive(Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// ECDSA P-256.
    EcdsaP256(p256::ecdsa::VerifyingKey),
}

/// A new private key from the operating system's randomness.
pub fn generate(alg: Algorithm) -> Result<SigningKey, Problem> {
    SigningKey::generate(alg)
}

impl SigningKey {
    /// A new private key from the operating system's randomness.
    pub fn generate(alg: Algorithm) -> Result<SigningKey, Problem> {
        // A P-256 scalar must be in [1, n): a random 32 bytes is not, with
        // probability about 2^-32, so draw again a few times.
        for _ in 0..8 {
            let mut seed = Zeroizing::new([0u8; 32]);
            OsRng.try_fill_bytes(seed.as_mut()).map_err(|e| {
                Problem::error(
                    Code::Internal,
                    format!("the operating system's random number generator failed: {e}"),
                )
            })?;
            match alg {
                Algorithm::Ed25519 => {
                    return Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                        &seed,
                    )));
                }
                Algorithm::EcdsaP256 => {
                    if let Ok(key) = p256::ecdsa::SigningKey::from_slice(seed.as_ref()) {
                        return Ok(SigningKey::EcdsaP256(key));
                    }
                }
            }
        }
        Err(Problem::error(
            Code::Internal,
            "the random number generator gave no valid P-256 key in 8 draws",
        ))
    }

    /// Its algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Ed25519(_) => Algorithm::Ed25519,
            SigningKey::EcdsaP256(_) => Algorithm::EcdsaP256,
        }
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::Ed25519(k) => VerifyingKey::Ed25519(k.verifying_key()),
            SigningKey::EcdsaP256(k) => VerifyingKey::EcdsaP256(*k.verifying_key()),
        }
    }

    /// The id of its public key: lowercase hex SHA-256 of the SPKI DER.
    pub fn keyid(&self) -> String {
        self.verifying_key().keyid()
    }

    /// Signs `message`: Ed25519 gives 64 bytes, ECDSA a DER signature over
    /// SHA-256 of the message. Both are deterministic.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Problem> {
        match self {
            SigningKey::Ed25519(k) => Ok(k.sign(message).to_bytes().to_vec()),
            SigningKey::EcdsaP256(k) => {
                let sig: p256::ecdsa::DerSignature = k.try_sign(message).map_err(|e| {
                    Problem::error(Code::Internal, format!("ECDSA signing failed: {e}"))
                })?;
                Ok(sig.as_bytes().to_vec())
            }
        }
    }

    /// Unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`); v1 for Ed25519.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Problem> {
        let pem = match self {
            SigningKey::Ed25519(k) => KeypairBytes {
                secret_key: k.to_bytes(),
                // No public key: that is what makes it v1, which OpenSSL 3.0 reads.
                public_key: None,
            }
            .to_pkcs8_pem(LineEnding::LF),
            SigningKey::EcdsaP256(k) => k.to_pkcs8_pem(LineEnding::LF),
        };
        pem.map_err(|e| {
            Problem::error(
                Code::Internal,
                format!("cannot encode the private key: {e}"),
            )
        })
    }

    /// Reads a PKCS#8 private key (v1 or v2) from PEM text.
    pub fn from_pem(text: &str) -> Result<SigningKey, Problem> {
        let (label, der) = pem_block(text)?;
        match label.as_str() {
            "PRIVATE KEY" => {}
            "PUBLIC KEY" => {
                return Err(Problem::error(
                    Code::KeyInvalid,
                    "this is a public key, where a private key is needed",
                )
                .with_help(format!(
                    "sign with the private key (`{PRIVATE_KEY_FILE}`); give the public key to verifiers"
                )));
            }
            other => return Err(unsupported_label(other)),
        }
        let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| malformed("PKCS#8 private key", &e))?;
        match key_algorithm(info.algorithm.oid, info.algorithm.parameters_oid().ok())? {
            Algorithm::Ed25519 => {
                let bytes = KeypairBytes::try_from(info)
                    .map_err(|e| malformed("Ed25519 private key", &e))?;
                let key = ed25519_dalek::SigningKey::try_from(&bytes).map_err(|_| {
                    Problem::error(
                        Code::KeyInvalid,
                        "the Ed25519 private key's attached public key does not match it",
                    )
                    .with_help(
                        "the file was altered or assembled from two keys: generate a new pair",
                    )
                })?;
                Ok(SigningKey::Ed25519(key))
            }
            Algorithm::EcdsaP256 => p256::ecdsa::SigningKey::from_pkcs8_der(&der)
                .map(SigningKey::EcdsaP256)
                .map_err(|e| malformed("ECDSA P-256 private key", &e)),
        }
    }

    /// Reads a private key file (see [`SigningKey::from_pem`]).
    pub fn from_file(path: &Path) -> Result<SigningKey, Problem> {
        let text = read_key_file(path)?;
        SigningKey::from_pem(&text).map_err(|p| p.at(Location::file(path.display().to_string())))
    }
}

impl fmt::Debug for SigningKey {
    // Never the secret: the algorithm and the public key's id are enough.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, {})", self.algorithm(), self.keyid())
    }
}

impl VerifyingKey {
    /// Its algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            VerifyingKey::Ed25519(_) => Algorithm::Ed25519,
            VerifyingKey::EcdsaP256(_) => Algorithm::EcdsaP256,
        }
    }

    /// SubjectPublicKeyInfo DER (RFC 8410 / RFC 5480; P-256 points uncompressed).
    pub fn to_spki_der(&self) -> Vec<u8> {
        // Both encodings are a fixed header and the key bytes: writing them
        // directly keeps this (and so the key id) infallible. A test checks
        // them against the crates' encoders.
        match self {
            VerifyingKey::Ed25519(k) => [&ED25519_SPKI_PREFIX[..], k.as_bytes()].concat(),
            VerifyingKey::EcdsaP256(k) => {
                let point = k.to_encoded_point(false);
                [&P256_SPKI_PREFIX[..], point.as_bytes()].concat()
            }
        }
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_spki_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.to_spki_der())
    }

    /// Lowercase hex SHA-256 of the SPKI DER.
    pub fn keyid(&self) -> String {
        hex::encode(Sha256::digest(self.to_spki_der()))
    }

    /// Reads an SPKI public key from PEM text.
    pub fn from_pem(text: &str) -> Result<VerifyingKey, Problem> {
        let (label, der) = pem_block(text)?;
        match label.as_str() {
            "PUBLIC KEY" => {}
            "PRIVATE KEY" => {
                return Err(Problem::error(
                    Code::KeyInvalid,
                    "this is a private key, where a public key is needed",
                )
                .with_help(format!(
                    "give verifiers the public key (`{PUBLIC_KEY_FILE}`) and keep the private key secret; \
                     `openssl pkey -in KEY -pubout` prints it"
                )));
            }
            other => return Err(unsupported_label(other)),
        }
        let info = pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der.as_slice())
            .map_err(|e| malformed("SPKI public key", &e))?;
        match key_algorithm(info.algorithm.oid, info.algorithm.parameters_oid().ok())? {
            Algorithm::Ed25519 => ed25519_dalek::VerifyingKey::from_public_key_der(&der)
                .map(VerifyingKey::Ed25519)
                .map_err(|e| malformed("Ed25519 public key", &e)),
            Algorithm::EcdsaP256 => p256::ecdsa::VerifyingKey::from_public_key_der(&der)
                .map(VerifyingKey::EcdsaP256)
                .map_err(|e| malformed("ECDSA P-256 public key", &e)),
        }
    }

    /// Reads a public key file (see [`VerifyingKey::from_pem`]).
    pub fn from_file(path: &Path) -> Result<VerifyingKey, Problem> {
        let text = read_key_file(path)?;
        VerifyingKey::from_pem(&text).map_err(|p| p.at(Location::file(path.display().to_string())))
    }

    /// Checks `signature` over `message`: 64 bytes for Ed25519 (RFC 8032,
    /// strict: no small-order keys, canonical scalars), DER for ECDSA.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Problem> {
        if self.verifies(message, None, signature) {
            Ok(())
        } else {
            Err(Problem::error(
                Code::SignatureUnverified,
                format!("the signature does not verify with key `{}`", self.keyid()),
            ))
        }
    }

    /// Does `signature` verify over `message`? `sha256` is the message's
    /// SHA-256 when the caller has it (ECDSA then skips hashing again).
    pub(crate) fn verifies(
        &self,
        message: &[u8],
        sha256: Option<&[u8; 32]>,
        signature: &[u8],
    ) -> bool {
        match self {
            VerifyingKey::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| k.verify_strict(message, &sig).is_ok()),
            VerifyingKey::EcdsaP256(k) => {
                let Ok(sig) = p256::ecdsa::Signature::from_der(signature) else {
                    return false;
                };
                match sha256 {
                    Some(digest) => {
                        use p256::ecdsa::signature::hazmat::PrehashVerifier;
                        k.verify_prehash(digest, &sig).is_ok()
                    }
                    None => k.verify(message, &sig).is_ok(),
                }
            }
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({}, {})", self.algorithm(), self.keyid())
    }
}

/// Generates a key pair and writes `shipgate.key` (PKCS#8, mode 0600 on
/// unix) and `shipgate.pub` (SPKI) into `dir`, which must exist. Never
/// overwrites: if either file exists, nothing is written.
pub fn write_keypair(dir: &Path, alg: Algorithm) -> Result<(PathBuf, PathBuf), Problem> {
    let private = dir.join(PRIVATE_KEY_FILE);
    let public = dir.join(PUBLIC_KEY_FILE);
    for path in [&private, &public] {
        if fs::symlink_metadata(path).is_ok() {
            return Err(exists(path));
        }
    }
    let key = SigningKey::generate(alg)?;
    write_new(&private, key.to_pkcs8_pem()?.as_bytes(), 0o600)?;
    if let Err(p) = write_new(&public, key.verifying_key().to_spki_pem().as_bytes(), 0o644) {
        // Leave no half pair behind: a later keygen would refuse to run.
        let _ = fs::remove_file(&private);
        return Err(p);
    }
    Ok((private, public))
}

fn exists(path: &Path) -> Problem {
    Problem::error(
        Code::KeyExists,
        format!("`{}` already exists", path.display()),
    )
    .with_help(
        "shipgate never overwrites a key: move the old pair away or write to another directory",
    )
}

/// Creates `path` (failing if it exists) with `mode` on unix, writes, syncs.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Problem> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let io = |e: std::io::Error| {
        Problem::error(Code::Io, format!("cannot write `{}`: {e}", path.display()))
    };
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            exists(path)
        } else {
            io(e)
        }
    })?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(io(e));
    }
    Ok(())
}

fn read_key_file(path: &Path) -> Result<Zeroizing<String>, Problem> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| {
        Problem::error(Code::Io, format!("cannot read `{shown}`: {e}")).at(Location::file(&shown))
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(Problem::error(
            Code::KeyInvalid,
            format!("`{shown}` is larger than {MAX_KEY_FILE_BYTES} bytes: not a key"),
        )
        .with_help(KEYGEN_HELP)
        .at(Location::file(&shown)));
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(Problem::error(
            Code::KeyInvalid,
            format!("`{shown}` is not PEM text (a binary DER key?)"),
        )
        .with_help(
            "convert DER to PEM with `openssl pkey -inform DER -in KEY` (add `-pubin` for a public key)",
        )
        .at(Location::file(&shown))),
    }
}

/// The first PEM block of `text`: its label and DER. Text around it (comments,
/// an `EC PARAMETERS` block before it) is ignored.
fn pem_block(text: &str) -> Result<(String, Zeroizing<Vec<u8>>), Problem> {
    let not_pem = || {
        Problem::error(
            Code::KeyInvalid,
            "no PEM key found (no `-----BEGIN ...-----` line)",
        )
        .with_help(KEYGEN_HELP)
    };
    let start = text.find("-----BEGIN ").ok_or_else(not_pem)?;
    let block = text.get(start..).ok_or_else(not_pem)?;
    let label = block
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label)
        .ok_or_else(not_pem)?;
    // Skip blocks we never read (OpenSSL's `EC PARAMETERS` precede `EC PRIVATE KEY`).
    if label == "EC PARAMETERS" {
        let end = format!("-----END {label}-----");
        let after = block
            .find(&end)
            .map(|i| i + end.len())
            .ok_or_else(not_pem)?;
        return pem_block(block.get(after..).unwrap_or_default());
    }
    let end_marker = format!("-----END {label}-----");
    let end = block
        .find(&end_marker)
        .map(|i| i + end_marker.len())
        .ok_or_else(|| {
            Problem::error(
                Code::KeyInvalid,
                format!("the PEM block `{label}` has no `{end_marker}` line"),
            )
            .with_help("the file is truncated: copy the whole key")
        })?;
    let block = block.get(..end).ok_or_else(not_pem)?;
    let (label, der) = pkcs8::der::pem::decode_vec(block.as_bytes()).map_err(|e| {
        Problem::error(
            Code::KeyInvalid,
            format!("the PEM block `{label}` is malformed: {e}"),
        )
        .with_help("the base64 between the BEGIN and END lines is damaged: copy the key again")
    })?;
    Ok((label.to_owned(), Zeroizing::new(der)))
}

fn unsupported_label(label: &str) -> Problem {
    let (what, help) = match label {
        "ENCRYPTED PRIVATE KEY" => (
            "the private key is encrypted",
            "shipgate reads unencrypted keys (keep them in a secret store): \
             `openssl pkey -in KEY -out shipgate.key` decrypts one"
                .to_owned(),
        ),
        "EC PRIVATE KEY" => (
            "the private key is in SEC1 form, not PKCS#8",
            "convert it: `openssl pkcs8 -topk8 -nocrypt -in KEY -out shipgate.key`".to_owned(),
        ),
        "ENCRYPTED SIGSTORE PRIVATE KEY" | "ENCRYPTED COSIGN PRIVATE KEY" => (
            "cosign's encrypted key format is not read",
            "use a PKCS#8 key (`shipgate keygen`); cosign can import it with `cosign import-key-pair`"
                .to_owned(),
        ),
        "RSA PRIVATE KEY" | "RSA PUBLIC KEY" | "OPENSSH PRIVATE KEY" | "CERTIFICATE" => {
            ("this kind of key is not supported", KEYGEN_HELP.to_owned())
        }
        _ => ("this PEM block is not a key shipgate reads", KEYGEN_HELP.to_owned()),
    };
    Problem::error(Code::KeyInvalid, format!("{what} (PEM `{label}`)")).with_help(help)
}

fn malformed(what: &str, e: &dyn fmt::Display) -> Problem {
    Problem::error(Code::KeyInvalid, format!("malformed {what}: {e}"))
        .with_help("the file is damaged or not what its PEM label says: generate a new pair with `shipgate keygen`")
}

/// Which of our algorithms an AlgorithmIdentifier names, or why none does.
fn key_algorithm(
    oid: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
) -> Result<Algorithm, Problem> {
    if oid == ed25519_dalek::pkcs8::ALGORITHM_OID {
        return Ok(Algorithm::Ed25519);
    }
    if oid == p256::elliptic_curve::ALGORITHM_OID {
        if curve == Some(p256::NistP256::OID) {
            return Ok(Algorithm::EcdsaP256);
        }
        let name = curve.map_or_else(
            || "unnamed".to_owned(),
            |c| oid_name(c).unwrap_or_else(|| c.to_string()),
        );
        return Err(Problem::error(
            Code::KeyInvalid,
            format!("ECDSA keys on curve `{name}` are not supported"),
        )
        .with_help(
            "use an ECDSA P-256 (prime256v1) or Ed25519 key; `shipgate keygen` writes one",
        ));
    }
    let name = oid_name(oid).unwrap_or_else(|| format!("OID {oid}"));
    Err(
        Problem::error(Code::KeyInvalid, format!("`{name}` keys are not supported"))
            .with_help("use an Ed25519 or ECDSA P-256 key; `shipgate keygen` writes one"),
    )
}

fn oid_name(oid: ObjectIdentifier) -> Option<String> {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "rsa",
        "1.2.840.113549.1.1.10" => "rsa-pss",
        "1.3.101.110" => "x25519",
        "1.3.101.111" => "x448",
        "1.3.101.113" => "ed448",
        "1.2.840.10040.4.1" => "dsa",
        "1.3.132.0.10" => "secp256k1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        _ => return None,
    };
    Some(name.to_owned())
}

/// PEM with 64-character lines and a final newline, as OpenSSL writes it.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 64 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push_str(&format!("\n-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pkcs8::EncodePublicKey;

    fn both() -> [SigningKey; 2] {
        [
            SigningKey::generate(Algorithm::Ed25519).unwrap(),
            SigningKey::generate(Algorithm::EcdsaP256).unwrap(),
        ]
    }

    #[test]
    fn pem_round_trip_sign_and_verify() {
        for key in both() {
            let pem = key.to_pkcs8_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{}", *pem);
            let back = SigningKey::from_pem(&pem).unwrap();
            assert_eq!(back.keyid(), key.keyid());
            assert_eq!(back.algorithm(), key.algorithm());

            let public = VerifyingKey::from_pem(&key.verifying_key().to_spki_pem()).unwrap();
            assert_eq!(public, key.verifying_key());
            assert_eq!(public.keyid(), key.keyid());

            let sig = back.sign(b"hello").unwrap();
            public.verify(b"hello", &sig).unwrap();
            let err = public.verify(b"hellO", &sig).unwrap_err();
            assert_eq!(err.code, Code::SignatureUnverified);
            // Deterministic signatures (Ed25519; ECDSA with RFC 6979 nonces).
            assert_eq!(key.sign(b"hello").unwrap(), sig);
        }
    }

    #[test]
    fn ecdsa_signatures_are_der() {
        let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
        let sig = key.sign(b"m").unwrap();
        assert_eq!(sig.first(), Some(&0x30), "DER SEQUENCE");
        assert!((8..=72).contains(&sig.len()));
        // Raw r‖s (64 bytes) is refused: verifiers elsewhere would refuse it too.
        let raw = p256::ecdsa::Signature::from_der(&sig).unwrap().to_bytes();
        assert!(key.verifying_key().verify(b"m", &raw).is_err());
    }

    #[test]
    fn spki_der_matches_the_crates_encoders_and_keyid_is_its_sha256() {
        for key in both() {
            let vk = key.verifying_key();
            let lib = match &vk {
                VerifyingKey::Ed25519(k) => k.to_public_key_der().unwrap(),
                VerifyingKey::EcdsaP256(k) => k.to_public_key_der().unwrap(),
            };
            assert_eq!(vk.to_spki_der(), lib.as_bytes());
            assert_eq!(vk.keyid(), hex::encode(Sha256::digest(lib.as_bytes())));
            assert_eq!(vk.keyid().len(), 64);
        }
    }

    #[test]
    fn ed25519_is_written_as_pkcs8_v1_and_v2_is_read() {
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let SigningKey::Ed25519(inner) = &key else {
            unreachable!()
        };
        let pem = key.to_pkcs8_pem().unwrap();
        let (_, der) = pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap();
        let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).unwrap();
        assert_eq!(info.version(), pkcs8::Version::V1);
        assert!(info.public_key.is_none());
        // RFC 8410 §10.3 layout: fixed 16-byte header and the seed.
        assert_eq!(der.len(), 48);

        // ed25519-dalek's default output is v2 (public key attached): still read.
        let v2 = inner.to_pkcs8_pem(LineEnding::LF).unwrap();
        let (_, der2) = pkcs8::der::pem::decode_vec(v2.as_bytes()).unwrap();
        assert_eq!(
            pkcs8::PrivateKeyInfo::try_from(der2.as_slice())
                .unwrap()
                .version(),
            pkcs8::Version::V2
        );
        assert_eq!(SigningKey::from_pem(&v2).unwrap().keyid(), key.keyid());

        // A v2 key whose attached public key is someone else's is refused.
        let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let forged = KeypairBytes {
            secret_key: inner.to_bytes(),
            public_key: Some(ed25519_dalek::pkcs8::PublicKeyBytes(
                other.verifying_key().to_bytes(),
            )),
        }
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap();
        let err = SigningKey::from_pem(&forged).unwrap_err();
        assert_eq!(err.code, Code::KeyInvalid);
        assert!(err.message.contains("does not match"), "{}", err.message);
    }

    /// RFC 8032 §7.1, TEST 1: known answer for Ed25519 signing.
    #[test]
    fn rfc8032_test_1() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed));
        let VerifyingKey::Ed25519(vk) = key.verifying_key() else {
            unreachable!()
        };
        assert_eq!(
            hex::encode(vk.as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex::encode(key.sign(b"").unwrap()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn wrong_kinds_of_pem_get_specific_help() {
        let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
        let private = key.to_pkcs8_pem().unwrap();
        let public = key.verifying_key().to_spki_pem();

        let e = SigningKey::from_pem(&public).unwrap_err();
        assert!(e.message.contains("public key"), "{}", e.message);
        let e = VerifyingKey::from_pem(&private).unwrap_err();
        assert!(e.message.contains("private key"), "{}", e.message);

        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n";
        let e = SigningKey::from_pem(sec1).unwrap_err();
        assert!(
            e.help.as_deref().unwrap().contains("openssl pkcs8 -topk8"),
            "{e:?}"
        );
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(
            SigningKey::from_pem(enc)
                .unwrap_err()
                .message
                .contains("encrypted")
        );

        let e = SigningKey::from_pem("hello").unwrap_err();
        assert_eq!(e.code, Code::KeyInvalid);
        let truncated = private.lines().take(2).collect::<Vec<_>>().join("\n");
        assert!(
            SigningKey::from_pem(&truncated)
                .unwrap_err()
                .message
                .contains("no `-----END PRIVATE KEY-----`")
        );
        let damaged = private.replacen("MI", "M!", 1);
        assert!(
            SigningKey::from_pem(&damaged)
                .unwrap_err()
                .message
                .contains("malformed")
        );

        // Text around the block is ignored, as OpenSSL does.
        let wrapped = format!("# shipgate key\n{}\ntrailing\n", public);
        assert_eq!(
            VerifyingKey::from_pem(&wrapped).unwrap().keyid(),
            key.keyid()
        );
    }

    #[test]
    fn other_algorithms_are_named() {
        // An X25519 SPKI (RFC 8410 §10.1): the right shape, the wrong algorithm.
        let x25519 = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let e = VerifyingKey::from_pem(x25519).unwrap_err();
        assert_eq!(e.message, "`x25519` keys are not supported");
        assert!("rsa".parse::<Algorithm>().is_err());
        assert_eq!(
            "ecdsa-p256".parse::<Algorithm>().unwrap(),
            Algorithm::EcdsaP256
        );
        assert_eq!(
            serde_json::to_string(&Algorithm::EcdsaP256).unwrap(),
            "\"ecdsa-p256\""
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        for key in both() {
            let shown = format!("{key:?}");
            assert_eq!(
                shown,
                format!("SigningKey({}, {})", key.algorithm(), key.keyid())
            );
        }
    }

    #[test]
    fn write_keypair_writes_readable_files_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = write_keypair(dir.path(), Algorithm::Ed25519).unwrap();
        assert_eq!(private, dir.path().join("shipgate.key"));
        let key = SigningKey::from_file(&private).unwrap();
        let vk = VerifyingKey::from_file(&public).unwrap();
        assert_eq!(key.keyid(), vk.keyid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = fs::read(&private).unwrap();
        let err = write_keypair(dir.path(), Algorithm::EcdsaP256).unwrap_err();
        assert_eq!(err.code, Code::KeyExists);
        assert_eq!(fs::read(&private).unwrap(), before);

        // A stray public key alone also blocks, and no private key is left.
        let other = tempfile::tempdir().unwrap();
        fs::write(other.path().join("shipgate.pub"), "x").unwrap();
        assert_eq!(
            write_keypair(other.path(), Algorithm::Ed25519)
                .unwrap_err()
                .code,
            Code::KeyExists
        );
        assert!(!other.path().join("shipgate.key").exists());

        let missing = dir.path().join("nope");
        assert_eq!(
            write_keypair(&missing, Algorithm::Ed25519)
                .unwrap_err()
                .code,
            Code::Io
        );
        let e = SigningKey::from_file(&missing).unwrap_err();
        assert_eq!(e.code, Code::Io);
    }
}
