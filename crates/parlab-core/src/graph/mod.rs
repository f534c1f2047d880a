//! Demo 2's workload: a random directed graph as an `M × M` `u8` adjacency
//! matrix, and hop-limited path distances over it.
//!
//! Invariant: a [`Graph`] is always square with `M >= 1`, and it is immutable
//! once built — it is shared behind an `Arc`, so cloning one (or handing it to
//! a thread) never copies the matrix; only serialising it does, which is what
//! the "naive" process pool does on purpose. Every constructor checks its
//! input, including whether the matrix fits in memory, before allocating.
//! This module holds data and algorithms only; the demo that runs them on
//! executors is [`crate::demo`].
//!
//! Two algorithms answer the same question (see [`distance`]):
//! [`path_distance`], the seed's repeated vector–matrix products (`M²` work
//! per hop), and [`path_distance_bits`], a bitset frontier search (work
//! proportional to the rows actually reached, 64 columns at a time).
//!
//! ```
//! use parlab_core::graph::Graph;
//! # fn main() -> parlab_core::Result<()> {
//! let g = Graph::random(200, 0.02, 7)?;
//! let bits = g.to_bits()?;
//! for (i, j) in Graph::random_pairs(g.nodes(), 20, 1)? {
//!     assert_eq!(g.path_distance(i, j, 10)?, bits.path_distance(i, j, 10)?);
//! }
//! assert_eq!(g.path_distance(5, 5, 10)?, Some(0)); // i → i is the empty path
//! # Ok(()) }
//! ```

pub mod distance;
mod matrix;
pub mod tasks;

pub use distance::{Algorithm, pack_rows, path_distance, path_distance_bits};
pub use matrix::{BitGraph, Graph};
pub use tasks::{path_distance_bits_shm, path_distance_bits_task, path_distance_shm, path_distance_task};
