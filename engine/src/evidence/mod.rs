//! Evidence: the files a release brings, read, validated and normalized.

pub mod manifest;
pub mod sbom;
