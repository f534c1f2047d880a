//! Executors: one interface over sequential code, threads, processes and hybrids.
//!
//! Invariant: every executor honours the same contract, modelled on Python's
//! `concurrent.futures`: `submit` returns a [`Future`]; `map` returns results in
//! submission order; a task that panics becomes an [`Error::Panicked`](crate::Error::Panicked) value and
//! the executor keeps serving; after `shutdown` every submit is refused with
//! [`Error::Shutdown`](crate::Error::Shutdown); dropping an executor shuts it down without blocking.
//!
//! | executor | runs tasks on | takes | GIL (simulated) |
//! |---|---|---|---|
//! | [`Sequential`] | the calling thread | `fn(A) -> R`; any closure with `*_closure` | — |
//! | [`ThreadPool`] | N threads (rayon) | `fn(A) -> R`; `Send` closures with `*_closure` | one, shared by all threads |
//! | [`ProcessPool`] | N worker processes | `fn(A) -> R`, serde | one per process |
//! | [`HybridPool`] | P processes × T threads | `fn(A) -> R`, serde | one per process |
//! | `MpiPool` (feature `mpi`) | N MPI ranks, on one host or several | `fn(A) -> R`, serde | one per rank |
//!
//! [`par_run`] is not an executor but rayon's own `par_iter`, recorded the same
//! way, to set work stealing beside a pool's fixed chunks.
//!
//! Process pools take plain function pointers whose argument and result
//! implement serde's traits: a capturing closure does not coerce to `fn(A) -> R`,
//! so trying to send one is a compile error — Rust's version of Python's
//! "lambdas can't be pickled". Non-capturing closures coerce and work.
//! What crosses to a worker in one message — a task's argument, a `map`
//! chunk's arguments, and what comes back — must stay under 4 GiB once
//! encoded; beyond that `submit` and `map` refuse it (or its future fails)
//! with [`Error::TooLarge`](crate::Error::TooLarge). Big data belongs in [`crate::shm`].
//!
//! # Living inside a notebook
//! evcxr links a private copy of every dependency into each cell, so a pool
//! built in one cell and used in another runs code from two copies of this
//! crate. Two rules keep that correct:
//! - no correctness depends on a `static` or `thread_local!` of this crate
//!   (what must be process-wide lives in `runtime`), and
//! - a dependency with global state of its own (rayon's registry) is only ever
//!   called by the copy that created it, through a boxed closure built there.
//!
//! Panics are caught in the generic code the *caller's* copy compiles, next to
//! the task, because a Rust panic cannot be caught by another copy of `std`.

mod chunks;
mod contract;
pub mod future;
mod local;
#[cfg(feature = "mpi")]
mod mpi;
pub(crate) mod process;
mod rayon_run;
mod sequential;
mod thread;

pub use contract::{Arg, Executor, Output};
pub use future::{AsCompleted, Future, ReturnWhen, Waited, as_completed, wait, wait_timeout};
#[cfg(all(feature = "mpi", target_os = "linux"))]
pub use mpi::NamespaceCluster;
#[cfg(feature = "mpi")]
pub use mpi::{Broadcast, MpiPool, MpiPoolBuilder, RankInfo, serve_if_rank};
pub use process::{Hybrid, HybridPool, Layout, Process, ProcessPool, ProcessPoolOf, Single, StartMethod};
pub use rayon_run::par_run;
pub use sequential::Sequential;
pub use thread::ThreadPool;
