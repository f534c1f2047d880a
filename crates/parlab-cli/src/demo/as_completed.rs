//! `parlab as-completed` — seed 001's demo_1b.
//!
//! Shows: tasks whose durations vary (the seed's Gaussian `delayed_return`)
//! submitted in order, and their results collected with `as_completed` —
//! fastest first — so work can go on with early results while slow tasks
//! still run. Each result is printed the moment it arrives (and ticks the
//! progress bar); the chart plots submission index against completion rank.

use std::time::Instant;

use clap::Args as ClapArgs;
use parlab::prelude::*;

use super::pools::{Reaped, hybrid_pool, process_pool, thread_pool};
use crate::error::CliError;
use crate::opts::{self, Approach, OutputArgs, Switch};
use crate::output::Ctx;

/// Flags of `parlab as-completed`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Workers in the pool (hybrid: processes, with 2 threads each)
    #[arg(long, default_value_t = 4, value_parser = opts::at_least_one())]
    workers: usize,
    /// Tasks to submit
    #[arg(long, default_value_t = 12, value_parser = opts::at_least_one())]
    tasks: usize,
    /// Time scale: each task sleeps ~1 s ± 0.25 s × SCALE
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    scale: f64,
    /// The simulated GIL
    #[arg(long, value_enum, default_value_t = Switch::On)]
    gil: Switch,
    /// Which pool to run the tasks on
    #[arg(long, value_enum, default_value_t = Approach::Threads)]
    executor: Approach,
    /// Seed for the drawn sleep times (random if not given)
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run demo_1b.
pub fn run(args: Args) -> Result<(), CliError> {
    let allowed = [Approach::Threads, Approach::Processes, Approach::Hybrid];
    opts::approaches(&[args.executor], &allowed, "as-completed")?;
    let workers = args.workers;
    let n = args.tasks as u64;
    let scale = opts::scale(args.scale)?;
    let ctx = Ctx::new("as-completed", args.out)?;
    workload::set_seed(args.seed);
    let gil = args.gil.on();
    ctx.say(format!("{n} tasks, each sleeping ~{scale:.3} s (1 s ± 0.25 s × scale), collected as they complete:\n"));

    let run = match args.executor {
        Approach::Processes => collect(&ctx, &process_pool(workers, gil)?, n)?,
        Approach::Hybrid => collect(&ctx, &hybrid_pool(workers, 2, gil)?, n)?,
        _ => collect(&ctx, &thread_pool(workers, gil)?, n)?,
    };

    let mut by_end: Vec<&TaskRecord> = run.tasks.iter().collect();
    by_end.sort_by(|a, b| a.end.total_cmp(&b.end));
    let order: Vec<String> = by_end.iter().map(|t| t.index.to_string()).collect();
    let overtaken = by_end.iter().enumerate().filter(|(rank, t)| t.index != *rank).count();
    ctx.say(format!("\nsubmitted: {}", (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(" ")));
    ctx.say(format!("completed: {}", order.join(" ")));
    ctx.say(format!(
        "{overtaken} of {n} results arrived out of submission order; all {n} took {:.3} s of wall time on {}.",
        run.wall, run.label
    ));
    ctx.finish(&[&run], &[&run], || {
        Ok(vec![("completion", chart::completion(&run)?), ("timeline", chart::timeline(&run)?)])
    })
}

/// Submit `n` tasks, print each result as `as_completed` yields it, return the run.
fn collect<E: Executor>(ctx: &Ctx, pool: &Reaped<E>, n: u64) -> Result<Run, CliError> {
    pool.take_run();
    let start = Instant::now();
    let futures = (0..n).map(|i| pool.submit(delayed_return::<u64>, i)).collect::<Result<Vec<_>>>()?;
    let bar = ctx.bar(n, &format!("{} as_completed", pool.name()));
    for (rank, future) in as_completed(futures).enumerate() {
        let value = future.result()?;
        ctx.say_over(
            &bar,
            format!("  #{:<3} task {value:<3} done at {:>7.3} s", rank + 1, start.elapsed().as_secs_f64()),
        );
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(pool.take_run())
}
