//! Every notebook exercise: its solution (the very code `solution(n)` shows)
//! passes its check, and wrong answers are told they are wrong, with a reason.
//!
//! The checks judge values, who ran where and GIL/CPU records, never wall
//! times, so these hold on a busy machine.

use parlab::prelude::*;

/// A wrong answer: not passed, and a sentence saying why.
fn wrong(f: exercise::Feedback) {
    assert!(!f.passed(), "a wrong answer was judged right: {f}");
    assert!(f.to_string().starts_with("NOT YET:") && f.text().len() > 20, "no reason given: {f}");
}

/// A right answer.
fn right(f: exercise::Feedback) {
    assert!(f.passed(), "the solution was judged wrong: {f}");
    assert!(f.to_string().starts_with("RIGHT:"), "{f}");
}

/// Each notebook's `solution` shows code for 1 and 2 and refuses 3.
fn shows_solutions(solution: fn(usize) -> exercise::Solution) {
    for n in [1, 2] {
        let s = solution(n);
        assert!(!s.code().is_empty() && s.code().contains("exercise::"), "solution {n} shows no code: {s}");
    }
    assert!(solution(3).to_string().contains("no exercise 3"));
}

#[test]
fn visual_guide() {
    let tasks: usize = 14;
    right(include!("../src/exercise/solutions/visual_guide_1.rs"));
    wrong(exercise::visual_guide::check_1(tasks, 2, 3)); // 5 rounds
    wrong(exercise::visual_guide::check_1(tasks, 2, 14)); // 1 round, more processes than needed
    wrong(exercise::visual_guide::check_1(tasks, 2, 0));
    right(include!("../src/exercise/solutions/visual_guide_2.rs"));
    wrong(exercise::visual_guide::check_2([ExecutorKind::Sequential; 4]));
    wrong(exercise::visual_guide::check_2([ExecutorKind::Threads; 4]));
    shows_solutions(exercise::visual_guide::solution);
}

#[test]
fn demo_1() {
    right(include!("../src/exercise/solutions/demo_1_1.rs"));
    // std::thread::sleep keeps the simulated GIL: the waits take turns.
    wrong(exercise::demo_1::check_1(|i| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        i
    }));
    wrong(exercise::demo_1::check_1(|i| i)); // no wait at all
    wrong(exercise::demo_1::check_1(|_| {
        gil::sleep(std::time::Duration::from_millis(50));
        0
    }));
    right(include!("../src/exercise/solutions/demo_1_2.rs"));
    wrong(exercise::demo_1::check_2([true; 4]));
    shows_solutions(exercise::demo_1::solution);
}

#[test]
fn demo_1b() {
    let tasks: usize = 4;
    let drawn: Vec<f64> = vec![0.9, 1.2, 0.7, 1.1];
    right(include!("../src/exercise/solutions/demo_1b_1.rs"));
    wrong(exercise::demo_1b::check_1(&drawn, &[0, 1, 2, 3])); // submission order
    wrong(exercise::demo_1b::check_1(&drawn, &[2, 0, 1, 3]));
    wrong(exercise::demo_1b::check_1(&drawn, &[2, 2, 0, 1]));

    // A seed where task 0 finishes well after the first, so `futures[0]` is wrong.
    workload::set_scale(0.2).unwrap();
    let tasks = 6;
    let seed = (0..1000u64)
        .find(|&s| {
            workload::set_seed(Some(s));
            let d: Vec<f64> = (0..tasks).map(|i| workload::draw_seconds(&i, 1.0, 0.25)).collect();
            let min = d.iter().copied().fold(f64::INFINITY, f64::min);
            d[0] - min > 0.3
        })
        .expect("some seed leaves task 0 late");
    workload::set_seed(Some(seed));
    right(include!("../src/exercise/solutions/demo_1b_2.rs"));
    wrong(exercise::demo_1b::check_2(tasks, |pool, tasks| Ok(pool.map(delayed_return, 0..tasks)?[0])));
    wrong(exercise::demo_1b::check_2(tasks, |_, _| Ok(0))); // ran nothing
    workload::set_seed(None);
    shows_solutions(exercise::demo_1b::solution);
}

#[test]
fn demo_1c() {
    right(include!("../src/exercise/solutions/demo_1c_1.rs"));
    // No gil::tick: one task holds the GIL to its end.
    wrong(exercise::demo_1c::check_1(|n| (0..n).filter(|&x| is_prime(x)).count() as u64));
    wrong(exercise::demo_1c::check_1(|n| n)); // a wrong count
    // Dropping the GIL for the whole count overlaps the spans, but nobody took turns.
    wrong(exercise::demo_1c::check_1(|n| gil::released(|| (0..n).filter(|&x| is_prime(x)).count() as u64)));
    let fit_all: Option<f64> = std::hint::black_box(Some(0.2)); // fitted in the notebook
    right(include!("../src/exercise/solutions/demo_1c_2.rs"));
    wrong(exercise::demo_1c::check_2(0.2, 0.0, 0.0));
    wrong(exercise::demo_1c::check_2(0.2, 5.0, 8.0)); // the ceiling is right, 8 workers are not ideal
    right(exercise::demo_1c::check_2(0.0, f64::INFINITY, 8.0));
    shows_solutions(exercise::demo_1c::solution);
}

#[test]
fn demo_1d_freethreaded() {
    let (items, workers, fare, item_secs): (usize, usize, f64, f64) = (16_000_000, 2, 1e-4, 2e-8);
    right(include!("../src/exercise/solutions/demo_1d_freethreaded_1.rs"));
    wrong(exercise::demo_1d_freethreaded::check_1(1, items, workers, fare, item_secs)); // all fare
    wrong(exercise::demo_1d_freethreaded::check_1(items / workers, items, workers, fare, item_secs)); // no balance
    wrong(exercise::demo_1d_freethreaded::check_1(0, items, workers, fare, item_secs));
    // A fare so high that no chunk meets both rules: the largest balanced chunk is the answer.
    let (items, fare): (usize, f64) = (10_000, 1e-2);
    right(include!("../src/exercise/solutions/demo_1d_freethreaded_1.rs"));
    wrong(exercise::demo_1d_freethreaded::check_1(100, items, workers, fare, item_secs));
    right(include!("../src/exercise/solutions/demo_1d_freethreaded_2.rs"));
    wrong(exercise::demo_1d_freethreaded::check_2([(ExecutorKind::Threads, true); 4]));
    shows_solutions(exercise::demo_1d_freethreaded::solution);
}

#[test]
fn demo_2() {
    use parlab::graph::path_distance;
    let (graph, max_hop) = (Graph::random(300, 0.01, 7).unwrap(), 10);
    let pair_list = Graph::random_pairs(300, 30, 8).unwrap();
    right(include!("../src/exercise/solutions/demo_2_1.rs"));
    fn nothing((_, _, _, _): (MatrixHandle, usize, usize, usize)) -> Result<Option<usize>, String> {
        Ok(None)
    }
    wrong(exercise::demo_2::check_1(&graph, &pair_list, max_hop, nothing));
    fn one_hop_short((h, i, j, max_hop): (MatrixHandle, usize, usize, usize)) -> Result<Option<usize>, String> {
        let adj = h.attach::<u8>().map_err(|e| e.to_string())?;
        Ok(path_distance(adj.view(), i, j, max_hop).map_err(|e| e.to_string())?.map(|d| d.saturating_sub(1)))
    }
    wrong(exercise::demo_2::check_1(&graph, &pair_list, max_hop, one_hop_short));
    let (copy_fare, compute): (f64, f64) = (3e-3, 1e-3);
    right(include!("../src/exercise/solutions/demo_2_2.rs"));
    wrong(exercise::demo_2::check_2(copy_fare, compute, 1));
    wrong(exercise::demo_2::check_2(copy_fare, compute, 1000));
    wrong(exercise::demo_2::check_2(0.0, compute, 1));
    shows_solutions(exercise::demo_2::solution);
}

#[test]
fn demo_2_freethreaded() {
    let (m, max_hop, pairs) = (1000, 10, 60);
    let graph = Graph::random(m, 0.004, 7).unwrap();
    let pair_list = Graph::random_pairs(m, pairs, 8).unwrap();
    right(include!("../src/exercise/solutions/demo_2_freethreaded_1.rs"));
    let g = graph.clone();
    wrong(exercise::demo_2_freethreaded::check_1(&graph, &pair_list, max_hop, move |(i, j)| {
        g.path_distance(i, j, max_hop)
    }));
    let g = graph.clone();
    wrong(exercise::demo_2_freethreaded::check_1(&graph, &pair_list, max_hop, move |(i, j)| {
        gil::released(|| g.path_distance(j, i, max_hop)) // the wrong question
    }));

    let g = graph.clone();
    let (_, seq) =
        Sequential::new().run_closure(move |(i, j)| g.path_distance(i, j, max_hop), pair_list.clone()).unwrap();
    let bits = graph.to_bits().unwrap();
    let (_, bitset_seq) =
        Sequential::new().run_closure(move |(i, j)| bits.path_distance(i, j, max_hop), pair_list.clone()).unwrap();
    right(include!("../src/exercise/solutions/demo_2_freethreaded_2.rs"));
    wrong(exercise::demo_2_freethreaded::check_2(1e-3, 1e-5, 2));
    shows_solutions(exercise::demo_2_freethreaded::solution);
}

#[test]
fn rusts_guarantee() {
    right(include!("../src/exercise/solutions/rusts_guarantee_1.rs"));
    // A lock per step: right total, but the threads take turns at the lock.
    wrong(exercise::rusts_guarantee::check_1(|steps, total| {
        for _ in 0..steps {
            *total.lock() += 1;
        }
    }));
    wrong(exercise::rusts_guarantee::check_1(|steps, total| *total.lock() += steps / 2)); // a wrong total
    right(include!("../src/exercise/solutions/rusts_guarantee_2.rs"));
    wrong(exercise::rusts_guarantee::check_2([(true, true); 5]));
    // The answer key agrees with the compiler on the positive cases.
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<std::sync::Arc<u64>>();
    sync::<std::sync::Arc<u64>>();
    send::<std::cell::RefCell<u64>>();
    send::<std::sync::Mutex<u64>>();
    sync::<std::sync::Mutex<u64>>();
    send::<std::cell::Cell<u64>>();
    shows_solutions(exercise::rusts_guarantee::solution);
}

#[test]
fn work_stealing() {
    let (workers, k, base) = (2, 4, 30_000_001u64);
    let primes: Vec<u64> = (0..).filter(|&o| is_prime(base + o)).take(k).collect();
    let threes: Vec<u64> = (0..).filter(|&o| (base + o) % 6 == 3).take(k).collect();
    let evens: Vec<u64> = (0..).filter(|&o| (base + o) % 2 == 0).take(k).collect();
    let args: Vec<(u64, u64)> = primes.iter().chain(&threes).chain(&evens).map(|&o| (o, base)).collect();
    right(include!("../src/exercise/solutions/work_stealing_1.rs"));
    wrong(exercise::work_stealing::check_1(workers, &args, args.len().div_ceil(workers)));
    wrong(exercise::work_stealing::check_1(workers, &args, 0));
    right(include!("../src/exercise/solutions/work_stealing_2.rs"));
    wrong(exercise::work_stealing::check_2(workers, &args, &args));
    wrong(exercise::work_stealing::check_2(workers, &args, &args[1..]));
    shows_solutions(exercise::work_stealing::solution);
}

#[test]
fn machine_underneath() {
    right(include!("../src/exercise/solutions/machine_underneath_1.rs"));
    wrong(exercise::machine_underneath::check_1(0.1, 16, 0.0, 0.0));
    wrong(exercise::machine_underneath::check_1(0.1, 16, 10.0, 16.0)); // neither
    right(include!("../src/exercise/solutions/machine_underneath_2.rs"));
    use std::sync::atomic::AtomicU64;
    let plain = [AtomicU64::new(0), AtomicU64::new(0)];
    wrong(exercise::machine_underneath::check_2(&plain, |c| c));
    wrong(exercise::machine_underneath::check_2(&plain[..1], |c| c));
    shows_solutions(exercise::machine_underneath::solution);
}

/// An MPI run's record as two namespace hosts give it (tests/mpi/run): ranks
/// 1 and 2 on host "a", rank 3 on host "b". Only the record is read, so the
/// check needs no `mpi` feature.
fn mpi_record() -> Run {
    let place = [(0, 0), (1, 0), (2, 1), (0, 0), (2, 1)];
    let tasks = place
        .iter()
        .enumerate()
        .map(|(index, &(worker, host))| record::TaskRecord {
            index,
            arg: index.to_string(),
            lane: record::Lane { worker, thread: 0, pid: 100 + worker as u32, host },
            start: index as f64,
            end: index as f64 + 1.0,
            cpu: Some(1.0),
            gil_wait: 0.0,
            ok: true,
            transfer: 1e-4,
        })
        .collect();
    Run {
        label: "MpiPool(3 ranks on 2 hosts)".into(),
        kind: ExecutorKind::Mpi,
        workers: 3,
        wall: 3.0,
        tasks,
        hosts: vec!["a".into(), "b".into()],
    }
}

#[test]
fn beyond_one_machine() {
    let two = mpi_record();
    right(include!("../src/exercise/solutions/beyond_one_machine_1.rs"));
    let worker_as_rank: Vec<(String, usize)> = two.tasks.iter().map(|t| ("a".into(), t.lane.worker)).collect();
    wrong(exercise::beyond_one_machine::check_1(&two, &worker_as_rank)); // rank 0 is the relay
    let one_host: Vec<(String, usize)> = two.tasks.iter().map(|t| ("a".into(), t.lane.worker + 1)).collect();
    wrong(exercise::beyond_one_machine::check_1(&two, &one_host)); // task 2 ran on host b
    wrong(exercise::beyond_one_machine::check_1(&two, &one_host[1..]));
    let (_, local) = Sequential::new().run(|x: u64| x, vec![1, 2]).unwrap();
    wrong(exercise::beyond_one_machine::check_1(&local, &[("a".into(), 1), ("a".into(), 1)])); // no hosts

    let latency: f64 = 113e-6;
    right(include!("../src/exercise/solutions/beyond_one_machine_2.rs"));
    wrong(exercise::beyond_one_machine::check_2(latency, 20e-6, 1, 1));
    wrong(exercise::beyond_one_machine::check_2(latency, 20e-6, 57, 57)); // the cluster's chunk did not grow
    wrong(exercise::beyond_one_machine::check_2(latency, 20e-6, 1000, 5650)); // enough, not the fewest
    wrong(exercise::beyond_one_machine::check_2(0.0, 20e-6, 1, 1));
    shows_solutions(exercise::beyond_one_machine::solution);
}

/// The notebook harness runs every solution too, in the notebook's own kernel
/// after its last cell (tests/notebooks/notebooks.toml): that catches what
/// only evcxr sees, such as a notebook variable shadowing a solution's name.
#[test]
fn the_notebook_checks_run_every_solution_as_shown() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let toml = std::fs::read_to_string(format!("{root}/tests/notebooks/notebooks.toml")).expect("the harness's config");
    let dir = format!("{root}/crates/parlab/src/exercise/solutions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the solutions") {
        let path = entry.expect("a solution file").path();
        let code = std::fs::read_to_string(&path).expect("a readable solution");
        let notebook = path.file_stem().and_then(|s| s.to_str()).and_then(|s| s.rsplit_once('_')).map(|(nb, _)| nb);
        let section = notebook.and_then(|nb| toml.split(&format!("\n[\"{nb}.ipynb\"]")).nth(1)).unwrap_or("");
        let section = section.split("\n[\"").next().unwrap_or("");
        assert!(
            section.contains(&format!("let verdict = {};\nassert!(verdict.passed()", code.trim())),
            "{} must be one of its notebook's checks in notebooks.toml, verbatim, as `let verdict = <file>;` \
             followed by `assert!(verdict.passed(), ..)`",
            path.display()
        );
        seen += 1;
    }
    assert_eq!(seen, 22, "two exercises in each of the eleven notebooks");
}
