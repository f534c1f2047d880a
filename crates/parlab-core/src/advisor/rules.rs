//! The rules of the module docs' table, one function per class of work.
//!
//! Invariant: [`Verdict::from_measurements`] is a pure function of its
//! [`Measurements`] — no measuring, no I/O — and every rule that fires adds
//! one sentence naming the numbers that made it fire.

use super::measurements::Measurements;
use super::verdict::{Recommendation, Verdict, WorkloadClass};
use crate::units::{human_bytes, human_secs as secs};

/// CPU/wall at or above this: CPU-bound.
pub const CPU_BOUND_RATIO: f64 = 0.8;
/// CPU/wall at or below this: waiting-bound.
pub const WAITING_BOUND_RATIO: f64 = 0.2;
/// Tasks shorter than this (own time) are too small to hand to a worker one by
/// one: the seed's "milliseconds of compute at minimum".
pub const MIN_TASK_SECONDS: f64 = 1e-3;
/// A suggested chunk holds about this much work.
pub const CHUNK_TARGET_SECONDS: f64 = 10e-3;
/// Shipping a task that costs this fraction of its own time is worth a warning.
pub const HEAVY_TRANSFER: f64 = 0.1;
/// Bytes per task above which shipping is copying data, not just a round trip.
pub const BIG_PAYLOAD: f64 = 64.0 * 1024.0;
/// The most threads the advisor suggests: past a few hundred, an event loop
/// (async) overlaps waits more cheaply than threads.
pub const MAX_THREADS: usize = 256;

impl Verdict {
    /// Apply the rules in the module docs to `m`. Pure: no measuring, no I/O.
    ///
    /// ```
    /// use parlab_core::advisor::{Measurements, Recommendation, Verdict, WorkloadClass};
    /// let m = Measurements {
    ///     tasks: 14, cores: 4, wall_per_task: 2.0, ready_wait_per_task: Some(0.0),
    ///     cpu_per_task: 1.0, arg_bytes: 9.0, result_bytes: 9.0,
    ///     transfer_per_task: 50e-6, transfer_samples: 14,
    /// };
    /// let v = Verdict::from_measurements(&m);
    /// assert_eq!(v.class, WorkloadClass::Mixed);
    /// assert_eq!(v.recommendation, Recommendation::HybridPool { processes: 4, threads: 2, chunksize: 1 });
    /// ```
    pub fn from_measurements(m: &Measurements) -> Verdict {
        let plan = Plan::of(m);
        let class = plan.class();
        let mut reasons = Vec::new();
        let (recommendation, alternative) = match class {
            WorkloadClass::TooSmall => too_small(m, &plan, &mut reasons),
            _ => {
                busy_machine(m, &mut reasons);
                let chosen = match class {
                    WorkloadClass::CpuBound => cpu_bound(&plan, &mut reasons),
                    WorkloadClass::WaitingBound => waiting_bound(&plan, &mut reasons),
                    _ => mixed(&plan, &mut reasons),
                };
                shipping(m, chosen.0, &mut reasons);
                chosen
            }
        };
        Verdict { class, recommendation, alternative, reasons }
    }
}

/// The counts every rule plans with, derived once from the measurements.
struct Plan {
    tasks: usize,
    cores: usize,
    own: f64,
    ratio: f64,
    /// Threads one core holds: a thread computing `ratio` of the time keeps `ratio` of a core busy.
    overlap: f64,
    /// Threads that fill the cores, capped by the tasks and [`MAX_THREADS`].
    wait_threads: usize,
    /// One process per core, never more than tasks.
    processes: usize,
}

impl Plan {
    fn of(m: &Measurements) -> Plan {
        let tasks = m.tasks.max(1);
        let cores = m.cores.max(1);
        let ratio = m.cpu_ratio();
        let overlap = if ratio > 0.0 { 1.0 / ratio } else { f64::INFINITY };
        Plan {
            tasks,
            cores,
            own: m.own_per_task(),
            ratio,
            overlap,
            wait_threads: round_count(cores as f64 * overlap).min(tasks).min(MAX_THREADS),
            processes: cores.min(tasks),
        }
    }

    /// The table's first column, read top to bottom: the first row that holds wins.
    fn class(&self) -> WorkloadClass {
        if self.own < MIN_TASK_SECONDS {
            WorkloadClass::TooSmall
        } else if self.ratio >= CPU_BOUND_RATIO {
            WorkloadClass::CpuBound
        } else if self.ratio <= WAITING_BOUND_RATIO {
            WorkloadClass::WaitingBound
        } else {
            WorkloadClass::Mixed
        }
    }
}

type Choice = (Recommendation, Option<Recommendation>);

/// Too small: stay sequential; for many items, batch them into chunks of about
/// [`CHUNK_TARGET_SECONDS`] on threads (waiting or copying) or processes.
fn too_small(m: &Measurements, p: &Plan, reasons: &mut Vec<String>) -> Choice {
    let chunksize = round_count(CHUNK_TARGET_SECONDS / p.own.max(1e-9));
    reasons.push(format!(
        "each task takes only {} (less than {}): handing it to a worker one at a time costs about as \
         much as doing it — shipping alone measured {}",
        secs(p.own),
        secs(MIN_TASK_SECONDS),
        secs(m.transfer_per_task)
    ));
    reasons.push(format!("stay sequential: the whole sample took {}", secs(m.wall_per_task * p.tasks as f64)));
    // Big data per task (not the fixed cost of a round trip, which batching amortises).
    let copying_dominates = m.transfer_ratio() >= 1.0 && m.arg_bytes + m.result_bytes >= BIG_PAYLOAD;
    let alternative = if p.ratio <= WAITING_BOUND_RATIO {
        Recommendation::ThreadPool { threads: p.wait_threads, chunksize }
    } else if copying_dominates && p.cores > 1 {
        // Every chunk would carry the data again: batching cannot amortise it.
        reasons.push(format!(
            "shipping one task's argument and result costs {}, more than its work: processes would spend \
             their time copying — share the data (threads, or a shared-memory handle) instead",
            secs(m.transfer_per_task)
        ));
        Recommendation::ThreadPool { threads: p.cores, chunksize }
    } else if p.cores > 1 {
        Recommendation::ProcessPool { processes: p.cores, chunksize }
    } else {
        return (Recommendation::Sequential, None);
    };
    reasons.push(format!(
        "for many more items, batch them: {alternative} gives each job about {} of work",
        secs(CHUNK_TARGET_SECONDS)
    ));
    (Recommendation::Sequential, Some(alternative))
}

/// Time ready but not running is the machine's, not the task's: say it was left out.
fn busy_machine(m: &Measurements, reasons: &mut Vec<String>) {
    if let Some(ready) = m.ready_wait_per_task.filter(|r| *r >= 0.05 * m.wall_per_task) {
        reasons.push(format!(
            "the machine was busy: each task spent {} ready to run but not running (no free core, or the hypervisor ran another guest); that is not the task \
             waiting, so it is left out of the ratio",
            secs(ready)
        ));
    }
}

/// CPU-bound: one process per core (a GIL makes threads take turns); threads without a GIL.
fn cpu_bound(p: &Plan, reasons: &mut Vec<String>) -> Choice {
    let Plan { tasks, cores, own, ratio, processes, .. } = *p;
    reasons.push(format!(
        "CPU/wall {ratio:.2} ≥ {CPU_BOUND_RATIO}: the task computes for {:.0}% of its {} — CPU-bound",
        ratio * 100.0,
        secs(own)
    ));
    if cores == 1 {
        reasons.push("this machine has one core: nothing can compute beside it, so stay sequential".into());
        return (Recommendation::Sequential, None);
    }
    reasons.push(format!(
        "under a GIL (CPython) threads would take turns, so use processes: {processes}, one per core \
         ({cores} cores, {tasks} tasks) — more would only queue for the cores"
    ));
    reasons.push(format!(
        "without a GIL (Rust, free-threaded Python) ThreadPool({processes}) computes just as fast, \
         shares memory and copies nothing"
    ));
    (
        Recommendation::ProcessPool { processes, chunksize: 1 },
        Some(Recommendation::ThreadPool { threads: processes, chunksize: 1 }),
    )
}

/// Waiting-bound: enough threads to fill the cores with their little computing.
fn waiting_bound(p: &Plan, reasons: &mut Vec<String>) -> Choice {
    let Plan { tasks, cores, own, ratio, wait_threads, .. } = *p;
    reasons.push(format!(
        "CPU/wall {ratio:.2} ≤ {WAITING_BOUND_RATIO}: the task waits for {:.0}% of its {} — waiting-bound",
        (1.0 - ratio) * 100.0,
        secs(own)
    ));
    reasons.push(format!(
        "waits overlap on threads, even under a GIL (waiting releases it); {}; with {tasks} tasks in the \
         sample{}: {wait_threads} threads",
        fill_cores(cores, ratio),
        if wait_threads == MAX_THREADS {
            format!(" and at most {MAX_THREADS} threads (past that, use async)")
        } else {
            String::new()
        }
    ));
    (Recommendation::ThreadPool { threads: wait_threads, chunksize: 1 }, None)
}

/// Mixed: processes for the computing, threads inside each for the waiting.
fn mixed(p: &Plan, reasons: &mut Vec<String>) -> Choice {
    let Plan { tasks, cores, own, ratio, overlap, wait_threads, processes } = *p;
    reasons.push(format!(
        "CPU/wall {ratio:.2} is between {WAITING_BOUND_RATIO} and {CPU_BOUND_RATIO}: the task computes for \
         {:.0}% of its {} and waits the rest — mixed",
        ratio * 100.0,
        secs(own)
    ));
    let threads = round_count(overlap).min(MAX_THREADS).min(tasks.div_ceil(processes)).max(1);
    let alternative = Recommendation::ThreadPool { threads: wait_threads, chunksize: 1 };
    if cores == 1 {
        reasons.push(format!(
            "one core: threads overlap one task's waiting with another's computing — {wait_threads} threads"
        ));
        return (alternative, None);
    }
    reasons.push(format!(
        "processes for the computing ({processes}, one per core) and threads inside each to overlap \
         the waits: a thread computes {:.0}% of the time, so {threads} threads per process",
        ratio * 100.0
    ));
    reasons.push(format!(
        "without a GIL one ThreadPool does both: {} — ThreadPool({wait_threads})",
        fill_cores(cores, ratio)
    ));
    let hybrid = if threads == 1 {
        Recommendation::ProcessPool { processes, chunksize: 1 }
    } else {
        Recommendation::HybridPool { processes, threads, chunksize: 1 }
    };
    (hybrid, Some(alternative))
}

/// A recommendation that crosses to processes says what shipping each task costs.
fn shipping(m: &Measurements, recommendation: Recommendation, reasons: &mut Vec<String>) {
    let crosses = matches!(recommendation, Recommendation::ProcessPool { .. } | Recommendation::HybridPool { .. });
    if !crosses {
        return;
    }
    let shipped = format!(
        "each task ships {} in and {} out, measured at {} ({:.1}% of the task)",
        human_bytes(m.arg_bytes.round() as u128),
        human_bytes(m.result_bytes.round() as u128),
        secs(m.transfer_per_task),
        m.transfer_ratio() * 100.0
    );
    if m.transfer_ratio() >= HEAVY_TRANSFER {
        let worse = if m.transfer_ratio() >= 1.0 { "more than the work itself" } else { "a real share of it" };
        reasons.push(format!(
            "{shipped}: copying costs {worse} — put the data in shared memory (shm::SharedMemoryManager) and \
             send workers a handle, or use threads, which copy nothing"
        ));
    } else {
        reasons.push(format!("{shipped}: cheap next to the work"));
    }
}

/// "a thread keeps a core busy X% of the time, so N cores × M ≈ K threads would fill them".
fn fill_cores(cores: usize, ratio: f64) -> String {
    if ratio > 0.0 {
        format!(
            "a thread keeps a core busy {:.1}% of the time, so {cores} cores × {:.1} ≈ {} threads would fill them",
            ratio * 100.0,
            1.0 / ratio,
            round_count(cores as f64 / ratio)
        )
    } else {
        "a thread used no measurable CPU, so any number of threads fits on the cores".into()
    }
}

/// `x` rounded to a count of at least 1 (infinite and huge values saturate).
/// Rounded, not ceiled: a measured 0.499 must not turn 2 threads into 3.
fn round_count(x: f64) -> usize {
    if x.is_finite() { (x.round() as usize).max(1) } else { usize::MAX }
}
