//! Rule bundles: a directory with `bundle.toml`, Rego modules and CEL rules.
//!
//! Rule metadata lives in the manifest, not in `# METADATA` comments: regorus
//! does not implement `rego.metadata`, and one place for metadata serves both
//! languages. A rule may carry a Rego and a CEL implementation at once; the
//! bundle's `engine` picks the one that runs, and `shipgate test` runs both and
//! fails when they disagree.
//!
//! A bundle is compiled once when loaded — and evaluated once against an empty
//! input, so errors regorus reports only at evaluation surface here — then
//! evaluated against any number of inputs.

mod digest;
mod manifest;
pub mod testing;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;

use crate::backend::guard::{self, EvalLimits};
use crate::backend::{Language, PreparedInput, RuleEval, SharedCompiled, cel, rego};
use crate::diag::{Code, Location, Problem, Problems};
use crate::evidence::EvidenceKind;
use crate::source::SourceFile;
use crate::toml_file;

pub use digest::BundleFile;

/// How bad a failing rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    /// A violation fails the gate.
    Deny,
    /// A violation is reported and does not fail the gate.
    Warn,
}

/// A rule's metadata and where its implementations are.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Unique id, e.g. `sbom.license-allowed`.
    pub id: String,
    /// One line.
    pub title: String,
    /// `deny` or `warn`.
    pub severity: RuleSeverity,
    /// What the rule checks and why.
    pub description: String,
    /// How to fix a violation.
    pub remediation: String,
    /// Evidence the rule reads; when one is missing the rule is skipped (or
    /// fails, if the bundle requires that evidence).
    pub requires: Vec<EvidenceKind>,
    /// Before this date a failing `deny` rule only warns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_on: Option<Date>,
    /// Documentation link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    /// The languages the rule is implemented in.
    pub implementations: Vec<Language>,
    #[serde(skip)]
    slots: Vec<(Language, usize)>,
}

impl Rule {
    /// The implementation that runs with preference `prefer` in a bundle
    /// whose engine is `engine`: the preferred language, else the bundle's,
    /// else the rule's first; and its index among that language's rules.
    fn choose(&self, prefer: Option<Language>, engine: Language) -> (Language, usize) {
        let want = prefer.unwrap_or(engine);
        self.slots
            .iter()
            .find(|(l, _)| *l == want)
            .or_else(|| self.slots.iter().find(|(l, _)| *l == engine))
            .or_else(|| self.slots.first())
            .copied()
            .unwrap_or((engine, usize::MAX))
    }
}

/// A loaded, compiled bundle. Cloning shares the compiled rules.
#[derive(Clone)]
pub struct Bundle {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Description.
    pub description: String,
    /// The directory as the user named it.
    pub display: String,
    /// The directory.
    pub dir: PathBuf,
    /// sha256 over the canonical listing of its files.
    pub digest: String,
    /// Every file, sorted by path.
    pub files: Vec<BundleFile>,
    /// Evidence whose absence fails the bundle's rules instead of skipping them.
    pub required_evidence: Vec<EvidenceKind>,
    /// Default parameters (`data.params` / `params`), overridable per run.
    pub params: serde_json::Map<String, Value>,
    /// The implementation that runs when a rule has several.
    pub engine: Language,
    /// Rules, in manifest order.
    pub rules: Vec<Rule>,
    /// What loading found worth saying that did not stop it.
    pub warnings: Vec<Problem>,
    compiled: Vec<(Language, SharedCompiled)>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// Which of a bundle's languages [`Bundle::load`] compiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compile {
    /// Every implementation of every rule (`shipgate test`, which runs and
    /// compares them all).
    #[default]
    Every,
    /// Only the implementations [`Bundle::evaluate`] runs with this
    /// preference (`shipgate check`): a CEL twin of a Rego rule that will
    /// not run is not parsed, which is most of loading a small bundle.
    /// Evaluating with another preference reports such rules as errors.
    For(Option<Language>),
}

/// Limits on what a bundle may contain.
#[derive(Debug, Clone, Copy)]
pub struct BundleLimits {
    /// Most files.
    pub max_files: usize,
    /// Largest file.
    pub max_file_bytes: u64,
    /// Time budget per rule at load (probe) and evaluation.
    pub eval: EvalLimits,
    /// Which languages to compile.
    pub compile: Compile,
}

impl Default for BundleLimits {
    fn default() -> Self {
        BundleLimits {
            max_files: 2000,
            max_file_bytes: 4 * 1024 * 1024,
            eval: EvalLimits::default(),
            compile: Compile::Every,
        }
    }
}

impl Bundle {
    /// Loads, validates and compiles the bundle in `dir` (shown as `display`).
    /// Every problem found is reported at once.
    pub fn load(dir: &Path, display: &str, limits: &BundleLimits) -> Result<Bundle, Problems> {
        let files = digest::collect(dir, display, limits)?;
        let digest = digest::digest(&files);
        let manifest_file = files
            .iter()
            .find(|f| f.path == "bundle.toml")
            .map(|f| f.source.clone())
            .ok_or_else(|| {
                Problem::error(
                    Code::BundleInvalid,
                    format!("`{display}` has no bundle.toml"),
                )
                .with_help(
                    "a bundle is a directory with a bundle.toml manifest; see docs/bundles.md",
                )
                .at(Location::file(display))
            })?;
        let raw: manifest::RawManifest = toml_file::parse(&manifest_file, "bundle manifest")?;
        let mut problems = Problems::default();
        let engine = raw.bundle.engine.unwrap_or(Language::Rego);
        let params = raw.params.clone();

        let mut rules = Vec::with_capacity(raw.rule.len());
        let mut rego_rules = Vec::new();
        let mut cel_rules = Vec::new();
        let mut seen = BTreeSet::new();
        for r in &raw.rule {
            let id_at = toml_file::at(&manifest_file, r.id.span());
            if !seen.insert(r.id.get_ref().clone()) {
                problems.push(
                    Problem::error(
                        Code::BundleInvalid,
                        format!("rule id `{}` appears twice", r.id.get_ref()),
                    )
                    .at(id_at.clone()),
                );
            }
            if !valid_rule_id(r.id.get_ref()) {
                problems.push(
                    Problem::error(
                        Code::BundleInvalid,
                        format!(
                            "rule id `{}` is not of the form `bundle.rule-name`",
                            r.id.get_ref()
                        ),
                    )
                    .with_help("use lowercase letters, digits, `-` and `.`, starting with a letter")
                    .at(id_at.clone()),
                );
            }
            let mut slots = Vec::new();
            if let Some(pkg) = &r.rego {
                slots.push((Language::Rego, rego_rules.len()));
                rego_rules.push(rego::RegoRule {
                    id: r.id.get_ref().clone(),
                    package: pkg.get_ref().clone(),
                    declared_at: toml_file::at(&manifest_file, pkg.span()),
                });
            }
            match (&r.cel, &r.cel_expression) {
                (Some(_), Some(inline)) => problems.push(
                    Problem::error(
                        Code::BundleInvalid,
                        format!("rule `{}` has both `cel` and `cel-expression`", r.id.get_ref()),
                    )
                    .with_help("keep one: a file path in `cel`, or the expression itself in `cel-expression`")
                    .at(toml_file::at(&manifest_file, inline.span())),
                ),
                (Some(path), None) => match files.iter().find(|f| f.path == *path.get_ref()) {
                    Some(f) => {
                        slots.push((Language::Cel, cel_rules.len()));
                        cel_rules.push(cel::CelRule {
                            id: r.id.get_ref().clone(),
                            title: r.title.clone(),
                            range: 0..f.source.text().len(),
                            source: f.source.clone(),
                        });
                    }
                    None => problems.push(missing_file(&manifest_file, path, &files)),
                },
                (None, Some(inline)) => {
                    slots.push((Language::Cel, cel_rules.len()));
                    let (source, range) = inline_source(&manifest_file, inline, r.id.get_ref());
                    cel_rules.push(cel::CelRule {
                        id: r.id.get_ref().clone(),
                        title: r.title.clone(),
                        range,
                        source,
                    });
                }
                (None, None) => {}
            }
            if slots.is_empty() {
                problems.push(
                    Problem::error(
                        Code::BundleInvalid,
                        format!("rule `{}` has no implementation", r.id.get_ref()),
                    )
                    .with_help("give it `rego = \"package.path\"`, `cel = \"file.cel\"` or `cel-expression = \"...\"`")
                    .at(id_at.clone()),
                );
            }
            let effective_on = match &r.effective_on {
                None => None,
                Some(d) => match date_text(d.get_ref()).parse::<Date>() {
                    Ok(date) => Some(date),
                    Err(e) => {
                        problems.push(
                            Problem::error(
                                Code::BundleInvalid,
                                format!(
                                    "`effective-on` of rule `{}` is not a date: {e}",
                                    r.id.get_ref()
                                ),
                            )
                            .with_help("write a date as YYYY-MM-DD")
                            .at(toml_file::at(&manifest_file, d.span())),
                        );
                        None
                    }
                },
            };
            rules.push(Rule {
                id: r.id.get_ref().clone(),
                title: r.title.clone(),
                severity: r.severity,
                description: r.description.clone(),
                remediation: r.remediation.clone(),
                requires: r.requires.clone(),
                effective_on,
                help_uri: r.help_uri.clone(),
                implementations: slots.iter().map(|(l, _)| *l).collect(),
                slots,
            });
        }
        if !rules.iter().any(|r| r.implementations.contains(&engine)) && !rules.is_empty() {
            problems.push(
                Problem::warning(
                    Code::BundleInvalid,
                    format!(
                        "bundle engine is `{}` but no rule is written in it",
                        engine.as_str()
                    ),
                )
                .at(Location::file(manifest_file.display())),
            );
        }

        let modules: Vec<SourceFile> = files
            .iter()
            .filter(|f| f.path.ends_with(".rego") && !f.path.ends_with("_test.rego"))
            .map(|f| f.source.clone())
            .collect();
        let wanted = |lang: Language| match limits.compile {
            Compile::Every => true,
            Compile::For(prefer) => rules.iter().any(|r| r.choose(prefer, engine).0 == lang),
        };
        let (want_rego, want_cel) = (wanted(Language::Rego), wanted(Language::Cel));
        // The languages compile at the same time.
        let (rego_compiled, cel_compiled) = crate::parallel::join(
            || {
                (want_rego && !rego_rules.is_empty())
                    .then(|| rego::compile(&modules, &rego_rules, limits.eval.rule_timeout))
            },
            || {
                // `shipgate test` runs every implementation: the crate parses
                // every CEL rule then, so what it would refuse shows now.
                let parse = match limits.compile {
                    Compile::Every => cel::CrateParse::Eager,
                    Compile::For(_) => cel::CrateParse::Lazy,
                };
                (want_cel && !cel_rules.is_empty()).then(|| cel::compile(&cel_rules, parse))
            },
        );
        let mut compiled: Vec<(Language, SharedCompiled)> = Vec::new();
        match rego_compiled {
            Some(Ok(c)) => compiled.push((Language::Rego, Arc::new(c))),
            Some(Err(ps)) => problems.extend(ps),
            None => {}
        }
        match cel_compiled {
            Some(Ok(c)) => compiled.push((Language::Cel, Arc::new(c))),
            Some(Err(ps)) => problems.extend(ps),
            None => {}
        }
        let warnings = problems.into_result()?;
        Ok(Bundle {
            warnings,
            name: raw.bundle.name,
            version: raw.bundle.version,
            description: raw.bundle.description,
            display: display.to_owned(),
            dir: dir.to_path_buf(),
            digest,
            files,
            required_evidence: raw.bundle.required_evidence,
            params,
            engine,
            rules,
            compiled,
        })
    }

    /// Evaluates every rule against `input`, with the bundle's parameters
    /// overridden by `params`. `prefer` picks the implementation of rules that
    /// have several (default: the bundle's `engine`). One result per rule, in
    /// manifest order; rules without an implementation in `prefer` use the
    /// one they have.
    pub fn evaluate(
        &self,
        input: &Arc<PreparedInput>,
        params: &serde_json::Map<String, Value>,
        prefer: Option<Language>,
        limits: EvalLimits,
    ) -> Vec<(Language, RuleEval)> {
        let mut merged = self.params.clone();
        for (k, v) in params {
            merged.insert(k.clone(), v.clone());
        }
        let params = Arc::new(Value::Object(merged));
        let chosen: Vec<(Language, usize)> = self
            .rules
            .iter()
            .map(|r| r.choose(prefer, self.engine))
            .collect();
        let mut out: Vec<Option<(Language, RuleEval)>> = vec![None; self.rules.len()];
        for (lang, compiled) in &self.compiled {
            let (positions, indices): (Vec<usize>, Vec<usize>) = chosen
                .iter()
                .enumerate()
                .filter(|(_, (l, _))| l == lang)
                .map(|(pos, (_, idx))| (pos, *idx))
                .unzip();
            if indices.is_empty() {
                continue;
            }
            let results = guard::evaluate(
                Arc::clone(compiled),
                Arc::clone(input),
                Arc::clone(&params),
                indices,
                limits,
            );
            for (pos, r) in positions.into_iter().zip(results) {
                if let Some(slot) = out.get_mut(pos) {
                    *slot = Some((*lang, r));
                }
            }
        }
        out.into_iter()
            .map(|r| {
                r.unwrap_or((
                    self.engine,
                    RuleEval::Error("rule has no compiled implementation".to_owned()),
                ))
            })
            .collect()
    }
}

/// Where an inline CEL expression is: inside the manifest when the TOML
/// string holds it verbatim (so errors point into bundle.toml), else in a
/// source of its own named after the rule.
fn inline_source(
    manifest: &SourceFile,
    inline: &toml::Spanned<String>,
    id: &str,
) -> (SourceFile, std::ops::Range<usize>) {
    let span = inline.span();
    let text = inline.get_ref();
    let whole = manifest.text();
    let raw = whole.get(span.clone()).unwrap_or_default();
    let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    let mut start = span.start + quote;
    if quote == 3 && whole.get(start..start + 1) == Some("\n") {
        start += 1;
    }
    if whole.get(start..start + text.len()) == Some(text.as_str()) {
        (manifest.clone(), start..start + text.len())
    } else {
        (
            SourceFile::from_text(format!("{} (rule `{id}`)", manifest.display()), text),
            0..text.len(),
        )
    }
}

fn date_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn valid_rule_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && id.contains('.')
        && id.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' || c == '_'
        })
}

fn missing_file(
    manifest: &SourceFile,
    path: &toml::Spanned<String>,
    files: &[BundleFile],
) -> Problem {
    let help = match crate::text::closest(path.get_ref(), files.iter().map(|f| f.path.as_str())) {
        Some(p) => format!("did you mean `{p}`?"),
        None => "paths are relative to the bundle directory and must stay inside it".to_owned(),
    };
    let code = if path.get_ref().contains("..") || path.get_ref().starts_with('/') {
        Code::BundlePathEscape
    } else {
        Code::BundleInvalid
    };
    Problem::error(
        code,
        format!("`{}` is not a file of this bundle", path.get_ref()),
    )
    .with_help(help)
    .at(toml_file::at(manifest, path.span()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    /// A bundle of one rule with a working Rego implementation and a CEL
    /// twin that does not parse.
    fn bundle_with_broken_twin() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bundle.toml"),
            r#"[bundle]
name = "t"
version = "1.0.0"
description = "test"
engine = "rego"

[[rule]]
id = "t.rule"
title = "a rule"
severity = "deny"
description = "d"
remediation = "r"
rego = "t.rule"
cel-expression = "release.name =="
"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("rule.rego"),
            "package t.rule\n\nimport rego.v1\n\ndeny contains \"no\" if input.release.name == \"bad\"\n",
        )
        .unwrap();
        dir
    }

    fn load(dir: &Path, compile: Compile) -> Result<Bundle, Problems> {
        let limits = BundleLimits {
            compile,
            ..BundleLimits::default()
        };
        Bundle::load(dir, "t", &limits)
    }

    #[test]
    fn only_the_implementations_that_run_are_compiled_when_asked() {
        let dir = bundle_with_broken_twin();
        // `shipgate test` compiles both and reports the broken twin.
        let every = load(dir.path(), Compile::Every).unwrap_err();
        assert_eq!(every.0[0].code, Code::CelSyntax, "{every:?}");
        // Preferring CEL would run the twin: still an error.
        assert!(load(dir.path(), Compile::For(Some(Language::Cel))).is_err());
        // `check` with the bundle's engine runs the Rego rule only.
        let bundle = load(dir.path(), Compile::For(None)).unwrap();
        let input = Arc::new(PreparedInput::new(json!({"release": {"name": "bad"}})));
        let evals = bundle.evaluate(&input, &Map::new(), None, EvalLimits::default());
        assert!(
            matches!(&evals[0], (Language::Rego, RuleEval::Ran { deny, .. }) if deny[0].msg == "no"),
            "{evals:?}"
        );
        // Asking that bundle for CEL cannot run the rule: an error, not a pass.
        let evals = bundle.evaluate(
            &input,
            &Map::new(),
            Some(Language::Cel),
            EvalLimits::default(),
        );
        assert!(matches!(&evals[0], (_, RuleEval::Error(_))), "{evals:?}");
    }
}
