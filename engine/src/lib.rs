//! shipgate's release gate as a library.
//!
//! Data flows one way: evidence → policy input → backends → decision → report.

pub mod diag;
pub mod evidence;
pub mod json;
pub mod schema;
pub mod source;

pub use diag::{Code, Location, Problem, Problems, Severity};
pub use source::SourceFile;
pub mod backend;
mod text;
