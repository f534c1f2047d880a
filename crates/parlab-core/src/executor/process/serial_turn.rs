//! The `serial-workers` fault (see [`crate::fault`]): a machine-wide turn that
//! worker processes take around each task.
//!
//! Invariant: without the fault, taking a turn does nothing and costs one
//! cached read; with it, at most one task of any parlab worker on the machine
//! runs at a time.

use crate::fault::Fault;

/// Held around a task by a worker process while `serial-workers` is active.
pub(crate) struct SerialTurn {
    /// The locked file; the lock is released when it closes.
    _lock: Option<std::fs::File>,
}

impl SerialTurn {
    /// Wait for the machine-wide turn (a no-op unless the fault is active).
    pub(crate) fn take() -> SerialTurn {
        if !Fault::SerialWorkers.is_active() {
            return SerialTurn { _lock: None };
        }
        SerialTurn { _lock: lock_turn() }
    }
}

#[cfg(unix)]
fn lock_turn() -> Option<std::fs::File> {
    use std::os::fd::AsRawFd;
    let path = std::env::temp_dir().join("parlab-fault-serial-workers.lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).ok()?;
    // Wait for the lock with the GIL released, so another thread of this
    // process that holds the turn can take the GIL back and finish.
    // SAFETY: flock on a descriptor we own; the lock goes with the file.
    let rc = crate::gil::released(|| unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) });
    (rc == 0).then_some(file)
}

#[cfg(not(unix))]
fn lock_turn() -> Option<std::fs::File> {
    None
}
