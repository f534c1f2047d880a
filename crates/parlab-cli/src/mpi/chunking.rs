//! `parlab mpi chunking` — seed 003 on MPI ranks: "Overhead is real — chunk your work".
//!
//! Shows: `is_prime` takes microseconds per number, less than a message to a
//! rank and back. Mapped one number per message (chunksize 1) the ranks wait
//! on messages; with a bigger chunksize one message carries many numbers and
//! the round trip is paid once per chunk. Across hosts a message costs more,
//! so the chunks must grow with the distance.

use clap::Args as ClapArgs;
use parlab::prelude::*;

use super::ranks::{self, RankArgs};
use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::{secs, task_time_table};

/// Flags of `parlab mpi chunking`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    ranks: RankArgs,
    /// Items per message in the chunked run
    #[arg(long, default_value_t = 50, value_parser = opts::at_least_one())]
    chunksize: usize,
    /// First number to test
    #[arg(long, default_value_t = 1_000_000)]
    start: u64,
    /// How many numbers to test
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    count: u64,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run the chunking comparison on the ranks.
pub fn run(args: Args) -> Result<(), CliError> {
    let end = args.start.checked_add(args.count).ok_or_else(|| {
        CliError::impossible(format!("--start {} + --count {} is past the largest u64", args.start, args.count))
    })?;
    let (pool, ctx) = ranks::start("mpi-chunking", &args.ranks, args.out)?;
    let numbers = args.start..end;
    ctx.say(format!("\nis_prime over {}..{end} ({} numbers)\n", args.start, args.count));

    let (primes, sequential) = ctx.step("Sequential", || Ok(Sequential::new().run(is_prime, numbers.clone())?))?;
    let mut runs = vec![sequential];
    for size in [1, args.chunksize] {
        let label = format!("chunksize {size}");
        let (found, run) = ctx.step(&label, || Ok(pool.run_chunked(is_prime, numbers.clone(), size)?))?;
        if found != primes {
            return Err(CliError::Failed(format!("the ranks found different primes with {label}")));
        }
        runs.push(run.with_label(format!("{label} on {} ranks", pool.workers())));
    }

    let refs: Vec<&Run> = runs.iter().collect();
    ctx.say(task_time_table(&refs));
    let base = runs[0].wall;
    for run in &runs[1..] {
        let per = run.wall / args.count as f64;
        let moving = run.tasks.iter().map(|t| t.transfer).sum::<f64>() / args.count as f64;
        ctx.say(format!(
            "  {:<24} {:.2}x the speed of Sequential; {} of wall time per number; moving bytes: {} per number",
            run.label,
            base / run.wall.max(f64::MIN_POSITIVE),
            secs(per),
            secs(moving)
        ));
    }
    ctx.say(format!(
        "\nfound {} primes. A message to a rank and back costs more than testing a number: chunksize 1 pays it\n\
         per number, chunksize {} once per {} numbers. On a cluster the message costs more, so chunks should grow.",
        primes.iter().filter(|p| **p).count(),
        args.chunksize,
        args.chunksize
    ));
    ctx.finish(&runs, &refs, || Ok(vec![("speedup", chart::speedup(&refs)?)]))
}
