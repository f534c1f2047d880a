//! Pools of worker processes: [`ProcessPool`] (N processes, one thread each)
//! and [`HybridPool`] (P processes × T threads).
//!
//! Invariant: what crosses into a worker is a pair of code addresses and
//! serde-encoded bytes, never a Rust value. The addresses are a monomorphised
//! trampoline (decode, call, encode — built here, in the caller's copy of this
//! crate, so a panic is caught by the same `std` that raised it) and the task's
//! `fn(A) -> R`. With `Fork` they are absolute, and the pool re-forks its
//! workers when a task's code was loaded after they were forked (a later
//! notebook cell); with `Spawn` they are offsets into the executable.
//!
//! A forked worker inherits the parent's memory but closes every inherited
//! file descriptor except stdout, stderr and its own socket. So an object a
//! task reaches through inherited memory must not use its descriptor (nor
//! close it on drop: the number may have been reused) — pass a handle the
//! worker can open itself instead, as `shm::MatrixHandle` does.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::executor::future::Slot;
use crate::executor::{Arg, Executor, Future, Output, collect_chunk, label, panic_message};
use crate::record::{ExecutorKind, Run};
use crate::runtime;

pub(crate) mod codec;
mod codec_de;
pub(crate) mod loaded;
mod pool;
mod serial_turn;
#[cfg(test)]
mod tests;
pub(crate) mod wire;
#[cfg(test)]
mod wire_fuzz;
pub(crate) mod worker;

pub use pool::StartMethod;
use pool::{Core, Job};
use wire::{STATUS_OK, STATUS_PANICKED, STATUS_REFUSED, STATUS_SERDE, STATUS_TOO_LARGE};

/// How many bytes of encoded arguments `map` keeps waiting for workers.
const MAX_PENDING_BYTES: usize = 64 << 20;

/// Decode the argument, call `func`, encode the result; catch a panic.
///
/// # Safety
/// `func` must be the address of a `fn(A) -> R` mapped in this process.
pub(crate) unsafe fn trampoline<A: Arg, R: Output>(func: usize, arg: &[u8], out: &mut Vec<u8>) -> u8 {
    // SAFETY: guaranteed by the caller.
    let f: fn(A) -> R = unsafe { std::mem::transmute::<usize, fn(A) -> R>(func) };
    let arg: A = match codec::decode(arg, "argument") {
        Ok(a) => a,
        Err(e) => {
            out.extend_from_slice(e.as_bytes());
            return STATUS_SERDE;
        }
    };
    match catch_unwind(AssertUnwindSafe(|| f(arg))) {
        Ok(r) => match codec::encode_into(&r, out, "result") {
            Ok(()) => STATUS_OK,
            Err(e) => {
                out.extend_from_slice(e.as_bytes());
                STATUS_SERDE
            }
        },
        Err(payload) => {
            out.extend_from_slice(panic_message(payload).as_bytes());
            STATUS_PANICKED
        }
    }
}

pub(crate) fn decode<R: Output>(status: u8, bytes: &[u8]) -> Result<R> {
    match status {
        STATUS_OK => codec::decode(bytes, "result").map_err(Error::Serialization),
        STATUS_PANICKED => Err(Error::Panicked(String::from_utf8_lossy(bytes).into_owned())),
        STATUS_REFUSED => Err(Error::BrokenPool(String::from_utf8_lossy(bytes).into_owned())),
        STATUS_TOO_LARGE => match wire::read_too_large(bytes) {
            Some((bytes, limit, items)) => Err(Error::TooLarge {
                what: if items == 1 {
                    "the task's result".to_string()
                } else {
                    format!("one map chunk's results ({items} items; a smaller chunksize sends fewer at once)")
                },
                bytes,
                limit,
            }),
            None => Err(Error::BrokenPool("the worker sent a malformed \"result too large\" report".into())),
        },
        _ => Err(Error::Serialization(String::from_utf8_lossy(bytes).into_owned())),
    }
}

/// What `ProcessPool` and `HybridPool` share.
struct Pool {
    core: Arc<Core>,
}

impl Pool {
    fn new(workers: usize, threads: usize, kind: ExecutorKind) -> Result<Pool> {
        if workers == 0 || threads == 0 {
            return Err(Error::ZeroWorkers);
        }
        if !cfg!(target_os = "linux") {
            return Err(Error::Unsupported("process pools are implemented for Linux only".into()));
        }
        if runtime::in_worker() {
            return Err(Error::Unsupported(
                "a pool's worker process cannot start a process pool of its own (use a ThreadPool inside tasks)".into(),
            ));
        }
        Ok(Pool { core: Core::new(workers, threads, kind) })
    }

    /// The code addresses to send for `f`, as the start method needs them.
    fn addresses<A: Arg, R: Output>(&self, f: fn(A) -> R) -> Result<(usize, usize)> {
        let tramp = trampoline::<A, R> as worker::Trampoline as usize;
        let func = f as usize;
        match self.core.start_method() {
            StartMethod::Fork => Ok((tramp, func)),
            StartMethod::Spawn => {
                if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
                    return Err(Error::Unsupported(
                        "Spawn re-runs the current program, which in a notebook is the evcxr kernel, \
                         not your code: use StartMethod::Fork (the default)"
                            .into(),
                    ));
                }
                if !crate::INIT_CALLED.load(Ordering::Acquire) {
                    return Err(Error::NotInitialized);
                }
                let base =
                    loaded::own_base().ok_or_else(|| Error::Unsupported("cannot locate the executable".into()))?;
                if loaded::object_base(tramp) != Some(base) || loaded::object_base(func) != Some(base) {
                    return Err(Error::Unsupported(
                        "with Spawn, the task function must be compiled into the executable itself".into(),
                    ));
                }
                Ok((tramp - base, func - base))
            }
        }
    }

    fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>> {
        let (tramp, func) = self.addresses(f)?;
        let mut bytes = Vec::new();
        codec::encode_into(&arg, &mut bytes, "argument").map_err(Error::Serialization)?;
        let index = self.core.journal.reserve(1);
        let slot: Arc<Slot<R>> = Slot::new();
        let target = Arc::clone(&slot);
        self.core.dispatch(Job {
            tramp,
            func,
            items: vec![(index, label(&arg), 0..bytes.len())],
            args: bytes,
            control: slot.clone(),
            done: Box::new(move |outcome| {
                let value = outcome.and_then(|done| match done.items.first() {
                    Some(item) => decode::<R>(item.status, done.payload(item)),
                    None => Err(Error::BrokenPool("the worker returned no result".into())),
                });
                target.complete(value);
            }),
            prefetch: false,
        })?;
        Ok(Future::new(slot))
    }

    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        let (tramp, func) = self.addresses(f)?;
        if self.core.is_shut() {
            return Err(Error::Shutdown);
        }
        if chunksize == 0 {
            return Err(Error::ZeroChunksize);
        }
        // Encode lazily and bound what is encoded but not yet answered, so a
        // big argument (a matrix sent by copy) is held a few times, not once
        // per task — Python's executor bounds its call queue the same way.
        // Small arguments never reach the bound, so the submitting thread
        // encodes everything and waits once.
        let min_window = 2 * self.core.workers * self.core.threads;
        let mut pending: VecDeque<(Future<Vec<Result<R>>>, usize)> = VecDeque::new();
        let mut pending_bytes = 0;
        let (mut values, mut first_err) = (Vec::new(), None);
        let mut args = args.into_iter().peekable();
        while args.peek().is_some() {
            while pending.len() >= min_window && pending_bytes >= MAX_PENDING_BYTES {
                let (oldest, bytes) = pending.pop_front().expect("window is full");
                pending_bytes -= bytes;
                collect_chunk(oldest, &mut values, &mut first_err);
            }
            let chunk: Vec<A> = args.by_ref().take(chunksize).collect();
            let first = self.core.journal.reserve(chunk.len());
            let mut items = Vec::with_capacity(chunk.len());
            let mut encoded = Vec::new();
            for (i, arg) in chunk.iter().enumerate() {
                let start = encoded.len();
                codec::encode_into(arg, &mut encoded, "argument").map_err(Error::Serialization)?;
                items.push((first + i, label(arg), start..encoded.len()));
            }
            let bytes_in_chunk = encoded.len();
            let slot: Arc<Slot<Vec<Result<R>>>> = Slot::new();
            let target = Arc::clone(&slot);
            self.core.dispatch(Job {
                tramp,
                func,
                items,
                args: encoded,
                control: slot.clone(),
                done: Box::new(move |outcome| {
                    target.complete(outcome.map(|done| {
                        done.items.iter().map(|item| decode::<R>(item.status, done.payload(item))).collect()
                    }));
                }),
                prefetch: true,
            })?;
            pending.push_back((Future::new(slot), bytes_in_chunk));
            pending_bytes += bytes_in_chunk;
        }
        for (chunk, _) in pending {
            collect_chunk(chunk, &mut values, &mut first_err);
        }
        first_err.map_or(Ok(values), Err)
    }

    fn take_run(&self, name: String) -> Run {
        self.core.journal.take(name, self.core.kind, self.core.workers * self.core.threads)
    }

    fn gil_label(&self) -> &'static str {
        if self.core.gil_on.load(Ordering::Acquire) { ", GIL on" } else { "" }
    }
}

impl Drop for Pool {
    /// Refuse new work; queued tasks still run, then the workers exit and are
    /// reaped by the pool's reader threads. Never blocks.
    fn drop(&mut self) {
        self.core.shutdown(false, false);
    }
}

macro_rules! pool_api {
    ($ty:ident) => {
        impl $ty {
            /// Turn the simulated GIL of each worker process on or off.
            pub fn gil(self, on: bool) -> Self {
                self.pool.core.gil_on.store(on, Ordering::Release);
                self
            }

            /// Choose how workers start; applies to workers started from now on
            /// (the first start is at the first submit).
            pub fn start_method(self, method: StartMethod) -> Self {
                self.pool.core.set_start_method(method);
                self
            }

            /// How long a thread may hold its process's GIL while another waits.
            pub fn switch_interval(self, interval: Duration) -> Self {
                self.pool.core.set_interval(interval);
                self
            }

            /// Process ids of the current worker processes (empty before the first submit).
            pub fn pids(&self) -> Vec<u32> {
                self.pool.core.pids()
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
                self.pool.core.shutdown(wait, cancel_futures)
            }
            fn workers(&self) -> usize {
                self.pool.core.workers * self.pool.core.threads
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
    pool: Pool,
}

impl ProcessPool {
    /// A pool of `workers` processes, started with `fork` at the first submit.
    pub fn new(workers: usize) -> Result<Self> {
        Ok(ProcessPool { pool: Pool::new(workers, 1, ExecutorKind::Processes)? })
    }

    fn label(&self) -> String {
        format!("ProcessPool({}{})", self.pool.core.workers, self.pool.gil_label())
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
    pool: Pool,
}

impl HybridPool {
    /// `processes` worker processes with `threads` threads each.
    pub fn new(processes: usize, threads: usize) -> Result<Self> {
        Ok(HybridPool { pool: Pool::new(processes, threads, ExecutorKind::Hybrid)? })
    }

    fn label(&self) -> String {
        format!("Hybrid({}×{}{})", self.pool.core.workers, self.pool.core.threads, self.pool.gil_label())
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
        self.pool.pool.core.shutdown(true, false);
        out
    }
}

impl<R> std::fmt::Debug for Process<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Process(pid {:?})", self.pool.pids().first())
    }
}
