//! Faults injected on purpose, so the test suite can prove that its checks
//! catch a broken executor — and so a curious learner can watch them do it.
//!
//! Invariant: with `PARLAB_FAULT` unset (the normal case) nothing here changes
//! behaviour; the variable is read once per process (once per notebook cell's
//! copy of this crate), and worker processes inherit it.
//!
//! - `PARLAB_FAULT=serial-workers`: worker processes (process and hybrid
//!   pools) run their tasks one at a time, machine-wide, under a file lock —
//!   a "parallel" pool that is really sequential.
//! - `PARLAB_FAULT=gil-held-in-sleep`: [`crate::gil::sleep`] keeps the GIL while
//!   it sleeps, as a C extension that forgot to release it would.
//!
//! Try it: `PARLAB_FAULT=serial-workers cargo run -p parlab-cli -- cpu` shows
//! processes that no longer speed anything up, and [`crate::check`] says so.

use std::sync::OnceLock;

/// A deliberate defect, chosen by the `PARLAB_FAULT` environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Worker processes run one task at a time between them.
    SerialWorkers,
    /// `gil::sleep` does not release the GIL.
    GilHeldInSleep,
}

impl Fault {
    /// The fault named by `PARLAB_FAULT`, if any (an unknown name is none).
    pub fn active() -> Option<Fault> {
        static ACTIVE: OnceLock<Option<Fault>> = OnceLock::new();
        *ACTIVE.get_or_init(|| match std::env::var("PARLAB_FAULT").ok()?.as_str() {
            "serial-workers" => Some(Fault::SerialWorkers),
            "gil-held-in-sleep" => Some(Fault::GilHeldInSleep),
            _ => None,
        })
    }

    /// Whether this fault is the active one.
    pub fn is_active(self) -> bool {
        Fault::active() == Some(self)
    }
}
