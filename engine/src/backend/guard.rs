//! Running untrusted policies without letting them take the process down.
//!
//! The engines underneath are not hardened against hostile policies or inputs:
//! some panic, some recurse deeply, some never finish. Each evaluation runs on
//! a worker thread with a known, generous stack; panics are caught at this
//! boundary; each rule has a time budget, enforced from outside with a
//! channel timeout (the engines' own cooperative timers fire first where they
//! exist). A rule that panics, errors or overruns becomes that rule's `error`,
//! and the gate fails closed. A worker that overran is abandoned, not joined:
//! a thread cannot be killed, and the process ends soon after anyway.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use super::{PreparedInput, RuleEval, SharedCompiled};

/// Name of the worker threads, so a front end's panic hook can stay quiet
/// about panics this module already reports as rule errors.
pub const WORKER_THREAD_NAME: &str = "shipgate-eval";

/// Limits for one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct EvalLimits {
    /// Time budget of each rule (and of converting the input once).
    pub rule_timeout: Duration,
    /// Stack of the worker thread.
    pub stack_bytes: usize,
}

impl Default for EvalLimits {
    fn default() -> Self {
        EvalLimits {
            rule_timeout: Duration::from_secs(10),
            stack_bytes: 256 * 1024 * 1024,
        }
    }
}

enum Msg {
    Ready(Result<(), String>),
    Rule(RuleEval),
}

/// Evaluates the rules at `indices` of `compiled` against `input`, each within
/// the budget. Always returns exactly one result per index, in order.
pub(crate) fn evaluate(
    compiled: SharedCompiled,
    input: Arc<PreparedInput>,
    indices: Vec<usize>,
    limits: EvalLimits,
) -> Vec<RuleEval> {
    let count = indices.len();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name(WORKER_THREAD_NAME.to_owned())
        .stack_size(limits.stack_bytes)
        .spawn(move || {
            let session = catch_unwind(AssertUnwindSafe(|| compiled.session(&input)));
            let mut session = match session {
                Ok(Ok(s)) => {
                    let _ = tx.send(Msg::Ready(Ok(())));
                    s
                }
                Ok(Err(e)) => {
                    let _ = tx.send(Msg::Ready(Err(e)));
                    return;
                }
                Err(p) => {
                    let _ = tx.send(Msg::Ready(Err(panic_text(p.as_ref()))));
                    return;
                }
            };
            for i in indices {
                let r = catch_unwind(AssertUnwindSafe(|| session.eval(i)))
                    .unwrap_or_else(|p| RuleEval::Error(panic_text(p.as_ref())));
                if tx.send(Msg::Rule(r)).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = worker {
        return all_errors(count, &format!("cannot start an evaluation thread: {e}"));
    }
    let budget_ms = limits.rule_timeout.as_millis();
    match rx.recv_timeout(limits.rule_timeout) {
        Ok(Msg::Ready(Ok(()))) => {}
        Ok(Msg::Ready(Err(e))) => {
            return all_errors(count, &format!("cannot prepare the input: {e}"));
        }
        Ok(Msg::Rule(_)) | Err(RecvTimeoutError::Disconnected) => {
            return all_errors(count, "the evaluation thread stopped unexpectedly");
        }
        Err(RecvTimeoutError::Timeout) => {
            return all_errors(
                count,
                &format!("preparing the input exceeded the time budget of {budget_ms} ms"),
            );
        }
    }
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        match rx.recv_timeout(limits.rule_timeout) {
            Ok(Msg::Rule(r)) => out.push(r),
            Ok(Msg::Ready(_)) | Err(RecvTimeoutError::Disconnected) => {
                out.push(RuleEval::Error(
                    "the evaluation thread stopped unexpectedly".to_owned(),
                ));
            }
            Err(RecvTimeoutError::Timeout) => {
                out.push(RuleEval::Error(format!(
                    "evaluation exceeded the time budget of {budget_ms} ms"
                )));
                let rest = count - out.len();
                out.extend(all_errors(
                    rest,
                    "not evaluated: an earlier rule of this bundle exceeded its time budget",
                ));
            }
        }
    }
    out
}

/// Runs `f` on a thread with a large stack, turning a panic into an error:
/// for parsing untrusted policy text with parsers that recurse per token.
pub(crate) fn isolated<T: Send>(
    stack_bytes: usize,
    f: impl FnOnce() -> T + Send,
) -> Result<T, String> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name(WORKER_THREAD_NAME.to_owned())
            .stack_size(stack_bytes)
            .spawn_scoped(scope, f)
            .map_err(|e| format!("cannot start a worker thread: {e}"))?;
        handle.join().map_err(|p| panic_text(p.as_ref()))
    })
}

fn all_errors(count: usize, msg: &str) -> Vec<RuleEval> {
    (0..count)
        .map(|_| RuleEval::Error(msg.to_owned()))
        .collect()
}

fn panic_text(p: &(dyn Any + Send)) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("the policy engine crashed: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Compiled, Session};

    struct Fake;
    struct FakeSession;

    impl Compiled for Fake {
        fn session(&self, _: &PreparedInput) -> Result<Box<dyn Session>, String> {
            Ok(Box::new(FakeSession))
        }
    }

    impl Session for FakeSession {
        fn eval(&mut self, index: usize) -> RuleEval {
            match index {
                0 => RuleEval::Ran {
                    deny: vec![],
                    warn: vec![],
                },
                1 => panic!("boom"),
                _ => loop {
                    std::thread::sleep(Duration::from_millis(50));
                },
            }
        }
    }

    #[test]
    fn panics_and_overruns_become_rule_errors() {
        let input = Arc::new(PreparedInput::new(
            serde_json::Value::Null,
            serde_json::Value::Null,
        ));
        let limits = EvalLimits {
            // Generous: on a loaded machine even the instant rules need time
            // to be scheduled; only the endless one may hit the budget.
            rule_timeout: Duration::from_millis(1500),
            stack_bytes: 1 << 20,
        };
        let out = evaluate(Arc::new(Fake), input, vec![0, 1, 2, 3], limits);
        assert_eq!(out.len(), 4);
        assert!(matches!(out[0], RuleEval::Ran { .. }));
        assert!(matches!(&out[1], RuleEval::Error(e) if e.contains("boom")));
        assert!(matches!(&out[2], RuleEval::Error(e) if e.contains("time budget of 1500 ms")));
        assert!(matches!(&out[3], RuleEval::Error(e) if e.contains("not evaluated")));
    }
}
