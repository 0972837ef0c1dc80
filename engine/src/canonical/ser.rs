//! Canonical JSON written straight from a `Serialize` value, without making
//! a `serde_json::Value` of it first: what a record of 100,000 findings is
//! written with (as a `Value` tree they took several times the record's own
//! size). The text is exactly [`to_vec`](super::to_vec) of
//! `serde_json::to_value(value)`, with numbers beyond ±(2^53 − 1) written as
//! strings when `protect` is set (the record form: see
//! `record::protect_large_integers`) and refused otherwise.
//!
//! Arrays are written as their elements come; an object's members are each
//! written into their own text, then sorted by key (RFC 8785's UTF-16 order)
//! and joined. A key given twice keeps its last value, as a `serde_json::Map`
//! does.

use std::fmt;

use serde::ser::{self, Serialize};
use serde_json::Value;

use super::{CanonicalError, MAX_DEPTH, TooDeep, UnsafeNumber, write_number, write_string};
use crate::json::escape_pointer_token;

/// Why a value could not be written.
#[derive(Debug)]
pub enum SerError {
    /// Its canonical form does not exist (a number too large, nesting too
    /// deep), at a JSON pointer.
    Canonical(CanonicalError),
    /// Its `Serialize` implementation failed, or gave what JSON cannot hold
    /// (a map key that is not a string).
    Serialize(String),
}

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerError::Canonical(e) => e.fmt(f),
            SerError::Serialize(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError::Serialize(msg.to_string())
    }
}

/// Appends the canonical text of `value` to `out`. `at` is the JSON pointer
/// of `value` in the document being written, as its steps (for errors and
/// the depth limit); members of the value's own object named in `skip` are
/// left out.
pub fn write_serialized<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    at: &[&str],
    protect: bool,
    skip: &[&str],
) -> Result<(), SerError> {
    let mut ctx = Ctx {
        path: at.iter().map(|s| (*s).to_owned()).collect(),
        protect,
    };
    value.serialize(Ser {
        ctx: &mut ctx,
        out,
        skip,
    })
}

/// State shared by every level of one value's writing.
struct Ctx {
    /// Steps to the value being written (keys, and indices as text).
    path: Vec<String>,
    protect: bool,
}

impl Ctx {
    fn pointer(&self) -> String {
        self.path
            .iter()
            .map(|s| format!("/{}", escape_pointer_token(s)))
            .collect()
    }

    /// Refuses a value nested beyond [`MAX_DEPTH`], as the `Value` writer does.
    fn enter(&self) -> Result<(), SerError> {
        if self.path.len() > MAX_DEPTH {
            return Err(SerError::Canonical(CanonicalError::TooDeep(TooDeep {
                pointer: self.pointer(),
            })));
        }
        Ok(())
    }

    /// A scalar, through the `serde_json::Value` it would have been.
    fn scalar(&self, out: &mut String, v: Value) -> Result<(), SerError> {
        self.enter()?;
        match v {
            Value::Number(n) => {
                if write_number(out, &n) {
                    return Ok(());
                }
                if self.protect {
                    write_string(out, &n.to_string());
                    return Ok(());
                }
                Err(SerError::Canonical(CanonicalError::UnsafeNumber(
                    UnsafeNumber {
                        pointer: self.pointer(),
                        value: n.to_string(),
                    },
                )))
            }
            Value::String(s) => {
                write_string(out, &s);
                Ok(())
            }
            Value::Bool(b) => {
                out.push_str(if b { "true" } else { "false" });
                Ok(())
            }
            // Non-finite floats become null in a `Value`, as here.
            _ => {
                out.push_str("null");
                Ok(())
            }
        }
    }
}

/// Writes one value into `out`.
struct Ser<'c> {
    ctx: &'c mut Ctx,
    out: &'c mut String,
    skip: &'c [&'c str],
}

fn to_value<T: Serialize>(v: T) -> Result<Value, SerError> {
    serde_json::to_value(v).map_err(|e| SerError::Serialize(e.to_string()))
}

impl<'c> Ser<'c> {
    fn seq(self, close: &'static str) -> Result<Seq<'c>, SerError> {
        self.ctx.enter()?;
        self.out.push('[');
        Ok(Seq {
            ctx: self.ctx,
            out: self.out,
            index: 0,
            close,
        })
    }

    fn object(self, close: &'static str) -> Result<Object<'c>, SerError> {
        self.ctx.enter()?;
        Ok(Object {
            ctx: self.ctx,
            out: self.out,
            skip: self.skip,
            members: Vec::new(),
            key: None,
            close,
        })
    }

    /// `{"variant":` before a variant's value; the caller closes it.
    fn variant(&mut self, variant: &str) -> Result<(), SerError> {
        self.ctx.enter()?;
        self.out.push('{');
        write_string(self.out, variant);
        self.out.push(':');
        self.ctx.path.push(variant.to_owned());
        Ok(())
    }
}

/// Numbers, each through the `serde_json::Value` it would have been.
macro_rules! numbers {
    ($($method:ident : $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), SerError> {
            self.ctx.scalar(self.out, to_value(v)?)
        }
    )*};
}

impl<'c> ser::Serializer for Ser<'c> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Seq<'c>;
    type SerializeTuple = Seq<'c>;
    type SerializeTupleStruct = Seq<'c>;
    type SerializeTupleVariant = Seq<'c>;
    type SerializeMap = Object<'c>;
    type SerializeStruct = Object<'c>;
    type SerializeStructVariant = Object<'c>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        self.ctx.scalar(self.out, Value::Bool(v))
    }
    numbers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
        serialize_f32: f32,
        serialize_f64: f64
    );
    fn serialize_char(self, v: char) -> Result<(), SerError> {
        self.ctx.enter()?;
        write_string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        self.ctx.enter()?;
        write_string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerError> {
        use ser::SerializeSeq;
        let mut seq = self.seq("]")?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), SerError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), SerError> {
        self.ctx.scalar(self.out, Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SerError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.variant(variant)?;
        value.serialize(Ser {
            ctx: &mut *self.ctx,
            out: &mut *self.out,
            skip: &[],
        })?;
        self.ctx.path.pop();
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'c>, SerError> {
        self.seq("]")
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'c>, SerError> {
        self.seq("]")
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'c>, SerError> {
        self.seq("]")
    }
    fn serialize_tuple_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Seq<'c>, SerError> {
        self.variant(variant)?;
        self.seq("]}")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'c>, SerError> {
        self.object("")
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'c>, SerError> {
        self.object("")
    }
    fn serialize_struct_variant(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'c>, SerError> {
        self.variant(variant)?;
        self.object("}")
    }
}

/// An array being written: its elements go straight into the output.
pub struct Seq<'c> {
    ctx: &'c mut Ctx,
    out: &'c mut String,
    index: usize,
    /// `]`, or `]}` closing a tuple variant (whose key is on the path).
    close: &'static str,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        if self.index > 0 {
            self.out.push(',');
        }
        self.ctx.path.push(self.index.to_string());
        value.serialize(Ser {
            ctx: &mut *self.ctx,
            out: &mut *self.out,
            skip: &[],
        })?;
        self.ctx.path.pop();
        self.index += 1;
        Ok(())
    }

    fn finish(self) -> Result<(), SerError> {
        self.out.push_str(self.close);
        if self.close.len() > 1 {
            self.ctx.path.pop();
        }
        Ok(())
    }
}

/// serde's four kinds of sequence, all written as an array.
macro_rules! sequence {
    ($($kind:ident :: $method:ident),*) => {$(
        impl ser::$kind for Seq<'_> {
            type Ok = ();
            type Error = SerError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
                self.element(value)
            }
            fn end(self) -> Result<(), SerError> {
                self.finish()
            }
        }
    )*};
}

sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// An object being written: each member's text made apart, then all of them
/// sorted and joined at the end.
pub struct Object<'c> {
    ctx: &'c mut Ctx,
    out: &'c mut String,
    skip: &'c [&'c str],
    members: Vec<(String, String)>,
    key: Option<String>,
    /// Empty, or `}` closing a struct variant (whose key is on the path).
    close: &'static str,
}

impl Object<'_> {
    fn member<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), SerError> {
        if self.skip.contains(&key.as_str()) {
            return Ok(());
        }
        let mut text = String::new();
        self.ctx.path.push(key);
        value.serialize(Ser {
            ctx: &mut *self.ctx,
            out: &mut text,
            skip: &[],
        })?;
        let key = self.ctx.path.pop().unwrap_or_default();
        self.members.push((key, text));
        Ok(())
    }

    fn finish(mut self) -> Result<(), SerError> {
        // By UTF-16 code units (RFC 8785 §3.2.3); stable, so of a key given
        // twice the last one given comes last and is the one kept.
        self.members
            .sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        self.out.push('{');
        let mut first = true;
        let mut members = self.members.into_iter().peekable();
        while let Some((key, text)) = members.next() {
            if members.peek().is_some_and(|(next, _)| *next == key) {
                continue;
            }
            if !first {
                self.out.push(',');
            }
            first = false;
            write_string(self.out, &key);
            self.out.push(':');
            self.out.push_str(&text);
        }
        self.out.push('}');
        if !self.close.is_empty() {
            self.out.push_str(self.close);
            self.ctx.path.pop();
        }
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(map_key(key)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError::Serialize("a map value without its key".to_owned()))?;
        self.member(key, value)
    }
    fn end(self) -> Result<(), SerError> {
        self.finish()
    }
}

/// serde's two kinds of struct, both written as an object.
macro_rules! structure {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Object<'_> {
            type Ok = ();
            type Error = SerError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), SerError> {
                self.member(key.to_owned(), value)
            }
            fn end(self) -> Result<(), SerError> {
                self.finish()
            }
        }
    )*};
}

structure!(SerializeStruct, SerializeStructVariant);

/// A map key as `serde_json` makes it: a string, or what it turns into one.
fn map_key<T: Serialize + ?Sized>(key: &T) -> Result<String, SerError> {
    // A string, the usual key (every detail of every finding), as it is.
    if let Ok(Value::String(s)) = key.serialize(serde_json::value::Serializer) {
        return Ok(s);
    }
    // Anything else by `serde_json`'s own key rules (numbers, booleans,
    // unit variants), through a one-member map of it.
    struct One<'k, K: ?Sized>(&'k K);
    impl<K: Serialize + ?Sized> Serialize for One<'_, K> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(self.0, &())?;
            m.end()
        }
    }
    match to_value(One(key))? {
        Value::Object(map) => map.into_iter().next().map(|(k, _)| k),
        _ => None,
    }
    .ok_or_else(|| SerError::Serialize("a map key that is not a string".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn streamed<T: Serialize + ?Sized>(v: &T, protect: bool) -> Result<String, SerError> {
        let mut out = String::new();
        write_serialized(&mut out, v, &[], protect, &[])?;
        Ok(out)
    }

    fn through_value<T: Serialize + ?Sized>(v: &T, protect: bool) -> String {
        let mut value = serde_json::to_value(v).unwrap();
        if protect {
            crate::record::protect_large_integers(&mut value);
        }
        super::super::to_string(&value).unwrap()
    }

    #[derive(serde::Serialize)]
    enum Shape {
        Unit,
        New(u8),
        Tuple(i32, String),
        Struct { b: f64, a: Option<u64> },
    }

    #[derive(serde::Serialize)]
    struct Outer {
        z: Vec<Shape>,
        #[serde(flatten)]
        rest: BTreeMap<String, Value>,
        a: (char, bool, ()),
        bytes: serde_bytes_like::Bytes,
    }

    mod serde_bytes_like {
        /// Serialises through `serialize_bytes`.
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    /// Writes what the `Value` path writes, for values of every shape serde
    /// has: keys out of order and beyond the BMP, escapes, floats, large
    /// integers protected, variants, flattened maps, bytes, a key twice.
    #[test]
    fn the_same_text_as_through_a_value() {
        let values = [
            json!({"b": [1, 2.5, -0.0, 1e21, "x\u{e9}\n\u{1}"], "a": {"\u{10000}": 1, "\u{e000}": 2, "": null}}),
            json!([
                9007199254740991u64,
                9007199254740992u64,
                -9007199254740993i64,
                1e300,
                true
            ]),
            json!({"deep": [[[[{"k": [{}], "j": []}]]]]}),
        ];
        for v in &values {
            assert_eq!(streamed(v, true).unwrap(), through_value(v, true), "{v}");
        }
        let mut rest = BTreeMap::new();
        rest.insert("m".to_owned(), json!({"y": 1, "x": [null]}));
        rest.insert(
            "z".to_owned(),
            json!("flattened over the field of the same name"),
        );
        let outer = Outer {
            z: vec![
                Shape::Unit,
                Shape::New(7),
                Shape::Tuple(-3, "t".to_owned()),
                Shape::Struct {
                    b: f64::NAN,
                    a: Some(u64::MAX),
                },
                Shape::Struct { b: 0.1, a: None },
            ],
            rest,
            a: ('"', false, ()),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
        };
        assert_eq!(streamed(&outer, true).unwrap(), through_value(&outer, true));
        let mut keyed = BTreeMap::new();
        keyed.insert(10u32, "ten");
        keyed.insert(9u32, "nine");
        assert_eq!(
            streamed(&keyed, false).unwrap(),
            through_value(&keyed, false)
        );
    }

    /// Without protection a large number is refused at its pointer; nesting
    /// beyond the limit is refused either way; members named in `skip` are
    /// left out of the top-level object only.
    #[test]
    fn refusals_and_skipped_members() {
        let big = json!({"a": {"b~/": [1, 9007199254740992u64]}});
        match streamed(&big, false) {
            Err(SerError::Canonical(e)) => assert_eq!(e.pointer(), "/a/b~0~1/1"),
            other => panic!("{other:?}"),
        }
        let mut deep = json!(1);
        for _ in 0..=MAX_DEPTH {
            deep = json!([deep]);
        }
        assert!(matches!(
            streamed(&deep, true),
            Err(SerError::Canonical(CanonicalError::TooDeep(_)))
        ));
        let v = json!({"keep": {"drop": 1}, "drop": 2});
        let mut out = String::new();
        write_serialized(&mut out, &v, &["x", "0"], true, &["drop"]).unwrap();
        assert_eq!(out, r#"{"keep":{"drop":1}}"#);
    }
}
