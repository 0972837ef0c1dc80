//! Rego rules, evaluated by regorus.
//!
//! A bundle rule names a Rego package; the package's `deny` set holds the
//! violations at the rule's severity and its `warn` set holds warnings
//! (conftest's convention, in rego.v1 syntax: `deny contains msg if { ... }`).
//! All of a bundle's modules go into one engine, compiled once; every
//! evaluation clones it and sets the input once.
//!
//! regorus reports some errors (unsafe variables, unknown functions) only when
//! a rule is first evaluated, so the bundle is evaluated once at load time
//! against an empty input: a broken bundle fails when it is loaded, with the
//! file, line and column, not halfway through a release.
//!
//! Determinism: the clock, network, randomness and environment builtins are
//! refused at load time; `context.now` is the only time a policy sees.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{Compiled, Partial, PreparedInput, RuleEval, Session, Violation};
use crate::diag::{Code, Location, Problem};
use crate::source::SourceFile;

/// Builtins whose results depend on something other than the input and data.
const NONDETERMINISTIC: &[&str] = &[
    "time.now_ns",
    "http.send",
    "rand.intn",
    "uuid.rfc4122",
    "opa.runtime",
    "net.lookup_ip_addr",
];

/// One rule to compile: where its package is declared, for diagnostics.
#[derive(Debug, Clone)]
pub(crate) struct RegoRule {
    /// Rule id, for messages.
    pub id: String,
    /// Package path, with or without the `data.` prefix.
    pub package: String,
    /// Where the rule names the package (bundle manifest).
    pub declared_at: Location,
}

struct Target {
    deny: Option<String>,
    warn: Option<String>,
}

impl std::fmt::Debug for RegoCompiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegoCompiled")
    }
}

pub(crate) struct RegoCompiled {
    engine: Arc<Prepared>,
    targets: Vec<Target>,
    timeout: Duration,
    /// Rules cut into parts, by (rule index, parts wanted); `None` when the
    /// rule cannot be cut. Shared with the sessions.
    splits: Arc<Splits>,
}

type Splits = Mutex<HashMap<(usize, usize), Option<Arc<Split>>>>;

/// A compiled engine and, keyed by the parameters' JSON, a copy with the
/// last parameters added and its modules analysed. regorus re-analyses every
/// module (scheduling, loop hoisting) whenever data changes, so sessions
/// with the same parameters — every worker of an evaluation, every release
/// checked with the same bundle settings — clone that copy instead.
struct Prepared {
    engine: regorus::Engine,
    cache: Mutex<Option<(String, regorus::Engine)>>,
}

/// A rule whose `deny` / `warn` sets are defined by several rule bodies, cut
/// into parts that each keep some of the bodies (the others blanked out of
/// the module text), so the parts can run on different workers. The sets'
/// union over the parts is the rule's sets.
struct Split {
    parts: Vec<Part>,
}

struct Part {
    engine: Prepared,
    deny: Option<String>,
    warn: Option<String>,
}

/// Compiles the modules and resolves each rule's `deny` / `warn` sets.
pub(crate) fn compile(
    modules: &[SourceFile],
    rules: &[RegoRule],
    timeout: Duration,
) -> Result<RegoCompiled, Vec<Problem>> {
    // Too deep a module is not handed to the parser at all.
    let too_deep: Vec<Problem> = modules.iter().filter_map(lint_nesting).collect();
    if !too_deep.is_empty() {
        return Err(too_deep);
    }
    let mut problems = Vec::new();
    for m in modules {
        problems.extend(lint_nondeterminism(m));
    }
    problems.extend(super::rego_recursion::check(modules));
    let mut engine = new_engine(timeout);
    for m in modules {
        if let Err(e) = engine.add_policy(m.display().to_owned(), m.text().to_string()) {
            problems.push(rego_problem(
                Code::RegoSyntax,
                &format!("{e:#}"),
                modules,
                m.display(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let packages = engine.get_packages().unwrap_or_default();
    // Evaluate every rule once against an empty input to surface the errors
    // regorus only reports at evaluation time.
    let mut probe = engine.clone();
    probe.set_input(regorus::Value::new_object());
    let mut targets = Vec::with_capacity(rules.len());
    for rule in rules {
        let package = if rule.package.starts_with("data.") {
            rule.package.clone()
        } else {
            format!("data.{}", rule.package)
        };
        if !packages.contains(&package) {
            problems.push(
                Problem::error(
                    Code::RegoMissingRule,
                    format!(
                        "rule `{}` names Rego package `{package}`, which no module of the bundle declares",
                        rule.id
                    ),
                )
                .with_help(did_you_mean(&package, &packages))
                .at(rule.declared_at.clone()),
            );
            continue;
        }
        let mut target = Target {
            deny: None,
            warn: None,
        };
        for (set, slot) in [("deny", &mut target.deny), ("warn", &mut target.warn)] {
            let path = format!("{package}.{set}");
            match probe.eval_rule(path.clone()) {
                Ok(_) => *slot = Some(path),
                Err(e) => {
                    let text = format!("{e:#}");
                    if text.contains("not a valid rule path") {
                        // The package does not declare this set.
                    } else if is_compile_error(&text) {
                        let fallback = modules.first().map_or("", SourceFile::display);
                        problems.push(rego_problem(Code::RegoSyntax, &text, modules, fallback));
                    } else {
                        // A data-dependent failure on an empty input is not a
                        // bundle error; the real input decides.
                        *slot = Some(path);
                    }
                }
            }
        }
        if target.deny.is_none() && target.warn.is_none() {
            problems.push(
                Problem::error(
                    Code::RegoMissingRule,
                    format!(
                        "Rego package `{package}` of rule `{}` defines neither `deny` nor `warn`",
                        rule.id
                    ),
                )
                .with_help(
                    "add `deny contains msg if { ... }` (or `warn contains ...`) to the package",
                )
                .at(rule.declared_at.clone()),
            );
        }
        targets.push(target);
    }
    if problems.is_empty() {
        Ok(RegoCompiled {
            engine: Arc::new(Prepared::new(engine)),
            targets,
            timeout,
            splits: Arc::new(Mutex::new(HashMap::new())),
        })
    } else {
        Err(problems)
    }
}

/// A fresh engine with the gate's settings.
fn new_engine(timeout: Duration) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    engine.set_strict_builtin_errors(true);
    set_timer(&mut engine, timeout);
    engine
}

fn set_timer(engine: &mut regorus::Engine, timeout: Duration) {
    if let Some(interval) = std::num::NonZeroU32::new(1000) {
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: timeout,
            check_interval: interval,
        });
    }
}

fn is_compile_error(text: &str) -> bool {
    [
        "is unsafe",
        "undefined",
        "unknown function",
        "could not find",
        "recursion",
        "-->",
    ]
    .iter()
    .any(|k| text.contains(k))
}

impl Compiled for RegoCompiled {
    fn session(
        &self,
        input: &Arc<PreparedInput>,
        params: &serde_json::Value,
    ) -> Result<Box<dyn Session>, String> {
        input.doc()?;
        // Concurrent sessions wait for the first conversion rather than
        // repeat it.
        let value = input
            .rego_value
            .get_or_init(|| regorus::Value::from_json_str(input.json()).map_err(|e| e.to_string()))
            .clone()?;
        let mut engine = self.engine.for_params(params)?;
        engine.set_input(value.clone());
        Ok(Box::new(RegoSession {
            timeout: self.timeout,
            engine,
            input: value,
            params: params.clone(),
            splits: Arc::clone(&self.splits),
            targets: self
                .targets
                .iter()
                .map(|t| (t.deny.clone(), t.warn.clone()))
                .collect(),
        }))
    }

    fn parts(&self, index: usize, ways: usize) -> usize {
        let mut splits = self.splits.lock().unwrap_or_else(PoisonError::into_inner);
        let split = splits
            .entry((index, ways))
            .or_insert_with(|| {
                let target = self.targets.get(index)?;
                split(&self.engine.engine, target, ways, self.timeout).map(Arc::new)
            })
            .clone();
        let Some(split) = split else { return 1 };
        let of = split.parts.len();
        // Sessions find the parts by their number (fewer than `ways` when the
        // sets have fewer bodies); cutting `of` ways gives the same parts.
        splits.entry((index, of)).or_insert_with(|| Some(split));
        of
    }

    fn merge(&self, index: usize, parts: Vec<Partial>) -> RuleEval {
        let Some(target) = self.targets.get(index) else {
            return RuleEval::Error(format!("no compiled Rego rule #{index}"));
        };
        let mut deny = regorus::Value::Undefined;
        let mut warn = regorus::Value::Undefined;
        for part in parts {
            let Ok(sets) = part.0.downcast::<PartSets>() else {
                return RuleEval::Error(format!("Rego rule #{index}: a part of another kind"));
            };
            let PartSets(d, w) = *sets;
            if let Err(e) = union_into(&mut deny, d).and_then(|()| union_into(&mut warn, w)) {
                return RuleEval::Error(e);
            }
        }
        ran(
            target.deny.as_deref().map(|p| (p, deny)),
            target.warn.as_deref().map(|p| (p, warn)),
        )
    }
}

/// A rule's (or a part's) `deny` and `warn` sets as regorus gave them.
struct PartSets(regorus::Value, regorus::Value);

/// Adds the set `part` to the set `acc`. A part's set is a subset of the
/// rule's set, so anything but a set (or undefined) cannot happen: it is an
/// error rather than a guess.
fn union_into(acc: &mut regorus::Value, part: regorus::Value) -> Result<(), String> {
    match (&mut *acc, part) {
        (_, regorus::Value::Undefined) => Ok(()),
        (regorus::Value::Undefined, part @ regorus::Value::Set(_)) => {
            *acc = part;
            Ok(())
        }
        (regorus::Value::Set(_), regorus::Value::Set(items)) => {
            let set = acc.as_set_mut().map_err(|e| e.to_string())?;
            for item in items.iter() {
                set.insert(item.clone());
            }
            Ok(())
        }
        (_, other) => Err(format!(
            "a part of a Rego set is not a set: `{}`",
            super::truncate(&other.to_string(), 80)
        )),
    }
}

/// The rule's result from its sets (each with its path, for messages).
fn ran(deny: Option<(&str, regorus::Value)>, warn: Option<(&str, regorus::Value)>) -> RuleEval {
    let deny = match deny.map(|(p, v)| violations(p, v)).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return RuleEval::Error(e),
    };
    let warn = match warn.map(|(p, v)| violations(p, v)).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return RuleEval::Error(e),
    };
    RuleEval::Ran { deny, warn }
}

/// The violations of a `deny` / `warn` set.
fn violations(path: &str, v: regorus::Value) -> Result<Vec<Violation>, String> {
    match &v {
        regorus::Value::Undefined => Ok(Vec::new()),
        regorus::Value::Set(items) => read_violations(path, items.iter()),
        regorus::Value::Array(items) => read_violations(path, items.iter()),
        other => {
            let json = serde_json::to_value(other).map_err(|e| e.to_string())?;
            Err(format!(
                "`{path}` must be a set of results, found `{}`",
                super::truncate(&json.to_string(), 80)
            ))
        }
    }
}

/// Reads results one at a time: a JSON value of each, never of the whole set
/// (thousands of results would all be held twice).
fn read_violations<'v>(
    path: &str,
    items: impl ExactSizeIterator<Item = &'v regorus::Value>,
) -> Result<Vec<Violation>, String> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let json = serde_json::to_value(item).map_err(|e| e.to_string())?;
        out.push(
            Violation::from_value(json, "policy violation")
                .map_err(|e| format!("`{path}`: {e}"))?,
        );
    }
    Ok(out)
}

impl Prepared {
    fn new(engine: regorus::Engine) -> Prepared {
        Prepared {
            engine,
            cache: Mutex::new(None),
        }
    }

    /// A copy of the engine with `params` as `data.params`, analysed.
    fn for_params(&self, params: &serde_json::Value) -> Result<regorus::Engine, String> {
        let key = serde_json::json!({ "params": params }).to_string();
        let mut cached = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((k, engine)) = cached.as_ref()
            && *k == key
        {
            return Ok(engine.clone());
        }
        let mut engine = self.engine.clone();
        let data =
            regorus::Value::from_json_str(&key).map_err(|e| format!("bundle parameters: {e}"))?;
        engine
            .add_data(data)
            .map_err(|e| format!("bundle parameters: {e}"))?;
        // Any evaluation analyses the modules; a constant query is the
        // cheapest that does.
        engine
            .eval_query("true".to_owned(), false)
            .map_err(|e| format!("preparing the Rego modules: {e:#}"))?;
        *cached = Some((key, engine.clone()));
        Ok(engine)
    }
}

/// One rule body of a `deny` / `warn` set: which module, where.
struct Body {
    module: usize,
    range: std::ops::Range<usize>,
    /// Length of the head's name (`deny` / `warn`) at the start of `range`.
    head: usize,
}

/// Cuts a rule into at most `ways` parts, or `None` when it cannot be cut
/// safely or is not worth cutting. A part keeps every `deny` / `warn` body
/// whose position among the set's bodies is its number modulo the part
/// count, and every other rule of every module; the bodies it does not keep
/// are blanked out of the module text (spaces, line breaks kept, so
/// positions in messages stay true).
///
/// Cutting is refused when a body could depend on the sets (it, or a rule it
/// names, or a rule that one names, ..., names `deny` or `warn` — by words in
/// the text, strings and comments included: conservative on purpose), when
/// an import names a set, or when a set is defined other than by `contains`
/// bodies (a complete or object rule, a default). Rules that merely use the
/// sets (`deny_count := count(deny)`) are fine: parts evaluate the sets only.
fn split(
    engine: &regorus::Engine,
    target: &Target,
    ways: usize,
    timeout: Duration,
) -> Option<Split> {
    use regorus::unstable::{Rule, RuleHead};
    let package = target
        .deny
        .as_deref()
        .or(target.warn.as_deref())?
        .rsplit_once('.')?
        .0
        .to_owned();
    let mut engine = engine.clone();
    let modules = engine.get_modules().clone();
    let sources: Vec<(String, String)> = modules
        .iter()
        .map(|m| {
            let src = &m.package.span.source;
            (src.file().clone(), src.contents().clone())
        })
        .collect();
    let mut deny: Vec<Body> = Vec::new();
    let mut warn: Vec<Body> = Vec::new();
    // Every other rule: its name and text.
    let mut others: Vec<(String, &str)> = Vec::new();
    for (mi, m) in modules.iter().enumerate() {
        // An import could name a set under another name.
        if m.imports.iter().any(|i| mentions_set(i.span.text())) {
            return None;
        }
        let in_package =
            regorus::utils::get_path_string(&m.package.refr, Some("data")).ok()? == package;
        for rule in &m.policy {
            let (span, refr, is_body) = match rule.as_ref() {
                Rule::Spec {
                    span,
                    head: RuleHead::Set { refr, key, .. },
                    ..
                } => (span, refr, key.is_some()),
                Rule::Spec {
                    span,
                    head: RuleHead::Compr { refr, .. } | RuleHead::Func { refr, .. },
                    ..
                } => (span, refr, false),
                Rule::Default { span, refr, .. } => (span, refr, false),
            };
            let root = regorus::utils::get_root_var(refr).ok()?;
            let name = root.text();
            if !in_package || (name != "deny" && name != "warn") {
                others.push((name.to_owned(), span.text()));
                continue;
            }
            let exact = regorus::utils::get_path_string(refr, None).ok()? == name;
            if !(is_body && exact) {
                return None;
            }
            let body = Body {
                module: mi,
                range: usize::try_from(span.start).ok()?..usize::try_from(span.end).ok()?,
                head: name.len(),
            };
            if name == "deny" {
                deny.push(body);
            } else {
                warn.push(body);
            }
        }
    }
    let most = deny.len().max(warn.len());
    let of = ways.min(most);
    if of < 2 {
        return None;
    }
    // A body must not depend on the sets, through any rule: the rules that
    // mention a set, and the rules that mention those, and so on, are
    // "tainted", and no body may mention a set or a tainted rule.
    let mut tainted: Vec<&str> = Vec::new();
    loop {
        let before = tainted.len();
        for (name, text) in &others {
            if !tainted.contains(&name.as_str())
                && (mentions_set(text) || tainted.iter().any(|t| count_words(text, t) > 0))
            {
                tainted.push(name);
            }
        }
        if tainted.len() == before {
            break;
        }
    }
    for body in deny.iter().chain(&warn) {
        let text = sources
            .get(body.module)
            .and_then(|(_, t)| t.get(body.range.start + body.head..body.range.end))?;
        if mentions_set(text) || tainted.iter().any(|t| count_words(text, t) > 0) {
            return None;
        }
    }
    let mut parts = Vec::with_capacity(of);
    for part in 0..of {
        let mut texts: Vec<String> = sources.iter().map(|(_, t)| t.clone()).collect();
        for (i, body) in deny.iter().enumerate().chain(warn.iter().enumerate()) {
            if i % of != part
                && let Some(text) = texts.get_mut(body.module)
            {
                blank(text, body.range.clone())?;
            }
        }
        let mut engine = new_engine(timeout);
        for ((path, _), text) in sources.iter().zip(texts) {
            engine.add_policy(path.clone(), text).ok()?;
        }
        // Part `part` keeps body `part` (and every `of`-th after it).
        parts.push(Part {
            engine: Prepared::new(engine),
            deny: target.deny.clone().filter(|_| part < deny.len()),
            warn: target.warn.clone().filter(|_| part < warn.len()),
        });
    }
    Some(Split { parts })
}

/// Replaces `range` of `text` with spaces, keeping line breaks.
fn blank(text: &mut String, range: std::ops::Range<usize>) -> Option<()> {
    let mut blanked = String::with_capacity(range.len());
    for c in text.get(range.clone())?.chars() {
        if c == '\n' || c == '\r' {
            blanked.push(c);
        } else {
            // As many spaces as the character has bytes: the other bodies'
            // offsets stay true.
            blanked.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    text.replace_range(range, &blanked);
    Some(())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Occurrences of `word` in `text` as a whole identifier.
fn count_words(text: &str, word: &str) -> usize {
    let bytes = text.as_bytes();
    text.match_indices(word)
        .filter(|(i, _)| {
            let before = i.checked_sub(1).and_then(|j| bytes.get(j));
            let after = bytes.get(i + word.len());
            !before.is_some_and(|b| is_word_byte(*b)) && !after.is_some_and(|b| is_word_byte(*b))
        })
        .count()
}

/// Whether `text` names `deny` or `warn`.
fn mentions_set(text: &str) -> bool {
    count_words(text, "deny") + count_words(text, "warn") > 0
}

struct RegoSession {
    timeout: Duration,
    engine: regorus::Engine,
    input: regorus::Value,
    params: serde_json::Value,
    splits: Arc<Splits>,
    targets: Vec<(Option<String>, Option<String>)>,
}

impl Session for RegoSession {
    fn eval(&mut self, index: usize) -> RuleEval {
        let Some((deny, warn)) = self.targets.get(index).cloned() else {
            return RuleEval::Error(format!("no compiled Rego rule #{index}"));
        };
        match sets(
            &mut self.engine,
            deny.as_deref(),
            warn.as_deref(),
            self.timeout,
        ) {
            Ok(PartSets(deny_set, warn_set)) => ran(
                deny.as_deref().map(|p| (p, deny_set)),
                warn.as_deref().map(|p| (p, warn_set)),
            ),
            Err(e) => RuleEval::Error(e),
        }
    }

    fn eval_part(&mut self, index: usize, part: usize, of: usize) -> Result<Partial, String> {
        let split = self
            .splits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(index, of))
            .cloned()
            .flatten();
        let Some(p) = split.as_ref().and_then(|s| s.parts.get(part)) else {
            return Err(format!("Rego rule #{index} has no part {part}"));
        };
        let mut engine = p.engine.for_params(&self.params)?;
        engine.set_input(self.input.clone());
        let sets = sets(
            &mut engine,
            p.deny.as_deref(),
            p.warn.as_deref(),
            self.timeout,
        )?;
        Ok(Partial(Box::new(sets)))
    }
}

/// Evaluates the `deny` and `warn` sets named (an unnamed one is undefined).
fn sets(
    engine: &mut regorus::Engine,
    deny: Option<&str>,
    warn: Option<&str>,
    timeout: Duration,
) -> Result<PartSets, String> {
    let mut one = |path: Option<&str>| match path {
        Some(path) => set(engine, path, timeout),
        None => Ok(regorus::Value::Undefined),
    };
    Ok(PartSets(one(deny)?, one(warn)?))
}

/// Evaluates one set of rules, as regorus gives it.
fn set(
    engine: &mut regorus::Engine,
    path: &str,
    timeout: Duration,
) -> Result<regorus::Value, String> {
    engine.eval_rule(path.to_owned()).map_err(|e| {
        let text = format!("{e:#}");
        // regorus's own timer and the guard's watchdog race; report
        // either the same way so a decision does not depend on which won.
        if text.contains("exceeded time limit") {
            format!(
                "evaluation exceeded the time budget of {} ms",
                timeout.as_millis()
            )
        } else {
            text
        }
    })
}

/// Refuses builtins that would make a decision depend on when or where it ran.
fn lint_nondeterminism(m: &SourceFile) -> Vec<Problem> {
    let text = m.text();
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = strip_comment(line);
        for name in NONDETERMINISTIC {
            let mut from = 0;
            while let Some(i) = code.get(from..).and_then(|c| c.find(name)) {
                let at = from + i;
                let before_ok = code
                    .get(..at)
                    .and_then(|b| b.chars().next_back())
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
                if before_ok {
                    let start = offset + at;
                    out.push(
                        Problem::error(
                            Code::RegoNondeterministic,
                            format!("`{name}` makes the decision depend on when or where it runs"),
                        )
                        .with_help(match *name {
                            "time.now_ns" => "use `input.context.now` (pinned in the record) with `time.parse_rfc3339_ns`",
                            _ => "policies get no network, randomness or runtime environment: put what you need in the evidence",
                        })
                        .with_label("not allowed in shipgate policies")
                        .at(Location::span(m.display(), &text, start..start + name.len())),
                    );
                }
                from = at + name.len();
            }
        }
        offset += line.len();
    }
    out
}

/// Deepest nesting of `[` and `{` accepted in a Rego module. regorus's parser
/// tries a comprehension at every `[` and `{` and backtracks, which doubles
/// the work per level: 20 levels of nested arrays took over a second to
/// parse, 24 twenty seconds, so a hostile bundle could hang the gate before
/// any time budget applies. The shipped bundles nest 4 deep.
const MAX_REGO_NESTING: usize = 16;

/// Refuses a module whose `[`/`{` brackets nest deeper than
/// [`MAX_REGO_NESTING`] (outside strings and comments), before regorus parses it.
fn lint_nesting(m: &SourceFile) -> Option<Problem> {
    let text = m.text();
    let mut depth = 0usize;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = strip_comment(line);
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (i, c) in code.char_indices() {
            if let Some(q) = quote {
                match c {
                    _ if escaped => escaped = false,
                    '\\' if q == '"' => escaped = true,
                    _ if c == q => quote = None,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' | '`' => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_REGO_NESTING {
                        let start = offset + i;
                        return Some(
                            Problem::error(
                                Code::RegoSyntax,
                                format!(
                                    "brackets nest deeper than {MAX_REGO_NESTING} levels in `{}`",
                                    m.display()
                                ),
                            )
                            .with_help("flatten the literal, or move the data into bundle params")
                            .with_label("too deep")
                            .at(Location::span(
                                m.display(),
                                &text,
                                start..start + 1,
                            )),
                        );
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        offset += line.len();
    }
    None
}

/// The line without a trailing `#` comment (a `#` inside a string is kept).
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '`' if !in_str => {}
            '#' if !in_str => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

/// A regorus error (`--> file:LINE:COL` in its text) as a problem at that place.
fn rego_problem(code: Code, text: &str, modules: &[SourceFile], fallback: &str) -> Problem {
    let (file, line, col) = parse_position(text).unwrap_or_else(|| (fallback.to_owned(), 0, 0));
    let message = first_line_message(text);
    let module = modules.iter().find(|m| m.display() == file);
    let loc = match module {
        Some(m) if line > 0 => {
            let text = m.text();
            let start = rego_offset(&text, line, col);
            let end = text
                .get(start..)
                .and_then(|t| t.find(|c: char| c.is_whitespace()))
                .map_or(start + 1, |n| start + n.max(1));
            Location::span(m.display(), &text, start..end)
        }
        _ => Location::file(file),
    };
    Problem::error(code, format!("Rego: {message}"))
        .with_help("fix the policy at the marked position; shipgate evaluates rego.v1 syntax")
        .with_label(message)
        .at(loc)
}

/// regorus counts a TAB as 4 columns; map its column back to a byte offset.
fn rego_offset(text: &str, line: usize, col: usize) -> usize {
    let line_start = crate::json::offset_of(text, line, 1);
    let rest = text.get(line_start..).unwrap_or_default();
    let mut visual = 1;
    for (i, c) in rest.char_indices() {
        if visual >= col || c == '\n' {
            return line_start + i;
        }
        visual += if c == '\t' { 4 } else { 1 };
    }
    text.len()
}

fn parse_position(text: &str) -> Option<(String, usize, usize)> {
    let after = text.split("--> ").nth(1)?;
    let pos = after.split_whitespace().next()?;
    let mut parts = pos.rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next()?.to_owned();
    Some((file, line, col))
}

fn first_line_message(text: &str) -> String {
    // regorus renders `error: MESSAGE` after the snippet; keep that line.
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_owned)
        .or_else(|| text.lines().next().map(str::to_owned))
        .unwrap_or_default()
}

fn did_you_mean(package: &str, packages: &[String]) -> String {
    match crate::text::closest(package, packages.iter().map(String::as_str)) {
        Some(p) => format!("did you mean `{p}`?"),
        None if packages.is_empty() => "the bundle's .rego files declare no package".to_owned(),
        None => format!("declared packages: {}", packages.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compile_one(src: &str, package: &str) -> Result<RegoCompiled, Vec<Problem>> {
        let m = SourceFile::from_text("p.rego", src);
        let rule = RegoRule {
            id: "t.rule".into(),
            package: package.into(),
            declared_at: Location::file("bundle.toml"),
        };
        compile(&[m], &[rule], Duration::from_secs(5))
    }

    fn run(c: &RegoCompiled, input: serde_json::Value) -> RuleEval {
        let prepared = Arc::new(PreparedInput::new(input));
        c.session(&prepared, &json!({"max": 2})).unwrap().eval(0)
    }

    #[test]
    fn deny_and_warn_sets_become_violations() {
        let c = compile_one(
            r#"package t
deny contains {"msg": sprintf("too many: %d", [count(input.xs)]), "n": count(input.xs)} if count(input.xs) > data.params.max
warn contains "empty" if count(input.xs) == 0
"#,
            "t",
        )
        .unwrap();
        match run(&c, json!({"xs": [1, 2, 3]})) {
            RuleEval::Ran { deny, warn } => {
                assert_eq!(deny.len(), 1);
                assert_eq!(deny[0].msg, "too many: 3");
                assert_eq!(deny[0].details.to_map()["n"], 3);
                assert!(warn.is_empty());
            }
            e => panic!("{e:?}"),
        }
        match run(&c, json!({"xs": []})) {
            RuleEval::Ran { deny, warn } => {
                assert!(deny.is_empty());
                assert_eq!(warn[0].msg, "empty");
            }
            e => panic!("{e:?}"),
        }
    }

    /// A conftest-style package: many bodies of one set, helpers, a rule
    /// that counts the set, a message two bodies both give, a multi-byte
    /// character in a body, and warnings.
    const MANY_BODIES: &str = r#"package t

denied := {"GPL-3.0-only", "SSPL-1.0"}

too_long(s) := count(s) > 8

deny contains sprintf("%s: empty version", [c.name]) if { some c in input.cs; c.version == "" }
deny contains sprintf("%s: bad", [c.name]) if { some c in input.cs; c.version == "" }
deny contains {"msg": sprintf("%s: denied license", [c.name]), "license": l} if {
    some c in input.cs
    some l in c.licenses
    denied[l]
}
deny contains sprintf("%s: long name «%s»", [c.name, c.name]) if { some c in input.cs; too_long(c.name) }
deny contains sprintf("%s: bad", [c.name]) if { some c in input.cs; startswith(c.name, "x") }
warn contains sprintf("%s: no licenses", [c.name]) if { some c in input.cs; count(c.licenses) == 0 }
warn contains sprintf("%s: upper case", [c.name]) if { some c in input.cs; c.name != lower(c.name) }

deny_count := count(deny)
"#;

    fn parts(c: &RegoCompiled, input: &serde_json::Value, ways: usize) -> (usize, RuleEval) {
        let of = c.parts(0, ways);
        let prepared = Arc::new(PreparedInput::new(input.clone()));
        let mut results = Vec::new();
        for part in 0..of {
            // Each part on its own session, as on different workers.
            let mut session = c.session(&prepared, &json!({"max": 2})).unwrap();
            results.push(session.eval_part(0, part, of).unwrap());
        }
        (of, c.merge(0, results))
    }

    #[test]
    fn a_set_cut_into_parts_gives_what_it_gives_whole() {
        let c = compile_one(MANY_BODIES, "t").unwrap();
        let input = json!({"cs": [
            {"name": "xa", "version": "", "licenses": ["GPL-3.0-only", "MIT"]},
            {"name": "Averyverylongname", "version": "1", "licenses": []},
            {"name": "ok", "version": "2", "licenses": ["SSPL-1.0"]},
            {"name": "xb", "version": "3", "licenses": ["MIT"]},
        ]});
        let whole = run(&c, input.clone());
        let RuleEval::Ran { deny, warn } = &whole else {
            panic!("{whole:?}")
        };
        // The duplicate message counts once, whole or cut.
        assert_eq!(deny.iter().filter(|v| v.msg == "xa: bad").count(), 1);
        assert_eq!((deny.len(), warn.len()), (6, 2), "{whole:?}");
        for ways in [8, 2, 3, 5] {
            // Each on a fresh compile: more ways than bodies must work first.
            let c = compile_one(MANY_BODIES, "t").unwrap();
            let (of, cut) = parts(&c, &input, ways);
            assert_eq!(of, ways.min(5), "5 deny bodies");
            assert_eq!(cut, whole, "{ways} ways");
        }
        // Nothing found: every part's sets are empty or undefined.
        let empty = json!({"cs": []});
        assert_eq!(parts(&c, &empty, 2).1, run(&c, empty));
    }

    #[test]
    fn the_benchmark_workload_is_cut() {
        // 20 `deny` bodies in one package, and `deny_count := count(deny)`.
        let src = include_str!("../../../tests/bench/peers/policy.rego");
        let c = compile_one(src, "releasegate.sbom").unwrap();
        assert_eq!(c.parts(0, 2), 2);
        assert_eq!(c.parts(0, 8), 8);
        let input = json!({"components": [
            {"name": "Test-x", "version": "0.0.1-rc1", "purl": "pkg:npm/test-x@0.0.1-rc1", "licenses": ["GPL-3.0-only", "LicenseRef-a"]},
            {"name": "left-pad", "version": "", "purl": "", "licenses": []},
            {"name": "ok", "version": "1.2.3", "purl": "pkg:deb/ok", "licenses": ["MIT", "NOASSERTION", "LGPL-2.1-only", "x"]},
        ]});
        let whole = run(&c, input.clone());
        assert!(
            matches!(&whole, RuleEval::Ran { deny, .. } if deny.len() > 10),
            "{whole:?}"
        );
        assert_eq!(parts(&c, &input, 2).1, whole);
        assert_eq!(parts(&c, &input, 8).1, whole);
    }

    #[test]
    fn the_e2e_conftest_style_fixture_is_cut() {
        // tests/e2e cuts it over up to 8 threads and compares report bytes.
        let src = include_str!("../../../tests/e2e/fixtures/conftest-style/main.rego");
        let c = compile_one(src, "main").unwrap();
        assert_eq!(c.parts(0, 2), 2);
        assert_eq!(c.parts(0, 8), 4, "4 deny bodies");
    }

    #[test]
    fn a_set_a_body_depends_on_is_not_cut() {
        let whole = compile_one(MANY_BODIES, "t").unwrap();
        assert_eq!(whole.parts(0, 2), 2);
        // A body that reads the set through a helper rule, or the set itself.
        for extra in [
            "enough if count(deny) > 3\nwarn contains \"many\" if enough\n",
            "n := deny_count\nwarn contains \"many\" if n > 3\n",
            "deny contains \"x\" if { count(warn) > 0 }\n",
        ] {
            let c = compile_one(&format!("{MANY_BODIES}{extra}"), "t").unwrap();
            assert_eq!(c.parts(0, 2), 1, "{extra}");
        }
        // A set defined other than by `contains` bodies, or a single body.
        for src in [
            "package t\ndeny := {\"a\"} if input.x\n",
            "package t\ndeny contains \"a\" if input.x\n",
        ] {
            let c = compile_one(src, "t").unwrap();
            assert_eq!(c.parts(0, 2), 1, "{src}");
            assert_eq!(c.parts(0, 1), 1);
        }
    }

    /// What the regorus fork (vendor/regorus/FORK.md) changes must not: a
    /// remembered builtin still yields to `with`, shared regexes match
    /// as before, and indexing a call's result or a rule by a computed key
    /// works.
    #[test]
    fn forked_regorus_evaluates_as_before() {
        let c = compile_one(
            r#"package t

kinds := {"npm": "js", "cargo": "rust"}

mock(s) := lower(s)

mixed := {1: "one", "a": "x", true: "t", "b": "y", [1]: "arr", null: "n", {"a": 1}: "obj"}
names := {"a", "b"}

deny contains sprintf("mixed %s %s %s %s", [mixed.a, m.b, names.b, n.a]) if { m := mixed; n := names }
deny contains "no c" if { not mixed.c; not names.c; not input.s.c }

deny contains sprintf("plain %s", [upper(input.s)]) if true
deny contains sprintf("by function %s", [x]) if { x := upper(input.s) with upper as mock }
deny contains sprintf("by value %s", [x]) if { x := upper(input.s) with upper as "v" }
deny contains sprintf("again %s", [upper(input.s)]) if true
deny contains sprintf("match %s", [v]) if { some v in input.vs; regex.match(`^[0-9]+\.[0-9]+`, v) }
deny contains sprintf("pre %s", [v]) if { some v in input.vs; regex.match(`-(alpha|rc)`, v) }
deny contains sprintf("kind %s", [data.t.kinds[t]]) if { some p in input.ps; t := split(p, "/")[0] }
"#,
            "t",
        )
        .unwrap();
        let input = json!({"s": "aBc", "vs": ["1.2-rc1", "x1.2", "10.0", "1-alpha"], "ps": ["npm/a", "cargo/b", "gem/c"]});
        for _ in 0..2 {
            let RuleEval::Ran { deny, .. } = run(&c, input.clone()) else {
                panic!("ran")
            };
            let mut got: Vec<&str> = deny.iter().map(|v| v.msg.as_str()).collect();
            got.sort_unstable();
            assert_eq!(
                got,
                [
                    "again ABC",
                    "by function abc",
                    "by value v",
                    "kind js",
                    "kind rust",
                    "match 1.2-rc1",
                    "match 10.0",
                    "mixed x y b a",
                    "no c",
                    "plain ABC",
                    "pre 1-alpha",
                    "pre 1.2-rc1"
                ]
            );
        }
        // A bad pattern is still an error of the rule, not a non-match.
        let bad = compile_one(
            "package t\n\ndeny contains v if { some v in input.vs; regex.match(input.p, v) }\n",
            "t",
        )
        .unwrap();
        let e = run(&bad, json!({"vs": ["a"], "p": "(unclosed"}));
        assert!(matches!(e, RuleEval::Error(_)), "{e:?}");
        let ok = run(&bad, json!({"vs": ["a"], "p": "a"}));
        assert!(
            matches!(ok, RuleEval::Ran { ref deny, .. } if deny.len() == 1),
            "{ok:?}"
        );
    }

    /// An element of a set or a value of an object rule that is undefined in
    /// one iteration adds nothing; the others stay (regorus 0.14.1 discarded
    /// them when it was the last, failing open, or errored "not an object"
    /// when it was not). Expected values are OPA v1.20's on the same policy.
    #[test]
    fn an_undefined_element_keeps_the_others() {
        let c = compile_one(
            r#"package t

kinds := {"npm": "js", "cargo": "rust"}

m[t] := kinds[t] if { some t in input.ts }

c := kinds[input.one] if true

deny contains sprintf("kind %s", [kinds[t]]) if { some t in input.ts }
deny contains {"m": m, "n": count(m)} if true
deny contains "c undefined" if not c
"#,
            "t",
        )
        .unwrap();
        for ts in [
            json!(["npm", "cargo", "gem"]),
            json!(["gem", "npm", "cargo"]),
        ] {
            let RuleEval::Ran { deny, .. } = run(&c, json!({ "ts": ts })) else {
                panic!("ran on {ts}")
            };
            let got: Vec<&str> = deny.iter().map(|v| v.msg.as_str()).collect();
            assert_eq!(got.len(), 4, "{deny:?}");
            for want in ["kind js", "kind rust", "c undefined"] {
                assert!(got.contains(&want), "{want} on {ts}: {deny:?}");
            }
            let object = deny.iter().find(|v| v.details.get("n").is_some());
            let object = object.map(|v| v.details.to_map());
            assert_eq!(
                object.as_ref().map(|d| (&d["m"], &d["n"])),
                Some((&json!({"cargo": "rust", "npm": "js"}), &json!(2))),
                "{ts}"
            );
        }
    }

    #[test]
    fn syntax_error_has_position() {
        let errs = compile_one("package t\n\ndeny contains x if {\n  x := \n}\n", "t").unwrap_err();
        let loc = errs[0].location.as_ref().unwrap();
        assert_eq!(errs[0].code, Code::RegoSyntax);
        assert_eq!(&*loc.file, "p.rego");
        assert!(loc.line.is_some(), "{:?}", errs[0]);
    }

    #[test]
    fn unsafe_variable_is_caught_at_load() {
        let errs =
            compile_one("package t\n\ndeny contains x if {\n  y == 1\n}\n", "t").unwrap_err();
        assert_eq!(errs[0].code, Code::RegoSyntax, "{errs:?}");
    }

    #[test]
    fn clock_is_refused() {
        let errs = compile_one(
            "package t\n# time.now_ns() in a comment is fine\ndeny contains \"x\" if time.now_ns() > 0\n",
            "t",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, Code::RegoNondeterministic);
        assert_eq!(errs[0].location.as_ref().unwrap().line, Some(3));
    }

    #[test]
    fn missing_package_and_missing_sets() {
        let errs = compile_one("package t\nallow := true\n", "t").unwrap_err();
        assert!(errs[0].message.contains("neither"), "{errs:?}");
        assert_eq!(errs[0].code, Code::RegoMissingRule);
        let errs = compile_one("package t\ndeny contains 1 if false\n", "u").unwrap_err();
        assert!(
            errs[0].help.as_deref().unwrap().contains("data.t"),
            "{errs:?}"
        );
    }

    #[test]
    fn declared_but_empty_deny_is_fine() {
        let c = compile_one("package t\ndeny contains \"x\" if input.never\n", "t").unwrap();
        assert!(matches!(run(&c, json!({})), RuleEval::Ran { deny, .. } if deny.is_empty()));
    }

    #[test]
    fn deep_brackets_are_refused_before_parsing() {
        let nested = |d: usize| {
            format!(
                "package t\nimport rego.v1\ndeny contains \"x\" if {{\n\tx := {}1{}\n\tcount(x) == 2\n}}\n",
                "[".repeat(d),
                "]".repeat(d)
            )
        };
        // 16 levels, the rule's braces included, still compile.
        assert!(compile_one(&nested(MAX_REGO_NESTING - 1), "t").is_ok());
        let errs = compile_one(&nested(40), "t").unwrap_err();
        assert_eq!(errs[0].code, Code::RegoSyntax);
        assert!(errs[0].message.contains("nest deeper"), "{errs:?}");
        assert_eq!(errs[0].location.as_ref().unwrap().line, Some(4));
        // Brackets inside strings and comments do not count.
        let quoted = format!(
            "package t\nimport rego.v1\n# {}\ndeny contains \"{}\" if false\n",
            "[".repeat(40),
            "{".repeat(40)
        );
        assert!(compile_one(&quoted, "t").is_ok());
    }

    #[test]
    fn recursion_is_refused_before_it_can_overflow_the_stack() {
        let errs =
            compile_one("package t\nf(x) := f(x)\ndeny contains 1 if f(1)\n", "t").unwrap_err();
        assert!(errs[0].message.contains("recursive"), "{errs:?}");
    }

    #[test]
    fn tabs_count_four_columns() {
        assert_eq!(rego_offset("a\n\tb", 2, 5), 3);
        assert_eq!(
            parse_position("x\n --> p.rego:3:7\n"),
            Some(("p.rego".into(), 3, 7))
        );
    }
}
