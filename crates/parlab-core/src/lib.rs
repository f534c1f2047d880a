//! # parlab-core: see parallelism happen
//!
//! The machinery behind the parlab notebooks and lessons, one module per idea:
//!
//! - [`executor`] — four ways to run tasks behind one interface modelled on
//!   Python's `concurrent.futures`: [`Sequential`](executor::Sequential),
//!   [`ThreadPool`](executor::ThreadPool), [`ProcessPool`](executor::ProcessPool)
//!   and [`HybridPool`](executor::HybridPool) (processes × threads), with
//!   [`Future`](executor::Future), `map` with a chunk size,
//!   [`as_completed`](executor::as_completed) and [`wait`](executor::wait); with the
//!   cargo feature `mpi`, also `MpiPool`: MPI ranks started with `mpirun`, on several hosts.
//! - [`demo`] — the notebooks' demos as one call each (demo 2's [`PathDemo`](demo::PathDemo)),
//!   built on [`graph`] (data and algorithms) and the executors.
//! - [`gil`] — a simulated Global Interpreter Lock, so the same Rust threads can
//!   behave like CPython's threads (GIL on) or the free-threaded build (GIL off).
//! - [`workload`] — the seed's tasks: `delayed_return`, `long_factorize`,
//!   `sum_square`, `cpu_task`, `is_prime`, `foo`, `boo`, and a time scale.
//! - [`record`] — what every run leaves behind: which task ran on which worker,
//!   when, for how long; reports, comparisons and Amdahl's law.
//! - [`trace`] — runs as Chrome trace-event JSON, to open in Perfetto
//!   (<https://ui.perfetto.dev>) or `chrome://tracing`.
//! - [`machine`] — what the machine offers right now: its CPUs, and the cores a
//!   few busy threads actually get while other programs run.
//! - [`check`] — did a run behave as the lesson says? Judged by what load cannot
//!   change (overlap, CPU time) and against what [`machine`] measured.
//! - [`fault`] — defects injected on purpose, to prove the checks catch them.
//! - [`units`] — seconds and bytes as people read them, one formatter each.
//!
//! ```
//! use parlab_core::prelude::*;
//! # fn main() -> parlab_core::Result<()> {
//! workload::set_scale(0.01)?; // 14 × 2 s becomes 14 × 20 ms
//! let tasks: Vec<(usize, f64)> = (0..14).map(|i| (i, 2.0)).collect();
//! let (_, sequential) = Sequential::new().run(delayed_return_for, tasks.clone())?;
//! let (_, threads) = ThreadPool::new(14)?.gil(true).run(delayed_return_for, tasks)?;
//! // Sleeping releases the GIL, so 14 threads wait together: ~28 s vs ~2 s, scaled.
//! assert!(sequential.wall > 5.0 * threads.wall);
//! println!("{}", compare([&sequential, &threads]));
//! # Ok(()) }
//! ```

pub mod advisor;
pub mod check;
mod clock;
pub mod demo;
pub mod error;
pub mod executor;
pub mod fault;
pub mod gil;
pub mod graph;
mod init;
pub mod machine;
mod platform;
pub mod record;
mod runtime;
pub mod shm;
mod sync;
pub mod trace;
pub mod units;
pub mod workload;

pub use error::{Error, Result};
pub use init::init;

/// rayon, as parlab-core builds it: a notebook cell writes
/// `use parlab::rayon::prelude::*;` for `par_iter` without a `:dep` of its own.
pub use rayon;

/// Everything a notebook or example needs, in one `use`.
pub mod prelude {
    pub use crate::advisor::{Advice, Advisor, Recommendation, Verdict, WorkloadClass, advise};
    pub use crate::demo::PathDemo;
    pub use crate::error::{Error, Result};
    #[cfg(all(feature = "mpi", target_os = "linux"))]
    pub use crate::executor::NamespaceCluster;
    #[cfg(feature = "mpi")]
    pub use crate::executor::{Broadcast, MpiPool};
    pub use crate::executor::{
        Executor, Future, HybridPool, Process, ProcessPool, ReturnWhen, Sequential, StartMethod, ThreadPool,
        as_completed, par_run, wait, wait_timeout,
    };
    pub use crate::graph::{BitGraph, Graph};
    pub use crate::machine::{Cpus, Offer};
    pub use crate::record::{ExecutorKind, Lane, Report, Run, Sweep, TaskRecord, compare, timed};
    pub use crate::shm::{MatrixHandle, SharedMatrix, SharedMemoryManager};
    pub use crate::workload::{
        self, boo, burn_cpu, cpu_task, delayed_return, delayed_return_for, foo, is_prime, long_factorize,
        long_factorize_from, sum_square,
    };
    pub use crate::{check, gil, init, machine};
}
