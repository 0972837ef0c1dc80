//! The voice-assistant examples: every kind of evidence (manifest, SBOM,
//! cost, privacy/residency/provenance attestations, OSV feed) through the
//! binary — the passing release passes, the failing one fails on residency
//! and cost exactly; the computed cost and the attestations' verdicts are in
//! the JSON report and the policy input; tampered, untrusted and unsigned
//! attestations fail the rules that need them; `attest` reproduces the
//! committed attestations byte for byte; records with every kind replay.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::{NOW, assert_valid, root, shipgate, transcript};

fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn json_report(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[NOW, "--format", "json"]);
    let run = shipgate(&all);
    let report =
        serde_json::from_str(&run.1).unwrap_or_else(|e| panic!("{e}: {}", transcript(run.clone())));
    (run.0, report)
}

#[test]
fn voice_assistant_pass_passes_with_every_kind_of_evidence() {
    let run = shipgate(&["check", "examples/voice-assistant-pass", NOW]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    snapshot!("voice_pass_text", transcript(run));

    let (code, report) = json_report(&["examples/voice-assistant-pass"]);
    assert_eq!(code, 0);
    assert_valid("schemas/report.schema.json", &report);
    let kinds: Vec<&str> = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "manifest",
        "sbom",
        "cost",
        "privacy",
        "residency",
        "provenance",
        "vulns",
    ] {
        assert!(kinds.contains(&kind), "no {kind} evidence in {kinds:?}");
    }
    let s = statuses(&report);
    assert!(
        s.values()
            .all(|v| v != "skipped" && v != "error" && v != "fail"),
        "{s:#?}"
    );
    assert_eq!(s["sbom.known-vulnerabilities"], "waived");
    // Hand-checked in examples/voice-assistant-pass: eu-west alone is
    // 2000 × (14680064 + 3407872) + 40000 × (1835008 + 3407872) bytes
    // = 245.891072 GB × USD 0.05 = USD 12.2946 → 12.29.
    assert_eq!(
        report["cost"]["egress"]["total"]["cents"], 3864,
        "{:#}",
        report["cost"]["egress"]["total"]
    );
}

#[test]
fn voice_assistant_fail_fails_on_residency_and_cost() {
    let run = shipgate(&["check", "examples/voice-assistant-fail", NOW]);
    assert_eq!(run.0, 1, "{}", transcript(run.clone()));
    snapshot!("voice_fail_text", transcript(run));
    let (_, report) = json_report(&["examples/voice-assistant-fail"]);
    let failed: Vec<String> = statuses(&report)
        .into_iter()
        .filter(|(_, v)| v == "fail")
        .map(|(k, _)| k)
        .collect();
    // The job summary shows cost against budget.
    let md = shipgate(&[
        "check",
        "examples/voice-assistant-fail",
        NOW,
        "--format",
        "markdown",
    ]);
    assert!(md.1.contains("### Cost"), "{}", md.1);
    assert!(
        md.1.contains("| Egress | 104.40 | 60.00 | ❌ **44.40 over** |"),
        "{}",
        md.1
    );
    assert_eq!(
        failed,
        [
            "cost.egress-budget",
            "cost.total-budget",
            "residency.edge-caches",
            "residency.jurisdiction-allowed"
        ]
    );
}

/// A copy of the passing example in a temporary directory, with its paths
/// made absolute so the bundles and feed are found from there.
fn copy_pass(dir: &Path) {
    let src = root().join("examples/voice-assistant-pass");
    for sub in ["", "sbom", "attestations"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), dir.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
    let examples = root().join("examples").canonicalize().unwrap();
    let policies = root().join("policies").canonicalize().unwrap();
    let toml = std::fs::read_to_string(dir.join("shipgate.toml"))
        .unwrap()
        .replace("\"../../policies/", &format!("\"{}/", policies.display()))
        .replace("\"../", &format!("\"{}/", examples.display()));
    std::fs::write(dir.join("shipgate.toml"), toml).unwrap();
}

#[test]
fn tampered_untrusted_and_unsigned_attestations_fail_their_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    copy_pass(dir);
    let d = dir.to_str().unwrap();

    // Tampered: one byte of the payload changed (a jurisdiction).
    let path = dir.join("attestations/residency.dsse.json");
    let mut env: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = String::from_utf8(b64.decode(env["payload"].as_str().unwrap()).unwrap()).unwrap();
    let forged = payload.replacen("\"US\"", "\"IE\"", 1);
    assert_ne!(payload, forged);
    env["payload"] = Value::String(b64.encode(forged));
    std::fs::write(&path, env.to_string()).unwrap();
    let (code, report) = json_report(&[d]);
    assert_eq!(code, 1);
    let s = statuses(&report);
    assert_eq!(s["residency.attestation-verified"], "fail", "{s:#?}");
    assert_eq!(s["residency.region-covered"], "fail", "{s:#?}");
    let problems = report["problems"].to_string();
    assert!(problems.contains("residency.dsse.json"), "{problems}");

    // Untrusted: the configured key is another one.
    copy_pass(dir);
    let keys = dir.join("other");
    assert_eq!(shipgate(&["keygen", "--out", keys.to_str().unwrap()]).0, 0);
    let other = keys.join("shipgate.pub");
    let (code, report) = json_report(&[d, "--trust-key", other.to_str().unwrap()]);
    assert_eq!(code, 1);
    let s = statuses(&report);
    for rule in [
        "privacy.attestation-verified",
        "residency.attestation-verified",
        "provenance.attested",
    ] {
        assert_eq!(s[rule], "fail", "{rule}: {s:#?}");
    }

    // Unsigned: a bare statement.
    copy_pass(dir);
    let payload = b64
        .decode(
            serde_json::from_str::<Value>(
                &std::fs::read_to_string(dir.join("attestations/privacy.dsse.json")).unwrap(),
            )
            .unwrap()["payload"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    std::fs::write(dir.join("attestations/privacy.dsse.json"), payload).unwrap();
    let (code, report) = json_report(&[d]);
    assert_eq!(code, 1);
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "privacy.attestation-verified")
        .unwrap();
    assert_eq!(rule["status"], "fail");
    assert!(rule.to_string().contains("unsigned"), "{rule:#}");
}

#[test]
fn attest_reproduces_the_committed_attestations() {
    for release in ["voice-assistant-pass", "voice-assistant-fail"] {
        let dir = root().join("examples").join(release);
        for (name, ty, artifact) in [
            ("privacy", "privacy", Some("kws-model-3.1.0.tflite")),
            ("residency", "residency", None),
            ("provenance", "slsa-provenance", None),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let out = tmp.path().join("a.dsse.json");
            let predicate = dir.join(format!("attestations/{name}.predicate.json"));
            let manifest = dir.join("release.json");
            let key = root().join("examples/keys/attestor.example.key");
            let mut args = vec![
                "attest",
                "--type",
                ty,
                "--predicate",
                predicate.to_str().unwrap(),
                "--manifest",
                manifest.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ];
            if let Some(a) = artifact {
                args.extend(["--artifact", a]);
            }
            let run = shipgate(&args);
            assert_eq!(run.0, 0, "{}", transcript(run.clone()));
            let committed =
                std::fs::read(dir.join(format!("attestations/{name}.dsse.json"))).unwrap();
            assert!(
                std::fs::read(&out).unwrap() == committed,
                "examples/{release}/attestations/{name}.dsse.json is stale: run examples/make-attestations.sh"
            );
        }
    }
}

#[test]
fn attest_refuses_bad_predicates_and_subjects() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"issued_at": "yesterday", "retention_days": -1}"#).unwrap();
    let key = root().join("examples/keys/attestor.example.key");
    let run = shipgate(&[
        "attest",
        "--type",
        "privacy",
        "--predicate",
        bad.to_str().unwrap(),
        "--subject",
        "x=not-a-digest",
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
    snapshot!("attest_bad_input", transcript(run));
}

#[test]
fn records_with_every_kind_of_evidence_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger");
    let l = ledger.to_str().unwrap();
    for release in [
        "examples/voice-assistant-pass",
        "examples/voice-assistant-fail",
    ] {
        let run = shipgate(&["check", release, NOW, "--ledger", l]);
        assert!(run.0 <= 1, "{}", transcript(run.clone()));
    }
    // A signed record of every kind of evidence: its statement matches the
    // schema and carries the cost and the keys trusted for attestations.
    let keys = tmp.path().join("keys");
    assert_eq!(shipgate(&["keygen", "--out", keys.to_str().unwrap()]).0, 0);
    let record = tmp.path().join("record.dsse.json");
    let run = shipgate(&[
        "check",
        "examples/voice-assistant-fail",
        NOW,
        "--sign-key",
        keys.join("shipgate.key").to_str().unwrap(),
        "--record",
        record.to_str().unwrap(),
    ]);
    assert_eq!(run.0, 1, "{}", transcript(run.clone()));
    let envelope: Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    use base64::Engine as _;
    let statement: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_valid("schemas/certification-statement.schema.json", &statement);
    let predicate = &statement["predicate"];
    assert_eq!(predicate["cost"]["egress"]["total"]["cents"], 10440);
    assert_eq!(
        predicate["invocation"]["trusted_keys"][0],
        std::fs::read_to_string(root().join("examples/keys/attestor.pub")).unwrap()
    );
    let entry = std::fs::read_dir(ledger.join("entries")).unwrap().count();
    assert_eq!(entry, 2);
    let run = shipgate(&["replay", "--all", "--ledger", l]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    assert_eq!(run.1.matches(": reproduced").count(), 2, "{}", run.1);
}

/// A minified SBOM is one line of megabytes: a warning that points far into
/// it is shown as file:line:col without a snippet, never a crash.
#[test]
fn warnings_deep_in_a_minified_sbom_render() {
    let src = root().join("examples/voice-assistant-pass/sbom/python-venv-50pkgs.cdx1.6.json");
    let mut bom: Value = serde_json::from_slice(&std::fs::read(src).unwrap()).unwrap();
    bom["components"][0]["description"] = Value::String("x".repeat(100_000));
    let last = bom["components"].as_array().unwrap().len() - 1;
    bom["components"][last]["licenses"] = serde_json::json!([{ "expression": "MIT AND" }]);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("min.cdx.json");
    std::fs::write(&path, serde_json::to_vec(&bom).unwrap()).unwrap();
    let run = shipgate(&[
        "check",
        "--sbom",
        path.to_str().unwrap(),
        "--bundle",
        "policies/sbom",
        NOW,
    ]);
    assert!(run.0 == 0 || run.0 == 1, "{}", transcript(run.clone()));
    assert!(!run.2.contains("panicked"), "{}", run.2);
    assert!(run.2.contains("sbom-invalid-license"), "{}", run.2);
    assert!(run.2.contains("min.cdx.json:1:"), "{}", run.2);
}

/// An SBOM large enough that its text is packed in memory once parsed and
/// its components let go once the input document holds them: findings are
/// still located at their lines, the ledger stores the file's exact bytes
/// (a replay reads them back and reproduces the record), and the report is
/// the one its `--engine rego` twin gives.
#[test]
fn a_large_sbom_is_located_stored_and_replayed_whole() {
    let n = 34_000;
    let no_supplier = [7, 20_001, 33_999];
    let components: Vec<Value> = (0..n)
        .map(|i| {
            let mut c = serde_json::json!({
                "type": "library",
                "bom-ref": format!("c{i}"),
                "name": format!("pkg-{i}"),
                "version": "1.0.0",
                "purl": format!("pkg:npm/pkg-{i}@1.0.0"),
                "licenses": [{"license": {"id": "MIT"}}],
                "supplier": {"name": "Example"}
            });
            if no_supplier.contains(&i) {
                c.as_object_mut().unwrap().remove("supplier");
            }
            c
        })
        .collect();
    let bom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": components
    });
    let text = serde_json::to_string_pretty(&bom).unwrap();
    assert!(
        text.len() >= 8 << 20,
        "{} bytes: not large enough to be packed",
        text.len()
    );
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("large.cdx.json");
    std::fs::write(&path, &text).unwrap();
    let ledger = tmp.path().join("ledger");
    let check = |engine: &str| {
        shipgate(&[
            "check",
            "--sbom",
            path.to_str().unwrap(),
            "--bundle",
            "policies/sbom",
            "--engine",
            engine,
            "--format",
            "json",
            "--ledger",
            ledger.to_str().unwrap(),
            NOW,
        ])
    };
    let run = check("cel");
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    let report: Value = serde_json::from_str(&run.1).unwrap();
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "sbom.supplier-known")
        .unwrap();
    assert_eq!(rule["status"], "warn");
    let found: Vec<(String, u64)> = rule["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = &f["location"];
            (
                at["pointer"].as_str().unwrap().to_owned(),
                at["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // Where each component's object opens in the pretty-printed text.
    let expected: Vec<(String, u64)> = no_supplier
        .iter()
        .map(|i| {
            let at = text.find(&format!("\"bom-ref\": \"c{i}\"")).unwrap();
            let open = text[..at].rfind('{').unwrap();
            (
                format!("/components/{i}"),
                text[..open].matches('\n').count() as u64 + 1,
            )
        })
        .collect();
    assert_eq!(found, expected);
    let rego = check("rego");
    assert_eq!(rego.0, 0, "{}", transcript(rego.clone()));
    let mut twin: Value = serde_json::from_str(&rego.1).unwrap();
    let mut cel = report.clone();
    for r in [&mut cel, &mut twin] {
        r["input_digest"] = Value::Null;
        for rule in r["rules"].as_array_mut().unwrap() {
            rule["engine"] = Value::Null;
        }
    }
    assert_eq!(cel, twin);
    let run = shipgate(&["replay", "--all", "--ledger", ledger.to_str().unwrap()]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    assert_eq!(run.1.matches(": reproduced").count(), 2, "{}", run.1);
}
