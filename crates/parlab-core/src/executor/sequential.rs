//! The baseline: every task on the calling thread, one after another.
//!
//! Invariant: `submit` has finished the task before it returns, so the
//! future is always done; the run's wall time equals its sum of task times.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::executor::chunks::chunks;
use crate::executor::contract::{Arg, Executor, Output};
use crate::executor::future::Future;
use crate::executor::local::{label, run_item, this_thread_lane};
use crate::record::{ExecutorKind, Journal, Run};

/// Runs each task immediately on the calling thread.
///
/// It keeps the [`Executor`] contract and, since every task runs right here,
/// also runs any closure — one that borrows, or mutates what it captured:
/// [`Sequential::submit_closure`], [`Sequential::map_closure`] and
/// [`Sequential::run_closure`].
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// let seq = Sequential::new();
/// let (squares, run) = seq.run(|x: u64| x * x, 1..=3)?;
/// assert_eq!(squares, [1, 4, 9]);
/// assert_eq!(run.tasks.len(), 3);
/// let mut seen = Vec::new(); // borrowed and changed: only here can a task do that
/// seq.map_closure(|x: u64| seen.push(x), 1..=3)?;
/// assert_eq!(seen, [1, 2, 3]);
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Sequential {
    journal: Arc<Journal>,
    shut: AtomicBool,
}

impl Sequential {
    /// A sequential executor.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`Executor::submit`] for any closure: run `f(arg)` now; the future is already done.
    pub fn submit_closure<A: Debug, R>(&self, f: impl FnOnce(A) -> R, arg: A) -> Result<Future<R>> {
        self.check_open()?;
        let index = self.journal.reserve(1);
        let label = label(&arg);
        Ok(Future::ready(run_item(f, arg, index, label, this_thread_lane(), &self.journal)))
    }

    /// [`Executor::map`] for any closure: apply `f` to each argument in order.
    pub fn map_closure<A: Debug, R>(&self, f: impl FnMut(A) -> R, args: impl IntoIterator<Item = A>) -> Result<Vec<R>> {
        self.map_in_order(f, args, 1)
    }

    /// [`Executor::run`] for any closure: map, and return the recorded [`Run`] too.
    pub fn run_closure<A: Debug, R>(
        &self,
        f: impl FnMut(A) -> R,
        args: impl IntoIterator<Item = A>,
    ) -> Result<(Vec<R>, Run)> {
        self.recorded(|| self.map_closure(f, args))
    }

    /// Apply `f` to each argument in order; `chunksize` only groups the records.
    fn map_in_order<A: Debug, R>(
        &self,
        mut f: impl FnMut(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        self.check_open()?;
        let mut out = Vec::new();
        let mut first_err = None;
        for chunk in chunks(args, chunksize)? {
            let first = self.journal.reserve(chunk.len());
            for (i, arg) in chunk.into_iter().enumerate() {
                let label = label(&arg);
                match run_item(&mut f, arg, first + i, label, this_thread_lane(), &self.journal) {
                    Ok(v) => out.push(v),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
        }
        first_err.map_or(Ok(out), Err)
    }

    fn check_open(&self) -> Result<()> {
        if self.shut.load(Ordering::Acquire) { Err(Error::Shutdown) } else { Ok(()) }
    }
}

impl Executor for Sequential {
    fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>> {
        self.submit_closure(f, arg)
    }

    /// Apply `f` to each argument in order (chunksize is accepted for symmetry).
    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        self.map_in_order(f, args, chunksize)
    }

    fn take_run(&self) -> Run {
        self.journal.take(self.name(), ExecutorKind::Sequential, 1)
    }

    /// Refuse further work (nothing is ever pending).
    fn shutdown(&self, _wait: bool, _cancel_futures: bool) {
        self.shut.store(true, Ordering::Release);
    }

    /// Always 1.
    fn workers(&self) -> usize {
        1
    }

    /// `Sequential`.
    fn name(&self) -> String {
        "Sequential".to_string()
    }
}
