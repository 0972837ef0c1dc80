//! End-to-end tests of the `shipgate` binary: exit code, stdout and stderr,
//! snapshotted with insta (paths, digests and timings filtered).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (tests run from `cli/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `shipgate` in the repository root with a pinned clock and no colour.
fn shipgate(args: &[&str]) -> (i32, String, String) {
    shipgate_in(&root(), args)
}

fn shipgate_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut args: Vec<&str> = args.to_vec();
    // Checks would append to the examples' own ledgers: tests that are about
    // the ledger name one in a temporary directory.
    if args.first() == Some(&"check")
        && !args
            .iter()
            .any(|a| a.starts_with("--ledger") || *a == "--no-ledger")
    {
        args.push("--no-ledger");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(&args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_REF")
        .env_remove("GITHUB_SHA")
        .output()
        .expect("run shipgate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Snapshot text: exit code, stdout, stderr.
fn transcript(run: (i32, String, String)) -> String {
    let (code, stdout, stderr) = run;
    format!("exit code: {code}\n----- stdout -----\n{stdout}\n----- stderr -----\n{stderr}")
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"[0-9a-f]{64}", "[sha256]"),
                (r"sha256:[0-9a-f]{12}…", "sha256:[digest]…"),
                (r"/tmp/[^\s`'\x22]+", "[tmp]"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

// After `snapshot!`, which they use.
mod action;
mod dashboard;
mod evidence;
mod precommit;
mod records;

/// Fails unless `value` is valid against the schema at `schema` (repo-relative).
fn assert_valid(schema: &str, value: &serde_json::Value) {
    let text = std::fs::read_to_string(root().join(schema)).unwrap();
    let schema_value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema_value).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema}: {errors:#?}");
}

/// Fails unless `log` is valid against the official SARIF 2.1.0 schema.
///
/// The official schema has a pattern that is not a valid ECMA-262 regular
/// expression in Unicode mode (`language`, twice: a stray `]`), which makes
/// jsonschema refuse to compile it. It is escaped here, in memory, to the
/// literal `]` it means in non-Unicode mode, so the file stays verbatim; the
/// assertion notices when upstream fixes it.
fn assert_valid_sarif(log: &serde_json::Value) {
    const BROKEN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    const ESCAPED: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#;
    let text = std::fs::read_to_string(root().join("tests/schemas/sarif-2.1.0.json")).unwrap();
    assert!(
        text.contains(BROKEN),
        "the SARIF schema's `language` pattern changed"
    );
    let schema: serde_json::Value = serde_json::from_str(&text.replace(BROKEN, ESCAPED)).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF: {errors:#?}");
}

const NOW: &str = "--now=2026-11-23T00:00:00Z";

#[test]
fn passing_example_passes() {
    let run = shipgate(&["check", "examples/edge-agent-pass", NOW]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    snapshot!("check_pass_text", transcript(run));
}

#[test]
fn failing_example_fails_with_every_status() {
    let run = shipgate(&["check", "examples/edge-agent-fail", NOW]);
    assert_eq!(run.0, 1, "{}", transcript(run.clone()));
    for status in ["FAIL", "pass", "warn", "waived"] {
        assert!(run.1.contains(status), "no `{status}` in:\n{}", run.1);
    }
    snapshot!("check_fail_text", transcript(run));
}

#[test]
fn json_report_is_valid_against_its_schema() {
    let run = shipgate(&["check", "examples/edge-agent-fail", NOW, "--format", "json"]);
    assert_eq!(run.0, 1, "{}", run.2);
    let report: serde_json::Value = serde_json::from_str(&run.1).expect("JSON on stdout");
    assert_eq!(report["verdict"], "fail");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("report schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    snapshot!("check_fail_json", run.1);
}

#[test]
fn same_evidence_same_report_bytes() {
    let a = shipgate(&["check", "examples/edge-agent-fail", NOW, "--format", "json"]);
    let b = shipgate(&["check", "examples/edge-agent-fail", NOW, "--format", "json"]);
    assert_eq!(a.1, b.1);
}

/// A conftest-style bundle (one rule, a package whose `deny` and `warn` sets
/// have many bodies) is evaluated in parts when there are more worker threads
/// than rules: the report must not depend on it.
#[test]
fn a_set_evaluated_in_parts_gives_the_same_report_bytes() {
    let run = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_shipgate"))
            .args([
                "check",
                "--no-ledger",
                NOW,
                "--format",
                "json",
                "--sbom",
                "examples/edge-agent-pass/sbom/python-venv-50pkgs.cdx1.6.json",
                "--sbom",
                "examples/edge-agent-pass/sbom/python-venv-50pkgs.spdx2.3.llvfix.json",
                "--bundle",
                "tests/e2e/fixtures/conftest-style",
            ])
            .current_dir(root())
            .env("SHIPGATE_EVAL_THREADS", threads)
            .env("NO_COLOR", "1")
            .output()
            .expect("run shipgate");
        assert_eq!(out.status.code(), Some(1), "{threads} threads");
        String::from_utf8(out.stdout).unwrap()
    };
    let whole = run("1");
    let report: serde_json::Value = serde_json::from_str(&whole).unwrap();
    let rule = &report["rules"][0];
    let count = |set: &str, what: &str| {
        rule[set]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["msg"].as_str().unwrap().ends_with(what))
            .count()
    };
    // Two bodies give "no supplier" for the same components: a set holds it once.
    assert_eq!(count("violations", ": no supplier"), 56);
    assert_eq!(count("violations", ": no SPDX license expression"), 41);
    assert_eq!(count("violations", ": name starts with s"), 12);
    assert_eq!(count("warnings", ": version below 1"), 5);
    assert_eq!(count("warnings", ": more than one license"), 4);
    for threads in ["2", "3", "8"] {
        assert_eq!(run(threads), whole, "{threads} threads");
    }
}

#[test]
fn cel_and_rego_implementations_give_the_same_verdict_on_the_examples() {
    for example in ["examples/edge-agent-pass", "examples/edge-agent-fail"] {
        let rego = shipgate(&[
            "check", example, NOW, "--format", "json", "--engine", "rego",
        ]);
        let cel = shipgate(&["check", example, NOW, "--format", "json", "--engine", "cel"]);
        let strip = |s: &str| {
            let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
            for r in v["rules"].as_array_mut().unwrap() {
                r.as_object_mut().unwrap().remove("engine");
            }
            v
        };
        assert_eq!(strip(&rego.1), strip(&cel.1), "{example}");
    }
}

#[test]
fn bundle_tests_pass() {
    let bundles = [
        "sbom",
        "provenance",
        "cost",
        "privacy",
        "residency",
        "model",
    ];
    let shipped: Vec<String> = std::fs::read_dir(root().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for b in &shipped {
        assert!(
            bundles.contains(&b.as_str()),
            "policies/{b} is not tested here"
        );
    }
    let paths: Vec<String> = bundles.iter().map(|b| format!("policies/{b}")).collect();
    let mut args = vec!["test"];
    args.extend(paths.iter().map(String::as_str));
    let run = shipgate(&args);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    for b in bundles {
        assert!(
            run.1.contains(&format!("{b}: ")),
            "{b} did not run:\n{}",
            run.1
        );
    }
}

#[test]
fn failing_bundle_test_fails() {
    let run = shipgate(&["test", "tests/e2e/fixtures/bundle-wrong-expectation"]);
    assert_eq!(run.0, 1);
    snapshot!("test_wrong_expectation", transcript(run));
}

#[test]
fn input_errors_exit_2_with_positions() {
    let cases = [
        ("bad_json", "tests/e2e/fixtures/bad-json"),
        ("bad_manifest", "tests/e2e/fixtures/bad-manifest"),
        ("rego_syntax", "tests/e2e/fixtures/rego-syntax"),
        ("waiver_unknown_rule", "tests/e2e/fixtures/waiver-typo"),
        ("config_unknown_key", "tests/e2e/fixtures/config-typo"),
        ("missing_evidence", "tests/e2e/fixtures/missing-evidence"),
    ];
    for (name, dir) in cases {
        let run = shipgate(&["check", dir, NOW]);
        assert_eq!(run.0, 2, "{name}: {}", transcript(run.clone()));
        assert!(run.1.is_empty(), "{name}: nothing on stdout");
        snapshot!(format!("input_error_{name}"), transcript(run));
    }
}

#[test]
fn evaluation_errors_exit_3_and_fail_closed() {
    let run = shipgate(&[
        "check",
        "tests/e2e/fixtures/eval-error",
        NOW,
        "--rule-timeout-ms",
        "500",
    ]);
    assert_eq!(run.0, 3, "{}", transcript(run.clone()));
    snapshot!("eval_error", transcript(run));
}

#[test]
fn no_configuration_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = shipgate_in(dir.path(), &["check", NOW]);
    assert_eq!(run.0, 2);
    assert!(run.2.contains("no configuration"), "{}", run.2);
}

#[test]
fn flags_override_the_configuration() {
    // The passing example fails when warnings fail the gate.
    let run = shipgate(&[
        "check",
        "examples/edge-agent-fail",
        NOW,
        "--fail-on",
        "warn",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&run.1).unwrap();
    assert_eq!(report["verdict"], "fail");
    // --sbom replaces the configured SBOMs.
    let run = shipgate(&[
        "check",
        "examples/edge-agent-pass",
        NOW,
        "--format",
        "json",
        "--sbom",
        "tests/corpus/sboms/generated/python-venv-50pkgs.cdx1.5.json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&run.1).unwrap();
    let files: Vec<&str> = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "sbom")
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["tests/corpus/sboms/generated/python-venv-50pkgs.cdx1.5.json"]
    );
}

#[test]
fn init_writes_a_starting_point_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let run = shipgate(&["init", d]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    for f in [
        "shipgate.toml",
        "waivers.toml",
        ".github/workflows/shipgate.yml",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} not written");
    }
    // The configuration it writes is one shipgate reads (the evidence it
    // names does not exist yet: that is the next step, and says so).
    let run = shipgate(&["check", d, NOW]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
    assert!(run.2.contains("evidence-missing"), "{}", run.2);
    let run = shipgate(&["init", d]);
    assert_eq!(run.0, 2);
    assert!(run.2.contains("not overwriting"), "{}", run.2);
}

#[test]
fn completions_and_man_pages() {
    let run = shipgate(&["completions", "bash"]);
    assert_eq!(run.0, 0);
    assert!(
        run.1.contains("shipgate") && run.1.contains("replay"),
        "{}",
        run.1
    );
    let dir = tempfile::tempdir().unwrap();
    let run = shipgate(&["man", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    let page = std::fs::read_to_string(dir.path().join("shipgate.1")).unwrap();
    assert!(page.contains(".TH shipgate"), "{page}");
    assert!(dir.path().join("shipgate-check.1").is_file());
}

#[test]
fn ci_formats_of_the_failing_example() {
    for format in ["sarif", "junit", "github", "markdown"] {
        let run = shipgate(&["check", "examples/edge-agent-fail", NOW, "--format", format]);
        assert_eq!(run.0, 1, "{format}: {}", transcript(run.clone()));
        snapshot!(format!("check_fail_{format}"), transcript(run));
    }
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    for example in ["examples/edge-agent-pass", "examples/edge-agent-fail"] {
        let run = shipgate(&["check", example, NOW, "--format", "sarif"]);
        let log: serde_json::Value = serde_json::from_str(&run.1).expect("SARIF on stdout");
        assert_valid_sarif(&log);
        // Every rule is described, whatever its status.
        let json = shipgate(&["check", example, NOW, "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&json.1).unwrap();
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            report["rules"].as_array().unwrap().len(),
            "{example}"
        );
    }
}

/// Per-bundle `NAME TESTS FAILURES ERRORS SKIPPED` lines from junitparser,
/// or `None` (after a loud banner) when Python is not available.
fn junitparser_counts(file: &Path) -> Option<String> {
    let out = Command::new("bash")
        .arg(root().join("tests/junit/run.sh"))
        .arg(file)
        .output()
        .expect("run tests/junit/run.sh");
    match out.status.code() {
        Some(0) => Some(String::from_utf8(out.stdout).unwrap()),
        Some(77) => {
            eprintln!(
                "\n==================== SKIPPED ====================\n\
                 JUnit round trip through junitparser not run:\n{}\
                 =================================================\n",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
        _ => panic!(
            "tests/junit/run.sh failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The same lines, counted from the JSON report.
fn expected_junit_counts(report: &serde_json::Value) -> String {
    let mut out = String::new();
    for b in report["bundles"].as_array().unwrap() {
        let rules: Vec<&serde_json::Value> = report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["bundle"] == b["name"])
            .collect();
        let count = |s: &str| rules.iter().filter(|r| r["status"] == s).count();
        out.push_str(&format!(
            "{} {} {} {} {}\n",
            b["name"].as_str().unwrap(),
            rules.len(),
            count("fail"),
            count("error"),
            count("skipped")
        ));
    }
    out
}

#[test]
fn junit_round_trips_through_junitparser() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 3] = [
        &["check", "examples/edge-agent-pass", NOW],
        &["check", "examples/edge-agent-fail", NOW],
        &[
            "check",
            "tests/e2e/fixtures/eval-error",
            NOW,
            "--rule-timeout-ms",
            "500",
        ],
    ];
    for (i, args) in cases.iter().enumerate() {
        let xml = dir.path().join(format!("{i}.xml"));
        let output = format!("junit={}", xml.display());
        let mut args = args.to_vec();
        args.extend(["--format", "json", "--output", &output]);
        let run = shipgate(&args);
        let report: serde_json::Value = serde_json::from_str(&run.1).expect("JSON on stdout");
        let Some(counts) = junitparser_counts(&xml) else {
            return;
        };
        assert_eq!(counts, expected_junit_counts(&report), "{args:?}");
    }
}

#[test]
fn outputs_write_more_formats_from_one_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let junit = dir.path().join("out.xml");
    let run = shipgate(&[
        "check",
        "examples/edge-agent-fail",
        NOW,
        "--format",
        "json",
        "--output",
        &format!("sarif={}", sarif.display()),
        "--output",
        &format!("junit={}", junit.display()),
    ]);
    assert_eq!(run.0, 1, "{}", transcript(run.clone()));
    // stdout keeps --format.
    let report: serde_json::Value = serde_json::from_str(&run.1).expect("JSON on stdout");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_valid_sarif(&log);
    let failing = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .count();
    let errors = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "error")
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(errors.len(), failing);
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .starts_with("<?xml")
    );
    if let Some(counts) = junitparser_counts(&junit) {
        assert_eq!(counts, expected_junit_counts(&report));
    }
}

#[test]
fn bad_outputs_are_usage_errors() {
    let run = shipgate(&[
        "check",
        "examples/edge-agent-fail",
        NOW,
        "--output",
        "xml=a.xml",
    ]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
    assert!(run.1.is_empty());
    assert!(run.2.contains("unknown output format `xml`"), "{}", run.2);
    let run = shipgate(&[
        "check",
        "examples/edge-agent-fail",
        NOW,
        "--output",
        "sarif",
    ]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/out.sarif");
    let ledger = dir.path().join("ledger");
    let run = shipgate(&[
        "check",
        "examples/edge-agent-fail",
        NOW,
        "--ledger",
        ledger.to_str().unwrap(),
        "--output",
        &format!("sarif={}", missing.display()),
    ]);
    assert_eq!(run.0, 2, "{}", transcript(run.clone()));
    assert!(run.1.is_empty(), "nothing on stdout when an output fails");
    assert!(run.2.contains("cannot write the sarif report"), "{}", run.2);
    assert!(!ledger.exists(), "no record of a run whose outputs failed");
}
