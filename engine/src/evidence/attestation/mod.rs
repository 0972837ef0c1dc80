//! Attestations: in-toto Statements v1 about the release's artifacts, bare or
//! signed in a DSSE envelope.
//!
//! Three predicates are read: shipgate's privacy and data-residency predicates
//! (schemas in `schemas/`) and SLSA provenance v1. Anything else is an error,
//! not a file silently ignored: a gate that skipped an attestation it could
//! not read would pass on evidence no one checked.
//!
//! Reading and trusting are kept apart. A file that is not a well-formed
//! Statement (or envelope carrying one) is a located error: the run stops.
//! Whether its signature verifies is *not* an error: it becomes the entry's
//! `status` (`verified`, `unsigned`, `untrusted`, `invalid`) that policies
//! decide on, plus a warning naming the file, because whether an unsigned
//! privacy claim is acceptable is policy, not parsing.
//!
//! Signatures are checked with [`crate::sign::dsse`]: every signature against
//! every trusted key, `keyid` only ever used to tell a tampered signature of a
//! trusted key (`invalid`) from one of a stranger (`untrusted`).

mod envelope;
mod provenance;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use super::EvidenceKind;
use super::manifest::ReleaseManifest;
use crate::diag::{Code, Problem, Problems, Severity};
use crate::json;
use crate::schema::{self, SchemaId};
use crate::sign::VerifyingKey;
use crate::source::SourceFile;

pub use provenance::ProvenanceSummary;

/// `_type` of the only Statement version read.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// DSSE `payloadType` of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// predicateType of shipgate's privacy predicate.
pub const PRIVACY_V1: &str = "https://shipgate.dev/attestation/privacy/v1";
/// predicateType of shipgate's data-residency predicate.
pub const RESIDENCY_V1: &str = "https://shipgate.dev/attestation/residency/v1";
/// predicateType of SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// The predicates read: type, the evidence kind it is, the schema it must meet.
const PREDICATES: [(&str, EvidenceKind, SchemaId); 3] = [
    (
        PRIVACY_V1,
        EvidenceKind::Privacy,
        SchemaId::PrivacyPredicate,
    ),
    (
        RESIDENCY_V1,
        EvidenceKind::Residency,
        SchemaId::ResidencyPredicate,
    ),
    (
        SLSA_PROVENANCE_V1,
        EvidenceKind::Provenance,
        SchemaId::SlsaProvenance,
    ),
];

/// How the statement reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Envelope {
    /// In a DSSE envelope.
    #[serde(rename = "dsse")]
    Dsse,
    /// A bare Statement: nothing to verify.
    #[serde(rename = "none")]
    None,
}

/// What the signature check established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A signature verifies with a trusted key.
    Verified,
    /// A bare Statement, or an envelope without signatures.
    Unsigned,
    /// Signed, but no signature verifies with a trusted key and none claims
    /// to be by one.
    Untrusted,
    /// A signature claims a trusted key's id but does not verify with it (the
    /// envelope was altered, or the id lies), or a signature cannot be read.
    Invalid,
}

impl Status {
    /// The name policies see.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::Unsigned => "unsigned",
            Status::Untrusted => "untrusted",
            Status::Invalid => "invalid",
        }
    }
}

/// One subject of the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// Its name, when the statement gives one.
    pub name: Option<String>,
    /// Digests by algorithm (lowercase hex); `sha256` is always present.
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// The sha256 digest.
    pub fn sha256(&self) -> Option<&str> {
        self.digest.get("sha256").map(String::as_str)
    }
}

/// A loaded, schema-valid attestation and the outcome of its signature check.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The file, as the user named it.
    pub file: String,
    /// Bare or enveloped.
    pub envelope: Envelope,
    /// Signature outcome.
    pub status: Status,
    /// Id of the trusted key that verified it (the first, in the order the
    /// keys were configured), when `status` is verified.
    pub signer: Option<String>,
    /// The statement's `predicateType`.
    pub predicate_type: String,
    /// The statement's subjects.
    pub subjects: Vec<Subject>,
    /// When the claims were made: the predicate's `issued_at`, or for SLSA
    /// provenance `runDetails.metadata.finishedOn` (else `startedOn`).
    pub issued_at: Option<Timestamp>,
    /// When the claims stop holding: the predicate's `expires_at`.
    pub expires_at: Option<Timestamp>,
    /// The predicate, as written (it met its schema).
    pub predicate: Value,
    /// For SLSA provenance: builder, build type and source, normalized.
    pub summary: Option<ProvenanceSummary>,
    kind: EvidenceKind,
}

/// Reads an attestation: a bare in-toto Statement v1, or a DSSE envelope whose
/// payload is one. The statement and its predicate are validated against
/// their schemas (every violation reported, located); an unknown
/// `predicateType` is an error. The signature check against `trusted` is not:
/// its outcome is [`Attestation::status`], and anything short of `verified`
/// adds a warning naming the file.
pub fn load(
    file: &SourceFile,
    trusted: &[VerifyingKey],
) -> Result<(Attestation, Vec<Problem>), Problems> {
    let value = json::parse(file)?;
    let is_envelope = match &value {
        Value::Object(m) if m.contains_key("_type") => false,
        Value::Object(m)
            if ["payload", "payloadType", "signatures"]
                .iter()
                .any(|k| m.contains_key(*k)) =>
        {
            true
        }
        _ => return Err(not_an_attestation(file).into()),
    };
    if !is_envelope {
        let statement = Statement::read(file, &value, None)?;
        let warning = status_warning(file, Status::Unsigned, Envelope::None);
        return Ok((
            statement.into_attestation(file, Envelope::None, Status::Unsigned, None),
            vec![warning],
        ));
    }
    let opened = envelope::open(file, &value, trusted)?;
    let statement = Statement::read(&opened.payload, &opened.statement, Some(file))?;
    let warnings = match opened.status {
        Status::Verified => Vec::new(),
        other => vec![status_warning(file, other, Envelope::Dsse)],
    };
    Ok((
        statement.into_attestation(file, Envelope::Dsse, opened.status, opened.signer),
        warnings,
    ))
}

impl Attestation {
    /// Which kind of evidence it is, from its predicate type.
    pub fn kind(&self) -> EvidenceKind {
        self.kind
    }

    /// Is it verified and, at `now`, not expired?
    pub fn is_current(&self, now: Timestamp) -> bool {
        self.status == Status::Verified && !self.is_expired(now)
    }

    fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    /// Where `pointer` (from a violation's `file` + `pointer`) is in `file`,
    /// this attestation's file. In a bare statement that is the pointer
    /// itself. In a DSSE envelope, pointers to the envelope's own fields
    /// (`/payload`, `/payloadType`, `/signatures...`, the root) are located
    /// as they are, and a pointer into the statement (`/predicate/...`,
    /// `/subject/...`) lands on `/payload`, keeping the statement pointer
    /// for the message: a position inside base64 would mean nothing.
    pub fn locate(&self, file: &SourceFile, pointer: &str) -> crate::diag::Location {
        let in_envelope = pointer.is_empty()
            || ["/payload", "/payloadType", "/signatures"]
                .iter()
                .any(|f| pointer == *f || pointer.starts_with(&format!("{f}/")));
        match self.envelope {
            Envelope::Dsse if !in_envelope => envelope::payload_location(file, pointer),
            _ => json::location_of(file, pointer),
        }
    }

    /// The entry policies see under `attestations.<kind>`: signature status,
    /// subjects matched against the release's artifacts by sha256, freshness
    /// at `now`, the predicate as written (and for provenance, its summary).
    pub fn to_input(&self, release: Option<&ReleaseManifest>, now: Timestamp) -> Value {
        let artifacts: Vec<&str> = release
            .map(|r| {
                r.artifacts
                    .iter()
                    .filter(|a| {
                        a.sha256
                            .as_deref()
                            .is_some_and(|h| self.subjects.iter().any(|s| s.sha256() == Some(h)))
                    })
                    .map(|a| a.name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let subject_matches = release.is_some_and(|r| {
            !self.subjects.is_empty()
                && self.subjects.iter().all(|s| {
                    r.artifacts
                        .iter()
                        .any(|a| a.sha256.is_some() && a.sha256.as_deref() == s.sha256())
                })
        });
        let age_days = self
            .issued_at
            .map(|t| (now.as_second() - t.as_second()).div_euclid(86_400));
        let mut entry = json!({
            "file": self.file,
            "predicate_type": self.predicate_type,
            "envelope": self.envelope,
            "status": self.status,
            "verified": self.status == Status::Verified,
            "signer": self.signer,
            "subject": self.subjects,
            "subject_matches": subject_matches,
            "artifacts": artifacts,
            "issued_at": self.issued_at.map(|t| t.to_string()),
            "expires_at": self.expires_at.map(|t| t.to_string()),
            "expired": self.is_expired(now),
            "age_days": age_days,
            "predicate": self.predicate,
        });
        if let (Some(summary), Some(map)) = (&self.summary, entry.as_object_mut()) {
            map.insert("summary".to_owned(), json!(summary));
        }
        entry
    }
}

/// A statement that met its schemas, before the signature outcome is attached.
struct Statement {
    predicate_type: String,
    kind: EvidenceKind,
    subjects: Vec<Subject>,
    issued_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    predicate: Value,
    summary: Option<ProvenanceSummary>,
}

impl Statement {
    /// Validates `value`, the statement read from `file`. `envelope` is the
    /// envelope `file` was the payload of: problems are then moved onto its
    /// `/payload`, naming the place inside the decoded statement.
    fn read(
        file: &SourceFile,
        value: &Value,
        envelope: Option<&SourceFile>,
    ) -> Result<Statement, Problems> {
        let fix = |p: Problem| match envelope {
            Some(env) => envelope::relocate(p, env),
            None => p,
        };
        let read = Statement::read_located(file, value);
        read.map_err(|ps| Problems(ps.into_iter().map(fix).collect()))
    }

    fn read_located(file: &SourceFile, value: &Value) -> Result<Statement, Problems> {
        match value.get("_type") {
            Some(Value::String(t)) if t == STATEMENT_V1 => {}
            other => {
                let shown = match other {
                    Some(Value::String(t)) => format!("`{t}`"),
                    Some(_) => "a non-string".to_owned(),
                    None => "nothing".to_owned(),
                };
                return Err(Problem::error(
                    Code::AttestationInvalid,
                    format!("`_type` is {shown}, not an in-toto Statement v1"),
                )
                .with_help(format!(
                    "shipgate reads in-toto Statements v1 (`\"_type\": \"{STATEMENT_V1}\"`); \
                     re-issue older statements (v0.1) with a current in-toto or SLSA tool"
                ))
                .at(json::location_of(
                    file,
                    if other.is_some() { "/_type" } else { "" },
                ))
                .into());
            }
        }
        let mut problems = Problems(schema::validate(
            SchemaId::InTotoStatement,
            value,
            file,
            Code::SchemaViolation,
            Severity::Error,
        ));
        let predicate_type = value
            .get("predicateType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let known = PREDICATES.iter().find(|(t, _, _)| *t == predicate_type);
        let empty = Value::Object(serde_json::Map::new());
        // The spec: an unset predicate is an empty one.
        let predicate = value.get("predicate").unwrap_or(&empty);
        match known {
            Some((_, _, schema_id)) if predicate.is_object() => {
                problems.extend(schema::validate_at(
                    *schema_id,
                    predicate,
                    file,
                    "/predicate",
                    Code::SchemaViolation,
                    Severity::Error,
                ));
            }
            Some(_) => {} // not an object: the statement schema said so
            None if predicate_type.is_empty() => {} // likewise
            None => problems.push(unknown_predicate(file, predicate_type)),
        }
        if problems.has_errors() {
            return Err(problems);
        }
        let Some((_, kind, _)) = known else {
            // Unreachable: an unknown or missing type was reported above.
            return Err(unknown_predicate(file, predicate_type).into());
        };
        let subjects = subjects(value);
        let (issued_at, expires_at, summary) = match kind {
            EvidenceKind::Provenance => {
                let metadata = predicate.pointer("/runDetails/metadata");
                let issued = ["finishedOn", "startedOn"].iter().find_map(|k| {
                    let v = metadata?.get(*k)?.as_str()?;
                    Some((format!("/predicate/runDetails/metadata/{k}"), v))
                });
                let issued_at = match issued {
                    Some((pointer, text)) => timestamp(file, &pointer, text, &mut problems),
                    None => None,
                };
                (issued_at, None, Some(ProvenanceSummary::of(predicate)))
            }
            _ => {
                let mut at = |key: &str| {
                    let text = predicate.get(key)?.as_str()?;
                    timestamp(file, &format!("/predicate/{key}"), text, &mut problems)
                };
                let (issued_at, expires_at) = (at("issued_at"), at("expires_at"));
                if let (Some(i), Some(e)) = (issued_at, expires_at)
                    && e <= i
                {
                    problems.push(
                        Problem::error(
                            Code::SchemaViolation,
                            format!("`expires_at` ({e}) is not after `issued_at` ({i})"),
                        )
                        .with_help("an attestation must hold for some time after it is issued")
                        .at(json::location_of(file, "/predicate/expires_at")),
                    );
                }
                (issued_at, expires_at, None)
            }
        };
        if *kind == EvidenceKind::Residency {
            check_unique_regions(file, predicate, &mut problems);
        }
        if problems.has_errors() {
            return Err(problems);
        }
        Ok(Statement {
            predicate_type: predicate_type.to_owned(),
            kind: *kind,
            subjects,
            issued_at,
            expires_at,
            predicate: predicate.clone(),
            summary,
        })
    }

    fn into_attestation(
        self,
        file: &SourceFile,
        envelope: Envelope,
        status: Status,
        signer: Option<String>,
    ) -> Attestation {
        Attestation {
            file: file.display().to_owned(),
            envelope,
            status,
            signer,
            predicate_type: self.predicate_type,
            subjects: self.subjects,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            predicate: self.predicate,
            summary: self.summary,
            kind: self.kind,
        }
    }
}

/// The subjects of a schema-valid statement.
fn subjects(statement: &Value) -> Vec<Subject> {
    statement
        .get("subject")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| Subject {
            name: s.get("name").and_then(Value::as_str).map(str::to_owned),
            digest: s
                .get("digest")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect(),
        })
        .collect()
}

/// An RFC 3339 time the schema accepted; jiff is stricter on a few forms
/// (e.g. leap seconds), and those are errors too.
fn timestamp(
    file: &SourceFile,
    pointer: &str,
    text: &str,
    problems: &mut Problems,
) -> Option<Timestamp> {
    match text.parse::<Timestamp>() {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(
                Problem::error(
                    Code::SchemaViolation,
                    format!("`{text}` is not an RFC 3339 time: {e}"),
                )
                .with_help("write times as `2026-11-01T00:00:00Z`")
                .at(json::location_of(file, pointer)),
            );
            None
        }
    }
}

fn check_unique_regions(file: &SourceFile, predicate: &Value, problems: &mut Problems) {
    let mut seen = BTreeMap::new();
    let regions = predicate.get("regions").and_then(Value::as_array);
    for (i, r) in regions.into_iter().flatten().enumerate() {
        let Some(name) = r.get("region").and_then(Value::as_str) else {
            continue;
        };
        if let Some(first) = seen.insert(name, i) {
            problems.push(
                Problem::error(
                    Code::SchemaViolation,
                    format!("region `{name}` appears twice"),
                )
                .with_help(format!(
                    "give each region one entry listing all its jurisdictions; the first is at `/predicate/regions/{first}`"
                ))
                .at(json::location_of(file, &format!("/predicate/regions/{i}/region"))),
            );
        }
    }
}

fn not_an_attestation(file: &SourceFile) -> Problem {
    Problem::error(
        Code::AttestationInvalid,
        format!(
            "`{}` is neither an in-toto Statement nor a DSSE envelope",
            file.display()
        ),
    )
    .with_help(format!(
        "an attestation is a JSON object with `_type` `{STATEMENT_V1}`, `subject`, `predicateType` \
         and `predicate`, or a DSSE envelope (`payload`, `payloadType` `{PAYLOAD_TYPE}`, `signatures`) carrying one"
    ))
    .at(json::location_of(file, ""))
}

fn unknown_predicate(file: &SourceFile, predicate_type: &str) -> Problem {
    let supported: Vec<String> = PREDICATES
        .iter()
        .map(|(t, k, _)| format!("`{t}` ({k})"))
        .collect();
    Problem::error(
        Code::AttestationUnknownPredicate,
        format!("unknown predicate type `{predicate_type}`"),
    )
    .with_help(format!(
        "shipgate reads {}; remove the file from the attestations, or convert it",
        supported.join(", ")
    ))
    .at(json::location_of(file, "/predicateType"))
}

fn status_warning(file: &SourceFile, status: Status, envelope: Envelope) -> Problem {
    let shown = file.display();
    let (code, message, help, pointer) = match (status, envelope) {
        // Nothing to verify: the policy decides whether unsigned claims count.
        (_, Envelope::None) => (
            Code::AttestationUnsigned,
            format!("attestation `{shown}` is a bare statement: unsigned"),
            "sign it into a DSSE envelope with a key listed under `[trust] keys` to make it verified",
            "",
        ),
        (Status::Unsigned, Envelope::Dsse) => (
            Code::AttestationUnsigned,
            format!("attestation `{shown}` is an envelope without signatures: unsigned"),
            "sign it with a key listed under `[trust] keys` to make it verified",
            "/signatures",
        ),
        (Status::Untrusted, Envelope::Dsse) => (
            Code::AttestationUntrusted,
            format!("attestation `{shown}` is signed by no trusted key: untrusted"),
            "add the signer's public key under `[trust] keys` if you trust it, or have it signed by a trusted key",
            "/signatures",
        ),
        // Verified never warns; what is left is a signature that lies or is broken.
        (Status::Invalid | Status::Verified, Envelope::Dsse) => (
            Code::AttestationSignatureInvalid,
            format!(
                "attestation `{shown}`: a signature names a trusted key but does not verify, or cannot be read: invalid"
            ),
            "the statement or its signature was changed after signing, or the key id is false: obtain the attestation again from its producer",
            "/signatures",
        ),
    };
    Problem::warning(code, message)
        .with_help(help)
        .at(json::location_of(file, pointer))
}

#[cfg(test)]
mod tests;
