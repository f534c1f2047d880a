//! Timestamps that mean the same thing in every process on the machine.
//!
//! Invariant: a stamp is nanoseconds of `CLOCK_MONOTONIC`, which Linux keeps
//! system-wide, so a worker process's start time and the parent's batch start
//! can be subtracted directly. CPU time is per thread (`CLOCK_THREAD_CPUTIME_ID`).

/// Nanoseconds on the system-wide monotonic clock.
pub fn now_ns() -> u64 {
    read(libc::CLOCK_MONOTONIC).unwrap_or(0)
}

/// CPU time the calling thread has used so far, in nanoseconds, if the OS tells.
pub fn thread_cpu_ns() -> Option<u64> {
    read(libc::CLOCK_THREAD_CPUTIME_ID)
}

fn read(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Seconds between two stamps (negative if `later` is earlier).
pub fn secs_between(earlier: u64, later: u64) -> f64 {
    (later as f64 - earlier as f64) / 1e9
}
