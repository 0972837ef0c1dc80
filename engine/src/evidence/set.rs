//! A release's evidence, loaded together.
//!
//! Every file is loaded even after one fails, so a user sees every problem of
//! a run at once; any error stops the run before evaluation (bad evidence
//! never yields a pass).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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

    /// A resolver from a violation's details to a place in the evidence,
    /// for `violations` (all a check will locate). Those that name no place
    /// in a file of the evidence but a component's purl or name are placed
    /// at that component, found in `input` (the policy input document of
    /// this evidence, whose `sboms` are [`Evidence::sboms`] in order): only
    /// the purls and names such violations give are looked for, so the
    /// input document can be let go right after, and the SBOMs'
    /// components before the rules ran ([`Evidence::release_components`]).
    pub fn locator<'v>(
        &self,
        input: Option<json::doc::Val<'_>>,
        violations: impl IntoIterator<Item = &'v Violation>,
    ) -> Locator<'_> {
        let mut locator = Locator {
            ev: self,
            components: Components::default(),
        };
        let mut wanted = Components::default();
        for v in violations {
            if locator.place_of(v).is_some() {
                continue;
            }
            if let Some(purl) = v.detail("purl") {
                wanted.by_purl.insert(purl.to_owned(), None);
            }
            if let Some(name) = v.detail("component") {
                wanted.by_name.insert(name.to_owned(), None);
            }
        }
        if let Some(input) = input
            && !(wanted.by_purl.is_empty() && wanted.by_name.is_empty())
        {
            wanted.find_in(input);
            locator.components = wanted;
        }
        locator
    }

    /// Lets go of the normalised components of the large SBOMs (those whose
    /// text is [`SourceFile::pack`]ed), for a check that has made its input
    /// document (which holds them) and does not make another from this
    /// evidence: at 100,000 components they take some 30 MiB that would
    /// otherwise stay resident through the rules. Smaller ones are kept:
    /// freeing 10,000 components took 2 ms on the way to the verdict, for
    /// 3 MiB. Locating findings does not need them ([`Evidence::locator`]).
    /// After this, [`crate::gate::input_document`] would see those SBOMs
    /// without components.
    pub fn release_components(&mut self) {
        for (file, sbom) in &mut self.sboms {
            if file.is_large() {
                sbom.components = Vec::new();
            }
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
    /// Where the components that violations name by purl or name only are.
    components: Components,
}

/// Where components are by purl and by name (the first of each): the SBOM's
/// place in [`Evidence::sboms`] and the component's pointer in it; `None`
/// for one looked for and not found.
#[derive(Default)]
struct Components {
    by_purl: foldhash::HashMap<String, Option<(usize, String)>>,
    by_name: foldhash::HashMap<String, Option<(usize, String)>>,
}

impl Components {
    /// Where the component of `v`'s `purl` is, else that of its `component`
    /// name.
    fn place(&self, v: &Violation) -> Option<&(usize, String)> {
        let by_purl = v.detail("purl").and_then(|k| self.by_purl.get(k)?.as_ref());
        by_purl.or_else(|| {
            let name = v.detail("component")?;
            self.by_name.get(name)?.as_ref()
        })
    }

    /// Fills in the places of the purls and names looked for, from the
    /// policy input document's `sboms[i].components[j]`.
    fn find_in(&mut self, input: json::doc::Val<'_>) {
        let sboms = input.get("sboms").and_then(|s| s.as_array());
        for (i, sbom) in sboms.into_iter().flat_map(|s| s.iter()).enumerate() {
            let components = sbom.get("components").and_then(|c| c.as_array());
            for c in components.into_iter().flat_map(|c| c.iter()) {
                let text = |key: &str| c.get(key).and_then(|v| v.as_str());
                let Some(pointer) = c
                    .get("source")
                    .and_then(|s| s.get("pointer"))
                    .and_then(|p| p.as_str())
                else {
                    continue;
                };
                for (table, key) in [(&mut self.by_purl, "purl"), (&mut self.by_name, "name")] {
                    if let Some(slot) = text(key).and_then(|k| table.get_mut(k))
                        && slot.is_none()
                    {
                        *slot = Some((i, pointer.to_owned()));
                    }
                }
            }
        }
    }
}

/// A place a violation names: a pointer into an attestation or into
/// another evidence file.
enum Place<'a> {
    Attestation(&'a SourceFile, &'a Attestation),
    File(&'a SourceFile),
}

impl<'a> Locator<'a> {
    /// The file of the evidence that `v`'s `file` names, when it also
    /// gives a `pointer`, and the pointer (found without reading the file).
    fn place_of<'v>(&self, v: &'v Violation) -> Option<(Place<'a>, &'v str)> {
        let (file, pointer) = (v.detail("file")?, v.detail("pointer")?);
        let ev: &'a Evidence = self.ev;
        if let Some((f, a)) = ev.attestations.iter().find(|(f, _)| f.display() == file) {
            return Some((Place::Attestation(f, a), pointer));
        }
        let (_, f) = ev.sources().find(|(_, f)| f.display() == file)?;
        Some((Place::File(f), pointer))
    }

    /// The location named by `file` + `pointer` (a pointer into a DSSE
    /// envelope's signed statement is shown at the envelope's payload).
    fn in_place(&self, v: &Violation) -> Option<Location> {
        Some(match self.place_of(v)? {
            (Place::Attestation(f, a), pointer) => a.locate(f, pointer),
            (Place::File(f), pointer) => json::position_of(f, pointer),
        })
    }

    /// The location named by `file` + `pointer`, else the component with
    /// the `purl` (or `component` name), else the manifest artifact, else
    /// the `file` alone.
    pub fn locate(&self, v: &Violation) -> Option<Location> {
        if let Some(at) = self.in_place(v) {
            return Some(at);
        }
        if let Some((sbom, pointer)) = self.components.place(v)
            && let Some((f, _)) = self.ev.sboms.get(*sbom)
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
        let violation = |details: serde_json::Value| {
            let mut v = serde_json::json!({"msg": "m"});
            v.as_object_mut()
                .unwrap()
                .extend(details.as_object().unwrap().clone());
            Violation::from_value(v, "t").unwrap()
        };
        let cases = [
            serde_json::json!({"file": file, "pointer": "/components/1"}),
            serde_json::json!({"purl": "pkg:npm/a@1"}),
            serde_json::json!({"component": "b"}),
            serde_json::json!({"purl": "pkg:npm/zz@1", "component": "a"}),
            serde_json::json!({"component": "zz"}),
            serde_json::json!({"component": "zz", "file": file}),
        ]
        .map(violation);
        let git = crate::gate::GitContext::default();
        let input = crate::gate::input_document(&ev, jiff::Timestamp::UNIX_EPOCH, &git, None);
        let doc = crate::json::doc::Doc::build(&input).unwrap();
        drop(input);
        // Made from the input document: the components can be let go first
        // (a file this small keeps them: as if it were large).
        let mut ev = ev;
        ev.release_components();
        assert_eq!(ev.sboms[0].1.components.len(), 2);
        ev.sboms[0].1.components.clear();
        let locator = ev.locator(Some(doc.root()), &cases);
        // Only what violations without a place name is looked for.
        let mut wanted: Vec<_> = locator.components.by_purl.keys().collect();
        wanted.extend(locator.components.by_name.keys());
        wanted.sort();
        assert_eq!(wanted, ["a", "b", "pkg:npm/a@1", "pkg:npm/zz@1", "zz"]);
        let at = |v: &Violation| locator.locate(v).map(|l| (l.pointer, l.line, l.column));
        let first = Some((Some("/components/0".to_owned()), Some(5), Some(5)));
        let second = Some((Some("/components/1".to_owned()), Some(6), Some(5)));
        let found: Vec<_> = cases.iter().map(at).collect();
        assert_eq!(
            found,
            [
                second.clone(),
                first.clone(),
                second,
                first,
                None,
                Some((None, None, None))
            ]
        );
        // A violation with its own place needs no component found.
        let placed = ev.locator(Some(doc.root()), cases.get(..1).unwrap());
        assert!(placed.components.by_purl.is_empty() && placed.components.by_name.is_empty());
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
