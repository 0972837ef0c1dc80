//! `--format markdown`: a job summary (`$GITHUB_STEP_SUMMARY`, GitLab and
//! Azure DevOps render the same Markdown): the verdict, a table of rules, the
//! failing findings and the waivers.
//!
//! Status words are always written beside the emoji, so the summary reads the
//! same where emoji do not render and to screen readers. Findings are capped
//! per rule like `--format text`: a summary is read, not parsed.

use std::fmt::Write;

use super::{Reporter, subject};
use crate::decision::waiver::WaiverStatus;
use crate::decision::{Finding, RuleStatus, Verdict};
use crate::evidence::cost::{Budget, CostModel, Money};
use crate::gate::Report;

/// Findings shown per rule before "and N more".
const MAX_SHOWN: usize = 20;

/// A Markdown job summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

fn status(s: RuleStatus) -> &'static str {
    match s {
        RuleStatus::Pass => "✅ pass",
        RuleStatus::Fail => "❌ **fail**",
        RuleStatus::Warn => "⚠️ warn",
        RuleStatus::Skipped => "⏭️ skipped",
        RuleStatus::Waived => "🛡️ waived",
        RuleStatus::Error => "💥 **error**",
    }
}

impl Markdown {
    /// The cost section: a table of each figure against its budget, egress
    /// per region, and the regions the rollout does not fully reach.
    pub fn cost(m: &CostModel) -> String {
        let mut out = String::new();
        let period = m
            .period
            .as_ref()
            .map(|p| format!(" · {}", inline(p)))
            .unwrap_or_default();
        let _ = writeln!(out, "\n### Cost\n");
        let _ = writeln!(
            out,
            "Predicted from `{}`{period} · USD, rounded to cents · GB = 10^9 bytes\n",
            m.file.replace('`', "'")
        );
        let _ = writeln!(out, "| | Predicted | Budget | Headroom |");
        let _ = writeln!(out, "|---|---:|---:|---:|");
        let rows: [(&str, &Money, Option<&Budget>); 3] = [
            ("Egress", &m.egress.total, m.budgets.egress_usd.as_ref()),
            (
                "Inference",
                &m.inference.total,
                m.budgets.inference_usd.as_ref(),
            ),
            ("**Total**", &m.total, m.budgets.total_usd.as_ref()),
        ];
        for (label, amount, budget) in rows {
            let (limit, headroom) = match budget {
                Some(b) if b.within => (b.limit.usd.clone(), b.headroom.usd.clone()),
                // Over budget: bold, and said in words beside the number.
                Some(b) => (
                    b.limit.usd.clone(),
                    format!("❌ **{} over**", b.headroom.usd.trim_start_matches('-')),
                ),
                None => ("—".to_owned(), "no budget tag".to_owned()),
            };
            let _ = writeln!(out, "| {label} | {} | {limit} | {headroom} |", amount.usd);
        }
        if !m.egress.regions.is_empty() {
            let _ = writeln!(out, "\n| Region | Installs | Egress |");
            let _ = writeln!(out, "|---|---:|---:|");
            for r in &m.egress.regions {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    cell(&r.region),
                    r.installs,
                    r.amount.usd
                );
            }
        }
        let partial: Vec<String> = m
            .coverage
            .iter()
            .filter(|c| !c.covered)
            .map(|c| format!("{} ({} %)", inline(&c.region), c.percent))
            .collect();
        if !partial.is_empty() {
            let _ = writeln!(
                out,
                "\n⚠️ The rollout reaches only part of: {}; the rest is neither delivered nor counted.",
                partial.join(", ")
            );
        }
        if !m.unforecast.is_empty() {
            let pairs: Vec<String> = m
                .unforecast
                .iter()
                .map(|p| format!("{}/{}", inline(&p.region), inline(&p.device_class)))
                .collect();
            let _ = writeln!(
                out,
                "\n⚠️ No install forecast (egress not counted): {}.",
                pairs.join(", ")
            );
        }
        out
    }
}

impl Reporter for Markdown {
    fn render(&self, r: &Report) -> String {
        let mut out = String::new();
        let subject = r.release.as_ref().map_or_else(
            || "release".to_owned(),
            |rel| format!("{} {}", rel.name, rel.version),
        );
        let verdict = match r.verdict {
            Verdict::Pass => "✅ PASS",
            Verdict::Fail => "❌ FAIL",
        };
        let _ = writeln!(out, "## shipgate: {verdict} — {}\n", inline(&subject));
        let s = &r.summary;
        let _ = writeln!(
            out,
            "{} passed, {} failed, {} warned, {} skipped, {} waived, {} errors · evaluated at {}\n",
            s.pass, s.fail, s.warn, s.skipped, s.waived, s.error, r.now
        );
        let _ = writeln!(out, "| Status | Rule | Title | Findings |");
        let _ = writeln!(out, "|---|---|---|---|");
        for rule in &r.rules {
            let count = rule.violations.len() + rule.waived.len() + rule.warnings.len();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {count} |",
                status(rule.status),
                cell(&rule.id),
                cell(&rule.title)
            );
        }
        let failing: Vec<_> = r
            .rules
            .iter()
            .filter(|x| matches!(x.status, RuleStatus::Fail | RuleStatus::Error))
            .collect();
        if !failing.is_empty() {
            let _ = writeln!(out, "\n### Failing rules");
            for rule in failing {
                let _ = writeln!(
                    out,
                    "\n#### {} `{}` — {}\n",
                    status(rule.status),
                    inline(&rule.id),
                    inline(&rule.title)
                );
                if let Some(m) = &rule.message {
                    let _ = writeln!(out, "{}\n", inline(m));
                }
                for f in rule.violations.iter().take(MAX_SHOWN) {
                    let _ = writeln!(out, "- {}", item(f));
                }
                if rule.violations.len() > MAX_SHOWN {
                    let _ = writeln!(
                        out,
                        "- … and {} more (`--format json` lists all)",
                        rule.violations.len() - MAX_SHOWN
                    );
                }
                if !rule.remediation.is_empty() {
                    let _ = writeln!(out, "\n**Fix:** {}", inline(&rule.remediation));
                }
            }
        }
        if let Some(cost) = &r.cost {
            out.push_str(&Markdown::cost(cost));
        }
        if !r.waivers.is_empty() {
            let _ = writeln!(out, "\n### Waivers\n");
            let _ = writeln!(
                out,
                "| Status | Waiver | Rule | Covers | Expires | Days left | Approver |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|---|---|");
            for w in &r.waivers {
                // Expiring and expired waivers need someone's attention: bold.
                let (st, days) = match w.status {
                    WaiverStatus::Applied => ("🛡️ applied".to_owned(), w.days_left.to_string()),
                    WaiverStatus::Expiring => {
                        ("⚠️ **expiring**".to_owned(), format!("**{}**", w.days_left))
                    }
                    WaiverStatus::Expired => {
                        ("❌ **expired**".to_owned(), format!("**{}**", w.days_left))
                    }
                    WaiverStatus::Unused => ("unused".to_owned(), w.days_left.to_string()),
                };
                let _ = writeln!(
                    out,
                    "| {st} | `{}` | `{}` | {} | {} | {days} | {} |",
                    cell(&w.waiver.id),
                    cell(&w.waiver.rule),
                    w.matched,
                    w.waiver.expires,
                    cell(&w.waiver.approver)
                );
            }
        }
        out
    }
}

fn item(f: &Finding) -> String {
    let mut s = inline(&f.msg);
    let parts = subject(f);
    if !parts.is_empty() {
        let _ = write!(s, " [{}]", inline(&parts.join(", ")));
    }
    if let Some(loc) = &f.location {
        let _ = write!(s, " at `{}`", loc.short().replace('`', "'"));
    }
    s
}

/// Text inside a table cell: `|` would end the cell and a newline the row.
fn cell(s: &str) -> String {
    inline(s).replace('|', "\\|")
}

/// Text on one Markdown line: newlines become `<br>`, and `<`/`>` are written
/// as entities so evidence text cannot open HTML in the summary.
fn inline(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc<d>"), "a\\|b<br>c&lt;d&gt;");
    }

    #[test]
    fn summary_has_every_rule_and_the_waivers() {
        let md = Markdown.render(&super::super::tests::sample());
        assert!(md.starts_with("## shipgate: ❌ FAIL — app 1.0.0\n"));
        // Two headers, six rules, one waiver.
        assert_eq!(md.matches("\n| ").count(), 2 + 6 + 1);
        assert!(md.contains("| ⚠️ warn | `b.warn` | Title of b.warn | 1 |"));
        assert!(md.contains("- x@1: bad, \"quoted\" &lt;tag&gt; &amp; 100%<br>second line [pkg:npm/x@1] at `ev/sbom.json:12:5`"));
        assert!(md.contains(
            "| ⚠️ **expiring** | `W-1` | `b.waived` | 1 | 2026-12-01 | **8** | a@example.com |"
        ));
    }

    #[test]
    fn long_lists_are_capped() {
        let mut r = super::super::tests::sample();
        let f = r.rules[1].violations[1].clone();
        r.rules[1].violations = vec![f; 25];
        let md = Markdown.render(&r);
        assert!(md.contains("- … and 5 more"));
    }

    #[test]
    fn cost_section_is_a_table_against_budgets() {
        let m = crate::evidence::cost::tests::sample_model();
        let md = Markdown::cost(&m);
        assert_eq!(
            md,
            "
### Cost

Predicted from `cost.json` · 2026-Q4 · USD, rounded to cents · GB = 10^9 bytes

| | Predicted | Budget | Headroom |
|---|---:|---:|---:|
| Egress | 27.03 | 20.50 | ❌ **6.53 over** |
| Inference | 151.80 | 500.00 | 348.20 |
| **Total** | 178.83 | — | no budget tag |

| Region | Installs | Egress |
|---|---:|---:|
| eu | 15500 | 26.13 |
| us | 2000 | 0.90 |

⚠️ The rollout reaches only part of: us (30 %); the rest is neither delivered nor counted.
"
        );
    }
}
