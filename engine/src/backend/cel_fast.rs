//! A direct evaluator for the common subset of CEL, beside the `cel` crate.
//!
//! The `cel` crate converts the whole input into its own values before a rule
//! runs, allocates on every map lookup and builds comprehension scopes per
//! element, so a rule over a 10,000-component SBOM took 10-30 times as long as
//! cel-js. This evaluator walks the crate's parsed syntax tree, translated
//! once into [`FastProgram`], directly over the borrowed `serde_json` input:
//! nothing is converted, a field access is a lookup in the JSON object, and
//! `filter`/`map` append to one vector.
//!
//! It never decides anything the crate would decide differently. [`compile`]
//! returns `None` for anything outside the subset it knows, and
//! [`FastProgram::eval`] returns [`Fallback`] whenever the crate would fail
//! (no such key, a type mismatch, overflow, a bad regex) or the answer is not
//! certain to be the crate's (the crate's hash order over a map's keys, a
//! `double` map key). The caller then runs the rule with the crate, which
//! reports its own error: the fast path only ever reproduces the crate's
//! successes, and differential tests below (hand-written cases, random
//! expressions, the shipped bundles' test cases) hold it to that.
//!
//! The tree has two front ends: [`compile`] translates the crate's parsed
//! expression, and [`cel_parse`](super::cel_parse) parses the common syntax
//! itself, skipping the crate's ANTLR parser; both build calls and macros with
//! the helpers here ([`global_call`], [`member_call`], [`macro_loop`]), so a
//! construct has one translation whichever front end read it.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use cel::common::ast::{CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedExpr, LiteralValue};
use serde_json::{Number, Value as Json};

use super::violation::{Repeats, take_msg};
use super::{Detail, Details, Violation};
use crate::json::doc::{Arr, KeyHint, Kind, Obj, Val, same_key};

/// Deepest syntax tree translated: evaluation recurses once per level, and
/// anything deeper is left to the crate on its large-stack thread.
pub(super) const MAX_DEPTH: usize = 160;

/// The fast path cannot give the crate's answer: evaluate with the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fallback;

type Res<T> = Result<T, Fallback>;

/// A CEL expression translated for [`FastProgram::eval`].
#[derive(Debug)]
pub(crate) struct FastProgram {
    root: Node,
    /// How many field reads the tree has ([`Field::slot`]).
    fields: usize,
    /// How many of its loops remember their answers ([`Loop::memo`]).
    memos: usize,
}

impl FastProgram {
    /// Evaluates against the input's top-level names and `params`, given as
    /// `(name, value)` pairs. The result is what `from_cel` makes of the
    /// crate's result; [`Fallback`] when the crate must decide.
    #[cfg(test)]
    pub(crate) fn eval<'a>(&'a self, vars: &[(&str, Val<'a>)]) -> Result<Json, Fallback> {
        let mut cx = self.context(vars);
        let value = eval(&self.root, &mut cx)?;
        to_json(&value)
    }

    /// Evaluates a rule: as [`eval`](Self::eval), but a list is read into
    /// violations directly (`title` the message of those without `msg`),
    /// without a JSON value of each first.
    pub(crate) fn eval_rule<'a>(&'a self, vars: &[(&str, Val<'a>)], title: &str) -> Res<RuleValue> {
        let mut cx = self.context(vars);
        let mut deny = Vec::new();
        let mut wrong = None;
        let mut repeats = Repeats::default();
        // Every element is read, even after one that is not a violation: any
        // of them may be the crate's to decide, as when the whole list was
        // made JSON first.
        let mut read = |item: V<'a>| {
            match violation(&item, title, &mut repeats)? {
                Ok(v) => deny.push(v),
                Err(e) => {
                    wrong.get_or_insert(e);
                }
            }
            Ok(())
        };
        // A list the rule's shape makes (`map`, `filter`, `flatten()`: every
        // shipped rule) is read element by element as it is made, never
        // held whole: at 100,000 components the maps of `supplier-known`
        // took some 30 MiB beside their violations.
        if makes_list(&self.root) {
            emit(&self.root, 0, &mut cx, &mut read)?;
            return Ok(RuleValue::Violations(match wrong {
                Some(e) => Err(e),
                None => Ok(deny),
            }));
        }
        let value = eval(&self.root, &mut cx)?;
        if let V::Bool(ok) = value {
            return Ok(RuleValue::Bool(ok));
        }
        // A list the rule built is taken apart: each element is dropped once
        // it is read, so a large result is not held twice.
        let items: Vec<V<'a>> = match value {
            V::List(list) => Rc::try_unwrap(list).unwrap_or_else(|shared| (*shared).clone()),
            other => match other.list() {
                Some(items) => items.iter().collect(),
                None => return Ok(RuleValue::Other),
            },
        };
        for item in items {
            read(item)?;
        }
        Ok(RuleValue::Violations(match wrong {
            Some(e) => Err(e),
            None => Ok(deny),
        }))
    }

    /// The program of a tree [`cel_parse`](super::cel_parse) built.
    pub(super) fn new(mut root: Node) -> FastProgram {
        let mut fields = 0;
        number_fields(&mut root, &mut fields);
        let mut memos = 0;
        number_memos(&mut root, &mut memos);
        FastProgram {
            root,
            fields,
            memos,
        }
    }

    /// A fresh evaluation's context.
    fn context<'a, 's>(&self, vars: &'s [(&'s str, Val<'a>)]) -> Cx<'a, 's> {
        Cx {
            vars,
            locals: Vec::new(),
            sets: Default::default(),
            hints: vec![KeyHint::default(); self.fields],
            memos: (0..self.memos).map(|_| LoopMemo::default()).collect(),
            last_regex: None,
        }
    }
}

/// What a rule's expression gave, as [`FastProgram::eval_rule`] reads it.
pub(crate) enum RuleValue {
    /// A verdict.
    Bool(bool),
    /// A list, read into violations (or why an element is not one).
    Violations(Result<Vec<Violation>, String>),
    /// Anything else: the crate reports it in its own words.
    Other,
}

/// A list element as a violation: what `Violation::from_value` reads from
/// its JSON value, made directly for a map (the usual result).
fn violation<'a>(
    v: &V<'a>,
    title: &str,
    repeats: &mut Repeats<'a>,
) -> Res<Result<Violation, String>> {
    let V::Map(map) = v else {
        return Ok(Violation::from_value(to_json(v)?, title));
    };
    // The keys in `to_json`'s order, then `msg` out as `from_value` takes it.
    let mut entries = map
        .iter()
        .map(|(k, v)| Ok((k.str().ok_or(Fallback)?, v)))
        .collect::<Res<Vec<_>>>()?;
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let msg = match take_msg(&mut entries).map(V::str) {
        Some(Some(msg)) => msg.to_owned(),
        Some(None) => return Ok(Violation::from_value(to_json(v)?, title)),
        None => title.to_owned(),
    };
    let details = entries
        .into_iter()
        .map(|(k, v)| {
            let detail = match (v, v.str()) {
                // A string of the input (the file a component is in) may
                // repeat from one violation to the next, and outlives them.
                (V::Str(s), _) => repeats.detail(k, s),
                (_, Some(s)) => Detail::Str(s.into()),
                (_, None) => Detail::Json(Box::new(to_json(v)?)),
            };
            Ok((k, detail))
        })
        .collect::<Res<Details>>()?;
    Ok(Ok(Violation { msg, details }))
}

/// Translates the crate's parsed expression (`Program::expression()`), or
/// `None` when it uses anything this evaluator does not implement.
pub(crate) fn compile(expr: &IdedExpr) -> Option<FastProgram> {
    let mut scope = Vec::new();
    Some(FastProgram::new(node(expr, &mut scope, 0)?))
}

// ---------------------------------------------------------------------------
// The translated tree.

/// A translated expression. Every node counts one level towards
/// [`MAX_DEPTH`]; the strings of [`Node::InStrs`] and the pattern of
/// [`Node::Matches`] are not nodes.
#[derive(Debug)]
pub(super) enum Node {
    Const(Lit),
    /// An input name (`sboms`, `params`, ...), looked up per evaluation.
    Input(Box<str>),
    /// A comprehension variable: its index in the stack of locals.
    Local(usize),
    Select(Box<Node>, Field),
    /// `has(x.f)`.
    Has(Box<Node>, Field),
    Index(Box<Node>, Box<Node>),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    /// `==`, or `!=` when the flag is set.
    Eq(Box<Node>, Box<Node>, bool),
    Cmp(Box<Node>, Box<Node>, CmpOp),
    Arith(Box<Node>, Box<Node>, ArithOp),
    Neg(Box<Node>),
    In(Box<Node>, Box<Node>),
    /// `x in ['a', 'b']`: the literal list as a set.
    InStrs(Box<Node>, StrSet),
    /// `s.matches('literal')`: the pattern compiled once (`None`: invalid).
    Matches(Box<Node>, Option<Arc<regex::Regex>>),
    /// A function; a member function's receiver is its first argument.
    Call(Func, Vec<Node>),
    Loop(Box<Loop>),
}

/// A field read by `.` or tested by `has()`, and which of the program's
/// field reads it is: each has its own [`KeyHint`] while the program runs
/// (numbered when the program is made, [`number_fields`]).
#[derive(Debug)]
pub(super) struct Field {
    name: Box<str>,
    slot: usize,
}

impl Field {
    pub(super) fn new(name: &str) -> Field {
        Field {
            name: name.into(),
            slot: 0,
        }
    }
}

/// Calls `f` on each child of `n`, in the order they are evaluated (a
/// loop's range, guard, body).
fn children(n: &mut Node, f: &mut dyn FnMut(&mut Node)) {
    match n {
        Node::Const(_) | Node::Input(_) | Node::Local(_) => {}
        Node::Select(a, _)
        | Node::Has(a, _)
        | Node::Not(a)
        | Node::Neg(a)
        | Node::InStrs(a, _)
        | Node::Matches(a, _) => f(a),
        Node::Index(a, b)
        | Node::And(a, b)
        | Node::Or(a, b)
        | Node::Eq(a, b, _)
        | Node::Cmp(a, b, _)
        | Node::Arith(a, b, _)
        | Node::In(a, b) => {
            f(a);
            f(b);
        }
        Node::Cond(a, b, c) => {
            f(a);
            f(b);
            f(c);
        }
        Node::List(items) | Node::Call(_, items) => items.iter_mut().for_each(f),
        Node::Map(entries) => {
            for (k, v) in entries {
                f(k);
                f(v);
            }
        }
        Node::Loop(l) => {
            f(&mut l.range);
            if let Some(g) = &mut l.guard {
                f(g);
            }
            f(&mut l.body);
        }
    }
}

/// Numbers the field reads of a tree, in the order they are met, from
/// `next` on.
fn number_fields(n: &mut Node, next: &mut usize) {
    if let Node::Select(_, f) | Node::Has(_, f) = n {
        f.slot = *next;
        *next += 1;
    }
    children(n, &mut |c| number_fields(c, next));
}

/// Numbers, from `next` on, the loops whose answer can be remembered by
/// the input array they run over: `all`, `exists` and `exists_one` whose
/// predicate reads no local but its own element's (and those of loops inside
/// it). The rest of what it reads, the input's names and constants, is the
/// same all through an evaluation, so the same array gives the same answer:
/// `c.license.alternatives.exists(alt, ...)` once per distinct license
/// rather than once per component (components with the same license share
/// one value in the input document).
fn number_memos(n: &mut Node, next: &mut usize) {
    if let Node::Loop(l) = n
        && matches!(
            l.kind,
            LoopKind::All | LoopKind::Exists | LoopKind::ExistsOne
        )
        && lowest_local(&mut l.body) >= l.var
    {
        l.memo = Some(*next);
        *next += 1;
    }
    children(n, &mut |c| number_memos(c, next));
}

/// The outermost local `n` reads (`usize::MAX`: none).
fn lowest_local(n: &mut Node) -> usize {
    let mut lowest = match n {
        Node::Local(i) => *i,
        _ => usize::MAX,
    };
    children(n, &mut |c| lowest = lowest.min(lowest_local(c)));
    lowest
}

/// The strings of a literal list. Shown sorted, so that two trees print the
/// same whatever their sets' hash order.
pub(super) struct StrSet(HashSet<Box<str>>);

impl std::fmt::Debug for StrSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut items: Vec<&str> = self.0.iter().map(|s| &**s).collect();
        items.sort_unstable();
        f.debug_set().entries(items).finish()
    }
}

#[derive(Debug)]
pub(super) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(Box<str>),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Size,
    StartsWith,
    EndsWith,
    Contains,
    Matches,
    String,
    Int,
    Double,
    LowerAscii,
    UpperAscii,
    Trim,
    Replace,
    Split,
    Substring,
    Reverse,
    Join,
    Flatten,
    Distinct,
    Sort,
}

/// A standard macro's comprehension, recognised by shape.
#[derive(Debug)]
pub(super) struct Loop {
    kind: LoopKind,
    /// The local its element is bound to.
    var: usize,
    /// Its answers by input array, when they can be remembered
    /// ([`number_memos`]).
    memo: Option<usize>,
    range: Node,
    /// The condition of `filter` and of a three-argument `map`.
    guard: Option<Node>,
    /// The predicate of `all`/`exists`/`exists_one`, the transform of `map`.
    body: Node,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LoopKind {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

// ---------------------------------------------------------------------------
// Translation.

fn node(e: &IdedExpr, scope: &mut Vec<String>, depth: usize) -> Option<Node> {
    if depth > MAX_DEPTH {
        return None;
    }
    let d = depth + 1;
    Some(match &e.expr {
        Expr::Literal(l) => Node::Const(literal(l)?),
        Expr::Ident(name) => ident(name, scope)?,
        Expr::Select(s) => {
            let operand = Box::new(node(&s.operand, scope, d)?);
            let field = Field::new(&s.field);
            if s.test {
                Node::Has(operand, field)
            } else {
                Node::Select(operand, field)
            }
        }
        Expr::List(l) => {
            if !l.optional_indices.is_empty() {
                return None;
            }
            Node::List(
                l.elements
                    .iter()
                    .map(|x| node(x, scope, d))
                    .collect::<Option<_>>()?,
            )
        }
        Expr::Map(m) => {
            let mut entries = Vec::with_capacity(m.entries.len());
            for entry in &m.entries {
                match &entry.expr {
                    EntryExpr::MapEntry(me) if !me.optional => {
                        entries.push((node(&me.key, scope, d)?, node(&me.value, scope, d)?));
                    }
                    _ => return None,
                }
            }
            Node::Map(entries)
        }
        Expr::Call(c) => call(c, scope, d)?,
        Expr::Comprehension(c) => comprehension(c, scope, d)?,
        Expr::Struct(_) | Expr::Unspecified => return None,
    })
}

fn literal(l: &LiteralValue) -> Option<Lit> {
    Some(match l {
        LiteralValue::Null => Lit::Null,
        LiteralValue::Boolean(b) => Lit::Bool(*b.inner()),
        LiteralValue::Int(i) => Lit::Int(*i.inner()),
        LiteralValue::UInt(u) => Lit::UInt(*u.inner()),
        LiteralValue::Double(f) => Lit::Double(*f.inner()),
        LiteralValue::String(s) => Lit::Str(s.inner().into()),
        LiteralValue::Bytes(_) => return None,
    })
}

fn ident(name: &str, scope: &[String]) -> Option<Node> {
    // `@result` and friends are the macros' own: only recognised shapes use them.
    if name.starts_with('@') || name.starts_with('.') {
        return None;
    }
    Some(match scope.iter().rposition(|s| s == name) {
        Some(slot) => Node::Local(slot),
        None => Node::Input(name.into()),
    })
}

fn call(c: &CallExpr, scope: &mut Vec<String>, d: usize) -> Option<Node> {
    let name = c.func_name.as_str();
    // The elements of `x in ['a', 'b']` become a set, not nodes: they are not
    // translated (nor counted towards the depth).
    if let (None, "@in", [a, b]) = (&c.target, name, c.args.as_slice())
        && let Some(set) = string_set(b)
    {
        return Some(Node::InStrs(Box::new(node(a, scope, d)?), set));
    }
    let args = c
        .args
        .iter()
        .map(|a| node(a, scope, d))
        .collect::<Option<Vec<_>>>()?;
    match &c.target {
        None => global_call(name, args),
        Some(target) => member_call(name, node(target, scope, d)?, args),
    }
}

/// The node of the operator or global function `name` (the crate's names:
/// `_+_`, `@in`, `size`, ...) applied to `args`, or `None` when this
/// evaluator does not implement it.
pub(super) fn global_call(name: &str, args: Vec<Node>) -> Option<Node> {
    let two = |args: Vec<Node>| -> Option<(Box<Node>, Box<Node>)> {
        let [a, b] = <[Node; 2]>::try_from(args).ok()?;
        Some((Box::new(a), Box::new(b)))
    };
    let one = |args: Vec<Node>| -> Option<Box<Node>> {
        let [a] = <[Node; 1]>::try_from(args).ok()?;
        Some(Box::new(a))
    };
    let cmp = |args, op| two(args).map(|(a, b)| Node::Cmp(a, b, op));
    let arith = |args, op| two(args).map(|(a, b)| Node::Arith(a, b, op));
    let func = |args: Vec<Node>, f| (args.len() == 1).then(|| Node::Call(f, args));
    match name {
        "_&&_" => two(args).map(|(a, b)| Node::And(a, b)),
        "_||_" => two(args).map(|(a, b)| Node::Or(a, b)),
        "!_" => one(args).map(Node::Not),
        "-_" => one(args).map(Node::Neg),
        "_?_:_" => {
            let [c, a, b] = <[Node; 3]>::try_from(args).ok()?;
            Some(Node::Cond(Box::new(c), Box::new(a), Box::new(b)))
        }
        "_==_" => two(args).map(|(a, b)| Node::Eq(a, b, false)),
        "_!=_" => two(args).map(|(a, b)| Node::Eq(a, b, true)),
        "_<_" => cmp(args, CmpOp::Lt),
        "_<=_" => cmp(args, CmpOp::Le),
        "_>_" => cmp(args, CmpOp::Gt),
        "_>=_" => cmp(args, CmpOp::Ge),
        "_+_" => arith(args, ArithOp::Add),
        "_-_" => arith(args, ArithOp::Sub),
        "_*_" => arith(args, ArithOp::Mul),
        "_/_" => arith(args, ArithOp::Div),
        "_%_" => arith(args, ArithOp::Rem),
        "_[_]" => two(args).map(|(a, b)| Node::Index(a, b)),
        "@in" => {
            let (x, list) = two(args)?;
            Some(match *list {
                Node::List(items)
                    if items.iter().all(|i| matches!(i, Node::Const(Lit::Str(_)))) =>
                {
                    let set = items
                        .into_iter()
                        .filter_map(|i| match i {
                            Node::Const(Lit::Str(s)) => Some(s),
                            _ => None,
                        })
                        .collect();
                    Node::InStrs(x, StrSet(set))
                }
                other => Node::In(x, Box::new(other)),
            })
        }
        "size" => func(args, Func::Size),
        "string" => func(args, Func::String),
        "int" => func(args, Func::Int),
        "double" => func(args, Func::Double),
        "matches" => {
            let (s, p) = two(args)?;
            Some(matches(s, *p))
        }
        _ => None,
    }
}

/// The node of the member function `receiver.name(args)`, or `None` when
/// this evaluator does not implement it.
pub(super) fn member_call(name: &str, receiver: Node, args: Vec<Node>) -> Option<Node> {
    let func = match (name, args.len()) {
        ("size", 0) => Func::Size,
        ("startsWith", 1) => Func::StartsWith,
        ("endsWith", 1) => Func::EndsWith,
        ("contains", 1) => Func::Contains,
        ("matches", 1) => {
            let [p] = <[Node; 1]>::try_from(args).ok()?;
            return Some(matches(Box::new(receiver), p));
        }
        ("lowerAscii", 0) => Func::LowerAscii,
        ("upperAscii", 0) => Func::UpperAscii,
        ("trim", 0) => Func::Trim,
        ("replace", 2) => Func::Replace,
        ("split", 1) => Func::Split,
        ("substring", 1 | 2) => Func::Substring,
        ("reverse", 0) => Func::Reverse,
        ("join", 0 | 1) => Func::Join,
        ("flatten", 0 | 1) => Func::Flatten,
        ("distinct", 0) => Func::Distinct,
        ("sort", 0) => Func::Sort,
        _ => return None,
    };
    // A receiver spelling a qualified name may name a function with it
    // (`strings.quote`): only plain input names and locals are receivers here.
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(receiver);
    all.extend(args);
    Some(Node::Call(func, all))
}

/// `s.matches(p)`: a literal pattern is compiled now.
fn matches(receiver: Box<Node>, pattern: Node) -> Node {
    match pattern {
        Node::Const(Lit::Str(p)) => Node::Matches(receiver, super::cel_regex::compiled(&p).ok()),
        other => Node::Call(Func::Matches, vec![*receiver, other]),
    }
}

/// The loop of the standard macro `range.name(v, args..)`, where `args` were
/// translated with `v` as the innermost local, `slot`; `None` for any other
/// call. `map(v, p, v)` is the same comprehension as `filter(v, p)`.
pub(super) fn macro_loop(name: &str, range: Node, args: Vec<Node>, slot: usize) -> Option<Node> {
    let mut args = args.into_iter();
    let (kind, guard, body) = match (name, args.next(), args.next(), args.next()) {
        ("all", Some(p), None, None) => (LoopKind::All, None, p),
        ("exists", Some(p), None, None) => (LoopKind::Exists, None, p),
        ("exists_one" | "existsOne", Some(p), None, None) => (LoopKind::ExistsOne, None, p),
        ("map", Some(f), None, None) => (LoopKind::Map, None, f),
        ("map", Some(p), Some(Node::Local(s)), None) if s == slot => {
            (LoopKind::Filter, Some(p), Node::Local(s))
        }
        ("map", Some(p), Some(f), None) => (LoopKind::Map, Some(p), f),
        ("filter", Some(p), None, None) => (LoopKind::Filter, Some(p), Node::Local(slot)),
        _ => return None,
    };
    Some(Node::Loop(Box::new(Loop {
        kind,
        var: slot,
        memo: None,
        range,
        guard,
        body,
    })))
}

/// The strings of a list literal made only of string literals.
fn string_set(e: &IdedExpr) -> Option<StrSet> {
    let Expr::List(l) = &e.expr else { return None };
    if !l.optional_indices.is_empty() {
        return None;
    }
    l.elements
        .iter()
        .map(|x| match &x.expr {
            Expr::Literal(LiteralValue::String(s)) => Some(Box::from(s.inner())),
            _ => None,
        })
        .collect::<Option<_>>()
        .map(StrSet)
}

fn is_ident(e: &IdedExpr, name: &str) -> bool {
    matches!(&e.expr, Expr::Ident(n) if n == name)
}

fn is_lit(e: &IdedExpr, want: &Lit) -> bool {
    match (&e.expr, want) {
        (Expr::Literal(LiteralValue::Boolean(b)), Lit::Bool(w)) => b.inner() == w,
        (Expr::Literal(LiteralValue::Int(i)), Lit::Int(w)) => i.inner() == w,
        _ => false,
    }
}

/// The arguments of a global call of `func`.
fn call_args<'e>(e: &'e IdedExpr, func: &str) -> Option<&'e [IdedExpr]> {
    match &e.expr {
        Expr::Call(c) if c.target.is_none() && c.func_name == func => Some(&c.args),
        _ => None,
    }
}

/// `f` of the step `@result + [f]`.
fn appended<'e>(e: &'e IdedExpr, accu: &str) -> Option<&'e IdedExpr> {
    match call_args(e, "_+_")? {
        [lhs, rhs] if is_ident(lhs, accu) => match &rhs.expr {
            Expr::List(l) if l.optional_indices.is_empty() => match l.elements.as_slice() {
                [f] => Some(f),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Recognises the expansions of `all`, `exists`, `exists_one`, `map` and
/// `filter` (cel's parser/macros.rs); any other comprehension is the crate's.
fn comprehension(c: &ComprehensionExpr, scope: &mut Vec<String>, d: usize) -> Option<Node> {
    if c.iter_var2.is_some() || c.iter_var.starts_with('@') {
        return None;
    }
    let accu = c.accu_var.as_str();
    let result_is_accu = is_ident(&c.result, accu);
    let cond_true = is_lit(&c.loop_cond, &Lit::Bool(true));
    // (kind, guard, body) as syntax
    let (kind, guard, body): (LoopKind, Option<&IdedExpr>, &IdedExpr) = if result_is_accu
        && is_lit(&c.accu_init, &Lit::Bool(true))
        && call_args(&c.loop_cond, "@not_strictly_false")
            .is_some_and(|a| matches!(a, [x] if is_ident(x, accu)))
    {
        // all: @result && P while not strictly false
        match call_args(&c.loop_step, "_&&_")? {
            [lhs, p] if is_ident(lhs, accu) => (LoopKind::All, None, p),
            _ => return None,
        }
    } else if result_is_accu
        && is_lit(&c.accu_init, &Lit::Bool(false))
        && call_args(&c.loop_cond, "@not_strictly_false").is_some_and(|a| {
            matches!(a, [x] if call_args(x, "!_").is_some_and(|n| matches!(n, [y] if is_ident(y, accu))))
        })
    {
        // exists: @result || P while not strictly true
        match call_args(&c.loop_step, "_||_")? {
            [lhs, p] if is_ident(lhs, accu) => (LoopKind::Exists, None, p),
            _ => return None,
        }
    } else if is_lit(&c.accu_init, &Lit::Int(0)) && cond_true {
        // exists_one: P ? @result + 1 : @result, then @result == 1
        let [p, plus, same] = call_args(&c.loop_step, "_?_:_")? else {
            return None;
        };
        let counts = matches!(call_args(plus, "_+_")?, [a, one] if is_ident(a, accu) && is_lit(one, &Lit::Int(1)));
        let done = matches!(call_args(&c.result, "_==_")?, [a, one] if is_ident(a, accu) && is_lit(one, &Lit::Int(1)));
        if !(counts && done && is_ident(same, accu)) {
            return None;
        }
        (LoopKind::ExistsOne, None, p)
    } else if result_is_accu
        && cond_true
        && matches!(&c.accu_init.expr, Expr::List(l) if l.elements.is_empty() && l.optional_indices.is_empty())
    {
        // map / filter: [cond ?] @result + [f] [: @result]
        if let Some(f) = appended(&c.loop_step, accu) {
            (LoopKind::Map, None, f)
        } else {
            let [g, step, same] = call_args(&c.loop_step, "_?_:_")? else {
                return None;
            };
            if !is_ident(same, accu) {
                return None;
            }
            let f = appended(step, accu)?;
            if is_ident(f, &c.iter_var) {
                (LoopKind::Filter, Some(g), f)
            } else {
                (LoopKind::Map, Some(g), f)
            }
        }
    } else {
        return None;
    };
    let range = node(&c.iter_range, scope, d)?;
    let var = scope.len();
    scope.push(c.iter_var.clone());
    let inner = (|| {
        let guard = match guard {
            Some(g) => Some(node(g, scope, d)?),
            None => None,
        };
        Some((guard, node(body, scope, d)?))
    })();
    scope.pop();
    let (guard, body) = inner?;
    Some(Node::Loop(Box::new(Loop {
        kind,
        var,
        memo: None,
        range,
        guard,
        body,
    })))
}

// ---------------------------------------------------------------------------
// Values.

/// A value during evaluation: scalars by value, strings and input containers
/// borrowed where they can be, results in reference-counted vectors.
#[derive(Debug, Clone)]
enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(&'a str),
    OwnedStr(Rc<str>),
    /// An array or object of the input, not converted.
    Doc(Val<'a>),
    List(Rc<Vec<V<'a>>>),
    /// A map built by the rule: string keys, no duplicates.
    Map(Rc<Vec<(V<'a>, V<'a>)>>),
}

/// A list, borrowed from the input or built.
#[derive(Clone, Copy)]
enum Items<'s, 'a> {
    Doc(Arr<'a>),
    Vals(&'s [V<'a>]),
}

impl<'s, 'a> Items<'s, 'a> {
    fn len(self) -> usize {
        match self {
            Items::Doc(x) => x.len(),
            Items::Vals(x) => x.len(),
        }
    }

    fn get(self, i: usize) -> Option<V<'a>> {
        match self {
            Items::Doc(x) => x.get(i).map(from_doc),
            Items::Vals(x) => x.get(i).cloned(),
        }
    }

    fn iter(self) -> impl Iterator<Item = V<'a>> + 's
    where
        'a: 's,
    {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

/// A map, borrowed from the input or built.
#[derive(Clone, Copy)]
enum Fields<'s, 'a> {
    Doc(Obj<'a>),
    Vals(&'s [(V<'a>, V<'a>)]),
}

impl<'a> Fields<'_, 'a> {
    fn len(self) -> usize {
        match self {
            Fields::Doc(m) => m.len(),
            Fields::Vals(m) => m.len(),
        }
    }

    fn get(self, key: &str) -> Option<V<'a>> {
        match self {
            Fields::Doc(m) => m.get(key).map(from_doc),
            Fields::Vals(m) => m
                .iter()
                .find(|(k, _)| {
                    k.str()
                        .is_some_and(|k| same_key(k.as_bytes(), key.as_bytes()))
                })
                .map(|(_, v)| v.clone()),
        }
    }

    fn keys(self) -> Vec<V<'a>> {
        match self {
            Fields::Doc(m) => m.iter().map(|(k, _)| V::Str(k)).collect(),
            Fields::Vals(m) => m.iter().map(|(k, _)| k.clone()).collect(),
        }
    }

    fn entries(self) -> Vec<(V<'a>, V<'a>)> {
        match self {
            Fields::Doc(m) => m.iter().map(|(k, v)| (V::Str(k), from_doc(v))).collect(),
            Fields::Vals(m) => m.to_vec(),
        }
    }
}

impl<'a> V<'a> {
    fn str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            V::OwnedStr(s) => Some(s),
            _ => None,
        }
    }

    fn list(&self) -> Option<Items<'_, 'a>> {
        match self {
            V::Doc(x) => x.as_array().map(Items::Doc),
            V::List(x) => Some(Items::Vals(x)),
            _ => None,
        }
    }

    fn map(&self) -> Option<Fields<'_, 'a>> {
        match self {
            V::Doc(m) => m.as_object().map(Fields::Doc),
            V::Map(m) => Some(Fields::Vals(m)),
            _ => None,
        }
    }

    fn owned(s: String) -> V<'a> {
        V::OwnedStr(Rc::from(s))
    }
}

/// Input → value, as cel.rs's `to_cel` maps it: integers stay integers.
fn from_doc(v: Val<'_>) -> V<'_> {
    match v.kind() {
        Kind::Null => V::Null,
        Kind::Bool(b) => V::Bool(b),
        Kind::Int(i) => V::Int(i),
        Kind::UInt(u) => i64::try_from(u).map_or(V::UInt(u), V::Int),
        Kind::Float(f) => V::Double(f),
        Kind::Str(s) => V::Str(s),
        Kind::Array(_) | Kind::Object(_) => V::Doc(v),
    }
}

fn double_json(f: f64) -> Json {
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

/// Value → JSON, as cel.rs's `from_cel` maps the crate's result: map keys
/// sorted.
fn to_json(v: &V<'_>) -> Res<Json> {
    Ok(match v {
        V::Null => Json::Null,
        V::Bool(b) => Json::Bool(*b),
        V::Int(i) => Json::from(*i),
        V::UInt(u) => Json::from(*u),
        V::Double(f) => double_json(*f),
        V::Str(s) => Json::String((*s).to_owned()),
        V::OwnedStr(s) => Json::String(s.to_string()),
        V::Doc(j) => doc_to_json(*j),
        V::List(items) => Json::Array(items.iter().map(to_json).collect::<Res<_>>()?),
        V::Map(m) => {
            let mut entries = m
                .iter()
                .map(|(k, v)| Ok((k.str().ok_or(Fallback)?.to_owned(), to_json(v)?)))
                .collect::<Res<Vec<_>>>()?;
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(entries.into_iter().collect())
        }
    })
}

/// The round trip through `to_cel` and `from_cel` of an input value.
fn doc_to_json(v: Val<'_>) -> Json {
    match v.kind() {
        Kind::Array(items) => Json::Array(items.iter().map(doc_to_json).collect()),
        Kind::Object(m) => {
            let mut entries: Vec<(&str, Val<'_>)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), doc_to_json(v)))
                    .collect(),
            )
        }
        _ => to_json(&from_doc(v)).unwrap_or(Json::Null),
    }
}

// ---------------------------------------------------------------------------
// Evaluation.

struct Cx<'a, 's> {
    vars: &'s [(&'s str, Val<'a>)],
    locals: Vec<V<'a>>,
    /// The strings of input lists `in` looked into (by the list's
    /// [`Arr::identity`]), made on the first look: `t in
    /// params.allowed_licenses`, once per license term of every component.
    sets: foldhash::HashMap<(usize, u32, u32), foldhash::HashSet<&'a str>>,
    /// Where each field read of the program found its field last.
    hints: Vec<KeyHint>,
    /// What each loop that can remember its answers answered.
    memos: Vec<LoopMemo>,
    /// The last pattern `matches` compiled that was not a literal (those
    /// are compiled with the program), and its regex: a pattern a rule
    /// builds once and tests every component against is looked up in the
    /// process's cache once, not hashed again for each component.
    last_regex: Option<(V<'a>, Arc<regex::Regex>)>,
}

impl<'a> Cx<'a, '_> {
    /// The compiled regex of pattern `p` (a string).
    fn regex(&mut self, p: &V<'a>) -> Res<Arc<regex::Regex>> {
        if let Some((last, re)) = &self.last_regex
            && same_string(last, p)
        {
            return Ok(Arc::clone(re));
        }
        let re = super::cel_regex::compiled(p.str().ok_or(Fallback)?).map_err(|_| Fallback)?;
        self.last_regex = Some((p.clone(), Arc::clone(&re)));
        Ok(re)
    }
}

/// Whether `a` and `b` are one string in memory: the same bytes of the
/// input or the program, or the same made string (kept alive by the cache
/// that holds one of them, so its address is not reused).
fn same_string(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (V::Str(x), V::Str(y)) => std::ptr::eq(*x, *y),
        (V::OwnedStr(x), V::OwnedStr(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// A loop's answers by the [`Arr::identity`] of the array it ran over
/// ([`number_memos`]).
#[derive(Default)]
struct LoopMemo {
    answers: foldhash::HashMap<(usize, u32, u32), Res<bool>>,
    /// Answers found here rather than worked out.
    hits: usize,
    /// Set once, after [`MEMO_TRIAL`] arrays, the loop was asked again
    /// fewer times than it met a new array: no more looking up or keeping.
    off: bool,
}

/// Arrays a loop remembers before it checks that they are asked again.
const MEMO_TRIAL: usize = 256;

/// Input lists at least this long are looked into through a set of their
/// strings.
const SET_LOOKUP: usize = 8;

fn boolean(v: Res<V<'_>>) -> Res<bool> {
    match v {
        Ok(V::Bool(b)) => Ok(b),
        _ => Err(Fallback),
    }
}

fn eval<'a>(n: &'a Node, cx: &mut Cx<'a, '_>) -> Res<V<'a>> {
    match n {
        Node::Const(l) => Ok(match l {
            Lit::Null => V::Null,
            Lit::Bool(b) => V::Bool(*b),
            Lit::Int(i) => V::Int(*i),
            Lit::UInt(u) => V::UInt(*u),
            Lit::Double(f) => V::Double(*f),
            Lit::Str(s) => V::Str(s),
        }),
        Node::Input(name) => cx
            .vars
            .iter()
            .find(|(n, _)| *n == &**name)
            .map(|(_, v)| from_doc(*v))
            .ok_or(Fallback),
        Node::Local(slot) => cx.locals.get(*slot).cloned().ok_or(Fallback),
        // A field of a comprehension variable is read where the variable
        // is, without a copy of it (a built map's would count a reference).
        Node::Select(o, field) => match **o {
            Node::Local(slot) => {
                let o = cx.locals.get(slot).ok_or(Fallback)?;
                field_of(o, field, &mut cx.hints).ok_or(Fallback)
            }
            _ => {
                let o = eval(o, cx)?;
                field_of(&o, field, &mut cx.hints).ok_or(Fallback)
            }
        },
        Node::Has(..)
        | Node::And(..)
        | Node::Or(..)
        | Node::Not(_)
        | Node::Eq(..)
        | Node::Cmp(..)
        | Node::In(..)
        | Node::InStrs(..)
        | Node::Matches(..) => eval_bool(n, cx).map(V::Bool),
        Node::Index(c, i) => {
            let c = eval(c, cx)?;
            let i = eval(i, cx)?;
            if let Some(items) = c.list() {
                match i {
                    V::Int(i) => usize::try_from(i)
                        .ok()
                        .and_then(|i| items.get(i))
                        .ok_or(Fallback),
                    _ => Err(Fallback),
                }
            } else if let Some(m) = c.map() {
                i.str().and_then(|k| m.get(k)).ok_or(Fallback)
            } else {
                Err(Fallback)
            }
        }
        Node::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for x in items {
                out.push(eval(x, cx)?);
            }
            Ok(V::List(Rc::new(out)))
        }
        Node::Map(entries) => {
            let mut out: Vec<(V<'a>, V<'a>)> = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let k = eval(k, cx)?;
                let v = eval(v, cx)?;
                let key = k.str().ok_or(Fallback)?;
                if out.iter().any(|(seen, _)| seen.str() == Some(key)) {
                    return Err(Fallback);
                }
                out.push((k, v));
            }
            Ok(V::Map(Rc::new(out)))
        }
        Node::Cond(c, a, b) => {
            if eval_bool(c, cx)? {
                eval(a, cx)
            } else {
                eval(b, cx)
            }
        }
        Node::Arith(a, b, ArithOp::Add) if is_term_group(a) || is_term_group(b) => sum(n, cx),
        Node::Arith(a, b, op) => {
            let a = eval(a, cx)?;
            let b = eval(b, cx)?;
            arith(a, b, *op)
        }
        Node::Neg(a) => match eval(a, cx)? {
            V::Int(i) => i.checked_neg().map(V::Int).ok_or(Fallback),
            V::Double(f) => Ok(V::Double(-f)),
            _ => Err(Fallback),
        },
        Node::Call(f, args) => call_fn(*f, args, cx),
        Node::Loop(l) => run_loop(l, cx),
    }
}

/// Field `field` of `v` (`None`: `v` is not a map, or has no such field).
/// An object of the input is looked into where the field was found last.
fn field_of<'a>(v: &V<'a>, field: &Field, hints: &mut [KeyHint]) -> Option<V<'a>> {
    match v {
        V::Doc(val) => {
            let obj = val.as_object()?;
            match hints.get_mut(field.slot) {
                Some(hint) => obj.get_hinted(&field.name, hint),
                None => obj.get(&field.name),
            }
            .map(from_doc)
        }
        _ => v.map()?.get(&field.name),
    }
}

/// A node's value as a condition: `boolean(eval(n, cx))`, without making a
/// value of the operators that give a boolean (a condition runs once per
/// element of every `filter` and `exists`).
fn eval_bool<'a>(n: &'a Node, cx: &mut Cx<'a, '_>) -> Res<bool> {
    match n {
        Node::Has(o, field) => {
            let o = eval(o, cx)?;
            if o.map().is_none() {
                return Err(Fallback);
            }
            Ok(field_of(&o, field, &mut cx.hints).is_some())
        }
        // `false && x` is false whatever x is; `error && false` is false too.
        Node::And(a, b) => {
            let left = eval_bool(a, cx);
            if left == Ok(false) {
                return Ok(false);
            }
            match (left, eval_bool(b, cx)?) {
                (Ok(true), r) => Ok(r),
                (Err(_), false) => Ok(false),
                _ => Err(Fallback),
            }
        }
        Node::Or(a, b) => {
            let left = eval_bool(a, cx);
            if left == Ok(true) {
                return Ok(true);
            }
            match (left, eval_bool(b, cx)?) {
                (Ok(false), r) => Ok(r),
                (Err(_), true) => Ok(true),
                _ => Err(Fallback),
            }
        }
        Node::Not(a) => Ok(!eval_bool(a, cx)?),
        Node::Cond(c, a, b) => {
            if eval_bool(c, cx)? {
                eval_bool(a, cx)
            } else {
                eval_bool(b, cx)
            }
        }
        Node::Eq(a, b, negate) => {
            let a = eval(a, cx)?;
            let b = eval(b, cx)?;
            Ok(equal(&a, &b) != *negate)
        }
        Node::Cmp(a, b, op) => {
            let a = eval(a, cx)?;
            let b = eval(b, cx)?;
            let ord = compare(&a, &b)?;
            Ok(match op {
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Ge => ord != Ordering::Less,
            })
        }
        Node::In(x, c) => {
            let x = eval(x, cx)?;
            let c = eval(c, cx)?;
            // A string equals only strings: a list's other elements never
            // match it.
            if let (Some(s), V::Doc(list)) = (x.str(), &c)
                && let Some(items) = list.as_array()
                && items.len() >= SET_LOOKUP
            {
                let strings = cx.sets.entry(items.identity()).or_insert_with(|| {
                    items
                        .iter()
                        .filter_map(|v| match v.kind() {
                            Kind::Str(s) => Some(s),
                            _ => None,
                        })
                        .collect()
                });
                return Ok(strings.contains(s));
            }
            if let Some(items) = c.list() {
                Ok(items.iter().any(|i| equal(&i, &x)))
            } else if let Some(m) = c.map() {
                // Keys are strings: another key type is never found.
                match &x {
                    V::Str(_) | V::OwnedStr(_) => Ok(x.str().and_then(|k| m.get(k)).is_some()),
                    V::Int(_) | V::UInt(_) | V::Bool(_) => Ok(false),
                    _ => Err(Fallback),
                }
            } else {
                Err(Fallback)
            }
        }
        // A string list holds nothing but strings, equal only to strings.
        Node::InStrs(x, set) => Ok(eval(x, cx)?.str().is_some_and(|s| set.0.contains(s))),
        Node::Matches(s, re) => {
            let s = eval(s, cx)?;
            match (s.str(), re) {
                (Some(s), Some(re)) => Ok(re.is_match(s)),
                _ => Err(Fallback),
            }
        }
        Node::Loop(l) => loop_bool(l, cx),
        Node::Call(f @ (Func::StartsWith | Func::EndsWith | Func::Contains), args) => match &**args
        {
            [s, p] => substring_test(*f, s, p, cx),
            _ => Err(Fallback),
        },
        _ => boolean(eval(n, cx)),
    }
}

/// Evaluates the condition `body` with `item` bound as the innermost local.
fn bool_with_local<'a>(item: V<'a>, body: &'a Node, cx: &mut Cx<'a, '_>) -> Res<bool> {
    cx.locals.push(item);
    let r = eval_bool(body, cx);
    cx.locals.pop();
    r
}

fn run_loop<'a>(l: &'a Loop, cx: &mut Cx<'a, '_>) -> Res<V<'a>> {
    let range = eval(&l.range, cx)?;
    let mut keys = Vec::new();
    let (items, ordered) = range_items(&range, &mut keys)?;
    let list = |out: Vec<V<'a>>| {
        if ordered || out.len() <= 1 {
            Ok(V::List(Rc::new(out)))
        } else {
            Err(Fallback)
        }
    };
    match l.kind {
        LoopKind::Filter => {
            let guard = l.guard.as_ref().ok_or(Fallback)?;
            let mut out = Vec::new();
            for item in items.iter() {
                if bool_with_local(item.clone(), guard, cx)? {
                    out.push(item);
                }
            }
            list(out)
        }
        LoopKind::Map => {
            let mut out = Vec::with_capacity(if l.guard.is_some() { 0 } else { items.len() });
            for item in items.iter() {
                cx.locals.push(item);
                let r = (|| {
                    let keep = match &l.guard {
                        Some(g) => eval_bool(g, cx)?,
                        None => true,
                    };
                    if keep {
                        out.push(eval(&l.body, cx)?);
                    }
                    Ok(())
                })();
                cx.locals.pop();
                r?;
            }
            list(out)
        }
        LoopKind::All | LoopKind::Exists | LoopKind::ExistsOne => {
            remembered(l, items, cx).map(V::Bool)
        }
    }
}

/// Whether `n` evaluates to a list whenever it evaluates at all: a `map`
/// or `filter`, or `flatten()` of anything ([`emit`] reads these element by
/// element).
fn makes_list(n: &Node) -> bool {
    match n {
        Node::Loop(l) => matches!(l.kind, LoopKind::Map | LoopKind::Filter),
        Node::Call(Func::Flatten, args) => args.len() == 1,
        _ => false,
    }
}

/// Gives `sink` the elements of the list `n` evaluates to, each element
/// that is a list expanded `depth` levels as `flatten` does, in order; the
/// same elements and the same failures as evaluating `n` and expanding its
/// elements, but a `map`, `filter` or `flatten()` is not made into a list
/// first (nor, through `flatten()`, the lists its `map` makes).
fn emit<'a>(
    n: &'a Node,
    depth: u64,
    cx: &mut Cx<'a, '_>,
    sink: &mut dyn FnMut(V<'a>) -> Res<()>,
) -> Res<()> {
    match n {
        Node::Call(Func::Flatten, args) => match args.as_slice() {
            [list] => emit(list, depth + 1, cx, sink),
            _ => emit_elements(&eval(n, cx)?, depth, sink),
        },
        Node::Loop(l) if matches!(l.kind, LoopKind::Map | LoopKind::Filter) => {
            let range = eval(&l.range, cx)?;
            let mut keys = Vec::new();
            let (items, ordered) = range_items(&range, &mut keys)?;
            if !ordered {
                // A map's keys come in the crate's hash order: the loop
                // decides (at most one element, or the crate's to decide).
                return emit_elements(&run_loop(l, cx)?, depth, sink);
            }
            for item in items.iter() {
                if l.kind == LoopKind::Filter {
                    let guard = l.guard.as_ref().ok_or(Fallback)?;
                    if bool_with_local(item.clone(), guard, cx)? {
                        element(item, depth, sink)?;
                    }
                    continue;
                }
                cx.locals.push(item);
                let r = (|| {
                    if let Some(g) = &l.guard
                        && !eval_bool(g, cx)?
                    {
                        return Ok(());
                    }
                    if depth > 0 && makes_list(&l.body) {
                        emit(&l.body, depth - 1, cx, sink)
                    } else {
                        element(eval(&l.body, cx)?, depth, sink)
                    }
                })();
                cx.locals.pop();
                r?;
            }
            Ok(())
        }
        _ => emit_elements(&eval(n, cx)?, depth, sink),
    }
}

/// [`emit`] of a list already made.
fn emit_elements<'a>(list: &V<'a>, depth: u64, sink: &mut dyn FnMut(V<'a>) -> Res<()>) -> Res<()> {
    for item in list.list().ok_or(Fallback)?.iter() {
        element(item, depth, sink)?;
    }
    Ok(())
}

/// One element of a list for [`emit`]: itself, or when it is a list and
/// `depth` is not spent, its elements expanded one level less.
fn element<'a>(item: V<'a>, depth: u64, sink: &mut dyn FnMut(V<'a>) -> Res<()>) -> Res<()> {
    if depth > 0 && item.list().is_some() {
        emit_elements(&item, depth - 1, sink)
    } else {
        sink(item)
    }
}

/// What a comprehension runs over: a list's elements, in order (`true`), or
/// a map's keys, put in `keys` (`false`: the crate takes them in its hash
/// order, so `map` and `filter` over them are only certain when at most one
/// element comes out).
fn range_items<'s, 'a>(range: &'s V<'a>, keys: &'s mut Vec<V<'a>>) -> Res<(Items<'s, 'a>, bool)> {
    match (range.list(), range.map()) {
        (Some(items), _) => Ok((items, true)),
        (None, Some(m)) => {
            *keys = m.keys();
            Ok((Items::Vals(keys), false))
        }
        _ => Err(Fallback),
    }
}

/// A comprehension used as a condition: `all`, `exists` and `exists_one`
/// give their boolean without a value made of it.
fn loop_bool<'a>(l: &'a Loop, cx: &mut Cx<'a, '_>) -> Res<bool> {
    if matches!(l.kind, LoopKind::Map | LoopKind::Filter) {
        return boolean(run_loop(l, cx));
    }
    let range = eval(&l.range, cx)?;
    let mut keys = Vec::new();
    let (items, _) = range_items(&range, &mut keys)?;
    remembered(l, items, cx)
}

/// [`predicate_loop`], answered from the loop's memo when it has one and
/// ran over the same input array before.
fn remembered<'a>(l: &'a Loop, items: Items<'_, 'a>, cx: &mut Cx<'a, '_>) -> Res<bool> {
    let (Some(slot), Items::Doc(array)) = (l.memo, items) else {
        return predicate_loop(l, items, cx);
    };
    let key = array.identity();
    match cx.memos.get_mut(slot) {
        Some(memo) if !memo.off => {
            if let Some(answer) = memo.answers.get(&key) {
                memo.hits += 1;
                return *answer;
            }
        }
        _ => return predicate_loop(l, items, cx),
    }
    let answer = predicate_loop(l, items, cx);
    if let Some(memo) = cx.memos.get_mut(slot) {
        memo.answers.insert(key, answer);
        if memo.answers.len() >= MEMO_TRIAL && memo.hits < memo.answers.len() {
            *memo = LoopMemo {
                off: true,
                ..LoopMemo::default()
            };
        }
    }
    answer
}

/// `all`, `exists` and `exists_one` over `items` (in any order: an element
/// that decides the result wins over errors of others).
fn predicate_loop<'a>(l: &'a Loop, items: Items<'_, 'a>, cx: &mut Cx<'a, '_>) -> Res<bool> {
    match l.kind {
        LoopKind::All | LoopKind::Exists => {
            let decisive = l.kind == LoopKind::Exists;
            let mut failed = false;
            for item in items.iter() {
                match bool_with_local(item, &l.body, cx) {
                    Ok(b) if b == decisive => return Ok(decisive),
                    Ok(_) => {}
                    Err(_) => failed = true,
                }
            }
            if failed { Err(Fallback) } else { Ok(!decisive) }
        }
        LoopKind::ExistsOne => {
            let mut count = 0usize;
            for item in items.iter() {
                if bool_with_local(item, &l.body, cx)? {
                    count += 1;
                }
            }
            Ok(count == 1)
        }
        LoopKind::Map | LoopKind::Filter => Err(Fallback),
    }
}

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    U(u64),
    D(f64),
}

fn num(v: &V<'_>) -> Option<Num> {
    match v {
        V::Int(i) => Some(Num::I(*i)),
        V::UInt(u) => Some(Num::U(*u)),
        V::Double(f) => Some(Num::D(*f)),
        _ => None,
    }
}

/// The crate's numeric comparison across int, uint and double; `None` when
/// not comparable (NaN).
#[expect(
    clippy::cast_precision_loss,
    reason = "the crate compares int and double as f64, and so must we"
)]
fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::I(a), Num::I(b)) => Some(a.cmp(&b)),
        (Num::U(a), Num::U(b)) => Some(a.cmp(&b)),
        (Num::D(a), Num::D(b)) => a.partial_cmp(&b),
        (Num::I(a), Num::U(b)) => Some(u64::try_from(a).map_or(Ordering::Less, |a| a.cmp(&b))),
        (Num::U(a), Num::I(b)) => Some(i64::try_from(a).map_or(Ordering::Greater, |a| a.cmp(&b))),
        (Num::I(a), Num::D(b)) => (a as f64).partial_cmp(&b),
        (Num::D(a), Num::I(b)) => a.partial_cmp(&(b as f64)),
        (Num::U(a), Num::D(b)) => (a as f64).partial_cmp(&b),
        (Num::D(a), Num::U(b)) => a.partial_cmp(&(b as f64)),
    }
}

/// CEL equality: numbers across types, lists and maps deeply, values of
/// different kinds never equal.
fn equal(a: &V<'_>, b: &V<'_>) -> bool {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return num_cmp(x, y) == Some(Ordering::Equal);
    }
    match (a, b) {
        (V::Null, V::Null) => return true,
        (V::Bool(x), V::Bool(y)) => return x == y,
        _ => {}
    }
    if let (Some(x), Some(y)) = (a.str(), b.str()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.list(), b.list()) {
        return x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(&p, &q));
    }
    if let (Some(x), Some(y)) = (a.map(), b.map()) {
        return x.len() == y.len()
            && x.entries()
                .iter()
                .all(|(k, v)| k.str().and_then(|k| y.get(k)).is_some_and(|w| equal(v, &w)));
    }
    false
}

fn compare(a: &V<'_>, b: &V<'_>) -> Res<Ordering> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return num_cmp(x, y).ok_or(Fallback);
    }
    if let (V::Bool(x), V::Bool(y)) = (a, b) {
        return Ok(x.cmp(y));
    }
    match (a.str(), b.str()) {
        (Some(x), Some(y)) => Ok(x.cmp(y)),
        _ => Err(Fallback),
    }
}

fn arith<'a>(a: V<'a>, b: V<'a>, op: ArithOp) -> Res<V<'a>> {
    let r = match (op, &a, &b) {
        (ArithOp::Add, V::Int(x), V::Int(y)) => x.checked_add(*y).map(V::Int),
        (ArithOp::Add, V::UInt(x), V::UInt(y)) => x.checked_add(*y).map(V::UInt),
        (ArithOp::Add, V::Double(x), V::Double(y)) => Some(V::Double(x + y)),
        (ArithOp::Sub, V::Int(x), V::Int(y)) => x.checked_sub(*y).map(V::Int),
        (ArithOp::Sub, V::UInt(x), V::UInt(y)) => x.checked_sub(*y).map(V::UInt),
        (ArithOp::Sub, V::Double(x), V::Double(y)) => Some(V::Double(x - y)),
        (ArithOp::Mul, V::Int(x), V::Int(y)) => x.checked_mul(*y).map(V::Int),
        (ArithOp::Mul, V::UInt(x), V::UInt(y)) => x.checked_mul(*y).map(V::UInt),
        (ArithOp::Mul, V::Double(x), V::Double(y)) => Some(V::Double(x * y)),
        (ArithOp::Div, V::Int(x), V::Int(y)) => x.checked_div(*y).map(V::Int),
        (ArithOp::Div, V::UInt(x), V::UInt(y)) => x.checked_div(*y).map(V::UInt),
        (ArithOp::Div, V::Double(x), V::Double(y)) => Some(V::Double(x / y)),
        (ArithOp::Rem, V::Int(x), V::Int(y)) => x.checked_rem(*y).map(V::Int),
        (ArithOp::Rem, V::UInt(x), V::UInt(y)) => x.checked_rem(*y).map(V::UInt),
        (ArithOp::Add, _, _) => {
            if let (Some(x), Some(y)) = (a.str(), b.str()) {
                let mut s = String::with_capacity(x.len() + y.len());
                s.push_str(x);
                s.push_str(y);
                Some(V::owned(s))
            } else if let (Some(x), Some(y)) = (a.list(), b.list()) {
                let mut out = Vec::with_capacity(x.len() + y.len());
                out.extend(x.iter());
                out.extend(y.iter());
                Some(V::List(Rc::new(out)))
            } else {
                None
            }
        }
        _ => None,
    };
    r.ok_or(Fallback)
}

/// A sum's operand whose terms [`push_terms`] takes apart: a sum itself, or
/// a conditional (`(c.group == null ? "" : c.group + "/") + c.name`).
fn is_term_group(n: &Node) -> bool {
    matches!(n, Node::Arith(_, _, ArithOp::Add) | Node::Cond(..))
}

/// `a + b + c + ...`: strings, the usual case (a violation's message), are
/// joined into one new string instead of one per `+`, through parenthesised
/// sums and the branches conditionals take; anything else is added as the
/// expression groups it (left to right within a group). Every term is
/// evaluated first, in order: evaluation has no side effects, and any
/// failure is [`Fallback`] wherever it happens.
fn sum<'a>(n: &'a Node, cx: &mut Cx<'a, '_>) -> Res<V<'a>> {
    let mut terms = Vec::with_capacity(8);
    push_terms(n, cx, &mut terms)?;
    let strings: Option<usize> = terms.iter().map(|t| t.str().map(str::len)).sum();
    if let Some(len) = strings {
        let mut joined = String::with_capacity(len);
        for t in &terms {
            joined.push_str(t.str().unwrap_or_default());
        }
        return Ok(V::owned(joined));
    }
    add_all(terms)
}

/// `terms` added left to right.
fn add_all<'a>(terms: impl IntoIterator<Item = V<'a>>) -> Res<V<'a>> {
    let mut terms = terms.into_iter();
    let first = terms.next().ok_or(Fallback)?;
    terms.try_fold(first, |acc, v| arith(acc, v, ArithOp::Add))
}

/// Evaluates the terms of `n`, an operand of a sum, onto `out` in order.
fn push_terms<'a>(n: &'a Node, cx: &mut Cx<'a, '_>, out: &mut Vec<V<'a>>) -> Res<()> {
    match n {
        Node::Arith(a, b, ArithOp::Add) => {
            push_terms(a, cx, out)?;
            let mark = out.len();
            push_terms(b, cx, out)?;
            regroup(out, mark)
        }
        Node::Cond(c, a, b) => {
            let branch = if eval_bool(c, cx)? { a } else { b };
            let mark = out.len();
            push_terms(branch, cx, out)?;
            regroup(out, mark)
        }
        _ => {
            out.push(eval(n, cx)?);
            Ok(())
        }
    }
}

/// The terms from `mark` on are one operand (a parenthesised sum, a
/// conditional's branch). Strings stay apart, joining strings being
/// associative; otherwise they are added into one value, left to right, as
/// evaluating the operand alone would (`1 + (x + y)` may overflow where
/// `(1 + x) + y` does not; doubles round differently).
fn regroup(out: &mut Vec<V<'_>>, mark: usize) -> Res<()> {
    let tail = out.get(mark..).unwrap_or_default();
    if tail.len() <= 1 || tail.iter().all(|t| t.str().is_some()) {
        return Ok(());
    }
    let group = add_all(out.split_off(mark))?;
    out.push(group);
    Ok(())
}

/// `s.startsWith(p)`, `s.endsWith(p)` or `s.contains(p)` (`f`).
fn substring_test<'a>(f: Func, s: &'a Node, p: &'a Node, cx: &mut Cx<'a, '_>) -> Res<bool> {
    let s = string_arg(s, cx)?;
    let p = string_arg(p, cx)?;
    let (s, p) = (s.str().ok_or(Fallback)?, p.str().ok_or(Fallback)?);
    Ok(match f {
        Func::StartsWith => s.starts_with(p),
        Func::EndsWith => s.ends_with(p),
        _ => s.contains(p),
    })
}

/// The parts `s.split(sep)` gives, as slices of `s`: its characters when
/// `sep` is empty.
fn split_parts<'s>(s: &'s str, sep: &str) -> impl Iterator<Item = &'s str> {
    let chars = sep.is_empty().then(|| s.split_inclusive(|_: char| true));
    let pieces = (!sep.is_empty()).then(|| s.split(sep));
    chars
        .into_iter()
        .flatten()
        .chain(pieces.into_iter().flatten())
}

fn string_arg<'a>(n: &'a Node, cx: &mut Cx<'a, '_>) -> Res<V<'a>> {
    let v = eval(n, cx)?;
    if v.str().is_some() {
        Ok(v)
    } else {
        Err(Fallback)
    }
}

fn int_arg<'a>(n: &'a Node, cx: &mut Cx<'a, '_>) -> Res<i64> {
    match eval(n, cx)? {
        V::Int(i) => Ok(i),
        _ => Err(Fallback),
    }
}

/// The elements of a list value, copied.
fn elements<'a>(v: &V<'a>) -> Res<Vec<V<'a>>> {
    Ok(v.list().ok_or(Fallback)?.iter().collect())
}

fn flatten_into<'a>(items: Items<'_, 'a>, depth: u64, out: &mut Vec<V<'a>>) {
    for item in items.iter() {
        match item.list() {
            Some(inner) if depth > 0 => flatten_into(inner, depth - 1, out),
            _ => out.push(item),
        }
    }
}

#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "CEL's int and double conversions are these casts, range-checked as the crate does"
)]
fn call_fn<'a>(f: Func, args: &'a [Node], cx: &mut Cx<'a, '_>) -> Res<V<'a>> {
    match (f, args) {
        (Func::Size, [x]) => {
            let x = eval(x, cx)?;
            let n = if let Some(s) = x.str() {
                s.chars().count()
            } else if let Some(l) = x.list() {
                l.len()
            } else if let Some(m) = x.map() {
                m.len()
            } else {
                return Err(Fallback);
            };
            i64::try_from(n).map(V::Int).map_err(|_| Fallback)
        }
        (Func::StartsWith | Func::EndsWith | Func::Contains, [s, p]) => {
            substring_test(f, s, p, cx).map(V::Bool)
        }
        (Func::Matches, [s, p]) => {
            let s = string_arg(s, cx)?;
            let p = string_arg(p, cx)?;
            let re = cx.regex(&p)?;
            Ok(V::Bool(re.is_match(s.str().ok_or(Fallback)?)))
        }
        (Func::String, [x]) => match eval(x, cx)? {
            v @ (V::Str(_) | V::OwnedStr(_)) => Ok(v),
            V::Int(i) => Ok(V::owned(i.to_string())),
            V::UInt(u) => Ok(V::owned(u.to_string())),
            V::Bool(b) => Ok(V::owned(b.to_string())),
            // The crate formats a double with Rust's `Display`: `2.0` is `2`.
            V::Double(d) => Ok(V::owned(d.to_string())),
            _ => Err(Fallback),
        },
        (Func::Int, [x]) => match eval(x, cx)? {
            V::Int(i) => Ok(V::Int(i)),
            V::UInt(u) => i64::try_from(u).map(V::Int).map_err(|_| Fallback),
            V::Double(d) => {
                if d > i64::MIN as f64 && d < i64::MAX as f64 {
                    Ok(V::Int(d as i64))
                } else {
                    Err(Fallback)
                }
            }
            v => v
                .str()
                .and_then(|s| s.parse::<i64>().ok())
                .map(V::Int)
                .ok_or(Fallback),
        },
        (Func::Double, [x]) => match eval(x, cx)? {
            V::Int(i) => Ok(V::Double(i as f64)),
            V::UInt(u) => Ok(V::Double(u as f64)),
            V::Double(d) => Ok(V::Double(d)),
            v => v
                .str()
                .and_then(|s| s.parse::<f64>().ok())
                .map(V::Double)
                .ok_or(Fallback),
        },
        (Func::LowerAscii | Func::UpperAscii | Func::Trim, [s]) => {
            let s = string_arg(s, cx)?;
            let s = s.str().ok_or(Fallback)?;
            Ok(V::owned(match f {
                Func::LowerAscii => s.to_ascii_lowercase(),
                Func::UpperAscii => s.to_ascii_uppercase(),
                _ => s.trim().to_owned(),
            }))
        }
        (Func::Replace, [s, from, to]) => {
            let s = string_arg(s, cx)?;
            let from = string_arg(from, cx)?;
            let to = string_arg(to, cx)?;
            let (text, from, to) = (
                s.str().ok_or(Fallback)?,
                from.str().ok_or(Fallback)?,
                to.str().ok_or(Fallback)?,
            );
            // Nothing to replace: the string itself, not a copy of it.
            if !text.contains(from) {
                return Ok(s);
            }
            Ok(V::owned(text.replace(from, to)))
        }
        (Func::Split, [s, sep]) => {
            let s = string_arg(s, cx)?;
            let sep = string_arg(sep, cx)?;
            let sep = sep.str().ok_or(Fallback)?;
            // The parts of a string of the input or of the rule are slices
            // of it; only those of a string made while evaluating are copied.
            let parts: Vec<V<'a>> = match &s {
                V::Str(s) => split_parts(s, sep).map(V::Str).collect(),
                _ => split_parts(s.str().ok_or(Fallback)?, sep)
                    .map(|p| V::owned(p.to_owned()))
                    .collect(),
            };
            Ok(V::List(Rc::new(parts)))
        }
        (Func::Substring, [s, rest @ ..]) => {
            let s = string_arg(s, cx)?;
            let s = s.str().ok_or(Fallback)?;
            let len = i64::try_from(s.chars().count()).map_err(|_| Fallback)?;
            let (start, end) = match rest {
                [a] => (int_arg(a, cx)?, len),
                [a, b] => (int_arg(a, cx)?, int_arg(b, cx)?),
                _ => return Err(Fallback),
            };
            if start > end || start < 0 || start > len || end > len {
                return Err(Fallback);
            }
            let skip = usize::try_from(start).map_err(|_| Fallback)?;
            let take = usize::try_from(end - start).map_err(|_| Fallback)?;
            Ok(V::owned(s.chars().skip(skip).take(take).collect()))
        }
        (Func::Reverse, [x]) => {
            let x = eval(x, cx)?;
            if let Some(s) = x.str() {
                Ok(V::owned(s.chars().rev().collect()))
            } else {
                let mut items = elements(&x)?;
                items.reverse();
                Ok(V::List(Rc::new(items)))
            }
        }
        (Func::Join, [l, sep @ ..]) => {
            let l = eval(l, cx)?;
            let sep = match sep {
                [] => None,
                [s] => Some(string_arg(s, cx)?),
                _ => return Err(Fallback),
            };
            let sep = sep.as_ref().and_then(V::str).unwrap_or("");
            let items = l.list().ok_or(Fallback)?;
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(item.str().ok_or(Fallback)?);
            }
            Ok(V::owned(out))
        }
        (Func::Flatten, [l, depth @ ..]) => {
            let l = eval(l, cx)?;
            let depth = match depth {
                [] => 1,
                [d] => u64::try_from(int_arg(d, cx)?).map_err(|_| Fallback)?,
                _ => return Err(Fallback),
            };
            let mut out = Vec::new();
            flatten_into(l.list().ok_or(Fallback)?, depth, &mut out);
            Ok(V::List(Rc::new(out)))
        }
        (Func::Distinct, [l]) => {
            let l = eval(l, cx)?;
            let mut out: Vec<V<'a>> = Vec::new();
            for item in l.list().ok_or(Fallback)?.iter() {
                if !out.iter().any(|seen| equal(&item, seen)) {
                    out.push(item);
                }
            }
            Ok(V::List(Rc::new(out)))
        }
        (Func::Sort, [l]) => {
            let l = eval(l, cx)?;
            let mut items = elements(&l)?;
            if items.iter().all(|x| x.str().is_some()) {
                items.sort_by(|a, b| a.str().cmp(&b.str()));
            } else if items.iter().all(|x| matches!(x, V::Int(_))) {
                items.sort_by_key(|x| match x {
                    V::Int(i) => *i,
                    _ => 0,
                });
            } else {
                return Err(Fallback);
            }
            Ok(V::List(Rc::new(items)))
        }
        _ => Err(Fallback),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::backend::cel::{VARIABLES, from_cel, to_cel};
    use crate::json::Doc;
    use serde_json::json;
    use std::path::Path;

    pub(in crate::backend) fn env() -> Arc<cel::Env> {
        let mut env = cel::Env::stdlib();
        env.add_extension(cel::extensions::strings).unwrap();
        env.add_extension(cel::extensions::lists).unwrap();
        super::super::cel_regex::register(&mut env).unwrap();
        Arc::new(env)
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Outcome {
        /// The fast path answered, and as the crate did.
        Fast,
        /// The fast path gave up where the crate succeeded.
        FellBack,
        /// Both failed.
        BothFailed,
        /// `compile` said `None`.
        NotCompiled,
    }

    fn vars(input: &Doc) -> Vec<(&'static str, Val<'_>)> {
        VARIABLES
            .iter()
            .map(|n| (*n, input.root().get(n).unwrap_or(input.null())))
            .collect()
    }

    /// Runs `expr` through the crate and the fast path and checks they agree.
    fn check(env: &Arc<cel::Env>, expr: &str, input: &Json) -> Outcome {
        let program = env
            .compile(expr)
            .unwrap_or_else(|e| panic!("`{expr}` does not parse: {e}"));
        let mut ctx = cel::Context::with_env(Arc::clone(env));
        let input = &Doc::from_value(input).unwrap();
        for (name, value) in vars(input) {
            ctx.add_variable_from_value(name, to_cel(value));
        }
        let slow = program
            .execute(&ctx)
            .map_err(|e| e.to_string())
            .and_then(|v| from_cel(&v));
        let Some(fast) = compile(program.expression()) else {
            return Outcome::NotCompiled;
        };
        let fast_json = fast.eval(&vars(input));
        rule_value_agrees(&fast, &vars(input), &fast_json, expr);
        let shared = &shared_arrays(input);
        assert_eq!(
            fast.eval(&vars(shared)),
            fast_json,
            "`{expr}`: equal arrays shared in the document"
        );
        match (fast_json, slow) {
            (Ok(f), Ok(s)) => {
                assert_eq!(f, s, "`{expr}`: fast and crate differ");
                Outcome::Fast
            }
            (Ok(f), Err(e)) => panic!("`{expr}`: fast gave {f}, the crate failed: {e}"),
            (Err(Fallback), Ok(_)) => Outcome::FellBack,
            (Err(Fallback), Err(_)) => Outcome::BothFailed,
        }
    }

    /// `input` again, with each array or object that occurs more than once
    /// stored once, as the input document shares a license among the
    /// components that have it.
    fn shared_arrays(input: &Doc) -> Doc {
        use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
        use std::collections::HashMap;

        /// Each repeated container's text, with the one copy shared.
        type Repeated = HashMap<String, (usize, Arc<Json>)>;

        fn count(v: &Json, seen: &mut Repeated) {
            let children: Vec<&Json> = match v {
                Json::Array(items) => items.iter().collect(),
                Json::Object(members) => members.values().collect(),
                _ => return,
            };
            seen.entry(v.to_string())
                .or_insert_with(|| (0, Arc::new(v.clone())))
                .0 += 1;
            children.into_iter().for_each(|c| count(c, seen));
        }

        struct Shared<'a>(&'a Json, &'a Repeated);

        impl Serialize for Shared<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let Shared(value, repeated) = *self;
                if let Some((2.., one)) = repeated.get(&value.to_string()) {
                    return crate::json::doc::shared(one, s);
                }
                match value {
                    Json::Array(items) => {
                        let mut seq = s.serialize_seq(Some(items.len()))?;
                        for item in items {
                            seq.serialize_element(&Shared(item, repeated))?;
                        }
                        seq.end()
                    }
                    Json::Object(members) => {
                        let mut map = s.serialize_map(Some(members.len()))?;
                        for (k, v) in members {
                            map.serialize_entry(k, &Shared(v, repeated))?;
                        }
                        map.end()
                    }
                    other => other.serialize(s),
                }
            }
        }

        let value = doc_to_json(input.root());
        let mut repeated = Repeated::new();
        count(&value, &mut repeated);
        Doc::build(&Shared(&value, &repeated)).unwrap()
    }

    /// `eval_rule` reads what `eval` gives as a rule's result would be read.
    fn rule_value_agrees(
        fast: &FastProgram,
        vars: &[(&str, Val<'_>)],
        json: &Res<Json>,
        expr: &str,
    ) {
        let rule = fast.eval_rule(vars, "title");
        match (json, rule) {
            (Ok(Json::Bool(a)), Ok(RuleValue::Bool(b))) => assert_eq!(*a, b, "`{expr}`"),
            (Ok(Json::Array(items)), Ok(RuleValue::Violations(got))) => {
                let want = items
                    .iter()
                    .map(|v| Violation::from_value(v.clone(), "title"))
                    .collect::<Result<Vec<_>, _>>();
                assert_eq!(got, want, "`{expr}`");
                if let Ok(got) = got {
                    let serialised: Vec<Json> = got
                        .iter()
                        .map(|v| serde_json::to_value(v).unwrap())
                        .collect();
                    let mut want = items.clone();
                    for item in want.iter_mut().filter_map(Json::as_object_mut) {
                        item.entry("msg").or_insert_with(|| json!("title"));
                    }
                    for (g, w) in serialised.iter().zip(&want) {
                        match w {
                            Json::String(s) => assert_eq!(g, &json!({"msg": s}), "`{expr}`"),
                            _ => assert_eq!(g, w, "`{expr}`"),
                        }
                    }
                }
            }
            (Ok(Json::Bool(_) | Json::Array(_)), other) => {
                panic!("`{expr}`: eval_rule gave {:?}", other.map(|_| ()))
            }
            (Ok(_), Ok(RuleValue::Other))
            | (Err(Fallback), Err(Fallback) | Ok(RuleValue::Other)) => {}
            (_, other) => panic!(
                "`{expr}`: eval_rule gave {:?} for {json:?}",
                other.map(|_| ())
            ),
        }
    }

    fn input() -> Json {
        json!({
            "release": {
                "name": "demo", "version": "1.2.3", "n": 3, "big": 18446744073709551615u64,
                "f": 1.5, "neg": -2, "zero": 0, "t": true, "nul": null,
                "tags": ["a", "b", "c"], "nums": [3, 1, 2], "dup": ["a", "b", "a", "c", "b"],
                "nested": {"a": {"b": [1, 2, {"c": "deep"}]}},
                "empty": [], "emptym": {}, "uni": "ta©o©αT", "min": -9223372036854775808i64,
                "max": 9223372036854775807i64,
                "long": ["a", 1, "b", null, "c", 2.5, "d", "e", "f", true, "g", ["h"], "ü", "demo"],
                "mixed": [1, "a", null, true, 1.5, [1], {"k": "v"}],
                "lists": [[1, 2], [3, [4, 5]], 6],
                "nlist": [1, 1.0, 2, 2.5],
                "rollout": [{"stage": "s1", "tier": "fast"}, {"stage": "s2", "tier": "standard"}]
            },
            "sboms": [{"components": [
                {"name": "left-pad", "version": "1.0.0", "purl": "pkg:npm/left-pad@1.0.0", "licenses": ["MIT"]},
                {"name": "Test-x", "version": "0.0.1-SNAPSHOT", "purl": "", "licenses": []},
                {"name": "b", "version": "", "purl": "pkg:gem/b",
                 "licenses": ["GPL-3.0-only", "NOASSERTION", "LicenseRef-x", "LGPL-2.1-only"]},
                {"name": "c", "version": "2.0.0-rc.1", "purl": "pkg:cargo/c@2.0.0-rc.1",
                 "licenses": ["a", "b", "c", "d"]},
                {"name": "d", "version": "latest", "purl": "pkg:npm/d@latest", "licenses": ["Unlicense"], "extra": 1}
            ]}],
            "cost": null,
            "vulns": [],
            "params": {"max": 2, "list": ["x", "y", "fast"], "m": {"k": 1, "j": "s"}, "pat": "^[a-z]+$",
                       "bad": "(", "f": 2.5}
        })
    }

    /// Expressions the fast path must answer on [`input`], as the crate does.
    pub(in crate::backend) const FAST: &[&str] = &[
        // literals
        "true",
        "false",
        "null",
        "1",
        "-1",
        "1u",
        "1.5",
        "-0.0",
        "'s'",
        "\"d\"",
        "'©'",
        "[]",
        "[1, 'a', null, true]",
        "{}",
        "{'a': 1, 'b': [2]}",
        "{'b': 1, 'a': 2}",
        // identifiers, select, has, index
        "release",
        "release.name",
        "release.nested.a.b",
        "release.nested.a.b[2].c",
        "sboms[0].components[1].name",
        "release.nul",
        "release.big",
        "release.f",
        "has(release.name)",
        "has(release.missing)",
        "has(release.nested.a)",
        "has(params.m.k)",
        "release['name']",
        "params.m['j']",
        "release.tags[2]",
        "{'a': {'b': 1}}.a.b",
        "has({'a': 1}.a)",
        "has({'a': 1}.b)",
        "release.nested.a.b[2]['c']",
        "[[1, 2], [3]][1][0]",
        "{'k': 'v'}['k']",
        // logic
        "true && false",
        "true && true",
        "false || true",
        "false || false",
        "!true",
        "!false",
        "false && release.missing",
        "release.missing && false",
        "true || release.missing",
        "release.missing || true",
        "release.n > 1 && release.name == 'demo'",
        "false && 1",
        "1 && false",
        "true || 1",
        "1 || true",
        "true ? 1 : 2",
        "false ? 1 : 'two'",
        "release.n > 2 ? 'big' : release.missing",
        // equality
        "1 == 1",
        "1 == 1u",
        "1 == 1.0",
        "1u == 1.0",
        "1 != 2",
        "'a' == 'a'",
        "'a' == 'b'",
        "null == null",
        "null == 0",
        "'1' == 1",
        "[1, 2] == [1, 2]",
        "[1, 2] == [1.0, 2u]",
        "[1] == [1, 2]",
        "{'a': 1} == {'a': 1.0}",
        "{'a': 1} == {'b': 1}",
        "release.tags == ['a', 'b', 'c']",
        "release.nested == {'a': {'b': [1, 2, {'c': 'deep'}]}}",
        "release.emptym == {}",
        "release.empty == []",
        "true == 1",
        "release.nul == null",
        "release.big == 18446744073709551615u",
        "release.min == -9223372036854775808",
        "-1 == 18446744073709551615u",
        "release.mixed == release.mixed",
        "[null] == [null]",
        "{'a': [1]} != {'a': [2]}",
        "0.0 == -0.0",
        // ordering
        "1 < 2",
        "2 <= 2",
        "3 > 2u",
        "1.5 >= 2",
        "1u < 2.5",
        "-1 < 1u",
        "'a' < 'b'",
        "'b' <= 'a'",
        "'abc' > 'ab'",
        "true < false",
        "false < true",
        "true >= true",
        "'α' > 'z'",
        "release.n >= params.max",
        "release.big > release.max",
        // arithmetic
        "1 + 2",
        "1u + 2u",
        "1.5 + 2.5",
        "'a' + 'b'",
        "[1] + [2, 3]",
        "release.tags + ['d']",
        // sums of several operands, strings joined at once
        "'a' + release.name + '@' + release.version + ': x'",
        "1 + 2 + 3 + 4",
        "[1] + [] + release.tags + [2]",
        "1.5 + 2.0 + 0.25",
        "'a' + ('b' + 'c') + 'd'",
        // ... through parenthesised sums and the branches conditionals take,
        // keeping the grouping of anything that is not a string
        "(release.nul == null ? '' : release.nul + '/') + release.name + '@' + release.version",
        "(release.name == null ? '' : release.name + '/') + release.name + (release.t ? '!' : '?')",
        "'a' + (release.t ? 'b' + 'c' : 'd') + ('e' + ('f' + 'g'))",
        "release.max + (1 + -5)",
        "release.max + (release.t ? 1 + -1 : 2)",
        "1 + (2 + 3) + (release.t ? 4 : 5)",
        "0.1 + (0.2 + 0.3)",
        "(0.1 + 0.2) + (release.t ? 0.3 : 0.0)",
        "[1] + ([2] + release.tags) + (release.t ? [3] : [])",
        "'x' + (release.n > 2 ? release.name : release.version)",
        "5 - 7",
        "5u - 3u",
        "2 * 3",
        "2.0 * 0.5",
        "7 / 2",
        "-7 / 2",
        "7u / 2u",
        "7.0 / 2.0",
        "1.0 / 0.0",
        "7 % 3",
        "-7 % 3",
        "7u % 3u",
        "-(3)",
        "-(-2.5)",
        "release.n * release.n - 1",
        "release.name + '-' + release.version",
        // in
        "'a' in release.tags",
        "'z' in release.tags",
        "1 in [1, 2]",
        "1.0 in [1, 2]",
        "1u in [1]",
        "'name' in release",
        "'nope' in release",
        "1 in release",
        "'k' in params.m",
        "'x' in ['x', 'y']",
        "1 in ['x', 'y']",
        "null in ['x']",
        "release.name in ['demo', 'other']",
        "[1] in [[1], [2]]",
        "'k' in {'k': 1}",
        "'fast' in params.list",
        // functions
        "size('abc')",
        "size('ta©o')",
        "size(release.tags)",
        "size(release.emptym)",
        "size(release)",
        "release.tags.size()",
        "'ab'.size()",
        "{'a': 1}.size()",
        "'hello'.startsWith('he')",
        "'hello'.endsWith('lo')",
        "'hello'.contains('ell')",
        "'hello'.contains('')",
        "release.name.startsWith('x')",
        "'abc'.matches('^a')",
        "matches('abc', 'c$')",
        "'ABC'.matches('[a-z]')",
        "release.name.matches(params.pat)",
        "'é'.matches('^.$')",
        // made patterns, one kept and two taking turns
        "['^d' + 'e'].map(p, ['demo', 'x', 'de'].filter(s, s.matches(p)))",
        "['a', 'demo', 'b'].map(s, [s.matches('^' + 'd'), s.matches('b' + '$')])",
        "[params.pat, release.name, params.pat].map(p, 'demo'.matches(p))",
        "string('s')",
        "string(12)",
        "string(-3)",
        "string(3u)",
        "string(true)",
        "string(1.5)",
        "string(2.0)",
        "string(1e21)",
        "string(-0.0)",
        "string(0.1 + 0.2)",
        "string(1.0 / 0.0)",
        "string(-1.0 / 0.0)",
        "string(0.0 / 0.0)",
        "string(release.f)",
        "string(1e-7)",
        "string(123456789.125)",
        "int(5)",
        "int(5u)",
        "int(2.9)",
        "int(-2.9)",
        "int('42')",
        "int('-7')",
        "double(2)",
        "double(2u)",
        "double(1.5)",
        "double('2.5')",
        "double(release.n)",
        "'MiXeD'.lowerAscii()",
        "'MiXeD'.upperAscii()",
        "'ÄbC'.lowerAscii()",
        "'  pad '.trim()",
        "'a.b.c'.replace('.', '/')",
        "'hello'.replace('', '_')",
        "'a.b.c'.split('.')",
        "'abc'.split('')",
        "''.split(',')",
        "''.split('')",
        "'a,,b'.split(',')",
        // `in` a long input list (looked into through a set of its strings)
        "'a' in release.long",
        "'z' in release.long",
        "'h' in release.long",
        "'ü' in release.long",
        "release.name in release.long",
        "release.tags.map(t, t in release.long)",
        "1 in release.long",
        "2.5 in release.long",
        "null in release.long",
        "true in release.long",
        "['h'] in release.long",
        "['a', 'demo', 'ü'].all(x, x in release.long)",
        "['zz', 'g'].exists_one(x, x in release.long)",
        // the parts of input strings (slices) and of strings made by the rule (copies)
        "release.uni.split('')",
        "release.uni.split('©')",
        "(release.name + '-x').split('-')",
        "(release.uni + 'é').split('')",
        "release.version.split('.')[1] + release.version.split('.')[0]",
        "release.name.replace('z', 'y')",
        "release.name.replace('m', 'M')",
        "(release.name + '!').replace('?', '.')",
        "release.version.replace('.', '')",
        "release.tags.map(t, t.replace('x', 'y') + t.split('')[0])",
        "release.uni.substring(2)",
        "release.uni.substring(2, 6)",
        "'abc'.substring(3)",
        "'abc'.reverse()",
        "release.uni.reverse()",
        "[1, 2, 3].reverse()",
        "['a', 'b'].join()",
        "['a', 'b'].join(', ')",
        "[].join('-')",
        "release.tags.join('|')",
        "release.lists.flatten()",
        "release.lists.flatten(2)",
        "release.lists.flatten(0)",
        "[[1], {'a': [2]}].flatten()",
        "release.dup.distinct()",
        "release.nlist.distinct()",
        "release.nums.sort()",
        "release.dup.sort()",
        "[].sort()",
        // comprehensions
        "release.tags.all(t, t != '')",
        "release.tags.all(t, t == 'a')",
        "[].all(x, false)",
        "release.tags.exists(t, t == 'b')",
        "release.tags.exists(t, t == 'q')",
        "[].exists(x, true)",
        "release.tags.exists_one(t, t == 'b')",
        "release.dup.exists_one(t, t == 'a')",
        "release.tags.existsOne(t, t > 'a')",
        "release.nums.map(n, n * 2)",
        "release.nums.map(n, n > 1, n * 10)",
        "release.nums.filter(n, n > 1)",
        "release.tags.map(t, t + '!')",
        "release.nested.a.b.filter(x, x == 2)",
        "release.mixed.exists(x, x == 'a')",
        "release.mixed.all(x, x != 'zz')",
        "[1, 'a'].exists(x, x > 0)",
        "['a', 1].exists(x, x > 0)",
        "[1, 'a'].all(x, x > 5)",
        "release.emptym.all(k, false)",
        "params.m.all(k, k.size() == 1)",
        "params.m.exists(k, k == 'j')",
        "params.m.exists_one(k, k == 'j')",
        "release.exists(k, k == 'name')",
        "release.rollout.filter(s, !(s.tier in params.list)).map(s, {'msg': s.stage, 'tier': s.tier})",
        "release.tags.map(t, release.tags.map(u, t + u))",
        "release.tags.map(t, release.tags.filter(t, t != 'a'))",
        "[[1, 2], [3]].map(l, l.map(x, x + 1))",
        "release.nums.map(n, [n].map(m, m + n)[0])",
        "sboms.map(s, s.components.filter(c, c.version == '').map(c, c.name)).flatten()",
        "sboms[0].components.map(c, size(c.licenses)).distinct().sort()",
        "[release.tags.filter(t, t > 'a')].map(u, size(u))[0]",
        "release.tags.all(t, t in release.tags)",
        "release.filter(k, k == 'n')",
        "{'b': 1}.map(k, k)",
        "params.m.map(k, k == 'j', k + '!')",
        "release.filter(k, k == 'zz')",
        "release.tags.filter(x, x == 'a').size()",
        // lists a rule's shape makes, read element by element (`emit`)
        "sboms.map(s, s.components.map(c, {'msg': c.name, 'purl': c.purl})).flatten()",
        "sboms.map(s, s.components.filter(c, c.version != '').map(c, [c.name, [c.name]])).flatten()",
        "sboms.map(s, s.components.map(c, c.name)).flatten().flatten()",
        "release.lists.map(l, l).flatten()",
        "release.lists.map(l, l).flatten().flatten()",
        "release.lists.filter(l, true).flatten()",
        "release.nums.map(n, n > 1, [n, n]).flatten()",
        "release.nums.map(n, n > 1, {'msg': string(n)})",
        "release.nums.map(n, [[n]]).flatten()",
        "[release.nums.map(n, n)].flatten()",
        "[[1], 2, [[3]]].flatten()",
        "release.tags.map(t, {'msg': t, 'n': 1})",
        "release.tags.map(t, t == 'a' ? {'msg': t} : t)",
        "release.filter(k, k == 'n').map(k, {'msg': k})",
        "release.emptym.map(k, [k]).flatten()",
        "release.nums.flatten()",
        "release.nums.map(n, n).flatten(1)",
    ];

    /// Expressions the crate fails on [`input`]: the fast path must too.
    pub(in crate::backend) const FAILING: &[&str] = &[
        "'a' + 'b' + 1",
        "1 + 'a' + 'b'",
        "'a' + 'b' + release.missing",
        "9223372036854775807 + 1 + -5",
        "release.max + 1 + (release.t ? -1 : 0)",
        "'a' + (release.t ? 1 : 'b')",
        "'a' + (release.missing ? 'b' : 'c')",
        "'a' + (release.n ? 'b' : 'c')",
        "'a' + ('b' + 1) + 'c'",
        "1 + ('a' + 'b')",
        "release.name + (release.t ? release.missing : 'x')",
        "release.missing",
        "release.nul.x",
        "release.n.x",
        "release.tags.x",
        "nope",
        "release.tags[3]",
        "release.tags[-1]",
        "release.tags['a']",
        "release['missing']",
        "release[0]",
        "has(release.n.x)",
        "has(release.tags.x)",
        "!1",
        "1 ? 2 : 3",
        "true && 1",
        "false || 'x'",
        "release.missing && true",
        "release.missing || false",
        "1 + 'a'",
        "1 + 1u",
        "1 + 1.0",
        "'a' - 'b'",
        "[1] - [1]",
        "release.max + 1",
        "release.min - 1",
        "-release.min",
        "release.max * 2",
        "1 / 0",
        "1 % 0",
        "1u / 0u",
        "1u % 0u",
        "release.min / -1",
        "1.5 % 1.0",
        "1u - 2u",
        "-(1u)",
        "-'a'",
        "1 < 'a'",
        "'a' < 1",
        "null < null",
        "[1] < [2]",
        "0.0 / 0.0 < 1.0",
        "1 in 1",
        "'a' in 'abc'",
        "null in {'a': 1}",
        "size(1)",
        "size(null)",
        "1.size()",
        "'a'.startsWith(1)",
        "(1).startsWith('a')",
        "'a'.matches('(')",
        "'a'.matches(params.bad)",
        "matches(1, 'a')",
        "string(null)",
        "string([1])",
        "int('x')",
        "int(1e30)",
        "int(18446744073709551615u)",
        "int(null)",
        "double('x')",
        "double(null)",
        "1.lowerAscii()",
        "'abc'.substring(4)",
        "'abc'.substring(-1)",
        "'abc'.substring(2, 1)",
        "'abc'.substring(1, 9)",
        "[1, 2].join()",
        "'a'.join()",
        "[1].flatten(-1)",
        "1.flatten()",
        "release.tags.all(t, t.x)",
        "release.tags.exists(t, t.x)",
        "release.tags.all(t, 1)",
        "release.tags.exists_one(t, t.x)",
        "release.tags.exists_one(t, 1)",
        "release.tags.map(t, t.x)",
        "release.tags.filter(t, 1)",
        "release.tags.filter(t, t.x)",
        "release.tags.map(t, t.x, t)",
        "release.n.all(x, true)",
        "null.map(x, x)",
        "{'a': 1, 'a': 2}",
        "{1: 'a'}['x']",
        "release.mixed.all(x, x > 0)",
        "[1, 'a'].exists(x, x > 5)",
        "release.missing.exists(x, true)",
        "int(release.big)",
        "release.tags.exists(t, release.missing)",
        "release.tags.all(t, release.missing)",
        // failing part way through a list a rule's shape makes (`emit`)
        "release.nums.map(n, 10 / (n - 2))",
        "release.nums.map(n, [10 / (n - 2)]).flatten()",
        "release.lists.map(l, l.map(x, x + 1)).flatten()",
    ];

    /// Expressions left to the crate on [`input`], or that need only agree.
    pub(in crate::backend) const EITHER: &[&str] = &[
        // a map's keys in the crate's order: more than one is the crate's
        "params.m.map(k, [k]).flatten()",
        "1.5 in {'a': 1}",
        "string(1.5)",
        "{1: 'a'}",
        "[1, 1u].sort()",
        "[1.5, 0.5].sort()",
        "release.nlist.sort()",
        "release.map(k, k)",
        "release.filter(k, k != 'n')",
        "cel.bind(x, 1, x)",
        "optional.of(1)",
        "release.?name",
        "[?optional.none(), 1]",
        "b'abc'",
        "dyn(1)",
        "type(1)",
        "int",
        "strings.quote('a')",
        "'abc'.charAt(1)",
        "'abc'.indexOf('b')",
        "lists.range(3)",
        "[3, 1].sortBy(x, x)",
        "release.tags.slice(0, 1)",
        "'a %s'.format(['b'])",
        "'abc'.replace('b', 'x', 1)",
        "'a,b,c'.split(',', 2)",
        "1u in {'a': 1}",
        "true in {'a': 1}",
    ];

    #[test]
    fn agrees_with_the_crate_on_every_construct() {
        let env = env();
        let main = input();
        let others = [
            json!({}),
            json!({"release": null, "params": {}}),
            json!({"release": {"name": 1, "tags": "abc", "nums": [1, "x"], "n": 1.5, "emptym": [],
                               "nested": null, "rollout": [{"stage": "s", "tier": 1}]},
                   "sboms": [{"components": [{"name": null}]}], "params": {"list": {}, "max": "2"}}),
        ];
        let mut tally = std::collections::BTreeMap::<String, usize>::new();
        let mut count = |o: Outcome| *tally.entry(format!("{o:?}")).or_default() += 1;
        let mut wrong = Vec::new();
        for expr in FAST {
            let o = check(&env, expr, &main);
            if o != Outcome::Fast {
                wrong.push(format!(
                    "`{expr}` should be answered by the fast path: {o:?}"
                ));
            }
            count(o);
            for other in &others {
                let o = check(&env, expr, other);
                assert_ne!(o, Outcome::NotCompiled);
                count(o);
            }
        }
        for expr in FAILING {
            let o = check(&env, expr, &main);
            if !matches!(o, Outcome::BothFailed | Outcome::NotCompiled) {
                wrong.push(format!("`{expr}` should fail in the crate: {o:?}"));
            }
            count(o);
            for other in &others {
                count(check(&env, expr, other));
            }
        }
        for expr in EITHER {
            for input in std::iter::once(&main).chain(&others) {
                count(check(&env, expr, input));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        eprintln!(
            "{} expressions ({} answered, {} failing), {} evaluations: {tally:?}",
            FAST.len() + FAILING.len() + EITHER.len(),
            FAST.len(),
            FAILING.len(),
            tally.values().sum::<usize>()
        );
    }

    pub(in crate::backend) fn workload_rules() -> Vec<(String, String)> {
        let rules: serde_json::Map<String, Json> =
            serde_json::from_str(include_str!("../../../tests/bench/peers/cel_rules.json"))
                .unwrap();
        rules
            .into_iter()
            .map(|(id, cond)| {
                let cond = cond.as_str().unwrap().to_owned();
                (
                    id,
                    format!("sboms[0].components.filter(c, {cond}).map(c, c.name)"),
                )
            })
            .collect()
    }

    /// Components like tests/bench/peers/gen_input.py's, from a fixed seed.
    fn components(n: usize) -> Json {
        let mut seed: u64 = 42;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let types = ["npm", "pypi", "cargo", "maven", "golang", "gem"];
        let lics = [
            "MIT",
            "Apache-2.0",
            "GPL-3.0-only",
            "AGPL-3.0-only",
            "LGPL-2.1-only",
            "NOASSERTION",
            "LicenseRef-custom",
            "SSPL-1.0",
        ];
        let comps: Vec<Json> = (0..n)
            .map(|i| {
                let t = types[next(6) as usize];
                let name = match next(20) {
                    0 => format!("Test-Pkg-{i}"),
                    1 => "left-pad".to_owned(),
                    2 => format!("P{}", "x".repeat(70)),
                    _ => format!("pkg-{i}"),
                };
                let base = format!("{}.{}.{}", next(3), next(30), next(50));
                let version = match next(12) {
                    0 => String::new(),
                    1 => format!("{base}-SNAPSHOT"),
                    2 => format!("{base}-rc.1"),
                    3 => "latest".to_owned(),
                    _ => base,
                };
                let purl = match next(12) {
                    0 => String::new(),
                    1 => format!("pkg:{t}/{name}"),
                    2 => format!("pkg:other/{name}@{version}"),
                    3 => format!("foo:{t}/{name}"),
                    _ => format!("pkg:{t}/{name}@{version}"),
                };
                let k = [0, 1, 1, 1, 2, 4][next(6) as usize];
                let licenses: Vec<&str> = (0..k).map(|_| lics[next(8) as usize]).collect();
                json!({"name": name, "version": version, "purl": purl, "licenses": licenses})
            })
            .collect();
        json!({"sboms": [{"components": comps}]})
    }

    /// Random expressions from a small grammar, from a fixed seed.
    pub(in crate::backend) struct Gen(pub(in crate::backend) u64);

    impl Gen {
        fn pick(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }

        pub(in crate::backend) fn expr(&mut self, depth: usize, locals: &[&str]) -> String {
            const ATOMS: &[&str] = &[
                "0",
                "1",
                "-1",
                "2u",
                "1.5",
                "0.0",
                "'a'",
                "''",
                "'demo'",
                "null",
                "true",
                "false",
                "[]",
                "[1, 'a']",
                "['b', 'a']",
                "{'k': 1}",
                "release.name",
                "release.n",
                "release.f",
                "release.tags",
                "release.nums",
                "release.nested",
                "release.emptym",
                "release.nul",
                "release.big",
                "release.mixed",
                "release.lists",
                "release.dup",
                "params.m",
                "params.list",
                "params.max",
                "release.uni",
                "sboms[0].components",
            ];
            if depth == 0 || self.pick(4) == 0 {
                if !locals.is_empty() && self.pick(2) == 0 {
                    return locals[self.pick(locals.len())].to_owned();
                }
                return ATOMS[self.pick(ATOMS.len())].to_owned();
            }
            let d = depth - 1;
            match self.pick(9) {
                0 | 1 => {
                    const OPS: &[&str] = &[
                        "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&&", "||", "in",
                    ];
                    let op = OPS[self.pick(OPS.len())];
                    format!("({} {op} {})", self.expr(d, locals), self.expr(d, locals))
                }
                2 => match self.pick(3) {
                    0 => format!("!({})", self.expr(d, locals)),
                    1 => format!("-({})", self.expr(d, locals)),
                    _ => format!(
                        "({} ? {} : {})",
                        self.expr(d, locals),
                        self.expr(d, locals),
                        self.expr(d, locals)
                    ),
                },
                3 => {
                    const GLOBAL: &[&str] = &["size", "string", "int", "double"];
                    format!(
                        "{}({})",
                        GLOBAL[self.pick(GLOBAL.len())],
                        self.expr(d, locals)
                    )
                }
                4 | 5 => {
                    const MEMBER: &[&str] = &[
                        "size()",
                        "startsWith('a')",
                        "contains('e')",
                        "matches('^[a-d]')",
                        "lowerAscii()",
                        "split(',')",
                        "join(',')",
                        "flatten()",
                        "distinct()",
                        "sort()",
                        "reverse()",
                        "substring(1)",
                        "endsWith('o')",
                        "name",
                        "a",
                        "k",
                    ];
                    format!(
                        "({}).{}",
                        self.expr(d, locals),
                        MEMBER[self.pick(MEMBER.len())]
                    )
                }
                6 => format!("({})[{}]", self.expr(d, locals), self.expr(d, locals)),
                _ => {
                    let var = ["x", "y", "z"][locals.len().min(2)];
                    let range = self.expr(d, locals);
                    let mut inner = locals.to_vec();
                    inner.push(var);
                    let body = self.expr(d, &inner);
                    match self.pick(6) {
                        0 => format!("({range}).all({var}, {body})"),
                        1 => format!("({range}).exists({var}, {body})"),
                        2 => format!("({range}).exists_one({var}, {body})"),
                        3 => format!("({range}).filter({var}, {body})"),
                        4 => format!("({range}).map({var}, {body})"),
                        _ => {
                            let guard = self.expr(d, &inner);
                            format!("({range}).map({var}, {guard}, {body})")
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_crate_on_random_expressions() {
        let env = env();
        let inputs = [
            input(),
            json!({"release": {"name": 1, "tags": "abc", "nums": [1, "x"]}}),
        ];
        // CEL_FAST_RANDOM=n tries n expressions (and another seed) by hand.
        let n: u64 = std::env::var("CEL_FAST_RANDOM").map_or(3000, |n| n.parse().unwrap());
        let mut g = Gen(7 + n);
        let mut tally = std::collections::BTreeMap::<String, usize>::new();
        for i in 0..n {
            let expr = g.expr(3 + (i % 3) as usize, &[]);
            if env.compile(&expr).is_err() {
                *tally.entry("unparsed".to_owned()).or_default() += 1;
                continue;
            }
            for input in &inputs {
                *tally
                    .entry(format!("{:?}", check(&env, &expr, input)))
                    .or_default() += 1;
            }
        }
        eprintln!("random expressions: {tally:?}");
        assert!(tally.get("Fast").copied().unwrap_or(0) > 1000, "{tally:?}");
    }

    #[test]
    fn programs_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<FastProgram>();
    }

    #[test]
    fn the_workload_rules_are_answered_by_the_fast_path() {
        let env = env();
        let small = components(400);
        let mut others = input();
        others["sboms"][0]["components"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "x", "version": 1, "purl": null, "licenses": "MIT"}));
        for (id, expr) in workload_rules() {
            assert_eq!(check(&env, &expr, &small), Outcome::Fast, "{id}");
            assert_eq!(check(&env, &expr, &input()), Outcome::Fast, "{id}");
            // a component of the wrong shape: the crate fails, and so must we
            let o = check(&env, &expr, &others);
            assert_ne!(o, Outcome::NotCompiled, "{id}");
        }
    }

    #[test]
    fn loops_over_one_input_array_are_answered_once_for_it() {
        let env = env();
        let lists = [
            json!(["MIT"]),
            json!(["GPL-3.0-only", "MIT"]),
            json!(["Apache-2.0"]),
        ];
        let input = |license: &dyn Fn(usize) -> Json| {
            let comps: Vec<Json> = (0..600)
                .map(|i| json!({"name": format!("c{i}"), "licenses": license(i)}))
                .collect();
            json!({"sboms": [{"components": comps}]})
        };
        let run = |expr: &str, input: &Json| {
            assert_eq!(check(&env, expr, input), Outcome::Fast, "{expr}");
            let program = compile(env.compile(expr).unwrap().expression()).unwrap();
            let doc = shared_arrays(&Doc::from_value(input).unwrap());
            let v = vars(&doc);
            let mut cx = program.context(&v);
            let value = to_json(&eval(&program.root, &mut cx).unwrap()).unwrap();
            let memos: Vec<(usize, usize, bool)> = cx
                .memos
                .iter()
                .map(|m| (m.hits, m.answers.len(), m.off))
                .collect();
            (value, memos)
        };
        let gpl = "sboms[0].components.filter(c, c.licenses.exists(l, l.startsWith('GPL'))).map(c, c.name)";

        // three arrays, each shared by 200 components: worked out three times
        let (value, memos) = run(gpl, &input(&|i| lists[i % 3].clone()));
        assert_eq!(value.as_array().unwrap().len(), 200);
        assert_eq!(value[0], json!("c1"));
        assert_eq!(memos, [(597, 3, false)]);

        // every array different: the memo gives up after its trial
        let (value, memos) = run(gpl, &input(&|i| json!([format!("GPL-{i}")])));
        assert_eq!(value.as_array().unwrap().len(), 600);
        assert_eq!(memos, [(0, 0, true)]);

        // a predicate that reads an outer element is not remembered; one that
        // reads only its own element and inner ones is, whatever it is in
        let (_, memos) = run(
            "sboms[0].components.filter(c, c.licenses.exists(l, l == c.name))",
            &input(&|i| lists[i % 3].clone()),
        );
        assert!(memos.is_empty());
        let (value, memos) = run(
            "sboms[0].components.filter(c, c.licenses.all(l, [l, 'MIT'].exists(x, x == l))).size()",
            &input(&|i| lists[i % 3].clone()),
        );
        assert_eq!(value, json!(600));
        assert_eq!(memos, [(597, 3, false)]);
    }

    pub(in crate::backend) fn policies() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
    }

    #[test]
    fn the_shipped_rules_compile_and_agree_on_their_bundle_tests() {
        let env = env();
        let mut bundles: Vec<_> = std::fs::read_dir(policies())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("rules").is_dir())
            .collect();
        bundles.sort();
        let mut tally = std::collections::BTreeMap::<String, usize>::new();
        let mut rules_seen = 0;
        for bundle in bundles {
            let (params, rules) = bundle_cel_rules(&bundle);
            let rules: Vec<(String, String)> = rules
                .into_iter()
                .map(|(p, text)| (p.display().to_string(), text))
                .collect();
            for (path, text) in &rules {
                let program = env.compile(text).unwrap();
                assert!(
                    compile(program.expression()).is_some(),
                    "{path} does not compile"
                );
                rules_seen += 1;
            }
            let mut inputs = Vec::new();
            for test in std::fs::read_dir(bundle.join("tests")).unwrap() {
                let test: Json =
                    serde_json::from_str(&std::fs::read_to_string(test.unwrap().path()).unwrap())
                        .unwrap();
                for case in test["cases"].as_array().unwrap() {
                    let mut input = case["input"].clone();
                    let mut p = params.clone();
                    if let Some(over) = case.get("params").and_then(Json::as_object) {
                        for (k, v) in over {
                            p[k] = v.clone();
                        }
                    }
                    input["params"] = p;
                    inputs.push(input);
                }
            }
            for (path, text) in &rules {
                for input in &inputs {
                    let o = check(&env, text, input);
                    *tally.entry(format!("{path}: {o:?}")).or_default() += 1;
                    *tally.entry(format!("all: {o:?}")).or_default() += 1;
                }
            }
        }
        for (k, v) in &tally {
            eprintln!("{k}: {v}");
        }
        assert!(rules_seen >= 30, "{rules_seen}");
        assert!(tally.get("all: Fast").copied().unwrap_or(0) > 0);
    }

    /// By hand, in a release build:
    /// `python3 tests/bench/peers/gen_input.py 10000 > /tmp/in.json`, then
    /// `CEL_FAST_INPUT=/tmp/in.json cargo test --release -p shipgate-engine --lib cel_fast::tests::timing -- --ignored --nocapture`.
    ///
    /// With `CEL_FAST_BUNDLE=policies/sbom` it times that bundle's CEL rules
    /// (`eval_rule`, with the bundle's parameters) instead, on an input
    /// document as `check` makes it: dump one with the benchmark program,
    /// `peers check --sbom S --bundle B --iters 1 --dump-input /tmp/in.json`.
    #[test]
    #[ignore = "a measurement, run by hand"]
    fn timing() {
        let path = std::env::var("CEL_FAST_INPUT").unwrap();
        let raw: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let env = env();
        if let Ok(bundle) = std::env::var("CEL_FAST_BUNDLE") {
            return timing_bundle(&env, Path::new(&bundle), raw);
        }
        let input = json!({"sboms": [{"components": raw["components"].clone()}]});
        let rules = workload_rules();
        let compiled: Vec<_> = rules
            .iter()
            .map(|(_, e)| compile(env.compile(e).unwrap().expression()).unwrap())
            .collect();
        let doc = Doc::from_value(&input).unwrap();
        let v = vars(&doc);
        let rounds: usize = std::env::var("CEL_FAST_ROUNDS").map_or(10, |r| r.parse().unwrap());
        let mut best = vec![f64::MAX; compiled.len()];
        let mut best_total = f64::MAX;
        for _ in 0..rounds {
            let start = std::time::Instant::now();
            for (p, b) in compiled.iter().zip(&mut best) {
                let t = std::time::Instant::now();
                let r = p.eval(&v).unwrap();
                std::hint::black_box(r);
                *b = b.min(t.elapsed().as_secs_f64() * 1e3);
            }
            best_total = best_total.min(start.elapsed().as_secs_f64() * 1e3);
        }
        for ((id, _), b) in rules.iter().zip(&best) {
            eprintln!("{id}: {b:.2} ms");
        }
        eprintln!(
            "20 rules: best round {best_total:.1} ms, sum of per-rule bests {:.1} ms",
            best.iter().sum::<f64>()
        );
        // the crate, with the conversion the session does once per input
        let start = std::time::Instant::now();
        let bound = to_cel(doc.root().get("sboms").unwrap());
        let conv = start.elapsed();
        let start = std::time::Instant::now();
        for (_, e) in &rules {
            let program = env.compile(e).unwrap();
            let mut ctx = cel::Context::with_env(Arc::clone(&env));
            ctx.add_variable_from_value("sboms", bound.clone());
            program.execute(&ctx).unwrap();
        }
        eprintln!(
            "crate: conversion {:.1} ms, 20 rules {:.1} ms",
            conv.as_secs_f64() * 1e3,
            start.elapsed().as_secs_f64() * 1e3
        );
    }

    /// A bundle's parameters (as JSON) and its CEL rules (path, text), in
    /// path order.
    fn bundle_cel_rules(bundle: &Path) -> (Json, Vec<(std::path::PathBuf, String)>) {
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(bundle.join("bundle.toml")).unwrap()).unwrap();
        let params = manifest
            .get("params")
            .map(|p| serde_json::to_value(p).unwrap())
            .unwrap_or_else(|| json!({}));
        let mut rules: Vec<_> = std::fs::read_dir(bundle.join("rules"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "cel"))
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p, text)
            })
            .collect();
        rules.sort();
        (params, rules)
    }

    fn timing_bundle(env: &Arc<cel::Env>, bundle: &Path, mut input: Json) {
        let (params, rules) = bundle_cel_rules(bundle);
        input["params"] = params;
        let rules: Vec<(String, FastProgram)> = rules
            .into_iter()
            .map(|(p, text)| {
                let program = compile(env.compile(&text).unwrap().expression()).unwrap();
                (
                    p.file_stem().unwrap().to_string_lossy().into_owned(),
                    program,
                )
            })
            .collect();
        // Repeated values shared, as in the input document `check` makes.
        let doc = shared_arrays(&Doc::from_value(&input).unwrap());
        let v = vars(&doc);
        let rounds: usize = std::env::var("CEL_FAST_ROUNDS").map_or(10, |r| r.parse().unwrap());
        let mut best = vec![f64::MAX; rules.len()];
        for _ in 0..rounds {
            for ((_, p), b) in rules.iter().zip(&mut best) {
                let t = std::time::Instant::now();
                let r = p.eval_rule(&v, "title").unwrap();
                std::hint::black_box(r);
                *b = b.min(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        for ((id, _), b) in rules.iter().zip(&best) {
            eprintln!("{id}: {b:.2} ms");
        }
        eprintln!("sum of per-rule bests {:.1} ms", best.iter().sum::<f64>());
    }
}
