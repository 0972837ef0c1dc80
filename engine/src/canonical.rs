//! Canonical JSON (RFC 8785, the JSON Canonicalization Scheme).
//!
//! A certification record is signed over its bytes, and a replay must produce
//! the same bytes from the same evaluation, so the serialization cannot depend
//! on map order, whitespace or float printing. JCS fixes all three: object
//! keys sorted by their UTF-16 code units, no whitespace, strings escaped as
//! ECMAScript's `JSON.stringify` does and numbers printed as ECMAScript's
//! Number-to-String does (via `ryu-js`). Any JCS implementation in another
//! language (Go, Python, Java, JavaScript) reproduces these bytes.
//!
//! We write it ourselves rather than use `serde_jcs` because that crate
//! silently rounds integers beyond 2^53: a digest, a byte count or a policy's
//! detail would be signed with a different value than the evaluation saw. Here
//! every number whose magnitude exceeds 2^53 − 1 (I-JSON's interoperable
//! range, RFC 7493 §2.2) is an error naming its JSON pointer: callers write
//! such values as strings. That includes floats, because every double of that
//! size is an integer, and because `serde_json` reads an integer literal beyond
//! `u64` as an already rounded float.
//!
//! The workspace turns on `serde_json`'s `preserve_order`, so a `Map` iterates
//! in insertion order: the keys are sorted here, never assumed sorted.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use crate::diag::{Code, Problem};
use crate::json::escape_pointer_token;

mod ser;

pub use ser::{SerError, write_serialized};

/// The largest magnitude a number may have: 2^53 − 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// How deep a value may nest; far beyond any record, well within the stack.
pub const MAX_DEPTH: usize = 512;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A number beyond ±(2^53 − 1).
    #[error(
        "number `{}` at {} is beyond ±(2^53 − 1), which canonical JSON (RFC 8785) cannot carry exactly",
        .0.value, show_pointer(&.0.pointer)
    )]
    UnsafeNumber(UnsafeNumber),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("value at {} nests deeper than {MAX_DEPTH} levels", show_pointer(&.0.pointer))]
    TooDeep(TooDeep),
}

/// A number that canonical JSON cannot carry exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeNumber {
    /// JSON pointer (RFC 6901) of the number.
    pub pointer: String,
    /// The number as `serde_json` prints it.
    pub value: String,
}

/// A value nested too deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// JSON pointer (RFC 6901) of the value at the limit.
    pub pointer: String,
}

impl CanonicalError {
    /// JSON pointer of the offending value.
    pub fn pointer(&self) -> &str {
        match self {
            CanonicalError::UnsafeNumber(e) => &e.pointer,
            CanonicalError::TooDeep(e) => &e.pointer,
        }
    }
}

fn show_pointer(pointer: &str) -> String {
    if pointer.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`{pointer}`")
    }
}

impl From<CanonicalError> for Problem {
    fn from(e: CanonicalError) -> Self {
        match &e {
            CanonicalError::UnsafeNumber(_) => Problem::error(Code::JsonUnsafeNumber, e.to_string())
                .with_help("write numbers this large as strings: rounding them would sign a value the evaluation never saw"),
            CanonicalError::TooDeep(_) => Problem::error(Code::JsonTooDeep, e.to_string()),
        }
    }
}

/// The canonical (RFC 8785) bytes of `value`.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    to_string(value).map(String::into_bytes)
}

/// The canonical (RFC 8785) text of `value`.
pub fn to_string(value: &Value) -> Result<String, CanonicalError> {
    let mut w = Writer {
        out: String::new(),
        path: Vec::new(),
        splice: None,
        splice_failed: None,
    };
    w.value(value)?;
    Ok(w.out)
}

/// Writes the value at a member of `value`'s objects instead of the member's
/// own value (a placeholder): given the path of keys to it and a writer of
/// its canonical text.
pub struct Splice<'s> {
    /// Keys from the top to the member.
    pub at: &'s [&'s str],
    /// Appends the member's canonical text.
    pub write: &'s mut dyn FnMut(&mut String) -> Result<(), Problem>,
    /// Bytes to reserve for the whole text up front, so that it is not
    /// copied as it grows (reserved room never written takes no memory).
    pub reserve: usize,
}

/// The canonical text of `value` with one member written by `splice`: a
/// value too large to be made into a `Value` first (a record's results).
pub fn to_string_spliced(value: &Value, splice: Splice<'_>) -> Result<String, Problem> {
    let mut w = Writer {
        out: String::with_capacity(splice.reserve),
        path: Vec::new(),
        splice: Some(splice),
        splice_failed: None,
    };
    match w.value(value) {
        Ok(()) => match w.splice_failed.take() {
            Some(p) => Err(p),
            None => Ok(w.out),
        },
        Err(e) => Err(e.into()),
    }
}

/// One step of the path to the value being written, for error pointers.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

struct Writer<'a, 's> {
    out: String,
    path: Vec<Step<'a>>,
    splice: Option<Splice<'s>>,
    /// Why the splice could not be written (the rest is written anyway,
    /// and thrown away).
    splice_failed: Option<Problem>,
}

impl<'a> Writer<'a, '_> {
    fn pointer(&self) -> String {
        let mut p = String::new();
        for step in &self.path {
            p.push('/');
            match step {
                Step::Key(k) => p.push_str(&escape_pointer_token(k)),
                Step::Index(i) => {
                    let _ = write!(p, "{i}");
                }
            }
        }
        p
    }

    fn value(&mut self, value: &'a Value) -> Result<(), CanonicalError> {
        if self.path.len() > MAX_DEPTH {
            return Err(CanonicalError::TooDeep(TooDeep {
                pointer: self.pointer(),
            }));
        }
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(true) => self.out.push_str("true"),
            Value::Bool(false) => self.out.push_str("false"),
            Value::Number(n) => self.number(n)?,
            Value::String(s) => write_string(&mut self.out, s),
            Value::Array(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.path.push(Step::Index(i));
                    self.value(item)?;
                    self.path.pop();
                }
                self.out.push(']');
            }
            Value::Object(map) => self.object(map)?,
        }
        Ok(())
    }

    fn object(&mut self, map: &'a Map<String, Value>) -> Result<(), CanonicalError> {
        let mut entries: Vec<(&'a String, &'a Value)> = map.iter().collect();
        // RFC 8785 §3.2.3: by UTF-16 code units, which differs from UTF-8 byte
        // (code point) order for characters beyond the BMP vs U+E000..U+FFFF.
        entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        self.out.push('{');
        for (i, (key, item)) in entries.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_string(&mut self.out, key);
            self.out.push(':');
            self.path.push(Step::Key(key));
            if self.at_splice() {
                if let Some(s) = self.splice.as_mut()
                    && let Err(p) = (s.write)(&mut self.out)
                {
                    self.splice_failed.get_or_insert(p);
                }
            } else {
                self.value(item)?;
            }
            self.path.pop();
        }
        self.out.push('}');
        Ok(())
    }

    /// Whether the path is the splice's.
    fn at_splice(&self) -> bool {
        self.splice.as_ref().is_some_and(|s| {
            s.at.len() == self.path.len()
                && s.at
                    .iter()
                    .zip(&self.path)
                    .all(|(a, step)| matches!(step, Step::Key(k) if k == a))
        })
    }

    fn number(&mut self, n: &Number) -> Result<(), CanonicalError> {
        if write_number(&mut self.out, n) {
            return Ok(());
        }
        Err(CanonicalError::UnsafeNumber(UnsafeNumber {
            pointer: self.pointer(),
            value: n.to_string(),
        }))
    }
}

/// Appends `n` as ECMAScript prints it, or nothing and `false` when it is
/// beyond ±(2^53 − 1) (or not finite).
fn write_number(out: &mut String, n: &Number) -> bool {
    let safe = if let Some(u) = n.as_u64() {
        u <= MAX_SAFE_INTEGER
    } else if let Some(i) = n.as_i64() {
        i.unsigned_abs() <= MAX_SAFE_INTEGER
    } else {
        n.as_f64()
            .is_some_and(|f| f.is_finite() && f.abs() <= MAX_SAFE_INTEGER as f64)
    };
    if !safe {
        return false;
    }
    match (n.as_u64(), n.as_i64(), n.as_f64()) {
        // Integers in the safe range print as ECMAScript prints them: all digits.
        (Some(u), _, _) => {
            let _ = write!(out, "{u}");
        }
        (None, Some(i), _) => {
            let _ = write!(out, "{i}");
        }
        (None, None, Some(f)) => out.push_str(&format_number(f)),
        // Unreachable: a serde_json number is one of the three.
        (None, None, None) => out.push('0'),
    }
    true
}

/// `s` as a canonical JSON string literal, quotes included.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

/// ECMAScript's Number-to-String of a finite double (RFC 8785 §3.2.2.3);
/// `-0` prints as `0`. Non-finite values have no JSON form and print as `null`.
pub fn format_number(f: f64) -> String {
    if f == 0.0 {
        "0".to_owned()
    } else if f.is_finite() {
        ryu_js::Buffer::new().format_finite(f).to_owned()
    } else {
        "null".to_owned()
    }
}

/// A JSON string as `JSON.stringify` writes it (RFC 8785 §3.2.2.2): only `"`,
/// `\` and C0 controls are escaped, with the short forms where they exist and
/// lowercase `\u00xx` otherwise; everything else is literal UTF-8.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c < '\u{20}') {
        let (plain, tail) = rest.split_at(at);
        out.push_str(plain);
        let mut chars = tail.chars();
        match chars.next() {
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some('\u{8}') => out.push_str("\\b"),
            Some('\u{c}') => out.push_str("\\f"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            None => {}
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        to_string(v).unwrap()
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript text.
    #[test]
    fn rfc8785_number_vectors() {
        let vectors: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for &(bits, want) in vectors {
            let f = f64::from_bits(bits);
            assert_eq!(format_number(f), want, "bits {bits:#018x}");
            // Within the safe range the whole pipeline agrees; beyond it, error.
            let v = Value::from(f);
            match to_string(&v) {
                Ok(s) => assert_eq!(s, want, "bits {bits:#018x}"),
                Err(CanonicalError::UnsafeNumber(e)) => {
                    assert!(f.abs() > MAX_SAFE_INTEGER as f64, "{want} rejected");
                    assert_eq!(e.pointer, "");
                }
                Err(e) => panic!("{e}"),
            }
        }
        // NaN and ±Infinity have no JSON form (serde_json cannot hold them).
        assert_eq!(format_number(f64::NAN), "null");
    }

    #[test]
    fn small_numbers_print_like_ecmascript() {
        let v = json!([
            1.0,
            -1.5,
            0.1,
            100,
            -100,
            1e-7,
            123456789012.0,
            4.5e15,
            -0.0
        ]);
        assert_eq!(
            canon(&v),
            "[1,-1.5,0.1,100,-100,1e-7,123456789012,4500000000000000,0]"
        );
    }

    /// RFC 8785 §3.2.3: the sorting example, keys in UTF-16 code unit order.
    #[test]
    fn rfc8785_sorting_example() {
        let text = r#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let keys: Vec<String> = {
            let s = canon(&v);
            let back: Value = serde_json::from_str(&s).unwrap();
            back.as_object()
                .unwrap()
                .values()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            keys,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh",
            ]
        );
        assert!(canon(&v).starts_with(r#"{"\r":"Carriage Return","1":"One","#));
    }

    /// RFC 8785 §3.2.2: the serialization example (Appendix A-style input).
    #[test]
    fn rfc8785_serialization_example() {
        let text = r#"{
            "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        let v: Value = serde_json::from_str(text).unwrap();
        // 1E30 is beyond the safe range: rejected, never rounded or passed.
        let err = to_string(&v).unwrap_err();
        assert_eq!(err.pointer(), "/numbers/1");
        // Without it, the rest matches the RFC's expected output byte for byte.
        let mut v = v;
        v["numbers"].as_array_mut().unwrap().remove(1);
        assert_eq!(
            canon(&v),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,4.5,0.002,1e-27],\
             \"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
        );
    }

    #[test]
    fn strings_escape_exactly_the_required_characters() {
        let s: String = (0u8..0x20).map(char::from).collect::<String>() + "\"\\/\u{7f}\u{2028}é😀";
        let out = canon(&Value::String(s));
        assert_eq!(
            out,
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\
             \\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\
             \\\"\\\\/\u{7f}\u{2028}é😀\""
        );
    }

    #[test]
    fn insertion_order_does_not_matter_and_nothing_is_added() {
        let a = json!({"b": [1, {"z": null, "a": true}], "a": "x"});
        let b = json!({"a": "x", "b": [1, {"a": true, "z": null}]});
        assert_eq!(canon(&a), canon(&b));
        assert_eq!(canon(&a), r#"{"a":"x","b":[1,{"a":true,"z":null}]}"#);
        assert_eq!(canon(&json!({})), "{}");
        assert_eq!(canon(&json!([])), "[]");
        assert_eq!(to_vec(&a).unwrap(), canon(&a).into_bytes());
    }

    #[test]
    fn unsafe_integers_are_errors_naming_their_pointer() {
        let ok = json!({"n": [9007199254740991u64, -9007199254740991i64]});
        assert_eq!(canon(&ok), r#"{"n":[9007199254740991,-9007199254740991]}"#);

        let big = json!({"a/b": {"x~": [0, 9007199254740992u64]}});
        let err = to_string(&big).unwrap_err();
        assert_eq!(err.pointer(), "/a~1b/x~0/1");
        assert_eq!(
            err.to_string(),
            "number `9007199254740992` at `/a~1b/x~0/1` is beyond ±(2^53 − 1), which canonical JSON (RFC 8785) cannot carry exactly"
        );
        let problem = Problem::from(err);
        assert_eq!(problem.code, Code::JsonUnsafeNumber);
        assert!(problem.help.is_some());

        assert!(to_string(&json!(-9007199254740992i64)).is_err());
        assert!(to_string(&json!(u64::MAX)).is_err());
        // serde_json reads literals beyond u64 as (rounded) floats: still an error.
        let parsed: Value = serde_json::from_str("[18446744073709551616]").unwrap();
        assert_eq!(to_string(&parsed).unwrap_err().pointer(), "/0");
    }

    #[test]
    fn too_deep_is_an_error_not_a_crash() {
        let mut v = json!(1);
        for _ in 0..=MAX_DEPTH {
            v = json!([v]);
        }
        let err = to_string(&v).unwrap_err();
        assert!(matches!(err, CanonicalError::TooDeep(_)), "{err}");
        assert_eq!(Problem::from(err).code, Code::JsonTooDeep);
    }
}
