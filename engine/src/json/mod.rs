//! Reading untrusted JSON: strict parsing and finding values by JSON pointer.
//!
//! `serde_json` silently keeps the last of duplicate keys, and its errors know
//! a line and column but not which value was wrong once parsing succeeded. A
//! release gate reads files no one here has seen, some of them hostile, so:
//! - [`parse`] rejects duplicate keys and caps nesting (serde_json's own
//!   recursion limit of 128, which also bounds every later recursive walk);
//! - [`locate`] maps a JSON pointer back to the byte range of the value in the
//!   original text, so a schema violation found on the parsed tree can be shown
//!   at its line and column. It runs only when there is something to report.

pub mod doc;
mod locate;

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::diag::{Code, Location, Problem};
use crate::source::SourceFile;

pub use doc::{Doc, DocError, shared};
pub use locate::{LocateCache, element_starts, escape_pointer_token, locate, locate_cached};

/// 1-based line and character column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = text.get(..offset).unwrap_or_default();
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

/// Byte offset of a 1-based line and column (column in characters).
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text.get(start..).and_then(|t| t.find('\n')) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let rest = text.get(start..).unwrap_or_default();
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    start + within
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Parses a JSON document strictly: duplicate keys and over-deep nesting are
/// errors, each reported at its line and column.
pub fn parse(file: &SourceFile) -> Result<Value, Problem> {
    let text = file.text();
    let mut de = serde_json::Deserializer::from_str(&text);
    let value = StrictSeed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    value.map_err(|e| syntax_problem(file, &e))
}

/// [`parse`] into the compact [`Doc`] (for large inputs: an SBOM's
/// `Value` takes about ten times its text, its document about twice), with
/// the same checks and errors.
pub fn parse_doc(file: &SourceFile) -> Result<Doc, Problem> {
    Doc::parse(&file.text()).map_err(|e| syntax_problem(file, &e))
}

fn syntax_problem(file: &SourceFile, e: &serde_json::Error) -> Problem {
    let text = file.text();
    let offset = offset_of(&text, e.line(), e.column().saturating_sub(1).max(1));
    let msg = e.to_string();
    // serde_json appends " at line L column C"; our location says it better.
    let msg = msg
        .rfind(" at line ")
        .and_then(|i| msg.get(..i))
        .unwrap_or(&msg)
        .to_string();
    let (code, help) = if msg.starts_with("recursion limit exceeded") {
        (
            Code::JsonTooDeep,
            "JSON nested deeper than 128 levels is refused; no evidence format needs it",
        )
    } else if msg.starts_with("duplicate key") {
        (
            Code::JsonDuplicateKey,
            "remove one of the two: readers disagree on which one wins",
        )
    } else {
        (
            Code::JsonSyntax,
            "fix the JSON syntax at the marked position",
        )
    };
    let loc = Location::span(file.display_shared(), &text, offset..offset + 1);
    Problem::error(code, format!("invalid JSON in `{}`: {msg}", file.display()))
        .with_help(help)
        .at(loc)
}

struct StrictSeed;

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(StrictSeed)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match out.entry(key) {
                serde_json::map::Entry::Occupied(e) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate key `{}`",
                        e.key()
                    )));
                }
                serde_json::map::Entry::Vacant(e) => {
                    e.insert(map.next_value_seed(StrictSeed)?);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// A `Location` for the value at `pointer` in `file` (the whole file if the
/// pointer cannot be found, which happens only for synthetic pointers).
pub fn location_of(file: &SourceFile, pointer: &str) -> Location {
    let text = file.text();
    match locate_cached(&text, pointer, Some(file.locate_cache())) {
        Some(range) => {
            let (line, column) = file.line_col_in(&text, range.start);
            Location::span_at(file.display_shared(), &text, range, line, column)
                .with_pointer(pointer)
        }
        None => Location::file(file.display_shared()).with_pointer(pointer),
    }
}

/// Where the value at `pointer` in `file` starts: file, pointer, line and
/// column, without the span a diagnostic underlines (what a rule's finding
/// carries; a large SBOM has thousands). The whole file when the pointer
/// cannot be found.
pub fn position_of(file: &SourceFile, pointer: &str) -> Location {
    if let Some((line, column)) = file.element_position(pointer) {
        return Location::line_col(file.display_shared(), line, column).with_pointer(pointer);
    }
    let text = file.text();
    let location = match locate::start_cached(&text, pointer, Some(file.locate_cache())) {
        Some(start) => {
            let (line, column) = file.line_col_in(&text, start);
            Location::line_col(file.display_shared(), line, column)
        }
        None => Location::file(file.display_shared()),
    };
    location.with_pointer(pointer)
}

/// Shared text type used by sources and diagnostics.
pub type Text = Arc<String>;

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> SourceFile {
        SourceFile::from_text("t.json", text)
    }

    #[test]
    fn positions_agree_with_locations_without_a_span() {
        let f = src("{\n  \"a\": {\"b\": [1,\n    {\"c\": \"é\"}]},\n  \"d\": null\n}");
        for pointer in ["", "/a", "/a/b/1", "/a/b/1/c", "/d", "/a/b/7", "/nope"] {
            let (pos, loc) = (position_of(&f, pointer), location_of(&f, pointer));
            assert_eq!(
                (&pos.file, &pos.pointer, pos.line, pos.column),
                (&loc.file, &loc.pointer, loc.line, loc.column),
                "{pointer}"
            );
            assert_eq!(pos.byte_range(), None);
        }
        assert_eq!(position_of(&f, "/a/b/1/c").line, Some(3));
        // The many locations in one file share its name.
        let (a, b) = (position_of(&f, "/a"), position_of(&f, "/nope"));
        assert!(Arc::ptr_eq(&a.file, f.display_shared()));
        assert!(Arc::ptr_eq(&b.file, f.display_shared()));
    }

    #[test]
    fn parses_plain_json() {
        let v = parse(&src(r#"{"a": [1, 2.5, "x", null, true]}"#)).unwrap();
        assert_eq!(v["a"][1], 2.5);
    }

    #[test]
    fn rejects_duplicate_keys_with_position() {
        let p = parse(&src("{\n  \"a\": 1,\n  \"a\": 2\n}")).unwrap_err();
        assert_eq!(p.code, Code::JsonDuplicateKey);
        assert!(p.message.contains("duplicate key `a`"), "{}", p.message);
        assert_eq!(p.location.unwrap().line, Some(3));
    }

    #[test]
    fn rejects_deep_nesting() {
        let deep = "[".repeat(100_000);
        let p = parse(&src(&deep)).unwrap_err();
        assert_eq!(p.code, Code::JsonTooDeep);
    }

    #[test]
    fn reports_syntax_error_position() {
        let p = parse(&src("{\n  \"a\": x\n}")).unwrap_err();
        assert_eq!(p.code, Code::JsonSyntax);
        let loc = p.location.unwrap();
        assert_eq!(loc.line, Some(2));
    }

    #[test]
    fn rejects_trailing_garbage() {
        assert!(parse(&src("{} {}")).is_err());
        assert!(parse_doc(&src("{} {}")).is_err());
    }

    #[test]
    fn documents_are_parsed_as_strictly_as_values() {
        for text in [
            "{\n  \"a\": 1,\n  \"a\": 2\n}",
            "{\n  \"a\": x\n}",
            &"[".repeat(200),
            "",
        ] {
            let (by_value, by_doc) = (
                parse(&src(text)).unwrap_err(),
                parse_doc(&src(text)).unwrap_err(),
            );
            assert_eq!(by_doc.code, by_value.code, "{text}");
            assert_eq!(by_doc.message, by_value.message, "{text}");
            assert_eq!(
                format!("{:?}", by_doc.location),
                format!("{:?}", by_value.location),
                "{text}"
            );
        }
    }

    #[test]
    fn line_col_and_offset_round_trip() {
        let t = "ab\ncdé\nf";
        for off in [0, 1, 3, 5, 8] {
            let (l, c) = line_col(t, off);
            assert_eq!(offset_of(t, l, c), off, "offset {off}");
        }
    }
}
