//! The contract every executor keeps (see the module above), and the small
//! helpers the executors share to keep it: chunking, collecting, labels.

use std::any::Any;
use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::executor::Future;
use crate::record::Run;

/// What a task's argument must be to cross into any executor (including a process).
pub trait Arg: Serialize + DeserializeOwned + Debug + Send + 'static {}
impl<T: Serialize + DeserializeOwned + Debug + Send + 'static> Arg for T {}

/// What a task's result must be to come back from any executor (including a process).
pub trait Output: Serialize + DeserializeOwned + Send + 'static {}
impl<T: Serialize + DeserializeOwned + Send + 'static> Output for T {}

/// The interface all four executors share (concurrent.futures' `Executor`).
///
/// The thread pool and sequential executor also have inherent methods of the
/// same names that accept capturing closures; this trait is the common ground.
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

    /// The tasks finished since the last call, as a [`Run`] labelled with [`Executor::name`].
    fn take_run(&self) -> Run;

    /// Stop accepting work. With `cancel_futures`, tasks not yet started are
    /// cancelled; with `wait`, block until running tasks are done and workers gone.
    fn shutdown(&self, wait: bool, cancel_futures: bool);

    /// How many tasks can run at once.
    fn workers(&self) -> usize;

    /// A label such as `ThreadPool(14, GIL on)`.
    fn name(&self) -> String;
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

/// Split `args` into owned chunks of `chunksize`.
pub(crate) fn chunks<A>(args: impl IntoIterator<Item = A>, chunksize: usize) -> Result<Vec<Vec<A>>> {
    if chunksize == 0 {
        return Err(Error::ZeroChunksize);
    }
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(chunksize);
    for a in args {
        current.push(a);
        if current.len() == chunksize {
            out.push(std::mem::replace(&mut current, Vec::with_capacity(chunksize)));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// Wait for every chunk, then return all values or the first error in order.
pub(crate) fn collect_chunks<R>(chunks: Vec<Future<Vec<Result<R>>>>) -> Result<Vec<R>> {
    let (mut values, mut first_err) = (Vec::new(), None);
    for chunk in chunks {
        collect_chunk(chunk, &mut values, &mut first_err);
    }
    first_err.map_or(Ok(values), Err)
}

/// Wait for one chunk; append its values, remember the first error.
pub(crate) fn collect_chunk<R>(chunk: Future<Vec<Result<R>>>, values: &mut Vec<R>, first_err: &mut Option<Error>) {
    match chunk.result() {
        Ok(items) => {
            for item in items {
                match item {
                    Ok(v) => values.push(v),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
        }
        Err(e) => {
            first_err.get_or_insert(e);
        }
    }
}

/// Shortened `Debug` text used to label a task in its record.
pub(crate) fn label<A: Debug + ?Sized>(arg: &A) -> String {
    crate::record::debug_label(arg, 48)
}
