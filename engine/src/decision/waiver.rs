//! Waivers: named, approved, expiring exceptions to a rule.
//!
//! A waiver names a rule, a scope (component purl or name, artifact, region —
//! a trailing `*` matches any suffix — or `all = true` for the whole rule), a
//! justification, an approver and an expiry date. It covers the violations of
//! that rule that match its scope, up to and including its expiry day. An
//! expired waiver covers nothing and says so; one expiring within the warning
//! window warns; one that matched nothing is reported as unused; one naming a
//! rule no bundle has is an error with a "did you mean".

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::backend::Violation;
use crate::diag::{Code, Location, Problem, Problems};
use crate::source::SourceFile;
use crate::toml_file;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<RawWaiver>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    id: Spanned<String>,
    rule: Spanned<String>,
    scope: Spanned<Scope>,
    justification: String,
    approver: String,
    expires: Spanned<toml::Value>,
}

/// What a waiver covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Component package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Component name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Manifest artifact name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Every violation of the rule.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

impl Scope {
    fn keys(&self) -> [(&'static str, Option<&String>); 4] {
        [
            ("purl", self.purl.as_ref()),
            ("component", self.component.as_ref()),
            ("artifact", self.artifact.as_ref()),
            ("region", self.region.as_ref()),
        ]
    }

    fn is_empty(&self) -> bool {
        !self.all && self.keys().iter().all(|(_, v)| v.is_none())
    }

    /// Does this scope cover `v`?
    pub fn covers(&self, v: &Violation) -> bool {
        if self.all {
            return true;
        }
        self.keys().iter().all(|(key, want)| match want {
            None => true,
            Some(pattern) => v.detail(key).is_some_and(|got| glob_match(pattern, got)),
        })
    }
}

fn glob_match(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

/// A waiver as loaded.
#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    /// Identifier (ticket, change number).
    pub id: String,
    /// The rule it waives.
    pub rule: String,
    /// What it covers.
    pub scope: Scope,
    /// Why.
    pub justification: String,
    /// Who approved it.
    pub approver: String,
    /// Last day it applies.
    pub expires: Date,
    #[serde(skip)]
    location: Location,
    #[serde(skip)]
    rule_location: Location,
}

/// What became of a waiver in one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WaiverStatus {
    /// In force and used.
    Applied,
    /// In force and used, but expires within the warning window.
    Expiring,
    /// Past its expiry: covers nothing.
    Expired,
    /// In force but matched no violation.
    Unused,
}

/// A waiver and its fate, for reports.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverReport {
    /// The waiver.
    #[serde(flatten)]
    pub waiver: Waiver,
    /// What became of it.
    pub status: WaiverStatus,
    /// Violations it covered.
    pub matched: usize,
    /// Days from the evaluation date to expiry (negative when expired).
    pub days_left: i64,
}

/// Loads a waivers file: every malformed waiver is reported at once.
pub fn load(file: &SourceFile) -> Result<Vec<Waiver>, Problems> {
    let raw: RawFile = toml_file::parse(file, "waivers file")?;
    let mut problems = Problems::default();
    let mut out = Vec::with_capacity(raw.waiver.len());
    let mut ids = std::collections::BTreeSet::new();
    for w in raw.waiver {
        let loc = toml_file::at(file, w.id.span());
        if !ids.insert(w.id.get_ref().clone()) {
            problems.push(
                Problem::error(
                    Code::WaiverInvalid,
                    format!("waiver id `{}` appears twice", w.id.get_ref()),
                )
                .at(loc.clone()),
            );
        }
        if w.scope.get_ref().is_empty() {
            problems.push(
                Problem::error(Code::WaiverInvalid, format!("waiver `{}` has an empty scope", w.id.get_ref()))
                    .with_help("name a `purl`, `component`, `artifact` or `region`, or write `scope = { all = true }` to waive every violation of the rule")
                    .at(toml_file::at(file, w.scope.span())),
            );
        }
        for (what, text) in [
            ("justification", &w.justification),
            ("approver", &w.approver),
        ] {
            if text.trim().is_empty() {
                problems.push(
                    Problem::error(
                        Code::WaiverInvalid,
                        format!("waiver `{}` has an empty {what}", w.id.get_ref()),
                    )
                    .with_help("a waiver must say why it exists and who approved it")
                    .at(loc.clone()),
                );
            }
        }
        let expires_text = match w.expires.get_ref() {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let expires = match expires_text.parse::<Date>() {
            Ok(d) => d,
            Err(_) => {
                problems.push(
                    Problem::error(
                        Code::WaiverInvalid,
                        format!(
                            "waiver `{}` expiry `{expires_text}` is not a date",
                            w.id.get_ref()
                        ),
                    )
                    .with_help(
                        "write the last day the waiver applies as YYYY-MM-DD; waivers must expire",
                    )
                    .at(toml_file::at(file, w.expires.span())),
                );
                continue;
            }
        };
        out.push(Waiver {
            id: w.id.get_ref().clone(),
            rule_location: toml_file::at(file, w.rule.span()),
            rule: w.rule.into_inner(),
            scope: w.scope.into_inner(),
            justification: w.justification,
            approver: w.approver,
            expires,
            location: loc,
        });
    }
    problems.into_result()?;
    Ok(out)
}

/// Errors for waivers naming rules that no loaded bundle has.
pub fn check_rules<'a>(
    waivers: &[Waiver],
    rule_ids: impl Iterator<Item = &'a str> + Clone,
) -> Vec<Problem> {
    waivers
        .iter()
        .filter(|w| !rule_ids.clone().any(|r| r == w.rule))
        .map(|w| {
            let help = match crate::text::closest(&w.rule, rule_ids.clone()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    "run `shipgate check --format json` to list the rule ids of the loaded bundles"
                        .to_owned()
                }
            };
            Problem::error(
                Code::WaiverUnknownRule,
                format!("unknown rule `{}` in waiver `{}`", w.rule, w.id),
            )
            .with_help(help)
            .at(w.rule_location.clone())
        })
        .collect()
}

/// The waivers of one evaluation day, tracking what each one covered.
pub(crate) struct Ledger<'a> {
    waivers: &'a [Waiver],
    today: Date,
    warn_days: i64,
    matched: Vec<usize>,
}

impl<'a> Ledger<'a> {
    pub(crate) fn new(waivers: &'a [Waiver], today: Date, warn_days: i64) -> Self {
        Ledger {
            waivers,
            today,
            warn_days,
            matched: vec![0; waivers.len()],
        }
    }

    fn in_force(&self, w: &Waiver) -> bool {
        self.today <= w.expires
    }

    /// The id of the first in-force waiver of `rule` covering `v`.
    pub(crate) fn cover(&mut self, rule: &str, v: &Violation) -> Option<String> {
        let i = self
            .waivers
            .iter()
            .position(|w| w.rule == rule && self.in_force(w) && w.scope.covers(v))?;
        if let Some(m) = self.matched.get_mut(i) {
            *m += 1;
        }
        self.waivers.get(i).map(|w| w.id.clone())
    }

    /// Every waiver with its status, and the warnings due.
    pub(crate) fn finish(self) -> (Vec<WaiverReport>, Vec<Problem>) {
        let mut reports = Vec::with_capacity(self.waivers.len());
        let mut problems = Vec::new();
        for (w, &matched) in self.waivers.iter().zip(&self.matched) {
            let days_left = (w.expires - self.today).get_days().into();
            let status = if !self.in_force(w) {
                problems.push(
                    Problem::warning(
                        Code::WaiverExpired,
                        format!(
                            "waiver `{}` for `{}` expired on {}: it no longer applies",
                            w.id, w.rule, w.expires
                        ),
                    )
                    .with_help("renew it with a new expiry and approval, or fix what it waived")
                    .at(w.location.clone()),
                );
                WaiverStatus::Expired
            } else if matched == 0 {
                problems.push(
                    Problem::warning(
                        Code::WaiverUnused,
                        format!("waiver `{}` for `{}` matched no violation", w.id, w.rule),
                    )
                    .with_help("remove it if the problem it waived is gone, or check its scope")
                    .at(w.location.clone()),
                );
                WaiverStatus::Unused
            } else if days_left <= self.warn_days {
                problems.push(
                    Problem::warning(
                        Code::WaiverExpiring,
                        format!(
                            "waiver `{}` for `{}` expires on {} ({days_left} days left)",
                            w.id, w.rule, w.expires
                        ),
                    )
                    .with_help("renew it or fix what it waives before it lapses and the gate fails")
                    .at(w.location.clone()),
                );
                WaiverStatus::Expiring
            } else {
                WaiverStatus::Applied
            };
            reports.push(WaiverReport {
                waiver: w.clone(),
                status,
                matched,
                days_left,
            });
        }
        (reports, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FILE: &str = r#"
[[waiver]]
id = "W-1"
rule = "sbom.license-allowed"
scope = { purl = "pkg:npm/foo@*" }
justification = "legal review LR-12"
approver = "jane@example.com"
expires = 2027-06-30

[[waiver]]
id = "W-2"
rule = "sbom.license-allowed"
scope = { component = "bar" }
justification = "old"
approver = "joe@example.com"
expires = "2026-01-31"
"#;

    fn v(details: serde_json::Value) -> Violation {
        Violation::from_value(details, "m").unwrap()
    }

    #[test]
    fn covers_matching_violations_until_expiry() {
        let ws = load(&SourceFile::from_text("w.toml", FILE)).unwrap();
        let today: Date = "2026-11-23".parse().unwrap();
        let mut l = Ledger::new(&ws, today, 30);
        assert_eq!(
            l.cover(
                "sbom.license-allowed",
                &v(json!({"purl": "pkg:npm/foo@1.0"}))
            )
            .as_deref(),
            Some("W-1")
        );
        assert_eq!(
            l.cover(
                "sbom.license-allowed",
                &v(json!({"purl": "pkg:npm/food@1"}))
            ),
            None
        );
        assert_eq!(
            l.cover("other.rule", &v(json!({"purl": "pkg:npm/foo@1.0"}))),
            None
        );
        // W-2 expired: it covers nothing.
        assert_eq!(
            l.cover("sbom.license-allowed", &v(json!({"component": "bar"}))),
            None
        );
        let (reports, problems) = l.finish();
        assert_eq!(reports[0].status, WaiverStatus::Applied);
        assert_eq!(reports[1].status, WaiverStatus::Expired);
        assert_eq!(problems[0].code, Code::WaiverExpired);
    }

    #[test]
    fn expiring_and_unused_warn() {
        let ws = load(&SourceFile::from_text("w.toml", FILE)).unwrap();
        let mut l = Ledger::new(&ws, "2027-06-20".parse().unwrap(), 30);
        l.cover("sbom.license-allowed", &v(json!({"purl": "pkg:npm/foo@2"})));
        let (reports, problems) = l.finish();
        assert_eq!(reports[0].status, WaiverStatus::Expiring);
        assert_eq!(reports[0].days_left, 10);
        assert_eq!(problems[0].code, Code::WaiverExpiring);
        let l = Ledger::new(&ws, "2026-11-23".parse().unwrap(), 30);
        assert_eq!(l.finish().0[0].status, WaiverStatus::Unused);
    }

    #[test]
    fn malformed_waivers_are_all_reported() {
        let bad = r#"
[[waiver]]
id = "W-1"
rule = "r.x"
scope = {}
justification = " "
approver = "a"
expires = "someday"
"#;
        let err = load(&SourceFile::from_text("w.toml", bad)).unwrap_err();
        let codes: Vec<_> = err.iter().map(|p| p.code).collect();
        assert_eq!(codes, [Code::WaiverInvalid; 3], "{err:?}");
    }

    #[test]
    fn unknown_rules_get_a_suggestion() {
        let ws = load(&SourceFile::from_text(
            "w.toml",
            &FILE.replace("sbom.license-allowed", "sbom.lisence-allowed"),
        ))
        .unwrap();
        let ps = check_rules(&ws, ["sbom.license-allowed", "sbom.banned"].into_iter());
        assert_eq!(ps.len(), 2);
        assert_eq!(
            ps[0].help.as_deref(),
            Some("did you mean `sbom.license-allowed`?")
        );
        assert_eq!(ps[0].location.as_ref().unwrap().line, Some(4));
    }
}
