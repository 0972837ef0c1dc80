//! `--format sarif`: SARIF 2.1.0, which code-scanning services (GitHub code
//! scanning, GitLab, Azure DevOps) turn into annotations on the evidence.
//!
//! Every rule of the report is a `reportingDescriptor`, so a service knows the
//! rules that passed too; a result is a finding (or one per rule that could
//! not run, or that failed without findings, so a failing gate always has a
//! result to show). Waived findings stay as results with an external
//! suppression: SARIF consumers hide them but keep the audit trail. The
//! output carries no time, so the same report gives the same bytes.

use serde_json::{Map, Value, json};

use super::{Kind, Reporter, findings};
use crate::bundle::RuleSeverity;
use crate::decision::{Finding, RuleResult, RuleStatus};
use crate::gate::Report;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/shipgate/shipgate";

/// SARIF 2.1.0, one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sarif;

impl Reporter for Sarif {
    fn render(&self, report: &Report) -> String {
        let rules: Vec<Value> = report.rules.iter().map(descriptor).collect();
        let mut results = Vec::new();
        for (index, rule) in report.rules.iter().enumerate() {
            results.extend(rule_results(report, rule, index));
        }
        let log = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "shipgate",
                        "version": env!("CARGO_PKG_VERSION"),
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": results,
            }]
        });
        match serde_json::to_string_pretty(&log) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            Err(e) => format!("{{\"error\": \"cannot serialize the SARIF log: {e}\"}}\n"),
        }
    }
}

fn descriptor(rule: &RuleResult) -> Value {
    let mut d = Map::new();
    d.insert("id".into(), json!(rule.id));
    d.insert("name".into(), json!(rule.title));
    d.insert("shortDescription".into(), json!({ "text": rule.title }));
    // SARIF requires `text` to be present in a message: omit empty ones.
    if !rule.description.is_empty() {
        d.insert(
            "fullDescription".into(),
            json!({ "text": rule.description }),
        );
    }
    if !rule.remediation.is_empty() {
        d.insert("help".into(), json!({ "text": rule.remediation }));
    }
    if let Some(uri) = &rule.help_uri {
        d.insert("helpUri".into(), json!(uri));
    }
    let level = match rule.severity {
        RuleSeverity::Deny => "error",
        RuleSeverity::Warn => "warning",
    };
    d.insert("defaultConfiguration".into(), json!({ "level": level }));
    Value::Object(d)
}

fn rule_results(report: &Report, rule: &RuleResult, index: usize) -> Vec<Value> {
    let base = |level: &str, text: &str| {
        let mut r = Map::new();
        r.insert("ruleId".into(), json!(rule.id));
        r.insert("ruleIndex".into(), json!(index));
        r.insert("level".into(), json!(level));
        r.insert("message".into(), json!({ "text": text }));
        r
    };
    match rule.status {
        // Nothing to show: the descriptor says the rule exists.
        RuleStatus::Pass | RuleStatus::Skipped => Vec::new(),
        // The rule could not run: one result, failing closed like the gate.
        RuleStatus::Error => {
            let text = rule
                .message
                .as_deref()
                .unwrap_or("the rule could not be evaluated");
            vec![Value::Object(base("error", text))]
        }
        // A fail without findings (required evidence missing) still fails.
        RuleStatus::Fail if rule.violations.is_empty() && rule.waived.is_empty() => {
            let text = rule.message.as_deref().unwrap_or("the rule failed");
            vec![Value::Object(base("error", text))]
        }
        RuleStatus::Fail | RuleStatus::Warn | RuleStatus::Waived => findings(rule)
            .map(|(kind, f)| {
                let level = match (kind, rule.status) {
                    (Kind::Waived, _) => "note",
                    (Kind::Violation, RuleStatus::Fail) => "error",
                    // Violations of a warn rule, or of a deny rule not yet in force.
                    (Kind::Violation, _) | (Kind::Warning, _) => "warning",
                };
                let mut r = base(level, &f.msg);
                add_locations(&mut r, f);
                if kind == Kind::Waived {
                    r.insert("suppressions".into(), json!([suppression(report, f)]));
                }
                Value::Object(r)
            })
            .collect(),
    }
}

fn add_locations(r: &mut Map<String, Value>, f: &Finding) {
    let mut location = Map::new();
    if let Some(loc) = &f.location {
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), json!({ "uri": uri(&loc.file) }));
        if let Some(line) = loc.line {
            let mut region = Map::new();
            region.insert("startLine".into(), json!(line));
            if let Some(col) = loc.column {
                region.insert("startColumn".into(), json!(col));
            }
            physical.insert("region".into(), Value::Object(region));
        }
        location.insert("physicalLocation".into(), Value::Object(physical));
    }
    let mut logical = Vec::new();
    if let Some(purl) = f.details.str("purl") {
        logical.push(json!({ "fullyQualifiedName": purl, "kind": "module" }));
    }
    if let Some(artifact) = f.details.str("artifact") {
        logical.push(json!({ "name": artifact, "fullyQualifiedName": artifact }));
    }
    if !logical.is_empty() {
        location.insert("logicalLocations".into(), Value::Array(logical));
    }
    if !location.is_empty() {
        r.insert("locations".into(), json!([location]));
    }
}

fn suppression(report: &Report, f: &Finding) -> Value {
    let id = f.waiver.as_deref().unwrap_or("waiver");
    let justification = report
        .waivers
        .iter()
        .find(|w| w.waiver.id == id)
        .map_or_else(
            || format!("waived by {id}"),
            |w| {
                format!(
                    "{id}: {} (approved by {})",
                    w.waiver.justification, w.waiver.approver
                )
            },
        );
    json!({ "kind": "external", "justification": justification })
}

/// A relative URI reference for a repository path: `/` separators, and
/// percent-encoding for what a URI cannot hold (spaces, `%`, `#`, `?`, non-ASCII).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> Value {
        serde_json::from_str(&Sarif.render(&super::super::tests::sample())).unwrap()
    }

    #[test]
    fn every_rule_is_described_and_results_point_at_them() {
        let log = log();
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 6);
        assert_eq!(rules[1]["helpUri"], "https://example.com/rules/b.fail");
        assert_eq!(rules[2]["defaultConfiguration"]["level"], "warning");
        for r in run["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
    }

    #[test]
    fn levels_locations_and_suppressions() {
        let log = log();
        let results = log["runs"][0]["results"].as_array().unwrap();
        let levels: Vec<(&str, &str)> = results
            .iter()
            .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
            .collect();
        assert_eq!(
            levels,
            [
                ("b.fail", "error"),
                ("b.fail", "error"),
                ("b.warn", "warning"),
                ("b.waived", "note"),
                ("b.error", "error"),
            ]
        );
        let first = &results[0]["locations"][0];
        assert_eq!(
            first["physicalLocation"]["artifactLocation"]["uri"],
            "ev/sbom.json"
        );
        assert_eq!(first["physicalLocation"]["region"]["startLine"], 12);
        assert_eq!(
            first["logicalLocations"][0]["fullyQualifiedName"],
            "pkg:npm/x@1"
        );
        let artifact = &results[1]["locations"][0];
        assert!(artifact.get("physicalLocation").is_none());
        assert_eq!(artifact["logicalLocations"][0]["name"], "a.bin");
        let s = &results[3]["suppressions"][0];
        assert_eq!(s["kind"], "external");
        assert_eq!(
            s["justification"],
            "W-1: vendored, see OSR-1 (approved by a@example.com)"
        );
    }

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri("a/b c\\d#e.json"), "a/b%20c/d%23e.json");
        assert_eq!(uri("ü"), "%C3%BC");
    }
}
