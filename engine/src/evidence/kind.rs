//! The kinds of evidence a release can bring, and that rules can require.

use serde::{Deserialize, Serialize};

/// A kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    /// The release manifest.
    Manifest,
    /// One or more SBOMs.
    Sbom,
    /// Prices and forecasts for the cost model.
    Cost,
    /// Privacy attestations.
    Privacy,
    /// Data-residency attestations.
    Residency,
    /// SLSA provenance attestations.
    Provenance,
    /// An OSV vulnerability feed.
    Vulns,
}

impl EvidenceKind {
    /// Every kind.
    pub const ALL: [EvidenceKind; 7] = [
        EvidenceKind::Manifest,
        EvidenceKind::Sbom,
        EvidenceKind::Cost,
        EvidenceKind::Privacy,
        EvidenceKind::Residency,
        EvidenceKind::Provenance,
        EvidenceKind::Vulns,
    ];

    /// Lowercase name, as in bundle manifests and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Manifest => "manifest",
            EvidenceKind::Sbom => "sbom",
            EvidenceKind::Cost => "cost",
            EvidenceKind::Privacy => "privacy",
            EvidenceKind::Residency => "residency",
            EvidenceKind::Provenance => "provenance",
            EvidenceKind::Vulns => "vulns",
        }
    }
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
