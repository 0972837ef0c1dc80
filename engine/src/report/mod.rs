//! Rendering a [`Report`]: every output format behind one trait.
//!
//! Renderers are pure functions of the report, so one evaluation can be
//! written in several formats at once and the front end only picks a
//! [`Format`]. None of them writes a timestamp or a duration: the same report
//! renders to the same bytes, which keeps CI artefacts diffable.

mod github;
mod junit;
mod markdown;
mod sarif;
mod text;

use std::fmt;
use std::str::FromStr;

use crate::decision::{Finding, RuleResult};
use crate::gate::Report;

pub use github::Github;
pub use junit::Junit;
pub use markdown::Markdown;
pub use sarif::Sarif;
pub use text::Text;

/// An output format.
pub trait Reporter {
    /// Renders the report.
    fn render(&self, report: &Report) -> String;
}

/// `--format json`: the report as documented in `schemas/report.schema.json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Reporter for Json {
    fn render(&self, report: &Report) -> String {
        match serde_json::to_string_pretty(report) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            Err(e) => format!("{{\"error\": \"cannot serialize the report: {e}\"}}\n"),
        }
    }
}

/// Every output format, by the name front ends accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Human text ([`Text`]).
    #[default]
    Text,
    /// The report as JSON ([`Json`]).
    Json,
    /// SARIF 2.1.0, for code scanning ([`Sarif`]).
    Sarif,
    /// JUnit XML, for CI test views ([`Junit`]).
    Junit,
    /// GitHub Actions workflow commands, for annotations ([`Github`]).
    Github,
    /// Markdown, for a job summary ([`Markdown`]).
    Markdown,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 6] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Markdown,
    ];

    /// The name front ends accept (`sarif`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Markdown => "markdown",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no [`Format`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format `{0}` (expected one of text, json, sarif, junit, github, markdown)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// The renderer of a format. `color` only matters for [`Text`]: the other
/// formats are read by machines or rendered by someone else.
pub fn renderer(format: Format, color: bool) -> Box<dyn Reporter> {
    match format {
        Format::Text => Box::new(Text { color }),
        Format::Json => Box::new(Json),
        Format::Sarif => Box::new(Sarif),
        Format::Junit => Box::new(Junit),
        Format::Github => Box::new(Github),
        Format::Markdown => Box::new(Markdown),
    }
}

/// How a finding stands, whatever the format calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An unwaived violation.
    Violation,
    /// A violation covered by a waiver.
    Waived,
    /// A `warn` result.
    Warning,
}

/// A rule's findings in the order every format lists them: what fails first.
fn findings(rule: &RuleResult) -> impl Iterator<Item = (Kind, &Finding)> {
    rule.violations
        .iter()
        .map(|f| (Kind::Violation, f))
        .chain(rule.waived.iter().map(|f| (Kind::Waived, f)))
        .chain(rule.warnings.iter().map(|f| (Kind::Warning, f)))
}

/// What a finding is about, for one-line output: its purl, artifact or region,
/// else its component.
fn subject(f: &Finding) -> Vec<&str> {
    let mut parts: Vec<&str> = ["purl", "artifact", "region"]
        .into_iter()
        .filter_map(|k| f.details.str(k))
        .collect();
    if parts.is_empty()
        && let Some(c) = f.details.str("component")
    {
        parts.push(c);
    }
    parts
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert!("xml".parse::<Format>().is_err());
    }

    /// A small report with one rule of every status, and text that needs escaping.
    pub(crate) fn sample() -> Report {
        use crate::backend::Language;
        use crate::bundle::RuleSeverity;
        use crate::decision::waiver::{self, WaiverReport, WaiverStatus};
        use crate::decision::{RuleStatus, Verdict};
        use crate::diag::Location;
        use crate::gate::{BundleRef, ReleaseRef, Summary};
        use crate::source::SourceFile;

        let file = SourceFile::from_text(
            "waivers.toml",
            "[[waiver]]\nid = \"W-1\"\nrule = \"b.waived\"\nscope = { purl = \"pkg:npm/x@1\" }\njustification = \"vendored, see OSR-1\"\napprover = \"a@example.com\"\nexpires = 2026-12-01\n",
        );
        let waivers = waiver::load(&file).unwrap();
        let finding = |msg: &str, details: serde_json::Value, line: Option<usize>| Finding {
            msg: msg.to_owned(),
            details: details.as_object().cloned().unwrap_or_default().into(),
            location: line.map(|l| {
                let mut loc = Location::file("ev/sbom.json").with_pointer("/components/0");
                loc.line = Some(l);
                loc.column = Some(5);
                loc
            }),
            waiver: None,
        };
        let rule = |id: &str, status: RuleStatus, severity: RuleSeverity| RuleResult {
            id: id.to_owned(),
            bundle: "b".to_owned(),
            title: format!("Title of {id}"),
            severity,
            status,
            engine: Language::Rego,
            message: None,
            violations: Vec::new(),
            waived: Vec::new(),
            warnings: Vec::new(),
            description: format!("Description of {id}."),
            remediation: format!("Fix {id}."),
            help_uri: None,
        };
        let mut fail = rule("b.fail", RuleStatus::Fail, RuleSeverity::Deny);
        fail.violations.push(finding(
            "x@1: bad, \"quoted\" <tag> & 100%\nsecond line",
            serde_json::json!({"purl": "pkg:npm/x@1", "component": "x"}),
            Some(12),
        ));
        fail.violations.push(finding(
            "artifact `a.bin` is not signed",
            serde_json::json!({"artifact": "a.bin"}),
            None,
        ));
        fail.help_uri = Some("https://example.com/rules/b.fail".to_owned());
        let mut warn = rule("b.warn", RuleStatus::Warn, RuleSeverity::Warn);
        warn.violations.push(finding(
            "x@1: no supplier | none",
            serde_json::json!({"purl": "pkg:npm/x@1"}),
            Some(12),
        ));
        let mut waived = rule("b.waived", RuleStatus::Waived, RuleSeverity::Deny);
        let mut w = finding(
            "x@1: waived",
            serde_json::json!({"purl": "pkg:npm/x@1"}),
            Some(12),
        );
        w.waiver = Some("W-1".to_owned());
        waived.waived.push(w);
        let mut error = rule("b.error", RuleStatus::Error, RuleSeverity::Deny);
        error.message = Some("rule timed out after 500 ms".to_owned());
        let mut skipped = rule("b.skipped", RuleStatus::Skipped, RuleSeverity::Deny);
        skipped.message = Some("no `provenance` evidence".to_owned());
        let pass = rule("b.pass", RuleStatus::Pass, RuleSeverity::Deny);
        Report {
            report_version: 1,
            verdict: Verdict::Fail,
            now: "2026-11-23T00:00:00Z".to_owned(),
            release: Some(ReleaseRef {
                name: "app".to_owned(),
                version: "1.0.0".to_owned(),
            }),
            subjects: Vec::new(),
            bundles: vec![BundleRef {
                name: "b".to_owned(),
                version: "1.0.0".to_owned(),
                digest: "0".repeat(64),
                path: "policies/b".to_owned(),
            }],
            evidence: Vec::new(),
            input_digest: "0".repeat(64),
            cost: None,
            summary: Summary {
                pass: 1,
                fail: 1,
                warn: 1,
                skipped: 1,
                waived: 1,
                error: 1,
            },
            rules: vec![pass, fail, warn, waived, error, skipped],
            waivers: waivers
                .into_iter()
                .map(|waiver| WaiverReport {
                    waiver,
                    status: WaiverStatus::Expiring,
                    matched: 1,
                    days_left: 8,
                })
                .collect(),
            problems: Vec::new(),
        }
    }
}
