//! Demo 2's figures: handing a 16 MiB matrix to a task by shared-memory handle
//! vs by serialising it; attaching; path distances per second on one thread
//! (product vs bitset); and the same work on two workers.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-h2 cargo bench -p parlab-core --bench graph`
//! (figures and the machine they came from: crates/parlab-core/BENCHMARKS.md).
//!
//! Linux only: criterion builds C code, so the workspace is checked for
//! macOS and Windows without it, and this bench is an empty program there.

#[cfg(target_os = "linux")]
include!("graph/body.rs");

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("parlab's benches are measured on Linux");
}
