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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Compiled, Partial, PreparedInput, RuleEval, SharedCompiled};

/// Name of the worker threads, so a front end's panic hook can stay quiet
/// about panics this module already reports as rule errors.
pub const WORKER_THREAD_NAME: &str = "shipgate-eval";

/// Limits for one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct EvalLimits {
    /// Time budget of each rule (and of converting the input once).
    pub rule_timeout: Duration,
    /// Stack of each worker thread.
    pub stack_bytes: usize,
    /// Most worker threads evaluating one bundle's rules at once
    /// (default: [`eval_threads`]).
    pub threads: usize,
}

impl Default for EvalLimits {
    fn default() -> Self {
        EvalLimits {
            rule_timeout: Duration::from_secs(10),
            stack_bytes: 256 * 1024 * 1024,
            threads: eval_threads(),
        }
    }
}

/// What a worker reports: its session is ready, it took a unit, a unit is
/// done, or no unit is left.
enum Msg {
    Ready(Result<(), String>),
    Took(usize),
    Done(usize, Done),
    Finished,
}

/// One unit of work: a whole rule, or one part of a rule cut into parts.
#[derive(Debug, Clone, Copy)]
struct Unit {
    /// Position of the rule in the caller's `indices`.
    position: usize,
    /// The rule's index in the compiled bundle.
    index: usize,
    /// `(part, of)` when the rule is cut into parts.
    part: Option<(usize, usize)>,
}

/// A unit's result.
enum Done {
    Whole(RuleEval),
    Part(Result<Partial, String>),
}

impl Unit {
    /// This unit failed with `msg`.
    fn failed(&self, msg: String) -> Done {
        match self.part {
            None => Done::Whole(RuleEval::Error(msg)),
            Some(_) => Done::Part(Err(msg)),
        }
    }
}

/// How many worker threads one evaluation may use: the machine's cores, at
/// most [`MAX_WORKERS`]. `SHIPGATE_EVAL_THREADS` overrides it (1 evaluates
/// every rule on one thread, as a baseline).
pub fn eval_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("SHIPGATE_EVAL_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .min(MAX_WORKERS)
    })
}

/// Upper bound on worker threads per evaluation.
const MAX_WORKERS: usize = 8;

/// What the evaluation knows of one worker.
struct Worker {
    /// The unit it is evaluating.
    current: Option<usize>,
    /// Whether its session is open.
    ready: bool,
    /// When it last reported (or started).
    since: Instant,
    /// Abandoned after an overrun, or its session could not open.
    gone: bool,
    /// No unit was left for it.
    finished: bool,
    /// Set when it is abandoned: it takes no further unit.
    stop: Arc<AtomicBool>,
}

impl Worker {
    fn busy(&self) -> bool {
        !self.gone && !self.finished
    }
}

/// Evaluates the rules at `indices` of `compiled` against `input` with the
/// bundle's `params`, each within the budget. Always returns exactly one
/// result per index, in order.
///
/// Independent rules run in parallel on `limits.threads` workers, each with
/// its own session on the shared, once-converted input; a worker that is
/// free takes the next rule not yet taken, so a few expensive rules do not
/// leave one worker with all of them. When there are fewer rules than
/// workers, a rule the engine can cut into independent parts
/// ([`Compiled::parts`]: a Rego set defined by many rule bodies) is evaluated
/// part by part on several workers and the parts joined
/// ([`Compiled::merge`]). The budget is per rule and worker: a worker that is
/// silent for longer than `rule_timeout` has its current rule reported as
/// over the budget and is abandoned, while the others take the rest; a rule
/// no worker was left to take is reported as not evaluated.
pub(crate) fn evaluate(
    compiled: SharedCompiled,
    input: Arc<PreparedInput>,
    params: Arc<Value>,
    indices: Vec<usize>,
    limits: EvalLimits,
) -> Vec<RuleEval> {
    let count = indices.len();
    if count == 0 {
        return Vec::new();
    }
    let units = Arc::new(units(&*compiled, &indices, limits.threads.max(1)));
    let threads = limits.threads.clamp(1, units.len());
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<(usize, Msg)>();
    let mut workers = Vec::with_capacity(threads);
    for w in 0..threads {
        let stop = Arc::new(AtomicBool::new(false));
        let queue = Queue {
            units: Arc::clone(&units),
            next: Arc::clone(&next),
            stop: Arc::clone(&stop),
        };
        let (compiled, input, params, tx) = (
            Arc::clone(&compiled),
            Arc::clone(&input),
            Arc::clone(&params),
            tx.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name(WORKER_THREAD_NAME.to_owned())
            .stack_size(limits.stack_bytes)
            .spawn(move || work(w, &*compiled, &input, &params, &queue, &tx));
        workers.push(Worker {
            current: None,
            ready: false,
            since: Instant::now(),
            gone: false,
            finished: false,
            stop,
        });
        if let Err(e) = spawned {
            return all_errors(count, &format!("cannot start an evaluation thread: {e}"));
        }
    }
    drop(tx);
    let budget_ms = limits.rule_timeout.as_millis();
    let mut out: Vec<Option<Done>> = (0..units.len()).map(|_| None).collect();
    // Why a unit no worker finished has no result, when a worker said why.
    let mut reason: Option<String> = None;
    loop {
        let busy = workers
            .iter()
            .filter(|w| w.busy())
            .map(|w| w.since + limits.rule_timeout)
            .min();
        let Some(deadline) = busy else { break };
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok((w, msg)) => {
                let Some(worker) = workers.get_mut(w) else {
                    continue;
                };
                if worker.gone {
                    continue;
                }
                worker.since = Instant::now();
                match msg {
                    Msg::Ready(Ok(())) => worker.ready = true,
                    Msg::Ready(Err(e)) => {
                        worker.gone = true;
                        reason.get_or_insert(format!("cannot prepare the input: {e}"));
                    }
                    Msg::Took(u) => worker.current = Some(u),
                    Msg::Done(u, r) => {
                        if let Some(slot) = out.get_mut(u) {
                            *slot = Some(r);
                        }
                        worker.current = None;
                    }
                    Msg::Finished => worker.finished = true,
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                for worker in workers
                    .iter_mut()
                    .filter(|w| w.busy())
                    .filter(|w| w.since + limits.rule_timeout <= now)
                {
                    worker.gone = true;
                    worker.stop.store(true, Ordering::SeqCst);
                    if !worker.ready {
                        reason.get_or_insert(format!(
                            "preparing the input exceeded the time budget of {budget_ms} ms"
                        ));
                        continue;
                    }
                    if let Some((slot, unit)) = worker
                        .current
                        .take()
                        .and_then(|u| Some((out.get_mut(u)?, units.get(u)?)))
                    {
                        *slot = Some(unit.failed(format!(
                            "evaluation exceeded the time budget of {budget_ms} ms"
                        )));
                    }
                    reason.get_or_insert(
                        "not evaluated: an earlier rule of this bundle exceeded its time budget"
                            .to_owned(),
                    );
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let reason = reason.unwrap_or_else(|| "the evaluation thread stopped unexpectedly".to_owned());
    for (slot, unit) in out.iter_mut().zip(units.iter()) {
        if slot.is_none() {
            *slot = Some(unit.failed(reason.clone()));
        }
    }
    assemble(&*compiled, count, &units, out)
}

/// The units of an evaluation: one per rule, or, when there are fewer rules
/// than workers, as many parts as the engine cuts a rule into.
fn units(compiled: &dyn Compiled, indices: &[usize], threads: usize) -> Vec<Unit> {
    let ways = threads / indices.len();
    let mut units = Vec::with_capacity(indices.len().max(threads));
    for (position, &index) in indices.iter().enumerate() {
        let of = if ways > 1 {
            catch_unwind(AssertUnwindSafe(|| compiled.parts(index, ways))).unwrap_or(1)
        } else {
            1
        };
        if of > 1 {
            units.extend((0..of).map(|part| Unit {
                position,
                index,
                part: Some((part, of)),
            }));
        } else {
            units.push(Unit {
                position,
                index,
                part: None,
            });
        }
    }
    units
}

/// One result per rule, in order: a whole rule's own, or its parts joined. A
/// part that failed fails the rule (the first failed part, in part order).
fn assemble(
    compiled: &dyn Compiled,
    count: usize,
    units: &[Unit],
    out: Vec<Option<Done>>,
) -> Vec<RuleEval> {
    let lost = || RuleEval::Error("the evaluation thread stopped unexpectedly".to_owned());
    let mut results: Vec<Option<RuleEval>> = (0..count).map(|_| None).collect();
    let mut parts: Vec<Vec<Result<Partial, String>>> = (0..count).map(|_| Vec::new()).collect();
    for (unit, done) in units.iter().zip(out) {
        match (unit.part, done) {
            (None, Some(Done::Whole(r))) => {
                if let Some(slot) = results.get_mut(unit.position) {
                    *slot = Some(r);
                }
            }
            (Some(_), Some(Done::Part(p))) => {
                if let Some(list) = parts.get_mut(unit.position) {
                    list.push(p);
                }
            }
            (Some(_), _) => {
                if let Some(list) = parts.get_mut(unit.position) {
                    list.push(Err("the evaluation thread stopped unexpectedly".to_owned()));
                }
            }
            (None, _) => {}
        }
    }
    let mut merged = Vec::with_capacity(count);
    for (position, (result, list)) in results.into_iter().zip(parts).enumerate() {
        if let Some(r) = result {
            merged.push(r);
            continue;
        }
        if list.is_empty() {
            merged.push(lost());
            continue;
        }
        let index = units
            .iter()
            .find(|u| u.position == position)
            .map_or(position, |u| u.index);
        match list.into_iter().collect::<Result<Vec<Partial>, String>>() {
            Ok(parts) => merged.push(
                catch_unwind(AssertUnwindSafe(|| compiled.merge(index, parts)))
                    .unwrap_or_else(|p| RuleEval::Error(panic_text(p.as_ref()))),
            ),
            Err(e) => merged.push(RuleEval::Error(e)),
        }
    }
    merged
}

/// The units of an evaluation, shared by its workers: each takes the next
/// one not yet taken, until none is left or it is told to stop.
struct Queue {
    units: Arc<Vec<Unit>>,
    next: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Queue {
    fn take(&self) -> Option<(usize, Unit)> {
        if self.stop.load(Ordering::SeqCst) {
            return None;
        }
        let u = self.next.fetch_add(1, Ordering::SeqCst);
        self.units.get(u).map(|unit| (u, *unit))
    }
}

/// One worker: opens a session, then takes units from the queue and reports
/// each one it takes and its result.
fn work(
    id: usize,
    compiled: &dyn Compiled,
    input: &Arc<PreparedInput>,
    params: &Value,
    queue: &Queue,
    tx: &mpsc::Sender<(usize, Msg)>,
) {
    let session = catch_unwind(AssertUnwindSafe(|| compiled.session(input, params)));
    let mut session = match session {
        Ok(Ok(s)) => {
            let _ = tx.send((id, Msg::Ready(Ok(()))));
            s
        }
        Ok(Err(e)) => {
            let _ = tx.send((id, Msg::Ready(Err(e))));
            return;
        }
        Err(p) => {
            let _ = tx.send((id, Msg::Ready(Err(panic_text(p.as_ref())))));
            return;
        }
    };
    while let Some((u, unit)) = queue.take() {
        if tx.send((id, Msg::Took(u))).is_err() {
            return;
        }
        let r = match unit.part {
            None => Done::Whole(
                catch_unwind(AssertUnwindSafe(|| session.eval(unit.index)))
                    .unwrap_or_else(|p| RuleEval::Error(panic_text(p.as_ref()))),
            ),
            Some((part, of)) => Done::Part(
                catch_unwind(AssertUnwindSafe(|| session.eval_part(unit.index, part, of)))
                    .unwrap_or_else(|p| Err(panic_text(p.as_ref()))),
            ),
        };
        if tx.send((id, Msg::Done(u, r))).is_err() {
            return;
        }
    }
    let _ = tx.send((id, Msg::Finished));
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
    use crate::backend::Session;

    struct Fake;
    struct FakeSession;

    /// Rules 8 and 9 can be cut into up to 3 parts; a part of rule 8 panics.
    impl Compiled for Fake {
        fn session(&self, _: &Arc<PreparedInput>, _: &Value) -> Result<Box<dyn Session>, String> {
            Ok(Box::new(FakeSession))
        }

        fn parts(&self, index: usize, ways: usize) -> usize {
            if index >= 8 { ways.min(3) } else { 1 }
        }

        fn merge(&self, index: usize, parts: Vec<Partial>) -> RuleEval {
            let names: Vec<String> = parts
                .into_iter()
                .map(|p| p.0.downcast::<String>().map(|s| *s).unwrap())
                .collect();
            RuleEval::Ran {
                deny: vec![index_violation(index)],
                warn: names
                    .into_iter()
                    .map(crate::backend::Violation::new)
                    .collect(),
            }
        }
    }

    impl Session for FakeSession {
        fn eval_part(&mut self, index: usize, part: usize, of: usize) -> Result<Partial, String> {
            if index == 8 && part == 1 {
                panic!("part boom");
            }
            Ok(Partial(Box::new(format!("{part}/{of}"))))
        }

        fn eval(&mut self, index: usize) -> RuleEval {
            match index {
                0 => RuleEval::Ran {
                    deny: vec![],
                    warn: vec![index_violation(index)],
                },
                1 => panic!("boom"),
                2 => loop {
                    std::thread::sleep(Duration::from_millis(50));
                },
                _ => RuleEval::Ran {
                    deny: vec![index_violation(index)],
                    warn: vec![],
                },
            }
        }
    }

    fn index_violation(index: usize) -> crate::backend::Violation {
        crate::backend::Violation::new(index.to_string())
    }

    fn run(indices: Vec<usize>, threads: usize) -> Vec<RuleEval> {
        let input = Arc::new(PreparedInput::new(Value::Null));
        let limits = EvalLimits {
            // Generous: on a loaded machine even the instant rules need time
            // to be scheduled; only the endless one may hit the budget.
            rule_timeout: Duration::from_millis(1500),
            stack_bytes: 1 << 20,
            threads,
        };
        evaluate(
            Arc::new(Fake),
            input,
            Arc::new(Value::Null),
            indices,
            limits,
        )
    }

    fn denied(r: &RuleEval) -> Option<&str> {
        match r {
            RuleEval::Ran { deny, .. } => deny.first().map(|v| v.msg.as_str()),
            RuleEval::Error(_) => None,
        }
    }

    #[test]
    fn panics_and_overruns_become_rule_errors() {
        let out = run(vec![0, 1, 2, 3], 1);
        assert_eq!(out.len(), 4);
        assert!(matches!(out[0], RuleEval::Ran { .. }));
        assert!(matches!(&out[1], RuleEval::Error(e) if e.contains("boom")));
        assert!(matches!(&out[2], RuleEval::Error(e) if e.contains("time budget of 1500 ms")));
        assert!(matches!(&out[3], RuleEval::Error(e) if e.contains("not evaluated")));
    }

    #[test]
    fn parallel_workers_keep_order_and_the_others_take_over_from_an_overrun() {
        // Two workers take rules as they become free; the one that takes
        // rule 2 hangs there, the other evaluates every rule after it.
        let out = run(vec![0, 1, 2, 3, 4, 5, 6, 7], 2);
        assert_eq!(out.len(), 8);
        assert!(matches!(&out[0], RuleEval::Ran { warn, .. } if warn[0].msg == "0"));
        assert!(matches!(&out[1], RuleEval::Error(e) if e.contains("boom")));
        assert!(matches!(&out[2], RuleEval::Error(e) if e.contains("time budget of 1500 ms")));
        for (i, r) in out.iter().enumerate().skip(3) {
            assert_eq!(denied(r), Some(i.to_string().as_str()));
        }
        // When every worker is stuck, the rules left are not evaluated.
        let out = run(vec![2, 2, 3], 2);
        for r in &out[..2] {
            assert!(matches!(r, RuleEval::Error(e) if e.contains("time budget of 1500 ms")));
        }
        assert!(matches!(&out[2], RuleEval::Error(e) if e.contains("not evaluated")));
    }

    #[test]
    fn a_rule_alone_is_cut_into_parts_joined_in_order() {
        fn parts_of(r: &RuleEval) -> Vec<&str> {
            match r {
                RuleEval::Ran { warn, .. } => warn.iter().map(|v| v.msg.as_str()).collect(),
                RuleEval::Error(e) => panic!("{e}"),
            }
        }
        // One rule, four workers: three parts (the engine's most).
        let out = run(vec![9], 4);
        assert_eq!(parts_of(&out[0]), ["0/3", "1/3", "2/3"]);
        assert_eq!(denied(&out[0]), Some("9"));
        // Two rules, four workers: two ways each; rule 3 cannot be cut.
        let out = run(vec![9, 3], 4);
        assert_eq!(parts_of(&out[0]), ["0/2", "1/2"]);
        assert_eq!(denied(&out[1]), Some("3"));
        // As many rules as workers: nothing is cut.
        let out = run(vec![9, 3], 2);
        assert_eq!(denied(&out[0]), Some("9"));
        // A part that crashes fails its rule, and only its rule.
        let out = run(vec![8, 9], 4);
        assert!(matches!(&out[0], RuleEval::Error(e) if e.contains("part boom")));
        assert_eq!(parts_of(&out[1]), ["0/2", "1/2"]);
    }

    #[test]
    fn more_threads_than_rules_and_no_rules() {
        let out = run(vec![3, 0, 5], 8);
        assert_eq!(denied(&out[0]), Some("3"));
        assert!(matches!(&out[1], RuleEval::Ran { deny, .. } if deny.is_empty()));
        assert_eq!(denied(&out[2]), Some("5"));
        assert!(run(vec![], 4).is_empty());
    }
}
