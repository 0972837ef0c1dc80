//! Signed records, the ledger and replay, through the binary.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{NOW, shipgate, transcript};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// keygen → check → record → verify → tamper → verify fails, for both key types.
#[test]
fn signed_records_verify_and_tampering_is_caught() {
    for alg in ["ed25519", "p256"] {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let run = shipgate(&["keygen", "--alg", alg, "--out", s(&keys)]);
        assert_eq!(run.0, 0, "{}", transcript(run.clone()));
        let (key, public) = (keys.join("shipgate.key"), keys.join("shipgate.pub"));
        let record = dir.path().join("record.dsse.json");
        let vsa = dir.path().join("vsa.dsse.json");
        let run = shipgate(&[
            "check",
            "examples/edge-agent-fail",
            NOW,
            "--sign-key",
            s(&key),
            "--record",
            s(&record),
            "--vsa",
            s(&vsa),
            "--ledger",
            s(&dir.path().join("ledger")),
        ]);
        assert_eq!(run.0, 1, "{alg}: {}", transcript(run.clone()));

        let run = shipgate(&["verify", s(&record), "--key", s(&public)]);
        assert_eq!(run.0, 0, "{alg}: {}", transcript(run.clone()));
        assert!(run.1.contains("verdict:  fail"), "{}", run.1);
        assert!(run.1.contains("kws-model-v7.tflite"), "{}", run.1);
        let run = shipgate(&["verify", s(&vsa), "--key", s(&public)]);
        assert_eq!(run.0, 0, "{alg}: {}", transcript(run.clone()));
        assert!(run.1.contains("result:   FAILED"), "{}", run.1);

        // The statement is an in-toto Statement v1 with our predicate.
        let env: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
        assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
        let payload = STANDARD.decode(env["payload"].as_str().unwrap()).unwrap();
        let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(
            statement["predicateType"],
            "https://shipgate.dev/attestation/certification/v1"
        );
        crate::assert_valid("schemas/record.schema.json", &env);
        crate::assert_valid("schemas/certification-statement.schema.json", &statement);
        for entry in std::fs::read_dir(dir.path().join("ledger/entries")).unwrap() {
            let entry: serde_json::Value =
                serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
            crate::assert_valid("schemas/ledger-entry.schema.json", &entry);
        }

        // One changed byte in the payload, the payload type or the signature.
        let mut tampered_payload = payload.clone();
        let at = tampered_payload.iter().position(|&b| b == b'f').unwrap();
        tampered_payload[at] = b'g';
        let variants = [
            (
                "payload",
                env.clone(),
                "payload",
                serde_json::Value::String(STANDARD.encode(&tampered_payload)),
            ),
            (
                "type",
                env.clone(),
                "payloadType",
                serde_json::Value::String("application/vnd.in-toto+jsoN".into()),
            ),
        ];
        for (what, mut e, field, value) in variants {
            e[field] = value;
            let path = dir.path().join(format!("tampered-{what}.json"));
            std::fs::write(&path, e.to_string()).unwrap();
            let run = shipgate(&["verify", s(&path), "--key", s(&public)]);
            assert_eq!(run.0, 1, "{alg} {what}: {}", transcript(run.clone()));
            assert!(run.2.contains("does not verify"), "{}", run.2);
        }
        let mut e = env.clone();
        let mut sig = STANDARD
            .decode(e["signatures"][0]["sig"].as_str().unwrap())
            .unwrap();
        let last = sig.len() - 1;
        sig[last] ^= 1;
        e["signatures"][0]["sig"] = serde_json::Value::String(STANDARD.encode(&sig));
        let path = dir.path().join("tampered-sig.json");
        std::fs::write(&path, e.to_string()).unwrap();
        assert_eq!(
            shipgate(&["verify", s(&path), "--key", s(&public)]).0,
            1,
            "{alg} sig"
        );

        // A key that is not trusted does not verify it, whatever keyid it claims.
        let other = dir.path().join("other");
        shipgate(&["keygen", "--alg", alg, "--out", s(&other)]);
        assert_eq!(
            shipgate(&[
                "verify",
                s(&record),
                "--key",
                s(&other.join("shipgate.pub"))
            ])
            .0,
            1
        );
    }
}

#[test]
fn same_evaluation_same_statement_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    shipgate(&["keygen", "--alg", "ed25519", "--out", s(&keys)]);
    let mut records = Vec::new();
    for i in 0..2 {
        let record = dir.path().join(format!("r{i}.json"));
        shipgate(&[
            "check",
            "examples/edge-agent-pass",
            NOW,
            "--no-ledger",
            "--sign-key",
            s(&keys.join("shipgate.key")),
            "--record",
            s(&record),
        ]);
        records.push(std::fs::read(record).unwrap());
    }
    // Ed25519 signatures are deterministic too: the whole envelope is equal.
    assert_eq!(records[0], records[1]);
}

#[test]
fn records_and_vsa_need_a_key() {
    let run = shipgate(&[
        "check",
        "examples/edge-agent-pass",
        NOW,
        "--no-ledger",
        "--record",
        "/tmp/never-written.json",
    ]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
    assert!(run.2.contains("no signing key"), "{}", run.2);
}

/// Several `shipgate check` processes appending at once lose nothing and never
/// fork the chain.
#[test]
fn concurrent_writers_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let ledger = &ledger;
            scope.spawn(move || {
                for _ in 0..50 {
                    let run = shipgate(&[
                        "check",
                        "tests/e2e/fixtures/ledger-min",
                        NOW,
                        "--ledger",
                        s(ledger),
                    ]);
                    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
                }
            });
        }
    });
    let run = shipgate(&["ledger", "verify", "--ledger", s(&ledger)]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    assert!(run.1.contains("ledger OK: 400 entries"), "{}", run.1);
}

#[test]
fn every_example_replays_and_changed_evidence_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    for example in ["examples/edge-agent-pass", "examples/edge-agent-fail"] {
        shipgate(&["check", example, NOW, "--ledger", s(&ledger)]);
    }
    let run = shipgate(&["replay", "--all", "--ledger", s(&ledger)]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    assert!(run.1.contains("2 of 2 reproduced"), "{}", run.1);

    let run = shipgate(&["ledger", "list", "--ledger", s(&ledger), "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&run.1).unwrap();
    let manifest = list[1]["entry"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "manifest")
        .unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let object = ledger
        .join("objects/sha256")
        .join(&manifest[..2])
        .join(&manifest[2..]);
    let text = std::fs::read_to_string(&object)
        .unwrap()
        .replace("\"slsa_level\": 1", "\"slsa_level\": 3");
    std::fs::write(&object, text).unwrap();

    let run = shipgate(&["replay", "--seq", "2", "--ledger", s(&ledger)]);
    assert_eq!(run.0, 1, "{}", transcript(run.clone()));
    assert!(run.1.contains("was altered in the ledger"), "{}", run.1);
    assert!(
        run.1
            .contains("rule `provenance.slsa-level`: status \"fail\" → \"pass\""),
        "{}",
        run.1
    );

    let run = shipgate(&["ledger", "verify", "--ledger", s(&ledger)]);
    assert_eq!(run.0, 1, "{}", transcript(run.clone()));
    assert!(run.1.contains("BROKEN  evidence file: object"), "{}", run.1);
}

#[test]
fn ledger_verify_names_a_removed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    for _ in 0..3 {
        shipgate(&[
            "check",
            "tests/e2e/fixtures/ledger-min",
            NOW,
            "--ledger",
            s(&ledger),
        ]);
    }
    std::fs::remove_file(ledger.join("entries/000000000002.json")).unwrap();
    let run = shipgate(&["ledger", "verify", "--ledger", s(&ledger)]);
    assert_eq!(run.0, 1);
    assert!(run.1.contains("BROKEN  entry 2 was removed"), "{}", run.1);
}
