//! Taking a DSSE envelope apart, and deciding what its signatures say.
//!
//! `sign::dsse::Envelope::from_json` refuses an envelope without signatures,
//! which is right for certification records but not here: an unsigned
//! attestation is a status policies decide on. So the envelope is read field
//! by field from the parsed JSON, each malformation located, and only the
//! verification itself is left to `sign::dsse`.
//!
//! Decision table (first match wins):
//! 1. no signatures (absent or `[]`)                         → unsigned
//! 2. a readable signature verifies with a trusted key       → verified
//! 3. a signature's `keyid` names a trusted key              → invalid
//! 4. a signature cannot be read (no `sig`, not base64)      → invalid
//! 5. otherwise                                              → untrusted

use serde_json::Value;

use super::{PAYLOAD_TYPE, Status};
use crate::diag::{Code, Location, Problem, Problems};
use crate::json;
use crate::sign::dsse::{self, MAX_SIGNATURES};
use crate::sign::{Envelope, Signature, VerifyingKey};
use crate::source::SourceFile;

/// An envelope whose payload is JSON, with the verdict on its signatures.
pub(super) struct Opened {
    /// The decoded payload, as a file of its own (positions inside it).
    pub payload: SourceFile,
    /// The payload, parsed.
    pub statement: Value,
    /// What the signatures say.
    pub status: Status,
    /// The trusted key that verified, if one did.
    pub signer: Option<String>,
}

const ENVELOPE_HELP: &str = "a DSSE envelope is a JSON object with `payload` (base64 of the statement), \
     `payloadType` (`application/vnd.in-toto+json`) and `signatures`: a list of `{\"keyid\": ..., \"sig\": <base64>}`";

/// Reads the envelope `value` parsed from `file` and checks its signatures.
pub(super) fn open(
    file: &SourceFile,
    value: &Value,
    trusted: &[VerifyingKey],
) -> Result<Opened, Problems> {
    let mut problems = Problems::default();
    let malformed = |pointer: &str, message: String| {
        Problem::error(Code::EnvelopeInvalid, message)
            .with_help(ENVELOPE_HELP)
            .at(json::location_of(file, pointer))
    };
    match value.get("payloadType") {
        Some(Value::String(t)) if t == PAYLOAD_TYPE => {}
        Some(Value::String(t)) => problems.push(
            Problem::error(
                Code::AttestationInvalid,
                format!("the envelope's payload type is `{t}`, not an in-toto statement"),
            )
            .with_help(format!(
                "an attestation envelope carries an in-toto Statement as `{PAYLOAD_TYPE}`"
            ))
            .at(json::location_of(file, "/payloadType")),
        ),
        Some(_) => problems.push(malformed(
            "/payloadType",
            "the envelope's `payloadType` is not a string".to_owned(),
        )),
        None => problems.push(malformed(
            "",
            "the envelope has no `payloadType`".to_owned(),
        )),
    }
    let payload = match value.get("payload") {
        Some(Value::String(text)) => match dsse::decode_base64(text) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                problems.push(malformed(
                    "/payload",
                    format!("the envelope's payload is not base64: {e}"),
                ));
                None
            }
        },
        Some(_) => {
            problems.push(malformed(
                "/payload",
                "the envelope's `payload` is not a string".to_owned(),
            ));
            None
        }
        None => {
            problems.push(malformed("", "the envelope has no `payload`".to_owned()));
            None
        }
    };
    let entries: &[Value] = match value.get("signatures") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(list)) if list.len() > MAX_SIGNATURES => {
            problems.push(malformed(
                "/signatures",
                format!(
                    "the envelope has {} signatures, more than the {MAX_SIGNATURES} shipgate checks",
                    list.len()
                ),
            ));
            &[]
        }
        Some(Value::Array(list)) => list,
        Some(_) => {
            problems.push(malformed(
                "/signatures",
                "the envelope's `signatures` is not a list".to_owned(),
            ));
            &[]
        }
    };
    let (Some(payload_bytes), false) = (payload, problems.has_errors()) else {
        return Err(problems);
    };
    let text = String::from_utf8(payload_bytes.clone()).map_err(|e| {
        malformed(
            "/payload",
            format!(
                "the envelope's payload is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let payload_file = SourceFile::from_text(format!("{} (payload)", file.display()), &text);
    let statement = json::parse(&payload_file).map_err(|p| relocate(p, file))?;

    let mut readable = Vec::new();
    let mut unreadable = false;
    let mut claims_trusted = false;
    let trusted_ids: Vec<String> = trusted.iter().map(VerifyingKey::keyid).collect();
    for entry in entries {
        let keyid = entry
            .get("keyid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        claims_trusted |= !keyid.is_empty() && trusted_ids.iter().any(|t| t == keyid);
        match entry
            .get("sig")
            .and_then(Value::as_str)
            .map(dsse::decode_base64)
        {
            Some(Ok(sig)) => readable.push(Signature {
                keyid: keyid.to_owned(),
                sig,
            }),
            _ => unreadable = true,
        }
    }
    let verified = if readable.is_empty() || trusted.is_empty() {
        None
    } else {
        Envelope {
            payload: payload_bytes,
            payload_type: PAYLOAD_TYPE.to_owned(),
            signatures: readable,
        }
        .verify(trusted)
        .ok()
    };
    let (status, signer) = match verified {
        // 1. Nothing signed it.
        _ if entries.is_empty() => (Status::Unsigned, None),
        // 2. A trusted key signed exactly these bytes.
        Some(v) => (Status::Verified, v.keyids.into_iter().next()),
        // 3. It claims a trusted signer it does not have: altered or lying.
        None if claims_trusted => (Status::Invalid, None),
        // 4. A signature that cannot even be read.
        None if unreadable => (Status::Invalid, None),
        // 5. Signed, by someone we do not know.
        None => (Status::Untrusted, None),
    };
    Ok(Opened {
        payload: payload_file,
        statement,
        status,
        signer,
    })
}

/// Moves a problem found in the decoded payload onto the envelope's
/// `/payload` (line and column inside base64 mean nothing to a reader), and
/// says where inside the statement it is.
pub(super) fn relocate(mut p: Problem, envelope: &SourceFile) -> Problem {
    let inner = p.location.take();
    let place = inner
        .as_deref()
        .and_then(|l| match (&l.pointer, l.line, l.column) {
            (Some(ptr), _, _) if !ptr.is_empty() => Some(format!("at `{ptr}`")),
            (_, Some(line), Some(column)) => Some(format!("at line {line}, column {column}")),
            _ => None,
        });
    p.message = match place {
        Some(place) => format!("{} (in the signed statement, {place})", p.message),
        None => format!("{} (in the signed statement)", p.message),
    };
    if p.label.is_none() {
        p.label = Some("the statement, in base64".to_owned());
    }
    p.at(payload_location(envelope, "/payload"))
}

/// The envelope's `/payload`, marked at its opening quote only: the value is
/// one line of base64, often kilobytes long, and underlining all of it helps
/// no one. `pointer` is the pointer shown with it.
pub(super) fn payload_location(envelope: &SourceFile, pointer: &str) -> Location {
    let whole = json::location_of(envelope, "/payload");
    match (whole.byte_range(), whole.line, whole.column) {
        (Some(range), Some(line), Some(column)) => {
            let start = range.start;
            let end = (start + 1).min(range.end);
            Location::span_at(
                envelope.display(),
                &envelope.text(),
                start..end,
                line,
                column,
            )
            .with_pointer(pointer)
        }
        _ => whole.with_pointer(pointer),
    }
}
