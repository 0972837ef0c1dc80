//! A release's evidence, loaded together.
//!
//! Every file is loaded even after one fails, so a user sees every problem of
//! a run at once; any error stops the run before evaluation (bad evidence
//! never yields a pass).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;

use super::EvidenceKind;
use super::attestation::{self, Attestation};
use super::cost::{self, CostInput, CostModel};
use super::manifest::ReleaseManifest;
use super::osv::{self, Advisory, VulnMatch};
use super::sbom::{self, Sbom, SbomOptions};
use crate::backend::Violation;
use crate::diag::{Code, Location, Problem, Problems};
use crate::json;
use crate::sign::VerifyingKey;
use crate::source::SourceFile;

/// One evidence file, as recorded in reports and records.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceFile {
    /// Kind.
    pub kind: EvidenceKind,
    /// Path as the user named it.
    pub path: String,
    /// sha256 of its bytes.
    pub sha256: String,
}

/// A path to read, with the name shown to the user.
pub type Named<'a> = (&'a Path, String);

/// Paths of the evidence to load, each with the name shown to the user (the
/// path as configured; a replay reads stored copies under their old names).
#[derive(Debug, Clone, Default)]
pub struct EvidencePaths<'a> {
    /// Release manifest.
    pub manifest: Option<Named<'a>>,
    /// SBOMs.
    pub sboms: Vec<Named<'a>>,
    /// Prices and forecasts.
    pub cost: Option<Named<'a>>,
    /// Attestations of any kind.
    pub attestations: Vec<Named<'a>>,
    /// OSV feed files (directories already expanded).
    pub vulns: Vec<Named<'a>>,
}

impl<'a> EvidencePaths<'a> {
    /// Paths shown as they are.
    pub fn plain(manifest: Option<&'a Path>, sboms: impl IntoIterator<Item = &'a Path>) -> Self {
        EvidencePaths {
            manifest: manifest.map(shown),
            sboms: sboms.into_iter().map(shown).collect(),
            ..EvidencePaths::default()
        }
    }
}

/// A path named as it is.
pub fn shown(p: &Path) -> Named<'_> {
    (p, p.display().to_string())
}

/// How evidence is read.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions<'a> {
    /// Largest file read.
    pub max_bytes: u64,
    /// SBOM strictness.
    pub sbom: SbomOptions,
    /// Keys trusted to sign attestations.
    pub trusted: &'a [VerifyingKey],
}

/// The cost evidence: the file, what it says, and the model computed from it
/// and the manifest.
#[derive(Debug, Clone)]
pub struct CostEvidence {
    /// The prices and forecasts file.
    pub file: SourceFile,
    /// Its content.
    pub input: CostInput,
    /// The computed model (`cost` in the policy input).
    pub model: CostModel,
}

/// Loaded evidence.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The manifest and its file.
    pub manifest: Option<(SourceFile, ReleaseManifest)>,
    /// SBOMs and their files.
    pub sboms: Vec<(SourceFile, Sbom)>,
    /// The cost model and its input.
    pub cost: Option<CostEvidence>,
    /// Attestations and their files, in the order given.
    pub attestations: Vec<(SourceFile, Attestation)>,
    /// OSV feed files and their advisories.
    pub feeds: Vec<(SourceFile, Vec<Advisory>)>,
    /// Advisories matched to SBOM components (`vulns` in the policy input).
    pub vulns: Vec<VulnMatch>,
    /// Warnings found while loading.
    pub warnings: Vec<Problem>,
}

impl Evidence {
    /// Loads every file; all problems are collected before failing.
    pub fn load(paths: &EvidencePaths<'_>, opts: LoadOptions<'_>) -> Result<Evidence, Problems> {
        let mut problems = Problems::default();
        let mut ev = Evidence::default();
        let max = opts.max_bytes;
        // The manifest and the SBOMs are independent (and each compiles its
        // own JSON Schema, the larger part of reading a small release).
        let (manifest, (sboms, sbom_problems)) = crate::parallel::join(
            || {
                paths.manifest.as_ref().map(|(p, name)| {
                    read(p, name, max, "manifest")
                        .and_then(|f| ReleaseManifest::load(&f).map(|m| (f, m)))
                })
            },
            || {
                let mut problems = Problems::default();
                let sboms = read_all(&paths.sboms, max, "sbom", &mut problems, |f| {
                    sbom::load(f, opts.sbom)
                });
                (sboms, problems)
            },
        );
        match manifest {
            Some(Ok(m)) => ev.manifest = Some(m),
            Some(Err(ps)) => problems.extend(ps),
            None => {}
        }
        ev.sboms = sboms;
        problems.extend(sbom_problems.0);
        if let Some((p, name)) = &paths.cost {
            match read(p, name, max, "cost")
                .and_then(|f| cost::load(&f).map(|input| (f, input)))
            {
                Ok((file, input)) => match (&ev.manifest, &paths.manifest) {
                    (Some((_, m)), _) => match cost::compute(&file, &input, m) {
                        Ok((model, warnings)) => {
                            problems.extend(warnings);
                            ev.cost = Some(CostEvidence { file, input, model });
                        }
                        Err(ps) => problems.extend(ps),
                    },
                    // The manifest's own problems are already reported.
                    (None, Some(_)) => {}
                    (None, None) => problems.push(
                        Problem::error(
                            Code::EvidenceMissing,
                            format!(
                                "cost evidence `{name}` needs a release manifest: the cost is computed from its artifacts, targets and rollout"
                            ),
                        )
                        .with_help("name the manifest under [evidence] manifest, or with --manifest")
                        .at(Location::file(name.as_str())),
                    ),
                },
                Err(ps) => problems.extend(ps),
            }
        }
        ev.attestations = read_all(
            &paths.attestations,
            max,
            "attestation",
            &mut problems,
            |f| attestation::load(f, opts.trusted),
        );
        ev.feeds = read_all(
            &paths.vulns,
            max,
            "vulnerability feed",
            &mut problems,
            osv::load,
        );
        if !ev.feeds.is_empty() {
            let advisories: Vec<Advisory> = ev
                .feeds
                .iter()
                .flat_map(|(_, a)| a.iter().cloned())
                .collect();
            let (matches, warnings) =
                osv::match_sboms(&advisories, ev.sboms.iter().map(|(_, s)| s));
            problems.extend(warnings);
            ev.vulns = matches;
        }
        ev.warnings = problems.into_result()?;
        Ok(ev)
    }

    /// The kinds present (a feed counts even when nothing matched: the
    /// vulnerability rules then pass rather than skip).
    pub fn present(&self) -> BTreeSet<EvidenceKind> {
        self.sources().map(|(k, _)| k).collect()
    }

    /// Every file with its kind, in load order: manifest, SBOMs, cost,
    /// attestations, feeds.
    pub fn sources(&self) -> impl Iterator<Item = (EvidenceKind, &SourceFile)> {
        self.manifest
            .iter()
            .map(|(f, _)| (EvidenceKind::Manifest, f))
            .chain(self.sboms.iter().map(|(f, _)| (EvidenceKind::Sbom, f)))
            .chain(self.cost.iter().map(|c| (EvidenceKind::Cost, &c.file)))
            .chain(self.attestations.iter().map(|(f, a)| (a.kind(), f)))
            .chain(self.feeds.iter().map(|(f, _)| (EvidenceKind::Vulns, f)))
    }

    /// Every file with its kind and digest, in load order.
    pub fn files(&self) -> Vec<EvidenceFile> {
        self.sources()
            .map(|(kind, f)| EvidenceFile {
                kind,
                path: f.display().to_owned(),
                sha256: f.sha256().to_owned(),
            })
            .collect()
    }

    /// A resolver from a violation's details to a place in the evidence.
    pub fn locator(&self) -> Locator<'_> {
        Locator {
            ev: self,
            components: OnceLock::new(),
        }
    }
}

/// Reads every file of `paths` with `load`, keeping what loads and adding
/// every problem (warnings of the files that load, errors of those that do
/// not) to `problems`.
fn read_all<T: Send>(
    paths: &[Named<'_>],
    max_bytes: u64,
    what: &str,
    problems: &mut Problems,
    load: impl Fn(&SourceFile) -> Result<(T, Vec<Problem>), Problems> + Sync,
) -> Vec<(SourceFile, T)> {
    let one = |(p, name): &Named<'_>| {
        read(p, name, max_bytes, what).and_then(|f| load(&f).map(|(t, w)| (f, t, w)))
    };
    let mut out = Vec::with_capacity(paths.len());
    for result in crate::parallel::map(paths, one) {
        match result {
            Ok((f, t, warnings)) => {
                problems.extend(warnings);
                out.push((f, t));
            }
            Err(ps) => problems.extend(ps),
        }
    }
    out
}

/// Deepest directory level read below a feed directory.
const FEED_MAX_DEPTH: usize = 16;
/// Most files read from one feed directory (osv.dev's largest ecosystem dump
/// holds about 60,000 advisories).
const FEED_MAX_FILES: usize = 200_000;

/// The feed files `paths` name: a file as it is, a directory as every
/// `*.json` file below it (sorted by path, so the order never depends on the
/// file system). Symlinked directories are not followed; a directory without
/// any `*.json` file is an error: an empty feed would match nothing and let
/// every release pass.
pub fn feed_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, Problems> {
    let mut problems = Problems::default();
    let mut out = Vec::new();
    for root in paths {
        let shown = root.display().to_string();
        if !root.is_dir() {
            out.push((root.clone(), shown));
            continue;
        }
        let mut found = Vec::new();
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(
                        Problem::error(
                            Code::Io,
                            format!("cannot read feed directory `{}`: {e}", dir.display()),
                        )
                        .at(Location::file(dir.display().to_string())),
                    );
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                if hidden {
                    continue;
                }
                if kind.is_dir() {
                    if depth + 1 > FEED_MAX_DEPTH {
                        problems.push(
                            Problem::error(
                                Code::ConfigInvalid,
                                format!(
                                    "feed directory `{shown}` nests deeper than {FEED_MAX_DEPTH} levels at `{}`",
                                    path.display()
                                ),
                            )
                            .at(Location::file(shown.as_str())),
                        );
                    } else {
                        stack.push((path, depth + 1));
                    }
                } else if path.extension().is_some_and(|e| e == "json")
                    && (kind.is_file() || path.is_file())
                {
                    found.push(path);
                }
            }
            if found.len() > FEED_MAX_FILES {
                break;
            }
        }
        if found.len() > FEED_MAX_FILES {
            problems.push(
                Problem::error(
                    Code::ConfigInvalid,
                    format!("feed directory `{shown}` holds more than {FEED_MAX_FILES} files"),
                )
                .with_help("point [evidence] vulns at the ecosystems the release uses")
                .at(Location::file(shown.as_str())),
            );
            continue;
        }
        if found.is_empty() {
            problems.push(
                Problem::error(
                    Code::EvidenceMissing,
                    format!("vulnerability feed directory `{shown}` holds no `*.json` file"),
                )
                .with_help(
                    "an empty feed would match nothing and let every release pass: check the download of the OSV data",
                )
                .at(Location::file(shown.as_str())),
            );
            continue;
        }
        found.sort();
        out.extend(found.into_iter().map(|p| {
            let name = crate::config::clean(&p).display().to_string();
            (p, name)
        }));
    }
    problems.into_result()?;
    Ok(out)
}

fn read(path: &Path, display: &str, max_bytes: u64, what: &str) -> Result<SourceFile, Problems> {
    SourceFile::read(path, display, max_bytes).map_err(|mut p| {
        if p.code == Code::Io && !path.exists() {
            p = Problem::error(
                Code::EvidenceMissing,
                format!("{what} evidence `{display}` does not exist"),
            )
            .with_help(
                "check the path under [evidence] in shipgate.toml, or the flag that overrides it",
            )
            .at(Location::file(display));
        }
        p.into()
    })
}

/// Finds where a violation is in the evidence.
pub struct Locator<'a> {
    ev: &'a Evidence,
    /// The SBOMs' components by purl and by name, made when a violation
    /// first needs them: most name their file and pointer (every shipped
    /// rule's do), and at 10,000 components making them took 2-3 ms.
    components: OnceLock<Components<'a>>,
}

/// Where each component is, by purl and by name (the first of each).
#[derive(Default)]
struct Components<'a> {
    by_purl: foldhash::HashMap<&'a str, (&'a SourceFile, &'a str)>,
    by_name: foldhash::HashMap<&'a str, (&'a SourceFile, &'a str)>,
}

impl<'a> Locator<'a> {
    fn components(&self) -> &Components<'a> {
        self.components.get_or_init(|| {
            let mut index = Components::default();
            for (file, s) in &self.ev.sboms {
                for c in &s.components {
                    let at = (file, c.source.pointer.as_str());
                    if let Some(p) = &c.purl {
                        index.by_purl.entry(p.as_str()).or_insert(at);
                    }
                    index.by_name.entry(c.name.as_str()).or_insert(at);
                }
            }
            index
        })
    }

    /// The location named by `file` + `pointer` (a pointer into a DSSE
    /// envelope's signed statement is shown at the envelope's payload), else
    /// the component with the `purl` (or `component` name), else the manifest
    /// artifact, else the `file` alone.
    pub fn locate(&self, v: &Violation) -> Option<Location> {
        if let (Some(file), Some(pointer)) = (v.detail("file"), v.detail("pointer")) {
            if let Some((f, a)) = self
                .ev
                .attestations
                .iter()
                .find(|(f, _)| f.display() == file)
            {
                return Some(a.locate(f, pointer));
            }
            if let Some((_, f)) = self.ev.sources().find(|(_, f)| f.display() == file) {
                return Some(json::position_of(f, pointer));
            }
        }
        if let Some((f, pointer)) = v
            .detail("purl")
            .and_then(|p| self.components().by_purl.get(p))
            .or_else(|| {
                v.detail("component")
                    .and_then(|n| self.components().by_name.get(n))
            })
        {
            return Some(json::position_of(f, pointer));
        }
        if let Some(artifact) = v.detail("artifact")
            && let Some((f, m)) = self.ev.manifest.as_ref()
            && let Some(pointer) = m.artifact_pointer(artifact)
        {
            return Some(json::position_of(f, &pointer));
        }
        let file = v.detail("file")?;
        let (_, f) = self.ev.sources().find(|(_, f)| f.display() == file)?;
        Some(Location::file(f.display_shared()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_located_by_pointer_purl_or_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.cdx.json");
        std::fs::write(
            &path,
            r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "components": [
    {"type": "library", "name": "a", "version": "1", "purl": "pkg:npm/a@1"},
    {"type": "library", "name": "b", "version": "2"}
  ]
}
"#,
        )
        .unwrap();
        let ev = Evidence::load(
            &EvidencePaths::plain(None, [path.as_path()]),
            LoadOptions {
                max_bytes: 1 << 20,
                sbom: SbomOptions::default(),
                trusted: &[],
            },
        )
        .unwrap();
        let file = path.display().to_string();
        let locator = ev.locator();
        let at = |details: serde_json::Value| {
            let mut v = serde_json::json!({"msg": "m"});
            v.as_object_mut()
                .unwrap()
                .extend(details.as_object().unwrap().clone());
            locator
                .locate(&Violation::from_value(v, "t").unwrap())
                .map(|l| (l.pointer, l.line, l.column))
        };
        let first = Some((Some("/components/0".to_owned()), Some(5), Some(5)));
        let second = Some((Some("/components/1".to_owned()), Some(6), Some(5)));
        // Without file and pointer, the components are indexed on demand.
        assert!(locator.components.get().is_none());
        assert_eq!(
            at(serde_json::json!({"file": file, "pointer": "/components/1"})),
            second
        );
        assert!(locator.components.get().is_none());
        assert_eq!(at(serde_json::json!({"purl": "pkg:npm/a@1"})), first);
        assert_eq!(at(serde_json::json!({"component": "b"})), second);
        assert_eq!(
            at(serde_json::json!({"purl": "pkg:npm/zz@1", "component": "a"})),
            first
        );
        assert_eq!(at(serde_json::json!({"component": "zz"})), None);
        let whole = at(serde_json::json!({"component": "zz", "file": file}));
        assert_eq!(whole, Some((None, None, None)));
    }

    #[test]
    fn feed_directories_expand_to_sorted_json_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("npm/2024")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        for f in [
            "b.json",
            "a.json",
            "npm/2024/c.json",
            "README.md",
            ".git/x.json",
        ] {
            std::fs::write(d.join(f), "{}").unwrap();
        }
        let single = d.join("a.json");
        let files = feed_files(&[d.to_path_buf(), single.clone()]).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|(p, _)| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.json", "b.json", "npm/2024/c.json", "a.json"]);

        let empty = tempfile::tempdir().unwrap();
        let err = feed_files(&[empty.path().to_path_buf()]).unwrap_err();
        assert_eq!(err.0[0].code, Code::EvidenceMissing);
        assert!(err.0[0].message.contains("holds no `*.json` file"));
    }
}
