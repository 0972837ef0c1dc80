//! SBOMs: CycloneDX and SPDX JSON, normalized into one component model.

mod model;

pub use model::{Component, Dependency, License, Sbom, SbomFormat, SourceRef, Subject};
