//! `parlab mpi as-completed` — demo_1b on MPI ranks.
//!
//! Shows: tasks of varying length (the seed's Gaussian `delayed_return`)
//! submitted in order to the ranks, and their results taken with
//! `as_completed` — fastest first — each printed the moment it arrives.
//! The rank that frees up first takes the next task, wherever its host is.

use std::time::Instant;

use clap::Args as ClapArgs;
use parlab::prelude::*;

use super::ranks::{self, RankArgs, WorkArgs};
use crate::error::CliError;
use crate::opts::{self, OutputArgs};

/// Flags of `parlab mpi as-completed`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    ranks: RankArgs,
    /// Tasks to submit
    #[arg(long, default_value_t = 12, value_parser = opts::at_least_one())]
    tasks: usize,
    #[command(flatten)]
    work: WorkArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run demo_1b on the ranks.
pub fn run(args: Args) -> Result<(), CliError> {
    let scale = args.work.apply()?;
    let (pool, ctx) = ranks::start("mpi-as-completed", &args.ranks, args.out)?;
    let n = args.tasks as u64;
    ctx.say(format!("\n{n} tasks, each sleeping ~{scale:.3} s (1 s ± 0.25 s × scale), collected as they complete:\n"));

    pool.take_run();
    let start = Instant::now();
    let futures = (0..n).map(|i| pool.submit(delayed_return::<u64>, i)).collect::<Result<Vec<_>>>()?;
    let bar = ctx.bar(n, "as_completed");
    let mut seen = Vec::new();
    for (rank, future) in as_completed(futures).enumerate() {
        let value = future.result()?;
        seen.push(value);
        let at = start.elapsed().as_secs_f64();
        ctx.say_over(&bar, format!("  #{:<3} task {value:<3} done at {at:>7.3} s", rank + 1));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let run = pool.take_run();
    seen.sort_unstable();
    if seen != (0..n).collect::<Vec<_>>() {
        return Err(CliError::Failed(format!("as_completed lost or changed results: {seen:?}")));
    }

    let mut by_end: Vec<&TaskRecord> = run.tasks.iter().collect();
    by_end.sort_by(|a, b| a.end.total_cmp(&b.end));
    let overtaken = by_end.iter().enumerate().filter(|(rank, t)| t.index != *rank).count();
    let order: Vec<String> = by_end.iter().map(|t| t.index.to_string()).collect();
    ctx.say(format!("\ncompleted: {}", order.join(" ")));
    ctx.say(format!(
        "{overtaken} of {n} results arrived out of submission order; all {n} took {:.3} s of wall time on {}.",
        run.wall, run.label
    ));
    ctx.finish(&[&run], &[&run], || {
        Ok(vec![("completion", chart::completion(&run)?), ("timeline", chart::timeline(&run)?)])
    })
}
