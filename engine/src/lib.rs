//! shipgate's release gate as a library.
//!
//! Data flows one way: evidence → policy input → backends → decision → report.
//! Front ends (the `shipgate` CLI, the GitHub Action) build a [`Plan`], call
//! [`check`] and render the [`Report`] with a [`report::Reporter`].

pub mod attest;
pub mod backend;
pub mod bundle;
pub mod canonical;
pub mod config;
pub mod dashboard;
pub mod decision;
pub mod diag;
pub mod evidence;
pub mod gate;
pub mod json;
pub mod ledger;
mod parallel;
pub mod record;
pub mod replay;
pub mod report;
pub mod schema;
pub mod sign;
pub mod source;
mod text;
mod toml_file;

/// The unit tests run on the allocator the binaries ship with, so that the
/// timings measured by hand there (`cel_fast::tests::timing`) are the
/// binary's.
#[cfg(test)]
#[global_allocator]
static ALLOCATOR: shipgate_alloc::MiMalloc = shipgate_alloc::MiMalloc;

pub use backend::Language;
pub use bundle::Bundle;
pub use config::Config;
pub use decision::{RuleStatus, Verdict};
pub use diag::{Code, Location, Problem, Problems, Severity};
pub use gate::{GitContext, Plan, Report, check};
pub use source::SourceFile;
