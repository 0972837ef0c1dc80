//! Rego and CEL must agree on the whole SBOM corpus.
//!
//! The shipped bundles carry some rules in both languages (see
//! tests/differential/README.md). Every vendored corpus SBOM that loads is
//! evaluated with each implementation, once with the bundle's defaults and
//! once with parameters under which almost everything fails (so the
//! violation-building paths run, not only the empty ones); for every rule with
//! both implementations the status and the findings must be identical.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use shipgate_engine::bundle::{Bundle, BundleLimits};
use shipgate_engine::config::Config;
use shipgate_engine::evidence::sbom::SbomOptions;
use shipgate_engine::evidence::set::{Evidence, EvidencePaths, LoadOptions};
use shipgate_engine::gate::{self, GitContext, Loaded, Plan};
use shipgate_engine::{Language, Report};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn harsh() -> Map<String, Value> {
    json!({
        "allowed_licenses": [],
        "denied_licenses": ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "GPL-3.0-only", "LGPL-2.1-or-later"],
        "banned_purls": ["pkg:npm/*", "pkg:pypi/*@*", "pkg:maven/org.apache.*", "pkg:composer/?*/*"],
        "required_fields_exempt_types": [],
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn run(
    bundle: &Bundle,
    evidence: &Evidence,
    params: &Map<String, Value>,
    lang: Language,
) -> Report {
    let plan = Plan {
        config: Config::default(),
        now: "2026-11-23T00:00:00Z".parse().unwrap(),
        git: GitContext::default(),
        prefer: Some(lang),
    };
    let loaded = Loaded {
        evidence: evidence.clone(),
        bundles: vec![(bundle.clone(), params.clone())],
        waivers: vec![],
        waivers_file: None,
        warnings: vec![],
        trusted: vec![],
    };
    gate::evaluate(&plan, &loaded)
}

#[test]
fn rego_and_cel_agree_on_every_corpus_sbom() {
    let root = workspace();
    let bundle = Bundle::load(
        &root.join("policies/sbom"),
        "policies/sbom",
        &BundleLimits::default(),
    )
    .unwrap();
    let twins: Vec<String> = bundle
        .rules
        .iter()
        .filter(|r| r.implementations.len() == 2)
        .map(|r| r.id.clone())
        .collect();
    assert!(
        twins.len() >= 3,
        "the sbom bundle should have several twin rules: {twins:?}"
    );
    let expected: Map<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/corpus/sboms/expected.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    let mut violations_seen = 0;
    let mut disagreements = Vec::new();
    for (rel, exp) in &expected {
        if exp["outcome"] != "ok" {
            continue;
        }
        let path = root.join("tests/corpus/sboms").join(rel);
        let Ok(evidence) = Evidence::load(
            &EvidencePaths::plain(None, [path.as_path()]),
            LoadOptions {
                max_bytes: u64::MAX,
                sbom: SbomOptions::default(),
                trusted: &[],
            },
        ) else {
            panic!("{rel} is expected to load");
        };
        for params in [Map::new(), harsh()] {
            let rego = run(&bundle, &evidence, &params, Language::Rego);
            let cel = run(&bundle, &evidence, &params, Language::Cel);
            for id in &twins {
                let pick = |r: &Report| {
                    let rule = r.rules.iter().find(|x| &x.id == id).unwrap();
                    assert_eq!(
                        rule.engine,
                        if std::ptr::eq(r, &rego) {
                            Language::Rego
                        } else {
                            Language::Cel
                        }
                    );
                    (
                        rule.status,
                        serde_json::to_string(&rule.violations).unwrap(),
                        rule.violations.len(),
                    )
                };
                let (a, b) = (pick(&rego), pick(&cel));
                violations_seen += a.2;
                if a.0 != b.0 || a.1 != b.1 {
                    disagreements.push(format!(
                        "{rel} {id} params={}: rego {:?} {} vs cel {:?} {}",
                        !params.is_empty(),
                        a.0,
                        a.1.chars().take(300).collect::<String>(),
                        b.0,
                        b.1.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 200, "only {checked} corpus SBOMs were checked");
    assert!(
        violations_seen > 1000,
        "the harsh parameters should produce many violations, got {violations_seen}"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
