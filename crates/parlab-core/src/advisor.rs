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

mod advice;
mod measurements;
mod probe;
mod rules;
mod verdict;

pub use advice::{Advice, Advisor, advise};
pub use measurements::Measurements;
pub use probe::TRANSFER_SAMPLES;
pub use rules::{
    BIG_PAYLOAD, CHUNK_TARGET_SECONDS, CPU_BOUND_RATIO, HEAVY_TRANSFER, MAX_THREADS, MIN_TASK_SECONDS,
    WAITING_BOUND_RATIO,
};
pub use verdict::{Recommendation, Verdict, WorkloadClass};
