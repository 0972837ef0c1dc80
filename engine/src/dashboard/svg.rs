//! Charts as inline SVG: no script, no web font, no request. Colours come
//! from CSS classes of the page (`.c-pass`, `.c-fail`, ...), so a chart
//! matches its table, and every mark has a `<title>` (its exact figure) for
//! a tooltip and for screen readers. A chart always sits beside a table
//! with the same numbers: it is an enhancement, not the only copy.

use std::fmt::Write;

use jiff::civil::Date;

use super::data::{Bucket, CostPoint, Standing, WaiverRow, usd};
use super::html::esc;

const W: f64 = 720.0;
const PAD_L: f64 = 48.0;
const PAD_R: f64 = 8.0;
const PAD_T: f64 = 10.0;

fn open(out: &mut String, height: f64, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img" aria-label="{}"><title>{}</title>"#,
        esc(label),
        esc(label)
    );
}

/// A rounded-up axis maximum: 1, 2, 5 × 10ⁿ.
pub fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mut step = 1.0;
    while step * 10.0 <= v {
        step *= 10.0;
    }
    for m in [1.0, 2.0, 5.0, 10.0] {
        if step * m >= v {
            return step * m;
        }
    }
    step * 10.0
}

fn y_axis(out: &mut String, max: f64, plot_h: f64, fmt: &dyn Fn(f64) -> String) {
    // `max` is 1, 2 or 5 × 10ⁿ: five ticks land on round values, and a
    // small count axis gets one tick per unit.
    let ticks: u32 = if max <= 5.0 { max.max(1.0) as u32 } else { 5 };
    for i in 0..=ticks {
        let v = max * f64::from(i) / f64::from(ticks);
        let y = PAD_T + plot_h - plot_h * f64::from(i) / f64::from(ticks);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{PAD_L}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - PAD_R,
            PAD_L - 4.0,
            y + 4.0,
            esc(&fmt(v))
        );
    }
}

/// Verdicts over time: one stacked bar (pass, fail, unverified) per bucket.
pub fn verdict_bars(buckets: &[Bucket], granularity: &str) -> String {
    let h = 220.0;
    let plot_h = h - PAD_T - 34.0;
    let mut out = String::new();
    open(&mut out, h, &format!("Verdicts per {granularity}"));
    let max = nice_max(
        buckets
            .iter()
            .map(|b| b.counts.total() as f64)
            .fold(0.0, f64::max),
    );
    y_axis(&mut out, max, plot_h, &|v| format!("{v:.0}"));
    let n = buckets.len().max(1) as f64;
    let slot = (W - PAD_L - PAD_R) / n;
    let bar = (slot * 0.8).clamp(1.0, 36.0);
    for (i, b) in buckets.iter().enumerate() {
        let x = PAD_L + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = PAD_T + plot_h;
        let _ = write!(
            out,
            "<g><title>{}: {} pass, {} fail, {} failed verification</title>",
            esc(&b.label),
            b.counts.pass,
            b.counts.fail,
            b.counts.unverified
        );
        for (count, class) in [
            (b.counts.pass, "c-pass"),
            (b.counts.fail, "c-fail"),
            (b.counts.unverified, "c-unverified"),
        ] {
            if count == 0 {
                continue;
            }
            let hh = plot_h * count as f64 / max;
            base -= hh;
            let _ = write!(
                out,
                r#"<rect class="{class}" x="{x:.1}" y="{base:.1}" width="{bar:.1}" height="{hh:.1}"/>"#
            );
        }
        out.push_str("</g>");
    }
    // First and last labels only: the table lists every bucket.
    if let (Some(first), Some(last)) = (buckets.first(), buckets.last()) {
        let y = h - 14.0;
        let _ = write!(
            out,
            r#"<text class="axis" x="{PAD_L}" y="{y}">{}</text>"#,
            esc(&first.label)
        );
        if buckets.len() > 1 {
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{y}" text-anchor="end">{}</text>"#,
                W - PAD_R,
                esc(&last.label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Waivers on a timeline: a line from today to each waiver's expiry, its
/// end marked, coloured by standing (expired and soon-expiring stand out).
pub fn waiver_timeline(rows: &[WaiverRow], today: Date) -> String {
    let dated: Vec<(&WaiverRow, Date)> = rows
        .iter()
        .filter_map(|r| r.expires.parse::<Date>().ok().map(|d| (r, d)))
        .collect();
    let row_h = 18.0;
    let h = PAD_T + 30.0 + row_h * dated.len().max(1) as f64;
    let mut out = String::new();
    open(&mut out, h, &format!("Waiver expiry against {today}"));
    let lo = dated
        .iter()
        .map(|(_, d)| *d)
        .chain([today])
        .min()
        .unwrap_or(today);
    let hi = dated
        .iter()
        .map(|(_, d)| *d)
        .chain([today])
        .max()
        .unwrap_or(today);
    let span = lo
        .until((jiff::Unit::Day, hi))
        .map(|s| f64::from(s.get_days()))
        .unwrap_or(0.0)
        .max(1.0);
    let left = 150.0;
    let plot_w = W - left - 60.0;
    let x_of = |d: Date| {
        let days = lo
            .until((jiff::Unit::Day, d))
            .map(|s| f64::from(s.get_days()))
            .unwrap_or(0.0);
        left + plot_w * days / span
    };
    let tx = x_of(today);
    let _ = write!(
        out,
        r#"<line class="today" x1="{tx:.1}" x2="{tx:.1}" y1="{PAD_T}" y2="{:.1}"/><text class="axis" x="{tx:.1}" y="{:.1}" text-anchor="middle">today {today}</text>"#,
        h - 18.0,
        h - 4.0
    );
    for (i, (r, d)) in dated.iter().enumerate() {
        let y = PAD_T + row_h * i as f64 + row_h / 2.0;
        let x = x_of(*d);
        let class = match r.standing {
            Standing::Expired => "c-fail",
            Standing::Expiring => "c-warn",
            Standing::Active | Standing::Unknown => "c-pass",
        };
        let _ = write!(
            out,
            r#"<g><title>{} ({}): expires {} — {}</title><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><line class="{class} span" x1="{tx:.1}" x2="{x:.1}" y1="{y:.1}" y2="{y:.1}"/><circle class="{class}" cx="{x:.1}" cy="{y:.1}" r="5"/></g>"#,
            esc(&r.id),
            esc(&r.rule),
            esc(&r.expires),
            r.standing.as_str(),
            left - 6.0,
            y + 4.0,
            esc(&r.id)
        );
    }
    out.push_str("</svg>");
    out
}

/// Cost per release: egress and inference side by side, each with its
/// budget marked as a tick when the release has one.
pub fn cost_bars(points: &[CostPoint]) -> String {
    let h = 240.0;
    let plot_h = h - PAD_T - 50.0;
    let mut out = String::new();
    open(
        &mut out,
        h,
        "Predicted cost against budget per release (USD)",
    );
    let max = nice_max(
        points
            .iter()
            .flat_map(|p| {
                [
                    Some(p.cost.egress_cents),
                    Some(p.cost.inference_cents),
                    p.cost.egress_budget,
                    p.cost.inference_budget,
                ]
            })
            .flatten()
            .fold(0.0, |m, c| m.max(c as f64)),
    );
    y_axis(&mut out, max, plot_h, &|v| usd(v as i64).replace(".00", ""));
    let n = points.len().max(1) as f64;
    let slot = (W - PAD_L - PAD_R) / n;
    let bar = (slot * 0.35).clamp(1.0, 36.0);
    let y_of = |c: i64| PAD_T + plot_h - plot_h * (c as f64) / max;
    for (i, p) in points.iter().enumerate() {
        let x0 = PAD_L + slot * i as f64 + slot * 0.1;
        for (j, (spent, budget, class, what)) in [
            (
                p.cost.egress_cents,
                p.cost.egress_budget,
                "c-egress",
                "egress",
            ),
            (
                p.cost.inference_cents,
                p.cost.inference_budget,
                "c-inference",
                "inference",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let x = x0 + bar * j as f64;
            let y = y_of(spent);
            let over = budget.is_some_and(|b| spent > b);
            let budget_text =
                budget.map_or_else(|| "no budget".to_owned(), |b| format!("budget {}", usd(b)));
            let _ = write!(
                out,
                r#"<g><title>{} {what}: {} ({budget_text})</title><rect class="{class}{}" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"/>"#,
                esc(&p.release),
                usd(spent),
                if over { " over" } else { "" },
                bar - 1.0,
                (PAD_T + plot_h - y).max(0.0)
            );
            if let Some(b) = budget {
                let by = y_of(b);
                let _ = write!(
                    out,
                    r#"<line class="budget" x1="{:.1}" x2="{:.1}" y1="{by:.1}" y2="{by:.1}"/>"#,
                    x - 2.0,
                    x + bar + 1.0
                );
            }
            out.push_str("</g>");
        }
        if points.len() <= 24 {
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x0 + bar,
                h - 34.0,
                esc(&p.release)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::data::{CostSummary, Counts, Outcome};

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(10.0), 10.0);
        assert_eq!(nice_max(11.0), 20.0);
        assert_eq!(nice_max(120_000.0), 200_000.0);
    }

    #[test]
    fn charts_escape_labels_and_mark_every_bucket() {
        let buckets = [
            Bucket {
                label: "2026-11-01".into(),
                counts: Counts {
                    pass: 2,
                    fail: 1,
                    unverified: 0,
                },
            },
            Bucket {
                label: "<b>".into(),
                counts: Counts {
                    pass: 0,
                    fail: 0,
                    unverified: 1,
                },
            },
        ];
        let svg = verdict_bars(&buckets, "day");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));

        let point = CostPoint {
            release: "a 1.0".into(),
            seq: 1,
            outcome: Outcome::Pass,
            cost: CostSummary {
                egress_cents: 200,
                inference_cents: 50,
                egress_budget: Some(100),
                ..CostSummary::default()
            },
        };
        let svg = cost_bars(&[point]);
        assert!(svg.contains("c-egress over"), "{svg}");
        assert_eq!(svg.matches("class=\"budget\"").count(), 1);
    }
}
