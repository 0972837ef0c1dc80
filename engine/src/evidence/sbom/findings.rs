//! The problems found in one SBOM, capped per code.
//!
//! A broken 4 MB SBOM can violate its schema ten thousand times, one dangling
//! dependency per component. Nobody reads ten thousand lines, and building
//! each problem's location rescans the file. So each code keeps its first
//! [`MAX_PER_CODE`] problems, the rest are only counted and summed up in one
//! closing problem, and problems are built lazily: a problem past the cap
//! costs an increment.

use std::collections::BTreeMap;

use crate::diag::{Code, Location, Problem, Problems, Severity};
use crate::json;
use crate::source::SourceFile;

/// Problems of one code shown per file; the rest are counted.
pub const MAX_PER_CODE: usize = 50;

/// Collects the problems of one SBOM file.
pub struct Findings<'f> {
    file: &'f SourceFile,
    problems: Vec<Problem>,
    /// Per code: how many were kept, how many dropped and the worst severity
    /// among the dropped (so an error past the cap still fails the load).
    counts: BTreeMap<Code, Count>,
}

#[derive(Default)]
struct Count {
    kept: usize,
    dropped: usize,
    worst_dropped: Option<Severity>,
}

impl<'f> Findings<'f> {
    /// Nothing found yet in `file`.
    pub fn new(file: &'f SourceFile) -> Self {
        Findings {
            file,
            problems: Vec::new(),
            counts: BTreeMap::new(),
        }
    }

    /// The file the problems are about.
    pub fn file(&self) -> &'f SourceFile {
        self.file
    }

    /// Where `pointer` is in the file.
    pub fn at(&self, pointer: &str) -> Location {
        json::location_of(self.file, pointer)
    }

    /// Adds a warning; `make` runs only when it will be shown.
    pub fn warn(&mut self, code: Code, make: impl FnOnce(&Self) -> Problem) {
        self.add(code, Severity::Warning, make);
    }

    /// Adds an error; `make` runs only when it will be shown.
    pub fn error(&mut self, code: Code, make: impl FnOnce(&Self) -> Problem) {
        self.add(code, Severity::Error, make);
    }

    /// Adds a problem with the given severity, overriding the one `make` sets.
    pub fn add(&mut self, code: Code, severity: Severity, make: impl FnOnce(&Self) -> Problem) {
        let count = self.counts.entry(code).or_default();
        if count.kept >= MAX_PER_CODE {
            count.dropped += 1;
            count.worst_dropped = count.worst_dropped.max(Some(severity));
            return;
        }
        count.kept += 1;
        let mut problem = make(self);
        problem.code = code;
        problem.severity = severity;
        self.problems.push(problem);
    }

    /// Adds problems built elsewhere (schema validation), capped the same way.
    pub fn extend(&mut self, problems: Vec<Problem>) {
        for p in problems {
            let (code, severity) = (p.code, p.severity);
            self.add(code, severity, |_| p);
        }
    }

    /// Adds what `later` found, as if it had been found here after what is
    /// already here: its problems go through the cap again, and what it
    /// dropped counts as dropped here.
    pub fn append(&mut self, later: Findings<'_>) {
        self.extend(later.problems);
        for (code, count) in later.counts {
            let here = self.counts.entry(code).or_default();
            here.dropped += count.dropped;
            here.worst_dropped = here.worst_dropped.max(count.worst_dropped);
        }
    }

    /// Every problem, with one summary per code that went past the cap.
    pub fn finish(self) -> Problems {
        let mut problems = self.problems;
        for (code, count) in &self.counts {
            let Some(severity) = count.worst_dropped else {
                continue;
            };
            let mut p = Problem::warning(
                *code,
                format!(
                    "{} more `{code}` problems in `{}` not shown",
                    count.dropped,
                    self.file.display()
                ),
            )
            .with_help(format!(
                "only the first {MAX_PER_CODE} of each kind are listed: fix those and run again"
            ))
            .at(Location::file(self.file.display()));
            p.severity = severity;
            problems.push(p);
        }
        Problems(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_each_code_and_sums_up_the_rest() {
        let file = SourceFile::from_text("bom.json", "{}");
        let mut f = Findings::new(&file);
        let mut built = 0;
        for _ in 0..(MAX_PER_CODE + 7) {
            f.warn(Code::SbomDanglingDependency, |_| {
                built += 1;
                Problem::warning(Code::Internal, "x")
            });
        }
        f.warn(Code::SbomDuplicateRef, |_| {
            Problem::warning(Code::Internal, "y")
        });
        assert_eq!(built, MAX_PER_CODE);
        let ps = f.finish().0;
        assert_eq!(ps.len(), MAX_PER_CODE + 2);
        let summary = ps.last().unwrap();
        assert_eq!(summary.code, Code::SbomDanglingDependency);
        assert!(summary.message.starts_with("7 more"), "{}", summary.message);
        assert!(!summary.is_error());
    }

    #[test]
    fn appending_equals_finding_one_after_the_other() {
        let file = SourceFile::from_text("bom.json", "{}");
        let first = |f: &mut Findings<'_>| {
            for i in 0..30 {
                f.warn(Code::SbomSchemaViolation, |_| {
                    Problem::warning(Code::Internal, format!("schema {i}"))
                });
            }
        };
        let then = |f: &mut Findings<'_>| {
            for i in 0..(MAX_PER_CODE + 5) {
                f.warn(Code::SbomSchemaViolation, |_| {
                    Problem::warning(Code::Internal, format!("item {i}"))
                });
            }
            f.error(Code::SbomSchemaViolation, |_| {
                Problem::error(Code::Internal, "dropped error")
            });
            f.warn(Code::SbomDuplicateRef, |_| {
                Problem::warning(Code::Internal, "dup")
            });
        };
        let mut sequential = Findings::new(&file);
        first(&mut sequential);
        then(&mut sequential);
        let mut merged = Findings::new(&file);
        first(&mut merged);
        let mut later = Findings::new(&file);
        then(&mut later);
        merged.append(later);
        let (a, b) = (sequential.finish(), merged.finish());
        let show = |ps: &Problems| {
            ps.0.iter()
                .map(|p| (p.code, p.severity, p.message.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(show(&a), show(&b));
        assert!(b.has_errors());
        assert!(
            b.0.iter().any(|p| p.message.starts_with("36 more")),
            "{b:?}"
        );
    }

    #[test]
    fn a_dropped_error_still_fails() {
        let file = SourceFile::from_text("bom.json", "{}");
        let mut f = Findings::new(&file);
        for _ in 0..MAX_PER_CODE {
            f.warn(Code::SbomSchemaViolation, |_| {
                Problem::warning(Code::Internal, "w")
            });
        }
        f.error(Code::SbomSchemaViolation, |_| {
            Problem::error(Code::Internal, "e")
        });
        assert!(f.finish().has_errors());
    }
}
