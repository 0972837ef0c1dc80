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
