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

use std::io::ErrorKind;
use std::process::{Child, Command, Stdio};

use crate::error::{Error, Result};

/// Where Linux keeps POSIX shared-memory objects (glibc's `shm_open`).
pub const SHM_DIR: &str = "/dev/shm";
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
    pub fn prefix(&self, tag: u32) -> String {
        format!("{NAME_PREFIX}{}_{}_{}_{tag:08x}_", self.pidns, self.pid, self.start)
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

fn own_pidns() -> Option<u64> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let text = link.to_str()?; // "pid:[4026531836]"
    text.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
}

/// `(state, start time)` of `pid`; `Ok(None)` if there is no such process.
fn stat(pid: u32) -> std::io::Result<Option<(char, u64)>> {
    let text = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let after = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let bad = || std::io::Error::new(ErrorKind::InvalidData, "unexpected /proc/<pid>/stat");
    let state = fields.first().and_then(|s| s.chars().next()).ok_or_else(bad)?;
    let start = fields.get(19).and_then(|s| s.parse().ok()).ok_or_else(bad)?; // field 22
    Ok(Some((state, start)))
}

/// Names of every parlab segment in `/dev/shm`, sorted (any owner, alive or not).
///
/// ```
/// let names = parlab_core::shm::list_segments()?;
/// assert!(names.iter().all(|n| n.starts_with("parlab_")));
/// # Ok::<(), parlab_core::Error>(())
/// ```
pub fn list_segments() -> Result<Vec<String>> {
    let dir = std::fs::read_dir(SHM_DIR).map_err(|e| Error::Os(format!("cannot list {SHM_DIR}: {e}")))?;
    let mut names: Vec<String> =
        dir.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.starts_with(NAME_PREFIX)).collect();
    names.sort();
    Ok(names)
}

/// Unlink every parlab segment whose owner process is certainly dead (killed,
/// crashed, or a notebook kernel that was restarted) and return their names.
/// [`SharedMemoryManager::new`](super::SharedMemoryManager::new) runs this first.
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
    std::path::Path::new(SHM_DIR).join(name).exists()
}

/// `shm_unlink` the segment; true if it existed and is gone.
pub(crate) fn unlink(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(format!("/{name}")) else {
        return false;
    };
    // SAFETY: a valid C string; shm_unlink only removes a name.
    unsafe { libc::shm_unlink(c.as_ptr()) == 0 }
}

/// The shell script a watchdog runs: wait for end-of-file on stdin, which
/// comes when the manager closes it or its process dies for any reason,
/// SIGKILL included; then remove the manager's segments. `$0` is the prefix.
const WATCHDOG: &str = "read -r _; rm -f -- /dev/shm/\"$0\"*";

/// Start the watchdog for the segments named `prefix*`.
///
/// It is a `/bin/sh` process rather than a fork of this one: exec'd, it holds
/// none of our memory or descriptors, and it is safe to start from a threaded
/// program or a notebook kernel. In its own process group, so a signal to
/// ours (Ctrl-C, a kernel's interrupt) does not take it down with us.
pub(crate) fn start_watchdog(prefix: &str) -> Option<Child> {
    use std::os::unix::process::CommandExt;
    Command::new("/bin/sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg(prefix)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("EVCXR_IS_RUNTIME")
        .process_group(0)
        .spawn()
        .ok()
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
