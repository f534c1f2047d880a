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
//! - every worker process is reaped by its reader thread, so none is left a
//!   zombie; a worker that dies fails its in-flight jobs with `BrokenPool`
//!   as soon as its socket reports the end, and is replaced.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::now_ns;
use crate::error::{Error, Result};
use crate::executor::future::Control;
use crate::executor::process::loaded::Loaded;
use crate::executor::process::wire::{self, DoneMsg, JobHeader};
use crate::executor::process::worker::{self, WorkerSpec};
use crate::gil::DEFAULT_SWITCH_INTERVAL;
use crate::record::{ExecutorKind, Journal, Lane, RawTask};
use crate::sync::lock;

/// How worker processes are started (Python's multiprocessing start methods).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartMethod {
    /// Copy this process with `fork()`: instant, memory shared copy-on-write,
    /// works in notebooks. The default on Linux, as in Python before 3.14.
    #[default]
    Fork,
    /// Start this program again; it must call [`crate::init`] first thing in
    /// `main`. Functions must live in the executable itself.
    Spawn,
}

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

struct InFlight {
    labels: Vec<(usize, String)>,
    sent_ns: u64,
    done: Box<dyn FnOnce(Result<DoneMsg>) + Send>,
}

/// One live worker process.
struct Proc {
    serial: u64,
    index: usize,
    pid: libc::pid_t,
    sock: UnixStream,
    /// Jobs sent and not yet answered.
    held: usize,
    inflight: HashMap<u64, InFlight>,
    /// Takes no new work (its code snapshot is stale, or the pool shut down).
    retiring: bool,
    closed: bool,
}

struct State {
    queue: VecDeque<Job>,
    procs: Vec<Proc>,
    /// Code mapped when the accepting workers were forked.
    loaded: Loaded,
    started: bool,
    shut: bool,
}

/// Shared by the pool's handle and its reader threads.
pub(crate) struct Core {
    pub workers: usize,
    pub threads: usize,
    pub kind: ExecutorKind,
    pub journal: Journal,
    pub gil_on: AtomicBool,
    interval_ns: AtomicU64,
    start_method: AtomicU8,
    state: Mutex<State>,
    /// Signalled whenever a worker process has been reaped.
    reaped: Condvar,
    next_id: AtomicU64,
    next_serial: AtomicU64,
}

impl Core {
    pub fn new(workers: usize, threads: usize, kind: ExecutorKind) -> Arc<Core> {
        Arc::new(Core {
            workers,
            threads,
            kind,
            journal: Journal::default(),
            gil_on: AtomicBool::new(false),
            interval_ns: AtomicU64::new(DEFAULT_SWITCH_INTERVAL.as_nanos() as u64),
            start_method: AtomicU8::new(0),
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
        })
    }

    pub fn start_method(&self) -> StartMethod {
        if self.start_method.load(Ordering::Acquire) == 1 { StartMethod::Spawn } else { StartMethod::Fork }
    }

    pub fn set_start_method(&self, m: StartMethod) {
        self.start_method.store(matches!(m, StartMethod::Spawn) as u8, Ordering::Release);
    }

    pub fn set_interval(&self, d: Duration) {
        self.interval_ns.store(d.as_nanos().clamp(1_000, u64::MAX as u128) as u64, Ordering::Release);
    }

    pub fn is_shut(&self) -> bool {
        lock(&self.state).shut
    }

    /// Queue a job, starting or refreshing workers if they cannot run it.
    pub fn dispatch(self: &Arc<Self>, job: Job) -> Result<()> {
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

    /// Start a full set of workers that can run `job`, retiring the old ones
    /// (they finish what they hold, then exit).
    fn refresh(self: &Arc<Self>, st: &mut State, job: &Job) -> Result<()> {
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
            held: 0,
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
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(p.pid, libc::SIGKILL);
                libc::waitpid(p.pid, std::ptr::null_mut(), 0);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Hand queued jobs to workers with room, emptiest worker first.
    fn pump(&self, st: &mut State) {
        while let Some(next) = st.queue.front() {
            let room = self.threads + usize::from(next.prefetch);
            let Some(k) = (0..st.procs.len())
                .filter(|&k| !st.procs[k].retiring && st.procs[k].held < room)
                .min_by_key(|&k| (st.procs[k].held, st.procs[k].index))
            else {
                break;
            };
            let job = st.queue.pop_front().expect("not empty");
            if !job.control.try_start() {
                continue; // cancelled while queued; its future already says so
            }
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let header = JobHeader {
                id,
                tramp: job.tramp as u64,
                func: job.func as u64,
                gil: self.gil_on.load(Ordering::Acquire),
                interval_ns: self.interval_ns.load(Ordering::Acquire),
            };
            let frame =
                wire::encode_job(&header, job.items.iter().map(|(i, _, arg)| (*i as u64, &job.args[arg.clone()])));
            let p = &mut st.procs[k];
            p.held += 1;
            let labels = job.items.into_iter().map(|(i, label, _)| (i, label)).collect();
            p.inflight.insert(id, InFlight { labels, sent_ns: now_ns(), done: job.done });
            // A failed send means the worker is dying; its reader will fail the job.
            let _ = frame.and_then(|frame| wire::send_frame(&p.sock, &frame));
        }
        // Workers with nothing left to do after shutdown can go.
        if st.shut && st.queue.is_empty() {
            for p in st.procs.iter_mut().filter(|p| p.inflight.is_empty()) {
                close(p);
            }
        }
    }

    /// The reader thread: results in, until the worker's socket ends; then reap it.
    fn read_worker(self: Arc<Self>, serial: u64, pid: libc::pid_t, sock: UnixStream) {
        let mut reader = std::io::BufReader::with_capacity(1 << 16, sock);
        let mut malformed = None;
        while let Some(done) = wire::read_done(&mut reader).unwrap_or_else(|e| {
            malformed = (e.kind() == std::io::ErrorKind::InvalidData).then_some(e);
            None
        }) {
            let mut st = lock(&self.state);
            let Some(p) = st.procs.iter_mut().find(|p| p.serial == serial) else { break };
            let job = p.inflight.remove(&done.id);
            p.held -= 1;
            let lane_worker = p.index;
            if p.retiring && p.inflight.is_empty() {
                close(p);
            }
            self.pump(&mut st);
            drop(st);
            if let Some(InFlight { labels, done: finish, .. }) = job {
                self.journal.extend(done.items.iter().zip(labels).map(|(item, (index, label))| RawTask {
                    index,
                    arg: label,
                    lane: Lane { worker: lane_worker, thread: item.timing.thread as usize, pid: pid as u32 },
                    start_ns: item.timing.start_ns,
                    end_ns: item.timing.end_ns,
                    cpu_ns: item.timing.cpu_ns,
                    gil_wait_ns: item.timing.gil_wait_ns,
                    ok: item.status == wire::STATUS_OK,
                }));
                finish(Ok(done));
            }
        }
        if malformed.is_some() {
            // The worker lives on but its stream is garbage: end it, or reaping it would wait forever.
            // SAFETY: signalling our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let how = match (reap(pid), malformed) {
            (_, Some(e)) => format!("sent a reply the pool could not read ({e}), so the pool ended it"),
            (how, None) => how,
        };
        self.on_exit(serial, pid, &how);
    }

    /// A worker is gone: fail what it held, replace it if the pool still needs it.
    fn on_exit(self: &Arc<Self>, serial: u64, pid: libc::pid_t, how: &str) {
        let mut st = lock(&self.state);
        let Some(k) = st.procs.iter().position(|p| p.serial == serial) else { return };
        let p = st.procs.remove(k);
        let needed = !p.retiring && !p.closed && (!st.shut || !st.queue.is_empty());
        if needed {
            // A replacement forked now sees at least the code the old one did.
            if let Err(e) = self.start_worker(&mut st, p.index) {
                eprintln!("parlab: could not replace worker {pid}: {e}");
            }
        }
        if st.procs.iter().all(|p| p.retiring) && !st.queue.is_empty() {
            // Nobody left to run the queue: fail it rather than hang.
            let msg = format!("no worker process left (the last one {how})");
            for job in st.queue.drain(..) {
                if job.control.try_start() {
                    (job.done)(Err(Error::BrokenPool(msg.clone())));
                }
            }
        }
        self.pump(&mut st);
        self.reaped.notify_all();
        drop(st);
        let now = now_ns();
        for (_, job) in p.inflight {
            self.journal.extend(job.labels.iter().map(|(index, label)| RawTask {
                index: *index,
                arg: label.clone(),
                lane: Lane { worker: p.index, thread: 0, pid: pid as u32 },
                start_ns: job.sent_ns,
                end_ns: now,
                cpu_ns: None,
                gil_wait_ns: 0,
                ok: false,
            }));
            let msg = format!("worker process {pid} {how} while running this task; the pool replaced it");
            (job.done)(Err(Error::BrokenPool(msg)));
        }
    }

    /// Stop accepting work; see `Executor::shutdown`.
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let mut st = lock(&self.state);
        st.shut = true;
        if cancel_futures {
            for job in st.queue.drain(..) {
                job.control.cancel();
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

/// Tell a worker there is no more work: it exits when it reads the end.
fn close(p: &mut Proc) {
    if !p.closed {
        p.closed = true;
        let _ = p.sock.shutdown(std::net::Shutdown::Write);
    }
}

/// Wait for a worker process to end and say how it ended.
fn reap(pid: libc::pid_t) -> String {
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            break;
        }
        if rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return "ended".to_string(); // already reaped elsewhere (SIGCHLD ignored)
    }
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        let name = match sig {
            libc::SIGKILL => " (SIGKILL)",
            libc::SIGABRT => " (SIGABRT: abort, e.g. a panic with panic=abort)",
            libc::SIGSEGV => " (SIGSEGV)",
            _ => "",
        };
        format!("was killed by signal {sig}{name}")
    } else {
        format!("exited with status {}", libc::WEXITSTATUS(status))
    }
}
