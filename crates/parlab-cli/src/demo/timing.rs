//! `parlab timing` — seed 001's demo_1.
//!
//! Shows: the seed's two workloads, `delayed_return` (a sleep of about 1 s,
//! drawn from a Gaussian: waiting work) and `long_factorize` (a count-down
//! search for a factor: computing work), each on a ThreadPool and a
//! ProcessPool, collected two ways — `submit` every task then gather the
//! futures, or `map`. The table sets the sum of the tasks' own times (what
//! they would take one after another) against the wall time the batch took:
//! threads shrink the wall time of sleeps, but under a GIL not of factorising.

use clap::Args as ClapArgs;
use parlab::executor::{Arg, Output};
use parlab::prelude::*;

use super::pools::{Reaped, process_pool, submit_all, thread_pool};
use crate::error::CliError;
use crate::opts::{self, Approach, OutputArgs, Switch};
use crate::output::{Ctx, task_time_table};

/// Flags of `parlab timing`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Workers in each pool
    #[arg(long, default_value_t = 4, value_parser = opts::at_least_one())]
    workers: usize,
    /// Tasks per workload
    #[arg(long, default_value_t = 8, value_parser = opts::at_least_one())]
    tasks: usize,
    /// Time scale: sleeps of ~1 s × SCALE; factorising 100,000,001 × SCALE
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    scale: f64,
    /// The simulated GIL
    #[arg(long, value_enum, default_value_t = Switch::On)]
    gil: Switch,
    /// Which pools to run (one or a list)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "threads,processes")]
    executor: Vec<Approach>,
    /// Seed for the drawn sleep times (random if not given)
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run demo_1.
pub fn run(args: Args) -> Result<(), CliError> {
    let approaches = opts::approaches(&args.executor, &[Approach::Threads, Approach::Processes], "timing")?;
    let workers = args.workers;
    let n = args.tasks as u64;
    let scale = opts::scale(args.scale)?;
    let ctx = Ctx::new("timing", args.out)?;
    workload::set_seed(args.seed);
    let gil = args.gil.on();

    let mut runs = Vec::new();
    ctx.say(format!("delayed_return × {n}: each sleeps ~{:.3} s (1 s ± 0.25 s × scale {scale})", scale));
    let (values, sleeps) = both_styles(&ctx, &approaches, workers, gil, delayed_return::<u64>, 0..n)?;
    ctx.say(format!("  results: {values:?}"));
    ctx.say(task_time_table(&sleeps.iter().collect::<Vec<_>>()));
    runs.extend(sleeps);

    ctx.say(format!("\nlong_factorize × {n}: the greatest factor of {} + i, counting down", scaled_base(scale)));
    let (values, factors) = both_styles(&ctx, &approaches, workers, gil, long_factorize, 0..n)?;
    let shown: Vec<String> = values.iter().map(|(v, a, b)| format!("{v}={a}×{b}")).collect();
    ctx.say(format!("  results: {}", shown.join(", ")));
    ctx.say(task_time_table(&factors.iter().collect::<Vec<_>>()));
    runs.extend(factors);

    ctx.say(
        "\nsum / wall is the speedup: how many tasks' worth of time ran at once.\n\
         Sleeps overlap on threads even with the GIL on; factorising needs processes (or no GIL).",
    );
    let refs: Vec<&Run> = runs.iter().collect();
    ctx.finish(&runs, &refs, || {
        let (sleep_runs, factor_runs) = refs.split_at(refs.len() / 2);
        Ok(vec![("sleeps", chart::timelines(sleep_runs)?), ("factorise", chart::timelines(factor_runs)?)])
    })
}

fn scaled_base(scale: f64) -> u64 {
    ((workload::FACTORIZE_BASE as f64) * scale).round().max(2.0) as u64
}

/// `f` over `args` on each pool, by `submit` and by `map`; the first results and every run.
fn both_styles<A: Arg + Clone, R: Output>(
    ctx: &Ctx,
    approaches: &[Approach],
    workers: usize,
    gil: bool,
    f: fn(A) -> R,
    args: impl Iterator<Item = A> + Clone,
) -> Result<(Vec<R>, Vec<Run>), CliError> {
    let mut first = None;
    let mut runs = Vec::new();
    for approach in approaches {
        let (submitted, mapped) = match approach {
            Approach::Processes => on(ctx, "ProcessPool", &process_pool(workers, gil)?, f, args.clone())?,
            _ => on(ctx, "ThreadPool", &thread_pool(workers, gil)?, f, args.clone())?,
        };
        first.get_or_insert(submitted.0);
        runs.push(submitted.1);
        runs.push(mapped);
    }
    Ok((first.unwrap_or_default(), runs))
}

type Styles<R> = ((Vec<R>, Run), Run);

fn on<E: Executor, A: Arg, R: Output>(
    ctx: &Ctx,
    what: &str,
    pool: &Reaped<E>,
    f: fn(A) -> R,
    args: impl Iterator<Item = A> + Clone,
) -> Result<Styles<R>, CliError> {
    let name = pool.name();
    let (values, submitted) = ctx.step(&format!("{what} · submit"), || Ok(submit_all(&**pool, f, args.clone())?))?;
    let (_, mapped) = ctx.step(&format!("{what} · map"), || Ok(pool.run(f, args)?))?;
    Ok(((values, submitted.with_label(format!("{name} · submit"))), mapped.with_label(format!("{name} · map"))))
}
