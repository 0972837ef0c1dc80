//! Reading a [`Val`] into serde types, as `serde_json` reads a `&Value`:
//! strings are borrowed from the document, and what a type cannot take fails
//! with the message serde_json would give for the same value.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
};

use super::{Arr, DocError, Kind, Obj, Val};

impl de::Error for DocError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DocError(msg.to_string())
    }
}

impl<'a> Val<'a> {
    fn unexpected(self) -> Unexpected<'a> {
        match self.kind() {
            Kind::Null => Unexpected::Unit,
            Kind::Bool(b) => Unexpected::Bool(b),
            Kind::Int(i) => Unexpected::Signed(i),
            Kind::UInt(u) => Unexpected::Unsigned(u),
            Kind::Float(f) => Unexpected::Float(f),
            Kind::Str(s) => Unexpected::Str(s),
            Kind::Array(_) => Unexpected::Seq,
            Kind::Object(_) => Unexpected::Map,
        }
    }
}

fn visit_array<'a, V: Visitor<'a>>(a: Arr<'a>, visitor: V) -> Result<V::Value, DocError> {
    let len = a.len();
    let mut seq = Elements(a.iter());
    let value = visitor.visit_seq(&mut seq)?;
    if seq.0.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(len, &"fewer elements in array"))
    }
}

fn visit_object<'a, V: Visitor<'a>>(o: Obj<'a>, visitor: V) -> Result<V::Value, DocError> {
    let len = o.len();
    let mut map = Members {
        iter: o.iter(),
        value: None,
    };
    let value = visitor.visit_map(&mut map)?;
    if map.iter.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(len, &"fewer elements in map"))
    }
}

impl<'a> Deserializer<'a> for Val<'a> {
    type Error = DocError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DocError> {
        match self.kind() {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(b),
            Kind::Int(i) => visitor.visit_i64(i),
            Kind::UInt(u) => visitor.visit_u64(u),
            Kind::Float(f) => visitor.visit_f64(f),
            Kind::Str(s) => visitor.visit_borrowed_str(s),
            Kind::Array(a) => visit_array(a, visitor),
            Kind::Object(o) => visit_object(o, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DocError> {
        match self.kind() {
            Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DocError> {
        visitor.visit_newtype_struct(self)
    }

    /// A unit variant is its name; any other variant an object with one
    /// member, the name, holding its content.
    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DocError> {
        match self.kind() {
            Kind::Str(s) => visitor.visit_enum(de::value::BorrowedStrDeserializer::new(s)),
            Kind::Object(o) if o.len() == 1 => {
                visitor.visit_enum(de::value::MapAccessDeserializer::new(Members {
                    iter: o.iter(),
                    value: None,
                }))
            }
            Kind::Object(_) => Err(de::Error::invalid_value(
                Unexpected::Map,
                &"map with a single key",
            )),
            _ => Err(de::Error::invalid_type(self.unexpected(), &"string or map")),
        }
    }

    /// What no field takes is skipped without being read.
    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DocError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

impl<'a> IntoDeserializer<'a, DocError> for Val<'a> {
    type Deserializer = Val<'a>;
    fn into_deserializer(self) -> Val<'a> {
        self
    }
}

/// An array's elements, read one by one.
struct Elements<I>(I);

impl<'a, I: Iterator<Item = Val<'a>>> SeqAccess<'a> for Elements<I> {
    type Error = DocError;
    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DocError> {
        self.0.next().map(|v| seed.deserialize(v)).transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint().1
    }
}

/// An object's members, read one by one.
struct Members<'a, I> {
    iter: I,
    value: Option<Val<'a>>,
}

impl<'a, I: Iterator<Item = (&'a str, Val<'a>)>> MapAccess<'a> for Members<'a, I> {
    type Error = DocError;
    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DocError> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DocError> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a map value without a key")),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        self.iter.size_hint().1
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::super::Doc;

    #[derive(Deserialize, Debug, PartialEq)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, String),
        Struct { a: Vec<u8> },
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct S<'a> {
        #[serde(borrow)]
        name: &'a str,
        escaped: String,
        list: Vec<E>,
        map: BTreeMap<String, Option<f64>>,
        small: i8,
        big: u64,
        unit: (),
        pair: (bool, char),
        #[serde(default)]
        absent: Option<u32>,
    }

    /// `T` read from a document and from a `serde_json::Value` of the same
    /// text: the same value, or the same error message.
    fn same<'a, T>(doc: &'a Doc, value: &'a Value) -> Result<T, String>
    where
        T: Deserialize<'a> + PartialEq + fmt::Debug,
    {
        let from_doc = T::deserialize(doc.root()).map_err(|e| e.to_string());
        let from_value = T::deserialize(value).map_err(|e| e.to_string());
        assert_eq!(from_doc, from_value);
        from_doc
    }

    use std::fmt;

    fn both(value: Value) -> (Doc, Value) {
        (Doc::parse(&value.to_string()).unwrap(), value)
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let (doc, value) = both(json!({
            "name": "n", "escaped": "a\"b\u{e9}", "unknown": {"deep": [1, 2]},
            "list": ["Unit", {"New": 3}, {"Tuple": [4, "t"]}, {"Struct": {"a": [1, 2]}}],
            "map": {"x": 1.5, "y": null, "z": 2}, "small": -3, "big": 7,
            "unit": null, "pair": [true, "c"],
        }));
        let s: S<'_> = same(&doc, &value).unwrap();
        assert_eq!(s.name, "n");
        assert_eq!(s.list.len(), 4);
        assert_eq!(s.absent, None);
    }

    #[test]
    fn fails_with_serde_jsons_messages() {
        for bad in [
            json!({"name": 5}),
            json!({"name": "n", "escaped": "e", "list": {}, "map": {}}),
            json!({"name": "n", "escaped": "e", "list": [], "map": [], "small": 1}),
            json!({"name": "n", "escaped": "e", "list": [], "map": {}, "small": 300}),
            json!({"name": "n", "escaped": "e", "list": [], "map": {}, "small": 1.5}),
            json!({"name": "n", "escaped": "e", "list": [], "map": {}, "small": 1, "big": -1}),
            json!({"name": "n", "escaped": "e", "list": [{"Unit": 1, "New": 2}]}),
            json!({"name": "n", "escaped": "e", "list": [7]}),
            json!({"name": "n", "escaped": "e", "list": ["Nope"]}),
            json!({"name": "n", "escaped": "e", "list": [], "map": {},
                   "small": 1, "big": 1, "unit": null, "pair": [true, "c", 3]}),
            json!(["n"]),
            json!("text"),
        ] {
            let (doc, value) = both(bad);
            let e = same::<S<'_>>(&doc, &value).unwrap_err();
            assert!(!e.is_empty());
        }
    }
}
