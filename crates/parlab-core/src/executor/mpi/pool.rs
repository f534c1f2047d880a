//! [`MpiPool`]: the executor interface over MPI ranks.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;

use super::bcast::Broadcast;
use super::code;
use super::core::{Core, Queued};
use super::frame::{self, BCAST, JobHead};
use super::launch::{self, MpiPoolBuilder};
use crate::error::{Error, Result};
use crate::executor::chunks::map_windowed;
use crate::executor::contract::{Arg, Executor, Output};
use crate::executor::future::Future;
use crate::executor::future::Slot;
use crate::executor::local::label;
use crate::executor::process::{codec, decode, trampoline, worker::Trampoline};
use crate::record::{ExecutorKind, Run};

/// A pool of MPI ranks started with `mpirun`, on this machine or on the hosts
/// of a hostfile (mpi4py's `MPIPoolExecutor`). The caller — a program or a
/// notebook kernel — is not an MPI process: rank 0 is a relay that connects
/// back to it, and ranks 1..=N run the tasks, one at a time each, each with
/// its own memory and its own simulated GIL.
///
/// Tasks are `fn(A) -> R` with serde arguments, as for a
/// [`ProcessPool`](crate::executor::ProcessPool). Every host must see the
/// program (and, from a notebook, the cell's library) at the same path.
///
/// # When a rank dies
/// What MPI itself does: nothing that saves the work. The MPI standard leaves
/// a job that lost a process undefined (its default error handler,
/// `MPI_ERRORS_ARE_FATAL`, aborts the job on any error an MPI call reports),
/// and Open MPI's `mpirun`, on seeing a rank end abnormally, kills every other
/// rank of the job, prints which rank died and how ("exited on signal 9"),
/// and exits non-zero. What parlab adds: the caller is not an MPI process,
/// so it outlives the job; every future the job held fails within seconds
/// with [`Error::BrokenPool`] naming the rank, its host and pid and quoting
/// `mpirun`; whatever is left of `mpirun`'s process group is killed; the pool
/// refuses new work (start a new one). A rank whose `mpirun` or daemon
/// vanished exits by itself, and the relay aborts the job when the caller
/// vanishes (a notebook kernel restarted), so no rank outlives its pool. The
/// ranks also stop on [`Executor::shutdown`] and when the pool is dropped.
/// Under [`MpiPool::world`] the caller is rank 0, so `mpirun` ends it too.
///
/// ```no_run
/// use parlab_core::prelude::*;
/// fn square(x: u64) -> u64 { x * x }
///
/// fn main() -> parlab_core::Result<()> {
///     parlab_core::init(); // in a rank this serves tasks and never returns
///     let pool = MpiPool::new(2)?;
///     assert_eq!(pool.map(square, 0..5)?, [0, 1, 4, 9, 16]);
///     Ok(())
/// }
/// ```
pub struct MpiPool {
    core: Arc<Core>,
    next_bcast: std::sync::atomic::AtomicU64,
}

/// One process of the pool: where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankInfo {
    /// MPI rank: 0 is the relay, 1..=N run tasks.
    pub rank: usize,
    /// The host name MPI reports for it.
    pub host: String,
    /// Its process id on that host.
    pub pid: u32,
}

impl MpiPoolBuilder {
    /// Start the ranks and wait until every one has reported. (Written here,
    /// beside the pool it makes, so that launching knows nothing of the pool.)
    pub fn build(self) -> Result<MpiPool> {
        MpiPool::start(self)
    }
}

impl MpiPool {
    /// `ranks` worker ranks on this machine (plus the relay), started now.
    pub fn new(ranks: usize) -> Result<MpiPool> {
        MpiPool::builder(ranks).build()
    }

    /// A pool with a hostfile, hosts, another `mpirun` or a start timeout.
    pub fn builder(ranks: usize) -> MpiPoolBuilder {
        MpiPoolBuilder::new(ranks)
    }

    fn start(b: MpiPoolBuilder) -> Result<MpiPool> {
        if b.ranks == 0 {
            return Err(Error::ZeroWorkers);
        }
        if crate::runtime::in_worker() {
            return Err(Error::Unsupported("a rank or worker process cannot start an MPI pool of its own".into()));
        }
        let (launched, stream, placement) = launch::launch(&b)?;
        let core = Core::new(launched, stream, placement, b.gil)?;
        Ok(MpiPool { core, next_bcast: std::sync::atomic::AtomicU64::new(1) })
    }

    /// The pool of the MPI job this program is part of, when `mpirun` started
    /// it (`mpirun -n N PROGRAM [--hostfile FILE]`), as mpi4py's
    /// `python -m mpi4py.futures`: on rank 0 it returns a pool of ranks
    /// 1..N-1 and the program goes on; **on every other rank it serves tasks
    /// and exits the process, never returning**. So call it first, before the
    /// program does anything else, and on every rank (they all run `main`).
    ///
    /// Errors when the program was not started by `mpirun` (use
    /// [`MpiPool::new`], which runs `mpirun` itself), under `mpirun -n 1`, or
    /// on a second call. Here the caller is rank 0 itself, so MPI's rule on a
    /// failed rank applies to it too: `mpirun` ends every rank of the job,
    /// rank 0 included, and says which rank failed.
    ///
    /// ```no_run
    /// use parlab_core::prelude::*;
    /// fn square(x: u64) -> u64 { x * x }
    ///
    /// // mpirun -n 3 ./this-program
    /// fn main() -> parlab_core::Result<()> {
    ///     parlab_core::init();
    ///     let pool = MpiPool::world()?; // ranks 1 and 2 serve here and exit
    ///     assert_eq!(pool.map(square, 0..4)?, [0, 1, 4, 9]);
    ///     pool.shutdown(true, false);
    ///     Ok(())
    /// }
    /// ```
    pub fn world() -> Result<MpiPool> {
        let (launched, stream, placement) = super::world::join()?;
        let core = Core::new(launched, stream, placement, false)?;
        Ok(MpiPool { core, next_bcast: std::sync::atomic::AtomicU64::new(1) })
    }

    /// True when `mpirun` (or another MPI launcher) started this process, so
    /// [`MpiPool::world`] applies.
    pub fn started_by_mpirun() -> bool {
        super::world::started_by_mpirun()
    }

    /// Turn every rank's simulated GIL on or off (for tasks from now on).
    pub fn gil(self, on: bool) -> Self {
        self.core.gil_on.store(on, Ordering::Release);
        self
    }

    /// How long a thread may hold its rank's GIL while another waits.
    pub fn switch_interval(self, interval: Duration) -> Self {
        self.core.interval_ns.store(interval.as_nanos() as u64, Ordering::Release);
        self
    }

    /// Every process of the pool, the relay (rank 0) first.
    pub fn processes(&self) -> Vec<RankInfo> {
        let ranks = &self.core.placement.ranks;
        ranks.iter().enumerate().map(|(rank, (host, pid))| RankInfo { rank, host: host.clone(), pid: *pid }).collect()
    }

    /// The distinct hosts the worker ranks run on.
    pub fn hosts(&self) -> Vec<String> {
        self.core.hosts.clone()
    }

    /// Send `value` to every rank once (an MPI broadcast from the relay) and
    /// keep it there; returns when every rank has it. Tasks then take the
    /// returned handle (8 bytes) in their argument and call
    /// [`Broadcast::get`], instead of each carrying a copy.
    pub fn broadcast<T: Serialize>(&self, value: &T) -> Result<Broadcast<T>> {
        let id = self.next_bcast.fetch_add(1, Ordering::Relaxed);
        let mut bytes = Vec::new();
        codec::encode_into(value, &mut bytes, "broadcast value").map_err(Error::Serialization)?;
        if bytes.len() > frame::MAX_MESSAGE - 64 {
            return Err(Error::TooLarge {
                what: "the broadcast value".into(),
                bytes: bytes.len() as u64,
                limit: frame::MAX_MESSAGE as u64,
            });
        }
        let mut msg = frame::Out::new(BCAST, bytes.len() + 16);
        msg.u64(id).bytes(&bytes);
        drop(bytes);
        self.core.broadcast(id, &msg.0)?;
        Ok(Broadcast::new(id))
    }

    /// The job header for `f`, as a rank finds its code.
    fn head<A: Arg, R: Output>(&self, f: fn(A) -> R) -> Result<JobHead> {
        let tramp = trampoline::<A, R> as Trampoline as usize;
        let locate = |addr: usize, what: &str| {
            let (object, offset) = code::locate(addr)
                .ok_or_else(|| Error::Unsupported(format!("cannot tell which loaded object holds the {what}")))?;
            if object.is_empty() && !self.core.launched.runs_executable {
                return Err(Error::Unsupported(format!(
                    "the {what} is in this executable, but the ranks run another program: give \
                     MpiPool::builder(n).program(std::env::current_exe()?) and call parlab_core::init() first in main"
                )));
            }
            Ok((object, offset))
        };
        Ok(JobHead {
            rank: 0,
            id: self.core.next_id.fetch_add(1, Ordering::Relaxed),
            tramp: locate(tramp, "task's trampoline")?,
            func: locate(f as usize, "task function")?,
            gil: self.core.gil_on.load(Ordering::Acquire),
            interval_ns: self.core.interval_ns.load(Ordering::Acquire),
        })
    }

    fn label(&self) -> String {
        let gil = if self.core.gil_on.load(Ordering::Acquire) { ", GIL on" } else { "" };
        let hosts = self.core.hosts.len();
        let on = if hosts == 1 { "1 host".to_string() } else { format!("{hosts} hosts") };
        let ranks = if self.core.ranks == 1 { "1 rank".to_string() } else { format!("{} ranks", self.core.ranks) };
        format!("MpiPool({ranks} on {on}{gil})")
    }
}

impl Executor for MpiPool {
    fn submit<A: Arg, R: Output>(&self, f: fn(A) -> R, arg: A) -> Result<Future<R>> {
        self.core.is_open()?;
        let head = self.head(f)?;
        let mut bytes = Vec::new();
        codec::encode_into(&arg, &mut bytes, "argument").map_err(Error::Serialization)?;
        let index = self.core.journal.reserve(1);
        let msg = frame::job(&head, std::iter::once((index as u64, &bytes[..])), bytes.len());
        let slot: Arc<Slot<R>> = Slot::new();
        let target = Arc::clone(&slot);
        self.core.dispatch(Queued {
            id: head.id,
            msg,
            labels: vec![(index, label(&arg))],
            control: slot.clone(),
            done: Box::new(move |outcome| {
                target.complete(outcome.and_then(|done| match done.items.first() {
                    Some(item) => decode::<R>(item.status, done.payload(item)),
                    None => Err(Error::BrokenPool("the rank returned no result".into())),
                }))
            }),
            prefetch: false,
        })?;
        Ok(Future::new(slot))
    }

    fn map_chunked<A: Arg, R: Output>(
        &self,
        f: fn(A) -> R,
        args: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Result<Vec<R>> {
        if chunksize == 0 {
            return Err(Error::ZeroChunksize);
        }
        self.core.is_open()?;
        // Bound what is encoded but unanswered, as the process pool does, so
        // a big argument sent by copy is held a few times, not once per task.
        map_windowed(args, chunksize, 2 * self.core.ranks, |chunk| {
            let first = self.core.journal.reserve(chunk.len());
            let mut encoded = Vec::new();
            let mut spans = Vec::with_capacity(chunk.len());
            let mut labels = Vec::with_capacity(chunk.len());
            for (i, arg) in chunk.iter().enumerate() {
                let start = encoded.len();
                codec::encode_into(arg, &mut encoded, "argument").map_err(Error::Serialization)?;
                spans.push(start..encoded.len());
                labels.push((first + i, label(arg)));
            }
            let head = self.head(f)?;
            let items = spans.iter().enumerate().map(|(i, r)| ((first + i) as u64, &encoded[r.clone()]));
            let msg = frame::job(&head, items, encoded.len());
            let slot: Arc<Slot<Vec<Result<R>>>> = Slot::new();
            let target = Arc::clone(&slot);
            self.core.dispatch(Queued {
                id: head.id,
                msg,
                labels,
                control: slot.clone(),
                done: Box::new(move |outcome| {
                    target.complete(outcome.map(|done| {
                        done.items.iter().map(|item| decode::<R>(item.status, done.payload(item))).collect()
                    }))
                }),
                prefetch: true,
            })?;
            Ok((Future::new(slot), encoded.len()))
        })
    }

    fn take_run(&self) -> Run {
        let mut run = self.core.journal.take(self.label(), ExecutorKind::Mpi, self.core.ranks);
        let moving = self.core.take_transfers();
        for t in &mut run.tasks {
            t.transfer = moving.get(&t.index).copied().unwrap_or(0.0);
        }
        run.hosts = self.core.hosts.clone();
        run
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.core.shutdown(wait, cancel_futures)
    }

    fn workers(&self) -> usize {
        self.core.ranks
    }

    fn name(&self) -> String {
        self.label()
    }
}

impl Drop for MpiPool {
    /// Refuse new work; queued tasks still run, then the ranks stop. Never blocks.
    fn drop(&mut self) {
        self.core.shutdown(false, false);
    }
}

impl std::fmt::Debug for MpiPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}
