//! `parlab mpi messages` — what a message to a rank costs: latency, bandwidth,
//! and what they mean for chunk sizes.
//!
//! Shows: rounds of one no-op task per rank, whose round trips are nearly all
//! latency (the fixed price of a message), split by the rank's host — a rank
//! on the relay's host gets its messages through shared memory, a rank on
//! another host through the network; then one big argument, whose time is
//! mostly bandwidth (bytes per second); then `map` of no-ops with chunksize 1
//! and 100, where a chunk pays the latency once for all its items; and last,
//! the smallest chunk that keeps messages under a tenth of the computing.

use clap::Args as ClapArgs;
use parlab::prelude::*;

use super::ranks::{self, RankArgs};
use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::{bytes, secs};

/// Flags of `parlab mpi messages`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    ranks: RankArgs,
    /// Rounds of one no-op task per rank
    #[arg(long, default_value_t = 100, value_parser = opts::at_least_one())]
    rounds: usize,
    /// Size of the big argument, in MiB
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=512))]
    mib: u64,
    #[command(flatten)]
    out: OutputArgs,
}

fn echo(x: u64) -> u64 {
    x
}

fn length(v: Vec<u8>) -> usize {
    v.len()
}

/// Run the message measurements.
pub fn run(args: Args) -> Result<(), CliError> {
    let (pool, ctx) = ranks::start("mpi-messages", &args.ranks, args.out)?;
    let workers = pool.workers() as u64;

    // Latency: every round sends each rank one no-op and waits for all of them.
    pool.take_run();
    let (trips, wall) = timed(|| -> Result<()> {
        for round in 0..args.rounds as u64 {
            let futures = (0..workers).map(|i| pool.submit(echo, round * workers + i)).collect::<Result<Vec<_>>>()?;
            for f in wait(futures, ReturnWhen::AllCompleted).done {
                f.result()?;
            }
        }
        Ok(())
    });
    trips?;
    let trip_run = pool.take_run().with_label("no-op round trips");
    ctx.say(format!(
        "\nlatency: {} rounds of one no-op per rank, {} per round",
        args.rounds,
        secs(wall / args.rounds as f64)
    ));
    let relay_host = pool.processes()[0].host.clone();
    for p in &pool.processes()[1..] {
        let mine: Vec<f64> =
            trip_run.tasks.iter().filter(|t| t.lane.worker + 1 == p.rank).map(|t| t.transfer).collect();
        let mean = mine.iter().sum::<f64>() / mine.len().max(1) as f64;
        let path = if p.host == relay_host { "same host as the relay: shared memory" } else { "another host: network" };
        ctx.say(format!("  rank {:<2} on {:<14} moving bytes {:>9} per task  ({path})", p.rank, p.host, secs(mean)));
    }

    // Bandwidth: one big argument, the best of three.
    let big = vec![7u8; (args.mib << 20) as usize];
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let (len, took) = timed(|| pool.submit(length, big.clone())?.result());
        if len? != big.len() {
            return Err(CliError::Failed("the rank saw an argument of another length".into()));
        }
        best = best.min(took);
    }
    pool.take_run();
    ctx.say(format!(
        "\nbandwidth: a {} argument reached a rank and answered in {}: {}/s",
        bytes(big.len() as u128),
        secs(best),
        bytes((big.len() as f64 / best) as u128)
    ));

    // Chunks: the latency paid per item, or per chunk.
    let items = 2000u64;
    let mut runs = vec![trip_run];
    let mut per_item = Vec::new();
    for chunk in [1usize, 100] {
        pool.take_run();
        let (out, took) = timed(|| pool.map_chunked(echo, 0..items, chunk));
        if out? != (0..items).collect::<Vec<_>>() {
            return Err(CliError::Failed(format!("map with chunksize {chunk} changed the values")));
        }
        runs.push(pool.take_run().with_label(format!("map, chunksize {chunk}")));
        per_item.push(took / items as f64);
        ctx.say(format!("map of {items} no-ops, chunksize {chunk:>3}: {} per item", secs(took / items as f64)));
    }

    let latency = wall / args.rounds as f64;
    ctx.say("\nThe fewest items per chunk so that a chunk's round trip is at most 10% of its computing:");
    for task in [20e-6, 200e-6, 2e-3] {
        let chunk = (latency / (0.1 * task)).ceil().max(1.0);
        ctx.say(format!("  items of {:>9}: chunksize {chunk:>5.0}", secs(task)));
    }
    ctx.say("On a cluster a message costs more than here, and the chunks must grow with it.");
    let refs: Vec<&Run> = runs.iter().collect();
    ctx.finish(&runs, &refs, || Ok(vec![("round-trips", chart::timeline(&runs[0])?)]))
}
