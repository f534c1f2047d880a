//! Lesson 4: processes, from `Process::start` to a pool with a fixed worker count.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson04_processes
//! ```

use std::time::Instant;

use parlab_core::prelude::*;

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    workload::set_scale(0.1)?; // a second becomes 0.1 s

    let start = Instant::now();
    let p1 = Process::start(foo, ())?;
    let p2 = Process::start(foo, ())?;
    let p3 = Process::start(foo, ())?;
    p1.join()?;
    p2.join()?;
    p3.join()?;
    println!("Parallel: {:.2} second(s)", start.elapsed().as_secs_f64());

    let secs = [1.0, 2.0, 3.0];
    let start = Instant::now();
    for s in secs {
        boo(s);
    }
    println!("Serial: {:.2} second(s)", start.elapsed().as_secs_f64());

    let start = Instant::now();
    let pool = ProcessPool::new(3)?;
    pool.map(boo, secs)?;
    println!("Parallel (map): {:.2} second(s)", start.elapsed().as_secs_f64());

    workload::set_scale(10.0)?; // cpu_task: a sum of squares below 100 million
    let (_, seq) = Sequential::new().run(cpu_task, 0..8)?;
    let mut runs = vec![seq];
    for workers in [1, 2, 4] {
        let (_, run) = ProcessPool::new(workers)?.run(cpu_task, 0..8)?;
        runs.push(run);
    }
    println!("{}", compare(&runs));
    Ok(())
}
