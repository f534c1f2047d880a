//! How much memory a new matrix may take, asked before allocating it.
//!
//! Invariant: every large allocation in `graph` and `shm` is preceded by
//! [`ensure_fits`], so asking for a matrix that cannot fit is an
//! [`Error::InvalidArgument`] sentence, not an abort or an OOM kill. Sizes are
//! `u128`, so no `M × M` product can overflow on the way here.

use crate::error::{Error, Result};
use crate::units::human_bytes;

/// Refuse `bytes` if they exceed the memory this process can still get: the
/// smaller of the system's `MemAvailable` and the room left under a cgroup v2
/// `memory.max` (containers). When neither can be read, allow up to what the
/// address space can index (`isize::MAX`).
pub(crate) fn ensure_fits(bytes: u128, what: &str) -> Result<()> {
    let limit = available_bytes().unwrap_or(isize::MAX as u64);
    if bytes > u128::from(limit) || bytes > isize::MAX as u128 {
        return Err(Error::InvalidArgument(format!(
            "{what} needs {} but only {} of memory is available",
            human_bytes(bytes),
            human_bytes(u128::from(limit))
        )));
    }
    Ok(())
}

/// Bytes of memory available to this process, if the system says.
pub(crate) fn available_bytes() -> Option<u64> {
    match (system_available(), cgroup_room()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
#[cfg(target_os = "linux")]
fn system_available() -> Option<u64> {
    use procfs::Current;
    procfs::Meminfo::current().ok()?.mem_available
}

/// Room left under this process's cgroup v2 memory limit, if it has one.
/// procfs names the cgroup; its limit lives in `/sys/fs/cgroup`, which procfs does not read.
#[cfg(target_os = "linux")]
fn cgroup_room() -> Option<u64> {
    let groups = procfs::process::Process::myself().ok()?.cgroups().ok()?;
    let path = groups.0.into_iter().find(|g| g.hierarchy == 0)?.pathname;
    let dir = format!("/sys/fs/cgroup{}", path.trim_end());
    let max = std::fs::read_to_string(format!("{dir}/memory.max")).ok()?;
    let max: u64 = max.trim().parse().ok()?; // "max" means no limit: None
    let current: u64 = std::fs::read_to_string(format!("{dir}/memory.current")).ok()?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
}

/// Not asked on macOS and Windows yet: [`ensure_fits`] then allows what the address space can index.
#[cfg(not(target_os = "linux"))]
fn system_available() -> Option<u64> {
    None
}

#[cfg(not(target_os = "linux"))]
fn cgroup_room() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_cannot_fit_and_allows_small() {
        assert!(ensure_fits(1 << 20, "a small thing").is_ok());
        let err = ensure_fits(u128::from(u64::MAX) * 4, "a huge thing").unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("a huge thing")), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_reports_available_memory_in_bytes_below_the_total() {
        use procfs::Current;
        let available = system_available().expect("/proc/meminfo has MemAvailable");
        let total = procfs::Meminfo::current().unwrap().mem_total;
        assert!(available > 1 << 20 && available <= total, "{available} of {total}");
    }
}
