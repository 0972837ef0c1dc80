//! The ledger: an append-only, hash-chained store of certification records,
//! with the evidence and bundle files they were made from.
//!
//! Layout (one directory, default `.shipgate/ledger`):
//!
//! ```text
//! objects/sha256/ab/cdef…   content-addressed blobs: signed records, evidence files, bundle files
//! entries/000000000001.json one entry per record, in order; each names the sha256 of the entry before it
//! HEAD                      {"seq": N, "entry": "<sha256 of entry N>"}: the commit point of an append
//! lock                      writers hold an exclusive lock on it while appending
//! ```
//!
//! Everything but `HEAD` is write-once, so the layout maps onto object storage
//! (S3-compatible): objects and entries are immutable keys, and `HEAD` is the
//! one small pointer updated with a conditional write. On the file system an
//! append takes the lock, writes objects and the entry (temporary file, fsync,
//! rename), then replaces `HEAD` the same way: a writer killed at any point
//! leaves either the old state or the new one. An entry written but not
//! committed by `HEAD` is an interrupted append; the next append replaces it.
//!
//! `verify` walks the chain from entry 1 to `HEAD`: a removed entry is a gap,
//! an altered one breaks the next entry's `prev` (or `HEAD`), a reordered one
//! has the wrong `seq` or `prev`, an inserted one is beyond `HEAD` or breaks
//! the chain, and every object an entry names must exist with its digest.

mod audit;
mod commit;
mod fs;

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Location, Problem};
use crate::evidence::EvidenceKind;

pub use audit::{Audit, AuditedEntry, SignatureStatus, audit, signature_of};
pub use commit::commit;
pub use fs::{Committed, Ledger};

/// The default ledger directory, relative to the repository root.
pub const DEFAULT_DIR: &str = ".shipgate/ledger";

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Format version; 1.
    pub ledger_version: u32,
    /// Position in the chain, from 1.
    pub seq: u64,
    /// sha256 of the previous entry's bytes; null for the first.
    pub prev: Option<String>,
    /// sha256 of the signed record (DSSE envelope) object.
    pub record: String,
    /// sha256 of the signed SLSA VSA object, when one was emitted.
    #[serde(default)]
    pub vsa: Option<String>,
    /// The record's evaluation time.
    pub time: String,
    /// Release name and version, when a manifest was given.
    pub release: Option<EntryRelease>,
    /// `pass` or `fail`.
    pub verdict: String,
    /// Evidence files, stored as objects.
    pub evidence: Vec<StoredFile>,
    /// Waivers file, stored as an object.
    #[serde(default)]
    pub waivers: Option<StoredFile>,
    /// Bundles and every one of their files, stored as objects.
    pub bundles: Vec<StoredBundle>,
}

/// Release name and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRelease {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// A file kept as an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredFile {
    /// Evidence kind (absent for waivers and bundle files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EvidenceKind>,
    /// The path it had when checked.
    pub path: String,
    /// sha256 of its bytes (the object's name).
    pub sha256: String,
}

/// A bundle kept as objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredBundle {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The bundle digest (over its file listing).
    pub digest: String,
    /// The directory it had when checked.
    pub path: String,
    /// Every file, relative to the bundle.
    pub files: Vec<StoredFile>,
}

/// The commit point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HeadRef<'a> {
    pub seq: u64,
    pub entry: &'a str,
}

/// What `verify` found wrong, one per problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Entry concerned, when one is.
    pub seq: Option<u64>,
    /// What is wrong.
    pub message: String,
}

/// Lowercase hex sha256 of `bytes`: how objects and records are named.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

fn problem(dir: &str, message: String, help: &str) -> Problem {
    Problem::error(Code::LedgerInvalid, message)
        .with_help(help.to_owned())
        .at(Location::file(dir))
}
