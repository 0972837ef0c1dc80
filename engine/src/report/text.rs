//! Human output: one line per rule, its findings under it, the verdict last.
//! Readable without colour; colour only marks what the words already say.

use std::fmt::Write;

use super::Reporter;
use crate::decision::waiver::WaiverStatus;
use crate::decision::{Finding, RuleStatus, Verdict};
use crate::gate::Report;

/// Findings shown per rule before "and N more" (`--format json` has all).
const MAX_SHOWN: usize = 20;

/// Human text, optionally coloured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text {
    /// Use ANSI colours.
    pub color: bool,
}

impl Text {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    fn status(&self, s: RuleStatus) -> String {
        let (label, code) = match s {
            RuleStatus::Pass => ("pass   ", "32"),
            RuleStatus::Fail => ("FAIL   ", "1;31"),
            RuleStatus::Warn => ("warn   ", "33"),
            RuleStatus::Skipped => ("skipped", "2"),
            RuleStatus::Waived => ("waived ", "36"),
            RuleStatus::Error => ("ERROR  ", "1;35"),
        };
        self.paint(code, label)
    }
}

fn item(f: &Finding) -> String {
    let mut parts = Vec::new();
    for key in ["purl", "artifact", "region"] {
        if let Some(v) = f.details.get(key).and_then(|v| v.as_str()) {
            parts.push(v.to_owned());
        }
    }
    if parts.is_empty()
        && let Some(v) = f.details.get("component").and_then(|v| v.as_str())
    {
        parts.push(v.to_owned());
    }
    let mut out = String::new();
    if !parts.is_empty() {
        let _ = write!(out, " [{}]", parts.join(", "));
    }
    if let Some(loc) = &f.location {
        let _ = write!(out, " at {}", loc.short());
        if let Some(p) = &loc.pointer {
            let _ = write!(out, " ({p})");
        }
    }
    out
}

impl Reporter for Text {
    fn render(&self, r: &Report) -> String {
        let mut out = String::new();
        let subject = r.release.as_ref().map_or_else(
            || "release".to_owned(),
            |rel| format!("{} {}", rel.name, rel.version),
        );
        let _ = writeln!(out, "shipgate check: {subject} at {}", r.now);
        for b in &r.bundles {
            let _ = writeln!(out);
            let short = b.digest.get(..12).unwrap_or(&b.digest);
            let _ = writeln!(
                out,
                "{} {} (sha256:{short}…)",
                self.paint("1", &b.name),
                b.version
            );
            for rule in r.rules.iter().filter(|x| x.bundle == b.name) {
                let _ = write!(
                    out,
                    "  {} {}  {}",
                    self.status(rule.status),
                    rule.id,
                    rule.title
                );
                if let Some(m) = &rule.message {
                    let _ = write!(out, ": {m}");
                }
                let _ = writeln!(out);
                let shown = rule
                    .violations
                    .iter()
                    .map(|f| ("✗", f))
                    .chain(rule.waived.iter().map(|f| ("~", f)))
                    .chain(rule.warnings.iter().map(|f| ("!", f)));
                let total = rule.violations.len() + rule.waived.len() + rule.warnings.len();
                for (mark, f) in shown.take(MAX_SHOWN) {
                    let waiver = f
                        .waiver
                        .as_ref()
                        .map(|w| format!(" (waived by {w})"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "          {mark} {}{}{waiver}", f.msg, item(f));
                }
                if total > MAX_SHOWN {
                    let _ = writeln!(
                        out,
                        "          … and {} more (`--format json` lists all)",
                        total - MAX_SHOWN
                    );
                }
                if matches!(rule.status, RuleStatus::Fail | RuleStatus::Error)
                    && !rule.remediation.is_empty()
                {
                    let _ = writeln!(out, "          fix: {}", rule.remediation);
                }
            }
        }
        if !r.waivers.is_empty() {
            let _ = writeln!(out, "\nwaivers");
            for w in &r.waivers {
                let status = match w.status {
                    WaiverStatus::Applied => self.paint("36", "applied "),
                    WaiverStatus::Expiring => self.paint("33", "EXPIRING"),
                    WaiverStatus::Expired => self.paint("31", "EXPIRED "),
                    WaiverStatus::Unused => self.paint("2", "unused  "),
                };
                let _ = writeln!(
                    out,
                    "  {status} {} {}: covers {} violation(s), expires {} ({} days), approved by {}",
                    w.waiver.id,
                    w.waiver.rule,
                    w.matched,
                    w.waiver.expires,
                    w.days_left,
                    w.waiver.approver
                );
            }
        }
        let s = &r.summary;
        let verdict = match r.verdict {
            Verdict::Pass => self.paint("1;32", "PASS"),
            Verdict::Fail => self.paint("1;31", "FAIL"),
        };
        let _ = writeln!(
            out,
            "\nverdict: {verdict} ({} passed, {} failed, {} warned, {} skipped, {} waived, {} errors)",
            s.pass, s.fail, s.warn, s.skipped, s.waived, s.error
        );
        out
    }
}
