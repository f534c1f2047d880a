//! The machine's CPUs as this process may use them: logical CPUs, narrowed
//! by affinity, and a container's CPU quota.
//!
//! Invariant: read from the operating system at each call, never cached, so a
//! changed quota or affinity shows at once.

use std::fmt;

/// The machine's CPUs as this process may use them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cpus {
    /// Logical CPUs this process may run on (`std::thread::available_parallelism`:
    /// hardware threads, narrowed by CPU affinity and, on Linux, a cgroup quota).
    pub available: usize,
    /// A container's CPU quota in cores (cgroup v2 `cpu.max`), if one is set.
    pub quota: Option<f64>,
}

/// The CPUs this process may use.
///
/// ```
/// let cpus = parlab_core::machine::cpus();
/// assert!(cpus.available >= 1);
/// println!("{cpus}");
/// ```
pub fn cpus() -> Cpus {
    Cpus { available: std::thread::available_parallelism().map_or(1, |n| n.get()), quota: cgroup_quota() }
}

#[cfg(target_os = "linux")]
fn cgroup_quota() -> Option<f64> {
    // cgroup v2: "max 100000" (no quota) or "200000 100000" (2 cores' worth).
    let text = std::fs::read_to_string("/sys/fs/cgroup/cpu.max").ok()?;
    let mut parts = text.split_whitespace();
    let quota: f64 = parts.next()?.parse().ok()?;
    let period: f64 = parts.next()?.parse().ok()?;
    (period > 0.0).then(|| quota / period)
}

#[cfg(not(target_os = "linux"))]
fn cgroup_quota() -> Option<f64> {
    None
}

impl fmt::Display for Cpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} logical CPUs available to this process", self.available)?;
        match self.quota {
            Some(q) => write!(f, " (container quota: {q:.2} cores)"),
            None => write!(f, " (no container CPU quota)"),
        }
    }
}
