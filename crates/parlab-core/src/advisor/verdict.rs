//! What the advisor decides: a class of work, an executor to use, and why.
//!
//! Invariant: a [`Verdict`] carries its reasons with it — every sentence names
//! the numbers that made its rule fire, so the verdict can be read without the rules.

use std::fmt;

use serde::{Deserialize, Serialize};

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
