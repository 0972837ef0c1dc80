//! Parsing JSON text straight into a [`Doc`], without a `serde_json::Value`
//! in between: a large SBOM's `Value` tree takes about ten times its text,
//! its document about twice.
//!
//! As strict as [`crate::json::parse`]: a key given twice in one object is an
//! error at the second one, and serde_json's recursion limit caps nesting at
//! 128 levels (which bounds every later walk of the document, too).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{Builder, Cell, Doc, DocError, INDEXED_OBJECT, Member, Span};

impl Doc {
    /// Parses JSON text into a document. The error is serde_json's, with the
    /// line and column of what is wrong (a duplicate key's is at that key).
    pub fn parse(text: &str) -> Result<Doc, serde_json::Error> {
        let mut b = Builder::new();
        b.reserve_for(text.len());
        let mut de = serde_json::Deserializer::from_str(text);
        let root = Seed(&mut b).deserialize(&mut de)?;
        de.end()?;
        Ok(b.finish(root))
    }
}

fn fail<E: de::Error>(e: DocError) -> E {
    E::custom(e)
}

/// One value, written into the builder; its cell is the result.
struct Seed<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = u32;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<u32, E> {
        self.0.push(Cell::Bool(v)).map_err(fail)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
        // As in a `Value` and in documents built: non-negative is unsigned.
        let cell = u64::try_from(v).map_or(Cell::Int(v), Cell::UInt);
        self.0.push(cell).map_err(fail)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
        self.0.push(Cell::UInt(v)).map_err(fail)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u32, E> {
        if !v.is_finite() {
            return Err(E::custom("number is not finite"));
        }
        self.0.push(Cell::Float(v)).map_err(fail)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
        self.0.string(v).map_err(fail)
    }
    fn visit_unit<E: de::Error>(self) -> Result<u32, E> {
        self.0.push(Cell::Null).map_err(fail)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
        let b = self.0;
        let mark = b.pending_items.len();
        while let Some(cell) = seq.next_element_seed(Seed(&mut *b))? {
            b.pending_items.push(cell);
        }
        b.end_array(mark).map_err(fail)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u32, A::Error> {
        let b = self.0;
        let mark = b.pending_members.len();
        // Keys are stored once, so equal keys have equal spans: a small
        // object is searched, a large one remembers its keys.
        let mut seen: Option<foldhash::HashSet<Span>> = None;
        while let Some(key) = map.next_key_seed(Key(&mut *b))? {
            let members = b.pending_members.get(mark..).unwrap_or_default();
            let twice = match &mut seen {
                Some(seen) => !seen.insert(key),
                None if members.len() < INDEXED_OBJECT => members.iter().any(|m| m.key == key),
                None => {
                    let mut keys: foldhash::HashSet<Span> = members.iter().map(|m| m.key).collect();
                    let twice = !keys.insert(key);
                    seen = Some(keys);
                    twice
                }
            };
            if twice {
                return Err(de::Error::custom(format_args!(
                    "duplicate key `{}`",
                    b.doc.str(key)
                )));
            }
            let value = map.next_value_seed(Seed(&mut *b))?;
            b.pending_members.push(Member { key, value });
        }
        b.end_object(mark).map_err(fail)
    }
}

/// An object key, stored once in the builder's text.
struct Key<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Span;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Span, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Span;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Span, E> {
        self.0.span(v, true).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn same_as_serde_json(text: &str) {
        let value: Value = serde_json::from_str(text).unwrap();
        let doc = Doc::parse(text).unwrap();
        assert_eq!(doc.root().to_value(), value, "{text}");
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
    }

    #[test]
    fn parses_what_serde_json_parses() {
        for text in [
            "null",
            "[]",
            "{}",
            "  [1, -2, 2.5, 1e300, -0.0, 18446744073709551615, -9223372036854775808]",
            r#"{"s": "x\u00e9\n\"\\\u0001\ud83d\ude00", "": {"": []}, "t": true, "f": false}"#,
            r#"{"a": {"nested": {"deeper": [[], {}, [{"k": "v"}]]}}, "unicode ключ": "значение"}"#,
        ] {
            same_as_serde_json(text);
        }
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\": {i}")).collect();
        same_as_serde_json(&format!("{{{}}}", many.join(", ")));
    }

    #[test]
    fn a_duplicate_key_is_an_error_at_the_second_key() {
        for n in [
            1,
            INDEXED_OBJECT - 1,
            INDEXED_OBJECT,
            INDEXED_OBJECT + 5,
            100,
        ] {
            let mut text = String::from("{\n");
            for i in 0..n {
                text.push_str(&format!("\"k{i}\": {i},\n"));
            }
            text.push_str("\"k0\": 0\n}");
            let e = Doc::parse(&text).unwrap_err();
            assert!(e.to_string().starts_with("duplicate key `k0`"), "{e}");
            assert_eq!(e.line(), n + 2, "{n} members");
        }
        // The same key in two objects is not a duplicate; nor is an empty key
        // next to another that starts where it does in the text.
        same_as_serde_json(r#"[{"a": 1}, {"a": 2}, {"": 1, "b": 2}]"#);
    }

    #[test]
    fn nesting_is_capped_and_syntax_errors_have_positions() {
        let deep = "[".repeat(100_000);
        assert!(
            Doc::parse(&deep)
                .unwrap_err()
                .to_string()
                .starts_with("recursion limit exceeded")
        );
        let e = Doc::parse("{\n  \"a\": x\n}").unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 8));
        assert!(Doc::parse("{} {}").is_err());
        assert!(Doc::parse("").is_err());
    }
}
