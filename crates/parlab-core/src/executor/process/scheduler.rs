//! The parent side of a process pool: a queue, worker processes, and one
//! reader thread per worker.
//!
//! Invariants:
//! - every job is either queued, in exactly one worker's `inflight`, or
//!   finished — and it is finished (its `done` called) exactly once;
//! - a worker gets a submitted job only while it has a free slot (one per
//!   thread), so what the timeline shows is what the scheduler decided; a
//!   `map` chunk may also take one spare slot, so the worker finds its next
//!   chunk waiting instead of idling for a round trip (Python's executor
//!   queues one call beyond its workers for the same reason);
//! - nothing done under the state lock waits on a socket: a frame the
//!   worker's socket cannot take at once goes to that worker's writer
//!   thread, so `pids`, `submit` and result delivery never wait for a busy
//!   worker to read a big argument;
//! - every worker process is reaped by its reader thread, so none is left a
//!   zombie; a worker that dies is replaced, and its in-flight jobs fail with
//!   `BrokenPool` as soon as its socket reports the end — except those it
//!   never said it had started, which provably did not run and are sent again.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::now_ns;
use crate::error::{Error, Result};
use crate::executor::future::Control;
use crate::executor::process::loaded::Loaded;
use crate::executor::process::start_method::{StartMethod, StartMethodCell};
use crate::executor::process::wire::{self, DoneMsg, JobHeader, MAX_FRAME};
use crate::executor::process::worker::{self, WorkerSpec};
use crate::gil::DEFAULT_SWITCH_INTERVAL;
use crate::record::{ExecutorKind, Journal, Lane, RawTask};
use crate::sync::lock;

mod worker_io;

use worker_io::{close, kill, reap};

/// How many times a job whose worker died before starting it is sent again
/// (a worker that dies at once every time must not bounce a job forever).
const MAX_RESENDS: u32 = 3;

/// A unit of work as the parent holds it.
pub(crate) struct Job {
    pub tramp: usize,
    pub func: usize,
    /// `(task index, argument label, its encoded bytes in `args`)`.
    pub items: Vec<(usize, String, Range<usize>)>,
    /// Every item's argument, encoded one after another.
    pub args: Vec<u8>,
    pub control: Arc<dyn Control>,
    pub done: Box<dyn FnOnce(Result<DoneMsg>) + Send>,
    /// May wait in a busy worker's spare slot (a `map` chunk, which has no
    /// future a caller could still cancel).
    pub prefetch: bool,
}

/// A job as the scheduler holds it: encoded once, outside the lock.
struct Queued {
    id: u64,
    tramp: usize,
    func: usize,
    frame: Arc<Vec<u8>>,
    labels: Vec<(usize, String)>,
    control: Arc<dyn Control>,
    done: Box<dyn FnOnce(Result<DoneMsg>) + Send>,
    prefetch: bool,
    /// Already claimed from its future: it was sent once and came back unstarted.
    claimed: bool,
    resends: u32,
}

impl Queued {
    /// Claim the job for running; false if its future was cancelled first.
    fn claim(&self) -> bool {
        self.claimed || self.control.try_send()
    }
}

struct InFlight {
    job: Queued,
    sent_ns: u64,
    /// The worker said it took the job: from now on its task may have run.
    started: bool,
}

/// One live worker process.
struct Proc {
    serial: u64,
    index: usize,
    pid: libc::pid_t,
    sock: UnixStream,
    /// Hands frames to this worker's writer thread (started at the first
    /// frame its socket could not take at once).
    writer: Option<crossbeam_channel::Sender<(Arc<Vec<u8>>, usize)>>,
    /// Frames are waiting with the writer thread: later ones must queue behind them.
    backlog: bool,
    /// Jobs sent and not yet answered (what the worker holds).
    inflight: HashMap<u64, InFlight>,
    /// Takes no new work (its code snapshot is stale, or the pool shut down).
    retiring: bool,
    closed: bool,
}

struct State {
    queue: VecDeque<Queued>,
    procs: Vec<Proc>,
    /// Code mapped when the accepting workers were forked.
    loaded: Loaded,
    started: bool,
    shut: bool,
}

/// Shared by the pool's handle and its reader threads.
pub(crate) struct Scheduler {
    pub workers: usize,
    pub threads: usize,
    pub kind: ExecutorKind,
    pub journal: Journal,
    pub gil_on: AtomicBool,
    interval_ns: AtomicU64,
    start_method: StartMethodCell,
    state: Mutex<State>,
    /// Signalled whenever a worker process has been reaped.
    reaped: Condvar,
    next_id: AtomicU64,
    next_serial: AtomicU64,
    /// Largest frame (after its length prefix) sent either way; at most `MAX_FRAME`.
    max_frame: AtomicUsize,
}

impl Scheduler {
    pub fn new(workers: usize, threads: usize, kind: ExecutorKind) -> Arc<Scheduler> {
        Arc::new(Scheduler {
            workers,
            threads,
            kind,
            journal: Journal::default(),
            gil_on: AtomicBool::new(false),
            interval_ns: AtomicU64::new(DEFAULT_SWITCH_INTERVAL.as_nanos() as u64),
            start_method: StartMethodCell::default(),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                procs: Vec::new(),
                loaded: Loaded::default(),
                started: false,
                shut: false,
            }),
            reaped: Condvar::new(),
            next_id: AtomicU64::new(1),
            next_serial: AtomicU64::new(1),
            max_frame: AtomicUsize::new(MAX_FRAME),
        })
    }

    pub fn start_method(&self) -> StartMethod {
        self.start_method.get()
    }

    pub fn set_start_method(&self, m: StartMethod) {
        self.start_method.set(m);
    }

    pub fn set_interval(&self, d: Duration) {
        self.interval_ns.store(d.as_nanos().clamp(1_000, u64::MAX as u128) as u64, Ordering::Release);
    }

    /// Largest message the pool sends to or accepts from a worker.
    pub fn max_frame(&self) -> usize {
        self.max_frame.load(Ordering::Acquire)
    }

    /// Lower the message limit (tests use it to cross it without gigabytes);
    /// applies to workers started from now on. Clamped to `MAX_FRAME`.
    #[allow(dead_code)] // only tests lower it
    pub fn set_max_frame(&self, bytes: usize) {
        self.max_frame.store(bytes.min(MAX_FRAME), Ordering::Release);
    }

    pub fn is_shut(&self) -> bool {
        lock(&self.state).shut
    }

    /// Queue a job, starting or refreshing workers if they cannot run it.
    /// A job too big to send (or to answer) is refused here, before it is queued.
    pub fn dispatch(self: &Arc<Self>, job: Job) -> Result<()> {
        let job = self.encode(job)?;
        let mut st = lock(&self.state);
        if st.shut {
            return Err(Error::Shutdown);
        }
        let stale = self.start_method() == StartMethod::Fork
            && !(st.loaded.contains(job.tramp) && st.loaded.contains(job.func));
        if !st.started || stale {
            self.refresh(&mut st, &job)?;
        }
        st.queue.push_back(job);
        self.pump(&mut st);
        Ok(())
    }

    /// Encode a job's frame (outside the lock: it may be big), checking both
    /// the frame and the answer a worker can always send (every item "too
    /// large") against the limit.
    fn encode(&self, job: Job) -> Result<Queued> {
        let limit = self.max_frame();
        let n = job.items.len();
        let what = if n == 1 {
            "the argument".to_string()
        } else {
            format!("one map chunk's arguments ({n} items; a smaller chunksize sends fewer at once)")
        };
        let too_large = |what: String, bytes: usize| Error::TooLarge { what, bytes: bytes as u64, limit: limit as u64 };
        let answer = wire::done_frame_bound(n);
        if answer > limit {
            return Err(too_large(format!("the answer to one map chunk of {n} items"), answer));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let header = JobHeader {
            id,
            tramp: job.tramp as u64,
            func: job.func as u64,
            gil: self.gil_on.load(Ordering::Acquire),
            interval_ns: self.interval_ns.load(Ordering::Acquire),
        };
        let items = job.items.iter().map(|(i, _, arg)| (*i as u64, &job.args[arg.clone()]));
        let frame = wire::encode_job(&header, items, limit).map_err(|bytes| too_large(what, bytes))?;
        Ok(Queued {
            id,
            tramp: job.tramp,
            func: job.func,
            frame: Arc::new(frame),
            labels: job.items.into_iter().map(|(i, label, _)| (i, label)).collect(),
            control: job.control,
            done: job.done,
            prefetch: job.prefetch,
            claimed: false,
            resends: 0,
        })
    }

    /// Start a full set of workers that can run `job`, retiring the old ones
    /// (they finish what they hold, then exit).
    fn refresh(self: &Arc<Self>, st: &mut State, job: &Queued) -> Result<()> {
        if self.start_method() == StartMethod::Fork {
            let loaded = Loaded::now();
            if !(loaded.contains(job.tramp) && loaded.contains(job.func)) {
                return Err(Error::Unsupported("the task function is not in any loaded code".into()));
            }
            st.loaded = loaded;
        }
        for p in st.procs.iter_mut() {
            p.retiring = true;
            if p.inflight.is_empty() {
                close(p);
            }
        }
        let mut first_err = None;
        for index in 0..self.workers {
            if let Err(e) = self.start_worker(st, index) {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            // Every worker failed to start: report why.
            Some(e) if st.procs.iter().all(|p| p.retiring) => Err(e),
            _ => {
                st.started = true;
                Ok(())
            }
        }
    }

    fn start_worker(self: &Arc<Self>, st: &mut State, index: usize) -> Result<()> {
        let spec = WorkerSpec {
            threads: self.threads,
            interval: Duration::from_nanos(self.interval_ns.load(Ordering::Acquire)),
            max_frame: self.max_frame(),
        };
        let (pid, sock) = match self.start_method() {
            StartMethod::Fork => worker::fork(spec)?,
            StartMethod::Spawn => worker::spawn(spec)?,
        };
        let serial = self.next_serial.fetch_add(1, Ordering::Relaxed);
        let reader = sock.try_clone();
        st.procs.push(Proc {
            serial,
            index,
            pid,
            sock,
            writer: None,
            backlog: false,
            inflight: HashMap::new(),
            retiring: false,
            closed: false,
        });
        let core = Arc::clone(self);
        let started = reader.map_err(Error::from).and_then(|reader| {
            std::thread::Builder::new()
                .name(format!("parlab-pool-reader-{index}"))
                .spawn(move || core.read_worker(serial, pid, reader))
                .map_err(Error::from)
        });
        if let Err(e) = started {
            // No reader to reap it: end it here.
            let p = st.procs.pop().expect("just pushed");
            kill(p.pid);
            reap(p.pid);
            return Err(e);
        }
        Ok(())
    }

    /// Hand queued jobs to workers with room, emptiest worker first.
    fn pump(self: &Arc<Self>, st: &mut State) {
        while let Some(next) = st.queue.front() {
            let room = self.threads + usize::from(next.prefetch);
            let Some(k) = (0..st.procs.len())
                .filter(|&k| !st.procs[k].retiring && !st.procs[k].closed && st.procs[k].inflight.len() < room)
                .min_by_key(|&k| (st.procs[k].inflight.len(), st.procs[k].index))
            else {
                break;
            };
            let job = st.queue.pop_front().expect("not empty");
            if !job.claim() {
                continue; // cancelled while queued; its future already says so
            }
            let frame = Arc::clone(&job.frame);
            let p = &mut st.procs[k];
            p.inflight.insert(job.id, InFlight { job, sent_ns: now_ns(), started: false });
            self.write(p, frame);
        }
        // Workers with nothing left to do after shutdown can go.
        if st.shut && st.queue.is_empty() {
            for p in st.procs.iter_mut().filter(|p| p.inflight.is_empty()) {
                close(p);
            }
        }
    }

    /// Stop accepting work; see `Executor::shutdown`.
    pub fn shutdown(self: &Arc<Self>, wait: bool, cancel_futures: bool) {
        let mut st = lock(&self.state);
        st.shut = true;
        if cancel_futures {
            for job in st.queue.drain(..) {
                if job.claimed {
                    // Sent once, came back unstarted: its future is past cancelling.
                    (job.done)(Err(Error::Cancelled));
                } else {
                    job.control.cancel();
                }
            }
        }
        self.pump(&mut st);
        if wait {
            while !st.procs.is_empty() {
                st = self.reaped.wait(st).unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    /// Pids of the live worker processes (for tests and lessons).
    pub fn pids(&self) -> Vec<u32> {
        let st: MutexGuard<'_, State> = lock(&self.state);
        st.procs.iter().filter(|p| !p.retiring).map(|p| p.pid as u32).collect()
    }
}
