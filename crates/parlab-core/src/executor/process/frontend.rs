//! The handle side of a process pool: a task's code addresses and its
//! encoded argument, handed to the scheduler as a job.
//!
//! Invariant: what reaches the scheduler is a pair of code addresses and
//! serde-encoded bytes, never a Rust value (see the module above).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::executor::chunks::map_windowed;
use crate::executor::contract::{Arg, Output};
use crate::executor::future::{Future, Slot};
use crate::executor::local::{label, panic_message};
use crate::record::{ExecutorKind, Run};
use crate::runtime;

use super::scheduler::{Job, Scheduler};
use super::start_method::{StartMethod, init_called};
use super::wire::{self, Status};
use super::{codec, loaded, worker};

/// Decode the argument, call `func`, encode the result; catch a panic.
///
/// # Safety
/// `func` must be the address of a `fn(A) -> R` mapped in this process.
pub(crate) unsafe fn trampoline<A: Arg, R: Output>(func: usize, arg: &[u8], out: &mut Vec<u8>) -> Status {
    // SAFETY: guaranteed by the caller.
    let f: fn(A) -> R = unsafe { std::mem::transmute::<usize, fn(A) -> R>(func) };
    let arg: A = match codec::decode(arg, "argument") {
        Ok(a) => a,
        Err(e) => {
            out.extend_from_slice(e.as_bytes());
            return Status::Serde;
        }
    };
    match catch_unwind(AssertUnwindSafe(|| f(arg))) {
        Ok(r) => match codec::encode_into(&r, out, "result") {
            Ok(()) => Status::Ok,
            Err(e) => {
                out.extend_from_slice(e.as_bytes());
                Status::Serde
            }
        },
        Err(payload) => {
            out.extend_from_slice(panic_message(payload).as_bytes());
            Status::Panicked
        }
    }
}

pub(crate) fn decode<R: Output>(status: Status, bytes: &[u8]) -> Result<R> {
    match status {
        Status::Ok => codec::decode(bytes, "result").map_err(Error::Serialization),
        Status::Panicked => Err(Error::Panicked(String::from_utf8_lossy(bytes).into_owned())),
        Status::Refused => Err(Error::BrokenPool(String::from_utf8_lossy(bytes).into_owned())),
        Status::TooLarge => match wire::read_too_large(bytes) {
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
        Status::Serde => Err(Error::Serialization(String::from_utf8_lossy(bytes).into_owned())),
    }
}

/// What `ProcessPool` and `HybridPool` share: the scheduler, and the
/// encoding of tasks into jobs for it.
pub(crate) struct Pool {
    pub(crate) scheduler: Arc<Scheduler>,
}

impl Pool {
    pub fn new(workers: usize, threads: usize, kind: ExecutorKind) -> Result<Pool> {
        if workers == 0 || threads == 0 {
            return Err(Error::ZeroWorkers);
        }
        if runtime::in_worker() {
            return Err(Error::Unsupported(
                "a pool's worker process cannot start a process pool of its own (use a ThreadPool inside tasks)".into(),
            ));
        }
        Ok(Pool { scheduler: Scheduler::new(workers, threads, kind) })
    }

    /// The code addresses to send for `f`, as the start method needs them.
    fn addresses<A: Arg, R: Output>(&self, f: fn(A) -> R) -> Result<(usize, usize)> {
        let tramp = trampoline::<A, R> as worker::Trampoline as usize;
        let func = f as usize;
        match self.scheduler.start_method() {
            StartMethod::Fork => Ok((tramp, func)),
            StartMethod::Spawn => {
                if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
                    return Err(Error::Unsupported(
                        "Spawn re-runs the current program, which in a notebook is the evcxr kernel, \
                         not your code: use StartMethod::Fork (the default)"
                            .into(),
                    ));
                }
                if !init_called() {
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

    pub fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>> {
        let (tramp, func) = self.addresses(f)?;
        let mut bytes = Vec::new();
        codec::encode_into(&arg, &mut bytes, "argument").map_err(Error::Serialization)?;
        let index = self.scheduler.journal.reserve(1);
        let slot: Arc<Slot<R>> = Slot::new();
        let target = Arc::clone(&slot);
        self.scheduler.dispatch(Job {
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

    pub fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        let (tramp, func) = self.addresses(f)?;
        if self.scheduler.is_shut() {
            return Err(Error::Shutdown);
        }
        map_windowed(args, chunksize, 2 * self.scheduler.workers * self.scheduler.threads, |chunk| {
            let first = self.scheduler.journal.reserve(chunk.len());
            let mut items = Vec::with_capacity(chunk.len());
            let mut encoded = Vec::new();
            for (i, arg) in chunk.iter().enumerate() {
                let start = encoded.len();
                codec::encode_into(arg, &mut encoded, "argument").map_err(Error::Serialization)?;
                items.push((first + i, label(arg), start..encoded.len()));
            }
            let bytes = encoded.len();
            let slot: Arc<Slot<Vec<Result<R>>>> = Slot::new();
            let target = Arc::clone(&slot);
            self.scheduler.dispatch(Job {
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
            Ok((Future::new(slot), bytes))
        })
    }

    pub fn take_run(&self, name: String) -> Run {
        self.scheduler.journal.take(name, self.scheduler.kind, self.scheduler.workers * self.scheduler.threads)
    }

    pub fn gil_label(&self) -> &'static str {
        if self.scheduler.gil_on.load(Ordering::Acquire) { ", GIL on" } else { "" }
    }

    pub fn set_gil(&self, on: bool) {
        self.scheduler.gil_on.store(on, Ordering::Release);
    }

    pub fn set_start_method(&self, method: StartMethod) {
        self.scheduler.set_start_method(method);
    }

    pub fn set_interval(&self, interval: Duration) {
        self.scheduler.set_interval(interval);
    }

    pub fn pids(&self) -> Vec<u32> {
        self.scheduler.pids()
    }

    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.scheduler.shutdown(wait, cancel_futures);
    }

    /// `(processes, threads per process)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.scheduler.workers, self.scheduler.threads)
    }
}

impl Drop for Pool {
    /// Refuse new work; queued tasks still run, then the workers exit and are
    /// reaped by the pool's reader threads. Never blocks.
    fn drop(&mut self) {
        self.scheduler.shutdown(false, false);
    }
}
