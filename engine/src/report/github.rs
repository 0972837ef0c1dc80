//! `--format github`: GitHub Actions workflow commands, which the runner turns
//! into annotations on the pull request's files and the run's summary.
//!
//! One command per finding (`::error` for failures and rules that could not
//! run, `::warning` for warnings, `::notice` for waived findings), with
//! `file`/`line`/`col` when the finding's place in the evidence is known, and
//! a `::warning` per problem found while loading (an expiring waiver), then
//! a last `::notice` with the verdict. Values are escaped exactly as the
//! Actions toolkit (`@actions/core`, `command.ts`) escapes them, since the
//! runner unescapes with the inverse of that and nothing else.

use std::fmt::Write;

use super::{Kind, Reporter, findings};
use crate::decision::{Finding, RuleResult, RuleStatus, Verdict};
use crate::diag::Location;
use crate::gate::Report;

/// GitHub Actions workflow commands.
#[derive(Debug, Clone, Copy, Default)]
pub struct Github;

impl Reporter for Github {
    fn render(&self, report: &Report) -> String {
        let mut out = String::new();
        for rule in &report.rules {
            let title = format!("{}: {}", rule.id, rule.title);
            match rule.status {
                // Nothing to annotate.
                RuleStatus::Pass | RuleStatus::Skipped => {}
                // Could not run, or failed without findings (required evidence
                // missing): one error for the rule.
                RuleStatus::Error => {
                    let msg = rule
                        .message
                        .as_deref()
                        .unwrap_or("the rule could not be evaluated");
                    command(&mut out, "error", None, &title, msg);
                }
                RuleStatus::Fail if rule.violations.is_empty() && rule.waived.is_empty() => {
                    let msg = rule.message.as_deref().unwrap_or("the rule failed");
                    command(&mut out, "error", None, &title, msg);
                }
                RuleStatus::Fail | RuleStatus::Warn | RuleStatus::Waived => {
                    for (kind, f) in findings(rule) {
                        let (name, msg) = annotation(rule, kind, f);
                        command(&mut out, name, f.location.as_ref(), &title, &msg);
                    }
                }
            }
        }
        // Warnings found while loading (a waiver about to expire) point at a
        // line too: annotate them where the reviewer will see them.
        for p in &report.problems {
            let name = if p.is_error() { "error" } else { "warning" };
            let location = p.location.as_deref();
            let mut msg = p.message.clone();
            if let Some(help) = &p.help {
                msg.push_str("\nhelp: ");
                msg.push_str(help);
            }
            command(&mut out, name, location, p.code.as_str(), &msg);
        }
        let s = &report.summary;
        let verdict = match report.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        };
        let msg = format!(
            "verdict: {verdict} ({} passed, {} failed, {} warned, {} skipped, {} waived, {} errors)",
            s.pass, s.fail, s.warn, s.skipped, s.waived, s.error
        );
        command(&mut out, "notice", None, "shipgate", &msg);
        out
    }
}

fn annotation(rule: &RuleResult, kind: Kind, f: &Finding) -> (&'static str, String) {
    match (kind, rule.status) {
        (Kind::Waived, _) => {
            let by = f.waiver.as_deref().unwrap_or("a waiver");
            ("notice", format!("{} (waived by {by})", f.msg))
        }
        (Kind::Violation, RuleStatus::Fail) => ("error", f.msg.clone()),
        // Violations of a warn rule, of a deny rule not yet in force, warnings.
        (Kind::Violation, _) | (Kind::Warning, _) => ("warning", f.msg.clone()),
    }
}

fn command(out: &mut String, name: &str, at: Option<&Location>, title: &str, msg: &str) {
    let mut props = Vec::new();
    if let Some(loc) = at {
        props.push(format!(
            "file={}",
            escape_property(&loc.file.replace('\\', "/"))
        ));
        if let Some(l) = loc.line {
            props.push(format!("line={l}"));
        }
        if let Some(c) = loc.column {
            props.push(format!("col={c}"));
        }
    }
    props.push(format!("title={}", escape_property(title)));
    let _ = writeln!(out, "::{name} {}::{}", props.join(","), escape_data(msg));
}

/// `escapeData` of `@actions/core`: the message after `::`.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `escapeProperty` of `@actions/core`: a property value, where `:` and `,`
/// would end the value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escaping_matches_the_toolkit() {
        assert_eq!(
            escape_data("100% done\r\nnext: a,b"),
            "100%25 done%0D%0Anext: a,b"
        );
        // `%` first, so an escape is never escaped twice.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn property_escaping_matches_the_toolkit() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn one_command_per_finding_and_the_verdict_last() {
        let out = Github.render(&super::super::tests::sample());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "::error file=ev/sbom.json,line=12,col=5,title=b.fail%3A Title of b.fail::x@1: bad, \"quoted\" <tag> & 100%25%0Asecond line",
                "::error title=b.fail%3A Title of b.fail::artifact `a.bin` is not signed",
                "::warning file=ev/sbom.json,line=12,col=5,title=b.warn%3A Title of b.warn::x@1: no supplier | none",
                "::notice file=ev/sbom.json,line=12,col=5,title=b.waived%3A Title of b.waived::x@1: waived (waived by W-1)",
                "::error title=b.error%3A Title of b.error::rule timed out after 500 ms",
                "::notice title=shipgate::verdict: FAIL (1 passed, 1 failed, 1 warned, 1 skipped, 1 waived, 1 errors)",
            ]
        );
    }

    #[test]
    fn loading_problems_are_annotated_where_they_are() {
        let mut r = super::super::tests::sample();
        let mut at = Location::file("waivers.toml");
        at.line = Some(2);
        at.column = Some(6);
        r.problems.push(
            crate::diag::Problem::warning(
                crate::diag::Code::WaiverExpiring,
                "waiver `W-1` expires",
            )
            .with_help("renew it")
            .at(at),
        );
        let out = Github.render(&r);
        assert!(out.contains(
            "::warning file=waivers.toml,line=2,col=6,title=waiver-expiring::waiver `W-1` expires%0Ahelp: renew it\n::notice title=shipgate::"
        ));
    }
}
