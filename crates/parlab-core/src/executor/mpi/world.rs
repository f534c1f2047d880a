//! [`MpiPool::world`](super::MpiPool::world): the pool of a program that
//! `mpirun` started itself (`mpirun -n N PROGRAM`, as mpi4py's
//! `mpiexec -n N python -m mpi4py.futures script.py`): rank 0 runs the
//! program and hands its tasks to ranks 1..N-1.
//!
//! Invariant: every MPI call of this process is made on one thread, the one
//! that initialised MPI (`MPI_THREAD_FUNNELED`). On rank 0 that thread is the
//! relay, and it talks to the pool over a socket pair exactly as a relay that
//! a pool launched talks to its caller over a socket, so the pool is the same
//! pool either way. On every other rank it serves tasks, and the process exits
//! when they stop: a program never runs past `MpiPool::world()` on rank ≥ 1.

use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mpi::Threading;
use mpi::traits::*;

use super::launch::{self, Launched};
use super::link::Stream;
use crate::error::{Error, Result};
use crate::runtime;

/// Environment variables a launcher sets in every process it starts: Open
/// MPI's own, MPICH's (Hydra's PMI) and any PMIx launcher's.
const LAUNCHED_BY: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"];

/// How long rank 0 waits for every rank to reach `MpiPool::world()`.
const REPORT_WITHIN: Duration = Duration::from_secs(60);

/// MPI starts once per process.
static JOINED: AtomicBool = AtomicBool::new(false);

/// True when this process was started by `mpirun` (or another MPI launcher).
pub(crate) fn started_by_mpirun() -> bool {
    LAUNCHED_BY.iter().any(|v| std::env::var_os(v).is_some())
}

/// What rank 0 tells every rank before the first task: its workload settings.
fn settings_bytes() -> [u8; 17] {
    let mut b = [0u8; 17];
    b[..8].copy_from_slice(&runtime::scale().to_le_bytes());
    if let Some(seed) = runtime::seed() {
        b[8] = 1;
        b[9..].copy_from_slice(&seed.to_le_bytes());
    }
    b
}

fn adopt_settings(b: &[u8; 17]) {
    let scale = f64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
    runtime::set_scale(scale);
    runtime::set_seed((b[8] == 1).then(|| u64::from_le_bytes(b[9..].try_into().expect("8 bytes"))));
}

/// Join the MPI job this process belongs to. On rank 0: the relay's end of a
/// socket pair, with the relay thread, for the caller to build its pool on.
/// On any other rank: serve tasks, then exit the process.
pub(crate) fn join() -> Result<(Launched, Box<dyn Stream>, launch::Placement)> {
    if runtime::in_worker() {
        return Err(Error::Unsupported("a rank or worker process cannot start an MPI pool of its own".into()));
    }
    if !started_by_mpirun() {
        return Err(Error::Unsupported(
            "MpiPool::world() is for a program started by mpirun (`mpirun -n N PROGRAM`: rank 0 runs the program, \
             ranks 1..N-1 its tasks), and this one was not: start it that way, or use MpiPool::new(n), which runs \
             mpirun itself"
                .into(),
        ));
    }
    if JOINED.swap(true, Ordering::AcqRel) {
        return Err(Error::Unsupported(
            "MpiPool::world() was already called in this process: MPI starts once per process".into(),
        ));
    }
    let (mine, theirs) = UnixStream::pair()?;
    let token = launch::random_token();
    let settings = settings_bytes();
    let (told, rank_of) = crossbeam_channel::bounded::<std::result::Result<(i32, i32), String>>(1);
    let thread = std::thread::Builder::new().name("parlab-mpi".into()).spawn(move || {
        let Some((universe, _)) = mpi::initialize_with_threading(Threading::Funneled) else {
            let _ = told.send(Err("MPI was already initialised in this process".into()));
            return 2;
        };
        let world = universe.world();
        let (rank, size) = (world.rank(), world.size());
        if size < 2 {
            let _ = told.send(Ok((rank, size)));
            return 2; // MPI_Finalize as `universe` drops
        }
        let mut settings = settings;
        world.process_at_rank(0).broadcast_into(&mut settings[..]);
        if rank != 0 {
            adopt_settings(&settings);
            runtime::mark_worker();
        }
        let _ = told.send(Ok((rank, size)));
        if rank == 0 {
            let to_caller = move || Ok(Box::new(theirs) as Box<dyn Stream>);
            super::relay::run(&world, to_caller, token)
        } else {
            drop(theirs);
            super::rank::run(&world)
        }
    })?;
    let (rank, size) = match rank_of.recv() {
        Ok(Ok(pair)) => pair,
        Ok(Err(why)) => return Err(Error::Unsupported(why)),
        Err(_) => return Err(Error::BrokenPool("the MPI thread ended before MPI started".into())),
    };
    if size < 2 {
        let _ = thread.join();
        return Err(Error::InvalidArgument(
            "mpirun -n 1 leaves no rank for tasks: start 2 or more (rank 0 runs the program, ranks 1..N-1 its tasks)"
                .into(),
        ));
    }
    if rank != 0 {
        let code = thread.join().unwrap_or(3);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        std::process::exit(code);
    }
    let mut stream: Box<dyn Stream> = Box::new(mine);
    let placement = launch::greet(&mut stream, token, Some(size as usize - 1), REPORT_WITHIN).map_err(|e| {
        Error::BrokenPool(format!(
            "{e}: every rank must reach MpiPool::world() within {REPORT_WITHIN:?} (the same program runs on each)"
        ))
    })?;
    Ok((Launched::world(thread), stream, placement))
}
