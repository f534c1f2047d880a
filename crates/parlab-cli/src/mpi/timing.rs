//! `parlab mpi timing` — demo_1 on MPI ranks.
//!
//! Shows: the seed's two workloads, `delayed_return` (a sleep: waiting work)
//! and `long_factorize` (computing work), each by `submit` then gather and by
//! `map`, on the job's ranks. Every rank is a process with its own memory,
//! so both kinds of work overlap, as on a process pool; the table sets the
//! tasks' own times against the wall time, and the timelines group the ranks'
//! lanes by host.

use clap::Args as ClapArgs;
use parlab::executor::{Arg, Output};
use parlab::prelude::*;

use super::ranks::{self, RankArgs, WorkArgs};
use crate::demo::pools::submit_all;
use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::{Ctx, task_time_table};

/// Flags of `parlab mpi timing`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    ranks: RankArgs,
    /// Tasks per workload
    #[arg(long, default_value_t = 8, value_parser = opts::at_least_one())]
    tasks: usize,
    #[command(flatten)]
    work: WorkArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run demo_1 on the ranks.
pub fn run(args: Args) -> Result<(), CliError> {
    let scale = args.work.apply()?;
    let (pool, ctx) = ranks::start("mpi-timing", &args.ranks, args.out)?;
    let n = args.tasks as u64;

    ctx.say(format!("\ndelayed_return × {n}: each sleeps ~{scale:.3} s (1 s ± 0.25 s × scale {scale})"));
    let sleeps = both_styles(&ctx, &pool, delayed_return::<u64>, 0..n)?;
    ctx.say(task_time_table(&sleeps.iter().collect::<Vec<_>>()));

    ctx.say(format!("\nlong_factorize × {n}: the greatest factor of 100,000,001 × {scale} + i, counting down"));
    let factors = both_styles(&ctx, &pool, long_factorize, 0..n)?;
    ctx.say(task_time_table(&factors.iter().collect::<Vec<_>>()));

    ctx.say(
        "\nsum / wall is the speedup: how many tasks' worth of time ran at once. Each rank is a process with its\n\
         own memory (and its own GIL), so sleeps and factorising both overlap, up to the ranks the job has.",
    );
    let runs: Vec<Run> = sleeps.into_iter().chain(factors).collect();
    let refs: Vec<&Run> = runs.iter().collect();
    ctx.finish(&runs, &refs, || {
        let (sleep_runs, factor_runs) = refs.split_at(refs.len() / 2);
        Ok(vec![("sleeps", chart::timelines(sleep_runs)?), ("factorise", chart::timelines(factor_runs)?)])
    })
}

/// `f` over `args` by `submit` and by `map`, checked against each other; both runs.
fn both_styles<A: Arg + Clone, R: Output + PartialEq>(
    ctx: &Ctx,
    pool: &MpiPool,
    f: fn(A) -> R,
    args: impl Iterator<Item = A> + Clone,
) -> Result<Vec<Run>, CliError> {
    let name = format!("{} ranks", pool.workers());
    let (submitted, by_submit) = ctx.step("submit", || Ok(submit_all(pool, f, args.clone())?))?;
    let (mapped, by_map) = ctx.step("map", || Ok(pool.run(f, args)?))?;
    if submitted != mapped {
        return Err(CliError::Failed("submit and map gave different results".into()));
    }
    Ok(vec![by_submit.with_label(format!("{name} · submit")), by_map.with_label(format!("{name} · map"))])
}
