//! `shipgate dashboard`: a ledger with passing, failing, waived and tampered
//! records, built with the real binary, turned into a site; the site is
//! checked as files and as the DOM headless Chromium makes of it
//! (tests/dashboard/browser.sh), whose screenshots are kept in
//! target/dashboard-artifacts/.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::{root, shipgate, transcript};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The statement inside a stored record object.
fn statement_of(ledger: &Path, sha: &str) -> Value {
    let env: Value = serde_json::from_slice(
        &std::fs::read(
            ledger
                .join("objects/sha256")
                .join(&sha[..2])
                .join(&sha[2..]),
        )
        .unwrap(),
    )
    .unwrap();
    serde_json::from_slice(&STANDARD.decode(env["payload"].as_str().unwrap()).unwrap()).unwrap()
}

/// A residency attestation about the passing example's artifacts, in which
/// eu-central's data is processed in the US (which the residency bundle
/// does not allow for `eu-*`).
fn residency_attestation(dir: &Path) -> PathBuf {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/edge-agent-pass/release.json")).unwrap(),
    )
    .unwrap();
    let mut predicate: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/examples/residency-predicate.json")).unwrap(),
    )
    .unwrap();
    predicate["regions"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "region": "eu-central", "storage": ["DE"], "processing": ["US"] }));
    let subject: Vec<Value> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!({ "name": a["name"], "digest": { "sha256": a["sha256"] } }))
        .collect();
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": "https://shipgate.dev/attestation/residency/v1",
        "predicate": predicate,
    });
    let path = dir.join("residency.json");
    std::fs::write(&path, serde_json::to_string_pretty(&statement).unwrap()).unwrap();
    path
}

/// Builds the ledger: 1 pass, 2 fail with waivers (applied, expiring,
/// expired), 3 fail with cost and residency, 4 pass then tampered with,
/// 5 pass unsigned. Returns (ledger, public key).
fn ledger_of_every_kind(dir: &Path) -> (PathBuf, PathBuf) {
    let keys = dir.join("keys");
    let run = shipgate(&["keygen", "--out", s(&keys)]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    let key = keys.join("shipgate.key");
    let ledger = dir.join("ledger");
    let attestation = residency_attestation(dir);
    let checks: [(&str, &str, bool, &[&str], i32); 5] = [
        (
            "examples/edge-agent-pass",
            "2026-11-20T09:00:00Z",
            true,
            &[],
            0,
        ),
        (
            "examples/edge-agent-fail",
            "2026-11-21T09:00:00Z",
            true,
            &[],
            1,
        ),
        (
            "examples/edge-agent-pass",
            "2026-11-22T09:00:00Z",
            true,
            &[
                "--cost",
                "schemas/examples/cost-input.json",
                "--attestation",
                s(&attestation),
                "--bundle",
                "policies/cost",
                "--bundle",
                "policies/residency",
            ],
            1,
        ),
        (
            "examples/edge-agent-pass",
            "2026-11-22T12:00:00Z",
            true,
            &[],
            0,
        ),
        (
            "examples/edge-agent-pass",
            "2026-11-23T09:00:00Z",
            false,
            &[],
            0,
        ),
    ];
    for (example, now, signed, extra, exit) in checks {
        let now = format!("--now={now}");
        let mut args = vec!["check", example, &now, "--ledger", s(&ledger)];
        if signed {
            args.extend(["--sign-key", s(&key)]);
        }
        args.extend(extra);
        let run = shipgate(&args);
        assert_eq!(run.0, exit, "{example} {now}: {}", transcript(run.clone()));
    }
    // Entry 4's record is altered in place: one field of the signed payload.
    let run = shipgate(&["ledger", "list", "--ledger", s(&ledger), "--format", "json"]);
    let list: Value = serde_json::from_str(&run.1).unwrap();
    let sha = list[3]["entry"]["record"].as_str().unwrap().to_owned();
    let object = ledger
        .join("objects/sha256")
        .join(&sha[..2])
        .join(&sha[2..]);
    let mut env: Value = serde_json::from_slice(&std::fs::read(&object).unwrap()).unwrap();
    let payload = String::from_utf8(STANDARD.decode(env["payload"].as_str().unwrap()).unwrap())
        .unwrap()
        .replace(
            r#""environment":"production""#,
            r#""environment":"staging""#,
        );
    env["payload"] = Value::String(STANDARD.encode(payload));
    std::fs::write(&object, env.to_string()).unwrap();
    (ledger, keys.join("shipgate.pub"))
}

/// Every file of a site, by relative path.
fn files(site: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(site, site, &mut out);
    out
}

#[test]
fn dashboard_shows_passing_failing_waived_and_tampered_records() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, public) = ledger_of_every_kind(dir.path());
    let site = dir.path().join("site");
    let build = |out: &Path| {
        shipgate(&[
            "dashboard",
            "--ledger",
            s(&ledger),
            "--out",
            s(out),
            "--key",
            s(&public),
            "--now",
            "2026-11-23",
        ])
    };
    let run = build(&site);
    // Written, and exit 1: the ledger is not intact.
    assert_eq!(run.0, 1, "{}", transcript(run.clone()));
    assert!(
        run.1
            .contains("5 record(s): 2 pass, 2 fail, 1 failed verification"),
        "{}",
        run.1
    );
    assert!(run.1.contains("ledger NOT intact"), "{}", run.1);

    // What the ledger holds, read independently of the dashboard.
    let listed = shipgate(&["ledger", "list", "--ledger", s(&ledger), "--format", "json"]);
    let entries: Vec<Value> = serde_json::from_str(&listed.1).unwrap();
    assert_eq!(entries.len(), 5);
    let statements: Vec<Value> = entries
        .iter()
        .map(|e| statement_of(&ledger, e["entry"]["record"].as_str().unwrap()))
        .collect();
    let failed_license: Vec<u64> = statements
        .iter()
        .zip(&entries)
        .filter(|(st, _)| {
            st["predicate"]["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| {
                    r["id"] == "sbom.license-allowed"
                        && matches!(r["status"].as_str(), Some("fail" | "error"))
                })
        })
        .map(|(_, e)| e["entry"]["seq"].as_u64().unwrap())
        .collect();
    assert!(!failed_license.is_empty());

    let pages = files(&site);
    for seq in 1..=5 {
        assert!(
            pages.contains_key(&format!("records/{seq}.html")),
            "record {seq}"
        );
    }
    let page = |p: &str| String::from_utf8(pages[p].clone()).unwrap();
    let overview = page("index.html");
    assert!(overview.contains("NOT INTACT"), "{overview}");
    assert!(overview.contains(
        "5 record(s): <strong>2</strong> pass, <strong>2</strong> fail, <strong>1</strong> failed verification"
    ));
    assert!(
        overview.contains("3 verified, 1 unsigned, 1 invalid"),
        "{overview}"
    );
    assert!(page("records/4.html").contains("FAILED VERIFICATION"));
    assert!(page("records/4.html").contains("was altered"));
    assert!(page("records/1.html").contains("Verified: the chain links this entry"));
    assert!(page("records/5.html").contains("<strong>unsigned</strong>"));
    let failing = page("records/2.html");
    assert!(failing.contains("W-2026-014") && failing.contains("(waiver <code>W-2026-014</code>)"));
    assert!(failing.contains(&format!(
        "shipgate replay --ledger {} --seq 2 --key {}",
        ledger.display(),
        public.display()
    )));
    assert!(
        failing.contains("Replace the component"),
        "remediation from the stored bundle"
    );
    let waivers = page("waivers.html");
    assert!(waivers.contains("w-expired") && waivers.contains("W-2025-207"));
    assert!(waivers.contains("w-expiring") && waivers.contains("W-2026-031"));
    let cost = page("cost.html");
    assert!(
        cost.contains("124.52") && cost.contains("1200.00 (1075.48 left)"),
        "{cost}"
    );
    let residency = page("residency.html");
    assert!(
        residency.contains("eu-central") && residency.contains("processed in `US`"),
        "{residency}"
    );
    // Self-contained: nothing is loaded from anywhere else.
    for (name, bytes) in &pages {
        let text = String::from_utf8_lossy(bytes);
        for remote in ["src=\"http", "href=\"http", "url(http", "@import"] {
            assert!(!text.contains(remote), "{name} loads {remote}…");
        }
    }

    // The same ledger, keys and day: the same bytes.
    let again = dir.path().join("again");
    assert_eq!(build(&again).0, 1);
    assert_eq!(files(&again), pages);

    // And in a browser.
    let artifacts = root().join("target/dashboard-artifacts");
    let out = Command::new("bash")
        .arg(root().join("tests/dashboard/browser.sh"))
        .arg(&site)
        .arg(&artifacts)
        .args([
            "index.html",
            "records/4.html",
            "records/2.html",
            "records/index.html#verdict=unverified",
            "records/index.html#rule=sbom.license-allowed",
            "cost.html",
            "residency.html",
            "waivers.html",
        ])
        .output()
        .expect("run tests/dashboard/browser.sh");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => {}
        Some(77) => {
            eprintln!(
                "\n==================== SKIPPED ====================\n\
                 dashboard browser test not run:\n{log}\
                 =================================================\n"
            );
            return;
        }
        _ => panic!("tests/dashboard/browser.sh failed:\n{log}"),
    }
    let dom =
        |name: &str| std::fs::read_to_string(artifacts.join(format!("{name}.dom.html"))).unwrap();
    let overview = dom("index.html");
    assert!(overview.contains("NOT INTACT"));
    assert!(overview.contains("<strong>1</strong> failed verification"));
    let tampered = dom("records_4.html");
    assert!(tampered.contains("FAILED VERIFICATION"), "{tampered}");
    // The filter ran: the form is shown and only matching rows remain.
    let rows = |dom: &str| -> Vec<u64> {
        let body = dom
            .split("<tbody id=\"rows\">")
            .nth(1)
            .unwrap()
            .split("</tbody>")
            .next()
            .unwrap();
        body.split("<a href=\"")
            .skip(1)
            .map(|a| a.split('.').next().unwrap().parse().unwrap())
            .collect()
    };
    let unverified = dom("records_index.html_verdict_unverified");
    assert!(
        unverified.contains("<form id=\"filter\" class=\"filter\">"),
        "{unverified}"
    );
    assert!(unverified.contains("1 matching record(s)"), "{unverified}");
    assert_eq!(rows(&unverified), [4]);
    let by_rule = dom("records_index.html_rule_sbom.license-allowed");
    let mut got = rows(&by_rule);
    got.sort_unstable();
    let mut want: Vec<u64> = failed_license;
    want.sort_unstable();
    assert_eq!(got, want, "{by_rule}");
    assert!(artifacts.join("index.html.png").is_file());
    assert!(artifacts.join("records_4.html.png").is_file());
}

#[test]
fn dashboard_never_writes_into_a_directory_it_did_not_make() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    let run = shipgate(&[
        "check",
        "tests/e2e/fixtures/ledger-min",
        "--now=2026-11-23T00:00:00Z",
        "--ledger",
        s(&ledger),
    ]);
    assert!(run.0 == 0 || run.0 == 1, "{}", transcript(run.clone()));
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("index.html"), "my own page").unwrap();
    let run = shipgate(&["dashboard", "--ledger", s(&ledger), "--out", s(&mine)]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
    assert!(run.2.contains("dashboard-output"), "{}", run.2);
    assert!(run.2.contains("holds no earlier dashboard"), "{}", run.2);
    assert_eq!(
        std::fs::read_to_string(mine.join("index.html")).unwrap(),
        "my own page"
    );

    // A new directory is made; building again over it is fine.
    let site = dir.path().join("site");
    for _ in 0..2 {
        let run = shipgate(&[
            "dashboard",
            "--ledger",
            s(&ledger),
            "--out",
            s(&site),
            "--now",
            "2026-11-23",
        ]);
        assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    }
    assert!(site.join(".shipgate-dashboard").is_file());
    let run = shipgate(&[
        "dashboard",
        "--ledger",
        s(&ledger),
        "--out",
        s(&site),
        "--now",
        "23/11/2026",
    ]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
}

/// Writes a synthetic ledger for tests/bench/dashboard.sh: `SHIPGATE_BENCH_LEDGER`
/// (a directory), `SHIPGATE_BENCH_RECORDS` records (default 10,000) written
/// through the ledger API, signed with a key whose public half goes to
/// `<ledger>.pub`. Records spread over 400 days and 200 releases of 10
/// lines; about a fifth fail, some carry waivers, all carry cost, a third
/// residency, and a few are unsigned.
#[test]
#[ignore = "run by tests/bench/dashboard.sh"]
fn dashboard_bench_ledger() {
    use shipgate_engine::ledger::{Entry, EntryRelease, Ledger, StoredBundle, StoredFile};
    use shipgate_engine::record::Signed;
    use shipgate_engine::sign::{Algorithm, SigningKey};

    let Some(dir) = std::env::var_os("SHIPGATE_BENCH_LEDGER").map(PathBuf::from) else {
        eprintln!("SHIPGATE_BENCH_LEDGER is not set: nothing to do");
        return;
    };
    let n: u64 = std::env::var("SHIPGATE_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let ledger = Ledger::open(&dir).unwrap();
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    std::fs::write(dir.with_extension("pub"), key.verifying_key().to_spki_pem()).unwrap();

    // The shipped bundles' files, stored once and named by every entry, as
    // `shipgate check` stores them (so verification reads as many objects).
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        let mut items: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        items.sort();
        for p in items {
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut bundles = Vec::new();
    for name in ["sbom", "provenance", "cost", "residency"] {
        let base = root().join("policies").join(name);
        let mut paths = Vec::new();
        walk(&base, &base, &mut paths);
        let files = paths
            .iter()
            .map(|p| StoredFile {
                kind: None,
                path: p.to_string_lossy().into_owned(),
                sha256: ledger
                    .put_object(&std::fs::read(base.join(p)).unwrap())
                    .unwrap(),
            })
            .collect();
        bundles.push(StoredBundle {
            name: name.into(),
            version: "1.0.0".into(),
            digest: format!("{:064x}", bundles.len() + 1),
            path: format!("policies/{name}"),
            files,
        });
    }
    let residency_predicate: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/examples/residency-predicate.json")).unwrap(),
    )
    .unwrap();
    // Rule ids and titles of the shipped bundles (`id = "..."` then `title = "..."`).
    let rules: Vec<(String, String)> = ["sbom", "provenance", "cost", "residency"]
        .iter()
        .flat_map(|b| {
            let text = std::fs::read_to_string(root().join("policies").join(b).join("bundle.toml"))
                .unwrap();
            let value = |l: &str, key: &str| {
                l.strip_prefix(key).map(|v| {
                    v.trim()
                        .trim_start_matches('=')
                        .trim()
                        .trim_matches('"')
                        .to_owned()
                })
            };
            let mut out = Vec::new();
            let mut id = None;
            for l in text.lines() {
                if let Some(v) = value(l, "id ") {
                    id = Some(v);
                } else if let (Some(t), Some(i)) = (value(l, "title "), id.take()) {
                    out.push((i, t));
                }
            }
            out
        })
        .collect();
    assert!(rules.len() > 20, "{rules:?}");

    let start = std::time::Instant::now();
    for i in 0..n {
        let line = i % 10;
        let release = (
            format!("device-{line}"),
            format!("{}.{}.{}", 1 + line / 3, i / 500 % 20, i % 7),
        );
        let day = jiff::civil::Date::constant(2025, 10, 1)
            .checked_add(jiff::Span::new().days(i64::try_from(i * 400 / n).unwrap()))
            .unwrap();
        let time = format!("{day}T{:02}:{:02}:00Z", i % 24, i % 60);
        let failing = i.is_multiple_of(5);
        let manifest = ledger
            .put_object(
                format!(
                    "{{\"name\":\"{}\",\"version\":\"{}\"}}",
                    release.0, release.1
                )
                .as_bytes(),
            )
            .unwrap();
        let sbom = ledger
            .put_object(format!("{{\"bomFormat\":\"CycloneDX\",\"n\":{}}}", i % 50).as_bytes())
            .unwrap();
        let mut evidence = vec![
            ("manifest", "release.json".to_owned(), manifest),
            ("sbom", "sbom.cdx.json".to_owned(), sbom),
        ];
        if i.is_multiple_of(3) {
            let att = json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{ "name": "fw.bin", "digest": { "sha256": "ab".repeat(32) } }],
                "predicateType": "https://shipgate.dev/attestation/residency/v1",
                "predicate": residency_predicate,
            });
            evidence.push((
                "residency",
                "residency.json".to_owned(),
                ledger.put_object(att.to_string().as_bytes()).unwrap(),
            ));
        }
        let results: Vec<Value> = rules
            .iter()
            .enumerate()
            .map(|(j, (id, title))| {
                let fails = failing && (j as u64 + i).is_multiple_of(9);
                let warns = !fails && j % 11 == 3;
                let findings: Vec<Value> = (0..if fails { 1 + i % 4 } else if warns { 12 } else { 0 })
                    .map(|k| json!({ "msg": format!("component-{k}@1.{k}: finding of {id}"), "details": { "purl": format!("pkg:generic/component-{k}@1.{k}"), "region": "eu-west" } }))
                    .collect();
                let status = if fails { "fail" } else if warns { "warn" } else { "pass" };
                json!({
                    "id": id, "bundle": id.split('.').next().unwrap(), "title": title, "severity": if warns { "warn" } else { "deny" },
                    "status": status, "engine": "rego",
                    "violations": if fails { Value::Array(findings.clone()) } else { json!([]) },
                    "warnings": if warns { Value::Array(findings) } else { json!([]) },
                    "waived": []
                })
            })
            .collect();
        let waivers = if i.is_multiple_of(4) {
            json!([{ "id": format!("W-{}", i % 40), "rule": "sbom.license-allowed", "scope": { "purl": "pkg:generic/busybox" },
                      "justification": "reviewed by legal", "approver": "ann@example.com",
                      "expires": format!("2026-{:02}-15", 1 + i % 12), "status": "applied", "matched": 1, "days_left": 10 }])
        } else {
            json!([])
        };
        let egress = 10_000 + i64::try_from(i % 997).unwrap() * 90;
        let inference = 5_000 + i64::try_from(i % 331).unwrap() * 40;
        let statement = json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{ "name": format!("{}-{}.bin", release.0, release.1), "digest": { "sha256": format!("{i:064x}") } }],
            "predicateType": "https://shipgate.dev/attestation/certification/v1",
            "predicate": {
                "verifier": { "name": "shipgate", "version": "0.1.0" },
                "time_verified": time,
                "release": { "name": release.0, "version": release.1 },
                "verdict": if failing { "fail" } else { "pass" },
                "bundles": bundles.iter().map(|b| json!({ "name": b.name, "version": b.version, "path": b.path, "digest": { "sha256": b.digest } })).collect::<Vec<_>>(),
                "evidence": evidence.iter().map(|(k, p, d)| json!({ "kind": k, "path": p, "digest": { "sha256": d } })).collect::<Vec<_>>(),
                "input_digest": { "sha256": format!("{:064x}", i + 7) },
                "summary": { "pass": 20, "fail": i64::from(failing), "warn": 2, "skipped": 0, "waived": 0, "error": 0 },
                "results": results,
                "waivers": waivers,
                "cost": {
                    "egress": { "regions": [
                        { "region": "eu-west", "installs": 48000, "amount": { "cents": egress / 2 } },
                        { "region": "us-east", "installs": 65000, "amount": { "cents": egress - egress / 2 } }
                    ], "total": { "cents": egress } },
                    "inference": { "lines": [{ "region": "eu-west", "amount": { "cents": inference } }], "total": { "cents": inference } },
                    "total": { "cents": egress + inference },
                    "budgets": { "egress_usd": { "limit": { "cents": 100_000 } }, "inference_usd": { "limit": { "cents": 15_000 } }, "total_usd": null }
                },
                "invocation": { "fail_on": "deny", "sbom_schema": "warn", "waiver_warning_days": 30, "rule_timeout_ms": 5000, "params": [], "engine": null, "git": { "ref": null, "sha": null, "pr": null }, "environment": "production", "waivers": null }
            }
        });
        let signed = Signed::new(statement, (i % 50 != 7).then_some(&key)).unwrap();
        let record = ledger.put_object(&signed.bytes()).unwrap();
        ledger
            .append(Entry {
                ledger_version: 1,
                seq: 0,
                prev: None,
                record,
                vsa: None,
                time,
                release: Some(EntryRelease {
                    name: release.0,
                    version: release.1,
                }),
                verdict: if failing { "fail" } else { "pass" }.into(),
                evidence: evidence
                    .into_iter()
                    .map(|(k, p, d)| StoredFile {
                        kind: Some(serde_json::from_value(json!(k)).unwrap()),
                        path: p,
                        sha256: d,
                    })
                    .collect(),
                waivers: None,
                bundles: bundles.clone(),
            })
            .unwrap();
        if (i + 1).is_multiple_of(1000) {
            eprintln!("{} records ({:.1} s)", i + 1, start.elapsed().as_secs_f64());
        }
    }
}
