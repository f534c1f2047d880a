//! How worker processes start, the pool's setting of it, and whether the
//! program has called [`crate::init`], which `Spawn` needs.
//!
//! Invariant: the setting is read and written as a [`StartMethod`], never as
//! a bare number; the atomic that holds it is private to [`StartMethodCell`].
//! The init flag is true only after `init` returned in this program (a
//! spawned worker never returns from it).

#[cfg(unix)]
use std::sync::atomic::AtomicU8;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by [`crate::init`]; the `Spawn` start method refuses to run without it.
/// (A plain static is right here: `Spawn` is for compiled programs, not notebooks.)
static INIT_CALLED: AtomicBool = AtomicBool::new(false);

/// Record that [`crate::init`] has returned in this program.
pub(crate) fn mark_init_called() {
    INIT_CALLED.store(true, Ordering::Release);
}

/// True once [`crate::init`] has returned in this program: workers may be spawned.
#[cfg_attr(windows, allow(dead_code))] // read by the process and MPI pools only
pub(crate) fn init_called() -> bool {
    INIT_CALLED.load(Ordering::Acquire)
}

/// How worker processes are started (Python's multiprocessing start methods).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum StartMethod {
    /// Copy this process with `fork()`: instant, memory shared copy-on-write,
    /// works in notebooks. The default on Linux, as in Python before 3.14.
    #[default]
    Fork = 0,
    /// Start this program again; it must call [`crate::init`] first thing in
    /// `main`. Functions must live in the executable itself.
    Spawn = 1,
}

/// A [`StartMethod`] that the pool's handle sets and its scheduler reads.
#[cfg(unix)]
#[derive(Debug, Default)]
pub(crate) struct StartMethodCell(AtomicU8);

#[cfg(unix)]
impl StartMethodCell {
    /// The method workers started from now on use.
    pub fn get(&self) -> StartMethod {
        match self.0.load(Ordering::Acquire) {
            x if x == StartMethod::Spawn as u8 => StartMethod::Spawn,
            _ => StartMethod::Fork,
        }
    }

    /// Use `method` for workers started from now on.
    pub fn set(&self, method: StartMethod) {
        self.0.store(method as u8, Ordering::Release);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_cell_returns_what_was_set() {
        let cell = StartMethodCell::default();
        assert_eq!(cell.get(), StartMethod::Fork);
        for m in [StartMethod::Spawn, StartMethod::Fork, StartMethod::Spawn] {
            cell.set(m);
            assert_eq!(cell.get(), m);
        }
    }
}
