//! Diagnostics: every problem a user can cause, with a stable code.
//!
//! One `Problem` type carries every diagnostic the engine reports instead of a
//! zoo of error structs: the front ends render them all the same way (miette on
//! a terminal, objects in `--format json`, annotations in CI), and loading can
//! collect every problem of a run before reporting (two-phase validation) so a
//! user fixes ten mistakes in one round, not ten.
//!
//! Codes are part of the public contract: they appear in JSON reports and docs
//! (`docs/diagnostics.md`), and a snapshot test fails when the list changes.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceSpan};

use crate::json::Text;
use serde::Serialize;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the gate still runs.
    Warning,
    /// The run cannot go on: exit code 2 (input) or 3 (evaluation).
    Error,
}

macro_rules! codes {
    ($($variant:ident = $name:literal : $doc:literal,)*) => {
        /// Stable diagnostic codes (kebab-case). Documented in `docs/diagnostics.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case name, as printed and serialized.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// One line on what the code means.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    Io = "io" : "a file could not be read",
    NotAFile = "not-a-file" : "a path names a directory, device or pipe where a regular file was expected",
    TooLarge = "too-large" : "a file exceeds the configured size limit",
    NotUtf8 = "not-utf8" : "a text file is not valid UTF-8",
    JsonSyntax = "json-syntax" : "a JSON file does not parse",
    JsonTooDeep = "json-too-deep" : "a JSON document nests deeper than the limit",
    JsonDuplicateKey = "json-duplicate-key" : "a JSON object has the same key twice",
    SchemaViolation = "schema-violation" : "a file does not match its JSON Schema",
    SbomSchemaViolation = "sbom-schema-violation" : "an SBOM does not match its format's official schema",
    SbomUnknownFormat = "sbom-unknown-format" : "a file given as an SBOM is neither CycloneDX nor SPDX JSON",
    SbomUnsupportedVersion = "sbom-unsupported-version" : "an SBOM declares a format version shipgate does not read",
    SbomInvalidLicense = "sbom-invalid-license" : "a component's license is not a valid SPDX expression",
    SbomDanglingDependency = "sbom-dangling-dependency" : "a dependency edge names a component the SBOM does not contain",
    SbomDuplicateRef = "sbom-duplicate-ref" : "two components of an SBOM share one bom-ref or SPDXID",
    SbomLicenseTooComplex = "sbom-license-too-complex" : "a component's license expression has too many alternatives to list them",
    TomlSyntax = "toml-syntax" : "a TOML file does not parse or has unknown or mistyped keys",
    ConfigInvalid = "config-invalid" : "shipgate.toml names something that does not exist or cannot be combined",
    EvidenceMissing = "evidence-missing" : "evidence the configuration names is absent",
    BundleInvalid = "bundle-invalid" : "a rule bundle's manifest or layout is wrong",
    BundlePathEscape = "bundle-path-escape" : "a bundle refers to a file outside its own directory",
    RegoSyntax = "rego-syntax" : "a Rego module does not parse or compile",
    RegoNondeterministic = "rego-nondeterministic" : "a Rego module calls a builtin that reads the clock, network, randomness or environment",
    RegoMissingRule = "rego-missing-rule" : "a bundle rule's Rego package defines neither `deny` nor `warn`",
    CelSyntax = "cel-syntax" : "a CEL expression does not parse",
    CelTooComplex = "cel-too-complex" : "a CEL expression exceeds the length or nesting limit",
    WaiverInvalid = "waiver-invalid" : "a waiver lacks a field or has a malformed one",
    WaiverUnknownRule = "waiver-unknown-rule" : "a waiver names a rule that no loaded bundle has",
    WaiverExpired = "waiver-expired" : "a waiver's expiry date has passed: it no longer applies",
    WaiverExpiring = "waiver-expiring" : "a waiver expires within the warning window",
    WaiverUnused = "waiver-unused" : "a waiver matched no violation",
    BundleTestInvalid = "bundle-test-invalid" : "a bundle test case is malformed",
    LedgerInvalid = "ledger-invalid" : "a ledger cannot be opened, read or written, or its contents were altered",
    JsonUnsafeNumber = "json-unsafe-number" : "a number is beyond ±(2^53 − 1), which canonical JSON (RFC 8785) cannot carry exactly",
    KeyInvalid = "key-invalid" : "a key file is not an unencrypted PKCS#8 or SPKI PEM key for Ed25519 or ECDSA P-256",
    KeyExists = "key-exists" : "generating a key pair would overwrite an existing key file",
    EnvelopeInvalid = "envelope-invalid" : "a DSSE envelope is malformed: not JSON, bad base64, no signatures or too large",
    SignatureUnverified = "signature-unverified" : "no signature of a DSSE envelope verifies with a trusted key",
    AttestationInvalid = "attestation-invalid" : "a file given as an attestation is not an in-toto Statement v1, bare or in a DSSE envelope of type application/vnd.in-toto+json",
    AttestationUnknownPredicate = "attestation-unknown-predicate" : "an attestation's predicateType is not one shipgate reads",
    AttestationUnsigned = "attestation-unsigned" : "an attestation carries no signature: policies see it as unsigned",
    AttestationUntrusted = "attestation-untrusted" : "an attestation is signed, but by no trusted key: policies see it as untrusted",
    AttestationSignatureInvalid = "attestation-signature-invalid" : "an attestation's signature names a trusted key but does not verify, or cannot be read: policies see it as invalid",
    OsvSchemaViolation = "osv-schema-violation" : "an OSV vulnerability record does not have the structure the OSV specification defines",
    OsvUnknownFormat = "osv-unknown-format" : "a vulnerability feed file is neither an OSV record, a list of records nor an osv.dev API response",
    OsvDuplicateAdvisory = "osv-duplicate-advisory" : "two vulnerability feed files carry an advisory with the same id",
    OsvUnevaluableRange = "osv-unevaluable-range" : "an advisory's affected range cannot be evaluated for a component (GIT range, unsupported version ordering, unparsable version)",
    OsvUnversionedComponent = "osv-unversioned-component" : "a component without a version is a package an advisory names: it cannot be checked",
    OsvSeverityUnreadable = "osv-severity-unreadable" : "an advisory's CVSS vector lacks base metrics: its severity is unknown",
    CostPriceMissing = "cost-price-missing" : "a rollout stage routes installs through a region and delivery tier the cost file has no egress price for",
    CostUntargeted = "cost-untargeted" : "a cost forecast names a region or device class the release does not target",
    CostUnforecast = "cost-unforecast" : "a region and device class the release targets has no install forecast: its egress is not counted",
    CostOverflow = "cost-overflow" : "a computed cost figure is beyond what JSON carries exactly (2^53 − 1 cents or bytes)",
    DashboardOutput = "dashboard-output" : "the dashboard's output directory is not empty and holds no earlier dashboard, or cannot be written",
    Internal = "internal" : "shipgate itself failed; please report it",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A file's name as a [`Location`] takes it: any string, or a shared one
/// ([`SourceFile::display_shared`](crate::source::SourceFile::display_shared)),
/// kept without a copy.
pub trait FileName {
    /// The name, shared.
    fn into_shared(self) -> Arc<str>;
}

impl FileName for &str {
    fn into_shared(self) -> Arc<str> {
        Arc::from(self)
    }
}

impl FileName for String {
    fn into_shared(self) -> Arc<str> {
        Arc::from(self)
    }
}

impl FileName for &String {
    fn into_shared(self) -> Arc<str> {
        Arc::from(self.as_str())
    }
}

impl FileName for Arc<str> {
    fn into_shared(self) -> Arc<str> {
        self
    }
}

impl FileName for &Arc<str> {
    fn into_shared(self) -> Arc<str> {
        Arc::clone(self)
    }
}

/// Where in a file a problem is.
#[derive(Debug, Clone)]
pub struct Location {
    /// The file as the user named it (shared with its source file and the
    /// other locations in it: a rule's findings keep one location each).
    pub file: Arc<str>,
    /// JSON pointer (or TOML key path) of the offending value, when known.
    pub pointer: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column, in characters.
    pub column: Option<usize>,
    /// Boxed: most locations have none, and a rule's findings (thousands on
    /// a large SBOM) keep one location each.
    snippet: Option<Box<Snippet>>,
}

/// The byte range of a location, and the text to show it in.
#[derive(Debug, Clone)]
struct Snippet {
    span: SourceSpan,
    /// None on a line too long to show.
    source: Option<NamedSource<Text>>,
}

impl Location {
    /// A whole file, no position.
    pub fn file(file: impl FileName) -> Self {
        Location {
            file: file.into_shared(),
            pointer: None,
            line: None,
            column: None,
            snippet: None,
        }
    }

    /// A line and column in a file, with nothing to underline.
    pub fn line_col(file: impl FileName, line: usize, column: usize) -> Self {
        Location {
            line: Some(line),
            column: Some(column),
            ..Location::file(file)
        }
    }

    /// A byte range in a source text: line and column are derived from it.
    pub fn span(file: impl FileName, text: &Text, range: std::ops::Range<usize>) -> Self {
        let (line, column) = crate::json::line_col(text, range.start.min(text.len()));
        Location::span_at(file, text, range, line, column)
    }

    /// A byte range whose line and column are already known.
    pub fn span_at(
        file: impl FileName,
        text: &Text,
        range: std::ops::Range<usize>,
        line: usize,
        column: usize,
    ) -> Self {
        let file = file.into_shared();
        let start = range.start.min(text.len());
        let end = range.end.clamp(start, text.len());
        // A snippet of a very long line (a minified SBOM is one line of
        // megabytes) is unreadable, and miette's renderer panics on columns
        // beyond what a format width can hold: such places are shown as
        // file:line:col and pointer only.
        let source = (!on_long_line(text.as_bytes(), start))
            .then(|| NamedSource::new(&*file, Arc::clone(text)));
        Location {
            file,
            pointer: None,
            line: Some(line),
            column: Some(column),
            snippet: Some(Box::new(Snippet {
                span: SourceSpan::from(start..end),
                source,
            })),
        }
    }

    /// Adds the JSON pointer of the offending value.
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// `file:line:col` (or as much of it as is known), for one-line output.
    pub fn short(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            _ => self.file.to_string(),
        }
    }

    /// The text to show the location in, when it can be shown.
    fn source(&self) -> Option<&NamedSource<Text>> {
        self.snippet.as_ref().and_then(|s| s.source.as_ref())
    }

    /// The byte range in the file, when known.
    pub fn byte_range(&self) -> Option<std::ops::Range<usize>> {
        self.snippet
            .as_ref()
            .map(|s| s.span.offset()..s.span.offset() + s.span.len())
    }
}

/// Longest line, in bytes, shown as a source snippet.
const MAX_SNIPPET_LINE: usize = 1_000;

/// Is `at` on a line longer than [`MAX_SNIPPET_LINE`]? Looks no further than
/// that many bytes each way, so it stays cheap on huge one-line files.
fn on_long_line(text: &[u8], at: usize) -> bool {
    let before = text
        .get(at.saturating_sub(MAX_SNIPPET_LINE)..at)
        .unwrap_or_default();
    let after = text
        .get(at..text.len().min(at + MAX_SNIPPET_LINE))
        .unwrap_or_default();
    let newline_before = at < MAX_SNIPPET_LINE || before.contains(&b'\n');
    let newline_after = at + MAX_SNIPPET_LINE >= text.len() || after.contains(&b'\n');
    !(newline_before && newline_after)
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &*self.file)?;
        if let Some(p) = &self.pointer {
            m.serialize_entry("pointer", p)?;
        }
        if let Some(l) = self.line {
            m.serialize_entry("line", &l)?;
        }
        if let Some(c) = self.column {
            m.serialize_entry("column", &c)?;
        }
        m.end()
    }
}

/// One diagnostic: a code, a message, optionally where and how to fix it.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// Lowercase, no final period, user input in backticks.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where it is (boxed: problems travel in `Result`s, and most are small).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
    /// What the label under the snippet says.
    #[serde(skip)]
    pub label: Option<String>,
}

impl Problem {
    /// An error.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Problem {
            code,
            severity: Severity::Error,
            message: message.into(),
            help: None,
            location: None,
            label: None,
        }
    }

    /// A warning.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }

    /// Adds the fix.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds where it is.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(Box::new(location));
        self
    }

    /// Adds the label shown under the snippet.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Is this an error (as opposed to a warning)?
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            // Without a snippet (no span, or a line too long to show) the
            // message itself says where.
            Some(loc) if loc.source().is_none() => {
                if self.message.contains(&*loc.file) {
                    f.write_str(&self.message)?;
                } else {
                    write!(f, "{}: {}", loc.short(), self.message)?;
                }
                if let Some(p) = &loc.pointer {
                    write!(f, " (at `{p}`)")?;
                }
                Ok(())
            }
            Some(loc) => match &loc.pointer {
                Some(p) => write!(f, "{} (at `{p}`)", self.message),
                None => f.write_str(&self.message),
            },
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Problem {}

impl miette::Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Warning => miette::Severity::Warning,
            Severity::Error => miette::Severity::Error,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.location
            .as_ref()
            .and_then(|l| l.source())
            .map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.location.as_ref()?;
        let span = loc.snippet.as_ref()?.span;
        let label = self.label.clone().or_else(|| loc.pointer.clone());
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            label, span,
        ))))
    }
}

/// Every problem of a failed step, errors and warnings together.
///
/// Returned when something cannot go on; the warnings gathered before the
/// error ride along so nothing the user should know is lost.
#[derive(Debug, Clone, Default, thiserror::Error)]
#[error("{}", summary(&self.0))]
pub struct Problems(pub Vec<Problem>);

fn summary(problems: &[Problem]) -> String {
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems.len() - errors;
    match (errors, warnings) {
        (1, 0) => problems
            .iter()
            .find(|p| p.is_error())
            .map_or_else(String::new, ToString::to_string),
        (e, 0) => format!("{e} errors"),
        (e, w) => format!("{e} errors, {w} warnings"),
    }
}

impl Problems {
    /// Does any of them stop the run?
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Problem::is_error)
    }

    /// Adds one.
    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }

    /// Adds many.
    pub fn extend(&mut self, ps: impl IntoIterator<Item = Problem>) {
        self.0.extend(ps);
    }

    /// `Err(self)` when any is an error, else the warnings.
    pub fn into_result(self) -> Result<Vec<Problem>, Problems> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(self.0)
        }
    }

    /// Iterate.
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }
}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Self {
        Problems(vec![p])
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_small() {
        // Every finding keeps one: the snippet, which few have, is boxed.
        assert!(std::mem::size_of::<Location>() <= 96);
    }

    #[test]
    fn long_lines_get_no_snippet() {
        let minified: Text = Arc::new(format!("{{\"a\": [{}0]}}", "1, ".repeat(50_000)));
        let far = Location::span_at("m.json", &minified, 100_000..100_001, 1, 100_001);
        assert!(far.source().is_none());
        assert_eq!(far.byte_range(), Some(100_000..100_001));
        let near = Location::span_at("m.json", &minified, 3..4, 1, 4);
        assert!(
            near.source().is_none(),
            "the line is long even if the place is near its start"
        );
        let pretty: Text = Arc::new("{\n  \"a\": 1\n}\n".to_owned());
        assert!(
            Location::span_at("p.json", &pretty, 4..7, 2, 3)
                .source()
                .is_some()
        );
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-' || ch.is_ascii_digit()),
                "{s} is not kebab-case"
            );
            assert!(!c.description().ends_with('.'));
        }
    }

    #[test]
    fn span_location_has_line_and_column() {
        let text: Text = Arc::new("{\n  \"a\": 1,\n  \"b\": x\n}".to_owned());
        let loc = Location::span("f.json", &text, 19..20);
        assert_eq!((loc.line, loc.column), (Some(3), Some(8)));
        assert_eq!(loc.short(), "f.json:3:8");
    }
}

#[cfg(test)]
mod docs_tests {
    use super::Code;

    /// The documented list is the contract: a code added, renamed or removed
    /// without updating docs/diagnostics.md fails here.
    #[test]
    fn every_code_is_documented_and_every_documented_code_exists() {
        let doc = include_str!("../../docs/diagnostics.md");
        let documented: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            documented, codes,
            "docs/diagnostics.md is out of step with Code::ALL"
        );
        for c in Code::ALL {
            assert!(
                doc.contains(&format!("| `{}` | {} |", c.as_str(), c.description())),
                "description of `{c}` differs"
            );
        }
    }
}
