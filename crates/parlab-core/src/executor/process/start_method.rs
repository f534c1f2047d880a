//! How worker processes start, and the pool's setting of it.
//!
//! Invariant: the setting is read and written as a [`StartMethod`], never as
//! a bare number; the atomic that holds it is private to [`StartMethodCell`].

#[cfg(unix)]
use std::sync::atomic::{AtomicU8, Ordering};

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
