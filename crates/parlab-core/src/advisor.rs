//! The workload advisor: the visual guide's decision flowchart, executable.
//!
//! Invariant: every number in an [`Advice`] was measured on this machine, from
//! the sample it was given, and the verdict is a pure function of those numbers
//! ([`Verdict::from_measurements`]) — so the reasons it prints are the whole
//! story, and a notebook can replay the rules on numbers of its own.
//!
//! [`advise`] runs the sample one task at a time on the calling thread (with
//! [`Sequential`](crate::executor::Sequential)) and measures, per task:
//!
//! - **wall time**, and the part of it the thread was *ready to run but not
//!   running*: Linux's run-queue delay (`/proc/thread-self/schedstat`) and, for
//!   a task that never blocked (no voluntary context switch in
//!   `/proc/thread-self/status`), all its time off the CPU — a busy machine or
//!   a hypervisor running another guest stretches a computing task, which is
//!   not the task waiting;
//! - **CPU time** of the thread;
//! - the **postcard-encoded size** of the argument and the result, and what it
//!   costs to ship them as a process pool would: encode, send through a local
//!   socket and back, decode (measured on up to [`TRANSFER_SAMPLES`] tasks).
//!
//! # The rules
//!
//! *Own time* is wall time minus the time ready but not running; *CPU/wall* is CPU time over own time.
//!
//! | measured | class | recommendation |
//! |---|---|---|
//! | own time < [`MIN_TASK_SECONDS`] (1 ms) | [`TooSmall`](WorkloadClass::TooSmall) | `Sequential`; for many items, a pool with a chunksize of about [`CHUNK_TARGET_SECONDS`] (10 ms) of work |
//! | CPU/wall ≥ [`CPU_BOUND_RATIO`] (0.8) | [`CpuBound`](WorkloadClass::CpuBound) | `ProcessPool(cores)`; without a GIL, `ThreadPool(cores)` is simpler |
//! | CPU/wall ≤ [`WAITING_BOUND_RATIO`] (0.2) | [`WaitingBound`](WorkloadClass::WaitingBound) | `ThreadPool(min(tasks, cores × wall/CPU, ` [`MAX_THREADS`] `))` |
//! | in between | [`Mixed`](WorkloadClass::Mixed) | `HybridPool(cores × wall/CPU)`, at most one lane per task; without a GIL, `ThreadPool(cores × wall/CPU)` |
//!
//! Why those counts: a CPU-bound task keeps one core busy, so more processes than
//! cores only queue. A thread that computes a fraction `CPU/wall` of the time
//! keeps that fraction of a core busy, so `cores × wall/CPU` threads fill the
//! cores. Counts are rounded to the nearest whole number, never exceed the
//! number of tasks in the sample, and a single core gets no processes (nothing
//! would run beside them: CPU-bound stays sequential, mixed gets threads).
//!
//! When shipping a task costs at least [`HEAVY_TRANSFER`] (10%) of its own time,
//! the advice says so: hand workers a shared-memory handle
//! ([`SharedMemoryManager`](crate::shm::SharedMemoryManager)) instead of the
//! data, or use threads, which share memory and copy nothing.
//!
//! ```
//! use parlab_core::prelude::*;
//! # fn main() -> parlab_core::Result<()> {
//! workload::set_scale(0.005)?; // 2 s sleeps become 10 ms
//! let advice = advise(delayed_return_for, (0..4).map(|i| (i, 2.0)))?;
//! assert_eq!(advice.class(), WorkloadClass::WaitingBound);
//! assert!(matches!(advice.recommendation(), Recommendation::ThreadPool { .. }));
//! println!("{advice}");
//! # Ok(()) }
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::executor::{Arg, Output};
use crate::record::Run;
use crate::units::{human_bytes, human_secs as secs};

mod probe;

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
/// How many tasks' arguments and results are shipped through a socket to time the transfer.
pub const TRANSFER_SAMPLES: usize = 32;

/// What kind of work the sample is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkloadClass {
    /// Mostly waiting (sleep, network, disk): threads overlap the waits.
    WaitingBound,
    /// Mostly computing: needs one core per task in flight.
    CpuBound,
    /// Both: processes for the computing, threads inside them for the waiting.
    Mixed,
    /// Each task takes microseconds: handing it to a worker costs more than doing it.
    TooSmall,
}

impl fmt::Display for WorkloadClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WorkloadClass::WaitingBound => "waiting-bound",
            WorkloadClass::CpuBound => "CPU-bound",
            WorkloadClass::Mixed => "mixed",
            WorkloadClass::TooSmall => "too small to parallelise",
        })
    }
}

/// An executor and its size, as the advisor names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Recommendation {
    /// One task after another on the calling thread.
    Sequential,
    /// [`ThreadPool`](crate::executor::ThreadPool) of `threads`, mapping `chunksize` items per job.
    ThreadPool {
        /// Number of threads.
        threads: usize,
        /// Items per job (`map_chunked`).
        chunksize: usize,
    },
    /// [`ProcessPool`](crate::executor::ProcessPool) of `processes`, mapping `chunksize` items per job.
    ProcessPool {
        /// Number of worker processes.
        processes: usize,
        /// Items per job (`map_chunked`).
        chunksize: usize,
    },
    /// [`HybridPool`](crate::executor::HybridPool) of `processes` × `threads`.
    HybridPool {
        /// Number of worker processes.
        processes: usize,
        /// Threads in each process.
        threads: usize,
        /// Items per job (`map_chunked`).
        chunksize: usize,
    },
}

impl Recommendation {
    /// How many tasks it runs at once.
    pub fn workers(&self) -> usize {
        match *self {
            Recommendation::Sequential => 1,
            Recommendation::ThreadPool { threads, .. } => threads,
            Recommendation::ProcessPool { processes, .. } => processes,
            Recommendation::HybridPool { processes, threads, .. } => processes * threads,
        }
    }

    /// Items per job (1 for `Sequential`).
    pub fn chunksize(&self) -> usize {
        match *self {
            Recommendation::Sequential => 1,
            Recommendation::ThreadPool { chunksize, .. }
            | Recommendation::ProcessPool { chunksize, .. }
            | Recommendation::HybridPool { chunksize, .. } => chunksize,
        }
    }
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Recommendation::Sequential => f.write_str("Sequential")?,
            Recommendation::ThreadPool { threads, .. } => write!(f, "ThreadPool({threads})")?,
            Recommendation::ProcessPool { processes, .. } => write!(f, "ProcessPool({processes})")?,
            Recommendation::HybridPool { processes, threads, .. } => write!(f, "HybridPool({processes}×{threads})")?,
        }
        match self.chunksize() {
            1 => Ok(()),
            n => write!(f, " with chunksize {n}"),
        }
    }
}

/// What the advisor measured, averaged per task (seconds and bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    /// Tasks in the sample.
    pub tasks: usize,
    /// Cores the verdict plans for.
    pub cores: usize,
    /// Wall seconds per task.
    pub wall_per_task: f64,
    /// Seconds per task the thread was ready to run but not running: no free
    /// core, or (for a task that never blocked) its whole time off the CPU
    /// (`None` where the OS does not report it; then counted as the task's own time).
    pub ready_wait_per_task: Option<f64>,
    /// CPU seconds per task.
    pub cpu_per_task: f64,
    /// Mean postcard-encoded size of an argument, in bytes.
    pub arg_bytes: f64,
    /// Mean postcard-encoded size of a result, in bytes.
    pub result_bytes: f64,
    /// Seconds to ship one task's argument to a worker and its result back:
    /// encode, through a local socket, decode (mean over the timed tasks).
    pub transfer_per_task: f64,
    /// How many tasks the transfer was timed on.
    pub transfer_samples: usize,
}

impl Measurements {
    /// Wall time minus the time ready but not running: what the task itself took.
    pub fn own_per_task(&self) -> f64 {
        (self.wall_per_task - self.ready_wait_per_task.unwrap_or(0.0)).max(0.0)
    }

    /// CPU time over own time, in `[0, 1]`.
    pub fn cpu_ratio(&self) -> f64 {
        let own = self.own_per_task();
        if own > 0.0 { (self.cpu_per_task / own).clamp(0.0, 1.0) } else { 1.0 }
    }

    /// Transfer time over own time (above 1: shipping costs more than doing).
    pub fn transfer_ratio(&self) -> f64 {
        let own = self.own_per_task();
        if own > 0.0 { self.transfer_per_task / own } else { f64::INFINITY }
    }
}

/// The advisor's decision: a class, what to use, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The kind of work.
    pub class: WorkloadClass,
    /// What to use.
    pub recommendation: Recommendation,
    /// A second choice; its condition is in the reasons (e.g. "without a GIL").
    pub alternative: Option<Recommendation>,
    /// One sentence per rule that fired, with the numbers that made it fire.
    pub reasons: Vec<String>,
}

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
        let tasks = m.tasks.max(1);
        let cores = m.cores.max(1);
        let own = m.own_per_task();
        let ratio = m.cpu_ratio();
        // A thread computing `ratio` of the time keeps `ratio` of a core busy.
        let overlap = if ratio > 0.0 { 1.0 / ratio } else { f64::INFINITY };
        let wait_threads = round_count(cores as f64 * overlap).min(tasks).min(MAX_THREADS);
        let processes = cores.min(tasks);
        let mut reasons = Vec::new();

        if own < MIN_TASK_SECONDS {
            let chunksize = round_count(CHUNK_TARGET_SECONDS / own.max(1e-9));
            reasons.push(format!(
                "each task takes only {} (less than {}): handing it to a worker one at a time costs about as \
                 much as doing it — shipping alone measured {}",
                secs(own),
                secs(MIN_TASK_SECONDS),
                secs(m.transfer_per_task)
            ));
            reasons.push(format!("stay sequential: the whole sample took {}", secs(m.wall_per_task * tasks as f64)));
            // Big data per task (not the fixed cost of a round trip, which batching amortises).
            let copying_dominates = m.transfer_ratio() >= 1.0 && m.arg_bytes + m.result_bytes >= BIG_PAYLOAD;
            let alternative = if ratio <= WAITING_BOUND_RATIO {
                Recommendation::ThreadPool { threads: wait_threads, chunksize }
            } else if copying_dominates && cores > 1 {
                // Every chunk would carry the data again: batching cannot amortise it.
                reasons.push(format!(
                    "shipping one task's argument and result costs {}, more than its work: processes would spend \
                     their time copying — share the data (threads, or a shared-memory handle) instead",
                    secs(m.transfer_per_task)
                ));
                Recommendation::ThreadPool { threads: cores, chunksize }
            } else if cores > 1 {
                Recommendation::ProcessPool { processes: cores, chunksize }
            } else {
                return Verdict {
                    class: WorkloadClass::TooSmall,
                    recommendation: Recommendation::Sequential,
                    alternative: None,
                    reasons,
                };
            };
            reasons.push(format!(
                "for many more items, batch them: {alternative} gives each job about {} of work",
                secs(CHUNK_TARGET_SECONDS)
            ));
            return Verdict {
                class: WorkloadClass::TooSmall,
                recommendation: Recommendation::Sequential,
                alternative: Some(alternative),
                reasons,
            };
        }

        if let Some(ready) = m.ready_wait_per_task.filter(|r| *r >= 0.05 * m.wall_per_task) {
            reasons.push(format!(
                "the machine was busy: each task spent {} ready to run but not running (no free core, or the hypervisor ran another guest); that is not the task \
                 waiting, so it is left out of the ratio",
                secs(ready)
            ));
        }
        let (class, recommendation, alternative) = if ratio >= CPU_BOUND_RATIO {
            reasons.push(format!(
                "CPU/wall {ratio:.2} ≥ {CPU_BOUND_RATIO}: the task computes for {:.0}% of its {} — CPU-bound",
                ratio * 100.0,
                secs(own)
            ));
            if cores == 1 {
                reasons.push("this machine has one core: nothing can compute beside it, so stay sequential".into());
                (WorkloadClass::CpuBound, Recommendation::Sequential, None)
            } else {
                reasons.push(format!(
                    "under a GIL (CPython) threads would take turns, so use processes: {processes}, one per core \
                     ({cores} cores, {tasks} tasks) — more would only queue for the cores"
                ));
                reasons.push(format!(
                    "without a GIL (Rust, free-threaded Python) ThreadPool({processes}) computes just as fast, \
                     shares memory and copies nothing"
                ));
                (
                    WorkloadClass::CpuBound,
                    Recommendation::ProcessPool { processes, chunksize: 1 },
                    Some(Recommendation::ThreadPool { threads: processes, chunksize: 1 }),
                )
            }
        } else if ratio <= WAITING_BOUND_RATIO {
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
            (WorkloadClass::WaitingBound, Recommendation::ThreadPool { threads: wait_threads, chunksize: 1 }, None)
        } else {
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
                (WorkloadClass::Mixed, alternative, None)
            } else {
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
                (WorkloadClass::Mixed, hybrid, Some(alternative))
            }
        };

        let shipped = format!(
            "each task ships {} in and {} out, measured at {} ({:.1}% of the task)",
            human_bytes(m.arg_bytes.round() as u128),
            human_bytes(m.result_bytes.round() as u128),
            secs(m.transfer_per_task),
            m.transfer_ratio() * 100.0
        );
        let crosses = matches!(recommendation, Recommendation::ProcessPool { .. } | Recommendation::HybridPool { .. });
        if crosses && m.transfer_ratio() >= HEAVY_TRANSFER {
            let worse = if m.transfer_ratio() >= 1.0 { "more than the work itself" } else { "a real share of it" };
            reasons.push(format!(
                "{shipped}: copying costs {worse} — put the data in shared memory (shm::SharedMemoryManager) and \
                 send workers a handle, or use threads, which copy nothing"
            ));
        } else if crosses {
            reasons.push(format!("{shipped}: cheap next to the work"));
        }
        Verdict { class, recommendation, alternative, reasons }
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

/// What the advisor found: the verdict, the numbers behind it, and the sample's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    /// The decision and its reasons.
    pub verdict: Verdict,
    /// The measured numbers.
    pub measured: Measurements,
    /// The sample as it ran, one task at a time (for tables and charts).
    pub run: Run,
}

impl Advice {
    /// The kind of work.
    pub fn class(&self) -> WorkloadClass {
        self.verdict.class
    }

    /// What to use.
    pub fn recommendation(&self) -> Recommendation {
        self.verdict.recommendation
    }

    /// Evcxr shows advice as its text report.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (v, m) = (&self.verdict, &self.measured);
        writeln!(f, "Advice: {} → {}", v.class, v.recommendation)?;
        if let Some(alt) = v.alternative {
            writeln!(f, "   or: {alt}")?;
        }
        writeln!(f, "measured on {} tasks run one at a time; {} cores:", m.tasks, m.cores)?;
        write!(f, "  wall per task      {:>10}", secs(m.wall_per_task))?;
        match m.ready_wait_per_task {
            Some(r) => writeln!(f, "  (of which {} ready but not running)", secs(r))?,
            None => writeln!(f)?,
        }
        writeln!(f, "  CPU per task       {:>10}  (CPU/wall {:.2})", secs(m.cpu_per_task), m.cpu_ratio())?;
        writeln!(
            f,
            "  argument / result  {:>10}  / {} (postcard)",
            human_bytes(m.arg_bytes.round() as u128),
            human_bytes(m.result_bytes.round() as u128)
        )?;
        writeln!(
            f,
            "  transfer per task  {:>10}  ({:.1}% of the task; encode, socket round trip, decode; {} tasks timed)",
            secs(m.transfer_per_task),
            m.transfer_ratio() * 100.0,
            m.transfer_samples
        )?;
        write!(f, "why:")?;
        for r in &v.reasons {
            write!(f, "\n  - {r}")?;
        }
        Ok(())
    }
}

/// Configures the advisor; [`advise`] is `Advisor::new().advise(..)`.
#[derive(Clone, Debug)]
pub struct Advisor {
    cores: usize,
}

impl Default for Advisor {
    fn default() -> Self {
        Advisor::new()
    }
}

impl Advisor {
    /// Plan for this machine's cores (`std::thread::available_parallelism`).
    pub fn new() -> Advisor {
        Advisor { cores: std::thread::available_parallelism().map_or(1, |n| n.get()) }
    }

    /// Plan for `cores` cores instead (e.g. the machine the work will run on).
    pub fn cores(self, cores: usize) -> Result<Advisor> {
        if cores == 0 {
            return Err(Error::InvalidArgument("the advisor needs at least one core to plan for, got 0".into()));
        }
        Ok(Advisor { cores })
    }

    /// Run `sample` through `f` one at a time, measure it, and decide.
    ///
    /// Errors: an empty sample ([`Error::InvalidArgument`]), an argument or
    /// result that cannot be serialised ([`Error::Serialization`] — it could not
    /// cross to a process either), a task that panics ([`Error::Panicked`]), or
    /// an OS that reports no thread CPU time ([`Error::Unsupported`]).
    pub fn advise<A: Arg, R: Output>(&self, f: fn(A) -> R, sample: impl IntoIterator<Item = A>) -> Result<Advice> {
        let args: Vec<A> = sample.into_iter().collect();
        if args.is_empty() {
            return Err(Error::InvalidArgument(
                "the advisor needs a sample of at least one input to run and measure; the sample was empty".into(),
            ));
        }
        let (measured, run) = probe::measure(f, args, self.cores)?;
        Ok(Advice { verdict: Verdict::from_measurements(&measured), measured, run })
    }
}

/// Run `f` on `sample` one at a time, measure it and name the executor to use.
/// See the module docs for what is measured and the rules.
pub fn advise<A: Arg, R: Output>(f: fn(A) -> R, sample: impl IntoIterator<Item = A>) -> Result<Advice> {
    Advisor::new().advise(f, sample)
}
