//! Demo 2 as a runner: the same graph, pairs and hop limit handed to workers
//! every [`Way`], each returning the distances and the [`Run`] its executor
//! recorded, ready for tables and charts.
//!
//! Invariant: every way computes the same distances for the same demo (see
//! [`FourWays::agree`]); the ways differ only in how the matrix reaches the
//! code. Pools are warmed up (workers started) before the recorded run and
//! shut down (workers reaped) before a way returns, on success or on error, so
//! a [`Run`] shows the work and the hand-over, not process start-up.

use crate::demo::ways::{FourWays, Outcome, Progress, Way};
use crate::error::{Error, Result};
use crate::executor::{Executor, ProcessPool, Sequential, StartMethod, ThreadPool};
use crate::graph::tasks::{self, TaskResult};
use crate::graph::{Algorithm, BitGraph, Graph, distance};
use crate::machine::memory;
use crate::record::Run;
use crate::shm::SharedMemoryManager;
use crate::units::human_bytes;

/// One graph, one list of pairs, one hop limit — run every way.
///
/// ```
/// use parlab_core::demo::PathDemo;
/// use parlab_core::graph::Algorithm;
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
    start_method: StartMethod,
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
        Ok(PathDemo {
            graph,
            bits: None,
            pairs,
            max_hop,
            algorithm: Algorithm::Product,
            chunksize: 1,
            start_method: StartMethod::default(),
        })
    }

    /// Choose the algorithm (packs the rows for [`Algorithm::Bitset`]).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Result<PathDemo> {
        if algorithm == Algorithm::Bitset && self.bits.is_none() {
            self.bits = Some(self.graph.to_bits()?);
        }
        self.algorithm = algorithm;
        Ok(self)
    }

    /// Send [`Way::SharedMemory`]'s workers this many pairs at a time (default
    /// 1, like Python's `map`). [`Way::Copied`] always sends one pair per task.
    pub fn chunksize(mut self, chunksize: usize) -> Result<PathDemo> {
        if chunksize == 0 {
            return Err(Error::ZeroChunksize);
        }
        self.chunksize = chunksize;
        Ok(self)
    }

    /// How the process pools of ways (a) and (b) start their workers (default
    /// [`StartMethod::Fork`]). With `Spawn`, the program must call
    /// [`init`](crate::init) first; the tasks are this crate's, so they are in it.
    pub fn start_method(mut self, method: StartMethod) -> PathDemo {
        self.start_method = method;
        self
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

    /// Bytes of matrix every task of [`Way::Copied`] carries: the matrix, or its packed rows.
    pub fn copy_bytes(&self) -> u128 {
        copy_bytes(self.graph.nodes(), self.algorithm)
    }

    /// Refuse, before building anything, a demo of `nodes` nodes whose
    /// [`Way::Copied`] on `workers` workers would not fit in memory: the matrix,
    /// plus up to three copies per worker — two queued here, one in the worker.
    ///
    /// ```
    /// use parlab_core::demo::PathDemo;
    /// use parlab_core::graph::Algorithm;
    /// assert!(PathDemo::ensure_fits(1_000, Algorithm::Product, 2).is_ok());
    /// let err = PathDemo::ensure_fits(100_000_000, Algorithm::Product, 2).unwrap_err();
    /// assert!(err.to_string().contains("memory"), "{err}");
    /// ```
    pub fn ensure_fits(nodes: usize, algorithm: Algorithm, workers: usize) -> Result<()> {
        let m = nodes as u128;
        copies_fit(m.saturating_mul(m), copy_bytes(nodes, algorithm), workers)
    }

    /// Run one way on `workers` workers (ignored by [`Way::Sequential`]).
    pub fn run_way(&self, way: Way, workers: usize) -> Result<Outcome> {
        let label = way.label(workers);
        let (distances, run) = match way {
            Way::Sequential => local(Sequential::new().run_closure(self.solver()?, self.pairs.iter().copied()))?,
            Way::Copied => remote(self.copied(workers))?,
            Way::SharedMemory => remote(self.shared(workers))?,
            Way::Threads | Way::ThreadsUnderGil => {
                let pool = ThreadPool::new(workers)?.gil(way == Way::ThreadsUnderGil);
                let out = pool.run_closure(self.solver()?, self.pairs.iter().copied());
                pool.shutdown(true, false);
                local(out)?
            }
        };
        Ok(Outcome { distances, run: run.with_label(label) })
    }

    /// Every way, on `workers` workers, in the order of [`Way::ALL`].
    pub fn four_ways(&self, workers: usize) -> Result<FourWays> {
        self.four_ways_with(workers, |_| {})
    }

    /// [`PathDemo::four_ways`], telling `progress` as each way starts and ends.
    /// What cannot fit in memory is refused before the first way runs.
    ///
    /// ```
    /// use parlab_core::demo::{PathDemo, Progress};
    /// # fn main() -> parlab_core::Result<()> {
    /// let demo = PathDemo::new(100, 0.02, 7, 10, 10)?;
    /// let mut started = Vec::new();
    /// let all = demo.four_ways_with(2, |p| {
    ///     if let Progress::Started { label, .. } = p {
    ///         started.push(label.to_string());
    ///     }
    /// })?;
    /// assert_eq!(started.len(), all.outcomes.len());
    /// # Ok(()) }
    /// ```
    pub fn four_ways_with(&self, workers: usize, mut progress: impl FnMut(Progress<'_>)) -> Result<FourWays> {
        if workers == 0 {
            return Err(Error::ZeroWorkers);
        }
        copies_fit(0, self.copy_bytes(), workers)?;
        let mut outcomes = Vec::with_capacity(Way::ALL.len());
        for way in Way::ALL {
            let label = way.label(workers);
            progress(Progress::Started { way, label: &label });
            let outcome = self.run_way(way, workers)?;
            progress(Progress::Finished { way, outcome: &outcome });
            outcomes.push(outcome);
        }
        Ok(FourWays { outcomes })
    }

    /// Way (a): every task carries a serialised copy of the matrix. The pool's
    /// `map` keeps what is encoded but unanswered bounded (about two tasks per
    /// worker once the copies are big), so the copies in flight are too.
    fn copied(&self, workers: usize) -> Result<(Vec<TaskResult>, Run)> {
        copies_fit(0, self.copy_bytes(), workers)?;
        let h = self.max_hop;
        match self.algorithm {
            Algorithm::Product => self.on_processes(workers, |pool| {
                pool.run(tasks::path_distance_task, self.pairs.iter().map(|&(i, j)| (self.graph.clone(), i, j, h)))
            }),
            Algorithm::Bitset => {
                let bits = self.bits()?;
                self.on_processes(workers, |pool| {
                    pool.run(tasks::path_distance_bits_task, self.pairs.iter().map(|&(i, j)| (bits.clone(), i, j, h)))
                })
            }
        }
    }

    /// Way (b): the matrix in a shared-memory segment; tasks carry its handle.
    /// The segment lives for this call: its manager is dropped after the workers are gone.
    fn shared(&self, workers: usize) -> Result<(Vec<TaskResult>, Run)> {
        let manager = SharedMemoryManager::new()?;
        let (handle, task): (_, fn(_) -> TaskResult) = match self.algorithm {
            Algorithm::Product => (manager.share(self.graph.matrix())?.handle().clone(), tasks::path_distance_shm),
            Algorithm::Bitset => (manager.share(self.bits()?.words())?.handle().clone(), tasks::path_distance_bits_shm),
        };
        let h = self.max_hop;
        let args = self.pairs.iter().map(|&(i, j)| (handle.clone(), i, j, h));
        let out = self.on_processes(workers, |pool| pool.run_chunked(task, args, self.chunksize));
        drop(manager);
        out
    }

    /// `work` on a warm process pool of `workers`, shut down (workers reaped) whatever `work` returned.
    fn on_processes<T>(&self, workers: usize, work: impl FnOnce(&ProcessPool) -> Result<T>) -> Result<T> {
        let pool = ProcessPool::new(workers)?.start_method(self.start_method);
        let out = pool.map(warm, 0..workers).and_then(|_| work(&pool));
        pool.shutdown(true, false);
        out
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

/// A worker's no-op, to start the workers before anything is timed.
fn warm(x: usize) -> usize {
    x
}

/// Bytes of one copy of the matrix as way (a) sends it.
fn copy_bytes(nodes: usize, algorithm: Algorithm) -> u128 {
    let m = nodes as u128;
    match algorithm {
        Algorithm::Product => m.saturating_mul(m),
        Algorithm::Bitset => m.saturating_mul(m.div_ceil(64)).saturating_mul(8),
    }
}

/// Refuse what way (a) cannot hold: `to_build` bytes not yet allocated, plus
/// three copies of `copy` bytes per worker.
fn copies_fit(to_build: u128, copy: u128, workers: usize) -> Result<()> {
    let copies = 3 * workers as u128;
    let what = format!(
        "{}the {copies} copies of {} that way (a) keeps in flight (two queued per worker, one in each worker)",
        if to_build > 0 { format!("the {} matrix plus ", human_bytes(to_build)) } else { String::new() },
        human_bytes(copy)
    );
    memory::ensure_fits(to_build.saturating_add(copy.saturating_mul(copies)), &what)
}

/// An in-process way's results: the first error, or every distance.
fn local(out: Result<(Vec<Result<Option<usize>>>, Run)>) -> Result<(Vec<Option<usize>>, Run)> {
    let (results, run) = out?;
    Ok((results.into_iter().collect::<Result<_>>()?, run))
}

/// A process way's results: a worker's error sentence becomes an [`Error`].
fn remote(out: Result<(Vec<TaskResult>, Run)>) -> Result<(Vec<Option<usize>>, Run)> {
    let (results, run) = out?;
    let distances = results
        .into_iter()
        .collect::<std::result::Result<_, String>>()
        .map_err(|e| Error::Os(format!("a worker could not compute a distance: {e}")))?;
    Ok((distances, run))
}
