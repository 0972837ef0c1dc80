//! `--format junit`: JUnit XML, the one test-report format every CI system
//! shows (GitLab, Jenkins, Azure DevOps, the test-reporter actions).
//!
//! A bundle is a test suite and a rule a test case: a failing rule is a
//! failure, a rule that could not run an error, a skipped rule skipped. Warned
//! and waived rules pass (the gate passes them too) with their findings in
//! `system-out`, so they are visible without turning the CI run red. No
//! timestamps or durations: the same report gives the same bytes.

use std::fmt::Write;

use super::{Kind, Reporter, findings, subject};
use crate::decision::{Finding, RuleResult, RuleStatus};
use crate::gate::Report;

/// JUnit XML.
#[derive(Debug, Clone, Copy, Default)]
pub struct Junit;

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn of<'a>(rules: impl Iterator<Item = &'a RuleResult>) -> Counts {
        let mut c = Counts::default();
        for r in rules {
            c.tests += 1;
            match r.status {
                RuleStatus::Fail => c.failures += 1,
                RuleStatus::Error => c.errors += 1,
                RuleStatus::Skipped => c.skipped += 1,
                // Passing test cases.
                RuleStatus::Pass | RuleStatus::Warn | RuleStatus::Waived => {}
            }
        }
        c
    }

    fn attrs(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

impl Reporter for Junit {
    fn render(&self, report: &Report) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"shipgate\" {}>",
            Counts::of(report.rules.iter()).attrs()
        );
        for b in &report.bundles {
            let rules = || report.rules.iter().filter(|r| r.bundle == b.name);
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" {}>",
                escape(&b.name),
                Counts::of(rules()).attrs()
            );
            let _ = writeln!(
                out,
                "    <properties>\n      <property name=\"version\" value=\"{}\"/>\n      <property name=\"digest\" value=\"sha256:{}\"/>\n    </properties>",
                escape(&b.version),
                escape(&b.digest)
            );
            for rule in rules() {
                test_case(&mut out, rule);
            }
            let _ = writeln!(out, "  </testsuite>");
        }
        let _ = writeln!(out, "</testsuites>");
        out
    }
}

fn test_case(out: &mut String, rule: &RuleResult) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape(&rule.bundle),
        escape(&rule.id)
    );
    let listing = listing(rule);
    match rule.status {
        // Nothing to say.
        RuleStatus::Pass => {
            let _ = writeln!(out, "{open}/>");
        }
        // Fails the gate: a failure with every finding, waived ones marked.
        RuleStatus::Fail => {
            let message = rule.message.clone().unwrap_or_else(|| {
                format!("{}: {} violation(s)", rule.title, rule.violations.len())
            });
            let mut text = listing;
            if !rule.remediation.is_empty() {
                let _ = writeln!(text, "fix: {}", rule.remediation);
            }
            let _ = writeln!(
                out,
                "{open}>\n      <failure message=\"{}\" type=\"fail\">{}</failure>\n    </testcase>",
                escape(&message),
                escape_text(&text)
            );
        }
        // Could not run: the gate fails closed, CI calls it an error.
        RuleStatus::Error => {
            let message = rule
                .message
                .as_deref()
                .unwrap_or("the rule could not be evaluated");
            let _ = writeln!(
                out,
                "{open}>\n      <error message=\"{}\" type=\"error\"/>\n    </testcase>",
                escape(message)
            );
        }
        // Evidence absent: nothing was judged.
        RuleStatus::Skipped => {
            let message = rule.message.as_deref().unwrap_or("skipped");
            let _ = writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(message)
            );
        }
        // The gate passes these; the findings are shown, not failed.
        RuleStatus::Warn | RuleStatus::Waived => {
            let mut text = String::new();
            if let Some(m) = &rule.message {
                let _ = writeln!(text, "{m}");
            }
            text.push_str(&listing);
            let _ = writeln!(
                out,
                "{open}>\n      <system-out>{}</system-out>\n    </testcase>",
                escape_text(&text)
            );
        }
    }
}

/// One line per finding, like `--format text`.
fn listing(rule: &RuleResult) -> String {
    let mut text = String::new();
    for (kind, f) in findings(rule) {
        let mark = match (kind, rule.status) {
            (Kind::Violation, RuleStatus::Fail) => "violation",
            (Kind::Waived, _) => "waived",
            // Violations of a warn rule or of a deny rule not yet in force
            // only warn: call them what they do.
            (Kind::Violation, _) | (Kind::Warning, _) => "warning",
        };
        let _ = writeln!(text, "{mark}: {}", line(f));
    }
    text
}

fn line(f: &Finding) -> String {
    let mut s = f.msg.clone();
    let parts = subject(f);
    if !parts.is_empty() {
        let _ = write!(s, " [{}]", parts.join(", "));
    }
    if let Some(loc) = &f.location {
        let _ = write!(s, " at {}", loc.short());
    }
    if let Some(w) = &f.waiver {
        let _ = write!(s, " (waived by {w})");
    }
    s
}

/// Escapes text for XML 1.0 attribute values and character data. Characters
/// XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF) become
/// U+FFFD rather than making the document unparsable; newlines and tabs are
/// written as references so attribute values keep them.
fn escape(s: &str) -> String {
    escape_with(s, false)
}

/// Escapes character data: like [`escape`], but newlines and tabs stay
/// literal so a listing reads as lines.
fn escape_text(s: &str) -> String {
    escape_with(s, true)
}

fn escape_with(s: &str, text: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' if text => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"c\"'d'\n\u{1}\u{ffff}é"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#10;\u{fffd}\u{fffd}é"
        );
    }

    #[test]
    fn one_case_per_rule_with_counts() {
        let xml = Junit.render(&super::super::tests::sample());
        assert!(xml.contains(
            "<testsuite name=\"b\" tests=\"6\" failures=\"1\" errors=\"1\" skipped=\"1\">"
        ));
        assert_eq!(xml.matches("<testcase ").count(), 6);
        assert!(xml.contains("<failure message=\"Title of b.fail: 2 violation(s)\""));
        assert!(xml.contains("&quot;quoted&quot; &lt;tag&gt; &amp; 100%\nsecond line"));
        assert!(xml.contains("<error message=\"rule timed out after 500 ms\""));
        assert!(xml.contains("<skipped message=\"no `provenance` evidence\"/>"));
        assert!(xml.contains("<system-out>waived: x@1: waived [pkg:npm/x@1] at ev/sbom.json:12:5 (waived by W-1)\n</system-out>"));
    }
}
