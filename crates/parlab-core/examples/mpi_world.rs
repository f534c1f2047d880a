//! Lesson 15's program for a terminal: `mpirun` starts it, and rank 0 makes
//! the job's other ranks its pool (mpi4py's `python -m mpi4py.futures`).
//!
//! cargo build --release -p parlab-core --features mpi --example mpi_world
//! mpirun -n 3 target/release/examples/mpi_world
//! (on a cluster: mpirun -n 16 --hostfile hosts.txt target/release/examples/mpi_world)

use parlab_core::prelude::*;

fn main() -> Result<()> {
    parlab_core::init();
    let pool = MpiPool::world()?; // ranks 1..N-1 serve here and exit; rank 0 goes on
    for p in pool.processes() {
        println!("rank {} on {} (pid {})", p.rank, p.host, p.pid);
    }
    let (answers, run) = pool.run(long_factorize, [0, 2, 4, 6])?;
    println!("{}", run.report());
    println!("long_factorize: {answers:?}");
    pool.shutdown(true, false); // every rank stops; then rank 0 ends too
    Ok(())
}
