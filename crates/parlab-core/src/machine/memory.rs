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
    let system = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib.saturating_mul(1024))
    });
    let cgroup = cgroup_room();
    match (system, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Room left under this process's cgroup v2 memory limit, if it has one.
fn cgroup_room() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = format!("/sys/fs/cgroup{}", path.trim_end());
    let max = std::fs::read_to_string(format!("{dir}/memory.max")).ok()?;
    let max: u64 = max.trim().parse().ok()?; // "max" means no limit: None
    let current: u64 = std::fs::read_to_string(format!("{dir}/memory.current")).ok()?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
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
}
