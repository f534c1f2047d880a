//! `parlab mpi speedup` — demo_1c's question on MPI ranks: how much faster
//! does CPU-bound work get on N ranks than on one core?
//!
//! Shows: equally slow `long_factorize` tasks (even offsets keep the value
//! odd) one after another in this process, then on the ranks. The speedup is
//! bounded by the cores the machine gives the ranks *right now*, so the demo
//! first measures that offer (`machine::offer`) and judges the run against it
//! (`check::ran_in_parallel`), as the notebooks do: a busy machine lowers the
//! speedup, not the verdict.

use clap::Args as ClapArgs;
use parlab::prelude::*;

use super::ranks::{self, RankArgs};
use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::task_time_table;

/// Flags of `parlab mpi speedup`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    ranks: RankArgs,
    /// Tasks [default: two per worker rank]
    #[arg(long, value_parser = opts::at_least_one())]
    tasks: Option<usize>,
    /// Time scale: factorising 100,000,001 × SCALE + 2i (1: the seed's size)
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    scale: f64,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run the CPU-bound comparison.
pub fn run(args: Args) -> Result<(), CliError> {
    opts::scale(args.scale)?;
    let (pool, ctx) = ranks::start("mpi-speedup", &args.ranks, args.out)?;
    let ranks = pool.workers();
    let work: Vec<u64> = (0..args.tasks.unwrap_or(2 * ranks) as u64).map(|i| 2 * i).collect();

    let offer = ctx.step("asking the machine for cores", || Ok(machine::offer(ranks)?))?;
    ctx.say(format!("\n{offer}"));
    if pool.hosts().len() > 1 {
        ctx.say("(measured on this host; the ranks on other hosts have their own cores, or share these)");
    }
    let (want, baseline) = ctx.step("Sequential", || Ok(Sequential::new().run(long_factorize, work.clone())?))?;
    let (got, run) = ctx.step("on the ranks", || Ok(pool.run(long_factorize, work.clone())?))?;
    if got != want {
        return Err(CliError::Failed("the ranks' factors differ from the sequential ones".into()));
    }
    let runs = [baseline.with_label("Sequential (this process)"), run];
    let refs: Vec<&Run> = runs.iter().collect();
    ctx.say(format!("\nlong_factorize × {} (even offsets: every task equally slow)", work.len()));
    ctx.say(task_time_table(&refs));
    let speedup = runs[0].wall / runs[1].wall.max(f64::MIN_POSITIVE);
    ctx.say(format!(
        "\nspeedup on {ranks} ranks: {speedup:.2}x (efficiency {:.0}%); the machine offered {:.2} cores to {} busy threads",
        100.0 * speedup / ranks as f64,
        offer.cores(),
        offer.threads
    ));
    let verdict = check::ran_in_parallel(&runs[1], &offer);
    ctx.say(format!("{verdict}"));
    ctx.say(
        "\nEach rank computes on its own core when the machine has one free: the speedup is at most the ranks,\n\
         and at most the cores on offer. On a cluster each host brings its own cores; here they may all be one machine's.",
    );
    ctx.finish(&runs, &refs, || Ok(vec![("speedup", chart::speedup(&refs)?)]))
}
