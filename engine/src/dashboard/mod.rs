//! The audit dashboard: the ledger as a static site that opens from the file
//! system or any static host, with no server and no request to anywhere.
//!
//! The site is built from the ledger alone, and verified while it is built:
//! the hash chain and every stored object (as `shipgate ledger verify` does), every
//! record's signature against the trusted keys, and whether each entry agrees
//! with the signed record it names (an entry is not signed, so an altered one
//! shows there). What the pages show comes from the *signed statement*, never
//! from the entry; a record that fails any of these checks is shown as
//! failing verification and is counted as such, never by the verdict it
//! claims.
//!
//! Layout of the site:
//!
//! ```text
//! index.html              overview: integrity, verdicts over time, pass rate per release line,
//!                         rules that fail most, waivers on a timeline, latest records
//! records/index.html      every record, newest first, split into pages (page-2.html, ...),
//!                         with filters (verdict, failed rule, release, dates) run by a script
//! records/index.js        the filter index: one short row per record
//! records/N.html          one page per record
//! releases.html rules.html waivers.html cost.html residency.html
//! assets/style.css assets/filter.js
//! .shipgate-dashboard     marker: the files this directory holds from the last build
//! ```
//!
//! Pages are written one by one as the ledger is read, so memory holds one
//! statement at a time plus a small summary per record. The output is a
//! function of the ledger, the trusted keys and the day expiries are judged
//! against: no build time is written anywhere.

pub mod data;
mod html;
mod svg;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use serde::Deserialize;
use serde_json::Value;

use crate::diag::{Code, Location, Problem};
use crate::evidence::EvidenceKind;
use crate::ledger::{Committed, Entry, Ledger};
use crate::sign::{Envelope, VerifyingKey};
use data::{RecordSummary, SigState};

/// The file that marks a directory as a dashboard `build` may overwrite.
pub const MARKER: &str = ".shipgate-dashboard";

const MARKER_HEADER: &str = "shipgate dashboard: written by `shipgate dashboard`, which replaces the files listed here (and removes those it no longer writes) when it runs again";

/// How to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// The day waiver expiries are judged against.
    pub today: Date,
    /// The ledger directory as `shipgate replay --ledger` should name it.
    pub replay_ledger: String,
    /// Trusted keys as `shipgate replay --key` should name them.
    pub replay_keys: Vec<String>,
    /// Records listed on the overview.
    pub latest: usize,
    /// Records per records index page.
    pub page_size: usize,
}

impl Options {
    /// Defaults: 25 latest records on the overview, 500 per index page.
    pub fn new(today: Date, replay_ledger: impl Into<String>) -> Options {
        Options {
            today,
            replay_ledger: replay_ledger.into(),
            replay_keys: Vec::new(),
            latest: 25,
            page_size: 500,
        }
    }
}

/// What a build wrote and found.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Records (readable entries).
    pub records: usize,
    /// Records per outcome.
    pub counts: data::Counts,
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Size of index.html.
    pub overview_bytes: u64,
    /// Chain and object problems of the whole ledger.
    pub findings: usize,
    /// Nothing failed verification.
    pub intact: bool,
}

/// Where pages go.
trait Sink: Sync {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Problem>;
}

/// Builds the site for `ledger` into `out`, verifying with `trusted`.
///
/// `out` is created if needed; it must be empty or hold an earlier dashboard
/// (its marker file): files of an earlier build that this one does not write
/// are removed, and nothing else ever is.
pub fn build(
    ledger: &Ledger,
    trusted: &[VerifyingKey],
    opts: &Options,
    out: &Path,
) -> Result<Built, Problem> {
    let previous = prepare(out)?;
    let sink = DirSink {
        root: out.to_path_buf(),
        dirs: Mutex::new(BTreeSet::new()),
        written: Mutex::new(Vec::new()),
    };
    let built = render(ledger, trusted, opts, &sink)?;
    let written = sink.written.into_inner().unwrap_or_else(|e| e.into_inner());
    finish(out, &previous, &written)?;
    Ok(built)
}

fn output_problem(out: &Path, message: String, help: &str) -> Problem {
    Problem::error(Code::DashboardOutput, message)
        .with_help(help.to_owned())
        .at(Location::file(out.display().to_string()))
}

/// Checks `out` and returns the files an earlier build wrote there.
fn prepare(out: &Path) -> Result<Vec<String>, Problem> {
    let shown = out.display();
    let mut listing = match fs::read_dir(out) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(out).map_err(|e| {
                output_problem(
                    out,
                    format!("cannot create `{shown}`: {e}"),
                    "check the path and its permissions",
                )
            })?;
            return Ok(Vec::new());
        }
        Err(e) => {
            return Err(output_problem(
                out,
                format!("cannot write the dashboard into `{shown}`: {e}"),
                "--out names a directory (created if absent)",
            ));
        }
    };
    let marker = out.join(MARKER);
    if marker.is_file() {
        let text = fs::read_to_string(&marker).unwrap_or_default();
        return Ok(text
            .lines()
            .skip(1)
            .filter(|l| is_relative_file(l))
            .map(str::to_owned)
            .collect());
    }
    if listing.next().is_some() {
        return Err(output_problem(
            out,
            format!("`{shown}` is not empty and holds no earlier dashboard"),
            "name an empty or new directory: shipgate never overwrites or deletes files it did not write",
        ));
    }
    Ok(Vec::new())
}

/// A plain relative path inside the site (no `..`, not absolute).
fn is_relative_file(p: &str) -> bool {
    !p.is_empty()
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Removes what the earlier build wrote and this one did not, then writes
/// the marker listing this build's files.
fn finish(out: &Path, previous: &[String], written: &[String]) -> Result<(), Problem> {
    let now: BTreeSet<&str> = written.iter().map(String::as_str).collect();
    for old in previous {
        if !now.contains(old.as_str()) && is_relative_file(old) {
            let _ = fs::remove_file(out.join(old));
        }
    }
    let mut written: Vec<&String> = written.iter().collect();
    // Pages are written by several workers: the listing is sorted so the
    // marker, like every page, is the same for the same ledger.
    written.sort_unstable();
    let mut text = String::from(MARKER_HEADER);
    text.push('\n');
    for w in written {
        text.push_str(w);
        text.push('\n');
    }
    fs::write(out.join(MARKER), text).map_err(|e| {
        output_problem(
            out,
            format!("cannot write `{}`: {e}", out.join(MARKER).display()),
            "check that the directory is writable",
        )
    })
}

struct DirSink {
    root: PathBuf,
    dirs: Mutex<BTreeSet<PathBuf>>,
    written: Mutex<Vec<String>>,
}

impl Sink for DirSink {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Problem> {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
            if !dirs.contains(parent) {
                fs::create_dir_all(parent).map_err(|e| {
                    output_problem(
                        &self.root,
                        format!("cannot create `{}`: {e}", parent.display()),
                        "check that the directory is writable",
                    )
                })?;
                dirs.insert(parent.to_path_buf());
            }
        }
        // Rebuilding over an earlier site rewrites only the pages that
        // changed: reading a page back is much cheaper than replacing it.
        let same = fs::metadata(&full).is_ok_and(|m| m.len() == bytes.len() as u64)
            && fs::read(&full).is_ok_and(|old| old == bytes);
        if !same {
            fs::write(&full, bytes).map_err(|e| {
                output_problem(
                    &self.root,
                    format!("cannot write `{}`: {e}", full.display()),
                    "check that the directory is writable and has room",
                )
            })?;
        }
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_owned());
        Ok(())
    }
}

/// Pages kept in memory (tests).
#[cfg(test)]
#[derive(Default)]
struct MemSink(Mutex<BTreeMap<String, Vec<u8>>>);

#[cfg(test)]
impl Sink for MemSink {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Problem> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), bytes.to_vec());
        Ok(())
    }
}

/// Counts what goes into the sink.
struct Counting<'a> {
    inner: &'a dyn Sink,
    files: usize,
    bytes: u64,
    overview: u64,
}

impl Counting<'_> {
    fn put(&mut self, path: &str, text: &str) -> Result<(), Problem> {
        self.files += 1;
        self.bytes += text.len() as u64;
        if path == "index.html" {
            self.overview = text.len() as u64;
        }
        self.inner.put(path, text.as_bytes())
    }
}

/// `bundle.toml`, as far as the dashboard reads it: rule remediation (which
/// records leave out: it lives in the bundle, whose files the ledger keeps).
#[derive(Deserialize)]
struct BundleDoc {
    #[serde(default)]
    rule: Vec<RuleDoc>,
}

#[derive(Deserialize)]
struct RuleDoc {
    id: String,
    #[serde(default)]
    remediation: String,
}

/// What is read once and shared by many records.
#[derive(Default)]
struct Caches {
    /// Remediation by rule id, per bundle.toml object.
    remediation: HashMap<String, Arc<BTreeMap<String, String>>>,
    /// Keys a record trusted for attestations, by their PEM text.
    keys: HashMap<String, Vec<VerifyingKey>>,
    /// Residency regions per (attestation object, trusted keys).
    residency: HashMap<(String, String), Vec<data::ResidencyRegion>>,
}

impl Caches {
    fn remediation_of(&mut self, ledger: &Ledger, sha: &str) -> Arc<BTreeMap<String, String>> {
        Arc::clone(self.remediation.entry(sha.to_owned()).or_insert_with(|| {
            Arc::new(
                ledger
                    .get_object(sha)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|t| toml::from_str::<BundleDoc>(&t).ok())
                    .map(|d| d.rule.into_iter().map(|r| (r.id, r.remediation)).collect())
                    .unwrap_or_default(),
            )
        }))
    }

    fn residency_of(
        &mut self,
        ledger: &Ledger,
        path: &str,
        sha: &str,
        pems: &[String],
    ) -> Vec<data::ResidencyRegion> {
        let joined = pems.join("\n");
        let key = (sha.to_owned(), joined.clone());
        if let Some(r) = self.residency.get(&key) {
            return r.clone();
        }
        let keys = self
            .keys
            .entry(joined)
            .or_insert_with(|| {
                pems.iter()
                    .filter_map(|p| VerifyingKey::from_pem(p).ok())
                    .collect()
            })
            .clone();
        let unreadable = |status: &str| {
            vec![data::ResidencyRegion {
                region: "(unreadable)".to_owned(),
                attestation: path.to_owned(),
                status: status.to_owned(),
                ..data::ResidencyRegion::default()
            }]
        };
        let regions = match ledger.get_object(sha) {
            Err(_) => unreadable("altered"),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => unreadable("unreadable"),
                Ok(text) => {
                    let file = crate::source::SourceFile::from_text(path, &text);
                    match crate::evidence::attestation::load(&file, &keys) {
                        Ok((a, _)) if a.kind() == EvidenceKind::Residency => {
                            data::residency_regions(&a.predicate, path, a.status.as_str())
                        }
                        Ok(_) => Vec::new(),
                        Err(_) => unreadable("unreadable"),
                    }
                }
            },
        };
        self.residency.insert(key, regions.clone());
        regions
    }
}

/// Single-quotes a shell word unless it is plainly safe.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,".contains(&b));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn replay_command(opts: &Options, seq: u64) -> String {
    let mut cmd = format!(
        "shipgate replay --ledger {} --seq {seq}",
        shell_word(&opts.replay_ledger)
    );
    for k in &opts.replay_keys {
        cmd.push_str(" --key ");
        cmd.push_str(&shell_word(k));
    }
    cmd
}

/// The signature state of a record read back: `altered` is the actual
/// sha256 of its object when that differs from its name. The same judgement
/// as [`crate::ledger::signature_of`], on bytes already read, and telling a
/// record no trusted key was given for (`Unchecked`) from a forged one.
fn sig_state(
    envelope: Option<&Envelope>,
    record: &str,
    altered: Option<&str>,
    trusted: &[VerifyingKey],
) -> SigState {
    let Some(envelope) = envelope else {
        return SigState::Invalid("the record is not a readable DSSE envelope".to_owned());
    };
    match (altered, envelope.signatures.is_empty(), trusted.is_empty()) {
        (Some(actual), _, _) => SigState::Invalid(format!(
            "object `{record}` was altered: its bytes hash to `{actual}`"
        )),
        (None, true, _) => SigState::Unsigned,
        (None, false, true) => SigState::Unchecked,
        (None, false, false) => match envelope.verify(trusted) {
            Ok(v) => SigState::Verified(v.keyids),
            Err(p) => SigState::Invalid(p.message),
        },
    }
}

/// One record read back: its summary, and its statement for its page.
fn read_record(
    ledger: &Ledger,
    entry: &Entry,
    trusted: &[VerifyingKey],
    mut problems: Vec<String>,
    caches: &mut Caches,
) -> (RecordSummary, Option<Value>) {
    let mut altered = None;
    let envelope = match ledger.read_object(&entry.record) {
        // An altered object is read as it is now (the chain finding says so):
        // the page shows what it holds, marked as failing verification.
        Ok((bytes, actual)) => {
            altered = actual;
            match serde_json::from_slice::<Envelope>(&bytes) {
                Ok(e) => Some(e),
                Err(e) => {
                    problems.push(format!("the record is not a DSSE envelope: {e}"));
                    None
                }
            }
        }
        Err(p) => {
            if !problems.iter().any(|m| m.ends_with(&p.message)) {
                problems.push(p.message);
            }
            None
        }
    };
    let statement =
        envelope
            .as_ref()
            .and_then(|e| match crate::record::parse_statement(&e.payload) {
                Ok(s) => Some(s),
                Err(p) => {
                    problems.push(p.message);
                    None
                }
            });
    let signature = sig_state(
        envelope.as_ref(),
        &entry.record,
        altered.as_deref(),
        trusted,
    );
    let null = Value::Null;
    let pred = statement
        .as_ref()
        .and_then(|s| s.get("predicate"))
        .unwrap_or(&null);
    if statement.is_some() {
        problems.extend(data::entry_mismatches(entry, pred));
    }
    let said = |p: &str| pred.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let verdict = said("/verdict").unwrap_or_else(|| entry.verdict.clone());
    let release = match (said("/release/name"), said("/release/version")) {
        (Some(n), Some(v)) => Some((n, v)),
        _ if statement.is_some() => None,
        _ => entry
            .release
            .as_ref()
            .map(|r| (r.name.clone(), r.version.clone())),
    };
    let pems: Vec<String> = pred
        .pointer("/invocation/trusted_keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let residency = entry
        .evidence
        .iter()
        .filter(|f| f.kind == Some(EvidenceKind::Residency))
        .flat_map(|f| caches.residency_of(ledger, &f.path, &f.sha256, &pems))
        .collect();
    let outcome = data::outcome(&verdict, &signature, &problems);
    let summary = RecordSummary {
        seq: entry.seq,
        time: said("/time_verified").unwrap_or_else(|| entry.time.clone()),
        release,
        verdict,
        outcome,
        signature,
        problems,
        rules: data::rule_outcomes(pred),
        waivers: data::waiver_uses(pred),
        cost: data::cost_summary(pred),
        residency,
        residency_findings: data::residency_findings(pred),
    };
    (summary, statement)
}

/// One worker's share of the records: summaries in ledger order, and what
/// it wrote.
struct Share {
    records: Vec<RecordSummary>,
    files: usize,
    bytes: u64,
}

/// Reads, verifies and renders the record pages of `entries`.
fn record_pages(
    ledger: &Ledger,
    trusted: &[VerifyingKey],
    opts: &Options,
    entries: &[Committed],
    by_seq: &BTreeMap<u64, Vec<String>>,
    sink: &dyn Sink,
) -> Result<Share, Problem> {
    let mut caches = Caches::default();
    let mut share = Share {
        records: Vec::with_capacity(entries.len()),
        files: 0,
        bytes: 0,
    };
    for (entry, entry_sha256) in entries {
        let problems = by_seq.get(&entry.seq).cloned().unwrap_or_default();
        let (summary, statement) = read_record(ledger, entry, trusted, problems, &mut caches);
        let remediation: Vec<Arc<BTreeMap<String, String>>> = entry
            .bundles
            .iter()
            .flat_map(|b| b.files.iter())
            .filter(|f| f.path == "bundle.toml")
            .map(|f| caches.remediation_of(ledger, &f.sha256))
            .collect();
        let lookup = |id: &str| {
            remediation
                .iter()
                .find_map(|m| m.get(id))
                .filter(|t| !t.is_empty())
                .cloned()
        };
        let page = html::record(&html::RecordPage {
            summary: &summary,
            entry,
            entry_sha256,
            statement: statement.as_ref(),
            remediation: &lookup,
            replay: replay_command(opts, entry.seq),
        });
        share.files += 1;
        share.bytes += page.len() as u64;
        sink.put(&format!("records/{}.html", entry.seq), page.as_bytes())?;
        share.records.push(summary);
    }
    Ok(share)
}

fn render(
    ledger: &Ledger,
    trusted: &[VerifyingKey],
    opts: &Options,
    sink: &dyn Sink,
) -> Result<Built, Problem> {
    // The chain and every object, as `ledger verify` checks them; signatures
    // are checked below, on the record bytes read for the pages.
    let (entries, findings) = ledger.verify_chain()?;
    let mut by_seq: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in &findings {
        if let Some(seq) = f.seq {
            by_seq.entry(seq).or_default().push(f.message.clone());
        }
    }
    // A broken link names the entry after the altered one: the altered
    // entry itself is marked too.
    for pair in entries.windows(2) {
        if let [(a, a_sha), (b, _)] = pair
            && b.seq == a.seq + 1
            && b.prev.as_deref() != Some(a_sha.as_str())
        {
            by_seq.entry(a.seq).or_default().push(format!(
                "entry {} does not name this entry as its predecessor: this entry was altered or replaced after it was written",
                b.seq
            ));
        }
    }

    // Record pages in parallel, in contiguous shares: the summaries come
    // back in ledger order, so the aggregates do not depend on scheduling.
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);
    let chunk = entries.len().div_ceil(workers).max(1);
    let shares: Vec<Result<Share, Problem>> = std::thread::scope(|scope| {
        let handles: Vec<_> = entries
            .chunks(chunk)
            .map(|part| {
                let by_seq = &by_seq;
                scope.spawn(move || record_pages(ledger, trusted, opts, part, by_seq, sink))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Problem::error(
                        Code::Internal,
                        "a dashboard worker panicked",
                    ))
                })
            })
            .collect()
    });
    let mut out = Counting {
        inner: sink,
        files: 0,
        bytes: 0,
        overview: 0,
    };
    let mut records: Vec<RecordSummary> = Vec::with_capacity(entries.len());
    for share in shares {
        let share = share?;
        out.files += share.files;
        out.bytes += share.bytes;
        records.extend(share.records);
    }
    out.put("assets/style.css", html::STYLE)?;
    out.put("assets/filter.js", html::FILTER_JS)?;

    let mut integrity = html::Integrity {
        committed: entries
            .iter()
            .map(|(e, _)| e.seq)
            .chain(findings.iter().filter_map(|f| f.seq))
            .max()
            .unwrap_or(0),
        readable: records.len(),
        // A finding links to its record's page only when there is one (a
        // removed entry has none).
        findings: findings
            .iter()
            .map(|f| {
                let page = f
                    .seq
                    .filter(|s| records.binary_search_by_key(s, |r| r.seq).is_ok());
                (page, f.message.clone())
            })
            .collect(),
        trusted: trusted.iter().map(VerifyingKey::keyid).collect(),
        ..html::Integrity::default()
    };
    let mut signers: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        let slot = match &r.signature {
            SigState::Verified(keys) => {
                for k in keys {
                    *signers.entry(k.clone()).or_default() += 1;
                }
                0
            }
            SigState::Unsigned => 1,
            SigState::Unchecked => 2,
            SigState::Invalid(_) => 3,
        };
        if let Some(n) = integrity.signatures.get_mut(slot) {
            *n += 1;
        }
    }
    integrity.signers = signers.into_iter().collect();

    let overview = html::overview(&html::Overview {
        records: &records,
        integrity: &integrity,
        today: opts.today,
        latest: opts.latest,
    });
    out.put("index.html", &overview)?;
    out.put("releases.html", &html::releases(&records))?;
    out.put("rules.html", &html::rules(&records))?;
    out.put("waivers.html", &html::waivers(&records, opts.today))?;
    out.put("cost.html", &html::cost(&data::cost_series(&records)))?;
    out.put(
        "residency.html",
        &html::residency(&data::residency_rows(&records)),
    )?;
    out.put("records/index.js", &html::filter_index(&records))?;
    let page_size = opts.page_size.max(1);
    let pages = records.len().div_ceil(page_size).max(1);
    for n in 1..=pages {
        out.put(
            &format!("records/{}", html::index_page_name(n)),
            &html::records_index(&records, n, pages, page_size),
        )?;
    }

    let counts = data::counts(&records);
    Ok(Built {
        records: records.len(),
        counts,
        files: out.files,
        bytes: out.bytes,
        overview_bytes: out.overview,
        findings: findings.len(),
        intact: integrity.ok() && counts.unverified == 0,
    })
}

#[cfg(test)]
mod tests;
