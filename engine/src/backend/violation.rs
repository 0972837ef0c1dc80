//! What a rule reports: a message and its details.
//!
//! A rule can report thousands of violations (one per component of a large
//! SBOM), each kept until the record is written. Details are therefore not a
//! `serde_json::Map` — 104 bytes an entry plus a hash index, and a key string
//! each — but a boxed slice of entries: the keys rules use most are shared
//! ([`KNOWN_KEYS`]), a string value (nearly every detail is one) is stored as
//! just its text, and one a rule repeats from violation to violation (the
//! file) once ([`Repeats`]). They serialise exactly as the map they were read
//! from.

use std::sync::{Arc, LazyLock};

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

/// One violation a rule reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// What is wrong.
    pub msg: String,
    /// Everything else the rule said about it (`purl`, `artifact`, `region`,
    /// `pointer`, ...), as the rule wrote it.
    #[serde(skip_serializing_if = "Details::is_empty", flatten)]
    pub details: Details,
}

impl Violation {
    /// A violation with a message only.
    pub fn new(msg: impl Into<String>) -> Violation {
        Violation {
            msg: msg.into(),
            details: Details::default(),
        }
    }

    /// Reads a rule result: a string, or an object with `msg` and details.
    pub fn from_value(v: Value, default_msg: &str) -> Result<Violation, String> {
        match v {
            Value::String(msg) => Ok(Violation::new(msg)),
            Value::Object(details) => {
                let mut entries: Vec<(String, Value)> = details.into_iter().collect();
                let msg = match take_msg(&mut entries) {
                    Some(Value::String(s)) => s,
                    Some(other) => return Err(format!("`msg` must be a string, found `{other}`")),
                    None => default_msg.to_owned(),
                };
                Ok(Violation {
                    msg,
                    details: entries.into_iter().collect(),
                })
            }
            other => Err(format!(
                "a result must be a string or an object with `msg`, found `{}`",
                super::truncate(&other.to_string(), 80)
            )),
        }
    }

    /// A string detail, if present.
    pub fn detail(&self, key: &str) -> Option<&str> {
        self.details.str(key)
    }
}

/// Takes the `msg` entry out of a result's entries. Its place goes to the
/// last entry, as `serde_json`'s `Map::remove` (a swap remove) has always
/// left it: records keep their bytes whichever way a result is read.
pub(crate) fn take_msg<K: AsRef<str>, V>(entries: &mut Vec<(K, V)>) -> Option<V> {
    let at = entries.iter().position(|(k, _)| k.as_ref() == "msg")?;
    Some(entries.swap_remove(at).1)
}

/// Detail keys stored once for every violation that uses them: the ones the
/// shipped bundles write.
const KNOWN_KEYS: [&str; 8] = [
    "file",
    "pointer",
    "component",
    "purl",
    "artifact",
    "region",
    "jurisdiction",
    "provider",
];

/// Details up to this many are searched by a scan when a key comes again.
const SCANNED_DETAILS: usize = 16;

static SHARED_KEYS: LazyLock<[Arc<str>; KNOWN_KEYS.len()]> =
    LazyLock::new(|| KNOWN_KEYS.map(Arc::from));

/// A detail's key: shared when it is one of [`KNOWN_KEYS`].
fn key(k: &str) -> Arc<str> {
    SHARED_KEYS
        .iter()
        .find(|known| &***known == k)
        .map_or_else(|| Arc::from(k), Arc::clone)
}

/// What a rule said about a violation besides its message, in the rule's
/// order (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details(Box<[(Arc<str>, Detail)]>);

/// One detail's value.
#[derive(Debug, Clone)]
pub enum Detail {
    /// A string, the usual case.
    Str(Box<str>),
    /// A string many violations of a rule give alike (the file they are
    /// in), stored once for all of them ([`Repeats`]).
    Shared(Arc<str>),
    /// Any other JSON value.
    Json(Box<Value>),
}

impl Detail {
    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Detail::Str(s) => Some(s),
            Detail::Shared(s) => Some(s),
            Detail::Json(v) => v.as_str(),
        }
    }

    /// As a JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            Detail::Str(_) | Detail::Shared(_) => {
                Value::String(self.as_str().unwrap_or_default().to_owned())
            }
            Detail::Json(v) => (**v).clone(),
        }
    }
}

/// Equal when they are the same JSON value, however stored.
impl PartialEq for Detail {
    fn eq(&self, other: &Detail) -> bool {
        match (self, other) {
            (Detail::Json(a), Detail::Json(b)) => a == b,
            (Detail::Json(_), _) | (_, Detail::Json(_)) => false,
            _ => self.as_str() == other.as_str(),
        }
    }
}

/// String details that repeat from one violation of a rule to the next,
/// stored once: a rule over 100,000 components reports the same `file` in
/// each of its violations.
#[derive(Default)]
pub(crate) struct Repeats<'v> {
    last: Vec<LastValue<'v>>,
}

/// Per key: the last value given, and its shared copy once it repeated.
type LastValue<'v> = (Box<str>, &'v str, Option<Arc<str>>);

impl<'v> Repeats<'v> {
    /// `value` of detail `key`: shared when the previous violation gave the
    /// same.
    pub(crate) fn detail(&mut self, key: &str, value: &'v str) -> Detail {
        match self.last.iter_mut().find(|(k, _, _)| &**k == key) {
            Some((_, last, shared)) if *last == value => {
                Detail::Shared(Arc::clone(shared.get_or_insert_with(|| Arc::from(value))))
            }
            Some((_, last, shared)) => {
                (*last, *shared) = (value, None);
                Detail::Str(value.into())
            }
            None => {
                // Rules write a handful of keys: anything beyond is not kept.
                if self.last.len() < 16 {
                    self.last.push((key.into(), value, None));
                }
                Detail::Str(value.into())
            }
        }
    }
}

impl From<Value> for Detail {
    fn from(v: Value) -> Detail {
        match v {
            Value::String(s) => Detail::Str(s.into_boxed_str()),
            other => Detail::Json(Box::new(other)),
        }
    }
}

impl Serialize for Detail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Detail::Str(_) | Detail::Shared(_) => {
                s.serialize_str(self.as_str().unwrap_or_default())
            }
            Detail::Json(v) => v.serialize(s),
        }
    }
}

impl Details {
    /// No details?
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The detail `key`.
    pub fn get(&self, key: &str) -> Option<&Detail> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    /// The detail `key` when it is a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Detail::as_str)
    }

    /// Key and value of each detail, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Detail)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// As a JSON object, in order.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_value()))
            .collect()
    }
}

impl<K: AsRef<str>, V: Into<Detail>> FromIterator<(K, V)> for Details {
    /// Details in the iterator's order. A key given twice keeps its first
    /// place and its last value, as a JSON object read into a map does.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Details {
        let mut entries: Vec<(Arc<str>, Detail)> = Vec::new();
        // Beyond a few details (a rule may return an object with any number
        // of members), keys are found by hash, not by a scan each.
        let mut places: foldhash::HashMap<Arc<str>, usize> = foldhash::HashMap::default();
        for (k, v) in iter {
            let (k, v) = (k.as_ref(), v.into());
            let place = if entries.len() < SCANNED_DETAILS {
                entries.iter().position(|(have, _)| &**have == k)
            } else {
                if places.is_empty() {
                    places.extend(
                        entries
                            .iter()
                            .enumerate()
                            .map(|(i, (k, _))| (Arc::clone(k), i)),
                    );
                }
                places.get(k).copied()
            };
            match place.and_then(|i| entries.get_mut(i)) {
                Some(entry) => entry.1 = v,
                None => {
                    let k = key(k);
                    if !places.is_empty() {
                        places.insert(Arc::clone(&k), entries.len());
                    }
                    entries.push((k, v));
                }
            }
        }
        Details(entries.into_boxed_slice())
    }
}

impl From<Map<String, Value>> for Details {
    fn from(map: Map<String, Value>) -> Details {
        map.into_iter().collect()
    }
}

impl Serialize for Details {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_serialise_as_the_object_they_were_read_from() {
        let value = json!({
            "purl": "pkg:npm/x@1", "n": 3, "nested": {"a": [1, null]},
            "msg": "bad", "file": "sbom.json", "pointer": "/components/0"
        });
        let v = Violation::from_value(value.clone(), "default").unwrap();
        let mut map = value.as_object().unwrap().clone();
        map.remove("msg");
        assert_eq!(v.msg, "bad");
        assert_eq!(
            serde_json::to_string(&v.details).unwrap(),
            serde_json::to_string(&map).unwrap(),
            "the order of the map after `msg` is removed"
        );
        assert_eq!(v.details.to_map(), map);
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            json!({"msg": "bad", "purl": "pkg:npm/x@1", "n": 3, "nested": {"a": [1, null]},
                   "file": "sbom.json", "pointer": "/components/0"})
        );
        assert_eq!(v.detail("purl"), Some("pkg:npm/x@1"));
        assert_eq!(v.detail("n"), None, "not a string");
        assert_eq!(v.details.get("n"), Some(&Detail::Json(Box::new(json!(3)))));
        assert_eq!(v.details.len(), 5);
    }

    #[test]
    fn known_keys_are_shared_between_violations() {
        let a: Details = [("purl", json!("a")), ("x", json!("b"))]
            .into_iter()
            .collect();
        let b: Details = [("purl", json!("c")), ("x", json!("d"))]
            .into_iter()
            .collect();
        assert!(Arc::ptr_eq(&a.0[0].0, &b.0[0].0));
        assert!(!Arc::ptr_eq(&a.0[1].0, &b.0[1].0));
    }

    #[test]
    fn repeated_string_details_are_stored_once() {
        let mut repeats = Repeats::default();
        let files = ["a.json", "a.json", "a.json", "b.json", "b.json", "a.json"];
        let details: Vec<Detail> = files.iter().map(|f| repeats.detail("file", f)).collect();
        let got: Vec<Option<&str>> = details.iter().map(Detail::as_str).collect();
        assert_eq!(got, files.map(Some));
        let shared = |i: usize| match &details[i] {
            Detail::Shared(s) => Some(s),
            _ => None,
        };
        assert!(shared(0).is_none() && shared(3).is_none() && shared(5).is_none());
        assert!(Arc::ptr_eq(shared(1).unwrap(), shared(2).unwrap()));
        assert!(shared(4).is_some());
        assert_eq!(details[0], details[1], "equal however stored");
        assert_eq!(serde_json::to_string(&details[1]).unwrap(), r#""a.json""#);
        assert_eq!(details[1].to_value(), json!("a.json"));
        assert_ne!(details[0], Detail::Json(Box::new(json!(1))));
    }

    #[test]
    fn many_details_keep_their_order_and_last_values() {
        let n = 5_000;
        let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
        let given = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), json!(i)))
            .chain([("k3", json!("again")), ("k4999", json!("last"))]);
        let d: Details = given.collect();
        assert_eq!(d.len(), n);
        let got: Vec<&str> = d.iter().map(|(k, _)| k).collect();
        assert_eq!(got, keys.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(d.str("k3"), Some("again"));
        assert_eq!(d.str("k4999"), Some("last"));
        assert_eq!(d.get("k20"), Some(&Detail::Json(Box::new(json!(20)))));
    }

    #[test]
    fn a_key_twice_keeps_its_first_place_and_last_value() {
        let d: Details = [("a", json!(1)), ("b", json!(2)), ("a", json!("3"))]
            .into_iter()
            .collect();
        assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"a":"3","b":2}"#);
    }

    #[test]
    fn results_that_are_not_violations_are_refused() {
        assert_eq!(
            Violation::from_value(json!("m"), "d").unwrap(),
            Violation::new("m")
        );
        assert_eq!(
            Violation::from_value(json!({}), "d").unwrap(),
            Violation::new("d")
        );
        let v = Violation::from_value(json!({"purl": "p"}), "default").unwrap();
        assert_eq!((v.msg.as_str(), v.detail("purl")), ("default", Some("p")));
        assert!(Violation::from_value(json!(3), "d").is_err());
        assert_eq!(
            Violation::from_value(json!({"msg": 1}), "d").unwrap_err(),
            "`msg` must be a string, found `1`"
        );
        assert!(
            Violation::from_value(json!([1]), "d")
                .unwrap_err()
                .starts_with("a result must be a string or an object with `msg`")
        );
    }
}
