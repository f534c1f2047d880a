//! A worker whose replies turn to garbage is ended, and its task fails with
//! a reason, instead of the pool waiting forever to reap a live worker.
#![cfg(unix)] // worker processes and POSIX shared memory; Windows refuses both (tests/platform.rs)

use std::io::Write;
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use parlab_core::prelude::*;

/// Write a frame of garbage into the worker's own socket, ahead of its reply.
fn corrupt_the_stream(x: u32) -> u32 {
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let entry = entry.unwrap();
        let is_socket = std::fs::read_link(entry.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
        let fd: i32 = entry.file_name().to_string_lossy().parse().unwrap();
        if is_socket {
            // SAFETY: borrowed for one write, then forgotten so the worker keeps it.
            let mut sock = unsafe { UnixStream::from_raw_fd(fd) };
            let _ = sock.write_all(&[4, 0, 0, 0, b'X', b'X', b'X', b'X']);
            std::mem::forget(sock);
        }
    }
    x
}

#[test]
fn a_garbage_reply_ends_the_worker_and_fails_its_task_with_a_reason() {
    let pool = ProcessPool::new(1).unwrap();
    let err = pool.submit(corrupt_the_stream, 1).unwrap().result_timeout(Duration::from_secs(30)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::BrokenPool(_)), "{msg}");
    assert!(msg.contains("could not read") && msg.contains("not a result frame"), "{msg}");
    // The pool replaced the worker.
    assert_eq!(pool.submit(|x: u32| x + 1, 1).unwrap().result_timeout(Duration::from_secs(30)).unwrap(), 2);
}
