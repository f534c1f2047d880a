// The bench itself; `../executors.rs` includes it on Linux.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parlab_core::prelude::*;

const BATCH: u64 = 1000;

fn noop(x: u64) -> u64 {
    x
}

/// submit + result per task, in batches: our ThreadPool against the floor of
/// what it is built from (a rayon spawn that answers on a crossbeam channel).
fn thread_submit(c: &mut Criterion) {
    let mut g = c.benchmark_group("thread_submit_result");
    g.throughput(Throughput::Elements(BATCH));
    let pool = ThreadPool::new(2).unwrap();
    g.bench_function("parlab ThreadPool", |b| {
        b.iter(|| {
            let futures: Vec<_> = (0..BATCH).map(|i| pool.submit(noop, i).unwrap()).collect();
            for f in futures {
                black_box(f.result().unwrap());
            }
            pool.take_run(); // keep the journal from growing across iterations
        })
    });
    let rayon_pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    g.bench_function("rayon spawn + channel", |b| {
        b.iter(|| {
            let receivers: Vec<_> = (0..BATCH)
                .map(|i| {
                    let (tx, rx) = crossbeam_channel::bounded(1);
                    rayon_pool.spawn_fifo(move || {
                        let _ = tx.send(noop(i));
                    });
                    rx
                })
                .collect();
            for rx in receivers {
                black_box(rx.recv().unwrap());
            }
        })
    });
    g.finish();
}

/// A no-op round trip through two worker processes, per item.
fn process_round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("process_map_noop");
    g.measurement_time(Duration::from_secs(8));
    let pool = ProcessPool::new(2).unwrap();
    pool.map(noop, 0..10).unwrap(); // start the workers outside the measurement
    for (chunksize, items) in [(1usize, BATCH), (100, 20 * BATCH)] {
        g.throughput(Throughput::Elements(items));
        g.bench_function(format!("chunksize {chunksize}"), |b| {
            b.iter(|| {
                black_box(pool.map_chunked(noop, 0..items, chunksize).unwrap());
                pool.take_run();
            })
        });
    }
    g.finish();
}

/// From `ProcessPool::new(2)` to the first result in hand (fork included).
fn process_start(c: &mut Criterion) {
    c.bench_function("process_pool_start_to_first_result", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let start = Instant::now();
                let pool = ProcessPool::new(2).unwrap();
                black_box(pool.submit(noop, i).unwrap().result().unwrap());
                total += start.elapsed();
                pool.shutdown(true, false); // reap outside the measurement
            }
            total
        })
    });
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/// From SIGKILL of a busy worker to its future failing with `BrokenPool`.
fn worker_death(c: &mut Criterion) {
    let mut g = c.benchmark_group("worker_death");
    g.sample_size(20);
    g.bench_function("sigkill_to_broken_pool_error", |b| {
        let pool = ProcessPool::new(1).unwrap();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let fut = pool.submit(sleep_ms, 60_000).unwrap();
                while !fut.running() {
                    std::thread::yield_now();
                }
                let pid = pool.pids()[0] as i32;
                let start = Instant::now();
                // SAFETY: killing our own worker process.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                assert!(matches!(fut.result(), Err(Error::BrokenPool(_))));
                total += start.elapsed();
                while pool.pids().first() == Some(&(pid as u32)) {
                    std::thread::yield_now(); // wait for the replacement
                }
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, thread_submit, process_round_trip, process_start, worker_death);
criterion_main!(benches);
