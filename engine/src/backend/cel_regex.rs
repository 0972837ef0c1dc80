//! CEL's `matches()`, with each pattern compiled once.
//!
//! The `cel` crate's own `matches` compiles its pattern on every call, so a
//! rule like `components.filter(c, c.version.matches('-(alpha|beta|rc)'))`
//! compiled the same regular expression once per component: on a 10,000
//! component SBOM, most of a rule's time. The crate is built without its
//! `regex` feature and these overloads take its place, with the same names,
//! signatures and error text; compiled patterns are kept in a bounded cache
//! shared by every evaluation of the process (patterns are bundle text, so
//! the set is small; a hostile bundle with endless distinct patterns only
//! ever holds [`CAPACITY`] of them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cel::ExecutionError;
use cel::common::types::{CelBool, CelString};

/// Most compiled patterns kept; the cache is emptied when it is full.
const CAPACITY: usize = 512;

/// Largest compiled program of one pattern (the `regex` crate's default is
/// 10 MiB; a rule has no business with more than 1 MiB).
const SIZE_LIMIT: usize = 1 << 20;

type Cache = HashMap<String, Result<Arc<regex::Regex>, String>>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: std::sync::OnceLock<Mutex<Cache>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The compiled pattern, or the message saying why it is not one.
pub(crate) fn compiled(pattern: &str) -> Result<Arc<regex::Regex>, String> {
    let mut cache = cache().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(hit) = cache.get(pattern) {
        return hit.clone();
    }
    let made = regex::RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .map(Arc::new)
        .map_err(|e| format!("'{pattern}' not a valid regex:\n{e}"));
    if cache.len() >= CAPACITY {
        cache.clear();
    }
    cache.insert(pattern.to_owned(), made.clone());
    made
}

/// `s.matches(re)` and `matches(s, re)`: whether `re` matches anywhere in `s`
/// (RE2 syntax, unanchored, as the CEL specification says).
fn matches(this: &CelString<'_>, re: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    match compiled(re.inner()) {
        Ok(compiled) => Ok(CelBool::from(compiled.is_match(this.inner()))),
        Err(message) => Err(ExecutionError::FunctionError {
            function: "matches".to_owned(),
            message,
        }),
    }
}

/// Registers both forms of `matches` on `env`.
pub(crate) fn register(env: &mut cel::Env) -> Result<(), String> {
    cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>, id = "matches")
        .map_err(|e| e.to_string())?;
    cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>)
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(expr: &str) -> Result<cel::Value, ExecutionError> {
        let mut env = cel::Env::stdlib();
        register(&mut env).unwrap();
        let program = env.compile(expr).unwrap();
        program.execute(&cel::Context::with_env(Arc::new(env)))
    }

    #[test]
    fn both_forms_match_unanchored() {
        assert_eq!(
            run("'1.2.3-rc.1'.matches('-(alpha|beta|rc)')"),
            Ok(true.into())
        );
        assert_eq!(
            run("matches('1.2.3', '-(alpha|beta|rc)')"),
            Ok(false.into())
        );
        assert_eq!(
            run("'Test-x'.matches('^[Tt][Ee][Ss][Tt]-')"),
            Ok(true.into())
        );
        assert_eq!(
            run("['a', 'B', 'c'].filter(x, x.matches('[a-z]')) == ['a', 'c']"),
            Ok(true.into())
        );
    }

    #[test]
    fn bad_patterns_are_errors_every_time() {
        for _ in 0..2 {
            match run("'foo'.matches('(foo')") {
                Err(ExecutionError::FunctionError { function, message }) => {
                    assert_eq!(function, "matches");
                    assert!(
                        message.starts_with("'(foo' not a valid regex:"),
                        "{message}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn oversized_patterns_are_refused() {
        match run("'a'.matches('(\\\\w{1000}){1000}')") {
            Err(ExecutionError::FunctionError { message, .. }) => {
                assert!(message.contains("size limit"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_cache_stays_bounded() {
        for i in 0..CAPACITY + 10 {
            assert!(compiled(&format!("^x{i}$")).is_ok());
        }
        let held = cache().lock().unwrap().len();
        assert!(held <= CAPACITY, "{held}");
        assert!(compiled("^x0$").unwrap().is_match("x0"));
    }
}
