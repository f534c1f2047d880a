//! The baseline: every task on the calling thread, one after another.
//!
//! Invariant: `submit` has finished the task before it returns, so the
//! future is always done; the run's wall time equals its sum of task times.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::executor::contract::{Arg, Executor, Output, chunks, label};
use crate::executor::future::Future;
use crate::executor::local::{run_item, this_thread_lane};
use crate::record::{ExecutorKind, Journal, Run};

/// Runs each task immediately on the calling thread.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// let seq = Sequential::new();
/// let (squares, run) = seq.run(|x: u64| x * x, 1..=3)?;
/// assert_eq!(squares, [1, 4, 9]);
/// assert_eq!(run.tasks.len(), 3);
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

    /// Run `f(arg)` now; the returned future is already done.
    pub fn submit<A: Debug, R>(&self, f: impl FnOnce(A) -> R, arg: A) -> Result<Future<R>> {
        self.check_open()?;
        let index = self.journal.reserve(1);
        let label = label(&arg);
        Ok(Future::ready(run_item(f, arg, index, label, this_thread_lane(), &self.journal)))
    }

    /// Apply `f` to each argument in order (chunksize is accepted for symmetry).
    pub fn map_chunked<A: Debug, R>(
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

    /// Apply `f` to each argument in order.
    pub fn map<A: Debug, R>(&self, f: impl FnMut(A) -> R, args: impl IntoIterator<Item = A>) -> Result<Vec<R>> {
        self.map_chunked(f, args, 1)
    }

    /// Map and return the recorded [`Run`] too.
    pub fn run<A: Debug, R>(&self, f: impl FnMut(A) -> R, args: impl IntoIterator<Item = A>) -> Result<(Vec<R>, Run)> {
        self.take_run(); // start a fresh run: drop records nobody took
        let out = self.map(f, args);
        let run = self.take_run();
        out.map(|values| (values, run))
    }

    /// The tasks finished since the last call.
    pub fn take_run(&self) -> Run {
        self.journal.take(self.name(), ExecutorKind::Sequential, 1)
    }

    /// Refuse further work (nothing is ever pending).
    pub fn shutdown(&self, _wait: bool, _cancel_futures: bool) {
        self.shut.store(true, Ordering::Release);
    }

    /// Always 1.
    pub fn workers(&self) -> usize {
        1
    }

    /// `Sequential`.
    pub fn name(&self) -> String {
        "Sequential".to_string()
    }

    fn check_open(&self) -> Result<()> {
        if self.shut.load(Ordering::Acquire) { Err(Error::Shutdown) } else { Ok(()) }
    }
}

impl Executor for Sequential {
    fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>> {
        Sequential::submit(self, f, arg)
    }
    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        Sequential::map_chunked(self, f, args, chunksize)
    }
    fn take_run(&self) -> Run {
        Sequential::take_run(self)
    }
    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        Sequential::shutdown(self, wait, cancel_futures)
    }
    fn workers(&self) -> usize {
        1
    }
    fn name(&self) -> String {
        Sequential::name(self)
    }
}
