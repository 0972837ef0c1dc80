//! `ledger verify`: the chain, every object, and every record's signature.

use serde::Serialize;

use super::{Entry, Finding, Ledger};
use crate::diag::Problem;
use crate::sign::{Envelope, VerifyingKey};

/// The signature state of one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum SignatureStatus {
    /// Verified by these trusted keys.
    Verified {
        /// Key ids (sha256 of the SPKI DER).
        keyids: Vec<String>,
    },
    /// The record carries no signature (a local run without a signing key).
    Unsigned,
    /// No trusted key verifies it, or it is malformed.
    Invalid {
        /// Why.
        reason: String,
    },
}

/// One entry as audited.
#[derive(Debug, Clone, Serialize)]
pub struct AuditedEntry {
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
    /// sha256 of the entry.
    pub entry_sha256: String,
    /// Its record's signature.
    pub signature: SignatureStatus,
}

/// What `ledger verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// Every readable committed entry.
    pub entries: Vec<AuditedEntry>,
    /// Chain and object problems.
    pub findings: Vec<Finding>,
}

impl Audit {
    /// Is the ledger intact, with every record signed by a trusted key
    /// (`require_signed`) or at least none signed wrongly?
    pub fn ok(&self, require_signed: bool) -> bool {
        self.findings.is_empty()
            && self.entries.iter().all(|e| match e.signature {
                SignatureStatus::Verified { .. } => true,
                SignatureStatus::Unsigned => !require_signed,
                SignatureStatus::Invalid { .. } => false,
            })
    }
}

/// Checks `ledger` against `trusted` keys.
pub fn audit(ledger: &Ledger, trusted: &[VerifyingKey]) -> Result<Audit, Problem> {
    let (entries, findings) = ledger.verify_chain()?;
    let entries = entries
        .into_iter()
        .map(|(entry, entry_sha256)| {
            let signature = signature_of(ledger, &entry, trusted);
            AuditedEntry {
                entry,
                entry_sha256,
                signature,
            }
        })
        .collect();
    Ok(Audit { entries, findings })
}

/// The signature state of `entry`'s record.
pub fn signature_of(ledger: &Ledger, entry: &Entry, trusted: &[VerifyingKey]) -> SignatureStatus {
    // Parsed without `Envelope::from_json`, which (rightly, for files handed
    // to `verify`) refuses an envelope without signatures: here that is an
    // unsigned local record, to be reported as such.
    let envelope = match ledger
        .get_object(&entry.record)
        .map(|b| serde_json::from_slice::<Envelope>(&b))
    {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => {
            return SignatureStatus::Invalid {
                reason: format!("not a DSSE envelope: {e}"),
            };
        }
        Err(p) => return SignatureStatus::Invalid { reason: p.message },
    };
    if envelope.signatures.is_empty() {
        return SignatureStatus::Unsigned;
    }
    if trusted.is_empty() {
        return SignatureStatus::Invalid {
            reason: "signed, but no trusted key was given to check it".to_owned(),
        };
    }
    match envelope.verify(trusted) {
        Ok(v) => SignatureStatus::Verified { keyids: v.keyids },
        Err(p) => SignatureStatus::Invalid { reason: p.message },
    }
}
