//! What the pages are built from: one [`RecordSummary`] per ledger entry, and
//! the aggregations over them (verdicts over time, pass rates per release
//! line, rule failure counts, waivers against today, cost per release,
//! residency per region).
//!
//! Everything here is a pure function of its arguments, so the numbers a page
//! shows are unit-tested without rendering anything, and the same ledger gives
//! the same site byte for byte (ordered maps only, no clock).

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde_json::Value;

/// How a record's signature checked out when the site was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigState {
    /// Verified by these trusted keys (key ids).
    Verified(Vec<String>),
    /// The record carries no signature (a local run without a signing key).
    Unsigned,
    /// Signed, but no trusted key was given to the dashboard: not checked.
    Unchecked,
    /// No trusted key verifies it, or the envelope is unreadable or altered.
    Invalid(String),
}

/// What a record counts as in the aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Verdict pass, and the record is intact.
    Pass,
    /// Verdict fail, and the record is intact.
    Fail,
    /// The record failed verification (altered, broken chain, bad
    /// signature): whatever it says, it is not counted as a pass.
    Unverified,
}

impl Outcome {
    /// Lowercase name, as used in filters and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unverified => "unverified",
        }
    }
}

/// One rule's status in one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `pass`, `fail`, `warn`, `skipped`, `waived` or `error`.
    pub status: String,
}

/// A waiver as a record reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverUse {
    /// Identifier.
    pub id: String,
    /// Rule it waives.
    pub rule: String,
    /// Last day it applies (`YYYY-MM-DD`).
    pub expires: String,
    /// What became of it in that evaluation (`applied`, `expiring`, `expired`, `unused`).
    pub status: String,
    /// Approver.
    pub approver: String,
    /// Justification.
    pub justification: String,
    /// Violations it covered.
    pub matched: u64,
    /// The record's warning window, in days.
    pub warning_days: i64,
}

/// Cost of one region in one record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegionCost {
    /// Region.
    pub region: String,
    /// Forecast installs.
    pub installs: u64,
    /// Predicted egress, cents.
    pub egress_cents: i64,
    /// Predicted inference, cents (the sum of the region's rounded lines).
    pub inference_cents: i64,
}

/// The computed cost of one record, in cents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CostSummary {
    /// Forecast period label.
    pub period: Option<String>,
    /// Predicted egress.
    pub egress_cents: i64,
    /// Predicted inference.
    pub inference_cents: i64,
    /// Egress plus inference.
    pub total_cents: i64,
    /// `budget.egress_usd`, when tagged.
    pub egress_budget: Option<i64>,
    /// `budget.inference_usd`, when tagged.
    pub inference_budget: Option<i64>,
    /// `budget.total_usd`, when tagged.
    pub total_budget: Option<i64>,
    /// Per region, in region order.
    pub regions: Vec<RegionCost>,
}

/// Where one region's data is kept, by one residency attestation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResidencyRegion {
    /// Region.
    pub region: String,
    /// Storage jurisdictions.
    pub storage: Vec<String>,
    /// Processing jurisdictions.
    pub processing: Vec<String>,
    /// Edge caches: `provider pop (JURISDICTION)`.
    pub edge_caches: Vec<String>,
    /// The attestation's path, as checked.
    pub attestation: String,
    /// Its signature status (`verified`, `unsigned`, `untrusted`, `invalid`,
    /// or `unreadable` when the stored object could not be read).
    pub status: String,
}

/// A residency rule's finding about a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFinding {
    /// Region (from the finding's `region` detail; empty when it names none).
    pub region: String,
    /// Rule id.
    pub rule: String,
    /// `fail`, `warn` or `waived`.
    pub kind: String,
    /// Message.
    pub msg: String,
}

/// One ledger entry, as the aggregates see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    /// Position in the ledger.
    pub seq: u64,
    /// Evaluation time (RFC 3339).
    pub time: String,
    /// Release name and version.
    pub release: Option<(String, String)>,
    /// `pass` or `fail`, as the record says.
    pub verdict: String,
    /// What it counts as.
    pub outcome: Outcome,
    /// Signature.
    pub signature: SigState,
    /// What verification found wrong with this entry.
    pub problems: Vec<String>,
    /// Every rule's status.
    pub rules: Vec<RuleOutcome>,
    /// Waivers reported.
    pub waivers: Vec<WaiverUse>,
    /// Computed cost, when cost evidence was given.
    pub cost: Option<CostSummary>,
    /// Residency by region, when residency evidence was given.
    pub residency: Vec<ResidencyRegion>,
    /// Residency rule findings that name a region.
    pub residency_findings: Vec<RegionFinding>,
}

impl RecordSummary {
    /// `name version`, or `-`.
    pub fn release_label(&self) -> String {
        self.release
            .as_ref()
            .map_or_else(|| "-".to_owned(), |(n, v)| format!("{n} {v}"))
    }

    /// The release line: name and `major.minor` of the version.
    pub fn line(&self) -> String {
        match &self.release {
            Some((name, version)) => format!("{name} {}", release_line(version)),
            None => "(no release manifest)".to_owned(),
        }
    }

    /// The evaluation day (`YYYY-MM-DD`), when the time is readable.
    pub fn date(&self) -> Option<Date> {
        self.time.get(..10).and_then(|d| d.parse::<Date>().ok())
    }

    /// Rule ids that failed or errored.
    pub fn failed_rules(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .filter(|r| matches!(r.status.as_str(), "fail" | "error"))
            .map(|r| r.id.as_str())
    }
}

/// `major.minor` of a version (`2.5.0-beta.1` → `2.5`); the whole version
/// when it has no dot.
pub fn release_line(version: &str) -> String {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let mut parts = core.split('.');
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => version.to_owned(),
    }
}

/// The outcome of a record: unverified when anything about it failed
/// verification, else its verdict.
pub fn outcome(verdict: &str, signature: &SigState, problems: &[String]) -> Outcome {
    match (problems.is_empty(), signature, verdict) {
        // Altered, unlinked or unreadable: not counted as what it claims.
        (false, _, _) => Outcome::Unverified,
        // A signature no trusted key verifies is a forgery or a re-signing.
        (true, SigState::Invalid(_), _) => Outcome::Unverified,
        (true, _, "pass") => Outcome::Pass,
        // Anything but a clean pass is a failure (fail closed).
        (true, _, _) => Outcome::Fail,
    }
}

/// Differences between what the ledger entry says and what the signed record
/// says: the entry is not signed, so an altered entry shows here.
pub fn entry_mismatches(entry: &crate::ledger::Entry, predicate: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let said = |p: &str| predicate.pointer(p).and_then(Value::as_str);
    if said("/verdict") != Some(entry.verdict.as_str()) {
        out.push(format!(
            "the ledger entry says verdict `{}`, the record says `{}`",
            entry.verdict,
            said("/verdict").unwrap_or("?")
        ));
    }
    if said("/time_verified") != Some(entry.time.as_str()) {
        out.push(format!(
            "the ledger entry says time `{}`, the record says `{}`",
            entry.time,
            said("/time_verified").unwrap_or("?")
        ));
    }
    let entry_release = entry
        .release
        .as_ref()
        .map(|r| (r.name.as_str(), r.version.as_str()));
    let record_release = said("/release/name").zip(said("/release/version"));
    if entry_release != record_release {
        let show = |r: Option<(&str, &str)>| {
            r.map_or_else(|| "none".to_owned(), |(n, v)| format!("{n} {v}"))
        };
        out.push(format!(
            "the ledger entry says release `{}`, the record says `{}`",
            show(entry_release),
            show(record_release)
        ));
    }
    let stored: BTreeSet<&str> = entry.evidence.iter().map(|f| f.sha256.as_str()).collect();
    let recorded: BTreeSet<&str> = items(Some(predicate), "evidence")
        .filter_map(|e| e.pointer("/digest/sha256").and_then(Value::as_str))
        .collect();
    if stored != recorded {
        out.push(
            "the evidence files stored with the ledger entry are not the ones the record names"
                .to_owned(),
        );
    }
    out
}

/// Rule statuses of a statement's `results`.
pub fn rule_outcomes(predicate: &Value) -> Vec<RuleOutcome> {
    results(predicate)
        .map(|r| RuleOutcome {
            id: text(r, "id"),
            title: text(r, "title"),
            status: text(r, "status"),
        })
        .collect()
}

/// Waivers of a statement.
pub fn waiver_uses(predicate: &Value) -> Vec<WaiverUse> {
    let warning_days = predicate
        .pointer("/invocation/waiver_warning_days")
        .and_then(Value::as_i64)
        .unwrap_or(30);
    items(Some(predicate), "waivers")
        .map(|w| WaiverUse {
            id: text(w, "id"),
            rule: text(w, "rule"),
            expires: text(w, "expires"),
            status: text(w, "status"),
            approver: text(w, "approver"),
            justification: text(w, "justification"),
            matched: w.get("matched").and_then(Value::as_u64).unwrap_or(0),
            warning_days,
        })
        .collect()
}

/// The cost figures of a statement's `cost` (schemas/cost-model.schema.json).
pub fn cost_summary(predicate: &Value) -> Option<CostSummary> {
    let cost = predicate.get("cost").filter(|c| c.is_object())?;
    let cents = |p: &str| cost.pointer(p).and_then(Value::as_i64);
    let mut regions: BTreeMap<String, RegionCost> = BTreeMap::new();
    for r in cost
        .pointer("/egress/regions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let region = text(r, "region");
        let entry = regions.entry(region.clone()).or_insert_with(|| RegionCost {
            region,
            ..RegionCost::default()
        });
        entry.installs += r.get("installs").and_then(Value::as_u64).unwrap_or(0);
        entry.egress_cents += r
            .pointer("/amount/cents")
            .and_then(Value::as_i64)
            .unwrap_or(0);
    }
    for l in cost
        .pointer("/inference/lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let region = text(l, "region");
        let entry = regions.entry(region.clone()).or_insert_with(|| RegionCost {
            region,
            ..RegionCost::default()
        });
        entry.inference_cents += l
            .pointer("/amount/cents")
            .and_then(Value::as_i64)
            .unwrap_or(0);
    }
    Some(CostSummary {
        period: cost
            .get("period")
            .and_then(Value::as_str)
            .map(str::to_owned),
        egress_cents: cents("/egress/total/cents").unwrap_or(0),
        inference_cents: cents("/inference/total/cents").unwrap_or(0),
        total_cents: cents("/total/cents").unwrap_or(0),
        egress_budget: cents("/budgets/egress_usd/limit/cents"),
        inference_budget: cents("/budgets/inference_usd/limit/cents"),
        total_budget: cents("/budgets/total_usd/limit/cents"),
        regions: regions.into_values().collect(),
    })
}

/// The regions of a residency predicate (`predicate.regions[]`).
pub fn residency_regions(
    predicate: &Value,
    attestation: &str,
    status: &str,
) -> Vec<ResidencyRegion> {
    let list = |v: &Value, k: &str| -> Vec<String> {
        items(Some(v), k)
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    items(Some(predicate), "regions")
        .map(|r| ResidencyRegion {
            region: text(r, "region"),
            storage: list(r, "storage"),
            processing: list(r, "processing"),
            edge_caches: items(Some(r), "edge_caches")
                .map(|c| {
                    format!(
                        "{} {} ({})",
                        text(c, "provider"),
                        text(c, "pop"),
                        text(c, "jurisdiction")
                    )
                })
                .collect(),
            attestation: attestation.to_owned(),
            status: status.to_owned(),
        })
        .collect()
}

/// Findings of the `residency.*` rules, with the region each names.
pub fn residency_findings(predicate: &Value) -> Vec<RegionFinding> {
    let mut out = Vec::new();
    for r in results(predicate).filter(|r| text(r, "id").starts_with("residency.")) {
        let rule = text(r, "id");
        for (key, kind) in [
            ("violations", "fail"),
            ("warnings", "warn"),
            ("waived", "waived"),
        ] {
            for f in items(Some(r), key) {
                out.push(RegionFinding {
                    region: f
                        .pointer("/details/region")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    rule: rule.clone(),
                    kind: kind.to_owned(),
                    msg: text(f, "msg"),
                });
            }
        }
    }
    out
}

fn results(predicate: &Value) -> impl Iterator<Item = &Value> {
    items(Some(predicate), "results")
}

/// A string field, or empty.
pub fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The items of the array at `key` of `v` (none when either is absent).
pub fn items<'a>(v: Option<&'a Value>, key: &str) -> impl Iterator<Item = &'a Value> {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

// ---------------------------------------------------------------------------
// Aggregations

/// Records per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed and intact.
    pub pass: usize,
    /// Failed and intact.
    pub fail: usize,
    /// Failed verification.
    pub unverified: usize,
}

impl Counts {
    /// Adds one record.
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Unverified => self.unverified += 1,
        }
    }

    /// All records.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.unverified
    }

    /// Pass rate in tenths of a percent (`1000` = 100 %), rounded down;
    /// `None` when there are no records.
    pub fn pass_permille(&self) -> Option<usize> {
        (self.total() > 0).then(|| self.pass * 1000 / self.total())
    }
}

/// Outcome counts of `records`.
pub fn counts<'a>(records: impl IntoIterator<Item = &'a RecordSummary>) -> Counts {
    let mut c = Counts::default();
    for r in records {
        c.add(r.outcome);
    }
    c
}

/// How wide a time bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One bucket per day.
    Day,
    /// One per ISO week (labelled by its Monday).
    Week,
    /// One per month.
    Month,
}

impl Granularity {
    /// `day`, `week` or `month`.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }
}

/// Outcomes in one time bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// First day of the bucket (`YYYY-MM-DD`), or `unknown` for unreadable times.
    pub label: String,
    /// Counts.
    pub counts: Counts,
}

/// Most buckets a chart shows before the next coarser granularity is used.
pub const MAX_BUCKETS: usize = 90;

/// Verdicts over time: by day, or by week or month when the ledger spans
/// more than [`MAX_BUCKETS`] of the finer unit. Buckets with no records are
/// left out; they are in date order.
pub fn verdicts_over_time(records: &[RecordSummary]) -> (Granularity, Vec<Bucket>) {
    let by = |g: Granularity| {
        let mut buckets: BTreeMap<String, Counts> = BTreeMap::new();
        for r in records {
            let label = r
                .date()
                .map_or_else(|| "unknown".to_owned(), |d| bucket_start(d, g).to_string());
            buckets.entry(label).or_default().add(r.outcome);
        }
        buckets
    };
    let mut chosen = (Granularity::Day, by(Granularity::Day));
    for g in [Granularity::Week, Granularity::Month] {
        if chosen.1.len() <= MAX_BUCKETS {
            break;
        }
        chosen = (g, by(g));
    }
    let (g, buckets) = chosen;
    (
        g,
        buckets
            .into_iter()
            .map(|(label, counts)| Bucket { label, counts })
            .collect(),
    )
}

fn bucket_start(d: Date, g: Granularity) -> Date {
    match g {
        Granularity::Day => d,
        Granularity::Week => {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
        }
        Granularity::Month => d.first_of_month(),
    }
}

/// Pass rate of one release line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRate {
    /// `name major.minor`.
    pub line: String,
    /// Its records.
    pub counts: Counts,
    /// The newest record's seq.
    pub latest_seq: u64,
    /// The newest record's outcome.
    pub latest: Outcome,
}

/// Pass rate per release line, by line name.
pub fn pass_rates(records: &[RecordSummary]) -> Vec<LineRate> {
    let mut lines: BTreeMap<String, LineRate> = BTreeMap::new();
    for r in records {
        let line = lines.entry(r.line()).or_insert_with(|| LineRate {
            line: r.line(),
            counts: Counts::default(),
            latest_seq: r.seq,
            latest: r.outcome,
        });
        line.counts.add(r.outcome);
        if r.seq >= line.latest_seq {
            line.latest_seq = r.seq;
            line.latest = r.outcome;
        }
    }
    lines.into_values().collect()
}

/// How one rule fared over the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleStats {
    /// Rule id.
    pub id: String,
    /// Title (from the newest record).
    pub title: String,
    /// Records where it was evaluated (not skipped).
    pub evaluated: usize,
    /// Records where it failed.
    pub fail: usize,
    /// ... errored.
    pub error: usize,
    /// ... warned.
    pub warn: usize,
    /// ... was waived.
    pub waived: usize,
    /// ... was skipped.
    pub skipped: usize,
    /// The newest record where it failed or errored.
    pub last_failed: Option<u64>,
}

impl RuleStats {
    /// Failure rate (fail + error over evaluated) in tenths of a percent.
    pub fn fail_permille(&self) -> Option<usize> {
        (self.evaluated > 0).then(|| (self.fail + self.error) * 1000 / self.evaluated)
    }
}

/// Every rule's counts, those failing most first (fail + error, then id).
pub fn rule_stats(records: &[RecordSummary]) -> Vec<RuleStats> {
    let mut rules: BTreeMap<&str, RuleStats> = BTreeMap::new();
    for r in records {
        for o in &r.rules {
            let s = rules.entry(o.id.as_str()).or_insert_with(|| RuleStats {
                id: o.id.clone(),
                ..RuleStats::default()
            });
            s.title.clone_from(&o.title);
            match o.status.as_str() {
                "skipped" => s.skipped += 1,
                status => {
                    s.evaluated += 1;
                    match status {
                        "fail" => s.fail += 1,
                        "error" => s.error += 1,
                        "warn" => s.warn += 1,
                        "waived" => s.waived += 1,
                        _ => {}
                    }
                    if matches!(status, "fail" | "error") {
                        s.last_failed = Some(r.seq);
                    }
                }
            }
        }
    }
    let mut out: Vec<RuleStats> = rules.into_values().collect();
    out.sort_by(|a, b| {
        (b.fail + b.error)
            .cmp(&(a.fail + a.error))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// A waiver's standing on the day the site is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// Past its expiry day.
    Expired,
    /// Expires within its warning window.
    Expiring,
    /// In force.
    Active,
    /// Its expiry date is unreadable.
    Unknown,
}

impl Standing {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Expired => "expired",
            Standing::Expiring => "expiring",
            Standing::Active => "active",
            Standing::Unknown => "unknown",
        }
    }
}

/// One waiver across the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverRow {
    /// Identifier.
    pub id: String,
    /// Rule.
    pub rule: String,
    /// Expiry day.
    pub expires: String,
    /// Approver (newest record).
    pub approver: String,
    /// Justification (newest record).
    pub justification: String,
    /// Standing on `today`.
    pub standing: Standing,
    /// Days from `today` to its expiry (negative: expired).
    pub days_left: Option<i64>,
    /// Records that reported it.
    pub records: usize,
    /// Records where it covered a violation.
    pub applied: usize,
    /// First and newest record that reported it.
    pub first_seq: u64,
    /// Newest record that reported it.
    pub last_seq: u64,
}

/// Every waiver (by id, rule and expiry) with its standing on `today`:
/// expired ones first, then soon-expiring, then by expiry date.
pub fn waiver_rows(records: &[RecordSummary], today: Date) -> Vec<WaiverRow> {
    let mut rows: BTreeMap<(String, String, String), WaiverRow> = BTreeMap::new();
    for r in records {
        for w in &r.waivers {
            let key = (w.id.clone(), w.rule.clone(), w.expires.clone());
            let expires = w.expires.parse::<Date>().ok();
            let days_left = expires.and_then(|e| {
                today
                    .until((jiff::Unit::Day, e))
                    .ok()
                    .map(|s| i64::from(s.get_days()))
            });
            let standing = match days_left {
                None => Standing::Unknown,
                Some(d) if d < 0 => Standing::Expired,
                Some(d) if d <= w.warning_days => Standing::Expiring,
                Some(_) => Standing::Active,
            };
            let row = rows.entry(key).or_insert_with(|| WaiverRow {
                id: w.id.clone(),
                rule: w.rule.clone(),
                expires: w.expires.clone(),
                approver: String::new(),
                justification: String::new(),
                standing,
                days_left,
                records: 0,
                applied: 0,
                first_seq: r.seq,
                last_seq: r.seq,
            });
            row.approver.clone_from(&w.approver);
            row.justification.clone_from(&w.justification);
            row.standing = standing;
            row.records += 1;
            if matches!(w.status.as_str(), "applied" | "expiring") {
                row.applied += 1;
            }
            row.first_seq = row.first_seq.min(r.seq);
            row.last_seq = row.last_seq.max(r.seq);
        }
    }
    let mut out: Vec<WaiverRow> = rows.into_values().collect();
    out.sort_by(|a, b| {
        (a.standing, &a.expires, &a.id, &a.rule).cmp(&(b.standing, &b.expires, &b.id, &b.rule))
    });
    out
}

/// Cost of one release: its newest record with cost evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostPoint {
    /// `name version`.
    pub release: String,
    /// The record it comes from.
    pub seq: u64,
    /// Its outcome.
    pub outcome: Outcome,
    /// The figures.
    pub cost: CostSummary,
}

/// Cost per release (newest record of each), in the order releases first
/// appear in the ledger.
pub fn cost_series(records: &[RecordSummary]) -> Vec<CostPoint> {
    let mut order: Vec<String> = Vec::new();
    let mut latest: BTreeMap<String, CostPoint> = BTreeMap::new();
    for r in records {
        let Some(cost) = &r.cost else { continue };
        let release = r.release_label();
        if !latest.contains_key(&release) {
            order.push(release.clone());
        }
        latest.insert(
            release.clone(),
            CostPoint {
                release,
                seq: r.seq,
                outcome: r.outcome,
                cost: cost.clone(),
            },
        );
    }
    order
        .into_iter()
        .filter_map(|r| latest.remove(&r))
        .collect()
}

/// Residency of one release: its newest record with residency evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidencyRow {
    /// `name version`.
    pub release: String,
    /// The record it comes from.
    pub seq: u64,
    /// Its outcome.
    pub outcome: Outcome,
    /// One line per attested region.
    pub regions: Vec<ResidencyRegion>,
    /// Statuses of the `residency.*` rules.
    pub rules: Vec<RuleOutcome>,
    /// Findings of those rules.
    pub findings: Vec<RegionFinding>,
}

/// Residency per release (newest record of each with residency evidence or
/// residency rules), in the order releases first appear.
pub fn residency_rows(records: &[RecordSummary]) -> Vec<ResidencyRow> {
    let mut order: Vec<String> = Vec::new();
    let mut latest: BTreeMap<String, ResidencyRow> = BTreeMap::new();
    for r in records {
        let rules: Vec<RuleOutcome> = r
            .rules
            .iter()
            .filter(|o| o.id.starts_with("residency."))
            .cloned()
            .collect();
        if r.residency.is_empty() && rules.is_empty() {
            continue;
        }
        let release = r.release_label();
        if !latest.contains_key(&release) {
            order.push(release.clone());
        }
        latest.insert(
            release.clone(),
            ResidencyRow {
                release,
                seq: r.seq,
                outcome: r.outcome,
                regions: r.residency.clone(),
                rules,
                findings: r.residency_findings.clone(),
            },
        );
    }
    order
        .into_iter()
        .filter_map(|r| latest.remove(&r))
        .collect()
}

/// `1234` cents → `12.34`; negative amounts keep their sign.
pub fn usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// `975` permille → `97.5 %`.
pub fn percent(permille: usize) -> String {
    format!("{}.{} %", permille / 10, permille % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(
        seq: u64,
        time: &str,
        release: &str,
        outcome: Outcome,
        rules: &[(&str, &str)],
    ) -> RecordSummary {
        let (name, version) = release.split_once(' ').unwrap_or((release, ""));
        RecordSummary {
            seq,
            time: time.into(),
            release: Some((name.into(), version.into())),
            verdict: if outcome == Outcome::Pass {
                "pass"
            } else {
                "fail"
            }
            .into(),
            outcome,
            signature: SigState::Unsigned,
            problems: vec![],
            rules: rules
                .iter()
                .map(|(id, status)| RuleOutcome {
                    id: (*id).into(),
                    title: format!("title of {id}"),
                    status: (*status).into(),
                })
                .collect(),
            waivers: vec![],
            cost: None,
            residency: vec![],
            residency_findings: vec![],
        }
    }

    #[test]
    fn release_lines_are_major_minor() {
        assert_eq!(release_line("2.5.0-beta.1"), "2.5");
        assert_eq!(release_line("2.4.0"), "2.4");
        assert_eq!(release_line("10.1+build.7"), "10.1");
        assert_eq!(release_line("nightly"), "nightly");
    }

    #[test]
    fn outcome_fails_closed_and_tampering_wins() {
        assert_eq!(outcome("pass", &SigState::Unsigned, &[]), Outcome::Pass);
        assert_eq!(
            outcome("pass", &SigState::Verified(vec!["k".into()]), &[]),
            Outcome::Pass
        );
        assert_eq!(outcome("fail", &SigState::Unchecked, &[]), Outcome::Fail);
        assert_eq!(outcome("weird", &SigState::Unsigned, &[]), Outcome::Fail);
        assert_eq!(
            outcome("pass", &SigState::Invalid("x".into()), &[]),
            Outcome::Unverified
        );
        assert_eq!(
            outcome("pass", &SigState::Unsigned, &["altered".into()]),
            Outcome::Unverified
        );
    }

    #[test]
    fn pass_rates_per_release_line() {
        let records = [
            rec(1, "2026-11-01T00:00:00Z", "agent 2.4.0", Outcome::Pass, &[]),
            rec(2, "2026-11-02T00:00:00Z", "agent 2.4.1", Outcome::Fail, &[]),
            rec(3, "2026-11-03T00:00:00Z", "agent 2.4.2", Outcome::Pass, &[]),
            rec(
                4,
                "2026-11-03T00:00:00Z",
                "agent 2.5.0-rc.1",
                Outcome::Unverified,
                &[],
            ),
            rec(5, "2026-11-04T00:00:00Z", "fw 1.0.0", Outcome::Pass, &[]),
        ];
        let rates = pass_rates(&records);
        let got: Vec<(&str, usize, usize, Option<usize>, u64)> = rates
            .iter()
            .map(|l| {
                (
                    l.line.as_str(),
                    l.counts.pass,
                    l.counts.total(),
                    l.counts.pass_permille(),
                    l.latest_seq,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("agent 2.4", 2, 3, Some(666), 3),
                ("agent 2.5", 0, 1, Some(0), 4),
                ("fw 1.0", 1, 1, Some(1000), 5),
            ]
        );
        assert_eq!(percent(666), "66.6 %");
        assert_eq!(Counts::default().pass_permille(), None);
    }

    #[test]
    fn rule_failures_are_counted_and_ranked() {
        let records = [
            rec(
                1,
                "2026-11-01T00:00:00Z",
                "a 1.0",
                Outcome::Fail,
                &[("x.a", "fail"), ("x.b", "pass"), ("x.c", "skipped")],
            ),
            rec(
                2,
                "2026-11-02T00:00:00Z",
                "a 1.0",
                Outcome::Fail,
                &[("x.a", "fail"), ("x.b", "error"), ("x.c", "warn")],
            ),
            rec(
                3,
                "2026-11-03T00:00:00Z",
                "a 1.0",
                Outcome::Fail,
                &[("x.a", "waived"), ("x.b", "fail"), ("x.c", "pass")],
            ),
            rec(
                4,
                "2026-11-04T00:00:00Z",
                "a 1.0",
                Outcome::Pass,
                &[("x.a", "pass"), ("x.b", "pass"), ("x.c", "pass")],
            ),
        ];
        let stats = rule_stats(&records);
        let ids: Vec<&str> = stats.iter().map(|s| s.id.as_str()).collect();
        // x.a and x.b both failed twice (x.b once as an error): tie broken by id.
        assert_eq!(ids, ["x.a", "x.b", "x.c"]);
        let a = &stats[0];
        assert_eq!(
            (a.evaluated, a.fail, a.error, a.waived, a.last_failed),
            (4, 2, 0, 1, Some(2))
        );
        assert_eq!(a.fail_permille(), Some(500));
        let b = &stats[1];
        assert_eq!((b.fail, b.error, b.last_failed), (1, 1, Some(3)));
        let c = &stats[2];
        assert_eq!(
            (c.evaluated, c.skipped, c.warn, c.fail_permille()),
            (3, 1, 1, Some(0))
        );
    }

    #[test]
    fn verdicts_over_time_by_day_then_week_then_month() {
        let mut records = vec![
            rec(1, "2026-11-01T10:00:00Z", "a 1.0", Outcome::Pass, &[]),
            rec(2, "2026-11-01T11:00:00Z", "a 1.0", Outcome::Fail, &[]),
            rec(3, "2026-11-03T00:00:00Z", "a 1.0", Outcome::Unverified, &[]),
            rec(4, "garbage", "a 1.0", Outcome::Pass, &[]),
        ];
        let (g, buckets) = verdicts_over_time(&records);
        assert_eq!(g, Granularity::Day);
        let got: Vec<(&str, usize, usize, usize)> = buckets
            .iter()
            .map(|b| {
                (
                    b.label.as_str(),
                    b.counts.pass,
                    b.counts.fail,
                    b.counts.unverified,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2026-11-01", 1, 1, 0),
                ("2026-11-03", 0, 0, 1),
                ("unknown", 1, 0, 0)
            ]
        );
        // 200 days: weeks (29 of them), labelled by their Monday.
        records = (0..200)
            .map(|i| {
                let d = Date::constant(2026, 1, 1)
                    .checked_add(jiff::Span::new().days(i))
                    .unwrap();
                rec(
                    i as u64 + 1,
                    &format!("{d}T00:00:00Z"),
                    "a 1.0",
                    Outcome::Pass,
                    &[],
                )
            })
            .collect();
        let (g, buckets) = verdicts_over_time(&records);
        assert_eq!(g, Granularity::Week);
        assert_eq!(buckets[0].label, "2025-12-29"); // 2026-01-01 is a Thursday
        assert_eq!(buckets[1].label, "2026-01-05");
        assert_eq!(buckets.iter().map(|b| b.counts.total()).sum::<usize>(), 200);
        // Three years of weeks: months.
        records = (0..1100)
            .map(|i| {
                let d = Date::constant(2024, 1, 1)
                    .checked_add(jiff::Span::new().days(i))
                    .unwrap();
                rec(
                    i as u64 + 1,
                    &format!("{d}T00:00:00Z"),
                    "a 1.0",
                    Outcome::Pass,
                    &[],
                )
            })
            .collect();
        let (g, buckets) = verdicts_over_time(&records);
        assert_eq!(g, Granularity::Month);
        assert_eq!(buckets[1].label, "2024-02-01");
    }

    #[test]
    fn waivers_stand_against_today() {
        let mut r1 = rec(1, "2026-11-01T00:00:00Z", "a 1.0", Outcome::Pass, &[]);
        let w = |id: &str, expires: &str, status: &str| WaiverUse {
            id: id.into(),
            rule: "x.a".into(),
            expires: expires.into(),
            status: status.into(),
            approver: "ann".into(),
            justification: "because".into(),
            matched: 1,
            warning_days: 30,
        };
        r1.waivers = vec![
            w("W1", "2026-12-01", "applied"),
            w("W2", "2027-06-30", "unused"),
        ];
        let mut r2 = rec(2, "2026-11-20T00:00:00Z", "a 1.0", Outcome::Pass, &[]);
        r2.waivers = vec![
            w("W1", "2026-12-01", "expiring"),
            w("W3", "2026-01-31", "expired"),
            w("W4", "someday", "applied"),
        ];
        let today = Date::constant(2026, 11, 23);
        let rows = waiver_rows(&[r1, r2], today);
        type Row<'a> = (&'a str, Standing, Option<i64>, usize, usize, u64, u64);
        let got: Vec<Row<'_>> = rows
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    r.standing,
                    r.days_left,
                    r.records,
                    r.applied,
                    r.first_seq,
                    r.last_seq,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("W3", Standing::Expired, Some(-296), 1, 0, 2, 2),
                ("W1", Standing::Expiring, Some(8), 2, 2, 1, 2),
                ("W2", Standing::Active, Some(219), 1, 0, 1, 1),
                ("W4", Standing::Unknown, None, 1, 1, 2, 2),
            ]
        );
    }

    #[test]
    fn cost_is_read_from_the_statement_and_kept_per_release() {
        let predicate = json!({
            "cost": {
                "period": "90 days",
                "egress": { "regions": [
                    { "region": "us-east", "installs": 65000, "amount": { "cents": 4515 } },
                    { "region": "eu-west", "installs": 48000, "amount": { "cents": 5305 } }
                ], "total": { "cents": 9820 } },
                "inference": { "lines": [
                    { "region": "eu-west", "amount": { "cents": 8098 } },
                    { "region": "eu-west", "amount": { "cents": 2 } },
                    { "region": "ap-south", "amount": { "cents": 100 } }
                ], "total": { "cents": 8200 } },
                "total": { "cents": 18020 },
                "budgets": { "egress_usd": { "limit": { "cents": 120000 } }, "inference_usd": null, "total_usd": null }
            }
        });
        let c = cost_summary(&predicate).unwrap();
        assert_eq!(
            (c.egress_cents, c.inference_cents, c.total_cents),
            (9820, 8200, 18020)
        );
        assert_eq!(
            (c.egress_budget, c.inference_budget, c.total_budget),
            (Some(120000), None, None)
        );
        let regions: Vec<(&str, u64, i64, i64)> = c
            .regions
            .iter()
            .map(|r| {
                (
                    r.region.as_str(),
                    r.installs,
                    r.egress_cents,
                    r.inference_cents,
                )
            })
            .collect();
        assert_eq!(
            regions,
            [
                ("ap-south", 0, 0, 100),
                ("eu-west", 48000, 5305, 8100),
                ("us-east", 65000, 4515, 0)
            ]
        );
        assert_eq!(cost_summary(&json!({})), None);

        let with = |seq, release: &str, cents| {
            let mut r = rec(seq, "2026-11-01T00:00:00Z", release, Outcome::Pass, &[]);
            r.cost = Some(CostSummary {
                total_cents: cents,
                ..CostSummary::default()
            });
            r
        };
        let series = cost_series(&[
            with(1, "a 2.0", 100),
            rec(2, "2026-11-01T00:00:00Z", "a 2.0", Outcome::Pass, &[]),
            with(3, "a 1.0", 50),
            with(4, "a 2.0", 120),
        ]);
        let got: Vec<(&str, u64, i64)> = series
            .iter()
            .map(|p| (p.release.as_str(), p.seq, p.cost.total_cents))
            .collect();
        assert_eq!(got, [("a 2.0", 4, 120), ("a 1.0", 3, 50)]);
        assert_eq!(usd(12345), "123.45");
        assert_eq!(usd(-350), "-3.50");
        assert_eq!(usd(5), "0.05");
    }

    #[test]
    fn residency_regions_and_findings() {
        let predicate = json!({ "regions": [
            { "region": "eu-west", "storage": ["IE", "DE"], "processing": ["IE"],
              "edge_caches": [{ "provider": "acme", "pop": "par1", "jurisdiction": "FR" }] },
            { "region": "us-east", "storage": ["US"], "processing": ["US"] }
        ]});
        let regions = residency_regions(&predicate, "res.json", "verified");
        assert_eq!(regions.len(), 2);
        assert_eq!(regions[0].storage, ["IE", "DE"]);
        assert_eq!(regions[0].edge_caches, ["acme par1 (FR)"]);
        assert_eq!(regions[1].status, "verified");

        let statement = json!({ "results": [
            { "id": "residency.jurisdiction-allowed", "status": "fail",
              "violations": [{ "msg": "processed in US", "details": { "region": "eu-central" } }],
              "warnings": [], "waived": [{ "msg": "cached in CH", "details": { "region": "eu-west" }, "waiver": "W9" }] },
            { "id": "sbom.present", "status": "fail", "violations": [{ "msg": "no" }], "warnings": [], "waived": [] }
        ]});
        let findings = residency_findings(&statement);
        let got: Vec<(&str, &str, &str)> = findings
            .iter()
            .map(|f| (f.region.as_str(), f.kind.as_str(), f.msg.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("eu-central", "fail", "processed in US"),
                ("eu-west", "waived", "cached in CH")
            ]
        );
    }

    #[test]
    fn an_altered_entry_disagrees_with_its_record() {
        use crate::ledger::{Entry, EntryRelease, StoredFile};
        let entry = Entry {
            ledger_version: 1,
            seq: 1,
            prev: None,
            record: "r".into(),
            vsa: None,
            time: "2026-11-23T00:00:00Z".into(),
            release: Some(EntryRelease {
                name: "a".into(),
                version: "1.0".into(),
            }),
            verdict: "pass".into(),
            evidence: vec![StoredFile {
                kind: None,
                path: "m.json".into(),
                sha256: "aa".into(),
            }],
            waivers: None,
            bundles: vec![],
        };
        let predicate = json!({
            "verdict": "pass", "time_verified": "2026-11-23T00:00:00Z",
            "release": { "name": "a", "version": "1.0" },
            "evidence": [{ "kind": "manifest", "path": "m.json", "digest": { "sha256": "aa" } }]
        });
        assert!(entry_mismatches(&entry, &predicate).is_empty());
        let mut altered = predicate.clone();
        altered["verdict"] = json!("fail");
        altered["evidence"][0]["digest"]["sha256"] = json!("bb");
        let found = entry_mismatches(&entry, &altered);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("verdict `pass`, the record says `fail`"));
    }
}
