//! Making attestations: an in-toto Statement v1 about release artifacts, with
//! a privacy, residency or SLSA provenance predicate, signed into a DSSE
//! envelope — the evidence `check` verifies.
//!
//! The result is read back with the same loader `check` uses before it is
//! returned, so `shipgate attest` cannot write an attestation that `check`
//! would refuse: the predicate is validated against its schema, the subjects
//! against the in-toto rules, and the signature against the signing key.

use serde_json::{Value, json};

use crate::diag::{Code, Location, Problem, Problems, Severity};
use crate::evidence::attestation::{self, PAYLOAD_TYPE, STATEMENT_V1};
use crate::evidence::manifest::ReleaseManifest;
use crate::schema::{self, SchemaId};
use crate::sign::{Envelope, SigningKey};
use crate::source::SourceFile;

/// The predicate types `attest` knows by a short name, and their schemas.
pub const SHORT_NAMES: [(&str, &str, SchemaId); 3] = [
    (
        "privacy",
        attestation::PRIVACY_V1,
        SchemaId::PrivacyPredicate,
    ),
    (
        "residency",
        attestation::RESIDENCY_V1,
        SchemaId::ResidencyPredicate,
    ),
    (
        "slsa-provenance",
        attestation::SLSA_PROVENANCE_V1,
        SchemaId::SlsaProvenance,
    ),
];

/// The predicate type a short name or URI stands for.
pub fn predicate_type(name: &str) -> Result<&'static str, Problem> {
    SHORT_NAMES
        .iter()
        .find(|(short, uri, _)| *short == name || *uri == name)
        .map(|(_, uri, _)| *uri)
        .ok_or_else(|| {
            Problem::error(
                Code::AttestationUnknownPredicate,
                format!("`{name}` is not a predicate type shipgate makes attestations of"),
            )
            .with_help(format!(
                "use one of: {}",
                SHORT_NAMES
                    .iter()
                    .map(|(s, u, _)| format!("{s} ({u})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// One subject: a name and its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Name (the artifact's file name).
    pub name: String,
    /// Lowercase hex sha256.
    pub sha256: String,
}

impl Subject {
    /// Reads `NAME=SHA256`.
    pub fn parse(text: &str) -> Result<Subject, Problem> {
        let bad = || {
            Problem::error(
                Code::AttestationInvalid,
                format!("subject `{text}` is not NAME=SHA256"),
            )
            .with_help("write e.g. --subject kws-model.tflite=<64 lowercase hex digits>, or name artifacts of a manifest with --manifest and --artifact")
        };
        let (name, sha) = text.split_once('=').ok_or_else(bad)?;
        if name.is_empty() || !is_sha256(sha) {
            return Err(bad());
        }
        Ok(Subject {
            name: name.to_owned(),
            sha256: sha.to_owned(),
        })
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The subjects for `names` (every artifact with a sha256 when empty) from
/// the manifest read from `file`.
pub fn manifest_subjects(
    file: &SourceFile,
    manifest: &ReleaseManifest,
    names: &[String],
) -> Result<Vec<Subject>, Problems> {
    let mut problems = Problems::default();
    let mut out = Vec::new();
    let wanted: Vec<&str> = if names.is_empty() {
        manifest.artifacts.iter().map(|a| a.name.as_str()).collect()
    } else {
        names.iter().map(String::as_str).collect()
    };
    for name in wanted {
        match manifest.artifacts.iter().find(|a| a.name == name) {
            Some(a) => match &a.sha256 {
                Some(sha) => out.push(Subject {
                    name: a.name.clone(),
                    sha256: sha.clone(),
                }),
                None => problems.push(
                    Problem::error(
                        Code::AttestationInvalid,
                        format!("artifact `{name}` has no sha256 in the manifest: it cannot be a subject"),
                    )
                    .with_help("record the artifact's sha256 in the manifest first")
                    .at(crate::json::location_of(
                        file,
                        &manifest.artifact_pointer(name).unwrap_or_default(),
                    )),
                ),
            },
            None => problems.push(
                Problem::error(
                    Code::AttestationInvalid,
                    format!("the manifest has no artifact `{name}`"),
                )
                .with_help(format!(
                    "artifacts: {}",
                    manifest
                        .artifacts
                        .iter()
                        .map(|a| format!("`{}`", a.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .at(Location::file(file.display_shared())),
            ),
        }
    }
    problems.into_result()?;
    Ok(out)
}

/// The in-toto Statement v1 of `predicate` about `subjects`.
pub fn statement(subjects: &[Subject], predicate_type: &str, predicate: Value) -> Value {
    json!({
        "_type": STATEMENT_V1,
        "subject": subjects
            .iter()
            .map(|s| json!({ "name": s.name, "digest": { "sha256": s.sha256 } }))
            .collect::<Vec<_>>(),
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

/// Signs `statement` (canonical JSON, RFC 8785) into a DSSE envelope and
/// reads the result back as `check` would, with the signing key trusted.
/// `shown` names the output in diagnostics.
pub fn sign(statement: &Value, key: &SigningKey, shown: &str) -> Result<String, Problems> {
    if subjects_empty(statement) {
        return Err(Problem::error(
            Code::AttestationInvalid,
            "an attestation needs at least one subject",
        )
        .with_help("name the artifacts it is about with --subject or --manifest")
        .into());
    }
    let payload = crate::canonical::to_vec(statement).map_err(|e| {
        Problem::error(
            Code::JsonUnsafeNumber,
            format!("the statement cannot be written as canonical JSON: {e}"),
        )
    })?;
    let envelope = Envelope::sign(PAYLOAD_TYPE, &payload, &[key])?;
    let text = envelope.to_json() + "\n";
    let check = SourceFile::from_text(shown, &text);
    let (read, _) = attestation::load(&check, &[key.verifying_key()])?;
    if read.status != attestation::Status::Verified {
        return Err(Problem::error(
            Code::Internal,
            format!(
                "the attestation just signed reads back as `{}`",
                read.status.as_str()
            ),
        )
        .into());
    }
    Ok(text)
}

fn subjects_empty(statement: &Value) -> bool {
    statement
        .get("subject")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
}

/// Reads a predicate file of `predicate_type` and validates it against the
/// type's schema, every violation located in the file.
pub fn read_predicate(file: &SourceFile, predicate_type: &str) -> Result<Value, Problems> {
    let value = crate::json::parse(file)?;
    if !value.is_object() {
        return Err(Problem::error(
            Code::AttestationInvalid,
            format!("predicate `{}` is not a JSON object", file.display()),
        )
        .at(Location::file(file.display_shared()))
        .into());
    }
    if let Some((_, _, schema)) = SHORT_NAMES
        .iter()
        .find(|(_, uri, _)| *uri == predicate_type)
    {
        Problems(schema::validate(
            *schema,
            &value,
            file,
            Code::SchemaViolation,
            Severity::Error,
        ))
        .into_result()?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{Algorithm, SigningKey};

    fn privacy() -> Value {
        json!({
            "issued_at": "2026-11-01T00:00:00Z",
            "pii_categories": ["device-id"],
            "retention_days": 30,
            "consent_basis": "consent",
            "redaction": { "applied": true, "methods": ["hashing"] }
        })
    }

    #[test]
    fn signed_attestations_read_back_verified_and_deterministic() {
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let subjects = [Subject::parse(&format!("m.tflite={}", "a".repeat(64))).unwrap()];
        let st = statement(&subjects, predicate_type("privacy").unwrap(), privacy());
        let one = sign(&st, &key, "p.dsse.json").unwrap();
        let two = sign(&st, &key, "p.dsse.json").unwrap();
        assert_eq!(one, two, "Ed25519 signatures are deterministic");
        let (a, _) = attestation::load(
            &SourceFile::from_text("p.dsse.json", &one),
            &[key.verifying_key()],
        )
        .unwrap();
        assert_eq!(a.status, attestation::Status::Verified);
    }

    #[test]
    fn a_predicate_against_its_schema_is_refused_before_writing() {
        let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
        let subjects = [Subject::parse(&format!("m={}", "b".repeat(64))).unwrap()];
        let mut bad = privacy();
        bad["retention_days"] = json!("thirty");
        let st = statement(&subjects, attestation::PRIVACY_V1, bad);
        assert!(sign(&st, &key, "p.dsse.json").is_err());
        let none = statement(&[], attestation::PRIVACY_V1, privacy());
        assert!(sign(&none, &key, "p.dsse.json").is_err());
    }

    #[test]
    fn predicate_files_are_checked_against_their_schema() {
        let bad = SourceFile::from_text("p.json", "{\n  \"retention_days\": -1\n}");
        let err = read_predicate(&bad, attestation::PRIVACY_V1).unwrap_err();
        assert!(
            err.iter()
                .any(|p| p.location.as_ref().is_some_and(|l| l.line == Some(2))),
            "{err:?}"
        );
        let good = SourceFile::from_text("p.json", &privacy().to_string());
        assert!(read_predicate(&good, attestation::PRIVACY_V1).is_ok());
    }

    #[test]
    fn subjects_parse_strictly() {
        assert!(Subject::parse("x").is_err());
        assert!(Subject::parse(&format!("={}", "a".repeat(64))).is_err());
        assert!(Subject::parse(&format!("x={}", "A".repeat(64))).is_err());
        assert!(predicate_type("privacy").is_ok());
        assert!(predicate_type(attestation::RESIDENCY_V1).is_ok());
        assert!(predicate_type("vsa").is_err());
    }
}
