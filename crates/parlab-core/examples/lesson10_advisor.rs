//! Lesson 10: the advisor applies the visual guide's flowchart to a function.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson10_advisor
//! ```

use parlab_core::graph::{Graph, path_distance_task};
use parlab_core::prelude::*;

/// Computes for 1 unit, then waits for 4.
fn mixed(id: u32) -> u32 {
    burn_cpu(1.0);
    gil::sleep(workload::scaled(4.0));
    id
}

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    workload::set_scale(0.01)?;
    let (_, waiting) = Sequential::new().run(delayed_return_for, [(0, 2.0)])?;
    let (_, computing) = Sequential::new().run(burn_cpu, [2.0])?;
    for run in [&waiting, &computing] {
        println!("CPU {:.3} s of wall {:.3} s", run.cpu_time(), run.wall);
    }
    println!();

    workload::set_scale(0.01)?; // 2 s sleeps become 20 ms
    let advice = advise(delayed_return_for, (0..4).map(|i| (i, 2.0)))?;
    println!("{advice}");
    println!();

    workload::set_scale(0.1)?; // long_factorize of numbers near 10 million
    let advice = advise(long_factorize, [1, 3])?;
    println!("{advice}");
    println!();

    workload::set_scale(0.01)?;
    println!("{}", advise(mixed, 0..4)?.recommendation());
    println!();

    println!("{}\n", advise(is_prime, 1_000_000..1_000_100)?);

    let graph = Graph::random(2_000, 0.002, 7)?;
    let sample = Graph::random_pairs(2_000, 4, 8)?.into_iter().map(|(i, j)| (graph.clone(), i, j, 10));
    println!("{}", advise(path_distance_task, sample)?);
    println!();

    // Exercise 2: planning for 16 cores.
    workload::set_scale(0.1)?;
    let plan = Advisor::new().cores(16)?.advise(long_factorize, [1, 3])?;
    println!("{}", plan.recommendation());
    Ok(())
}
