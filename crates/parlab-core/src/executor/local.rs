//! Running one task in this process, timed and recorded.
//!
//! Invariant: `run_item` never lets a panic escape and records the task
//! exactly once, whatever happened to it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::clock::{now_ns, thread_cpu_ns};
use crate::error::{Error, Result};
use crate::executor::panic_message;
use crate::record::{Journal, Lane, RawTask};

/// Run `f(arg)` on the current thread, catching a panic, and record it.
pub(crate) fn run_item<A, R>(
    f: impl FnOnce(A) -> R,
    arg: A,
    index: usize,
    label: String,
    lane: Lane,
    journal: &Journal,
) -> Result<R> {
    let cpu0 = thread_cpu_ns();
    let start_ns = now_ns();
    let out = catch_unwind(AssertUnwindSafe(|| f(arg))).map_err(|p| Error::Panicked(panic_message(p)));
    let end_ns = now_ns();
    let cpu_ns = cpu0.zip(thread_cpu_ns()).map(|(a, b)| b.saturating_sub(a));
    journal.extend([RawTask { index, arg: label, lane, start_ns, end_ns, cpu_ns, ok: out.is_ok() }]);
    out
}

/// The lane of the calling thread when it is not a pool worker.
pub(crate) fn this_thread_lane() -> Lane {
    Lane { worker: 0, thread: 0, pid: std::process::id() }
}
