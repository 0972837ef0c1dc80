//! CEL rules, evaluated by the `cel` crate.
//!
//! A CEL rule is one expression over the policy input's top-level names
//! (`release`, `sboms`, `cost`, `attestations`, `vulns`, `context`) and the
//! bundle's `params`. It returns `true` (pass), `false` (fail with the rule's
//! title as the message) or a list of violations (strings, or maps with `msg`).
//!
//! The crate has no type checker and panics on some hostile expressions, so:
//! expressions are length- and nesting-checked before parsing, parsed under
//! `catch_unwind`, and their free variables are checked against the names that
//! exist — a misspelt `sbom` is a load error with its position, not a run-time
//! surprise on the first release.
//!
//! The crate's ANTLR parser was most of a small check's allocations, so a rule
//! is first read by [`cel_parse`](super::cel_parse), which builds the fast
//! evaluator's tree itself or declines. Only a declined rule is parsed by the
//! crate at load (with every check above, and its errors located); the others
//! get their crate program on the first evaluation the fast path cannot
//! answer, if ever. [`CrateParse::Eager`] parses every rule with the crate at
//! load too, and requires both readings to agree, so `shipgate test` reports
//! what `shipgate check` would only meet at run time.

use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use cel::objects::{Key, Map as CelMap};
use cel::{Context, Env, Program, Value as CelValue};
use serde_json::{Number, Value};

use super::cel_fast::RuleValue;
use super::{Compiled, PreparedInput, RuleEval, Session, Violation};
use crate::diag::{Code, Location, Problem};
use crate::json::Doc;
use crate::json::doc::{Kind, Val};
use crate::source::SourceFile;

/// The names a CEL rule may refer to.
pub(crate) const VARIABLES: &[&str] = &[
    "release",
    "sboms",
    "cost",
    "attestations",
    "vulns",
    "context",
    "params",
];

/// Longest expression accepted.
const MAX_LEN: usize = 32 * 1024;
/// Deepest nesting of brackets accepted (the parser recurses on each).
const MAX_NESTING: usize = 48;
/// Most operators and separators accepted: a proxy for the size of the syntax
/// tree, which the `cel` crate walks (and drops) recursively, so a 20,000-link
/// member chain overflows any ordinary stack.
const MAX_OPERATORS: usize = 2000;

/// One CEL rule to compile.
#[derive(Debug, Clone)]
pub(crate) struct CelRule {
    /// Rule id, for messages.
    pub id: String,
    /// Rule title: the message of a plain `false`.
    pub title: String,
    /// The expression's source (a `.cel` file, or the manifest for inline ones).
    pub source: SourceFile,
    /// Byte range of the expression in `source`.
    pub range: std::ops::Range<usize>,
}

impl std::fmt::Debug for CelCompiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CelCompiled")
    }
}

pub(crate) struct CelCompiled {
    env: Arc<Env>,
    programs: Arc<Vec<CelProgram>>,
}

/// One compiled rule: the crate's program, its fast program when the
/// expression is in the subset [`cel_fast`](super::cel_fast) implements, and
/// the rule's title.
struct CelProgram {
    /// The crate's program: made at load when the fast parser declined the
    /// rule or the parse is [`CrateParse::Eager`], else when first needed.
    program: OnceLock<Result<Program, String>>,
    /// The expression, for a program made when first needed.
    expr: Box<str>,
    fast: Option<super::cel_fast::FastProgram>,
    title: String,
}

/// When the `cel` crate parses a rule that [`cel_parse`](super::cel_parse)
/// could read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrateParse {
    /// On the first evaluation the fast path cannot answer (`shipgate check`).
    Lazy,
    /// At load, the two readings compared (`shipgate test`, which runs every
    /// implementation): a rule they read differently is a load error.
    Eager,
}

/// The standard environment plus the strings extension, built once.
fn env() -> Result<Arc<Env>, String> {
    static ENV: OnceLock<Result<Arc<Env>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .map_err(|e| e.to_string())?;
        env.add_extension(cel::extensions::lists)
            .map_err(|e| e.to_string())?;
        super::cel_regex::register(&mut env)?;
        Ok(Arc::new(env))
    })
    .clone()
}

/// Parses every rule, collecting every problem; `parse` says whether the
/// crate parses the rules [`cel_parse`](super::cel_parse) read now or when
/// needed. Parsing runs on a thread with a large stack: the crate's parser
/// recurses per nested term, and a long member chain or list literal would
/// otherwise overflow the caller's stack.
pub(crate) fn compile(rules: &[CelRule], parse: CrateParse) -> Result<CelCompiled, Vec<Problem>> {
    let stack = super::guard::EvalLimits::default().stack_bytes;
    super::guard::isolated(stack, || compile_all(rules, parse))
        .map_err(|e| vec![Problem::error(Code::Internal, format!("CEL compiler: {e}"))])?
}

fn compile_all(rules: &[CelRule], parse: CrateParse) -> Result<CelCompiled, Vec<Problem>> {
    let env = env().map_err(|e| vec![Problem::error(Code::Internal, e)])?;
    let mut problems = Vec::new();
    let mut programs = Vec::with_capacity(rules.len());
    for rule in rules {
        match compile_one(&env, rule, parse) {
            Ok(program) => programs.push(program),
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(CelCompiled {
            env,
            programs: Arc::new(programs),
        })
    } else {
        Err(problems)
    }
}

fn compile_one(env: &Env, rule: &CelRule, parse: CrateParse) -> Result<CelProgram, Problem> {
    let text = rule.source.text();
    let expr = text.get(rule.range.clone()).unwrap_or_default();
    let at = |start: usize, end: usize| {
        Location::span(
            rule.source.display(),
            &text,
            rule.range.start + start..rule.range.start + end,
        )
    };
    check_size(rule, expr).map_err(|(p, start)| p.at(at(start, start + 1)))?;
    let read = super::cel_parse::parse(expr);
    let (program, fast) = match (read, parse) {
        (Some(fast), CrateParse::Lazy) => (OnceLock::new(), Some(fast)),
        (read, _) => {
            let parsed = parse_with_crate(env, rule, expr, at)?;
            let translated = super::cel_fast::compile(parsed.expression());
            let fast = match read {
                Some(read) => {
                    if translated.as_ref().map(|t| format!("{t:?}")) != Some(format!("{read:?}")) {
                        return Err(Problem::error(
                            Code::Internal,
                            format!(
                                "CEL expression of rule `{}` is read differently by shipgate's parser and the `cel` crate",
                                rule.id
                            ),
                        )
                        .with_help("please report this expression; rewriting it (e.g. with parentheses) may avoid it")
                        .at(at(0, 1)));
                    }
                    Some(read)
                }
                None => translated,
            };
            (OnceLock::from(Ok(parsed)), fast)
        }
    };
    Ok(CelProgram {
        program,
        expr: expr.into(),
        fast,
        title: rule.title.clone(),
    })
}

/// The length and shape limits, checked before any parser sees `expr`: the
/// problem and the offset it is at.
fn check_size(rule: &CelRule, expr: &str) -> Result<(), (Problem, usize)> {
    if expr.len() > MAX_LEN {
        return Err((
            Problem::error(
                Code::CelTooComplex,
                format!(
                    "CEL expression of rule `{}` is longer than {MAX_LEN} bytes",
                    rule.id
                ),
            )
            .with_help("split the rule, or move data into bundle params"),
            0,
        ));
    }
    let Shape {
        too_deep_at,
        operators,
    } = shape(expr);
    if operators > MAX_OPERATORS {
        return Err((
            Problem::error(
                Code::CelTooComplex,
                format!(
                    "CEL expression of rule `{}` has {operators} operators and separators, more than {MAX_OPERATORS}",
                    rule.id
                ),
            )
            .with_help("split the rule, or move long literal lists into bundle params"),
            0,
        ));
    }
    if let Some(pos) = too_deep_at {
        return Err((
            Problem::error(
                Code::CelTooComplex,
                format!(
                    "CEL expression of rule `{}` nests deeper than {MAX_NESTING} levels",
                    rule.id
                ),
            )
            .with_help("flatten the expression"),
            pos,
        ));
    }
    Ok(())
}

/// The crate's program of `expr`, its syntax errors and unknown names
/// located with `at`.
fn parse_with_crate(
    env: &Env,
    rule: &CelRule,
    expr: &str,
    at: impl Fn(usize, usize) -> Location,
) -> Result<Program, Problem> {
    let parsed = catch_unwind(AssertUnwindSafe(|| env.compile(expr)));
    let program = match parsed {
        Ok(Ok(p)) => p,
        Ok(Err(errors)) => {
            let first = errors.errors.first();
            let (line, col) = first.map_or((1, 0), |e| (e.pos.0.max(1), e.pos.1.max(0)));
            let msg = first.map_or_else(|| errors.to_string(), |e| e.msg.clone());
            let offset = crate::json::offset_of(
                expr,
                usize::try_from(line).unwrap_or(1),
                usize::try_from(col).unwrap_or(0) + 1,
            );
            return Err(Problem::error(
                Code::CelSyntax,
                format!("CEL expression of rule `{}` does not parse: {msg}", rule.id),
            )
            .with_help("see https://github.com/google/cel-spec/blob/master/doc/langdef.md")
            .with_label(msg)
            .at(at(offset, offset + 1)));
        }
        Err(_) => {
            return Err(Problem::error(
                Code::CelSyntax,
                format!("CEL expression of rule `{}` crashed the parser", rule.id),
            )
            .with_help("simplify the expression")
            .at(at(0, 1)));
        }
    };
    if let Some(name) = unknown_name(&program) {
        let name = &name;
        let pos = find_ident(expr, name).unwrap_or(0);
        let help = match crate::text::closest(name, VARIABLES.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("a rule sees {}", VARIABLES.join(", ")),
        };
        return Err(Problem::error(
            Code::CelSyntax,
            format!(
                "CEL expression of rule `{}` refers to unknown name `{name}`",
                rule.id
            ),
        )
        .with_help(help)
        .with_label("not an input name")
        .at(at(pos, pos + name.len())));
    }
    Ok(program)
}

/// A free name of `program` that is not one of [`VARIABLES`].
pub(super) fn unknown_name(program: &Program) -> Option<String> {
    free_variables(program.expression())
        .into_iter()
        .find(|v| !VARIABLES.contains(&v.as_str()))
}

/// The crate's program of a rule [`cel_parse`](super::cel_parse) read, made
/// the first time the fast path cannot answer: it was read, so it parses,
/// but should the crate think otherwise the rule fails with its reason.
fn parse_later(env: &Env, expr: &str) -> Result<Program, String> {
    match catch_unwind(AssertUnwindSafe(|| env.compile(expr))) {
        Ok(Ok(program)) => match unknown_name(&program) {
            Some(name) => Err(format!("CEL expression refers to unknown name `{name}`")),
            None => Ok(program),
        },
        Ok(Err(errors)) => Err(format!("CEL expression does not parse: {errors}")),
        Err(_) => Err("CEL expression crashed the parser".to_owned()),
    }
}

/// Identifiers used but not bound by a comprehension around them. Walks with
/// an explicit stack: the tree can be as deep as the expression is long.
fn free_variables(root: &cel::common::ast::IdedExpr) -> BTreeSet<String> {
    use cel::common::ast::{EntryExpr, Expr};
    let mut free = BTreeSet::new();
    let mut stack: Vec<(&cel::common::ast::IdedExpr, Vec<&str>)> = vec![(root, Vec::new())];
    while let Some((node, bound)) = stack.pop() {
        match &node.expr {
            Expr::Ident(name) => {
                if !bound.contains(&name.as_str()) {
                    free.insert(name.clone());
                }
            }
            Expr::Select(s) => stack.push((&s.operand, bound)),
            Expr::Call(c) => {
                if let Some(t) = &c.target {
                    stack.push((t, bound.clone()));
                }
                stack.extend(c.args.iter().map(|a| (a, bound.clone())));
            }
            Expr::List(l) => stack.extend(l.elements.iter().map(|e| (e, bound.clone()))),
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(e) = &entry.expr {
                        stack.push((&e.key, bound.clone()));
                        stack.push((&e.value, bound.clone()));
                    }
                }
            }
            Expr::Struct(st) => {
                for entry in &st.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        stack.push((&f.value, bound.clone()));
                    }
                }
            }
            Expr::Comprehension(c) => {
                stack.push((&c.iter_range, bound.clone()));
                stack.push((&c.accu_init, bound.clone()));
                let mut inner = bound;
                inner.push(&c.iter_var);
                if let Some(v) = &c.iter_var2 {
                    inner.push(v);
                }
                inner.push(&c.accu_var);
                stack.push((&c.loop_cond, inner.clone()));
                stack.push((&c.loop_step, inner.clone()));
                stack.push((&c.result, inner));
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
    free
}

/// What the pre-parse scan sees outside string literals: where brackets
/// first nest deeper than the limit, and how many operators there are.
struct Shape {
    too_deep_at: Option<usize>,
    operators: usize,
}

fn shape(expr: &str) -> Shape {
    let mut out = Shape {
        too_deep_at: None,
        operators: 0,
    };
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in expr.char_indices() {
        if let Some(q) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING && out.too_deep_at.is_none() {
                    out.too_deep_at = Some(i);
                }
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                out.operators += 1;
            }
            '_' => {}
            c if c.is_ascii_punctuation() => out.operators += 1,
            _ => {}
        }
    }
    out
}

fn find_ident(expr: &str, name: &str) -> Option<usize> {
    expr.match_indices(name).map(|(i, _)| i).find(|&i| {
        let before = expr.get(..i).and_then(|b| b.chars().next_back());
        let after = expr.get(i + name.len()..).and_then(|a| a.chars().next());
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after) && before != Some('.')
    })
}

impl Compiled for CelCompiled {
    fn session(
        &self,
        input: &Arc<PreparedInput>,
        params: &Value,
    ) -> Result<Box<dyn Session>, String> {
        input.doc()?;
        Ok(Box::new(CelSession {
            env: Arc::clone(&self.env),
            input: Arc::clone(input),
            params: Doc::from_value(params).map_err(|e| format!("bundle parameters: {e}"))?,
            bound: None,
            programs: Arc::clone(&self.programs),
        }))
    }
}

struct CelSession {
    env: Arc<Env>,
    input: Arc<PreparedInput>,
    params: Doc,
    /// The crate's values of VARIABLES, made on the first rule the fast path
    /// cannot answer.
    bound: Option<Vec<(&'static str, CelValue)>>,
    programs: Arc<Vec<CelProgram>>,
}

impl Session for CelSession {
    fn eval(&mut self, index: usize) -> RuleEval {
        let programs = Arc::clone(&self.programs);
        let Some(rule) = programs.get(index) else {
            return RuleEval::Error(format!("no compiled CEL rule #{index}"));
        };
        if let Some(fast) = &rule.fast {
            let doc = match self.input.doc() {
                Ok(doc) => doc,
                Err(e) => return RuleEval::Error(e),
            };
            let vars: Vec<(&str, Val<'_>)> = VARIABLES
                .iter()
                .map(|name| {
                    let value = if *name == "params" {
                        self.params.root()
                    } else {
                        doc.root().get(name).unwrap_or(doc.null())
                    };
                    (*name, value)
                })
                .collect();
            // Anything but a bool or a list of violations, like every error,
            // is the crate's to report in its own words.
            match fast.eval_rule(&vars, &rule.title) {
                Ok(RuleValue::Bool(ok)) => return verdict(ok, &rule.title),
                Ok(RuleValue::Violations(Ok(deny))) => {
                    return RuleEval::Ran { deny, warn: vec![] };
                }
                Ok(RuleValue::Violations(Err(e))) => {
                    return RuleEval::Error(format!("CEL result: {e}"));
                }
                Ok(RuleValue::Other) | Err(_) => {}
            }
        }
        self.eval_with_crate(rule)
    }
}

impl CelSession {
    /// Evaluates `rule` with the `cel` crate.
    fn eval_with_crate(&mut self, rule: &CelProgram) -> RuleEval {
        let program = match rule
            .program
            .get_or_init(|| parse_later(&self.env, &rule.expr))
        {
            Ok(program) => program,
            Err(e) => return RuleEval::Error(e.clone()),
        };
        let doc = match self.input.doc() {
            Ok(doc) => doc,
            Err(e) => return RuleEval::Error(e),
        };
        let bound = self.bound.get_or_insert_with(|| {
            // The input's names, converted once per input for every bundle
            // and session; `params` is the bundle's own.
            let mut bound = self
                .input
                .cel_values
                .get_or_init(|| {
                    VARIABLES
                        .iter()
                        .filter(|name| **name != "params")
                        .map(|name| (*name, to_cel(doc.root().get(name).unwrap_or(doc.null()))))
                        .collect()
                })
                .clone();
            bound.push(("params", to_cel(self.params.root())));
            bound
        });
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        for (name, value) in bound.iter() {
            ctx.add_variable_from_value(*name, value.clone());
        }
        match program.execute(&ctx) {
            Ok(CelValue::Bool(ok)) => verdict(ok, &rule.title),
            Ok(CelValue::List(items)) => match items.iter().map(from_cel).collect() {
                Ok(items) => violations(items, &rule.title),
                Err(e) => RuleEval::Error(format!("CEL result: {e}")),
            },
            Ok(other) => RuleEval::Error(format!(
                "a CEL rule must return a bool or a list of violations, found {}",
                other.type_of()
            )),
            Err(e) => RuleEval::Error(format!("CEL evaluation failed: {e}")),
        }
    }
}

/// A rule's `true` (pass) or `false` (one violation: the rule's title).
fn verdict(ok: bool, title: &str) -> RuleEval {
    RuleEval::Ran {
        deny: if ok {
            vec![]
        } else {
            vec![Violation::new(title)]
        },
        warn: vec![],
    }
}

/// A rule's list of violations (strings, or maps with `msg`).
fn violations(items: Vec<Value>, title: &str) -> RuleEval {
    match items
        .into_iter()
        .map(|v| Violation::from_value(v, title))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(deny) => RuleEval::Ran { deny, warn: vec![] },
        Err(e) => RuleEval::Error(format!("CEL result: {e}")),
    }
}

/// JSON → CEL. Integers stay integers; object keys are strings.
pub(crate) fn to_cel(v: Val<'_>) -> CelValue {
    match v.kind() {
        Kind::Null => CelValue::Null,
        Kind::Bool(b) => CelValue::Bool(b),
        Kind::Int(i) => CelValue::Int(i),
        Kind::UInt(u) => i64::try_from(u).map_or(CelValue::UInt(u), CelValue::Int),
        Kind::Float(f) => CelValue::Float(f),
        Kind::Str(s) => CelValue::String(Arc::new(s.to_owned())),
        Kind::Array(items) => CelValue::List(Arc::new(items.iter().map(to_cel).collect())),
        Kind::Object(m) => {
            let map: HashMap<Key, CelValue> = m
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.to_owned())), to_cel(v)))
                .collect();
            CelValue::Map(CelMap { map: Arc::new(map) })
        }
    }
}

/// CEL → JSON, with map keys sorted so results are deterministic.
pub(crate) fn from_cel(v: &CelValue) -> Result<Value, String> {
    Ok(match v {
        CelValue::Null => Value::Null,
        CelValue::Bool(b) => Value::Bool(*b),
        CelValue::Int(i) => Value::from(*i),
        CelValue::UInt(u) => Value::from(*u),
        CelValue::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        CelValue::String(s) => Value::String(s.as_str().to_owned()),
        CelValue::List(items) => {
            Value::Array(items.iter().map(from_cel).collect::<Result<_, _>>()?)
        }
        CelValue::Map(m) => {
            let mut entries: Vec<(String, Value)> = m
                .map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Key::String(s) => s.as_str().to_owned(),
                        Key::Int(i) => i.to_string(),
                        Key::Uint(u) => u.to_string(),
                        Key::Bool(b) => b.to_string(),
                    };
                    from_cel(v).map(|v| (key, v))
                })
                .collect::<Result<_, _>>()?;
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        other => Value::String(format!("{other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(expr: &str) -> CelRule {
        CelRule {
            id: "t.rule".into(),
            title: "rule failed".into(),
            source: SourceFile::from_text("r.cel", expr),
            range: 0..expr.len(),
        }
    }

    fn compile_lazily(rules: &[CelRule]) -> Result<CelCompiled, Vec<Problem>> {
        compile(rules, CrateParse::Lazy)
    }

    fn eval(expr: &str, input: Value) -> RuleEval {
        let c = compile_lazily(&[rule(expr)]).unwrap();
        let prepared = Arc::new(PreparedInput::new(input));
        c.session(&prepared, &json!({"max": 1})).unwrap().eval(0)
    }

    #[test]
    fn bool_and_list_results() {
        assert!(matches!(eval("true", json!({})), RuleEval::Ran { deny, .. } if deny.is_empty()));
        match eval("size(sboms) <= params.max", json!({"sboms": [1, 2]})) {
            RuleEval::Ran { deny, .. } => assert_eq!(deny[0].msg, "rule failed"),
            e => panic!("{e:?}"),
        }
        let r = eval(
            "sboms.filter(s, s.n > 1).map(s, {'msg': 'big ' + string(s.n), 'n': s.n})",
            json!({"sboms": [{"n": 1}, {"n": 2}]}),
        );
        match r {
            RuleEval::Ran { deny, .. } => {
                assert_eq!(deny.len(), 1);
                assert_eq!(deny[0].msg, "big 2");
                assert_eq!(deny[0].details.to_map()["n"], 2);
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn wrong_result_type_and_runtime_errors() {
        assert!(matches!(eval("1", json!({})), RuleEval::Error(e) if e.contains("bool or a list")));
        assert!(matches!(
            eval("release.x.y == 1", json!({"release": {}})),
            RuleEval::Error(_)
        ));
    }

    #[test]
    fn parse_errors_have_positions() {
        let errs = compile_lazily(&[rule("sboms.exists(s, s.name ==)")]).unwrap_err();
        assert_eq!(errs[0].code, Code::CelSyntax);
        assert!(errs[0].location.as_ref().unwrap().column.is_some());
    }

    #[test]
    fn unknown_names_are_load_errors_but_comprehension_variables_are_not() {
        let errs = compile_lazily(&[rule("size(sbom) > 0")]).unwrap_err();
        assert!(errs[0].message.contains("`sbom`"), "{errs:?}");
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `sboms`?"));
        assert!(compile_lazily(&[rule("sboms.all(s, s.components.all(c, c.name != ''))")]).is_ok());
    }

    #[test]
    fn hostile_nesting_is_refused_before_parsing() {
        let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
        let errs = compile_lazily(&[rule(&deep)]).unwrap_err();
        assert_eq!(errs[0].code, Code::CelTooComplex);
    }

    #[test]
    fn long_member_chains_and_list_literals_are_refused_or_survive() {
        let chain = format!("release{} == 1", ".a".repeat(20_000));
        assert_eq!(
            compile_lazily(&[rule(&chain)]).unwrap_err()[0].code,
            Code::CelTooComplex
        );
        let list = format!("size([{}]) > 0", vec!["1"; 20_000].join(","));
        assert_eq!(
            compile_lazily(&[rule(&list)]).unwrap_err()[0].code,
            Code::CelTooComplex
        );
        // At the limit, everything still runs on an ordinary test thread.
        let chain = format!("release{} == 1", ".a".repeat(MAX_OPERATORS - 2));
        let c = compile_lazily(&[rule(&chain)]).unwrap();
        let prepared = Arc::new(PreparedInput::new(json!({"release": {}})));
        assert!(matches!(
            c.session(&prepared, &json!({})).unwrap().eval(0),
            RuleEval::Error(_)
        ));
        let ors = format!(
            "{} || true",
            vec!["release == 1"; MAX_OPERATORS / 4].join(" || ")
        );
        let c = compile_lazily(&[rule(&ors)]).unwrap();
        assert!(
            matches!(c.session(&prepared, &json!({})).unwrap().eval(0), RuleEval::Ran { deny, .. } if deny.is_empty())
        );
    }

    #[test]
    fn the_crate_parses_a_rule_the_fast_parser_read_only_when_needed() {
        let c = compile_lazily(&[rule("size(sboms) > 0")]).unwrap();
        let parsed = |c: &CelCompiled| c.programs[0].program.get().is_some();
        assert!(!parsed(&c));
        let run = |input: Value| {
            let prepared = Arc::new(PreparedInput::new(input));
            c.session(&prepared, &json!({})).unwrap().eval(0)
        };
        assert!(
            matches!(run(json!({"sboms": [1]})), RuleEval::Ran { deny, .. } if deny.is_empty())
        );
        assert!(!parsed(&c));
        // `size(1)`: the fast path falls back, the crate reports the error
        assert!(matches!(run(json!({"sboms": 1})), RuleEval::Error(_)));
        assert!(parsed(&c));
        // A rule the fast parser declines is parsed at load.
        let c = compile_lazily(&[rule("sboms.exists(s, s.name.charAt(0) == 'a')")]).unwrap();
        assert!(parsed(&c));
    }

    #[test]
    fn an_eager_parse_reads_every_rule_with_the_crate_too() {
        let rules = [
            rule("size(sboms) > 0"),
            rule("sboms.map(s, s.name).filter(n, n in ['a', 'b', 'c'])"),
        ];
        let c = compile(&rules, CrateParse::Eager).unwrap();
        assert!(c.programs.iter().all(|p| p.program.get().is_some()));
        assert!(c.programs.iter().all(|p| p.fast.is_some()));
        let errs = compile(&[rule("size(sbom) > 0")], CrateParse::Eager).unwrap_err();
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `sboms`?"));
    }

    #[test]
    fn a_program_the_crate_refuses_at_run_time_fails_the_rule() {
        let env = env().unwrap();
        // As if the fast parser had read `1 +`, which the crate refuses.
        let programs = vec![CelProgram {
            program: OnceLock::new(),
            expr: "1 +".into(),
            fast: None,
            title: "t".into(),
        }];
        let c = CelCompiled {
            env,
            programs: Arc::new(programs),
        };
        let prepared = Arc::new(PreparedInput::new(json!({})));
        let r = c.session(&prepared, &json!({})).unwrap().eval(0);
        assert!(
            matches!(&r, RuleEval::Error(e) if e.contains("does not parse")),
            "{r:?}"
        );
        let r = c.session(&prepared, &json!({})).unwrap().eval(0);
        assert!(
            matches!(&r, RuleEval::Error(e) if e.contains("does not parse")),
            "{r:?}"
        );
    }

    #[test]
    fn map_results_are_sorted() {
        let doc = Doc::from_value(&json!({"b": 1, "a": [true, null, "x", 1.5]})).unwrap();
        let v = from_cel(&to_cel(doc.root())).unwrap();
        assert_eq!(v.to_string(), r#"{"a":[true,null,"x",1.5],"b":1}"#);
    }
}
