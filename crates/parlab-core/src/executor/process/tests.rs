//! Messages over the frame limit, in both directions, without gigabytes:
//! these tests lower one pool's limit (the real one is 4 GiB).

use std::time::Duration;

use super::pools::{HybridPool, ProcessPool};
use crate::error::Error;
use crate::executor::contract::Executor;

const LIMIT: usize = 1 << 20;
const WAIT: Duration = Duration::from_secs(30);

fn len_of(s: String) -> usize {
    s.len()
}

fn make(n: usize) -> String {
    "x".repeat(n)
}

fn small_pool() -> ProcessPool {
    let pool = ProcessPool::new(1).unwrap();
    pool.pool.scheduler.set_max_frame(LIMIT);
    pool
}

fn assert_too_large(err: &Error, what: &str) {
    match err {
        Error::TooLarge { what: w, bytes, limit } => {
            assert!(w.contains(what), "{err}");
            assert!(*bytes > LIMIT as u64 && *limit == LIMIT as u64, "{err}");
        }
        _ => panic!("expected TooLarge, got {err}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&format!("{LIMIT}-byte limit")) && msg.contains("parlab_core::shm"), "{msg}");
}

#[test]
fn an_argument_over_the_limit_is_refused_and_the_pool_goes_on_serving() {
    let pool = small_pool();
    let err = pool.submit(len_of, make(2 * LIMIT)).unwrap_err();
    assert_too_large(&err, "the argument");
    let err = pool.map(len_of, [make(2 * LIMIT)]).unwrap_err();
    assert_too_large(&err, "the argument");
    // Four arguments that fit one by one, not as one chunk.
    let err = pool.map_chunked(len_of, (0..4).map(|_| make(LIMIT / 3)), 4).unwrap_err();
    assert_too_large(&err, "chunksize");
    assert_eq!(pool.submit(len_of, make(3)).unwrap().result_timeout(WAIT), Ok(3));
    assert_eq!(pool.map_chunked(len_of, (0..4).map(|_| make(LIMIT / 3)), 1), Ok(vec![LIMIT / 3; 4]));
}

#[test]
fn a_result_over_the_limit_fails_its_future_with_the_cause_and_the_worker_lives() {
    let pool = small_pool();
    assert_eq!(pool.submit(make, 5).unwrap().result_timeout(WAIT).as_deref(), Ok("xxxxx"));
    let pids = pool.pids();
    let err = pool.submit(make, 2 * LIMIT).unwrap().result_timeout(WAIT).unwrap_err();
    assert_too_large(&err, "the task's result");
    let err = pool.map_chunked(make, [LIMIT / 3; 4], 4).unwrap_err();
    assert_too_large(&err, "chunksize");
    assert_eq!(pool.map_chunked(len_of, (0..4).map(|_| make(10)), 4), Ok(vec![10; 4]));
    assert_eq!(pool.map_chunked(make, [LIMIT / 3; 4], 1).map(|v| v.len()), Ok(4));
    assert_eq!(pool.pids(), pids, "the worker reported the error and went on");
    let run = pool.take_run();
    assert_eq!(run.tasks.iter().filter(|t| !t.ok).count(), 3, "the too-large results are recorded as failed");
}

#[test]
fn a_hybrid_worker_reports_a_too_large_result_from_any_thread() {
    let pool = HybridPool::new(1, 2).unwrap();
    pool.pool.scheduler.set_max_frame(LIMIT);
    let futures: Vec<_> = [2 * LIMIT, 10, 2 * LIMIT, 10].into_iter().map(|n| pool.submit(make, n).unwrap()).collect();
    let lens: Vec<_> = futures.iter().map(|f| f.result_timeout(WAIT).map(|s| s.len())).collect();
    assert!(matches!(lens[0], Err(Error::TooLarge { .. })) && matches!(lens[2], Err(Error::TooLarge { .. })));
    assert_eq!((&lens[1], &lens[3]), (&Ok(10), &Ok(10)));
}
