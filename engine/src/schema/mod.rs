//! JSON Schema validation of every file shipgate reads, offline.
//!
//! All schemas are compiled into the binary (ours from `schemas/`, the official
//! CycloneDX and SPDX ones from `schemas/third-party/`), compiled on first use
//! and kept for the life of the process. External `$ref`s resolve only against
//! the embedded set: validation never touches the network or the file system.

use std::sync::OnceLock;

use jsonschema::json::{Json, SerdeJson};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::diag::{Code, Problem, Severity};
use crate::json::doc::{DocJson, Val};
use crate::json::location_of;
use crate::source::SourceFile;

/// The schemas shipgate validates against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaId {
    /// Our release manifest.
    ReleaseManifest,
    /// Our bundle test files.
    BundleTest,
    /// CycloneDX 1.4.
    CycloneDx14,
    /// CycloneDX 1.5.
    CycloneDx15,
    /// CycloneDX 1.6.
    CycloneDx16,
    /// CycloneDX 1.7.
    CycloneDx17,
    /// SPDX 2.2 JSON.
    Spdx22,
    /// SPDX 2.3 JSON.
    Spdx23,
    /// An attestation's in-toto Statement v1 (structure only).
    InTotoStatement,
    /// Our privacy attestation predicate.
    PrivacyPredicate,
    /// Our data-residency attestation predicate.
    ResidencyPredicate,
    /// SLSA provenance v1 predicate (what the spec requires).
    SlsaProvenance,
    /// An OSV vulnerability record (its structure, after the OSV specification).
    Osv,
    /// Our cost input (prices and forecasts).
    CostInput,
}

const ALL: [SchemaId; 14] = [
    SchemaId::ReleaseManifest,
    SchemaId::BundleTest,
    SchemaId::CycloneDx14,
    SchemaId::CycloneDx15,
    SchemaId::CycloneDx16,
    SchemaId::CycloneDx17,
    SchemaId::Spdx22,
    SchemaId::Spdx23,
    SchemaId::InTotoStatement,
    SchemaId::PrivacyPredicate,
    SchemaId::ResidencyPredicate,
    SchemaId::SlsaProvenance,
    SchemaId::Osv,
    SchemaId::CostInput,
];

macro_rules! embedded {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/", $path))
    };
}

impl SchemaId {
    /// The schema text.
    pub fn text(self) -> &'static str {
        match self {
            SchemaId::ReleaseManifest => embedded!("release-manifest.schema.json"),
            SchemaId::CostInput => embedded!("cost-input.schema.json"),
            SchemaId::BundleTest => embedded!("bundle-test.schema.json"),
            SchemaId::CycloneDx14 => embedded!("third-party/cyclonedx/bom-1.4.schema.json"),
            SchemaId::CycloneDx15 => embedded!("third-party/cyclonedx/bom-1.5.schema.json"),
            SchemaId::CycloneDx16 => embedded!("third-party/cyclonedx/bom-1.6.schema.json"),
            SchemaId::CycloneDx17 => embedded!("third-party/cyclonedx/bom-1.7.schema.json"),
            SchemaId::Spdx22 => embedded!("third-party/spdx/spdx-2.2.schema.json"),
            SchemaId::Spdx23 => embedded!("third-party/spdx/spdx-2.3.schema.json"),
            SchemaId::InTotoStatement => embedded!("in-toto-statement.schema.json"),
            SchemaId::PrivacyPredicate => embedded!("privacy-predicate.schema.json"),
            SchemaId::ResidencyPredicate => embedded!("residency-predicate.schema.json"),
            SchemaId::SlsaProvenance => embedded!("slsa-provenance.schema.json"),
            SchemaId::Osv => embedded!("osv-record.schema.json"),
        }
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            SchemaId::ReleaseManifest => "shipgate release manifest",
            SchemaId::CostInput => "shipgate cost input",
            SchemaId::BundleTest => "shipgate bundle test",
            SchemaId::CycloneDx14 => "CycloneDX 1.4",
            SchemaId::CycloneDx15 => "CycloneDX 1.5",
            SchemaId::CycloneDx16 => "CycloneDX 1.6",
            SchemaId::CycloneDx17 => "CycloneDX 1.7",
            SchemaId::Spdx22 => "SPDX 2.2",
            SchemaId::Spdx23 => "SPDX 2.3",
            SchemaId::InTotoStatement => "in-toto Statement v1",
            SchemaId::PrivacyPredicate => "shipgate privacy predicate",
            SchemaId::ResidencyPredicate => "shipgate residency predicate",
            SchemaId::SlsaProvenance => "SLSA provenance v1",
            SchemaId::Osv => "OSV",
        }
    }

    fn index(self) -> usize {
        ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Documents that CycloneDX schemas `$ref` by relative URI.
struct Embedded;

impl jsonschema::Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = match uri.path().as_str().rsplit('/').next() {
            Some("spdx.schema.json") => embedded!("third-party/cyclonedx/spdx.schema.json"),
            Some("jsf-0.82.schema.json") => embedded!("third-party/cyclonedx/jsf-0.82.schema.json"),
            Some("cryptography-defs.schema.json") => {
                embedded!("third-party/cyclonedx/cryptography-defs.schema.json")
            }
            _ => return Err(format!("schema `{uri}` is not embedded in shipgate").into()),
        };
        Ok(serde_json::from_str(text)?)
    }
}

type Compiled<F = SerdeJson> = Result<Validator<F>, String>;

fn compile<F: Json>(id: SchemaId) -> Compiled<F> {
    let schema: Value = serde_json::from_str(id.text()).map_err(|e| e.to_string())?;
    jsonschema::ValidationOptions::<'_, _, F>::default()
        .with_retriever(Embedded)
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())
}

/// Schema `id` compiled for `serde_json` values, once per process.
#[expect(
    clippy::indexing_slicing,
    reason = "index() is a position in ALL, which has the cache's length"
)]
fn compiled(id: SchemaId) -> &'static Compiled {
    static CACHE: [OnceLock<Compiled>; ALL.len()] = [const { OnceLock::new() }; ALL.len()];
    CACHE[id.index()].get_or_init(|| compile(id))
}

/// Schema `id` compiled for documents ([`Doc`](crate::json::Doc)), once per
/// process.
#[expect(
    clippy::indexing_slicing,
    reason = "index() is a position in ALL, which has the cache's length"
)]
fn compiled_for_docs(id: SchemaId) -> &'static Compiled<DocJson> {
    static CACHE: [OnceLock<Compiled<DocJson>>; ALL.len()] = [const { OnceLock::new() }; ALL.len()];
    CACHE[id.index()].get_or_init(|| compile(id))
}

/// Compiles schema `id` for documents ([`validate_doc`]) now, so that a
/// later validation against it does not wait for the compiler.
pub fn prepare_for_docs(id: SchemaId) {
    let _ = compiled_for_docs(id);
}

/// Longest rendering of an offending value kept in a message; beyond it the
/// message names the value's place instead of quoting it.
const MAX_QUOTED: usize = 120;

/// Violations located and reported per file; locating one scans the file, so
/// a badly broken large file would otherwise take seconds per thousand.
const MAX_REPORTED: usize = 100;

/// Validates `value` (parsed from `file`) against schema `id`. Each of the
/// first [`MAX_REPORTED`] violations becomes one problem with the file, JSON
/// pointer, line and column; the rest are counted in one more problem.
pub fn validate(
    id: SchemaId,
    value: &Value,
    file: &SourceFile,
    code: Code,
    severity: Severity,
) -> Vec<Problem> {
    validate_at(id, value, file, "", code, severity)
}

/// Reads one of our own formats: parses `file`, validates it against `id`
/// (every violation an error at its position), then reads it into `T`.
/// `what` names the format in the message of the (rare) violation that the
/// schema lets through but the type does not.
pub fn read_typed<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
    id: SchemaId,
    what: &str,
) -> Result<T, crate::diag::Problems> {
    let value = crate::json::parse(file)?;
    let problems = validate(id, &value, file, Code::SchemaViolation, Severity::Error);
    if !problems.is_empty() {
        return Err(crate::diag::Problems(problems));
    }
    serde_json::from_value(value).map_err(|e| {
        Problem::error(
            Code::SchemaViolation,
            format!("{what} `{}`: {e}", file.display()),
        )
        .at(crate::diag::Location::file(file.display_shared()))
        .into()
    })
}

/// Like [`validate`], for a value found at JSON pointer `at` inside `file`
/// (e.g. an attestation's `/predicate`): violations are located at `at`
/// followed by their pointer within the value.
pub fn validate_at(
    id: SchemaId,
    value: &Value,
    file: &SourceFile,
    at: &str,
    code: Code,
    severity: Severity,
) -> Vec<Problem> {
    check(id, compiled(id), value, file, at, code, severity)
}

/// Like [`validate`], for a document parsed into a [`Doc`](crate::json::Doc) (an SBOM: its
/// `Value` would take five times the memory).
pub fn validate_doc(
    id: SchemaId,
    value: Val<'_>,
    file: &SourceFile,
    code: Code,
    severity: Severity,
) -> Vec<Problem> {
    check(id, compiled_for_docs(id), value, file, "", code, severity)
}

/// Checks `instance` (found at `at` in `file`) with schema `id` compiled for
/// its representation.
fn check<F: Json>(
    id: SchemaId,
    compiled: &'static Compiled<F>,
    instance: F::Node<'_>,
    file: &SourceFile,
    at: &str,
    code: Code,
    severity: Severity,
) -> Vec<Problem> {
    match compiled {
        // Most documents are valid, and answering that alone is cheaper than
        // collecting no errors.
        Ok(validator) if validator.is_valid(instance.clone()) => Vec::new(),
        Ok(validator) => report(
            id,
            validator.iter_errors(instance),
            file,
            at,
            code,
            severity,
        ),
        Err(e) => vec![Problem::error(
            Code::Internal,
            format!("embedded {} schema does not compile: {e}", id.name()),
        )],
    }
}

/// One problem per violation (the first [`MAX_REPORTED`], then a count), of
/// a value found at `at` in `file`.
fn report<'i>(
    id: SchemaId,
    errors: impl Iterator<Item = ValidationError<'i>>,
    file: &SourceFile,
    at: &str,
    code: Code,
    severity: Severity,
) -> Vec<Problem> {
    let mut more = 0usize;
    let mut out: Vec<Problem> = errors
        .filter(|_| {
            more += 1;
            more <= MAX_REPORTED
        })
        .map(|err| {
            let pointer = format!("{at}{}", err.instance_path().as_str());
            let full = err.to_string();
            let message = if full.len() > MAX_QUOTED {
                err.masked_with("the value").to_string()
            } else {
                full
            };
            let mut p = Problem::error(code, format!("{} schema: {message}", id.name()))
                .with_help(format!(
                    "see the {} schema, keyword `{}`",
                    id.name(),
                    err.schema_path().as_str()
                ))
                .with_label(message.clone())
                .at(location_of(file, &pointer));
            p.severity = severity;
            p
        })
        .collect();
    if more > MAX_REPORTED {
        let mut p = Problem::error(
            code,
            format!(
                "{} schema: {} more violations not shown",
                id.name(),
                more - MAX_REPORTED
            ),
        )
        .with_help("fix the ones shown first; the file is far from its schema")
        .at(crate::diag::Location::file(file.display_shared()));
        p.severity = severity;
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_schema_compiles() {
        for id in ALL {
            if let Err(e) = compiled(id) {
                panic!("{} does not compile: {e}", id.name());
            }
            if let Err(e) = compiled_for_docs(id) {
                panic!("{} does not compile for documents: {e}", id.name());
            }
        }
    }

    #[test]
    fn violation_points_at_line_and_column() {
        let text = "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n  \"components\": [{\"type\": \"nope\", \"name\": \"x\"}]\n}";
        let file = SourceFile::from_text("bom.json", text);
        let v: Value = serde_json::from_str(text).unwrap();
        let ps = validate(
            SchemaId::CycloneDx16,
            &v,
            &file,
            Code::SbomSchemaViolation,
            Severity::Warning,
        );
        assert!(!ps.is_empty());
        let loc = ps[0].location.as_ref().unwrap();
        assert_eq!(loc.pointer.as_deref(), Some("/components/0/type"));
        assert_eq!(loc.line, Some(4));
        // The same document parsed into a `Doc`: the same problems.
        let doc = crate::json::Doc::parse(text).unwrap();
        let by_doc = validate_doc(
            SchemaId::CycloneDx16,
            doc.root(),
            &file,
            Code::SbomSchemaViolation,
            Severity::Warning,
        );
        assert_eq!(format!("{by_doc:?}"), format!("{ps:?}"));
    }
}
