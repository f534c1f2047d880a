//! The visual guide's experiment: 14 tasks of 2 s each under four approaches,
//! with the simulated GIL on, as CPython runs them.
//!
//! ```text
//! cargo run --release -p parlab-core --example visual_guide            # scale 0.1: 2 s → 0.2 s
//! cargo run --release -p parlab-core --example visual_guide -- 1.0     # the guide's real 28 s
//! ```

use parlab_core::prelude::*;

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    let scale: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0.1);
    workload::set_scale(scale)?;
    let tasks: Vec<(usize, f64)> = (1..=14).map(|i| (i, 2.0)).collect();
    println!("14 tasks × 2 s, time scale {scale} (each task sleeps {:.2} s)\n", 2.0 * scale);

    let (_, sequential) = Sequential::new().run(delayed_return_for, tasks.clone())?;
    let (_, processes) = ProcessPool::new(3)?.gil(true).run(delayed_return_for, tasks.clone())?;
    let (_, hybrid) = HybridPool::new(3, 3)?.gil(true).run(delayed_return_for, tasks.clone())?;
    let (_, threads) = ThreadPool::new(14)?.gil(true).run(delayed_return_for, tasks)?;

    println!("{}", compare([&sequential, &processes, &hybrid, &threads]));
    println!("Scaled back to the guide's seconds (divide by the scale):");
    for run in [&sequential, &processes, &hybrid, &threads] {
        println!("  {:<28} {:>6.2} s", run.label, run.wall / scale);
    }
    println!("\nThe guide measured 28.09 s, 10.61 s, 4.54 s and 2.15 s.");
    Ok(())
}
