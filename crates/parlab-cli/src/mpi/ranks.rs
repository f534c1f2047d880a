//! Where an `mpi` demo's ranks come from, and what it says about them.
//!
//! Invariant: a demo gets one pool, made before it does any work. Under
//! `mpirun -n N` it is the job's own ranks ([`MpiPool::world`]): rank 0 runs
//! the demo, and on ranks 1..N-1 the process serves tasks inside [`pool`] and
//! exits there, never running the demo. Outside `mpirun`, this process starts
//! `mpirun` itself with `--ranks` worker ranks of this very program (which
//! serve from `init()` in `main`). Either way the pool is shut down, waiting
//! for every rank, when the demo ends, on success or on error.

use std::path::PathBuf;

use parlab::prelude::*;

use crate::demo::pools::Reaped;
use crate::error::CliError;
use crate::opts::{self, OutputArgs};
use crate::output::Ctx;

/// The flags every `parlab mpi` demo takes: where its ranks come from.
#[derive(clap::Args, Debug, Clone)]
pub struct RankArgs {
    /// Without mpirun: start mpirun with this many worker ranks (plus the relay, rank 0) [default: 2].
    /// Under `mpirun -n N` the ranks are mpirun's: N-1 run tasks
    #[arg(long, value_parser = opts::at_least_one())]
    ranks: Option<usize>,
    /// Without mpirun: the Open MPI hostfile to start the ranks on (`HOST slots=K` lines)
    #[arg(long, value_name = "FILE")]
    hostfile: Option<PathBuf>,
}

/// The flags of the demos whose tasks sleep or factorise: the time scale and the seed.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkArgs {
    /// Time scale: sleeps of ~1 s × SCALE; factorising 100,000,001 × SCALE
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    scale: f64,
    /// Seed for the drawn sleep times (random if not given)
    #[arg(long)]
    seed: Option<u64>,
}

impl WorkArgs {
    /// Make them this process's settings, before the pool starts (its ranks take them then); the scale.
    pub fn apply(&self) -> Result<f64, CliError> {
        let scale = opts::scale(self.scale)?;
        workload::set_seed(self.seed);
        Ok(scale)
    }
}

/// Worker ranks started when `parlab mpi` runs outside `mpirun` without `--ranks`.
const DEFAULT_RANKS: usize = 2;

/// The demo's pool: the job's ranks under `mpirun`, else ranks started now.
/// On ranks 1..N-1 of an `mpirun` job this serves tasks and exits the process.
fn pool(args: &RankArgs) -> Result<Reaped<MpiPool>, CliError> {
    if MpiPool::started_by_mpirun() {
        if args.ranks.is_some() || args.hostfile.is_some() {
            return Err(CliError::impossible(
                "under mpirun the ranks are mpirun's (`-n N`, `--hostfile FILE`): drop --ranks and --hostfile",
            ));
        }
        return Ok(Reaped(MpiPool::world()?));
    }
    let mut builder = MpiPool::builder(args.ranks.unwrap_or(DEFAULT_RANKS)).program(std::env::current_exe()?);
    if let Some(file) = &args.hostfile {
        if !file.is_file() {
            return Err(CliError::impossible(format!("--hostfile {}: no such file", file.display())));
        }
        builder = builder.hostfile(file);
    }
    Ok(Reaped(builder.build()?))
}

/// The demo's pool and output, with who is who printed first.
pub fn start(demo: &'static str, ranks: &RankArgs, out: OutputArgs) -> Result<(Reaped<MpiPool>, Ctx), CliError> {
    let pool = pool(ranks)?;
    let ctx = Ctx::new(demo, out)?;
    ctx.say(describe(&pool));
    Ok((pool, ctx))
}

/// Who is who: how the job started, and each rank's host and pid.
fn describe(pool: &MpiPool) -> String {
    let how = if MpiPool::started_by_mpirun() {
        "ranks started by your mpirun; this process is rank 0, the relay"
    } else {
        "not under mpirun, so parlab started `mpirun` with this program as every rank"
    };
    let mut out = format!("{} ({how})", pool.name());
    for p in pool.processes() {
        let role = if p.rank == 0 { "relay".to_string() } else { "tasks".to_string() };
        out.push_str(&format!("\n  rank {:<2} {role:<5}  host {:<16} pid {}", p.rank, p.host, p.pid));
    }
    out
}
