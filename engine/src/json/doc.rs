//! A compact, read-only JSON document: the policy input as the engines read it.
//!
//! A `serde_json::Value` spends about 2.7 KB on each component of a
//! normalised SBOM: every object is an ordered hash map with its own key
//! strings, every value 80 bytes. A [`Doc`] keeps the same tree in a few flat
//! tables: a 16-byte cell per value (one for all its nulls), 12 bytes per
//! object member, 4 per array element, and all strings in one buffer where
//! each object key, and each short string value, is stored once however often
//! it repeats. The input of a 10,000-component SBOM takes about a quarter of
//! the memory, is built without the allocator's help per value, and is
//! dropped in a few frees.
//!
//! It is built by serialising anything that implements `Serialize` into it
//! ([`Doc::build`]), so the input document needs no intermediate
//! `serde_json::Value`, or by parsing JSON text ([`Doc::parse`]: SBOMs), and
//! it serialises back (`impl Serialize for Val`) to exactly the JSON text
//! `serde_json` writes for the same value: member order, numbers and escapes
//! included. A document can be checked against a JSON Schema ([`DocJson`])
//! and read into serde types (`Val` is a `Deserializer`) where it is.
//!
//! A value that many places of the input share (one parsed license for
//! every component under it) is built once when it is serialised through
//! [`shared`]: every place then reads the same cells. Any other serializer
//! sees the value itself, so the JSON text is unchanged.
//!
//! Objects keep their members in order; one with more than
//! [`INDEXED_OBJECT`] members also gets a sorted index so lookups in large maps
//! stay logarithmic. A key given twice in one object is an error (a
//! `serde_json` map would silently keep one of them).

mod de;
mod parse;
mod schema;

pub use schema::DocJson;

use std::fmt;

use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// The newtype-struct name [`shared`] serialises under: [`Doc::build`]
/// builds the value behind it once per build.
const SHARED_SUBTREE: &str = "$shipgate::json::shared";

/// Serialises the value in `value` (for `#[serde(serialize_with)]`) so that a
/// document builds it once however many places hold the same `Arc`; other
/// serializers see the value itself (a newtype struct is transparent to
/// `serde_json`).
pub fn shared<T: Serialize, S: Serializer>(
    value: &std::sync::Arc<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_newtype_struct(SHARED_SUBTREE, &**value)
}

/// Objects with more members than this get a sorted index for lookups.
pub const INDEXED_OBJECT: usize = 16;

/// String values up to this many bytes are stored once however often they
/// occur (object keys always are)...
const SHARED_STRING: usize = 48;

/// ... the first this many distinct ones: values that repeat (a component
/// type, a license id, the SBOM's file name) come early, and names, versions
/// and purls, which rarely repeat, would only grow the table.
const SHARED_VALUES: usize = 4096;

/// A JSON document in flat tables (see the module documentation).
#[derive(Clone, Default)]
pub struct Doc {
    cells: Vec<Cell>,
    items: Vec<u32>,
    members: Vec<Member>,
    index: Vec<u32>,
    text: String,
    root: u32,
}

/// A string in [`Doc::text`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Clone, Copy, Debug)]
struct Member {
    key: Span,
    value: u32,
}

#[derive(Clone, Copy, Debug)]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Span),
    /// `items[first..first + len]`.
    Array {
        first: u32,
        len: u32,
    },
    /// `members[first..first + len]`; `index[sorted..sorted + len]` holds the
    /// members' positions sorted by key when `len > INDEXED_OBJECT`.
    Object {
        first: u32,
        len: u32,
        sorted: u32,
    },
}

/// Why a value could not be made into a [`Doc`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError(String);

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DocError {}

impl ser::Error for DocError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DocError(msg.to_string())
    }
}

fn too_large() -> DocError {
    DocError("the input document is larger than 4 GiB".to_owned())
}

fn index_of(n: usize) -> Result<u32, DocError> {
    u32::try_from(n).map_err(|_| too_large())
}

impl Doc {
    /// Serialises `value` into a document.
    ///
    /// `value` is serialised twice: once to count what the document's tables
    /// will hold, then into tables made at that size. Grown by doubling
    /// instead, their outgrown copies would stay resident (the allocator
    /// keeps freed pages for a while): 3–4 MiB of the peak of a check of a
    /// 10,000-component SBOM.
    pub fn build<T: Serialize + ?Sized>(value: &T) -> Result<Doc, DocError> {
        let mut counter = Builder {
            count: Some(Sizes::default()),
            ..Builder::default()
        };
        value.serialize(&mut counter)?;
        let mut b = Builder::new();
        b.reserve(counter.count.unwrap_or_default());
        let root = value.serialize(&mut b)?;
        Ok(b.finish(root))
    }

    /// The document of a `serde_json` value (which cannot hold a key twice,
    /// so this cannot fail short of 4 GiB).
    pub fn from_value(value: &Value) -> Result<Doc, DocError> {
        Doc::build(value)
    }

    /// The root value.
    pub fn root(&self) -> Val<'_> {
        Val {
            doc: self,
            cell: self.root,
        }
    }

    /// A `null` of this document, for absent values.
    pub fn null(&self) -> Val<'_> {
        Val { doc: self, cell: 0 }
    }

    fn str(&self, s: Span) -> &str {
        let start = s.start as usize;
        self.text
            .get(start..start + s.len as usize)
            .unwrap_or_default()
    }

    fn bytes(&self, s: Span) -> &[u8] {
        let start = s.start as usize;
        self.text
            .as_bytes()
            .get(start..start + s.len as usize)
            .unwrap_or_default()
    }

    fn cell(&self, i: u32) -> Cell {
        self.cells.get(i as usize).copied().unwrap_or(Cell::Null)
    }
}

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.root(), f)
    }
}

// ---------------------------------------------------------------------------
// Reading.

/// Whether two keys are the same: lengths, then first bytes, before the call
/// that compares all the bytes (keys of one object mostly differ in those).
pub(crate) fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a == b
}

/// Where a field was found last, for [`Obj::get_hinted`]: the document, the
/// member's position and its key's span. The default hint is no hint.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KeyHint {
    doc: usize,
    index: u32,
    key: Span,
}

/// A value in a [`Doc`]: a copyable handle.
#[derive(Clone, Copy)]
pub struct Val<'a> {
    doc: &'a Doc,
    cell: u32,
}

/// What a [`Val`] is.
#[derive(Clone, Copy, Debug)]
pub enum Kind<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number given as a signed integer.
    Int(i64),
    /// A number given as an unsigned integer.
    UInt(u64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string.
    Str(&'a str),
    /// An array.
    Array(Arr<'a>),
    /// An object.
    Object(Obj<'a>),
}

impl<'a> Val<'a> {
    /// What this value is.
    pub fn kind(self) -> Kind<'a> {
        let doc = self.doc;
        match doc.cell(self.cell) {
            Cell::Null => Kind::Null,
            Cell::Bool(b) => Kind::Bool(b),
            Cell::Int(i) => Kind::Int(i),
            Cell::UInt(u) => Kind::UInt(u),
            Cell::Float(f) => Kind::Float(f),
            Cell::Str(s) => Kind::Str(doc.str(s)),
            Cell::Array { first, len } => Kind::Array(Arr { doc, first, len }),
            Cell::Object { first, len, sorted } => Kind::Object(Obj {
                doc,
                first,
                len,
                sorted,
            }),
        }
    }

    /// The member `key` of an object.
    pub fn get(self, key: &str) -> Option<Val<'a>> {
        match self.kind() {
            Kind::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(self) -> bool {
        matches!(self.doc.cell(self.cell), Cell::Object { .. })
    }

    /// An empty array of this value's document (what an absent list reads
    /// as).
    pub fn empty_array(self) -> Arr<'a> {
        Arr {
            doc: self.doc,
            first: 0,
            len: 0,
        }
    }

    /// The string, if this is one.
    pub fn as_str(self) -> Option<&'a str> {
        match self.kind() {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(self) -> Option<Obj<'a>> {
        match self.kind() {
            Kind::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(self) -> Option<Arr<'a>> {
        match self.kind() {
            Kind::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`.
    pub fn to_value(self) -> Value {
        match self.kind() {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(b),
            Kind::Int(i) => Value::from(i),
            Kind::UInt(u) => Value::from(u),
            Kind::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.to_owned()),
            Kind::Array(a) => Value::Array(a.iter().map(Val::to_value).collect()),
            Kind::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

impl fmt::Debug for Val<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "<{e}>"),
        }
    }
}

/// An array of a [`Doc`].
#[derive(Clone, Copy, Debug)]
pub struct Arr<'a> {
    doc: &'a Doc,
    first: u32,
    len: u32,
}

impl<'a> Arr<'a> {
    /// Which array of which document this is: the same for every handle to
    /// it while the document lives, and no other non-empty array's.
    pub(crate) fn identity(self) -> (usize, u32, u32) {
        (
            std::ptr::from_ref::<Doc>(self.doc) as usize,
            self.first,
            self.len,
        )
    }

    /// The number of elements.
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// Whether it has no elements.
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The `i`-th element.
    pub fn get(self, i: usize) -> Option<Val<'a>> {
        if i >= self.len() {
            return None;
        }
        let doc = self.doc;
        doc.items
            .get(self.first as usize + i)
            .map(|&cell| Val { doc, cell })
    }

    /// The elements in order.
    pub fn iter(self) -> ArrIter<'a> {
        let doc = self.doc;
        let start = self.first as usize;
        let cells = doc.items.get(start..start + self.len()).unwrap_or_default();
        ArrIter {
            doc,
            cells: cells.iter(),
        }
    }
}

/// The elements of an [`Arr`], in order (a named type, so the JSON Schema
/// validator can hold it without boxing it per array).
#[derive(Clone, Debug)]
pub struct ArrIter<'a> {
    doc: &'a Doc,
    cells: std::slice::Iter<'a, u32>,
}

impl<'a> Iterator for ArrIter<'a> {
    type Item = Val<'a>;
    fn next(&mut self) -> Option<Val<'a>> {
        let doc = self.doc;
        self.cells.next().map(|&cell| Val { doc, cell })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.cells.size_hint()
    }
}

impl DoubleEndedIterator for ArrIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let doc = self.doc;
        self.cells.next_back().map(|&cell| Val { doc, cell })
    }
}

impl ExactSizeIterator for ArrIter<'_> {}

/// An object of a [`Doc`].
#[derive(Clone, Copy, Debug)]
pub struct Obj<'a> {
    doc: &'a Doc,
    first: u32,
    len: u32,
    sorted: u32,
}

impl<'a> Obj<'a> {
    /// The number of members.
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// Whether it has no members.
    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    fn members(self) -> &'a [Member] {
        let start = self.first as usize;
        self.doc
            .members
            .get(start..start + self.len())
            .unwrap_or_default()
    }

    /// The value of member `key`.
    pub fn get(self, key: &str) -> Option<Val<'a>> {
        self.find(key).map(|(_, m)| Val {
            doc: self.doc,
            cell: m.value,
        })
    }

    /// The value of member `key`, looked for first where `hint` says the
    /// last lookup by it found that key: objects made from one struct have
    /// their members in one order, so a field read from each of many such
    /// objects is found by comparing one key's span (the same span, the same
    /// text) instead of key texts. `hint` is the caller's, one per place
    /// that reads a field; any hint gives the same answer as [`get`](Self::get).
    pub(crate) fn get_hinted(self, key: &str, hint: &mut KeyHint) -> Option<Val<'a>> {
        let doc = self.doc;
        let here = std::ptr::from_ref::<Doc>(doc) as usize;
        if hint.doc == here
            && let Some(m) = self.members().get(hint.index as usize)
            && m.key == hint.key
        {
            return Some(Val { doc, cell: m.value });
        }
        let (index, m) = self.find(key)?;
        if let Ok(index) = index_of(index) {
            *hint = KeyHint {
                doc: here,
                index,
                key: m.key,
            };
        }
        Some(Val { doc, cell: m.value })
    }

    /// Member `key` and its position among the members.
    fn find(self, key: &str) -> Option<(usize, &'a Member)> {
        let doc = self.doc;
        let members = self.members();
        if self.len() <= INDEXED_OBJECT {
            // Lengths first, from the spans alone; bytes only for a key of
            // the same length (no character boundaries to check either).
            let key = key.as_bytes();
            members
                .iter()
                .enumerate()
                .find(|(_, m)| m.key.len as usize == key.len() && same_key(doc.bytes(m.key), key))
        } else {
            let start = self.sorted as usize;
            let sorted = doc.index.get(start..start + self.len()).unwrap_or_default();
            let at = sorted
                .binary_search_by(|&i| {
                    let k = members.get(i as usize).map_or("", |m| doc.str(m.key));
                    k.cmp(key)
                })
                .ok()?;
            let i = *sorted.get(at)? as usize;
            members.get(i).map(|m| (i, m))
        }
    }

    /// The members in order.
    pub fn iter(self) -> ObjIter<'a> {
        ObjIter {
            doc: self.doc,
            members: self.members().iter(),
        }
    }
}

/// The members of an [`Obj`], in order (named, as [`ArrIter`]).
#[derive(Clone, Debug)]
pub struct ObjIter<'a> {
    doc: &'a Doc,
    members: std::slice::Iter<'a, Member>,
}

impl<'a> Iterator for ObjIter<'a> {
    type Item = (&'a str, Val<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let doc = self.doc;
        self.members
            .next()
            .map(|m| (doc.str(m.key), Val { doc, cell: m.value }))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.members.size_hint()
    }
}

impl ExactSizeIterator for ObjIter<'_> {}

impl Serialize for Val<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.kind() {
            Kind::Null => s.serialize_unit(),
            Kind::Bool(b) => s.serialize_bool(b),
            Kind::Int(i) => s.serialize_i64(i),
            Kind::UInt(u) => s.serialize_u64(u),
            Kind::Float(f) => s.serialize_f64(f),
            Kind::Str(v) => s.serialize_str(v),
            Kind::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a.iter() {
                    seq.serialize_element(&v)?;
                }
                seq.end()
            }
            Kind::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o.iter() {
                    map.serialize_entry(k, &v)?;
                }
                map.end()
            }
        }
    }
}

impl Serialize for Doc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.root().serialize(s)
    }
}

// ---------------------------------------------------------------------------
// Building: a serde serialiser whose output is a cell of the document.

#[derive(Default)]
struct Builder {
    doc: Doc,
    /// Elements of the arrays being built, innermost last.
    pending_items: Vec<u32>,
    /// Members of the objects being built, innermost last.
    pending_members: Vec<Member>,
    /// Strings stored once: every key, and short values; a key with its
    /// slot in `values_by_key` (a value alone has [`NO_KEY`]).
    shared: foldhash::HashMap<Box<str>, (Span, u32)>,
    /// How the string values under each key fared among the shared ones.
    values_by_key: Vec<KeyValues>,
    /// The slot of the key the values being stored are under.
    current_key: u32,
    /// Values serialised through [`shared`], by the address and type of what
    /// the `Arc` holds (alive, so not reused, for the whole serialisation):
    /// the cell each was built into.
    subtrees: foldhash::HashMap<(usize, &'static str), u32>,
    /// Counting instead of building: what the tables will hold.
    count: Option<Sizes>,
}

/// No key's slot in [`Builder::values_by_key`].
const NO_KEY: u32 = u32::MAX;

/// How often the string values under one key were looked for among the
/// shared strings, and found. A key whose values hardly repeat (names,
/// versions, package URLs, pointers) stops being looked up after a trial:
/// each lookup hashes the string, for nothing.
#[derive(Default, Clone, Copy)]
struct KeyValues {
    looked: u32,
    found: u32,
}

/// Values under a key looked up before its share of repeats decides.
const VALUE_TRIAL: u32 = 256;

impl KeyValues {
    /// Whether values under the key are still looked up: during the trial,
    /// and after it while at least one in 16 was found.
    fn worth_looking(self) -> bool {
        self.looked < VALUE_TRIAL || self.found.saturating_mul(16) >= self.looked
    }
}

/// What a document's tables hold, counted before building it (`text`: at
/// most, since repeated values are stored once).
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
struct Sizes {
    cells: usize,
    items: usize,
    members: usize,
    index: usize,
    text: usize,
}

impl Builder {
    fn new() -> Builder {
        let mut b = Builder {
            current_key: NO_KEY,
            ..Builder::default()
        };
        // Cell 0 is the `null` that absent values read as (`Doc::null`).
        b.doc.cells.push(Cell::Null);
        b
    }

    /// Room for the document of JSON text `len` bytes long, from what real
    /// SBOMs take (pretty-printed: a value per 27-42 bytes, a member per
    /// 34-60, an array element per 118-303, a byte of distinct strings per
    /// 2-6.4): large tables are made at about their size, not grown by
    /// doubling, whose outgrown copies stay resident (the allocator keeps
    /// freed pages for a while). Denser text grows the tables as before.
    fn reserve_for(&mut self, len: usize) {
        self.reserve(Sizes {
            cells: len / 24,
            members: len / 32,
            items: len / 112,
            index: 0,
            text: len / 2,
        });
    }

    fn reserve(&mut self, sizes: Sizes) {
        self.doc.cells.reserve_exact(sizes.cells);
        self.doc.items.reserve_exact(sizes.items);
        self.doc.members.reserve_exact(sizes.members);
        self.doc.index.reserve_exact(sizes.index);
        self.doc.text.reserve_exact(sizes.text);
    }

    /// The document whose root is cell `root`. Its tables are not shrunk:
    /// room reserved and never written takes no memory, while shrinking a
    /// table to less than half its room copies it and leaves the old copy
    /// resident.
    fn finish(mut self, root: u32) -> Doc {
        self.doc.root = root;
        self.doc
    }

    fn push(&mut self, cell: Cell) -> Result<u32, DocError> {
        // Every `null` is cell 0 (an input has one per absent field).
        if matches!(cell, Cell::Null) {
            return Ok(0);
        }
        if let Some(count) = &mut self.count {
            count.cells += 1;
            return Ok(0);
        }
        let i = index_of(self.doc.cells.len())?;
        self.doc.cells.push(cell);
        Ok(i)
    }

    /// Stores `s`; a key (`share`) is stored once, and so is a short value
    /// while the table of shared strings has room and values under its key
    /// repeat ([`KeyValues`]). A key becomes the one the values stored next
    /// are under.
    fn span(&mut self, s: &str, share: bool) -> Result<Span, DocError> {
        if let Some(count) = &mut self.count {
            // Keys are few and stored once; values are counted in full.
            if !share {
                count.text += s.len();
            }
            return Ok(Span { start: 0, len: 0 });
        }
        if share {
            return self.key(s);
        }
        let mut under = self.values_by_key.get_mut(self.current_key as usize);
        let shareable =
            s.len() <= SHARED_STRING && under.as_ref().is_none_or(|k| k.worth_looking());
        if shareable {
            let found = self.shared.get(s).map(|(span, _)| *span);
            if let Some(k) = under.as_mut() {
                k.looked = k.looked.saturating_add(1);
                k.found = k.found.saturating_add(found.is_some().into());
            }
            if let Some(span) = found {
                return Ok(span);
            }
        }
        let span = self.push_text(s)?;
        if shareable && self.shared.len() < SHARED_VALUES {
            self.shared.insert(s.into(), (span, NO_KEY));
        }
        Ok(span)
    }

    /// Stores key `s` once, and makes it the current key.
    fn key(&mut self, s: &str) -> Result<Span, DocError> {
        let next = index_of(self.values_by_key.len())?;
        let span = match self.shared.get_mut(s) {
            Some((span, slot)) => {
                if *slot == NO_KEY {
                    *slot = next;
                }
                self.current_key = *slot;
                *span
            }
            None => {
                let span = self.push_text(s)?;
                self.shared.insert(s.into(), (span, next));
                self.current_key = next;
                span
            }
        };
        if self.current_key == next {
            self.values_by_key.push(KeyValues::default());
        }
        Ok(span)
    }

    /// Appends `s` to the document's text.
    fn push_text(&mut self, s: &str) -> Result<Span, DocError> {
        let span = Span {
            start: index_of(self.doc.text.len())?,
            len: index_of(s.len())?,
        };
        index_of(self.doc.text.len() + s.len())?;
        self.doc.text.push_str(s);
        Ok(span)
    }

    fn string(&mut self, s: &str) -> Result<u32, DocError> {
        let span = self.span(s, false)?;
        self.push(Cell::Str(span))
    }

    /// Closes the array whose elements start at `mark` in `pending_items`.
    fn end_array(&mut self, mark: usize) -> Result<u32, DocError> {
        if let Some(count) = &mut self.count {
            count.items += self.pending_items.len().saturating_sub(mark);
            self.pending_items.truncate(mark);
            count.cells += 1;
            return Ok(0);
        }
        let first = index_of(self.doc.items.len())?;
        let len = index_of(self.pending_items.len().saturating_sub(mark))?;
        self.doc.items.extend(self.pending_items.drain(mark..));
        self.push(Cell::Array { first, len })
    }

    /// Closes the object whose members start at `mark` in `pending_members`.
    fn end_object(&mut self, mark: usize) -> Result<u32, DocError> {
        if let Some(count) = &mut self.count {
            let members = self.pending_members.len().saturating_sub(mark);
            count.members += members;
            if members > INDEXED_OBJECT {
                count.index += members;
            }
            self.pending_members.truncate(mark);
            count.cells += 1;
            return Ok(0);
        }
        let first = index_of(self.doc.members.len())?;
        let count = self.pending_members.len().saturating_sub(mark);
        let len = index_of(count)?;
        let members = self.pending_members.get(mark..).unwrap_or_default();
        let mut sorted = u32::MAX;
        if count > INDEXED_OBJECT {
            let doc = &self.doc;
            let mut order: Vec<u32> = (0..len).collect();
            order.sort_by(|&a, &b| {
                let key = |i: u32| members.get(i as usize).map_or("", |m| doc.str(m.key));
                key(a).cmp(key(b))
            });
            let key = |i: &u32| members.get(*i as usize).map(|m| m.key);
            if let Some(twice) = order
                .iter()
                .zip(order.iter().skip(1))
                .find(|(a, b)| key(a) == key(b))
                .and_then(|(a, _)| key(a))
            {
                return Err(duplicate(doc.str(twice)));
            }
            sorted = index_of(self.doc.index.len())?;
            self.doc.index.extend(order);
        } else if let Some((_, m)) = members
            .iter()
            .enumerate()
            .find(|(i, m)| members.iter().take(*i).any(|n| n.key == m.key))
        {
            // Keys are always shared, so equal keys have equal spans.
            return Err(duplicate(self.doc.str(m.key)));
        }
        self.doc.members.extend(self.pending_members.drain(mark..));
        self.push(Cell::Object { first, len, sorted })
    }
}

impl Builder {
    /// Opens an array (`array`) or an object; for an enum variant, inside an
    /// object whose one member the variant names (serde_json's form). A
    /// struct variant's members come after that member, which is pushed when
    /// the inner object ends: both start at the same mark.
    fn open(&mut self, array: bool, variant: Option<&str>) -> Result<Open<'_>, DocError> {
        let variant = match variant {
            Some(v) => Some((self.pending_members.len(), self.span(v, true)?)),
            None => None,
        };
        let mark = if array {
            self.pending_items.len()
        } else {
            self.pending_members.len()
        };
        Ok(Open {
            b: self,
            mark,
            key: None,
            variant,
        })
    }
}

fn duplicate(key: &str) -> DocError {
    DocError(format!("duplicate key `{key}` in the input document"))
}

/// An array or object under construction: where its elements start.
struct Open<'b> {
    b: &'b mut Builder,
    mark: usize,
    /// For objects, the key of the member whose value comes next.
    key: Option<Span>,
    /// `{"variant": [..]}` / `{"variant": {..}}` of an enum variant: the
    /// members' mark of the wrapping object, and the variant's key.
    variant: Option<(usize, Span)>,
}

impl Open<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DocError> {
        let cell = value.serialize(&mut *self.b)?;
        self.b.pending_items.push(cell);
        Ok(())
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: Span, value: &T) -> Result<(), DocError> {
        let cell = value.serialize(&mut *self.b)?;
        self.b.pending_members.push(Member { key, value: cell });
        Ok(())
    }

    fn wrap(self, cell: Result<u32, DocError>) -> Result<u32, DocError> {
        let cell = cell?;
        match self.variant {
            None => Ok(cell),
            Some((mark, key)) => {
                self.b.pending_members.push(Member { key, value: cell });
                self.b.end_object(mark)
            }
        }
    }

    fn end_array(self) -> Result<u32, DocError> {
        let cell = self.b.end_array(self.mark);
        self.wrap(cell)
    }

    fn end_object(self) -> Result<u32, DocError> {
        let cell = self.b.end_object(self.mark);
        self.wrap(cell)
    }
}

impl<'b> Serializer for &'b mut Builder {
    type Ok = u32;
    type Error = DocError;
    type SerializeSeq = Open<'b>;
    type SerializeTuple = Open<'b>;
    type SerializeTupleStruct = Open<'b>;
    type SerializeTupleVariant = Open<'b>;
    type SerializeMap = Open<'b>;
    type SerializeStruct = Open<'b>;
    type SerializeStructVariant = Open<'b>;

    fn serialize_bool(self, v: bool) -> Result<u32, DocError> {
        self.push(Cell::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<u32, DocError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<u32, DocError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<u32, DocError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<u32, DocError> {
        // serde_json keeps non-negative integers as unsigned.
        match u64::try_from(v) {
            Ok(u) => self.push(Cell::UInt(u)),
            Err(_) => self.push(Cell::Int(v)),
        }
    }
    fn serialize_i128(self, v: i128) -> Result<u32, DocError> {
        match (u64::try_from(v), i64::try_from(v)) {
            (Ok(u), _) => self.push(Cell::UInt(u)),
            (_, Ok(i)) => self.push(Cell::Int(i)),
            _ => Err(DocError("number out of range".to_owned())),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<u32, DocError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<u32, DocError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<u32, DocError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<u32, DocError> {
        self.push(Cell::UInt(v))
    }
    fn serialize_u128(self, v: u128) -> Result<u32, DocError> {
        u64::try_from(v)
            .map_err(|_| DocError("number out of range".to_owned()))
            .and_then(|u| self.push(Cell::UInt(u)))
    }
    fn serialize_f32(self, v: f32) -> Result<u32, DocError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<u32, DocError> {
        // As serde_json: a number that is not finite is `null`.
        if v.is_finite() {
            self.push(Cell::Float(v))
        } else {
            self.push(Cell::Null)
        }
    }
    fn serialize_char(self, v: char) -> Result<u32, DocError> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<u32, DocError> {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<u32, DocError> {
        let mark = self.pending_items.len();
        for byte in v {
            let cell = self.push(Cell::UInt((*byte).into()))?;
            self.pending_items.push(cell);
        }
        self.end_array(mark)
    }
    fn serialize_none(self) -> Result<u32, DocError> {
        self.push(Cell::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<u32, DocError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<u32, DocError> {
        self.push(Cell::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<u32, DocError> {
        self.push(Cell::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<u32, DocError> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<u32, DocError> {
        if name != SHARED_SUBTREE {
            return value.serialize(self);
        }
        let key = (
            std::ptr::from_ref(value).cast::<()>().addr(),
            std::any::type_name::<T>(),
        );
        if let Some(&cell) = self.subtrees.get(&key) {
            return Ok(cell);
        }
        let cell = value.serialize(&mut *self)?;
        self.subtrees.insert(key, cell);
        Ok(cell)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<u32, DocError> {
        let mark = self.pending_members.len();
        let key = self.span(variant, true)?;
        let cell = value.serialize(&mut *self)?;
        self.pending_members.push(Member { key, value: cell });
        self.end_object(mark)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Open<'b>, DocError> {
        self.open(true, None)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Open<'b>, DocError> {
        self.open(true, None)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Open<'b>, DocError> {
        self.open(true, None)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Open<'b>, DocError> {
        self.open(true, Some(variant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Open<'b>, DocError> {
        self.open(false, None)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Open<'b>, DocError> {
        self.open(false, None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Open<'b>, DocError> {
        self.open(false, Some(variant))
    }
}

/// Arrays, tuples, tuple structs and tuple variants: the same elements
/// under four serde traits.
macro_rules! array_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Open<'_> {
            type Ok = u32;
            type Error = DocError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DocError> {
                self.element(value)
            }
            fn end(self) -> Result<u32, DocError> {
                self.end_array()
            }
        }
    )*};
}

array_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl SerializeMap for Open<'_> {
    type Ok = u32;
    type Error = DocError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), DocError> {
        let text = key.serialize(KeyText)?;
        self.key = Some(self.b.span(&text, true)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), DocError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| DocError("a map value without a key".to_owned()))?;
        self.member(key, value)
    }
    fn end(self) -> Result<u32, DocError> {
        self.end_object()
    }
}

/// Structs and struct variants: members named by the fields.
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Open<'_> {
            type Ok = u32;
            type Error = DocError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), DocError> {
                let key = self.b.span(key, true)?;
                self.member(key, value)
            }
            fn end(self) -> Result<u32, DocError> {
                self.end_object()
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

/// Key serialiser methods for values written as their text.
macro_rules! written_as_keys {
    ($($method:ident : $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<String, DocError> {
            Ok(v.to_string())
        }
    )*};
}

/// Key serialiser methods for values that cannot be keys.
macro_rules! not_keys {
    ($($method:ident : $ty:ty),*) => {$(
        fn $method(self, _v: $ty) -> Result<String, DocError> {
            Err(key_must_be_a_string())
        }
    )*};
}

/// Object keys: strings, and what serde_json also accepts as keys (numbers,
/// booleans, chars, unit variants), written as it writes them.
struct KeyText;

fn key_must_be_a_string() -> DocError {
    DocError("an object key must be a string".to_owned())
}

impl Serializer for KeyText {
    type Ok = String;
    type Error = DocError;
    type SerializeSeq = ser::Impossible<String, DocError>;
    type SerializeTuple = ser::Impossible<String, DocError>;
    type SerializeTupleStruct = ser::Impossible<String, DocError>;
    type SerializeTupleVariant = ser::Impossible<String, DocError>;
    type SerializeMap = ser::Impossible<String, DocError>;
    type SerializeStruct = ser::Impossible<String, DocError>;
    type SerializeStructVariant = ser::Impossible<String, DocError>;

    written_as_keys!(
        serialize_bool: bool,
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
        serialize_char: char
    );
    not_keys!(serialize_f32: f32, serialize_f64: f64, serialize_bytes: &[u8]);
    fn serialize_str(self, v: &str) -> Result<String, DocError> {
        Ok(v.to_owned())
    }
    fn serialize_none(self) -> Result<String, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, DocError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, DocError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, DocError> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, DocError> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;

    /// One hint carried across objects of three documents (two built, one
    /// parsed), members in other orders, missing keys and an object large
    /// enough to be indexed gives what `get` gives every time.
    #[test]
    fn hinted_lookups_answer_as_plain_ones() {
        let big: serde_json::Map<String, Value> = (0..40)
            .map(|i| (format!("k{i:02}"), json!(i)))
            .chain([("x".to_owned(), json!("big"))])
            .collect();
        let a = Doc::from_value(&json!([
            {"x": 1, "y": 2},
            {"x": 3, "y": 4},
            {"y": 5, "x": 6},
            {"z": 7},
            {"xx": 8, "x": 9},
            big,
            {"x": 10, "y": 11},
        ]))
        .unwrap();
        let b = Doc::from_value(&json!({"y": "b", "x": "b"})).unwrap();
        let c = Doc::parse("{\"q\": 0, \"x\": \"parsed\"}").unwrap();
        let objects: Vec<Obj<'_>> = a
            .root()
            .as_array()
            .unwrap()
            .iter()
            .chain([b.root(), c.root()])
            .map(|v| v.as_object().unwrap())
            .collect();
        let show = |v: Option<Val<'_>>| format!("{v:?}");
        for key in ["x", "y", "z", "w", "k07", "k39"] {
            let mut hint = KeyHint::default();
            for _ in 0..2 {
                for obj in objects.iter().chain(objects.iter().rev()) {
                    assert_eq!(
                        show(obj.get_hinted(key, &mut hint)),
                        show(obj.get(key)),
                        "{key}"
                    );
                }
            }
        }
    }

    /// What serde_json makes of `value`, and what the document makes of it,
    /// as text: they must be the same bytes.
    fn same_text<T: Serialize>(value: &T) {
        let expected = serde_json::to_string(value).unwrap();
        let doc = Doc::build(value).unwrap();
        assert_eq!(serde_json::to_string(&doc).unwrap(), expected);
        let via_value = serde_json::to_value(value).unwrap();
        assert_eq!(doc.root().to_value(), via_value);
    }

    #[test]
    fn writes_what_serde_json_writes() {
        same_text(&json!(null));
        same_text(&json!([]));
        same_text(&json!({}));
        same_text(&json!({
            "z": [1, -2, 2.5, 1e300, -0.0, u64::MAX, i64::MIN, "x\u{e9}\n\"\\\u{1}", true, null],
            "a": {"nested": {"deeper": [[], {}, [{"k": "v"}]]}},
            "": "empty key",
            "unicode ключ": "значение",
        }));
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, &'static str),
        Struct { a: Vec<u8>, b: Option<f64> },
    }

    #[derive(Serialize)]
    struct S<'a> {
        name: &'a str,
        list: Vec<E>,
        map: std::collections::BTreeMap<u32, char>,
        unit: (),
        bytes: &'a [u8],
        nan: f64,
        small: i8,
        big: u128,
    }

    #[test]
    fn serde_shapes_become_what_serde_json_makes_of_them() {
        let s = S {
            name: "n",
            list: vec![
                E::Unit,
                E::New(3),
                E::Tuple(4, "t"),
                E::Struct {
                    a: vec![1, 2],
                    b: None,
                },
            ],
            map: [(2, 'b'), (10, 'a')].into_iter().collect(),
            unit: (),
            bytes: b"ab",
            nan: f64::NAN,
            small: -3,
            big: 7,
        };
        same_text(&s);
    }

    #[test]
    fn every_null_is_the_same_cell() {
        let value = json!([null, {"a": null, "b": [null, 2.5]}, null]);
        for doc in [
            Doc::build(&value).unwrap(),
            Doc::parse(&value.to_string()).unwrap(),
        ] {
            // cell 0, the array, the object, the inner array, the number
            assert_eq!(doc.cells.len(), 5);
            assert_eq!(doc.root().to_value(), value);
        }
    }

    #[test]
    fn values_shared_through_an_arc_are_built_once() {
        use std::sync::Arc;
        #[derive(Serialize)]
        struct Component {
            name: &'static str,
            #[serde(serialize_with = "shared")]
            license: Arc<Value>,
        }
        let mit = Arc::new(json!({"ids": ["MIT"], "valid": true, "names": []}));
        let apache = Arc::new(json!({"ids": ["Apache-2.0"], "valid": true, "names": []}));
        let components: Vec<Component> = [("a", &mit), ("b", &apache), ("c", &mit), ("d", &mit)]
            .into_iter()
            .map(|(name, license)| Component {
                name,
                license: Arc::clone(license),
            })
            .collect();
        same_text(&components);
        let doc = Doc::build(&components).unwrap();
        let cell = |i: usize| {
            let c = doc.root().as_array().unwrap().get(i).unwrap();
            c.get("license").unwrap().cell
        };
        assert_eq!(cell(0), cell(2));
        assert_eq!(cell(0), cell(3));
        assert_ne!(cell(0), cell(1), "an equal value in another Arc is its own");
        // Two licenses of 5 cells each, not four; the counting pass agrees.
        let unshared = Doc::build(&serde_json::to_value(&components).unwrap()).unwrap();
        assert_eq!(unshared.cells.len() - doc.cells.len(), 2 * 5);
        assert_eq!(doc.cells.capacity(), doc.cells.len());
        assert_eq!(doc.members.capacity(), doc.members.len());
    }

    #[test]
    fn documents_are_built_in_tables_of_the_counted_size() {
        let mut big = serde_json::Map::new();
        for i in 0..40 {
            big.insert(format!("k{i}"), json!([i, "v", {"n": null}]));
        }
        let value = json!({"a": [1, "x", {"b": false}], "big": big, "s": "long string value"});
        let doc = Doc::build(&value).unwrap();
        let mut counter = Builder {
            count: Some(Sizes::default()),
            ..Builder::default()
        };
        value.serialize(&mut counter).unwrap();
        let counted = counter.count.unwrap();
        // The null cell every document starts with is not counted.
        assert_eq!(counted.cells + 1, doc.cells.len());
        assert_eq!(counted.items, doc.items.len());
        assert_eq!(counted.members, doc.members.len());
        assert_eq!(counted.index, doc.index.len());
        // Keys are not counted (few, and stored once); values in full, even
        // the forty "v" stored once.
        assert_eq!(
            counted.text,
            "x".len() + 40 * "v".len() + "long string value".len()
        );
        // Made at their size: no table was grown past it.
        assert_eq!(doc.cells.capacity(), doc.cells.len());
        assert_eq!(doc.items.capacity(), doc.items.len());
        assert_eq!(doc.members.capacity(), doc.members.len());
        assert_eq!(doc.index.capacity(), doc.index.len());
        assert!(doc.text.capacity() >= doc.text.len());
    }

    #[test]
    fn reads_members_elements_and_kinds() {
        let doc = Doc::from_value(&json!({"a": [1, "x", {"b": false}], "n": -1})).unwrap();
        let root = doc.root();
        let a = root.get("a").unwrap().as_array().unwrap();
        assert_eq!(a.len(), 3);
        assert!(matches!(a.get(0).unwrap().kind(), Kind::UInt(1)));
        assert_eq!(a.get(1).unwrap().as_str(), Some("x"));
        assert!(matches!(
            a.get(2).unwrap().get("b").unwrap().kind(),
            Kind::Bool(false)
        ));
        assert!(a.get(3).is_none());
        assert!(matches!(root.get("n").unwrap().kind(), Kind::Int(-1)));
        assert!(root.get("missing").is_none());
        assert!(matches!(doc.null().kind(), Kind::Null));
        let keys: Vec<&str> = root.as_object().unwrap().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "n"]);
    }

    #[test]
    fn large_objects_are_looked_up_through_their_index() {
        // Members in an order that is not sorted, more than INDEXED_OBJECT.
        let mut map = serde_json::Map::new();
        for i in (0..500).rev() {
            map.insert(format!("k{i}"), json!(i));
        }
        let value = Value::Object(map);
        let doc = Doc::from_value(&value).unwrap();
        let o = doc.root().as_object().unwrap();
        for i in 0..500 {
            let v = o.get(&format!("k{i}")).unwrap();
            assert!(matches!(v.kind(), Kind::UInt(u) if u == i));
        }
        assert!(o.get("k500").is_none());
        assert!(o.get("").is_none());
        assert_eq!(o.iter().next().unwrap().0, "k499");
        same_text(&value);
    }

    /// A map that gives one key twice, which a `serde_json::Map` cannot hold.
    struct Twice(usize);

    impl Serialize for Twice {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            for i in 0..self.0 {
                map.serialize_entry(&format!("k{i}"), &i)?;
            }
            map.serialize_entry("k0", &0)?;
            map.end()
        }
    }

    #[test]
    fn a_key_given_twice_is_an_error() {
        for n in [1, 3, INDEXED_OBJECT + 5] {
            let e = Doc::build(&Twice(n)).unwrap_err();
            assert!(e.to_string().contains("duplicate key `k0`"), "{e}");
        }
    }

    #[test]
    fn repeated_strings_are_stored_once() {
        let value: Vec<Value> = (0..1000)
            .map(|i| json!({"type": "library", "name": format!("pkg-{i}")}))
            .collect();
        let doc = Doc::build(&value).unwrap();
        // "type", "name" and "library" once; each name once.
        let names: usize = (0..1000).map(|i| format!("pkg-{i}").len()).sum();
        assert_eq!(doc.text.len(), "typenamelibrary".len() + names);
        same_text(&value);
    }

    #[test]
    fn values_under_a_key_that_never_repeat_stop_being_looked_up() {
        let value: Vec<Value> = (0..2000)
            .map(|i| {
                json!({"type": "library", "name": format!("pkg-{i}"), "version": format!("1.{}", i % 100)})
            })
            .collect();
        let mut b = Builder::new();
        let root = value.serialize(&mut b).unwrap();
        let under = |key: &str| {
            let k = b.values_by_key[b.shared[key].1 as usize];
            (k.looked, k.found)
        };
        // Names never repeat: looked up during the trial only.
        assert_eq!(under("name"), (VALUE_TRIAL, 0));
        assert!(b.shared.contains_key("pkg-0") && !b.shared.contains_key("pkg-1999"));
        // Versions repeat after the first hundred, types after the first.
        assert_eq!(under("version"), (2000, 1900));
        assert_eq!(under("type"), (2000, 1999));
        assert_eq!(b.shared["library"].1, NO_KEY);
        let doc = b.finish(root);
        assert_eq!(doc.root().to_value(), Value::Array(value));
    }

    /// Every SBOM of the vendored corpus (`tests/corpus/sboms`), parsed
    /// by serde_json and put in a document, is written back byte for byte.
    #[test]
    fn real_sboms_read_back_byte_for_byte() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "json") {
                    out.push(path);
                }
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/sboms");
        let mut files = Vec::new();
        walk(&dir, &mut files);
        let mut checked = 0;
        for path in &files {
            // Some corpus files are deliberately not JSON.
            let bytes = std::fs::read(path).unwrap();
            if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
                same_text(&value);
                // Parsed straight into a document: the same tree.
                let text = std::str::from_utf8(&bytes).unwrap();
                let text = text.strip_prefix('\u{feff}').unwrap_or(text);
                assert_eq!(
                    Doc::parse(text).unwrap().root().to_value(),
                    value,
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked > 300, "only {checked} corpus SBOMs read");
    }
}
