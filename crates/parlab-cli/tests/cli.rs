//! The `parlab` binary end to end: real processes (its pools spawn the binary
//! itself), real files, real exit codes. Scales are tiny so the suite is fast.

use std::path::PathBuf;
use std::process::{Command, Output};

use parlab_core::advisor::{Advice, WorkloadClass};
use parlab_core::record::Run;

const DEMOS: [&str; 8] =
    ["visual-guide", "timing", "as-completed", "cpu-sweep", "free-threaded", "chunking", "advise", "shared-memory"];

fn parlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parlab")).args(args).output().expect("the parlab binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parlab-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Exit code 2, nothing on stdout, and exactly one line `parlab: …` on stderr.
fn assert_refused(args: &[&str], mentions: &str) {
    let out = parlab(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout: {}", text(&out.stdout));
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("parlab: ") && err.contains(mentions), "{args:?}: {err}");
}

#[test]
fn help_lists_every_demo_with_a_line_each() {
    let out = parlab(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for demo in DEMOS {
        let line = help.lines().find(|l| l.trim_start().starts_with(demo)).unwrap_or_else(|| panic!("{demo}: {help}"));
        assert!(line.trim_start().len() > demo.len() + 10, "{demo} has no description: {line}");
    }
}

#[test]
fn visual_guide_writes_a_png_and_json_that_parses_back() {
    let dir = scratch("guide");
    let png_path = dir.join("g.png");
    let out = parlab(&["visual-guide", "--scale", "0.01", "--chart", png_path.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let runs: Vec<Run> = serde_json::from_slice(&out.stdout).expect("stdout is exactly the JSON runs");
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r.tasks.len() == 14 && r.tasks.iter().all(|t| t.ok)));
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["Sequential", "ProcessPool(3, GIL on)", "Hybrid(3×3, GIL on)", "ThreadPool(14, GIL on)"]);
    // Processes really ran elsewhere: their tasks carry other pids.
    let me = runs[0].tasks[0].lane.pid;
    assert!(runs[1].tasks.iter().all(|t| t.lane.pid != me));
    assert!(runs[0].wall > 3.0 * runs[3].wall, "14 sleeps on 14 threads overlap: {labels:?}");

    let bytes = std::fs::read(&png_path).expect("the chart was written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let (w, h) = (reader.info().width, reader.info().height);
    assert!(w >= 400 && h >= 400, "{w}×{h}");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    reader.next_frame(&mut pixels).expect("the image decodes");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trace_writes_every_run_as_a_trace_perfetto_opens() {
    let dir = scratch("trace");
    let path = dir.join("guide.json");
    let out = parlab(&["visual-guide", "--scale", "0.01", "--trace", path.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let runs: Vec<Run> = serde_json::from_slice(&out.stdout).expect("--trace leaves stdout to the JSON");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("the trace was written")).unwrap();
    let events = doc["traceEvents"].as_array().expect("a traceEvents array");
    assert!(events.iter().all(|e| ["M", "X", "C"].contains(&e["ph"].as_str().unwrap())));
    let tasks = events.iter().filter(|e| e["ph"] == "X" && e["cat"] == "task").count();
    assert_eq!(tasks, runs.iter().map(|r| r.tasks.len()).sum::<usize>(), "every task of every run");
    let processes: Vec<&str> =
        events.iter().filter(|e| e["name"] == "process_name").map(|e| e["args"]["name"].as_str().unwrap()).collect();
    // Sequential, 3 worker processes, 3 hybrid workers, the thread pool: each run its own processes.
    assert_eq!(processes.len(), 8, "{processes:?}");
    for run in &runs {
        assert!(processes.iter().any(|p| p.starts_with(&run.label)), "{} has no process: {processes:?}", run.label);
    }
    std::fs::remove_dir_all(&dir).unwrap();

    assert_refused(&["visual-guide", "--trace", "/no/such/dir/t.json"], "/no/such/dir");
    let here = std::env::temp_dir();
    assert_refused(&["visual-guide", "--trace", here.to_str().unwrap()], "is a directory");
}

/// Refused by clap's own range check: exit 2, nothing on stdout, the flag and its range named.
fn assert_out_of_range(args: &[&str], flag: &str) {
    let out = parlab(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout: {}", text(&out.stdout));
    assert!(
        err.contains("invalid value '0'") && err.contains(flag) && err.contains("0 is not in 1.."),
        "{args:?}: {err}"
    );
}

#[test]
fn zero_workers_tasks_or_chunksize_are_refused_by_the_parser_with_exit_2() {
    assert_out_of_range(&["timing", "--workers", "0"], "--workers");
    assert_out_of_range(&["cpu-sweep", "--workers", "1,0,2"], "--workers");
    assert_out_of_range(&["timing", "--tasks", "0"], "--tasks");
    assert_out_of_range(&["chunking", "--chunksize", "0"], "--chunksize");
}

#[test]
fn other_impossible_requests_are_one_line_and_exit_2() {
    assert_refused(&["visual-guide", "--scale", "0"], "--scale");
    assert_refused(&["visual-guide", "--scale", "-1"], "--scale");
    assert_refused(&["shared-memory", "--size", "100000000"], "memory");
    assert_refused(&["advise", "matrix", "--size", "100000000"], "memory");
    assert_refused(&["visual-guide", "--chart", "out.jpg"], ".png or .svg");
    assert_refused(&["timing", "--executor", "hybrid"], "hybrid");
}

#[test]
fn bad_flags_get_clap_errors_and_exit_2() {
    let out = parlab(&["visual-guide", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("unexpected argument '--no-such-flag'"), "{err}");
    let out = parlab(&["timing", "--workers", "two"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value 'two'"));
    let out = parlab(&["no-such-demo"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn advise_names_the_class_in_json() {
    let out = parlab(&["advise", "sleep", "--scale", "0.01", "--tasks", "4", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let advice: Advice = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(advice.class(), WorkloadClass::WaitingBound);
    assert_eq!(advice.run.tasks.len(), 4);

    let out = parlab(&["advise", "prime", "--tasks", "200"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("too small to parallelise"), "{}", text(&out.stdout));
}

#[test]
fn every_other_demo_runs_at_a_tiny_scale() {
    let dir = scratch("demos");
    let svg = dir.join("c.svg");
    let svg = svg.to_str().unwrap();
    let cases: [&[&str]; 6] = [
        &["timing", "--scale", "0.005", "--tasks", "3", "--workers", "2", "--seed", "1"],
        &[
            "as-completed",
            "--scale",
            "0.02",
            "--tasks",
            "5",
            "--workers",
            "2",
            "--executor",
            "processes",
            "--chart",
            svg,
        ],
        &["cpu-sweep", "--scale", "0.02", "--tasks", "4", "--workers", "1,2"],
        &["free-threaded", "--scale", "0.02", "--tasks", "4", "--workers", "2", "--workload", "factorize"],
        &["chunking", "--count", "100", "--chunksize", "25", "--workers", "2"],
        &["shared-memory", "--size", "150", "--pairs", "6", "--workers", "2", "--algorithm", "bitset"],
    ];
    for args in cases {
        let out = parlab(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{args:?} printed no report");
    }
    assert!(std::fs::read_to_string(svg).unwrap().starts_with("<svg"));

    let out = parlab(&["shared-memory", "--size", "120", "--pairs", "4", "--json"]);
    let runs: Vec<Run> = serde_json::from_slice(&out.stdout).expect("JSON runs");
    assert_eq!(runs.len(), 5, "the four ways and threads under the GIL");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without the `mpi` feature `parlab mpi` still exists, and says how to get the real one.
#[cfg(not(feature = "mpi"))]
#[test]
fn mpi_without_the_feature_says_how_to_build_it() {
    assert_refused(&["mpi", "timing", "--ranks", "2"], "built without MPI: build it with");
}
