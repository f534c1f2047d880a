//! The contract every executor keeps (see the module above), written once.
//!
//! Invariant: an executor writes only what is its own — `submit`,
//! `map_chunked`, its record, shutdown, size and name; everything built from
//! those (`map`, `run`, `run_chunked`, `recorded`) is a default method here,
//! so every executor behaves the same in them.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::executor::future::Future;
use crate::record::Run;

/// What a task's argument must be to cross into any executor (including a process).
pub trait Arg: Serialize + DeserializeOwned + Debug + Send + 'static {}
impl<T: Serialize + DeserializeOwned + Debug + Send + 'static> Arg for T {}

/// What a task's result must be to come back from any executor (including a process).
pub trait Output: Serialize + DeserializeOwned + Send + 'static {}
impl<T: Serialize + DeserializeOwned + Send + 'static> Output for T {}

/// The interface every executor shares (concurrent.futures' `Executor`).
///
/// A task is a plain function pointer `fn(A) -> R` with serde arguments and
/// results, because that is what can cross into a worker process (a
/// non-capturing closure coerces to one). Executors that run tasks in this
/// process also take capturing closures, under their own names:
/// [`ThreadPool::map_closure`](crate::executor::ThreadPool::map_closure) and
/// the like, and the same on [`Sequential`](crate::executor::Sequential).
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// fn square(x: u64) -> u64 { x * x }
///
/// // One function for every executor: what it may call is the contract.
/// fn squares(pool: &impl Executor) -> Result<Vec<u64>> {
///     pool.map(square, 0..4)
/// }
/// assert_eq!(squares(&Sequential::new())?, [0, 1, 4, 9]);
/// assert_eq!(squares(&ThreadPool::new(2)?)?, [0, 1, 4, 9]);
/// assert_eq!(squares(&ProcessPool::new(2)?)?, [0, 1, 4, 9]);
/// # Ok(()) }
/// ```
pub trait Executor {
    /// Schedule `f(arg)` and return its future at once.
    fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>>;

    /// Apply `f` to every argument, sending `chunksize` arguments to a worker
    /// at a time; results come back in submission order. Waits for every task,
    /// then returns the values or the first error in submission order.
    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>>;

    /// The tasks finished since the last call, as a [`Run`] labelled with [`Executor::name`].
    fn take_run(&self) -> Run;

    /// Stop accepting work. With `cancel_futures`, tasks not yet started are
    /// cancelled; with `wait`, block until running tasks are done and workers gone.
    /// Once it has returned, every later `submit` or `map` is refused with
    /// [`Error::Shutdown`](crate::Error::Shutdown).
    fn shutdown(&self, wait: bool, cancel_futures: bool);

    /// How many tasks can run at once.
    fn workers(&self) -> usize;

    /// A label such as `ThreadPool(14, GIL on)`.
    fn name(&self) -> String;

    /// [`Executor::map_chunked`] with one argument per chunk.
    fn map<A: Arg, R: Output>(&self, f: fn(A) -> R, args: impl IntoIterator<Item = A>) -> Result<Vec<R>> {
        self.map_chunked(f, args, 1)
    }

    /// Map `f` over `args` and also return the [`Run`] recorded for exactly
    /// these tasks (records not taken before the call are dropped).
    fn run<A: Arg, R: Output>(&self, f: fn(A) -> R, args: impl IntoIterator<Item = A>) -> Result<(Vec<R>, Run)> {
        self.recorded(|| self.map(f, args))
    }

    /// [`Executor::run`] with `chunksize` arguments per chunk ([`Executor::map_chunked`]).
    fn run_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<(Vec<R>, Run)> {
        self.recorded(|| self.map_chunked(f, args, chunksize))
    }

    /// Do `work` with this executor and return its value with the [`Run`]
    /// recorded for exactly the tasks it ran (records not taken before are dropped).
    ///
    /// ```
    /// use parlab_core::prelude::*;
    /// # fn main() -> parlab_core::Result<()> {
    /// fn square(x: u64) -> u64 { x * x }
    /// let pool = ThreadPool::new(2)?;
    /// let (sum, run) = pool.recorded(|| Ok(pool.submit(square, 3)?.result()? + pool.submit(square, 4)?.result()?))?;
    /// assert_eq!((sum, run.tasks.len()), (25, 2));
    /// # Ok(()) }
    /// ```
    fn recorded<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<(T, Run)> {
        self.take_run(); // start a fresh run: drop records nobody took
        let out = work();
        let run = self.take_run();
        out.map(|value| (value, run))
    }
}
