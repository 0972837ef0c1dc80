//! Evidence: the files a release brings, read, validated and normalized.

mod kind;
pub mod manifest;
pub mod sbom;
pub mod set;

pub use kind::EvidenceKind;
