//! Running one task in this process, timed and recorded, and what is said of
//! a task: its label in the records, the text of its panic.
//!
//! Invariant: `run_item` never lets a panic escape and records the task
//! exactly once, whatever happened to it.

use std::any::Any;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::clock::TaskClock;
use crate::error::{Error, Result};
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
    let wait0 = crate::gil::waited_ns();
    let clock = TaskClock::start();
    let out = catch_unwind(AssertUnwindSafe(|| f(arg))).map_err(|p| Error::Panicked(panic_message(p)));
    let (start_ns, end_ns, cpu_ns) = clock.stop();
    let gil_wait_ns = crate::gil::waited_ns() - wait0;
    journal.extend([RawTask { index, arg: label, lane, start_ns, end_ns, cpu_ns, gil_wait_ns, ok: out.is_ok() }]);
    out
}

/// The lane of the calling thread when it is not a pool worker.
pub(crate) fn this_thread_lane() -> Lane {
    Lane { worker: 0, thread: 0, pid: std::process::id(), host: 0 }
}

/// Text of a caught panic's payload.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

/// Shortened `Debug` text used to label a task in its record.
pub(crate) fn label<A: Debug + ?Sized>(arg: &A) -> String {
    crate::record::debug_label(arg, 48)
}
