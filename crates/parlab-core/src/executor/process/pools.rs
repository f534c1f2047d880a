//! The process pools a learner uses: [`ProcessPool`], [`HybridPool`] and
//! [`Process`]. The two pools are one type, [`ProcessPoolOf`], told apart by
//! the [`Layout`] of their workers: one thread each, or several.
//!
//! Invariant: everything but the constructor and the label is written once,
//! for every layout, over the shared `Pool`.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use crate::error::Result;
use crate::executor::contract::{Arg, Executor, Output};
use crate::executor::future::Future;
use crate::record::{ExecutorKind, Run};

#[cfg(unix)]
use super::frontend::Pool;
use super::start_method::StartMethod;
#[cfg(windows)]
use super::unsupported::Pool;

/// How a process pool's workers are laid out: what [`ProcessPool`] and
/// [`HybridPool`] differ in. Implemented by [`Single`] and [`Hybrid`] only.
pub trait Layout: sealed::Sealed {
    /// The kind its runs are recorded as.
    const KIND: ExecutorKind;

    /// The pool's label, e.g. `ProcessPool(3)` or `Hybrid(2×4, GIL on)`.
    fn label(processes: usize, threads: usize, gil: &str) -> String;
}

/// One thread in each worker process: [`ProcessPool`].
#[derive(Debug)]
pub enum Single {}

/// Several threads in each worker process: [`HybridPool`].
#[derive(Debug)]
pub enum Hybrid {}

impl Layout for Single {
    const KIND: ExecutorKind = ExecutorKind::Processes;

    fn label(processes: usize, _threads: usize, gil: &str) -> String {
        format!("ProcessPool({processes}{gil})")
    }
}

impl Layout for Hybrid {
    const KIND: ExecutorKind = ExecutorKind::Hybrid;

    fn label(processes: usize, threads: usize, gil: &str) -> String {
        format!("Hybrid({processes}×{threads}{gil})")
    }
}

mod sealed {
    /// Only this module's layouts: the scheduler knows no others.
    pub trait Sealed {}
    impl Sealed for super::Single {}
    impl Sealed for super::Hybrid {}
}

/// A pool of worker processes laid out as `L`; use it as [`ProcessPool`] or [`HybridPool`].
pub struct ProcessPoolOf<L: Layout> {
    pub(super) pool: Pool,
    layout: PhantomData<L>,
}

/// A pool of worker processes, one task at a time in each (Python's
/// `ProcessPoolExecutor`). Each process has its own memory and its own GIL.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// fn square(x: u64) -> u64 { x * x }
///
/// let pool = ProcessPool::new(2)?;
/// assert_eq!(pool.map(square, 0..5)?, [0, 1, 4, 9, 16]);
/// // A non-capturing closure coerces to a function pointer too.
/// assert_eq!(pool.submit(|s: String| s.len(), "four".to_string())?.result()?, 4);
/// # Ok(()) }
/// ```
///
/// A capturing closure cannot be sent to another process — it does not compile,
/// as a lambda cannot be pickled in Python:
///
/// ```compile_fail
/// use parlab_core::prelude::*;
/// let pool = ProcessPool::new(2).unwrap();
/// let offset = 10;
/// pool.map(move |x: u64| x + offset, 0..5); // error: expected fn pointer, found closure
/// ```
pub type ProcessPool = ProcessPoolOf<Single>;

/// P worker processes with T threads each: processes for CPU parallelism,
/// threads inside them for waiting work. Each process has one GIL for its threads.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// # parlab_core::workload::set_scale(0.02)?;
/// let pool = HybridPool::new(2, 3)?.gil(true);
/// let (_, run) = pool.run(delayed_return_for, (0..6).map(|i| (i, 1.0)))?;
/// assert_eq!(run.lanes().len(), 6); // 2 processes × 3 threads
/// # Ok(()) }
/// ```
pub type HybridPool = ProcessPoolOf<Hybrid>;

impl ProcessPoolOf<Single> {
    /// A pool of `workers` processes, started with `fork` at the first submit.
    pub fn new(workers: usize) -> Result<ProcessPool> {
        ProcessPoolOf::with_shape(workers, 1)
    }
}

impl ProcessPoolOf<Hybrid> {
    /// `processes` worker processes with `threads` threads each.
    pub fn new(processes: usize, threads: usize) -> Result<HybridPool> {
        ProcessPoolOf::with_shape(processes, threads)
    }
}

impl<L: Layout> ProcessPoolOf<L> {
    fn with_shape(processes: usize, threads: usize) -> Result<Self> {
        Ok(ProcessPoolOf { pool: Pool::new(processes, threads, L::KIND)?, layout: PhantomData })
    }

    /// Turn the simulated GIL of each worker process on or off.
    pub fn gil(self, on: bool) -> Self {
        self.pool.set_gil(on);
        self
    }

    /// Choose how workers start; applies to workers started from now on
    /// (the first start is at the first submit).
    pub fn start_method(self, method: StartMethod) -> Self {
        self.pool.set_start_method(method);
        self
    }

    /// How long a thread may hold its process's GIL while another waits.
    pub fn switch_interval(self, interval: Duration) -> Self {
        self.pool.set_interval(interval);
        self
    }

    /// Process ids of the current worker processes (empty before the first submit).
    pub fn pids(&self) -> Vec<u32> {
        self.pool.pids()
    }
}

impl<L: Layout> Executor for ProcessPoolOf<L> {
    fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>> {
        self.pool.submit(f, arg)
    }

    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        self.pool.map_chunked(f, args, chunksize)
    }

    fn take_run(&self) -> Run {
        self.pool.take_run(self.name())
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.pool.shutdown(wait, cancel_futures)
    }

    fn workers(&self) -> usize {
        let (processes, threads) = self.pool.shape();
        processes * threads
    }

    fn name(&self) -> String {
        let (processes, threads) = self.pool.shape();
        L::label(processes, threads, self.pool.gil_label())
    }
}

impl<L: Layout> fmt::Debug for ProcessPoolOf<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One function call in its own process (Python's `multiprocessing.Process`):
/// start it, do something else, then `join` it for its result.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// # workload::set_scale(0.1)?; // foo sleeps 0.1 s
/// # let start = std::time::Instant::now();
/// let children: Vec<Process<()>> = (0..3).map(|_| Process::start(foo, ())).collect::<Result<_>>()?;
/// for child in children {
///     child.join()?; // all three slept at the same time
/// }
/// // One after another they would take 0.3 s; a busy machine delays the forks, not the sleeps.
/// # assert!(start.elapsed().as_secs_f64() < 3.0 * 0.1);
/// # Ok(()) }
/// ```
pub struct Process<R> {
    pool: ProcessPool,
    result: Future<R>,
}

impl<R: Output> Process<R> {
    /// Fork a process that runs `f(arg)`.
    pub fn start<A: Arg>(f: fn(A) -> R, arg: A) -> Result<Self> {
        let pool = ProcessPool::new(1)?;
        let result = pool.submit(f, arg)?;
        Ok(Process { pool, result })
    }

    /// The child's process id.
    pub fn pid(&self) -> Option<u32> {
        self.pool.pids().first().copied()
    }

    /// True until the call has finished.
    pub fn is_alive(&self) -> bool {
        !self.result.done()
    }

    /// Wait for the call to finish and the process to end; return the call's result.
    pub fn join(self) -> Result<R> {
        let out = self.result.result();
        self.pool.shutdown(true, false);
        out
    }
}

impl<R> fmt::Debug for Process<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Process(pid {:?})", self.pool.pids().first())
    }
}
