//! Big read-only data sent to every rank once ([`super::MpiPool::broadcast`])
//! and kept there, so tasks carry a few-byte [`Broadcast`] handle instead of
//! a copy of the data each.
//!
//! Invariant: a rank keeps the encoded bytes of every broadcast in one store
//! per process, found by every copy of this crate in it (a rank that runs
//! notebook cells has one copy per cell) through a function pointer published
//! in the environment, stamped with the pid; each copy decodes a value at most
//! once and keeps it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::executor::process::codec;
use crate::sync::lock;

const ENV_NAME: &CStr = c"PARLAB_MPI_STORE";

/// A value broadcast to every rank of an [`super::MpiPool`]: send the handle
/// in a task's argument and call [`Broadcast::get`] inside the task.
///
/// It serialises as its id alone (8 bytes), whatever the size of the value.
pub struct Broadcast<T> {
    id: u64,
    _value: PhantomData<fn() -> T>,
}

impl<T> Broadcast<T> {
    pub(crate) fn new(id: u64) -> Self {
        Broadcast { id, _value: PhantomData }
    }

    /// The broadcast's number within its pool.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl<T> Clone for Broadcast<T> {
    fn clone(&self) -> Self {
        Broadcast::new(self.id)
    }
}

impl<T> std::fmt::Debug for Broadcast<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Broadcast#{}", self.id)
    }
}

impl<T> Serialize for Broadcast<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.id.serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for Broadcast<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        u64::deserialize(d).map(Broadcast::new)
    }
}

type Decoded = Mutex<HashMap<(u64, TypeId), Arc<dyn Any + Send + Sync>>>;

impl<T: DeserializeOwned + Send + Sync + 'static> Broadcast<T> {
    /// The value, on a rank: decoded at its first use there, then shared by
    /// every task on that rank. Outside a rank of the pool that broadcast it,
    /// an error.
    pub fn get(&self) -> Result<Arc<T>> {
        // Per copy of the crate, which is what a decoded `T` belongs to.
        static DECODED: OnceLock<Decoded> = OnceLock::new();
        let key = (self.id, TypeId::of::<T>());
        let decoded = DECODED.get_or_init(Decoded::default);
        if let Some(v) = lock(decoded).get(&key).and_then(|v| Arc::clone(v).downcast::<T>().ok()) {
            return Ok(v);
        }
        let bytes = stored(self.id).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "broadcast {} is not on this process: Broadcast::get works inside a task on a rank of the \
                 MpiPool that broadcast it",
                self.id
            ))
        })?;
        let value: Arc<T> = Arc::new(codec::decode(bytes, "broadcast value").map_err(Error::Serialization)?);
        lock(decoded).insert(key, value.clone());
        Ok(value)
    }
}

/// The rank's store; only the rank's program (the copy that serves) creates it.
static STORE: OnceLock<Mutex<HashMap<u64, &'static [u8]>>> = OnceLock::new();

/// Keep a broadcast's bytes on this rank for the rest of its life.
pub(crate) fn store(id: u64, bytes: Vec<u8>) {
    let map = STORE.get_or_init(|| {
        let text = format!("{}:{:x}", std::process::id(), lookup as LookupFn as usize);
        if let Ok(text) = std::ffi::CString::new(text) {
            // SAFETY: single value set by the rank's serving thread before any task runs.
            unsafe { libc::setenv(ENV_NAME.as_ptr(), text.as_ptr(), 1) };
        }
        Mutex::default()
    });
    lock(map).insert(id, Box::leak(bytes.into_boxed_slice()));
}

type LookupFn = unsafe extern "C" fn(id: u64, len: *mut usize) -> *const u8;

unsafe extern "C" fn lookup(id: u64, len: *mut usize) -> *const u8 {
    let Some(map) = STORE.get() else { return std::ptr::null() };
    match lock(map).get(&id) {
        Some(bytes) => {
            // SAFETY: the caller passes a valid pointer.
            unsafe { *len = bytes.len() };
            bytes.as_ptr()
        }
        None => std::ptr::null(),
    }
}

/// A broadcast's bytes, from whichever copy of the crate holds the store.
fn stored(id: u64) -> Option<&'static [u8]> {
    // SAFETY: getenv returns null or a valid C string; it is copied at once.
    let raw = unsafe { libc::getenv(ENV_NAME.as_ptr()) };
    if raw.is_null() {
        return None;
    }
    // SAFETY: `raw` is non-null, a C string from getenv, read before any setenv.
    let text = unsafe { CStr::from_ptr(raw) }.to_str().ok()?.to_owned();
    let (pid, addr) = text.split_once(':')?;
    if pid.parse::<u32>().ok()? != std::process::id() {
        return None; // inherited across exec: the address means nothing here
    }
    let addr = usize::from_str_radix(addr, 16).ok()?;
    // SAFETY: this process published the address of `lookup`, whose entries are leaked.
    let f: LookupFn = unsafe { std::mem::transmute::<usize, LookupFn>(addr) };
    let mut len = 0;
    // SAFETY: `f` is `lookup` of this process (checked by pid above); it only reads the store.
    let ptr = unsafe { f(id, &mut len) };
    // SAFETY: the store's entries are leaked, so live for the process.
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(ptr, len) })
}
