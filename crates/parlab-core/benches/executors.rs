//! What the machinery costs per task. Figures and the command are in BENCHMARKS.md.
//!
//! cargo bench -p parlab-core --bench executors
//!
//! Linux only: criterion builds C code, so the workspace is checked for
//! macOS and Windows without it, and this bench is an empty program there.

#[cfg(target_os = "linux")]
include!("executors/body.rs");

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("parlab's benches are measured on Linux");
}
