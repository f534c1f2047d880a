//! A simulated Global Interpreter Lock, so Rust threads can show what CPython's do.
//!
//! Invariant: while a pool runs with the GIL on, at most one of its task
//! threads *in each process* executes task code at any instant. A thread gives
//! the lock up while it sleeps or waits ([`sleep`], [`released`]) and, inside
//! long CPU loops ([`tick`]), once a switch interval has passed with another
//! thread waiting — CPython's rule, with its default 5 ms interval.
//!
//! Task code does not need a handle: the pool publishes each worker thread's
//! GIL under a process-wide key (see `runtime`), so `tick`, `sleep` and
//! `released` work from any notebook cell's copy of this crate, and are no-ops
//! on threads without a GIL (sequential runs, GIL-off pools).
//!
//! ```
//! use parlab_core::prelude::*;
//! # fn main() -> parlab_core::Result<()> {
//! # parlab_core::workload::set_scale(0.05)?;
//! let pool = ThreadPool::new(4)?.gil(true);
//! // Sleeping releases the GIL, so four sleeps overlap even with the GIL on.
//! let (_, run) = pool.run(boo, vec![1.0; 4])?;
//! check::waited_together(&run).assert(); // about one sleep, not four
//! # Ok(()) }
//! ```

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::runtime;
use crate::sync::lock;

/// CPython's default switch interval (`sys.getswitchinterval()`).
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// Give the GIL to a waiting thread if this thread has held it for a switch
/// interval. Call it often inside CPU loops; it costs a few nanoseconds.
#[inline]
pub fn tick() {
    let slot = runtime::thread_value() as *const ThreadGil;
    if slot.is_null() {
        return;
    }
    // SAFETY: a published slot outlives its publication (see `ThreadGil::publish`).
    let slot = unsafe { &*slot };
    // SAFETY: `drop_request` points into the slot's GIL, which the slot keeps alive.
    if unsafe { (*slot.drop_request).load(Ordering::Relaxed) } {
        // SAFETY: calls back into the copy of this crate that built the slot.
        unsafe { (slot.yield_now)(slot) };
    }
}

/// Run `f` with this thread's GIL released, as CPython does around blocking
/// I/O and `time.sleep`; other threads run their task code meanwhile.
pub fn released<T>(f: impl FnOnce() -> T) -> T {
    let slot = runtime::thread_value() as *const ThreadGil;
    if slot.is_null() {
        return f();
    }
    // SAFETY: as in `tick`.
    let slot = unsafe { &*slot };
    // SAFETY: calls into the copy that built the slot.
    let was_held = unsafe { (slot.release)(slot) };
    // Reacquire even if `f` panics, so the pool's bookkeeping stays right.
    struct Reacquire<'a>(&'a ThreadGil, bool);
    impl Drop for Reacquire<'_> {
        fn drop(&mut self) {
            if self.1 {
                // SAFETY: as above.
                unsafe { (self.0.acquire)(self.0) };
            }
        }
    }
    let _guard = Reacquire(slot, was_held);
    f()
}

/// Sleep with the GIL released (CPython's `time.sleep`).
pub fn sleep(duration: Duration) {
    if crate::fault::Fault::GilHeldInSleep.is_active() {
        return std::thread::sleep(duration);
    }
    released(|| std::thread::sleep(duration));
}

/// True if the calling thread currently holds a simulated GIL.
pub fn holding() -> bool {
    let slot = runtime::thread_value() as *const ThreadGil;
    // SAFETY: as in `tick`.
    !slot.is_null() && unsafe { (*slot).held.load(Ordering::Relaxed) }
}

/// Nanoseconds the calling thread has spent waiting for its GIL so far
/// (0 on threads without one). Task wrappers subtract two readings.
pub(crate) fn waited_ns() -> u64 {
    let slot = runtime::thread_value() as *const ThreadGil;
    // SAFETY: as in `tick`.
    if slot.is_null() { 0 } else { unsafe { (*slot).waited_ns.load(Ordering::Relaxed) } }
}

/// One process's GIL, shared by the task threads of one pool in that process.
#[derive(Debug)]
pub(crate) struct Gil {
    state: Mutex<State>,
    /// Signalled when the lock is dropped.
    released: Condvar,
    /// Signalled when the lock changes hands (a forced switch waits for it).
    switched: Condvar,
    /// Set by a thread that waited a whole interval; the holder checks it in `tick`.
    drop_request: AtomicBool,
    interval_ns: AtomicU64,
    forced_switches: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    locked: bool,
    switch_number: u64,
    waiters: usize,
}

impl Gil {
    pub fn new(interval: Duration) -> Arc<Gil> {
        let gil = Arc::new(Gil {
            state: Mutex::new(State::default()),
            released: Condvar::new(),
            switched: Condvar::new(),
            drop_request: AtomicBool::new(false),
            interval_ns: AtomicU64::new(0),
            forced_switches: AtomicU64::new(0),
        });
        gil.set_interval(interval);
        gil
    }

    /// Change the switch interval (at least 1 µs).
    pub fn set_interval(&self, interval: Duration) {
        let ns = interval.as_nanos().clamp(1_000, u64::MAX as u128) as u64;
        self.interval_ns.store(ns, Ordering::Relaxed);
    }

    fn interval(&self) -> Duration {
        Duration::from_nanos(self.interval_ns.load(Ordering::Relaxed))
    }

    /// How many times a holder was made to give the lock up.
    pub fn forced_switches(&self) -> u64 {
        self.forced_switches.load(Ordering::Relaxed)
    }

    /// Take the lock; returns the nanoseconds spent waiting for it.
    fn take(&self) -> u64 {
        let mut st = lock(&self.state);
        let mut waited = 0;
        if st.locked {
            let since = crate::clock::now_ns();
            st.waiters += 1;
            while st.locked {
                let seen = st.switch_number;
                let (guard, wait) = self.released.wait_timeout(st, self.interval()).unwrap_or_else(|e| e.into_inner());
                st = guard;
                if wait.timed_out() && st.locked && st.switch_number == seen {
                    // Waited a whole interval with no switch: ask the holder to yield.
                    self.drop_request.store(true, Ordering::Relaxed);
                }
            }
            st.waiters -= 1;
            waited = crate::clock::now_ns().saturating_sub(since);
        }
        st.locked = true;
        st.switch_number += 1;
        self.drop_request.store(false, Ordering::Relaxed);
        self.switched.notify_all();
        waited
    }

    fn drop_lock(&self) {
        let mut st = lock(&self.state);
        st.locked = false;
        drop(st);
        self.released.notify_one();
    }

    /// A forced switch: drop the lock, wait until a waiter has taken it, take
    /// it back. Returns the nanoseconds spent without the lock.
    fn yield_to_waiter(&self) -> u64 {
        let since = crate::clock::now_ns();
        let mut st = lock(&self.state);
        st.locked = false;
        let seen = st.switch_number;
        self.released.notify_one();
        self.forced_switches.fetch_add(1, Ordering::Relaxed);
        while st.waiters > 0 && st.switch_number == seen {
            st = self.switched.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        drop(st);
        self.take();
        crate::clock::now_ns().saturating_sub(since)
    }
}

/// A worker thread's view of its GIL, published under the process-wide key.
/// `#[repr(C)]` with function pointers so a different copy of this crate
/// (another notebook cell) can use it without sharing our statics.
#[repr(C)]
pub(crate) struct ThreadGil {
    drop_request: *const AtomicBool,
    held: AtomicBool,
    /// Nanoseconds this thread has spent waiting for the GIL, ever.
    waited_ns: AtomicU64,
    yield_now: unsafe extern "C" fn(*const ThreadGil),
    release: unsafe extern "C" fn(*const ThreadGil) -> bool,
    acquire: unsafe extern "C" fn(*const ThreadGil),
    /// Keeps the GIL alive as long as the slot.
    _owner: Arc<Gil>,
}

// SAFETY: the raw pointers point into `_owner`, which is Send + Sync.
unsafe impl Send for ThreadGil {}
// SAFETY: as above; `held` is atomic.
unsafe impl Sync for ThreadGil {}

/// Let a waiting thread take the GIL, if this one holds it.
///
/// # Safety
/// `slot` must point to a live `ThreadGil` published by this process (every
/// caller reads it from the thread's published slot, which outlives the call).
unsafe extern "C" fn slot_yield(slot: *const ThreadGil) {
    // SAFETY: called only with a live, published slot.
    let slot = unsafe { &*slot };
    if slot.held.load(Ordering::Relaxed) {
        slot.waited_ns.fetch_add(slot._owner.yield_to_waiter(), Ordering::Relaxed);
    }
}

/// Drop the GIL if held; true if it was.
///
/// # Safety
/// `slot` must point to a live `ThreadGil` published by this process (every
/// caller reads it from the thread's published slot, which outlives the call).
unsafe extern "C" fn slot_release(slot: *const ThreadGil) -> bool {
    // SAFETY: as above.
    let slot = unsafe { &*slot };
    let was_held = slot.held.swap(false, Ordering::Relaxed);
    if was_held {
        slot._owner.drop_lock();
    }
    was_held
}

/// Take the GIL back if not held.
///
/// # Safety
/// `slot` must point to a live `ThreadGil` published by this process (every
/// caller reads it from the thread's published slot, which outlives the call).
unsafe extern "C" fn slot_acquire(slot: *const ThreadGil) {
    // SAFETY: as above.
    let slot = unsafe { &*slot };
    if !slot.held.load(Ordering::Relaxed) {
        slot.waited_ns.fetch_add(slot._owner.take(), Ordering::Relaxed);
        slot.held.store(true, Ordering::Relaxed);
    }
}

impl ThreadGil {
    /// A slot for the calling worker thread, published until `unpublish`.
    /// The box must outlive the publication; workers keep it on their stack frame.
    pub fn publish(gil: &Arc<Gil>) -> Box<ThreadGil> {
        let slot = Box::new(ThreadGil {
            drop_request: &gil.drop_request,
            held: AtomicBool::new(false),
            waited_ns: AtomicU64::new(0),
            yield_now: slot_yield,
            release: slot_release,
            acquire: slot_acquire,
            _owner: Arc::clone(gil),
        });
        runtime::set_thread_value(&*slot as *const ThreadGil as *const c_void);
        slot
    }

    /// Publish a slot for the calling thread for the rest of its life
    /// (until [`ThreadGil::retire_for_thread`]).
    pub fn publish_for_thread(gil: &Arc<Gil>) {
        let _ = Box::into_raw(Self::publish(gil));
    }

    /// Unpublish and free the slot `publish_for_thread` made for this thread.
    pub fn retire_for_thread() {
        let slot = runtime::thread_value() as *mut ThreadGil;
        runtime::set_thread_value(std::ptr::null());
        if !slot.is_null() {
            // SAFETY: made by `Box::into_raw` in `publish_for_thread` on this thread.
            drop(unsafe { Box::from_raw(slot) });
        }
    }

    /// Call `f` with the calling thread's published slot, if any.
    pub fn with_current<T>(f: impl FnOnce(Option<&ThreadGil>) -> T) -> T {
        let slot = runtime::thread_value() as *const ThreadGil;
        // SAFETY: a published slot lives until its thread retires it.
        f(unsafe { slot.as_ref() })
    }

    /// Run `f` holding the GIL (as a CPython thread runs bytecode).
    pub fn hold<T>(&self, f: impl FnOnce() -> T) -> T {
        // SAFETY: `self` is live for the call.
        unsafe { slot_acquire(self) };
        struct Release<'a>(&'a ThreadGil);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                // SAFETY: as above.
                unsafe { slot_release(self.0) };
            }
        }
        let _release = Release(self);
        f()
    }
}
