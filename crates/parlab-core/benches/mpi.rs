//! What an MPI pool costs: a task's round trip on one host, across hosts
//! (network namespaces) and, for scale, in a process pool; a map's cost per
//! item by chunk size; a broadcast of 4 and 16 MB against copying the same
//! matrix into every task; and CPU-bound speedup on the ranks the cores allow,
//! next to a process pool's in the same minute.
//! Figures and the commands are in BENCHMARKS.md.
//!
//! One host:     cargo bench -p parlab-core --features mpi --bench mpi
//! Across hosts: tests/mpi/bench-across (runs this bench inside a 2-host namespace cluster)
//!
//! Every rank runs this executable, so `main` calls `init()` first.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput};
use parlab_core::prelude::*;

fn noop(x: u64) -> u64 {
    x
}

/// A task that reads one value of a broadcast matrix.
fn read_broadcast((m, i): (Broadcast<Vec<f64>>, usize)) -> f64 {
    m.get().expect("on a rank")[i]
}

/// The same task with its own copy of the matrix.
fn read_copy((m, i): (Vec<f64>, usize)) -> f64 {
    m[i]
}

/// A hostfile with one slot per cluster host, so the relay is on the first
/// host and rank 1 on the second: every task crosses between namespaces.
fn across_hostfile() -> Option<PathBuf> {
    let cluster = std::fs::read_to_string(std::env::var_os("PARLAB_MPI_HOSTFILE")?).ok()?;
    let path = std::env::temp_dir().join(format!("parlab-bench-hosts-{}", std::process::id()));
    let hosts: String =
        cluster.lines().filter_map(|l| l.split_whitespace().next()).map(|h| format!("{h} slots=1\n")).collect();
    std::fs::write(&path, hosts).ok()?;
    Some(path)
}

fn round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("round_trip");
    g.throughput(Throughput::Elements(1));
    if let Some(hosts) = across_hostfile() {
        let pool = MpiPool::builder(1).hostfile(&hosts).build().unwrap();
        assert_ne!(pool.processes()[0].host, pool.processes()[1].host, "rank 1 must be on another host");
        g.bench_function("MpiPool(1), rank on another host", |b| {
            b.iter(|| black_box(pool.submit(noop, 1).unwrap().result().unwrap()));
            pool.take_run();
        });
        let _ = std::fs::remove_file(hosts);
        g.finish();
        return; // the one-host figures come from a run outside the cluster
    }
    let pool = MpiPool::new(1).unwrap();
    g.bench_function("MpiPool(1), one host", |b| {
        b.iter(|| black_box(pool.submit(noop, 1).unwrap().result().unwrap()));
        pool.take_run();
    });
    drop(pool);
    let pool = ProcessPool::new(1).unwrap();
    pool.map(noop, 0..2).unwrap(); // start the worker outside the measurement
    g.bench_function("ProcessPool(1)", |b| {
        b.iter(|| black_box(pool.submit(noop, 1).unwrap().result().unwrap()));
        pool.take_run();
    });
    g.finish();
}

fn map_per_item(c: &mut Criterion) {
    const ITEMS: u64 = 1000;
    let mut g = c.benchmark_group("map_per_item");
    g.throughput(Throughput::Elements(ITEMS));
    g.sample_size(20);
    let pool = MpiPool::new(2).unwrap();
    for chunk in [1, 100] {
        g.bench_function(format!("MpiPool(2) chunksize {chunk}"), |b| {
            b.iter(|| black_box(pool.map_chunked(noop, 0..ITEMS, chunk).unwrap()));
            pool.take_run();
        });
    }
    g.finish();
}

fn broadcast(c: &mut Criterion) {
    const TASKS: usize = 8;
    let mut g = c.benchmark_group("broadcast");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    let pool = MpiPool::new(2).unwrap();
    for mb in [4usize, 16] {
        let matrix: Vec<f64> = (0..mb * (1 << 20) / 8).map(|i| i as f64).collect();
        g.throughput(Throughput::Bytes((mb << 20) as u64));
        g.bench_function(format!("{mb} MB to 2 ranks, once"), |b| {
            b.iter(|| black_box(pool.broadcast(&matrix).unwrap()));
        });
        g.bench_function(format!("{mb} MB: broadcast + {TASKS} tasks"), |b| {
            b.iter(|| {
                let m = pool.broadcast(&matrix).unwrap();
                black_box(pool.map(read_broadcast, (0..TASKS).map(|i| (m.clone(), i))).unwrap())
            });
            pool.take_run();
        });
        g.bench_function(format!("{mb} MB: a copy in each of {TASKS} tasks"), |b| {
            b.iter_batched(
                || (0..TASKS).map(|i| (matrix.clone(), i)).collect::<Vec<_>>(),
                |args| black_box(pool.map(read_copy, args).unwrap()),
                BatchSize::PerIteration,
            );
            pool.take_run();
        });
    }
    g.finish();
}

fn cpu_speedup(c: &mut Criterion) {
    // Four equally slow tasks of the seed's size (scale 1; even offsets keep
    // the value odd) on 1 worker and on as many as the machine has cores, MPI
    // ranks and process workers back to back in the same minute, so load that
    // slows one slows the other: their ratio is the fair figure. What the
    // machine offered is printed before and after.
    let cores = machine::cpus().available.max(1);
    let say_offer = |when: &str| match machine::offer(cores) {
        Ok(o) => println!("cpu_speedup, offer {when}: {:.2} cores to {cores} busy threads", o.cores()),
        Err(e) => println!("cpu_speedup, offer {when}: not measured ({e})"),
    };
    let work = || (0..8u64).step_by(2);
    let mut g = c.benchmark_group("cpu_speedup");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    say_offer("before");
    let mut counts = vec![1];
    if cores > 1 {
        counts.push(cores);
    }
    for &n in &counts {
        let pool = MpiPool::new(n).unwrap();
        pool.map(noop, 0..n as u64).unwrap(); // the ranks are up and have run once
        g.bench_function(format!("4 x long_factorize, MpiPool({n})"), |b| {
            b.iter(|| black_box(pool.map(long_factorize, work()).unwrap()));
            pool.take_run();
        });
        drop(pool);
        let pool = ProcessPool::new(n).unwrap();
        pool.map(noop, 0..n as u64).unwrap(); // start the workers outside the measurement
        g.bench_function(format!("4 x long_factorize, ProcessPool({n})"), |b| {
            b.iter(|| black_box(pool.map(long_factorize, work()).unwrap()));
            pool.take_run();
        });
    }
    say_offer("after");
    g.finish();
}

fn main() {
    parlab_core::init(); // a rank serves here and never returns
    if std::process::Command::new("mpirun").arg("--version").output().is_err() {
        println!("skipped: mpirun not found (scripts/setup installs Open MPI as root)");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    round_trip(&mut c);
    if std::env::var_os("PARLAB_MPI_HOSTFILE").is_none() {
        map_per_item(&mut c);
        broadcast(&mut c);
        cpu_speedup(&mut c);
    }
    c.final_summary();
}
