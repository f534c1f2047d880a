//! The advisor's measuring half: run the sample one task at a time and
//! time each task's wall, CPU and run-queue delay, and what shipping its
//! argument and result to a process would cost.
//!
//! Invariant: every figure in the returned [`Measurements`] comes from a clock
//! or a byte count read here, on this machine; nothing is assumed.

use std::io::{Read, Write};
#[cfg(unix)]
use std::os::unix::fs::FileExt;
#[cfg(unix)]
use std::os::unix::net::UnixStream as Socket;
#[cfg(windows)]
use std::os::windows::fs::FileExt;

use super::measurements::Measurements;
use crate::clock;
use crate::error::{Error, Result};
use crate::executor::{Arg, Output, Sequential};
use crate::record::Run;

/// How many tasks' arguments and results are shipped through a socket to time the transfer.
pub const TRANSFER_SAMPLES: usize = 32;

/// Run `args` through `f` on this thread and measure them (`args` is not empty).
pub(super) fn measure<A: Arg, R: Output>(f: fn(A) -> R, args: Vec<A>, cores: usize) -> Result<(Measurements, Run)> {
    if clock::thread_cpu_ns().is_none() {
        return Err(Error::Unsupported("this OS does not report a thread's CPU time".into()));
    }
    let tasks = args.len();
    let mut shipping = Shipping::start()?;
    for arg in args.iter().take(TRANSFER_SAMPLES) {
        shipping.ship_arg(arg)?;
    }

    let run_queue = RunQueue::open();
    let blocks = Blocks::open();
    let (outputs, run) = Sequential::new().run_closure(
        |arg: A| {
            let (q0, b0) = (run_queue.delay_ns(), blocks.count());
            let (w0, c0) = (clock::now_ns(), clock::thread_cpu_ns());
            let value = f(arg);
            let (c1, w1) = (clock::thread_cpu_ns(), clock::now_ns());
            let (q1, b1) = (run_queue.delay_ns(), blocks.count());
            let (w, c) = (w1.saturating_sub(w0), c0.zip(c1).map_or(0, |(a, b)| b.saturating_sub(a)));
            let queued = q0.zip(q1).map(|(a, b)| b.saturating_sub(a));
            let blocked = b0.zip(b1).map(|(a, b)| b != a);
            (value, w, c, ready_ns(queued, blocked, w, c))
        },
        args,
    )?;

    let (mut wall, mut cpu, mut ready) = (0u64, 0u64, Some(0u64));
    for (i, (value, w, c, q)) in outputs.iter().enumerate() {
        wall += w;
        cpu += c;
        // Run-queue delay is read around the timed span, so cap it by the span.
        ready = ready.zip(*q).map(|(sum, q)| sum + q.min(*w));
        if i < TRANSFER_SAMPLES {
            shipping.ship_result(value)?;
        }
    }
    let n = tasks as f64;
    let measured = Measurements {
        tasks,
        cores,
        wall_per_task: wall as f64 / 1e9 / n,
        ready_wait_per_task: ready.map(|r| r as f64 / 1e9 / n),
        cpu_per_task: cpu as f64 / 1e9 / n,
        arg_bytes: shipping.arg_bytes as f64 / shipping.args.max(1) as f64,
        result_bytes: shipping.result_bytes as f64 / shipping.results.max(1) as f64,
        transfer_per_task: shipping.seconds / shipping.args.max(1) as f64,
        transfer_samples: shipping.args,
    };
    Ok((measured, run.with_label("advisor sample")))
}

/// Nanoseconds of a task's `wall` it was ready to run but not running, from
/// its run-queue delay `queued` and whether it `blocked` (either `None` where
/// the OS does not say).
///
/// A thread that never blocked never waited: all its time off the CPU was
/// taken by the machine — a run queue, or a hypervisor running another guest
/// (steal time, which no run-queue counter sees: a CI runner once measured a
/// pure computation at CPU/wall 0.67 with no run-queue delay at all).
fn ready_ns(queued: Option<u64>, blocked: Option<bool>, wall: u64, cpu: u64) -> Option<u64> {
    match blocked {
        Some(false) => Some(queued.unwrap_or(0).max(wall.saturating_sub(cpu))),
        _ => queued,
    }
}

/// The calling thread's run-queue delay counter (Linux schedstat), if readable.
struct RunQueue(Option<std::fs::File>);

impl RunQueue {
    fn open() -> RunQueue {
        // /proc/thread-self resolves when opened: this handle stays on this thread.
        let file = std::fs::File::open("/proc/thread-self/schedstat").ok();
        let q = RunQueue(file);
        if q.delay_ns().is_some() { q } else { RunQueue(None) }
    }

    /// Nanoseconds this thread has spent runnable but not running, ever.
    fn delay_ns(&self) -> Option<u64> {
        let file = self.0.as_ref()?;
        let mut buf = [0u8; 96];
        #[cfg(unix)]
        let n = file.read_at(&mut buf, 0).ok()?;
        #[cfg(windows)]
        let n = file.seek_read(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(&buf[..n]).ok()?;
        // "<ns on cpu> <ns waiting on a run queue> <timeslices>"
        text.split_whitespace().nth(1)?.parse().ok()
    }
}

/// How many times the calling thread has blocked (gave up its core to wait:
/// a sleep, a lock, I/O), from `voluntary_ctxt_switches` in Linux's
/// `/proc/thread-self/status`, if readable.
struct Blocks(Option<std::fs::File>);

impl Blocks {
    fn open() -> Blocks {
        // As for RunQueue: resolved when opened, so it reads this thread.
        let b = Blocks(std::fs::File::open("/proc/thread-self/status").ok());
        if b.count().is_some() { b } else { Blocks(None) }
    }

    fn count(&self) -> Option<u64> {
        let file = self.0.as_ref()?;
        let mut buf = [0u8; 4096];
        #[cfg(unix)]
        let n = file.read_at(&mut buf, 0).ok()?;
        #[cfg(windows)]
        let n = file.seek_read(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(&buf[..n]).ok()?;
        let line = text.lines().find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))?;
        line.trim().parse().ok()
    }
}

/// Times shipping values as a process pool would: encode, send through a
/// socket to an echoing thread and back, decode.
struct Shipping {
    sock: Socket,
    echo: Option<std::thread::JoinHandle<()>>,
    args: usize,
    results: usize,
    arg_bytes: usize,
    result_bytes: usize,
    /// Seconds of encode + one-way transfer + decode, summed over arguments and results.
    seconds: f64,
    /// Run-queue delay of the thread that ships and of the echoing thread: time
    /// either spent ready with no free core is the machine's load, not the
    /// transfer's cost, and is left out (as for the tasks themselves).
    own_queue: RunQueue,
    echo_queue: RunQueue,
}

impl Shipping {
    fn start() -> Result<Shipping> {
        let (sock, mut peer) = socket_pair()?;
        let (queue_tx, queue_rx) = std::sync::mpsc::sync_channel(1);
        let echo = std::thread::Builder::new().name("parlab-advisor-echo".into()).spawn(move || {
            // Opened here, so the handle reads this thread's counters.
            let _ = queue_tx.send(RunQueue::open());
            let mut buf = Vec::new();
            let mut len = [0u8; 8];
            // Ends when the advisor closes its end (read fails) or goes away (write fails).
            while peer.read_exact(&mut len).is_ok() {
                buf.resize(u64::from_le_bytes(len) as usize, 0);
                if peer.read_exact(&mut buf).is_err() || peer.write_all(&len).is_err() || peer.write_all(&buf).is_err()
                {
                    return;
                }
            }
        })?;
        let echo_queue = queue_rx.recv().unwrap_or(RunQueue(None));
        Ok(Shipping {
            sock,
            echo: Some(echo),
            args: 0,
            results: 0,
            arg_bytes: 0,
            result_bytes: 0,
            seconds: 0.0,
            own_queue: RunQueue::open(),
            echo_queue,
        })
    }

    fn ship_arg<A: Arg>(&mut self, arg: &A) -> Result<()> {
        let (bytes, secs) = self.ship::<A>(arg, "argument")?;
        self.args += 1;
        self.arg_bytes += bytes;
        self.seconds += secs;
        Ok(())
    }

    fn ship_result<R: Output>(&mut self, value: &R) -> Result<()> {
        let (bytes, secs) = self.ship::<R>(value, "result")?;
        self.results += 1;
        self.result_bytes += bytes;
        self.seconds += secs;
        Ok(())
    }

    /// Encoded size and seconds to ship `value` one way.
    fn ship<T: serde::Serialize + serde::de::DeserializeOwned>(
        &mut self,
        value: &T,
        what: &str,
    ) -> Result<(usize, f64)> {
        let t0 = clock::now_ns();
        let bytes = postcard::to_allocvec(value)
            .map_err(|e| Error::Serialization(format!("the {what} cannot be encoded to cross to a process: {e}")))?;
        let waited = || Some(self.own_queue.delay_ns()? + self.echo_queue.delay_ns()?);
        let queued0 = waited();
        let t1 = clock::now_ns();
        self.sock.write_all(&(bytes.len() as u64).to_le_bytes())?;
        self.sock.write_all(&bytes)?;
        let mut len = [0u8; 8];
        self.sock.read_exact(&mut len)?;
        let mut back = vec![0u8; u64::from_le_bytes(len) as usize];
        self.sock.read_exact(&mut back)?;
        let t2 = clock::now_ns();
        let queued = queued0.zip(waited()).map_or(0, |(a, b)| b.saturating_sub(a));
        let decoded: T = postcard::from_bytes(&back)
            .map_err(|e| Error::Serialization(format!("the {what} does not decode after encoding: {e}")))?;
        let t3 = clock::now_ns();
        drop(decoded);
        // The socket time is a round trip; a pool sends each value one way.
        let round_trip = clock::secs_between(t1, t2.saturating_sub(queued).max(t1));
        let secs = clock::secs_between(t0, t1) + round_trip / 2.0 + clock::secs_between(t2, t3);
        Ok((bytes.len(), secs))
    }
}

impl Drop for Shipping {
    fn drop(&mut self) {
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
        if let Some(echo) = self.echo.take() {
            let _ = echo.join();
        }
    }
}

/// Two connected stream sockets, as a process pool's worker has (Unix).
#[cfg(unix)]
fn socket_pair() -> std::io::Result<(Socket, Socket)> {
    Socket::pair()
}

/// Windows has no socket pair: two ends of a loopback TCP connection carry
/// the bytes the same way, through the kernel.
#[cfg(windows)]
type Socket = std::net::TcpStream;

#[cfg(windows)]
fn socket_pair() -> std::io::Result<(Socket, Socket)> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let near = Socket::connect(listener.local_addr()?)?;
    let (far, _) = listener.accept()?;
    near.set_nodelay(true)?;
    far.set_nodelay(true)?;
    Ok((near, far))
}

#[cfg(test)]
mod tests {
    use super::ready_ns;

    #[test]
    fn time_off_the_cpu_without_blocking_is_the_machines_not_the_tasks() {
        // 15 ms of wall, 10 ms of CPU, no run-queue delay: steal time, not waiting.
        assert_eq!(ready_ns(Some(0), Some(false), 15_000_000, 10_000_000), Some(5_000_000));
        // A task that slept keeps its off-CPU time as its own (only the queue is left out).
        assert_eq!(ready_ns(Some(1_000), Some(true), 15_000_000, 10_000_000), Some(1_000));
        // Nothing known: nothing left out.
        assert_eq!(ready_ns(None, None, 15_000_000, 10_000_000), None);
        // The run queue can say more than the difference (clock granularity): keep the larger.
        assert_eq!(ready_ns(Some(6_000_000), Some(false), 15_000_000, 10_000_000), Some(6_000_000));
    }
}
