//! The pools the demos run on, and the seed's way of submitting to them.
//!
//! Invariant: every process pool here is started with
//! [`StartMethod::Spawn`] (the binary's `main` calls `init()` first), warmed
//! up before anything is timed, and wrapped in [`Reaped`], so its workers
//! are shut down and reaped when the demo ends — on success or on error.

use std::ops::Deref;

use parlab::executor::{Arg, Output};
use parlab::prelude::*;

/// An executor that is shut down, waiting for its workers, when dropped.
pub struct Reaped<E: Executor>(pub E);

impl<E: Executor> Deref for Reaped<E> {
    type Target = E;
    fn deref(&self) -> &E {
        &self.0
    }
}

impl<E: Executor> Drop for Reaped<E> {
    fn drop(&mut self) {
        self.0.shutdown(true, false);
    }
}

/// A thread pool of `n` threads, simulated GIL on or off.
pub fn thread_pool(n: usize, gil: bool) -> Result<Reaped<ThreadPool>> {
    Ok(Reaped(ThreadPool::new(n)?.gil(gil)))
}

/// `n` spawned worker processes, already running.
pub fn process_pool(n: usize, gil: bool) -> Result<Reaped<ProcessPool>> {
    let pool = Reaped(ProcessPool::new(n)?.start_method(StartMethod::Spawn).gil(gil));
    warm(&*pool)?;
    Ok(pool)
}

/// `processes` spawned workers of `threads` threads each, already running.
pub fn hybrid_pool(processes: usize, threads: usize, gil: bool) -> Result<Reaped<HybridPool>> {
    let pool = Reaped(HybridPool::new(processes, threads)?.start_method(StartMethod::Spawn).gil(gil));
    warm(&*pool)?;
    Ok(pool)
}

fn noop(x: usize) -> usize {
    x
}

/// Start the workers (they start at the first submit) so that start-up is not timed.
fn warm<E: Executor>(pool: &E) -> Result<()> {
    pool.map(noop, 0..pool.workers())?;
    pool.take_run();
    Ok(())
}

/// The seed's `submit_get_results`: submit every task, then collect the
/// results in submission order; returns them with the run.
pub fn submit_all<E: Executor, A: Arg, R: Output>(
    pool: &E,
    f: fn(A) -> R,
    args: impl IntoIterator<Item = A>,
) -> Result<(Vec<R>, Run)> {
    pool.recorded(|| {
        let futures = args.into_iter().map(|a| pool.submit(f, a)).collect::<Result<Vec<_>>>()?;
        futures.into_iter().map(Future::result).collect()
    })
}
