//! The owner's side of shared memory: [`SharedMemoryManager`] makes named
//! segments, copies matrices into them and unlinks them all when dropped;
//! [`SharedMatrix`] is one of them, with the handle to send to workers.
//!
//! Invariant: every segment a manager makes is in its `live` list until it is
//! unlinked, and a manager unlinks all of them when dropped or shut down.

use std::fmt;
use std::process::Child;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::ArrayView2;
use shared_memory::{ShmemConf, ShmemError};

use super::os::{self, SHM_DIR};
use super::reaper;
#[cfg(unix)]
use super::reaper::{Owner, sweep_stale};
use super::segment::{self, Element, Mapping, MatrixHandle, SharedView, segment_bytes};
use crate::error::{Error, Result};
use crate::machine::memory::ensure_fits;
use crate::sync::lock;
use crate::units::human_bytes;

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
