//! Lessons 9 and 11: demo 2's path distances, the matrix handed over four ways,
//! with the seed's algorithm and with the bitset one.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson09_shared
//! ```

use parlab_core::demo::PathDemo;
use parlab_core::graph::Algorithm;
use parlab_core::graph::Graph;
use parlab_core::prelude::*;

fn main() -> parlab_core::Result<()> {
    parlab_core::init();
    let graph = Graph::random(2_000, 0.002, 7)?; // 2,000 nodes, 0.2% of edges, seed 7
    println!("{graph:?}, {} bytes", graph.bytes());
    println!("0 → 1 in {:?} hops", graph.path_distance(0, 1, 10)?);
    println!();

    // 2,000 nodes (a 4 MB matrix), 0.2% of edges, 200 pairs, at most 10 hops.
    let demo = PathDemo::new(2_000, 0.002, 7, 200, 10)?;
    let product = demo.clone().algorithm(Algorithm::Product)?.four_ways(2)?;
    assert!(product.agree());
    println!("{}", compare(product.runs()));

    let bitset = demo.algorithm(Algorithm::Bitset)?.four_ways(2)?;
    assert!(bitset.agree());
    for run in bitset.runs() {
        println!("{:<34} {:>8.2} ms", run.label, run.wall * 1e3);
    }
    Ok(())
}
