//! Files as read: their text, digest and the name the user gave them.
//!
//! Every input goes through [`SourceFile::read`], which refuses what could hang
//! or exhaust the process (devices, pipes, files over the size limit) before a
//! byte is parsed, and keeps the text shared so diagnostics can quote it.
//!
//! A large file's text can be *packed* ([`SourceFile::pack`]) once it is
//! parsed: compressed in memory, and unpacked when something reads it again
//! (locating a finding, storing the file in the ledger). At 100,000
//! components an SBOM's 27 MiB of text would otherwise stay resident through
//! the whole evaluation while nothing reads it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use sha2::{Digest, Sha256};

use crate::diag::{Code, Location, Problem};
use crate::json::Text;

/// Default cap on any single input file: far above real SBOMs (the largest in
/// our corpus is 4 MB), far below what would exhaust memory.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Texts at least this long are packed by [`SourceFile::pack`]: below it
/// the memory saved is small against the 30 MB a process may take besides
/// its evidence, and unpacking would cost time on every small check.
pub const PACKED_TEXT: usize = 8 << 20;

/// A file's bytes as text, with its sha256 and display name.
#[derive(Debug, Clone)]
pub struct SourceFile {
    display: Arc<str>,
    path: PathBuf,
    text: Arc<Held>,
    bom: bool,
    /// The digest, line starts and array element starts, made on first use:
    /// locating thousands of findings in a large file must not rescan it each
    /// time, and hashing a large SBOM can wait for a spare core.
    index: Arc<Index>,
}

/// Where each line of a text starts: 4 bytes a line for any text under
/// 4 GiB (a 100,000-component SBOM has 1.5 million lines), made at its size.
#[derive(Debug)]
enum LineStarts {
    Small(Vec<u32>),
    Large(Vec<usize>),
}

impl LineStarts {
    fn of(text: &[u8]) -> LineStarts {
        let starts = || std::iter::once(0).chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        let count = memchr::memchr_iter(b'\n', text).count() + 1;
        if u32::try_from(text.len()).is_ok() {
            let mut small = Vec::with_capacity(count);
            small.extend(starts().filter_map(|s| u32::try_from(s).ok()));
            LineStarts::Small(small)
        } else {
            let mut large = Vec::with_capacity(count);
            large.extend(starts());
            LineStarts::Large(large)
        }
    }

    /// The 1-based line `offset` is on, and the offset where it starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let (line, start) = match self {
            LineStarts::Small(starts) => {
                let line = starts.partition_point(|&s| s as usize <= offset).max(1);
                (line, starts.get(line - 1).map_or(0, |&s| s as usize))
            }
            LineStarts::Large(starts) => {
                let line = starts.partition_point(|&s| s <= offset).max(1);
                (line, starts.get(line - 1).copied().unwrap_or(0))
            }
        };
        (line, start)
    }
}

/// The text, shared by every clone of the file: as read, or packed.
#[derive(Debug)]
struct Held {
    /// Its length in bytes.
    len: usize,
    stored: Mutex<Stored>,
}

#[derive(Debug)]
enum Stored {
    Plain(Text),
    /// lz4 blocks of [`PACKED_BLOCK`] bytes of text each (JSON packs about
    /// 7:1, at some 1.5 GB/s; unpacking is faster still). In blocks, so that
    /// packing needs no buffer the size of the text beside it.
    Packed(Vec<Box<[u8]>>),
}

/// Bytes of text per packed block.
const PACKED_BLOCK: usize = 1 << 20;

impl Held {
    fn new(text: String) -> Arc<Held> {
        Arc::new(Held {
            len: text.len(),
            stored: Mutex::new(Stored::Plain(Arc::new(text))),
        })
    }

    fn stored(&self) -> std::sync::MutexGuard<'_, Stored> {
        // Nothing panics while holding the lock; were it poisoned, what it
        // guards is still whole.
        self.stored.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The text, unpacked if it was packed (and kept unpacked: whoever asks
    /// once, such as locating findings, asks many times).
    fn text(&self) -> Text {
        let mut stored = self.stored();
        let text = match &*stored {
            Stored::Plain(text) => return Arc::clone(text),
            // What `pack` wrote unpacks; were it not to (memory corrupted),
            // the text reads as empty: locations fall back to the file
            // alone, and `SourceFile::bytes` refuses to give it.
            Stored::Packed(blocks) => Arc::new(unpack(blocks, self.len).unwrap_or_default()),
        };
        *stored = Stored::Plain(Arc::clone(&text));
        text
    }

    /// Writes the text to `w`; a packed one a block at a time, neither
    /// unpacked whole nor kept unpacked. An error if the blocks do not
    /// unpack to the text's length (memory corrupted): nothing else is ever
    /// written as this text.
    fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let damaged = || std::io::Error::other("the text kept in memory is damaged");
        let blocks = match &*self.stored() {
            Stored::Plain(text) => Err(Arc::clone(text)),
            Stored::Packed(blocks) => Ok(blocks.clone()),
        };
        let blocks = match blocks {
            // A text that did not unpack whole before reads as empty.
            Err(text) if text.len() != self.len => return Err(damaged()),
            Err(text) => return w.write_all(text.as_bytes()),
            Ok(blocks) => blocks,
        };
        let mut buffer = vec![0; PACKED_BLOCK];
        let mut written = 0;
        for block in &blocks {
            let n = lz4_flex::block::decompress_into(block, &mut buffer).map_err(|_| damaged())?;
            w.write_all(buffer.get(..n).ok_or_else(damaged)?)?;
            written += n;
        }
        if written != self.len {
            return Err(damaged());
        }
        Ok(())
    }

    /// Packs the text when it is at least `min` bytes long and no one else
    /// holds it (a diagnostic quoting it, a parse borrowing it): packing a
    /// text another holder keeps alive would only add the packed copy.
    fn pack(&self, min: usize) -> bool {
        if self.len < min {
            return false;
        }
        let text = match &*self.stored() {
            Stored::Plain(text) if Arc::strong_count(text) == 1 => Arc::clone(text),
            _ => return false,
        };
        // Compressed outside the lock: a reader meanwhile gets the text.
        let mut scratch = vec![0; lz4_flex::block::get_maximum_output_size(PACKED_BLOCK)];
        let mut packed = Vec::with_capacity(text.len().div_ceil(PACKED_BLOCK));
        for block in text.as_bytes().chunks(PACKED_BLOCK) {
            match lz4_flex::block::compress_into(block, &mut scratch) {
                Ok(n) => packed.push(scratch.get(..n).unwrap_or_default().into()),
                Err(_) => return false,
            }
        }
        let mut stored = self.stored();
        match &*stored {
            // Ours and the store's: no one took it while it was packed.
            Stored::Plain(now) if Arc::ptr_eq(now, &text) && Arc::strong_count(&text) == 2 => {
                *stored = Stored::Packed(packed);
                true
            }
            _ => false,
        }
    }
}

/// The text of `len` bytes packed in `blocks`; `None` if they do not
/// unpack to that (see [`Held::text`]).
fn unpack(blocks: &[Box<[u8]>], len: usize) -> Option<String> {
    let mut bytes = vec![0; len];
    let mut at = 0;
    for block in blocks {
        at += lz4_flex::block::decompress_into(block, bytes.get_mut(at..)?).ok()?;
    }
    if at != len {
        return None;
    }
    String::from_utf8(bytes).ok()
}

#[derive(Debug, Default)]
struct Index {
    sha256: OnceLock<String>,
    lines: OnceLock<LineStarts>,
    locate: crate::json::LocateCache,
    elements: OnceLock<Elements>,
}

/// The line and column of each element of one array, computed while the
/// text was at hand ([`SourceFile::index_elements`]).
#[derive(Debug)]
struct Elements {
    /// The array's pointer and a `/`: an element's pointer is this and its
    /// index.
    prefix: String,
    at: Vec<(usize, usize)>,
}

/// The 1-based line and character column of each of `starts` (increasing
/// byte offsets) in `text`, in one pass over the text up to the last.
fn lines_and_columns(text: &str, starts: &[usize]) -> Option<Vec<(usize, usize)>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(starts.len());
    // Where the text was read to, its line, and the column there (counted
    // on from the previous start on the same line: a minified SBOM is one
    // line, and counting from its start for each element would be
    // quadratic).
    let (mut at, mut line, mut column) = (0, 1, 1);
    for &start in starts {
        let gap = bytes.get(at..start)?;
        let from = match memchr::memrchr(b'\n', gap) {
            Some(last) => {
                line += memchr::memchr_iter(b'\n', gap).count();
                column = 1;
                at + last + 1
            }
            None => at,
        };
        column += text.get(from..start)?.chars().count();
        out.push((line, column));
        at = start;
    }
    Some(out)
}

impl SourceFile {
    /// Reads `path`, shown to the user as `display`.
    pub fn read(path: &Path, display: impl Into<String>, max_bytes: u64) -> Result<Self, Problem> {
        let display = display.into();
        let meta = std::fs::metadata(path).map_err(|e| io_problem(&display, &e))?;
        if !meta.is_file() {
            return Err(Problem::error(
                Code::NotAFile,
                format!("`{display}` is not a regular file"),
            )
            .with_help("name a JSON, TOML or policy file, not a directory, device or pipe")
            .at(Location::file(&display)));
        }
        if meta.len() > max_bytes {
            return Err(too_large(&display, max_bytes));
        }
        let file = std::fs::File::open(path).map_err(|e| io_problem(&display, &e))?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        // The file may grow between stat and read: never take more than the cap.
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| io_problem(&display, &e))?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(&display, max_bytes));
        }
        Self::from_bytes(path, display, bytes)
    }

    /// Wraps bytes already in memory (bundle files, stored evidence, tests).
    pub fn from_bytes(path: &Path, display: String, bytes: Vec<u8>) -> Result<Self, Problem> {
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            Problem::error(
                Code::NotUtf8,
                format!("`{display}` is not valid UTF-8 (byte {at})"),
            )
            .with_help("evidence and policy files must be UTF-8 text")
            .at(Location::file(&display))
        })?;
        // A UTF-8 byte order mark is not data; some generators write one.
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest.to_owned(), true),
            None => (text, false),
        };
        // The text is shared as read: an `Arc<str>` would be a second copy
        // of it, and for a large SBOM a second copy resident to the end.
        Ok(SourceFile {
            display: display.into(),
            path: path.to_path_buf(),
            text: Held::new(text),
            bom,
            index: Arc::default(),
        })
    }

    /// Text already in memory (tests, generated documents).
    pub fn from_text(display: impl Into<String>, text: &str) -> Self {
        let display = display.into();
        SourceFile {
            path: PathBuf::from(&display),
            text: Held::new(text.to_owned()),
            display: display.into(),
            bom: false,
            index: Arc::default(),
        }
    }

    /// The name shown to the user.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The name shown to the user, shared: for the locations of the many
    /// findings in one file.
    pub fn display_shared(&self) -> &Arc<str> {
        &self.display
    }

    /// The path it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text, shared (diagnostics quote it); unpacked if it was packed.
    pub fn text(&self) -> Text {
        self.text.text()
    }

    /// The text's length in bytes (without unpacking it).
    pub fn len(&self) -> usize {
        self.text.len
    }

    /// Is the text empty?
    pub fn is_empty(&self) -> bool {
        self.text.len == 0
    }

    /// Whether the text is long enough to be packed ([`PACKED_TEXT`]): what
    /// makes evidence *large*, for everything a check does differently for
    /// it (packing, letting go of an SBOM's components, returning freed
    /// memory before unpacking).
    pub fn is_large(&self) -> bool {
        self.text.len >= PACKED_TEXT
    }

    /// Packs the text in memory when it [`is_large`](Self::is_large) and
    /// nothing else holds it (see the module documentation);
    /// [`SourceFile::text`] unpacks it. Whether it was packed.
    pub fn pack(&self) -> bool {
        self.text.pack(PACKED_TEXT)
    }

    /// 1-based line and character column of a byte offset, via a line index.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.line_col_in(&self.text(), offset)
    }

    /// [`SourceFile::line_col`] in `text`, this file's text already at hand.
    pub(crate) fn line_col_in(&self, text: &str, offset: usize) -> (usize, usize) {
        let lines = self
            .index
            .lines
            .get_or_init(|| LineStarts::of(text.as_bytes()));
        let offset = offset.min(text.len());
        let (line, start) = lines.line_of(offset);
        let column = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// Computes and keeps the line and column of each element of the array
    /// at `pointer`, so that [`SourceFile::element_position`] gives them
    /// without the text: findings at an SBOM's components are located by a
    /// look-up, and those of a packed SBOM without unpacking it. The first
    /// call keeps its array.
    pub(crate) fn index_elements(&self, pointer: &str) {
        let text = self.text();
        let at = crate::json::element_starts(&text, pointer, &self.index.locate)
            .and_then(|starts| lines_and_columns(&text, &starts));
        if let Some(at) = at {
            let prefix = format!("{pointer}/");
            let _ = self.index.elements.set(Elements { prefix, at });
        }
    }

    /// The line and column of the element `pointer` names, when it is one
    /// of the array [`SourceFile::index_elements`] was given.
    pub(crate) fn element_position(&self, pointer: &str) -> Option<(usize, usize)> {
        let elements = self.index.elements.get()?;
        let index: usize = pointer.strip_prefix(&*elements.prefix)?.parse().ok()?;
        elements.at.get(index).copied()
    }

    pub(crate) fn locate_cache(&self) -> &crate::json::LocateCache {
        &self.index.locate
    }

    /// The bytes as read (the digest is over these), made whole
    /// ([`write_bytes`](Self::write_bytes) writes them out without). An error
    /// only if the packed text did not unpack whole, so that they are never
    /// other than what was checked.
    pub fn bytes(&self) -> Result<Vec<u8>, Problem> {
        let mut out = Vec::with_capacity(self.text.len + 3);
        self.write_bytes(&mut out).map_err(|_| {
            Problem::error(
                Code::Internal,
                format!("the text of `{}` kept in memory is damaged", self.display),
            )
            .with_help("run the check again; report it if it repeats")
            .at(Location::file(&self.display))
        })?;
        Ok(out)
    }

    /// Writes [`bytes`](Self::bytes) to `w` without making them first: a
    /// packed text a block at a time (storing a large SBOM in the ledger
    /// took its text unpacked and a copy of it, 54 MB at 100,000
    /// components). An error, like `bytes`, if the packed text does not
    /// unpack whole.
    pub fn write_bytes(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        if self.bom {
            w.write_all("\u{feff}".as_bytes())?;
        }
        self.text.write_to(w)
    }

    /// Lowercase hex sha256 of the bytes as read (before any BOM was
    /// dropped), computed on first use.
    pub fn sha256(&self) -> &str {
        self.index.sha256.get_or_init(|| {
            let mut hasher = Sha256::new();
            if self.bom {
                hasher.update("\u{feff}".as_bytes());
            }
            hasher.update(self.text().as_bytes());
            hex::encode(hasher.finalize())
        })
    }
}

fn io_problem(display: &str, e: &std::io::Error) -> Problem {
    let (msg, help) = match e.kind() {
        std::io::ErrorKind::NotFound => (
            format!("`{display}` does not exist"),
            "check the path in shipgate.toml or on the command line",
        ),
        std::io::ErrorKind::PermissionDenied => (
            format!("`{display}` cannot be read: permission denied"),
            "make the file readable by the user running shipgate",
        ),
        _ => (
            format!("`{display}` cannot be read: {e}"),
            "check that the path names a readable file",
        ),
    };
    Problem::error(Code::Io, msg)
        .with_help(help)
        .at(Location::file(display))
}

fn too_large(display: &str, max: u64) -> Problem {
    Problem::error(
        Code::TooLarge,
        format!("`{display}` is larger than the limit of {max} bytes"),
    )
    .with_help("raise `limits.max-file-bytes` in shipgate.toml if this file is genuine")
    .at(Location::file(display))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_starts_agree_in_both_widths() {
        let text = b"ab\n\ncd\nlast";
        let small = LineStarts::of(text);
        assert!(matches!(&small, LineStarts::Small(s) if s.capacity() == 4));
        let large = LineStarts::Large(vec![0, 3, 4, 7]);
        for offset in 0..=text.len() + 2 {
            assert_eq!(small.line_of(offset), large.line_of(offset), "{offset}");
        }
        assert_eq!(small.line_of(0), (1, 0));
        assert_eq!(small.line_of(3), (2, 3));
        assert_eq!(small.line_of(9), (4, 7));
    }

    #[test]
    fn reads_and_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, "\u{feff}{}").unwrap();
        let f = SourceFile::read(&p, "a.json", 100).unwrap();
        assert_eq!(*f.text(), "{}");
        assert_eq!(hex::encode(Sha256::digest(f.bytes().unwrap())), f.sha256());
        let g = SourceFile::from_text("b", "ab\ncdé\nf");
        for off in [0, 1, 3, 5, 8] {
            assert_eq!(
                g.line_col(off),
                crate::json::line_col(&g.text(), off),
                "offset {off}"
            );
        }
        assert_eq!(f.sha256().len(), 64);
    }

    #[test]
    fn a_packed_text_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        // Three blocks' worth.
        let items: Vec<String> = (0..80_000)
            .map(|i| format!("{{\"name\": \"pkg-{i}\", \"é\": {i}}}"))
            .collect();
        let text = format!("[\n{}\n]\n", items.join(",\n"));
        std::fs::write(&p, format!("\u{feff}{text}")).unwrap();
        let f = SourceFile::read(&p, "big.json", u64::MAX).unwrap();
        let (line_col, bytes) = (f.line_col(2_300_000), f.bytes().unwrap());
        // Below the size, or while another holder keeps the text: not packed.
        assert!(!f.pack());
        assert!(!f.text.pack(text.len() + 1));
        let held = f.text();
        assert!(!f.text.pack(1024));
        drop(held);
        assert!(f.text.pack(1024));
        assert!(matches!(&*f.text.stored(),
            Stored::Packed(p) if p.len() == 3 && p.iter().map(|b| b.len()).sum::<usize>() < text.len() / 2));
        // Any clone reads it back whole; the digest is of the same bytes.
        let clone = f.clone();
        assert_eq!(clone.len(), text.len());
        assert_eq!(*clone.text(), text);
        assert!(matches!(&*f.text.stored(), Stored::Plain(_)));
        assert_eq!(f.bytes().unwrap(), bytes);
        assert_eq!(f.line_col(2_300_000), line_col);
        assert_eq!(hex::encode(Sha256::digest(&bytes)), f.sha256());
        // Written out packed: the same bytes, BOM first, and it stays packed.
        assert!(f.text.pack(1024));
        let mut written = Vec::new();
        f.write_bytes(&mut written).unwrap();
        assert!(written == bytes);
        assert!(matches!(&*f.text.stored(), Stored::Packed(_)));
        // And unpacked.
        let _ = f.text();
        written.clear();
        f.write_bytes(&mut written).unwrap();
        assert!(written == bytes);
        // Packed again, the location of a value is found in the unpacked text.
        assert!(f.text.pack(1024));
        let at = crate::json::location_of(&f, "/1500/name");
        assert_eq!((at.line, at.column), (Some(1502), Some(10)));
    }

    #[test]
    fn element_positions_are_those_the_text_gives() {
        let pretty = "{\n  \"c\": [\n    {\"n\": \"é\"},\n    1, \"ü\", [2],\n\n    {}\n  ]\n}\n";
        let minified = "{\"x\":\"ééé\",\"c\":[{\"n\":\"é\"},1,\"ü\",[2],{}]}";
        for text in [pretty, minified] {
            let f = SourceFile::from_text("t.json", text);
            f.index_elements("/c");
            for i in 0..5 {
                let pointer = format!("/c/{i}");
                let start = crate::json::locate(&f.text(), &pointer).unwrap().start;
                assert_eq!(
                    f.element_position(&pointer),
                    Some(f.line_col(start)),
                    "{text}"
                );
                let at = crate::json::position_of(&f, &pointer);
                assert_eq!(
                    (at.line, at.column),
                    (Some(f.line_col(start).0), Some(f.line_col(start).1))
                );
            }
            for other in ["/c/5", "/c/0/n", "/c", "/x", "/c/-"] {
                assert_eq!(f.element_position(other), None, "{other}");
            }
        }
        // Not an array: nothing is kept.
        let f = SourceFile::from_text("t.json", "{\"c\": {\"0\": 1}}");
        f.index_elements("/c");
        assert_eq!(f.element_position("/c/0"), None);
    }

    #[test]
    fn a_damaged_packed_text_is_never_stored() {
        let f = SourceFile::from_text("t.json", &"[1, 2, 3]\n".repeat(500));
        assert!(f.text.pack(1024));
        if let Stored::Packed(blocks) = &mut *f.text.stored() {
            let p = blocks.first_mut().unwrap();
            *p = p.get(..p.len() / 2).unwrap().into();
        }
        assert!(f.write_bytes(&mut Vec::new()).is_err());
        assert_eq!(*f.text(), "");
        assert_eq!(f.bytes().unwrap_err().code, Code::Internal);
    }

    #[test]
    fn refuses_directories_missing_large_and_binary() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            SourceFile::read(dir.path(), "d", 100).unwrap_err().code,
            Code::NotAFile
        );
        assert_eq!(
            SourceFile::read(&dir.path().join("nope"), "nope", 100)
                .unwrap_err()
                .code,
            Code::Io
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b' '; 101]).unwrap();
        assert_eq!(
            SourceFile::read(&big, "big", 100).unwrap_err().code,
            Code::TooLarge
        );
        let bin = dir.path().join("bin");
        std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
        assert_eq!(
            SourceFile::read(&bin, "bin", 100).unwrap_err().code,
            Code::NotUtf8
        );
    }
}
