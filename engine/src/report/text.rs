//! Human output: one line per rule, its findings under it, the verdict last.
//! Readable without colour; colour only marks what the words already say.

use std::fmt::Write;

use super::Reporter;
use crate::decision::waiver::WaiverStatus;
use crate::decision::{Finding, RuleStatus, Verdict};
use crate::evidence::cost::{Budget, CostModel, Money};
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
        if let Some(v) = f.details.str(key) {
            parts.push(v.to_owned());
        }
    }
    if parts.is_empty()
        && let Some(v) = f.details.str("component")
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

impl Text {
    /// The cost section: each figure against its budget, egress per region,
    /// regions the rollout does not fully reach. Amounts are right-aligned
    /// so a reader compares them down the column.
    pub fn cost(&self, m: &CostModel) -> String {
        let mut out = String::new();
        let period = m
            .period
            .as_ref()
            .map(|p| format!(", {p}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{} (USD{period}; GB = 10^9 bytes; from {})",
            self.paint("1", "cost"),
            m.file
        );
        let width = [&m.egress.total, &m.inference.total, &m.total]
            .iter()
            .map(|x| x.usd.len())
            .max()
            .unwrap_or(0);
        let rows: [(&str, &Money, Option<&Budget>); 3] = [
            ("egress", &m.egress.total, m.budgets.egress_usd.as_ref()),
            (
                "inference",
                &m.inference.total,
                m.budgets.inference_usd.as_ref(),
            ),
            ("total", &m.total, m.budgets.total_usd.as_ref()),
        ];
        for (label, amount, budget) in rows {
            let against = match budget {
                Some(b) if b.within => format!("budget {} ({} left)", b.limit.usd, b.headroom.usd),
                Some(b) => format!(
                    "budget {} ({})",
                    b.limit.usd,
                    self.paint(
                        "1;31",
                        &format!("OVER by {}", b.headroom.usd.trim_start_matches('-'))
                    )
                ),
                None => "no budget tag".to_owned(),
            };
            let _ = writeln!(out, "  {label:<9} {:>width$}  {against}", amount.usd);
        }
        if !m.egress.regions.is_empty() {
            let regions: Vec<String> = m
                .egress
                .regions
                .iter()
                .map(|r| format!("{} {} ({} installs)", r.region, r.amount.usd, r.installs))
                .collect();
            let _ = writeln!(out, "  egress by region: {}", regions.join(", "));
        }
        let partial: Vec<String> = m
            .coverage
            .iter()
            .filter(|c| !c.covered)
            .map(|c| format!("{} {} %", c.region, c.percent))
            .collect();
        if !partial.is_empty() {
            let _ = writeln!(
                out,
                "  rollout reaches only: {} (the rest is not delivered or counted)",
                partial.join(", ")
            );
        }
        if !m.unforecast.is_empty() {
            let pairs: Vec<String> = m
                .unforecast
                .iter()
                .map(|p| format!("{}/{}", p.region, p.device_class))
                .collect();
            let _ = writeln!(
                out,
                "  no install forecast (not counted): {}",
                pairs.join(", ")
            );
        }
        out
    }
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
        if let Some(cost) = &r.cost {
            out.push_str(&self.cost(cost));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_section_shows_figures_against_budgets() {
        let m = crate::evidence::cost::tests::sample_model();
        // Egress: eu 26.13 (as in the cost tests) + us 30 % of 2000 × 150 MB
        // = 90 GB × 0.01 = 0.90 → 27.03, over 20.50 by 6.53.
        let text = Text::default().cost(&m);
        assert_eq!(
            text,
            "\ncost (USD, 2026-Q4; GB = 10^9 bytes; from cost.json)
  egress     27.03  budget 20.50 (OVER by 6.53)
  inference 151.80  budget 500.00 (348.20 left)
  total     178.83  no budget tag
  egress by region: eu 26.13 (15500 installs), us 0.90 (2000 installs)
  rollout reaches only: us 30 % (the rest is not delivered or counted)
"
        );
        // The words say it without colour; colour only marks it.
        assert!(
            Text { color: true }
                .cost(&m)
                .contains("\x1b[1;31mOVER by 6.53\x1b[0m")
        );
    }
}
