use std::collections::BTreeMap;

use super::*;
use crate::evidence::sbom::{Component, SbomFormat, SourceRef};

/// Real advisories (see testdata/ORIGIN.md).
const FIXTURES: [(&str, &str); 8] = [
    (
        "GHSA-p6mc-m468-83gw.json",
        include_str!("testdata/GHSA-p6mc-m468-83gw.json"),
    ),
    (
        "GHSA-j8r2-6x86-q33q.json",
        include_str!("testdata/GHSA-j8r2-6x86-q33q.json"),
    ),
    (
        "GHSA-jfh8-c2jp-5v3q.json",
        include_str!("testdata/GHSA-jfh8-c2jp-5v3q.json"),
    ),
    (
        "GHSA-4374-p667-p6c8.json",
        include_str!("testdata/GHSA-4374-p667-p6c8.json"),
    ),
    (
        "GHSA-838r-hvwh-24h8.json",
        include_str!("testdata/GHSA-838r-hvwh-24h8.json"),
    ),
    (
        "RUSTSEC-2021-0003.json",
        include_str!("testdata/RUSTSEC-2021-0003.json"),
    ),
    (
        "GO-2024-2887.json",
        include_str!("testdata/GO-2024-2887.json"),
    ),
    (
        "PYSEC-2021-63.withdrawn.json",
        include_str!("testdata/PYSEC-2021-63.withdrawn.json"),
    ),
];

fn load_text(name: &str, text: &str) -> Result<(Vec<Advisory>, Vec<Problem>), Problems> {
    load(&SourceFile::from_text(name, text))
}

fn feed() -> (Vec<Advisory>, Vec<Problem>) {
    let mut all = Vec::new();
    let mut warnings = Vec::new();
    for (name, text) in FIXTURES {
        let (a, w) =
            load_text(&format!("osv/{name}"), text).unwrap_or_else(|e| panic!("{name}: {:?}", e.0));
        all.extend(a);
        warnings.extend(w);
    }
    (all, warnings)
}

fn component(i: usize, purl: &str, version: Option<&str>) -> Component {
    let name = parse_purl(purl).map_or_else(|| "x".to_owned(), |p| p.name);
    Component {
        reference: purl.to_owned(),
        name,
        group: None,
        version: version.map(str::to_owned),
        purl: Some(purl.to_owned()),
        kind: "library".to_owned(),
        license: Default::default(),
        hashes: BTreeMap::new(),
        supplier: None,
        source: SourceRef {
            file: "sbom/app.cdx.json".into(),
            pointer: format!("/components/{i}"),
        },
    }
}

fn sbom(purls: &[&str]) -> Sbom {
    Sbom {
        file: "sbom/app.cdx.json".to_owned(),
        format: SbomFormat::Cyclonedx,
        spec_version: "1.6".to_owned(),
        subject: None,
        components: purls
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let version = parse_purl(p).and_then(|p| p.version);
                component(i, p, version.as_deref())
            })
            .collect(),
        dependencies: Vec::new(),
    }
}

fn ids(matches: &[VulnMatch]) -> Vec<(String, String)> {
    matches
        .iter()
        .map(|m| (m.purl.clone(), m.id.clone()))
        .collect()
}

#[test]
fn real_feeds_load_without_warnings() {
    let (advisories, warnings) = feed();
    assert_eq!(advisories.len(), 8);
    // The Go reference `golang.org/x/net` is not a URI: shipgate never reads
    // references, and the record schema does not hold them to a format.
    assert!(warnings.is_empty(), "{warnings:?}");
    let withdrawn: Vec<_> = advisories
        .iter()
        .filter(|a| a.withdrawn.is_some())
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(withdrawn, ["PYSEC-2021-63"]);
}

#[test]
fn real_advisories_match_a_synthetic_component_list() {
    let (advisories, _) = feed();
    let s = sbom(&[
        "pkg:npm/lodash@4.17.15",     // 0: in [3.7.0, 4.17.19)
        "pkg:npm/lodash@4.17.21",     // 1: fixed
        "pkg:npm/lodash.set@4.3.2",   // 2: = last_affected
        "pkg:npm/lodash.set@4.3.3",   // 3: above last_affected
        "pkg:pypi/Requests@2.30.0",   // 4: PEP 503 name, affected
        "pkg:pypi/requests@2.31.0",   // 5: fixed
        "pkg:pypi/requests@2.3.0rc1", // 6: pre-release before introduced
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", // 7: affected
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.2", // 8: backport fix
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.0-beta9", // 9: introduced
        "pkg:maven/org.xbib.elasticsearch/log4j@6.3.2.1", // 10: versions list
        "pkg:cargo/smallvec@1.6.0",   // 11: second range
        "pkg:cargo/smallvec@0.6.14",  // 12: fixed on 0.x
        "pkg:golang/golang.org/x/net@v0.10.0", // 13: Go `v` prefix
        "pkg:golang/stdlib@v1.22.3",  // 14: 1.22.0-0 <= v < 1.22.4
        "pkg:golang/stdlib@v1.21.11", // 15: fixed
        "pkg:pypi/cryptography@3.2",  // 16: withdrawn advisory
        "pkg:maven/org.apache.any23/apache-any23@2.4", // 17: fixed in 2.5
    ]);
    let (matches, problems) = match_sboms(&advisories, std::slice::from_ref(&s));
    assert!(problems.is_empty(), "{problems:?}");
    let expect = [
        ("pkg:npm/lodash@4.17.15", "GHSA-p6mc-m468-83gw"),
        ("pkg:npm/lodash.set@4.3.2", "GHSA-p6mc-m468-83gw"),
        ("pkg:pypi/Requests@2.30.0", "GHSA-j8r2-6x86-q33q"),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "GHSA-jfh8-c2jp-5v3q",
        ),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.0-beta9",
            "GHSA-jfh8-c2jp-5v3q",
        ),
        (
            "pkg:maven/org.xbib.elasticsearch/log4j@6.3.2.1",
            "GHSA-jfh8-c2jp-5v3q",
        ),
        ("pkg:cargo/smallvec@1.6.0", "RUSTSEC-2021-0003"),
        ("pkg:golang/golang.org/x/net@v0.10.0", "GHSA-4374-p667-p6c8"),
        ("pkg:golang/stdlib@v1.22.3", "GO-2024-2887"),
        (
            "pkg:maven/org.apache.any23/apache-any23@2.4",
            "GHSA-838r-hvwh-24h8",
        ),
    ];
    let want: Vec<(String, String)> = expect
        .iter()
        .map(|(p, i)| ((*p).to_owned(), (*i).to_owned()))
        .collect();
    assert_eq!(ids(&matches), want);

    let lodash = &matches[0];
    assert_eq!(lodash.severity, Level::High);
    assert_eq!(lodash.score, Some(7.4));
    assert_eq!(lodash.fixed, ["4.17.19"]);
    assert_eq!(lodash.aliases, ["CVE-2020-8203"]);
    assert_eq!(lodash.ecosystem, "npm");
    assert_eq!(lodash.pointer, "/components/0");
    assert_eq!(lodash.feed, "osv/GHSA-p6mc-m468-83gw.json");
    assert_eq!(matches[1].fixed, Vec::<String>::new()); // last_affected only
    assert_eq!(matches[2].severity, Level::Medium); // 6.1
    assert_eq!(matches[3].severity, Level::Critical); // 10.0
    assert_eq!(matches[3].fixed, ["2.15.0"]);
    assert_eq!(matches[6].fixed, ["0.6.14", "1.6.1"]);
    assert_eq!(matches[8].fixed, ["1.21.11", "1.22.4"]);
    assert_eq!(matches[8].severity, Level::Unknown); // the Go database rates nothing
    assert_eq!(matches[8].score, None);

    // The match serializes as the policy input's V.
    let v = serde_json::to_value(lodash).unwrap();
    for key in [
        "id",
        "aliases",
        "summary",
        "severity",
        "score",
        "purl",
        "component",
        "version",
        "ecosystem",
        "fixed",
        "sbom",
        "pointer",
        "feed",
    ] {
        assert!(v.get(key).is_some(), "{key} missing in {v}");
    }
    assert_eq!(v["severity"], "high");
}

fn record(affected: &str) -> String {
    format!(
        r#"{{"id": "OSV-2026-1", "modified": "2026-01-01T00:00:00Z", "affected": [{affected}]}}"#
    )
}

fn matches_of(affected: &str, purls: &[&str]) -> (Vec<String>, Vec<Problem>) {
    let (advisories, _) = load_text("osv/x.json", &record(affected)).unwrap();
    let (matches, problems) = match_sboms(&advisories, &[sbom(purls)]);
    (matches.into_iter().map(|m| m.purl).collect(), problems)
}

fn npm_range(events: &str) -> String {
    format!(
        r#"{{"package": {{"ecosystem": "npm", "name": "p"}}, "ranges": [{{"type": "SEMVER", "events": [{events}]}}]}}"#
    )
}

#[test]
fn range_evaluation_follows_the_osv_algorithm() {
    let all = [
        "pkg:npm/p@0.0.1",
        "pkg:npm/p@1.0.0",
        "pkg:npm/p@1.0.1",
        "pkg:npm/p@1.0.2",
        "pkg:npm/p@2.0.0",
        "pkg:npm/p@3.0.0-rc.1",
        "pkg:npm/p@3.0.0",
        "pkg:npm/p@3.2.4",
        "pkg:npm/p@3.2.5",
        "pkg:npm/p@9.0.0",
    ];
    let cases: [(&str, &[&str]); 6] = [
        // Every version.
        (r#"{"introduced": "0"}"#, &all),
        // Everything before 1.0.2.
        (
            r#"{"introduced": "0"}, {"fixed": "1.0.2"}"#,
            &["pkg:npm/p@0.0.1", "pkg:npm/p@1.0.0", "pkg:npm/p@1.0.1"],
        ),
        // Up to and including the last affected version.
        (
            r#"{"introduced": "1.0.0"}, {"last_affected": "1.0.2"}"#,
            &["pkg:npm/p@1.0.0", "pkg:npm/p@1.0.1", "pkg:npm/p@1.0.2"],
        ),
        // Two ranges in one, events unsorted: [1.0.0, 1.0.2) and [3.0.0, 3.2.5).
        (
            r#"{"fixed": "3.2.5"}, {"introduced": "1.0.0"}, {"introduced": "3.0.0"}, {"fixed": "1.0.2"}"#,
            &[
                "pkg:npm/p@1.0.0",
                "pkg:npm/p@1.0.1",
                "pkg:npm/p@3.0.0",
                "pkg:npm/p@3.2.4",
            ],
        ),
        // A limit bounds the range from above.
        (
            r#"{"introduced": "3.0.0-rc.1"}, {"limit": "3.2.5"}"#,
            &["pkg:npm/p@3.0.0-rc.1", "pkg:npm/p@3.0.0", "pkg:npm/p@3.2.4"],
        ),
        // `limit: "*"` is no bound.
        (
            r#"{"introduced": "3.2.5"}, {"limit": "*"}"#,
            &["pkg:npm/p@3.2.5", "pkg:npm/p@9.0.0"],
        ),
    ];
    for (events, want) in cases {
        let (got, problems) = matches_of(&npm_range(events), &all);
        assert!(problems.is_empty(), "{events}: {problems:?}");
        assert_eq!(got, want.to_vec(), "{events}");
    }
}

#[test]
fn several_ranges_and_a_version_list_are_alternatives() {
    let affected = r#"{"package": {"ecosystem": "PyPI", "name": "Flask_Cors"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0rc1"}]},
                   {"type": "ECOSYSTEM", "events": [{"introduced": "2.0.dev0"}, {"fixed": "2.1"}]}],
        "versions": ["1.5"]}"#;
    let (got, problems) = matches_of(
        affected,
        &[
            "pkg:pypi/flask-cors@0.9",
            "pkg:pypi/flask-cors@1.0b2",
            "pkg:pypi/flask-cors@1.0",
            "pkg:pypi/flask-cors@1.5.0",
            "pkg:pypi/flask-cors@2.0a1",
            "pkg:pypi/flask-cors@2.1.post1",
        ],
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        got,
        [
            "pkg:pypi/flask-cors@0.9",
            "pkg:pypi/flask-cors@1.0b2",
            "pkg:pypi/flask-cors@1.5.0",
            "pkg:pypi/flask-cors@2.0a1",
        ]
    );
}

#[test]
fn git_only_ranges_warn_instead_of_passing_silently() {
    let affected = r#"{"package": {"ecosystem": "npm", "name": "p"},
        "ranges": [{"type": "GIT", "repo": "https://example.com/p.git",
                    "events": [{"introduced": "0"}, {"fixed": "0123456789abcdef0123456789abcdef01234567"}]}]}"#;
    let (got, problems) = matches_of(affected, &["pkg:npm/p@1.0.0", "pkg:npm/other@1.0.0"]);
    assert!(got.is_empty());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, Code::OsvUnevaluableRange);
    assert!(
        problems[0].message.contains("GIT"),
        "{}",
        problems[0].message
    );
    assert!(problems[0].message.contains("`p@1.0.0`"));

    // With an enumerated version list beside it, the list decides.
    let listed = affected.replace(r#""ranges""#, r#""versions": ["0.9.0"], "ranges""#);
    let (got, problems) = matches_of(&listed, &["pkg:npm/p@1.0.0", "pkg:npm/p@0.9.0"]);
    assert_eq!(got, ["pkg:npm/p@0.9.0"]);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn unsupported_orderings_and_bad_versions_warn() {
    let cran = r#"{"package": {"ecosystem": "CRAN", "name": "readr"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}]}"#;
    let (got, problems) = matches_of(cran, &["pkg:cran/readr@1.0.0"]);
    assert!(got.is_empty());
    assert_eq!(problems[0].code, Code::OsvUnevaluableRange);
    assert!(
        problems[0].message.contains("`CRAN`"),
        "{}",
        problems[0].message
    );

    // Packagist is ordered as Composer orders it.
    let packagist = r#"{"package": {"ecosystem": "Packagist", "name": "laravel/framework"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "7.0.0"}, {"fixed": "7.30.3"}]}]}"#;
    let (got, problems) = matches_of(
        packagist,
        &[
            "pkg:composer/laravel/framework@v7.12.0",
            "pkg:composer/laravel/framework@7.30.3",
        ],
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(got, ["pkg:composer/laravel/framework@v7.12.0"]);

    let (got, problems) = matches_of(
        &npm_range(r#"{"introduced": "0"}, {"fixed": "2.0.0"}"#),
        &["pkg:npm/p@latest"],
    );
    assert!(got.is_empty());
    assert!(
        problems[0]
            .message
            .contains("`latest` is not a SemVer version")
    );
}

#[test]
fn unversioned_components_are_noted() {
    let (advisories, _) =
        load_text("osv/x.json", &record(&npm_range(r#"{"introduced": "0"}"#))).unwrap();
    let mut s = sbom(&["pkg:npm/p", "pkg:npm/q"]);
    s.components[1].version = None;
    let (matches, problems) = match_sboms(&advisories, &[s]);
    assert!(matches.is_empty());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, Code::OsvUnversionedComponent);
    assert!(problems[0].message.contains("`OSV-2026-1`"));
}

#[test]
fn feed_formats() {
    let one = record(&npm_range(r#"{"introduced": "0"}"#));
    let other = one.replace("OSV-2026-1", "OSV-2026-2");
    let array = format!("[{one}, {other}]");
    let query = format!(r#"{{"vulns": [{one}, {other}]}}"#);
    let batch = format!(r#"{{"results": [{{"vulns": [{one}]}}, {{}}, {{"vulns": [{other}]}}]}}"#);
    for (text, pointers) in [
        (one.clone(), vec![""]),
        (array, vec!["/0", "/1"]),
        (query, vec!["/vulns/0", "/vulns/1"]),
        (batch, vec!["/results/0/vulns/0", "/results/2/vulns/0"]),
        ("{}".to_owned(), vec![]),
    ] {
        let (advisories, _) = load_text("osv/f.json", &text).unwrap();
        let got: Vec<&str> = advisories.iter().map(|a| a.pointer.as_str()).collect();
        assert_eq!(got, pointers, "{text}");
    }
    let err = load_text("osv/f.json", r#"{"hello": 1}"#).unwrap_err();
    assert_eq!(err.0[0].code, Code::OsvUnknownFormat);
}

#[test]
fn schema_violations_are_located_errors() {
    let bad = r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "yesterday", "affected": [
        {"package": {"ecosystem": "npm", "name": "p"}, "ranges": [{"type": "SEMVER", "events": [{"fixed": "1.0.0"}]}]}]}"#;
    let err = load_text("osv/bad.json", bad).unwrap_err();
    let pointers: Vec<_> = err
        .iter()
        .filter(|p| p.is_error())
        .filter_map(|p| p.location.as_ref()?.pointer.clone())
        .collect();
    assert!(pointers.contains(&"/modified".to_owned()), "{pointers:?}");
    assert!(
        pointers.contains(&"/affected/0/ranges/0/events".to_owned()),
        "{pointers:?}"
    );
    let located = err.iter().find(|p| p.is_error()).unwrap();
    assert!(located.location.as_ref().unwrap().line.is_some());

    // An id prefix or ecosystem of a database newer than shipgate reads.
    let newer = record(r#"{"package": {"ecosystem": "NewEco", "name": "p"}, "versions": ["1"]}"#)
        .replace("OSV-2026-1", "NEWDB-2026-1");
    let (advisories, warnings) = load_text("osv/new.json", &newer).unwrap();
    assert_eq!(advisories.len(), 1);
    assert!(warnings.is_empty(), "{warnings:?}");

    // Unknown top-level fields (a newer schema version) are not reported.
    let extra = record(&npm_range(r#"{"introduced": "0"}"#))
        .replace(r#""affected""#, r#""x_new_field": 1, "affected""#);
    let (_, warnings) = load_text("osv/extra.json", &extra).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn duplicates_and_withdrawn_advisories() {
    let one = record(&npm_range(r#"{"introduced": "0"}"#));
    let (mut a, _) = load_text("osv/a.json", &one).unwrap();
    let (b, _) = load_text("osv/b.json", &one).unwrap();
    a.extend(b);
    let withdrawn = one.replace("OSV-2026-1", "OSV-2026-9").replace(
        r#""affected""#,
        r#""withdrawn": "2026-02-01T00:00:00Z", "affected""#,
    );
    a.extend(load_text("osv/c.json", &withdrawn).unwrap().0);
    let (matches, problems) = match_sboms(&a, &[sbom(&["pkg:npm/p@1.0.0"])]);
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].feed, "osv/a.json");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, Code::OsvDuplicateAdvisory);
}

#[test]
fn severity_sources() {
    let with = |severity: &str, db: &str| {
        let text = format!(
            r#"{{"id": "OSV-2026-1", "modified": "2026-01-01T00:00:00Z", "severity": [{severity}], "database_specific": {{{db}}},
               "affected": [{}]}}"#,
            npm_range(r#"{"introduced": "0"}"#)
        );
        let (a, w) = load_text("osv/s.json", &text).unwrap();
        (a[0].rating, w)
    };
    let v4 = r#"{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}"#;
    let (r, _) = with(v4, r#""severity": "CRITICAL""#);
    assert_eq!((r.level, r.score), (Level::Critical, None));
    let (r, _) = with(v4, "");
    assert_eq!((r.level, r.score), (Level::Unknown, None));
    let v3 = r#"{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}"#;
    let (r, _) = with(&format!("{v4}, {v3}"), r#""severity": "LOW""#);
    assert_eq!((r.level, r.score), (Level::Critical, Some(9.8)));
    // Base metrics missing: a warning, then the database's level.
    let partial = r#"{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L"}"#;
    let (r, w) = with(partial, r#""severity": "MODERATE""#);
    assert_eq!(r.level, Level::Medium);
    assert_eq!(w[0].code, Code::OsvSeverityUnreadable);
    let ubuntu = r#"{"type": "Ubuntu", "score": "negligible"}"#;
    assert_eq!(with(ubuntu, "").0.level, Level::Low);
}

#[test]
fn results_are_sorted_by_sbom_component_and_id() {
    let a = record(&npm_range(r#"{"introduced": "0"}"#)).replace("OSV-2026-1", "OSV-2026-5");
    let b = record(&npm_range(r#"{"introduced": "0"}"#)).replace("OSV-2026-1", "GHSA-2026-1");
    let (mut advisories, _) = load_text("osv/a.json", &a).unwrap();
    advisories.extend(load_text("osv/b.json", &b).unwrap().0);
    let s1 = sbom(&["pkg:npm/p@2.0.0", "pkg:npm/p@1.0.0"]);
    let mut s2 = sbom(&["pkg:npm/p@3.0.0"]);
    s2.file = "sbom/b.json".to_owned();
    let (matches, _) = match_sboms(&advisories, &[s1, s2]);
    let got: Vec<(String, String, String)> = matches
        .iter()
        .map(|m| (m.sbom.clone(), m.version.clone(), m.id.clone()))
        .collect();
    let want = [
        ("sbom/app.cdx.json", "2.0.0", "GHSA-2026-1"),
        ("sbom/app.cdx.json", "2.0.0", "OSV-2026-5"),
        ("sbom/app.cdx.json", "1.0.0", "GHSA-2026-1"),
        ("sbom/app.cdx.json", "1.0.0", "OSV-2026-5"),
        ("sbom/b.json", "3.0.0", "GHSA-2026-1"),
        ("sbom/b.json", "3.0.0", "OSV-2026-5"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(got, want);
}
