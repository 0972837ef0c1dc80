//! Evidence: the files a release brings, read, validated and normalized.

pub mod attestation;
pub mod cost;
mod kind;
pub mod manifest;
pub mod osv;
pub mod sbom;
pub mod set;

pub use kind::EvidenceKind;
