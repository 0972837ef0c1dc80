//! Building a site from a small ledger written through the ledger API:
//! passing, failing, waived, unsigned and tampered records.

use serde_json::{Value, json};

use super::*;
use crate::ledger::{EntryRelease, StoredBundle, StoredFile};
use crate::record::Signed;
use crate::sign::{Algorithm, SigningKey};

const BUNDLE_TOML: &str = r#"
[bundle]
name = "x"
version = "1.0.0"

[[rule]]
id = "x.licence"
title = "Licences are allowed"
severity = "deny"
description = "d"
remediation = "Replace the component."
"#;

fn statement(release: &str, time: &str, verdict: &str, status: &str, evidence: &str) -> Value {
    let (name, version) = release.split_once(' ').unwrap();
    let violations = if status == "fail" {
        json!([{ "msg": "<script>alert('pwned')</script> is GPL", "details": { "purl": "pkg:x/y" } }])
    } else {
        json!([])
    };
    let waived = if status == "waived" {
        json!([{ "msg": "busybox is GPL", "waiver": "W-1" }])
    } else {
        json!([])
    };
    json!({
        "_type": crate::record::STATEMENT_TYPE,
        "subject": [{ "name": format!("{name}-{version}.bin"), "digest": { "sha256": "ab".repeat(32) } }],
        "predicateType": crate::record::PREDICATE_TYPE,
        "predicate": {
            "verifier": { "name": "shipgate", "version": "0.1.0" },
            "time_verified": time,
            "release": { "name": name, "version": version },
            "verdict": verdict,
            "bundles": [{ "name": "x", "version": "1.0.0", "path": "policies/x", "digest": { "sha256": "cd".repeat(32) } }],
            "evidence": [{ "kind": "manifest", "path": "release.json", "digest": { "sha256": evidence } }],
            "input_digest": { "sha256": "ef".repeat(32) },
            "summary": { "pass": 0, "fail": 0, "warn": 0, "skipped": 0, "waived": 0, "error": 0 },
            "results": [{
                "id": "x.licence", "bundle": "x", "title": "Licences are allowed", "severity": "deny",
                "status": status, "engine": "rego", "violations": violations, "waived": waived, "warnings": []
            }],
            "waivers": if status == "waived" { json!([{
                "id": "W-1", "rule": "x.licence", "scope": { "purl": "pkg:generic/busybox" },
                "justification": "reviewed", "approver": "ann@example.com", "expires": "2026-12-01",
                "status": "expiring", "matched": 1, "days_left": 8
            }]) } else { json!([]) },
            "cost": {
                "egress": { "regions": [{ "region": "eu-west", "installs": 10, "amount": { "cents": 150 } }], "total": { "cents": 150 } },
                "inference": { "lines": [], "total": { "cents": 0 } },
                "total": { "cents": 150 },
                "budgets": { "egress_usd": { "limit": { "cents": 100 } } }
            },
            "invocation": { "waiver_warning_days": 30, "environment": "production" }
        }
    })
}

struct Fixture {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    key: SigningKey,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("ledger")).unwrap();
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    Fixture {
        _dir: dir,
        ledger,
        key,
    }
}

impl Fixture {
    /// Appends a record; returns the sha256 of its object.
    fn add(&self, release: &str, time: &str, verdict: &str, status: &str, signed: bool) -> String {
        let evidence = self
            .ledger
            .put_object(format!("{{\"release\": \"{release}\"}}").as_bytes())
            .unwrap();
        let bundle_toml = self.ledger.put_object(BUNDLE_TOML.as_bytes()).unwrap();
        let st = statement(release, time, verdict, status, &evidence);
        let signed = Signed::new(st, signed.then_some(&self.key)).unwrap();
        let record = self.ledger.put_object(&signed.bytes()).unwrap();
        let (name, version) = release.split_once(' ').unwrap();
        self.ledger
            .append(Entry {
                ledger_version: 1,
                seq: 0,
                prev: None,
                record: record.clone(),
                vsa: None,
                time: time.into(),
                release: Some(EntryRelease {
                    name: name.into(),
                    version: version.into(),
                }),
                verdict: verdict.into(),
                evidence: vec![StoredFile {
                    kind: Some(EvidenceKind::Manifest),
                    path: "release.json".into(),
                    sha256: evidence,
                }],
                waivers: None,
                bundles: vec![StoredBundle {
                    name: "x".into(),
                    version: "1.0.0".into(),
                    digest: "cd".repeat(32),
                    path: "policies/x".into(),
                    files: vec![StoredFile {
                        kind: None,
                        path: "bundle.toml".into(),
                        sha256: bundle_toml,
                    }],
                }],
            })
            .unwrap();
        record
    }

    fn object_path(&self, sha: &str) -> PathBuf {
        self._dir
            .path()
            .join("ledger/objects/sha256")
            .join(&sha[..2])
            .join(&sha[2..])
    }

    fn render(&self, trusted: &[VerifyingKey]) -> (Built, BTreeMap<String, String>) {
        let opts = Options::new(Date::constant(2026, 11, 23), "ledger dir");
        let sink = MemSink::default();
        let built = render(&self.ledger, trusted, &opts, &sink).unwrap();
        let pages = sink
            .0
            .into_inner()
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
            .collect();
        (built, pages)
    }
}

fn four_records() -> Fixture {
    let f = fixture();
    f.add("agent 2.4.0", "2026-11-20T10:00:00Z", "pass", "pass", true);
    f.add("agent 2.4.1", "2026-11-21T10:00:00Z", "fail", "fail", true);
    f.add(
        "agent 2.5.0",
        "2026-11-22T10:00:00Z",
        "pass",
        "waived",
        true,
    );
    f.add("agent 2.5.1", "2026-11-22T11:00:00Z", "pass", "pass", false);
    f
}

#[test]
fn an_intact_ledger_is_counted_and_rendered() {
    let f = four_records();
    let (built, pages) = f.render(&[f.key.verifying_key()]);
    assert_eq!(built.records, 4);
    assert_eq!(
        (
            built.counts.pass,
            built.counts.fail,
            built.counts.unverified
        ),
        (3, 1, 0)
    );
    assert!(built.intact);
    for page in [
        "index.html",
        "records/1.html",
        "records/4.html",
        "records/index.html",
        "records/index.js",
        "rules.html",
        "waivers.html",
        "cost.html",
        "residency.html",
        "releases.html",
        "assets/style.css",
        "assets/filter.js",
    ] {
        assert!(pages.contains_key(page), "{page} missing");
    }
    let overview = &pages["index.html"];
    assert!(overview.contains("INTACT"), "{overview}");
    assert!(
        overview.contains("3 verified, 1 unsigned, 0 invalid"),
        "{overview}"
    );
    assert!(overview.contains(&f.key.keyid()));
    // The rule that failed, its count and the waiver soon to expire.
    assert!(overview.contains("x.licence"));
    assert!(
        overview.contains("<strong>1</strong> expiring"),
        "{overview}"
    );
    // Remediation comes from the stored bundle.toml; messages are escaped.
    let failing = &pages["records/2.html"];
    assert!(failing.contains("Replace the component."), "{failing}");
    assert!(failing.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(!failing.contains("<script>alert"));
    assert!(
        failing.contains("shipgate replay --ledger &#39;ledger dir&#39; --seq 2"),
        "{failing}"
    );
    assert!(pages["records/4.html"].contains("unsigned"));
    // Egress over its budget.
    assert!(
        pages["cost.html"].contains("over by 0.50"),
        "{}",
        pages["cost.html"]
    );
}

#[test]
fn the_same_ledger_gives_the_same_bytes() {
    let f = four_records();
    let keys = [f.key.verifying_key()];
    assert_eq!(f.render(&keys).1, f.render(&keys).1);
}

#[test]
fn a_tampered_record_fails_verification_and_is_not_counted_as_a_pass() {
    let f = four_records();
    let record = f.add("agent 2.5.2", "2026-11-23T09:00:00Z", "fail", "fail", true);
    // Flip the verdict inside the signed record: the object no longer
    // matches its name, and the signature no longer verifies.
    let path = f.object_path(&record);
    let env: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(env["payload"].as_str().unwrap()).unwrap();
    let text = String::from_utf8(payload)
        .unwrap()
        .replace("\"verdict\":\"fail\"", "\"verdict\":\"pass\"");
    let mut env = env;
    env["payload"] = json!(b64.encode(text));
    std::fs::write(&path, env.to_string()).unwrap();

    let (built, pages) = f.render(&[f.key.verifying_key()]);
    assert!(!built.intact);
    assert_eq!(
        (
            built.counts.pass,
            built.counts.fail,
            built.counts.unverified
        ),
        (3, 1, 1)
    );
    let page = &pages["records/5.html"];
    assert!(page.contains("FAILED VERIFICATION"), "{page}");
    assert!(page.contains("was altered"), "{page}");
    let overview = &pages["index.html"];
    assert!(overview.contains("NOT INTACT"), "{overview}");
    assert!(
        overview.contains("<strong>1</strong> failed verification"),
        "{overview}"
    );
    assert!(
        pages["records/index.js"]
            .contains(r#"[5,"2026-11-23T09:00:00Z","agent 2.5.2","unverified","invalid""#)
    );
}

#[test]
fn an_altered_entry_is_caught_by_its_record_and_its_successor() {
    let f = four_records();
    // Entry 2 claims to pass: the chain breaks at 3, and the record disagrees.
    let entry = f._dir.path().join("ledger/entries/000000000002.json");
    let text = std::fs::read_to_string(&entry)
        .unwrap()
        .replace("\"fail\"", "\"pass\"");
    std::fs::write(&entry, text).unwrap();
    let (built, pages) = f.render(&[f.key.verifying_key()]);
    assert_eq!(built.counts.unverified, 2, "entries 2 and 3");
    let page = &pages["records/2.html"];
    assert!(
        page.contains("the ledger entry says verdict `pass`, the record says `fail`"),
        "{page}"
    );
    assert!(
        page.contains("does not name this entry as its predecessor"),
        "{page}"
    );
    assert!(pages["records/3.html"].contains("entry 3 does not follow entry 2"));
}

#[test]
fn without_trusted_keys_signatures_are_unchecked_not_forged() {
    let f = four_records();
    let (built, pages) = f.render(&[]);
    assert_eq!(built.counts.unverified, 0);
    assert!(
        pages["index.html"].contains("3 signed but not checked"),
        "{}",
        pages["index.html"]
    );
    assert!(pages["records/1.html"].contains("not checked"));
}

#[test]
fn output_is_refused_unless_empty_or_an_earlier_dashboard() {
    let f = four_records();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let opts = Options::new(Date::constant(2026, 11, 23), "l");
    build(&f.ledger, &[], &opts, &out).unwrap();
    assert!(out.join(MARKER).is_file() && out.join("records/4.html").is_file());
    // An earlier dashboard is replaced; a page no longer written is removed,
    // a file the user put there is not.
    std::fs::write(out.join("records/99.html"), "old").unwrap();
    let marker =
        std::fs::read_to_string(out.join(MARKER)).unwrap() + "records/99.html\n../escape\n";
    std::fs::write(out.join(MARKER), marker).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    build(&f.ledger, &[], &opts, &out).unwrap();
    assert!(!out.join("records/99.html").exists());
    assert!(out.join("notes.txt").is_file());

    let other = dir.path().join("docs");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("README"), "hello").unwrap();
    let err = build(&f.ledger, &[], &opts, &other).unwrap_err();
    assert_eq!(err.code, Code::DashboardOutput);
    assert!(err.message.contains("not empty"), "{}", err.message);
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
}

#[test]
fn residency_attestations_are_read_from_the_ledger() {
    let f = fixture();
    let predicate = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/examples/residency-predicate.json"
    ))
    .unwrap();
    let attestation = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": "a.bin", "digest": { "sha256": "ab".repeat(32) } }],
        "predicateType": "https://shipgate.dev/attestation/residency/v1",
        "predicate": serde_json::from_str::<Value>(&predicate).unwrap()
    });
    let sha = f
        .ledger
        .put_object(attestation.to_string().as_bytes())
        .unwrap();
    let mut st = statement("agent 1.0.0", "2026-11-20T00:00:00Z", "fail", "pass", &sha);
    st["predicate"]["evidence"] =
        json!([{ "kind": "residency", "path": "res.json", "digest": { "sha256": sha } }]);
    st["predicate"]["results"] = json!([{
        "id": "residency.jurisdiction-allowed", "status": "fail", "title": "t", "severity": "deny",
        "violations": [{ "msg": "processed in US", "details": { "region": "eu-central" } }], "warnings": [], "waived": []
    }]);
    let signed = Signed::new(st, None).unwrap();
    let record = f.ledger.put_object(&signed.bytes()).unwrap();
    f.ledger
        .append(Entry {
            ledger_version: 1,
            seq: 0,
            prev: None,
            record,
            vsa: None,
            time: "2026-11-20T00:00:00Z".into(),
            release: Some(EntryRelease {
                name: "agent".into(),
                version: "1.0.0".into(),
            }),
            verdict: "fail".into(),
            evidence: vec![StoredFile {
                kind: Some(EvidenceKind::Residency),
                path: "res.json".into(),
                sha256: sha,
            }],
            waivers: None,
            bundles: vec![],
        })
        .unwrap();
    let (_, pages) = f.render(&[]);
    let page = &pages["residency.html"];
    assert!(page.contains("IE, DE"), "{page}");
    assert!(page.contains("acme-cdn par1 (FR)"), "{page}");
    assert!(page.contains("unsigned"), "{page}");
    // A region only a finding names is listed, as not attested.
    assert!(
        page.contains("eu-central</td><td colspan=\"4\">not attested"),
        "{page}"
    );
    assert!(page.contains("processed in US"));
}

#[test]
fn a_removed_entry_is_named_and_not_linked() {
    let f = four_records();
    std::fs::remove_file(f._dir.path().join("ledger/entries/000000000002.json")).unwrap();
    let (built, pages) = f.render(&[f.key.verifying_key()]);
    assert_eq!(built.records, 3);
    assert!(!built.intact);
    assert!(!pages.contains_key("records/2.html"));
    let overview = &pages["index.html"];
    assert!(
        overview.contains("<li>entry 2 was removed</li>"),
        "{overview}"
    );
    assert!(overview.contains("<tr><th>entries committed by HEAD</th><td>4</td></tr><tr><th>entries readable</th><td>3</td></tr>"), "{overview}");
}
