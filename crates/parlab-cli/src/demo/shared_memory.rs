//! `parlab shared-memory` — seed 001's demo_2 and demo_2_freethreaded.
//!
//! Shows: hop-limited path distances over one big random `M × M` adjacency
//! matrix, with the matrix reaching the tasks four ways — (d) sequential, by
//! reference; (a) a process pool whose every task carries a serialised copy
//! (Python's pickling); (b) a process pool whose tasks carry a shared-memory
//! handle, attached once per worker; (c) a thread pool sharing it by `Arc`,
//! without a GIL and with one. All ways must find the same distances; they
//! differ only in what it costs to hand the matrix over.
//!
//! The ways are the library's runner, `parlab::demo::PathDemo`, as the
//! notebooks and lessons run it; this file only adds the flags, the spinners
//! and the report. Process pools are spawned (`init()` in `main`), so the tasks
//! are the library's `graph::path_distance_task` / `path_distance_shm`
//! compiled into this binary. What way (a)'s copies would need is checked
//! against available memory before the graph is built.

use clap::Args as ClapArgs;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use parlab::demo::{PathDemo, Progress};
use parlab::graph::Algorithm;
use parlab::prelude::*;

use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::{Ctx, bytes};

/// Flags of `parlab shared-memory`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Matrix size M: the graph has M nodes and an M × M byte matrix
    #[arg(long, default_value_t = 2000)]
    size: usize,
    /// Fraction of the possible edges present
    #[arg(long, default_value_t = 0.002, allow_negative_numbers = true)]
    fraction: f64,
    /// Node pairs to compute a distance for (one task each)
    #[arg(long, default_value_t = 16)]
    pairs: usize,
    /// Longest path considered, in hops
    #[arg(long, default_value_t = 10)]
    max_hop: usize,
    /// Workers in each pool
    #[arg(long, default_value_t = 2, value_parser = opts::at_least_one())]
    workers: usize,
    /// Pairs per message to the process pools
    #[arg(long, default_value_t = 1, value_parser = opts::at_least_one())]
    chunksize: usize,
    /// The path-distance algorithm
    #[arg(long, default_value = "product", value_parser = algorithms())]
    algorithm: Algorithm,
    /// Seed of the random graph and pairs
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[command(flatten)]
    out: OutputArgs,
}

/// The library's algorithms as the values of `--algorithm`, each with a line of help.
fn algorithms() -> impl TypedValueParser<Value = Algorithm> {
    let help = |a: Algorithm| match a {
        Algorithm::Product => "The seed's repeated vector–matrix products (M² work per hop)",
        Algorithm::Bitset => "A bitset frontier search over packed rows (64 columns at a time)",
    };
    PossibleValuesParser::new(Algorithm::ALL.map(|a| PossibleValue::new(a.name()).help(help(a))))
        .try_map(|name| name.parse::<Algorithm>())
}

/// Run demo_2's four ways.
pub fn run(args: Args) -> Result<(), CliError> {
    let workers = args.workers;
    if args.pairs == 0 {
        return Err(CliError::impossible("--pairs must be at least 1, got 0: there would be nothing to compute"));
    }
    PathDemo::ensure_fits(args.size, args.algorithm, workers).map_err(|e| match e {
        Error::InvalidArgument(why) => {
            CliError::impossible(format!("{why}; choose a smaller --size or fewer --workers"))
        }
        other => other.into(),
    })?;
    let ctx = Ctx::new("shared-memory", args.out)?;
    let demo = ctx.step("building the graph", || {
        Ok(PathDemo::new(args.size, args.fraction, args.seed, args.pairs, args.max_hop)?
            .chunksize(args.chunksize)?
            .start_method(StartMethod::Spawn))
    })?;
    let demo = match args.algorithm {
        Algorithm::Product => demo,
        other => ctx.step("packing the rows", || Ok(demo.algorithm(other)?))?,
    };
    let g = demo.graph();
    ctx.say(format!(
        "{} nodes, {} edges; {} pairs up to {} hops; each task of way (a) carries {} — of (b), a handle\n",
        g.nodes(),
        g.edges(),
        demo.pairs().len(),
        demo.max_hop(),
        bytes(demo.copy_bytes())
    ));

    let mut spinner = None;
    let all = demo.four_ways_with(workers, |p| match p {
        Progress::Started { label, .. } => spinner = Some(ctx.spinner(label)),
        Progress::Finished { .. } => spinner = None,
    });
    drop(spinner);
    let all = all?;
    if let (Some(first), Some(odd)) = (all.outcomes.first(), all.disagreeing()) {
        return Err(CliError::Failed(format!("{} found different distances than {}", odd.run.label, first.run.label)));
    }

    let refs = all.runs();
    ctx.say(compare(refs.iter().copied()));
    let found = all.outcomes[0].distances.iter().filter(|d| d.is_some()).count();
    ctx.say(format!(
        "All five ways found the same distances ({found} of {} pairs within {} hops).\n\
         Processes pay for every copy of the matrix; shared memory sends a name instead; threads share it for free\n\
         — and without a GIL they also compute at once.",
        demo.pairs().len(),
        demo.max_hop()
    ));
    ctx.finish(&refs, &refs, || Ok(vec![("speedup", chart::speedup(&refs)?), ("timelines", chart::timelines(&refs)?)]))
}
