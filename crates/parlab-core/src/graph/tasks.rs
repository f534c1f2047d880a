//! Path distances as process-pool tasks: plain `fn(A) -> R` with serde
//! arguments, one per way of handing the matrix to a worker.
//!
//! Invariant: a task never panics on bad input. Its result is a
//! `Result<_, String>` (parlab's [`Error`](crate::Error) is not serde), whose
//! `Err` is the error's sentence. Only the *argument* differs between the
//! naive and shared-memory tasks — the whole matrix, or a [`MatrixHandle`] —
//! so timing them side by side measures exactly the cost of handing it over.

use super::distance::{path_distance, path_distance_bits};
use super::matrix::{BitGraph, Graph};
use crate::shm::MatrixHandle;

/// What a path-distance task returns: the distance, or why it could not be computed.
pub type TaskResult = Result<Option<usize>, String>;

/// Naive way (a): the whole graph travels with every task, serialised by the
/// pool and deserialised by the worker — Python's pickling baseline.
///
/// ```
/// use parlab_core::graph::{Graph, path_distance_task};
/// let g = Graph::random(50, 0.1, 1)?;
/// assert_eq!(path_distance_task((g.clone(), 0, 1, 10)), Ok(g.path_distance(0, 1, 10)?));
/// assert!(path_distance_task((g, 0, 99, 10)).is_err());
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn path_distance_task((graph, i, j, max_hop): (Graph, usize, usize, usize)) -> TaskResult {
    graph.path_distance(i, j, max_hop).map_err(|e| e.to_string())
}

/// [`path_distance_task`] for the bitset algorithm: the packed rows travel with every task.
pub fn path_distance_bits_task((bits, i, j, max_hop): (BitGraph, usize, usize, usize)) -> TaskResult {
    bits.path_distance(i, j, max_hop).map_err(|e| e.to_string())
}

/// Shared-memory way (b): only the handle travels; the worker attaches to the
/// `u8` matrix once (then reuses the mapping) and reads it in place.
///
/// ```
/// use parlab_core::graph::{Graph, path_distance_shm};
/// use parlab_core::shm::SharedMemoryManager;
/// # fn main() -> parlab_core::Result<()> {
/// let g = Graph::random(50, 0.1, 1)?;
/// let manager = SharedMemoryManager::new()?;
/// let shared = manager.share(g.matrix())?;
/// let handle = shared.handle().clone();
/// assert_eq!(path_distance_shm((handle.clone(), 0, 1, 10)), Ok(g.path_distance(0, 1, 10)?));
/// drop(manager);
/// parlab_core::shm::clear_attach_cache();
/// assert!(path_distance_shm((handle, 0, 1, 10)).unwrap_err().contains("no shared-memory segment"));
/// # Ok(()) }
/// ```
pub fn path_distance_shm((handle, i, j, max_hop): (MatrixHandle, usize, usize, usize)) -> TaskResult {
    let shared = handle.attach::<u8>().map_err(|e| e.to_string())?;
    path_distance(shared.view(), i, j, max_hop).map_err(|e| e.to_string())
}

/// [`path_distance_shm`] for the bitset algorithm: the handle names a `u64`
/// matrix of packed rows (share [`BitGraph::words`]).
pub fn path_distance_bits_shm((handle, i, j, max_hop): (MatrixHandle, usize, usize, usize)) -> TaskResult {
    let shared = handle.attach::<u64>().map_err(|e| e.to_string())?;
    path_distance_bits(shared.view(), i, j, max_hop).map_err(|e| e.to_string())
}
