//! Which SBOM format a file is in, and whether shipgate reads that version.
//!
//! Users hand over whatever their generator wrote: XML, tag-value, YAML,
//! SPDX 3 JSON-LD, a CycloneDX version from the future. Each gets a precise
//! "not this, but that" instead of a JSON syntax error or a wall of schema
//! violations, so the user knows what to convert to.

use crate::json::doc::{Kind, Val};

use crate::diag::{Code, Location, Problem};
use crate::schema::SchemaId;
use crate::source::SourceFile;

use super::de::kind;

/// What every "unsupported" message offers instead.
pub const SUPPORTED: &str = "shipgate reads CycloneDX JSON 1.2 to 1.7 and SPDX 2.2 or 2.3 JSON";

/// A recognized, supported SBOM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected<'a> {
    /// CycloneDX JSON; `schema` is `None` for 1.2 and 1.3, which have none here.
    CycloneDx {
        /// `specVersion` as written.
        spec: &'a str,
        /// The official schema of that version.
        schema: Option<SchemaId>,
    },
    /// SPDX 2.2 or 2.3 JSON.
    Spdx {
        /// `spdxVersion` as written.
        spec: &'a str,
        /// The official schema of that version.
        schema: SchemaId,
    },
}

/// Why a document is not read (boxed: a `Problem` is large and the happy
/// path should not pay for moving it).
pub type Refusal = Box<Problem>;

/// Recognizes a parsed JSON document.
pub fn detect<'a>(file: &SourceFile, value: Val<'a>) -> Result<Detected<'a>, Refusal> {
    let name = file.display();
    let at = |pointer: &str| crate::json::location_of(file, pointer);
    let Some(doc) = value.as_object() else {
        return Err(Box::new(
            Problem::error(
                Code::SbomUnknownFormat,
                format!("`{name}` is {}, not an SBOM document", kind(value)),
            )
            .with_help(SUPPORTED)
            .at(at("")),
        ));
    };
    if let Some(context) = doc.get("@context") {
        return Err(Box::new(json_ld(name, context).at(at("/@context"))));
    }
    if let Some(format) = doc.get("bomFormat") {
        if format.as_str() != Some("CycloneDX") {
            return Err(Box::new(
                Problem::error(
                    Code::SbomUnknownFormat,
                    format!(
                        "`bomFormat` of `{name}` is {}, not `CycloneDX`",
                        quoted(format)
                    ),
                )
                .with_help(format!(
                    "{SUPPORTED}; CycloneDX documents say `\"bomFormat\": \"CycloneDX\"`"
                ))
                .at(at("/bomFormat")),
            ));
        }
        return cyclonedx(name, doc.get("specVersion")).map_err(|p| {
            let pointer = if doc.get("specVersion").is_some() {
                "/specVersion"
            } else {
                "/bomFormat"
            };
            Box::new(p.at(at(pointer)))
        });
    }
    if let Some(version) = doc.get("spdxVersion") {
        return spdx(name, version).map_err(|p| Box::new(p.at(at("/spdxVersion"))));
    }
    let (message, help, pointer) = if doc.get("specVersion").is_some() {
        (
            format!("`{name}` has a `specVersion` but no `bomFormat`"),
            format!("{SUPPORTED}; if this is CycloneDX, add `\"bomFormat\": \"CycloneDX\"`"),
            "/specVersion",
        )
    } else {
        (
            format!("`{name}` is neither CycloneDX (no `bomFormat`) nor SPDX (no `spdxVersion`)"),
            SUPPORTED.to_owned(),
            "",
        )
    };
    Err(Box::new(
        Problem::error(Code::SbomUnknownFormat, message)
            .with_help(help)
            .at(at(pointer)),
    ))
}

fn quoted(value: Val<'_>) -> String {
    match value.as_str() {
        Some(s) => format!("`{s}`"),
        None => kind(value).to_owned(),
    }
}

fn json_ld(name: &str, context: Val<'_>) -> Problem {
    let mentions_spdx = match context.kind() {
        Kind::Str(s) => s.contains("spdx"),
        // A `Val` debug-prints as its JSON text.
        _ => format!("{context:?}").contains("spdx"),
    };
    if mentions_spdx {
        Problem::error(
            Code::SbomUnsupportedVersion,
            format!("`{name}` is SPDX 3 JSON-LD, which shipgate does not read yet"),
        )
        .with_help(format!(
            "{SUPPORTED}; SPDX 3 support is planned: meanwhile have the generator write SPDX 2.3 JSON or CycloneDX JSON"
        ))
    } else {
        Problem::error(
            Code::SbomUnknownFormat,
            format!("`{name}` is a JSON-LD document, not a CycloneDX or SPDX 2 SBOM"),
        )
        .with_help(SUPPORTED)
    }
}

fn cyclonedx<'a>(name: &str, version: Option<Val<'a>>) -> Result<Detected<'a>, Refusal> {
    let Some(spec) = version.and_then(Val::as_str) else {
        return Err(Box::new(
            Problem::error(
                Code::SbomUnsupportedVersion,
                format!("CycloneDX document `{name}` has no `specVersion` string"),
            )
            .with_help(format!("{SUPPORTED}; add e.g. `\"specVersion\": \"1.6\"`")),
        ));
    };
    let schema = match spec {
        "1.2" | "1.3" => None,
        "1.4" | "1.5" | "1.6" | "1.7" => cyclonedx_schema(spec),
        "1.0" | "1.1" => {
            return Err(Box::new(
                Problem::error(
                    Code::SbomUnsupportedVersion,
                    format!("`{name}` claims CycloneDX {spec}, which had no JSON format"),
                )
                .with_help(format!(
                    "{SUPPORTED}; regenerate the SBOM with a current CycloneDX tool"
                )),
            ));
        }
        _ => {
            return Err(Box::new(
                Problem::error(
                    Code::SbomUnsupportedVersion,
                    format!("CycloneDX version `{spec}` of `{name}` is not supported"),
                )
                .with_help(format!(
                    "{SUPPORTED}; ask the generator for CycloneDX 1.6 or 1.7"
                )),
            ));
        }
    };
    Ok(Detected::CycloneDx { spec, schema })
}

fn spdx<'a>(name: &str, version: Val<'a>) -> Result<Detected<'a>, Refusal> {
    let Some(spec) = version.as_str() else {
        return Err(Box::new(
            Problem::error(
                Code::SbomUnsupportedVersion,
                format!(
                    "`spdxVersion` of `{name}` is {}, not a string",
                    kind(version)
                ),
            )
            .with_help(format!(
                "{SUPPORTED}; write e.g. `\"spdxVersion\": \"SPDX-2.3\"`"
            )),
        ));
    };
    if let Some(schema) = spdx_schema(spec) {
        return Ok(Detected::Spdx { spec, schema });
    }
    match spec {
        _ if spec.starts_with("SPDX-3") => Err(Box::new(Problem::error(
            Code::SbomUnsupportedVersion,
            format!("`{name}` is SPDX 3 ({spec}), which shipgate does not read yet"),
        )
        .with_help(format!(
            "{SUPPORTED}; SPDX 3 support is planned: meanwhile have the generator write SPDX 2.3 JSON"
        )))),
        _ if spec.starts_with("SPDX-2.") => Err(Box::new(Problem::error(
            Code::SbomUnsupportedVersion,
            format!("SPDX version `{spec}` of `{name}` is not supported"),
        )
        .with_help(format!(
            "{SUPPORTED}; JSON became an official SPDX format with 2.2: convert the document to SPDX 2.3 JSON"
        )))),
        _ => Err(Box::new(Problem::error(
            Code::SbomUnsupportedVersion,
            format!("`spdxVersion` of `{name}` is `{spec}`, not an SPDX 2 version"),
        )
        .with_help(format!("{SUPPORTED}; SPDX 2.3 documents say `\"spdxVersion\": \"SPDX-2.3\"`")))),
    }
}

/// The official schema of a CycloneDX `specVersion`, when one is embedded.
fn cyclonedx_schema(spec: &str) -> Option<SchemaId> {
    match spec {
        "1.4" => Some(SchemaId::CycloneDx14),
        "1.5" => Some(SchemaId::CycloneDx15),
        "1.6" => Some(SchemaId::CycloneDx16),
        "1.7" => Some(SchemaId::CycloneDx17),
        _ => None,
    }
}

/// The official schema of a supported `spdxVersion`.
fn spdx_schema(spec: &str) -> Option<SchemaId> {
    match spec {
        "SPDX-2.2" => Some(SchemaId::Spdx22),
        "SPDX-2.3" => Some(SchemaId::Spdx23),
        _ => None,
    }
}

/// How far into the text [`sniff`] looks.
const SNIFF_BYTES: usize = 64 * 1024;

/// A guess, from the unparsed text, at the schema [`detect`] will choose:
/// the first `"specVersion"` or `"spdxVersion"` member in the first 64 KiB
/// whose value is a plain string naming a version with a schema. Only a
/// guess (the member may belong to a nested object, or be followed by the
/// real one): it lets the schema compile while the text is parsed, and
/// [`detect`] still decides on the parsed document.
pub fn sniff(text: &str) -> Option<SchemaId> {
    let end = (0..=text.len().min(SNIFF_BYTES))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let head = text.get(..end).unwrap_or_default();
    let value_of = |key: &str| {
        let (_, rest) = head.split_once(key)?;
        let rest = rest.trim_start().strip_prefix(':')?.trim_start();
        let (value, _) = rest.strip_prefix('"')?.split_once('"')?;
        Some(value)
    };
    value_of("\"specVersion\"")
        .and_then(cyclonedx_schema)
        .or_else(|| value_of("\"spdxVersion\"").and_then(spdx_schema))
}

/// Explains a file that did not parse as JSON: an SBOM in another
/// serialization gets told what to convert to; anything else that looks like
/// JSON keeps its syntax error (with its position).
pub fn not_json(file: &SourceFile, json_error: Problem) -> Problem {
    let name = file.display();
    let text = file.text();
    let first = text.trim_start().chars().next();
    if first == Some('<') {
        return Problem::error(
            Code::SbomUnknownFormat,
            format!("`{name}` is XML (CycloneDX XML or SPDX RDF/XML), not JSON"),
        )
        .with_help(format!(
            "{SUPPORTED}; convert it, e.g. `cyclonedx convert --input-file bom.xml --output-format json` or `pyspdxtools -i doc.rdf.xml -o doc.spdx.json`"
        ))
        .at(Location::file(name));
    }
    if let Some(range) = line_starting_with(&text, "SPDXVersion:") {
        return Problem::error(
            Code::SbomUnknownFormat,
            format!("`{name}` is an SPDX tag-value document, which shipgate does not read yet"),
        )
        .with_help(format!(
            "{SUPPORTED}; tag-value support is planned: meanwhile convert it to SPDX 2.3 JSON, e.g. `pyspdxtools -i doc.spdx -o doc.spdx.json`"
        ))
        .at(Location::span(name, &text, range));
    }
    let yaml = line_starting_with(&text, "spdxVersion:")
        .or_else(|| line_starting_with(&text, "bomFormat:"));
    if let Some(range) = yaml {
        return Problem::error(
            Code::SbomUnknownFormat,
            format!("`{name}` is a YAML SBOM, which shipgate does not read"),
        )
        .with_help(format!(
            "{SUPPORTED}; convert it to JSON, e.g. `pyspdxtools -i doc.spdx.yaml -o doc.spdx.json`"
        ))
        .at(Location::span(name, &text, range));
    }
    if matches!(first, Some('{' | '[')) {
        return json_error;
    }
    let location = json_error
        .location
        .map_or_else(|| Location::file(name), |l| *l);
    Problem::error(
        Code::SbomUnknownFormat,
        format!("`{name}` is not JSON, so neither CycloneDX nor SPDX JSON"),
    )
    .with_help(SUPPORTED)
    .at(location)
}

/// The byte range of the first line that starts (after indentation) with
/// `prefix`.
fn line_starting_with(text: &str, prefix: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with(prefix) {
            let start = offset + (line.len() - trimmed.len());
            let end = offset + line.trim_end().len();
            return Some(start..end.max(start));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_schema_from_the_text() {
        let cdx = "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\" : \"1.6\",\n  \"components\": []\n}";
        assert_eq!(sniff(cdx), Some(SchemaId::CycloneDx16));
        assert_eq!(
            sniff(r#"{"spdxVersion":"SPDX-2.3","packages":[]}"#),
            Some(SchemaId::Spdx23)
        );
        // Versions without an embedded schema, and documents that say none.
        assert_eq!(
            sniff(r#"{"bomFormat":"CycloneDX","specVersion":"1.3"}"#),
            None
        );
        assert_eq!(sniff(r#"{"spdxVersion":"SPDX-3.0"}"#), None);
        assert_eq!(sniff(r#"{"specVersion": 1.6}"#), None);
        assert_eq!(sniff("<bom/>"), None);
        // Only the head is read, even when it ends inside a character.
        let far = format!(
            "{{\"x\":\"{}é\",\"specVersion\":\"1.6\"}}",
            "a".repeat(SNIFF_BYTES - 7)
        );
        assert_eq!(sniff(&far), None);
        assert_eq!(sniff(&far[..SNIFF_BYTES + 1]), None);
    }

    fn detect_text(text: &str) -> Result<Detected<'static>, Refusal> {
        let file = SourceFile::from_text("bom.json", text);
        let doc: &'static crate::json::Doc =
            Box::leak(Box::new(crate::json::Doc::parse(text).unwrap()));
        detect(&file, doc.root())
    }

    #[test]
    fn recognizes_supported_formats() {
        assert_eq!(
            detect_text(r#"{"bomFormat": "CycloneDX", "specVersion": "1.6"}"#).unwrap(),
            Detected::CycloneDx {
                spec: "1.6",
                schema: Some(SchemaId::CycloneDx16)
            }
        );
        assert_eq!(
            detect_text(r#"{"bomFormat": "CycloneDX", "specVersion": "1.3"}"#).unwrap(),
            Detected::CycloneDx {
                spec: "1.3",
                schema: None
            }
        );
        assert_eq!(
            detect_text(r#"{"spdxVersion": "SPDX-2.2"}"#).unwrap(),
            Detected::Spdx {
                spec: "SPDX-2.2",
                schema: SchemaId::Spdx22
            }
        );
    }

    #[test]
    fn refuses_others_with_a_code() {
        for (text, code) in [
            (
                r#"{"bomFormat": "CycloneDX", "specVersion": "1.1"}"#,
                Code::SbomUnsupportedVersion,
            ),
            (
                r#"{"bomFormat": "CycloneDX", "specVersion": "2.0"}"#,
                Code::SbomUnsupportedVersion,
            ),
            (
                r#"{"bomFormat": "CycloneDX"}"#,
                Code::SbomUnsupportedVersion,
            ),
            (
                r#"{"bomFormat": "AnotherFormat", "specVersion": "1.6"}"#,
                Code::SbomUnknownFormat,
            ),
            (
                r#"{"spdxVersion": "SPDX-2.1"}"#,
                Code::SbomUnsupportedVersion,
            ),
            (
                r#"{"spdxVersion": "SPDX-3.0"}"#,
                Code::SbomUnsupportedVersion,
            ),
            (r#"{"spdxVersion": 2}"#, Code::SbomUnsupportedVersion),
            (
                r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#,
                Code::SbomUnsupportedVersion,
            ),
            (
                r#"{"@context": "https://schema.org"}"#,
                Code::SbomUnknownFormat,
            ),
            (r#"{"specVersion": "1.6"}"#, Code::SbomUnknownFormat),
            (r#"{"name": "x"}"#, Code::SbomUnknownFormat),
            ("[1, 2]", Code::SbomUnknownFormat),
        ] {
            let p = detect_text(text).unwrap_err();
            assert_eq!(p.code, code, "{text}");
            assert!(p.help.is_some() && p.location.is_some(), "{text}");
        }
        let p = detect_text(r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}"#)
            .unwrap_err();
        assert!(p.help.unwrap().contains("planned"));
    }

    fn not_json_text(text: &str) -> Problem {
        let file = SourceFile::from_text("bom", text);
        let err = crate::json::parse(&file).unwrap_err();
        not_json(&file, err)
    }

    #[test]
    fn explains_other_serializations() {
        let p = not_json_text("## Document\n\nSPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n");
        assert_eq!(p.code, Code::SbomUnknownFormat);
        assert!(p.message.contains("tag-value"));
        assert_eq!(p.location.unwrap().line, Some(3));
        let p = not_json_text("---\nspdxVersion: SPDX-2.3\n");
        assert!(p.message.contains("YAML"));
        let p = not_json_text("<?xml version=\"1.0\"?><bom/>");
        assert!(p.message.contains("XML"));
        let p = not_json_text("hello");
        assert_eq!(p.code, Code::SbomUnknownFormat);
        // Broken JSON keeps its syntax error and position.
        let p = not_json_text("{\"bomFormat\": }");
        assert_eq!(p.code, Code::JsonSyntax);
    }
}
