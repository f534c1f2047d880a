//! `parlab mpi DEMO`: the demos that make sense across MPI ranks, started by
//! `mpirun -n N [--hostfile FILE] parlab mpi DEMO` (rank 0 runs the demo,
//! ranks 1..N-1 its tasks) or, outside `mpirun`, with ranks parlab starts
//! itself (`--ranks N`, `--hostfile FILE`). Built with the `mpi` feature.

#[cfg(feature = "mpi")]
mod as_completed;
#[cfg(feature = "mpi")]
mod broadcast;
#[cfg(feature = "mpi")]
mod chunking;
#[cfg(feature = "mpi")]
mod command;
#[cfg(not(feature = "mpi"))]
#[path = "missing.rs"]
mod command;
#[cfg(feature = "mpi")]
mod messages;
#[cfg(feature = "mpi")]
mod ranks;
#[cfg(feature = "mpi")]
mod speedup;
#[cfg(feature = "mpi")]
mod timing;

pub use command::{Args, run};
