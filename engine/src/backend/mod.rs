//! Policy languages behind one trait.
//!
//! A bundle's rules are compiled once per language ([`Compiled`]) and then
//! evaluated against any number of inputs. An evaluation opens a [`Session`]
//! that converts the input into the engine's own value type once — never per
//! rule — and evaluates rules one at a time, so the guard in [`guard`] can
//! give each rule its own time budget and turn a panic or a timeout into that
//! rule's `error` instead of a crash or a hang.

pub(crate) mod cel;
mod cel_fast;
mod cel_parse;
mod cel_regex;
pub mod guard;
pub(crate) mod rego;
mod rego_recursion;
mod violation;

use std::sync::{Arc, OnceLock};

use crate::json::{Doc, DocError};
use serde::Serialize;
use serde_json::Value;

pub use violation::{Detail, Details, Violation};

/// The languages rules can be written in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Rego v1, evaluated by regorus.
    Rego,
    /// CEL, evaluated by the `cel` crate.
    Cel,
}

impl Language {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Rego => "rego",
            Language::Cel => "cel",
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or(s)),
        None => s.to_owned(),
    }
}

/// What evaluating one rule gave.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleEval {
    /// The rule ran: violations at its own severity and warnings.
    Ran {
        /// Results of `deny` (Rego) / a failing CEL rule.
        deny: Vec<Violation>,
        /// Results of `warn` (Rego only).
        warn: Vec<Violation>,
    },
    /// The rule could not be evaluated.
    Error(String),
}

/// The input document, shared by every bundle and backend of an evaluation.
///
/// Each engine's own value type is built from it at most once per evaluation
/// and shared by all bundles and rules (conftest re-converted its input for
/// every rule and took minutes on large plans). A bundle's parameters are not
/// part of it: they travel beside it, so bundles with different parameters
/// share one copy.
pub struct PreparedInput {
    /// As a compact document ([`Doc`]): what CEL rules read, and what the
    /// other forms are made from. An input that could not be made into one
    /// (larger than 4 GiB, a key twice) fails every rule that opens on it.
    doc: Result<Doc, DocError>,
    /// As JSON text, made on first use (regorus parses text faster than it
    /// converts values; CEL rules read the document itself).
    json: OnceLock<String>,
    /// sha256 of `json`, when computed while the document was built.
    digest: OnceLock<String>,
    pub(crate) rego_value: OnceLock<Result<regorus::Value, String>>,
    pub(crate) cel_values: OnceLock<Vec<(&'static str, ::cel::Value)>>,
}

impl PreparedInput {
    /// Prepares `value` for evaluation.
    pub fn new(value: Value) -> Self {
        Self::build(&value)
    }

    /// Prepares what `value` serialises to, without making a
    /// `serde_json::Value` of it first.
    pub fn build<T: Serialize + ?Sized>(value: &T) -> Self {
        PreparedInput {
            doc: Doc::build(value),
            json: OnceLock::new(),
            digest: OnceLock::new(),
            rego_value: OnceLock::new(),
            cel_values: OnceLock::new(),
        }
    }

    /// As [`build`](Self::build), with the [`digest`](Self::digest) computed
    /// at the same time on a second thread, from the JSON text `value`
    /// serialises to: the text the document would write back.
    pub fn build_with_digest<T: Serialize + Sync + ?Sized>(value: &T) -> Self {
        let (input, digest) = crate::parallel::join(|| Self::build(value), || digest_of(value));
        // Without a document, the digest is that of no text, as `digest` says.
        if input.doc.is_ok() {
            let _ = input.digest.set(digest);
        }
        input
    }

    /// The input document, or why there is none (then every rule errs).
    pub fn doc(&self) -> Result<&Doc, String> {
        self.doc
            .as_ref()
            .map_err(|e| format!("the input document cannot be built: {e}"))
    }

    /// The input as compact JSON text: what `serde_json` writes for the same
    /// value. Empty when there is no document (every rule errs then).
    pub fn json(&self) -> &str {
        self.json.get_or_init(|| {
            self.doc
                .as_ref()
                .ok()
                .and_then(|d| serde_json::to_string(d).ok())
                .unwrap_or_default()
        })
    }

    /// sha256 (hex) of [`json`](Self::json)'s bytes, computed by streaming the
    /// serialisation into the hash: the text itself is not kept for it.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        if let Some(digest) = self.digest.get() {
            return digest.clone();
        }
        if let Some(text) = self.json.get() {
            return hex::encode(Sha256::digest(text.as_bytes()));
        }
        match &self.doc {
            Ok(doc) => digest_of(doc),
            Err(_) => hex::encode(Sha256::digest(b"")),
        }
    }
}

/// sha256 (hex) of the compact JSON text `value` serialises to, streamed into
/// the hash.
fn digest_of<T: Serialize + ?Sized>(value: &T) -> String {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let mut hasher = Sha256::new();
    // Writing into a hasher cannot fail, and what a document is built from
    // serialises. Buffered: serde_json writes token by token, and each write
    // into the hasher has its own overhead.
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, &mut hasher);
    let _ = serde_json::to_writer(&mut buffered, value);
    let _ = buffered.flush();
    drop(buffered);
    hex::encode(hasher.finalize())
}

impl std::fmt::Debug for PreparedInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedInput").finish_non_exhaustive()
    }
}

/// A bundle's rules of one language, compiled.
pub(crate) trait Compiled: Send + Sync {
    /// Opens an evaluation against `input` with the bundle's `params`; the
    /// input is converted into the engine's values once per [`PreparedInput`],
    /// however many sessions open on it.
    fn session(
        &self,
        input: &Arc<PreparedInput>,
        params: &Value,
    ) -> Result<Box<dyn Session>, String>;

    /// Into how many independent parts the `index`-th rule can be cut when
    /// up to `ways` workers are free for it: 1 when it cannot or need not be.
    /// The guard then evaluates each part with [`Session::eval_part`] and
    /// joins them with [`merge`](Self::merge).
    fn parts(&self, _index: usize, _ways: usize) -> usize {
        1
    }

    /// Joins the results of every part of the `index`-th rule, in part
    /// order, into what evaluating it whole would have given.
    fn merge(&self, index: usize, _parts: Vec<Partial>) -> RuleEval {
        RuleEval::Error(format!("rule #{index} cannot be evaluated in parts"))
    }
}

/// One evaluation in progress, on the guard's worker thread.
pub(crate) trait Session {
    /// Evaluates the `index`-th rule given to the compiler.
    fn eval(&mut self, index: usize) -> RuleEval;

    /// Evaluates part `part` of the `of` parts [`Compiled::parts`] cut the
    /// `index`-th rule into.
    fn eval_part(&mut self, index: usize, _part: usize, _of: usize) -> Result<Partial, String> {
        Err(format!("rule #{index} cannot be evaluated in parts"))
    }
}

/// What one part of a rule gave, in the engine's own terms (only its
/// [`Compiled::merge`] reads it).
pub(crate) struct Partial(pub(crate) Box<dyn std::any::Any + Send>);

/// Shared handle to compiled rules.
pub(crate) type SharedCompiled = Arc<dyn Compiled>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_is_the_hash_of_the_json_text_whether_made_or_not() {
        use sha2::{Digest, Sha256};
        let value = json!({"b": [1, 2.5, "x\u{e9}\n"], "a": {"z": null, "y": true}});
        let streamed = PreparedInput::new(value.clone()).digest();
        let prepared = PreparedInput::new(value.clone());
        let text = prepared.json().to_owned();
        assert_eq!(text, value.to_string());
        assert_eq!(prepared.digest(), streamed);
        assert_eq!(streamed, hex::encode(Sha256::digest(text.as_bytes())));
        assert_eq!(PreparedInput::build_with_digest(&value).digest(), streamed);

        // No document (a key twice): the digest of no text, either way.
        struct Twice;
        impl Serialize for Twice {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("a", &1)?;
                m.serialize_entry("a", &2)?;
                m.end()
            }
        }
        let empty = hex::encode(Sha256::digest(b""));
        assert!(PreparedInput::build(&Twice).doc().is_err());
        assert_eq!(PreparedInput::build(&Twice).digest(), empty);
        assert_eq!(PreparedInput::build_with_digest(&Twice).digest(), empty);
    }
}
