//! Certification records: what a check leaves behind as proof.
//!
//! A record is an in-toto Statement v1 whose subjects are the release's
//! artifacts and whose predicate (`PREDICATE_TYPE`) holds everything needed to
//! judge and to replay the evaluation: verifier, pinned time, bundles and
//! evidence with digests, the input digest, every rule result, the waivers,
//! the verdict, and the invocation (settings, parameter overrides, context).
//! It is serialized canonically (RFC 8785) and signed in a DSSE envelope.
//!
//! Beside it, a standard SLSA Verification Summary Attestation can be emitted
//! for tools that only want the verdict. It stays standard (reviewers of other
//! gates rejected custom fields in a VSA): the detail lives in our predicate.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::backend::Language;
use crate::config::{SbomSchemaMode, Settings};
use crate::decision::FailOn;
use crate::diag::{Code, Problem};
use crate::gate::{GitContext, Plan, Report};
use crate::sign::{Envelope, SigningKey, VerifyingKey};

/// in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Our certification predicate.
pub const PREDICATE_TYPE: &str = "https://shipgate.dev/attestation/certification/v1";
/// SLSA Verification Summary v1.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// DSSE payload type of in-toto statements.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The verifier's identity in VSAs.
pub const VERIFIER_ID: &str = "https://shipgate.dev/verifier";

/// What a replay needs besides files: how the check was invoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invocation {
    /// `[settings]` that affect the decision.
    pub fail_on: FailOn,
    /// SBOM schema strictness.
    pub sbom_schema: SbomSchemaMode,
    /// Waiver warning window.
    pub waiver_warning_days: i64,
    /// Rule time budget.
    pub rule_timeout_ms: u64,
    /// Parameter overrides, one object per bundle in bundle order.
    pub params: Vec<Map<String, Value>>,
    /// Forced implementation.
    pub engine: Option<Language>,
    /// Git context.
    pub git: GitContext,
    /// Environment.
    pub environment: Option<String>,
    /// Waivers file path and sha256.
    pub waivers: Option<FileRef>,
    /// SPKI PEM of every key trusted to sign attestations, in configuration
    /// order (absent in records of checks that trusted none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_keys: Vec<String>,
}

/// A path and digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// Path as given.
    pub path: String,
    /// sha256 of its bytes.
    pub sha256: String,
}

impl Invocation {
    /// The invocation of `plan`.
    pub fn of(plan: &Plan, waivers: Option<FileRef>, trusted: &[VerifyingKey]) -> Invocation {
        let s: &Settings = &plan.config.settings;
        Invocation {
            fail_on: s.fail_on,
            sbom_schema: s.sbom_schema,
            waiver_warning_days: s.waiver_warning_days,
            rule_timeout_ms: s.rule_timeout_ms,
            params: plan
                .config
                .bundles
                .iter()
                .map(|b| b.params.clone())
                .collect(),
            engine: plan.prefer,
            git: plan.git.clone(),
            environment: plan.config.context.environment.clone(),
            waivers,
            trusted_keys: trusted.iter().map(VerifyingKey::to_spki_pem).collect(),
        }
    }
}

fn subjects(report: &Report) -> Vec<Value> {
    if report.subjects.is_empty() {
        // Without artifact digests the verdict is about the evidence itself.
        report
            .evidence
            .iter()
            .map(|e| json!({ "name": e.path, "digest": { "sha256": e.sha256 } }))
            .collect()
    } else {
        report
            .subjects
            .iter()
            .map(|s| json!({ "name": s.name, "digest": { "sha256": s.sha256 } }))
            .collect()
    }
}

/// Members of a rule result left out of the record: documentation, not
/// decision; it lives in the bundle, whose digest is recorded.
const DOCUMENTATION: [&str; 3] = ["description", "remediation", "help_uri"];

/// The certification statement of `report`.
pub fn statement(report: &Report, invocation: &Invocation) -> Value {
    let results: Vec<Value> = report
        .rules
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                for key in DOCUMENTATION {
                    o.remove(key);
                }
            }
            v
        })
        .collect();
    statement_with(report, invocation, Value::Array(results))
}

/// The canonical bytes of [`statement`] in its record form (numbers beyond
/// ±(2^53 − 1) as strings: [`protect_large_integers`]), written from the
/// report without a `Value` of its results: at 100,000 findings that tree
/// took several times the record's own size, and longer to make than the
/// evaluation.
pub fn payload(report: &Report, invocation: &Invocation) -> Result<Vec<u8>, Problem> {
    let mut skeleton = statement_with(report, invocation, Value::Null);
    protect_large_integers(&mut skeleton);
    let mut write = |out: &mut String| -> Result<(), Problem> {
        out.push('[');
        for (i, rule) in report.rules.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let index = i.to_string();
            let at = ["predicate", "results", index.as_str()];
            let start = out.len();
            match crate::canonical::write_serialized(out, rule, &at, true, &DOCUMENTATION) {
                Ok(()) => {}
                Err(crate::canonical::SerError::Canonical(e)) => return Err(e.into()),
                // As `statement` has it: a result that does not serialise is null.
                Err(crate::canonical::SerError::Serialize(_)) => {
                    out.truncate(start);
                    out.push_str("null");
                }
            }
        }
        out.push(']');
        Ok(())
    };
    let text = crate::canonical::to_string_spliced(
        &skeleton,
        crate::canonical::Splice {
            at: &["predicate", "results"],
            write: &mut write,
            // A finding is a few hundred bytes of text: room for 1 KiB each
            // spares the copies of a text grown by doubling (at 100,000
            // findings the last one alone held 32 and 64 MiB at once).
            reserve: findings(report).saturating_mul(1024) + 64 * 1024,
        },
    )?;
    Ok(text.into_bytes())
}

/// How many findings `report` holds.
fn findings(report: &Report) -> usize {
    report
        .rules
        .iter()
        .map(|r| r.violations.len() + r.waived.len() + r.warnings.len())
        .sum()
}

/// The statement of `report` with `results` as its results.
fn statement_with(report: &Report, invocation: &Invocation, results: Value) -> Value {
    let mut statement = json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects(report),
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "verifier": { "name": "shipgate", "version": env!("CARGO_PKG_VERSION") },
            "time_verified": report.now,
            "release": report.release,
            "verdict": report.verdict,
            "bundles": report.bundles.iter().map(|b| json!({
                "name": b.name, "version": b.version, "path": b.path, "digest": { "sha256": b.digest },
            })).collect::<Vec<_>>(),
            "evidence": report.evidence.iter().map(|e| json!({
                "kind": e.kind, "path": e.path, "digest": { "sha256": e.sha256 },
            })).collect::<Vec<_>>(),
            "input_digest": { "sha256": report.input_digest },
            "summary": report.summary,
            "results": results,
            "waivers": report.waivers,
            "invocation": invocation,
        },
    });
    // The computed cost (when cost evidence was given) makes the record the
    // whole story of cost against budget for auditors and the dashboard;
    // absent, not null, so records without cost keep their bytes.
    if let (Some(cost), Some(p)) = (
        &report.cost,
        statement
            .get_mut("predicate")
            .and_then(Value::as_object_mut),
    ) {
        p.insert(
            "cost".to_owned(),
            serde_json::to_value(cost).unwrap_or(Value::Null),
        );
    }
    statement
}

/// The digest a VSA names as its policy: the bundle's own digest when there
/// is one bundle, else the sha256 of the listing `<digest>  <name>@<version>\n`
/// of every bundle in order.
pub fn policy_digest(report: &Report) -> String {
    match report.bundles.as_slice() {
        [one] => one.digest.clone(),
        many => {
            let mut h = Sha256::new();
            for b in many {
                h.update(format!("{}  {}@{}\n", b.digest, b.name, b.version).as_bytes());
            }
            hex::encode(h.finalize())
        }
    }
}

/// A standard SLSA VSA of `report`.
pub fn vsa(report: &Report, slsa_level: Option<u8>) -> Value {
    let passed = report.verdict == crate::decision::Verdict::Pass;
    let levels: Vec<String> = match (passed, slsa_level) {
        (false, _) => vec!["FAILED".to_owned()],
        (true, Some(l)) if l > 0 => vec![format!("SLSA_BUILD_LEVEL_{l}")],
        (true, _) => vec![],
    };
    let resource = report.release.as_ref().map_or_else(
        || "urn:shipgate:release".to_owned(),
        |r| format!("urn:shipgate:release:{}@{}", r.name, r.version),
    );
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects(report),
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": {
            "verifier": { "id": VERIFIER_ID, "version": { "shipgate": env!("CARGO_PKG_VERSION") } },
            "timeVerified": report.now,
            "resourceUri": resource,
            "policy": {
                "uri": format!("urn:shipgate:bundles:{}", report.bundles.iter().map(|b| format!("{}@{}", b.name, b.version)).collect::<Vec<_>>().join(",")),
                "digest": { "sha256": policy_digest(report) },
            },
            "inputAttestations": report.evidence.iter().map(|e| json!({
                "uri": e.path, "digest": { "sha256": e.sha256 },
            })).collect::<Vec<_>>(),
            "verificationResult": if passed { "PASSED" } else { "FAILED" },
            "verifiedLevels": levels,
            "slsaVersion": "1.0",
        },
    })
}

/// A statement serialized canonically and wrapped in a DSSE envelope
/// (without signatures when no key was given). Its text, as files and the
/// ledger keep it, is written out piece by piece ([`write_to`](Self::write_to)):
/// a large record's payload is tens of MB, and its text a third more.
#[derive(Debug, Clone)]
pub struct Signed {
    envelope: Envelope,
}

impl Signed {
    /// Canonicalizes `statement` and signs it with `key` (or leaves it
    /// unsigned: the ledger keeps unsigned records of local runs, and
    /// `ledger verify` says which ones are).
    pub fn new(mut statement: Value, key: Option<&SigningKey>) -> Result<Signed, Problem> {
        protect_large_integers(&mut statement);
        let payload = crate::canonical::to_vec(&statement).map_err(Problem::from)?;
        Signed::of_payload(payload, key)
    }

    /// Signs `payload`, a statement's canonical bytes ([`payload`]).
    pub fn of_payload(payload: Vec<u8>, key: Option<&SigningKey>) -> Result<Signed, Problem> {
        let envelope = match key {
            Some(k) => Envelope::sign(PAYLOAD_TYPE, &payload, &[k])?,
            None => Envelope {
                payload,
                payload_type: PAYLOAD_TYPE.to_owned(),
                signatures: Vec::new(),
            },
        };
        Ok(Signed { envelope })
    }

    /// Writes the envelope's text and a newline: what a record file holds.
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.envelope.write_json(w)?;
        w.write_all(b"\n")
    }

    /// [`write_to`](Self::write_to)'s bytes, made whole.
    pub fn bytes(&self) -> Vec<u8> {
        let mut text = self.envelope.to_json().into_bytes();
        text.push(b'\n');
        text
    }
}

/// Reads a statement from a verified (or knowingly unsigned) payload.
pub fn parse_statement(payload: &[u8]) -> Result<Value, Problem> {
    let v: Value = serde_json::from_slice(payload).map_err(|e| {
        Problem::error(
            Code::EnvelopeInvalid,
            format!("the record's payload is not JSON: {e}"),
        )
    })?;
    let ok = v.get("_type").and_then(Value::as_str) == Some(STATEMENT_TYPE)
        && v.get("predicate").is_some()
        && v.get("subject").is_some_and(Value::is_array);
    if ok {
        Ok(v)
    } else {
        Err(Problem::error(
            Code::EnvelopeInvalid,
            "the record's payload is not an in-toto Statement v1",
        )
        .with_help("a shipgate record's payload has `_type` https://in-toto.io/Statement/v1"))
    }
}

/// Numbers beyond what canonical JSON carries exactly (magnitude above
/// 2^53 − 1, integer or not) become decimal strings: a policy's detail is
/// kept whole, never rounded, and the record can still be signed.
pub fn protect_large_integers(v: &mut Value) {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Number(n) => {
                let big = n.as_u64().is_some_and(|u| u > MAX_SAFE)
                    || n.as_i64().is_some_and(|i| i.unsigned_abs() > MAX_SAFE)
                    || (!n.is_u64()
                        && !n.is_i64()
                        && n.as_f64().is_some_and(|f| f.abs() > MAX_SAFE as f64));
                if big {
                    *v = Value::String(n.to_string());
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{self, GitContext};
    use crate::{Config, SourceFile};

    /// The record's payload, written from the report, is the statement
    /// made as a `Value` and canonicalised (what replays compare against),
    /// byte for byte, on every example release: passes, failures with
    /// findings and their details, waivers, attestations, cost.
    #[test]
    fn the_payload_is_the_statement_canonicalised() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        for example in [
            "edge-agent-pass",
            "edge-agent-fail",
            "voice-assistant-pass",
            "voice-assistant-fail",
        ] {
            let path = examples.join(example).join("shipgate.toml");
            let file = SourceFile::read(&path, path.display().to_string(), 1 << 20).unwrap();
            let mut config = Config::load(&file).unwrap();
            config.ledger.enabled = false;
            let plan = Plan {
                config,
                now: jiff::Timestamp::from_second(1_790_000_000).unwrap(),
                git: GitContext::default(),
                prefer: None,
            };
            let loaded = gate::load(&plan).unwrap();
            let report = gate::evaluate(&plan, &loaded);
            let invocation = Invocation::of(&plan, None, &loaded.trusted);
            let mut st = statement(&report, &invocation);
            protect_large_integers(&mut st);
            let expected = crate::canonical::to_vec(&st).unwrap();
            let streamed = payload(&report, &invocation).unwrap();
            let differ = streamed.iter().zip(&expected).position(|(a, b)| a != b);
            assert!(
                streamed == expected,
                "{example}: {} against {} bytes, first difference at {differ:?}",
                streamed.len(),
                expected.len()
            );
            assert!(
                example.ends_with("pass") || report.rules.iter().any(|r| !r.violations.is_empty()),
                "{example} has findings"
            );
        }
    }

    #[test]
    fn large_integers_become_strings() {
        let mut v = json!({"a": [9007199254740991u64, 9007199254740992u64, -9007199254740993i64], "b": 1.5});
        protect_large_integers(&mut v);
        assert_eq!(
            v,
            json!({"a": [9007199254740991u64, "9007199254740992", "-9007199254740993"], "b": 1.5})
        );
    }
}
