//! [`MpiPool`]: tasks on MPI ranks (Open MPI through the `mpi` crate), on
//! one machine or across the hosts of a hostfile — Python's
//! `mpi4py.futures.MPIPoolExecutor`, behind the same interface as the other
//! executors. Only with the cargo feature `mpi`.
//!
//! Invariant: the caller is never an MPI process. `mpirun -n N+1` starts the
//! ranks; rank 0 relays between the caller's socket and ranks 1..=N over MPI
//! point-to-point messages (and MPI broadcasts, for [`MpiPool::broadcast`]).
//! What MPI does on a rank failure, and what parlab adds, is on [`MpiPool`].

mod bcast;
mod code;
mod core;
mod frame;
mod launch;
#[cfg(target_os = "linux")]
mod netns;
mod pool;
mod rank;
mod relay;
mod serve;

pub use bcast::Broadcast;
pub use launch::MpiPoolBuilder;
#[cfg(target_os = "linux")]
pub use netns::NamespaceCluster;
pub use pool::{MpiPool, RankInfo};
pub use serve::serve_if_rank;
