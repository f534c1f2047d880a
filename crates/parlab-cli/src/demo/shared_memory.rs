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
//! Process pools are spawned (`init()` in `main`), so the tasks are the
//! library's `graph::path_distance_task` / `path_distance_shm` compiled into
//! this binary. Way (a) keeps at most two copies per worker in flight, so the
//! copies it makes are bounded — and checked against free memory first.

use std::collections::VecDeque;

use clap::{Args as ClapArgs, ValueEnum};
use parlab::executor::{Arg, Output};
use parlab::graph::tasks::TaskResult;
use parlab::graph::{self, BitGraph, Graph};
use parlab::prelude::*;
use parlab::shm::SharedMemoryManager;

use crate::demo::{process_pool, run_chunked, thread_pool};
use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::{Ctx, bytes};

/// Which path-distance algorithm to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Algo {
    /// The seed's repeated vector–matrix products (M² work per hop)
    Product,
    /// A bitset frontier search over packed rows (64 columns at a time)
    Bitset,
}

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
    #[arg(long, value_enum, default_value_t = Algo::Product)]
    algorithm: Algo,
    /// Seed of the random graph and pairs
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[command(flatten)]
    out: OutputArgs,
}

/// Run demo_2's four ways.
pub fn run(args: Args) -> Result<(), CliError> {
    let workers = args.workers;
    let chunksize = args.chunksize;
    if args.pairs == 0 {
        return Err(CliError::impossible("--pairs must be at least 1, got 0: there would be nothing to compute"));
    }
    let m = args.size as u128;
    let payload = match args.algorithm {
        Algo::Product => m.saturating_mul(m),
        Algo::Bitset => m.saturating_mul(m.div_ceil(64)).saturating_mul(8),
    };
    check_copies_fit(m.saturating_mul(m), payload, workers)?;
    let ctx = Ctx::new("shared-memory", args.out)?;
    let g = ctx.step("building the graph", || Ok(Graph::random(args.size, args.fraction, args.seed)?))?;
    let pairs = Graph::random_pairs(g.nodes(), args.pairs, args.seed.wrapping_add(1))?;
    let bits = match args.algorithm {
        Algo::Bitset => Some(ctx.step("packing the rows", || Ok(g.to_bits()?))?),
        Algo::Product => None,
    };
    ctx.say(format!(
        "{} nodes, {} edges; {} pairs up to {} hops; each task of way (a) carries {} — of (b), a handle\n",
        g.nodes(),
        g.edges(),
        pairs.len(),
        args.max_hop,
        bytes(payload)
    ));

    let h = args.max_hop;
    let solve = solver(&g, bits.clone(), h);
    let (d, sequential) = ctx.step("(d) sequential", || Ok(Sequential::new().run(&solve, pairs.clone())?))?;
    let expected = d.into_iter().collect::<Result<Vec<_>>>()?;
    let mut runs = vec![sequential.with_label("(d) sequential")];

    let (a, naive) = ctx.step("(a) processes, matrix copied", || {
        let pool = process_pool(workers, false)?;
        Ok(match &bits {
            Some(b) => windowed(
                &pool,
                graph::path_distance_bits_task,
                pairs.iter().map(|&(i, j)| (b.clone(), i, j, h)),
                2 * workers,
            )?,
            None => windowed(
                &pool,
                graph::path_distance_task,
                pairs.iter().map(|&(i, j)| (g.clone(), i, j, h)),
                2 * workers,
            )?,
        })
    })?;
    runs.push(agree(&expected, a, naive, format!("(a) {workers} processes, matrix copied"))?);

    let (b, shared) = ctx.step("(b) processes + shared memory", || {
        let manager = SharedMemoryManager::new()?;
        let pool = process_pool(workers, false)?;
        let handle = match &bits {
            Some(b) => manager.share(b.words())?.handle().clone(),
            None => manager.share(g.matrix())?.handle().clone(),
        };
        let task = if bits.is_some() { graph::path_distance_bits_shm } else { graph::path_distance_shm };
        let out = run_chunked(&*pool, task, pairs.iter().map(|&(i, j)| (handle.clone(), i, j, h)), chunksize)?;
        drop(pool); // workers detach before the manager unlinks the segment
        Ok(out)
    })?;
    runs.push(agree(&expected, b, shared, format!("(b) {workers} processes + shared memory"))?);

    for gil in [false, true] {
        let label = format!("(c) {workers} threads, {}", if gil { "GIL on" } else { "shared" });
        let (c, threads) =
            ctx.step(&label, || Ok(thread_pool(workers, gil)?.run(solver(&g, bits.clone(), h), pairs.clone())?))?;
        let c = c.into_iter().map(|r| r.map_err(|e| e.to_string())).collect();
        runs.push(agree(&expected, c, threads, label)?);
    }

    let refs: Vec<&Run> = runs.iter().collect();
    ctx.say(compare(refs.iter().copied()));
    let found = expected.iter().filter(|d| d.is_some()).count();
    ctx.say(format!(
        "All five ways found the same distances ({found} of {} pairs within {h} hops).\n\
         Processes pay for every copy of the matrix; shared memory sends a name instead; threads share it for free\n\
         — and without a GIL they also compute at once.",
        pairs.len()
    ));
    ctx.finish(&runs, &refs, || Ok(vec![("speedup", chart::speedup(&refs)?), ("timelines", chart::timelines(&refs)?)]))
}

/// The in-process task: a closure over the shared (`Arc`) matrix or packed rows.
fn solver(
    g: &Graph,
    bits: Option<BitGraph>,
    h: usize,
) -> impl Fn((usize, usize)) -> Result<Option<usize>> + Send + Sync + 'static {
    let g = g.clone();
    move |(i, j)| match &bits {
        Some(b) => b.path_distance(i, j, h),
        None => g.path_distance(i, j, h),
    }
}

/// Check a way's distances against the sequential ones; return its labelled run.
fn agree(expected: &[Option<usize>], got: Vec<TaskResult>, run: Run, label: String) -> Result<Run, CliError> {
    let got = got.into_iter().collect::<std::result::Result<Vec<_>, String>>().map_err(CliError::Failed)?;
    if got != expected {
        return Err(CliError::Failed(format!("{label} found different distances than the sequential run")));
    }
    Ok(run.with_label(label))
}

/// Submit tasks keeping at most `window` in flight, so at most `window`
/// serialised copies of a big argument exist at once; results in order.
fn windowed<A: Arg, R: Output>(
    pool: &ProcessPool,
    f: fn(A) -> R,
    args: impl Iterator<Item = A>,
    window: usize,
) -> Result<(Vec<R>, Run)> {
    pool.take_run();
    let mut pending = VecDeque::new();
    let mut out = Vec::new();
    let submit_all = || -> Result<()> {
        for arg in args {
            if pending.len() >= window.max(1) {
                if let Some(oldest) = pending.pop_front() {
                    out.push(Future::result(oldest)?);
                }
            }
            pending.push_back(pool.submit(f, arg)?);
        }
        while let Some(next) = pending.pop_front() {
            out.push(next.result()?);
        }
        Ok(())
    };
    let done = submit_all();
    let run = pool.take_run();
    done.map(|()| (out, run))
}

/// Refuse up front what cannot fit: the matrix itself, and for way (a) up to
/// two encoded copies per worker in this process plus one decoded copy in each worker.
fn check_copies_fit(matrix: u128, payload: u128, workers: usize) -> Result<(), CliError> {
    let copies = 3 * workers as u128;
    let need = matrix.saturating_add(payload.saturating_mul(copies));
    match available_memory() {
        Some(free) if need > u128::from(free) => Err(CliError::impossible(format!(
            "the {} matrix plus the {copies} copies way (a) keeps in flight need {}, but only {} of memory is \
             available; choose a smaller --size or fewer --workers",
            bytes(matrix),
            bytes(need),
            bytes(u128::from(free))
        ))),
        _ => Ok(()),
    }
}

/// `MemAvailable` from /proc/meminfo, in bytes.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = text.lines().find_map(|l| l.strip_prefix("MemAvailable:"))?.trim().trim_end_matches("kB").trim();
    kib.parse::<u64>().ok().map(|k| k.saturating_mul(1024))
}
