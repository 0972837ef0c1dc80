//! Signed records must verify without shipgate: keys and DSSE envelopes made
//! through the public API are checked by securesystemslib (Python) and the
//! OpenSSL command line (`tests/interop/run.sh`), and what those tools sign
//! is verified here in turn.
//!
//! Needs python3 (with venv) and openssl; without them the test says so
//! loudly and passes. The first run installs securesystemslib into
//! `target/interop-venv` (a few seconds from PyPI); later runs reuse it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use shipgate_engine::canonical;
use shipgate_engine::sign::{Algorithm, Envelope, SigningKey, VerifyingKey, pae, write_keypair};

const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

fn skip(why: &str) {
    eprintln!();
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("!!! SKIPPED sign_interop: {why}");
    eprintln!("!!! shipgate's signatures were NOT checked against securesystemslib/OpenSSL");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!();
}

fn has(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A statement with what canonicalization must get right: key order,
/// non-ASCII, escapes, integers at the edge of the safe range.
fn statement(alg: Algorithm) -> serde_json::Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "fw.bin", "digest": {"sha256": "ab".repeat(32)}}],
        "predicateType": "https://shipgate.dev/attestation/certification/v1",
        "predicate": {
            "verdict": "pass",
            "algorithm": alg.as_str(),
            "zeta": 9007199254740991u64,
            "Zeta": -9007199254740991i64,
            "é": "naïve ✓",
            "\u{1}ctl": "tab\there \"quoted\" back\\slash\nnewline \u{1f} del\u{7f}",
            "empty": {},
            "list": [3, 2, 1, null, true, false],
        },
    })
}

fn write_case(dir: &Path, alg: Algorithm) -> (SigningKey, VerifyingKey, Vec<u8>) {
    let d = dir.join(alg.as_str());
    std::fs::create_dir_all(&d).unwrap();
    let (private, public) = write_keypair(&d, alg).unwrap();
    let key = SigningKey::from_file(&private).unwrap();
    let public = VerifyingKey::from_file(&public).unwrap();

    let payload = canonical::to_vec(&statement(alg)).unwrap();
    std::fs::write(d.join("payload.json"), &payload).unwrap();
    let env = Envelope::sign(PAYLOAD_TYPE, &payload, &[&key]).unwrap();
    std::fs::write(d.join("envelope.json"), env.to_json()).unwrap();

    let mut t = env.clone();
    let last = t.payload.len() - 2;
    t.payload[last] ^= 0x01;
    std::fs::write(d.join("tampered-payload.json"), t.to_json()).unwrap();
    let mut t = env.clone();
    t.payload_type = "application/vnd.in-toto+jsom".into();
    std::fs::write(d.join("tampered-type.json"), t.to_json()).unwrap();
    let mut t = env.clone();
    // A byte inside the signature proper (past the DER header for ECDSA).
    t.signatures[0].sig[10] ^= 0x01;
    std::fs::write(d.join("tampered-sig.json"), t.to_json()).unwrap();
    // Signed by another key under our key id.
    let other = SigningKey::generate(alg).unwrap();
    let mut t = Envelope::sign(PAYLOAD_TYPE, &payload, &[&other]).unwrap();
    t.signatures[0].keyid = key.keyid();
    std::fs::write(d.join("tampered-keyid-lie.json"), t.to_json()).unwrap();

    (key, public, payload)
}

#[test]
fn securesystemslib_and_openssl_accept_our_keys_and_envelopes() {
    if !has("python3", "--version") {
        return skip("python3 is not installed");
    }
    if !has("openssl", "version") {
        return skip("openssl is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<_> = Algorithm::ALL
        .iter()
        .map(|&alg| (alg, write_case(dir.path(), alg)))
        .collect();

    let script = repo_root().join("tests/interop/run.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    match out.status.code() {
        Some(0) => {}
        Some(77) => return skip(stderr.trim()),
        code => panic!("tests/interop/run.sh failed ({code:?}):\n{stdout}\n{stderr}"),
    }

    for (alg, (key, public, payload)) in cases {
        let d = dir.path().join(alg.as_str());
        assert_eq!(key.keyid(), public.keyid());

        // securesystemslib signed with our private key file: we verify it.
        let theirs = Envelope::from_file(&d.join("python-envelope.json")).unwrap();
        let verified = theirs.verify(std::slice::from_ref(&public)).unwrap();
        assert_eq!(verified.payload, payload, "{alg}");
        assert_eq!(verified.keyids, [key.keyid()], "{alg}");

        // OpenSSL's own key files parse, agree with each other, and its
        // signature over the PAE verifies.
        let okey = SigningKey::from_file(&d.join("openssl.key")).unwrap();
        let opub = VerifyingKey::from_file(&d.join("openssl.pub")).unwrap();
        assert_eq!(okey.keyid(), opub.keyid(), "{alg}");
        assert_eq!(okey.algorithm(), alg);
        let message = std::fs::read(d.join("pae.bin")).unwrap();
        assert_eq!(
            message,
            pae(PAYLOAD_TYPE, &payload),
            "{alg}: PAE differs from securesystemslib's"
        );
        let sig = std::fs::read(d.join("openssl.sig")).unwrap();
        opub.verify(&message, &sig).unwrap();
        assert!(public.verify(&message, &sig).is_err(), "{alg}");

        // And our own rejections agree with securesystemslib's.
        for name in [
            "tampered-payload.json",
            "tampered-type.json",
            "tampered-sig.json",
            "tampered-keyid-lie.json",
        ] {
            let env = Envelope::from_file(&d.join(name)).unwrap();
            assert!(
                env.verify(std::slice::from_ref(&public)).is_err(),
                "{alg}: {name}"
            );
        }
    }
}

/// Sign and verify rates, for the record: run with
/// `cargo test --release -p shipgate-engine --test sign_interop -- --ignored --nocapture`.
#[test]
#[ignore = "timing, not a check"]
fn sign_and_verify_rates() {
    use std::time::{Duration, Instant};

    let payload = canonical::to_vec(&statement(Algorithm::Ed25519)).unwrap();
    for &alg in Algorithm::ALL {
        let key = SigningKey::generate(alg).unwrap();
        let trusted = [key.verifying_key()];
        let env = Envelope::sign(PAYLOAD_TYPE, &payload, &[&key]).unwrap();
        let rate = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < Duration::from_secs(1) {
                f();
                n += 1;
            }
            f64::from(n) / start.elapsed().as_secs_f64()
        };
        let sign = rate(&mut || {
            Envelope::sign(PAYLOAD_TYPE, &payload, &[&key]).unwrap();
        });
        let verify = rate(&mut || {
            env.verify(&trusted).unwrap();
        });
        eprintln!(
            "{alg}: {sign:.0} envelopes signed/s, {verify:.0} verified/s ({} byte payload)",
            payload.len()
        );
    }
}
