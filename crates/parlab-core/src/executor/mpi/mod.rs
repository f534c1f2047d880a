//! [`MpiPool`]: tasks on MPI ranks (Open MPI through the `mpi` crate), on
//! one machine or across the hosts of a hostfile — Python's
//! `mpi4py.futures.MPIPoolExecutor`, behind the same interface as the other
//! executors. Only with the cargo feature `mpi`.
//!
//! Invariant: the caller never makes an MPI call. Rank 0 is a relay between
//! the caller's socket and ranks 1..=N, over MPI point-to-point messages (and
//! MPI broadcasts, for [`MpiPool::broadcast`]). Either the pool starts the job
//! (`mpirun -n N+1`, and the caller is no MPI process at all), or `mpirun`
//! started the program ([`MpiPool::world`]), and the relay is a thread of
//! rank 0 reached through a socket pair.
//! What MPI does on a rank failure, and what parlab adds, is on [`MpiPool`].

mod bcast;
mod code;
mod core;
mod frame;
mod launch;
mod link;
#[cfg(target_os = "linux")]
mod netns;
mod pool;
mod rank;
mod relay;
mod serve;
mod world;

pub use bcast::Broadcast;
pub use launch::MpiPoolBuilder;
#[cfg(target_os = "linux")]
pub use netns::NamespaceCluster;
pub use pool::{MpiPool, RankInfo};
pub use serve::serve_if_rank;
