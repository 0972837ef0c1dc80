//! Which package a purl names, in OSV's terms: an ecosystem and a name.
//!
//! SBOM components are identified by package URLs, OSV advisories by an
//! ecosystem and the ecosystem's own package name. Both sides are reduced to
//! one [`PackageKey`] with the ecosystem's name rules applied (PyPI names
//! per PEP 503, npm scopes, Maven `group:artifact`, Go module paths), so a
//! lookup is one hash-map probe.

use std::borrow::Cow;

/// An ecosystem (as OSV spells it, without `:suffix`) and a normalized package name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageKey {
    /// OSV ecosystem name: `npm`, `PyPI`, `crates.io`, `Go`, `Maven`, ...
    pub ecosystem: &'static str,
    /// The package name with the ecosystem's normalization applied.
    pub name: String,
}

/// A parsed package URL (only what matching needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// Lowercased type (`npm`, `pypi`, ...).
    pub kind: String,
    /// Namespace segments, percent-decoded, joined with `/`; empty when absent.
    pub namespace: String,
    /// Percent-decoded name.
    pub name: String,
    /// Percent-decoded version, when given.
    pub version: Option<String>,
}

/// Reads `pkg:type/namespace/name@version?qualifiers#subpath`. Tolerates what
/// generators write in practice: an unencoded `@` in an npm scope.
pub fn parse_purl(purl: &str) -> Option<Purl> {
    let (scheme, rest) = purl.trim().split_once(':')?;
    if !scheme.eq_ignore_ascii_case("pkg") {
        return None;
    }
    let rest = rest.trim_start_matches('/');
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
    let (kind, path) = rest.split_once('/')?;
    // The version follows the last `@` after the last `/`.
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    let (path, version) = match path.get(last_slash..).and_then(|tail| tail.rfind('@')) {
        Some(at) if at > 0 => {
            let at = last_slash + at;
            (
                path.get(..at).unwrap_or_default(),
                path.get(at + 1..).map(decode),
            )
        }
        _ => (path, None),
    };
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let name = segments.pop()?;
    Some(Purl {
        kind: kind.to_ascii_lowercase(),
        namespace: segments.join("/"),
        name,
        version: version.filter(|v| !v.is_empty()),
    })
}

/// Percent-decodes a purl segment; malformed escapes stay as written.
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| segment.to_owned())
}

/// The OSV ecosystem of a purl type, for the types shipgate matches.
pub fn ecosystem_of_purl_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "npm" => "npm",
        "pypi" => "PyPI",
        "cargo" => "crates.io",
        "golang" => "Go",
        "maven" => "Maven",
        "nuget" => "NuGet",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        "pub" => "Pub",
        "hex" => "Hex",
        "cran" => "CRAN",
        "hackage" => "Hackage",
        _ => return None,
    })
}

/// The canonical spelling of an OSV ecosystem name (without `:suffix`), when
/// shipgate maps it to a purl type.
pub fn known_ecosystem(ecosystem: &str) -> Option<&'static str> {
    let base = ecosystem.split_once(':').map_or(ecosystem, |(b, _)| b);
    [
        "npm",
        "PyPI",
        "crates.io",
        "Go",
        "Maven",
        "NuGet",
        "RubyGems",
        "Packagist",
        "Pub",
        "Hex",
        "CRAN",
        "Hackage",
    ]
    .into_iter()
    .find(|e| *e == base)
}

/// A package name as the ecosystem compares it.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    match ecosystem {
        // PEP 503: lowercase, runs of `-`, `_`, `.` are one `-`.
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.extend(c.to_lowercase());
                }
            }
            out
        }
        // Registries that compare names case-insensitively.
        "npm" | "crates.io" | "NuGet" | "Packagist" | "Hex" => name.to_lowercase(),
        _ => name.to_owned(),
    }
}

/// The package key of a purl, when its type maps to an OSV ecosystem.
pub fn key_of_purl(purl: &Purl) -> Option<PackageKey> {
    let ecosystem = ecosystem_of_purl_type(&purl.kind)?;
    let name: Cow<'_, str> = match ecosystem {
        // `group:artifact`.
        "Maven" if !purl.namespace.is_empty() => format!("{}:{}", purl.namespace, purl.name).into(),
        // Scoped packages (`@scope/name`), vendor/package, module paths.
        "npm" | "Packagist" | "Go" if !purl.namespace.is_empty() => {
            format!("{}/{}", purl.namespace, purl.name).into()
        }
        _ => purl.name.as_str().into(),
    };
    Some(PackageKey {
        ecosystem,
        name: normalize_name(ecosystem, &name),
    })
}

/// The package key of an OSV `affected[].package`: from its ecosystem and
/// name when shipgate knows the ecosystem, else from its `purl` when given.
pub fn key_of_osv(ecosystem: &str, name: &str, purl: Option<&str>) -> Option<PackageKey> {
    match known_ecosystem(ecosystem) {
        Some(eco) => Some(PackageKey {
            ecosystem: eco,
            name: normalize_name(eco, name),
        }),
        None => key_of_purl(&parse_purl(purl?)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(purl: &str) -> (String, String) {
        let k = key_of_purl(&parse_purl(purl).unwrap()).unwrap();
        (k.ecosystem.to_owned(), k.name)
    }

    #[test]
    fn purls_map_to_osv_packages() {
        let cases = [
            ("pkg:npm/lodash@4.17.20", "npm", "lodash"),
            ("pkg:npm/%40angular/core@16.0.0", "npm", "@angular/core"),
            ("pkg:npm/@angular/core@16.0.0", "npm", "@angular/core"),
            (
                "pkg:pypi/Django_REST.framework@3.0",
                "PyPI",
                "django-rest-framework",
            ),
            ("pkg:cargo/smallvec@1.6.0", "crates.io", "smallvec"),
            (
                "pkg:golang/golang.org/x/net@v0.10.0",
                "Go",
                "golang.org/x/net",
            ),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
                "Maven",
                "org.apache.logging.log4j:log4j-core",
            ),
            (
                "pkg:nuget/Newtonsoft.Json@12.0.1",
                "NuGet",
                "newtonsoft.json",
            ),
            ("pkg:gem/rails@7.0.8", "RubyGems", "rails"),
            (
                "pkg:composer/laravel/framework@10.0.0",
                "Packagist",
                "laravel/framework",
            ),
        ];
        for (purl, eco, name) in cases {
            assert_eq!(key(purl), (eco.to_owned(), name.to_owned()), "{purl}");
        }
        assert_eq!(
            parse_purl("pkg:golang/golang.org/x/net@v0.10.0#http2")
                .unwrap()
                .version
                .as_deref(),
            Some("v0.10.0")
        );
        assert!(key_of_purl(&parse_purl("pkg:generic/openssl@3.0.0").unwrap()).is_none());
        assert!(parse_purl("not a purl").is_none());
    }

    #[test]
    fn osv_packages_use_the_same_keys() {
        assert_eq!(
            key_of_osv("PyPI", "Requests", None).unwrap().name,
            "requests"
        );
        assert_eq!(
            key_of_osv("Maven:https://repo.example", "g:a", None)
                .unwrap()
                .ecosystem,
            "Maven"
        );
        assert!(key_of_osv("Debian:12", "openssl", None).is_none());
        assert_eq!(
            key_of_osv("Unknown", "x", Some("pkg:cargo/smallvec"))
                .unwrap()
                .ecosystem,
            "crates.io"
        );
    }
}
