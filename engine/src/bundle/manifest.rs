//! `bundle.toml`, as written.

use serde::Deserialize;
use toml::Spanned;

use super::RuleSeverity;
use crate::backend::Language;
use crate::evidence::EvidenceKind;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManifest {
    pub bundle: RawBundle,
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub rule: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawBundle {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub engine: Option<Language>,
    #[serde(default)]
    pub required_evidence: Vec<EvidenceKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    pub title: String,
    pub severity: RuleSeverity,
    pub description: String,
    pub remediation: String,
    #[serde(default)]
    pub requires: Vec<EvidenceKind>,
    #[serde(default)]
    pub effective_on: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub help_uri: Option<String>,
    #[serde(default)]
    pub rego: Option<Spanned<String>>,
    #[serde(default)]
    pub cel: Option<Spanned<String>>,
    #[serde(default)]
    pub cel_expression: Option<Spanned<String>>,
}
