//! Locks that outlive a panicking task.
//!
//! Invariant: a task that panics while parlab holds one of its own locks is
//! caught and turned into an error value, so the data behind the lock is still
//! consistent; a poisoned lock is therefore taken as it is, not propagated.

use std::sync::{Mutex, MutexGuard};

/// Lock `m`, ignoring poison (see the module's invariant).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
