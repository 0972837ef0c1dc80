//! Refusing recursive Rego before regorus sees it.
//!
//! Rego forbids recursion (OPA rejects it at compile time), but regorus 0.14
//! does not check: a recursive function overflows its stack, which aborts the
//! whole process — no `catch_unwind` can stop that. So the modules are scanned
//! here, lexically: rule heads are the identifiers that open a statement at
//! bracket depth 0; a rule's references are the identifiers in its head and
//! body that name rules of the same package. A cycle in that graph is a load
//! error naming the rules involved.
//!
//! Being lexical, the scan can see recursion where a local variable shadows a
//! rule of the same name; the message says so, and renaming the variable is
//! the fix. It never misses a direct or mutual reference between rules.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Location, Problem};
use crate::source::SourceFile;

/// Words that open a statement or join rule parts but are not rule names.
const KEYWORDS: &[&str] = &[
    "package", "import", "default", "else", "if", "contains", "some", "every", "in", "not", "with",
    "as", "true", "false", "null", "input", "data", "future", "rego",
];

struct RuleDef {
    name: String,
    file: usize,
    start: usize,
    refs: BTreeSet<String>,
}

/// Problems for every recursive cycle among the rules of each package.
pub(crate) fn check(modules: &[SourceFile]) -> Vec<Problem> {
    let mut by_package: BTreeMap<String, Vec<RuleDef>> = BTreeMap::new();
    for (file, m) in modules.iter().enumerate() {
        let (package, rules) = scan(&m.text(), file);
        by_package.entry(package).or_default().extend(rules);
    }
    let mut problems = Vec::new();
    for rules in by_package.values() {
        let names: BTreeSet<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for r in rules {
            let edges = graph.entry(r.name.as_str()).or_default();
            edges.extend(
                r.refs
                    .iter()
                    .map(String::as_str)
                    .filter(|n| names.contains(n)),
            );
        }
        let mut reported = BTreeSet::new();
        for r in rules {
            if reported.contains(r.name.as_str()) {
                continue;
            }
            if let Some(cycle) = find_cycle(&graph, r.name.as_str()) {
                reported.extend(cycle.iter().copied());
                let Some(m) = modules.get(r.file) else {
                    continue;
                };
                let path = cycle.join("` → `");
                problems.push(
                    Problem::error(
                        Code::RegoSyntax,
                        format!("Rego rule `{}` is recursive: `{path}`", r.name),
                    )
                    .with_help(
                        "Rego does not allow recursion; if a local variable has the name of a rule, rename the variable",
                    )
                    .with_label("recursion starts here")
                    .at(Location::span(
                        m.display(),
                        &m.text(),
                        r.start..r.start + r.name.len(),
                    )),
                );
            }
        }
    }
    problems
}

/// A path from `start` back to itself, if there is one.
fn find_cycle<'a>(
    graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    start: &'a str,
) -> Option<Vec<&'a str>> {
    let mut stack = vec![(start, vec![start])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for &next in graph.get(node).into_iter().flatten() {
            if next == start {
                let mut p = path.clone();
                p.push(start);
                return Some(p);
            }
            if seen.insert(next) {
                let mut p = path.clone();
                p.push(next);
                stack.push((next, p));
            }
        }
    }
    None
}

/// The package name and the rules of one module.
fn scan(text: &str, file: usize) -> (String, Vec<RuleDef>) {
    let mut package = String::new();
    let mut rules: Vec<RuleDef> = Vec::new();
    let mut depth = 0usize;
    let mut at_statement_start = true;
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut pending_package = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
                at_statement_start = false;
                continue;
            }
            b'`' => {
                i += 1;
                while bytes.get(i).is_some_and(|&c| c != b'`') {
                    i += 1;
                }
                i += 1;
                at_statement_start = false;
                continue;
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'\n' => {
                if depth == 0 {
                    at_statement_start = true;
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
                {
                    i += 1;
                }
                let word = text.get(start..i).unwrap_or_default();
                if pending_package {
                    package = word.to_owned();
                    pending_package = false;
                } else if at_statement_start && depth == 0 {
                    let head = word.split('.').next().unwrap_or(word);
                    if word == "default" {
                        // The rule name follows.
                        continue;
                    } else if word == "package" {
                        pending_package = true;
                    } else if !KEYWORDS.contains(&head) {
                        rules.push(RuleDef {
                            name: head.to_owned(),
                            file,
                            start,
                            refs: BTreeSet::new(),
                        });
                    }
                    // `import` lines and `default` heads are not bodies.
                    if word == "import" || word == "package" {
                        at_statement_start = false;
                        continue;
                    }
                } else if let Some(r) = rules.last_mut() {
                    let first = word.split('.').next().unwrap_or(word);
                    let data_ref = word
                        .strip_prefix("data.")
                        .and_then(|w| w.strip_prefix(package.as_str()))
                        .and_then(|w| w.strip_prefix('.'))
                        .and_then(|w| w.split('.').next());
                    match data_ref {
                        Some(name) => {
                            r.refs.insert(name.to_owned());
                        }
                        None if !KEYWORDS.contains(&first) => {
                            r.refs.insert(first.to_owned());
                        }
                        None => {}
                    }
                }
                at_statement_start = false;
                continue;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => at_statement_start = false,
        }
        i += 1;
    }
    (package, rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(src: &str) -> Vec<Problem> {
        check(&[SourceFile::from_text("p.rego", src)])
    }

    #[test]
    fn direct_and_mutual_recursion_are_found() {
        let p = problems("package t\nf(x) := f(x)\ndeny contains 1 if f(1)\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("`f` → `f`"), "{}", p[0].message);
        assert_eq!(p[0].location.as_ref().unwrap().line, Some(2));
        let p = problems("package t\na if b\nb if {\n  a\n}\n");
        assert_eq!(p.len(), 1, "{p:?}");
        let p = problems("package t\na if data.t.a\n");
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn ordinary_bundles_pass() {
        let src = r#"package shipgate.sbom.license
import rego.v1

default ok := false
ok if count(input.sboms) > 0

# deny contains bad if bad
allowed(c) if {
	some alt in c.license.alternatives
	every t in alt { t in data.params.allowed }
}

deny contains {"msg": sprintf("%s: \"deny\"", [c.name]), "purl": c.purl} if {
	some s in input.sboms
	some c in s.components
	not allowed(c)
}

warn contains msg if {
	count(input.sboms) == 0
	msg := "no sbom"
}
"#;
        assert!(problems(src).is_empty(), "{:?}", problems(src));
    }

    #[test]
    fn rules_of_other_packages_do_not_mix() {
        let a = SourceFile::from_text("a.rego", "package a\nf(x) := g(x)\n");
        let b = SourceFile::from_text("b.rego", "package b\ng(x) := f(x)\n");
        assert!(check(&[a, b]).is_empty());
    }
}
