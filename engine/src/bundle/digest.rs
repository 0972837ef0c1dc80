//! A bundle's files and their digest.
//!
//! The digest is the sha256 of a canonical listing, one line per file in
//! byte order of the path: `<sha256 hex>  <path>\n` (the `sha256sum` format,
//! paths relative to the bundle with `/` separators). Every file counts —
//! tests and docs too — so any change to what was reviewed changes the digest.
//!
//! Bundles come from anywhere, so the walk refuses what could read outside
//! the bundle or never end: symlinks leading out of it, special files, more
//! files or deeper directories than the limits allow.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::BundleLimits;
use crate::diag::{Code, Location, Problem, Problems};
use crate::source::SourceFile;

const MAX_DEPTH: usize = 16;

/// One file of a bundle.
#[derive(Debug, Clone)]
pub struct BundleFile {
    /// Path relative to the bundle, `/`-separated.
    pub path: String,
    /// Contents.
    pub source: SourceFile,
}

/// sha256 (hex) of the canonical listing.
pub(crate) fn digest(files: &[BundleFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.source.sha256().as_bytes());
        h.update(b"  ");
        h.update(f.path.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Every regular file under `dir`, sorted by path.
pub(crate) fn collect(
    dir: &Path,
    display: &str,
    limits: &BundleLimits,
) -> Result<Vec<BundleFile>, Problems> {
    let root = dir.canonicalize().map_err(|e| {
        Problem::error(
            Code::BundleInvalid,
            format!("bundle `{display}` cannot be opened: {e}"),
        )
        .with_help("name the bundle's directory (the one holding bundle.toml)")
        .at(Location::file(display))
    })?;
    if !root.is_dir() {
        return Err(Problem::error(
            Code::BundleInvalid,
            format!("bundle `{display}` is not a directory"),
        )
        .with_help("name the bundle's directory (the one holding bundle.toml)")
        .at(Location::file(display))
        .into());
    }
    let mut files = Vec::new();
    let mut problems = Problems::default();
    let mut stack = vec![(root.clone(), String::new(), 0usize)];
    while let Some((path, rel, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&path) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::error(
                    Code::Io,
                    format!("`{display}/{rel}` cannot be listed: {e}"),
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue; // .git, editor state: not part of the bundle
            }
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let shown = format!("{display}/{child_rel}");
            let child = entry.path();
            let Ok(real) = child.canonicalize() else {
                problems.push(
                    Problem::error(Code::BundleInvalid, format!("`{shown}` is a dangling link"))
                        .at(Location::file(&shown)),
                );
                continue;
            };
            if !real.starts_with(&root) {
                problems.push(
                    Problem::error(Code::BundlePathEscape, format!("`{shown}` leads outside the bundle"))
                        .with_help("a bundle must be self-contained: copy the file in instead of linking to it")
                        .at(Location::file(&shown)),
                );
                continue;
            }
            let Ok(meta) = std::fs::metadata(&real) else {
                continue;
            };
            if meta.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    problems.push(
                        Problem::error(
                            Code::BundleInvalid,
                            format!("`{shown}` is nested deeper than {MAX_DEPTH} directories"),
                        )
                        .at(Location::file(&shown)),
                    );
                } else {
                    stack.push((real, child_rel, depth + 1));
                }
                continue;
            }
            if !meta.is_file() {
                problems.push(
                    Problem::error(Code::NotAFile, format!("`{shown}` is not a regular file"))
                        .at(Location::file(&shown)),
                );
                continue;
            }
            if files.len() >= limits.max_files {
                return Err(Problem::error(
                    Code::BundleInvalid,
                    format!(
                        "bundle `{display}` has more than {} files",
                        limits.max_files
                    ),
                )
                .with_help("is this really a bundle directory?")
                .at(Location::file(display))
                .into());
            }
            match SourceFile::read(&real, shown, limits.max_file_bytes) {
                Ok(source) => files.push(BundleFile {
                    path: child_rel,
                    source,
                }),
                Err(p) => problems.push(p),
            }
        }
    }
    problems.into_result()?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_order_independent_and_content_sensitive() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("bundle.toml"), "x").unwrap();
        std::fs::write(dir.path().join("sub/a.rego"), "y").unwrap();
        let l = BundleLimits::default();
        let files = collect(dir.path(), "b", &l).unwrap();
        assert_eq!(
            files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["bundle.toml", "sub/a.rego"]
        );
        let d1 = digest(&files);
        std::fs::write(dir.path().join("sub/a.rego"), "z").unwrap();
        assert_ne!(d1, digest(&collect(dir.path(), "b", &l).unwrap()));
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_bundle_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("leak.rego"))
            .unwrap();
        let err = collect(dir.path(), "b", &BundleLimits::default()).unwrap_err();
        assert_eq!(err.0[0].code, Code::BundlePathEscape);
    }
}
