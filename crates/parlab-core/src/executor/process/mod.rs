//! Pools of worker processes: [`ProcessPool`] (N processes, one thread each)
//! and [`HybridPool`] (P processes × T threads).
//!
//! Invariant: what crosses into a worker is a pair of code addresses and
//! serde-encoded bytes, never a Rust value. The addresses are a monomorphised
//! trampoline (decode, call, encode — built here, in the caller's copy of this
//! crate, so a panic is caught by the same `std` that raised it) and the task's
//! `fn(A) -> R`. With `Fork` they are absolute, and the pool re-forks its
//! workers when a task's code was loaded after they were forked (a later
//! notebook cell); with `Spawn` they are offsets into the executable.
//!
//! A forked worker inherits the parent's memory but closes every inherited
//! file descriptor except stdout, stderr and its own socket. So an object a
//! task reaches through inherited memory must not use its descriptor (nor
//! close it on drop: the number may have been reused) — pass a handle the
//! worker can open itself instead, as `shm::MatrixHandle` does.

#[cfg(unix)]
pub(crate) mod codec;
#[cfg(unix)]
mod codec_de;
#[cfg(unix)]
mod frontend;
#[cfg(unix)]
pub(crate) mod loaded;
mod pools;
#[cfg(all(test, target_os = "linux"))]
mod protocol_tests;
#[cfg(unix)]
mod scheduler;
#[cfg(unix)]
mod serial_turn;
mod start_method;
#[cfg(all(test, unix))]
mod tests;
#[cfg(windows)]
mod unsupported;
#[cfg(unix)]
pub(crate) mod wire;
#[cfg(all(test, unix))]
mod wire_fuzz;
#[cfg(unix)]
pub(crate) mod worker;

#[cfg(all(unix, feature = "mpi"))]
pub(crate) use frontend::{decode, trampoline};
pub use pools::{Hybrid, HybridPool, Layout, Process, ProcessPool, ProcessPoolOf, Single};
pub use start_method::StartMethod;
#[cfg(feature = "mpi")]
pub(crate) use start_method::init_called;
pub(crate) use start_method::mark_init_called;
