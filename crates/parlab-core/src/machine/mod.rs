//! What the machine offers: its CPUs, the cores busy threads actually get
//! right now while other programs run, and the memory a new allocation may
//! still take. parlab measures these instead of assuming them, so what a
//! notebook says about "this machine" is true on the learner's.

mod cpus;
pub(crate) mod memory;
mod offer;

pub use cpus::{Cpus, cpus};
pub use offer::{OFFER_SPIN, Offer, offer, offer_for};

/// crossbeam's `CachePadded`: a value aligned and padded to its own cache line (128
/// bytes on x86-64, where the prefetcher fetches lines in pairs), so two threads
/// writing neighbouring values do not fight over one line (false sharing).
pub use crossbeam_utils::CachePadded;
