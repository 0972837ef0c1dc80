//! Putting one check into the ledger: its record, and every file it read.

use super::{Entry, EntryRelease, Ledger, StoredBundle, StoredFile};
use crate::diag::Problem;
use crate::gate::{Loaded, Report};
use crate::record::Signed;

/// Appends the record of `report` (and its VSA) with every evidence, waiver
/// and bundle file stored content-addressed, so it can be replayed.
pub fn commit(
    ledger: &Ledger,
    loaded: &Loaded,
    report: &Report,
    record: &Signed,
    vsa: Option<&Signed>,
) -> Result<Entry, Problem> {
    let mut evidence = Vec::new();
    for (kind, file) in loaded.evidence.sources() {
        // Written from the file as it is held (a large text packed, a
        // block at a time), not copied out first.
        let sha256 = ledger.put_object_as(file.sha256(), &|w| file.write_bytes(w))?;
        evidence.push(StoredFile {
            kind: Some(kind),
            path: file.display().to_owned(),
            sha256,
        });
    }
    let waivers = match &loaded.waivers_file {
        Some(f) => Some(StoredFile {
            kind: None,
            path: f.display().to_owned(),
            sha256: ledger.put_object_as(f.sha256(), &|w| f.write_bytes(w))?,
        }),
        None => None,
    };
    let mut bundles = Vec::new();
    for (b, _) in &loaded.bundles {
        let mut files = Vec::with_capacity(b.files.len());
        for f in &b.files {
            files.push(StoredFile {
                kind: None,
                path: f.path.clone(),
                sha256: ledger.put_object_as(f.source.sha256(), &|w| f.source.write_bytes(w))?,
            });
        }
        bundles.push(StoredBundle {
            name: b.name.clone(),
            version: b.version.clone(),
            digest: b.digest.clone(),
            path: b.display.clone(),
            files,
        });
    }
    let record_sha = ledger.put_object_with(&|w| record.write_to(w))?;
    let vsa_sha = vsa
        .map(|v| ledger.put_object_with(&|w| v.write_to(w)))
        .transpose()?;
    ledger.append(Entry {
        ledger_version: 1,
        seq: 0,
        prev: None,
        record: record_sha,
        vsa: vsa_sha,
        time: report.now.clone(),
        release: report.release.as_ref().map(|r| EntryRelease {
            name: r.name.clone(),
            version: r.version.clone(),
        }),
        verdict: match report.verdict {
            crate::decision::Verdict::Pass => "pass".to_owned(),
            crate::decision::Verdict::Fail => "fail".to_owned(),
        },
        evidence,
        waivers,
        bundles,
    })
}
