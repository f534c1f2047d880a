//! A worker forked while another thread of the pool's process holds a lock
//! must still serve: in the child that thread does not exist, so nothing
//! would ever release the lock.
#![cfg(target_os = "linux")] // glibc's loader lock; macOS runs no tests here, Windows has no fork

use std::sync::mpsc;
use std::time::Duration;

use findshlibs::{IterationControl, SharedLibrary, TargetSharedLibrary};
use parlab_core::prelude::*;

fn square(x: u64) -> u64 {
    x * x
}

/// The lock here is the dynamic loader's: listing loaded objects
/// (`dl_iterate_phdr`) holds it for the whole listing. Before the fix a worker
/// listed them itself after the fork, and one forked while the lock was held
/// hung there forever (seen as "no result within 30s" when tests forked pools
/// on parallel threads).
#[test]
fn a_worker_forked_while_another_thread_lists_loaded_code_still_serves() {
    let pool = ProcessPool::new(1).unwrap();
    assert_eq!(pool.submit(square, 3).unwrap().result().unwrap(), 9);
    let victim = pool.pids()[0];

    let (held_tx, held) = mpsc::channel::<()>();
    let (release, release_rx) = mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut first = true;
        TargetSharedLibrary::each(|_| {
            if std::mem::take(&mut first) {
                held_tx.send(()).unwrap();
                let _ = release_rx.recv(); // the loader's lock is held until then
            }
            IterationControl::Break
        });
    });
    held.recv().unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(victim as i32, libc::SIGKILL) };
    // The pool sees its worker die at once and forks a replacement; let it
    // try while the lock is held (a fixed pool waits for the lock first).
    std::thread::sleep(Duration::from_millis(500));
    release.send(()).unwrap();
    holder.join().unwrap();

    let got = pool.submit(square, 4).unwrap().result_timeout(Duration::from_secs(20));
    assert_eq!(got.ok(), Some(16), "the replacement forked while the loader's lock was held must serve");
    assert_ne!(pool.pids(), [victim]);
}
