//! A [`Doc`] as a representation the JSON Schema validator reads directly
//! (`jsonschema`'s representation traits), so a document parsed into a `Doc`
//! is checked against its schema without a `serde_json::Value` of it.

use std::borrow::Cow;

use jsonschema::json::{Array, Json, Node, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde_json::{Number, Value};

use super::{Arr, ArrIter, Cell, Doc, Kind, Obj, ObjIter, Span, Val};

/// The representation: validators compiled for it take a [`Val`].
pub struct DocJson;

impl Json for DocJson {
    type Node<'a> = Val<'a>;
    type PreparedKey = String;
    type StringBuffer = Doc;

    // Objects of up to `INDEXED_OBJECT` members are searched member by member.
    const KEYS_PER_LOOKUP: usize = 2;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(buffer: &mut Doc, string: &str, f: impl FnOnce(Val<'_>) -> T) -> T {
        buffer.text.clear();
        buffer.text.push_str(string);
        buffer.cells.clear();
        buffer.cells.push(Cell::Null);
        buffer.cells.push(Cell::Str(Span {
            start: 0,
            len: u32::try_from(string.len()).unwrap_or(u32::MAX),
        }));
        buffer.root = 1;
        f(buffer.root())
    }
}

impl<'a> Node<'a, DocJson> for Val<'a> {
    type Object = Obj<'a>;
    type Array = Arr<'a>;
    type Number = Number;

    fn as_object(&self) -> Option<Obj<'a>> {
        Val::as_object(*self)
    }

    fn as_array(&self) -> Option<Arr<'a>> {
        Val::as_array(*self)
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        self.as_str().map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<Number> {
        match self.kind() {
            Kind::Int(i) => Some(Number::from(i)),
            Kind::UInt(u) => Some(Number::from(u)),
            Kind::Float(f) => Number::from_f64(f),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.kind() {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.kind(), Kind::Null)
    }

    fn json_type(&self) -> JsonType {
        match self.kind() {
            Kind::Null => JsonType::Null,
            Kind::Bool(_) => JsonType::Boolean,
            Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) => JsonType::Number,
            Kind::Str(_) => JsonType::String,
            Kind::Array(_) => JsonType::Array,
            Kind::Object(_) => JsonType::Object,
        }
    }

    /// `const` and `enum` (a CycloneDX license id is checked against some
    /// 700 of them) without building a `Value` of a scalar.
    fn equals_value(&self, expected: &Value) -> bool {
        match (self.kind(), expected) {
            (Kind::Null, Value::Null) => true,
            (Kind::Bool(a), Value::Bool(b)) => a == *b,
            (Kind::Str(a), Value::String(b)) => a == b,
            (Kind::Int(_) | Kind::UInt(_) | Kind::Float(_), Value::Number(b)) => self
                .as_number()
                .is_some_and(|a| jsonschema::json::cmp::equal_numbers(&a, b)),
            (Kind::Array(_) | Kind::Object(_), Value::Array(_) | Value::Object(_)) => {
                jsonschema::json::cmp::equal(&self.to_value(), expected)
            }
            _ => false,
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Val::to_value(*self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        // Each value has a cell of its own in its document, but for `null`s,
        // which all read cell 0: a leaf, so no cycle is ever seen through it
        // (and values shared through `doc::shared` are in built documents,
        // never checked against a schema: only parsed ones are).
        Some(NodeIdentity::tagged(
            std::ptr::from_ref::<Doc>(self.doc) as usize,
            self.cell,
        ))
    }
}

impl<'a> Object<'a, DocJson> for Obj<'a> {
    type Node = Val<'a>;
    type MemberName = &'a str;
    type MembersIter = ObjIter<'a>;

    fn len(&self) -> usize {
        Obj::len(*self)
    }

    fn get(&self, key: &String) -> Option<Val<'a>> {
        Obj::get(*self, key)
    }

    fn members(&self) -> Self::MembersIter {
        self.iter()
    }
}

impl<'a> Array<'a, DocJson> for Arr<'a> {
    type Node = Val<'a>;
    type ElementsIter = ArrIter<'a>;

    fn len(&self) -> usize {
        Arr::len(*self)
    }

    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }

    /// `uniqueItems` (CycloneDX asks it of `components`) on the document
    /// itself: the validator's default would build a `Value` of every
    /// element.
    fn is_unique(&self) -> bool {
        let len = self.len();
        if len <= PAIRWISE {
            let items: Vec<Val<'a>> = self.iter().collect();
            return items
                .iter()
                .enumerate()
                .all(|(i, a)| items.iter().skip(i + 1).all(|b| !equal(*a, *b)));
        }
        let mut seen: foldhash::HashMap<u64, Vec<Val<'a>>> = foldhash::HashMap::default();
        seen.reserve(len);
        self.iter().all(|item| {
            let same_hash = seen.entry(hash(item)).or_default();
            let new = same_hash.iter().all(|other| !equal(item, *other));
            same_hash.push(item);
            new
        })
    }
}

/// Arrays up to this long are checked for duplicates pair by pair (the
/// validator's own threshold).
const PAIRWISE: usize = 15;

/// JSON Schema equality: numbers by value (`1` equals `1.0`), objects
/// whatever their members' order.
fn equal(a: Val<'_>, b: Val<'_>) -> bool {
    match (a.kind(), b.kind()) {
        (Kind::Null, Kind::Null) => true,
        (Kind::Bool(x), Kind::Bool(y)) => x == y,
        (Kind::Str(x), Kind::Str(y)) => x == y,
        (Kind::Array(x), Kind::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(v, w)| equal(v, w))
        }
        (Kind::Object(x), Kind::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => jsonschema::json::cmp::equal_numbers(&x, &y),
            _ => false,
        },
    }
}

/// A hash that agrees with [`equal`]: a number by its value as a float (so
/// `1` and `1.0`, `0` and `-0.0` hash alike), an object by its members in
/// any order.
fn hash(v: Val<'_>) -> u64 {
    const SEED: u64 = 0x5eed;
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(SEED).build_hasher();
    match v.kind() {
        Kind::Null => h.write_u8(0),
        Kind::Bool(b) => (1u8, b).hash(&mut h),
        Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) => {
            let f = v.as_number().and_then(|n| n.as_f64()).unwrap_or_default();
            let bits = if f == 0.0 { 0 } else { f.to_bits() };
            (2u8, bits).hash(&mut h);
        }
        Kind::Str(s) => (3u8, s).hash(&mut h),
        Kind::Array(a) => {
            h.write_u8(4);
            for item in a.iter() {
                h.write_u64(hash(item));
            }
        }
        Kind::Object(o) => {
            let state = foldhash::fast::FixedState::with_seed(SEED);
            let members = o
                .iter()
                .fold(0u64, |acc, (k, v)| acc ^ state.hash_one((k, hash(v))));
            (5u8, members).hash(&mut h);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meets_the_validators_contract() {
        let doc = Doc::from_value(&jsonschema_value::conformance::document()).unwrap();
        jsonschema_value::conformance::assert_conformance::<DocJson>(&doc.root());
    }

    #[test]
    fn unique_items_as_the_validator_sees_them() {
        let unique = |text: &str| {
            let doc = Doc::parse(text).unwrap();
            let by_doc = Array::is_unique(&doc.root().as_array().unwrap());
            let value: Value = serde_json::from_str(text).unwrap();
            let by_value = jsonschema::json::unique::is_unique(value.as_array().unwrap());
            assert_eq!(by_doc, by_value, "{text}");
            by_doc
        };
        let many = |last: &str| {
            let items: Vec<String> = (1..=20)
                .map(|i| format!(r#"{{"n": {i}, "k": [{i}]}}"#))
                .collect();
            format!("[{}, {last}]", items.join(", "))
        };
        for (text, expected) in [
            ("[]", true),
            ("[1, 1.0]", false),
            ("[0, -0.0]", false),
            (r#"[{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}]"#, false),
            (
                r#"[{"a": 1}, {"a": 1, "b": null}, [1], "1", true, null]"#,
                true,
            ),
            (&many(r#"{"k": [7.0], "n": 7}"#), false),
            (&many(r#"{"k": [7], "n": 8}"#), true),
            (&many("18446744073709551615"), true),
        ] {
            assert_eq!(unique(text), expected, "{text}");
        }
    }

    #[test]
    fn validates_as_the_value_does() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "kind": {"enum": ["library", "application"]},
                "n": {"type": "integer", "minimum": 1, "const": 2},
                "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string"}},
                "x": {"const": {"a": [1.0]}}
            },
            "required": ["kind"],
            "additionalProperties": false
        });
        let by_doc = jsonschema::ValidationOptions::<'_, _, DocJson>::default()
            .build(&schema)
            .unwrap();
        let by_value = jsonschema::validator_for(&schema).unwrap();
        for text in [
            r#"{"kind": "library", "n": 2, "tags": ["a", "b"], "x": {"a": [1]}}"#,
            r#"{"kind": "firmware", "n": 2.0, "tags": ["a", "a"], "x": {"a": [2]}, "y": 1}"#,
            r#"{"n": 0, "tags": [1]}"#,
            "[]",
        ] {
            let doc = Doc::parse(text).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            let errors = |it: jsonschema::ErrorIterator<'_>| -> Vec<(String, String)> {
                it.map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
                    .collect()
            };
            assert_eq!(
                errors(by_doc.iter_errors(doc.root())),
                errors(by_value.iter_errors(&value)),
                "{text}"
            );
            assert_eq!(by_doc.is_valid(doc.root()), by_value.is_valid(&value));
        }
    }
}
