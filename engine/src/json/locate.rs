//! JSON pointer → byte range in the original text.
//!
//! A small skimmer, not a parser: the text already parsed, so it only needs to
//! step over values. It descends one level per pointer token (bounded by the
//! parse depth limit) and skips siblings without recursion.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Mutex;

/// Remembers where the elements of each array and the members of each object
/// start, so locating all the components of a large SBOM one by one stays
/// linear in the file size instead of quadratic, and each lookup of
/// `/components/N` does not step over the members before `components` again.
#[derive(Debug, Default)]
pub struct LocateCache {
    arrays: Mutex<foldhash::HashMap<usize, Vec<usize>>>,
    objects: Mutex<foldhash::HashMap<usize, Members>>,
}

/// Escapes one reference token for use in a JSON pointer (RFC 6901).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// The byte range of the value at `pointer` in `text`, or `None` when the
/// pointer does not resolve.
pub fn locate(text: &str, pointer: &str) -> Option<Range<usize>> {
    locate_cached(text, pointer, None)
}

/// [`locate`], reusing (and filling) `cache` for arrays.
pub fn locate_cached(
    text: &str,
    pointer: &str,
    cache: Option<&LocateCache>,
) -> Option<Range<usize>> {
    let start = start_cached(text, pointer, cache)?;
    let end = skip_value(text.as_bytes(), start)?;
    Some(start..end)
}

/// Where the value at `pointer` starts in `text` (which parsed as JSON), or
/// `None` when the pointer does not resolve; `cache` as for
/// [`locate_cached`]. Cheaper than the whole range: the value itself is not
/// stepped over.
pub fn start_cached(text: &str, pointer: &str, cache: Option<&LocateCache>) -> Option<usize> {
    let tokens = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?.split('/')),
    };
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    for token in tokens.into_iter().flatten() {
        pos = match bytes.get(pos)? {
            b'{' => match cache {
                Some(c) => find_member_cached(bytes, pos, &unescape(token), c)?,
                None => find_member(bytes, pos, &unescape(token))?,
            },
            b'[' => {
                let index = token.parse().ok()?;
                match cache {
                    Some(c) => find_element_cached(bytes, pos, index, c)?,
                    None => find_element(bytes, pos, index)?,
                }
            }
            _ => return None,
        };
    }
    bytes.get(pos).map(|_| pos)
}

/// Where each element of the array at `pointer` starts, indexing them in
/// the cache as locating one of them would; `None` when `pointer` names no
/// array.
pub fn element_starts(text: &str, pointer: &str, cache: &LocateCache) -> Option<Vec<usize>> {
    let open = start_cached(text, pointer, Some(cache))?;
    if text.as_bytes().get(open) != Some(&b'[') {
        return None;
    }
    find_element_cached(text.as_bytes(), open, 0, cache);
    cache.arrays.lock().ok()?.get(&open).cloned()
}

/// At `[`: the start of element `index`, from the cache or by indexing the
/// whole array once.
fn find_element_cached(
    bytes: &[u8],
    open: usize,
    index: usize,
    cache: &LocateCache,
) -> Option<usize> {
    let mut arrays = cache.arrays.lock().ok()?;
    let starts = arrays.entry(open).or_insert_with(|| {
        let mut starts = Vec::new();
        let mut pos = skip_ws(bytes, open + 1);
        while let Some(&b) = bytes.get(pos) {
            if b == b']' {
                break;
            }
            starts.push(pos);
            let Some(end) = skip_value(bytes, pos) else {
                break;
            };
            pos = skip_ws(bytes, end);
            if bytes.get(pos) == Some(&b',') {
                pos = skip_ws(bytes, pos + 1);
            }
        }
        starts
    });
    starts.get(index).copied()
}

/// The members of one object seen so far, and where to read on.
#[derive(Debug, Default)]
struct Members {
    at: foldhash::HashMap<String, usize>,
    /// Where the value of the last member seen starts (reading on steps over
    /// it), or `None` once the object is read to its end.
    last: Option<usize>,
}

/// At `{`: the start of the value of member `key`. Members are remembered
/// as they are read, and reading stops at the one asked for: a large value
/// (an SBOM's `components`) is stepped over only when a member after it is
/// asked for.
fn find_member_cached(bytes: &[u8], open: usize, key: &str, cache: &LocateCache) -> Option<usize> {
    let mut objects = cache.objects.lock().ok()?;
    let members = objects.entry(open).or_default();
    if let Some(&value) = members.at.get(key) {
        return Some(value);
    }
    let mut pos = match members.last {
        None if members.at.is_empty() => skip_ws(bytes, open + 1),
        None => return None,
        Some(value) => {
            members.last = None;
            let end = skip_ws(bytes, skip_value(bytes, value)?);
            match bytes.get(end)? {
                b',' => skip_ws(bytes, end + 1),
                _ => return None,
            }
        }
    };
    while bytes.get(pos) == Some(&b'"') {
        let (name, value) = member(bytes, pos)?;
        let found = name == key;
        members.at.entry(name).or_insert(value);
        if found {
            members.last = Some(value);
            return Some(value);
        }
        pos = skip_ws(bytes, skip_value(bytes, value)?);
        match bytes.get(pos)? {
            b',' => pos = skip_ws(bytes, pos + 1),
            _ => return None,
        }
    }
    None
}

/// At the `"` opening a member's name: the name and where its value starts.
fn member(bytes: &[u8], open: usize) -> Option<(String, usize)> {
    let end = skip_string(bytes, open)?;
    let raw = std::str::from_utf8(bytes.get(open..end)?).ok()?;
    let name: String = serde_json::from_str(raw).ok()?;
    let pos = skip_ws(bytes, end);
    if bytes.get(pos)? != &b':' {
        return None;
    }
    Some((name, skip_ws(bytes, pos + 1)))
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

/// At `{`: the start of the value of member `key`.
fn find_member(bytes: &[u8], open: usize, key: &str) -> Option<usize> {
    let mut pos = skip_ws(bytes, open + 1);
    loop {
        match bytes.get(pos)? {
            b'}' => return None,
            b'"' => {
                let name;
                (name, pos) = member(bytes, pos)?;
                if name == key {
                    return Some(pos);
                }
                pos = skip_ws(bytes, skip_value(bytes, pos)?);
                if bytes.get(pos)? == &b',' {
                    pos = skip_ws(bytes, pos + 1);
                }
            }
            _ => return None,
        }
    }
}

/// At `[`: the start of element `index`.
fn find_element(bytes: &[u8], open: usize, index: usize) -> Option<usize> {
    let mut pos = skip_ws(bytes, open + 1);
    let mut i = 0;
    loop {
        if bytes.get(pos)? == &b']' {
            return None;
        }
        if i == index {
            return Some(pos);
        }
        pos = skip_ws(bytes, skip_value(bytes, pos)?);
        if bytes.get(pos)? == &b',' {
            pos = skip_ws(bytes, pos + 1);
        }
        i += 1;
    }
}

/// At `"`: the position just past the closing quote.
fn skip_string(bytes: &[u8], open: usize) -> Option<usize> {
    let mut pos = open + 1;
    loop {
        pos += memchr::memchr2(b'"', b'\\', bytes.get(pos..)?)?;
        match bytes.get(pos)? {
            b'\\' => pos += 2,
            _ => return Some(pos + 1),
        }
    }
}

/// Whether a byte matters when stepping over an array or object: strings
/// (which may hold brackets) and brackets.
const fn structural(b: u8) -> bool {
    matches!(b, b'"' | b'{' | b'}' | b'[' | b']')
}

/// At the start of any value: the position just past it.
fn skip_value(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start)? {
        b'"' => skip_string(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut pos = start;
            loop {
                pos += bytes.get(pos..)?.iter().position(|&b| structural(b))?;
                match bytes.get(pos)? {
                    b'"' => {
                        pos = skip_string(bytes, pos)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    _ => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(pos + 1);
                        }
                    }
                }
                pos += 1;
            }
        }
        _ => {
            let rest = bytes.get(start..)?;
            let len = rest
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            (len > 0).then_some(start + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
  "a": {"b/c": [10, {"d": "x\"y"}, [1,2]]},
  "e~f": true,
  "g": null,
  "h": ["]}{[", "\\", {"i": 1}]
}"#;

    fn at(pointer: &str) -> Option<&'static str> {
        locate(DOC, pointer).map(|r| &DOC[r])
    }

    #[test]
    fn finds_values() {
        assert_eq!(at("/a/b~1c/0"), Some("10"));
        assert_eq!(at("/a/b~1c/1/d"), Some(r#""x\"y""#));
        assert_eq!(at("/a/b~1c/2"), Some("[1,2]"));
        assert_eq!(at("/e~0f"), Some("true"));
        assert_eq!(at("/g"), Some("null"));
        assert_eq!(at("/h/0"), Some(r#""]}{[""#));
        assert_eq!(at("/h/1"), Some(r#""\\""#));
        assert_eq!(at("/h/2/i"), Some("1"));
        assert_eq!(at("/h").map(str::len), Some(24));
        assert_eq!(at("").map(|s| s.len()), Some(DOC.len()));
    }

    #[test]
    fn misses_cleanly() {
        assert_eq!(at("/a/b~1c/3"), None);
        assert_eq!(at("/zz"), None);
        assert_eq!(at("/g/x"), None);
        assert_eq!(at("no-slash"), None);
        assert_eq!(locate("{\"a\": ", "/a"), None);
    }

    #[test]
    fn cached_lookups_agree_with_plain_ones() {
        let pointers = [
            "/a/b~1c/0",
            "/a/b~1c/1/d",
            "/a/b~1c/2",
            "/a/b~1c/3",
            "/g",
            "/e~0f",
            "/zz",
            "/g/x",
            "/h/2/i",
            "/h/1",
            "",
        ];
        // In both orders: members are read only as far as asked.
        for order in [pointers, {
            let mut reversed = pointers;
            reversed.reverse();
            reversed
        }] {
            let cache = LocateCache::default();
            for p in order {
                assert_eq!(locate_cached(DOC, p, Some(&cache)), locate(DOC, p), "{p}");
                assert_eq!(
                    start_cached(DOC, p, Some(&cache)),
                    locate(DOC, p).map(|r| r.start),
                    "{p}"
                );
            }
        }
    }

    #[test]
    fn escapes_tokens() {
        assert_eq!(escape_pointer_token("a/b~c"), "a~1b~0c");
    }
}
