//! Order-preserving parallel map over a slice, for independent work such as
//! reading and validating several evidence files.
//!
//! Items are dealt round-robin to at most [`eval_threads`] scoped threads and
//! the results come back in the items' order, so what a caller reports never
//! depends on which thread finished first. One item (or one thread) runs on
//! the calling thread without spawning anything.
//!
//! [`eval_threads`]: crate::backend::guard::eval_threads

/// `f` applied to every item, in order, on up to `eval_threads()` threads.
/// A panic in `f` is re-raised on the caller, as a sequential map would.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = crate::backend::guard::eval_threads().min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    let mut shares: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    items
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, item)| (i, f(item)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut all: Vec<(usize, R)> = shares.iter_mut().flat_map(std::mem::take).collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Runs `a` and `b` at once (`b` on a scoped thread) and returns both.
pub(crate) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if crate::backend::guard::eval_threads() <= 1 {
        let a = a();
        return (a, b());
    }
    std::thread::scope(|scope| {
        let hb = scope.spawn(b);
        let a = a();
        let b = hb.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..37).collect();
        let out = map(&items, |i| {
            std::thread::sleep(std::time::Duration::from_millis((37 - i) % 5));
            i * 2
        });
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(map(&[] as &[u8], |_| 1).is_empty());
        assert_eq!(map(&[7], |x| x + 1), vec![8]);
    }

    #[test]
    fn join_returns_both() {
        assert_eq!(join(|| 1, || "b"), (1, "b"));
    }
}
