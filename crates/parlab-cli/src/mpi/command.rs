//! The `parlab mpi` subcommand: which demo, and running it.
//!
//! Invariant: every rank of an `mpirun` job parses the same command line and
//! reaches the same demo, whose first act is to make its pool; so the ranks
//! 1..N-1 serve tasks there and never run a demo of their own.

use clap::{Args as ClapArgs, Subcommand};

use super::{as_completed, broadcast, chunking, messages, speedup, timing};
use crate::error::CliError;

/// Demos on MPI ranks: `mpirun -n N parlab mpi DEMO` (rank 0 runs the demo, ranks 1..N-1 its tasks),
/// or `parlab mpi DEMO --ranks N` to have parlab start mpirun itself.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(subcommand)]
    demo: Demo,
}

#[derive(Subcommand, Debug)]
enum Demo {
    /// demo_1 on ranks: delayed_return and long_factorize, by submit and by map, timelines by host
    Timing(timing::Args),
    /// demo_1b on ranks: results with as_completed, in the order tasks finish
    AsCompleted(as_completed::Args),
    /// CPU-bound long_factorize: sequential against the ranks, judged by the cores on offer
    Speedup(speedup::Args),
    /// Chunking on ranks: is_prime with chunksize 1 against a bigger one
    Chunking(chunking::Args),
    /// demo_2 across ranks: the matrix copied into every task, or broadcast to each rank once
    Broadcast(broadcast::Args),
    /// What a message costs: latency by host, bandwidth, and chunk sizes from them
    Messages(messages::Args),
}

/// Run the demo asked for.
pub fn run(args: Args) -> Result<(), CliError> {
    match args.demo {
        Demo::Timing(a) => timing::run(a),
        Demo::AsCompleted(a) => as_completed::run(a),
        Demo::Speedup(a) => speedup::run(a),
        Demo::Chunking(a) => chunking::run(a),
        Demo::Broadcast(a) => broadcast::run(a),
        Demo::Messages(a) => messages::run(a),
    }
}
