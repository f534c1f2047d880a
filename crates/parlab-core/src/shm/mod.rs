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

use std::fmt;
use std::process::Child;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::ArrayView2;
use shared_memory::{ShmemConf, ShmemError};

use crate::error::{Error, Result};
use crate::machine::memory::ensure_fits;
use crate::sync::lock;
use crate::units::human_bytes;

mod os;
mod reaper;
mod segment;

pub use reaper::{NAME_PREFIX, SHM_DIR, list_segments, sweep_stale};
pub use segment::{ATTACH_CACHE_CAPACITY, ElemType, Element, MatrixHandle, SharedView, clear_attach_cache};

#[cfg(unix)]
use reaper::Owner;
use segment::{Mapping, segment_bytes};

/// Owns shared-memory segments and unlinks them all when dropped; if its
/// process dies first, its watchdog or the next manager's sweep does.
///
/// ```
/// use ndarray::array;
/// use parlab_core::shm::{SharedMemoryManager, list_segments};
/// # fn main() -> parlab_core::Result<()> {
/// let manager = SharedMemoryManager::new()?;
/// let shared = manager.share(array![[0.5f64, 1.5]].view())?;
/// assert!(list_segments()?.contains(&shared.handle().name));
/// assert_eq!(shared.view(), array![[0.5f64, 1.5]]); // the owner reads it in place too
/// drop(manager);
/// assert!(!list_segments()?.contains(&shared.handle().name));
/// # Ok(()) }
/// ```
pub struct SharedMemoryManager {
    prefix: String,
    pid: u32,
    next: AtomicU64,
    /// Segments made and not yet unlinked.
    live: Mutex<Vec<String>>,
    watchdog: Mutex<Option<Child>>,
}

impl SharedMemoryManager {
    /// A manager with a watchdog, after sweeping segments of dead owners.
    pub fn new() -> Result<Self> {
        Self::start(true)
    }

    /// A manager without a watchdog (cleanup after SIGKILL then relies on the
    /// next manager's sweep alone). For tests and for systems without `/bin/sh`.
    pub fn without_watchdog() -> Result<Self> {
        Self::start(false)
    }

    #[cfg(windows)]
    fn start(_watchdog: bool) -> Result<Self> {
        Err(crate::platform::needs_unix("SharedMemoryManager"))
    }

    #[cfg(unix)]
    fn start(watchdog: bool) -> Result<Self> {
        // Best effort: a sweep that cannot read /dev/shm must not stop this manager.
        let _ = sweep_stale();
        let owner = Owner::this_process()?;
        let prefix = owner.prefix(rand::random::<u32>());
        let watchdog = if watchdog { reaper::start_watchdog(&prefix) } else { None };
        Ok(SharedMemoryManager {
            prefix,
            pid: owner.pid,
            next: AtomicU64::new(0),
            live: Mutex::new(Vec::new()),
            watchdog: Mutex::new(watchdog),
        })
    }

    /// Copy `matrix` into a new segment and return it with its handle.
    ///
    /// Errors, before creating anything: a shape whose size overflows, more
    /// bytes than memory or `/dev/shm` has free. The space is reserved with
    /// `posix_fallocate`, so a full `/dev/shm` is an error here rather than a
    /// SIGBUS on first write.
    pub fn share<T: Element>(&self, matrix: ArrayView2<'_, T>) -> Result<SharedMatrix<T>> {
        if std::process::id() != self.pid {
            // Its segments would carry the parent's name and outlive this process.
            return Err(Error::Unsupported(
                "a manager inherited through fork cannot share: create a SharedMemoryManager in this process".into(),
            ));
        }
        let (rows, cols) = matrix.dim();
        let bytes = segment_bytes(rows, cols, T::TYPE)?;
        let what = format!("a shared {rows}×{cols} {} matrix", T::TYPE.name());
        ensure_fits(bytes as u128, &what)?;
        let free = os::free_bytes().unwrap_or(u64::MAX);
        if bytes as u64 > free {
            return Err(Error::InvalidArgument(format!(
                "{what} needs {} but {SHM_DIR} has only {} free",
                human_bytes(bytes as u128),
                human_bytes(u128::from(free))
            )));
        }
        let name = format!("{}{}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed));
        if name.len() > os::MAX_NAME_LEN {
            return Err(Error::Unsupported(format!(
                "segment name {name} is longer than the {} bytes this OS allows: start a new SharedMemoryManager",
                os::MAX_NAME_LEN
            )));
        }
        let mut shmem = ShmemConf::new().os_id(format!("/{name}")).size(bytes).create().map_err(|e| match e {
            ShmemError::MappingIdExists => Error::Os(format!("shared-memory segment {name} already exists")),
            other => Error::Os(format!("could not create shared-memory segment {name}: {other}")),
        })?;
        // Until registered below, the crate's owner flag unlinks it on any early return.
        os::reserve(&name, bytes)?;
        let map = Mapping::created(
            {
                lock(&self.live).push(name.clone());
                shmem.set_owner(false); // from now on the manager unlinks it
                shmem
            },
            name.clone(),
        );
        map.write_header(T::TYPE, rows, cols);
        write_elements(&map, matrix);
        let handle = MatrixHandle { name, rows, cols, elem: T::TYPE };
        let view = handle_view(&handle, map);
        Ok(SharedMatrix { handle, view })
    }

    /// Names of the segments this manager holds.
    pub fn segments(&self) -> Vec<String> {
        lock(&self.live).clone()
    }

    /// Process id of the watchdog, if one is running.
    pub fn watchdog_pid(&self) -> Option<u32> {
        lock(&self.watchdog).as_ref().map(Child::id)
    }

    /// Unlink every segment now and stop the watchdog. Views and handles
    /// already attached keep working; new attaches fail. Idempotent; a forked
    /// child's copy of a manager does nothing (the segments are its parent's).
    pub fn shutdown(&self) {
        if std::process::id() != self.pid {
            return;
        }
        let names: Vec<String> = lock(&self.live).drain(..).collect();
        for name in &names {
            reaper::unlink(name);
        }
        // Other processes' caches, and other notebook cells' copies of this
        // one, notice the names are gone on their next attach.
        segment::forget(&names);
        if let Some(mut child) = lock(&self.watchdog).take() {
            drop(child.stdin.take()); // end-of-file: it removes nothing left and exits
            let _ = child.wait();
        }
    }
}

impl Drop for SharedMemoryManager {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for SharedMemoryManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedMemoryManager({} segments, prefix {})", lock(&self.live).len(), self.prefix)
    }
}

/// A matrix in a segment owned by a [`SharedMemoryManager`]: readable in
/// place here, and attachable anywhere through [`SharedMatrix::handle`].
#[derive(Clone)]
pub struct SharedMatrix<T: Element> {
    handle: MatrixHandle,
    view: SharedView<T>,
}

impl<T: Element> SharedMatrix<T> {
    /// The handle to send to workers.
    pub fn handle(&self) -> &MatrixHandle {
        &self.handle
    }

    /// The matrix, in place in shared memory.
    pub fn view(&self) -> ArrayView2<'_, T> {
        self.view.view()
    }
}

impl<T: Element> fmt::Debug for SharedMatrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedMatrix({} {:?})", self.handle.name, self.handle)
    }
}

fn handle_view<T: Element>(handle: &MatrixHandle, map: Mapping) -> SharedView<T> {
    SharedView::from_parts(std::sync::Arc::new(map), handle.rows, handle.cols)
}

/// Copy the elements row by row into a segment nobody else knows of yet.
fn write_elements<T: Element>(map: &Mapping, matrix: ArrayView2<'_, T>) {
    let dst = map.data_ptr() as *mut T;
    if let Some(src) = matrix.as_slice() {
        // SAFETY: the segment was sized for exactly src.len() elements of T, aligned.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
    } else {
        for (k, &x) in matrix.iter().enumerate() {
            // SAFETY: iter() is row-major and yields rows × cols elements.
            unsafe { dst.add(k).write(x) };
        }
    }
}
