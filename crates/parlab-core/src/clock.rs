//! Timestamps that mean the same thing in every process on the machine.
//!
//! Invariant: a stamp is nanoseconds of `CLOCK_MONOTONIC`, which Linux (and
//! macOS) keep system-wide, so a worker process's start time and the parent's batch start
//! can be subtracted directly. CPU time is per thread (`CLOCK_THREAD_CPUTIME_ID`).

/// Nanoseconds on the system-wide monotonic clock.
#[cfg(unix)]
pub fn now_ns() -> u64 {
    ns(rustix::time::clock_gettime(rustix::time::ClockId::Monotonic))
}

/// CPU time the calling thread has used so far, in nanoseconds, if the OS tells.
#[cfg(unix)]
pub fn thread_cpu_ns() -> Option<u64> {
    Some(ns(rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime)))
}

#[cfg(unix)]
fn ns(ts: rustix::time::Timespec) -> u64 {
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Nanoseconds on the system-wide performance counter (Windows keeps it
/// machine-wide, as `CLOCK_MONOTONIC` is on Linux).
#[cfg(windows)]
pub fn now_ns() -> u64 {
    use windows_sys::Win32::System::Performance::{QueryPerformanceCounter, QueryPerformanceFrequency};
    let (mut count, mut freq) = (0i64, 0i64);
    // SAFETY: both calls only write the i64 they are given; they cannot fail on XP and later.
    let ok = unsafe { QueryPerformanceCounter(&mut count) != 0 && QueryPerformanceFrequency(&mut freq) != 0 };
    if !ok || freq <= 0 {
        return 0;
    }
    (count as u128 * 1_000_000_000 / freq as u128) as u64
}

/// CPU time (user + kernel) the calling thread has used so far, in nanoseconds.
#[cfg(windows)]
pub fn thread_cpu_ns() -> Option<u64> {
    use windows_sys::Win32::Foundation::FILETIME;
    use windows_sys::Win32::System::Threading::{GetCurrentThread, GetThreadTimes};
    let zero = || FILETIME { dwLowDateTime: 0, dwHighDateTime: 0 };
    let (mut created, mut exited, mut kernel, mut user) = (zero(), zero(), zero(), zero());
    // SAFETY: the pseudo-handle of the current thread is always valid; the call writes four FILETIMEs.
    let ok = unsafe { GetThreadTimes(GetCurrentThread(), &mut created, &mut exited, &mut kernel, &mut user) };
    let ticks = |t: FILETIME| (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
    (ok != 0).then(|| (ticks(kernel) + ticks(user)) * 100) // 100 ns units
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
