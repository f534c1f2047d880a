//! `Future`, `as_completed` and `wait`: the results side of concurrent.futures.
//!
//! Invariant: a future moves PENDING → RUNNING → FINISHED, or PENDING →
//! CANCELLED, exactly once; its value is written once, before the state
//! becomes terminal, and every listener hears about it exactly once. A
//! process pool's task passes through SENT between PENDING and RUNNING (on
//! its way to a worker, no longer cancellable, not yet running), and may
//! finish from SENT.

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::error::{Error, Result};
use crate::sync::lock;

const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const FINISHED: u8 = 2;
const CANCELLED: u8 = 3;
const SENT: u8 = 4;

/// Shared between a future and the executor that fulfils it.
pub(crate) struct Slot<R> {
    state: AtomicU8,
    /// Threads blocked in `wait_until` (changed under `value`'s lock), so
    /// completing a future nobody waits on costs no wake-up system call.
    sleepers: AtomicUsize,
    value: Mutex<Option<Result<R>>>,
    ready: Condvar,
    listeners: Mutex<Vec<(Sender<usize>, usize)>>,
}

impl<R> Slot<R> {
    pub fn new() -> Arc<Self> {
        Arc::new(Slot {
            state: AtomicU8::new(PENDING),
            sleepers: AtomicUsize::new(0),
            value: Mutex::new(None),
            ready: Condvar::new(),
            listeners: Mutex::new(Vec::new()),
        })
    }

    /// Claim the task for running; false if it was cancelled first.
    pub fn try_start(&self) -> bool {
        self.state.compare_exchange(PENDING, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Claim the task for sending to a worker; false if it was cancelled first.
    #[cfg_attr(windows, allow(dead_code))] // process pools only
    pub fn try_send(&self) -> bool {
        self.state.compare_exchange(PENDING, SENT, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// The worker has taken the task and is about to run it.
    #[cfg_attr(windows, allow(dead_code))] // process pools only
    pub fn mark_running(&self) {
        let _ = self.state.compare_exchange(SENT, RUNNING, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Store the outcome (ignored if the future was cancelled).
    pub fn complete(&self, result: Result<R>) {
        let mut value = lock(&self.value);
        if self.is_terminal() {
            return;
        }
        *value = Some(result);
        self.state.store(FINISHED, Ordering::Release);
        let sleepers = self.sleepers.load(Ordering::Relaxed);
        drop(value);
        self.wake(sleepers > 0);
    }

    fn cancel(&self) -> bool {
        let mut value = lock(&self.value);
        if self.state.compare_exchange(PENDING, CANCELLED, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return self.state.load(Ordering::Acquire) == CANCELLED;
        }
        *value = Some(Err(Error::Cancelled));
        let sleepers = self.sleepers.load(Ordering::Relaxed);
        drop(value);
        self.wake(sleepers > 0);
        true
    }

    fn is_terminal(&self) -> bool {
        matches!(self.state.load(Ordering::Acquire), FINISHED | CANCELLED)
    }

    fn wake(&self, sleepers: bool) {
        if sleepers {
            self.ready.notify_all();
        }
        for (tx, id) in lock(&self.listeners).drain(..) {
            let _ = tx.send(id);
        }
    }

    fn listen(&self, tx: Sender<usize>, id: usize) {
        let mut listeners = lock(&self.listeners);
        if self.is_terminal() {
            let _ = tx.send(id);
        } else {
            listeners.push((tx, id));
        }
    }

    /// Wait until terminal or until `deadline`; true if terminal.
    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        // Tiny tasks finish within microseconds: look a few times before
        // paying for a sleep and a wake-up (two system calls).
        for spin in 0..64 {
            if self.is_terminal() {
                return true;
            }
            if spin < 48 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        let mut value = lock(&self.value);
        while !self.is_terminal() {
            self.sleepers.fetch_add(1, Ordering::Relaxed);
            let _awake = Awake(&self.sleepers);
            match deadline {
                None => value = self.ready.wait(value).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    value = self.ready.wait_timeout(value, d - now).unwrap_or_else(|e| e.into_inner()).0;
                }
            }
        }
        true
    }

    fn take(&self) -> Result<R> {
        lock(&self.value).take().unwrap_or(Err(Error::ResultTaken))
    }
}

/// Decrements a sleeper count when a wait ends, however it ends.
struct Awake<'a>(&'a AtomicUsize);

impl Drop for Awake<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What an executor needs from a queued task's future without knowing its type.
#[cfg_attr(windows, allow(dead_code))] // process pools only
pub(crate) trait Control: Send + Sync {
    /// Claim the task for sending to a worker process; false if it was cancelled first.
    fn try_send(&self) -> bool;
    /// A claimed task's worker has started it.
    fn mark_running(&self);
    /// Cancel the task if it has not started.
    fn cancel(&self) -> bool;
}

impl<R: Send> Control for Slot<R> {
    fn try_send(&self) -> bool {
        Slot::try_send(self)
    }
    fn mark_running(&self) {
        Slot::mark_running(self)
    }
    fn cancel(&self) -> bool {
        Slot::cancel(self)
    }
}

/// The eventual result of one submitted task (Python's `concurrent.futures.Future`).
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// let pool = ThreadPool::new(2)?;
/// let fut = pool.submit(|x: u64| x * x, 7)?;
/// assert_eq!(fut.result()?, 49);
/// # Ok(()) }
/// ```
pub struct Future<R> {
    pub(crate) slot: Arc<Slot<R>>,
}

impl<R> Future<R> {
    pub(crate) fn new(slot: Arc<Slot<R>>) -> Self {
        Future { slot }
    }

    /// A future that is already finished with `result`.
    pub(crate) fn ready(result: Result<R>) -> Self {
        let slot = Slot::new();
        slot.state.store(RUNNING, Ordering::Release);
        slot.complete(result);
        Future { slot }
    }

    /// True once the task finished (with a value or an error) or was cancelled.
    pub fn done(&self) -> bool {
        self.slot.is_terminal()
    }

    /// True while a worker is running the task (in a process pool: from when
    /// its worker process has taken it, not from when it was sent).
    pub fn running(&self) -> bool {
        self.slot.state.load(Ordering::Acquire) == RUNNING
    }

    /// True if the task was cancelled before it started.
    pub fn cancelled(&self) -> bool {
        self.slot.state.load(Ordering::Acquire) == CANCELLED
    }

    /// Cancel the task if it has not started; true if it is now cancelled.
    /// A running or finished task cannot be cancelled.
    pub fn cancel(&self) -> bool {
        self.slot.cancel()
    }

    /// Block until the task finishes and return its value or error.
    pub fn result(self) -> Result<R> {
        self.slot.wait_until(None);
        self.slot.take()
    }

    /// Wait at most `timeout`; on [`Error::Timeout`] the future stays usable.
    /// After a value has been returned once, later calls give [`Error::ResultTaken`].
    pub fn result_timeout(&self, timeout: Duration) -> Result<R> {
        if self.slot.wait_until(Instant::now().checked_add(timeout)) {
            self.slot.take()
        } else {
            Err(Error::Timeout(timeout))
        }
    }
}

impl<R> fmt::Debug for Future<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.slot.state.load(Ordering::Acquire) {
            PENDING => "pending",
            SENT => "sent",
            RUNNING => "running",
            FINISHED => "finished",
            _ => "cancelled",
        };
        write!(f, "Future<{state}>")
    }
}

/// Yield futures as they finish, fastest first (Python's `as_completed`).
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// # parlab_core::workload::set_scale(0.01)?;
/// let pool = ThreadPool::new(3)?;
/// let futures = vec![
///     pool.submit(delayed_return_for, (0, 3.0))?,
///     pool.submit(delayed_return_for, (1, 1.0))?,
///     pool.submit(delayed_return_for, (2, 2.0))?,
/// ];
/// let order: Vec<i32> = as_completed(futures).map(|f| f.result().unwrap()).collect();
/// assert_eq!(order, [1, 2, 0]);
/// # Ok(()) }
/// ```
pub fn as_completed<R>(futures: impl IntoIterator<Item = Future<R>>) -> AsCompleted<R> {
    let futures: Vec<Option<Future<R>>> = futures.into_iter().map(Some).collect();
    let (tx, rx) = crossbeam_channel::unbounded();
    for (i, f) in futures.iter().enumerate() {
        if let Some(f) = f {
            f.slot.listen(tx.clone(), i);
        }
    }
    AsCompleted { remaining: futures.len(), futures, rx }
}

/// Iterator returned by [`as_completed`].
pub struct AsCompleted<R> {
    futures: Vec<Option<Future<R>>>,
    rx: Receiver<usize>,
    remaining: usize,
}

impl<R> Iterator for AsCompleted<R> {
    type Item = Future<R>;

    fn next(&mut self) -> Option<Future<R>> {
        if self.remaining == 0 {
            return None;
        }
        let i = self.rx.recv().ok()?;
        self.remaining -= 1;
        self.futures[i].take()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// When [`wait`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any future is done.
    FirstCompleted,
    /// As soon as any future fails (or all are done).
    FirstException,
    /// When every future is done.
    AllCompleted,
}

/// The two halves [`wait`] splits futures into, each in submission order.
#[derive(Debug)]
pub struct Waited<R> {
    /// Futures that are done.
    pub done: Vec<Future<R>>,
    /// Futures still pending or running.
    pub not_done: Vec<Future<R>>,
}

/// Block until `when` holds, then split the futures into done and not done
/// (Python's `concurrent.futures.wait`).
pub fn wait<R>(futures: impl IntoIterator<Item = Future<R>>, when: ReturnWhen) -> Waited<R> {
    wait_timeout(futures, when, None)
}

/// [`wait`], giving up after `timeout` (then some futures may be not done).
pub fn wait_timeout<R>(
    futures: impl IntoIterator<Item = Future<R>>,
    when: ReturnWhen,
    timeout: Option<Duration>,
) -> Waited<R> {
    let futures: Vec<Future<R>> = futures.into_iter().collect();
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let (tx, rx) = crossbeam_channel::unbounded();
    for (i, f) in futures.iter().enumerate() {
        f.slot.listen(tx.clone(), i);
    }
    drop(tx);
    let failed = |f: &Future<R>| matches!(lock(&f.slot.value).as_ref(), Some(Err(_)));
    let mut finished = 0;
    while finished < futures.len() {
        let got = match deadline {
            None => rx.recv().ok(),
            Some(d) => rx.recv_deadline(d).ok(),
        };
        let Some(i) = got else { break };
        finished += 1;
        match when {
            ReturnWhen::FirstCompleted => break,
            ReturnWhen::FirstException if failed(&futures[i]) => break,
            _ => {}
        }
    }
    let (done, not_done) = futures.into_iter().partition(|f| f.done());
    Waited { done, not_done }
}
