//! SPDX 2.2 and 2.3 JSON into the component model.
//!
//! SPDX describes packages, files and snippets linked by relationships; the
//! model knows components and dependency edges. The mapping:
//! - every package is a component (its `SPDXID` is the `ref`), files and
//!   snippets are not: rules reason about what was shipped as a unit;
//! - the license is `licenseConcluded` (what the preparer established),
//!   falling back to `licenseDeclared` when that is `NOASSERTION`, `NONE` or
//!   absent; when both are, the expression is null;
//! - the type is `primaryPackagePurpose` lowercased (`OPERATING-SYSTEM` →
//!   `operating-system`, as CycloneDX spells it), `library` when absent;
//! - the supplier is the name in `Organization: X` / `Person: Y (email)`;
//! - `A DEPENDS_ON B` and `B DEPENDENCY_OF A` are the edge A → B. The other
//!   `*_DEPENDENCY_OF` kinds (dev, test, build, ...) are left out: they say
//!   the dependency is not part of what ships. Edges to files, snippets or the
//!   document itself are dropped; edges to elements of other documents
//!   (`DocumentRef-...`) are kept;
//! - the subject is the one package the document `DESCRIBES` (relationship
//!   or `documentDescribes`); with none or several, it is the document name.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::json::doc::Val;
use serde::Deserialize;

use super::findings::Findings;
use super::model::{Component, Dependency, Sbom, SbomFormat, SourceRef, Subject};
use super::{Licenses, de, hash, license_text, non_empty};

const FORMAT: &str = "SPDX";

#[derive(Deserialize, Default)]
#[serde(default)]
struct Document<'a> {
    #[serde(rename = "SPDXID", borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    name: Option<&'a str>,
    #[serde(rename = "documentDescribes", borrow)]
    describes: Option<Vec<&'a str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Package<'a> {
    #[serde(rename = "SPDXID", borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    name: Option<&'a str>,
    #[serde(rename = "versionInfo", borrow)]
    version: Option<&'a str>,
    #[serde(rename = "primaryPackagePurpose", borrow)]
    purpose: Option<&'a str>,
    #[serde(borrow)]
    supplier: Option<&'a str>,
    #[serde(rename = "licenseConcluded", borrow)]
    license_concluded: Option<&'a str>,
    #[serde(rename = "licenseDeclared", borrow)]
    license_declared: Option<&'a str>,
    #[serde(borrow)]
    checksums: Option<Vec<Checksum<'a>>>,
    #[serde(rename = "externalRefs", borrow)]
    external_refs: Option<Vec<ExternalRef<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Checksum<'a> {
    #[serde(borrow)]
    algorithm: Option<&'a str>,
    #[serde(rename = "checksumValue", borrow)]
    value: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExternalRef<'a> {
    #[serde(rename = "referenceType", borrow)]
    kind: Option<&'a str>,
    #[serde(rename = "referenceLocator", borrow)]
    locator: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Relationship<'a> {
    #[serde(rename = "spdxElementId", borrow)]
    element: Option<&'a str>,
    #[serde(rename = "relationshipType", borrow)]
    kind: Option<&'a str>,
    #[serde(rename = "relatedSpdxElement", borrow)]
    related: Option<&'a str>,
}

/// Normalizes a detected SPDX 2.x document.
pub fn normalize(doc: Val<'_>, spec: &str, findings: &mut Findings<'_>) -> Sbom {
    let file = findings.file().display().to_owned();
    let shared_file = Arc::clone(findings.file().display_shared());
    let document: Document<'_> =
        de::read(doc, "", "document", FORMAT, findings).unwrap_or_default();
    let document_id = non_empty(document.id).unwrap_or("SPDXRef-DOCUMENT");

    let mut licenses = Licenses::default();
    let list = de::array(doc, "packages", "/packages", "packages", findings);
    // Made at its size: see `cyclonedx::count_components`.
    let mut components = Vec::with_capacity(list.len());
    // SPDXID → (index in `components`, pointer of its first use).
    let mut packages: HashMap<&str, (usize, String)> = HashMap::new();
    for (i, value) in list.iter().enumerate() {
        let pointer = format!("/packages/{i}");
        let Some((component, id)) = package(value, &pointer, &shared_file, &mut licenses, findings)
        else {
            continue;
        };
        if let Some(id) = id {
            match packages.get(id) {
                Some((_, first)) => {
                    super::report_duplicate_ref(findings, id, &format!("{pointer}/SPDXID"), first)
                }
                None => {
                    packages.insert(id, (components.len(), pointer));
                }
            }
        }
        components.push(component);
    }

    // Elements that exist but are not components: edges to them are dropped.
    let mut others: HashSet<&str> = HashSet::from([document_id]);
    for key in ["files", "snippets"] {
        for item in doc
            .get(key)
            .and_then(Val::as_array)
            .into_iter()
            .flat_map(|a| a.iter())
        {
            if let Some(id) = item.get("SPDXID").and_then(Val::as_str) {
                others.insert(id);
            }
        }
    }

    let relationships = relationships(doc, findings);
    let mut described: Vec<&str> = document.describes.unwrap_or_default();
    for (_, r) in &relationships {
        match (r.element, r.kind, r.related) {
            (Some(e), Some("DESCRIBES"), Some(related)) if e == document_id => {
                described.push(related)
            }
            (Some(e), Some("DESCRIBED_BY"), Some(related)) if related == document_id => {
                described.push(e)
            }
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    described.retain(|id| seen.insert(*id));
    let subject = match described.as_slice() {
        [only] => packages.get(only).and_then(|(index, _)| {
            let c = components.get(*index)?;
            Some(Subject {
                name: c.name.clone(),
                version: c.version.clone(),
                purl: c.purl.clone(),
            })
        }),
        _ => None,
    }
    .or_else(|| {
        non_empty(document.name).map(|name| Subject {
            name: name.to_owned(),
            version: None,
            purl: None,
        })
    });

    let dependencies = edges(&relationships, &packages, &others, findings);
    Sbom {
        file,
        format: SbomFormat::Spdx,
        spec_version: spec.to_owned(),
        subject,
        components,
        dependencies,
    }
}

/// One package as a component, with its SPDXID as written.
fn package<'v>(
    value: Val<'v>,
    pointer: &str,
    file: &Arc<str>,
    licenses: &mut Licenses,
    findings: &mut Findings<'_>,
) -> Option<(Component, Option<&'v str>)> {
    let (p, name) =
        super::read_item::<Package<'v>>(value, pointer, "package", FORMAT, findings, |x| x.name)?;
    let id = non_empty(p.id);
    let purl = p
        .external_refs
        .iter()
        .flatten()
        .find(|r| {
            r.kind
                .is_some_and(|k| k.trim().eq_ignore_ascii_case("purl"))
        })
        .and_then(|r| non_empty(r.locator));
    let hashes = hash::collect(p.checksums.iter().flatten().map(|c| (c.algorithm, c.value)));
    let license = match chosen_license(p.license_concluded, p.license_declared) {
        Some((expr, field)) => {
            let parsed = licenses.parse(expr);
            super::report_license(
                findings,
                &parsed,
                name,
                || format!("{pointer}/{field}"),
                expr,
            );
            parsed
        }
        None => licenses.none(),
    };
    let component = Component {
        reference: id.map_or_else(|| format!("#{pointer}"), str::to_owned),
        name: name.to_owned(),
        group: None,
        version: non_empty(p.version).map(str::to_owned),
        purl: purl.map(str::to_owned),
        kind: non_empty(p.purpose).map_or_else(
            || "library".to_owned(),
            |k| k.to_ascii_lowercase().replace('_', "-"),
        ),
        license,
        hashes,
        supplier: p.supplier.and_then(supplier),
        source: SourceRef {
            file: Arc::clone(file),
            pointer: pointer.to_owned(),
        },
    };
    Some((component, id))
}

/// The license expression to use and the field it came from.
fn chosen_license<'v>(
    concluded: Option<&'v str>,
    declared: Option<&'v str>,
) -> Option<(&'v str, &'static str)> {
    license_text(concluded)
        .map(|e| (e, "licenseConcluded"))
        .or_else(|| license_text(declared).map(|e| (e, "licenseDeclared")))
}

/// The name in an SPDX agent: `Organization: Acme (ops@acme.example)` → `Acme`.
fn supplier(agent: &str) -> Option<String> {
    let agent = agent.trim();
    if agent.eq_ignore_ascii_case("NOASSERTION") || agent.eq_ignore_ascii_case("NONE") {
        return None;
    }
    let name = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|prefix| {
            agent
                .get(..prefix.len())
                .filter(|head| head.eq_ignore_ascii_case(prefix))
                .and_then(|_| agent.get(prefix.len()..))
        })
        .unwrap_or(agent)
        .trim();
    // An optional contact in parentheses at the end is not part of the name.
    let name = match name.rfind('(') {
        Some(open) if name.ends_with(')') => name.get(..open).unwrap_or(name).trim_end(),
        _ => name,
    };
    (!name.is_empty()).then(|| name.to_owned())
}

fn relationships<'v>(doc: Val<'v>, findings: &mut Findings<'_>) -> Vec<(usize, Relationship<'v>)> {
    let list = de::array(
        doc,
        "relationships",
        "/relationships",
        "relationships",
        findings,
    );
    list.iter()
        .enumerate()
        .filter_map(|(i, value)| {
            let pointer = format!("/relationships/{i}");
            de::read::<Relationship<'v>>(value, &pointer, "relationship", FORMAT, findings)
                .map(|r| (i, r))
        })
        .collect()
}

/// Dependency edges, grouped by depending package in order of first mention.
fn edges(
    relationships: &[(usize, Relationship<'_>)],
    packages: &HashMap<&str, (usize, String)>,
    others: &HashSet<&str>,
    findings: &mut Findings<'_>,
) -> Vec<Dependency> {
    let mut out: Vec<Dependency> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for (i, r) in relationships {
        let (Some(element), Some(kind), Some(related)) = (r.element, r.kind, r.related) else {
            continue;
        };
        let (from, to, from_field, to_field) = match kind {
            "DEPENDS_ON" => (element, related, "spdxElementId", "relatedSpdxElement"),
            "DEPENDENCY_OF" => (related, element, "relatedSpdxElement", "spdxElementId"),
            _ => continue,
        };
        let mut keep = true;
        for (end, field) in [(from, from_field), (to, to_field)] {
            if end == "NONE" || end == "NOASSERTION" || others.contains(end) {
                keep = false;
            } else if !packages.contains_key(end) && !end.starts_with("DocumentRef-") {
                super::report_dangling(findings, end, &format!("/relationships/{i}/{field}"));
            }
        }
        if !keep || !seen.insert((from, to)) {
            continue;
        }
        let slot = *index.entry(from).or_insert_with(|| {
            out.push(Dependency {
                reference: from.to_owned(),
                depends_on: Vec::new(),
            });
            out.len() - 1
        });
        if let Some(d) = out.get_mut(slot) {
            d.depends_on.push(to.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Code, Problem};
    use crate::evidence::sbom::{SbomOptions, load};
    use crate::source::SourceFile;

    const DOC: &str = r#"{
  "spdxVersion": "SPDX-2.3",
  "dataLicense": "CC0-1.0",
  "SPDXID": "SPDXRef-DOCUMENT",
  "name": "my-doc",
  "documentNamespace": "https://example.com/doc",
  "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: x"], "licenseListVersion": "3.28.0"},
  "packages": [
    {"SPDXID": "SPDXRef-app", "name": "app", "versionInfo": "1.0", "downloadLocation": "NOASSERTION",
     "primaryPackagePurpose": "APPLICATION", "supplier": "Organization: Acme Corp (ops@acme.example)",
     "licenseConcluded": "NOASSERTION", "licenseDeclared": "MIT OR Apache-2.0",
     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/app@1.0"}],
     "checksums": [{"algorithm": "SHA256", "checksumValue": "AB"}, {"algorithm": "SHA1", "checksumValue": "cd"}]},
    {"SPDXID": "SPDXRef-lib", "name": "lib", "versionInfo": "2", "downloadLocation": "NOASSERTION",
     "supplier": "Person: Jane Doe", "licenseConcluded": "BSD-3-Clause", "licenseDeclared": "MIT"},
    {"SPDXID": "SPDXRef-os", "name": "os", "downloadLocation": "NOASSERTION", "supplier": "NOASSERTION",
     "primaryPackagePurpose": "OPERATING-SYSTEM", "licenseConcluded": "NONE", "licenseDeclared": "NOASSERTION"}
  ],
  "files": [{"SPDXID": "SPDXRef-file", "fileName": "./a.c", "checksums": [{"algorithm": "SHA1", "checksumValue": "00"}]}],
  "relationships": [
    {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-app"},
    {"spdxElementId": "SPDXRef-app", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-lib"},
    {"spdxElementId": "SPDXRef-os", "relationshipType": "DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-app"},
    {"spdxElementId": "SPDXRef-app", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-lib"},
    {"spdxElementId": "SPDXRef-lib", "relationshipType": "DEV_DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-os"},
    {"spdxElementId": "SPDXRef-lib", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-ghost"},
    {"spdxElementId": "SPDXRef-lib", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-file"},
    {"spdxElementId": "SPDXRef-app", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-file"}
  ]
}"#;

    fn load_doc(text: &str) -> (Sbom, Vec<Problem>) {
        load(
            &SourceFile::from_text("doc.spdx.json", text),
            SbomOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{:#?}", e.0))
    }

    #[test]
    fn packages_become_components() {
        let (sbom, warnings) = load_doc(DOC);
        assert_eq!(sbom.format, SbomFormat::Spdx);
        assert_eq!(sbom.spec_version, "SPDX-2.3");
        assert_eq!(sbom.components.len(), 3);
        let app = &sbom.components[0];
        assert_eq!(app.reference, "SPDXRef-app");
        assert_eq!(app.kind, "application");
        assert_eq!(app.purl.as_deref(), Some("pkg:npm/app@1.0"));
        assert_eq!(app.supplier.as_deref(), Some("Acme Corp"));
        assert_eq!(app.hashes["sha256"], "ab");
        assert_eq!(app.hashes["sha1"], "cd");
        // Concluded is NOASSERTION: the declared license is used.
        assert_eq!(app.license.expression.as_deref(), Some("MIT OR Apache-2.0"));
        let lib = &sbom.components[1];
        assert_eq!(lib.kind, "library");
        assert_eq!(lib.supplier.as_deref(), Some("Jane Doe"));
        assert_eq!(lib.license.expression.as_deref(), Some("BSD-3-Clause"));
        let os = &sbom.components[2];
        assert_eq!(os.kind, "operating-system");
        assert_eq!(os.supplier, None);
        assert_eq!(os.license.expression, None);
        assert!(!os.license.valid);
        let subject = sbom.subject.unwrap();
        assert_eq!(
            (subject.name.as_str(), subject.purl.as_deref()),
            ("app", Some("pkg:npm/app@1.0"))
        );
        // The bad licenseListVersion is a schema warning, not a failure.
        assert!(warnings.iter().any(|p| p.code == Code::SbomSchemaViolation));
    }

    #[test]
    fn relationships_become_edges() {
        let (sbom, warnings) = load_doc(DOC);
        let edges: Vec<(&str, Vec<&str>)> = sbom
            .dependencies
            .iter()
            .map(|d| {
                (
                    d.reference.as_str(),
                    d.depends_on.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            edges,
            [
                ("SPDXRef-app", vec!["SPDXRef-lib", "SPDXRef-os"]),
                ("SPDXRef-lib", vec!["SPDXRef-ghost"]),
            ]
        );
        let dangling: Vec<_> = warnings
            .iter()
            .filter(|p| p.code == Code::SbomDanglingDependency)
            .collect();
        assert_eq!(dangling.len(), 1);
        assert_eq!(
            dangling[0].location.as_ref().unwrap().pointer.as_deref(),
            Some("/relationships/5/relatedSpdxElement")
        );
    }

    #[test]
    fn subject_falls_back_to_the_document_name() {
        let doc = DOC.replace(
            "\"DESCRIBES\", \"relatedSpdxElement\": \"SPDXRef-app\"",
            "\"OTHER\", \"relatedSpdxElement\": \"SPDXRef-app\"",
        );
        let (sbom, _) = load_doc(&doc);
        assert_eq!(sbom.subject.unwrap().name, "my-doc");
    }

    #[test]
    fn parses_suppliers() {
        for (agent, want) in [
            ("Organization: Acme", Some("Acme")),
            ("Person: Jane Doe (jane@example.com)", Some("Jane Doe")),
            ("Person: Jane Doe ()", Some("Jane Doe")),
            ("organization:Lower", Some("Lower")),
            ("Tool: gen-1.0", Some("gen-1.0")),
            ("Plain Name", Some("Plain Name")),
            ("NOASSERTION", None),
            ("Organization: ", None),
        ] {
            assert_eq!(supplier(agent).as_deref(), want, "{agent}");
        }
    }

    #[test]
    fn duplicate_ids_and_unnamed_packages() {
        let dup = DOC.replace("\"SPDXRef-lib\", \"name\"", "\"SPDXRef-app\", \"name\"");
        let (_, warnings) = load_doc(&dup);
        assert!(warnings.iter().any(|p| p.code == Code::SbomDuplicateRef));
        let unnamed = DOC.replace("\"name\": \"lib\",", "");
        let err = load(
            &SourceFile::from_text("d.json", &unnamed),
            SbomOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.iter()
                .any(|p| p.is_error() && p.message.contains("has no `name`"))
        );
    }
}
