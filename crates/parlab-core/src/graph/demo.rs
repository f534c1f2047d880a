//! Demo 2 as a runner: the same graph, pairs and hop limit handed to workers
//! four ways (plus threads under a GIL), each returning the distances and the
//! [`Run`] its executor recorded, ready for tables and charts.
//!
//! Invariant: every way computes the same distances for the same demo (the
//! runner checks, see [`FourWays::agree`]); the ways differ only in how the
//! matrix reaches the code. Pools are warmed up (workers started) before the
//! recorded run and shut down (workers reaped) before a method returns, so a
//! [`Run`] shows the work and the hand-over, not process start-up.
//!
//! | way | executor | the matrix reaches a task as |
//! |---|---|---|
//! | (a) | [`ProcessPool`] | a serialised copy, every task (Python's pickling) |
//! | (b) | [`ProcessPool`] | a [`MatrixHandle`](crate::shm::MatrixHandle); attached once per worker |
//! | (c) | [`ThreadPool`] | an `Arc` — shared by reference, no boilerplate |
//! | (d) | [`Sequential`] | a reference |
//! | (c) + GIL | [`ThreadPool`] with the GIL on | as (c), but one thread runs at a time |

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::executor::{Arg, Executor, Future, ProcessPool, Sequential, ThreadPool};
use crate::graph::tasks::{self, TaskResult};
use crate::graph::{BitGraph, Graph, distance};
use crate::record::Run;
use crate::shm::SharedMemoryManager;

/// Which path-distance algorithm a demo runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// The seed's repeated vector–matrix products ([`crate::graph::path_distance`]).
    #[default]
    Product,
    /// The bitset frontier search ([`crate::graph::path_distance_bits`]).
    Bitset,
}

/// The distances one way computed, and its recorded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// One per pair, in the demo's order.
    pub distances: Vec<Option<usize>>,
    /// What the executor recorded (labelled with the way).
    pub run: Run,
}

/// All ways of one demo, in the order (d), (a), (b), (c), (c) with the GIL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FourWays {
    /// One outcome per way.
    pub outcomes: Vec<Outcome>,
}

impl FourWays {
    /// The runs, for [`compare`](crate::record::compare) and charts.
    pub fn runs(&self) -> Vec<&Run> {
        self.outcomes.iter().map(|o| &o.run).collect()
    }

    /// True when every way found the same distances.
    pub fn agree(&self) -> bool {
        self.outcomes.windows(2).all(|w| w[0].distances == w[1].distances)
    }
}

/// One graph, one list of pairs, one hop limit — run every way.
///
/// ```
/// use parlab_core::graph::{Algorithm, PathDemo};
/// use parlab_core::record::compare;
/// # fn main() -> parlab_core::Result<()> {
/// let demo = PathDemo::new(300, 0.01, 7, 40, 10)?.algorithm(Algorithm::Product)?;
/// let all = demo.four_ways(2)?;
/// assert!(all.agree());
/// assert_eq!(all.runs().len(), 5);
/// println!("{}", compare(all.runs()));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PathDemo {
    graph: Graph,
    bits: Option<BitGraph>,
    pairs: Vec<(usize, usize)>,
    max_hop: usize,
    algorithm: Algorithm,
    chunksize: usize,
}

impl PathDemo {
    /// A seeded random graph ([`Graph::random`]) and `pairs` seeded random pairs of distinct nodes.
    pub fn new(m: usize, fraction: f64, seed: u64, pairs: usize, max_hop: usize) -> Result<PathDemo> {
        let graph = Graph::random(m, fraction, seed)?;
        let pairs = Graph::random_pairs(m, pairs, seed.wrapping_add(1))?;
        PathDemo::with_pairs(graph, pairs, max_hop)
    }

    /// Your own graph and pairs; every node is checked to be in range.
    pub fn with_pairs(graph: Graph, pairs: Vec<(usize, usize)>, max_hop: usize) -> Result<PathDemo> {
        for &(i, j) in &pairs {
            distance::check_node(i, graph.nodes(), "i")?;
            distance::check_node(j, graph.nodes(), "j")?;
        }
        Ok(PathDemo { graph, bits: None, pairs, max_hop, algorithm: Algorithm::Product, chunksize: 1 })
    }

    /// Choose the algorithm (packs the rows for [`Algorithm::Bitset`]).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Result<PathDemo> {
        if algorithm == Algorithm::Bitset && self.bits.is_none() {
            self.bits = Some(self.graph.to_bits()?);
        }
        self.algorithm = algorithm;
        Ok(self)
    }

    /// Send way (b)'s workers this many pairs at a time (default 1, like
    /// Python's `map`). Way (a) always sends one pair per task.
    pub fn chunksize(mut self, chunksize: usize) -> Result<PathDemo> {
        if chunksize == 0 {
            return Err(Error::ZeroChunksize);
        }
        self.chunksize = chunksize;
        Ok(self)
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(usize, usize)] {
        &self.pairs
    }

    /// The hop limit.
    pub fn max_hop(&self) -> usize {
        self.max_hop
    }

    /// Way (d): one pair after another on this thread.
    pub fn sequential(&self) -> Result<Outcome> {
        let solve = self.solver()?;
        let (distances, run) = Sequential::new().run(solve, self.pairs.iter().copied())?;
        outcome(distances, run, "(d) sequential".into())
    }

    /// Way (a): a process pool whose every task carries a serialised copy of
    /// the matrix. One pair per task whatever [`PathDemo::chunksize`] says,
    /// and at most two tasks per worker queued at a time, so at most that many
    /// encoded copies exist at once (Python's pool bounds its queue the same way).
    pub fn naive_processes(&self, workers: usize) -> Result<Outcome> {
        let pool = warm_pool(workers)?;
        let h = self.max_hop;
        let out = match self.algorithm {
            Algorithm::Product => {
                let args = self.pairs.iter().map(|&(i, j)| (self.graph.clone(), i, j, h));
                run_windowed(&pool, tasks::path_distance_task, args, 2 * workers)
            }
            Algorithm::Bitset => {
                let bits = self.bits()?;
                let args = self.pairs.iter().map(|&(i, j)| (bits.clone(), i, j, h));
                run_windowed(&pool, tasks::path_distance_bits_task, args, 2 * workers)
            }
        };
        pool.shutdown(true, false);
        let (results, run) = out?;
        outcome_remote(results, run, format!("(a) {workers} processes, matrix copied"))
    }

    /// Way (b): the matrix in a shared-memory segment; tasks carry its handle.
    /// The segment lives for this call (a manager made and dropped here).
    pub fn shared_processes(&self, workers: usize) -> Result<Outcome> {
        let manager = SharedMemoryManager::new()?;
        let pool = warm_pool(workers)?;
        let h = self.max_hop;
        let out = match self.algorithm {
            Algorithm::Product => manager.share(self.graph.matrix()).and_then(|shared| {
                let args = self.pairs.iter().map(|&(i, j)| (shared.handle().clone(), i, j, h));
                run_chunked(&pool, tasks::path_distance_shm, args, self.chunksize)
            }),
            Algorithm::Bitset => manager.share(self.bits()?.words()).and_then(|shared| {
                let args = self.pairs.iter().map(|&(i, j)| (shared.handle().clone(), i, j, h));
                run_chunked(&pool, tasks::path_distance_bits_shm, args, self.chunksize)
            }),
        };
        pool.shutdown(true, false);
        drop(manager);
        let (results, run) = out?;
        outcome_remote(results, run, format!("(b) {workers} processes + shared memory"))
    }

    /// Way (c): a thread pool; every thread reads the one matrix by reference.
    /// With `gil` on, the simulated GIL lets one thread run at a time — why
    /// Python needed way (b).
    pub fn threads(&self, workers: usize, gil: bool) -> Result<Outcome> {
        let solve = self.solver()?;
        let pool = ThreadPool::new(workers)?.gil(gil);
        let out = pool.run(solve, self.pairs.iter().copied());
        pool.shutdown(true, false);
        let (distances, run) = out?;
        let label =
            if gil { format!("(c) {workers} threads, GIL on") } else { format!("(c) {workers} threads, shared") };
        outcome(distances, run, label)
    }

    /// Every way, on `workers` workers: (d), (a), (b), (c), and (c) with the GIL.
    pub fn four_ways(&self, workers: usize) -> Result<FourWays> {
        let outcomes = vec![
            self.sequential()?,
            self.naive_processes(workers)?,
            self.shared_processes(workers)?,
            self.threads(workers, false)?,
            self.threads(workers, true)?,
        ];
        Ok(FourWays { outcomes })
    }

    fn bits(&self) -> Result<&BitGraph> {
        self.bits.as_ref().ok_or_else(|| Error::InvalidArgument("the rows are not packed".into()))
    }

    /// The in-process task: a closure over a shared (`Arc`) matrix.
    fn solver(&self) -> Result<impl Fn((usize, usize)) -> Result<Option<usize>> + Send + Sync + 'static> {
        let (graph, bits, h) = (self.graph.clone(), self.bits.clone(), self.max_hop);
        let bitset = self.algorithm == Algorithm::Bitset;
        if bitset {
            self.bits()?;
        }
        Ok(move |(i, j): (usize, usize)| match (&bits, bitset) {
            (Some(b), true) => b.path_distance(i, j, h),
            _ => graph.path_distance(i, j, h),
        })
    }
}

fn warm(x: usize) -> usize {
    x
}

/// A process pool whose workers are already running.
fn warm_pool(workers: usize) -> Result<ProcessPool> {
    let pool = ProcessPool::new(workers)?;
    pool.map(warm, 0..workers)?;
    Ok(pool)
}

/// `Executor::run` with a chunk size.
fn run_chunked<A: Arg>(
    pool: &ProcessPool,
    f: fn(A) -> TaskResult,
    args: impl IntoIterator<Item = A>,
    chunksize: usize,
) -> Result<(Vec<TaskResult>, Run)> {
    pool.take_run();
    let out = pool.map_chunked(f, args, chunksize);
    let run = pool.take_run();
    out.map(|v| (v, run))
}

/// `Executor::run`, submitting one task at a time with at most `window` in flight.
fn run_windowed<A: Arg>(
    pool: &ProcessPool,
    f: fn(A) -> TaskResult,
    args: impl IntoIterator<Item = A>,
    window: usize,
) -> Result<(Vec<TaskResult>, Run)> {
    pool.take_run();
    let mut pending = VecDeque::new();
    let mut results = Vec::new();
    let mut first_err = None;
    let mut settle = |future: Future<TaskResult>, results: &mut Vec<TaskResult>| match future.result() {
        Ok(r) => results.push(r),
        Err(e) => {
            first_err.get_or_insert(e);
        }
    };
    for arg in args {
        if pending.len() >= window.max(1) {
            settle(pending.pop_front().expect("not empty"), &mut results);
        }
        pending.push_back(pool.submit(f, arg)?);
    }
    for future in pending {
        settle(future, &mut results);
    }
    let run = pool.take_run();
    first_err.map_or(Ok((results, run)), Err)
}

fn outcome(results: Vec<Result<Option<usize>>>, run: Run, label: String) -> Result<Outcome> {
    let distances = results.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(Outcome { distances, run: run.with_label(label) })
}

fn outcome_remote(results: Vec<TaskResult>, run: Run, label: String) -> Result<Outcome> {
    let distances = results
        .into_iter()
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(|e| Error::Os(format!("a worker could not compute a distance: {e}")))?;
    Ok(Outcome { distances, run: run.with_label(label) })
}
