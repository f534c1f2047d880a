//! Lesson 8: Amdahl's law measured: a job with a serial step, swept over
//! worker counts, and the serial fraction that fits the sweep.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson08_amdahl
//! ```

use parlab_core::prelude::*;
use parlab_core::record::{Sweep, amdahl_speedup, fit_serial_fraction, timed};

/// The whole job: 8 units of serial work (reading the input, say), then 32
/// tasks of 1 unit each, on `workers` threads.
fn job(workers: usize) -> parlab_core::Result<f64> {
    let tasks: Vec<(u32, f64)> = (0..32).map(|i| (i, 1.0)).collect();
    let (out, secs) = timed(|| -> parlab_core::Result<()> {
        std::thread::sleep(workload::scaled(8.0)); // serial: nothing else can happen yet
        ThreadPool::new(workers)?.map(delayed_return_for, tasks)?; // parallel
        Ok(())
    });
    out.map(|()| secs)
}

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    workload::set_scale(0.002)?; // a unit is 2 ms
    let one = job(1)?;
    let mut points = Vec::new();
    for workers in [1, 2, 4, 8, 16] {
        let speedup = one / job(workers)?;
        println!(
            "{workers:>2} threads: {speedup:4.2}x   (Amdahl with 20% serial: {:.2}x)",
            amdahl_speedup(0.2, workers)
        );
        points.push((workers, speedup));
    }
    println!("fitted serial fraction: {:.2}", fit_serial_fraction(&points).unwrap_or(f64::NAN));
    println!();

    workload::set_scale(10.0)?; // cpu_task: a sum of squares below 100 million
    let (_, baseline) = Sequential::new().run(cpu_task, 0..8)?;
    let sweep = Sweep::measure("cpu_task on processes", baseline.wall, [1, 2, 4, 8], |n| {
        Ok(ProcessPool::new(n)?.run(cpu_task, 0..8)?.1)
    })?;
    for (workers, speedup) in sweep.points() {
        println!("{workers:>2} processes: {speedup:4.2}x");
    }
    println!("fitted serial fraction: {:.2}", sweep.serial_fraction().unwrap_or(f64::NAN));
    Ok(())
}
