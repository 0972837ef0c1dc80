//! Reading our TOML files (shipgate.toml, bundle.toml, waivers.toml) with
//! errors that point at the offending key.

use serde::de::DeserializeOwned;

use crate::diag::{Code, Location, Problem};
use crate::source::SourceFile;

/// Deserializes `file` as `T`; a syntax error, unknown key or wrong type is a
/// problem at its position.
pub(crate) fn parse<T: DeserializeOwned>(file: &SourceFile, what: &str) -> Result<T, Problem> {
    let text = file.text();
    toml::from_str(&text).map_err(|e| {
        let message = e.message().trim_end_matches('.').to_owned();
        let loc = match e.span() {
            Some(span) => Location::span(file.display_shared(), &text, span),
            None => Location::file(file.display_shared()),
        };
        Problem::error(
            Code::TomlSyntax,
            format!("invalid {what} `{}`: {message}", file.display()),
        )
        .with_help(format!("see docs/{} for the format", doc_page(what)))
        .with_label(message)
        .at(loc)
    })
}

fn doc_page(what: &str) -> &'static str {
    match what {
        "bundle manifest" => "bundles.md",
        "waivers file" => "waivers.md",
        _ => "configuration.md",
    }
}

/// A location for a span of `file` (from `toml::Spanned`).
pub(crate) fn at(file: &SourceFile, span: std::ops::Range<usize>) -> Location {
    Location::span(file.display_shared(), &file.text(), span)
}
