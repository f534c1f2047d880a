//! Runs as Chrome trace-event JSON, to open in Perfetto (<https://ui.perfetto.dev>,
//! "Open trace file") or `chrome://tracing`.
//!
//! Invariant: a trace written here is one JSON object `{"traceEvents": [...]}`
//! in which every `pid` and `tid` an event uses is named by a metadata event
//! (`ph: "M"`), every task is one complete event (`ph: "X"`, `ts` and `dur` in
//! microseconds from its run's start, never negative), and the complete events
//! on one `(pid, tid)` are disjoint or properly nested — never partly
//! overlapping, which viewers draw wrongly.
//!
//! How a [`Run`] maps onto the format:
//! - **pid** — the operating-system pid the tasks ran in (later: host and
//!   rank). In a trace of several runs, a process already used by an earlier
//!   run (a sequential run and a thread pool share the notebook's process) gets
//!   a stand-in pid above any Linux pid ([`FIRST_STAND_IN_PID`] on), so each
//!   run keeps its own process group; its name still gives the real pid.
//! - **tid** — one per worker thread, numbered 1, 2, … across the whole trace
//!   (some viewers key threads by tid alone, and Perfetto once merged tid 0 into
//!   tid 1); the thread's name (`T3`, `main`) says which thread it is.
//! - **time** — every run starts at 0, so runs of the same work line up for
//!   comparison.
//! - **GIL waits** — a [`TaskRecord`] keeps only the *total* time the task
//!   waited for the simulated GIL, not when (the `gil` module does not record
//!   the intervals). So a task that waited gets one child slice of that total
//!   length, named [`GIL_SLICE`] to say its position is not known, drawn from
//!   the task's start; the same total is in the task's `args`.
//! - **counters** — each process gets a `tasks running` counter: how many of
//!   the run's tasks were under way in it at each moment.
//! - A task that overlaps an earlier one on its thread (only the records made
//!   up for tasks lost with a dead worker can) goes to an extra track,
//!   `T1 (overlapping 1)`, instead of breaking the nesting: on each track the
//!   tasks are disjoint, and a GIL slice sits inside its task.
//!
//! ```
//! use parlab_core::prelude::*;
//! # fn main() -> parlab_core::Result<()> {
//! # workload::set_scale(0.01)?;
//! let (_, run) = ThreadPool::new(2)?.gil(true).run(cpu_task, 0..4u64)?;
//! let path = std::env::temp_dir().join(format!("parlab-doc-trace-{}.json", std::process::id()));
//! run.save_trace(&path)?; // then open it at https://ui.perfetto.dev
//! let trace: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?).unwrap();
//! assert!(trace["traceEvents"].as_array().unwrap().iter().any(|e| e["ph"] == "X"));
//! # std::fs::remove_file(&path)?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::record::{ExecutorKind, Lane, Run, TaskRecord};

/// The name of the slice that stands for a task's GIL waits (their total
/// length; when they happened is not recorded).
pub const GIL_SLICE: &str = "GIL wait (total; position not recorded)";

/// The first pid handed to a process that an earlier run in the same trace
/// already used: one above Linux's largest possible pid (2²²).
pub const FIRST_STAND_IN_PID: u64 = 1 << 22;

impl Run {
    /// This run as a Chrome trace-event document (see the [`trace`](crate::trace) module).
    ///
    /// ```
    /// use parlab_core::prelude::*;
    /// # fn main() -> parlab_core::Result<()> {
    /// let (_, run) = Sequential::new().run(sum_square, [10u64, 20])?;
    /// let doc = run.to_trace();
    /// let names: Vec<&str> = doc["traceEvents"].as_array().unwrap().iter()
    ///     .filter(|e| e["ph"] == "X").map(|e| e["name"].as_str().unwrap()).collect();
    /// assert_eq!(names, ["task 0", "task 1"]);
    /// # Ok(()) }
    /// ```
    pub fn to_trace(&self) -> Value {
        to_trace(&[self])
    }

    /// [`Run::to_trace`] as JSON text.
    ///
    /// ```
    /// use parlab_core::prelude::*;
    /// # fn main() -> parlab_core::Result<()> {
    /// let (_, run) = Sequential::new().run(sum_square, [10u64])?;
    /// let doc: serde_json::Value = serde_json::from_str(&run.trace_json()).unwrap();
    /// assert!(doc["traceEvents"].is_array());
    /// # Ok(()) }
    /// ```
    pub fn trace_json(&self) -> String {
        to_trace(&[self]).to_string()
    }

    /// Write this run to `path` as a trace to open in Perfetto or `chrome://tracing`.
    ///
    /// A path that cannot be written is an [`Error::Os`] naming it.
    ///
    /// ```
    /// use parlab_core::prelude::*;
    /// # fn main() -> parlab_core::Result<()> {
    /// let (_, run) = Sequential::new().run(sum_square, [10u64])?;
    /// let err = run.save_trace("/no/such/dir/run.json").unwrap_err();
    /// assert!(err.to_string().contains("/no/such/dir/run.json"));
    /// # Ok(()) }
    /// ```
    pub fn save_trace(&self, path: impl AsRef<Path>) -> Result<()> {
        save_traces(&[self], path)
    }
}

/// Several runs as one trace document, each run its own group of processes,
/// all starting at time 0.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// let (_, a) = Sequential::new().run(sum_square, [10u64])?;
/// let (_, b) = ThreadPool::new(2)?.run(sum_square, [10u64, 20])?;
/// let doc = parlab_core::trace::to_trace(&[&a, &b]);
/// let processes = doc["traceEvents"].as_array().unwrap().iter()
///     .filter(|e| e["name"] == "process_name").count();
/// assert_eq!(processes, 2); // the same OS process, once per run
/// # Ok(()) }
/// ```
pub fn to_trace(runs: &[&Run]) -> Value {
    let mut events = Vec::new();
    let mut used_pids = HashSet::new();
    let mut next_stand_in = FIRST_STAND_IN_PID;
    let mut next_tid = 1u64;
    for (order, run) in runs.iter().enumerate() {
        // One trace pid per OS process of this run; a pid an earlier run took gets a stand-in.
        let mut pids: BTreeMap<(usize, u32), u64> = BTreeMap::new();
        for lane in run.lanes() {
            pids.entry((lane.worker, lane.pid)).or_insert_with(|| {
                if used_pids.insert(u64::from(lane.pid)) && lane.pid != 0 {
                    u64::from(lane.pid)
                } else {
                    next_stand_in += 1;
                    next_stand_in - 1
                }
            });
        }
        for (&(worker, os_pid), &pid) in &pids {
            let name = process_name(run, worker, os_pid);
            events.push(meta("process_name", pid, None, json!({ "name": name })));
            events.push(meta("process_sort_index", pid, None, json!({ "sort_index": order * 10_000 + worker })));
        }
        let mut rows = Rows::default();
        let mut tids: BTreeMap<(Lane, usize), u64> = BTreeMap::new();
        let mut track = |lane: Lane, row: usize, events: &mut Vec<Value>| {
            let pid = pids[&(lane.worker, lane.pid)];
            let tid = *tids.entry((lane, row)).or_insert_with(|| {
                next_tid += 1;
                let name = thread_name(run.kind, lane, row);
                events.push(meta("thread_name", pid, Some(next_tid - 1), json!({ "name": name })));
                let sort = lane.thread * 100 + row;
                events.push(meta("thread_sort_index", pid, Some(next_tid - 1), json!({ "sort_index": sort })));
                next_tid - 1
            });
            (pid, tid)
        };
        // Threads in lane order first, so T1 gets the smallest tid.
        for lane in run.lanes() {
            track(lane, 0, &mut events);
        }
        let mut by_start: Vec<(&TaskRecord, Span)> = run.tasks.iter().map(|t| (t, Span::of(t))).collect();
        by_start.sort_by_key(|(t, s)| (s.start, s.end, t.index));
        let mut first_tid = BTreeMap::new();
        for (task, span) in by_start {
            let row = rows.place(task.lane, span);
            let (pid, tid) = track(task.lane, row, &mut events);
            first_tid.entry(pid).or_insert(tid);
            events.extend(task_events(task, span, pid, tid));
        }
        for (&(worker, os_pid), &pid) in &pids {
            let tid = first_tid.get(&pid).copied().unwrap_or(1);
            let spans = run.tasks.iter().filter(|t| (t.lane.worker, t.lane.pid) == (worker, os_pid)).map(Span::of);
            events.extend(running_counter(spans, pid, tid));
        }
    }
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": { "producer": "parlab", "runs": runs.iter().map(|r| r.label.as_str()).collect::<Vec<_>>() },
    })
}

/// [`to_trace`] as JSON text.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// let (_, run) = Sequential::new().run(sum_square, [10u64])?;
/// let text = parlab_core::trace::to_json(&[&run]);
/// assert_eq!(text, run.trace_json());
/// assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
/// # Ok(()) }
/// ```
pub fn to_json(runs: &[&Run]) -> String {
    to_trace(runs).to_string()
}

/// Write several runs to `path` as one trace (see [`to_trace`]).
///
/// A path that cannot be written is an [`Error::Os`] naming it.
///
/// ```
/// use parlab_core::prelude::*;
/// # fn main() -> parlab_core::Result<()> {
/// let (_, a) = Sequential::new().run(sum_square, [10u64, 20])?;
/// let (_, b) = ThreadPool::new(2)?.run(sum_square, [10u64, 20])?;
/// let path = std::env::temp_dir().join(format!("parlab-doc-traces-{}.json", std::process::id()));
/// parlab_core::trace::save_traces(&[&a, &b], &path)?;
/// # std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
pub fn save_traces(runs: &[&Run], path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, to_json(runs))
        .map_err(|e| Error::Os(format!("could not write the trace to {}: {e}", path.display())))
}

/// A task's span in whole nanoseconds from its run's start; a stamp before the
/// start (a task split off the previous batch) is drawn from 0.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u64,
    end: u64,
}

impl Span {
    fn of(t: &TaskRecord) -> Span {
        let ns = |s: f64| if s.is_finite() && s > 0.0 { (s * 1e9).round() as u64 } else { 0 };
        let start = ns(t.start);
        Span { start, end: ns(t.end).max(start) }
    }
}

/// Microseconds, the trace format's unit, from nanoseconds.
fn micros(ns: u64) -> f64 {
    ns as f64 / 1e3
}

/// The rows of each lane: row 0 is the thread itself; a task that would
/// overlap the last one placed on every row so far opens a new row. Tasks
/// arrive sorted by start, so the last end of each row is all it takes.
#[derive(Default)]
struct Rows {
    last_end: BTreeMap<Lane, Vec<u64>>,
}

impl Rows {
    fn place(&mut self, lane: Lane, span: Span) -> usize {
        let rows = self.last_end.entry(lane).or_default();
        let row = rows.iter().position(|&end| end <= span.start).unwrap_or_else(|| {
            rows.push(0);
            rows.len() - 1
        });
        rows[row] = span.end;
        row
    }
}

fn task_events(task: &TaskRecord, span: Span, pid: u64, tid: u64) -> Vec<Value> {
    let name = if task.ok { format!("task {}", task.index) } else { format!("task {} (failed)", task.index) };
    let mut out = vec![json!({
        "ph": "X", "cat": "task", "name": name, "pid": pid, "tid": tid,
        "ts": micros(span.start), "dur": micros(span.end - span.start),
        "args": {
            "index": task.index, "arg": task.arg, "cpu_s": task.cpu, "gil_wait_s": task.gil_wait,
            "work_s": task.work(), "ok": task.ok,
        },
    })];
    if task.gil_wait > 0.0 {
        let wait = ((task.gil_wait * 1e9).round() as u64).min(span.end - span.start);
        out.push(json!({
            "ph": "X", "cat": "gil", "name": GIL_SLICE, "pid": pid, "tid": tid,
            "ts": micros(span.start), "dur": micros(wait),
            "args": {
                "gil_wait_s": task.gil_wait,
                "note": "parlab records only the total GIL wait of each task; this slice has that length \
                         and starts with the task, but the waits happened somewhere inside the task",
            },
        }));
    }
    out
}

/// `tasks running` over time: one sample at 0 and one per moment the count changes.
fn running_counter(spans: impl Iterator<Item = Span>, pid: u64, tid: u64) -> Vec<Value> {
    let mut changes: BTreeMap<u64, i64> = BTreeMap::new();
    for s in spans {
        *changes.entry(s.start).or_default() += 1;
        *changes.entry(s.end).or_default() -= 1;
    }
    changes.entry(0).or_default();
    let mut running = 0i64;
    changes
        .into_iter()
        .map(|(ns, delta)| {
            running += delta;
            json!({ "ph": "C", "name": "tasks running", "pid": pid, "tid": tid, "ts": micros(ns),
                    "args": { "tasks": running } })
        })
        .collect()
}

fn meta(name: &str, pid: u64, tid: Option<u64>, args: Value) -> Value {
    let mut e = json!({ "ph": "M", "name": name, "pid": pid, "args": args });
    if let Some(tid) = tid {
        e["tid"] = json!(tid);
    }
    e
}

fn process_name(run: &Run, worker: usize, os_pid: u32) -> String {
    match run.kind {
        ExecutorKind::Sequential | ExecutorKind::Threads => format!("{} (pid {os_pid})", run.label),
        ExecutorKind::Processes | ExecutorKind::Hybrid => format!("{} P{} (pid {os_pid})", run.label, worker + 1),
        ExecutorKind::Mpi => format!("{} rank {} (pid {os_pid})", run.label, worker + 1),
    }
}

fn thread_name(kind: ExecutorKind, lane: Lane, row: usize) -> String {
    let base = match kind {
        ExecutorKind::Sequential => "main".to_string(),
        _ => format!("T{}", lane.thread + 1),
    };
    if row == 0 { base } else { format!("{base} (overlapping {row})") }
}
