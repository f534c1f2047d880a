//! A pool of threads in this process, built on rayon.
//!
//! Invariant: every accepted job is handed to rayon exactly once and
//! accounted for in `state` from before it is accepted until it has completed
//! its future, so `shutdown(wait = true)` returns exactly when no job is left.
//! Accepting and counting are one atomic step on `state`, the same word whose
//! top bit `shutdown` sets: a `submit` either counts its job before that bit is
//! set (and `shutdown` waits for it) or sees the bit and is refused — it can
//! never slip a job in after `shutdown` has looked. rayon itself is
//! only touched through `spawn`, a closure built by the copy of this crate that
//! created the pool (see the module docs of `executor`).

use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::executor::contract::{Arg, Executor, Output, chunks, collect_chunks, label};
use crate::executor::future::Future;
use crate::executor::future::Slot;
use crate::executor::local::run_item;
use crate::gil::{DEFAULT_SWITCH_INTERVAL, Gil, ThreadGil};
use crate::record::{ExecutorKind, Journal, Lane, Run};
use crate::sync::lock;

/// A job as the pool runs it: told which lane it is on.
type Job = Box<dyn FnOnce(Lane) + Send>;

/// The bit of `Shared::state` that says the pool is shut; the bits below it count jobs.
const SHUT: usize = 1 << (usize::BITS - 1);

/// A fixed number of threads sharing one queue (Python's `ThreadPoolExecutor`).
///
/// With [`ThreadPool::gil`] on, the threads share one simulated GIL, like the
/// threads of a CPython process; with it off (the default) they run truly in
/// parallel, like Python's free-threaded build.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// let pool = ThreadPool::new(4)?;
/// let offset = 10; // threads may borrow nothing, but may capture by move
/// let out = pool.map(move |x: u64| x + offset, 0..4)?;
/// assert_eq!(out, [10, 11, 12, 13]);
/// # Ok(()) }
/// ```
pub struct ThreadPool {
    shared: Arc<Shared>,
    spawn: Box<dyn Fn(Job) + Send + Sync>,
    workers: usize,
}

struct Shared {
    journal: Journal,
    gil: Arc<Gil>,
    gil_on: AtomicBool,
    cancel_pending: AtomicBool,
    /// [`SHUT`] once shut down, plus the number of jobs accepted and not yet
    /// finished (see the module's invariant).
    state: AtomicUsize,
    idle_lock: Mutex<()>,
    idle: Condvar,
}

impl ThreadPool {
    /// A pool of `workers` threads, GIL off.
    pub fn new(workers: usize) -> Result<Self> {
        if workers == 0 {
            return Err(Error::ZeroWorkers);
        }
        let gil = Gil::new(DEFAULT_SWITCH_INTERVAL);
        let shared = Arc::new(Shared {
            journal: Journal::default(),
            gil: Arc::clone(&gil),
            gil_on: AtomicBool::new(false),
            cancel_pending: AtomicBool::new(false),
            state: AtomicUsize::new(0),
            idle_lock: Mutex::new(()),
            idle: Condvar::new(),
        });
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("parlab-thread-{i}"))
            .start_handler(move |_| ThreadGil::publish_for_thread(&gil))
            .exit_handler(|_| ThreadGil::retire_for_thread())
            // Tasks catch their own panics; this only guards the pool's own code.
            .panic_handler(|_| {})
            .build()
            .map_err(|e| Error::Os(format!("could not start threads: {e}")))?;
        let for_jobs = Arc::clone(&shared);
        let pid = std::process::id(); // a system call each time; threads never change process
        let spawn = Box::new(move |job: Job| {
            let shared = Arc::clone(&for_jobs);
            pool.spawn_fifo(move || {
                let lane = Lane { worker: 0, thread: rayon::current_thread_index().unwrap_or(0), pid, host: 0 };
                if shared.gil_on.load(Ordering::Acquire) {
                    ThreadGil::with_current(|slot| match slot {
                        Some(slot) => slot.hold(|| job(lane)),
                        None => job(lane),
                    });
                } else {
                    job(lane);
                }
                shared.finish_one();
            });
        });
        Ok(ThreadPool { shared, spawn, workers })
    }

    /// Turn the simulated GIL on or off for tasks started from now on.
    pub fn gil(self, on: bool) -> Self {
        self.shared.gil_on.store(on, Ordering::Release);
        self
    }

    /// Set how long a thread may hold the GIL while another waits (default 5 ms).
    pub fn switch_interval(self, interval: Duration) -> Self {
        self.shared.gil.set_interval(interval);
        self
    }

    /// How many times the GIL made a running thread yield to a waiting one.
    pub fn gil_switches(&self) -> u64 {
        self.shared.gil.forced_switches()
    }

    /// Schedule `f(arg)`; `f` may be any `FnOnce` closure, capturing or not.
    pub fn submit<A, R, F>(&self, f: F, arg: A) -> Result<Future<R>>
    where
        A: Debug + Send + 'static,
        R: Send + 'static,
        F: FnOnce(A) -> R + Send + 'static,
    {
        self.shared.accept(1)?;
        let index = self.shared.journal.reserve(1);
        let label = label(&arg);
        let slot = Slot::new();
        let job_slot = Arc::clone(&slot);
        let shared = Arc::clone(&self.shared);
        self.start(Box::new(move |lane| {
            if shared.cancel_pending.load(Ordering::Acquire) {
                Future::new(Arc::clone(&job_slot)).cancel();
            }
            if job_slot.try_start() {
                job_slot.complete(run_item(f, arg, index, label, lane, &shared.journal));
            }
        }));
        Ok(Future::new(slot))
    }

    /// Apply `f` to every argument, `chunksize` arguments per job; results in order.
    pub fn map_chunked<A, R, F>(&self, f: F, args: impl IntoIterator<Item = A>, chunksize: usize) -> Result<Vec<R>>
    where
        A: Debug + Send + 'static,
        R: Send + 'static,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        self.open()?; // refuse before consuming `args`, and before a bad chunksize
        let chunks = chunks(args, chunksize)?;
        // All chunks or none: a map that raced `shutdown` starts nothing.
        self.shared.accept(chunks.len())?;
        let f = Arc::new(f);
        let mut futures = Vec::new();
        for chunk in chunks {
            let first = self.shared.journal.reserve(chunk.len());
            let slot: Arc<Slot<Vec<Result<R>>>> = Slot::new();
            let (job_slot, shared, f) = (Arc::clone(&slot), Arc::clone(&self.shared), Arc::clone(&f));
            self.start(Box::new(move |lane| {
                if shared.cancel_pending.load(Ordering::Acquire) {
                    Future::new(Arc::clone(&job_slot)).cancel();
                }
                if job_slot.try_start() {
                    let out = chunk
                        .into_iter()
                        .enumerate()
                        .map(|(i, arg)| {
                            let label = label(&arg);
                            run_item(&*f, arg, first + i, label, lane, &shared.journal)
                        })
                        .collect();
                    job_slot.complete(Ok(out));
                }
            }));
            futures.push(Future::new(slot));
        }
        collect_chunks(futures)
    }

    /// [`ThreadPool::map_chunked`] with one argument per job.
    pub fn map<A, R, F>(&self, f: F, args: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Debug + Send + 'static,
        R: Send + 'static,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        self.map_chunked(f, args, 1)
    }

    /// Map and return the recorded [`Run`] too.
    pub fn run<A, R, F>(&self, f: F, args: impl IntoIterator<Item = A>) -> Result<(Vec<R>, Run)>
    where
        A: Debug + Send + 'static,
        R: Send + 'static,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        self.take_run(); // start a fresh run: drop records nobody took
        let out = self.map(f, args);
        let run = self.take_run();
        out.map(|values| (values, run))
    }

    /// The tasks finished since the last call.
    pub fn take_run(&self) -> Run {
        self.shared.journal.take(self.name(), ExecutorKind::Threads, self.workers)
    }

    /// Stop accepting work; optionally cancel queued tasks and wait for the rest.
    ///
    /// Once it has returned, every later `submit` or `map` is refused with
    /// [`Error::Shutdown`]; with `wait`, every task accepted before has also
    /// finished or (with `cancel_futures`, if it had not started) been cancelled.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        // Cancel first, so no job accepted before SHUT can start unseen between the two.
        if cancel_futures {
            self.shared.cancel_pending.store(true, Ordering::Release);
        }
        self.shared.state.fetch_or(SHUT, Ordering::AcqRel);
        if wait {
            let mut guard = lock(&self.shared.idle_lock);
            while self.shared.state.load(Ordering::Acquire) & !SHUT > 0 {
                // The timeout only guards against a wake-up lost between the load and the wait.
                guard = self
                    .shared
                    .idle
                    .wait_timeout(guard, Duration::from_millis(10))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }

    /// Number of threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// `ThreadPool(4)` or `ThreadPool(4, GIL on)`.
    pub fn name(&self) -> String {
        if self.shared.gil_on.load(Ordering::Acquire) {
            format!("ThreadPool({}, GIL on)", self.workers)
        } else {
            format!("ThreadPool({})", self.workers)
        }
    }

    /// A quick refusal for a pool already shut; not a promise (see [`Shared::accept`]).
    fn open(&self) -> Result<()> {
        if self.shared.state.load(Ordering::Acquire) & SHUT != 0 { Err(Error::Shutdown) } else { Ok(()) }
    }

    /// Hand rayon a job counted by [`Shared::accept`].
    fn start(&self, job: Job) {
        (self.spawn)(job);
    }
}

impl Shared {
    /// Count `jobs` more jobs as accepted, or refuse them all if the pool is shut.
    fn accept(&self, jobs: usize) -> Result<()> {
        let mut now = self.state.load(Ordering::Acquire);
        loop {
            if now & SHUT != 0 {
                return Err(Error::Shutdown);
            }
            let next = now.checked_add(jobs).filter(|n| n & SHUT == 0).ok_or_else(|| {
                Error::InvalidArgument(format!("{jobs} more jobs would overflow the pool's count of {now}"))
            })?;
            match self.state.compare_exchange_weak(now, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(()),
                Err(seen) => now = seen,
            }
        }
    }

    fn finish_one(&self) {
        if self.state.fetch_sub(1, Ordering::AcqRel) == SHUT | 1 {
            let _guard = lock(&self.idle_lock);
            self.idle.notify_all();
        }
    }
}

impl Drop for ThreadPool {
    /// Refuse new work; queued tasks still run and complete their futures, and
    /// rayon's threads exit once the queue is empty. Never blocks.
    fn drop(&mut self) {
        self.shutdown(false, false);
    }
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Executor for ThreadPool {
    fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>> {
        ThreadPool::submit(self, f, arg)
    }
    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        ThreadPool::map_chunked(self, f, args, chunksize)
    }
    fn take_run(&self) -> Run {
        ThreadPool::take_run(self)
    }
    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        ThreadPool::shutdown(self, wait, cancel_futures)
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn name(&self) -> String {
        ThreadPool::name(self)
    }
}
