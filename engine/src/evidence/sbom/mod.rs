//! SBOMs: CycloneDX and SPDX JSON, normalized into one component model.
//!
//! Loading runs in three steps over one parse of the text:
//! 1. [`detect`] recognizes the format and version, and turns everything else
//!    (XML, tag-value, YAML, SPDX 3, unknown versions) into one clear error;
//! 2. the document is checked against its format's official JSON schema.
//!    Violations are warnings by default: real generators write slightly
//!    invalid documents (a `licenseListVersion` of `3.28.0`, a license id not
//!    in the schema's list) and a release gate must still read them. With
//!    [`SbomOptions::strict_schema`] they are errors;
//! 3. tolerant serde structs borrow from the parsed document and are normalized
//!    into [`Sbom`]. Only what cannot be worked around (a component without a
//!    name, `components` that is not a list) is an error; the rest are
//!    warnings pointing at the offending value.
//!
//! Every problem of all three steps is collected before returning, capped per
//! code (see [`findings`]) so a broken large file stays readable.

mod cyclonedx;
mod de;
mod detect;
mod findings;
mod hash;
mod license;
mod model;
mod spdx;

use std::sync::Arc;

use crate::diag::{Code, Problem, Problems, Severity};
use crate::json;
use crate::schema::{self, SchemaId};
use crate::source::SourceFile;

use detect::Detected;
use findings::Findings;

pub use license::{MAX_ALTERNATIVES, parse_license_expression};
pub use model::{Component, Dependency, License, Sbom, SbomFormat, SourceRef, Subject};

/// How strictly to read SBOMs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SbomOptions {
    /// Treat violations of the format's official schema (and the lack of an
    /// official schema for CycloneDX 1.2/1.3) as errors instead of warnings.
    pub strict_schema: bool,
}

/// Reads, checks and normalizes one SBOM file.
///
/// `Ok` carries the SBOM and the warnings about it; `Err` every problem found,
/// warnings included, when any of them is an error.
pub fn load(file: &SourceFile, opts: SbomOptions) -> Result<(Sbom, Vec<Problem>), Problems> {
    // The schema the text names (a guess) compiles while the text is
    // parsed. It is parsed into the compact document, not a
    // `serde_json::Value`: a 10,000-component SBOM's `Value` takes some
    // 27 MiB, its document 6.
    //
    // A text large enough to be packed once parsed ([`SourceFile::pack`]:
    // nothing reads it again until findings are located; at 100,000
    // components 27 MiB that would otherwise stay resident beside the parsed
    // document, the normalised SBOM and then the input document) is also
    // hashed and indexed while it is parsed: the schema compiles in a
    // fraction of the parse at that size.
    let packs = file.is_large();
    let (doc, ()) = crate::parallel::join(
        || json::parse_doc(file),
        || {
            let sniffed = detect::sniff(&file.text());
            if let Some(id) = sniffed {
                schema::prepare_for_docs(id);
            }
            if packs {
                let spdx = matches!(sniffed, Some(SchemaId::Spdx22 | SchemaId::Spdx23));
                index_text(file, spdx);
            }
        },
    );
    let doc = doc.map_err(|e| detect::not_json(file, e))?;
    let value = doc.root();
    let detected = detect::detect(file, value).map_err(|p| Problems::from(*p))?;
    let severity = if opts.strict_schema {
        Severity::Error
    } else {
        Severity::Warning
    };
    // Checking the schema and normalising read the same parsed document and
    // nothing else: they run at the same time. The schema's problems come
    // first, as if they had run one after the other. Checking ends well
    // before normalising (a third of the time at 10,000 components): its
    // core then hashes and indexes a text not packed, or first packs one.
    let (schema_problems, (sbom, normalized)) = crate::parallel::join(
        || {
            if packs {
                file.pack();
                schema_problems(file, value, detected, severity)
            } else {
                let problems = schema_problems(file, value, detected, severity);
                index_text(file, matches!(detected, Detected::Spdx { .. }));
                problems
            }
        },
        || {
            let mut findings = Findings::new(file);
            let sbom = match detected {
                Detected::CycloneDx { spec, .. } => {
                    cyclonedx::normalize(value, spec, &mut findings)
                }
                Detected::Spdx { spec, .. } => spdx::normalize(value, spec, &mut findings),
            };
            (sbom, findings)
        },
    );
    // Freed here, before the input document is built from the normalised
    // SBOM: freeing it on another thread took ~5 ms off a 10k-component
    // check but raised the peak at 100k by 20-40 MiB (the document was built
    // before the parsed tree's memory could be reused).
    drop(doc);
    let mut findings = Findings::new(file);
    findings.extend(schema_problems);
    findings.append(normalized);
    findings
        .finish()
        .into_result()
        .map(|warnings| (sbom, warnings))
}

/// What checking the SBOM against its official schema finds.
fn schema_problems(
    file: &SourceFile,
    value: json::doc::Val<'_>,
    detected: Detected<'_>,
    severity: Severity,
) -> Vec<Problem> {
    match detected {
        Detected::CycloneDx {
            schema: Some(id), ..
        }
        | Detected::Spdx { schema: id, .. } => {
            schema::validate_doc(id, value, file, Code::SbomSchemaViolation, severity)
        }
        Detected::CycloneDx { spec, schema: None } => {
            let mut p = Problem::warning(
                Code::SbomSchemaViolation,
                format!(
                    "no official schema embedded for CycloneDX {spec}: structure checked by shipgate only"
                ),
            )
            .with_help("generate CycloneDX 1.4 or later to have the SBOM checked against its official schema")
            .at(json::location_of(file, "/specVersion"));
            p.severity = severity;
            vec![p]
        }
    }
}

/// Computes the file's digest and the line and column of each component
/// (SPDX: package), so that findings at one are located without reading
/// the text again: on one core after the rules, where locating 10,000 of
/// them by their pointers took 3 ms, and without unpacking a packed text.
/// Both are kept: a second call does nothing.
fn index_text(file: &SourceFile, spdx: bool) {
    file.sha256();
    file.index_elements(if spdx { "/packages" } else { "/components" });
}

/// Parses license expressions once per distinct text: large SBOMs repeat a
/// few dozen expressions thousands of times.
#[derive(Default)]
struct Licenses {
    cache: foldhash::HashMap<String, Arc<License>>,
    none: Arc<License>,
}

impl Licenses {
    fn parse(&mut self, expr: &str) -> Arc<License> {
        if let Some(known) = self.cache.get(expr) {
            return Arc::clone(known);
        }
        let license = Arc::new(parse_license_expression(expr));
        self.cache.insert(expr.to_owned(), Arc::clone(&license));
        license
    }

    /// No license given.
    fn none(&self) -> Arc<License> {
        Arc::clone(&self.none)
    }
}

/// Reports what is wrong with a component's parsed license, at the pointer
/// `at` writes (only when there is something to report).
fn report_license(
    findings: &mut Findings<'_>,
    license: &License,
    component: &str,
    at: impl FnOnce() -> String,
    invalid_part: &str,
) {
    if !license.valid && license.expression.is_some() {
        let reason = license::parse_error(invalid_part).unwrap_or_default();
        findings.warn(Code::SbomInvalidLicense, |f| {
            Problem::warning(
                Code::SbomInvalidLicense,
                format!(
                    "license `{invalid_part}` of component `{component}` is not a valid SPDX expression: {reason}"
                ),
            )
            .with_help(
                "use ids from https://spdx.org/licenses/ and `LicenseRef-` for others; rules see this license as unknown",
            )
            .at(f.at(&at()))
        });
    } else if license::alternatives_truncated(license) {
        findings.warn(Code::SbomLicenseTooComplex, |f| {
            Problem::warning(
                Code::SbomLicenseTooComplex,
                format!(
                    "license of component `{component}` has more than {MAX_ALTERNATIVES} alternatives"
                ),
            )
            .with_help("rules see its `ids` but no `alternatives`: simplify the expression")
            .at(f.at(&at()))
        });
    }
}

/// Warns about a duplicate `ref`; `first` is the pointer of its first use.
fn report_duplicate_ref(findings: &mut Findings<'_>, reference: &str, pointer: &str, first: &str) {
    findings.warn(Code::SbomDuplicateRef, |f| {
        Problem::warning(
            Code::SbomDuplicateRef,
            format!("`{reference}` identifies two components (first at `{first}`)"),
        )
        .with_help("give every component its own identifier: dependency edges and rule results name components by it")
        .at(f.at(pointer))
    });
}

/// Warns about a dependency edge end that names no component.
fn report_dangling(findings: &mut Findings<'_>, reference: &str, pointer: &str) {
    findings.warn(Code::SbomDanglingDependency, |f| {
        Problem::warning(
            Code::SbomDanglingDependency,
            format!("dependency names `{reference}`, which is no component of the SBOM"),
        )
        .with_help("add the component or fix the reference; the edge is kept but leads nowhere")
        .at(f.at(pointer))
    });
}

/// Reports a component without a usable name, which no rule could identify.
/// Reads one SBOM item (a CycloneDX component, an SPDX package) that must
/// be an object with a name, and returns it with its name. Each way it falls
/// short is an error at its pointer, and the item is skipped.
fn read_item<'v, T: serde::Deserialize<'v>>(
    value: json::doc::Val<'v>,
    pointer: &str,
    what: &str,
    format: &str,
    findings: &mut Findings<'_>,
    name_of: impl Fn(&T) -> Option<&'v str>,
) -> Option<(T, &'v str)> {
    if !value.is_object() {
        let found = de::kind(value);
        findings.error(Code::SbomSchemaViolation, |f| {
            Problem::error(
                Code::SbomSchemaViolation,
                format!("{what} at `{pointer}` is {found}, not an object"),
            )
            .with_help(format!("write each {format} {what} as a JSON object"))
            .at(f.at(pointer))
        });
        return None;
    }
    let item: T = de::read(value, pointer, what, format, findings)?;
    let Some(name) = non_empty(name_of(&item)) else {
        findings.error(Code::SbomSchemaViolation, |f| {
            Problem::error(
                Code::SbomSchemaViolation,
                format!("{what} at `{pointer}` has no `name`"),
            )
            .with_help(format!(
                "every {format} {what} needs a `name`: rules and waivers identify components by it"
            ))
            .at(f.at(pointer))
        });
        return None;
    };
    Some((item, name))
}

/// A trimmed, non-empty string.
fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// A license value that says something: SPDX's `NOASSERTION` and `NONE`
/// (which some generators also write into CycloneDX) say nothing, and read as
/// no license information rather than as a license id.
fn license_text(text: Option<&str>) -> Option<&str> {
    non_empty(text)
        .filter(|t| !t.eq_ignore_ascii_case("NOASSERTION") && !t.eq_ignore_ascii_case("NONE"))
}
