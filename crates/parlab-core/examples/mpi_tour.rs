//! Lesson 15's program: the same tasks on MPI ranks, a matrix broadcast once
//! against a copy per task, and what one message costs.
//!
//! cargo run --release -p parlab-core --features mpi --example mpi_tour
//! (on several hosts: PARLAB_MPI_HOSTFILE=FILE, e.g. inside `scripts/netns-cluster run N PROGRAM`)
//!
//! Every rank runs this program too, so `main` calls `init()` first.

use std::time::Instant;

use parlab_core::prelude::*;

fn noop(x: u64) -> u64 {
    x
}

/// Sum of one row of the matrix, reached through the broadcast handle.
fn row_sum_shared((m, row, n): (Broadcast<Vec<f64>>, usize, usize)) -> f64 {
    let m = m.get().expect("inside a task on a rank");
    m[row * n..(row + 1) * n].iter().sum()
}

/// The same, with the task's own copy of the matrix.
fn row_sum_copy((m, row, n): (Vec<f64>, usize, usize)) -> f64 {
    m[row * n..(row + 1) * n].iter().sum()
}

fn pool(ranks: usize) -> Result<MpiPool> {
    match std::env::var_os("PARLAB_MPI_HOSTFILE") {
        Some(f) => MpiPool::builder(ranks).hostfile(f).build(),
        None => MpiPool::new(ranks),
    }
}

fn main() -> Result<()> {
    parlab_core::init(); // a rank serves here and never returns

    // 1. The same tasks, one rank and two.
    let mut walls = Vec::new();
    for ranks in [1, 2] {
        let p = pool(ranks)?;
        let (_, run) = p.run(long_factorize, [0, 2, 4, 6])?; // even offsets: all equally slow
        println!("{}: wall {:.3} s on hosts {:?}", p.name(), run.wall, run.hosts);
        walls.push(run.wall);
    }
    println!("speedup on 2 ranks: {:.2}x", walls[0] / walls[1]);

    // 2. A 16 MB matrix: broadcast once, or a copy in every task.
    let n = 1448; // 1448² f64 ≈ 16 MB
    let matrix: Vec<f64> = (0..n * n).map(|i| (i % 7) as f64).collect();
    let p = pool(2)?;
    let start = Instant::now();
    let shared = p.broadcast(&matrix)?;
    let a = p.map(row_sum_shared, (0..16).map(|r| (shared.clone(), r, n)))?;
    let once = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let b = p.map(row_sum_copy, (0..16).map(|r| (matrix.clone(), r, n)))?;
    let copies = start.elapsed().as_secs_f64();
    assert_eq!(a, b);
    println!("16 tasks on a 16 MB matrix: broadcast once {once:.3} s, a copy per task {copies:.3} s");

    // 3. What one message costs: a no-op's round trip, and where its time went.
    p.take_run();
    let start = Instant::now();
    for i in 0..200 {
        p.submit(noop, i)?.result()?;
    }
    let per_task = start.elapsed().as_secs_f64() / 200.0;
    let run = p.take_run();
    let moving: f64 = run.tasks.iter().map(|t| t.transfer).sum::<f64>() / run.tasks.len() as f64;
    println!("a no-op task's round trip: {:.0} µs, of which moving bytes {:.0} µs", per_task * 1e6, moving * 1e6);
    p.shutdown(true, false);
    Ok(())
}
