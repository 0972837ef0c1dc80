//! The one component model every SBOM format is normalized into.
//!
//! This is what policies see under `sboms[i]`: CycloneDX and SPDX documents
//! become the same shape, so a rule is written once. Every field is always
//! present (absent values are `null` or empty lists) so Rego and CEL rules can
//! test them without guarding each access.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

/// Which format an SBOM came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SbomFormat {
    /// CycloneDX JSON.
    Cyclonedx,
    /// SPDX 2.x JSON.
    Spdx,
}

/// A normalized SBOM.
#[derive(Debug, Clone, Serialize)]
pub struct Sbom {
    /// The file as the user named it.
    pub file: String,
    /// Source format.
    pub format: SbomFormat,
    /// Spec version as written (`1.6`, `SPDX-2.3`).
    pub spec_version: String,
    /// What the SBOM describes: CycloneDX `metadata.component`; for SPDX the one
    /// package the document `DESCRIBES` (which is also a component), else the
    /// document name.
    pub subject: Option<Subject>,
    /// Every component, nested CycloneDX components flattened (parents first).
    pub components: Vec<Component>,
    /// Dependency edges by component `ref`.
    pub dependencies: Vec<Dependency>,
}

/// What an SBOM describes.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    /// Name.
    pub name: String,
    /// Version, if given.
    pub version: Option<String>,
    /// Package URL, if given.
    pub purl: Option<String>,
}

/// One component (CycloneDX component, SPDX package).
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// Identity inside the SBOM: CycloneDX `bom-ref`, SPDX `SPDXID`; synthesized
    /// from the JSON pointer when the document gives none.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Name (without group).
    pub name: String,
    /// CycloneDX group / Maven groupId; null for SPDX.
    pub group: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Package URL (from `purl`, or an SPDX `PACKAGE-MANAGER purl` external ref).
    pub purl: Option<String>,
    /// Component type, lowercase: CycloneDX `type`; SPDX `primaryPackagePurpose`
    /// (`_` written as `-`). `library` when the document gives none.
    #[serde(rename = "type")]
    pub kind: String,
    /// Licensing: shared by every component with the same license entries
    /// (the license is parsed once per distinct expression, and large SBOMs
    /// use a few dozen); the input document holds it once too.
    #[serde(serialize_with = "crate::json::shared")]
    pub license: Arc<License>,
    /// Hashes by normalized algorithm name (`sha256`, `sha512`, `sha1`, `md5`, ...),
    /// lowercase hex.
    pub hashes: BTreeMap<String, String>,
    /// Supplier (organisation or person) name.
    pub supplier: Option<String>,
    /// Where the component is in its file.
    pub source: SourceRef,
}

/// The license information of a component.
#[derive(Debug, Clone, Default, Serialize)]
pub struct License {
    /// The SPDX expression as declared (several CycloneDX license entries are
    /// joined with `AND`: every one of them applies; when some are acknowledged
    /// as `concluded`, only those). SPDX: `licenseConcluded`, else
    /// `licenseDeclared`. Null when none is given or it is `NOASSERTION`/`NONE`.
    pub expression: Option<String>,
    /// Whether `expression` parsed as an SPDX expression.
    pub valid: bool,
    /// Every license id the expression mentions (`LicenseRef-*` included, an
    /// or-later `+` left out), sorted.
    pub ids: Vec<String>,
    /// Every exception id (`WITH ...`), sorted.
    pub exceptions: Vec<String>,
    /// The expression in disjunctive normal form: the release may pick any one
    /// alternative, and must honour every term of the one it picks. A term is
    /// `ID` or `ID WITH EXCEPTION` as the `spdx` crate writes it (`Apache-1.0+`,
    /// but `GPL-2.0+` becomes `GPL-2.0-or-later`). Empty when the expression is
    /// absent or invalid, or when it has more than 256 alternatives (then `valid`
    /// is true: test `ids` instead).
    pub alternatives: Vec<Vec<String>>,
    /// License names that are not SPDX ids (CycloneDX `license.name`).
    pub names: Vec<String>,
}

/// Where a normalized item came from.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    /// The file as the user named it (one string shared by every item of
    /// the file).
    pub file: Arc<str>,
    /// JSON pointer to the item in that file.
    pub pointer: String,
}

/// One node's outgoing dependency edges.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    /// The depending component's `ref`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The `ref`s it depends on.
    pub depends_on: Vec<String>,
}
