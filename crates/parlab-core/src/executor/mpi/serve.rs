//! What a process started by the pool's `mpirun` does: read its orders from
//! the environment, join MPI, and be the relay (rank 0) or a worker rank.
//!
//! Invariant: a process with [`RANK_ENV`] set never returns to the program's
//! own `main`: it serves until told to stop (or until its caller, relay or
//! launcher is gone) and exits.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use mpi::traits::*;

use crate::runtime;

/// Environment variable (exported by `mpirun -x`) that makes a process a rank.
pub(crate) const RANK_ENV: &str = "PARLAB_MPI";

/// MPI tags of the messages between the relay and the ranks.
pub(crate) const TAG_JOB: i32 = 1;
pub(crate) const TAG_DONE: i32 = 2;
pub(crate) const TAG_BCAST: i32 = 3;
pub(crate) const TAG_STOP: i32 = 4;
pub(crate) const TAG_HELLO: i32 = 5;

/// What the caller tells every rank: where to connect (the relay), and the
/// workload settings a spawned process must inherit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Orders {
    /// `unix:PATH` or `tcp:ADDR:PORT`.
    pub connect: String,
    /// Proves to the caller that a connection comes from its relay.
    pub token: u64,
    pub scale: f64,
    pub seed: Option<u64>,
}

impl Orders {
    pub fn encode(&self) -> String {
        let seed = self.seed.map_or(String::from("-"), |s| s.to_string());
        format!("{}|{:x}|{}|{}", self.connect, self.token, self.scale, seed)
    }

    pub fn decode(text: &str) -> Option<Orders> {
        let mut parts = text.rsplitn(4, '|');
        let seed = parts.next()?;
        let scale = parts.next()?.parse().ok()?;
        let token = u64::from_str_radix(parts.next()?, 16).ok()?;
        let connect = parts.next()?.to_string();
        let seed = if seed == "-" { None } else { Some(seed.parse().ok()?) };
        Some(Orders { connect, token, scale, seed })
    }
}

/// Called by `init()` and by the `parlab-mpi-worker` program: in a process
/// started as a rank, serve and exit; elsewhere return at once.
pub fn serve_if_rank() {
    let Ok(text) = std::env::var(RANK_ENV) else { return };
    let Some(orders) = Orders::decode(&text) else {
        eprintln!("parlab: malformed {RANK_ENV}={text:?}; exiting");
        std::process::exit(2);
    };
    // SAFETY: single-threaded start of a fresh process.
    unsafe { libc::unsetenv(c"PARLAB_MPI".as_ptr()) };
    runtime::set_scale(orders.scale);
    runtime::set_seed(orders.seed);
    runtime::mark_worker();
    let Some(universe) = mpi::initialize() else {
        eprintln!("parlab: MPI was already initialised in this process; a rank cannot serve");
        std::process::exit(2);
    };
    let world = universe.world();
    let code = if world.rank() == 0 {
        let to_caller =
            || connect(&orders).map_err(|e| std::io::Error::new(e.kind(), format!("at {}: {e}", orders.connect)));
        super::relay::run(&world, to_caller, orders.token)
    } else {
        super::rank::run(&world)
    };
    drop(universe); // MPI_Finalize
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

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

/// Connect to the caller as `orders.connect` says.
pub(crate) fn connect(orders: &Orders) -> std::io::Result<Box<dyn Stream>> {
    if let Some(path) = orders.connect.strip_prefix("unix:") {
        return Ok(Box::new(std::os::unix::net::UnixStream::connect(path)?));
    }
    if let Some(addr) = orders.connect.strip_prefix("tcp:") {
        let s = std::net::TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        return Ok(Box::new(s));
    }
    Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("cannot connect to {:?}", orders.connect)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_round_trip() {
        let o = Orders { connect: "unix:/tmp/a|b".into(), token: 0xabc, scale: 0.5, seed: Some(3) };
        assert_eq!(Orders::decode(&o.encode()), Some(o.clone()));
        let o = Orders { seed: None, ..o };
        assert_eq!(Orders::decode(&o.encode()), Some(o));
        assert_eq!(Orders::decode("nonsense"), None);
    }
}
