//! `parlab advise` — the workload advisor (issue #5), the visual guide's
//! decision flowchart (seed 000) made executable.
//!
//! Shows: run a sample of a built-in task one at a time, measure its CPU time
//! against its wall time and the size of what would cross to a worker
//! process, classify it (waiting-bound, CPU-bound, mixed, or too small), and
//! name the executor and worker count to use — with the measured reasons.
//! `matrix` ships a whole adjacency matrix with every task, to show the
//! advice for payloads that cost more to copy than to compute.

use clap::{Args as ClapArgs, ValueEnum};
use parlab::advisor::{Advice, Advisor};
use parlab::graph::{Graph, path_distance_task};
use parlab::prelude::*;

use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::Ctx;

/// A built-in task to advise on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// delayed_return_for: sleep 1 s × scale (waiting)
    Sleep,
    /// long_factorize: count down to a factor of 100,000,001 × scale (computing)
    Factorize,
    /// cpu_task: sum of squares below 10,000,000 × scale (computing)
    SumSquare,
    /// sleep 0.5 s × scale, then compute for 0.5 s × scale (both)
    Mixed,
    /// is_prime on numbers from 1,000,000: microseconds each (too small)
    Prime,
    /// path distances with the whole --size × --size matrix as the argument (heavy payload)
    Matrix,
}

/// Flags of `parlab advise`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// The task to measure
    #[arg(value_enum)]
    workload: Workload,
    /// Tasks in the sample (default: 500 for prime, 8 otherwise)
    #[arg(long, value_parser = opts::at_least_one())]
    tasks: Option<usize>,
    /// Time scale for the sleeping and computing workloads
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    scale: f64,
    /// Plan for this many cores (default: this machine's)
    #[arg(long)]
    cores: Option<usize>,
    /// Matrix size M for the matrix workload (an M × M byte matrix)
    #[arg(long, default_value_t = 2000)]
    size: usize,
    #[command(flatten)]
    out: OutputArgs,
}

/// Half a scaled second of sleep, then half of computing: a mixed task.
fn sleep_then_burn(seconds: f64) -> u64 {
    gil::sleep(workload::scaled(seconds / 2.0));
    burn_cpu(seconds / 2.0)
}

/// Run the advisor on the chosen workload.
pub fn run(args: Args) -> Result<(), CliError> {
    let default_tasks = if args.workload == Workload::Prime { 500 } else { 8 };
    let tasks = args.tasks.unwrap_or(default_tasks);
    opts::scale(args.scale)?;
    let advisor = match args.cores {
        Some(n) => Advisor::new().cores(n)?,
        None => Advisor::new(),
    };
    let ctx = Ctx::new("advise", args.out)?;
    let n = tasks as u64;
    let advice: Advice = ctx.step("running the sample", || {
        Ok(match args.workload {
            Workload::Sleep => advisor.advise(delayed_return_for, (0..n).map(|i| (i, 1.0)))?,
            Workload::Factorize => advisor.advise(long_factorize, 0..n)?,
            Workload::SumSquare => advisor.advise(cpu_task, 0..n)?,
            Workload::Mixed => advisor.advise(sleep_then_burn, (0..n).map(|_| 1.0))?,
            Workload::Prime => advisor.advise(is_prime, 1_000_000..1_000_000 + n)?,
            Workload::Matrix => {
                let g = Graph::random(args.size, 0.001, 7)?;
                let pairs = Graph::random_pairs(g.nodes(), tasks, 8)?;
                advisor.advise(path_distance_task, pairs.into_iter().map(|(i, j)| (g.clone(), i, j, 10)))?
            }
        })
    })?;
    let name = args.workload.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
    ctx.say(format!("{name} × {tasks}, time scale {}\n", workload::scale()));
    ctx.say(&advice);
    ctx.finish(&advice, &[&advice.run], || Ok(vec![("sample", chart::timeline(&advice.run)?)]))
}
