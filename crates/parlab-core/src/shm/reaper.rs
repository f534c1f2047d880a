//! Who owns a segment, whether that owner is still alive, and removing the
//! segments of owners that are not.
//!
//! Invariant: a segment is only ever unlinked by its own live manager, by that
//! manager's watchdog after the manager's process is gone, or by a sweep that
//! has *proved* its owner dead. Proof means: the name parses as
//! `parlab_<pidns>_<pid>_<start>_<tag>_<n>`, `<pidns>` is this process's pid
//! namespace (so the pid means the same thing here), and `/proc/<pid>` is
//! missing, is a zombie, or started at another time than `<start>` (the pid
//! was reused). Anything else — other names, other namespaces, unreadable
//! `/proc` entries — is left alone.

#[cfg(unix)]
use std::process::Child;

use crate::error::{Error, Result};

use super::os::{self, own_pidns, stat};

/// The start of every segment name parlab creates.
pub const NAME_PREFIX: &str = "parlab_";

/// A process, identified so that a reused pid is not mistaken for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub pidns: u64,
    pub pid: u32,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat`, field 22).
    pub start: u64,
}

#[cfg_attr(windows, allow(dead_code))] // no manager starts on Windows
impl Owner {
    /// The calling process.
    pub fn this_process() -> Result<Owner> {
        let pid = std::process::id();
        let pidns = own_pidns().ok_or_else(|| Error::Os("cannot read /proc/self/ns/pid".into()))?;
        match stat(pid) {
            Ok(Some((_, start))) => Ok(Owner { pidns, pid, start }),
            _ => Err(Error::Os("cannot read /proc/self/stat".into())),
        }
    }

    /// `parlab_<pidns>_<pid>_<start>_<tag>_` — every segment of one manager starts so.
    #[cfg(not(target_vendor = "apple"))]
    pub fn prefix(&self, tag: u32) -> String {
        format!("{NAME_PREFIX}{}_{}_{}_{tag:08x}_", self.pidns, self.pid, self.start)
    }

    /// `parlab_<pid>_<tag>_`: macOS allows 31 bytes a name, and has no pid
    /// namespace or start time to add.
    #[cfg(target_vendor = "apple")]
    pub fn prefix(&self, tag: u32) -> String {
        format!("{NAME_PREFIX}{}_{tag:08x}_", self.pid)
    }

    /// Whether this owner is certainly dead (see the module invariant).
    fn is_dead(&self) -> bool {
        if Some(self.pidns) != own_pidns() {
            return false; // another namespace: its pids are not ours to judge
        }
        match stat(self.pid) {
            Ok(None) => true,
            Ok(Some((state, start))) => start != self.start || state == 'Z' || state == 'X',
            Err(_) => false,
        }
    }
}

/// The owner encoded in a segment name, if it is one of ours.
#[cfg(not(target_vendor = "apple"))]
pub(crate) fn parse_owner(name: &str) -> Option<Owner> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let parts: Vec<&str> = rest.split('_').collect();
    let [pidns, pid, start, tag, n] = parts.as_slice() else {
        return None;
    };
    u32::from_str_radix(tag, 16).ok()?;
    n.parse::<u64>().ok()?;
    Some(Owner { pidns: pidns.parse().ok()?, pid: pid.parse().ok()?, start: start.parse().ok()? })
}

/// The owner encoded in a segment name, if it is one of ours (macOS form).
#[cfg(target_vendor = "apple")]
pub(crate) fn parse_owner(name: &str) -> Option<Owner> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let parts: Vec<&str> = rest.split('_').collect();
    let [pid, tag, n] = parts.as_slice() else {
        return None;
    };
    u32::from_str_radix(tag, 16).ok()?;
    n.parse::<u64>().ok()?;
    Some(Owner { pidns: 0, pid: pid.parse().ok()?, start: 0 })
}

/// Names of every parlab segment in `/dev/shm`, sorted (any owner, alive or not).
///
/// ```
/// let names = parlab_core::shm::list_segments()?;
/// assert!(names.iter().all(|n| n.starts_with("parlab_")));
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn list_segments() -> Result<Vec<String>> {
    let mut names = os::list(NAME_PREFIX)?;
    names.sort();
    Ok(names)
}

/// Unlink every parlab segment whose owner process is certainly dead (killed,
/// crashed, or a notebook kernel that was restarted) and return their names.
/// [`SharedMemoryManager::new`](super::manager::SharedMemoryManager::new) runs this first.
///
/// ```
/// let removed = parlab_core::shm::sweep_stale()?;
/// // Nothing of a live process is ever removed:
/// assert!(removed.iter().all(|n| !n.contains(&format!("_{}_", std::process::id()))));
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn sweep_stale() -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for name in list_segments()? {
        if parse_owner(&name).is_some_and(|o| o.is_dead()) && unlink(&name) {
            removed.push(name);
        }
    }
    Ok(removed)
}

/// Whether a segment of this name exists now.
pub(crate) fn segment_exists(name: &str) -> bool {
    os::exists(name)
}

/// Remove the segment; true if it existed and is gone.
pub(crate) fn unlink(name: &str) -> bool {
    os::unlink(name)
}

/// Start the watchdog for the segments named `prefix*` (none where the OS cannot have one).
#[cfg(unix)]
pub(crate) fn start_watchdog(prefix: &str) -> Option<Child> {
    os::start_watchdog(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_ignored() {
        let me = Owner::this_process().unwrap();
        let name = format!("{}3", me.prefix(0xabc));
        assert_eq!(parse_owner(&name), Some(me));
        assert!(!me.is_dead());
        for other in ["parlab_x", "parlab_1_2_3_zz_4", "shmem_ABC", "parlab_1_2_3_0a_4_5"] {
            assert_eq!(parse_owner(other), None, "{other}");
        }
    }

    #[test]
    fn a_reused_pid_or_missing_process_is_dead() {
        let me = Owner::this_process().unwrap();
        assert!(Owner { start: me.start + 1, ..me }.is_dead());
        assert!(Owner { pid: u32::MAX - 1, ..me }.is_dead()); // above pid_max
        assert!(!Owner { pidns: me.pidns + 1, pid: u32::MAX - 1, ..me }.is_dead()); // not ours to judge
    }
}
