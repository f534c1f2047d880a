//! `parlab mpi broadcast` — demo_2 across ranks: one big read-only matrix,
//! sent with every task or broadcast to every rank once.
//!
//! Shows: hop-limited path distances over a random `M × M` adjacency matrix,
//! (d) one after another in this process, (a) on the ranks with a copy of the
//! matrix in every task (Python's pickling), (b) on the ranks after one MPI
//! broadcast of the matrix, each task carrying an 8-byte handle. All ways must
//! find the same distances; they differ in the bytes they move, which the
//! records split from computing (`TaskRecord::transfer`). It is the cluster's
//! version of the shared-memory lesson: there is no memory to share between
//! hosts, so the data goes to each rank once and stays.

use clap::Args as ClapArgs;
use parlab::graph::Graph;
use parlab::graph::tasks::{TaskResult, path_distance_task};
use parlab::prelude::*;

use super::ranks::{self, RankArgs};
use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::{bytes, secs, task_time_table};

/// Flags of `parlab mpi broadcast`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    ranks: RankArgs,
    /// Matrix size M: M nodes and an M × M byte matrix (at most 8000: 64 MB, copied into every task of way (a))
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(2..=8000))]
    size: u64,
    /// Fraction of the possible edges present
    #[arg(long, default_value_t = 0.002, allow_negative_numbers = true)]
    fraction: f64,
    /// Node pairs to compute a distance for (one task each)
    #[arg(long, default_value_t = 16, value_parser = opts::at_least_one())]
    pairs: usize,
    /// Longest path considered, in hops
    #[arg(long, default_value_t = 10)]
    max_hop: usize,
    /// Seed of the random graph and pairs
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[command(flatten)]
    out: OutputArgs,
}

/// Way (b)'s task: the matrix comes from the rank's copy of the broadcast.
fn path_distance_broadcast((graph, i, j, max_hop): (Broadcast<Graph>, usize, usize, usize)) -> TaskResult {
    let graph = graph.get().map_err(|e| e.to_string())?;
    graph.path_distance(i, j, max_hop).map_err(|e| e.to_string())
}

/// Run demo_2's ways on the ranks.
pub fn run(args: Args) -> Result<(), CliError> {
    let (pool, ctx) = ranks::start("mpi-broadcast", &args.ranks, args.out)?;
    let m = args.size as usize;
    let g = ctx.step("building the graph", || Ok(Graph::random(m, args.fraction, args.seed)?))?;
    let pairs = Graph::random_pairs(g.nodes(), args.pairs, args.seed.wrapping_add(1))?;
    let h = args.max_hop;
    ctx.say(format!(
        "\n{} nodes, {} edges; {} pairs up to {h} hops; way (a) sends {} with every task, way (b) once per rank\n",
        g.nodes(),
        g.edges(),
        pairs.len(),
        bytes((m * m) as u128)
    ));

    let (want, sequential) = ctx.step("(d) sequential", || {
        Ok(Sequential::new().run_closure(|(i, j): (usize, usize)| g.path_distance(i, j, h), pairs.clone())?)
    })?;
    let want: Vec<Option<usize>> = want.into_iter().collect::<Result<_>>()?;
    let mut runs = vec![sequential.with_label("(d) sequential")];

    let copied = ctx.step("(a) a copy per task", || {
        Ok(pool.run(path_distance_task, pairs.iter().map(|&(i, j)| (g.clone(), i, j, h)))?)
    })?;
    runs.push(agree(&want, copied, format!("(a) {} ranks, a copy per task", pool.workers()))?);

    let (broadcast, secs_to_send) = ctx.step("(b) broadcast once", || {
        pool.take_run();
        let start = std::time::Instant::now();
        let handle = pool.broadcast(&g)?;
        let sent = start.elapsed().as_secs_f64();
        let out = pool.map(path_distance_broadcast, pairs.iter().map(|&(i, j)| (handle.clone(), i, j, h)));
        Ok((out.map(|v| (v, pool.take_run()))?, sent))
    })?;
    runs.push(agree(&want, broadcast, format!("(b) {} ranks, broadcast once", pool.workers()))?);

    let refs: Vec<&Run> = runs.iter().collect();
    ctx.say(task_time_table(&refs));
    for run in &runs[1..] {
        let moving: f64 = run.tasks.iter().map(|t| t.transfer).sum();
        ctx.say(format!("  {:<40} {} of the tasks' time moving bytes", run.label, secs(moving)));
    }
    ctx.say(format!(
        "  the broadcast itself took {} (every rank got the matrix once, before the tasks)\n\n\
         All ways found the same distances ({} of {} pairs within {h} hops). A copy per task moves the matrix\n\
         once per task; a broadcast once per rank, and the tasks then carry 8 bytes each.",
        secs(secs_to_send),
        want.iter().filter(|d| d.is_some()).count(),
        pairs.len()
    ));
    ctx.finish(&runs, &refs, || Ok(vec![("speedup", chart::speedup(&refs)?), ("timelines", chart::timelines(&refs)?)]))
}

/// Check a way's distances against the sequential ones; its labelled run.
fn agree(want: &[Option<usize>], (got, run): (Vec<TaskResult>, Run), label: String) -> Result<Run, CliError> {
    let got: Vec<Option<usize>> = got.into_iter().collect::<Result<_, String>>().map_err(CliError::Failed)?;
    if got != want {
        return Err(CliError::Failed(format!("{label} found different distances than the sequential run")));
    }
    Ok(run.with_label(label))
}
