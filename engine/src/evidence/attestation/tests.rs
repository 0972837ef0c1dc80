use base64::Engine as _;
use serde_json::json;

use super::*;
use crate::sign::{Algorithm, Envelope as Dsse, SigningKey};

const MODEL_SHA: &str = "5d2f7c0e9a1b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5";
const BIN_SHA: &str = "3f1c8a7e2b9d4c6f0a1e5b7d9c2f4a6e8b0d2c4f6a8e0b2d4c6f8a0e2b4d6c8f";
const OTHER_SHA: &str = "0000000000000000000000000000000000000000000000000000000000000001";

const PRIVACY_EXAMPLE: &str = include_str!("../../../../schemas/examples/privacy-predicate.json");
const RESIDENCY_EXAMPLE: &str =
    include_str!("../../../../schemas/examples/residency-predicate.json");

fn release() -> ReleaseManifest {
    let text = json!({
        "schema_version": 1, "name": "edge-agent", "version": "2.4.0",
        "artifacts": [
            { "name": "kws-model.tflite", "kind": "model", "sha256": MODEL_SHA, "size": 10 },
            { "name": "edge-agent.bin", "kind": "binary", "sha256": BIN_SHA, "size": 10 },
            { "name": "unhashed.img", "kind": "firmware", "size": 10 }
        ]
    })
    .to_string();
    ReleaseManifest::load(&SourceFile::from_text("release.json", &text)).unwrap()
}

fn now() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().unwrap()
}

fn privacy() -> Value {
    serde_json::from_str(PRIVACY_EXAMPLE).unwrap()
}

fn statement(predicate_type: &str, predicate: Value, shas: &[&str]) -> Value {
    let subject: Vec<Value> = shas
        .iter()
        .map(|s| json!({ "name": format!("artifact-{}", &s[..4]), "digest": { "sha256": s } }))
        .collect();
    json!({
        "_type": STATEMENT_V1,
        "subject": subject,
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

fn privacy_statement() -> Value {
    statement(PRIVACY_V1, privacy(), &[MODEL_SHA])
}

fn signed(statement: &Value, keys: &[&SigningKey]) -> String {
    let payload = serde_json::to_vec_pretty(statement).unwrap();
    Dsse::sign(PAYLOAD_TYPE, &payload, keys).unwrap().to_json()
}

fn load_text(
    name: &str,
    text: &str,
    trusted: &[VerifyingKey],
) -> Result<(Attestation, Vec<Problem>), Problems> {
    load(&SourceFile::from_text(name, text), trusted)
}

fn key(alg: Algorithm) -> SigningKey {
    SigningKey::generate(alg).unwrap()
}

fn pointers(err: &Problems) -> Vec<String> {
    err.iter()
        .filter_map(|p| p.location.as_ref()?.pointer.clone())
        .collect()
}

#[test]
fn signed_by_a_trusted_key_is_verified_ed25519_and_p256() {
    for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
        let k = key(alg);
        let other = key(Algorithm::Ed25519);
        let text = signed(&privacy_statement(), &[&k]);
        let (a, warnings) = load_text(
            "privacy.dsse.json",
            &text,
            &[other.verifying_key(), k.verifying_key()],
        )
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(a.status, Status::Verified);
        assert_eq!(a.kind(), EvidenceKind::Privacy);
        assert_eq!(a.signer.as_deref(), Some(k.keyid().as_str()));
        assert!(a.is_current(now()));

        let entry = a.to_input(Some(&release()), now());
        assert_eq!(
            entry,
            json!({
                "file": "privacy.dsse.json",
                "predicate_type": PRIVACY_V1,
                "envelope": "dsse",
                "status": "verified",
                "verified": true,
                "signer": k.keyid(),
                "subject": [ { "name": "artifact-5d2f", "digest": { "sha256": MODEL_SHA } } ],
                "subject_matches": true,
                "artifacts": ["kws-model.tflite"],
                "issued_at": "2026-11-01T00:00:00Z",
                "expires_at": "2027-05-01T00:00:00Z",
                "expired": false,
                "age_days": 22,
                "predicate": privacy(),
            })
        );
    }
}

#[test]
fn tampered_payload_or_signature_is_invalid() {
    for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
        let k = key(alg);
        let trusted = [k.verifying_key()];
        let text = signed(&privacy_statement(), &[&k]);
        let mut env: Value = serde_json::from_str(&text).unwrap();

        // Another statement under the original signature.
        let mut changed = privacy_statement();
        changed["predicate"]["retention_days"] = json!(3650);
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut tampered = env.clone();
        tampered["payload"] = json!(b64.encode(serde_json::to_vec(&changed).unwrap()));
        let (a, warnings) = load_text("p.dsse.json", &tampered.to_string(), &trusted).unwrap();
        assert_eq!(a.status, Status::Invalid);
        assert_eq!(a.signer, None);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, Code::AttestationSignatureInvalid);
        assert_eq!(warnings[0].severity, Severity::Warning);
        assert!(warnings[0].message.contains("`p.dsse.json`"));
        let entry = a.to_input(Some(&release()), now());
        assert_eq!(entry["status"], "invalid");
        assert_eq!(entry["verified"], false);
        // The entry shows what the file claims, so a policy can say what it ignored.
        assert_eq!(entry["predicate"]["retention_days"], 3650);

        // A changed signature byte.
        let sig = env["signatures"][0]["sig"].as_str().unwrap();
        let mut bytes = b64.decode(sig).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        env["signatures"][0]["sig"] = json!(b64.encode(bytes));
        let (a, _) = load_text("p.dsse.json", &env.to_string(), &trusted).unwrap();
        assert_eq!(a.status, Status::Invalid);
    }
}

#[test]
fn signed_by_an_unknown_key_is_untrusted() {
    let trusted = key(Algorithm::Ed25519);
    let stranger = key(Algorithm::EcdsaP256);
    let text = signed(&privacy_statement(), &[&stranger]);
    let (a, warnings) = load_text("p.dsse.json", &text, &[trusted.verifying_key()]).unwrap();
    assert_eq!(a.status, Status::Untrusted);
    assert_eq!(warnings[0].code, Code::AttestationUntrusted);
    assert_eq!(
        warnings[0].location.as_ref().unwrap().pointer.as_deref(),
        Some("/signatures")
    );
    // No trusted keys at all: nobody can be trusted.
    let (a, _) = load_text("p.dsse.json", &text, &[]).unwrap();
    assert_eq!(a.status, Status::Untrusted);
}

#[test]
fn keyid_of_a_trusted_key_on_another_keys_signature_is_invalid() {
    for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
        let trusted = key(alg);
        let attacker = key(alg);
        let mut env: Value =
            serde_json::from_str(&signed(&privacy_statement(), &[&attacker])).unwrap();
        env["signatures"][0]["keyid"] = json!(trusted.keyid());
        let (a, warnings) =
            load_text("p.dsse.json", &env.to_string(), &[trusted.verifying_key()]).unwrap();
        assert_eq!(a.status, Status::Invalid);
        assert_eq!(warnings[0].code, Code::AttestationSignatureInvalid);

        // A genuine trusted signature beside the lie still verifies: keyids are hints.
        let both = signed(&privacy_statement(), &[&attacker, &trusted]);
        let mut env: Value = serde_json::from_str(&both).unwrap();
        env["signatures"][0]["keyid"] = json!(trusted.keyid());
        let (a, _) =
            load_text("p.dsse.json", &env.to_string(), &[trusted.verifying_key()]).unwrap();
        assert_eq!(a.status, Status::Verified);
        assert_eq!(a.signer, Some(trusted.keyid()));
    }
}

#[test]
fn unreadable_signature_is_invalid() {
    let k = key(Algorithm::Ed25519);
    let mut env: Value = serde_json::from_str(&signed(&privacy_statement(), &[&k])).unwrap();
    env["signatures"][0]["sig"] = json!("*not base64*");
    env["signatures"][0]["keyid"] = json!("someone");
    let (a, _) = load_text("p.dsse.json", &env.to_string(), &[k.verifying_key()]).unwrap();
    assert_eq!(a.status, Status::Invalid);
}

#[test]
fn bare_statements_and_envelopes_without_signatures_are_unsigned() {
    let k = key(Algorithm::Ed25519);
    let trusted = [k.verifying_key()];
    let bare = serde_json::to_string_pretty(&privacy_statement()).unwrap();
    let (a, warnings) = load_text("p.json", &bare, &trusted).unwrap();
    assert_eq!((a.status, a.envelope), (Status::Unsigned, Envelope::None));
    assert_eq!(warnings[0].code, Code::AttestationUnsigned);
    assert!(warnings[0].message.contains("`p.json`"));
    let entry = a.to_input(Some(&release()), now());
    assert_eq!(
        (&entry["envelope"], &entry["status"], &entry["signer"]),
        (&json!("none"), &json!("unsigned"), &Value::Null)
    );

    let mut env: Value = serde_json::from_str(&signed(&privacy_statement(), &[&k])).unwrap();
    env["signatures"] = json!([]);
    let (a, warnings) = load_text("p.dsse.json", &env.to_string(), &trusted).unwrap();
    assert_eq!((a.status, a.envelope), (Status::Unsigned, Envelope::Dsse));
    assert_eq!(warnings[0].code, Code::AttestationUnsigned);
    env.as_object_mut().unwrap().remove("signatures");
    let (a, _) = load_text("p.dsse.json", &env.to_string(), &trusted).unwrap();
    assert_eq!(a.status, Status::Unsigned);
}

#[test]
fn subjects_are_matched_to_release_artifacts_by_sha256() {
    let load_with = |shas: &[&str]| {
        let text = statement(PRIVACY_V1, privacy(), shas).to_string();
        load_text("p.json", &text, &[]).unwrap().0
    };
    // Not in the release at all.
    let entry = load_with(&[OTHER_SHA]).to_input(Some(&release()), now());
    assert_eq!(entry["subject_matches"], false);
    assert_eq!(entry["artifacts"], json!([]));
    // Partly in the release: the match is partial, the named artifacts listed.
    let entry = load_with(&[BIN_SHA, OTHER_SHA, MODEL_SHA]).to_input(Some(&release()), now());
    assert_eq!(entry["subject_matches"], false);
    assert_eq!(
        entry["artifacts"],
        json!(["kws-model.tflite", "edge-agent.bin"])
    );
    // Wholly in it.
    let entry = load_with(&[BIN_SHA, MODEL_SHA]).to_input(Some(&release()), now());
    assert_eq!(entry["subject_matches"], true);
    // No release to match against.
    let entry = load_with(&[MODEL_SHA]).to_input(None, now());
    assert_eq!(
        (&entry["subject_matches"], &entry["artifacts"]),
        (&json!(false), &json!([]))
    );
}

#[test]
fn expiry_and_age_follow_now() {
    let mut p = privacy();
    p["issued_at"] = json!("2026-05-01T12:00:00+02:00");
    p["expires_at"] = json!("2026-11-01T00:00:00Z");
    let text = statement(PRIVACY_V1, p, &[MODEL_SHA]).to_string();
    let (a, _) = load_text("p.json", &text, &[]).unwrap();
    let entry = a.to_input(Some(&release()), now());
    assert_eq!(entry["expired"], true);
    assert_eq!(entry["issued_at"], "2026-05-01T10:00:00Z");
    assert_eq!(entry["age_days"], 206);
    // Exactly at expiry it is expired; a second before, not.
    let at: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
    assert_eq!(a.to_input(None, at)["expired"], true);
    let before: Timestamp = "2026-10-31T23:59:59Z".parse().unwrap();
    assert_eq!(a.to_input(None, before)["expired"], false);
    // Issued after now: a negative age, for policies to notice.
    let early: Timestamp = "2026-05-01T09:00:00Z".parse().unwrap();
    assert_eq!(a.to_input(None, early)["age_days"], -1);
    // No expiry: never expired.
    let mut p = privacy();
    p.as_object_mut().unwrap().remove("expires_at");
    let text = statement(PRIVACY_V1, p, &[MODEL_SHA]).to_string();
    let (a, _) = load_text("p.json", &text, &[]).unwrap();
    let entry = a.to_input(None, now());
    assert_eq!(
        (&entry["expired"], &entry["expires_at"]),
        (&json!(false), &Value::Null)
    );
}

#[test]
fn expiry_before_issue_is_an_error() {
    let mut p = privacy();
    p["expires_at"] = json!("2026-10-01T00:00:00Z");
    let text = serde_json::to_string_pretty(&statement(PRIVACY_V1, p, &[MODEL_SHA])).unwrap();
    let err = load_text("p.json", &text, &[]).unwrap_err();
    assert_eq!(pointers(&err), ["/predicate/expires_at"]);
}

#[test]
fn malformed_envelopes_are_located_errors() {
    let k = key(Algorithm::Ed25519);
    let trusted = [k.verifying_key()];
    let good: Value = serde_json::from_str(&signed(&privacy_statement(), &[&k])).unwrap();

    let mut bad = good.clone();
    bad["payload"] = json!("*** not base64 ***");
    let err = load_text("p.dsse.json", &bad.to_string(), &trusted).unwrap_err();
    assert_eq!(err.0[0].code, Code::EnvelopeInvalid);
    assert_eq!(pointers(&err), ["/payload"]);

    let mut bad = good.clone();
    bad["payloadType"] = json!("application/json");
    bad["signatures"] = json!({});
    let err = load_text("p.dsse.json", &bad.to_string(), &trusted).unwrap_err();
    let codes: Vec<Code> = err.iter().map(|p| p.code).collect();
    assert_eq!(codes, [Code::AttestationInvalid, Code::EnvelopeInvalid]);
    assert_eq!(pointers(&err), ["/payloadType", "/signatures"]);

    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("payload");
    let err = load_text("p.dsse.json", &bad.to_string(), &trusted).unwrap_err();
    assert!(err.0[0].message.contains("no `payload`"), "{err:?}");

    // A payload that is base64, but not JSON: placed at /payload, with the
    // position inside the decoded statement.
    let mut bad = good.clone();
    bad["payload"] =
        json!(base64::engine::general_purpose::STANDARD.encode("{\n  \"_type\": x\n}"));
    let text = serde_json::to_string_pretty(&bad).unwrap();
    let err = load_text("p.dsse.json", &text, &trusted).unwrap_err();
    let p = &err.0[0];
    assert_eq!(p.code, Code::JsonSyntax);
    assert!(
        p.message.contains("in the signed statement, at line 2"),
        "{}",
        p.message
    );
    let loc = p.location.as_ref().unwrap();
    assert_eq!(loc.pointer.as_deref(), Some("/payload"));
    assert_eq!(loc.line, Some(2));

    let mut many = good.clone();
    many["signatures"] = json!(vec![good["signatures"][0].clone(); MAX_TEST_SIGNATURES]);
    let err = load_text("p.dsse.json", &many.to_string(), &trusted).unwrap_err();
    assert_eq!(err.0[0].code, Code::EnvelopeInvalid);

    for text in ["[]", "{}", "{\"predicateType\": \"x\"}"] {
        let err = load_text("x.json", text, &trusted).unwrap_err();
        assert_eq!(err.0[0].code, Code::AttestationInvalid, "{text}");
    }
    let err = load_text("x.json", "{\"_type\": ", &trusted).unwrap_err();
    assert_eq!(err.0[0].code, Code::JsonSyntax);
}

const MAX_TEST_SIGNATURES: usize = crate::sign::dsse::MAX_SIGNATURES + 1;

#[test]
fn unknown_predicate_type_is_an_error_listing_the_supported_ones() {
    let text = serde_json::to_string_pretty(&statement(
        "https://cyclonedx.org/bom",
        json!({}),
        &[MODEL_SHA],
    ))
    .unwrap();
    let err = load_text("bom.json", &text, &[]).unwrap_err();
    let p = &err.0[0];
    assert_eq!(p.code, Code::AttestationUnknownPredicate);
    assert!(p.message.contains("`https://cyclonedx.org/bom`"));
    let help = p.help.as_deref().unwrap();
    for t in [PRIVACY_V1, RESIDENCY_V1, SLSA_PROVENANCE_V1] {
        assert!(help.contains(t), "{help}");
    }
    let loc = p.location.as_ref().unwrap();
    assert_eq!(loc.pointer.as_deref(), Some("/predicateType"));
    assert!(loc.line.is_some());
}

#[test]
fn statement_problems_are_located_and_all_reported() {
    let mut p = privacy();
    p["retention_days"] = json!(-1);
    p["consent_basis"] = json!("vibes");
    p["surprise"] = json!(true);
    let mut s = statement(PRIVACY_V1, p, &[MODEL_SHA]);
    s["subject"][0]["digest"] = json!({ "sha512": "ab" });
    let text = serde_json::to_string_pretty(&s).unwrap();
    let err = load_text("p.json", &text, &[]).unwrap_err();
    let mut got = pointers(&err);
    got.sort();
    assert_eq!(
        got,
        [
            "/predicate",
            "/predicate/consent_basis",
            "/predicate/retention_days",
            "/subject/0/digest",
        ]
    );
    assert!(err.iter().all(|p| p.code == Code::SchemaViolation));
    assert!(
        err.iter()
            .all(|p| p.location.as_ref().unwrap().line.is_some())
    );

    // Inside an envelope: at /payload, naming the pointer inside the statement.
    let k = key(Algorithm::Ed25519);
    let text = signed(&s, &[&k]);
    let err = load_text("p.dsse.json", &text, &[k.verifying_key()]).unwrap_err();
    assert!(pointers(&err).iter().all(|p| p == "/payload"));
    assert!(
        err.iter().any(|p| p
            .message
            .contains("(in the signed statement, at `/predicate/retention_days`)")),
        "{err:?}"
    );

    // Not a Statement v1.
    let mut old = privacy_statement();
    old["_type"] = json!("https://in-toto.io/Statement/v0.1");
    let err = load_text("old.json", &old.to_string(), &[]).unwrap_err();
    assert_eq!(err.0[0].code, Code::AttestationInvalid);
    assert_eq!(pointers(&err), ["/_type"]);

    // No subjects.
    let empty = statement(PRIVACY_V1, privacy(), &[]);
    let err = load_text("p.json", &empty.to_string(), &[]).unwrap_err();
    assert_eq!(pointers(&err), ["/subject"]);
}

#[test]
fn examples_validate_and_load() {
    let (a, _) = load_text("p.json", &privacy_statement().to_string(), &[]).unwrap();
    assert_eq!(a.kind(), EvidenceKind::Privacy);

    let residency: Value = serde_json::from_str(RESIDENCY_EXAMPLE).unwrap();
    let text = statement(RESIDENCY_V1, residency.clone(), &[BIN_SHA]).to_string();
    let (a, _) = load_text("r.json", &text, &[]).unwrap();
    assert_eq!(a.kind(), EvidenceKind::Residency);
    let entry = a.to_input(Some(&release()), now());
    assert_eq!(entry["predicate"], residency);
    assert_eq!(entry["artifacts"], json!(["edge-agent.bin"]));
    assert!(entry.get("summary").is_none());
}

#[test]
fn residency_regions_are_unique_and_jurisdictions_iso() {
    let mut r: Value = serde_json::from_str(RESIDENCY_EXAMPLE).unwrap();
    r["regions"][1]["region"] = json!("eu-west");
    r["regions"][0]["storage"][0] = json!("ireland");
    let text = serde_json::to_string_pretty(&statement(RESIDENCY_V1, r, &[BIN_SHA])).unwrap();
    let err = load_text("r.json", &text, &[]).unwrap_err();
    assert_eq!(pointers(&err), ["/predicate/regions/0/storage/0"]);
    // Once the schema holds, the duplicate is reported.
    let mut r: Value = serde_json::from_str(RESIDENCY_EXAMPLE).unwrap();
    r["regions"][1]["region"] = json!("eu-west");
    let text = serde_json::to_string_pretty(&statement(RESIDENCY_V1, r, &[BIN_SHA])).unwrap();
    let err = load_text("r.json", &text, &[]).unwrap_err();
    assert_eq!(pointers(&err), ["/predicate/regions/1/region"]);
    assert!(err.0[0].message.contains("`eu-west` appears twice"));
}

fn slsa() -> Value {
    json!({
        "buildDefinition": {
            "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "externalParameters": { "workflow": {
                "ref": "refs/tags/v2.4.0",
                "repository": "https://github.com/acme/edge-agent",
                "path": ".github/workflows/release.yml" } },
            "internalParameters": { "github": { "event_name": "push" } },
            "resolvedDependencies": [
                { "uri": "git+https://github.com/acme/edge-agent@refs/tags/v2.4.0",
                  "digest": { "gitCommit": "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39" } }
            ]
        },
        "runDetails": {
            "builder": { "id": "https://github.com/actions/runner/github-hosted" },
            "metadata": {
                "invocationId": "https://github.com/acme/edge-agent/actions/runs/1/attempts/1",
                "startedOn": "2026-11-20T09:00:00Z",
                "finishedOn": "2026-11-20T09:12:30Z"
            }
        }
    })
}

#[test]
fn slsa_provenance_is_read_and_summarized() {
    let k = key(Algorithm::EcdsaP256);
    let text = signed(
        &statement(SLSA_PROVENANCE_V1, slsa(), &[MODEL_SHA, BIN_SHA]),
        &[&k],
    );
    let (a, warnings) = load_text("prov.dsse.json", &text, &[k.verifying_key()]).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(a.kind(), EvidenceKind::Provenance);
    let entry = a.to_input(Some(&release()), now());
    assert_eq!(
        entry["summary"],
        json!({
            "builder_id": "https://github.com/actions/runner/github-hosted",
            "build_type": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "source_repo": "https://github.com/acme/edge-agent",
            "source_commit": "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        })
    );
    assert_eq!(entry["issued_at"], "2026-11-20T09:12:30Z");
    assert_eq!(entry["expires_at"], Value::Null);
    assert_eq!(entry["age_days"], 3);
    assert_eq!(entry["subject_matches"], true);

    // What the spec requires is required; unknown fields are tolerated.
    let mut p = slsa();
    p["runDetails"]["builder"] = json!({ "version": { "runner": "2.1" } });
    p["buildDefinition"]["futureField"] = json!(1);
    let text =
        serde_json::to_string_pretty(&statement(SLSA_PROVENANCE_V1, p, &[MODEL_SHA])).unwrap();
    let err = load_text("prov.json", &text, &[]).unwrap_err();
    assert_eq!(pointers(&err), ["/predicate/runDetails/builder"]);
}

/// Envelopes signed by securesystemslib (Python, the in-toto reference
/// implementation's crypto): what other tools write, shipgate verifies. The
/// private keys were thrown away; only the public keys are kept.
#[test]
fn envelopes_signed_by_securesystemslib_verify() {
    let p256 = VerifyingKey::from_pem(include_str!("testdata/securesystemslib-p256.pub")).unwrap();
    let ed = VerifyingKey::from_pem(include_str!("testdata/securesystemslib-ed25519.pub")).unwrap();
    let trusted = [ed.clone(), p256.clone()];

    let text = include_str!("testdata/slsa-provenance.dsse.json");
    let (a, warnings) = load_text("slsa-provenance.dsse.json", text, &trusted).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        (a.status, a.kind()),
        (Status::Verified, EvidenceKind::Provenance)
    );
    assert_eq!(a.signer, Some(p256.keyid()));
    let entry = a.to_input(Some(&release()), now());
    assert_eq!(entry["artifacts"], json!(["edge-agent.bin"]));
    assert_eq!(
        entry["summary"]["source_commit"],
        "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    );
    // The other key does not vouch for it, and says so.
    let (a, _) = load_text("slsa-provenance.dsse.json", text, std::slice::from_ref(&ed)).unwrap();
    assert_eq!(a.status, Status::Untrusted);

    let text = include_str!("testdata/privacy.dsse.json");
    let (a, _) = load_text("privacy.dsse.json", text, &trusted).unwrap();
    assert_eq!(
        (a.status, a.kind()),
        (Status::Verified, EvidenceKind::Privacy)
    );
    assert_eq!(a.signer, Some(ed.keyid()));
    assert_eq!(a.predicate, privacy());
}

#[test]
fn violations_are_located_in_the_statement_or_on_the_payload() {
    let bare = serde_json::to_string_pretty(&privacy_statement()).unwrap();
    let file = SourceFile::from_text("p.json", &bare);
    let (a, _) = load(&file, &[]).unwrap();
    let loc = a.locate(&file, "/predicate/retention_days");
    assert_eq!(loc.pointer.as_deref(), Some("/predicate/retention_days"));
    let line = bare
        .lines()
        .position(|l| l.contains("\"retention_days\""))
        .unwrap();
    assert_eq!(loc.line, Some(line + 1));

    let k = key(Algorithm::Ed25519);
    let text = serde_json::to_string_pretty(
        &serde_json::from_str::<Value>(&signed(&privacy_statement(), &[&k])).unwrap(),
    )
    .unwrap();
    let file = SourceFile::from_text("p.dsse.json", &text);
    let (a, _) = load(&file, &[k.verifying_key()]).unwrap();
    let payload = json::location_of(&file, "/payload");
    let loc = a.locate(&file, "/predicate/retention_days");
    assert_eq!(loc.pointer.as_deref(), Some("/predicate/retention_days"));
    assert_eq!(loc.line, payload.line);
    let loc = a.locate(&file, "/signatures/0");
    assert_eq!(loc.pointer.as_deref(), Some("/signatures/0"));
    assert_ne!(loc.line, payload.line);
}
