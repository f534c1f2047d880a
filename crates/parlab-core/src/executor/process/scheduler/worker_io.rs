//! The scheduler's side of each worker process: the thread that writes
//! frames its socket could not take at once, the thread that reads its
//! answers, and what happens when it exits (reaping, replacing, failing or
//! resending what it held).

use std::os::unix::net::UnixStream;
use std::sync::Arc;

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions, kill_process, waitpid};

use super::*;
use crate::executor::process::wire::Reply;

impl Scheduler {
    /// Send a frame without waiting: what the socket cannot take now goes to
    /// the worker's writer thread, and so does every frame after it until
    /// that thread is through. A failed send means the worker is dying: its
    /// reader sends the job again (the worker never said it started it).
    pub(super) fn write(self: &Arc<Self>, p: &mut Proc, frame: Arc<Vec<u8>>) {
        let mut from = 0;
        if !p.backlog {
            match wire::send_nowait(&p.sock, &frame) {
                Ok(n) if n == frame.len() => return,
                Ok(n) => from = n,
                Err(_) => return,
            }
        }
        if p.writer.is_none() {
            p.writer = self.start_writer(p);
        }
        match &p.writer {
            Some(tx) => {
                p.backlog = true;
                let _ = tx.send((frame, from));
            }
            // No thread to hand it to: the old way, waiting under the lock.
            None => {
                let _ = wire::send_frame(&p.sock, &frame[from..]);
            }
        }
    }

    fn start_writer(self: &Arc<Self>, p: &Proc) -> Option<crossbeam_channel::Sender<(Arc<Vec<u8>>, usize)>> {
        let sock = p.sock.try_clone().ok()?;
        let (tx, rx) = crossbeam_channel::unbounded();
        let (core, serial) = (Arc::clone(self), p.serial);
        std::thread::Builder::new()
            .name(format!("parlab-pool-writer-{}", p.index))
            .spawn(move || core.write_worker(serial, sock, rx))
            .ok()?;
        Some(tx)
    }

    /// The writer thread: frames out, as fast as the worker reads them, until
    /// its `Proc` is gone. Pushes happen under the state lock, so an empty
    /// channel seen under it means the backlog is through.
    fn write_worker(
        self: Arc<Self>,
        serial: u64,
        sock: UnixStream,
        rx: crossbeam_channel::Receiver<(Arc<Vec<u8>>, usize)>,
    ) {
        while let Ok((frame, from)) = rx.recv() {
            let _ = wire::send_frame(&sock, &frame[from..]);
            drop(frame);
            if rx.is_empty() {
                let mut st = lock(&self.state);
                if rx.is_empty() {
                    if let Some(p) = st.procs.iter_mut().find(|p| p.serial == serial) {
                        p.backlog = false;
                    }
                }
            }
        }
    }

    /// The reader thread: results in, until the worker's socket ends; then reap it.
    ///
    /// A reply that cannot be read, or that breaks the protocol (an answer or
    /// a "started" for a job the worker does not hold, an answer with another
    /// number of results than its job has tasks), ends the worker: its stream
    /// can no longer be trusted. What it held fails (or, never started, is
    /// sent again) naming the reason, and the pool replaces it.
    pub(super) fn read_worker(self: Arc<Self>, serial: u64, pid: libc::pid_t, sock: UnixStream) {
        let mut reader = std::io::BufReader::with_capacity(1 << 16, sock);
        let mut broken: Option<String> = None;
        loop {
            let reply = match wire::read_reply(&mut reader) {
                Ok(Some(reply)) => reply,
                Ok(None) => break,
                Err(e) => {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        broken = Some(format!("sent a reply the pool could not read ({e})"));
                    }
                    break;
                }
            };
            let mut st = lock(&self.state);
            let Some(p) = st.procs.iter_mut().find(|p| p.serial == serial) else { break };
            let done = match reply {
                Reply::Started(id) => {
                    let Some(f) = p.inflight.get_mut(&id) else {
                        broken =
                            Some(format!("broke the protocol (it said it started job {id}, which it does not hold)"));
                        break;
                    };
                    f.started = true;
                    f.job.control.mark_running();
                    if f.job.frame.len() > 1 << 16 {
                        // Never sent again now: do not keep a big argument's copy.
                        f.job.frame = Arc::new(Vec::new());
                    }
                    continue;
                }
                Reply::Done(done) => done,
            };
            let tasks = match p.inflight.get(&done.id) {
                Some(f) => f.job.labels.len(),
                None => {
                    broken = Some(format!("broke the protocol (an answer to job {}, which it does not hold)", done.id));
                    break;
                }
            };
            if done.items.len() != tasks {
                broken = Some(format!(
                    "broke the protocol ({} result{} for a job of {tasks} tasks)",
                    done.items.len(),
                    if done.items.len() == 1 { "" } else { "s" }
                ));
                break;
            }
            let Some(InFlight { job: Queued { labels, done: finish, .. }, .. }) = p.inflight.remove(&done.id) else {
                break; // just seen under this lock
            };
            let lane_worker = p.index;
            if p.retiring && p.inflight.is_empty() {
                close(p);
            }
            self.pump(&mut st);
            drop(st);
            self.journal.extend(done.items.iter().zip(labels).map(|(item, (index, label))| RawTask {
                index,
                arg: label,
                lane: Lane { worker: lane_worker, thread: item.timing.thread as usize, pid: pid as u32, host: 0 },
                start_ns: item.timing.start_ns,
                end_ns: item.timing.end_ns,
                cpu_ns: item.timing.cpu_ns,
                gil_wait_ns: item.timing.gil_wait_ns,
                ok: item.status == wire::Status::Ok,
            }));
            finish(Ok(done));
        }
        if broken.is_some() {
            // The worker lives on but its stream is garbage: end it, or reaping it would wait forever.
            kill(pid);
        }
        let how = match (reap(pid), broken) {
            (_, Some(why)) => format!("{why}, so the pool ended it"),
            (how, None) => how,
        };
        self.on_exit(serial, pid, &how);
    }

    /// A worker is gone: fail what it held, replace it if the pool still needs it.
    fn on_exit(self: &Arc<Self>, serial: u64, pid: libc::pid_t, how: &str) {
        let mut st = lock(&self.state);
        let Some(k) = st.procs.iter().position(|p| p.serial == serial) else { return };
        let mut p = st.procs.remove(k);
        // What it never started did not run: send it again, in its old order.
        let mut unstarted: Vec<Queued> = Vec::new();
        let mut lost = Vec::new();
        for (_, f) in p.inflight.drain() {
            if !f.started && f.job.resends < MAX_RESENDS {
                unstarted.push(Queued { claimed: true, resends: f.job.resends + 1, ..f.job });
            } else {
                lost.push(f);
            }
        }
        unstarted.sort_by_key(|job| job.id);
        for job in unstarted.into_iter().rev() {
            st.queue.push_front(job);
        }
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
                if job.claim() {
                    (job.done)(Err(Error::BrokenPool(msg.clone())));
                }
            }
        }
        self.pump(&mut st);
        self.reaped.notify_all();
        drop(st);
        let now = now_ns();
        for InFlight { job, sent_ns, started } in lost {
            let msg = if started {
                format!("worker process {pid} {how} while running this task; the pool replaced it")
            } else {
                let sent = match job.resends + 1 {
                    1 => "once".to_string(),
                    n => format!("{n} times"),
                };
                format!("worker process {pid} {how} before starting this task (sent {sent}); the pool replaced it")
            };
            self.journal.extend(job.labels.iter().map(|(index, label)| RawTask {
                index: *index,
                arg: label.clone(),
                lane: Lane { worker: p.index, thread: 0, pid: pid as u32, host: 0 },
                start_ns: sent_ns,
                end_ns: now,
                cpu_ns: None,
                gil_wait_ns: 0,
                ok: false,
            }));
            (job.done)(Err(Error::BrokenPool(msg)));
        }
    }
}

/// Tell a worker there is no more work: it exits when it reads the end.
pub(super) fn close(p: &mut Proc) {
    if !p.closed {
        p.closed = true;
        let _ = p.sock.shutdown(std::net::Shutdown::Write);
    }
}

/// SIGKILL one of our own worker processes (it may be gone already).
pub(super) fn kill(pid: libc::pid_t) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = kill_process(pid, Signal::KILL);
    }
}

/// Wait for a worker process to end and say how it ended.
pub(super) fn reap(pid: libc::pid_t) -> String {
    let Some(child) = Pid::from_raw(pid) else { return "ended".to_string() };
    let status = loop {
        match waitpid(Some(child), WaitOptions::empty()) {
            Ok(Some((_, status))) => break status,
            Err(Errno::INTR) => continue,
            _ => return "ended".to_string(), // already reaped elsewhere (SIGCHLD ignored)
        }
    };
    match status.terminating_signal() {
        Some(sig) => {
            let name = match sig {
                libc::SIGKILL => " (SIGKILL)",
                libc::SIGABRT => " (SIGABRT: abort, e.g. a panic with panic=abort)",
                libc::SIGSEGV => " (SIGSEGV)",
                _ => "",
            };
            format!("was killed by signal {sig}{name}")
        }
        None => format!("exited with status {}", status.exit_status().unwrap_or(-1)),
    }
}
