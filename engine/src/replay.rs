//! Replaying a recorded evaluation from the ledger, bit for bit.
//!
//! The evidence, waivers and bundle files are read back from the ledger's
//! content-addressed objects (each checked against its digest), placed in a
//! scratch directory under their recorded names, and evaluated again with the
//! record's pinned clock, settings, parameters and context. The new statement
//! is compared with the recorded one: equal means `reproduced`; otherwise
//! every difference is named (verdict, input digest, rule statuses, each
//! violation added or gone).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::bundle::{Bundle, BundleLimits, Compile};
use crate::config::{BundleConfig, Config};
use crate::decision::waiver;
use crate::diag::{Code, Location, Problem, Problems};
use crate::evidence::EvidenceKind;
use crate::evidence::sbom::SbomOptions;
use crate::evidence::set::{Evidence, EvidencePaths, LoadOptions};
use crate::gate::{self, Loaded, Plan};
use crate::ledger::{Entry, Ledger};
use crate::record::{self, Invocation};
use crate::sign::VerifyingKey;
use crate::source::SourceFile;

/// What a replay found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReplayOutcome {
    /// The ledger entry replayed.
    pub seq: u64,
    /// Did the evaluation give the same statement?
    pub reproduced: bool,
    /// Every difference, empty when reproduced.
    pub differences: Vec<String>,
}

fn named(v: &[(PathBuf, String)]) -> Vec<(&Path, String)> {
    v.iter().map(|(p, d)| (p.as_path(), d.clone())).collect()
}

fn bad(message: String) -> Problem {
    Problem::error(Code::LedgerInvalid, message)
        .with_help("the record or the ledger was altered, or written by an incompatible shipgate")
}

/// Replays `entry` whose record's statement is `statement` (already verified).
pub fn replay(
    ledger: &Ledger,
    entry: &Entry,
    statement: &Value,
) -> Result<ReplayOutcome, Problems> {
    let predicate = statement
        .get("predicate")
        .ok_or_else(|| bad(format!("record of entry {} has no predicate", entry.seq)))?;
    let invocation: Invocation = predicate
        .get("invocation")
        .cloned()
        .ok_or_else(|| bad(format!("record of entry {} has no invocation", entry.seq)))
        .and_then(|v| {
            serde_json::from_value(v)
                .map_err(|e| bad(format!("record of entry {}: invocation: {e}", entry.seq)))
        })?;
    let now = predicate
        .get("time_verified")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .ok_or_else(|| {
            bad(format!(
                "record of entry {} has no valid time_verified",
                entry.seq
            ))
        })?;

    let scratch =
        Scratch::new().map_err(|e| bad(format!("cannot create a scratch directory: {e}")))?;
    // Stored files that no longer match their digest are replayed as they are
    // now, so the differences show what the change does to the decision.
    let mut altered = Vec::new();
    let mut read = |what: &str, path: &str, sha: &str| -> Result<Vec<u8>, Problem> {
        let (bytes, actual) = ledger.read_object(sha)?;
        if let Some(actual) = actual {
            altered.push(format!(
                "{what} `{path}` was altered in the ledger: sha256 {sha} → {actual}"
            ));
        }
        Ok(bytes)
    };
    let mut manifest = None;
    let mut sboms = Vec::new();
    let mut cost = None;
    let mut attestations = Vec::new();
    let mut feeds = Vec::new();
    for (i, f) in entry.evidence.iter().enumerate() {
        let path = scratch.write(
            &format!("evidence/{i}/file"),
            &read("evidence file", &f.path, &f.sha256)?,
        )?;
        match f.kind {
            Some(EvidenceKind::Manifest) => manifest = Some((path, f.path.clone())),
            Some(EvidenceKind::Sbom) => sboms.push((path, f.path.clone())),
            Some(EvidenceKind::Cost) => cost = Some((path, f.path.clone())),
            Some(EvidenceKind::Privacy | EvidenceKind::Residency | EvidenceKind::Provenance) => {
                attestations.push((path, f.path.clone()));
            }
            Some(EvidenceKind::Vulns) => feeds.push((path, f.path.clone())),
            other => {
                return Err(bad(format!(
                    "entry {} stores evidence of kind {other:?}, which this shipgate cannot replay",
                    entry.seq
                ))
                .into());
            }
        }
    }
    let mut bundles = Vec::new();
    let mut problems = Problems::default();
    for (i, b) in entry.bundles.iter().enumerate() {
        for f in &b.files {
            let rel = safe_relative(&f.path).ok_or_else(|| {
                Problem::error(
                    Code::BundlePathEscape,
                    format!(
                        "entry {} stores bundle file `{}`, which leads outside its bundle",
                        entry.seq, f.path
                    ),
                )
            })?;
            scratch.write(
                &format!("bundles/{i}/{}", rel.display()),
                &read("bundle file", &f.path, &f.sha256)?,
            )?;
        }
        let dir = scratch.path(&format!("bundles/{i}"));
        std::fs::create_dir_all(&dir).map_err(|e| bad(format!("scratch: {e}")))?;
        let params = invocation.params.get(i).cloned().unwrap_or_default();
        // A bundle rebuilt with another digest was altered; it is replayed as
        // it is now and the digest difference is reported with the rest.
        // Compiled as `check` compiled it: the implementations it ran.
        let limits = BundleLimits {
            compile: Compile::For(invocation.engine),
            ..BundleLimits::default()
        };
        match Bundle::load(&dir, &b.path, &limits) {
            Ok(bundle) => bundles.push((bundle, params)),
            Err(ps) => problems.extend(ps),
        }
    }
    let (waivers, waivers_file) = match &entry.waivers {
        None => (Vec::new(), None),
        Some(w) => {
            let path = scratch.write("waivers/file", &read("waivers file", &w.path, &w.sha256)?)?;
            let file = SourceFile::read(&path, w.path.clone(), u64::MAX).map_err(Problems::from)?;
            (waiver::load(&file)?, Some(file))
        }
    };
    problems.into_result()?;

    let mut config = Config::default();
    config.settings.fail_on = invocation.fail_on;
    config.settings.sbom_schema = invocation.sbom_schema;
    config.settings.waiver_warning_days = invocation.waiver_warning_days;
    config.settings.rule_timeout_ms = invocation.rule_timeout_ms;
    config.context.environment = invocation.environment.clone();
    config.bundles = entry
        .bundles
        .iter()
        .zip(&bundles)
        .map(|(b, (_, params))| BundleConfig {
            path: PathBuf::from(&b.path),
            params: params.clone(),
        })
        .collect();
    let plan = Plan {
        config,
        now,
        git: invocation.git.clone(),
        prefer: invocation.engine,
    };
    let paths = EvidencePaths {
        manifest: manifest.as_ref().map(|(p, d)| (p.as_path(), d.clone())),
        sboms: named(&sboms),
        cost: cost.as_ref().map(|(p, d)| (p.as_path(), d.clone())),
        attestations: named(&attestations),
        vulns: named(&feeds),
    };
    // The keys the check trusted are in its record: the replay verifies the
    // attestations with exactly those.
    let mut trusted = Vec::new();
    for pem in &invocation.trusted_keys {
        trusted.push(VerifyingKey::from_pem(pem).map_err(|p| {
            bad(format!(
                "record of entry {}: a trusted key does not read: {}",
                entry.seq, p.message
            ))
        })?);
    }
    let opts = LoadOptions {
        max_bytes: u64::MAX,
        sbom: SbomOptions {
            strict_schema: invocation.sbom_schema == crate::config::SbomSchemaMode::Strict,
        },
        trusted: &trusted,
    };
    let evidence = Evidence::load(&paths, opts)?;
    let warnings = evidence.warnings.clone();
    let loaded = Loaded {
        evidence,
        bundles,
        waivers,
        waivers_file,
        warnings,
        trusted,
    };
    let report = gate::evaluate(&plan, &loaded);
    let mut again = record::statement(&report, &invocation);
    record::protect_large_integers(&mut again);
    // Compare (and show) both in the recorded form: canonical key order.
    if let Ok(bytes) = crate::canonical::to_vec(&again)
        && let Ok(v) = serde_json::from_slice(&bytes)
    {
        again = v;
    }
    let mut differences = altered;
    differences.extend(compare(statement, &again));
    Ok(ReplayOutcome {
        seq: entry.seq,
        reproduced: differences.is_empty(),
        differences,
    })
}

/// `path` as a relative path that stays inside its root, or `None`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let ok = !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| p.to_path_buf())
}

/// Named differences between a recorded statement and a replayed one.
pub fn compare(recorded: &Value, replayed: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let pick = |v: &Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    for (what, ptr) in [
        ("verdict", "/predicate/verdict"),
        ("input digest", "/predicate/input_digest/sha256"),
        ("subjects", "/subject"),
        ("bundles", "/predicate/bundles"),
        ("evidence", "/predicate/evidence"),
        ("waivers", "/predicate/waivers"),
    ] {
        let (a, b) = (pick(recorded, ptr), pick(replayed, ptr));
        if a != b {
            out.push(format!(
                "{what}: recorded {} but replay gives {}",
                short(&a),
                short(&b)
            ));
        }
    }
    let rules = |v: &Value| -> BTreeMap<String, Value> {
        v.pointer("/predicate/results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| Some((r.get("id")?.as_str()?.to_owned(), r.clone())))
            .collect()
    };
    let (a, b) = (rules(recorded), rules(replayed));
    for id in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        match (a.get(id), b.get(id)) {
            (Some(_), None) => out.push(format!(
                "rule `{id}`: recorded but not evaluated by the replay"
            )),
            (None, Some(_)) => out.push(format!(
                "rule `{id}`: evaluated by the replay but not recorded"
            )),
            (Some(x), Some(y)) if x != y => {
                let (sx, sy) = (pick(x, "/status"), pick(y, "/status"));
                if sx != sy {
                    out.push(format!(
                        "rule `{id}`: status {} → {}",
                        short(&sx),
                        short(&sy)
                    ));
                }
                for list in ["violations", "waived", "warnings"] {
                    let msgs = |v: &Value| -> BTreeSet<String> {
                        v.get(list)
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .map(|f| f.to_string())
                            .collect()
                    };
                    let (mx, my) = (msgs(x), msgs(y));
                    for gone in mx.difference(&my) {
                        out.push(format!(
                            "rule `{id}`: {list} entry no longer reported: {}",
                            short_str(gone)
                        ));
                    }
                    for new in my.difference(&mx) {
                        out.push(format!(
                            "rule `{id}`: {list} entry not in the record: {}",
                            short_str(new)
                        ));
                    }
                }
                if sx == sy
                    && out
                        .last()
                        .is_none_or(|l| !l.starts_with(&format!("rule `{id}`")))
                {
                    out.push(format!(
                        "rule `{id}`: result differs: recorded {} but replay gives {}",
                        short(x),
                        short(y)
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

fn short(v: &Value) -> String {
    short_str(&v.to_string())
}

fn short_str(s: &str) -> String {
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or(s)),
        None => s.to_owned(),
    }
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shipgate-replay-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> Result<PathBuf, Problem> {
        let p = self.path(rel);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&p, bytes)
        };
        write().map_err(|e| {
            bad(format!("scratch: {e}")).at(Location::file(p.display().to_string()))
        })?;
        Ok(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_that_escape_are_refused() {
        assert!(safe_relative("a/b.rego").is_some());
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "./a"] {
            assert!(safe_relative(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn differences_are_named() {
        let a = json!({"predicate": {"verdict": "fail", "results": [
            {"id": "r.a", "status": "fail", "violations": [{"msg": "x"}], "waived": [], "warnings": []},
            {"id": "r.b", "status": "pass", "violations": [], "waived": [], "warnings": []}]}});
        let mut b = a.clone();
        assert!(compare(&a, &b).is_empty());
        b["predicate"]["verdict"] = json!("pass");
        b["predicate"]["results"][0]["status"] = json!("pass");
        b["predicate"]["results"][0]["violations"] = json!([]);
        let d = compare(&a, &b);
        assert!(d[0].starts_with("verdict: recorded \"fail\""), "{d:?}");
        assert!(
            d.iter()
                .any(|l| l == "rule `r.a`: status \"fail\" → \"pass\""),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|l| l.contains("no longer reported: {\"msg\":\"x\"}")),
            "{d:?}"
        );
    }
}
