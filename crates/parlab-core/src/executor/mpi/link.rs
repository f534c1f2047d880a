//! What the relay (rank 0) and the worker ranks share: the tags of their
//! MPI messages, the stream to the caller, and how a waiting rank polls.
//!
//! Invariant: a rank waits politely — it never busy-polls a core for longer
//! than [`Backoff`]'s short spin, and never outlives the process that
//! started it ([`watch_parent`]).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// MPI tags of the messages between the relay and the ranks.
pub(crate) const TAG_JOB: i32 = 1;
pub(crate) const TAG_DONE: i32 = 2;
pub(crate) const TAG_BCAST: i32 = 3;
pub(crate) const TAG_STOP: i32 = 4;
pub(crate) const TAG_HELLO: i32 = 5;

/// Waits for work with little delay after recent work and little CPU when
/// idle: spin (yielding) for a while, then sleep longer and longer, up to 1 ms.
/// MPI's own blocking calls would busy-poll a core per waiting rank.
pub(crate) struct Backoff {
    idle_since: Option<Instant>,
    sleep: Duration,
}

const SPIN: Duration = Duration::from_micros(200);
const MAX_SLEEP: Duration = Duration::from_millis(1);

impl Backoff {
    pub fn new() -> Backoff {
        Backoff { idle_since: None, sleep: Duration::from_micros(10) }
    }

    /// Something happened: wait little next time.
    pub fn reset(&mut self) {
        self.idle_since = None;
        self.sleep = Duration::from_micros(10);
    }

    /// How long to wait now (zero: just yield).
    pub fn next(&mut self) -> Duration {
        let since = *self.idle_since.get_or_insert_with(Instant::now);
        if since.elapsed() < SPIN {
            return Duration::ZERO;
        }
        let d = self.sleep;
        self.sleep = (self.sleep * 2).min(MAX_SLEEP);
        d
    }

    pub fn wait(&mut self) {
        match self.next() {
            Duration::ZERO => std::thread::yield_now(),
            d => std::thread::sleep(d),
        }
    }
}

/// A connected stream to the caller, Unix or TCP.
pub(crate) trait Stream: Read + Write + Send {
    fn split(&self) -> std::io::Result<Box<dyn Stream>>;
    fn close_write(&self);
    /// Bound each read (`None`: wait as long as it takes).
    fn read_timeout(&self, limit: Option<Duration>) -> std::io::Result<()>;
}

impl Stream for std::os::unix::net::UnixStream {
    fn split(&self) -> std::io::Result<Box<dyn Stream>> {
        Ok(Box::new(self.try_clone()?))
    }
    fn close_write(&self) {
        let _ = self.shutdown(std::net::Shutdown::Write);
    }
    fn read_timeout(&self, limit: Option<Duration>) -> std::io::Result<()> {
        self.set_read_timeout(limit)
    }
}

impl Stream for std::net::TcpStream {
    fn split(&self) -> std::io::Result<Box<dyn Stream>> {
        Ok(Box::new(self.try_clone()?))
    }
    fn close_write(&self) {
        let _ = self.shutdown(std::net::Shutdown::Write);
    }
    fn read_timeout(&self, limit: Option<Duration>) -> std::io::Result<()> {
        self.set_read_timeout(limit)
    }
}

/// End this process at once if the one that started it (mpirun or its
/// daemon) is gone, so no rank outlives its job.
pub(crate) fn watch_parent() {
    let parent = std::os::unix::process::parent_id();
    let _ = std::thread::Builder::new().name("parlab-mpi-watchdog".into()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            if std::os::unix::process::parent_id() != parent {
                // SAFETY: ends the process; nothing after it runs.
                unsafe { libc::_exit(0) };
            }
        }
    });
}
