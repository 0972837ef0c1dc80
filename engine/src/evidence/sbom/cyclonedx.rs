//! CycloneDX JSON (1.2 to 1.7) into the component model.
//!
//! Only what the model needs is read, into structs that borrow from the
//! parsed value and ignore every other field: CycloneDX grows with each
//! version (services, cryptography, formulation, ...) and producers add their
//! own properties, none of which may stop a release gate from reading the
//! components.
//!
//! Choices the specification leaves open:
//! - nested components are flattened depth-first, parents first, each with
//!   the JSON pointer it has in the file; a component without `bom-ref` gets
//!   `#` + that pointer as its `ref`;
//! - the license entries of a component are joined with `AND` (every one
//!   applies); when some entries are acknowledged as `concluded` (1.6+), only
//!   those count, as SPDX prefers `licenseConcluded` over `licenseDeclared`;
//!   a `license.name` that is no SPDX expression goes to `names`;
//! - the supplier is `supplier.name`, else `manufacturer.name` (1.6+), else
//!   the older free-text `publisher` or `author`;
//! - a missing `type` reads as `library`, the schema check reports it;
//! - dependency edges may also name services and the subject: only refs that
//!   name nothing in the document are dangling.

use std::collections::HashSet;
use std::sync::Arc;

use crate::json::doc::Val;
use serde::Deserialize;

use crate::diag::Problem;

use super::findings::Findings;
use super::model::{Component, Dependency, License, Sbom, SbomFormat, SourceRef, Subject};
use super::{Licenses, de, hash, license_text, non_empty};

const FORMAT: &str = "CycloneDX";

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxComponent<'a> {
    #[serde(rename = "bom-ref", borrow)]
    bom_ref: Option<&'a str>,
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
    #[serde(borrow)]
    name: Option<&'a str>,
    #[serde(borrow)]
    group: Option<&'a str>,
    #[serde(borrow)]
    version: Option<&'a str>,
    #[serde(borrow)]
    purl: Option<&'a str>,
    #[serde(borrow)]
    hashes: Option<Vec<CdxHash<'a>>>,
    #[serde(borrow)]
    supplier: Option<Entity<'a>>,
    #[serde(borrow)]
    manufacturer: Option<Entity<'a>>,
    #[serde(borrow)]
    publisher: Option<&'a str>,
    #[serde(borrow)]
    author: Option<&'a str>,
    #[serde(borrow)]
    licenses: Option<Vec<LicenseChoice<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxHash<'a> {
    #[serde(borrow)]
    alg: Option<&'a str>,
    #[serde(borrow)]
    content: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entity<'a> {
    #[serde(borrow)]
    name: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LicenseChoice<'a> {
    #[serde(borrow)]
    license: Option<CdxLicense<'a>>,
    #[serde(borrow)]
    expression: Option<&'a str>,
    #[serde(borrow)]
    acknowledgement: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxLicense<'a> {
    #[serde(borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    name: Option<&'a str>,
    #[serde(borrow)]
    acknowledgement: Option<&'a str>,
}

impl LicenseChoice<'_> {
    fn concluded(&self) -> bool {
        let ack = self
            .acknowledgement
            .or_else(|| self.license.as_ref().and_then(|l| l.acknowledgement));
        ack == Some("concluded")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxDependency<'a> {
    #[serde(rename = "ref", borrow)]
    reference: Option<&'a str>,
    #[serde(rename = "dependsOn", borrow)]
    depends_on: Option<Vec<&'a str>>,
}

/// Normalizes a detected CycloneDX document.
pub fn normalize(doc: Val<'_>, spec: &str, findings: &mut Findings<'_>) -> Sbom {
    let file = findings.file().display().to_owned();
    let shared_file = Arc::clone(findings.file().display_shared());
    let mut licenses = Licenses::default();
    let mut components: Vec<Component> = Vec::with_capacity(count_components(doc));
    // bom-ref → the index in `components` of the component that has it first.
    let mut first_use: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();

    // Depth-first, parents first: a stack of (value, pointer), children
    // pushed in reverse so they pop in document order.
    let mut stack: Vec<(Val<'_>, String)> = Vec::new();
    push_children(doc, "", findings, &mut stack);
    while let Some((value, pointer)) = stack.pop() {
        if let Some((component, bom_ref)) =
            component(value, &pointer, &shared_file, &mut licenses, findings)
        {
            if let Some(bom_ref) = bom_ref {
                match first_use.get(bom_ref).and_then(|&i| components.get(i)) {
                    Some(first) => super::report_duplicate_ref(
                        findings,
                        bom_ref,
                        &format!("{pointer}/bom-ref"),
                        &first.source.pointer,
                    ),
                    None => {
                        first_use.insert(bom_ref, components.len());
                    }
                }
            }
            components.push(component);
        }
        if value.is_object() {
            push_children(value, &pointer, findings, &mut stack);
        }
    }

    let metadata_component = doc.get("metadata").and_then(|m| m.get("component"));
    let subject = metadata_component.and_then(|value| subject(value, findings));

    // Everything a dependency edge may name: components (with synthesized
    // refs), and the bom-refs of the subject, its parts and the services.
    let mut known: HashSet<&str> = components.iter().map(|c| c.reference.as_str()).collect();
    if let Some(value) = metadata_component {
        collect_refs(value, "components", &mut known);
    }
    for service in doc
        .get("services")
        .and_then(Val::as_array)
        .into_iter()
        .flat_map(|a| a.iter())
    {
        collect_refs(service, "services", &mut known);
    }
    let dependencies = dependencies(doc, &known, findings);

    Sbom {
        file,
        format: SbomFormat::Cyclonedx,
        spec_version: spec.to_owned(),
        subject,
        components,
        dependencies,
    }
}

/// How many components the document lists, nested ones included (a list
/// that is not one counts nothing): the list of components is made at its
/// size, as a component is large and a list outgrown by doubling leaves its
/// old copies resident.
fn count_components(doc: Val<'_>) -> usize {
    let mut count = 0;
    let mut parents = vec![doc];
    while let Some(parent) = parents.pop() {
        if let Some(children) = parent.get("components").and_then(Val::as_array) {
            count += children.len();
            parents.extend(children.iter().filter(|c| c.get("components").is_some()));
        }
    }
    count
}

fn push_children<'v>(
    parent: Val<'v>,
    pointer: &str,
    findings: &mut Findings<'_>,
    stack: &mut Vec<(Val<'v>, String)>,
) {
    let list = format!("{pointer}/components");
    let children = de::array(parent, "components", &list, "components", findings);
    for (i, child) in children.iter().enumerate().rev() {
        stack.push((child, format!("{list}/{i}")));
    }
}

/// One component and its bom-ref as written (for the duplicate check).
fn component<'v>(
    value: Val<'v>,
    pointer: &str,
    file: &Arc<str>,
    licenses: &mut Licenses,
    findings: &mut Findings<'_>,
) -> Option<(Component, Option<&'v str>)> {
    let (c, name) =
        super::read_item::<CdxComponent<'v>>(value, pointer, "component", FORMAT, findings, |x| {
            x.name
        })?;
    let bom_ref = non_empty(c.bom_ref);
    let hashes = hash::collect(c.hashes.iter().flatten().map(|h| (h.alg, h.content)));
    let supplier = non_empty(c.supplier.as_ref().and_then(|s| s.name))
        .or_else(|| non_empty(c.manufacturer.as_ref().and_then(|m| m.name)))
        .or_else(|| non_empty(c.publisher))
        .or_else(|| non_empty(c.author));
    let license = component_license(
        c.licenses.as_deref().unwrap_or_default(),
        name,
        pointer,
        licenses,
        findings,
    );
    let component = Component {
        reference: bom_ref.map_or_else(|| format!("#{pointer}"), str::to_owned),
        name: name.to_owned(),
        group: non_empty(c.group).map(str::to_owned),
        version: non_empty(c.version).map(str::to_owned),
        purl: non_empty(c.purl).map(str::to_owned),
        kind: non_empty(c.kind).map_or_else(|| "library".to_owned(), str::to_ascii_lowercase),
        license,
        hashes,
        supplier: supplier.map(str::to_owned),
        source: SourceRef {
            file: Arc::clone(file),
            pointer: pointer.to_owned(),
        },
    };
    Some((component, bom_ref))
}

/// Joins a component's license entries into one expression (see the module
/// docs) and parses it.
fn component_license(
    choices: &[LicenseChoice<'_>],
    component: &str,
    pointer: &str,
    licenses: &mut Licenses,
    findings: &mut Findings<'_>,
) -> Arc<License> {
    let only_concluded = choices.iter().any(LicenseChoice::concluded);
    // Each part of the joined expression: its text, and where it is (the
    // pointer is written only for a problem to report).
    let mut parts: Vec<(&str, usize, &str)> = Vec::new();
    let at = |(_, i, member): &(&str, usize, &str)| format!("{pointer}/licenses/{i}/{member}");
    let mut names: Vec<String> = Vec::new();
    for (i, choice) in choices.iter().enumerate() {
        if only_concluded && !choice.concluded() {
            continue;
        }
        if let Some(expr) = license_text(choice.expression) {
            parts.push((expr, i, "expression"));
        }
        if let Some(l) = &choice.license {
            if let Some(id) = license_text(l.id) {
                parts.push((id, i, "license/id"));
            } else if let Some(name) = non_empty(l.name) {
                if licenses.parse(name).valid {
                    parts.push((name, i, "license/name"));
                } else if !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
            }
        }
    }
    let mut result = match parts.as_slice() {
        [] => licenses.none(),
        [part @ (only, _, _)] => {
            let parsed = licenses.parse(only);
            super::report_license(findings, &parsed, component, || at(part), only);
            parsed
        }
        several => {
            let joined = join(several.iter().map(|(text, _, _)| *text));
            let parsed = licenses.parse(&joined);
            if parsed.valid {
                super::report_license(
                    findings,
                    &parsed,
                    component,
                    || format!("{pointer}/licenses"),
                    &joined,
                );
            } else {
                // Point at the entry that spoils the whole.
                let bad = several
                    .iter()
                    .find(|(text, _, _)| !licenses.parse(text).valid);
                super::report_license(
                    findings,
                    &parsed,
                    component,
                    || bad.map_or_else(|| format!("{pointer}/licenses"), at),
                    bad.map_or(joined.as_str(), |part| part.0),
                );
            }
            parsed
        }
    };
    if !names.is_empty() {
        Arc::make_mut(&mut result).names = names;
    }
    result
}

/// `a AND (b OR c) AND ...`: an entry with `OR` (or `/`) is parenthesised so
/// `AND` cannot bind into it.
fn join<'s>(parts: impl Iterator<Item = &'s str>) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() {
            out.push_str(" AND ");
        }
        let has_or = part.contains('/')
            || part
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .any(|w| w.eq_ignore_ascii_case("or"));
        if has_or {
            out.push('(');
            out.push_str(part);
            out.push(')');
        } else {
            out.push_str(part);
        }
    }
    out
}

fn subject(value: Val<'_>, findings: &mut Findings<'_>) -> Option<Subject> {
    let c: CdxComponent<'_> = de::read(
        value,
        "/metadata/component",
        "subject component",
        FORMAT,
        findings,
    )?;
    let Some(name) = non_empty(c.name) else {
        findings.warn(crate::diag::Code::SbomSchemaViolation, |f| {
            Problem::warning(
                crate::diag::Code::SbomSchemaViolation,
                "`/metadata/component` has no `name`: the SBOM has no subject",
            )
            .with_help("name what the SBOM describes in `metadata.component.name`")
            .at(f.at("/metadata/component"))
        });
        return None;
    };
    Some(Subject {
        name: name.to_owned(),
        version: non_empty(c.version).map(str::to_owned),
        purl: non_empty(c.purl).map(str::to_owned),
    })
}

/// Adds the `bom-ref` of `value` and of everything nested under `key`.
fn collect_refs<'v>(value: Val<'v>, key: &str, known: &mut HashSet<&'v str>) {
    if let Some(r) = non_empty(value.get("bom-ref").and_then(Val::as_str)) {
        known.insert(r);
    }
    for child in value
        .get(key)
        .and_then(Val::as_array)
        .into_iter()
        .flat_map(|a| a.iter())
    {
        collect_refs(child, key, known);
    }
}

fn dependencies(
    doc: Val<'_>,
    known: &HashSet<&str>,
    findings: &mut Findings<'_>,
) -> Vec<Dependency> {
    let entries = de::array(
        doc,
        "dependencies",
        "/dependencies",
        "dependencies",
        findings,
    );
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let pointer = format!("/dependencies/{i}");
        let Some(d) =
            de::read::<CdxDependency<'_>>(entry, &pointer, "dependency", FORMAT, findings)
        else {
            continue;
        };
        let Some(reference) = non_empty(d.reference) else {
            findings.warn(crate::diag::Code::SbomSchemaViolation, |f| {
                Problem::warning(
                    crate::diag::Code::SbomSchemaViolation,
                    format!("dependency at `{pointer}` has no `ref`: ignored"),
                )
                .with_help("name the depending component's bom-ref in `ref`")
                .at(f.at(&pointer))
            });
            continue;
        };
        if !known.contains(reference) {
            super::report_dangling(findings, reference, &format!("{pointer}/ref"));
        }
        let depends_on = d.depends_on.unwrap_or_default();
        for (j, target) in depends_on.iter().enumerate() {
            if !known.contains(target) {
                super::report_dangling(findings, target, &format!("{pointer}/dependsOn/{j}"));
            }
        }
        out.push(Dependency {
            reference: reference.to_owned(),
            depends_on: depends_on.into_iter().map(str::to_owned).collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use crate::evidence::sbom::{SbomOptions, load};
    use crate::source::SourceFile;

    fn load_text(text: &str) -> (Sbom, Vec<Problem>) {
        load(
            &SourceFile::from_text("bom.json", text),
            SbomOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{:#?}", e.0))
    }

    const NESTED: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "metadata": {"component": {"bom-ref": "app", "type": "application", "name": "app", "version": "2.0", "purl": "pkg:generic/app@2.0"}},
  "components": [
    {"bom-ref": "a", "type": "Library", "group": "org.acme", "name": "a", "version": "1",
     "hashes": [{"alg": "SHA-256", "content": "ABCDEF"}, {"alg": "SHA3-256", "content": "01"}, {"alg": "BLAKE2b-256", "content": "02"}],
     "supplier": {"name": "Acme"},
     "licenses": [{"license": {"id": "MIT"}}, {"expression": "Apache-2.0 OR BSD-3-Clause"}],
     "components": [
       {"type": "library", "name": "a-inner", "components": [{"type": "file", "name": "a-inner-inner"}]},
       {"bom-ref": "a2", "type": "library", "name": "a2", "manufacturer": {"name": "Maker"}}
     ]},
    {"bom-ref": "b", "type": "library", "name": "b", "publisher": "Pub Inc",
     "licenses": [{"license": {"name": "Some Custom License"}}, {"license": {"name": "MIT"}}]}
  ],
  "dependencies": [
    {"ref": "app", "dependsOn": ["a", "b"]},
    {"ref": "a", "dependsOn": ["a2", "nowhere"]}
  ]
}"#;

    #[test]
    fn a_wrong_guess_of_the_schema_does_not_decide() {
        // The first `"specVersion"` member in the text is a nested one naming
        // 1.4: the guess compiles the 1.4 schema, but the document is 1.6 and
        // is checked against 1.6 (`lifecycles` is 1.5+, so a 1.4 check would
        // say more), exactly as when the guess is right.
        let doc = |nested_first: bool| {
            let nested =
                r#""metadata": {"lifecycles": [{"phase": "build"}], "x": {"specVersion": "1.4"}}"#;
            let top = r#""bomFormat": "CycloneDX", "specVersion": "1.6""#;
            let (a, b) = if nested_first {
                (nested, top)
            } else {
                (top, nested)
            };
            format!(r#"{{{a}, {b}, "components": [{{"type": "library", "name": "a"}}]}}"#)
        };
        let (wrong, right) = (doc(true), doc(false));
        assert_eq!(
            super::super::detect::sniff(&wrong),
            Some(crate::schema::SchemaId::CycloneDx14)
        );
        assert_eq!(
            super::super::detect::sniff(&right),
            Some(crate::schema::SchemaId::CycloneDx16)
        );
        let show = |(sbom, warnings): (Sbom, Vec<Problem>)| {
            let messages: Vec<String> = warnings.into_iter().map(|p| p.message).collect();
            (sbom.spec_version, messages)
        };
        let (spec, messages) = show(load_text(&wrong));
        assert_eq!(spec, "1.6");
        assert_eq!(messages.len(), 1, "{messages:#?}");
        assert!(
            messages[0].starts_with("CycloneDX 1.6 schema:") && messages[0].contains("'x'"),
            "{messages:#?}"
        );
        assert_eq!(show(load_text(&right)), ("1.6".to_owned(), messages));
    }

    #[test]
    fn components_with_the_same_licenses_share_them() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
          {"type": "library", "name": "a", "licenses": [{"license": {"id": "MIT"}}]},
          {"type": "library", "name": "b", "licenses": [{"expression": "MIT"}]},
          {"type": "library", "name": "c", "licenses": [{"license": {"id": "MIT"}}, {"license": {"name": "Custom"}}]},
          {"type": "library", "name": "d"},
          {"type": "library", "name": "e"}]}"#;
        let (sbom, _) = load_text(text);
        let [a, b, c, d, e] = &sbom.components[..] else {
            panic!("{:?}", sbom.components)
        };
        assert!(Arc::ptr_eq(&a.license, &b.license));
        assert!(Arc::ptr_eq(&d.license, &e.license));
        assert!(
            !Arc::ptr_eq(&a.license, &c.license),
            "c has names of its own"
        );
        assert_eq!(
            (&c.license.ids, &c.license.names),
            (&a.license.ids, &vec!["Custom".to_owned()])
        );
        assert!(a.license.names.is_empty(), "c's names are not a's");
        assert_eq!(d.license.expression, None);
    }

    #[test]
    fn flattens_nested_components_parents_first() {
        let (sbom, warnings) = load_text(NESTED);
        let names: Vec<_> = sbom.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "a-inner", "a-inner-inner", "a2", "b"]);
        assert_eq!(
            sbom.components.capacity(),
            5,
            "counted before they were read"
        );
        let pointers: Vec<_> = sbom
            .components
            .iter()
            .map(|c| c.source.pointer.as_str())
            .collect();
        assert_eq!(
            pointers,
            [
                "/components/0",
                "/components/0/components/0",
                "/components/0/components/0/components/0",
                "/components/0/components/1",
                "/components/1"
            ]
        );
        assert_eq!(sbom.components[1].reference, "#/components/0/components/0");
        assert_eq!(sbom.components[0].reference, "a");
        assert_eq!(sbom.spec_version, "1.6");
        let subject = sbom.subject.unwrap();
        assert_eq!(
            (subject.name.as_str(), subject.version.as_deref()),
            ("app", Some("2.0"))
        );
        // Only the dangling `nowhere`: `app` is the subject's bom-ref.
        let dangling: Vec<_> = warnings
            .iter()
            .filter(|p| p.code == Code::SbomDanglingDependency)
            .collect();
        assert_eq!(dangling.len(), 1, "{warnings:#?}");
        assert!(dangling[0].message.contains("`nowhere`"));
        assert_eq!(
            dangling[0].location.as_ref().unwrap().pointer.as_deref(),
            Some("/dependencies/1/dependsOn/1")
        );
        assert_eq!(sbom.dependencies.len(), 2);
        assert_eq!(sbom.dependencies[0].depends_on, ["a", "b"]);
    }

    #[test]
    fn normalizes_fields() {
        let (sbom, _) = load_text(NESTED);
        let a = &sbom.components[0];
        assert_eq!(a.kind, "library");
        assert_eq!(a.group.as_deref(), Some("org.acme"));
        assert_eq!(a.supplier.as_deref(), Some("Acme"));
        assert_eq!(a.hashes["sha256"], "abcdef");
        assert_eq!(a.hashes["sha3-256"], "01");
        assert_eq!(a.hashes["blake2b-256"], "02");
        assert_eq!(
            a.license.expression.as_deref(),
            Some("MIT AND (Apache-2.0 OR BSD-3-Clause)")
        );
        assert_eq!(
            a.license.alternatives,
            [vec!["Apache-2.0", "MIT"], vec!["BSD-3-Clause", "MIT"]]
        );
        assert_eq!(sbom.components[3].supplier.as_deref(), Some("Maker"));
        let b = &sbom.components[4];
        assert_eq!(b.supplier.as_deref(), Some("Pub Inc"));
        // A name that is an SPDX id counts as one; the other is only a name.
        assert_eq!(b.license.expression.as_deref(), Some("MIT"));
        assert_eq!(b.license.names, ["Some Custom License"]);
        assert!(b.license.valid);
    }

    #[test]
    fn concluded_licenses_win_over_declared() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
          {"type": "library", "name": "x", "licenses": [
            {"license": {"id": "GPL-3.0-only", "acknowledgement": "declared"}},
            {"expression": "MIT OR Apache-2.0", "acknowledgement": "concluded"}]}]}"#;
        let (sbom, _) = load_text(text);
        assert_eq!(
            sbom.components[0].license.expression.as_deref(),
            Some("MIT OR Apache-2.0")
        );
    }

    #[test]
    fn reports_invalid_licenses_duplicates_and_unnamed() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [
          {"bom-ref": "x", "type": "library", "name": "x", "licenses": [{"license": {"id": "MIT"}}, {"license": {"id": "Not-A-License"}}]},
          {"bom-ref": "x", "type": "library", "name": "y"}]}"#;
        let (sbom, warnings) = load_text(text);
        let invalid = warnings
            .iter()
            .find(|p| p.code == Code::SbomInvalidLicense)
            .unwrap();
        assert_eq!(
            invalid.location.as_ref().unwrap().pointer.as_deref(),
            Some("/components/0/licenses/1/license/id")
        );
        assert!(!sbom.components[0].license.valid);
        let twice = warnings
            .iter()
            .find(|p| p.code == Code::SbomDuplicateRef)
            .unwrap();
        assert_eq!(
            twice.message,
            "`x` identifies two components (first at `/components/0`)"
        );

        let unnamed = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library"}]}"#;
        let err = load(
            &SourceFile::from_text("bom.json", unnamed),
            SbomOptions::default(),
        )
        .unwrap_err();
        let e = err.iter().find(|p| p.is_error()).unwrap();
        assert!(e.message.contains("has no `name`"), "{}", e.message);
        assert_eq!(
            e.location.as_ref().unwrap().pointer.as_deref(),
            Some("/components/0")
        );
    }

    #[test]
    fn structural_errors_point_at_the_value() {
        let text = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.3\",\n \"components\": {\"name\": \"x\"}}";
        let err = load(
            &SourceFile::from_text("bom.json", text),
            SbomOptions::default(),
        )
        .unwrap_err();
        let e = err.iter().find(|p| p.is_error()).unwrap();
        assert_eq!(e.location.as_ref().unwrap().line, Some(2));

        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.3", "components": [{"type": "library", "name": "x", "version": 3}]}"#;
        let err = load(
            &SourceFile::from_text("bom.json", text),
            SbomOptions::default(),
        )
        .unwrap_err();
        let e = err.iter().find(|p| p.is_error()).unwrap();
        assert_eq!(
            e.location.as_ref().unwrap().pointer.as_deref(),
            Some("/components/0/version")
        );
    }

    #[test]
    fn old_versions_load_with_one_warning() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.3", "components": [{"type": "library", "name": "x"}]}"#;
        let (sbom, warnings) = load_text(text);
        assert_eq!(sbom.components.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("no official schema"));
        let strict = load(
            &SourceFile::from_text("bom.json", text),
            SbomOptions {
                strict_schema: true,
            },
        );
        assert!(strict.is_err());
    }

    #[test]
    fn join_parenthesises_disjunctions() {
        assert_eq!(
            join(["MIT", "Apache-2.0 OR ISC"].into_iter()),
            "MIT AND (Apache-2.0 OR ISC)"
        );
        assert_eq!(join(["MIT/ISC", "Zlib"].into_iter()), "(MIT/ISC) AND Zlib");
        assert_eq!(
            join(["GPL-2.0-only WITH Classpath-exception-2.0"].into_iter()),
            "GPL-2.0-only WITH Classpath-exception-2.0"
        );
    }
}
