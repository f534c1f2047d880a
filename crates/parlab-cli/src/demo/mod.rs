//! One module per demo, each mirroring a notebook of the seed, and the pool
//! helpers they share (`pools`).

pub mod advise;
pub mod as_completed;
pub mod chunking;
pub mod cpu_sweep;
pub mod free_threaded;
pub(crate) mod pools;
pub mod shared_memory;
mod sweep;
pub mod timing;
pub mod visual_guide;
