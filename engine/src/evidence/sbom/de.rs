//! Reading parts of an already parsed document into tolerant serde structs.
//!
//! The structs borrow their strings from the parsed `Value` (no copies for
//! the thousands of components of a large SBOM), accept unknown fields (each
//! producer adds its own) and make every field optional, so only a value of
//! the wrong type can fail. serde's message then says what was expected but
//! not where; finding where happens only on that failure path, by reading the
//! object's members one at a time.

use serde::Deserialize;
use serde::de::value::MapDeserializer;
use serde_json::Value;

use crate::diag::{Code, Problem};
use crate::json::escape_pointer_token;

use super::findings::Findings;

/// Reads `value` (found at `pointer`) as a `T`, or reports an error naming
/// `what` at the offending member and returns `None`.
pub fn read<'a, T: Deserialize<'a>>(
    value: &'a Value,
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
fn culprit<'a, T: Deserialize<'a>>(value: &'a Value, pointer: &str) -> Option<(String, String)> {
    let Value::Object(members) = value else {
        return None;
    };
    members.iter().find_map(|(key, member)| {
        let one =
            MapDeserializer::<_, serde_json::Error>::new(std::iter::once((key.as_str(), member)));
        T::deserialize(one).err().map(|e| {
            (
                format!("{pointer}/{}", escape_pointer_token(key)),
                e.to_string(),
            )
        })
    })
}

/// The members of an array found at `pointer`, or an error when it is there
/// but not an array. `null` counts as absent: the schema check reports it.
pub fn array<'a>(
    value: Option<&'a Value>,
    pointer: &str,
    what: &str,
    findings: &mut Findings<'_>,
) -> &'a [Value] {
    match value {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            let found = kind(other);
            findings.error(Code::SbomSchemaViolation, |f| {
                Problem::error(
                    Code::SbomSchemaViolation,
                    format!("`{pointer}` must be a list of {what}, found {found}"),
                )
                .with_help(format!("write `{pointer}` as a JSON array"))
                .at(f.at(pointer))
            });
            &[]
        }
    }
}

/// A JSON value's kind, for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let v: Value = serde_json::from_str(text).unwrap();
        let mut f = Findings::new(&file);
        let t: Thing<'_> = read(&v, "", "thing", "test", &mut f).unwrap();
        assert_eq!((t.name, t.count), (Some("x"), Some(3)));
        assert!(f.finish().0.is_empty());
    }

    #[test]
    fn points_at_the_member_of_the_wrong_type() {
        let text = "{\n  \"name\": \"x\",\n  \"count\": \"three\"\n}";
        let file = SourceFile::from_text("t.json", text);
        let v: Value = serde_json::from_str(text).unwrap();
        let mut f = Findings::new(&file);
        assert!(read::<Thing<'_>>(&v, "/things/0", "thing", "test", &mut f).is_none());
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
        let v: Value = serde_json::from_str(file.text()).unwrap();
        let mut f = Findings::new(&file);
        assert!(array(v.get("components"), "/components", "components", &mut f).is_empty());
        assert!(array(None, "/x", "x", &mut f).is_empty());
        let ps = f.finish().0;
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].location.as_ref().unwrap().line, Some(1));
    }
}
