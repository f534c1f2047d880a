//! `parlab chunking` — seed 003, "Overhead is real — chunk your work".
//!
//! Shows: `is_prime` on 500 numbers from 1,000,000 takes microseconds per
//! number, less than it costs to ship one number to a worker process and its
//! answer back. Mapped one number at a time (chunksize 1) the pool spends its
//! time on messages; with chunksize 50 each message carries 50 numbers and
//! the overhead is paid ten times instead of five hundred. Sequential is the
//! baseline — at this size it may well win, which is the lesson.

use clap::Args as ClapArgs;
use parlab::prelude::*;

use super::pools::{process_pool, thread_pool};
use crate::error::CliError;
use crate::opts::{self, Approach, OutputArgs, Switch};
use crate::output::{Ctx, task_time_table};

/// Flags of `parlab chunking`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Workers in the pool (default: one per core)
    #[arg(long, value_parser = opts::at_least_one())]
    workers: Option<usize>,
    /// Items per message in the chunked run
    #[arg(long, default_value_t = 50, value_parser = opts::at_least_one())]
    chunksize: usize,
    /// First number to test
    #[arg(long, default_value_t = 1_000_000)]
    start: u64,
    /// How many numbers to test
    #[arg(long, default_value_t = 500)]
    count: u64,
    /// Which pool to map on
    #[arg(long, value_enum, default_value_t = Approach::Processes)]
    executor: Approach,
    /// The simulated GIL of the pool
    #[arg(long, value_enum, default_value_t = Switch::On)]
    gil: Switch,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run the chunking comparison.
pub fn run(args: Args) -> Result<(), CliError> {
    opts::approaches(&[args.executor], &[Approach::Threads, Approach::Processes], "chunking")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = args.workers.unwrap_or(cores);
    let chunksize = args.chunksize;
    if args.count == 0 {
        return Err(CliError::impossible("--count must be at least 1, got 0: there would be nothing to test"));
    }
    let end = args.start.checked_add(args.count).ok_or_else(|| {
        CliError::impossible(format!("--start {} + --count {} is past the largest u64", args.start, args.count))
    })?;
    let ctx = Ctx::new("chunking", args.out)?;
    let numbers = args.start..end;
    ctx.say(format!(
        "is_prime over {}..{end} ({} numbers) on {workers} workers, GIL {}\n",
        args.start,
        args.count,
        if args.gil.on() { "on" } else { "off" }
    ));

    let (primes, sequential) = ctx.step("Sequential", || Ok(Sequential::new().run(is_prime, numbers.clone())?))?;
    let mut runs = vec![sequential];
    for size in [1, chunksize] {
        let label = format!("chunksize {size}");
        let (found, run) = ctx.step(&label, || match args.executor {
            Approach::Processes => {
                Ok(process_pool(workers, args.gil.on())?.run_chunked(is_prime, numbers.clone(), size)?)
            }
            _ => Ok(thread_pool(workers, args.gil.on())?.run_chunked(is_prime, numbers.clone(), size)?),
        })?;
        if found != primes {
            return Err(CliError::Failed(format!("the pool with {label} found different primes")));
        }
        let kind = if args.executor == Approach::Processes { "ProcessPool" } else { "ThreadPool" };
        runs.push(run.with_label(format!("{kind}({workers}) · {label}")));
    }

    let refs: Vec<&Run> = runs.iter().collect();
    ctx.say(task_time_table(&refs));
    let base = runs[0].wall;
    for run in &runs[1..] {
        ctx.say(format!("  {:<36} {:.2}x the speed of Sequential", run.label, base / run.wall.max(f64::MIN_POSITIVE)));
    }
    ctx.say(format!(
        "\nfound {} primes. Each test takes microseconds: with chunksize 1 a pool pays a message per number,\n\
         with chunksize {chunksize} one per {chunksize} numbers. Parallelise only what takes milliseconds per message.",
        primes.iter().filter(|p| **p).count()
    ));
    ctx.finish(&runs, &refs, || Ok(vec![("speedup", chart::speedup(&refs)?)]))
}
