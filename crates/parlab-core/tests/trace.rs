//! Runs saved as Chrome trace-event JSON follow the format Perfetto reads:
//! valid event kinds, microsecond times that match the run, tasks that do not
//! partly overlap on a thread, and a name for every pid and tid.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use parlab_core::prelude::*;
use parlab_core::trace::{self, GIL_SLICE};
use serde_json::Value;

/// Event kinds of the trace-event format (the Chrome "Trace Event Format" document).
const KINDS: &[&str] =
    &["B", "E", "X", "i", "I", "C", "b", "n", "e", "s", "t", "f", "P", "N", "O", "D", "M", "V", "v", "R", "c"];

fn events(doc: &Value) -> &Vec<Value> {
    doc["traceEvents"].as_array().expect("a traceEvents array")
}

/// Check everything the format asks for; returns the complete events.
fn check_format(doc: &Value) -> Vec<Value> {
    let mut named_pids = HashSet::new();
    let mut named_tids = HashSet::new();
    let mut used = Vec::new();
    let mut complete = Vec::new();
    for e in events(doc) {
        let ph = e["ph"].as_str().unwrap_or_else(|| panic!("no ph in {e}"));
        assert!(KINDS.contains(&ph), "unknown ph {ph} in {e}");
        let pid = e["pid"].as_u64().unwrap_or_else(|| panic!("no integer pid in {e}"));
        assert!(pid > 0, "pid 0 in {e}");
        let tid = e["tid"].as_u64();
        match ph {
            "M" => match e["name"].as_str() {
                Some("process_name") => {
                    assert!(e["args"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{e}");
                    named_pids.insert(pid);
                }
                Some("thread_name") => {
                    assert!(e["args"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{e}");
                    named_tids.insert((pid, tid.expect("thread_name with a tid")));
                }
                Some("process_sort_index" | "thread_sort_index") => {}
                other => panic!("unexpected metadata {other:?}"),
            },
            _ => {
                let ts = e["ts"].as_f64().unwrap_or_else(|| panic!("no ts in {e}"));
                assert!(ts >= 0.0, "negative ts in {e}");
                used.push((pid, tid.unwrap_or_else(|| panic!("no tid in {e}"))));
                if ph == "X" {
                    let dur = e["dur"].as_f64().unwrap_or_else(|| panic!("no dur in {e}"));
                    assert!(dur >= 0.0, "negative dur in {e}");
                    complete.push(e.clone());
                }
            }
        }
    }
    for (pid, tid) in used {
        assert!(named_pids.contains(&pid), "pid {pid} has no process_name");
        assert!(named_tids.contains(&(pid, tid)), "thread {pid}/{tid} has no thread_name");
    }
    check_nesting(&complete);
    complete
}

/// A complete event's start, end (µs) and name.
type Slice = (f64, f64, String);

/// On each (pid, tid), two complete events are disjoint or one holds the other.
fn check_nesting(complete: &[Value]) {
    let mut by_thread: BTreeMap<(u64, u64), Vec<Slice>> = BTreeMap::new();
    for e in complete {
        let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
        let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        by_thread.entry(key).or_default().push((ts, ts + dur, e["name"].to_string()));
    }
    const SLACK: f64 = 1e-6; // µs; sums of decimal microseconds round
    for spans in by_thread.values() {
        for (i, a) in spans.iter().enumerate() {
            for b in &spans[i + 1..] {
                let disjoint = a.1 <= b.0 + SLACK || b.1 <= a.0 + SLACK;
                let a_holds_b = a.0 <= b.0 + SLACK && b.1 <= a.1 + SLACK;
                let b_holds_a = b.0 <= a.0 + SLACK && a.1 <= b.1 + SLACK;
                assert!(disjoint || a_holds_b || b_holds_a, "{a:?} and {b:?} partly overlap on one thread");
            }
        }
    }
}

/// Every task appears once, at its recorded time ×1e6, with its arguments.
fn check_tasks_match(run: &Run, complete: &[Value]) {
    let tasks: HashMap<u64, &Value> =
        complete.iter().filter(|e| e["cat"] == "task").map(|e| (e["args"]["index"].as_u64().unwrap(), e)).collect();
    assert_eq!(tasks.len(), run.tasks.len());
    for t in &run.tasks {
        let e = tasks[&(t.index as u64)];
        let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
        assert!((ts - t.start.max(0.0) * 1e6).abs() < 0.01, "ts {ts} µs for a start of {} s", t.start);
        assert!((dur - t.duration() * 1e6).abs() < 0.01, "dur {dur} µs for a task of {} s", t.duration());
        assert!(ts + dur <= run.wall * 1e6 + 0.01, "task ends after the run's wall time");
        assert_eq!(e["args"]["arg"], t.arg.as_str());
        assert_eq!(e["args"]["ok"], t.ok);
        assert_eq!(e["args"]["cpu_s"].as_f64(), t.cpu);
        assert_eq!(e["name"], format!("task {}", t.index));
    }
}

fn names_of(doc: &Value, kind: &str) -> Vec<String> {
    events(doc).iter().filter(|e| e["name"] == kind).map(|e| e["args"]["name"].as_str().unwrap().to_string()).collect()
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("parlab-trace-test-{}-{name}.json", std::process::id()))
}

#[test]
fn a_thread_pool_run_with_the_gil_round_trips() {
    workload::set_scale(0.3).unwrap(); // tasks long enough (tens of ms) to meet under the GIL
    let (_, run) = ThreadPool::new(3).unwrap().gil(true).run(cpu_task, 0..6u64).unwrap();
    let path = temp_path("threads");
    run.save_trace(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(text, run.trace_json());
    let doc: Value = serde_json::from_str(&text).unwrap();
    let complete = check_format(&doc);
    check_tasks_match(&run, &complete);

    let pid = std::process::id();
    assert_eq!(names_of(&doc, "process_name"), [format!("ThreadPool(3, GIL on) (pid {pid})")]);
    let mut threads = names_of(&doc, "thread_name");
    threads.sort();
    let expected: Vec<String> = run.lanes().iter().map(|l| format!("T{}", l.thread + 1)).collect();
    assert_eq!(threads, expected);
    assert!(events(&doc).iter().all(|e| e["pid"] == pid), "one pid: this process");

    // Three CPU-bound threads under one GIL wait; each wait is a slice inside its task.
    let waits: Vec<&Value> = complete.iter().filter(|e| e["name"] == GIL_SLICE).collect();
    let waited = run.tasks.iter().filter(|t| t.gil_wait > 0.0).count();
    assert!(waited > 0, "three CPU-bound threads under one GIL never waited: {}", run.report());
    assert_eq!(waits.len(), waited);
    for w in waits {
        let owner = complete
            .iter()
            .find(|e| e["cat"] == "task" && e["tid"] == w["tid"] && e["ts"] == w["ts"])
            .expect("a GIL slice starts with its task");
        let total = owner["args"]["gil_wait_s"].as_f64().unwrap();
        assert!((w["dur"].as_f64().unwrap() - (total * 1e6).min(owner["dur"].as_f64().unwrap())).abs() < 0.01);
    }

    // The counter never goes below 0 nor above the pool's threads, and ends at 0.
    let counts: Vec<i64> =
        events(&doc).iter().filter(|e| e["ph"] == "C").map(|e| e["args"]["tasks"].as_i64().unwrap()).collect();
    assert!(counts.iter().all(|&c| (0..=3).contains(&c)), "{counts:?}");
    assert_eq!(counts.last(), Some(&0));
    assert!(counts.contains(&3) || counts.contains(&2), "tasks ran side by side: {counts:?}");
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

#[test]
fn a_process_pool_run_round_trips_with_one_pid_per_worker() {
    let pool = ProcessPool::new(2).unwrap();
    let (_, run) = pool.run(sleep_ms, [20u64, 20, 20, 20]).unwrap();
    pool.shutdown(true, false);
    let doc: Value = serde_json::from_str(&run.trace_json()).unwrap();
    let complete = check_format(&doc);
    check_tasks_match(&run, &complete);

    let os_pids: HashSet<u32> = run.tasks.iter().map(|t| t.lane.pid).collect();
    assert_eq!(os_pids.len(), 2, "two workers ran the tasks");
    let trace_pids: HashSet<u64> = complete.iter().map(|e| e["pid"].as_u64().unwrap()).collect();
    assert_eq!(trace_pids, os_pids.iter().map(|&p| u64::from(p)).collect(), "the trace's pids are the workers'");
    let mut names = names_of(&doc, "process_name");
    names.sort();
    let mut expected: Vec<String> =
        run.lanes().iter().map(|l| format!("{} P{} (pid {})", run.label, l.worker + 1, l.pid)).collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn several_runs_get_their_own_processes_and_start_at_zero() {
    let (_, seq) = Sequential::new().run(sleep_ms, [5u64, 5]).unwrap();
    let (_, threads) = ThreadPool::new(2).unwrap().run(sleep_ms, [5u64, 5]).unwrap();
    let path = temp_path("several");
    parlab_core::trace::save_traces(&[&seq, &threads], &path).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    std::fs::remove_file(&path).unwrap();
    let complete = check_format(&doc);

    let pid_of = |label: &str| -> HashSet<u64> {
        let named: Vec<u64> = events(&doc)
            .iter()
            .filter(|e| e["name"] == "process_name" && e["args"]["name"].as_str().unwrap().starts_with(label))
            .map(|e| e["pid"].as_u64().unwrap())
            .collect();
        named.into_iter().collect()
    };
    let (a, b) = (pid_of("Sequential"), pid_of("ThreadPool"));
    assert_eq!((a.len(), b.len()), (1, 1));
    assert!(a.is_disjoint(&b), "both runs in one process, yet each its own pid in the trace");
    assert!(b.iter().all(|&p| p >= trace::FIRST_STAND_IN_PID), "the second run's copy gets a stand-in pid");
    let first_start = |pids: &HashSet<u64>| {
        complete
            .iter()
            .filter(|e| pids.contains(&e["pid"].as_u64().unwrap()))
            .map(|e| e["ts"].as_f64().unwrap())
            .fold(f64::MAX, f64::min)
    };
    assert!(first_start(&a) < 5_000.0 && first_start(&b) < 5_000.0, "both runs start near 0 µs");
}

#[test]
fn overlapping_records_move_to_their_own_track() {
    // What a pool records for tasks lost with a dead worker: sent-to-death spans on thread 0,
    // which can overlap the task that worker did finish.
    let lane = Lane { worker: 0, thread: 0, pid: 4242, host: 0 };
    let task = |index, start, end, ok| TaskRecord {
        index,
        arg: format!("{index}"),
        lane,
        start,
        end,
        cpu: None,
        gil_wait: 0.0,
        ok,
        transfer: 0.0,
    };
    let run = Run {
        label: "ProcessPool(1)".into(),
        kind: ExecutorKind::Processes,
        workers: 1,
        wall: 0.3,
        tasks: vec![task(0, 0.0, 0.2, true), task(1, 0.1, 0.3, false), task(2, 0.1, 0.3, false)],
        hosts: vec![],
    };
    let doc = run.to_trace();
    let complete = check_format(&doc);
    let tids: HashSet<u64> = complete.iter().map(|e| e["tid"].as_u64().unwrap()).collect();
    assert_eq!(tids.len(), 3, "each overlapping span went to a track of its own");
    let mut threads = names_of(&doc, "thread_name");
    threads.sort();
    assert_eq!(threads, ["T1", "T1 (overlapping 1)", "T1 (overlapping 2)"]);
    assert!(complete.iter().any(|e| e["name"] == "task 1 (failed)"));
}

#[test]
fn an_unwritable_path_is_an_error_naming_it() {
    let (_, run) = Sequential::new().run(sleep_ms, [1u64]).unwrap();
    let err = run.save_trace("/nonexistent-dir/trace.json").unwrap_err();
    assert!(matches!(err, Error::Os(_)), "{err:?}");
    assert!(err.to_string().contains("/nonexistent-dir/trace.json"), "{err}");
    let dir = std::env::temp_dir();
    assert!(run.save_trace(&dir).is_err(), "a directory is not a file to write");
}

#[test]
fn an_empty_run_is_an_empty_trace() {
    let run = Run {
        label: "nothing".into(),
        kind: ExecutorKind::Threads,
        workers: 1,
        wall: 0.0,
        tasks: vec![],
        hosts: vec![],
    };
    let doc = run.to_trace();
    assert!(events(&doc).is_empty());
    check_format(&doc);
}
