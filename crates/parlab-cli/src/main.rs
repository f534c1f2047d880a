//! `parlab`: every parlab demo from a shell — tables on stdout, progress on
//! stderr, charts to PNG/SVG files, run records as JSON or as traces for Perfetto.
//!
//! Invariant: the process exits 0 after a demo ran, 2 for a request that
//! cannot be carried out (clap's own errors for malformed flags; one line
//! `parlab: <why>` for an impossible value such as `--workers 0`), and 1 with
//! one line when the machinery fails. It never panics on input, and every
//! worker process it starts is reaped before it exits.
//!
//! # Why `init()` is the first line of `main`
//! Every process pool here uses [`StartMethod::Spawn`](parlab::executor::StartMethod):
//! a worker is this very executable started again. `parlab::init()` is where a
//! re-started copy finds out it is a worker, serves tasks, and exits — before
//! it ever parses a command line or starts a demo (which would start workers of
//! its own, forever). It is the Rust form of Python's `if __name__ == "__main__":`
//! guard. Spawn rather than fork also keeps workers clean of this program's
//! threads (progress bars tick on one), which `fork` would copy mid-flight.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod error;
mod mpi;
mod opts;
mod output;

use demo::{advise, as_completed, chunking, cpu_sweep, free_threaded, shared_memory, timing, visual_guide};
use error::CliError;

/// Run parlab's demos of parallelism: threads, processes, the GIL, and what they cost.
#[derive(Parser, Debug)]
#[command(name = "parlab", version, propagate_version = true)]
#[command(after_help = "Every demo prints its table on stdout; --chart FILE.png|.svg or --out-dir DIR writes its \
                  charts; --trace FILE writes its runs for Perfetto (https://ui.perfetto.dev); --json prints its \
                  run records instead. Try: parlab visual-guide --scale 0.05")]
struct Cli {
    #[command(subcommand)]
    demo: Demo,
}

#[derive(Subcommand, Debug)]
enum Demo {
    /// The visual guide: 14 tasks × 2 s under Sequential, ProcessPool(3), Hybrid(3×3), ThreadPool(14)
    VisualGuide(visual_guide::Args),
    /// demo_1: delayed_return and long_factorize on threads and processes; submit vs map; task time vs wall
    Timing(timing::Args),
    /// demo_1b: collect results with as_completed, in the order tasks finish
    AsCompleted(as_completed::Args),
    /// demo_1c: CPU-bound work on GIL threads vs processes over worker counts, with the Amdahl fit
    CpuSweep(cpu_sweep::Args),
    /// demo_1d: the same CPU-bound sweep without a GIL, as in free-threaded Python
    FreeThreaded(free_threaded::Args),
    /// Chunking: is_prime over 1,000,000..1,000,500 with chunksize 1 vs 50
    Chunking(chunking::Args),
    /// The workload advisor: measure a built-in task and name the executor to use
    Advise(advise::Args),
    /// demo_2: a big matrix to workers four ways — copied, shared memory, threads, sequential
    SharedMemory(shared_memory::Args),
    /// Demos on MPI ranks, across hosts: `mpirun -n N parlab mpi DEMO` (feature `mpi`)
    Mpi(mpi::Args),
}

fn main() -> ExitCode {
    parlab::init(); // a spawned worker serves its pool from here and never returns
    let cli = Cli::parse(); // malformed flags: clap prints why and exits 2
    match run(cli.demo) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parlab: {}", e.one_line());
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(demo: Demo) -> Result<(), CliError> {
    match demo {
        Demo::VisualGuide(a) => visual_guide::run(a),
        Demo::Timing(a) => timing::run(a),
        Demo::AsCompleted(a) => as_completed::run(a),
        Demo::CpuSweep(a) => cpu_sweep::run(a),
        Demo::FreeThreaded(a) => free_threaded::run(a),
        Demo::Chunking(a) => chunking::run(a),
        Demo::Advise(a) => advise::run(a),
        Demo::SharedMemory(a) => shared_memory::run(a),
        Demo::Mpi(a) => mpi::run(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
