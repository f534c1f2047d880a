//! parlab: the prelude a notebook loads in its first cell.
pub use parlab_core::*;
