//! SBOMs no one on this project wrote, loaded end to end.
//!
//! `tests/corpus/sboms/` is a vendored subset of the SBOM corpus (origins in
//! its ORIGIN.md) with the expected outcome of every file in `expected.json`;
//! CI runs on it. The full corpus lives outside the repository: when present
//! (`$SHIPGATE_SBOM_CORPUS`, or `corpus/sboms` under the `shared` directory
//! beside the workspace), every file in it must load, or fail with a
//! diagnostic that has a code, a message and, for JSON, a location.

#![cfg(test)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use shipgate_engine::evidence::sbom::{self, SbomOptions};
use shipgate_engine::{Code, Problem, Severity, SourceFile};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("engine/ has a parent")
        .to_path_buf()
}

/// Files under `dir`, relative and with `/` separators, sorted.
fn walk(dir: &Path) -> Vec<String> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                go(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out.sort();
    out
}

/// What loading one file gave.
struct Outcome {
    result: Result<(usize, Vec<Problem>), Vec<Problem>>,
    elapsed: Duration,
}

impl Outcome {
    fn problems(&self) -> &[Problem] {
        match &self.result {
            Ok((_, w)) => w,
            Err(p) => p,
        }
    }

    fn warnings(&self, code: Option<Code>) -> usize {
        self.problems()
            .iter()
            .filter(|p| p.severity == Severity::Warning && code.is_none_or(|c| p.code == c))
            .count()
    }

    fn first_error(&self) -> Option<&Problem> {
        self.problems().iter().find(|p| p.is_error())
    }

    fn summary(&self) -> String {
        match &self.result {
            Ok((n, w)) => format!("ok, {n} components, {} warnings", w.len()),
            Err(_) => match self.first_error() {
                Some(e) => format!("error {}: {}", e.code, e.message),
                None => "error without an error problem".to_owned(),
            },
        }
    }
}

fn load(path: &Path, display: &str) -> Outcome {
    let start = Instant::now();
    let result = match SourceFile::read(
        path,
        display,
        shipgate_engine::source::DEFAULT_MAX_FILE_BYTES,
    ) {
        Err(p) => Err(vec![p]),
        Ok(file) => match sbom::load(&file, SbomOptions::default()) {
            Ok((sbom, warnings)) => Ok((sbom.components.len(), warnings)),
            Err(problems) => Err(problems.0),
        },
    };
    Outcome {
        result,
        elapsed: start.elapsed(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    outcome: String,
    #[serde(default)]
    components: Option<usize>,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    warnings_min: usize,
    /// When set, `warnings_min` counts only warnings of this code.
    #[serde(default)]
    warning_code: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

fn code_named(name: &str) -> Code {
    *Code::ALL
        .iter()
        .find(|c| c.as_str() == name)
        .unwrap_or_else(|| panic!("expected.json names unknown code `{name}`"))
}

fn check(expected: &Expected, got: &Outcome) -> Result<(), String> {
    match (expected.outcome.as_str(), &got.result) {
        ("ok", Ok((n, _))) => {
            if let Some(want) = expected.components
                && *n != want
            {
                return Err(format!("{n} components, expected {want}"));
            }
            let code = expected.warning_code.as_deref().map(code_named);
            let warnings = got.warnings(code);
            if warnings < expected.warnings_min {
                return Err(format!(
                    "{warnings} warnings{}, expected at least {}",
                    code.map(|c| format!(" of `{c}`")).unwrap_or_default(),
                    expected.warnings_min
                ));
            }
            Ok(())
        }
        ("error", Err(_)) => {
            let want = expected.error_code.as_deref().map(code_named);
            match (want, got.first_error()) {
                (_, None) => Err("failed without an error problem".to_owned()),
                (Some(want), Some(e)) if e.code != want => {
                    Err(format!("failed with `{}`, expected `{want}`", e.code))
                }
                _ => Ok(()),
            }
        }
        ("ok", Err(_)) | ("error", Ok(_)) => Err(format!("expected {}", expected.outcome)),
        (other, _) => Err(format!("unknown expected outcome `{other}`")),
    }
}

#[test]
fn vendored_corpus_matches_expectations() {
    let dir = workspace().join("tests/corpus/sboms");
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    let expected: BTreeMap<String, Expected> = serde_json::from_str(&text).unwrap();
    let files: Vec<String> = walk(&dir)
        .into_iter()
        .filter(|f| {
            !matches!(
                f.as_str(),
                "expected.json" | "ORIGIN.md" | "make_expected.py"
            )
        })
        .collect();
    assert!(files.len() > 100, "only {} vendored files", files.len());

    let mut table = String::new();
    let mut failures = 0;
    let mut slowest: Vec<(Duration, &str)> = Vec::new();
    for f in &files {
        let got = load(&dir.join(f), f);
        slowest.push((got.elapsed, f));
        let verdict = match expected.get(f) {
            None => Err("no expectation in expected.json".to_owned()),
            Some(e) => check(e, &got),
        };
        if let Err(why) = &verdict {
            failures += 1;
            let _ = writeln!(table, "FAIL {f}\n     {why}\n     got: {}", got.summary());
        }
    }
    for name in expected.keys() {
        if !files.contains(name) {
            failures += 1;
            let _ = writeln!(table, "FAIL {name}\n     expected but not vendored");
        }
    }
    // Visible with --nocapture: how long the slowest files take (the largest,
    // npm-bigmix.cdx1.6.json with 4535 components, is the one to watch).
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    for (elapsed, f) in slowest.iter().take(3) {
        eprintln!("load+normalize {f}: {elapsed:?}");
    }
    assert!(
        failures == 0,
        "{failures} of {} corpus files differ:\n{table}",
        files.len()
    );
}

/// The full corpus, when this machine has it.
fn full_corpus() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SHIPGATE_SBOM_CORPUS") {
        return Some(PathBuf::from(dir));
    }
    let beside = workspace().parent()?.join("shared/corpus/sboms");
    beside.is_dir().then_some(beside)
}

#[derive(Deserialize)]
struct IndexEntry {
    path: String,
    format: String,
    components: Option<usize>,
}

#[test]
fn full_corpus_loads_or_fails_with_a_located_diagnostic() {
    let Some(dir) = full_corpus() else {
        eprintln!(
            "\n*** SKIPPED full_corpus_loads_or_fails_with_a_located_diagnostic: no SBOM corpus at \
             ../shared/corpus/sboms; set SHIPGATE_SBOM_CORPUS to run it ***\n"
        );
        return;
    };
    let index: Vec<IndexEntry> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let index: BTreeMap<&str, &IndexEntry> = index.iter().map(|e| (e.path.as_str(), e)).collect();
    let files: Vec<String> = walk(&dir)
        .into_iter()
        .filter(|f| !matches!(f.as_str(), "INDEX.md" | "index.json") && !f.ends_with("ORIGIN.txt"))
        .collect();

    let mut table = String::new();
    let mut failures = 0;
    let (mut loaded, mut refused) = (0, 0);
    let start = Instant::now();
    for f in &files {
        let got = load(&dir.join(f), f);
        let json = !(f.ends_with(".spdx") || f.ends_with(".yaml"));
        let problem = match &got.result {
            Ok((n, _)) => {
                loaded += 1;
                // Where the index counts what we count (CycloneDX components,
                // SPDX 2 packages), the numbers must agree.
                match index.get(f.as_str()) {
                    Some(e)
                        if (e.format.starts_with("CycloneDX") || e.format == "SPDX JSON")
                            && e.components.is_some_and(|c| c != *n) =>
                    {
                        Some(format!(
                            "{n} components, index.json says {:?}",
                            e.components
                        ))
                    }
                    _ => None,
                }
            }
            Err(problems) => {
                refused += 1;
                match got.first_error() {
                    None => Some("failed without an error problem".to_owned()),
                    Some(e) if e.message.is_empty() => Some("error without a message".to_owned()),
                    Some(e) if json && e.location.is_none() => {
                        Some(format!("`{}` error without a location", e.code))
                    }
                    Some(_) if problems.is_empty() => Some("no problems".to_owned()),
                    Some(_) => None,
                }
            }
        };
        let _ = writeln!(
            table,
            "{} {f} ({} ms): {}",
            if problem.is_some() { "FAIL" } else { "  ok" },
            got.elapsed.as_millis(),
            got.summary()
        );
        if let Some(why) = problem {
            failures += 1;
            let _ = writeln!(table, "     {why}");
        }
    }
    eprintln!(
        "full SBOM corpus: {} files, {loaded} loaded, {refused} refused, {:?}",
        files.len(),
        start.elapsed()
    );
    assert!(failures == 0, "{failures} corpus files misbehave:\n{table}");
    if std::env::var_os("SHIPGATE_CORPUS_TABLE").is_some() {
        eprintln!("{table}");
    }
}
