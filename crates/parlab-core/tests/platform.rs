//! What an OS without fork and POSIX shared memory refuses, and how: with an
//! error that names WSL2, before anything is started.

#[cfg(windows)]
#[test]
fn windows_refuses_process_pools_and_shared_memory_naming_wsl2() {
    use parlab_core::prelude::*;
    for result in [
        ProcessPool::new(2).map(|_| ()),
        HybridPool::new(2, 2).map(|_| ()),
        Process::start(|x: u64| x, 1).map(|_| ()),
        SharedMemoryManager::new().map(|_| ()),
    ] {
        match result {
            Err(Error::Unsupported(msg)) => assert!(msg.contains("WSL2"), "{msg}"),
            other => panic!("expected a refusal naming WSL2, got {other:?}"),
        }
    }
    // What Windows does run: sequential and thread pools.
    assert_eq!(ThreadPool::new(2).unwrap().map(|x: u64| x * 2, 0..4).unwrap(), [0, 2, 4, 6]);
}

#[cfg(unix)]
#[test]
fn unix_builds_process_pools() {
    use parlab_core::prelude::*;
    let pool = ProcessPool::new(1).expect("fork exists here");
    assert_eq!(pool.map(|x: u64| x + 1, 0..3).unwrap(), [1, 2, 3]);
}
