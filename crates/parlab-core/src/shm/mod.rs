//! Shared memory for big read-only matrices: one named segment per matrix, a
//! small serialisable [`MatrixHandle`] for workers, and a
//! [`SharedMemoryManager`] that owns the segments — the Rust form of Python's
//! `multiprocessing.managers.SharedMemoryManager`, built on the
//! `shared_memory` crate.
//!
//! Invariant: **no segment outlives its owner.** Every segment is named
//! `parlab_<pidns>_<pid>_<start>_<tag>_<n>` after the process that created it,
//! and is removed by whichever of these comes first:
//!
//! 1. the manager is dropped (or [`SharedMemoryManager::shutdown`]): it
//!    unlinks every segment it made — the normal path;
//! 2. the owner process dies in any way, SIGKILL included (a Jupyter kernel
//!    restart is exactly that): the manager's *watchdog*, a tiny `/bin/sh`
//!    holding the read end of a pipe whose only writer is the manager, sees
//!    end-of-file and removes `parlab_<…>_<tag>_*`;
//! 3. if the watchdog died too (the whole process group was killed, or there
//!    is no `/bin/sh`): the next [`SharedMemoryManager::new`], in any process,
//!    sweeps segments whose owner is provably dead ([`sweep_stale`]); the pid
//!    namespace and start time in the name make "provably" hold even when the
//!    pid was reused, and segments of live owners are never touched.
//!
//! Path 2 is what Python's `resource_tracker` process does for its
//! `SharedMemory` blocks; path 3 is what it cannot do once the tracker is gone.
//!
//! A worker that is killed owns nothing: its mappings vanish with it, and the
//! segment stays for the other workers and for the pool's replacement worker.
//!
//! # Trade-offs
//! - *Unlink as soon as every worker has attached* would make leaks impossible
//!   by construction (a mapping keeps the memory, the name is gone), but a
//!   process pool replaces a crashed worker and a later pool or notebook cell
//!   attaches again, both by name; so the name must live as long as the
//!   manager. Python's manager makes the same choice.
//! - The watchdog is one extra small process per manager, started with it.
//!   A process that forks children which neither exec nor close inherited
//!   descriptors (pool workers do close them) keeps its pipe open, delaying
//!   path 2 until those children exit too — never past them.
//! - Path 3 runs only when some parlab program starts a manager again; until
//!   then a segment whose owner *and* watchdog were killed stays in `/dev/shm`.
//!
//! # What the `shared_memory` crate does, and what this module adds
//! The crate (0.12.4) creates, opens and maps the segments (`shm_open`,
//! `ftruncate`, `mmap`). Around it:
//! - its owner flag unlinks a segment when the owning `Shmem` is dropped —
//!   never on SIGKILL, hence paths 2 and 3; and it is turned off once the
//!   manager has registered the name, so a segment is unlinked exactly when
//!   its manager says, not when the last view happens to drop;
//! - a `Shmem` closes its descriptor when dropped, but a forked worker has
//!   already closed (and may have reused) that descriptor number, so a mapping
//!   dropped in any process but the one that made it is left alone (its
//!   `Shmem` forgotten): it goes when that process exits, as the parent's own
//!   views of the segment, inherited and never dropped there, do;
//! - `ftruncate` on tmpfs reserves nothing, and writing to a segment that
//!   `/dev/shm` has no room for is a SIGBUS; so `share` checks the free space
//!   and reserves the pages with `posix_fallocate` first.
//!
//! # Notebooks
//! Forked workers inherit the kernel's mappings, yet what crosses into a task
//! is its *argument*: the handle (a few dozen bytes) instead of the matrix.
//! Workers started with `Spawn` share nothing and need the name. Each cell
//! has its own copy of this crate's statics, so the per-process attach cache
//! is per cell; it is only a cache (see [`MatrixHandle::attach`]). It holds at
//! most [`ATTACH_CACHE_CAPACITY`] segments, and never keeps one mapped once it
//! is unlinked: each cache, in each cell and each process, checks `/dev/shm`
//! on every attach and unmaps what has left it, whoever unlinked it.
//!
//! ```
//! use ndarray::Array2;
//! use parlab_core::prelude::*;
//! use parlab_core::shm::{MatrixHandle, SharedMemoryManager};
//!
//! fn row_sum((handle, row): (MatrixHandle, usize)) -> u64 {
//!     let shared = handle.attach::<u8>().expect("attach"); // once per worker, then cached
//!     shared.view().row(row).iter().map(|&x| u64::from(x)).sum()
//! }
//!
//! # fn main() -> parlab_core::Result<()> {
//! let manager = SharedMemoryManager::new()?;
//! let matrix = Array2::<u8>::from_shape_fn((1000, 1000), |(r, c)| ((r + c) % 3) as u8);
//! let shared = manager.share(matrix.view())?;
//! let pool = ProcessPool::new(2)?;
//! let sums = pool.map(row_sum, (0..4).map(|r| (shared.handle().clone(), r)))?;
//! assert_eq!(sums[0], matrix.row(0).iter().map(|&x| u64::from(x)).sum::<u64>());
//! drop(manager); // unlinks the segment
//! assert!(shared.handle().attach_uncached::<u8>().is_err());
//! # Ok(()) }
//! ```

mod manager;
mod os;
mod reaper;
mod segment;

pub use manager::{SharedMatrix, SharedMemoryManager};
pub use os::SHM_DIR;
pub use reaper::{NAME_PREFIX, list_segments, sweep_stale};
pub use segment::{ATTACH_CACHE_CAPACITY, ElemType, Element, MatrixHandle, SharedView, clear_attach_cache};
