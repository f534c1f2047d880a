//! Lesson 11: the bitset search against the seed's matrix products, one core each.
//!
//! ```text
//! cargo run --release -p parlab-core --example lesson11_algorithm
//! ```

use parlab_core::graph::Graph;
use parlab_core::record::timed;

fn main() -> parlab_core::Result<()> {
    let graph = Graph::random(2_000, 0.002, 7)?;
    let bits = graph.to_bits()?;
    let pairs = Graph::random_pairs(graph.nodes(), 100, 8)?;

    let (product, slow) =
        timed(|| pairs.iter().map(|&(i, j)| graph.path_distance(i, j, 10)).collect::<Result<Vec<_>, _>>());
    let (bitset, fast) =
        timed(|| pairs.iter().map(|&(i, j)| bits.path_distance(i, j, 10)).collect::<Result<Vec<_>, _>>());
    assert_eq!(product?, bitset?);
    println!("products {:.1} ms, bitset {:.3} ms: {:.0}x less time", slow * 1e3, fast * 1e3, slow / fast);

    // Exercise 1: a dense graph.
    let graph = Graph::random(500, 0.5, 7)?;
    let bits = graph.to_bits()?;
    let pairs = Graph::random_pairs(500, 100, 8)?;
    let (_, slow) = timed(|| pairs.iter().map(|&(i, j)| graph.path_distance(i, j, 10)).collect::<Vec<_>>());
    let (_, fast) = timed(|| pairs.iter().map(|&(i, j)| bits.path_distance(i, j, 10)).collect::<Vec<_>>());
    println!("{:.0}x", slow / fast);
    Ok(())
}
