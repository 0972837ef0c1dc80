//! Version orderings: SemVer 2.0, PEP 440, Maven, NuGet, RubyGems and Composer.
//!
//! OSV `ECOSYSTEM` ranges are only meaningful with the ecosystem's own
//! ordering: `1.0.0rc1 < 1.0.0` in PyPI, `1.0-SNAPSHOT < 1.0 < 1.0-1` in Maven,
//! `1.0.a < 1.0` in RubyGems. Each scheme parses a version into a key whose
//! derived `Ord` is that ordering, so a range's events are parsed once and
//! compared many times. A string a scheme cannot parse is `None`: the caller
//! reports the range as unevaluable instead of guessing.
//!
//! Numbers are kept as digit strings (compared by length, then text) so that
//! date-like or very long components never overflow.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

/// A version ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// SemVer 2.0 precedence, read leniently: a leading `v`, any number of
    /// numeric parts (missing ones are 0), build metadata ignored.
    Semver,
    /// Python's PEP 440 (epochs, pre-, post-, dev- and local releases).
    Pep440,
    /// Maven's `ComparableVersion`.
    Maven,
    /// NuGet: SemVer with four numeric parts and case-insensitive labels.
    Nuget,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// Composer (Packagist): PHP's `version_compare` over versions whose
    /// leading numeric part is padded to four numbers, as Composer normalizes them.
    Packagist,
}

impl Scheme {
    /// The ordering OSV `ECOSYSTEM` ranges of `ecosystem` (without its `:suffix`)
    /// use, when shipgate implements it.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        match ecosystem {
            // npm, Cargo, Go modules, Hex and Pub all version by SemVer.
            "npm" | "crates.io" | "Go" | "Hex" | "Pub" => Some(Scheme::Semver),
            "PyPI" => Some(Scheme::Pep440),
            "Maven" => Some(Scheme::Maven),
            "NuGet" => Some(Scheme::Nuget),
            "RubyGems" => Some(Scheme::RubyGems),
            "Packagist" => Some(Scheme::Packagist),
            _ => None,
        }
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Semver => "SemVer",
            Scheme::Pep440 => "PEP 440",
            Scheme::Maven => "Maven",
            Scheme::Nuget => "NuGet",
            Scheme::RubyGems => "RubyGems",
            Scheme::Packagist => "Packagist",
        }
    }

    /// Parses `text` in this scheme.
    pub fn parse(self, text: &str) -> Option<Version> {
        let text = text.trim();
        match self {
            Scheme::Semver => semver(text, false).map(Version::Semver),
            Scheme::Nuget => semver(text, true).map(Version::Semver),
            Scheme::Pep440 => pep440(text).map(Version::Pep440),
            Scheme::Maven => maven(text).map(Version::Maven),
            Scheme::RubyGems => gem(text).map(Version::Gem),
            Scheme::Packagist => php(text).map(Version::Php),
        }
    }

    /// Compares two version strings; `None` when either does not parse.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        Some(self.parse(a)?.cmp(&self.parse(b)?))
    }
}

/// A parsed version. Versions of different schemes are never compared with
/// each other (the derived order puts them in variant order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// SemVer or NuGet.
    Semver(SemverKey),
    /// PEP 440.
    Pep440(Pep440Key),
    /// Maven.
    Maven(MavenList),
    /// RubyGems.
    Gem(Vec<GemSegment>),
    /// Packagist.
    Php(Vec<PhpPart>),
}

/// A non-negative integer of any length: digits without leading zeros,
/// ordered by length, then text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Num(String);

impl Num {
    fn parse(digits: &str) -> Option<Num> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        Some(Num(trimmed.to_owned()))
    }

    fn zero() -> Num {
        Num(String::new())
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Drops trailing zeros so that `1.0` and `1.0.0` compare equal.
fn trim_zeros(mut parts: Vec<Num>) -> Vec<Num> {
    while parts.last().is_some_and(Num::is_zero) {
        parts.pop();
    }
    parts
}

// ---- SemVer ------------------------------------------------------------------

/// SemVer precedence key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SemverKey {
    release: Vec<Num>,
    pre: PreRelease,
}

/// A pre-release sorts before the release it precedes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreRelease {
    Some(Vec<PreIdent>),
    None,
}

/// Numeric identifiers sort before alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreIdent {
    Numeric(Num),
    Text(String),
}

fn semver(text: &str, fold_case: bool) -> Option<SemverKey> {
    let text = text
        .strip_prefix('v')
        .or_else(|| text.strip_prefix('V'))
        .unwrap_or(text);
    // Build metadata does not take part in precedence.
    let text = text.split_once('+').map_or(text, |(v, _)| v);
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let release: Vec<Num> = core.split('.').map(Num::parse).collect::<Option<_>>()?;
    let pre = match pre {
        None => PreRelease::None,
        Some(pre) => {
            let idents = pre
                .split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        None
                    } else if id.bytes().all(|b| b.is_ascii_digit()) {
                        Num::parse(id).map(PreIdent::Numeric)
                    } else if fold_case {
                        Some(PreIdent::Text(id.to_ascii_lowercase()))
                    } else {
                        Some(PreIdent::Text(id.to_owned()))
                    }
                })
                .collect::<Option<Vec<_>>>()?;
            PreRelease::Some(idents)
        }
    };
    Some(SemverKey {
        release: trim_zeros(release),
        pre,
    })
}

// ---- PEP 440 -------------------------------------------------------------------

/// PEP 440 sort key, as `packaging.version` builds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pep440Key {
    epoch: Num,
    release: Vec<Num>,
    pre: PepPre,
    post: Option<Num>,
    dev: PepDev,
    local: Option<Vec<LocalSegment>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PepPre {
    /// A dev release of a final release (`1.0.dev1`) sorts before its pre-releases.
    DevOnly,
    /// `a` < `b` < `rc`, then the number.
    Pre(u8, Num),
    /// No pre-release.
    Final,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PepDev {
    Dev(Num),
    None,
}

/// Alphanumeric local segments sort before numeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalSegment {
    Text(String),
    Numeric(Num),
}

fn pep440_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        // PEP 440, appendix B (the canonical regular expression), lowercase input.
        Regex::new(
            r"^v?(?:(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)(?P<pre>[-_\.]?(?P<pre_l>alpha|beta|preview|pre|a|b|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?)(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$",
        )
        .ok()
    })
    .as_ref()
}

fn pep440(text: &str) -> Option<Pep440Key> {
    let lower = text.to_ascii_lowercase();
    let caps = pep440_regex()?.captures(&lower)?;
    let num = |name: &str| caps.name(name).and_then(|m| Num::parse(m.as_str()));
    let epoch = num("epoch").unwrap_or_else(Num::zero);
    let release = caps
        .name("release")?
        .as_str()
        .split('.')
        .map(Num::parse)
        .collect::<Option<Vec<_>>>()?;
    let has_pre = caps.name("pre").is_some();
    let has_post = caps.name("post").is_some();
    let has_dev = caps.name("dev").is_some();
    let pre = if has_pre {
        let rank = match caps.name("pre_l").map(|m| m.as_str()) {
            Some("a" | "alpha") => 0,
            Some("b" | "beta") => 1,
            _ => 2, // c, rc, pre, preview
        };
        PepPre::Pre(rank, num("pre_n").unwrap_or_else(Num::zero))
    } else if !has_post && has_dev {
        PepPre::DevOnly
    } else {
        PepPre::Final
    };
    let post = has_post.then(|| {
        num("post_n1")
            .or_else(|| num("post_n2"))
            .unwrap_or_else(Num::zero)
    });
    let dev = if has_dev {
        PepDev::Dev(num("dev_n").unwrap_or_else(Num::zero))
    } else {
        PepDev::None
    };
    let local = caps.name("local").map(|m| {
        m.as_str()
            .split(['-', '_', '.'])
            .map(|seg| match Num::parse(seg) {
                Some(n) => LocalSegment::Numeric(n),
                None => LocalSegment::Text(seg.to_owned()),
            })
            .collect()
    });
    Some(Pep440Key {
        epoch,
        release: trim_zeros(release),
        pre,
        post,
        dev,
        local,
    })
}

// ---- Maven ---------------------------------------------------------------------

/// A Maven `ComparableVersion` list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MavenItem {
    /// A number.
    Int(Num),
    /// A qualifier (aliases resolved: `ga`, `final`, `release` are ``; `cr` is `rc`;
    /// `a1`, `b1`, `m1` are `alpha`, `beta`, `milestone`).
    Str(String),
    /// A sub-list (after `-`, or at a digit/letter switch).
    List(MavenList),
}

/// A Maven version: a list of items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenList(Vec<MavenItem>);

const MAVEN_QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// Sort key of a qualifier: its index among the known ones, unknown ones after
/// all of them in text order (Maven compares `"<index>"` strings, `"7-<q>"` for others).
fn qualifier_key(q: &str) -> (usize, &str) {
    match MAVEN_QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (MAVEN_QUALIFIERS.len(), q),
    }
}

/// Index of the release qualifier (the empty string).
const MAVEN_RELEASE: usize = 5;

impl MavenItem {
    fn is_null(&self) -> bool {
        match self {
            MavenItem::Int(n) => n.is_zero(),
            MavenItem::Str(s) => s.is_empty(),
            MavenItem::List(l) => l.0.is_empty(),
        }
    }

    /// `self` compared with a missing item (Maven's `compareTo(null)`).
    fn cmp_missing(&self) -> Ordering {
        match self {
            MavenItem::Int(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            MavenItem::Str(s) => qualifier_key(s).cmp(&(MAVEN_RELEASE, "")),
            MavenItem::List(l) => l.0.first().map_or(Ordering::Equal, MavenItem::cmp_missing),
        }
    }

    fn cmp_item(&self, other: &MavenItem) -> Ordering {
        match (self, other) {
            (MavenItem::Int(a), MavenItem::Int(b)) => a.cmp(b),
            (MavenItem::Int(_), _) => Ordering::Greater,
            (MavenItem::Str(_), MavenItem::Int(_)) => Ordering::Less,
            (MavenItem::Str(a), MavenItem::Str(b)) => qualifier_key(a).cmp(&qualifier_key(b)),
            (MavenItem::Str(_), MavenItem::List(_)) => Ordering::Less,
            (MavenItem::List(_), MavenItem::Int(_)) => Ordering::Less,
            (MavenItem::List(_), MavenItem::Str(_)) => Ordering::Greater,
            (MavenItem::List(a), MavenItem::List(b)) => a.cmp(b),
        }
    }
}

impl Ord for MavenList {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut left = self.0.iter();
        let mut right = other.0.iter();
        loop {
            let ord = match (left.next(), right.next()) {
                (None, None) => return Ordering::Equal,
                (Some(l), None) => l.cmp_missing(),
                (None, Some(r)) => r.cmp_missing().reverse(),
                (Some(l), Some(r)) => l.cmp_item(r),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
    }
}

impl PartialOrd for MavenList {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn maven_item(is_digit: bool, followed_by_digit: bool, text: &str) -> MavenItem {
    if is_digit {
        return MavenItem::Int(Num::parse(text).unwrap_or_else(Num::zero));
    }
    let text = if followed_by_digit && text.len() == 1 {
        match text {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        text
    };
    let text = match text {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    MavenItem::Str(text.to_owned())
}

/// Removes trailing null items (0, ``, empty list) from a list, stopping at the
/// first non-null item that is not a list (Maven's `ListItem.normalize`).
fn maven_normalize(list: &mut Vec<MavenItem>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        let (null, is_list) = match list.get(i) {
            Some(item) => (item.is_null(), matches!(item, MavenItem::List(_))),
            None => break,
        };
        if null {
            list.remove(i);
        } else if !is_list {
            break;
        }
    }
}

fn maven(text: &str) -> Option<MavenList> {
    if text.is_empty() {
        return None;
    }
    let lower = text.to_lowercase();
    // The nesting as a stack of open lists; closing one pushes it into its parent.
    let mut stack: Vec<Vec<MavenItem>> = vec![Vec::new()];
    let mut start = 0usize;
    let mut is_digit = false;
    let chars: Vec<(usize, char)> = lower.char_indices().collect();
    for &(i, c) in &chars {
        let piece = lower.get(start..i).unwrap_or_default();
        let top = stack.last_mut()?;
        if c == '.' || c == '-' {
            if i == start {
                top.push(MavenItem::Int(Num::zero()));
            } else {
                top.push(maven_item(is_digit, false, piece));
            }
            start = i + c.len_utf8();
            if c == '-' {
                stack.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                top.push(maven_item(false, true, piece));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                top.push(maven_item(true, false, piece));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if lower.len() > start {
        let piece = lower.get(start..).unwrap_or_default();
        stack.last_mut()?.push(maven_item(is_digit, false, piece));
    }
    // Close the open lists innermost first, normalizing each.
    while stack.len() > 1 {
        let mut inner = stack.pop()?;
        maven_normalize(&mut inner);
        stack.last_mut()?.push(MavenItem::List(MavenList(inner)));
    }
    let mut root = stack.pop()?;
    maven_normalize(&mut root);
    Some(MavenList(root))
}

impl PartialOrd for MavenItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MavenItem {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_item(other)
    }
}

// ---- RubyGems --------------------------------------------------------------------

/// A `Gem::Version` segment: letters (a pre-release) sort before numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GemSegment {
    /// Letters.
    Text(String),
    /// Digits.
    Numeric(Num),
}

impl Ord for GemSegment {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (GemSegment::Numeric(a), GemSegment::Numeric(b)) => a.cmp(b),
            (GemSegment::Text(a), GemSegment::Text(b)) => a.cmp(b),
            (GemSegment::Text(_), GemSegment::Numeric(_)) => Ordering::Less,
            (GemSegment::Numeric(_), GemSegment::Text(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for GemSegment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The canonical segments of a gem version: `-` means `.pre.`; trailing zeros
/// of the release part and of the pre-release part are dropped.
fn gem(text: &str) -> Option<Vec<GemSegment>> {
    if text.is_empty()
        || !text.starts_with(|c: char| c.is_ascii_digit())
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return None;
    }
    let text = text.replace('-', ".pre.");
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    let flush = |current: &mut String, digits: bool, segments: &mut Vec<GemSegment>| {
        if !current.is_empty() {
            segments.push(if digits {
                GemSegment::Numeric(Num::parse(current).unwrap_or_else(Num::zero))
            } else {
                GemSegment::Text(std::mem::take(current))
            });
            current.clear();
        }
    };
    for c in text.chars() {
        if c == '.' {
            flush(&mut current, digits, &mut segments);
        } else {
            let d = c.is_ascii_digit();
            if d != digits {
                flush(&mut current, digits, &mut segments);
                digits = d;
            }
            current.push(c);
        }
    }
    flush(&mut current, digits, &mut segments);
    let split = segments
        .iter()
        .position(|s| matches!(s, GemSegment::Text(_)))
        .unwrap_or(segments.len());
    let mut pre = segments.split_off(split);
    let is_zero = |s: &GemSegment| matches!(s, GemSegment::Numeric(n) if n.is_zero());
    while segments.last().is_some_and(is_zero) {
        segments.pop();
    }
    while pre.last().is_some_and(is_zero) {
        pre.pop();
    }
    segments.extend(pre);
    Some(segments)
}

/// Compares gem segments, padding the shorter with zeros.
fn gem_cmp(a: &[GemSegment], b: &[GemSegment]) -> Ordering {
    let zero = GemSegment::Numeric(Num::zero());
    for i in 0..a.len().max(b.len()) {
        let l = a.get(i).unwrap_or(&zero);
        let r = b.get(i).unwrap_or(&zero);
        let ord = l.cmp(r);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

// ---- Packagist (PHP version_compare) ---------------------------------------------

/// A part of a canonical PHP version: a number, or a special form ranked as
/// `version_compare` ranks them: any other string < `dev` < `alpha`/`a` <
/// `beta`/`b` < `RC`/`rc` < a number (`#`) < `pl`/`p`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PhpPart {
    /// Digits.
    Numeric(Num),
    /// A special form's rank (-1 for unknown strings, 4 is a number's).
    Special(i8),
}

const PHP_NUMBER: i8 = 4;

fn php_rank(part: &str) -> i8 {
    const FORMS: [(&str, i8); 8] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("rc", 3),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| part.starts_with(name))
        .map_or(-1, |(_, rank)| *rank)
}

/// Canonicalizes as PHP does (`-`, `_`, `+` are `.`; a `.` between digits
/// and letters), drops a leading `v`, and pads the leading numbers to four.
fn php(text: &str) -> Option<Vec<PhpPart>> {
    let text = text
        .strip_prefix('v')
        .or_else(|| text.strip_prefix('V'))
        .unwrap_or(text)
        .to_ascii_lowercase();
    if text.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut digits = None;
    for c in text.chars() {
        if matches!(c, '.' | '-' | '_' | '+') {
            parts.push(std::mem::take(&mut current));
            digits = None;
            continue;
        }
        let d = c.is_ascii_digit();
        if digits.is_some_and(|was| was != d) {
            parts.push(std::mem::take(&mut current));
        }
        digits = Some(d);
        current.push(c);
    }
    parts.push(current);
    let mut out: Vec<PhpPart> = parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| match Num::parse(p) {
            Some(n) => PhpPart::Numeric(n),
            None => PhpPart::Special(php_rank(p)),
        })
        .collect();
    let leading = out
        .iter()
        .take_while(|p| matches!(p, PhpPart::Numeric(_)))
        .count();
    if leading == 0 {
        return None;
    }
    for _ in leading..4 {
        out.insert(leading, PhpPart::Numeric(Num::zero()));
    }
    Some(out)
}

fn php_cmp(a: &[PhpPart], b: &[PhpPart]) -> Ordering {
    let rank = |p: &PhpPart| match p {
        PhpPart::Numeric(_) => PHP_NUMBER,
        PhpPart::Special(r) => *r,
    };
    for (l, r) in a.iter().zip(b) {
        let ord = match (l, r) {
            (PhpPart::Numeric(x), PhpPart::Numeric(y)) => x.cmp(y),
            _ => rank(l).cmp(&rank(r)),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    // The longer version: a further number makes it greater, a further special
    // form is compared with a number (`1.0-beta` < `1.0` < `1.0-pl1`).
    let hash = [PhpPart::Special(PHP_NUMBER)];
    match (a.get(b.len()..), b.get(a.len()..)) {
        (Some([PhpPart::Numeric(_), ..]), _) => Ordering::Greater,
        (_, Some([PhpPart::Numeric(_), ..])) => Ordering::Less,
        (Some(rest @ [_, ..]), _) => php_cmp(rest, &hash),
        (_, Some(rest @ [_, ..])) => php_cmp(&hash, rest),
        _ => Ordering::Equal,
    }
}

impl Version {
    /// Compares two versions of the same scheme.
    pub fn compare(&self, other: &Version) -> Ordering {
        match (self, other) {
            (Version::Gem(a), Version::Gem(b)) => gem_cmp(a, b),
            (Version::Php(a), Version::Php(b)) => php_cmp(a, b),
            _ => self.cmp(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(scheme: Scheme, cases: &[&str]) {
        for case in cases {
            let parts: Vec<&str> = case.split_whitespace().collect();
            let [a, op, b] = parts[..] else {
                panic!("bad case {case}")
            };
            let va = scheme
                .parse(a)
                .unwrap_or_else(|| panic!("{a} does not parse"));
            let vb = scheme
                .parse(b)
                .unwrap_or_else(|| panic!("{b} does not parse"));
            let want = match op {
                "<" => Ordering::Less,
                ">" => Ordering::Greater,
                "=" => Ordering::Equal,
                _ => panic!("bad op {op}"),
            };
            assert_eq!(va.compare(&vb), want, "{} {case}", scheme.name());
            assert_eq!(
                vb.compare(&va),
                want.reverse(),
                "{} {case} reversed",
                scheme.name()
            );
        }
    }

    #[test]
    fn semver_precedence() {
        check(
            Scheme::Semver,
            &[
                // The SemVer 2.0 spec's own example chain.
                "1.0.0-alpha < 1.0.0-alpha.1",
                "1.0.0-alpha.1 < 1.0.0-alpha.beta",
                "1.0.0-alpha.beta < 1.0.0-beta",
                "1.0.0-beta < 1.0.0-beta.2",
                "1.0.0-beta.2 < 1.0.0-beta.11",
                "1.0.0-beta.11 < 1.0.0-rc.1",
                "1.0.0-rc.1 < 1.0.0",
                "1.0.0 < 2.0.0",
                "2.0.0 < 2.1.0",
                "2.1.0 < 2.1.1",
                "0.10.0 > 0.9.9",
                "1.0.0+build.5 = 1.0.0",
                "v1.2.3 = 1.2.3",
                "1.2 = 1.2.0",
                // Go: the pre-release 0 of a minor line sorts before all its releases.
                "1.22.0-0 < 1.22.0",
                "1.21.11 < 1.22.0-0",
                "0.0.0-20210101000000-abcdef012345 < 0.0.1",
                "4.17.20 < 4.17.21",
            ],
        );
        assert!(Scheme::Semver.parse("1.x").is_none());
        assert!(Scheme::Semver.parse("").is_none());
        assert!(Scheme::Semver.parse("1.0.0-").is_none());
    }

    #[test]
    fn pep440_ordering() {
        check(
            Scheme::Pep440,
            &[
                // The ordering example of PEP 440 ("summary of permitted suffixes").
                "1.0.dev456 < 1.0a1",
                "1.0a1 < 1.0a2.dev456",
                "1.0a2.dev456 < 1.0a12.dev456",
                "1.0a12.dev456 < 1.0a12",
                "1.0a12 < 1.0b1.dev456",
                "1.0b1.dev456 < 1.0b2",
                "1.0b2 < 1.0b2.post345.dev456",
                "1.0b2.post345.dev456 < 1.0b2.post345",
                "1.0b2.post345 < 1.0rc1.dev456",
                "1.0rc1.dev456 < 1.0rc1",
                "1.0rc1 < 1.0",
                "1.0 < 1.0+abc.5",
                "1.0+abc.5 < 1.0+abc.7",
                "1.0+abc.7 < 1.0+5",
                "1.0+5 < 1.0.post456.dev34",
                "1.0.post456.dev34 < 1.0.post456",
                "1.0.post456 < 1.1.dev1",
                // Epochs win over everything.
                "1!0.1 > 2.0",
                "2020.1 < 1!0.0",
                // Normalization: spellings of the same version.
                "1.0 = 1.0.0",
                "1.0alpha1 = 1.0a1",
                "1.0-rc1 = 1.0rc1",
                "1.0c1 = 1.0rc1",
                "1.0-1 = 1.0.post1",
                "1.0.POST1 = 1.0.post1",
                "v2.31.0 = 2.31.0",
                "1.36.0rc1 > 1.35.0",
                "2.3.0 < 2.31.0",
            ],
        );
        assert!(Scheme::Pep440.parse("not-a-version").is_none());
    }

    #[test]
    fn maven_comparable_version() {
        check(
            Scheme::Maven,
            &[
                "1 = 1.0",
                "1.0 = 1.0.0",
                "1 < 1.1",
                "1.0-alpha-1 < 1.0",
                "1.0-alpha-1 < 1.0-alpha-2",
                "1.0-alpha-1 < 1.0-beta-1",
                "1.0-beta-1 < 1.0-SNAPSHOT",
                "1.0-SNAPSHOT < 1.0",
                "1.0 < 1.0-1",
                "1.0-1 < 1.0-2",
                "1.0.0 < 1.0-1",
                "2.0-1 < 2.0.1",
                "2.0.1 < 2.0.1-xyz",
                "2.0.1-xyz < 2.0.1-123",
                "1.0-rc1 < 1.0",
                "1.0-cr1 = 1.0-rc1",
                "1.0.Final = 1.0",
                "1.0-ga = 1.0",
                "1.0a1 = 1.0-alpha-1",
                "1.0 < 1.0-sp",
                "2.0-beta9 < 2.0",
                "2.0-beta9 < 2.3.1",
                "2.12.2 < 2.13.0",
                "2.14.1 < 2.15.0",
                "2.9.10 < 2.10",
            ],
        );
    }

    #[test]
    fn nuget_ordering() {
        check(
            Scheme::Nuget,
            &[
                "1.0 = 1.0.0.0",
                "1.0.0-BETA = 1.0.0-beta",
                "1.0.0+meta = 1.0.0",
                "1.0 < 1.0.0.1",
                "1.0.0-beta < 1.0.0",
                "1.0.01 = 1.0.1",
            ],
        );
    }

    #[test]
    fn packagist_ordering() {
        check(
            Scheme::Packagist,
            &[
                "1.0.0 = 1.0",
                "v5.8.38 = 5.8.38",
                "1.0.0-dev < 1.0.0-alpha1",
                "1.0.0-alpha1 < 1.0.0-beta1",
                "1.0.0-beta1 < 1.0.0-RC1",
                "1.0.0-RC1 < 1.0.0",
                "1.0.0 < 1.0.0-pl1",
                "1.0.0 < 1.0.0.1",
                "7.12.0 < 7.30.3",
                "10.0.0 > 9.52.15",
            ],
        );
    }

    #[test]
    fn rubygems_ordering() {
        check(
            Scheme::RubyGems,
            &[
                "3.10 > 3.2",
                "1.2.4.beta < 1.2.4",
                "1.0.a10 > 1.0.a9",
                "1.0.a.2 = 1.0.a2",
                "1.0 > 1.0.b1",
                "1.0.b1 > 1.0.a.2",
                "1.0 = 1.0.0",
                "1.0.0-rc1 < 1.0.0",
                "7.0.8.1 > 7.0.8",
            ],
        );
    }
}
