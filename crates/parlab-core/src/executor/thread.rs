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
use crate::executor::chunks::{chunks, collect_chunks};
use crate::executor::contract::{Arg, Executor, Output};
use crate::executor::future::{Future, Slot};
use crate::executor::local::{label, run_item};
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
/// It keeps the [`Executor`] contract (tasks as `fn` pointers, as every
/// executor takes them) and, because its threads share this process's
/// memory, also runs closures that capture values: [`ThreadPool::submit_closure`],
/// [`ThreadPool::map_closure`], [`ThreadPool::map_chunked_closure`] and
/// [`ThreadPool::run_closure`].
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// fn square(x: u64) -> u64 { x * x }
/// let pool = ThreadPool::new(4)?;
/// assert_eq!(pool.map(square, 0..4)?, [0, 1, 4, 9]);
/// let offset = 10; // threads may borrow nothing, but may capture by move
/// let out = pool.map_closure(move |x: u64| x + offset, 0..4)?;
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

    /// [`Executor::submit`] for any `FnOnce` closure, capturing or not.
    pub fn submit_closure<A, R, F>(&self, f: F, arg: A) -> Result<Future<R>>
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

    /// [`Executor::map_chunked`] for any `Fn` closure: `chunksize` arguments per job; results in order.
    pub fn map_chunked_closure<A, R, F>(
        &self,
        f: F,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>>
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

    /// [`Executor::map`] for any `Fn` closure: one argument per job.
    pub fn map_closure<A, R, F>(&self, f: F, args: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Debug + Send + 'static,
        R: Send + 'static,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        self.map_chunked_closure(f, args, 1)
    }

    /// [`Executor::run`] for any `Fn` closure: map, and return the recorded [`Run`] too.
    pub fn run_closure<A, R, F>(&self, f: F, args: impl IntoIterator<Item = A>) -> Result<(Vec<R>, Run)>
    where
        A: Debug + Send + 'static,
        R: Send + 'static,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        self.recorded(|| self.map_closure(f, args))
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
        self.submit_closure(f, arg)
    }

    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        self.map_chunked_closure(f, args, chunksize)
    }

    fn take_run(&self) -> Run {
        self.shared.journal.take(self.name(), ExecutorKind::Threads, self.workers)
    }

    /// Once it has returned, every later `submit` or `map` is refused with
    /// [`Error::Shutdown`]; with `wait`, every task accepted before has also
    /// finished or (with `cancel_futures`, if it had not started) been cancelled.
    fn shutdown(&self, wait: bool, cancel_futures: bool) {
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

    fn workers(&self) -> usize {
        self.workers
    }

    /// `ThreadPool(4)` or `ThreadPool(4, GIL on)`.
    fn name(&self) -> String {
        if self.shared.gil_on.load(Ordering::Acquire) {
            format!("ThreadPool({}, GIL on)", self.workers)
        } else {
            format!("ThreadPool({})", self.workers)
        }
    }
}
