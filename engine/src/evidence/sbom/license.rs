//! SPDX license expressions, parsed once into the shape rules need.
//!
//! A rule asks two questions of a component's license: "does any id on my
//! deny list appear?" (answered by `ids`) and "can the release pick a set of
//! licenses that are all allowed?" (answered by `alternatives`, the expression
//! in disjunctive normal form). Computing the normal form here, once, keeps
//! Rego and CEL rules to simple set tests, and makes `OR`/`AND` precedence an
//! engine concern instead of something every rule author gets wrong.
//!
//! Parsing uses the `spdx` crate in its lax mode, because real SBOMs carry
//! deprecated ids (`GPL-2.0`), `/` for `OR` and imprecise names that it maps to
//! their SPDX id. Terms are written as the crate displays them: an or-later
//! `+` on a GNU license becomes its `-or-later` id (`GPL-2.0+` →
//! `GPL-2.0-or-later`), on any other license it stays a `+` suffix
//! (`Apache-1.0+`). `ids` hold bare identifiers, without the `+`, so a deny
//! list of ids also catches their or-later forms.

use spdx::expression::{ExprNode, Operator};
use spdx::{Expression, LicenseItem, LicenseReq, ParseMode};

use super::model::License;

/// Most alternatives the normal form may have. `AND` of `OR`s grows
/// exponentially (`(A OR B) AND (C OR D) AND ...`): past this, listing them
/// helps no rule and costs memory, so `alternatives` is left empty.
pub const MAX_ALTERNATIVES: usize = 256;

/// Parses an SPDX license expression (lax mode, see the module docs).
///
/// Fills `expression` (as given), `valid`, `ids` and `exceptions` (sorted,
/// deduplicated) and `alternatives` (disjunctive normal form, each alternative
/// a sorted list of terms `ID` or `ID WITH EXCEPTION`, the list sorted and
/// deduplicated). An invalid expression gives `valid: false` and empty lists.
/// A valid one whose normal form exceeds [`MAX_ALTERNATIVES`] keeps its ids but
/// has no `alternatives` (see [`alternatives_truncated`]).
///
/// `NOASSERTION` is on the crate's license list and parses as an id; the SBOM
/// loaders treat it (and `NONE`) as "no license information" before calling
/// this, as SPDX defines them.
pub fn parse_license_expression(expr: &str) -> License {
    let mut license = License {
        expression: Some(expr.to_owned()),
        ..License::default()
    };
    let Ok(parsed) = Expression::parse_mode(expr, ParseMode::LAX) else {
        return license;
    };
    license.valid = true;
    for req in parsed.requirements() {
        license.ids.push(license_id(&req.req.license));
        if let Some(exception) = &req.req.addition {
            license.exceptions.push(exception.to_string());
        }
    }
    license.ids.sort_unstable();
    license.ids.dedup();
    license.exceptions.sort_unstable();
    license.exceptions.dedup();
    license.alternatives = normal_form(&parsed).unwrap_or_default();
    license
}

/// Whether a license parsed as valid but has too many alternatives to list.
pub fn alternatives_truncated(license: &License) -> bool {
    license.valid && license.alternatives.is_empty()
}

/// Why an expression does not parse, for diagnostics: the reason and, when
/// the crate points at one, the offending part.
pub fn parse_error(text: &str) -> Option<String> {
    let e = Expression::parse_mode(text, ParseMode::LAX).err()?;
    Some(
        match text.get(e.span.clone()).filter(|s| !s.trim().is_empty()) {
            Some(part) => format!("{} `{part}`", e.reason),
            None => e.reason.to_string(),
        },
    )
}

fn license_id(item: &LicenseItem) -> String {
    match item {
        LicenseItem::Spdx { id, .. } => id.name.to_owned(),
        LicenseItem::Other(_) => item.to_string(),
    }
}

fn term(req: &LicenseReq) -> String {
    req.to_string()
}

/// One alternative: a sorted, deduplicated set of terms.
type Alternative = Vec<String>;

/// The disjunctive normal form of a parsed expression, `None` when it has more
/// than [`MAX_ALTERNATIVES`] alternatives.
///
/// The crate hands the expression over in postfix order, so a stack machine
/// builds the normal form bottom-up: a requirement is one alternative of one
/// term, `OR` concatenates alternatives, `AND` takes their cross product.
/// `None` on the stack marks an operand that already overflowed; anything
/// built from it overflows too, without computing it.
fn normal_form(expr: &Expression) -> Option<Vec<Alternative>> {
    let mut stack: Vec<Option<Vec<Alternative>>> = Vec::new();
    for node in expr.iter() {
        let next = match node {
            ExprNode::Req(req) => Some(vec![vec![term(&req.req)]]),
            ExprNode::Op(op) => {
                // A well-formed postfix sequence always has two operands here;
                // if the crate ever handed over less, give up on the normal
                // form rather than invent one.
                let right = stack.pop()?;
                let left = stack.pop()?;
                combine(*op, left, right)
            }
        };
        stack.push(next);
    }
    let mut alternatives = stack.pop()??;
    for alternative in &mut alternatives {
        alternative.sort_unstable();
        alternative.dedup();
    }
    alternatives.sort_unstable();
    alternatives.dedup();
    Some(alternatives)
}

fn combine(
    op: Operator,
    left: Option<Vec<Alternative>>,
    right: Option<Vec<Alternative>>,
) -> Option<Vec<Alternative>> {
    let (mut left, right) = (left?, right?);
    match op {
        Operator::Or => {
            if left.len() + right.len() > MAX_ALTERNATIVES {
                return None;
            }
            left.extend(right);
            Some(left)
        }
        Operator::And => {
            if left.len().saturating_mul(right.len()) > MAX_ALTERNATIVES {
                return None;
            }
            let mut out = Vec::with_capacity(left.len() * right.len());
            for l in &left {
                for r in &right {
                    let mut both = Vec::with_capacity(l.len() + r.len());
                    both.extend(l.iter().cloned());
                    both.extend(r.iter().cloned());
                    both.sort_unstable();
                    both.dedup();
                    out.push(both);
                }
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alts(expr: &str) -> Vec<Vec<String>> {
        parse_license_expression(expr).alternatives
    }

    fn v(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter()
            .map(|a| a.iter().map(|s| (*s).to_owned()).collect())
            .collect()
    }

    #[test]
    fn single_id() {
        let l = parse_license_expression("MIT");
        assert!(l.valid);
        assert_eq!(l.expression.as_deref(), Some("MIT"));
        assert_eq!(l.ids, ["MIT"]);
        assert_eq!(l.alternatives, v(&[&["MIT"]]));
        assert!(l.exceptions.is_empty());
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            alts("MIT OR Apache-2.0 AND BSD-3-Clause"),
            v(&[&["Apache-2.0", "BSD-3-Clause"], &["MIT"]])
        );
        assert_eq!(
            alts("MIT OR (Apache-2.0 AND BSD-3-Clause)"),
            v(&[&["Apache-2.0", "BSD-3-Clause"], &["MIT"]])
        );
        assert_eq!(
            alts("(MIT OR Apache-2.0) AND BSD-3-Clause"),
            v(&[&["Apache-2.0", "BSD-3-Clause"], &["BSD-3-Clause", "MIT"]])
        );
    }

    #[test]
    fn distributes_and_over_or() {
        assert_eq!(
            alts("(MIT OR ISC) AND (Apache-2.0 OR Zlib)"),
            v(&[
                &["Apache-2.0", "ISC"],
                &["Apache-2.0", "MIT"],
                &["ISC", "Zlib"],
                &["MIT", "Zlib"],
            ])
        );
    }

    #[test]
    fn dedups_terms_and_alternatives() {
        let l = parse_license_expression("MIT AND MIT OR MIT");
        assert_eq!(l.ids, ["MIT"]);
        assert_eq!(l.alternatives, v(&[&["MIT"]]));
    }

    #[test]
    fn with_exception_is_one_term() {
        let l = parse_license_expression("GPL-2.0-only WITH Classpath-exception-2.0 OR MIT");
        assert!(l.valid);
        assert_eq!(l.ids, ["GPL-2.0-only", "MIT"]);
        assert_eq!(l.exceptions, ["Classpath-exception-2.0"]);
        assert_eq!(
            l.alternatives,
            v(&[&["GPL-2.0-only WITH Classpath-exception-2.0"], &["MIT"]])
        );
    }

    #[test]
    fn license_refs_are_kept_as_written() {
        let l = parse_license_expression("LicenseRef-Acme-Proprietary AND MIT");
        assert_eq!(l.ids, ["LicenseRef-Acme-Proprietary", "MIT"]);
        let l = parse_license_expression("DocumentRef-other:LicenseRef-x");
        assert_eq!(l.ids, ["DocumentRef-other:LicenseRef-x"]);
    }

    #[test]
    fn or_later() {
        // GNU licenses: the crate maps `+` to the `-or-later` id.
        let l = parse_license_expression("GPL-2.0+");
        assert!(l.valid);
        assert_eq!(l.ids, ["GPL-2.0-or-later"]);
        assert_eq!(l.alternatives, v(&[&["GPL-2.0-or-later"]]));
        // Others keep the `+` in the term, not in the id.
        let l = parse_license_expression("Apache-1.0+");
        assert_eq!(l.ids, ["Apache-1.0"]);
        assert_eq!(l.alternatives, v(&[&["Apache-1.0+"]]));
    }

    #[test]
    fn lax_syntax_is_accepted() {
        let l = parse_license_expression("MIT/Apache-2.0");
        assert!(l.valid);
        assert_eq!(l.alternatives, v(&[&["Apache-2.0"], &["MIT"]]));
        // Deprecated ids appear in real SBOMs.
        assert!(parse_license_expression("GPL-3.0 OR GPL-2.0").valid);
    }

    #[test]
    fn invalid_expressions() {
        for bad in ["", "MIT OR", "Not A License", "MIT AND (Apache-2.0", "NONE"] {
            let l = parse_license_expression(bad);
            assert!(!l.valid, "{bad:?} parsed");
            assert!(l.ids.is_empty() && l.alternatives.is_empty());
            assert_eq!(l.expression.as_deref(), Some(bad));
            assert!(parse_error(bad).is_some());
        }
    }

    #[test]
    fn huge_normal_form_is_truncated() {
        // 2^9 = 512 alternatives.
        let expr = (0..9)
            .map(|i| format!("(MIT OR LicenseRef-{i})"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let l = parse_license_expression(&expr);
        assert!(l.valid);
        assert!(alternatives_truncated(&l));
        assert_eq!(l.ids.len(), 10);
        // 2^8 = 256 still fits.
        let expr = (0..8)
            .map(|i| format!("(MIT OR LicenseRef-{i})"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let l = parse_license_expression(&expr);
        assert_eq!(l.alternatives.len(), 256);
    }
}
