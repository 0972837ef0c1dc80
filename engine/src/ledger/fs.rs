//! The ledger on the local file system.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Entry, Finding, HeadRef, problem};
use crate::diag::Problem;

/// Largest object read back (evidence files are capped lower when checked).
const MAX_OBJECT_BYTES: u64 = 512 * 1024 * 1024;

/// A ledger directory.
#[derive(Debug, Clone)]
pub struct Ledger {
    dir: PathBuf,
    display: String,
}

/// An entry and the sha256 of its bytes.
pub type Committed = (Entry, String);

/// What an append needs besides the objects: the entry without `seq` and `prev`.
pub type Draft = Entry;

impl Ledger {
    /// Opens (creating if needed) the ledger at `dir`.
    pub fn open(dir: &Path) -> Result<Ledger, Problem> {
        let display = dir.display().to_string();
        for sub in ["objects/sha256", "entries"] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| {
                problem(
                    &display,
                    format!("cannot create ledger `{display}`: {e}"),
                    "check the path and its permissions",
                )
            })?;
        }
        Ok(Ledger {
            dir: dir.to_path_buf(),
            display,
        })
    }

    /// Opens an existing ledger without creating anything.
    pub fn open_existing(dir: &Path) -> Result<Ledger, Problem> {
        let display = dir.display().to_string();
        if !dir.join("entries").is_dir() {
            return Err(problem(
                &display,
                format!("`{display}` is not a shipgate ledger"),
                "a ledger has entries/ and objects/; `shipgate check` creates one",
            ));
        }
        Ok(Ledger {
            dir: dir.to_path_buf(),
            display,
        })
    }

    /// The directory as the user named it.
    pub fn display(&self) -> &str {
        &self.display
    }

    fn io(&self, what: &str, e: &std::io::Error) -> Problem {
        problem(
            &self.display,
            format!("ledger `{}`: {what}: {e}", self.display),
            "check the ledger directory and its permissions",
        )
    }

    fn object_path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let (head, tail) = (sha256.get(..2)?, sha256.get(2..)?);
        valid.then(|| self.dir.join("objects/sha256").join(head).join(tail))
    }

    fn entry_path(&self, seq: u64) -> PathBuf {
        self.dir.join("entries").join(format!("{seq:012}.json"))
    }

    /// Stores `bytes`; returns their sha256. Idempotent.
    pub fn put_object(&self, bytes: &[u8]) -> Result<String, Problem> {
        let digest = hex::encode(Sha256::digest(bytes));
        let path = self
            .object_path(&digest)
            .ok_or_else(|| self.io("bad digest", &std::io::Error::other(digest.clone())))?;
        if path.is_file() {
            return Ok(digest);
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| self.io("cannot create an object directory", &e))?;
        }
        write_atomic(&path, bytes).map_err(|e| self.io("cannot write an object", &e))?;
        Ok(digest)
    }

    /// Stores the bytes `write` writes, hashed as they are written: an
    /// object too large to be held whole first (a large record's text).
    pub fn put_object_with(
        &self,
        write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<String, Problem> {
        let dir = self.dir.join("objects");
        fs::create_dir_all(&dir).map_err(|e| self.io("cannot create an object directory", &e))?;
        let tmp = dir.join(format!(".incoming.{}.{}.tmp", std::process::id(), unique()));
        let stored = (|| -> Result<String, Problem> {
            let file = File::create(&tmp).map_err(|e| self.io("cannot write an object", &e))?;
            let mut out = Hashing {
                inner: std::io::BufWriter::with_capacity(256 * 1024, file),
                hasher: Sha256::new(),
            };
            write(&mut out).map_err(|e| self.io("cannot write an object", &e))?;
            let file = out
                .inner
                .into_inner()
                .map_err(|e| self.io("cannot write an object", e.error()))?;
            file.sync_all()
                .map_err(|e| self.io("cannot write an object", &e))?;
            let digest = hex::encode(out.hasher.finalize());
            let path = self
                .object_path(&digest)
                .ok_or_else(|| self.io("bad digest", &std::io::Error::other(digest.clone())))?;
            if path.is_file() {
                let _ = fs::remove_file(&tmp);
                return Ok(digest);
            }
            fs::create_dir_all(path.parent().unwrap_or(&dir))
                .map_err(|e| self.io("cannot create an object directory", &e))?;
            install(&tmp, &path).map_err(|e| self.io("cannot write an object", &e))?;
            Ok(digest)
        })();
        if stored.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        stored
    }

    /// Stores a file whose sha256 is known: nothing is written when the
    /// object is there already; otherwise what `write` writes, which must
    /// hash to `sha256` (an internal error if not: it was checked as those
    /// bytes).
    pub fn put_object_as(
        &self,
        sha256: &str,
        write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<String, Problem> {
        if self.object_path(sha256).is_some_and(|p| p.is_file()) {
            return Ok(sha256.to_owned());
        }
        let digest = self.put_object_with(write)?;
        if digest != sha256 {
            return Err(Problem::error(
                crate::diag::Code::Internal,
                format!(
                    "a file checked as sha256 `{sha256}` was stored as bytes hashing to `{digest}`"
                ),
            )
            .with_help("run the check again; report it if it repeats"));
        }
        Ok(digest)
    }

    /// Reads an object, checking its digest.
    pub fn get_object(&self, sha256: &str) -> Result<Vec<u8>, Problem> {
        let (bytes, actual) = self.read_object(sha256)?;
        match actual {
            None => Ok(bytes),
            Some(actual) => Err(problem(
                &self.display,
                format!("object `{sha256}` was altered: its bytes hash to `{actual}`"),
                "restore the ledger from a copy; an altered object cannot be trusted",
            )),
        }
    }

    /// Reads an object even if altered; the second value is its actual sha256
    /// when that differs from its name (a replay shows what the change does).
    pub fn read_object(&self, sha256: &str) -> Result<(Vec<u8>, Option<String>), Problem> {
        let path = self.object_path(sha256).ok_or_else(|| {
            problem(
                &self.display,
                format!("`{sha256}` is not a sha256 digest"),
                "objects are named by lowercase hex sha256",
            )
        })?;
        let meta = fs::metadata(&path).map_err(|_| {
            problem(
                &self.display,
                format!(
                    "object `{sha256}` is missing from ledger `{}`",
                    self.display
                ),
                "the ledger was altered or copied incompletely",
            )
        })?;
        if meta.len() > MAX_OBJECT_BYTES {
            return Err(problem(
                &self.display,
                format!("object `{sha256}` is larger than {MAX_OBJECT_BYTES} bytes"),
                "the ledger was altered",
            ));
        }
        let bytes = fs::read(&path).map_err(|e| self.io("cannot read an object", &e))?;
        let actual = hex::encode(Sha256::digest(&bytes));
        Ok((bytes, (actual != sha256).then_some(actual)))
    }

    fn head(&self) -> Result<Option<(u64, String)>, Problem> {
        let path = self.dir.join("HEAD");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("cannot read HEAD", &e)),
        };
        let head: HeadRef<'_> = serde_json::from_str(&text).map_err(|e| {
            problem(
                &self.display,
                format!("ledger `{}` HEAD is corrupt: {e}", self.display),
                "HEAD holds {\"seq\": N, \"entry\": \"<sha256>\"}",
            )
        })?;
        Ok(Some((head.seq, head.entry.to_owned())))
    }

    /// Appends an entry: `draft.seq` and `draft.prev` are set here, under the
    /// lock, so concurrent writers never fork the chain. Returns the entry.
    pub fn append(&self, mut draft: Draft) -> Result<Entry, Problem> {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("lock"))
            .map_err(|e| self.io("cannot open the lock", &e))?;
        lock.lock()
            .map_err(|e| self.io("cannot take the lock", &e))?;
        let result = (|| {
            let (seq, prev) = match self.head()? {
                Some((seq, entry)) => (seq + 1, Some(entry)),
                None => (1, None),
            };
            draft.seq = seq;
            draft.prev = prev;
            // Field order is fixed by the struct: the bytes are a function of the entry.
            let bytes = serde_json::to_vec(&draft)
                .map_err(|e| self.io("cannot encode the entry", &std::io::Error::other(e)))?;
            let digest = hex::encode(Sha256::digest(&bytes));
            // An entry beyond HEAD is an interrupted append: HEAD is the commit
            // point, so it is replaced.
            write_atomic(&self.entry_path(seq), &bytes)
                .map_err(|e| self.io("cannot write the entry", &e))?;
            let head = serde_json::to_vec(&HeadRef {
                seq,
                entry: &digest,
            })
            .map_err(|e| self.io("cannot encode HEAD", &std::io::Error::other(e)))?;
            write_atomic(&self.dir.join("HEAD"), &head)
                .map_err(|e| self.io("cannot write HEAD", &e))?;
            Ok(draft.clone())
        })();
        let _ = lock.unlock();
        result
    }

    /// Every committed entry, in order. Stops at the first unreadable one.
    pub fn entries(&self) -> Result<Vec<Committed>, Problem> {
        let Some((head_seq, _)) = self.head()? else {
            return Ok(Vec::new());
        };
        (1..=head_seq)
            .map(|seq| {
                let bytes = fs::read(self.entry_path(seq))
                    .map_err(|e| self.io(&format!("cannot read entry {seq}"), &e))?;
                let entry: Entry = serde_json::from_slice(&bytes).map_err(|e| {
                    problem(
                        &self.display,
                        format!("entry {seq} is corrupt: {e}"),
                        "run `shipgate ledger verify` for details",
                    )
                })?;
                Ok((entry, hex::encode(Sha256::digest(&bytes))))
            })
            .collect()
    }

    /// Checks the chain and every object it names; signatures are checked by
    /// the caller (it knows the trusted keys). Returns what is wrong.
    pub fn verify_chain(&self) -> Result<(Vec<Committed>, Vec<Finding>), Problem> {
        let mut findings = Vec::new();
        let head = self.head()?;
        let head_seq = head.as_ref().map_or(0, |(s, _)| *s);
        let mut good = Vec::new();
        // Digest of the entry before the current one, when it could be read.
        let mut prev: Option<String> = None;
        // Objects are content-addressed and shared (every entry names the same
        // bundle files): each is read and hashed once per walk.
        let mut checked: std::collections::HashSet<String> = std::collections::HashSet::new();
        for seq in 1..=head_seq {
            let bytes = match fs::read(self.entry_path(seq)) {
                Ok(b) => b,
                Err(_) => {
                    findings.push(Finding {
                        seq: Some(seq),
                        message: format!("entry {seq} was removed"),
                    });
                    prev = None;
                    continue;
                }
            };
            let digest = hex::encode(Sha256::digest(&bytes));
            let entry: Entry = match serde_json::from_slice(&bytes) {
                Ok(e) => e,
                Err(e) => {
                    findings.push(Finding {
                        seq: Some(seq),
                        message: format!("entry {seq} is not a ledger entry: {e}"),
                    });
                    prev = Some(digest);
                    continue;
                }
            };
            if entry.seq != seq {
                findings.push(Finding {
                    seq: Some(seq),
                    message: format!(
                        "entry {seq} says it is entry {}: entries were reordered or replaced",
                        entry.seq
                    ),
                });
            }
            match (seq, &prev) {
                (1, _) if entry.prev.is_some() => findings.push(Finding {
                    seq: Some(1),
                    message: "entry 1 names a predecessor: the start of the ledger was removed".to_owned(),
                }),
                (2.., Some(p)) if entry.prev.as_ref() != Some(p) => findings.push(Finding {
                    seq: Some(seq),
                    message: format!(
                        "entry {seq} does not follow entry {}: entry {} was altered, or entries were inserted or reordered",
                        seq - 1,
                        seq - 1
                    ),
                }),
                _ => {}
            }
            for (what, sha) in std::iter::once(("record", &entry.record))
                .chain(entry.vsa.iter().map(|v| ("VSA", v)))
                .chain(entry.evidence.iter().map(|f| ("evidence file", &f.sha256)))
                .chain(entry.waivers.iter().map(|f| ("waivers file", &f.sha256)))
                .chain(
                    entry
                        .bundles
                        .iter()
                        .flat_map(|b| b.files.iter().map(|f| ("bundle file", &f.sha256))),
                )
            {
                if checked.contains(sha.as_str()) {
                    continue;
                }
                if let Err(p) = self.get_object(sha) {
                    findings.push(Finding {
                        seq: Some(seq),
                        message: format!("{what}: {}", p.message),
                    });
                } else {
                    checked.insert(sha.clone());
                }
            }
            prev = Some(digest.clone());
            good.push((entry, digest));
        }
        if let (Some((_, head_entry)), Some(last)) = (&head, &prev)
            && head_entry != last
        {
            findings.push(Finding {
                seq: Some(head_seq),
                message: format!("entry {head_seq} was altered: HEAD names another entry"),
            });
        }
        // Entries beyond HEAD: an interrupted append, or an inserted record.
        if let Ok(dir) = fs::read_dir(self.dir.join("entries")) {
            let mut extra: Vec<String> = dir
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| {
                    name.strip_suffix(".json")
                        .and_then(|n| n.parse::<u64>().ok())
                        .is_none_or(|n| n > head_seq || n == 0)
                        && !name.starts_with('.')
                })
                .collect();
            extra.sort();
            for name in extra {
                findings.push(Finding { seq: None, message: format!("entries/{name} is not committed by HEAD: an inserted record or an interrupted append") });
            }
        }
        Ok((good, findings))
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the new one,
/// never a part: a temporary file in the same directory, fsync, rename, fsync
/// of the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), unique()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        install(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Moves a written and synced temporary file to `path`, then syncs the
/// directory that now names it.
fn install(tmp: &Path, path: &Path) -> std::io::Result<()> {
    fs::rename(tmp, path)?;
    if let Ok(d) = File::open(path.parent().unwrap_or(Path::new("."))) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{EntryRelease, StoredFile};

    fn draft(ledger: &Ledger, n: u64) -> Entry {
        let record = ledger.put_object(format!("record {n}").as_bytes()).unwrap();
        let ev = ledger.put_object(b"{}").unwrap();
        Entry {
            ledger_version: 1,
            seq: 0,
            prev: None,
            record,
            vsa: None,
            time: "2026-11-23T00:00:00Z".into(),
            release: Some(EntryRelease {
                name: "r".into(),
                version: n.to_string(),
            }),
            verdict: "pass".into(),
            evidence: vec![StoredFile {
                kind: Some(crate::evidence::EvidenceKind::Sbom),
                path: "s.json".into(),
                sha256: ev,
            }],
            waivers: None,
            bundles: vec![],
        }
    }

    fn ledger_with(n: u64) -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("ledger")).unwrap();
        for i in 0..n {
            l.append(draft(&l, i)).unwrap();
        }
        (dir, l)
    }

    fn findings(l: &Ledger) -> Vec<String> {
        l.verify_chain()
            .unwrap()
            .1
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    /// An object written piece by piece is stored as the same bytes are
    /// whole: same name, same content, once; nothing is left beside it, also
    /// when the writer fails.
    #[test]
    fn objects_written_in_pieces_are_stored_as_whole_ones() {
        let (_d, l) = ledger_with(0);
        let text: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let pieces = l
            .put_object_with(&|w| text.chunks(4096).try_for_each(|c| w.write_all(c)))
            .unwrap();
        assert_eq!(l.get_object(&pieces).unwrap(), text);
        assert_eq!(l.put_object(&text).unwrap(), pieces);
        assert_eq!(l.put_object_with(&|w| w.write_all(&text)).unwrap(), pieces);
        let failed = l.put_object_with(&|w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("the writer gave up"))
        });
        assert!(failed.unwrap_err().message.contains("the writer gave up"));
        let stray: Vec<_> = fs::read_dir(l.dir.join("objects"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
        // Known by its digest: not written again; bytes that do not hash to
        // the digest they were checked as are an internal error.
        let never = |_: &mut dyn Write| -> std::io::Result<()> { panic!("written again") };
        assert_eq!(l.put_object_as(&pieces, &never).unwrap(), pieces);
        let other = hex::encode(Sha256::digest(b"other"));
        let wrong = l.put_object_as(&other, &|w| w.write_all(b"not other"));
        assert_eq!(wrong.unwrap_err().code, crate::diag::Code::Internal);
    }

    #[test]
    fn appends_chain_and_verify() {
        let (_d, l) = ledger_with(3);
        let entries = l.entries().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].0.prev.as_deref(), Some(entries[0].1.as_str()));
        assert!(findings(&l).is_empty());
    }

    #[test]
    fn concurrent_writers_never_fork_the_chain() {
        let (_d, l) = ledger_with(0);
        std::thread::scope(|s| {
            for t in 0..8 {
                let l = l.clone();
                s.spawn(move || {
                    for i in 0..25 {
                        l.append(draft(&l, t * 100 + i)).unwrap();
                    }
                });
            }
        });
        assert_eq!(l.entries().unwrap().len(), 200);
        assert!(findings(&l).is_empty());
    }

    #[test]
    fn removed_altered_reordered_and_inserted_entries_are_named() {
        let (_d, l) = ledger_with(4);
        fs::remove_file(l.entry_path(2)).unwrap();
        assert!(
            findings(&l).iter().any(|f| f == "entry 2 was removed"),
            "{:?}",
            findings(&l)
        );

        let (_d, l) = ledger_with(4);
        let p = l.entry_path(2);
        let text = fs::read_to_string(&p)
            .unwrap()
            .replace("\"pass\"", "\"fail\"");
        fs::write(&p, text).unwrap();
        assert!(
            findings(&l)
                .iter()
                .any(|f| f.contains("entry 3 does not follow entry 2")),
            "{:?}",
            findings(&l)
        );

        let (_d, l) = ledger_with(4);
        let (a, b) = (
            fs::read(l.entry_path(2)).unwrap(),
            fs::read(l.entry_path(3)).unwrap(),
        );
        fs::write(l.entry_path(2), b).unwrap();
        fs::write(l.entry_path(3), a).unwrap();
        assert!(
            findings(&l).iter().any(|f| f.contains("reordered")),
            "{:?}",
            findings(&l)
        );

        let (_d, l) = ledger_with(2);
        fs::write(l.entry_path(3), fs::read(l.entry_path(2)).unwrap()).unwrap();
        assert!(
            findings(&l)
                .iter()
                .any(|f| f.contains("not committed by HEAD")),
            "{:?}",
            findings(&l)
        );

        let (_d, l) = ledger_with(2);
        let last = l.entries().unwrap().pop().unwrap();
        let obj = l.object_path(&last.0.record).unwrap();
        fs::write(obj, b"forged").unwrap();
        assert!(
            findings(&l).iter().any(|f| f.contains("was altered")),
            "{:?}",
            findings(&l)
        );
    }

    #[test]
    fn interrupted_append_is_replaced_by_the_next() {
        let (_d, l) = ledger_with(2);
        fs::write(l.entry_path(3), b"half an entr").unwrap();
        l.append(draft(&l, 9)).unwrap();
        assert_eq!(l.entries().unwrap().len(), 3);
        assert!(findings(&l).is_empty());
    }
}
