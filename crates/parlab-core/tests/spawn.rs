//! The `Spawn` start method, end to end: this binary re-executes itself as
//! its workers, so `main` calls `init()` first — the `__main__` guard.

use parlab_core::prelude::*;

fn square(x: u64) -> u64 {
    x * x
}

fn worker_identity(_: u32) -> (u32, bool, f64) {
    let exe = std::env::current_exe().map(|p| p.exists()).unwrap_or(false);
    (std::process::id(), exe, workload::scale())
}

fn panics(_: u32) -> u32 {
    panic!("spawned worker panicked on purpose")
}

fn holding(_: u32) -> bool {
    gil::holding()
}

fn main() {
    // Keep the deliberate panic below out of the output; any other panic still prints.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.to_string().contains("on purpose") {
            default_hook(info);
        }
    }));
    parlab_core::init(); // a spawned worker serves from here and never returns

    workload::set_scale(0.25).unwrap();
    let pool = ProcessPool::new(2).unwrap().start_method(StartMethod::Spawn).gil(true);
    assert_eq!(pool.map(square, 0..10).unwrap(), (0..10).map(|x| x * x).collect::<Vec<_>>());
    assert_eq!(pool.map_chunked(square, 0..10, 4).unwrap()[9], 81);

    let ids = pool.map(worker_identity, 0..6).unwrap();
    for (pid, exe, scale) in &ids {
        assert_ne!(*pid, std::process::id(), "tasks ran in other processes");
        assert!(*exe);
        assert_eq!(*scale, 0.25, "workers inherit the time scale");
    }
    let pids: std::collections::HashSet<u32> = ids.iter().map(|t| t.0).collect();
    assert!(pids.iter().all(|p| pool.pids().contains(p)));

    let err = pool.submit(panics, 0).unwrap().result().unwrap_err();
    assert_eq!(err, Error::Panicked("spawned worker panicked on purpose".into()));
    assert_eq!(pool.map(holding, 0..2).unwrap(), [true, true], "each spawned worker has its GIL");

    let hybrid = HybridPool::new(2, 2).unwrap().start_method(StartMethod::Spawn);
    let (_, run) = hybrid.run(delayed_return_for, (0..4).map(|i| (i, 0.4))).unwrap();
    assert_eq!(run.lanes().len(), 4);
    // On 4 lanes the 4 sleeps run at once: one moment lies inside all of them
    // (start-up and a busy machine can delay the starts, not stop the overlap).
    let last_start = run.tasks.iter().map(|t| t.start).fold(0.0, f64::max);
    let first_end = run.tasks.iter().map(|t| t.end).fold(f64::INFINITY, f64::min);
    assert!(last_start < first_end, "4 sleeps of 0.1 s on 4 lanes did not overlap: {:?}", run.tasks);

    let workers = pool.pids();
    pool.shutdown(true, false);
    for pid in workers {
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "worker {pid} not reaped");
    }
    println!("spawn: all checks passed");
}
