//! The allocator of the `shipgate` binaries and the one setting they give it.
//!
//! The binaries allocate many small values while loading evidence and
//! evaluating rules; mimalloc is markedly faster at that than the system
//! allocator (docs/performance.md). mimalloc 3 keeps the pages a program
//! frees resident for a second before it returns them to the system (its
//! *purge delay*; mimalloc 2 waited 10 ms). A `check` is over in a fraction
//! of that, so every page it ever freed stayed in its peak: at 10,000
//! components 40–43 MiB instead of 35. [`configure`] sets the delay back to
//! 10 ms, at no measurable cost in time at 10,000 components (3–8% more at
//! 100,000, where it saves 20–40 MiB).
//!
//! This crate holds the workspace's only `unsafe` code: the two calls into
//! mimalloc's option table below, and one asking it to return freed memory.

use std::ffi::c_long;

pub use mimalloc::MiMalloc;

/// mimalloc's option number of the purge delay (`mi_option_purge_delay` in
/// `mimalloc.h`: the one before `mi_option_use_numa_nodes`). The bindings do
/// not name it; a test holds the number to the option's default.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// The purge delay the binaries use, in milliseconds.
pub const PURGE_DELAY_MS: c_long = 10;

/// The environment variables through which mimalloc reads the purge delay
/// (the second is its older name). When either is set, the user's value
/// stands.
const PURGE_DELAY_VARS: [&str; 2] = ["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"];

/// Sets mimalloc's purge delay to [`PURGE_DELAY_MS`], unless the environment
/// sets it. Call it first thing in `main`, before any thread starts:
/// mimalloc's option table is not synchronised.
pub fn configure() {
    if !set_by_environment() {
        set_purge_delay(PURGE_DELAY_MS);
    }
}

/// Whether the environment sets the purge delay.
fn set_by_environment() -> bool {
    PURGE_DELAY_VARS
        .iter()
        .any(|var| std::env::var_os(var).is_some())
}

/// The purge delay mimalloc uses now, in milliseconds.
pub fn purge_delay() -> c_long {
    // SAFETY: `mi_option_get` reads one entry of mimalloc's static option
    // table (initialising it from the environment on first use); `PURGE_DELAY`
    // is a valid option number (below `_mi_option_last`), held by a test.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_get(PURGE_DELAY)
    }
}

fn set_purge_delay(ms: c_long) {
    // SAFETY: as in `purge_delay`; `mi_option_set` writes the entry, which
    // mimalloc reads whenever it schedules a purge. Not synchronised: callers
    // run before any other thread exists (`configure`'s contract).
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, ms)
    }
}

/// Returns the memory the process has freed to the system now, rather
/// than after the purge delay: for the moment a check has let go of tens of
/// MiB (a large SBOM's input document) and is about to take as much again
/// in one piece (its text, unpacked to locate findings), which the freed
/// small pages cannot serve. Costs a walk over the calling thread's heap.
pub fn return_freed() {
    // SAFETY: `mi_collect` takes no pointers; it frees the calling thread's
    // empty pages and purges what is free, under mimalloc's own locks.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number is the purge delay's: with the environment silent,
    /// it reads mimalloc 3's default of 1000 ms (no neighbouring option has
    /// that default), and setting it is read back.
    #[test]
    fn the_option_number_is_the_purge_delay() {
        if set_by_environment() {
            return;
        }
        assert_eq!(purge_delay(), 1000);
        configure();
        assert_eq!(purge_delay(), PURGE_DELAY_MS);
        set_purge_delay(1000);
        assert_eq!(purge_delay(), 1000);
    }
}
