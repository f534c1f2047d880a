//! What a process started by the pool's `mpirun` does: read its orders from
//! the environment, join MPI, and be the relay (rank 0) or a worker rank.
//!
//! Invariant: a process with [`RANK_ENV`] set never returns to the program's
//! own `main`: it serves until told to stop (or until its caller, relay or
//! launcher is gone) and exits.

use std::io::Write;

use mpi::traits::*;

use super::link::Stream;
use crate::runtime;

/// Environment variable (exported by `mpirun -x`) that makes a process a rank.
pub(crate) const RANK_ENV: &str = "PARLAB_MPI";

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
