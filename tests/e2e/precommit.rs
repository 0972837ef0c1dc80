//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by pre-commit itself
//! (`pre-commit try-repo`) in temporary repositories holding the example
//! releases: the passing one passes, the failing one fails naming its rules,
//! and a change to an unwatched file does not run the gate.

use std::process::Command;

use crate::root;

fn run_hook(hook: &str, cases: usize) {
    let out = Command::new("bash")
        .arg(root().join("tests/precommit/run.sh"))
        .arg(hook)
        .env("SHIPGATE", env!("CARGO_BIN_EXE_shipgate"))
        .output()
        .expect("run tests/precommit/run.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => assert_eq!(
            text.lines().filter(|l| l.starts_with("ok ")).count(),
            cases,
            "{text}"
        ),
        Some(77) => eprintln!(
            "\n==================== SKIPPED ====================\n\
             pre-commit hook `{hook}` not run:\n{text}\
             =================================================\n"
        ),
        _ => panic!("tests/precommit/run.sh {hook} failed:\n{text}"),
    }
}

#[test]
fn system_hook_gates_the_example_releases() {
    run_hook("shipgate-system", 3);
}

/// pre-commit builds the repository's root package with the machine's cargo
/// (a few minutes the first time; later runs reuse the dependencies in
/// target/precommit-build), then gates the failing release.
#[test]
fn rust_hook_builds_and_gates_the_example_releases() {
    run_hook("shipgate", 1);
}
