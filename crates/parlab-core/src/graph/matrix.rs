//! The graph as data: an `M × M` `u8` adjacency matrix ([`Graph`]), and its
//! rows packed into bits ([`BitGraph`]) for the bitset algorithm.
//!
//! Invariant: a [`Graph`] is always square with `M >= 1`, and it is immutable
//! once built — it is shared behind an `Arc`, so cloning one (or handing it to
//! a thread) never copies the matrix; only serialising it does, which is what
//! the "naive" process pool does on purpose. Every constructor checks its
//! input, including whether the matrix fits in memory, before allocating.

use std::fmt;
use std::sync::Arc;

use ndarray::{Array2, ArrayView2};
use rand::distr::{Bernoulli, Distribution};
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::distance::{self, pack_rows, path_distance, path_distance_bits};
use crate::error::{Error, Result};
use crate::machine::memory::ensure_fits;

/// A directed graph as an `M × M` `u8` adjacency matrix: `adj[[r, c]] != 0`
/// means an edge `r → c`. Cheap to clone (the matrix is shared).
///
/// Serialising a `Graph` writes the whole matrix — `M²` bytes — which is the
/// cost the "naive" process pool pays on every task.
#[derive(Clone, PartialEq, Eq)]
pub struct Graph {
    adj: Arc<Array2<u8>>,
    edges: usize,
}

impl Graph {
    /// A random graph on `m` nodes: each of the `m × (m − 1)` possible edges
    /// `r → c` (`r != c`; no self-loops) is present with probability
    /// `fraction`, independently. The same `seed` gives the same graph.
    ///
    /// Errors, all before allocating: `m == 0`, `fraction` outside `[0, 1]`
    /// (or NaN), or an `m × m` matrix that does not fit in available memory.
    ///
    /// ```
    /// use parlab_core::graph::Graph;
    /// let g = Graph::random(100, 0.05, 42)?;
    /// assert_eq!(g, Graph::random(100, 0.05, 42)?);
    /// assert!((0..100).all(|i| g.matrix()[[i, i]] == 0));
    /// assert!(Graph::random(100, 1.5, 42).is_err());
    /// assert!(Graph::random(0, 0.5, 42).is_err());
    /// assert!(Graph::random(usize::MAX, 0.5, 42).is_err()); // too big, not a crash
    /// # Ok::<(), parlab_core::Error>(())
    /// ```
    pub fn random(m: usize, fraction: f64, seed: u64) -> Result<Graph> {
        if m == 0 {
            return Err(Error::InvalidArgument("a graph needs at least one node (M = 0)".into()));
        }
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::InvalidArgument(format!("the connection fraction must be in [0, 1], got {fraction}")));
        }
        ensure_fits((m as u128) * (m as u128), &format!("a {m} × {m} adjacency matrix"))?;
        let coin = Bernoulli::new(fraction).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut data = vec![0u8; m * m];
        let mut edges = 0;
        for (r, row) in data.chunks_exact_mut(m).enumerate() {
            for (c, cell) in row.iter_mut().enumerate() {
                if c != r && coin.sample(&mut rng) {
                    *cell = 1;
                    edges += 1;
                }
            }
        }
        let adj = Array2::from_shape_vec((m, m), data).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        Ok(Graph { adj: Arc::new(adj), edges })
    }

    /// A graph from an existing adjacency matrix (any nonzero entry is an edge;
    /// self-loops are allowed and change no distance).
    ///
    /// Errors: the matrix is not square, or is empty.
    ///
    /// ```
    /// use ndarray::array;
    /// use parlab_core::graph::Graph;
    /// let g = Graph::from_matrix(array![[0u8, 1], [0, 0]])?;
    /// assert_eq!((g.nodes(), g.edges()), (2, 1));
    /// assert!(Graph::from_matrix(array![[0u8, 1, 0], [0, 0, 1]]).is_err());
    /// # Ok::<(), parlab_core::Error>(())
    /// ```
    pub fn from_matrix(adj: Array2<u8>) -> Result<Graph> {
        distance::check_square(adj.dim())?;
        let edges = adj.iter().filter(|&&x| x != 0).count();
        Ok(Graph { adj: Arc::new(adj), edges })
    }

    /// Number of nodes, `M`.
    pub fn nodes(&self) -> usize {
        self.adj.nrows()
    }

    /// Number of edges (nonzero entries).
    pub fn edges(&self) -> usize {
        self.edges
    }

    /// Bytes the matrix occupies (`M²`).
    pub fn bytes(&self) -> usize {
        self.adj.len()
    }

    /// The adjacency matrix, borrowed.
    pub fn matrix(&self) -> ArrayView2<'_, u8> {
        self.adj.view()
    }

    /// The shared matrix itself (clone the `Arc` to keep it without copying).
    pub fn shared_matrix(&self) -> &Arc<Array2<u8>> {
        &self.adj
    }

    /// [`path_distance`] on this graph (the seed's method).
    pub fn path_distance(&self, i: usize, j: usize, max_hop: usize) -> Result<Option<usize>> {
        path_distance(self.matrix(), i, j, max_hop)
    }

    /// The rows packed into bits, for [`path_distance_bits`].
    pub fn to_bits(&self) -> Result<BitGraph> {
        Ok(BitGraph { bits: Arc::new(pack_rows(self.matrix())?) })
    }

    /// `n` seeded random pairs `(i, j)` of distinct nodes (for `m == 1`, `(0, 0)`).
    ///
    /// ```
    /// use parlab_core::graph::Graph;
    /// let pairs = Graph::random_pairs(50, 200, 3)?;
    /// assert_eq!(pairs.len(), 200);
    /// assert!(pairs.iter().all(|&(i, j)| i != j && i < 50 && j < 50));
    /// assert_eq!(pairs, Graph::random_pairs(50, 200, 3)?);
    /// # Ok::<(), parlab_core::Error>(())
    /// ```
    pub fn random_pairs(m: usize, n: usize, seed: u64) -> Result<Vec<(usize, usize)>> {
        if m == 0 {
            return Err(Error::InvalidArgument("pairs need at least one node (M = 0)".into()));
        }
        ensure_fits((n as u128) * 16, &format!("{n} pairs"))?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Ok((0..n)
            .map(|_| {
                if m == 1 {
                    return (0, 0);
                }
                let i = rng.random_range(0..m);
                // Uniform over the other m − 1 nodes.
                let j = (i + 1 + rng.random_range(0..m - 1)) % m;
                (i, j)
            })
            .collect())
    }
}

impl fmt::Debug for Graph {
    /// Short on purpose: task labels format their argument, and the matrix is big.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph({} nodes, {} edges)", self.nodes(), self.edges)
    }
}

impl Serialize for Graph {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.adj.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Graph {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Graph::from_matrix(Array2::<u8>::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A graph's rows packed into `u64` words (see [`pack_rows`]): the input of
/// the bitset algorithm. Cheap to clone; serialising copies `M² / 8` bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct BitGraph {
    bits: Arc<Array2<u64>>,
}

impl BitGraph {
    /// Wrap packed rows, checking their shape (`M × ceil(M / 64)`, `M >= 1`).
    pub fn from_words(bits: Array2<u64>) -> Result<BitGraph> {
        let (m, words) = bits.dim();
        if m == 0 || words != m.div_ceil(64) {
            return Err(Error::InvalidArgument(format!(
                "packed rows must be M × ceil(M / 64) words with M > 0, got {m} × {words}"
            )));
        }
        Ok(BitGraph { bits: Arc::new(bits) })
    }

    /// Number of nodes, `M`.
    pub fn nodes(&self) -> usize {
        self.bits.nrows()
    }

    /// The packed rows, borrowed.
    pub fn words(&self) -> ArrayView2<'_, u64> {
        self.bits.view()
    }

    /// [`path_distance_bits`] on these rows.
    pub fn path_distance(&self, i: usize, j: usize, max_hop: usize) -> Result<Option<usize>> {
        path_distance_bits(self.words(), i, j, max_hop)
    }
}

impl fmt::Debug for BitGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BitGraph({} nodes)", self.nodes())
    }
}

impl Serialize for BitGraph {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.bits.serialize(s)
    }
}

impl<'de> Deserialize<'de> for BitGraph {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        BitGraph::from_words(Array2::<u64>::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
