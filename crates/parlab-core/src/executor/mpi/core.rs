//! The caller's side of an MPI pool: its queue, which rank holds what, the
//! relay's stream, and what happens when the MPI job ends.
//!
//! Invariant: every job is sent to the relay at most once, for one rank,
//! chosen here (the emptiest rank with room: one job, plus one prefetched
//! `map` chunk); so cancelling a queued job is possible until it is sent.
//! When the relay's stream ends without this side having said stop, the MPI
//! job is over (MPI ends all ranks when one fails): every future still open
//! fails with the reason `mpirun` gave, the pool refuses new work, and
//! `mpirun`'s process group is ended.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::frame::{self, BCAST_DONE, DONE, Done, MAX_MESSAGE};
use super::launch::{Launched, Placement};
use super::link::Stream;
use crate::clock::now_ns;
use crate::error::{Error, Result};
use crate::executor::future::Control;
use crate::record::{Journal, Lane, RawTask};
use crate::sync::lock;

pub(crate) type Finish = Box<dyn FnOnce(Result<Done>) + Send>;

/// A job waiting for a rank.
pub(crate) struct Queued {
    pub id: u64,
    /// The job message; its rank field is filled in when it is sent.
    pub msg: Vec<u8>,
    pub labels: Vec<(usize, String)>,
    pub control: Arc<dyn Control>,
    pub done: Finish,
    pub prefetch: bool,
}

struct InFlight {
    labels: Vec<(usize, String)>,
    done: Finish,
    rank: usize,
    sent_ns: u64,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Queued>,
    /// Jobs each rank holds, by rank (index 0, the relay, stays 0).
    held: Vec<usize>,
    inflight: HashMap<u64, InFlight>,
    /// When each rank's last answer arrived, to tell transfer from waiting.
    last_answer_ns: Vec<u64>,
    /// Per rank, the least (our clock at an answer's arrival − the rank's
    /// clock at its sending) seen: the best estimate of the offset between
    /// the two clocks, as NTP takes the fastest exchange.
    clock_offset: Vec<i128>,
    acked: HashSet<u64>,
    shut: bool,
    stop_sent: bool,
    /// Why the pool cannot run tasks any more.
    broken: Option<String>,
    /// The relay's stream has ended and mpirun is gone.
    gone: bool,
}

pub(crate) struct Core {
    state: Mutex<State>,
    changed: Condvar,
    writer: Mutex<Box<dyn Stream>>,
    pub launched: Launched,
    pub placement: Placement,
    /// Distinct host names, in rank order; a lane's host indexes this.
    pub hosts: Vec<String>,
    pub ranks: usize,
    pub journal: Journal,
    transfers: Mutex<Vec<(usize, u64)>>,
    pub gil_on: AtomicBool,
    pub interval_ns: AtomicU64,
    pub next_id: AtomicU64,
}

impl Core {
    pub fn new(launched: Launched, stream: Box<dyn Stream>, placement: Placement, gil: bool) -> Result<Arc<Core>> {
        let ranks = placement.ranks.len() - 1;
        let mut hosts: Vec<String> = Vec::new();
        for (h, _) in &placement.ranks[1..] {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
        let reader = stream.split()?;
        let core = Arc::new(Core {
            state: Mutex::new(State {
                held: vec![0; ranks + 1],
                last_answer_ns: vec![0; ranks + 1],
                clock_offset: vec![i128::MAX; ranks + 1],
                ..State::default()
            }),
            changed: Condvar::new(),
            writer: Mutex::new(stream),
            launched,
            placement,
            hosts,
            ranks,
            journal: Journal::default(),
            transfers: Mutex::new(Vec::new()),
            gil_on: AtomicBool::new(gil),
            interval_ns: AtomicU64::new(crate::gil::DEFAULT_SWITCH_INTERVAL.as_nanos() as u64),
            next_id: AtomicU64::new(1),
        });
        let c = Arc::clone(&core);
        std::thread::Builder::new().name("parlab-mpi-reader".into()).spawn(move || c.read(reader))?;
        Ok(core)
    }

    fn check_open(&self, st: &State) -> Result<()> {
        if st.shut {
            return Err(Error::Shutdown);
        }
        if let Some(why) = &st.broken {
            return Err(Error::BrokenPool(why.clone()));
        }
        Ok(())
    }

    /// Queue a job and send what ranks have room for.
    pub fn dispatch(&self, job: Queued) -> Result<()> {
        if job.msg.len() > MAX_MESSAGE {
            return Err(Error::TooLarge {
                what: format!("one message to an MPI rank ({} tasks)", job.labels.len()),
                bytes: job.msg.len() as u64,
                limit: MAX_MESSAGE as u64,
            });
        }
        let mut st = lock(&self.state);
        self.check_open(&st)?;
        st.queue.push_back(job);
        self.pump(&mut st);
        Ok(())
    }

    fn pump(&self, st: &mut State) {
        while let Some(next) = st.queue.front() {
            let room = 1 + usize::from(next.prefetch);
            let Some(rank) = (1..=self.ranks).filter(|&r| st.held[r] < room).min_by_key(|&r| (st.held[r], r)) else {
                break;
            };
            let mut job = st.queue.pop_front().expect("not empty");
            if !job.control.try_send() {
                continue; // cancelled while queued
            }
            job.msg[4..8].copy_from_slice(&(rank as u32).to_le_bytes());
            st.held[rank] += 1;
            if st.held[rank] == 1 {
                job.control.mark_running();
            }
            // A failed send means the relay is gone; the reader will fail this job.
            let _ = frame::send(&mut *lock(&self.writer), &job.msg);
            st.inflight.insert(job.id, InFlight { labels: job.labels, done: job.done, rank, sent_ns: now_ns() });
        }
        if st.shut && st.queue.is_empty() && st.inflight.is_empty() && !st.stop_sent {
            st.stop_sent = true;
            let mut w = lock(&self.writer);
            let _ = frame::send(&mut *w, &frame::STOP);
            w.close_write();
        }
    }

    /// Send a broadcast and wait until every rank has it.
    pub fn broadcast(&self, id: u64, msg: &[u8]) -> Result<()> {
        let mut st = lock(&self.state);
        self.check_open(&st)?;
        frame::send(&mut *lock(&self.writer), msg)
            .map_err(|e| Error::BrokenPool(format!("the MPI relay is gone: {e}")))?;
        loop {
            if st.acked.remove(&id) {
                return Ok(());
            }
            if let Some(why) = &st.broken {
                return Err(Error::BrokenPool(why.clone()));
            }
            st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The reader thread: answers in, until the relay's stream ends.
    fn read(self: Arc<Self>, mut sock: Box<dyn Stream>) {
        let mut why = None;
        loop {
            let msg = match frame::recv(&mut sock) {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    why = Some(format!("the relay's stream broke ({e})"));
                    break;
                }
            };
            match frame::tag(&msg) {
                Some(DONE) => match frame::read_done(msg) {
                    Ok(done) => self.on_done(done),
                    Err(e) => {
                        why = Some(format!("the relay sent an answer that could not be read ({e})"));
                        break;
                    }
                },
                Some(BCAST_DONE) => {
                    let id = msg.get(4..12).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
                    lock(&self.state).acked.extend(id);
                    self.changed.notify_all();
                }
                _ => {
                    why = Some("the relay sent a message of an unknown kind".into());
                    break;
                }
            }
        }
        self.on_end(why);
    }

    fn on_done(&self, done: Done) {
        let recv = now_ns();
        let mut st = lock(&self.state);
        let Some(f) = st.inflight.remove(&done.id) else { return };
        st.held[f.rank] = st.held[f.rank].saturating_sub(1);
        let from = f.sent_ns.max(st.last_answer_ns[f.rank]);
        st.last_answer_ns[f.rank] = recv;
        // The rank's clock may not be ours (another machine): move its times
        // onto ours by the best offset seen, so its tasks keep their order.
        let offset = (i128::from(recv) - i128::from(done.sent_ns)).min(st.clock_offset[f.rank]);
        st.clock_offset[f.rank] = offset;
        self.pump(&mut st);
        drop(st);
        let shift = |t: u64| (i128::from(t) + offset).max(0) as u64;
        let busy = done.sent_ns.saturating_sub(done.took_ns);
        let moving = recv.saturating_sub(from).saturating_sub(busy) / done.items.len().max(1) as u64;
        let (host, pid) = &self.placement.ranks[f.rank];
        let host = self.hosts.iter().position(|h| h == host).unwrap_or(0);
        let lane = Lane { worker: f.rank - 1, thread: 0, pid: *pid, host: host as u32 };
        lock(&self.transfers).extend(f.labels.iter().map(|(index, _)| (*index, moving)));
        self.journal.extend(done.items.iter().zip(f.labels).map(|(item, (index, arg))| RawTask {
            index,
            arg,
            lane,
            start_ns: shift(item.start_ns),
            end_ns: shift(item.end_ns),
            cpu_ns: item.cpu_ns,
            gil_wait_ns: item.gil_wait_ns,
            ok: item.status == crate::executor::process::wire::Status::Ok,
        }));
        (f.done)(Ok(done));
    }

    /// The relay's stream ended: the MPI job is over, cleanly or not.
    fn on_end(&self, why: Option<String>) {
        let clean = lock(&self.state).stop_sent && why.is_none();
        // After a failure mpirun ends the other ranks and then itself; its last words say why.
        let exited = self.launched.wait_exit(Duration::from_secs(if clean { 10 } else { 4 }));
        self.launched.kill(Duration::from_secs(1));
        std::thread::sleep(Duration::from_millis(if exited { 20 } else { 0 })); // its stderr drains
        let mut st = lock(&self.state);
        let reason = self.explain(why, clean);
        st.broken = Some(reason.clone());
        st.gone = true;
        let lost: Vec<(u64, InFlight)> = st.inflight.drain().collect();
        let queued: Vec<Queued> = st.queue.drain(..).collect();
        drop(st);
        self.changed.notify_all();
        let now = now_ns();
        for (_, f) in lost {
            let (host, pid) = &self.placement.ranks[f.rank];
            let lane = Lane { worker: f.rank - 1, thread: 0, pid: *pid, host: 0 };
            self.journal.extend(f.labels.iter().map(|(index, arg)| RawTask {
                index: *index,
                arg: arg.clone(),
                lane,
                start_ns: f.sent_ns,
                end_ns: now,
                cpu_ns: None,
                gil_wait_ns: 0,
                ok: false,
            }));
            (f.done)(Err(Error::BrokenPool(format!("rank {} (pid {pid} on {host}) held this task: {reason}", f.rank))));
        }
        for job in queued {
            if job.control.try_send() {
                (job.done)(Err(Error::BrokenPool(reason.clone())));
            }
        }
    }

    fn explain(&self, why: Option<String>, clean: bool) -> String {
        if clean {
            return "the pool was shut down".into();
        }
        let said = self.launched.said();
        let noticed = said.lines().find(|l| l.contains("noticed that process rank") || l.contains("exited on signal"));
        let cause = match (noticed, why) {
            (Some(line), _) => format!("mpirun reported: {}", line.trim().trim_end_matches('.')),
            (None, Some(why)) => why,
            (None, None) => "the MPI job ended unexpectedly".into(),
        };
        format!(
            "{cause}. When a rank dies, mpirun ends every other rank of the job (MPI defines no recovery from a lost \
             rank); parlab failed the futures the job held and made sure no rank is left: start a new MpiPool to go on"
        )
    }

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
            while !st.gone {
                st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    pub fn is_open(&self) -> Result<()> {
        self.check_open(&lock(&self.state))
    }

    /// Seconds each task of `tasks` spent moving bytes, by task index (taken once).
    pub fn take_transfers(&self) -> HashMap<usize, f64> {
        let t: Vec<(usize, u64)> = std::mem::take(&mut *lock(&self.transfers));
        t.into_iter().map(|(i, ns)| (i, ns as f64 / 1e9)).collect()
    }
}
