//! `shipgate test BUNDLE`: a bundle's own unit tests, like `opa test`.
//!
//! Each case gives a (partial) policy input and the expected result per rule.
//! Every implementation of a rule runs: a rule written in both Rego and CEL
//! is evaluated in both, each must meet the expectation, and the two must
//! report the same violations (differential testing inside the bundle).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Bundle, BundleLimits};
use crate::backend::{Language, PreparedInput, RuleEval};
use crate::decision::{self, DecideContext, RuleStatus, waiver};
use crate::diag::{Code, Problem, Problems, Severity};
use crate::evidence::EvidenceKind;
use crate::schema::{self, SchemaId};

/// The clock of a test case that does not set `context.now`.
pub const DEFAULT_NOW: &str = "2026-01-01T00:00:00Z";

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TestFile {
    Many { cases: Vec<Case> },
    One(Case),
}

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    input: Map<String, Value>,
    #[serde(default)]
    params: Map<String, Value>,
    expect: BTreeMap<String, Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expect {
    Status(RuleStatus),
    Detailed {
        status: RuleStatus,
        #[serde(default)]
        violations: Option<usize>,
        #[serde(default)]
        messages: Vec<String>,
    },
}

impl<'de> Deserialize<'de> for RuleStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RuleStatus::ALL
            .iter()
            .copied()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown status `{s}`")))
    }
}

/// One case run with one implementation.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Test file, relative to the bundle.
    pub file: String,
    /// Case name.
    pub name: String,
    /// Implementation that ran.
    pub engine: Language,
    /// Mismatches; empty when the case passed.
    pub failures: Vec<String>,
}

/// The results of one bundle's tests.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// Bundle name.
    pub bundle: String,
    /// Bundle digest.
    pub digest: String,
    /// Every case × implementation.
    pub cases: Vec<CaseResult>,
    /// Rules no case names.
    pub untested_rules: Vec<String>,
}

impl TestReport {
    /// Did every case pass?
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.failures.is_empty())
    }

    /// Human text.
    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_owned()
            }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} (sha256:{}…)",
            self.bundle,
            self.digest.get(..12).unwrap_or_default()
        );
        for c in &self.cases {
            let mark = if c.failures.is_empty() {
                paint("32", "PASS")
            } else {
                paint("1;31", "FAIL")
            };
            let _ = writeln!(
                out,
                "  {mark} {} [{}] {}",
                c.file,
                c.engine.as_str(),
                c.name
            );
            for f in &c.failures {
                let _ = writeln!(out, "         {f}");
            }
        }
        for r in &self.untested_rules {
            let _ = writeln!(out, "  {} rule `{r}` has no test case", paint("33", "note"));
        }
        let failed = self.cases.iter().filter(|c| !c.failures.is_empty()).count();
        let _ = writeln!(
            out,
            "{}: {} passed, {failed} failed\n",
            self.bundle,
            self.cases.len() - failed
        );
        out
    }
}

/// Loads the bundle at `dir` and runs its tests.
pub fn run(dir: &Path, display: &str) -> Result<TestReport, Problems> {
    let bundle = Bundle::load(dir, display, &BundleLimits::default())?;
    let mut problems = Problems::default();
    let mut cases = Vec::new();
    for f in bundle
        .files
        .iter()
        .filter(|f| f.path.starts_with("tests/") && f.path.ends_with(".json"))
    {
        let value = match crate::json::parse(&f.source) {
            Ok(v) => v,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let violations = schema::validate(
            SchemaId::BundleTest,
            &value,
            &f.source,
            Code::BundleTestInvalid,
            Severity::Error,
        );
        if !violations.is_empty() {
            problems.extend(violations);
            continue;
        }
        match serde_json::from_value::<TestFile>(value) {
            Ok(TestFile::Many { cases: cs }) => {
                cases.extend(cs.into_iter().map(|c| (f.path.clone(), c)))
            }
            Ok(TestFile::One(c)) => cases.push((f.path.clone(), c)),
            Err(e) => problems.push(Problem::error(
                Code::BundleTestInvalid,
                format!("`{}`: {e}", f.source.display()),
            )),
        }
    }
    let known: BTreeSet<&str> = bundle.rules.iter().map(|r| r.id.as_str()).collect();
    for (file, case) in &cases {
        for id in case.expect.keys().filter(|id| !known.contains(id.as_str())) {
            let help = match crate::text::closest(id, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "expectations name rules of this bundle".to_owned(),
            };
            problems.push(
                Problem::error(
                    Code::BundleTestInvalid,
                    format!(
                        "test case `{}` in `{file}` expects unknown rule `{id}`",
                        case.name
                    ),
                )
                .with_help(help),
            );
        }
    }
    problems.into_result()?;
    if cases.is_empty() {
        return Err(Problem::error(
            Code::BundleTestInvalid,
            format!("bundle `{display}` has no tests"),
        )
        .with_help("add test cases as tests/*.json; see docs/bundles.md")
        .into());
    }
    let tested: BTreeSet<&str> = cases
        .iter()
        .flat_map(|(_, c)| c.expect.keys().map(String::as_str))
        .collect();
    let untested_rules = bundle
        .rules
        .iter()
        .filter(|r| !tested.contains(r.id.as_str()))
        .map(|r| r.id.clone())
        .collect();
    let languages: BTreeSet<Language> = bundle
        .rules
        .iter()
        .flat_map(|r| r.implementations.iter().copied())
        .collect();
    let mut results = Vec::new();
    for (file, case) in &cases {
        let (doc, present) = fill(&case.input);
        let now = doc
            .pointer("/context/now")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_NOW)
            .parse::<jiff::Timestamp>();
        let today = match now {
            Ok(t) => t.to_zoned(jiff::tz::TimeZone::UTC).date(),
            Err(e) => {
                results.push(CaseResult {
                    file: file.clone(),
                    name: case.name.clone(),
                    engine: bundle.engine,
                    failures: vec![format!("context.now is not RFC 3339: {e}")],
                });
                continue;
            }
        };
        let input = Arc::new(PreparedInput::new(doc));
        let mut by_lang: BTreeMap<Language, Vec<decision::RuleResult>> = BTreeMap::new();
        for lang in &languages {
            let evals: Vec<(Language, RuleEval)> =
                bundle.evaluate(&input, &case.params, Some(*lang), Default::default());
            let none = |_: &crate::backend::Violation| None;
            let ctx = DecideContext {
                present: &present,
                today,
                locate: &none,
            };
            let mut ledger = waiver::Ledger::new(&[], today, 0);
            let rules = decision::decide_bundle(&bundle, evals, &ctx, &mut ledger);
            let mut failures = Vec::new();
            for (id, expect) in &case.expect {
                let Some(r) = rules.iter().find(|r| r.id == *id) else {
                    continue;
                };
                // A rule without this implementation ran its other one: it is
                // checked in that implementation's pass.
                if r.engine != *lang {
                    continue;
                }
                failures.extend(check(r, expect));
            }
            results.push(CaseResult {
                file: file.clone(),
                name: case.name.clone(),
                engine: *lang,
                failures,
            });
            by_lang.insert(*lang, rules);
        }
        if let (Some(rego), Some(cel)) = (by_lang.get(&Language::Rego), by_lang.get(&Language::Cel))
        {
            let mut diffs = Vec::new();
            for (a, b) in rego.iter().zip(cel) {
                if a.engine == Language::Rego && b.engine == Language::Cel {
                    let key = |r: &decision::RuleResult| {
                        let mut v: Vec<String> = r
                            .violations
                            .iter()
                            .map(|f| json!({"msg": f.msg, "details": f.details}).to_string())
                            .collect();
                        v.sort();
                        (r.status, v)
                    };
                    if key(a) != key(b) {
                        diffs.push(format!(
                            "rule `{}`: Rego and CEL disagree: rego {:?} vs cel {:?}",
                            a.id,
                            key(a),
                            key(b)
                        ));
                    }
                }
            }
            if !diffs.is_empty() {
                results.push(CaseResult {
                    file: file.clone(),
                    name: format!("{} (differential)", case.name),
                    engine: Language::Cel,
                    failures: diffs,
                });
            }
        }
    }
    Ok(TestReport {
        bundle: bundle.name.clone(),
        digest: bundle.digest.clone(),
        cases: results,
        untested_rules,
    })
}

fn check(r: &decision::RuleResult, expect: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    let (status, count, messages) = match expect {
        Expect::Status(s) => (*s, None, &[][..]),
        Expect::Detailed {
            status,
            violations,
            messages,
        } => (*status, *violations, messages.as_slice()),
    };
    let found: Vec<&str> = r
        .violations
        .iter()
        .chain(&r.warnings)
        .map(|f| f.msg.as_str())
        .collect();
    if r.status != status {
        let why = r
            .message
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        out.push(format!(
            "rule `{}`: expected {}, got {}{why}; messages: {found:?}",
            r.id,
            status.as_str(),
            r.status.as_str()
        ));
    }
    if let Some(n) = count {
        let got = r.violations.len() + r.warnings.len();
        if got != n {
            out.push(format!(
                "rule `{}`: expected {n} violation(s), got {got}: {found:?}",
                r.id
            ));
        }
    }
    for m in messages {
        if !found.iter().any(|f| f.contains(m.as_str())) {
            out.push(format!(
                "rule `{}`: no message contains `{m}`; messages: {found:?}",
                r.id
            ));
        }
    }
    out
}

/// A full input document from a partial one, and the evidence it holds.
fn fill(partial: &Map<String, Value>) -> (Value, BTreeSet<EvidenceKind>) {
    let mut present = BTreeSet::new();
    let get = |k: &str| partial.get(k).filter(|v| !v.is_null());
    if get("release").is_some() {
        present.insert(EvidenceKind::Manifest);
    }
    if get("sboms")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        present.insert(EvidenceKind::Sbom);
    }
    if get("cost").is_some() {
        present.insert(EvidenceKind::Cost);
    }
    if get("vulns").is_some() {
        present.insert(EvidenceKind::Vulns);
    }
    let att = get("attestations").cloned().unwrap_or_else(|| json!({}));
    for (key, kind) in [
        ("privacy", EvidenceKind::Privacy),
        ("residency", EvidenceKind::Residency),
        ("provenance", EvidenceKind::Provenance),
    ] {
        if att
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            present.insert(kind);
        }
    }
    let mut context = json!({ "now": DEFAULT_NOW, "git": { "ref": null, "sha": null, "pr": null }, "environment": null });
    if let (Some(Value::Object(given)), Some(c)) = (get("context"), context.as_object_mut()) {
        for (k, v) in given {
            c.insert(k.clone(), v.clone());
        }
    }
    let mut attestations = json!({ "privacy": [], "residency": [], "provenance": [] });
    if let (Value::Object(given), Some(a)) = (att, attestations.as_object_mut()) {
        for (k, v) in given {
            a.insert(k, v);
        }
    }
    let doc = json!({
        "release": get("release").cloned().unwrap_or(Value::Null),
        "sboms": get("sboms").cloned().unwrap_or_else(|| json!([])),
        "cost": get("cost").cloned().unwrap_or(Value::Null),
        "attestations": attestations,
        "vulns": get("vulns").cloned().unwrap_or_else(|| json!([])),
        "context": context,
    });
    (doc, present)
}
