//! A release's evidence, loaded together.
//!
//! Every file is loaded even after one fails, so a user sees every problem of
//! a run at once; any error stops the run before evaluation (bad evidence
//! never yields a pass).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use super::EvidenceKind;
use super::manifest::ReleaseManifest;
use super::sbom::{self, Sbom, SbomOptions};
use crate::backend::Violation;
use crate::diag::{Code, Location, Problem, Problems};
use crate::json;
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

/// Paths of the evidence to load, each with the name shown to the user (the
/// path as configured; a replay reads stored copies under their old names).
#[derive(Debug, Clone, Default)]
pub struct EvidencePaths<'a> {
    /// Release manifest.
    pub manifest: Option<(&'a Path, String)>,
    /// SBOMs.
    pub sboms: Vec<(&'a Path, String)>,
}

impl<'a> EvidencePaths<'a> {
    /// Paths shown as they are.
    pub fn plain(manifest: Option<&'a Path>, sboms: impl IntoIterator<Item = &'a Path>) -> Self {
        let shown = |p: &'a Path| (p, p.display().to_string());
        EvidencePaths {
            manifest: manifest.map(shown),
            sboms: sboms.into_iter().map(shown).collect(),
        }
    }
}

/// Loaded evidence.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The manifest and its file.
    pub manifest: Option<(SourceFile, ReleaseManifest)>,
    /// SBOMs and their files.
    pub sboms: Vec<(SourceFile, Sbom)>,
    /// Warnings found while loading.
    pub warnings: Vec<Problem>,
}

impl Evidence {
    /// Loads every file; all problems are collected before failing.
    pub fn load(
        paths: &EvidencePaths<'_>,
        max_bytes: u64,
        sbom_opts: SbomOptions,
    ) -> Result<Evidence, Problems> {
        let mut problems = Problems::default();
        let mut ev = Evidence::default();
        if let Some((p, shown)) = &paths.manifest {
            match read(p, shown, max_bytes, EvidenceKind::Manifest)
                .and_then(|f| ReleaseManifest::load(&f).map(|m| (f, m)))
            {
                Ok(m) => ev.manifest = Some(m),
                Err(ps) => problems.extend(ps),
            }
        }
        for (p, shown) in &paths.sboms {
            match read(p, shown, max_bytes, EvidenceKind::Sbom) {
                Ok(f) => match sbom::load(&f, sbom_opts) {
                    Ok((s, warnings)) => {
                        problems.extend(warnings);
                        ev.sboms.push((f, s));
                    }
                    Err(ps) => problems.extend(ps),
                },
                Err(ps) => problems.extend(ps),
            }
        }
        ev.warnings = problems.into_result()?;
        Ok(ev)
    }

    /// The kinds present.
    pub fn present(&self) -> BTreeSet<EvidenceKind> {
        let mut s = BTreeSet::new();
        if self.manifest.is_some() {
            s.insert(EvidenceKind::Manifest);
        }
        if !self.sboms.is_empty() {
            s.insert(EvidenceKind::Sbom);
        }
        s
    }

    /// Every file with its kind and digest, in load order.
    pub fn files(&self) -> Vec<EvidenceFile> {
        let entry = |kind, f: &SourceFile| EvidenceFile {
            kind,
            path: f.display().to_owned(),
            sha256: f.sha256().to_owned(),
        };
        self.manifest
            .iter()
            .map(|(f, _)| entry(EvidenceKind::Manifest, f))
            .chain(self.sboms.iter().map(|(f, _)| entry(EvidenceKind::Sbom, f)))
            .collect()
    }

    /// A resolver from a violation's details to a place in the evidence.
    pub fn locator(&self) -> Locator<'_> {
        let mut by_purl = HashMap::new();
        let mut by_name = HashMap::new();
        for (file, s) in &self.sboms {
            for c in &s.components {
                if let Some(p) = &c.purl {
                    by_purl
                        .entry(p.as_str())
                        .or_insert((file, c.source.pointer.as_str()));
                }
                by_name
                    .entry(c.name.as_str())
                    .or_insert((file, c.source.pointer.as_str()));
            }
        }
        Locator {
            ev: self,
            by_purl,
            by_name,
        }
    }
}

fn read(
    path: &Path,
    display: &str,
    max_bytes: u64,
    kind: EvidenceKind,
) -> Result<SourceFile, Problems> {
    SourceFile::read(path, display, max_bytes).map_err(|mut p| {
        if p.code == Code::Io && !path.exists() {
            p = Problem::error(
                Code::EvidenceMissing,
                format!("{kind} evidence `{display}` does not exist"),
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
    by_purl: HashMap<&'a str, (&'a SourceFile, &'a str)>,
    by_name: HashMap<&'a str, (&'a SourceFile, &'a str)>,
}

impl Locator<'_> {
    /// The location named by `file` + `pointer`, else the component with the
    /// `purl` (or `component` name), else the manifest artifact.
    pub fn locate(&self, v: &Violation) -> Option<Location> {
        if let (Some(file), Some(pointer)) = (v.detail("file"), v.detail("pointer")) {
            let f = self
                .ev
                .manifest
                .iter()
                .map(|(f, _)| f)
                .chain(self.ev.sboms.iter().map(|(f, _)| f))
                .find(|f| f.display() == file)?;
            return Some(json::location_of(f, pointer));
        }
        if let Some((f, pointer)) = v
            .detail("purl")
            .and_then(|p| self.by_purl.get(p))
            .or_else(|| v.detail("component").and_then(|n| self.by_name.get(n)))
        {
            return Some(json::location_of(f, pointer));
        }
        let artifact = v.detail("artifact")?;
        let (f, m) = self.ev.manifest.as_ref()?;
        let pointer = m.artifact_pointer(artifact)?;
        Some(json::location_of(f, &pointer))
    }
}
