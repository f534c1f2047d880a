//! Worker processes: they die, get replaced, get reaped, and refuse to nest.
#![cfg(unix)] // worker processes and POSIX shared memory; Windows refuses both (tests/platform.rs)

use std::time::{Duration, Instant};

use parlab_core::prelude::*;

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn abort_now(_: u32) -> u32 {
    std::process::abort()
}

fn nested_pool(_: u32) -> String {
    match ProcessPool::new(1) {
        Ok(_) => "a worker started a process pool".into(),
        Err(e) => e.to_string(),
    }
}

fn my_pid(_: u32) -> u32 {
    std::process::id()
}

/// True while `pid` exists at all, zombie included (a zombie keeps its /proc entry).
fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_killed_worker_fails_its_task_fast_and_is_replaced_and_reaped() {
    let pool = ProcessPool::new(1).unwrap();
    let fut = pool.submit(sleep_ms, 20_000).unwrap();
    wait_until("the task runs", || fut.running());
    let victim = pool.pids()[0];
    // SAFETY: signalling our own child.
    unsafe { libc::kill(victim as i32, libc::SIGKILL) };
    let killed = Instant::now();
    let err = fut.result().unwrap_err();
    let latency = killed.elapsed();
    assert!(matches!(&err, Error::BrokenPool(m) if m.contains("SIGKILL")), "{err}");
    assert!(latency < Duration::from_secs(1), "the failure took {latency:?}");
    wait_until("the dead worker is reaped", || !exists(victim));
    assert_eq!(pool.map(sleep_ms, [1, 2]).unwrap(), [1, 2], "the pool replaced its worker");
    assert_ne!(pool.pids(), [victim]);
    let run = pool.take_run();
    assert!(run.tasks.iter().any(|t| !t.ok), "the lost task is in the record, marked failed");
}

#[test]
fn an_aborting_task_breaks_only_its_own_future() {
    let pool = HybridPool::new(2, 1).unwrap();
    let err = pool.submit(abort_now, 0).unwrap().result().unwrap_err();
    assert!(matches!(&err, Error::BrokenPool(m) if m.contains("SIGABRT")), "{err}");
    assert_eq!(pool.map(my_pid, 0..4).unwrap().len(), 4);
}

#[test]
fn shutdown_with_wait_reaps_every_worker() {
    let pool = ProcessPool::new(3).unwrap();
    let pids: Vec<u32> = pool.map(my_pid, 0..6).unwrap();
    let workers = pool.pids();
    assert_eq!(workers.len(), 3);
    assert!(pids.iter().all(|p| workers.contains(p)));
    pool.shutdown(true, false);
    for pid in workers {
        assert!(!exists(pid), "worker {pid} left behind");
    }
}

#[test]
fn a_dropped_pool_finishes_its_work_and_its_workers_go() {
    let pool = ProcessPool::new(2).unwrap();
    let fut = pool.submit(sleep_ms, 200).unwrap();
    let workers = pool.pids();
    drop(pool);
    assert_eq!(fut.result().unwrap(), 200);
    wait_until("every worker has exited and been reaped", || workers.iter().all(|&p| !exists(p)));
}

#[test]
fn a_worker_cannot_start_a_process_pool() {
    let pool = ProcessPool::new(1).unwrap();
    let msg = pool.submit(nested_pool, 0).unwrap().result().unwrap();
    assert!(msg.contains("cannot start a process pool"), "{msg}");
}

#[test]
fn spawn_without_init_is_refused_with_the_guard_explained() {
    // This test binary's main is libtest's, which never calls init().
    let pool = ProcessPool::new(1).unwrap().start_method(StartMethod::Spawn);
    let err = pool.submit(my_pid, 0).unwrap_err();
    assert_eq!(err, Error::NotInitialized);
    assert!(err.to_string().contains("parlab_core::init()"));
}

fn square(x: u64) -> u64 {
    x * x
}

fn len_of(s: String) -> usize {
    s.len()
}

/// Run `f` on its own thread and give up after `secs`, so a hang fails the test.
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).unwrap_or_else(|_| panic!("{what} did not finish in {secs} s"))
}

#[test]
fn tasks_sent_to_killed_idle_workers_are_resent_to_their_replacements() {
    let pool = std::sync::Arc::new(HybridPool::new(2, 1).unwrap());
    assert_eq!(pool.map(square, 0..4).unwrap(), [0, 1, 4, 9]);
    // Several rounds: each one races the kill against the pool noticing it.
    for round in 0..10 {
        let victims = pool.pids();
        assert_eq!(victims.len(), 2);
        for &pid in &victims {
            // SAFETY: signalling our own children.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        // Odd rounds submit first, so both a future and a map chunk race the kill.
        let p = std::sync::Arc::clone(&pool);
        let (one, got) = within(30, "work after the kill", move || {
            let map = |p: &HybridPool| p.map(square, 0..20);
            if round % 2 == 0 {
                let got = map(&p);
                (p.submit(square, 7).and_then(|f| f.result()), got)
            } else {
                let one = p.submit(square, 7);
                let got = map(&p);
                (one.and_then(|f| f.result()), got)
            }
        });
        let want: Vec<u64> = (0..20).map(square).collect();
        assert_eq!(got, Ok(want), "round {round}: tasks that never started must not fail");
        assert_eq!(one, Ok(49), "round {round}");
        wait_until("the killed workers are reaped", || victims.iter().all(|&v| !exists(v)));
    }
}

#[test]
fn a_write_to_a_busy_worker_does_not_hold_up_pids_or_submit() {
    let pool = std::sync::Arc::new(ProcessPool::new(2).unwrap());
    let busy = [pool.submit(sleep_ms, 5_000).unwrap(), pool.submit(sleep_ms, 5_000).unwrap()];
    wait_until("both workers are busy", || busy.iter().all(|f| f.running()));
    // Each chunk is far bigger than a socket buffer, so writing it to a busy
    // worker blocks until the worker finishes its 5 s task and reads it.
    let p = std::sync::Arc::clone(&pool);
    let map = std::thread::spawn(move || p.map(len_of, (0..4).map(|_| "x".repeat(32 << 20))));
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    let pids = pool.pids();
    let pids_took = start.elapsed();
    let start = Instant::now();
    let small = pool.submit(square, 3).unwrap();
    let submit_took = start.elapsed();
    assert_eq!(pids.len(), 2);
    // The blocked write lasts about 4.5 s more: anything near that means pids
    // and submit waited on it.
    assert!(pids_took < Duration::from_secs(2), "pids() took {pids_took:?}");
    assert!(submit_took < Duration::from_secs(2), "submit() took {submit_took:?}");
    assert_eq!(small.result_timeout(Duration::from_secs(30)), Ok(9));
    assert_eq!(map.join().unwrap(), Ok(vec![32 << 20; 4]));
    for f in busy {
        assert_eq!(f.result_timeout(Duration::from_secs(30)), Ok(5_000));
    }
}

/// Long enough that a worker running it is surely killed while it runs.
fn slow_len(text: String) -> usize {
    std::thread::sleep(Duration::from_secs(5));
    text.len()
}

#[test]
fn a_task_whose_workers_all_die_before_starting_it_is_sent_four_times_then_fails() {
    // Every worker that gets the task is killed while it is still reading the
    // task's 64 MiB argument, so none ever starts it: the pool sends it again
    // to each replacement, three times, then fails it. A worker that reads the
    // whole argument before its kill lands starts the task, and the attempt
    // proves nothing: up to three attempts.
    for attempt in 1..=3 {
        let pool = ProcessPool::new(1).unwrap();
        assert!(pool.submit(my_pid, 0).unwrap().result().is_ok());
        // A String: encoded in one copy (a Vec<u8> is encoded byte by byte, slow in a debug build).
        let future = pool.submit(slow_len, "x".repeat(64 << 20)).unwrap();
        let mut killed: Vec<u32> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !future.done() && !future.running() {
            assert!(Instant::now() < deadline, "attempt {attempt}: the task neither failed nor started in 60 s");
            assert!(
                killed.len() <= 8,
                "the task went to {} workers that died before starting it, and is still being sent again",
                killed.len()
            );
            for pid in pool.pids() {
                if !killed.contains(&pid) {
                    // SAFETY: signalling our own child.
                    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                    killed.push(pid);
                }
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        if !future.done() {
            // It started: end its worker rather than wait for the task.
            for pid in pool.pids() {
                // SAFETY: signalling our own child.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        }
        let err = future.result().unwrap_err();
        let msg = err.to_string();
        if msg.contains("while running this task") {
            eprintln!("attempt {attempt}: a worker read the whole argument before its kill ({msg})");
            continue;
        }
        assert!(matches!(err, Error::BrokenPool(_)), "{msg}");
        assert!(msg.contains("before starting this task (sent 4 times)"), "{msg}");
        // The fourth death failed it; one more may be the replacement that came after.
        assert!((4..=5).contains(&killed.len()), "{} workers killed: {msg}", killed.len());
        assert!(pool.submit(my_pid, 0).unwrap().result().is_ok(), "the pool goes on serving");
        return;
    }
    panic!("in 3 attempts a worker always read the 64 MiB argument before its kill");
}
