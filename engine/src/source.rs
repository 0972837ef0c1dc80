//! Files as read: their text, digest and the name the user gave them.
//!
//! Every input goes through [`SourceFile::read`], which refuses what could hang
//! or exhaust the process (devices, pipes, files over the size limit) before a
//! byte is parsed, and keeps the text shared so diagnostics can quote it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use crate::diag::{Code, Location, Problem};
use crate::json::Text;

/// Default cap on any single input file: far above real SBOMs (the largest in
/// our corpus is 4 MB), far below what would exhaust memory.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A file's bytes as text, with its sha256 and display name.
#[derive(Debug, Clone)]
pub struct SourceFile {
    display: Arc<str>,
    path: PathBuf,
    text: Text,
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

#[derive(Debug, Default)]
struct Index {
    sha256: OnceLock<String>,
    lines: OnceLock<LineStarts>,
    locate: crate::json::LocateCache,
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
            text: Arc::new(text),
            bom,
            index: Arc::default(),
        })
    }

    /// Text already in memory (tests, generated documents).
    pub fn from_text(display: impl Into<String>, text: &str) -> Self {
        let display = display.into();
        SourceFile {
            path: PathBuf::from(&display),
            text: Arc::new(text.to_owned()),
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

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text, shared (for diagnostics).
    pub fn shared_text(&self) -> &Text {
        &self.text
    }

    /// 1-based line and character column of a byte offset, via a line index.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let lines = self
            .index
            .lines
            .get_or_init(|| LineStarts::of(self.text.as_bytes()));
        let offset = offset.min(self.text.len());
        let (line, start) = lines.line_of(offset);
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    pub(crate) fn locate_cache(&self) -> &crate::json::LocateCache {
        &self.index.locate
    }

    /// The bytes as read (the digest is over these), for storing the file.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + 3);
        if self.bom {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        out.extend_from_slice(self.text.as_bytes());
        out
    }

    /// Lowercase hex sha256 of the bytes as read (before any BOM was
    /// dropped), computed on first use.
    pub fn sha256(&self) -> &str {
        self.index.sha256.get_or_init(|| {
            let mut hasher = Sha256::new();
            if self.bom {
                hasher.update("\u{feff}".as_bytes());
            }
            hasher.update(self.text.as_bytes());
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
        assert_eq!(f.text(), "{}");
        assert_eq!(hex::encode(Sha256::digest(f.bytes())), f.sha256());
        let g = SourceFile::from_text("b", "ab\ncdé\nf");
        for off in [0, 1, 3, 5, 8] {
            assert_eq!(
                g.line_col(off),
                crate::json::line_col(g.text(), off),
                "offset {off}"
            );
        }
        assert_eq!(f.sha256().len(), 64);
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
