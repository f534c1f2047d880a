//! The process pools a learner uses: [`ProcessPool`], [`HybridPool`] and
//! [`Process`], each a thin front over the shared `Pool`.

use std::time::Duration;

use crate::error::Result;
use crate::executor::{Arg, Executor, Future, Output};
use crate::record::{ExecutorKind, Run};

use super::{Pool, StartMethod};

macro_rules! pool_api {
    ($ty:ident) => {
        impl $ty {
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

        impl Executor for $ty {
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
                self.label()
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.label())
            }
        }
    };
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
pub struct ProcessPool {
    pub(super) pool: Pool,
}

impl ProcessPool {
    /// A pool of `workers` processes, started with `fork` at the first submit.
    pub fn new(workers: usize) -> Result<Self> {
        Ok(ProcessPool { pool: Pool::new(workers, 1, ExecutorKind::Processes)? })
    }

    fn label(&self) -> String {
        format!("ProcessPool({}{})", self.pool.shape().0, self.pool.gil_label())
    }
}

pool_api!(ProcessPool);

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
pub struct HybridPool {
    pub(super) pool: Pool,
}

impl HybridPool {
    /// `processes` worker processes with `threads` threads each.
    pub fn new(processes: usize, threads: usize) -> Result<Self> {
        Ok(HybridPool { pool: Pool::new(processes, threads, ExecutorKind::Hybrid)? })
    }

    fn label(&self) -> String {
        let (processes, threads) = self.pool.shape();
        format!("Hybrid({processes}×{threads}{})", self.pool.gil_label())
    }
}

pool_api!(HybridPool);

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
        self.pool.pool.shutdown(true, false);
        out
    }
}

impl<R> std::fmt::Debug for Process<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Process(pid {:?})", self.pool.pids().first())
    }
}
