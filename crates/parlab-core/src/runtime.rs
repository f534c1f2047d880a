//! State that every copy of this crate inside one process must share.
//!
//! Invariant: there is exactly one [`Shared`] per process, and every copy of
//! parlab-core in that process finds the same one.
//!
//! Why this exists: evcxr compiles each notebook cell into its own library and
//! links a private copy of every dependency into it, so an ordinary `static` or
//! `thread_local!` exists once *per cell*. A pool built in cell 1 and used from
//! cell 2 would then see two different time scales and two different "current
//! GIL"s. So the few things that must be process-wide live in one leaked,
//! `#[repr(C)]` block whose address is published in the environment (which
//! really is process-wide), stamped with the pid so that a program started
//! with `exec` (which inherits the environment but not the memory) ignores it.

use std::ffi::{CStr, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const ENV_NAME: &CStr = c"PARLAB_RUNTIME";
const MAGIC: u64 = 0x7061_726c_6162_0001; // "parlab", layout version 1

/// The process-wide block. `#[repr(C)]` and atomics only, so that copies of
/// this crate compiled separately agree on its layout.
#[repr(C)]
pub(crate) struct Shared {
    magic: u64,
    /// Thread-local key (a pthread key; a TLS index on Windows) whose
    /// per-thread value is the thread's `*const ThreadGil`.
    pub gil_key: sys::Key,
    /// `f64` bits of the workload time scale.
    scale_bits: AtomicU64,
    /// Seed for drawn sleep times, valid when `seeded` is true.
    seed: AtomicU64,
    seeded: AtomicBool,
    /// True in a pool's worker process.
    in_worker: AtomicBool,
}

/// The process's shared block, creating it on first use.
pub(crate) fn shared() -> &'static Shared {
    // This cache is per copy; the block it points to is not.
    static CACHE: OnceLock<&'static Shared> = OnceLock::new();
    CACHE.get_or_init(|| find().unwrap_or_else(create))
}

fn find() -> Option<&'static Shared> {
    let text = sys::getenv(ENV_NAME)?;
    let (pid, addr) = text.split_once(':')?;
    if pid.parse::<u32>().ok()? != std::process::id() {
        return None; // inherited across exec: the address means nothing here
    }
    let addr = usize::from_str_radix(addr, 16).ok()?;
    // SAFETY: the pid matches, so this process published the address of a
    // leaked `Shared` (or is a fork of one that did, which re-stamps it).
    let shared = unsafe { &*(addr as *const Shared) };
    (shared.magic == MAGIC).then_some(shared)
}

fn create() -> &'static Shared {
    let key = sys::key_create();
    let shared: &'static Shared = Box::leak(Box::new(Shared {
        magic: MAGIC,
        gil_key: key,
        scale_bits: AtomicU64::new(1.0f64.to_bits()),
        seed: AtomicU64::new(0),
        seeded: AtomicBool::new(false),
        in_worker: AtomicBool::new(false),
    }));
    publish(shared);
    // If another copy published first, use theirs so everyone agrees.
    find().unwrap_or(shared)
}

fn publish(shared: &'static Shared) {
    let value = format!("{}:{:x}", std::process::id(), shared as *const Shared as usize);
    sys::setenv(ENV_NAME, &value);
}

/// In a freshly forked worker: claim the inherited block for the new pid.
#[cfg_attr(windows, allow(dead_code))] // process pools only
pub(crate) fn adopt_after_fork() {
    publish(shared());
}

/// Name of the variable a spawned (exec'd) worker must not inherit.
#[cfg_attr(windows, allow(dead_code))] // process pools only
pub(crate) const ENV_VAR: &str = "PARLAB_RUNTIME";

/// Current workload time scale (1.0 = the seed's real durations).
pub(crate) fn scale() -> f64 {
    f64::from_bits(shared().scale_bits.load(Ordering::Relaxed))
}

pub(crate) fn set_scale(scale: f64) {
    shared().scale_bits.store(scale.to_bits(), Ordering::Relaxed);
}

pub(crate) fn seed() -> Option<u64> {
    let s = shared();
    s.seeded.load(Ordering::Acquire).then(|| s.seed.load(Ordering::Relaxed))
}

pub(crate) fn set_seed(seed: Option<u64>) {
    let s = shared();
    s.seed.store(seed.unwrap_or(0), Ordering::Relaxed);
    s.seeded.store(seed.is_some(), Ordering::Release);
}

/// This thread's published value under the shared GIL key.
pub(crate) fn thread_value() -> *mut c_void {
    sys::get(shared().gil_key)
}

/// Publish `value` for this thread; the caller keeps it alive while it is published.
pub(crate) fn set_thread_value(value: *const c_void) {
    sys::set(shared().gil_key, value);
}

/// Mark this process as a pool's worker (it may not start process pools).
#[cfg_attr(windows, allow(dead_code))] // process pools only
pub(crate) fn mark_worker() {
    shared().in_worker.store(true, Ordering::Relaxed);
}

/// True inside a pool's worker process.
#[cfg_attr(windows, allow(dead_code))] // process pools only
pub(crate) fn in_worker() -> bool {
    shared().in_worker.load(Ordering::Relaxed)
}

/// The process-wide environment and thread-local keys, as each OS offers them.
#[cfg(unix)]
mod sys {
    use std::ffi::{CStr, CString, c_void};

    pub type Key = libc::pthread_key_t;

    /// The variable's value, copied.
    pub fn getenv(name: &CStr) -> Option<String> {
        // SAFETY: getenv returns null or a valid C string; we copy it at once.
        let raw = unsafe { libc::getenv(name.as_ptr()) };
        if raw.is_null() {
            return None;
        }
        // SAFETY: non-null result of getenv.
        Some(unsafe { CStr::from_ptr(raw) }.to_str().ok()?.to_owned())
    }

    pub fn setenv(name: &CStr, value: &str) {
        let value = CString::new(value).expect("no interior nul");
        // SAFETY: both strings are valid; setenv copies them.
        unsafe { libc::setenv(name.as_ptr(), value.as_ptr(), 1) };
    }

    pub fn key_create() -> Key {
        let mut key: Key = 0;
        // SAFETY: plain key creation; no destructor, values are owned elsewhere.
        let rc = unsafe { libc::pthread_key_create(&mut key, None) };
        assert!(rc == 0, "pthread_key_create failed: out of thread-specific keys");
        key
    }

    pub fn get(key: Key) -> *mut c_void {
        // SAFETY: the key was created by `key_create` and is never deleted.
        unsafe { libc::pthread_getspecific(key) }
    }

    pub fn set(key: Key, value: *const c_void) {
        // SAFETY: as above; the caller keeps `value` alive while it is published.
        unsafe { libc::pthread_setspecific(key, value) };
    }
}

/// The process-wide environment and thread-local keys, as each OS offers them.
#[cfg(windows)]
mod sys {
    use std::ffi::{CStr, c_void};

    use windows_sys::Win32::System::Threading::{TLS_OUT_OF_INDEXES, TlsAlloc, TlsGetValue, TlsSetValue};

    pub type Key = u32;

    /// The variable's value (Windows keeps one environment block per process).
    pub fn getenv(name: &CStr) -> Option<String> {
        std::env::var(name.to_str().ok()?).ok()
    }

    pub fn setenv(name: &CStr, value: &str) {
        let Ok(name) = name.to_str() else { return };
        // SAFETY: Windows' environment calls take a process-wide lock, so a
        // concurrent read elsewhere sees the old or the new value, never a torn one.
        unsafe { std::env::set_var(name, value) };
    }

    pub fn key_create() -> Key {
        // SAFETY: TlsAlloc takes no arguments and returns an index or TLS_OUT_OF_INDEXES.
        let key = unsafe { TlsAlloc() };
        assert!(key != TLS_OUT_OF_INDEXES, "TlsAlloc failed: out of thread-local slots");
        key
    }

    pub fn get(key: Key) -> *mut c_void {
        // SAFETY: the index was allocated by `key_create` and is never freed.
        unsafe { TlsGetValue(key) }
    }

    pub fn set(key: Key, value: *const c_void) {
        // SAFETY: as above; the caller keeps `value` alive while it is published.
        unsafe { TlsSetValue(key, value) };
    }
}
