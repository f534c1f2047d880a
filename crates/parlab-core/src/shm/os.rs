//! What the OS offers for named shared memory, one function per need:
//! Linux in full, macOS without `/dev/shm` and `/proc`, Windows not at all.
//!
//! Invariant: every call here either does what its name says or answers
//! "cannot" (`None`, `false`, an error); none pretends. The rest of `shm`
//! is written once, against these functions.

#[cfg(unix)]
use std::process::Child;
#[cfg(target_os = "linux")]
use std::process::{Command, Stdio};

#[cfg(unix)]
use crate::error::Error;
use crate::error::Result;

/// Where Linux keeps POSIX shared-memory objects (glibc's `shm_open`).
pub const SHM_DIR: &str = "/dev/shm";

/// Longest segment name (without its leading `/`) that `shm_open` accepts:
/// `NAME_MAX` on Linux, 31 bytes with the `/` on macOS (`PSHMNAMLEN`).
#[cfg(target_vendor = "apple")]
pub(crate) const MAX_NAME_LEN: usize = 30;
#[cfg(not(target_vendor = "apple"))]
pub(crate) const MAX_NAME_LEN: usize = 254;

/// Remove the segment `name`; true if it existed and is gone.
#[cfg(unix)]
pub(crate) fn unlink(name: &str) -> bool {
    rustix::shm::unlink(format!("/{name}").as_str()).is_ok()
}

/// Whether a segment of this name exists now.
#[cfg(target_os = "linux")]
pub(crate) fn exists(name: &str) -> bool {
    std::path::Path::new(SHM_DIR).join(name).exists()
}

/// Whether a segment of this name exists now (macOS shows no `/dev/shm`: ask `shm_open`).
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn exists(name: &str) -> bool {
    use rustix::fs::Mode;
    use rustix::shm::OFlags;
    rustix::shm::open(format!("/{name}").as_str(), OFlags::RDONLY, Mode::empty()).is_ok()
}

/// Every segment name in `/dev/shm` that starts with `prefix`.
#[cfg(target_os = "linux")]
pub(crate) fn list(prefix: &str) -> Result<Vec<String>> {
    let dir = SHM_DIR;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Os(format!("cannot list {dir}: {e}")))?;
    Ok(entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.starts_with(prefix)).collect())
}

/// macOS keeps POSIX shared memory in the kernel with no directory to list.
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn list(_prefix: &str) -> Result<Vec<String>> {
    Err(Error::Unsupported(
        "this OS cannot list its shared-memory segments; only a manager's own segments are known".into(),
    ))
}

/// Bytes free for segments (tmpfs `/dev/shm`: often half of RAM, 64 MiB in a default Docker container).
#[cfg(target_os = "linux")]
pub(crate) fn free_bytes() -> Option<u64> {
    let st = rustix::fs::statvfs(SHM_DIR).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// macOS backs segments with ordinary memory: no separate limit to check.
#[cfg(not(target_os = "linux"))]
pub(crate) fn free_bytes() -> Option<u64> {
    None
}

/// Reserve the segment's pages so running out of space fails here, not as
/// SIGBUS on first write (`ftruncate` on tmpfs reserves nothing).
#[cfg(target_os = "linux")]
pub(crate) fn reserve(name: &str, bytes: usize) -> Result<()> {
    use rustix::fs::{FallocateFlags, Mode};
    use rustix::io::Errno;
    use rustix::shm::OFlags;

    use crate::units::human_bytes;

    let fd = rustix::shm::open(format!("/{name}").as_str(), OFlags::RDWR, Mode::empty())
        .map_err(|e| Error::Os(format!("shm_open {name}: {}", std::io::Error::from(e))))?;
    match rustix::fs::fallocate(&fd, FallocateFlags::empty(), 0, bytes as u64) {
        Ok(()) | Err(Errno::OPNOTSUPP) | Err(Errno::INVAL) => Ok(()), // no fallocate here: rely on the free-space check
        Err(Errno::NOSPC) => Err(Error::InvalidArgument(format!(
            "{} has no room for {} (segment {name})",
            SHM_DIR,
            human_bytes(bytes as u128)
        ))),
        Err(e) => Err(Error::Os(format!(
            "could not reserve {} for segment {name}: {}",
            human_bytes(bytes as u128),
            std::io::Error::from(e)
        ))),
    }
}

/// macOS has no `posix_fallocate`, and its segments are not tmpfs files
/// that could run out of room after `ftruncate`: nothing to reserve.
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn reserve(_name: &str, _bytes: usize) -> Result<()> {
    Ok(())
}

/// This process's pid namespace (`/proc/self/ns/pid`), so pids in names mean the same here.
#[cfg(target_os = "linux")]
pub(crate) fn own_pidns() -> Option<u64> {
    let namespaces = procfs::process::Process::myself().ok()?.namespaces().ok()?;
    namespaces.0.get(std::ffi::OsStr::new("pid")).map(|ns| ns.identifier)
}

/// `(state, start time in clock ticks since boot)` of `pid`; `Ok(None)` if
/// there is no such process (`/proc/<pid>/stat`, fields 3 and 22).
#[cfg(target_os = "linux")]
pub(crate) fn stat(pid: u32) -> std::io::Result<Option<(char, u64)>> {
    use procfs::ProcError;
    let Ok(pid) = i32::try_from(pid) else {
        return Ok(None); // above any pid Linux hands out
    };
    let stat = procfs::process::Process::new(pid).and_then(|p| p.stat());
    match stat {
        Ok(s) => Ok(Some((s.state, s.starttime))),
        Err(ProcError::NotFound(_)) => Ok(None),
        Err(e) => Err(std::io::Error::other(e.to_string())),
    }
}

/// Start the watchdog that removes `/dev/shm/<prefix>*` once its stdin
/// reaches end-of-file, which comes when the manager closes it or its
/// process dies for any reason, SIGKILL included.
///
/// It is a `/bin/sh` process rather than a fork of this one: exec'd, it holds
/// none of our memory or descriptors, and it is safe to start from a threaded
/// program or a notebook kernel. In its own process group, so a signal to
/// ours (Ctrl-C, a kernel's interrupt) does not take it down with us.
#[cfg(target_os = "linux")]
pub(crate) fn start_watchdog(prefix: &str) -> Option<Child> {
    use std::os::unix::process::CommandExt;
    /// `$0` is the prefix.
    const WATCHDOG: &str = "read -r _; rm -f -- /dev/shm/\"$0\"*";
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

/// macOS has no `/dev/shm` for a shell to clean: no watchdog (a manager
/// still unlinks its segments when dropped).
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn start_watchdog(_prefix: &str) -> Option<Child> {
    None
}

/// Process ids and start times as macOS gives them: no namespaces, and no
/// `/proc` to read a start time from, so an owner is never proved dead.
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn own_pidns() -> Option<u64> {
    Some(0)
}

/// On macOS only "exists or not" (signal 0), with no start time.
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn stat(pid: u32) -> std::io::Result<Option<(char, u64)>> {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return Ok(None);
    };
    match rustix::process::test_kill_process(pid) {
        Err(rustix::io::Errno::SRCH) => Ok(None),
        _ => Ok(Some(('R', 0))),
    }
}

// Windows: no POSIX shared memory. `SharedMemoryManager::new` and
// `MatrixHandle::attach` refuse first (naming WSL2); these answer "cannot".

#[cfg(windows)]
pub(crate) fn unlink(_name: &str) -> bool {
    false
}

#[cfg(windows)]
pub(crate) fn exists(_name: &str) -> bool {
    false
}

#[cfg(windows)]
pub(crate) fn list(_prefix: &str) -> Result<Vec<String>> {
    Err(crate::platform::needs_unix("listing shared-memory segments"))
}

#[cfg(windows)]
pub(crate) fn reserve(_name: &str, _bytes: usize) -> Result<()> {
    Err(crate::platform::needs_unix("shared memory"))
}

#[cfg(windows)]
pub(crate) fn own_pidns() -> Option<u64> {
    None
}

#[cfg(windows)]
pub(crate) fn stat(_pid: u32) -> std::io::Result<Option<(char, u64)>> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "no process table to read on Windows"))
}
