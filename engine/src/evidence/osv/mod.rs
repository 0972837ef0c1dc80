//! The offline vulnerability feed: OSV advisories matched against SBOM components.
//!
//! A release gate must not call out to a vulnerability service at evaluation
//! time (the decision must replay bit for bit), so the feed is a set of files
//! the pipeline downloaded beforehand: OSV records as the databases publish
//! them (one record, a JSON array of records, or an osv.dev API response).
//!
//! Loading validates every record against `schemas/osv-record.schema.json`,
//! the record structure written from the OSV specification; violations are
//! located errors. It leaves open the lists that grow with every database (id
//! prefixes, ecosystems, severity types) and values shipgate never reads (a
//! reference URL that is not a URI, as the Go database writes bare module
//! paths), so a record of a database newer than shipgate still reads.
//!
//! Matching follows the OSV specification's evaluation algorithm
//! (<https://ossf.github.io/osv-schema/#evaluation>) over the component's purl
//! and version. Whatever cannot be decided (a `GIT` range, an ecosystem whose
//! version ordering shipgate does not implement, a version that does not
//! parse, a component without a version) is reported as a warning naming the
//! advisory and the component; it is never silently treated as "not affected".
//! See `docs/vulnerabilities.md`.

mod package;
mod severity;
mod version;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use jsonschema::Validator;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diag::{Code, Location, Problem, Problems};
use crate::evidence::sbom::Sbom;
use crate::json;
use crate::schema::SchemaId;
use crate::source::SourceFile;

pub use package::{PackageKey, Purl, parse_purl};
pub use severity::{Level, cvss3_base_score};
pub use version::{Scheme, Version};

/// One OSV advisory, as loaded from a feed file.
#[derive(Debug, Clone)]
pub struct Advisory {
    /// The advisory id (`GHSA-...`, `RUSTSEC-...`, `PYSEC-...`, `GO-...`).
    pub id: String,
    /// Other ids of the same vulnerability (CVE, GHSA, ...).
    pub aliases: Vec<String>,
    /// One-line summary, when given.
    pub summary: Option<String>,
    /// When the record was last modified (RFC 3339, as written).
    pub modified: String,
    /// When the advisory was withdrawn; withdrawn advisories match nothing.
    pub withdrawn: Option<String>,
    /// The advisory's severity (from its top-level `severity`).
    pub rating: Rating,
    /// The feed file, as the user named it.
    pub feed: String,
    /// JSON pointer of the record in its file (`""` for a file that is one record).
    pub pointer: String,
    affected: Vec<Affected>,
}

/// A severity level and, when a CVSS v3 vector gave one, the base score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// The level.
    pub level: Level,
    /// The CVSS v3 base score, or `None`.
    pub score: Option<f64>,
}

#[derive(Debug, Clone)]
struct Affected {
    key: Option<PackageKey>,
    ecosystem: String,
    name: String,
    versions: Vec<String>,
    ranges: Vec<OsvRange>,
    rating: Option<Rating>,
    pointer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Semver,
    Ecosystem,
    Git,
}

#[derive(Debug, Clone)]
struct OsvRange {
    kind: RangeType,
    events: Vec<Event>,
    pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// One advisory matched to one SBOM component: an entry of the policy input's `vulns`.
#[derive(Debug, Clone, Serialize)]
pub struct VulnMatch {
    /// Advisory id.
    pub id: String,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// Its summary, or null.
    pub summary: Option<String>,
    /// `critical`, `high`, `medium`, `low` or `unknown`.
    pub severity: Level,
    /// The CVSS v3 base score, or null.
    pub score: Option<f64>,
    /// The component's purl.
    pub purl: String,
    /// The component's name.
    pub component: String,
    /// The version that was matched.
    pub version: String,
    /// The OSV ecosystem.
    pub ecosystem: String,
    /// Versions that fix it (the `fixed` events of the ranges that matched).
    pub fixed: Vec<String>,
    /// The SBOM file.
    pub sbom: String,
    /// JSON pointer of the component in the SBOM.
    pub pointer: String,
    /// The feed file the advisory came from.
    pub feed: String,
}

// ---- loading ---------------------------------------------------------------------

/// Reads one feed file: an OSV record, a JSON array of records, an osv.dev
/// `query` response (`{"vulns": [...]}`, or `{}` when nothing was found) or a
/// `querybatch` response (`{"results": [{"vulns": [...]}]}`).
///
/// `Ok` carries the advisories (withdrawn ones included, flagged) and the
/// warnings; `Err` every problem when any is an error.
pub fn load(file: &SourceFile) -> Result<(Vec<Advisory>, Vec<Problem>), Problems> {
    let value = json::parse(file)?;
    let records = records_of(&value).ok_or_else(|| {
        Problems::from(
            Problem::error(
                Code::OsvUnknownFormat,
                format!(
                    "`{}` is not an OSV record, a list of records or an osv.dev API response",
                    file.display()
                ),
            )
            .with_help(
                "give OSV JSON as osv.dev or a database exports it: one record (an object with `id` and `modified`), a JSON array of records, or `{\"vulns\": [...]}`",
            )
            .at(Location::file(file.display_shared())),
        )
    })?;
    let mut problems = Problems::default();
    let mut advisories = Vec::new();
    for (pointer, record) in records {
        let violations = validate(record, &pointer, file);
        let failed = violations.iter().any(Problem::is_error);
        problems.extend(violations);
        if failed {
            continue;
        }
        match read_record(record, &pointer, file, &mut problems) {
            Some(a) => advisories.push(a),
            None => continue,
        }
    }
    problems
        .into_result()
        .map(|warnings| (advisories, warnings))
}

/// The records of a feed document with their JSON pointers.
fn records_of(value: &Value) -> Option<Vec<(String, &Value)>> {
    match value {
        Value::Array(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("/{i}"), v))
                .collect(),
        ),
        Value::Object(map) if map.contains_key("id") => Some(vec![(String::new(), value)]),
        Value::Object(map) if map.contains_key("vulns") => match map.get("vulns") {
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("/vulns/{i}"), v))
                    .collect(),
            ),
            _ => None,
        },
        Value::Object(map) if map.contains_key("results") => {
            let Some(Value::Array(results)) = map.get("results") else {
                return None;
            };
            let mut out = Vec::new();
            for (i, r) in results.iter().enumerate() {
                match r.get("vulns") {
                    Some(Value::Array(items)) => out.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(j, v)| (format!("/results/{i}/vulns/{j}"), v)),
                    ),
                    None if r.as_object().is_some_and(serde_json::Map::is_empty) => {}
                    _ => return None,
                }
            }
            Some(out)
        }
        // osv.dev answers a query that found nothing with `{}`.
        Value::Object(map) if map.is_empty() => Some(Vec::new()),
        _ => None,
    }
}

fn validator() -> Result<&'static Validator, String> {
    static CACHE: OnceLock<Result<Validator, String>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let schema: Value =
                serde_json::from_str(SchemaId::Osv.text()).map_err(|e| e.to_string())?;
            jsonschema::options()
                .build(&schema)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Most violations reported per record.
const MAX_REPORTED: usize = 20;

/// Validates one record (at `prefix` in `file`) against the OSV record
/// schema: every violation is a located error.
fn validate(record: &Value, prefix: &str, file: &SourceFile) -> Vec<Problem> {
    let validator = match validator() {
        Ok(v) => v,
        Err(e) => {
            return vec![Problem::error(
                Code::Internal,
                format!("embedded OSV schema does not compile: {e}"),
            )];
        }
    };
    validator
        .iter_errors(record)
        .map(|err| {
            let keyword = err.schema_path().as_str().to_string();
            let pointer = format!("{prefix}{}", err.instance_path().as_str());
            let full = err.to_string();
            let message = if full.len() > 120 {
                err.masked_with("the value").to_string()
            } else {
                full
            };
            Problem::error(Code::OsvSchemaViolation, format!("OSV schema: {message}"))
                .with_help(format!(
                    "see schemas/osv-record.schema.json (keyword `{keyword}`) and the OSV specification"
                ))
                .with_label(message)
                .at(json::location_of(file, &pointer))
        })
        .take(MAX_REPORTED)
        .collect()
}

/// The parts of an OSV record shipgate reads; the schema has checked their types.
#[derive(Deserialize)]
struct RawRecord {
    id: String,
    modified: String,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    affected: Option<Vec<RawAffected>>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<BTreeMap<String, String>>,
}

fn read_record(
    record: &Value,
    pointer: &str,
    file: &SourceFile,
    problems: &mut Problems,
) -> Option<Advisory> {
    let raw: RawRecord = match serde_json::from_value(record.clone()) {
        Ok(r) => r,
        Err(e) => {
            problems.push(
                Problem::error(Code::OsvSchemaViolation, format!("OSV record: {e}"))
                    .with_help("see https://ossf.github.io/osv-schema/")
                    .at(json::location_of(file, pointer)),
            );
            return None;
        }
    };
    let db_level = raw
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str)
        .and_then(Level::of_word);
    let rating = rate(
        raw.severity.as_deref().unwrap_or_default(),
        db_level,
        &format!("{pointer}/severity"),
        &raw.id,
        file,
        problems,
    );
    let mut affected = Vec::new();
    for (i, a) in raw.affected.unwrap_or_default().into_iter().enumerate() {
        let at = format!("{pointer}/affected/{i}");
        let Some(package) = a.package else {
            // An entry without a package names nothing shipgate can match.
            continue;
        };
        let rating = a.severity.as_deref().filter(|s| !s.is_empty()).map(|s| {
            rate(
                s,
                db_level,
                &format!("{at}/severity"),
                &raw.id,
                file,
                problems,
            )
        });
        let ranges = a
            .ranges
            .into_iter()
            .enumerate()
            .map(|(j, r)| OsvRange {
                kind: match r.kind.as_str() {
                    "SEMVER" => RangeType::Semver,
                    "ECOSYSTEM" => RangeType::Ecosystem,
                    _ => RangeType::Git,
                },
                events: r
                    .events
                    .into_iter()
                    .filter_map(|e| {
                        let (k, v) = e.into_iter().next()?;
                        Some(match k.as_str() {
                            "introduced" => Event::Introduced(v),
                            "fixed" => Event::Fixed(v),
                            "last_affected" => Event::LastAffected(v),
                            "limit" => Event::Limit(v),
                            _ => return None,
                        })
                    })
                    .collect(),
                pointer: format!("{at}/ranges/{j}"),
            })
            .collect();
        affected.push(Affected {
            key: package::key_of_osv(&package.ecosystem, &package.name, package.purl.as_deref()),
            ecosystem: package.ecosystem,
            name: package.name,
            versions: a.versions,
            ranges,
            rating,
            pointer: at,
        });
    }
    if affected.is_empty() && raw.withdrawn.is_none() {
        problems.push(
            Problem::warning(
                Code::OsvSchemaViolation,
                format!("advisory `{}` names no affected package: it matches nothing", raw.id),
            )
            .with_help("osv.dev `querybatch` responses carry only ids: fetch each full record (GET /v1/vulns/<id>) into the feed")
            .at(json::location_of(file, pointer)),
        );
    }
    Some(Advisory {
        id: raw.id,
        aliases: raw.aliases.unwrap_or_default(),
        summary: raw.summary,
        modified: raw.modified,
        withdrawn: raw.withdrawn,
        rating,
        feed: file.display().to_owned(),
        pointer: pointer.to_owned(),
        affected,
    })
}

/// The rating of a `severity` list: a CVSS v3 vector's base score first, then
/// the database's own level, then Ubuntu's word; else `unknown`.
fn rate(
    severities: &[RawSeverity],
    db_level: Option<Level>,
    pointer: &str,
    id: &str,
    file: &SourceFile,
    problems: &mut Problems,
) -> Rating {
    for (i, s) in severities.iter().enumerate() {
        if s.kind == "CVSS_V3" {
            match cvss3_base_score(&s.score) {
                Ok(score) => {
                    return Rating {
                        level: Level::of_score(score),
                        score: Some(score),
                    };
                }
                Err(e) => problems.push(
                    Problem::warning(
                        Code::OsvSeverityUnreadable,
                        format!("CVSS vector of advisory `{id}` {}", e.0),
                    )
                    .with_help(
                        "the severity falls back to the database's own level, else `unknown`",
                    )
                    .at(json::location_of(file, &format!("{pointer}/{i}/score"))),
                ),
            }
        }
    }
    if let Some(level) = db_level {
        return Rating { level, score: None };
    }
    let ubuntu = severities
        .iter()
        .filter(|s| s.kind == "Ubuntu")
        .find_map(|s| Level::of_word(&s.score));
    Rating {
        level: ubuntu.unwrap_or(Level::Unknown),
        score: None,
    }
}

// ---- matching ----------------------------------------------------------------------

/// Matches every advisory against every component of every SBOM.
///
/// Returns one [`VulnMatch`] per (advisory, component) in SBOM order, then
/// component order, then advisory id; and warnings for what could not be
/// decided. Withdrawn advisories match nothing; an advisory id seen in two
/// feed files is used once (the first) with a warning.
pub fn match_sboms<'a>(
    advisories: &[Advisory],
    sboms: impl IntoIterator<Item = &'a Sbom>,
) -> (Vec<VulnMatch>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut first_seen: HashMap<&str, &Advisory> = HashMap::new();
    let mut index: HashMap<&PackageKey, Vec<(&Advisory, &Affected)>> = HashMap::new();
    for adv in advisories {
        if adv.withdrawn.is_some() {
            continue;
        }
        if let Some(first) = first_seen.get(adv.id.as_str()) {
            problems.push(
                Problem::warning(
                    Code::OsvDuplicateAdvisory,
                    format!(
                        "advisory `{}` appears again (first in `{}` at `{}`): this copy is ignored",
                        adv.id, first.feed, first.pointer
                    ),
                )
                .with_help("give each advisory once: remove the older copy from the feed")
                .at(Location::file(adv.feed.clone()).with_pointer(adv.pointer.clone())),
            );
            continue;
        }
        first_seen.insert(&adv.id, adv);
        for aff in &adv.affected {
            if let Some(key) = &aff.key {
                index.entry(key).or_default().push((adv, aff));
            }
        }
    }
    let mut matches = Vec::new();
    for sbom in sboms {
        for c in &sbom.components {
            let Some(purl_text) = c.purl.as_deref() else {
                continue;
            };
            let Some(purl) = parse_purl(purl_text) else {
                continue;
            };
            let Some(key) = package::key_of_purl(&purl) else {
                continue;
            };
            let Some(candidates) = index.get(&key) else {
                continue;
            };
            let version = purl.version.clone().or_else(|| c.version.clone());
            let Some(version) = version else {
                let mut ids: Vec<&str> = candidates.iter().map(|(a, _)| a.id.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                problems.push(
                    Problem::warning(
                        Code::OsvUnversionedComponent,
                        format!(
                            "component `{}` has no version: cannot tell whether {} affect it",
                            c.name,
                            list_ids(&ids)
                        ),
                    )
                    .with_help("record the component's version in the SBOM")
                    .at(Location::file(&*c.source.file).with_pointer(c.source.pointer.clone())),
                );
                continue;
            };
            // Per advisory: matched (with fixed versions and rating), or undecided (why).
            let mut per_advisory: BTreeMap<&str, Outcome<'_>> = BTreeMap::new();
            for (adv, aff) in candidates {
                let verdict = evaluate(aff, key.ecosystem, &version);
                let slot = per_advisory.entry(adv.id.as_str()).or_insert(Outcome {
                    advisory: adv,
                    affected: None,
                    fixed: Vec::new(),
                    undecided: Vec::new(),
                });
                match verdict {
                    Verdict::Affected(fixed) => {
                        if slot.affected.is_none() {
                            slot.affected = Some(aff);
                        }
                        for f in fixed {
                            if !slot.fixed.contains(&f) {
                                slot.fixed.push(f);
                            }
                        }
                    }
                    Verdict::NotAffected => {}
                    Verdict::Undecided(why) => slot.undecided.push((aff, why)),
                }
            }
            for (id, outcome) in per_advisory {
                let adv = outcome.advisory;
                if let Some(aff) = outcome.affected {
                    let rating = aff.rating.unwrap_or(adv.rating);
                    matches.push(VulnMatch {
                        id: id.to_owned(),
                        aliases: adv.aliases.clone(),
                        summary: adv.summary.clone(),
                        severity: rating.level,
                        score: rating.score,
                        purl: purl_text.to_owned(),
                        component: c.name.clone(),
                        version: version.clone(),
                        ecosystem: key.ecosystem.to_owned(),
                        fixed: outcome.fixed,
                        sbom: sbom.file.clone(),
                        pointer: c.source.pointer.clone(),
                        feed: adv.feed.clone(),
                    });
                } else if let Some((aff, why)) = outcome.undecided.first() {
                    problems.push(
                        Problem::warning(
                            Code::OsvUnevaluableRange,
                            format!(
                                "cannot tell whether `{}@{version}` is affected by `{id}` ({} `{}`): {why}",
                                c.name, aff.ecosystem, aff.name
                            ),
                        )
                        .with_help("check the advisory by hand and waive or upgrade; the component is not reported as vulnerable")
                        .at(Location::file(adv.feed.clone()).with_pointer(aff.pointer.clone())),
                    );
                }
            }
        }
    }
    (matches, problems)
}

struct Outcome<'a> {
    advisory: &'a Advisory,
    affected: Option<&'a Affected>,
    fixed: Vec<String>,
    undecided: Vec<(&'a Affected, String)>,
}

fn list_ids(ids: &[&str]) -> String {
    const SHOWN: usize = 5;
    let shown: Vec<String> = ids.iter().take(SHOWN).map(|i| format!("`{i}`")).collect();
    let more = ids.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("{} and {more} more advisories", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Whether one `affected` entry covers a version.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Affected; the `fixed` versions of the ranges that include it.
    Affected(Vec<String>),
    NotAffected,
    /// Nothing says "affected" and something could not be evaluated.
    Undecided(String),
}

/// The OSV evaluation of `version` against one `affected` entry: listed in
/// `versions`, or inside some range.
fn evaluate(aff: &Affected, ecosystem: &str, version: &str) -> Verdict {
    // Go module versions carry a `v` that OSV leaves out.
    let version = if ecosystem == "Go" {
        version.strip_prefix('v').unwrap_or(version)
    } else {
        version
    };
    let eco_scheme = Scheme::for_ecosystem(ecosystem);
    let listed = aff.versions.iter().any(|v| {
        v == version
            || eco_scheme
                .and_then(|s| s.compare(v, version))
                .is_some_and(|o| o == std::cmp::Ordering::Equal)
    });
    let mut undecided = None;
    let mut fixed = Vec::new();
    let mut hit = listed;
    for range in &aff.ranges {
        let scheme = match range.kind {
            RangeType::Semver => Scheme::Semver,
            RangeType::Ecosystem => match eco_scheme {
                Some(s) => s,
                None => {
                    undecided.get_or_insert_with(|| {
                        format!("shipgate has no version ordering for ecosystem `{ecosystem}`")
                    });
                    continue;
                }
            },
            RangeType::Git => {
                // GIT ranges need the repository; OSV requires an enumerated
                // `versions` list beside them, which then decides.
                if aff.versions.is_empty() {
                    undecided.get_or_insert_with(|| {
                        "its only ranges are GIT commit ranges, which need the repository to evaluate".to_owned()
                    });
                }
                continue;
            }
        };
        match in_range(scheme, version, &range.events) {
            Ok(true) => {
                hit = true;
                fixed.extend(range.events.iter().filter_map(|e| match e {
                    Event::Fixed(f) => Some(f.clone()),
                    _ => None,
                }));
            }
            Ok(false) => {}
            Err(why) => {
                undecided.get_or_insert(format!("range `{}`: {why}", range.pointer));
            }
        }
    }
    if hit {
        Verdict::Affected(fixed)
    } else if let Some(why) = undecided {
        Verdict::Undecided(why)
    } else {
        Verdict::NotAffected
    }
}

/// A parsed event version: `introduced: "0"` is below everything, `limit: "*"` above.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    Min,
    At(Version),
    Max,
}

impl Bound {
    fn cmp_version(&self, v: &Version) -> std::cmp::Ordering {
        match self {
            Bound::Min => std::cmp::Ordering::Less,
            Bound::At(b) => b.compare(v),
            Bound::Max => std::cmp::Ordering::Greater,
        }
    }

    fn cmp_bound(&self, other: &Bound) -> std::cmp::Ordering {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match (self, other) {
            (Bound::Min, Bound::Min) | (Bound::Max, Bound::Max) => Equal,
            (Bound::Min, _) | (_, Bound::Max) => Less,
            (_, Bound::Min) | (Bound::Max, _) => Greater,
            (Bound::At(a), Bound::At(b)) => a.compare(b),
        }
    }
}

/// OSV's `IncludedInRanges` for one range: `BeforeLimits`, then walk the events
/// sorted by version.
fn in_range(scheme: Scheme, version: &str, events: &[Event]) -> Result<bool, String> {
    let v = scheme
        .parse(version)
        .ok_or_else(|| format!("`{version}` is not a {} version", scheme.name()))?;
    let parse = |text: &str, special: &str, bound: Bound| -> Result<Bound, String> {
        if text == special {
            return Ok(bound);
        }
        scheme
            .parse(text)
            .map(Bound::At)
            .ok_or_else(|| format!("event version `{text}` is not a {} version", scheme.name()))
    };
    let mut parsed: Vec<(Bound, &Event)> = Vec::with_capacity(events.len());
    let mut limits = Vec::new();
    for e in events {
        match e {
            Event::Introduced(t) => parsed.push((parse(t, "0", Bound::Min)?, e)),
            Event::Fixed(t) | Event::LastAffected(t) => {
                parsed.push((parse(t, "\u{0}", Bound::Max)?, e));
            }
            Event::Limit(t) => {
                let bound = if t.contains('*') {
                    Bound::Max
                } else {
                    parse(t, "*", Bound::Max)?
                };
                limits.push(bound);
            }
        }
    }
    // BeforeLimits: no limit event means an implicit `*`.
    if !limits.is_empty()
        && !limits
            .iter()
            .any(|l| l.cmp_version(&v) == std::cmp::Ordering::Greater)
    {
        return Ok(false);
    }
    parsed.sort_by(|a, b| a.0.cmp_bound(&b.0));
    let mut vulnerable = false;
    for (bound, event) in &parsed {
        let ord = bound.cmp_version(&v); // bound vs v
        match event {
            // v >= introduced
            Event::Introduced(_) if ord != std::cmp::Ordering::Greater => vulnerable = true,
            // v >= fixed
            Event::Fixed(_) if ord != std::cmp::Ordering::Greater => vulnerable = false,
            // v > last_affected
            Event::LastAffected(_) if ord == std::cmp::Ordering::Less => vulnerable = false,
            _ => {}
        }
    }
    Ok(vulnerable)
}

#[cfg(test)]
mod tests;
