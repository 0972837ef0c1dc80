//! The GitHub Action: its metadata and example workflow pass the schemas and
//! actionlint, and its entry script, run locally as a runner would, writes
//! the annotations, summary, SARIF, record and step outputs.

use std::process::Command;

use crate::{root, shipgate, transcript};

fn python_missing() -> bool {
    let missing = Command::new("python3").arg("--version").output().is_err();
    if missing {
        eprintln!(
            "\n*** SKIPPED: python3 is not installed: the action lint and entry-script tests need it ***\n"
        );
    }
    missing
}

#[test]
fn action_metadata_and_example_workflow_pass_schema_and_actionlint() {
    if python_missing() {
        return;
    }
    let out = Command::new("bash")
        .arg(root().join("tests/github_action/lint.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn entry_script_writes_outputs_summary_sarif_and_record() {
    if python_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let run = shipgate(&["keygen", "--out", keys.to_str().unwrap()]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));
    let (output, summary, results) = (
        dir.path().join("output"),
        dir.path().join("summary.md"),
        dir.path().join("results"),
    );
    let out = Command::new("bash")
        .arg(root().join("github-action/entrypoint.sh"))
        .env("GITHUB_WORKSPACE", root())
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("SHIPGATE", env!("CARGO_BIN_EXE_shipgate"))
        .env("INPUT_CONFIG", "examples/edge-agent-fail")
        .env("INPUT_ARGS", "--now 2026-11-23T00:00:00Z --no-ledger")
        .env("INPUT_OUTPUT_DIR", &results)
        .env(
            "INPUT_SIGN_KEY",
            std::fs::read_to_string(keys.join("shipgate.key")).unwrap(),
        )
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the failing example fails the step\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("::error file=examples/edge-agent-fail/"),
        "{stdout}"
    );

    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(outputs.contains("verdict=fail\n"), "{outputs}");
    let failed = outputs
        .lines()
        .find_map(|l| l.strip_prefix("failed-rules="))
        .unwrap();
    assert!(
        failed.split(',').any(|r| r == "provenance.slsa-level"),
        "{failed}"
    );
    let sarif = outputs
        .lines()
        .find_map(|l| l.strip_prefix("sarif="))
        .unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let record = outputs
        .lines()
        .find_map(|l| l.strip_prefix("record="))
        .unwrap();
    let run = shipgate(&[
        "verify",
        record,
        "--key",
        keys.join("shipgate.pub").to_str().unwrap(),
    ]);
    assert_eq!(run.0, 0, "{}", transcript(run.clone()));

    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("provenance.slsa-level"), "{summary}");
}
