//! From rule evaluations to per-rule statuses and the verdict.
//!
//! Evaluating never fails as a whole: a rule that cannot run is that rule's
//! `error`, and the gate fails closed. The status of each rule comes from one
//! decision table ([`status`]), the verdict from the statuses.

pub mod waiver;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Serialize;

use crate::backend::{Details, Language, RuleEval, Violation};
use crate::bundle::{Bundle, Rule, RuleSeverity};
use crate::diag::{Location, Problem};
use crate::evidence::EvidenceKind;

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// No violation.
    Pass,
    /// Violations of a `deny` rule: the gate fails.
    Fail,
    /// Violations of a `warn` rule, `warn` results, or a `deny` rule not yet in force.
    Warn,
    /// Evidence the rule needs is absent.
    Skipped,
    /// Every violation is covered by a waiver in force.
    Waived,
    /// The rule could not be evaluated: the gate fails closed.
    Error,
}

impl RuleStatus {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Pass => "pass",
            RuleStatus::Fail => "fail",
            RuleStatus::Warn => "warn",
            RuleStatus::Skipped => "skipped",
            RuleStatus::Waived => "waived",
            RuleStatus::Error => "error",
        }
    }

    /// Every status, in report order.
    pub const ALL: [RuleStatus; 6] = [
        RuleStatus::Pass,
        RuleStatus::Fail,
        RuleStatus::Warn,
        RuleStatus::Skipped,
        RuleStatus::Waived,
        RuleStatus::Error,
    ];
}

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The release may ship.
    Pass,
    /// It may not.
    Fail,
}

/// One violation or warning, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What the rule said.
    pub msg: String,
    /// The rule's details (`purl`, `artifact`, ...).
    #[serde(skip_serializing_if = "Details::is_empty")]
    pub details: Details,
    /// Where in the evidence, when it can be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The waiver that covers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
}

/// The result of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// Rule id.
    pub id: String,
    /// Bundle name.
    pub bundle: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: RuleSeverity,
    /// Outcome.
    pub status: RuleStatus,
    /// The implementation that ran.
    pub engine: Language,
    /// Why a rule is skipped, errored or only warns; empty otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Violations not covered by a waiver.
    pub violations: Vec<Finding>,
    /// Violations covered by a waiver.
    pub waived: Vec<Finding>,
    /// `warn` results.
    pub warnings: Vec<Finding>,
    /// Description, for reports.
    pub description: String,
    /// Remediation, for reports.
    pub remediation: String,
    /// Documentation link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
}

/// What `decide` needs to know about the evaluation.
pub struct DecideContext<'a> {
    /// Evidence that is present.
    pub present: &'a BTreeSet<EvidenceKind>,
    /// The evaluation date (from the pinned clock).
    pub today: Date,
    /// Where findings are in the evidence.
    pub locate: &'a dyn Fn(&Violation) -> Option<Location>,
}

/// Per-rule results of one bundle.
pub(crate) fn decide_bundle(
    bundle: &Bundle,
    evals: Vec<(Language, RuleEval)>,
    ctx: &DecideContext<'_>,
    waivers: &mut waiver::Ledger<'_>,
) -> Vec<RuleResult> {
    bundle
        .rules
        .iter()
        .zip(evals)
        .map(|(rule, (engine, eval))| {
            let missing: Vec<EvidenceKind> = rule
                .requires
                .iter()
                .copied()
                .filter(|k| !ctx.present.contains(k))
                .collect();
            let required_missing: Vec<EvidenceKind> = missing
                .iter()
                .copied()
                .filter(|k| bundle.required_evidence.contains(k))
                .collect();
            let finding = |v: Violation, waiver: Option<String>| Finding {
                location: (ctx.locate)(&v),
                msg: v.msg,
                details: v.details,
                waiver,
            };
            let mut violations = Vec::new();
            let mut waived = Vec::new();
            let mut warnings = Vec::new();
            let outcome = match eval {
                RuleEval::Error(e) => Outcome::Error(e),
                RuleEval::Ran { deny, warn } => {
                    // Made at their size: a finding is large, and a list
                    // outgrown by doubling leaves its old copies resident.
                    violations.reserve_exact(deny.len());
                    warnings.reserve_exact(warn.len());
                    for v in deny {
                        match waivers.cover(&rule.id, &v) {
                            Some(id) => waived.push(finding(v, Some(id))),
                            None => violations.push(finding(v, None)),
                        }
                    }
                    warnings.extend(warn.into_iter().map(|v| finding(v, None)));
                    Outcome::Ran
                }
            };
            // Rego sets come sorted by value, CEL lists in input order: report
            // findings in evidence order so every engine gives the same report.
            // The order is total but for findings equal in every compared part
            // (which read the same in any order), so an in-place sort does:
            // a stable one would allocate half the list again.
            for list in [&mut violations, &mut waived, &mut warnings] {
                list.sort_unstable_by(finding_order);
            }
            let (status, message) = status(
                rule,
                &outcome,
                &missing,
                &required_missing,
                ctx.today,
                &violations,
                &waived,
                &warnings,
            );
            if matches!(status, RuleStatus::Skipped | RuleStatus::Error) {
                violations.clear();
                waived.clear();
                warnings.clear();
            }
            RuleResult {
                id: rule.id.clone(),
                bundle: bundle.name.clone(),
                title: rule.title.clone(),
                severity: rule.severity,
                status,
                engine,
                message,
                violations,
                waived,
                warnings,
                description: rule.description.clone(),
                remediation: rule.remediation.clone(),
                help_uri: rule.help_uri.clone(),
            }
        })
        .collect()
}

/// Evidence order: file, line, column, then the message and details.
/// Evidence order: file, line, column, then message, then details (as JSON
/// text, made only for findings that tie on everything else).
fn finding_order(a: &Finding, b: &Finding) -> Ordering {
    fn position(f: &Finding) -> (&str, usize, usize) {
        f.location.as_ref().map_or(("", 0, 0), |l| {
            (&*l.file, l.line.unwrap_or(0), l.column.unwrap_or(0))
        })
    }
    let details = |f: &Finding| serde_json::to_string(&f.details).unwrap_or_default();
    position(a)
        .cmp(&position(b))
        .then_with(|| a.msg.cmp(&b.msg))
        .then_with(|| details(a).cmp(&details(b)))
}

enum Outcome {
    Ran,
    Error(String),
}

/// The decision table.
#[expect(
    clippy::too_many_arguments,
    reason = "one input per column of the table"
)]
fn status(
    rule: &Rule,
    outcome: &Outcome,
    missing: &[EvidenceKind],
    required_missing: &[EvidenceKind],
    today: Date,
    violations: &[Finding],
    waived: &[Finding],
    warnings: &[Finding],
) -> (RuleStatus, Option<String>) {
    let list = |ks: &[EvidenceKind]| {
        ks.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pending = rule.effective_on.filter(|d| *d > today);
    match (outcome, required_missing.is_empty(), missing.is_empty()) {
        // Evidence the bundle requires is absent: fail closed, whatever ran.
        (_, false, _) => (
            RuleStatus::Fail,
            Some(format!(
                "required evidence {} is missing",
                list(required_missing)
            )),
        ),
        // Optional evidence the rule reads is absent: nothing to judge.
        (_, true, false) => (
            RuleStatus::Skipped,
            Some(format!("no {} evidence", list(missing))),
        ),
        // The rule could not run: fail closed.
        (Outcome::Error(e), true, true) => (RuleStatus::Error, Some(e.clone())),
        (Outcome::Ran, true, true) => match (violations.is_empty(), rule.severity, pending) {
            // Violations of a deny rule that is not yet in force only warn.
            (false, RuleSeverity::Deny, Some(date)) => (
                RuleStatus::Warn,
                Some(format!(
                    "not enforced until {date}: this will fail the gate from then on"
                )),
            ),
            // Violations of a deny rule in force fail the gate.
            (false, RuleSeverity::Deny, None) => (RuleStatus::Fail, None),
            // Violations of a warn rule warn.
            (false, RuleSeverity::Warn, _) => (RuleStatus::Warn, None),
            // Every violation waived.
            (true, _, _) if !waived.is_empty() => (RuleStatus::Waived, None),
            // Only `warn` results.
            (true, _, _) if !warnings.is_empty() => (RuleStatus::Warn, None),
            // Nothing to say.
            (true, _, _) => (RuleStatus::Pass, None),
        },
    }
}

/// When the gate fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Failing deny rules and errors fail the gate.
    #[default]
    Deny,
    /// Warnings fail it too.
    Warn,
}

/// The verdict over every rule result: fail closed on any error.
pub fn verdict(rules: &[RuleResult], fail_on: FailOn) -> Verdict {
    let fails = rules.iter().any(|r| match r.status {
        RuleStatus::Fail | RuleStatus::Error => true,
        RuleStatus::Warn => fail_on == FailOn::Warn,
        RuleStatus::Pass | RuleStatus::Skipped | RuleStatus::Waived => false,
    });
    if fails { Verdict::Fail } else { Verdict::Pass }
}

/// Counts per status, for summaries.
pub fn counts(rules: &[RuleResult]) -> Vec<(RuleStatus, usize)> {
    RuleStatus::ALL
        .iter()
        .map(|s| (*s, rules.iter().filter(|r| r.status == *s).count()))
        .collect()
}

/// Problems worth carrying with a decision.
pub type Warnings = Vec<Problem>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn finding(file: &str, line: usize, msg: &str, details: Value) -> Finding {
        let mut location = Location::file(file);
        location.line = Some(line);
        location.column = Some(1);
        Finding {
            msg: msg.to_owned(),
            details: details.as_object().cloned().unwrap_or_default().into(),
            location: Some(location),
            waiver: None,
        }
    }

    #[test]
    fn findings_sort_by_position_then_message_then_details() {
        let mut list = [
            finding("b.json", 1, "x", json!({})),
            finding("a.json", 9, "x", json!({"purl": "pkg:npm/b"})),
            finding("a.json", 9, "x", json!({"purl": "pkg:npm/a"})),
            finding("a.json", 9, "w", json!({"purl": "pkg:npm/z"})),
            finding("a.json", 10, "a", json!({})),
            Finding {
                location: None,
                ..finding("", 0, "no place", json!({}))
            },
        ];
        list.sort_unstable_by(finding_order);
        let seen: Vec<(Option<usize>, &str, String)> = list
            .iter()
            .map(|f| {
                (
                    f.location.as_ref().and_then(|l| l.line),
                    f.msg.as_str(),
                    serde_json::to_string(&f.details).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (None, "no place", "{}".to_owned()),
                (Some(9), "w", r#"{"purl":"pkg:npm/z"}"#.to_owned()),
                (Some(9), "x", r#"{"purl":"pkg:npm/a"}"#.to_owned()),
                (Some(9), "x", r#"{"purl":"pkg:npm/b"}"#.to_owned()),
                (Some(10), "a", "{}".to_owned()),
                (Some(1), "x", "{}".to_owned()),
            ]
        );
    }
}
