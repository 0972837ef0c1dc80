//! `shipgate.toml`: what to check and how, so CI and hooks need no flags.
//!
//! Paths in the file are relative to the file's directory. Every key can be
//! overridden by the front end before the plan is built ([`Config`] is plain
//! data), and the file is read strictly: an unknown key is an error at its
//! line, not a setting silently ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::decision::FailOn;
use crate::diag::Problem;
use crate::source::SourceFile;
use crate::toml_file;

/// The file name looked up in a directory.
pub const FILE_NAME: &str = "shipgate.toml";

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Evidence files.
    #[serde(default)]
    pub evidence: EvidenceConfig,
    /// Bundles to evaluate.
    #[serde(default, rename = "bundle")]
    pub bundles: Vec<BundleConfig>,
    /// Waivers file.
    #[serde(default)]
    pub waivers: Option<PathBuf>,
    /// Settings.
    #[serde(default)]
    pub settings: Settings,
    /// Evaluation context.
    #[serde(default)]
    pub context: ContextConfig,
    /// Signed records.
    #[serde(default)]
    pub record: RecordConfig,
    /// The ledger.
    #[serde(default)]
    pub ledger: LedgerConfig,
    /// Keys trusted to have signed records and attestations.
    #[serde(default)]
    pub trust: TrustConfig,
}

/// `[record]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RecordConfig {
    /// PKCS#8 PEM private key that signs records (Ed25519 or ECDSA P-256).
    #[serde(default)]
    pub sign_key: Option<PathBuf>,
}

/// `[ledger]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LedgerConfig {
    /// Append every check's record to the ledger.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Ledger directory.
    #[serde(default = "default_ledger_dir")]
    pub dir: PathBuf,
}

fn yes() -> bool {
    true
}

fn default_ledger_dir() -> PathBuf {
    PathBuf::from(crate::ledger::DEFAULT_DIR)
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            enabled: true,
            dir: default_ledger_dir(),
        }
    }
}

/// `[trust]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrustConfig {
    /// SPKI PEM public keys.
    #[serde(default)]
    pub keys: Vec<PathBuf>,
}

/// `[evidence]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EvidenceConfig {
    /// The release manifest.
    #[serde(default)]
    pub manifest: Option<PathBuf>,
    /// SBOMs.
    #[serde(default)]
    pub sboms: Vec<PathBuf>,
    /// Prices and forecasts for the cost model.
    #[serde(default)]
    pub cost: Option<PathBuf>,
    /// Attestations (in-toto Statements, bare or in DSSE envelopes): privacy,
    /// residency and SLSA provenance, told apart by their predicate type.
    #[serde(default)]
    pub attestations: Vec<PathBuf>,
    /// OSV vulnerability feeds: files, or directories read for `*.json`.
    #[serde(default)]
    pub vulns: Vec<PathBuf>,
}

/// `[[bundle]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BundleConfig {
    /// Bundle directory.
    pub path: PathBuf,
    /// Parameter overrides.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// How strictly SBOMs are held to their official schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SbomSchemaMode {
    /// Violations are warnings (real generators emit slightly invalid files).
    #[default]
    Warn,
    /// Violations are errors.
    Strict,
}

/// `[settings]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// SBOM schema strictness.
    #[serde(default)]
    pub sbom_schema: SbomSchemaMode,
    /// What fails the gate.
    #[serde(default)]
    pub fail_on: FailOn,
    /// Waivers expiring within this many days warn.
    #[serde(default = "default_warning_days")]
    pub waiver_warning_days: i64,
    /// Time budget per rule, in milliseconds.
    #[serde(default = "default_timeout")]
    pub rule_timeout_ms: u64,
    /// Largest evidence file, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_file_bytes: u64,
}

fn default_warning_days() -> i64 {
    30
}
fn default_timeout() -> u64 {
    10_000
}
fn default_max_bytes() -> u64 {
    crate::source::DEFAULT_MAX_FILE_BYTES
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sbom_schema: SbomSchemaMode::default(),
            fail_on: FailOn::default(),
            waiver_warning_days: default_warning_days(),
            rule_timeout_ms: default_timeout(),
            max_file_bytes: default_max_bytes(),
        }
    }
}

/// `[context]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContextConfig {
    /// Deployment environment name.
    #[serde(default)]
    pub environment: Option<String>,
}

impl Config {
    /// Reads `file`, making its paths relative to its directory.
    pub fn load(file: &SourceFile) -> Result<Config, Problem> {
        let mut config: Config = toml_file::parse(file, "configuration")?;
        let base = file.path().parent().unwrap_or(Path::new("")).to_path_buf();
        config.rebase(&base);
        Ok(config)
    }

    /// Makes every relative path relative to `base` instead.
    pub fn rebase(&mut self, base: &Path) {
        let join = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = clean(&base.join(&*p));
            }
        };
        if let Some(m) = &mut self.evidence.manifest {
            join(m);
        }
        self.evidence.sboms.iter_mut().for_each(join);
        if let Some(c) = &mut self.evidence.cost {
            join(c);
        }
        self.evidence.attestations.iter_mut().for_each(join);
        self.evidence.vulns.iter_mut().for_each(join);
        self.bundles.iter_mut().for_each(|b| join(&mut b.path));
        if let Some(w) = &mut self.waivers {
            join(w);
        }
        if let Some(k) = &mut self.record.sign_key {
            join(k);
        }
        join(&mut self.ledger.dir);
        self.trust.keys.iter_mut().for_each(join);
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system, so paths shown to
/// the user stay as short as they wrote them.
pub fn clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_normal =
                    matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_normal {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_file() {
        let text = "[evidence]\nmanifest = \"release.json\"\nsboms = [\"sbom/a.json\"]\n[[bundle]]\npath = \"../../policies/sbom\"\n";
        let file = SourceFile::from_text("examples/x/shipgate.toml", text);
        let c = Config::load(&file).unwrap();
        assert_eq!(
            c.evidence.manifest.unwrap(),
            PathBuf::from("examples/x/release.json")
        );
        assert_eq!(c.bundles[0].path, PathBuf::from("policies/sbom"));
        assert_eq!(c.settings.waiver_warning_days, 30);
    }

    #[test]
    fn evidence_of_every_kind_is_relative_to_the_file() {
        let text = "[evidence]\ncost = \"cost.json\"\nattestations = [\"att/p.dsse.json\"]\nvulns = [\"../osv\"]\n[trust]\nkeys = [\"k.pub\"]\n";
        let c = Config::load(&SourceFile::from_text("examples/x/shipgate.toml", text)).unwrap();
        assert_eq!(
            c.evidence.cost.unwrap(),
            PathBuf::from("examples/x/cost.json")
        );
        assert_eq!(
            c.evidence.attestations,
            [PathBuf::from("examples/x/att/p.dsse.json")]
        );
        assert_eq!(c.evidence.vulns, [PathBuf::from("examples/osv")]);
        assert_eq!(c.trust.keys, [PathBuf::from("examples/x/k.pub")]);
    }

    #[test]
    fn unknown_keys_are_errors_at_their_line() {
        let file = SourceFile::from_text(
            "shipgate.toml",
            "[settings]\nfail-on = \"deny\"\nfial-on = \"warn\"\n",
        );
        let p = Config::load(&file).unwrap_err();
        assert_eq!(p.location.unwrap().line, Some(3));
        assert!(p.message.contains("fial-on"), "{}", p.message);
    }
}
