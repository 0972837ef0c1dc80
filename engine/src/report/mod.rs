//! Rendering a [`Report`]: every output format behind one trait.
//!
//! Renderers are pure functions of the report, so one evaluation can be
//! written in several formats at once and the front end only picks.

mod text;

use crate::gate::Report;

pub use text::Text;

/// An output format.
pub trait Reporter {
    /// Renders the report.
    fn render(&self, report: &Report) -> String;
}

/// `--format json`: the report as documented in `schemas/report.schema.json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Reporter for Json {
    fn render(&self, report: &Report) -> String {
        match serde_json::to_string_pretty(report) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            Err(e) => format!("{{\"error\": \"cannot serialize the report: {e}\"}}\n"),
        }
    }
}
