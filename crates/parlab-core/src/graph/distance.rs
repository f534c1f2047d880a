//! Hop-limited path distances, two ways: the seed's repeated vector–matrix
//! products and a bitset frontier search.
//!
//! Invariant: for every square matrix and every `(i, j, max_hop)`, the two
//! methods return the same answer — `Some(0)` when `i == j`, `Some(h)` for the
//! fewest hops `h <= max_hop` of any path from `i` to `j`, `None` when there is
//! no such path. A nonzero entry `adj[[r, c]]` is an edge `r → c`. Neither
//! method panics or allocates more than a few rows on any input, including
//! matrices read from shared memory that another process wrote, and neither
//! does more than `M` hops, however large `max_hop` is: both stop once a hop
//! reaches no node they had not reached before.

use std::fmt;
use std::str::FromStr;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gil;

/// Which of the two path-distance methods to use.
///
/// ```
/// use parlab_core::graph::Algorithm;
/// assert_eq!("bitset".parse::<Algorithm>()?, Algorithm::Bitset);
/// assert_eq!(Algorithm::Product.to_string(), "product");
/// assert!("fast".parse::<Algorithm>().is_err());
/// # Ok::<(), parlab_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// The seed's repeated vector–matrix products ([`path_distance`]): `M²` work per hop.
    #[default]
    Product,
    /// The bitset frontier search ([`path_distance_bits`]): 64 columns at a time.
    Bitset,
}

impl Algorithm {
    /// Both, in the order the lessons meet them.
    pub const ALL: [Algorithm; 2] = [Algorithm::Product, Algorithm::Bitset];

    /// Its name in lower case, as [`FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Product => "product",
            Algorithm::Bitset => "bitset",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| {
            Error::InvalidArgument(format!("no path-distance algorithm is called {s:?}; use product or bitset"))
        })
    }
}

/// Fewest hops from `i` to `j` (at most `max_hop`), by repeated vector–matrix
/// products — the seed's NumPy method.
///
/// Start from row `i` (the nodes one hop away); while column `j` is zero and
/// fewer than `max_hop` hops are done, replace the vector by its product with
/// the matrix (the nodes one hop further). Each product touches all `M × M`
/// entries, however few nodes the vector holds: that is the point of the demo.
///
/// Returns `Some(0)` for `i == j` (the empty path), `Some(h)` for the shortest
/// path of `h <= max_hop` hops, and `None` when `j` is not reachable within
/// `max_hop` hops (or at all). It stops as soon as a hop reaches no new node,
/// so it does at most `M` products even for `max_hop = usize::MAX`.
///
/// The product is Boolean (OR of ANDs), so the vector holds "reachable in
/// exactly `h` hops" rather than a count of walks. NumPy's `uint8 @ uint8`
/// counts walks and wraps past 255, so a column reached by exactly 256 walks
/// reads as 0 there; the Boolean product cannot wrap.
///
/// Errors: the matrix is not square or is empty, or `i`/`j` is out of range.
///
/// ```
/// use ndarray::array;
/// use parlab_core::graph::path_distance;
/// // 0 → 1 → 2, and 2 → 0
/// let adj = array![[0u8, 1, 0], [0, 0, 1], [1, 0, 0]];
/// assert_eq!(path_distance(adj.view(), 0, 2, 10)?, Some(2));
/// assert_eq!(path_distance(adj.view(), 0, 2, 1)?, None); // needs 2 hops
/// assert_eq!(path_distance(adj.view(), 1, 1, 0)?, Some(0));
/// assert!(path_distance(adj.view(), 0, 3, 10).is_err());
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn path_distance(adj: ArrayView2<'_, u8>, i: usize, j: usize, max_hop: usize) -> Result<Option<usize>> {
    let m = check_square(adj.dim())?;
    check_node(i, m, "i")?;
    check_node(j, m, "j")?;
    if i == j {
        return Ok(Some(0));
    }
    if max_hop == 0 {
        return Ok(None);
    }
    // A view from shared memory is always in standard layout, so this borrows.
    let adj = adj.as_standard_layout();
    let a = adj.as_slice().ok_or_else(|| Error::InvalidArgument("matrix is not contiguous".into()))?;
    let mut v: Vec<u8> = a[i * m..(i + 1) * m].to_vec();
    let mut next = vec![0u8; m];
    // Nodes reached within the hops done so far. `v` alone ("exactly h hops")
    // can cycle forever; this union only grows, and once a hop adds nothing it
    // never will again (the next hop's nodes are neighbours of nodes already
    // in it), so `j` is unreachable. That bounds the loop by `M` hops however
    // large `max_hop` is, and costs `M` bytes per hop against the product's `M²`.
    let mut reached: Vec<bool> = v.iter().map(|&x| x != 0).collect();
    for hop in 1..=max_hop {
        if v[j] != 0 {
            return Ok(Some(hop));
        }
        if hop == max_hop {
            break;
        }
        next.fill(0);
        for (k, row) in a.chunks_exact(m).enumerate() {
            // Every row is read, as NumPy's product reads it. Opaque to the
            // optimiser, or it would test the mask and skip zero rows — quietly
            // turning this into the sparse algorithm this demo compares against.
            let mask = std::hint::black_box(0u8.wrapping_sub((v[k] != 0) as u8));
            for (n, &x) in next.iter_mut().zip(row) {
                *n |= x & mask;
            }
        }
        // One hop is well under a millisecond, far below the GIL's 5 ms switch interval.
        gil::tick();
        std::mem::swap(&mut v, &mut next);
        let mut grew = false;
        for (r, &x) in reached.iter_mut().zip(&v) {
            if x != 0 && !*r {
                *r = true;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    Ok(None)
}

/// Pack an adjacency matrix into bits: row `r` becomes `ceil(M / 64)` words,
/// bit `c % 64` of word `c / 64` set when `adj[[r, c]] != 0`.
///
/// ```
/// use ndarray::array;
/// use parlab_core::graph::pack_rows;
/// let bits = pack_rows(array![[0u8, 1], [1, 0]].view())?;
/// assert_eq!(bits, array![[0b10u64], [0b01]]);
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn pack_rows(adj: ArrayView2<'_, u8>) -> Result<Array2<u64>> {
    let m = check_square(adj.dim())?;
    let words = m.div_ceil(64);
    crate::machine::memory::ensure_fits(
        (m as u128) * (words as u128) * 8,
        &format!("the packed rows of a {m} × {m} matrix"),
    )?;
    let mut bits = Array2::<u64>::zeros((m, words));
    for (src, mut dst) in adj.outer_iter().zip(bits.outer_iter_mut()) {
        for (c, &x) in src.iter().enumerate() {
            if x != 0 {
                dst[c / 64] |= 1u64 << (c % 64);
            }
        }
    }
    Ok(bits)
}

/// [`path_distance`] by breadth-first search over packed rows (see
/// [`pack_rows`]): same answers, but each hop ORs together only the rows of
/// the newly reached nodes, 64 columns per instruction, instead of reading
/// the whole matrix. On a sparse graph that is thousands of times less work —
/// an algorithm beating more cores.
///
/// Errors: `bits` is not `M × ceil(M / 64)` with `M > 0`, or `i`/`j` is out of range.
/// Bits past column `M - 1` in the last word are ignored.
///
/// ```
/// use ndarray::array;
/// use parlab_core::graph::{pack_rows, path_distance_bits};
/// let adj = array![[0u8, 1, 0], [0, 0, 1], [1, 0, 0]];
/// let bits = pack_rows(adj.view())?;
/// assert_eq!(path_distance_bits(bits.view(), 0, 2, 10)?, Some(2));
/// assert_eq!(path_distance_bits(bits.view(), 0, 2, 1)?, None);
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn path_distance_bits(bits: ArrayView2<'_, u64>, i: usize, j: usize, max_hop: usize) -> Result<Option<usize>> {
    let (m, words) = bits.dim();
    if m == 0 || words != m.div_ceil(64) {
        return Err(Error::InvalidArgument(format!(
            "packed rows must be M × ceil(M / 64) words with M > 0, got {m} × {words}"
        )));
    }
    check_node(i, m, "i")?;
    check_node(j, m, "j")?;
    if i == j {
        return Ok(Some(0));
    }
    if max_hop == 0 {
        return Ok(None);
    }
    let bits = bits.as_standard_layout();
    let b = bits.as_slice().ok_or_else(|| Error::InvalidArgument("packed rows are not contiguous".into()))?;
    // Garbage past column M - 1 (a segment someone else wrote) must never name a row.
    let tail = match m % 64 {
        0 => u64::MAX,
        r => (1u64 << r) - 1,
    };
    let mut visited = vec![0u64; words];
    visited[i / 64] |= 1 << (i % 64);
    let mut frontier: Vec<u64> = b[i * words..(i + 1) * words].to_vec();
    let mut next = vec![0u64; words];
    for hop in 1..=max_hop {
        frontier[words - 1] &= tail;
        for (f, v) in frontier.iter_mut().zip(&visited) {
            *f &= !v;
        }
        if frontier[j / 64] & (1 << (j % 64)) != 0 {
            return Ok(Some(hop));
        }
        if hop == max_hop || frontier.iter().all(|&w| w == 0) {
            break;
        }
        for (v, f) in visited.iter_mut().zip(&frontier) {
            *v |= f;
        }
        next.fill(0);
        for (w, &word) in frontier.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let k = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                for (n, &x) in next.iter_mut().zip(&b[k * words..(k + 1) * words]) {
                    *n |= x;
                }
            }
        }
        gil::tick(); // once per hop: a hop is at most M × M / 64 word ORs
        std::mem::swap(&mut frontier, &mut next);
    }
    Ok(None)
}

/// The side of a square, nonempty matrix.
pub(crate) fn check_square((rows, cols): (usize, usize)) -> Result<usize> {
    if rows != cols {
        return Err(Error::InvalidArgument(format!("an adjacency matrix must be square, got {rows} × {cols}")));
    }
    if rows == 0 {
        return Err(Error::InvalidArgument("an adjacency matrix needs at least one node (M = 0)".into()));
    }
    Ok(rows)
}

pub(crate) fn check_node(node: usize, m: usize, name: &str) -> Result<()> {
    if node >= m {
        return Err(Error::InvalidArgument(format!("{name} = {node} is not a node: the graph has nodes 0..{m}")));
    }
    Ok(())
}
