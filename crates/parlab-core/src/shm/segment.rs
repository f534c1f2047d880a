//! One matrix in one named segment: its layout, the handle that names it,
//! and attaching to it from any process.
//!
//! Invariant: a segment is `HEADER` bytes (magic, element type, shape) then
//! the elements in row-major order, written once by its creator *before* any
//! handle to it exists and never written again; so every view of it, in any
//! process, is a plain read-only `ArrayView2` with no copy and no lock.
//! Attaching checks the segment against the handle (exists, exact size, same
//! element type and shape) and fails with a sentence, never a crash.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use shared_memory::Shmem;
#[cfg(unix)]
use shared_memory::{ShmemConf, ShmemError};

use super::os::SHM_DIR;
use crate::error::{Error, Result};
use crate::sync::lock;

/// Bytes before the elements; 64 keeps the data aligned for every element type.
pub(crate) const HEADER: usize = 64;
const MAGIC: u64 = u64::from_le_bytes(*b"parlabSH");
const VERSION: u32 = 1;

/// The element type of a shared matrix, carried in its handle and header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ElemType {
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl ElemType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            ElemType::U8 | ElemType::I8 => 1,
            ElemType::U16 | ElemType::I16 => 2,
            ElemType::U32 | ElemType::I32 | ElemType::F32 => 4,
            ElemType::U64 | ElemType::I64 | ElemType::F64 => 8,
        }
    }

    /// Rust's name for the type (`u8`, `f64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ElemType::U8 => "u8",
            ElemType::U16 => "u16",
            ElemType::U32 => "u32",
            ElemType::U64 => "u64",
            ElemType::I8 => "i8",
            ElemType::I16 => "i16",
            ElemType::I32 => "i32",
            ElemType::I64 => "i64",
            ElemType::F32 => "f32",
            ElemType::F64 => "f64",
        }
    }

    const ALL: [ElemType; 10] = [
        ElemType::U8,
        ElemType::U16,
        ElemType::U32,
        ElemType::U64,
        ElemType::I8,
        ElemType::I16,
        ElemType::I32,
        ElemType::I64,
        ElemType::F32,
        ElemType::F64,
    ];

    fn code(self) -> u32 {
        ElemType::ALL.iter().position(|&e| e == self).expect("listed") as u32 + 1
    }

    fn from_code(code: u32) -> Option<ElemType> {
        ElemType::ALL.get((code as usize).checked_sub(1)?).copied()
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A plain number type a shared matrix may hold: every bit pattern is a valid
/// value, so reading bytes another process wrote is always sound.
pub trait Element: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The tag stored in handles and headers.
    const TYPE: ElemType;
}

macro_rules! element {
    ($($t:ty => $e:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const TYPE: ElemType = ElemType::$e;
        }
    )*};
}
element!(u8 => U8, u16 => U16, u32 => U32, u64 => U64, i8 => I8, i16 => I16, i32 => I32, i64 => I64, f32 => F32, f64 => F64);

/// What a worker needs to find a shared matrix: the segment's name, the shape
/// and the element type. A few dozen bytes, whatever the matrix's size — this
/// is what crosses into a process task instead of the matrix.
///
/// ```
/// use ndarray::array;
/// use parlab_core::shm::{MatrixHandle, SharedMemoryManager};
/// # fn main() -> parlab_core::Result<()> {
/// let manager = SharedMemoryManager::new()?;
/// let shared = manager.share(array![[1u8, 2], [3, 4]].view())?;
/// let bytes = postcard::to_allocvec(shared.handle()).unwrap();
/// assert!(bytes.len() < 100);
/// let handle: MatrixHandle = postcard::from_bytes(&bytes).unwrap();
/// assert_eq!(handle.attach::<u8>()?.view(), array![[1u8, 2], [3, 4]]);
/// assert!(handle.attach::<u64>().is_err()); // wrong element type
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MatrixHandle {
    /// Segment name (as listed in `/dev/shm`).
    pub name: String,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Element type.
    pub elem: ElemType,
}

impl MatrixHandle {
    /// Size of the segment this handle describes, header included.
    /// Errors if the shape cannot exist (its size overflows).
    pub fn segment_bytes(&self) -> Result<usize> {
        segment_bytes(self.rows, self.cols, self.elem)
    }

    /// A read-only view of the matrix, attaching on first use in this process
    /// and reusing the mapping afterwards (see the module docs for the cache).
    ///
    /// Errors: no segment of that name (its manager was dropped, or its owner
    /// died and it was cleaned up), a segment of the wrong size, or a header
    /// that disagrees with the handle (element type `T`, shape).
    pub fn attach<T: Element>(&self) -> Result<SharedView<T>> {
        self.check_type::<T>()?;
        let map = cached(self)?;
        Ok(SharedView { map, rows: self.rows, cols: self.cols, _elem: PhantomData })
    }

    /// Like [`MatrixHandle::attach`] but always opens and maps the segment
    /// anew, bypassing the per-process cache (to measure what attaching costs,
    /// or to hold a mapping of one's own).
    pub fn attach_uncached<T: Element>(&self) -> Result<SharedView<T>> {
        self.check_type::<T>()?;
        let map = Arc::new(Mapping::open(self)?);
        Ok(SharedView { map, rows: self.rows, cols: self.cols, _elem: PhantomData })
    }

    fn check_type<T: Element>(&self) -> Result<()> {
        if T::TYPE != self.elem {
            return Err(Error::InvalidArgument(format!(
                "segment {} holds {} elements, not {}",
                self.name,
                self.elem.name(),
                T::TYPE.name()
            )));
        }
        Ok(())
    }
}

impl fmt::Debug for MatrixHandle {
    /// Short on purpose: it labels every task that carries it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Shm({}×{} {})", self.rows, self.cols, self.elem.name())
    }
}

/// A read-only view of a shared matrix, valid as long as this value lives
/// (even if the segment is unlinked meanwhile: the mapping stays).
pub struct SharedView<T: Element> {
    map: Arc<Mapping>,
    rows: usize,
    cols: usize,
    _elem: PhantomData<T>,
}

impl<T: Element> SharedView<T> {
    pub(crate) fn from_parts(map: Arc<Mapping>, rows: usize, cols: usize) -> Self {
        SharedView { map, rows, cols, _elem: PhantomData }
    }

    /// The matrix, in place in shared memory: no copy.
    pub fn view(&self) -> ArrayView2<'_, T> {
        // SAFETY: the mapping holds HEADER + rows × cols × size_of::<T>() bytes
        // (checked when it was mapped), starts page-aligned so HEADER keeps it
        // aligned for T, lives as long as `self`, and is never written after
        // its handle exists (module invariant). Every bit pattern is a valid T.
        unsafe { ArrayView2::from_shape_ptr((self.rows, self.cols), self.map.data_ptr() as *const T) }
    }

    /// The segment's name.
    pub fn name(&self) -> &str {
        &self.map.name
    }
}

impl<T: Element> Clone for SharedView<T> {
    fn clone(&self) -> Self {
        SharedView { map: Arc::clone(&self.map), rows: self.rows, cols: self.cols, _elem: PhantomData }
    }
}

impl<T: Element> fmt::Debug for SharedView<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedView({} {}×{} {})", self.map.name, self.rows, self.cols, T::TYPE.name())
    }
}

/// A segment mapped by the `shared_memory` crate, which unmaps it and closes
/// its descriptor when dropped — except where that would be wrong (see
/// [`Mapping`]'s `Drop`).
struct Segment(Option<Shmem>);

// SAFETY: `Shmem` is neither `Send` nor `Sync` only because it holds the
// mapping's address as a raw pointer. Nothing in it belongs to a thread: a
// descriptor, a length, names, and an address valid in the whole process, so
// it may be dropped (munmap, close) on any thread.
unsafe impl Send for Segment {}
// SAFETY: through `&Segment` only the address and the length are read, and
// the bytes there are never written once a handle to them exists (module
// invariant); the creator writes them before sharing the `Mapping`.
unsafe impl Sync for Segment {}

impl Segment {
    fn shmem(&self) -> &Shmem {
        self.0.as_ref().expect("taken only in drop")
    }

    fn as_ptr(&self) -> *mut u8 {
        self.shmem().as_ptr()
    }

    /// The whole segment, header included.
    fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len()` bytes long, stays mapped as long as
        // `self`, and is not written once a handle to it exists (module
        // invariant); before that only its creator, holding it alone, writes.
        unsafe { self.shmem().as_slice() }
    }
}

/// A mapping of one segment into this process.
pub(crate) struct Mapping {
    segment: Segment,
    pub name: String,
    /// The process that mapped it; a forked child inherits the mapping but not
    /// the right to tear it down (see `Drop`).
    pid: u32,
}

impl Mapping {
    /// Wrap a segment this process just created (it is written through `data_ptr`).
    pub(crate) fn created(shmem: Shmem, name: String) -> Mapping {
        Mapping { segment: Segment(Some(shmem)), name, pid: std::process::id() }
    }

    /// Open and map the segment `handle` names, and check it against the handle.
    #[cfg(windows)]
    fn open(_handle: &MatrixHandle) -> Result<Mapping> {
        Err(crate::platform::needs_unix("attaching a shared matrix"))
    }

    /// Open and map the segment `handle` names, and check it against the handle.
    #[cfg(unix)]
    fn open(handle: &MatrixHandle) -> Result<Mapping> {
        let expected = handle.segment_bytes()?;
        let shmem = ShmemConf::new().os_id(format!("/{}", handle.name)).open().map_err(|e| match e {
            ShmemError::MapOpenFailed(code) if code == NOT_FOUND => Error::Os(format!(
                "no shared-memory segment named {}: its manager was dropped, or its owner died and it was cleaned up",
                handle.name
            )),
            other => Error::Os(format!("could not attach shared-memory segment {}: {other}", handle.name)),
        })?;
        let map = Mapping { segment: Segment(Some(shmem)), name: handle.name.clone(), pid: std::process::id() };
        let actual = map.segment.shmem().len();
        if actual != expected {
            return Err(Error::InvalidArgument(format!(
                "shared-memory segment {} has {actual} bytes, but a {}×{} {} matrix needs {expected}: \
                 the handle does not describe this segment",
                handle.name,
                handle.rows,
                handle.cols,
                handle.elem.name()
            )));
        }
        let (elem, rows, cols) = map.read_header().ok_or_else(|| {
            Error::InvalidArgument(format!("shared-memory segment {} was not made by parlab (bad header)", handle.name))
        })?;
        if (elem, rows, cols) != (handle.elem, handle.rows, handle.cols) {
            return Err(Error::InvalidArgument(format!(
                "shared-memory segment {} holds a {rows}×{cols} {} matrix, but the handle says {}×{} {}",
                handle.name,
                elem.name(),
                handle.rows,
                handle.cols,
                handle.elem.name()
            )));
        }
        Ok(map)
    }

    pub(crate) fn data_ptr(&self) -> *mut u8 {
        // Every mapping is at least HEADER bytes (checked or created so), so this stays inside it.
        self.segment.as_ptr().wrapping_add(HEADER)
    }

    /// Write the header (creator only, before any handle exists).
    pub(crate) fn write_header(&self, elem: ElemType, rows: usize, cols: usize) {
        let mut h = [0u8; HEADER];
        h[0..8].copy_from_slice(&MAGIC.to_le_bytes());
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&elem.code().to_le_bytes());
        h[16..24].copy_from_slice(&(rows as u64).to_le_bytes());
        h[24..32].copy_from_slice(&(cols as u64).to_le_bytes());
        // SAFETY: the mapping is at least HEADER bytes and only we know of it yet.
        unsafe { std::ptr::copy_nonoverlapping(h.as_ptr(), self.segment.as_ptr(), HEADER) };
    }

    fn read_header(&self) -> Option<(ElemType, usize, usize)> {
        let h = self.segment.bytes().get(..HEADER)?;
        let word = |r: std::ops::Range<usize>| h[r].iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if word(0..8) != MAGIC || word(8..12) as u32 != VERSION {
            return None;
        }
        let elem = ElemType::from_code(word(12..16) as u32)?;
        Some((elem, usize::try_from(word(16..24)).ok()?, usize::try_from(word(24..32)).ok()?))
    }
}

impl Drop for Mapping {
    /// In the process that mapped it, `Shmem`'s own drop unmaps it and closes
    /// its descriptor. A forked child inherits the mapping but not the
    /// descriptor (a worker closes every inherited one, and may have reused
    /// the number), so there `Shmem`'s drop would close somebody else's file:
    /// the child leaves both alone, and the mapping goes when the child exits
    /// — as every other mapping it inherited does (its parent's views of the
    /// same segments, which nothing in the child ever drops).
    fn drop(&mut self) {
        if std::process::id() != self.pid {
            std::mem::forget(self.segment.0.take());
        }
    }
}

/// The error code `shm_open` reports for a missing segment.
#[cfg(unix)]
const NOT_FOUND: u32 = libc::ENOENT as u32;

/// Size of a segment for a `rows × cols` matrix of `elem`, header included.
pub(crate) fn segment_bytes(rows: usize, cols: usize, elem: ElemType) -> Result<usize> {
    rows.checked_mul(cols)
        .and_then(|n| n.checked_mul(elem.size()))
        .and_then(|n| n.checked_add(HEADER))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| {
            Error::InvalidArgument(format!("a {rows}×{cols} {} matrix is larger than any address space", elem.name()))
        })
}

/// At most this many segments stay mapped by the attach cache of each copy of
/// this crate in a process; attaching one more unmaps the least recently used
/// (views still holding it keep it mapped until they drop).
pub const ATTACH_CACHE_CAPACITY: usize = 64;

/// Per-process cache of attached segments, by name.
///
/// A `static`, so in a notebook each cell's copy of this crate has its own
/// (evcxr links every dependency into every cell): a task compiled in a later
/// cell attaches again. That only costs one more attach — nothing depends on
/// the cache for correctness, because a segment's content never changes while
/// its name exists and names are never reused.
///
/// Nor may a cache keep unlinked segments mapped: that would pin their memory
/// and a descriptor each, in every process that ever attached. So every cache
/// operation first drops entries whose name has left `/dev/shm` — whoever
/// unlinked it (a manager in another process or another cell's copy of this
/// crate, a watchdog, a sweep). A manager also evicts its own segments from
/// its copy's cache when it unlinks them, so there they go at once.
struct Cache {
    maps: HashMap<String, Entry>,
    /// Counts lookups, to find the least recently used entry.
    clock: u64,
    /// `/dev/shm`'s modification time when the entries were last checked, if
    /// it was old enough to trust (see [`Cache::prune`]).
    checked_at: Option<SystemTime>,
}

struct Entry {
    map: Arc<Mapping>,
    used: u64,
}

impl Cache {
    /// Drop entries whose segment is gone. Every unlink in `/dev/shm` changes
    /// its modification time, so while that time is unchanged since the last
    /// check this is one `stat`. The time is coarse (a clock tick: an unlink
    /// in the same tick as the last check would keep the same time), so a
    /// time younger than a second is not trusted and the next call checks again.
    fn prune(&mut self) {
        let changed = dir_mtime(SHM_DIR);
        if self.checked_at.is_some() && changed == self.checked_at {
            return;
        }
        self.maps.retain(|name, _| super::reaper::segment_exists(name));
        let settled = changed.filter(|&t| SystemTime::now().duration_since(t).is_ok_and(|age| age > SETTLED));
        self.checked_at = settled;
    }

    fn touch(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn insert(&mut self, name: String, map: Arc<Mapping>) {
        let used = self.touch();
        self.maps.insert(name, Entry { map, used });
        while self.maps.len() > ATTACH_CACHE_CAPACITY {
            let oldest = self.maps.iter().min_by_key(|(_, e)| e.used).map(|(n, _)| n.clone());
            match oldest {
                Some(name) => self.maps.remove(&name),
                None => break,
            };
        }
    }
}

/// How old `/dev/shm`'s modification time must be before [`Cache::prune`] trusts it.
const SETTLED: Duration = Duration::from_secs(1);

fn dir_mtime(dir: &str) -> Option<SystemTime> {
    std::fs::metadata(dir).and_then(|m| m.modified()).ok()
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Cache { maps: HashMap::new(), clock: 0, checked_at: None }))
}

fn cached(handle: &MatrixHandle) -> Result<Arc<Mapping>> {
    {
        let mut cache = lock(cache());
        cache.prune();
        let used = cache.touch();
        if let Some(entry) = cache.maps.get_mut(&handle.name) {
            entry.used = used;
            // The cache is keyed by name only; the handle may still disagree.
            return match entry.map.read_header() {
                Some(found) if found == (handle.elem, handle.rows, handle.cols) => Ok(Arc::clone(&entry.map)),
                _ => Mapping::open(handle).map(Arc::new), // reports the mismatch
            };
        }
    }
    // Opened without the lock held: other threads' hits need not wait for it.
    let map = Arc::new(Mapping::open(handle)?);
    let mut cache = lock(cache());
    cache.prune();
    cache.insert(handle.name.clone(), Arc::clone(&map));
    Ok(map)
}

/// Drop `names` from this copy's cache: their manager has just unlinked them.
pub(crate) fn forget(names: &[String]) {
    let mut cache = lock(cache());
    for name in names {
        cache.maps.remove(name);
    }
}

/// Forget every cached mapping in this process (and in this copy of the
/// crate): the memory is released once no [`SharedView`] uses it. Returns how
/// many were cached.
pub fn clear_attach_cache() -> usize {
    let mut cache = lock(cache());
    let n = cache.maps.len();
    cache.maps.clear();
    n
}
