//! Reading parts of an already parsed document into tolerant serde structs.
//!
//! The structs borrow their strings from the parsed document (no copies for
//! the thousands of components of a large SBOM), accept unknown fields (each
//! producer adds its own) and make every field optional, so only a value of
//! the wrong type can fail. serde's message then says what was expected but
//! not where; finding where happens only on that failure path, by reading the
//! object's members one at a time.

use serde::Deserialize;
use serde::de::value::MapDeserializer;

use crate::diag::{Code, Problem};
use crate::json::doc::{Arr, DocError, Kind, Val};
use crate::json::escape_pointer_token;

use super::findings::Findings;

/// Reads `value` (found at `pointer`) as a `T`, or reports an error naming
/// `what` at the offending member and returns `None`.
pub fn read<'a, T: Deserialize<'a>>(
    value: Val<'a>,
    pointer: &str,
    what: &str,
    format: &str,
    findings: &mut Findings<'_>,
) -> Option<T> {
    match T::deserialize(value) {
        Ok(t) => Some(t),
        Err(whole) => {
            let (pointer, message) = culprit::<T>(value, pointer)
                .unwrap_or_else(|| (pointer.to_owned(), whole.to_string()));
            findings.error(Code::SbomSchemaViolation, |f| {
                Problem::error(
                    Code::SbomSchemaViolation,
                    format!("{what} at `{pointer}` cannot be read: {message}"),
                )
                .with_help(format!(
                    "give this value the type the {format} specification defines for it"
                ))
                .at(f.at(&pointer))
            });
            None
        }
    }
}

/// The first member of an object that `T` cannot read on its own, with why.
fn culprit<'a, T: Deserialize<'a>>(value: Val<'a>, pointer: &str) -> Option<(String, String)> {
    let members = value.as_object()?;
    members.iter().find_map(|(key, member)| {
        let one = MapDeserializer::<_, DocError>::new(std::iter::once((key, member)));
        T::deserialize(one).err().map(|e| {
            (
                format!("{pointer}/{}", escape_pointer_token(key)),
                e.to_string(),
            )
        })
    })
}

/// The elements of the list `key` of `parent` (found at `pointer`), or an
/// error when it is there but not an array. `null` counts as absent: the
/// schema check reports it.
pub fn array<'a>(
    parent: Val<'a>,
    key: &str,
    pointer: &str,
    what: &str,
    findings: &mut Findings<'_>,
) -> Arr<'a> {
    let Some(value) = parent.get(key) else {
        return parent.empty_array();
    };
    match value.kind() {
        Kind::Null => parent.empty_array(),
        Kind::Array(items) => items,
        _ => {
            let found = kind(value);
            findings.error(Code::SbomSchemaViolation, |f| {
                Problem::error(
                    Code::SbomSchemaViolation,
                    format!("`{pointer}` must be a list of {what}, found {found}"),
                )
                .with_help(format!("write `{pointer}` as a JSON array"))
                .at(f.at(pointer))
            });
            parent.empty_array()
        }
    }
}

/// A JSON value's kind, for messages.
pub fn kind(value: Val<'_>) -> &'static str {
    match value.kind() {
        Kind::Null => "null",
        Kind::Bool(_) => "a boolean",
        Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) => "a number",
        Kind::Str(_) => "a string",
        Kind::Array(_) => "an array",
        Kind::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Doc;
    use crate::source::SourceFile;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Thing<'a> {
        #[serde(borrow)]
        name: Option<&'a str>,
        count: Option<u32>,
    }

    #[test]
    fn borrows_and_ignores_unknown_fields() {
        let text = r#"{"name": "x", "extra": [1, 2], "count": 3}"#;
        let file = SourceFile::from_text("t.json", text);
        let v = Doc::parse(text).unwrap();
        let mut f = Findings::new(&file);
        let t: Thing<'_> = read(v.root(), "", "thing", "test", &mut f).unwrap();
        assert_eq!((t.name, t.count), (Some("x"), Some(3)));
        assert!(f.finish().0.is_empty());
    }

    #[test]
    fn points_at_the_member_of_the_wrong_type() {
        let text = "{\n  \"name\": \"x\",\n  \"count\": \"three\"\n}";
        let file = SourceFile::from_text("t.json", text);
        let v = Doc::parse(text).unwrap();
        let mut f = Findings::new(&file);
        assert!(read::<Thing<'_>>(v.root(), "/things/0", "thing", "test", &mut f).is_none());
        let ps = f.finish().0;
        assert_eq!(ps.len(), 1);
        assert!(ps[0].is_error());
        assert!(
            ps[0].message.contains("`/things/0/count`"),
            "{}",
            ps[0].message
        );
        assert!(ps[0].message.contains("expected u32"), "{}", ps[0].message);
    }

    #[test]
    fn non_arrays_are_reported() {
        let file = SourceFile::from_text("t.json", r#"{"components": {}}"#);
        let v = Doc::parse(&file.text()).unwrap();
        let mut f = Findings::new(&file);
        let root = v.root();
        assert!(array(root, "components", "/components", "components", &mut f).is_empty());
        assert!(array(root, "x", "/x", "x", &mut f).is_empty());
        let ps = f.finish().0;
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].location.as_ref().unwrap().line, Some(1));
    }
}
