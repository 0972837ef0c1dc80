//! `check`: evidence → input document → bundles → decision → report.
//!
//! Loading is the phase where a user can be wrong: it collects every problem
//! of evidence, bundles and waivers and stops before evaluation if any is an
//! error (exit 2). Evaluation cannot fail as a whole: rule errors are data in
//! the report, and the verdict fails closed on them.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::backend::guard::EvalLimits;
use crate::backend::{Language, PreparedInput, RuleEval};
use crate::bundle::{Bundle, BundleLimits, Compile};
use crate::config::{Config, SbomSchemaMode};
use crate::decision::waiver::{self, Waiver, WaiverReport};
use crate::decision::{self, DecideContext, RuleResult, RuleStatus, Verdict};
use crate::diag::{Problem, Problems};
use crate::evidence::EvidenceKind;
use crate::evidence::cost::CostModel;
use crate::evidence::manifest::ReleaseManifest;
use crate::evidence::osv::VulnMatch;
use crate::evidence::sbom::{Sbom, SbomOptions};
use crate::evidence::set::{Evidence, EvidenceFile, EvidencePaths, LoadOptions, feed_files, shown};
use crate::sign::VerifyingKey;
use crate::source::SourceFile;

/// Git facts for `context.git`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct GitContext {
    /// Ref being checked (`refs/heads/main`).
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// Commit.
    pub sha: Option<String>,
    /// Pull request number.
    pub pr: Option<u64>,
}

/// Everything one `check` needs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The configuration, with overrides applied.
    pub config: Config,
    /// The evaluation time (pinned in the record; policies see it as `context.now`).
    pub now: Timestamp,
    /// Git facts.
    pub git: GitContext,
    /// Force one implementation for rules that have several.
    pub prefer: Option<Language>,
}

/// A bundle, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct BundleRef {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Digest (sha256 over the canonical listing).
    pub digest: String,
    /// Directory, as configured.
    pub path: String,
}

/// The release, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRef {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// An artifact the verdict is about.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectRef {
    /// Artifact name.
    pub name: String,
    /// Its sha256.
    pub sha256: String,
}

/// The report of one check: the one structure every output format renders.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Report format version.
    pub report_version: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// Evaluation time.
    pub now: String,
    /// What was checked.
    pub release: Option<ReleaseRef>,
    /// What the verdict is about: the manifest's artifacts with a sha256 (the
    /// record's in-toto subjects).
    pub subjects: Vec<SubjectRef>,
    /// Bundles, with digests.
    pub bundles: Vec<BundleRef>,
    /// Evidence files, with digests.
    pub evidence: Vec<EvidenceFile>,
    /// sha256 of the policy input document.
    pub input_digest: String,
    /// The computed cost model, when cost evidence was given (also `cost` in
    /// the policy input), so reports can show cost against budget.
    pub cost: Option<crate::evidence::cost::CostModel>,
    /// Rules per status.
    pub summary: Summary,
    /// Every rule's result, bundle by bundle in manifest order.
    pub rules: Vec<RuleResult>,
    /// Every waiver and what became of it.
    pub waivers: Vec<WaiverReport>,
    /// Warnings found on the way.
    pub problems: Vec<Problem>,
}

/// Counts per status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Passing rules.
    pub pass: usize,
    /// Failing rules.
    pub fail: usize,
    /// Warning rules.
    pub warn: usize,
    /// Skipped rules.
    pub skipped: usize,
    /// Waived rules.
    pub waived: usize,
    /// Rules in error.
    pub error: usize,
}

impl Report {
    /// Did any rule error (exit code 3 rather than 1)?
    pub fn has_errors(&self) -> bool {
        self.summary.error > 0
    }
}

/// Loaded and compiled: ready to evaluate.
pub struct Loaded {
    /// Evidence.
    pub evidence: Evidence,
    /// Bundles with their parameter overrides.
    pub bundles: Vec<(Bundle, serde_json::Map<String, Value>)>,
    /// Waivers.
    pub waivers: Vec<Waiver>,
    /// The waivers file they came from.
    pub waivers_file: Option<SourceFile>,
    /// Warnings.
    pub warnings: Vec<Problem>,
    /// Keys trusted to sign attestations (recorded so a replay verifies
    /// with the same keys).
    pub trusted: Vec<VerifyingKey>,
}

/// Loads everything `plan` names; every problem is collected first.
pub fn load(plan: &Plan) -> Result<Loaded, Problems> {
    let cfg = &plan.config;
    let mut problems = Problems::default();
    let sbom_opts = SbomOptions {
        strict_schema: cfg.settings.sbom_schema == SbomSchemaMode::Strict,
    };
    let mut trusted = Vec::new();
    for key in &cfg.trust.keys {
        match VerifyingKey::from_file(key) {
            Ok(k) => trusted.push(k),
            Err(p) => problems.push(p),
        }
    }
    let feeds = feed_files(&cfg.evidence.vulns).unwrap_or_else(|ps| {
        problems.extend(ps);
        Vec::new()
    });
    let paths = EvidencePaths {
        cost: cfg.evidence.cost.as_deref().map(shown),
        attestations: cfg.evidence.attestations.iter().map(|p| shown(p)).collect(),
        vulns: feeds
            .iter()
            .map(|(p, d)| (p.as_path(), d.clone()))
            .collect(),
        ..EvidencePaths::plain(
            cfg.evidence.manifest.as_deref(),
            cfg.evidence.sboms.iter().map(|p| p.as_path()),
        )
    };
    let opts = LoadOptions {
        max_bytes: cfg.settings.max_file_bytes,
        sbom: sbom_opts,
        trusted: &trusted,
    };
    let limits = BundleLimits {
        eval: eval_limits(cfg),
        compile: Compile::For(plan.prefer),
        ..BundleLimits::default()
    };
    // Evidence and bundles are independent: read them at the same time.
    let (evidence, loaded_bundles) = crate::parallel::join(
        || Evidence::load(&paths, opts),
        || {
            crate::parallel::map(&cfg.bundles, |b| {
                Bundle::load(&b.path, &b.path.display().to_string(), &limits)
            })
        },
    );
    let evidence = match evidence {
        Ok(e) => Some(e),
        Err(ps) => {
            problems.extend(ps);
            None
        }
    };
    let mut bundles = Vec::new();
    for (b, loaded) in cfg.bundles.iter().zip(loaded_bundles) {
        match loaded {
            Ok(bundle) => {
                problems.extend(bundle.warnings.clone());
                bundles.push((bundle, b.params.clone()));
            }
            Err(ps) => problems.extend(ps),
        }
    }
    let (waivers, waivers_file) = match &cfg.waivers {
        None => (Vec::new(), None),
        Some(p) => match SourceFile::read(p, p.display().to_string(), cfg.settings.max_file_bytes)
            .map_err(Problems::from)
            .and_then(|f| waiver::load(&f).map(|ws| (ws, f)))
        {
            Ok((ws, f)) => (ws, Some(f)),
            Err(ps) => {
                problems.extend(ps);
                (Vec::new(), None)
            }
        },
    };
    if !bundles.is_empty() || cfg.bundles.is_empty() {
        let ids: Vec<&str> = bundles
            .iter()
            .flat_map(|(b, _)| b.rules.iter().map(|r| r.id.as_str()))
            .collect();
        if bundles.len() == cfg.bundles.len() {
            problems.extend(waiver::check_rules(&waivers, ids.iter().copied()));
        }
    }
    let mut warnings = problems.into_result()?;
    let Some(evidence) = evidence else {
        return Err(Problems(warnings));
    };
    warnings.extend(evidence.warnings.iter().cloned());
    Ok(Loaded {
        evidence,
        bundles,
        waivers,
        waivers_file,
        warnings,
        trusted,
    })
}

fn eval_limits(cfg: &Config) -> EvalLimits {
    EvalLimits {
        rule_timeout: Duration::from_millis(cfg.settings.rule_timeout_ms),
        ..EvalLimits::default()
    }
}

/// The policy input document, borrowing the evidence: serialise it
/// ([`PreparedInput::build`] for the engines, `serde_json::to_value` for a
/// value). Its members, in order: `release`, `sboms`, `cost`,
/// `attestations` (`privacy`, `residency`, `provenance`), `vulns`, `context`
/// (`now`, `git`, `environment`).
#[derive(Debug, Serialize)]
pub struct InputDocument<'a> {
    release: Option<&'a ReleaseManifest>,
    sboms: Vec<&'a Sbom>,
    cost: Option<&'a CostModel>,
    attestations: InputAttestations,
    vulns: &'a [VulnMatch],
    context: InputContext<'a>,
}

#[derive(Debug, Serialize)]
struct InputAttestations {
    privacy: Vec<Value>,
    residency: Vec<Value>,
    provenance: Vec<Value>,
}

#[derive(Debug, Serialize)]
struct InputContext<'a> {
    now: String,
    git: &'a GitContext,
    environment: Option<&'a str>,
}

impl InputDocument<'_> {
    /// As a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The policy input document of `evidence`.
pub fn input_document<'a>(
    evidence: &'a Evidence,
    now: Timestamp,
    git: &'a GitContext,
    environment: Option<&'a str>,
) -> InputDocument<'a> {
    let release = evidence.manifest.as_ref().map(|(_, m)| m);
    let attestations = |kind: EvidenceKind| {
        evidence
            .attestations
            .iter()
            .filter(|(_, a)| a.kind() == kind)
            .map(|(_, a)| a.to_input(release, now))
            .collect::<Vec<_>>()
    };
    InputDocument {
        release,
        sboms: evidence.sboms.iter().map(|(_, s)| s).collect(),
        cost: evidence.cost.as_ref().map(|c| &c.model),
        attestations: InputAttestations {
            privacy: attestations(EvidenceKind::Privacy),
            residency: attestations(EvidenceKind::Residency),
            provenance: attestations(EvidenceKind::Provenance),
        },
        vulns: &evidence.vulns,
        context: InputContext {
            now: rfc3339(now),
            git,
            environment,
        },
    }
}

/// `now` as RFC 3339 UTC with whole seconds, the form records pin.
pub fn rfc3339(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What a check calls when it has let go of a large input document: set by
/// the binaries to have their allocator return the freed memory at once
/// ([`set_return_freed`]).
static RETURN_FREED: OnceLock<fn()> = OnceLock::new();

/// Sets what a check calls right after letting go of the input document of
/// large evidence (a text of [`crate::source::PACKED_TEXT`] or more) and
/// before unpacking that text: an allocator that keeps freed pages resident
/// for a while (mimalloc's purge delay) would otherwise hold both, and at
/// 100,000 components the peak of a check was 130 MiB instead of 113. The
/// first call sets it.
pub fn set_return_freed(hook: fn()) {
    let _ = RETURN_FREED.set(hook);
}

/// Loads, evaluates and decides.
pub fn check(plan: &Plan) -> Result<Report, Problems> {
    let loaded = load(plan)?;
    Ok(evaluate(plan, &loaded))
}

/// Evaluates what `load` gave.
pub fn evaluate(plan: &Plan, loaded: &Loaded) -> Report {
    let input = prepare(plan, &loaded.evidence);
    evaluate_prepared(plan, loaded, input)
}

/// The policy input document of `evidence`, as the engines read it (its
/// digest computed while it is built).
pub fn prepare(plan: &Plan, evidence: &Evidence) -> PreparedInput {
    let doc = input_document(
        evidence,
        plan.now,
        &plan.git,
        plan.config.context.environment.as_deref(),
    );
    PreparedInput::build_with_digest(&doc)
}

/// Evaluates `loaded` on `input`, which [`prepare`] made from its evidence:
/// [`evaluate`] in two steps, so that a caller can let go of the SBOMs'
/// components in between ([`Evidence::release_components`]; the `check`
/// command does, and at 100,000 components its peak memory is some 30 MiB
/// lower for it).
pub fn evaluate_prepared(plan: &Plan, loaded: &Loaded, input: PreparedInput) -> Report {
    let cfg = &plan.config;
    let input = Arc::new(input);
    let input_digest = input.digest();
    let present = loaded.evidence.present();
    let today = plan.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut ledger = waiver::Ledger::new(&loaded.waivers, today, cfg.settings.waiver_warning_days);
    let evals: Vec<_> = loaded
        .bundles
        .iter()
        .map(|(bundle, params)| bundle.evaluate(&input, params, plan.prefer, eval_limits(cfg)))
        .collect();
    let violations = evals.iter().flatten().flat_map(|(_, eval)| match eval {
        RuleEval::Ran { deny, warn } => deny.iter().chain(warn),
        RuleEval::Error(_) => [].iter().chain(&[]),
    });
    let locator = loaded
        .evidence
        .locator(input.doc().ok().map(|d| d.root()), violations);
    // Nothing reads the input again (nor the engines' copies of it): its
    // memory serves the findings, which deciding makes (at 100k components
    // the document is 43 MB, the findings more).
    drop(input);
    if loaded.evidence.sources().any(|(_, f)| f.is_large())
        && let Some(return_freed) = RETURN_FREED.get()
    {
        // Locating the findings unpacks the large text in one piece, which
        // the document's freed pages cannot serve: they go back first.
        return_freed();
    }
    let locate = |v: &crate::backend::Violation| locator.locate(v);
    let ctx = DecideContext {
        present: &present,
        today,
        locate: &locate,
    };
    let mut rules = Vec::new();
    for ((bundle, _), evals) in loaded.bundles.iter().zip(evals) {
        rules.extend(decision::decide_bundle(bundle, evals, &ctx, &mut ledger));
    }
    let (waivers, waiver_problems) = ledger.finish();
    let mut problems = loaded.warnings.clone();
    problems.extend(waiver_problems);
    report(
        plan,
        loaded,
        rules,
        waivers,
        problems,
        input_digest,
        &present,
    )
}

fn report(
    plan: &Plan,
    loaded: &Loaded,
    rules: Vec<RuleResult>,
    waivers: Vec<WaiverReport>,
    problems: Vec<Problem>,
    input_digest: String,
    _present: &BTreeSet<EvidenceKind>,
) -> Report {
    let mut summary = Summary::default();
    for (status, n) in decision::counts(&rules) {
        let slot = match status {
            RuleStatus::Pass => &mut summary.pass,
            RuleStatus::Fail => &mut summary.fail,
            RuleStatus::Warn => &mut summary.warn,
            RuleStatus::Skipped => &mut summary.skipped,
            RuleStatus::Waived => &mut summary.waived,
            RuleStatus::Error => &mut summary.error,
        };
        *slot = n;
    }
    Report {
        report_version: 1,
        verdict: decision::verdict(&rules, plan.config.settings.fail_on),
        now: rfc3339(plan.now),
        release: loaded.evidence.manifest.as_ref().map(|(_, m)| ReleaseRef {
            name: m.name.clone(),
            version: m.version.clone(),
        }),
        subjects: loaded
            .evidence
            .manifest
            .iter()
            .flat_map(|(_, m)| &m.artifacts)
            .filter_map(|a| {
                a.sha256.as_ref().map(|h| SubjectRef {
                    name: a.name.clone(),
                    sha256: h.clone(),
                })
            })
            .collect(),
        bundles: loaded
            .bundles
            .iter()
            .map(|(b, _)| BundleRef {
                name: b.name.clone(),
                version: b.version.clone(),
                digest: b.digest.clone(),
                path: b.display.clone(),
            })
            .collect(),
        evidence: loaded.evidence.files(),
        input_digest,
        cost: loaded.evidence.cost.as_ref().map(|c| c.model.clone()),
        summary,
        rules,
        waivers,
        problems,
    }
}

/// Finds the configuration: `path` may be a `shipgate.toml` or a directory
/// holding one.
pub fn config_path(path: &Path) -> std::path::PathBuf {
    if path.is_dir() {
        crate::config::clean(&path.join(crate::config::FILE_NAME))
    } else {
        path.to_path_buf()
    }
}
