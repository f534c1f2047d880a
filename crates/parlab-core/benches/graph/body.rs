// The bench itself; `../graph.rs` includes it on Linux.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parlab_core::graph::{Graph, path_distance_bits_shm, path_distance_shm};
use parlab_core::prelude::*;
use parlab_core::shm::MatrixHandle;

/// 4096² bytes = 16 MiB.
const BIG: usize = 4096;
/// The workload.
const M: usize = 2000;
const FRACTION: f64 = 0.002;
const PAIRS: usize = 200;
const MAX_HOP: usize = 10;

fn touch_graph((g, i, _j, _h): (Graph, usize, usize, usize)) -> u8 {
    g.matrix()[[i, 0]]
}

fn touch_handle((h, i, _j, _hop): (MatrixHandle, usize, usize, usize)) -> u8 {
    h.attach::<u8>().map_or(0, |s| s.view()[[i, 0]])
}

fn handoff(c: &mut Criterion) {
    let graph = Graph::random(BIG, FRACTION, 1).expect("graph");
    assert_eq!(graph.bytes(), 16 << 20);
    let manager = SharedMemoryManager::new().expect("manager");
    let shared = manager.share(graph.matrix()).expect("share");
    let handle = shared.handle().clone();

    let mut g = c.benchmark_group("handoff_16MiB");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    // What crosses the process boundary, encoded and decoded (no socket).
    g.bench_function("serde_roundtrip/matrix", |b| {
        b.iter(|| {
            let bytes = postcard::to_allocvec(&(graph.clone(), 1usize, 2usize, MAX_HOP)).unwrap();
            let back: (Graph, usize, usize, usize) = postcard::from_bytes(&bytes).unwrap();
            black_box(back.0.nodes())
        })
    });
    g.bench_function("serde_roundtrip/handle+attach", |b| {
        b.iter(|| {
            let bytes = postcard::to_allocvec(&(handle.clone(), 1usize, 2usize, MAX_HOP)).unwrap();
            let back: (MatrixHandle, usize, usize, usize) = postcard::from_bytes(&bytes).unwrap();
            black_box(back.0.attach::<u8>().unwrap().view()[[1, 0]])
        })
    });
    // End to end: submit one task to a warm one-worker process pool and wait for it.
    let pool = ProcessPool::new(1).expect("pool");
    pool.map(touch_handle, [(handle.clone(), 0, 0, 0)]).expect("warm");
    g.bench_function("process_task/matrix", |b| {
        b.iter(|| pool.submit(touch_graph, (graph.clone(), 1, 2, MAX_HOP)).unwrap().result().unwrap())
    });
    g.bench_function("process_task/handle", |b| {
        b.iter(|| pool.submit(touch_handle, (handle.clone(), 1, 2, MAX_HOP)).unwrap().result().unwrap())
    });
    g.finish();
    pool.shutdown(true, false);

    let mut g = c.benchmark_group("attach_16MiB");
    g.bench_function("uncached", |b| b.iter(|| black_box(handle.attach_uncached::<u8>().unwrap().view()[[1, 0]])));
    g.bench_function("cached", |b| b.iter(|| black_box(handle.attach::<u8>().unwrap().view()[[1, 0]])));
    g.finish();
}

fn one_thread(c: &mut Criterion) {
    let graph = Graph::random(M, FRACTION, 1).expect("graph");
    let bits = graph.to_bits().expect("bits");
    let pairs = Graph::random_pairs(M, PAIRS, 2).expect("pairs");

    let mut g = c.benchmark_group("path_distance_M2000_200pairs_1thread");
    g.throughput(Throughput::Elements(PAIRS as u64));
    g.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(15));
    g.bench_function("product", |b| {
        b.iter(|| pairs.iter().map(|&(i, j)| graph.path_distance(i, j, MAX_HOP).unwrap()).collect::<Vec<_>>())
    });
    g.bench_function("bitset", |b| {
        b.iter(|| pairs.iter().map(|&(i, j)| bits.path_distance(i, j, MAX_HOP).unwrap()).collect::<Vec<_>>())
    });
    g.finish();
}

fn two_workers(c: &mut Criterion) {
    let graph = Graph::random(M, FRACTION, 1).expect("graph");
    let bits = graph.to_bits().expect("bits");
    let pairs = Graph::random_pairs(M, PAIRS, 2).expect("pairs");
    let manager = SharedMemoryManager::new().expect("manager");
    let matrix = manager.share(graph.matrix()).expect("share").handle().clone();
    let packed = manager.share(bits.words()).expect("share").handle().clone();

    let mut g = c.benchmark_group("path_distance_M2000_200pairs");
    g.throughput(Throughput::Elements(PAIRS as u64));
    g.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(15));
    for workers in [1, 2] {
        let threads = ThreadPool::new(workers).expect("threads");
        let (gr, bi) = (graph.clone(), bits.clone());
        g.bench_function(format!("product/threads_{workers}"), |b| {
            b.iter(|| {
                let gr = gr.clone();
                threads.map_closure(move |(i, j)| gr.path_distance(i, j, MAX_HOP), pairs.clone()).unwrap()
            })
        });
        // Bitset tasks take tens of microseconds: hand them out 25 at a time.
        g.bench_function(format!("bitset/threads_{workers}_chunk25"), |b| {
            b.iter(|| {
                let bi = bi.clone();
                threads.map_chunked_closure(move |(i, j)| bi.path_distance(i, j, MAX_HOP), pairs.clone(), 25).unwrap()
            })
        });
        threads.shutdown(true, false);

        let procs = ProcessPool::new(workers).expect("processes");
        procs.map(touch_handle, (0..workers).map(|_| (matrix.clone(), 0, 0, 0))).expect("warm");
        g.bench_function(format!("product/processes_shm_{workers}"), |b| {
            b.iter(|| {
                procs.map(path_distance_shm, pairs.iter().map(|&(i, j)| (matrix.clone(), i, j, MAX_HOP))).unwrap()
            })
        });
        g.bench_function(format!("bitset/processes_shm_{workers}_chunk25"), |b| {
            b.iter(|| {
                let args = pairs.iter().map(|&(i, j)| (packed.clone(), i, j, MAX_HOP));
                procs.map_chunked(path_distance_bits_shm, args, 25).unwrap()
            })
        });
        procs.shutdown(true, false);
    }
    g.finish();
}

/// Speedup on two workers, measured robustly on a shared, noisy machine: 1-
/// and 2-worker runs alternate, and the best of each is compared (background
/// load only ever slows a run down), next to the median of the paired ratios.
/// Runs unless a criterion filter excludes `speedup_2_workers`.
fn speedup(_: &mut Criterion) {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if !filters.iter().all(|f| "speedup_2_workers".contains(f.as_str())) {
        return;
    }
    const ROUNDS: usize = 20;
    let graph = Graph::random(M, FRACTION, 1).expect("graph");
    let bits = graph.to_bits().expect("bits");
    let pairs = Graph::random_pairs(M, PAIRS, 2).expect("pairs");
    let manager = SharedMemoryManager::new().expect("manager");
    let matrix = manager.share(graph.matrix()).expect("share").handle().clone();
    let packed = manager.share(bits.words()).expect("share").handle().clone();
    let threads = [ThreadPool::new(1).expect("pool"), ThreadPool::new(2).expect("pool")];
    let procs = [ProcessPool::new(1).expect("pool"), ProcessPool::new(2).expect("pool")];
    for (w, p) in procs.iter().enumerate() {
        p.map(touch_handle, (0..=w).map(|_| (matrix.clone(), 0, 0, 0))).expect("warm");
        p.map(touch_handle, (0..=w).map(|_| (packed.clone(), 0, 0, 0))).ok();
    }
    type Case<'a> = (&'a str, Box<dyn Fn(usize) + 'a>);
    let cases: Vec<Case> = vec![
        (
            "product/threads",
            Box::new(|w| {
                let g = graph.clone();
                threads[w].map_closure(move |(i, j)| g.path_distance(i, j, MAX_HOP), pairs.clone()).unwrap();
            }),
        ),
        (
            "bitset/threads_chunk20",
            Box::new(|w| {
                let b = bits.clone();
                threads[w].map_chunked_closure(move |(i, j)| b.path_distance(i, j, MAX_HOP), pairs.clone(), 20).unwrap();
            }),
        ),
        (
            "product/processes_shm",
            Box::new(|w| {
                let args = pairs.iter().map(|&(i, j)| (matrix.clone(), i, j, MAX_HOP));
                procs[w].map(path_distance_shm, args).unwrap();
            }),
        ),
        (
            "bitset/processes_shm_chunk50",
            Box::new(|w| {
                let args = pairs.iter().map(|&(i, j)| (packed.clone(), i, j, MAX_HOP));
                procs[w].map_chunked(path_distance_bits_shm, args, 50).unwrap();
            }),
        ),
    ];
    for (name, run) in &cases {
        run(0);
        run(1);
        let (mut best, mut ratios) = ([f64::INFINITY; 2], Vec::new());
        for _ in 0..ROUNDS {
            let mut t = [0.0; 2];
            for (w, slot) in t.iter_mut().enumerate() {
                let start = Instant::now();
                run(w);
                *slot = start.elapsed().as_secs_f64();
                best[w] = best[w].min(*slot);
            }
            ratios.push(t[0] / t[1]);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "speedup_2_workers/{name}: best of {ROUNDS}: 1 worker {:.2} ms ({:.0} pairs/s), 2 workers {:.2} ms ({:.0} pairs/s) => {:.2}x; median paired ratio {:.2}x",
            best[0] * 1e3,
            PAIRS as f64 / best[0],
            best[1] * 1e3,
            PAIRS as f64 / best[1],
            best[0] / best[1],
            ratios[ROUNDS / 2]
        );
    }
    for p in &procs {
        p.shutdown(true, false);
    }
}

criterion_group!(benches, handoff, one_thread, two_workers, speedup);
criterion_main!(benches);
