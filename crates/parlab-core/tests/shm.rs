//! Shared memory: handles round-trip and attach from real child processes;
//! bad handles are clear errors; and nothing is left in /dev/shm after a
//! manager is dropped, a worker is killed, or the owning process is killed
//! (which is also what a notebook kernel restart does).
//!
//! Tests that compare /dev/shm listings hold `SERIAL`, since tests of this
//! binary share one pid. Some re-run this very binary as a child process
//! (`helper_*` tests do nothing unless an environment variable says so).
#![cfg(unix)] // worker processes and POSIX shared memory; Windows refuses both (tests/platform.rs)

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ndarray::{Array2, array};
use parlab_core::Error;
use parlab_core::prelude::*;
use parlab_core::shm::{self, ElemType, MatrixHandle, SharedMemoryManager};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// parlab segments in /dev/shm whose name carries `pid` as the owner.
fn segments_of(pid: u32) -> BTreeSet<String> {
    shm::list_segments().unwrap().into_iter().filter(|n| n.split('_').nth(2) == Some(&pid.to_string())).collect()
}

fn mine() -> BTreeSet<String> {
    segments_of(std::process::id())
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sample() -> Array2<u8> {
    Array2::from_shape_fn((300, 200), |(r, c)| ((r * 7 + c * 3) % 251) as u8)
}

fn checksum(handle: MatrixHandle) -> u64 {
    let shared = handle.attach::<u8>().expect("attach");
    shared.view().iter().map(|&x| u64::from(x)).sum()
}

#[test]
fn handle_round_trips_and_attaches_to_the_same_bytes() {
    let _g = serial();
    let before = mine();
    let manager = SharedMemoryManager::new().unwrap();
    let m = sample();
    let shared = manager.share(m.view()).unwrap();
    let h = shared.handle().clone();
    assert_eq!((h.rows, h.cols, h.elem), (300, 200, ElemType::U8));
    let bytes = postcard::to_allocvec(&h).unwrap();
    assert!(bytes.len() < 128, "a handle is small: {} bytes", bytes.len());
    let back: MatrixHandle = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, h);
    let json: MatrixHandle = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
    assert_eq!(json, h);
    assert_eq!(back.attach::<u8>().unwrap().view(), m);
    assert_eq!(back.attach_uncached::<u8>().unwrap().view(), m);
    // The view really is the segment, not a copy: same address twice from the cache.
    let (a, b) = (back.attach::<u8>().unwrap(), back.attach::<u8>().unwrap());
    assert_eq!(a.view().as_ptr(), b.view().as_ptr());
    // Other element types and non-contiguous inputs.
    let f = manager.share(array![[1.5f64, -2.0], [3.25, 4.0]].t()).unwrap();
    assert_eq!(f.handle().attach::<f64>().unwrap().view(), array![[1.5, 3.25], [-2.0, 4.0]]);
    assert_eq!(manager.segments().len(), 2);
    assert!(format!("{h:?}").len() < 30, "{h:?}");
    drop(manager);
    assert_eq!(mine(), before);
}

#[test]
fn bad_handles_are_clear_errors() {
    let _g = serial();
    let manager = SharedMemoryManager::new().unwrap();
    let shared = manager.share(sample().view()).unwrap();
    let good = shared.handle().clone();

    let missing = MatrixHandle { name: "parlab_0_0_0_00000000_0".into(), ..good.clone() };
    match missing.attach::<u8>() {
        Err(Error::Os(msg)) => assert!(msg.contains("no shared-memory segment named"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let wrong_size = MatrixHandle { rows: 301, ..good.clone() };
    match wrong_size.attach_uncached::<u8>() {
        Err(Error::InvalidArgument(msg)) => assert!(msg.contains("bytes"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // Same byte count, other shape: the header catches it, cached or not.
    let transposed = MatrixHandle { rows: 200, cols: 300, ..good.clone() };
    for r in [transposed.attach::<u8>(), transposed.attach_uncached::<u8>()] {
        match r {
            Err(Error::InvalidArgument(msg)) => assert!(msg.contains("300×200"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }
    match good.attach::<u16>() {
        Err(Error::InvalidArgument(msg)) => assert!(msg.contains("u8"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let retyped = MatrixHandle { elem: ElemType::U16, cols: 100, ..good.clone() };
    assert!(matches!(retyped.attach::<u16>(), Err(Error::InvalidArgument(_))));
    let huge = MatrixHandle { rows: usize::MAX, cols: 2, ..good.clone() };
    assert!(matches!(huge.attach::<u8>(), Err(Error::InvalidArgument(_))));
    drop(manager);
    // After the manager is gone the handle points at nothing.
    shm::clear_attach_cache();
    assert!(matches!(good.attach::<u8>(), Err(Error::Os(_))));
}

#[test]
fn sharing_more_than_memory_is_refused_before_allocating() {
    let _g = serial();
    let before = mine();
    let manager = SharedMemoryManager::new().unwrap();
    // A view claiming an enormous shape over a tiny buffer is impossible to
    // build safely, so use a broadcast view: 2^40 × 2^20 u8 with one element.
    let one = ndarray::arr0(1u8);
    let huge = one.broadcast((1usize << 40, 1usize << 20)).unwrap();
    match manager.share(huge) {
        Err(Error::InvalidArgument(msg)) => {
            assert!(msg.contains("available") || msg.contains("free"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(mine(), before, "nothing was created");
}

fn attach_and_sum(handle: MatrixHandle) -> Result<u64, String> {
    let shared = handle.attach::<u8>().map_err(|e| e.to_string())?;
    Ok(shared.view().iter().map(|&x| u64::from(x)).sum())
}

#[test]
fn attach_from_pool_workers_and_from_an_exec_child() {
    let _g = serial();
    let manager = SharedMemoryManager::new().unwrap();
    let m = sample();
    let want: u64 = m.iter().map(|&x| u64::from(x)).sum();
    let shared = manager.share(m.view()).unwrap();

    let pool = ProcessPool::new(2).unwrap();
    let sums = pool.map(attach_and_sum, (0..6).map(|_| shared.handle().clone())).unwrap();
    assert!(sums.iter().all(|s| s == &Ok(want)), "{sums:?}");
    pool.shutdown(true, false);

    // An exec'd child shares no memory with us: it can only attach by name.
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "helper_attach", "--nocapture", "--test-threads=1"])
        .env("PARLAB_TEST_ATTACH", serde_json::to_string(shared.handle()).unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("CHECKSUM {want}")), "{stdout}");
}

/// Child side of the test above.
#[test]
fn helper_attach() {
    let Ok(json) = std::env::var("PARLAB_TEST_ATTACH") else {
        return;
    };
    let handle: MatrixHandle = serde_json::from_str(&json).unwrap();
    println!("CHECKSUM {}", checksum(handle));
}

fn attach_and_hold((handle, ms): (MatrixHandle, u64)) -> Result<u64, String> {
    let sum = attach_and_sum(handle)?;
    std::thread::sleep(Duration::from_millis(ms));
    Ok(sum)
}

fn maps_segment(pid: u32, name: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/maps")).is_ok_and(|maps| maps.contains(name))
}

#[test]
fn a_killed_worker_leaves_nothing_behind() {
    let _g = serial();
    let before = mine();
    let manager = SharedMemoryManager::new().unwrap();
    let shared = manager.share(sample().view()).unwrap();
    let name = shared.handle().name.clone();
    let pool = ProcessPool::new(1).unwrap();
    let future = pool.submit(attach_and_hold, (shared.handle().clone(), 60_000)).unwrap();
    let worker = pool.pids()[0];
    // The worker inherited our mappings of the segment through fork; attaching
    // by name maps it once more. (Counted in our own maps: the worker may
    // already have attached by now.)
    let inherited = std::fs::read_to_string("/proc/self/maps").unwrap().matches(&name).count();
    wait_until("the worker to attach", Duration::from_secs(20), || {
        std::fs::read_to_string(format!("/proc/{worker}/maps")).unwrap_or_default().matches(&name).count() > inherited
    });
    // SAFETY: killing our own child.
    unsafe { libc::kill(worker as i32, libc::SIGKILL) };
    assert!(matches!(future.result(), Err(Error::BrokenPool(_))));
    assert!(shm::list_segments().unwrap().contains(&name), "the segment outlives a worker");
    // The replacement worker attaches again.
    let again = pool.submit(attach_and_hold, (shared.handle().clone(), 0)).unwrap().result().unwrap();
    assert_eq!(again, Ok(checksum(shared.handle().clone())));
    pool.shutdown(true, false);
    assert!(!maps_segment(worker, &name));
    drop(manager);
    assert_eq!(mine(), before, "no segment left after the manager is dropped");
}

/// Start this test binary as a segment owner; returns it, its segments and its watchdog's pid.
#[allow(clippy::zombie_processes)] // every caller kills and waits for it
fn start_owner(watchdog: bool) -> (Child, Vec<String>, Option<u32>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "helper_owner", "--nocapture", "--test-threads=1"])
        .env("PARLAB_TEST_OWNER", if watchdog { "watchdog" } else { "bare" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("owner ended early").unwrap();
        // libtest has already printed "test helper_owner ... " on this line.
        if let Some((_, rest)) = line.split_once("OWNER ") {
            let mut words = rest.split_whitespace();
            let wd = words.next().unwrap().parse::<u32>().ok();
            return (child, words.map(String::from).collect(), wd);
        }
    }
}

/// Child side: own two segments, report them, wait to be killed.
#[test]
fn helper_owner() {
    let Ok(mode) = std::env::var("PARLAB_TEST_OWNER") else {
        return;
    };
    let manager = if mode == "watchdog" {
        SharedMemoryManager::new().unwrap()
    } else {
        SharedMemoryManager::without_watchdog().unwrap()
    };
    let a = manager.share(sample().view()).unwrap();
    let b = manager.share(Graph::random(64, 0.1, 1).unwrap().to_bits().unwrap().words()).unwrap();
    let wd = manager.watchdog_pid().map_or("none".to_string(), |p| p.to_string());
    println!("OWNER {wd} {} {}", a.handle().name, b.handle().name);
    std::thread::sleep(Duration::from_secs(120));
}

fn kill(child: &mut Child) {
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
}

#[test]
fn a_killed_owner_leaves_nothing_behind_thanks_to_its_watchdog() {
    let _g = serial();
    let (mut child, names, watchdog) = start_owner(true);
    let pid = child.id();
    assert!(watchdog.is_some());
    assert_eq!(segments_of(pid), names.iter().cloned().collect());
    kill(&mut child);
    wait_until("the watchdog to unlink", Duration::from_secs(20), || segments_of(pid).is_empty());
}

#[test]
fn the_next_manager_sweeps_segments_of_dead_owners() {
    let _g = serial();
    let mine_before = mine();
    let live = SharedMemoryManager::new().unwrap();
    let kept = live.share(sample().view()).unwrap();
    // A live owner elsewhere must survive the sweep too.
    let (mut alive, alive_names, _) = start_owner(false);

    // Owner and watchdog both gone (a killed process group); then the bare
    // `shared_memory` behaviour shows: the segments stay.
    let (mut child, _, watchdog) = start_owner(true);
    if let Some(wd) = watchdog {
        // SAFETY: signalling a process we started (through the child).
        unsafe { libc::kill(wd as i32, libc::SIGKILL) };
        wait_until("the watchdog to die", Duration::from_secs(10), || !proc_alive(wd));
    }
    let pid = child.id();
    kill(&mut child);
    let left = segments_of(pid);
    assert!(!left.is_empty(), "owner and watchdog killed: the segments were left behind");

    // Next start (a new program, a restarted kernel, or here): swept.
    let next = SharedMemoryManager::without_watchdog().unwrap();
    assert!(segments_of(pid).is_empty(), "dead owner's segments swept");
    assert!(shm::list_segments().unwrap().contains(&kept.handle().name), "our live segment kept");
    let alive_now = segments_of(alive.id());
    assert_eq!(alive_now, alive_names.iter().cloned().collect(), "a live owner's segments kept");
    kill(&mut alive);
    drop(next);
    drop(live);
    // The other owner had no watchdog; an explicit sweep removes its segments.
    let swept = shm::sweep_stale().unwrap();
    assert!(alive_names.iter().all(|n| swept.contains(n) || !shm::list_segments().unwrap().contains(n)));
    assert_eq!(mine(), mine_before);
}

fn proc_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !matches!(s.rsplit_once(')').and_then(|(_, r)| r.trim().chars().next()), Some('Z')))
}

#[test]
fn a_forked_copy_of_a_manager_neither_shares_nor_unlinks() {
    let _g = serial();
    let manager = SharedMemoryManager::without_watchdog().unwrap();
    let shared = manager.share(sample().view()).unwrap();
    let name = shared.handle().name.clone();
    // SAFETY: the child only calls async-signal-tolerant code and _exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let ok = manager.share(sample().view()).is_err();
        manager.shutdown(); // must not unlink the parent's segments
        // SAFETY: ends the forked child at once, running nothing of the parent's.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    assert!(shm::list_segments().unwrap().contains(&name));
}

/// Mappings (lines of /proc/self/maps) and open descriptors of this process
/// that name one of `names`.
fn held(names: &[String]) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mapped = maps.lines().filter(|l| names.iter().any(|n| l.contains(n.as_str()))).count();
    let open = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| names.iter().any(|n| target.to_string_lossy().contains(n.as_str())))
        .count();
    mapped + open
}

fn share_many(manager: &SharedMemoryManager, n: usize) -> Vec<MatrixHandle> {
    // Each SharedMatrix is dropped at once: only the cache may hold a mapping.
    (0..n).map(|i| manager.share(array![[i as u8, 1], [2, 3]].view()).unwrap().handle().clone()).collect()
}

#[test]
fn the_attach_cache_is_bounded_and_lets_go_of_unlinked_segments() {
    let _g = serial();
    // Bounded: attaching 200 segments leaves at most the capacity mapped.
    let manager = SharedMemoryManager::without_watchdog().unwrap();
    let handles = share_many(&manager, 200);
    let names: Vec<String> = handles.iter().map(|h| h.name.clone()).collect();
    assert_eq!(held(&names), 0);
    for h in &handles {
        assert_eq!(h.attach::<u8>().unwrap().view()[[1, 1]], 3);
    }
    let cached = held(&names);
    assert!(cached > 0, "attached segments are cached");
    // One mapping and one descriptor per cached segment.
    assert!(cached <= 2 * shm::ATTACH_CACHE_CAPACITY, "{cached} mappings and descriptors for 200 segments");
    // The manager that unlinks them evicts them from this process's cache.
    drop(manager);
    assert_eq!(held(&names), 0, "mappings of a dropped manager's segments");

    // Unlinked behind the cache's back (as a watchdog, a sweep, or a manager
    // in another process or notebook cell does): the next attach, even a
    // cache hit, unmaps them.
    let keep = SharedMemoryManager::without_watchdog().unwrap();
    let keeper = share_many(&keep, 1).remove(0);
    keeper.attach::<u8>().unwrap();
    let manager = SharedMemoryManager::without_watchdog().unwrap();
    let handles = share_many(&manager, 50);
    let names: Vec<String> = handles.iter().map(|h| h.name.clone()).collect();
    for h in &handles {
        h.attach::<u8>().unwrap();
    }
    assert_eq!(held(&names), 2 * 50, "a mapping and a descriptor each");
    for name in &names {
        std::fs::remove_file(format!("{}/{name}", shm::SHM_DIR)).unwrap();
    }
    keeper.attach::<u8>().unwrap(); // a hit
    assert_eq!(held(&names), 0, "mappings of segments no longer in /dev/shm");
    assert!(matches!(handles[0].attach::<u8>(), Err(Error::Os(_))), "a gone segment does not attach from the cache");
    drop(manager);
    drop(keep);
}
