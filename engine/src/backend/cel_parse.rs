//! A hand-written parser for CEL, straight to [`cel_fast`](super::cel_fast)'s tree.
//!
//! The `cel` crate parses with an ANTLR grammar: parsing a bundle's dozen
//! short rules was most of a small `shipgate check`'s heap allocations and a
//! tenth of its time. This recursive-descent parser reads the same grammar
//! (cel-spec's `langdef.md`, as the crate's `CEL.g4` and its visitor have it)
//! and builds, with cel_fast's own helpers, exactly the tree that
//! `cel_fast::compile` makes of the crate's parse of the same text: literals,
//! the operators with their precedence (and the crate's balanced trees of
//! `&&` and `||` chains), selections, indexes, calls and the standard macros.
//!
//! It is a shortcut, never a second opinion: whatever it does not know for
//! certain to be the crate's reading — a syntax error, a construct outside
//! the fast evaluator's subset, a name that is not an input, bytes, escaped
//! identifiers, optional syntax, a tree deeper than cel_fast takes — it
//! answers `None`, and the caller compiles the rule with the crate exactly as
//! before (which reports errors with their positions). Differential tests
//! below hold it to the crate's trees. Its recursion is bounded by
//! [`MAX_NESTING`] and [`MAX_DEPTH`], so hostile input cannot exhaust the stack.

use super::cel::VARIABLES;
use super::cel_fast::{self, FastProgram, Field, Lit, MAX_DEPTH, Node};

/// Deepest nesting of sub-expressions (brackets, arguments, `?:` chains)
/// parsed. The crate refuses 96 levels; anything near that is left to it.
const MAX_NESTING: usize = 64;

/// Identifiers the crate refuses as names and global functions (not as
/// fields).
const RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// The macros taking a receiver and a variable (`range.all(v, p)`).
const LOOP_MACROS: &[&str] = &["all", "exists", "exists_one", "existsOne", "map", "filter"];

/// The fast program of `source`, or `None` when the crate must read it.
pub(crate) fn parse(source: &str) -> Option<FastProgram> {
    let tokens = lex(source)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        scope: Vec::new(),
        nesting: 0,
    };
    let root = parser.expr()?;
    if parser.pos != parser.tokens.len() {
        return None;
    }
    Some(FastProgram::new(root.node))
}

// ---------------------------------------------------------------------------
// Tokens.

#[derive(Debug, Clone, PartialEq)]
enum Tok<'s> {
    Ident(&'s str),
    /// Digits of an int literal, without `0x`.
    Int(&'s str, Radix),
    /// Digits of a uint literal, without `0x` and `u`.
    UInt(&'s str, Radix),
    Float(&'s str),
    Str(String),
    True,
    False,
    Null,
    In,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Dot,
    Comma,
    Question,
    Colon,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Not,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Radix {
    Dec,
    Hex,
}

impl Radix {
    fn base(self) -> u32 {
        match self {
            Radix::Dec => 10,
            Radix::Hex => 16,
        }
    }
}

/// The tokens of `src` as the crate's ANTLR lexer makes them (longest match,
/// whitespace and `//` comments skipped), or `None` for anything it would
/// refuse or that is not handled here (bytes, escaped identifiers).
fn lex(src: &str) -> Option<Vec<Tok<'_>>> {
    let bytes = src.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(b) = at(i) {
        let two = |second: u8| at(i + 1) == Some(second);
        let (tok, len) = match b {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0C => {
                i += 1;
                continue;
            }
            b'/' if two(b'/') => {
                i = src.get(i..)?.find('\n').map_or(src.len(), |n| i + n);
                continue;
            }
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b',' => (Tok::Comma, 1),
            b'?' => (Tok::Question, 1),
            b':' => (Tok::Colon, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'%' => (Tok::Percent, 1),
            b'=' if two(b'=') => (Tok::Eq, 2),
            b'!' if two(b'=') => (Tok::Ne, 2),
            b'!' => (Tok::Not, 1),
            b'<' if two(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'&' if two(b'&') => (Tok::And, 2),
            b'|' if two(b'|') => (Tok::Or, 2),
            b'.' if at(i + 1).is_some_and(|c| c.is_ascii_digit()) => number(src, i)?,
            b'.' => (Tok::Dot, 1),
            b'0'..=b'9' => number(src, i)?,
            b'"' | b'\'' => {
                let (s, len) = string(src, i, false)?;
                (Tok::Str(s), len)
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let len = bytes
                    .get(i..)?
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .unwrap_or(bytes.len() - i);
                let word = src.get(i..i + len)?;
                let quoted = matches!(at(i + len), Some(b'"' | b'\''));
                match word {
                    // A raw string: its prefix is part of the literal.
                    "r" | "R" if quoted => {
                        let (s, rest) = string(src, i + len, true)?;
                        (Tok::Str(s), len + rest)
                    }
                    // Bytes are the crate's.
                    "b" | "B" | "br" | "bR" | "Br" | "BR" if quoted => return None,
                    "true" => (Tok::True, len),
                    "false" => (Tok::False, len),
                    "null" => (Tok::Null, len),
                    "in" => (Tok::In, len),
                    _ => (Tok::Ident(word), len),
                }
            }
            // `=`, `&`, `|` alone, backquoted identifiers, anything else.
            _ => return None,
        };
        out.push(tok);
        i += len;
    }
    Some(out)
}

/// The number literal at `i` and its length: `NUM_FLOAT`, `NUM_UINT` or
/// `NUM_INT`, whichever is longest.
fn number(src: &str, i: usize) -> Option<(Tok<'_>, usize)> {
    let bytes = src.as_bytes();
    let at = |k: usize| bytes.get(k).copied();
    let digits_from = |k: usize, hex: bool| {
        (k..)
            .find(|&j| {
                !at(j).is_some_and(|c| {
                    if hex {
                        c.is_ascii_hexdigit()
                    } else {
                        c.is_ascii_digit()
                    }
                })
            })
            .unwrap_or(k)
    };
    let is_u = |k: usize| matches!(at(k), Some(b'u' | b'U'));
    if at(i) == Some(b'0') && at(i + 1) == Some(b'x') {
        let end = digits_from(i + 2, true);
        if end > i + 2 {
            let digits = src.get(i + 2..end)?;
            return Some(if is_u(end) {
                (Tok::UInt(digits, Radix::Hex), end + 1 - i)
            } else {
                (Tok::Int(digits, Radix::Hex), end - i)
            });
        }
    }
    // An exponent's length at `k`, if there is a whole one.
    let exponent = |k: usize| {
        if !matches!(at(k), Some(b'e' | b'E')) {
            return 0;
        }
        let sign = usize::from(matches!(at(k + 1), Some(b'+' | b'-')));
        let end = digits_from(k + 1 + sign, false);
        if end > k + 1 + sign { end - k } else { 0 }
    };
    let int_end = digits_from(i, false);
    let mut end = int_end;
    let mut float = false;
    if at(end) == Some(b'.') && at(end + 1).is_some_and(|c| c.is_ascii_digit()) {
        end = digits_from(end + 1, false);
        float = true;
    }
    if int_end > i || float {
        let e = exponent(end);
        if e > 0 {
            end += e;
            float = true;
        }
    }
    if float {
        return Some((Tok::Float(src.get(i..end)?), end - i));
    }
    let digits = src.get(i..end)?;
    if is_u(end) {
        return Some((Tok::UInt(digits, Radix::Dec), end + 1 - i));
    }
    Some((Tok::Int(digits, Radix::Dec), end - i))
}

/// The string literal whose opening quote is at `i`, decoded as the crate
/// does (escapes unless `raw`, a source line break as `\n`), and its length
/// from `i`.
fn string(src: &str, i: usize, raw: bool) -> Option<(String, usize)> {
    let rest = src.get(i..)?;
    let quote = rest.chars().next()?;
    let triple = match quote {
        '"' => "\"\"\"",
        _ => "'''",
    };
    let long = rest.starts_with(triple);
    let open = if long { 3 } else { 1 };
    let body = rest.get(open..)?;
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    loop {
        let (k, c) = chars.next()?;
        let closes = if long {
            body.get(k..).is_some_and(|b| b.starts_with(triple))
        } else {
            c == quote
        };
        if closes {
            let close = if long { 3 } else { 1 };
            return Some((out, open + k + close));
        }
        match c {
            '\n' | '\r' if !long => return None,
            // The crate reads `\r\n` and a lone `\r` in the source as `\n`.
            '\r' => {
                if chars.peek().is_some_and(|(_, n)| *n == '\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\\' if !raw => {
                let (_, e) = chars.next()?;
                let mut hex = |n: usize| -> Option<char> {
                    let mut v = 0u32;
                    for _ in 0..n {
                        let (_, h) = chars.next()?;
                        v = v * 16 + h.to_digit(16)?;
                    }
                    char::from_u32(v)
                };
                out.push(match e {
                    'a' => '\u{07}',
                    'b' => '\u{08}',
                    'f' => '\u{0C}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{0B}',
                    '\\' | '\'' | '"' | '`' | '?' => e,
                    'x' | 'X' => hex(2)?,
                    'u' => hex(4)?,
                    'U' => hex(8)?,
                    '0'..='3' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            let (_, o) = chars.next()?;
                            v = v * 8 + o.to_digit(8)?;
                        }
                        char::from_u32(v)?
                    }
                    _ => return None,
                });
            }
            _ => out.push(c),
        }
    }
}

// ---------------------------------------------------------------------------
// The grammar.

/// A parsed sub-expression and the height of its tree, which cel_fast caps
/// at [`MAX_DEPTH`] levels below the root.
struct Sub {
    node: Node,
    height: usize,
}

fn leaf(node: Node) -> Sub {
    Sub { node, height: 1 }
}

/// `node` over children of `heights`, unless the tree is then too deep.
fn over(node: Node, heights: impl IntoIterator<Item = usize>) -> Option<Sub> {
    let height = 1 + heights.into_iter().max().unwrap_or(0);
    (height <= MAX_DEPTH + 1).then_some(Sub { node, height })
}

fn split(subs: Vec<Sub>) -> (Vec<Node>, Vec<usize>) {
    subs.into_iter().map(|s| (s.node, s.height)).unzip()
}

/// The operator or global function `name` over `args`.
fn global(name: &str, args: Vec<Sub>) -> Option<Sub> {
    let (nodes, heights) = split(args);
    let node = cel_fast::global_call(name, nodes)?;
    match node {
        // The list's strings are not nodes: only `x` is below.
        Node::InStrs(..) => {
            let x = heights.first().copied();
            over(node, x)
        }
        _ => over(node, heights),
    }
}

struct Parser<'s> {
    tokens: Vec<Tok<'s>>,
    pos: usize,
    /// Macro variables in scope, innermost last.
    scope: Vec<&'s str>,
    /// Sub-expressions open.
    nesting: usize,
}

impl<'s> Parser<'s> {
    fn peek(&self) -> Option<&Tok<'s>> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Tok<'s>> {
        self.tokens.get(self.pos + ahead)
    }

    /// The next token, taken: the parser never reads a token twice.
    fn next(&mut self) -> Option<Tok<'s>> {
        let t = self.tokens.get_mut(self.pos).map(|t| match t {
            Tok::Str(s) => Tok::Str(std::mem::take(s)),
            other => other.clone(),
        });
        self.pos += 1;
        t
    }

    fn eat(&mut self, want: &Tok<'_>) -> bool {
        let hit = self.peek() == Some(want);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, want: &Tok<'_>) -> Option<()> {
        self.eat(want).then_some(())
    }

    /// `expr : conditionalOr ('?' conditionalOr ':' expr)?`
    fn expr(&mut self) -> Option<Sub> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return None;
        }
        let cond = self.or()?;
        let out = if self.eat(&Tok::Question) {
            let then = self.or()?;
            self.expect(&Tok::Colon)?;
            let otherwise = self.expr()?;
            global("_?_:_", vec![cond, then, otherwise])?
        } else {
            cond
        };
        self.nesting -= 1;
        Some(out)
    }

    fn or(&mut self) -> Option<Sub> {
        let mut terms = vec![self.and()?];
        while self.eat(&Tok::Or) {
            terms.push(self.and()?);
        }
        balanced("_||_", terms)
    }

    fn and(&mut self) -> Option<Sub> {
        let mut terms = vec![self.relation()?];
        while self.eat(&Tok::And) {
            terms.push(self.relation()?);
        }
        balanced("_&&_", terms)
    }

    /// One left-associative precedence level: operands from `operand`,
    /// joined by the operators `op_of` names.
    fn left_assoc(
        &mut self,
        operand: fn(&mut Self) -> Option<Sub>,
        op_of: fn(&Tok<'s>) -> Option<&'static str>,
    ) -> Option<Sub> {
        let mut left = operand(self)?;
        while let Some(op) = self.peek().and_then(op_of) {
            self.pos += 1;
            let right = operand(self)?;
            left = global(op, vec![left, right])?;
        }
        Some(left)
    }

    /// Relations share one precedence, left-associative.
    fn relation(&mut self) -> Option<Sub> {
        self.left_assoc(Self::sum, |t| match t {
            Tok::Lt => Some("_<_"),
            Tok::Le => Some("_<=_"),
            Tok::Gt => Some("_>_"),
            Tok::Ge => Some("_>=_"),
            Tok::Eq => Some("_==_"),
            Tok::Ne => Some("_!=_"),
            Tok::In => Some("@in"),
            _ => None,
        })
    }

    fn sum(&mut self) -> Option<Sub> {
        self.left_assoc(Self::product, |t| match t {
            Tok::Plus => Some("_+_"),
            Tok::Minus => Some("_-_"),
            _ => None,
        })
    }

    fn product(&mut self) -> Option<Sub> {
        self.left_assoc(Self::unary, |t| match t {
            Tok::Star => Some("_*_"),
            Tok::Slash => Some("_/_"),
            Tok::Percent => Some("_%_"),
            _ => None,
        })
    }

    /// `unary : member | '!'+ member | '-'+ member`: a run of operators
    /// applies once when odd, not at all when even. A single `-` before a
    /// number is the literal's sign (`-1` is the int -1); in a longer run
    /// every `-` is an operator (`--1` is 1).
    fn unary(&mut self) -> Option<Sub> {
        let (op, tok) = match self.peek() {
            Some(Tok::Not) => ("!_", Tok::Not),
            Some(Tok::Minus) => ("-_", Tok::Minus),
            _ => return self.member(),
        };
        let start = self.pos;
        let mut count = 0usize;
        while self.eat(&tok) {
            count += 1;
        }
        if tok == Tok::Minus
            && count == 1
            && matches!(self.peek(), Some(Tok::Int(..) | Tok::Float(_)))
        {
            self.pos = start;
            return self.member();
        }
        let operand = self.member()?;
        if count.is_multiple_of(2) {
            Some(operand)
        } else {
            global(op, vec![operand])
        }
    }

    /// `member : primary ('.' name | '.' name '(' args ')' | '[' expr ']')*`
    fn member(&mut self) -> Option<Sub> {
        let mut m = self.primary()?;
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    // Not `.?` (optional syntax) nor a keyword.
                    let Some(Tok::Ident(name)) = self.next() else {
                        return None;
                    };
                    m = if self.eat(&Tok::LParen) {
                        self.member_call(name, m)?
                    } else {
                        let Sub { node, height } = m;
                        over(Node::Select(Box::new(node), Field::new(name)), [height])?
                    };
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    let index = self.expr()?;
                    self.expect(&Tok::RBracket)?;
                    m = global("_[_]", vec![m, index])?;
                }
                _ => return Some(m),
            }
        }
    }

    /// `receiver.name(` has been read.
    fn member_call(&mut self, name: &'s str, receiver: Sub) -> Option<Sub> {
        if !LOOP_MACROS.contains(&name) {
            let args = self.args()?;
            let mut heights = vec![receiver.height];
            let (nodes, more) = split(args);
            heights.extend(more);
            let node = cel_fast::member_call(name, receiver.node, nodes)?;
            return over(node, heights);
        }
        // A macro: its variable must be a plain name, then at least one more
        // argument (with fewer, the call is no macro, and no function here).
        let (Some(Tok::Ident(var)), Some(Tok::Comma)) = (self.peek(), self.peek_at(1)) else {
            return None;
        };
        let var = *var;
        if RESERVED.contains(&var) {
            return None;
        }
        self.pos += 2;
        self.scope.push(var);
        let slot = self.scope.len() - 1;
        let args = self.args();
        self.scope.pop();
        let (nodes, heights) = split(args?);
        let node = cel_fast::macro_loop(name, receiver.node, nodes, slot)?;
        over(node, heights.into_iter().chain([receiver.height]))
    }

    /// `(expr (',' expr)*)? ')'`, the `(` read.
    fn args(&mut self) -> Option<Vec<Sub>> {
        let mut args = Vec::new();
        if self.eat(&Tok::RParen) {
            return Some(args);
        }
        loop {
            args.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                self.expect(&Tok::RParen)?;
                return Some(args);
            }
        }
    }

    fn primary(&mut self) -> Option<Sub> {
        match self.next()? {
            Tok::Ident(name) => {
                if RESERVED.contains(&name) {
                    return None;
                }
                if self.eat(&Tok::LParen) {
                    let args = self.args()?;
                    if name == "has" {
                        return has(args);
                    }
                    return global(name, args);
                }
                if let Some(slot) = self.scope.iter().rposition(|v| *v == name) {
                    return Some(leaf(Node::Local(slot)));
                }
                // Any other name is the crate's to report.
                VARIABLES
                    .contains(&name)
                    .then(|| leaf(Node::Input(name.into())))
            }
            Tok::LParen => {
                let e = self.expr()?;
                self.expect(&Tok::RParen)?;
                Some(e)
            }
            Tok::LBracket => self.list(),
            Tok::LBrace => self.map(),
            // The sign of a number literal (after `!`, or alone).
            Tok::Minus => match self.next()? {
                Tok::Int(digits, radix) => int(&format!("-{digits}"), radix),
                Tok::Float(text) => double(&format!("-{text}")),
                _ => None,
            },
            Tok::Int(digits, radix) => int(digits, radix),
            Tok::UInt(digits, radix) => u64::from_str_radix(digits, radix.base())
                .ok()
                .map(|u| leaf(Node::Const(Lit::UInt(u)))),
            Tok::Float(text) => double(text),
            Tok::Str(s) => Some(leaf(Node::Const(Lit::Str(s.into())))),
            Tok::True => Some(leaf(Node::Const(Lit::Bool(true)))),
            Tok::False => Some(leaf(Node::Const(Lit::Bool(false)))),
            Tok::Null => Some(leaf(Node::Const(Lit::Null))),
            _ => None,
        }
    }

    /// `[a, b,]`, the `[` read; `[,]` is empty.
    fn list(&mut self) -> Option<Sub> {
        let mut items = Vec::new();
        if self.eat(&Tok::Comma) {
            self.expect(&Tok::RBracket)?;
        } else if !self.eat(&Tok::RBracket) {
            loop {
                items.push(self.expr()?);
                if self.eat(&Tok::Comma) {
                    if self.eat(&Tok::RBracket) {
                        break;
                    }
                } else {
                    self.expect(&Tok::RBracket)?;
                    break;
                }
            }
        }
        let (nodes, heights) = split(items);
        over(Node::List(nodes), heights)
    }

    /// `{k: v, ...,}`, the `{` read; `{,}` is empty.
    fn map(&mut self) -> Option<Sub> {
        let mut entries = Vec::new();
        let mut heights = Vec::new();
        if self.eat(&Tok::Comma) {
            self.expect(&Tok::RBrace)?;
        } else if !self.eat(&Tok::RBrace) {
            loop {
                let k = self.expr()?;
                self.expect(&Tok::Colon)?;
                let v = self.expr()?;
                heights.extend([k.height, v.height]);
                entries.push((k.node, v.node));
                if self.eat(&Tok::Comma) {
                    if self.eat(&Tok::RBrace) {
                        break;
                    }
                } else {
                    self.expect(&Tok::RBrace)?;
                    break;
                }
            }
        }
        over(Node::Map(entries), heights)
    }
}

/// The crate's `&&` / `||` chain: a balanced tree over its terms (its
/// parser's `LogicManager`), so `a || b || c || d` is `(a || b) || (c || d)`.
fn balanced(op: &str, terms: Vec<Sub>) -> Option<Sub> {
    fn tree(op: &str, terms: &mut [Option<Sub>], lo: usize, hi: usize) -> Option<Sub> {
        let mid = (lo + hi).div_ceil(2);
        let left = if mid == lo {
            terms.get_mut(mid)?.take()?
        } else {
            tree(op, terms, lo, mid - 1)?
        };
        let right = if mid == hi {
            terms.get_mut(mid + 1)?.take()?
        } else {
            tree(op, terms, mid + 1, hi)?
        };
        global(op, vec![left, right])
    }
    if terms.len() == 1 {
        return terms.into_iter().next();
    }
    let ops = terms.len().checked_sub(1)?;
    let mut terms: Vec<Option<Sub>> = terms.into_iter().map(Some).collect();
    tree(op, &mut terms, 0, ops.checked_sub(1)?)
}

/// `has(x.f)`: anything but one selection is the crate's (an error).
fn has(args: Vec<Sub>) -> Option<Sub> {
    let [
        Sub {
            node: Node::Select(operand, field),
            height,
        },
    ] = <[Sub; 1]>::try_from(args).ok()?
    else {
        return None;
    };
    Some(Sub {
        node: Node::Has(operand, field),
        height,
    })
}

fn int(digits: &str, radix: Radix) -> Option<Sub> {
    i64::from_str_radix(digits, radix.base())
        .ok()
        .map(|i| leaf(Node::Const(Lit::Int(i))))
}

/// A double literal: the crate refuses one out of range.
fn double(text: &str) -> Option<Sub> {
    text.parse::<f64>()
        .ok()
        .filter(|d| d.is_finite())
        .map(|d| leaf(Node::Const(Lit::Double(d))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cel_fast::tests::{
        EITHER, FAILING, FAST, Gen, env, policies, workload_rules,
    };
    use std::collections::BTreeMap;

    /// How the two front ends compare on one expression.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Agreement {
        /// Both built the same tree.
        Same,
        /// The crate parses it (and cel_fast translates it when `translated`);
        /// the hand parser declined.
        Declined { translated: bool },
        /// The crate refuses it, or it names an unknown input: a load error.
        BothRefuse,
    }

    /// The crate path: its tree printed, `None` when cel_fast does not
    /// translate it; `Err` when loading the rule fails.
    fn crate_tree(env: &cel::Env, expr: &str) -> Result<Option<String>, String> {
        let program = env.compile(expr).map_err(|e| e.to_string())?;
        if let Some(name) = crate::backend::cel::unknown_name(&program) {
            return Err(format!("unknown name `{name}`"));
        }
        Ok(cel_fast::compile(program.expression()).map(|p| format!("{p:?}")))
    }

    fn agree(env: &cel::Env, expr: &str) -> Agreement {
        let ours = parse(expr).map(|p| format!("{p:?}"));
        match (crate_tree(env, expr), ours) {
            (Err(_), None) => Agreement::BothRefuse,
            (Err(e), Some(ours)) => panic!("`{expr}`: the crate refuses it ({e}), we read {ours}"),
            (Ok(t), None) => Agreement::Declined {
                translated: t.is_some(),
            },
            (Ok(Some(theirs)), Some(ours)) if theirs == ours => Agreement::Same,
            (Ok(theirs), Some(ours)) => {
                panic!("`{expr}`: the trees differ\n crate: {theirs:?}\n ours:  {ours}")
            }
        }
    }

    fn tally(
        env: &cel::Env,
        exprs: impl IntoIterator<Item = String>,
    ) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::<String, Vec<String>>::new();
        for expr in exprs {
            let a = agree(env, &expr);
            out.entry(format!("{a:?}")).or_default().push(expr);
        }
        out
    }

    fn count(t: &BTreeMap<String, Vec<String>>, key: &str) -> usize {
        t.get(key).map_or(0, Vec::len)
    }

    /// Valid syntax beyond cel_fast's cases: literals, escapes, operators,
    /// precedence, the crate's readings of `-` and `!` runs, comments.
    const SYNTAX: &[&str] = &[
        // numbers
        "0",
        "007",
        "-0",
        "0x1F",
        "0xff",
        "-0x10",
        "0x10u",
        "12u",
        "12U",
        "9223372036854775807",
        "-9223372036854775808",
        "- 9223372036854775808",
        "18446744073709551615u",
        "0xFFFFFFFFFFFFFFFFu",
        "-0x8000000000000000",
        "1.5",
        "-1.5",
        ".5",
        "-.5",
        "1e3",
        "1E3",
        "1e+3",
        "1e-3",
        "1.5e3",
        "2.5E-3",
        "-1e-400",
        "1e308",
        "0.1",
        "1.e5 == 1",
        "1.size()",
        "1.0.size()",
        "1u.size()",
        "1in[1]",
        "1uin[1u]",
        "1.5in[1.5]",
        "0x1in[1]",
        // unary runs
        "-1",
        "--1",
        "---1",
        "----1",
        "- 1",
        "- -1",
        "-(1)",
        "--(1)",
        "-(-1)",
        "-1u",
        "--1u",
        "-1.5.size()",
        "-1.size()",
        "--1.size()",
        "-1[0]",
        "-[1][0]",
        "-release.n",
        "--release.n",
        "---release.n",
        "1 - 1",
        "1 -1",
        "1-1",
        "1 - -1",
        "1--1",
        "1---1",
        "1 - - - 1",
        "!true",
        "!!true",
        "!!!true",
        "!!!!!!!!!!!!!!!!!!!!!!!true",
        "!-1",
        "!-1.5",
        "!(!true)",
        "!release.t",
        "!!release.t",
        "-1 * -2",
        "-1 + -2 * -3",
        // strings
        "''",
        "\"\"",
        "'a\"b'",
        "\"a'b\"",
        "'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"\\`\\?'",
        "\"\\\"\"",
        "'\\x41\\X42'",
        "'\\x00'",
        "'\\xff'",
        "'\\u00e9'",
        "'\\u00E9'",
        "'\\U0001F600'",
        "'\\000'",
        "'\\101\\377'",
        "'\\0123'",
        "'é©😀'",
        "'tab\there'",
        "'''triple'''",
        "\"\"\"triple\"\"\"",
        "'''a'b''c'''",
        "'''a\nb'''",
        "'''a\r\nb'''",
        "'''a\rb'''",
        "'''a\\nb'''",
        "'''a\\'''' + 'b'",
        "''''a'''",
        "\"\"\"\"a\"\"\"",
        "'''\"\"\"'''",
        "''''''",
        "r'a\\nb'",
        "R'a\\nb'",
        "r\"a\\\"",
        "r'''a\\'''",
        "r'''a\r\nb'''",
        "r\"\"\"x\"y\"\"\"",
        "'a' + 'b' + \"c\"",
        "'a'.size() + 'bc'.size()",
        "'a' < 'b'",
        "'\\\\' == \"\\\\\"",
        // whitespace and comments
        " true ",
        "\ttrue\n",
        "\u{0C}true\r\n",
        "true // comment",
        "// comment\ntrue",
        "1 + // one\n 2",
        "1 +\n2\n",
        "'//' + 'x'",
        "1 / 2",
        "1 /2",
        // precedence and associativity
        "1 + 2 * 3",
        "(1 + 2) * 3",
        "1 - 2 - 3",
        "1 - (2 - 3)",
        "8 / 4 / 2",
        "7 % 4 % 2",
        "1 * 2 + 3 * 4 - 5 / 6 % 7",
        "1 < 2 == true",
        "1 < 2 == 2 > 1",
        "1 == 1 == true",
        "'a' in ['a'] == true",
        "1 in [1] in [true]",
        "true || false && false",
        "(true || false) && false",
        "true && false || true && true",
        "true || false || true",
        "true || false || true || false",
        "true || false || true || false || true",
        "true || false || true || false || true || false || true",
        "true && true && false && true && true && true && true && true && false",
        "true ? 1 : 2",
        "true ? 1 : false ? 2 : 3",
        "true ? (false ? 1 : 2) : 3 == 3",
        "true || false ? 1 : 2",
        "(true ? 1 : 2) + 3",
        "true ? 1 + 2 : 3 * 4",
        "release.n > 1 ? 'a' : 'b'",
        // members, indexes, calls
        "release.name",
        "release .name",
        "release. name",
        "release\n.name",
        "release.nested.a.b[0]",
        "release['name']",
        "release['nested']['a']",
        "release.tags[0].size()",
        "release.as",
        "release.if == 1",
        "release.while.x",
        "release.namespace",
        "{'a': 1}.a",
        "[1, 2][0]",
        "[1, 2,]",
        "[1,]",
        "[,]",
        "{,}",
        "[ , ]",
        "{'a': 1,}",
        "{'a': 1, 'b': 2,}.b",
        "[]",
        "[[]]",
        "{}",
        "{'a': {'b': {}}}",
        "{1: 2}",
        "{true: 1, 'b': [1]}",
        "size([1, 2])",
        "size( [1, 2] )",
        "string(1)",
        "int('1')",
        "double(1)",
        "matches('a', 'a')",
        "'a'.matches('a')",
        "'a'.matches('(')",
        "'a'.matches(release.name)",
        "release.name.startsWith('d')",
        "release.name.substring(1, 2)",
        "release.tags.join(', ')",
        "release.lists.flatten(1)",
        "has(release.name)",
        "has(release.nested.a)",
        "has((release.name))",
        "has(params.m.k) && params.m.k == 1",
        "'x' in release.tags",
        "release.name in ['a', 'b', 'c', 'a']",
        "release.name in ['a', 1]",
        "release.name in []",
        "release.name in ['a', ('b')]",
        "release.name in [r'a', '''b''']",
        // macros
        "release.tags.all(t, t != '')",
        "release.tags.exists(t, t == 'a')",
        "release.tags.exists_one(t, t == 'a')",
        "release.tags.existsOne(t, t == 'a')",
        "release.tags.map(t, t + '!')",
        "release.tags.map(t, t != 'a', t + '!')",
        "release.tags.map(t, t != 'a', t)",
        "release.tags.map(t, t != 'a', (t))",
        "release.tags.map(t, t)",
        "release.tags.filter(t, t != 'a')",
        "release.tags.map(release, release)",
        "release.tags.map(t, release.tags.map(u, t + u))",
        "release.tags.map(t, release.tags.map(t, t))",
        "release.tags.map(t, release.tags.map(u, t)).flatten()",
        "release.tags.filter(t, release.tags.exists(u, u == t))",
        "release.tags.map(t, release.tags.filter(u, u != t).map(v, [t, v]))",
        "release.tags.map(_t, _t)",
        "release.tags.map(t1, t1)",
        "release.tags.all(t, t in ['a', 'b'])",
        "[1, 2].map(x, x * 2).filter(y, y > 2).size() == 1",
        "{'a': 1}.all(k, k == 'a')",
        "has(release.name) ? release.tags.exists(t, has(release.nested)) : false",
    ];

    /// Expressions the crate refuses, which the hand parser must not read.
    const INVALID: &[&str] = &[
        "",
        " ",
        "// nothing",
        "1 +",
        "+ 1",
        "1 2",
        "(1",
        "1)",
        "()",
        "[1",
        "[1,,]",
        "[,1]",
        "{'a' 1}",
        "{'a': 1,,}",
        "{'a'}",
        "0X10u == 1",
        "true ? false ? 1 : 2 : 3 == 3",
        "[,,]",
        "{,,}",
        "release.",
        "release..name",
        "release.1",
        "release.'a'",
        "release.true",
        "release.in",
        "release[]",
        "release[1",
        "size(1,)",
        "size(,)",
        "1 = 1",
        "1 & 1",
        "1 | 1",
        "1 === 1",
        "1 <> 1",
        "a ? b ? c : d : e",
        "true ? 1",
        "true ? 1 :",
        "? 1 : 2",
        "!-release.n",
        "!--1",
        "-!true",
        "-",
        "!",
        "'abc",
        "\"abc",
        "'abc\"",
        "'a\nb'",
        "'a\rb'",
        "r'a\nb'",
        "'''abc",
        "'''abc''",
        "\"\"\"abc\"\"",
        "'\\q'",
        "'\\'",
        "'\\x4'",
        "'\\x4g'",
        "'\\u00e'",
        "'\\uD800'",
        "'\\uDFFF'",
        "'\\U00110000'",
        "'\\U0000004'",
        "'\\400'",
        "'\\08'",
        "'\\0'",
        "'\\12'",
        "'\\ '",
        "'\\\n'",
        "'a' 'b'",
        "'''a''''",
        "r'a'b'",
        "0x",
        "0xg",
        "0X1",
        "1e",
        "1e+",
        "1.5.5",
        "1..5",
        "1.5u",
        "1uu",
        "1e5u",
        "1.0e999",
        "-1.0e999",
        "9223372036854775808",
        "-9223372036854775809",
        "0x8000000000000000",
        "18446744073709551616u",
        "0x10000000000000000u",
        "1abc",
        "@x",
        "#",
        "$",
        "1 ; 2",
        "`release`",
        "release.`name`",
        "release\\name",
        "release\u{00a0}== 1",
        "release == ¬1",
        "if",
        "as",
        "while == 1",
        "release.tags.map(if, 1)",
        "release.tags.map(let, let)",
        "namespace(1)",
        "size(release) + if",
        "release.tags.all(1, true)",
        "release.tags.all('t', true)",
        "release.tags.all(t.x, true)",
        "release.tags.all((t + 1), true)",
        "release.tags.map(true, 1)",
        "has(release)",
        "has(release[0])",
        "has(1)",
        "has(release.name.size())",
        "sbom",
        "size(sbom) > 0",
        "release.tags.all(t, u)",
        "release.tags.all(t, true) && t",
        "release.tags.map(t, t).map(u, t)",
        ".release",
        "x",
        "foo.bar",
        "b'\\u1234'",
        "rb'abc'",
        "ur'abc'",
        "{1, 2}",
    ];

    /// Expressions the crate reads that are left to it: outside the fast
    /// evaluator's subset, or syntax not handled here.
    const DECLINED: &[&str] = &[
        "has(release.name, release.n)",
        "release.?name",
        "release[?'name']",
        "[?release.name]",
        "{?'a': release.name}",
        "b'abc' == b'abc'",
        "B'abc'",
        "br'abc' == b'abc'",
        "release.name == 'a' && b'\\x00' != b''",
        "release.tags.sortBy(x, x)",
        "release.tags.all(k, v, v)",
        "release.tags.map(x)",
        "release.tags.exists(x, x, x)",
        "release.charAt(0)",
        "dyn(release)",
        "cel.bind(x, 1, x)",
        "release{}",
        "release.name{x: 1}",
    ];

    #[test]
    fn leaves_the_rest_to_the_crate() {
        let env = env();
        for expr in DECLINED {
            assert!(
                matches!(
                    agree(&env, expr),
                    Agreement::Declined { .. } | Agreement::BothRefuse
                ),
                "`{expr}`"
            );
            assert!(parse(expr).is_none(), "`{expr}`");
        }
    }

    #[test]
    fn reads_the_fast_evaluators_cases_as_the_crate_does() {
        let env = env();
        let exprs = FAST
            .iter()
            .chain(FAILING)
            .chain(EITHER)
            .map(|s| s.to_string());
        let t = tally(&env, exprs);
        eprintln!(
            "{}",
            t.iter()
                .map(|(k, v)| format!("{k}: {}", v.len()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for expr in FAST {
            assert_eq!(agree(&env, expr), Agreement::Same, "`{expr}`");
        }
        assert!(
            !t.contains_key("Declined { translated: true }"),
            "declined although cel_fast takes them: {:?}",
            t.get("Declined { translated: true }")
        );
        assert!(count(&t, "Same") >= FAST.len());
    }

    #[test]
    fn reads_the_syntax_cases_as_the_crate_does() {
        let env = env();
        let t = tally(&env, SYNTAX.iter().map(|s| s.to_string()));
        for (k, v) in &t {
            eprintln!("{k}: {}", v.len());
        }
        let not_same: Vec<_> = t
            .iter()
            .filter(|(k, _)| *k != "Same")
            .flat_map(|(k, v)| v.iter().map(move |e| format!("{k}: `{e}`")))
            .collect();
        assert!(not_same.is_empty(), "{}", not_same.join("\n"));
    }

    #[test]
    fn refuses_what_the_crate_refuses() {
        let env = env();
        let wrong: Vec<_> = INVALID
            .iter()
            .map(|expr| (expr, agree(&env, expr)))
            .filter(|(_, a)| *a != Agreement::BothRefuse)
            .map(|(expr, a)| format!("`{expr}`: {a:?}"))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn reads_random_expressions_as_the_crate_does() {
        let env = env();
        let n: u64 = std::env::var("CEL_PARSE_RANDOM").map_or(4000, |n| n.parse().unwrap());
        let mut g = Gen(11 + n);
        let exprs = (0..n).map(|i| g.expr(2 + (i % 4) as usize, &[]));
        let t = tally(&env, exprs);
        for (k, v) in &t {
            eprintln!("{k}: {}", v.len());
        }
        assert!(count(&t, "Same") > n as usize * 3 / 4, "{t:?}");
        assert_eq!(
            count(&t, "Declined { translated: true }"),
            0,
            "{:?}",
            t.get("Declined { translated: true }")
        );
    }

    #[test]
    fn reads_every_workload_rule() {
        let env = env();
        let rules = workload_rules();
        for (id, expr) in &rules {
            assert_eq!(agree(&env, expr), Agreement::Same, "{id}: `{expr}`");
        }
        assert_eq!(rules.len(), 20);
    }

    /// The `.cel` files under `policies/`, read now.
    fn shipped_rules() -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut dirs = vec![policies()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "cel") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path.display().to_string(), text));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn reads_every_shipped_rule() {
        let env = env();
        let rules = shipped_rules();
        for (path, text) in &rules {
            assert_eq!(agree(&env, text), Agreement::Same, "{path}");
        }
        eprintln!("{} shipped rules read", rules.len());
        assert!(rules.len() >= 40, "{}", rules.len());
    }

    /// Small edits of valid expressions (a character dropped, doubled,
    /// swapped or inserted): whatever the crate makes of them, the hand
    /// parser agrees or declines.
    #[test]
    fn agrees_on_edited_expressions() {
        let env = env();
        let mut seed: u64 = 99;
        let mut next = move |m: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % m as u64) as usize
        };
        let mut corpus: Vec<String> = FAST.iter().chain(SYNTAX).map(|s| s.to_string()).collect();
        corpus.extend(workload_rules().into_iter().map(|(_, e)| e));
        corpus.extend(shipped_rules().into_iter().map(|(_, e)| e));
        const INSERT: &[char] = &[
            '(', ')', '[', ']', '{', '}', '.', ',', '-', '!', '?', ':', '\'', '"', '\\', 'r', 'b',
            'u', 'e', 'x', '0', '1', ' ', '\n', '/', '=', '<', '&', '|', '+', '*', '%',
        ];
        let n: usize = std::env::var("CEL_PARSE_EDITS").map_or(6000, |n| n.parse().unwrap());
        let mut t = BTreeMap::<String, usize>::new();
        for _ in 0..n {
            let base = &corpus[next(corpus.len())];
            let mut chars: Vec<char> = base.chars().collect();
            let edits = 1 + next(2);
            for _ in 0..edits {
                let at = next(chars.len() + 1);
                match next(4) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 if at < chars.len() => {
                        let c = chars[at];
                        chars.insert(at, c);
                    }
                    2 if at + 1 < chars.len() => chars.swap(at, at + 1),
                    _ => chars.insert(at, INSERT[next(INSERT.len())]),
                }
            }
            let expr: String = chars.into_iter().collect();
            *t.entry(format!("{:?}", agree(&env, &expr))).or_default() += 1;
        }
        eprintln!("edited expressions: {t:?}");
        assert!(t.get("Same").copied().unwrap_or(0) > n / 10, "{t:?}");
        assert!(t.get("BothRefuse").copied().unwrap_or(0) > n / 4, "{t:?}");
    }

    /// Trees at cel_fast's depth limit: the same limit, exactly.
    #[test]
    fn stops_where_cel_fast_stops() {
        let env = env();
        let mut t = BTreeMap::<String, usize>::new();
        for n in MAX_DEPTH - 3..MAX_DEPTH + 3 {
            let chain = format!("1{}", " + 1".repeat(n));
            let ins = format!("(release.name in ['a']){}", " + 1".repeat(n));
            let has = format!("has(release.a.b){}", " + 1".repeat(n));
            let map = format!("release.tags.map(x, x){}", " + 1".repeat(n));
            let matches = format!("release.name.matches('a'){}", " + 1".repeat(n));
            for expr in [chain, ins, has, map, matches] {
                let a = agree(&env, &expr);
                assert_ne!(a, Agreement::Declined { translated: true }, "{n}: `{expr}`");
                *t.entry(format!("{a:?}")).or_default() += 1;
            }
        }
        eprintln!("{t:?}");
        assert!(t.get("Same").copied().unwrap_or(0) > 4, "{t:?}");
        assert!(
            t.get("Declined { translated: false }")
                .copied()
                .unwrap_or(0)
                > 4,
            "{t:?}"
        );
    }

    #[test]
    fn deep_input_is_declined_without_exhausting_the_stack() {
        let deep = [
            format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)),
            format!("{}true{}", "!(".repeat(10_000), ")".repeat(10_000)),
            format!("{}1{}", "-(".repeat(10_000), ")".repeat(10_000)),
            format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)),
            format!("{}1{}", "{1: ".repeat(10_000), "}".repeat(10_000)),
            format!("{}1{}", "size(".repeat(10_000), ")".repeat(10_000)),
            format!("{}1", "true ? 1 : ".repeat(10_000)),
            format!("release{}", ".a".repeat(20_000)),
            format!("release{}", "[0]".repeat(20_000)),
            format!("1{}", " + 1".repeat(20_000)),
            format!("release.tags{}", ".map(x, x)".repeat(10_000)),
            format!("{}(", "(".repeat(100_000)),
        ];
        for expr in &deep {
            assert!(parse(expr).is_none(), "{}", expr.get(..40).unwrap_or(expr));
        }
        // Long but shallow: the crate's balanced trees.
        let ors = format!("release.t{}", " || release.t".repeat(20_000));
        assert!(parse(&ors).is_some());
        let nots = format!("{}true", "!".repeat(10_000));
        assert!(parse(&nots).is_some());
    }
}
