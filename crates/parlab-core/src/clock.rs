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

/// Times one task: wall stamps always, CPU time when it is worth asking.
///
/// Reading a thread's CPU clock is a real system call (about 0.7 µs on the
/// 2-core VM parlab is developed on), which would dominate a stream of
/// microsecond tasks. So a thread that has just run several tasks shorter
/// than [`SHORT_TASK_NS`] stops reading it until a longer task comes along;
/// those tasks report no CPU time.
pub(crate) struct TaskClock {
    start_ns: u64,
    cpu0: Option<u64>,
}

/// Tasks shorter than this count as "short" for [`TaskClock`].
pub(crate) const SHORT_TASK_NS: u64 = 50_000;
const SHORT_STREAK: u32 = 8;

thread_local! {
    // Only a cost heuristic: a per-copy thread-local is fine (see `runtime`).
    static SHORT_TASKS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl TaskClock {
    pub fn start() -> TaskClock {
        let measure = SHORT_TASKS.with(|s| s.get() < SHORT_STREAK);
        let cpu0 = if measure { thread_cpu_ns() } else { None };
        TaskClock { start_ns: now_ns(), cpu0 }
    }

    /// `(start, end, cpu)` of the task.
    pub fn stop(self) -> (u64, u64, Option<u64>) {
        let end_ns = now_ns();
        let short = end_ns.saturating_sub(self.start_ns) < SHORT_TASK_NS;
        SHORT_TASKS.with(|s| s.set(if short { s.get().saturating_add(1) } else { 0 }));
        let cpu = self.cpu0.and_then(|c0| Some(thread_cpu_ns()?.saturating_sub(c0)));
        (self.start_ns, end_ns, cpu)
    }
}
