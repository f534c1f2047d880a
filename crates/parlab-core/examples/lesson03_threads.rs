//! Lesson 3: threads help waiting work under a GIL, and CPU work only without one.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson03_threads
//! ```

use parlab_core::prelude::*;

fn main() -> parlab_core::Result<()> {
    // Waiting work: the visual guide's 14 tasks × 2 s.
    workload::set_scale(0.01)?; // 2 s becomes 20 ms
    let tasks: Vec<(usize, f64)> = (1..=14).map(|i| (i, 2.0)).collect();
    let (_, seq) = Sequential::new().run(delayed_return_for, tasks.clone())?;
    let (_, threads) = ThreadPool::new(14)?.gil(true).run(delayed_return_for, tasks)?;
    println!("{}", compare([&seq, &threads]));

    // CPU work: the seed's long_factorize of four numbers near 100 million.
    workload::set_scale(1.0)?;
    let offsets = [0, 2, 6, 8]; // odd numbers: each takes tens of millions of steps
    let (_, seq) = Sequential::new().run(long_factorize, offsets)?;
    let (_, gil_on) = ThreadPool::new(4)?.gil(true).run(long_factorize, offsets)?;
    let (_, gil_off) = ThreadPool::new(4)?.run(long_factorize, offsets)?;
    println!("{}", compare([&seq, &gil_on, &gil_off]));
    println!("{}", gil_on.report());
    Ok(())
}
