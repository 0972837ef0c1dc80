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
    let out = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(args)
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

const NOW: &str = "--now=2026-11-23T00:00:00Z";

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
