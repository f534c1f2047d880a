//! Lesson 2: four CPU-bound tasks on four threads, simulated GIL off and on.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson02_gil
//! ```

use parlab_core::prelude::*;

fn main() -> parlab_core::Result<()> {
    workload::set_scale(0.05)?; // each task computes for 0.05 s of CPU time
    let (_, seq) = Sequential::new().run(burn_cpu, vec![1.0; 4])?;
    let (_, free) = ThreadPool::new(4)?.run(burn_cpu, vec![1.0; 4])?;
    let pool = ThreadPool::new(4)?.gil(true);
    let (_, locked) = pool.run(burn_cpu, vec![1.0; 4])?;
    println!("{}", compare([&seq, &free, &locked]));
    println!("{}", locked.report());
    println!("the GIL was handed over {} times", pool.gil_switches());
    Ok(())
}
