//! Real workers that break the reply protocol from inside a task: each writes
//! a well-formed answer frame into its own socket, ahead of its real answer,
//! that the pool must not believe.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use super::ProcessPool;
use super::wire::{self, DoneWriter, ItemTiming, Status};
use crate::error::Error;
use crate::executor::Executor;

const WAIT: Duration = Duration::from_secs(20);

/// Send an answer to job `id` with `items` results (0, 1, ...) on this
/// worker's socket (it has no other: a worker closes every inherited descriptor).
fn forge(id: u64, items: u64) {
    let mut w = DoneWriter::new(id, items as usize);
    for k in 0..items {
        w.item(|out| {
            out.extend_from_slice(&postcard::to_stdvec(&k).unwrap());
            (Status::Ok, ItemTiming { thread: 0, start_ns: 1, end_ns: 2, cpu_ns: None, gil_wait_ns: 0 })
        });
    }
    let frame = w.finish().unwrap();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        let entry = entry.unwrap();
        let is_socket = std::fs::read_link(entry.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
        if is_socket {
            let fd: i32 = entry.file_name().to_string_lossy().parse().unwrap();
            // SAFETY: the worker's own socket, open for the whole task.
            wire::send_frame(&unsafe { BorrowedFd::borrow_raw(fd) }, &frame).unwrap();
            return;
        }
    }
}

/// An id no job of a fresh pool has.
const NO_SUCH_JOB: u64 = 1 << 40;

fn answer_a_job_never_sent(x: u64) -> u64 {
    forge(NO_SUCH_JOB, 1);
    x
}

/// The first job a fresh pool sends has id 1.
fn answer_my_chunk_short(x: u64) -> u64 {
    if x == 0 {
        forge(1, 1);
    }
    x
}

fn double(x: u64) -> u64 {
    2 * x
}

fn assert_broke_protocol(err: &Error, what: &str) {
    let msg = err.to_string();
    assert!(matches!(err, Error::BrokenPool(_)), "{msg}");
    assert!(msg.contains("broke the protocol") && msg.contains(what), "{msg}");
}

#[test]
fn an_answer_to_a_job_the_worker_does_not_hold_ends_it_with_a_protocol_error() {
    let pool = ProcessPool::new(1).unwrap();
    let err = pool.submit(answer_a_job_never_sent, 5).unwrap().result_timeout(WAIT).unwrap_err();
    assert_broke_protocol(&err, &format!("an answer to job {NO_SUCH_JOB}, which it does not hold"));
    // The pool replaced the worker and goes on serving.
    assert_eq!(pool.submit(double, 21).unwrap().result_timeout(WAIT), Ok(42));
}

#[test]
fn an_answer_with_fewer_results_than_its_chunk_fails_the_chunk() {
    let pool = ProcessPool::new(1).unwrap();
    let err = pool.map_chunked(answer_my_chunk_short, 0..3, 3).unwrap_err();
    assert_broke_protocol(&err, "1 result for a job of 3 tasks");
    assert_eq!(pool.map_chunked(double, 0..3, 3), Ok(vec![0, 2, 4]));
}
