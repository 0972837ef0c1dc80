//! The pages, as plain strings. Every value that comes from a record, an
//! entry or a stored file goes through [`esc`]; nothing else is interpolated
//! into markup. Pages link one stylesheet and (records pages only) one script
//! from the site's `assets/`, and a Content-Security-Policy forbids loading
//! anything else, so a page can make no request, even if a record carried
//! markup that escaping somehow missed.

use std::fmt::Write;

use jiff::civil::Date;
use serde_json::Value;

use super::data::{
    self, Bucket, CostPoint, Counts, Granularity, LineRate, Outcome, RecordSummary, ResidencyRow,
    RuleStats, SigState, Standing, WaiverRow, percent, usd,
};
use super::svg;

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a value for a URL fragment (`#rule=...`).
fn frag(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The sections of the site, for the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// index.html
    Overview,
    /// records/
    Records,
    /// releases.html
    Releases,
    /// rules.html
    Rules,
    /// waivers.html
    Waivers,
    /// cost.html
    Cost,
    /// residency.html
    Residency,
}

const NAV: [(Section, &str, &str); 7] = [
    (Section::Overview, "index.html", "Overview"),
    (Section::Records, "records/index.html", "Records"),
    (Section::Releases, "releases.html", "Releases"),
    (Section::Rules, "rules.html", "Rules"),
    (Section::Waivers, "waivers.html", "Waivers"),
    (Section::Cost, "cost.html", "Cost"),
    (Section::Residency, "residency.html", "Residency"),
];

/// The policy every page carries: its own stylesheet and scripts only, no
/// connections, no frames, no forms posting anywhere.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/// A whole page. `depth` is how many directories below the site root it is.
pub fn page(title: &str, depth: usize, section: Section, body: &str, scripts: &[&str]) -> String {
    let up = "../".repeat(depth);
    let mut out = String::with_capacity(body.len() + 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\"><meta name=\"generator\" content=\"shipgate dashboard\"><title>{} · shipgate audit</title><link rel=\"stylesheet\" href=\"{up}assets/style.css\"></head><body><header><a class=\"brand\" href=\"{up}index.html\">shipgate audit</a><nav>",
        esc(title)
    );
    for (s, href, label) in NAV {
        let current = if s == section {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(out, "<a href=\"{up}{href}\"{current}>{label}</a>");
    }
    let _ = write!(out, "</nav></header><main><h1>{}</h1>", esc(title));
    out.push_str(body);
    out.push_str("</main>");
    for s in scripts {
        let _ = write!(out, "<script src=\"{up}{s}\"></script>");
    }
    out.push_str("</body></html>\n");
    out
}

fn badge(class: &str, text: &str) -> String {
    format!("<span class=\"b b-{}\">{}</span>", esc(class), esc(text))
}

fn outcome_badge(o: Outcome) -> String {
    match o {
        Outcome::Pass => badge("pass", "pass"),
        Outcome::Fail => badge("fail", "fail"),
        Outcome::Unverified => badge("unverified", "FAILED VERIFICATION"),
    }
}

fn sig_badge(s: &SigState) -> String {
    match s {
        SigState::Verified(_) => badge("pass", "verified"),
        SigState::Unsigned => badge("warn", "unsigned"),
        SigState::Unchecked => badge("warn", "not checked"),
        SigState::Invalid(_) => badge("unverified", "invalid"),
    }
}

/// Short name of a signature state, as in the filter index.
pub fn sig_name(s: &SigState) -> &'static str {
    match s {
        SigState::Verified(_) => "verified",
        SigState::Unsigned => "unsigned",
        SigState::Unchecked => "unchecked",
        SigState::Invalid(_) => "invalid",
    }
}

fn digest(sha: &str) -> String {
    format!(
        "<code class=\"d\" title=\"sha256:{0}\">sha256:{0}</code>",
        esc(sha)
    )
}

fn record_link(up: &str, seq: u64) -> String {
    format!("<a href=\"{up}records/{seq}.html\">#{seq}</a>")
}

/// The records table header and one row per record (used by the overview
/// and the records index pages).
fn records_table(up: &str, records: &[&RecordSummary], id: &str) -> String {
    let mut out = format!(
        "<table class=\"records\"><thead><tr><th>#</th><th>time</th><th>release</th><th>verdict</th><th>signature</th><th>failed rules</th></tr></thead><tbody id=\"{id}\">"
    );
    for r in records {
        let failed: Vec<&str> = r.failed_rules().collect();
        let _ = write!(
            out,
            "<tr class=\"o-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.outcome.as_str(),
            record_link(up, r.seq),
            esc(&r.time),
            esc(&r.release_label()),
            outcome_badge(r.outcome),
            sig_badge(&r.signature),
            esc(&failed.join(", "))
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Ledger-wide integrity, as the overview states it.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    /// Entries HEAD commits.
    pub committed: u64,
    /// Entries that could be read.
    pub readable: usize,
    /// Chain and object findings of the whole ledger, with the entry each names.
    pub findings: Vec<(Option<u64>, String)>,
    /// Key ids the dashboard trusted.
    pub trusted: Vec<String>,
    /// Key ids that verified at least one record, with how many.
    pub signers: Vec<(String, usize)>,
    /// Records per signature state: verified, unsigned, unchecked, invalid.
    pub signatures: [usize; 4],
}

impl Integrity {
    /// Nothing failed verification.
    pub fn ok(&self) -> bool {
        self.findings.is_empty() && self.signatures[3] == 0
    }
}

fn integrity_section(up: &str, i: &Integrity, unverified: &[&RecordSummary]) -> String {
    let mut out = String::from("<section id=\"integrity\"><h2>Ledger integrity</h2>");
    let [verified, unsigned, unchecked, invalid] = i.signatures;
    if i.ok() {
        let _ = write!(
            out,
            "<p class=\"ok\">{} The hash chain links all {} committed entries, every stored object matches its digest, and no record carries a signature that fails to verify.</p>",
            badge("pass", "INTACT"),
            i.committed
        );
    } else {
        let _ = write!(
            out,
            "<p class=\"bad\">{} {} chain or object problem(s); {} record(s) with an invalid signature. Records concerned are counted as <em>failed verification</em>, never by the verdict they claim.</p>",
            badge("unverified", "NOT INTACT"),
            i.findings.len(),
            invalid
        );
    }
    out.push_str("<table class=\"kv\"><tbody>");
    let _ = write!(
        out,
        "<tr><th>entries committed by HEAD</th><td>{}</td></tr><tr><th>entries readable</th><td>{}</td></tr>",
        i.committed, i.readable
    );
    let _ = write!(
        out,
        "<tr><th>signatures</th><td>{verified} verified, {unsigned} unsigned, {invalid} invalid{}</td></tr>",
        if unchecked > 0 {
            format!(", {unchecked} signed but not checked (no trusted key given)")
        } else {
            String::new()
        }
    );
    let keys = if i.trusted.is_empty() {
        "none given: signatures were not checked".to_owned()
    } else {
        i.trusted
            .iter()
            .map(|k| format!("<code>{}</code>", esc(k)))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let _ = write!(out, "<tr><th>trusted keys</th><td>{keys}</td></tr>");
    if !i.signers.is_empty() {
        let signers = i
            .signers
            .iter()
            .map(|(k, n)| format!("<code>{}</code> ({n} record(s))", esc(k)))
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = write!(out, "<tr><th>verified by</th><td>{signers}</td></tr>");
    }
    out.push_str("</tbody></table>");
    if !i.findings.is_empty() {
        out.push_str("<h3>Problems found</h3><ul class=\"problems\">");
        for (seq, msg) in &i.findings {
            let at = seq.map_or_else(String::new, |s| format!("{} ", record_link(up, s)));
            let _ = write!(out, "<li>{at}{}</li>", esc(msg));
        }
        out.push_str("</ul>");
    }
    if !unverified.is_empty() {
        out.push_str("<h3>Records that failed verification</h3><ul class=\"problems\">");
        for r in unverified.iter().take(50) {
            let why = r
                .problems
                .first()
                .cloned()
                .or_else(|| match &r.signature {
                    SigState::Invalid(reason) => Some(format!("signature: {reason}")),
                    _ => None,
                })
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li>{} {} — {}</li>",
                record_link(up, r.seq),
                esc(&r.release_label()),
                esc(&why)
            );
        }
        if unverified.len() > 50 {
            let _ = write!(
                out,
                "<li>… and {} more (<a href=\"{up}records/index.html#verdict=unverified\">all</a>)</li>",
                unverified.len() - 50
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
    out
}

fn counts_cells(c: &Counts) -> String {
    format!(
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        c.total(),
        c.pass,
        c.fail,
        c.unverified,
        c.pass_permille().map_or_else(|| "-".to_owned(), percent)
    )
}

const COUNTS_HEAD: &str =
    "<th>records</th><th>pass</th><th>fail</th><th>failed verification</th><th>pass rate</th>";

fn lines_table(up: &str, lines: &[&LineRate]) -> String {
    let mut out = format!(
        "<table><thead><tr><th>release line</th>{COUNTS_HEAD}<th>newest</th></tr></thead><tbody>"
    );
    for l in lines {
        let _ = write!(
            out,
            "<tr><td><a href=\"{up}records/index.html#release={}\">{}</a></td>{}<td>{} {}</td></tr>",
            frag(&l.line),
            esc(&l.line),
            counts_cells(&l.counts),
            record_link(up, l.latest_seq),
            outcome_badge(l.latest)
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn rules_table(up: &str, rules: &[&RuleStats]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>rule</th><th>title</th><th>evaluated</th><th>fail</th><th>error</th><th>warn</th><th>waived</th><th>skipped</th><th>failure rate</th><th>last failed</th></tr></thead><tbody>",
    );
    for r in rules {
        let _ = write!(
            out,
            "<tr><td><a href=\"{up}records/index.html#rule={}\"><code>{}</code></a></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            frag(&r.id),
            esc(&r.id),
            esc(&r.title),
            r.evaluated,
            r.fail,
            r.error,
            r.warn,
            r.waived,
            r.skipped,
            r.fail_permille().map_or_else(|| "-".to_owned(), percent),
            r.last_failed
                .map_or_else(String::new, |s| record_link(up, s))
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn waivers_table(up: &str, rows: &[&WaiverRow]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>waiver</th><th>rule</th><th>expires</th><th>standing</th><th>days left</th><th>approver</th><th>justification</th><th>records</th><th>covered a violation in</th><th>newest</th></tr></thead><tbody>",
    );
    for w in rows {
        let class = match w.standing {
            Standing::Expired => "fail",
            Standing::Expiring => "warn",
            Standing::Active => "pass",
            Standing::Unknown => "skipped",
        };
        let _ = write!(
            out,
            "<tr class=\"w-{}\"><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            w.standing.as_str(),
            esc(&w.id),
            esc(&w.rule),
            esc(&w.expires),
            badge(class, w.standing.as_str()),
            w.days_left
                .map_or_else(|| "?".to_owned(), |d| d.to_string()),
            esc(&w.approver),
            esc(&w.justification),
            w.records,
            w.applied,
            record_link(up, w.last_seq)
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn buckets_table(buckets: &[Bucket], g: Granularity) -> String {
    let mut out = format!(
        "<details><summary>The chart's numbers</summary><table><thead><tr><th>{}</th>{COUNTS_HEAD}</tr></thead><tbody>",
        g.as_str()
    );
    for b in buckets {
        let _ = write!(
            out,
            "<tr><td>{}</td>{}</tr>",
            esc(&b.label),
            counts_cells(&b.counts)
        );
    }
    out.push_str("</tbody></table></details>");
    out
}

/// Everything the overview shows.
pub struct Overview<'a> {
    /// Every record, in ledger order.
    pub records: &'a [RecordSummary],
    /// Integrity.
    pub integrity: &'a Integrity,
    /// The day expiries are judged against.
    pub today: Date,
    /// Latest records shown.
    pub latest: usize,
}

/// Lines, rules and waivers the overview shows at most.
const OVERVIEW_ROWS: usize = 10;

/// index.html.
pub fn overview(o: &Overview<'_>) -> String {
    let up = "";
    let records = o.records;
    let total = data::counts(records);
    let mut body = String::new();
    let _ = write!(
        body,
        "<p class=\"lead\">{} record(s): <strong>{}</strong> pass, <strong>{}</strong> fail, <strong>{}</strong> failed verification — pass rate {}. Waivers judged against {}.</p>",
        total.total(),
        total.pass,
        total.fail,
        total.unverified,
        total
            .pass_permille()
            .map_or_else(|| "-".to_owned(), percent),
        o.today
    );
    let unverified: Vec<&RecordSummary> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Unverified)
        .collect();
    body.push_str(&integrity_section(up, o.integrity, &unverified));

    let (g, buckets) = data::verdicts_over_time(records);
    let _ = write!(
        body,
        "<section><h2>Verdicts over time</h2><p class=\"legend\"><span class=\"k c-pass\"></span>pass <span class=\"k c-fail\"></span>fail <span class=\"k c-unverified\"></span>failed verification (per {})</p>{}{}</section>",
        g.as_str(),
        svg::verdict_bars(&buckets, g.as_str()),
        buckets_table(&buckets, g)
    );

    let mut lines = data::pass_rates(records);
    lines.sort_by_key(|l| std::cmp::Reverse(l.latest_seq));
    let shown: Vec<&LineRate> = lines.iter().take(OVERVIEW_ROWS).collect();
    let _ = write!(
        body,
        "<section><h2>Pass rate per release line</h2>{}{}</section>",
        lines_table(up, &shown),
        more(lines.len(), OVERVIEW_ROWS, "releases.html", "release lines")
    );

    let rules = data::rule_stats(records);
    let failing: Vec<&RuleStats> = rules
        .iter()
        .filter(|r| r.fail + r.error > 0)
        .take(OVERVIEW_ROWS)
        .collect();
    body.push_str("<section><h2>Rules that fail most</h2>");
    if failing.is_empty() {
        body.push_str("<p>No rule has failed.</p>");
    } else {
        body.push_str(&rules_table(up, &failing));
    }
    let _ = write!(
        body,
        "<p><a href=\"rules.html\">Every rule ({})</a></p></section>",
        rules.len()
    );

    let waivers = data::waiver_rows(records, o.today);
    let urgent: Vec<&WaiverRow> = waivers.iter().take(OVERVIEW_ROWS).collect();
    body.push_str("<section><h2>Waivers and their expiry</h2>");
    if waivers.is_empty() {
        body.push_str("<p>No record used a waiver.</p>");
    } else {
        let (expired, expiring) = standing_counts(&waivers);
        let _ = write!(
            body,
            "<p>{} waiver(s): <strong>{expired}</strong> expired, <strong>{expiring}</strong> expiring within their warning window.</p>",
            waivers.len()
        );
        let urgent_owned: Vec<WaiverRow> = urgent.iter().map(|w| (*w).clone()).collect();
        body.push_str(&svg::waiver_timeline(&urgent_owned, o.today));
        body.push_str(&waivers_table(up, &urgent));
        body.push_str(&more(
            waivers.len(),
            OVERVIEW_ROWS,
            "waivers.html",
            "waivers",
        ));
    }
    body.push_str("</section>");

    let latest: Vec<&RecordSummary> = records.iter().rev().take(o.latest).collect();
    let _ = write!(
        body,
        "<section><h2>Latest records</h2>{}<p><a href=\"records/index.html\">All {} records, with filters</a></p></section>",
        records_table(up, &latest, "latest"),
        records.len()
    );
    page("Overview", 0, Section::Overview, &body, &[])
}

fn standing_counts(rows: &[WaiverRow]) -> (usize, usize) {
    (
        rows.iter()
            .filter(|w| w.standing == Standing::Expired)
            .count(),
        rows.iter()
            .filter(|w| w.standing == Standing::Expiring)
            .count(),
    )
}

fn more(total: usize, shown: usize, href: &str, what: &str) -> String {
    if total > shown {
        format!("<p><a href=\"{href}\">All {total} {what}</a></p>")
    } else {
        String::new()
    }
}

/// releases.html: every release line.
pub fn releases(records: &[RecordSummary]) -> String {
    let lines = data::pass_rates(records);
    let refs: Vec<&LineRate> = lines.iter().collect();
    let body = format!(
        "<p>A release line is the release's name and the major.minor of its version. Records that failed verification are not counted as passes.</p>{}",
        lines_table("", &refs)
    );
    page("Release lines", 0, Section::Releases, &body, &[])
}

/// rules.html: every rule.
pub fn rules(records: &[RecordSummary]) -> String {
    let rules = data::rule_stats(records);
    let refs: Vec<&RuleStats> = rules.iter().collect();
    let body = format!(
        "<p>Each rule across the ledger, those failing most first. The failure rate is failures and errors over the records where the rule was evaluated (not skipped). A rule's id links to the records where it failed.</p>{}",
        rules_table("", &refs)
    );
    page("Rules", 0, Section::Rules, &body, &[])
}

/// waivers.html: every waiver on a timeline.
pub fn waivers(records: &[RecordSummary], today: Date) -> String {
    let rows = data::waiver_rows(records, today);
    let refs: Vec<&WaiverRow> = rows.iter().collect();
    let (expired, expiring) = standing_counts(&rows);
    let body = if rows.is_empty() {
        "<p>No record used a waiver.</p>".to_owned()
    } else {
        format!(
            "<p>Every waiver a record reported (by id, rule and expiry), judged against {today}: <strong>{expired}</strong> expired, <strong>{expiring}</strong> expiring within the warning window of the newest record that used it. An expired waiver covers nothing.</p>{}{}",
            svg::waiver_timeline(&rows, today),
            waivers_table("", &refs)
        )
    };
    page("Waivers", 0, Section::Waivers, &body, &[])
}

fn budget_cell(spent: i64, budget: Option<i64>) -> String {
    match budget {
        None => "<td class=\"n\">-</td>".to_owned(),
        Some(b) if spent > b => format!(
            "<td class=\"n over\">{} <span class=\"b b-fail\">over by {}</span></td>",
            usd(b),
            usd(spent - b)
        ),
        Some(b) => format!("<td class=\"n\">{} ({} left)</td>", usd(b), usd(b - spent)),
    }
}

/// cost.html: cost against budget per release, and per region.
pub fn cost(points: &[CostPoint]) -> String {
    let mut body = String::from(
        "<p>The cost shipgate computed from each release's cost evidence (the newest record of each release): predicted egress (delivery) and inference cost against the release's budget tags, in USD. Bars that exceed their budget tick are outlined.</p>",
    );
    if points.is_empty() {
        body.push_str("<p>No record carries cost evidence.</p>");
        return page("Cost", 0, Section::Cost, &body, &[]);
    }
    let charted = points.len().saturating_sub(60);
    let _ = write!(
        body,
        "<p class=\"legend\"><span class=\"k c-egress\"></span>egress <span class=\"k c-inference\"></span>inference <span class=\"k budget\"></span>budget</p>{}",
        svg::cost_bars(points.get(charted..).unwrap_or(points))
    );
    if charted > 0 {
        let _ = write!(
            body,
            "<p>The chart shows the newest 60 releases; the table lists all {}.</p>",
            points.len()
        );
    }
    body.push_str("<table><thead><tr><th>release</th><th>record</th><th>period</th><th>egress</th><th>egress budget</th><th>inference</th><th>inference budget</th><th>total</th><th>total budget</th></tr></thead><tbody>");
    for p in points {
        let c = &p.cost;
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td class=\"n\">{}</td>{}<td class=\"n\">{}</td>{}<td class=\"n\">{}</td>{}</tr>",
            esc(&p.release),
            record_link("", p.seq),
            outcome_badge(p.outcome),
            esc(c.period.as_deref().unwrap_or("-")),
            usd(c.egress_cents),
            budget_cell(c.egress_cents, c.egress_budget),
            usd(c.inference_cents),
            budget_cell(c.inference_cents, c.inference_budget),
            usd(c.total_cents),
            budget_cell(c.total_cents, c.total_budget)
        );
    }
    body.push_str("</tbody></table><h2>Per region</h2><p>Inference per region is the sum of the region's rounded lines, so it may differ from the rounded total by a cent.</p><table><thead><tr><th>release</th><th>region</th><th>installs</th><th>egress</th><th>inference</th></tr></thead><tbody>");
    for p in points.iter().rev() {
        for r in &p.cost.regions {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&p.release),
                esc(&r.region),
                r.installs,
                usd(r.egress_cents),
                usd(r.inference_cents)
            );
        }
    }
    body.push_str("</tbody></table>");
    page("Cost", 0, Section::Cost, &body, &[])
}

fn status_badge(status: &str) -> String {
    let class = match status {
        "pass" | "verified" => "pass",
        "fail" | "error" | "invalid" | "unreadable" | "altered" => "fail",
        "warn" | "unsigned" | "untrusted" | "waived" => "warn",
        _ => "skipped",
    };
    badge(class, status)
}

/// residency.html: per release and region, where data is stored and
/// processed, and what the residency rules said.
pub fn residency(rows: &[ResidencyRow]) -> String {
    let mut body = String::from(
        "<p>For each release (its newest record with residency evidence or residency rules): per region, the jurisdictions where its data is stored, processed and cached, as its residency attestation says, the attestation's signature status when the record was checked again here (against the keys the record trusted), and the findings of the <code>residency.*</code> rules about that region.</p>",
    );
    if rows.is_empty() {
        body.push_str("<p>No record carries residency evidence.</p>");
        return page("Residency", 0, Section::Residency, &body, &[]);
    }
    for row in rows.iter().rev() {
        let _ = write!(
            body,
            "<section><h2>{} <small>{} {}</small></h2>",
            esc(&row.release),
            record_link("", row.seq),
            outcome_badge(row.outcome)
        );
        if !row.rules.is_empty() {
            body.push_str("<p class=\"rules\">");
            for r in &row.rules {
                let _ = write!(
                    body,
                    "{} <code>{}</code> ",
                    status_badge(&r.status),
                    esc(&r.id)
                );
            }
            body.push_str("</p>");
        }
        body.push_str("<table><thead><tr><th>region</th><th>stored in</th><th>processed in</th><th>edge caches</th><th>attestation</th><th>residency findings</th></tr></thead><tbody>");
        let mut regions: Vec<&str> = row.regions.iter().map(|r| r.region.as_str()).collect();
        for f in &row.findings {
            if !f.region.is_empty() && !regions.contains(&f.region.as_str()) {
                regions.push(&f.region);
            }
        }
        for region in regions {
            let attested: Vec<&data::ResidencyRegion> =
                row.regions.iter().filter(|r| r.region == region).collect();
            let findings: Vec<String> = row
                .findings
                .iter()
                .filter(|f| f.region == region)
                .map(|f| {
                    format!(
                        "{} <code>{}</code> {}",
                        status_badge(&f.kind),
                        esc(&f.rule),
                        esc(&f.msg)
                    )
                })
                .collect();
            let findings = if findings.is_empty() {
                badge("pass", "no findings")
            } else {
                findings.join("<br>")
            };
            if attested.is_empty() {
                let _ = write!(
                    body,
                    "<tr class=\"o-fail\"><td>{}</td><td colspan=\"4\">not attested</td><td>{findings}</td></tr>",
                    esc(region)
                );
            }
            for a in attested {
                let _ = write!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{findings}</td></tr>",
                    esc(region),
                    esc(&a.storage.join(", ")),
                    esc(&a.processing.join(", ")),
                    esc(&a.edge_caches.join(", ")),
                    status_badge(&a.status),
                    esc(&a.attestation)
                );
            }
        }
        body.push_str("</tbody></table>");
        let unplaced: Vec<String> = row
            .findings
            .iter()
            .filter(|f| f.region.is_empty())
            .map(|f| {
                format!(
                    "<li>{} <code>{}</code> {}</li>",
                    status_badge(&f.kind),
                    esc(&f.rule),
                    esc(&f.msg)
                )
            })
            .collect();
        if !unplaced.is_empty() {
            let _ = write!(
                body,
                "<p>Findings about no one region:</p><ul>{}</ul>",
                unplaced.join("")
            );
        }
        body.push_str("</section>");
    }
    page("Residency", 0, Section::Residency, &body, &[])
}

/// One page of the records index, with the filter form (shown by the
/// script) above the static table.
pub fn records_index(
    all: &[RecordSummary],
    page_no: usize,
    pages: usize,
    page_size: usize,
) -> String {
    let start = page_no.saturating_sub(1) * page_size;
    // Newest first.
    let rows: Vec<&RecordSummary> = all.iter().rev().skip(start).take(page_size).collect();
    let mut body = String::new();
    body.push_str(
        "<form id=\"filter\" class=\"filter\" hidden><label>verdict <select name=\"verdict\"><option value=\"\">any</option><option>pass</option><option>fail</option><option value=\"unverified\">failed verification</option></select></label> <label>failed rule <input name=\"rule\" list=\"rule-ids\" size=\"28\"></label> <label>release <input name=\"release\" size=\"20\" placeholder=\"name or name version\"></label> <label>from <input name=\"from\" type=\"date\"></label> <label>to <input name=\"to\" type=\"date\"></label> <button type=\"reset\">clear</button> <output id=\"matches\"></output><datalist id=\"rule-ids\"></datalist></form><noscript><p>Filters need scripts; every record is listed below, newest first, across the numbered pages.</p></noscript>",
    );
    let nav = pager(page_no, pages);
    body.push_str(&nav);
    let _ = write!(
        body,
        "<p class=\"range\">Records {}–{} of {}, newest first.</p>",
        all.len().saturating_sub(start + rows.len()) + usize::from(!rows.is_empty()),
        all.len().saturating_sub(start),
        all.len()
    );
    body.push_str(&records_table("../", &rows, "rows"));
    body.push_str(&nav);
    let title = if pages > 1 {
        format!("Records (page {page_no} of {pages})")
    } else {
        "Records".to_owned()
    };
    page(
        &title,
        1,
        Section::Records,
        &body,
        &["records/index.js", "assets/filter.js"],
    )
}

/// The file name of records index page `n` (1-based).
pub fn index_page_name(n: usize) -> String {
    if n <= 1 {
        "index.html".to_owned()
    } else {
        format!("page-{n}.html")
    }
}

fn pager(page_no: usize, pages: usize) -> String {
    if pages <= 1 {
        return String::new();
    }
    let mut out = String::from("<nav class=\"pager\" aria-label=\"pages\">");
    for n in 1..=pages {
        if n == page_no {
            let _ = write!(out, "<strong>{n}</strong> ");
        } else {
            let _ = write!(out, "<a href=\"{}\">{n}</a> ", index_page_name(n));
        }
    }
    out.push_str("</nav>");
    out
}

/// The filter index: every record's seq, time, release, outcome,
/// signature and failed rules (as indices into `rules`), as a script that
/// sets `SHIPGATE_INDEX` (a script, not JSON, so it loads from `file://`).
pub fn filter_index(records: &[RecordSummary]) -> String {
    let mut rules: Vec<&str> = records.iter().flat_map(|r| r.failed_rules()).collect();
    rules.sort_unstable();
    rules.dedup();
    let rows: Vec<Value> = records
        .iter()
        .rev()
        .map(|r| {
            let failed: Vec<usize> = r
                .failed_rules()
                .filter_map(|id| rules.binary_search(&id).ok())
                .collect();
            serde_json::json!([
                r.seq,
                r.time,
                r.release_label(),
                r.outcome.as_str(),
                sig_name(&r.signature),
                failed
            ])
        })
        .collect();
    let index = serde_json::json!({ "rules": rules, "records": rows });
    // `<` never appears raw, so the text cannot close a script element.
    let text = serde_json::to_string(&index)
        .unwrap_or_else(|_| "{}".to_owned())
        .replace('<', "\\u003c");
    format!("window.SHIPGATE_INDEX={text};\n")
}

/// What a record page needs besides the summary.
pub struct RecordPage<'a> {
    /// The summary (outcome, signature, problems).
    pub summary: &'a RecordSummary,
    /// The ledger entry.
    pub entry: &'a crate::ledger::Entry,
    /// sha256 of the entry.
    pub entry_sha256: &'a str,
    /// The statement, when the record could be read.
    pub statement: Option<&'a Value>,
    /// Remediation of a rule, by id.
    pub remediation: &'a dyn Fn(&str) -> Option<String>,
    /// The command that replays the record.
    pub replay: String,
}

fn findings_list(r: &Value) -> String {
    let mut items = Vec::new();
    for (key, class, label) in [
        ("violations", "fail", "violation"),
        ("warnings", "warn", "warning"),
        ("waived", "waived", "waived"),
    ] {
        for f in r.get(key).and_then(Value::as_array).into_iter().flatten() {
            let mut item = format!("{} {}", badge(class, label), esc(&data::text(f, "msg")));
            if let Some(w) = f.get("waiver").and_then(Value::as_str) {
                let _ = write!(item, " <small>(waiver <code>{}</code>)</small>", esc(w));
            }
            if let Some(loc) = f.get("location") {
                let file = data::text(loc, "file");
                let line = loc.get("line").and_then(Value::as_u64);
                let at = match line {
                    Some(l) => format!("{file}:{l}"),
                    None => file,
                };
                let pointer = data::text(loc, "pointer");
                let _ = write!(
                    item,
                    " <small>at <code>{}</code>{}</small>",
                    esc(&at),
                    if pointer.is_empty() {
                        String::new()
                    } else {
                        format!(" <code>{}</code>", esc(&pointer))
                    }
                );
            }
            items.push(item);
        }
    }
    if items.is_empty() {
        return String::new();
    }
    let list: String = items.iter().map(|i| format!("<li>{i}</li>")).collect();
    if items.len() > 8 {
        format!(
            "<details><summary>{} finding(s)</summary><ul class=\"findings\">{list}</ul></details>",
            items.len()
        )
    } else {
        format!("<ul class=\"findings\">{list}</ul>")
    }
}

/// records/N.html.
pub fn record(p: &RecordPage<'_>) -> String {
    let s = p.summary;
    let e = p.entry;
    let up = "../";
    let mut body = String::with_capacity(32 * 1024);
    match (s.outcome, &s.signature) {
        (Outcome::Unverified, _) => {
            let _ = write!(
                body,
                "<div class=\"banner bad\"><strong>FAILED VERIFICATION.</strong> This record cannot be trusted: what follows is shown as stored, and it is not counted by its verdict.<ul>"
            );
            for problem in &s.problems {
                let _ = write!(body, "<li>{}</li>", esc(problem));
            }
            if let SigState::Invalid(reason) = &s.signature {
                let _ = write!(body, "<li>signature: {}</li>", esc(reason));
            }
            body.push_str("</ul></div>");
        }
        (_, SigState::Verified(keys)) => {
            let _ = write!(
                body,
                "<div class=\"banner ok\">Verified: the chain links this entry, every stored object matches its digest, and the record's signature verifies with trusted key(s) {}.</div>",
                keys.iter()
                    .map(|k| format!("<code>{}</code>", esc(k)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        (_, SigState::Unsigned) => body.push_str(
            "<div class=\"banner warn\">Intact but <strong>unsigned</strong>: the chain links this entry and its objects match their digests, but no signature says who made it.</div>",
        ),
        (_, SigState::Unchecked) => body.push_str(
            "<div class=\"banner warn\">Intact; the record is signed, but no trusted key was given to the dashboard, so the signature was <strong>not checked</strong>.</div>",
        ),
        (_, SigState::Invalid(_)) => {}
    }
    let st = p.statement;
    let pred = st.and_then(|v| v.get("predicate"));
    let get = |ptr: &str| {
        pred.and_then(|v| v.pointer(ptr))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    body.push_str("<table class=\"kv\"><tbody>");
    let rows: [(&str, String); 12] = [
        (
            "verdict",
            if s.outcome == Outcome::Unverified {
                format!(
                    "{} as recorded; {}",
                    badge(&s.verdict, &s.verdict),
                    outcome_badge(s.outcome)
                )
            } else {
                badge(&s.verdict, &s.verdict)
            },
        ),
        ("release", esc(&s.release_label())),
        ("evaluated at", esc(&s.time)),
        (
            "signature",
            format!(
                "{} {}",
                sig_badge(&s.signature),
                match &s.signature {
                    SigState::Verified(k) => k
                        .iter()
                        .map(|k| format!("<code>{}</code>", esc(k)))
                        .collect::<Vec<_>>()
                        .join(" "),
                    SigState::Invalid(r) => esc(r),
                    _ => String::new(),
                }
            ),
        ),
        (
            "verifier",
            esc(&format!(
                "{} {}",
                get("/verifier/name"),
                get("/verifier/version")
            )),
        ),
        ("environment", esc(get("/invocation/environment"))),
        (
            "git",
            esc(&format!(
                "{} {}",
                get("/invocation/git/ref"),
                get("/invocation/git/sha")
            )),
        ),
        ("input digest", digest(get("/input_digest/sha256"))),
        ("record object", digest(&e.record)),
        (
            "VSA object",
            e.vsa.as_deref().map_or_else(|| "-".to_owned(), digest),
        ),
        ("ledger entry", digest(p.entry_sha256)),
        (
            "previous entry",
            e.prev
                .as_deref()
                .map_or_else(|| "- (first entry)".to_owned(), digest),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(body, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    body.push_str("</tbody></table>");
    let _ = write!(
        body,
        "<h2>Replay</h2><p>Re-run this evaluation from the stored evidence and bundles, at its pinned time:</p><pre class=\"cmd\"><code>{}</code></pre>",
        esc(&p.replay)
    );

    body.push_str(
        "<h2>Subject</h2><table><thead><tr><th>artifact</th><th>digest</th></tr></thead><tbody>",
    );
    for sub in data::items(st, "subject") {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&data::text(sub, "name")),
            digest(
                sub.pointer("/digest/sha256")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        );
    }
    body.push_str("</tbody></table>");

    if let Some(summary) = pred
        .and_then(|p| p.get("summary"))
        .and_then(Value::as_object)
    {
        body.push_str("<p class=\"summary\">");
        for status in ["pass", "fail", "warn", "skipped", "waived", "error"] {
            let n = summary.get(status).and_then(Value::as_u64).unwrap_or(0);
            let _ = write!(body, "{} {n} ", status_badge(status));
        }
        body.push_str("</p>");
    }
    body.push_str("<h2>Rule results</h2><table class=\"results\"><thead><tr><th>status</th><th>rule</th><th>severity</th><th>result</th><th>remediation</th></tr></thead><tbody>");
    for r in data::items(pred, "results") {
        let id = data::text(r, "id");
        let status = data::text(r, "status");
        let message = data::text(r, "message");
        let remediation = if matches!(status.as_str(), "fail" | "error" | "warn" | "waived") {
            (p.remediation)(&id).map_or_else(String::new, |t| esc(&t))
        } else {
            String::new()
        };
        let _ = write!(
            body,
            "<tr class=\"s-{}\"><td>{}</td><td><code>{}</code><br>{}</td><td>{}</td><td>{}{}</td><td>{remediation}</td></tr>",
            esc(&status),
            status_badge(&status),
            esc(&id),
            esc(&data::text(r, "title")),
            esc(&data::text(r, "severity")),
            if message.is_empty() {
                String::new()
            } else {
                format!("<p>{}</p>", esc(&message))
            },
            findings_list(r)
        );
    }
    body.push_str("</tbody></table>");

    body.push_str("<h2>Evidence</h2><table><thead><tr><th>kind</th><th>path</th><th>digest</th><th>stored</th></tr></thead><tbody>");
    for ev in data::items(pred, "evidence") {
        let sha = ev
            .pointer("/digest/sha256")
            .and_then(Value::as_str)
            .unwrap_or("");
        let stored = if e.evidence.iter().any(|f| f.sha256 == sha) {
            "in the ledger"
        } else {
            "NOT in the ledger entry"
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&data::text(ev, "kind")),
            esc(&data::text(ev, "path")),
            digest(sha),
            stored
        );
    }
    body.push_str("</tbody></table>");

    body.push_str("<h2>Bundles</h2><table><thead><tr><th>bundle</th><th>version</th><th>path</th><th>digest</th></tr></thead><tbody>");
    for b in data::items(pred, "bundles") {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&data::text(b, "name")),
            esc(&data::text(b, "version")),
            esc(&data::text(b, "path")),
            digest(
                b.pointer("/digest/sha256")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        );
    }
    body.push_str("</tbody></table>");

    body.push_str("<h2>Waivers</h2>");
    if s.waivers.is_empty() {
        body.push_str("<p>None.</p>");
    } else {
        if let Some(w) = &e.waivers {
            let _ = write!(
                body,
                "<p>Waivers file <code>{}</code> {}</p>",
                esc(&w.path),
                digest(&w.sha256)
            );
        }
        body.push_str("<table><thead><tr><th>waiver</th><th>rule</th><th>status</th><th>matched</th><th>expires</th><th>approver</th><th>justification</th></tr></thead><tbody>");
        for w in &s.waivers {
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&w.id),
                esc(&w.rule),
                status_badge(match w.status.as_str() {
                    "applied" => "pass",
                    "expiring" => "warn",
                    "expired" => "fail",
                    other => other,
                })
                .replace(">pass<", ">applied<")
                .replace(">warn<", ">expiring<")
                .replace(">fail<", ">expired<"),
                w.matched,
                esc(&w.expires),
                esc(&w.approver),
                esc(&w.justification)
            );
        }
        body.push_str("</tbody></table>");
    }

    if let Some(c) = &s.cost {
        let _ = write!(
            body,
            "<h2>Cost</h2><table><thead><tr><th></th><th>predicted</th><th>budget</th></tr></thead><tbody><tr><th>egress</th><td class=\"n\">{}</td>{}</tr><tr><th>inference</th><td class=\"n\">{}</td>{}</tr><tr><th>total</th><td class=\"n\">{}</td>{}</tr></tbody></table>",
            usd(c.egress_cents),
            budget_cell(c.egress_cents, c.egress_budget),
            usd(c.inference_cents),
            budget_cell(c.inference_cents, c.inference_budget),
            usd(c.total_cents),
            budget_cell(c.total_cents, c.total_budget)
        );
    }
    if !s.residency.is_empty() {
        body.push_str("<h2>Residency</h2><table><thead><tr><th>region</th><th>stored in</th><th>processed in</th><th>edge caches</th><th>attestation</th></tr></thead><tbody>");
        for r in &s.residency {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td></tr>",
                esc(&r.region),
                esc(&r.storage.join(", ")),
                esc(&r.processing.join(", ")),
                esc(&r.edge_caches.join(", ")),
                status_badge(&r.status),
                esc(&r.attestation)
            );
        }
        body.push_str("</tbody></table>");
    }
    let _ = write!(
        body,
        "<p class=\"pager\">{}{}</p>",
        if s.seq > 1 {
            format!("<a href=\"{}.html\">← #{}</a> ", s.seq - 1, s.seq - 1)
        } else {
            String::new()
        },
        format_args!("<a href=\"{up}records/index.html\">all records</a>")
    );
    let title = format!(
        "Record #{} — {} — {}",
        s.seq,
        s.release_label(),
        match s.outcome {
            Outcome::Unverified => "FAILED VERIFICATION",
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
        }
    );
    page(&title, 1, Section::Records, &body, &[])
}

/// The stylesheet.
pub const STYLE: &str = include_str!("assets/style.css");

/// The records filter: reads `SHIPGATE_INDEX` and replaces the static
/// table's rows with the matches (text only: no markup from the data).
/// Without it the page is the plain paginated table.
pub const FILTER_JS: &str = include_str!("assets/filter.js");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(frag("edge agent 2.4"), "edge%20agent%202.4");
    }

    #[test]
    fn the_filter_index_cannot_close_its_script() {
        let r = RecordSummary {
            seq: 1,
            time: "t".into(),
            release: Some(("</script><script>alert(1)".into(), "1".into())),
            verdict: "fail".into(),
            outcome: Outcome::Fail,
            signature: SigState::Unsigned,
            problems: vec![],
            rules: vec![data::RuleOutcome {
                id: "x.a".into(),
                title: String::new(),
                status: "fail".into(),
            }],
            waivers: vec![],
            cost: None,
            residency: vec![],
            residency_findings: vec![],
        };
        let js = filter_index(&[r]);
        assert!(!js.contains('<'), "{js}");
        assert!(js.contains(r#""rules":["x.a"]"#), "{js}");
        assert!(js.contains(r#",[0]]"#), "{js}");
    }
}
