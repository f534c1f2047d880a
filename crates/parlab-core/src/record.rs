//! Records of every run: which task ran on which worker, when, for how long.
//!
//! Invariant: every task an executor finishes (successfully or not) leaves
//! exactly one [`TaskRecord`] in that executor's journal, with times measured
//! where the task ran, on the system-wide monotonic clock. [`Run`] is plain
//! data (serde) so charts, traces ([`crate::trace`]), JSON output and tests all
//! read the same thing.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::sync::lock;

/// Several runs as one trace file for Perfetto; see [`crate::trace`].
pub use crate::trace::save_traces;

/// Which kind of executor produced a run; decides how lanes are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExecutorKind {
    /// Everything on the calling thread.
    Sequential,
    /// Threads in this process.
    Threads,
    /// One thread in each of several worker processes.
    Processes,
    /// Several threads in each of several worker processes.
    Hybrid,
    /// MPI ranks (one task at a time each), on one host or several.
    Mpi,
}

/// Where a task ran: a worker process and a thread inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Lane {
    /// Index of the worker process in its pool (0 for in-process executors).
    pub worker: usize,
    /// Index of the thread inside that process.
    pub thread: usize,
    /// Operating-system process id the task ran in.
    pub pid: u32,
    /// Which of the run's [`Run::hosts`] the process ran on (0 when the run has
    /// one machine, as every executor but an MPI pool).
    #[serde(default)]
    pub host: u32,
}

impl Lane {
    /// A short name for the lane: `main`, `T3`, `P2` or `P2·T1` (1-based, like the guide).
    pub fn label(&self, kind: ExecutorKind) -> String {
        match kind {
            ExecutorKind::Sequential => "main".to_string(),
            ExecutorKind::Threads => format!("T{}", self.thread + 1),
            ExecutorKind::Processes => format!("P{}", self.worker + 1),
            ExecutorKind::Hybrid => format!("P{}·T{}", self.worker + 1, self.thread + 1),
            ExecutorKind::Mpi => format!("R{}", self.worker + 1),
        }
    }
}

/// One task of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Submission index within the run (0-based).
    pub index: usize,
    /// The argument, as `Debug` text (shortened when long).
    pub arg: String,
    /// Where it ran.
    pub lane: Lane,
    /// Seconds from the run's start to the task's start.
    pub start: f64,
    /// Seconds from the run's start to the task's end.
    pub end: f64,
    /// CPU seconds the task used, where the OS reports it.
    pub cpu: Option<f64>,
    /// Seconds of the task's span spent waiting for the simulated GIL.
    #[serde(default)]
    pub gil_wait: f64,
    /// False if the task panicked or its worker died.
    pub ok: bool,
    /// Seconds spent moving the task's bytes (argument out, result back)
    /// rather than computing: measured by an MPI pool, 0 for other executors.
    #[serde(default)]
    pub transfer: f64,
}

impl TaskRecord {
    /// Seconds the task took from start to end.
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }

    /// Seconds the task spent working: its span minus its waits for the GIL.
    pub fn work(&self) -> f64 {
        (self.duration() - self.gil_wait).max(0.0)
    }
}

/// Everything recorded about one batch of work on one executor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// A name for the approach, shown in tables and charts.
    pub label: String,
    /// The executor's kind.
    pub kind: ExecutorKind,
    /// How many tasks the executor could run at once.
    pub workers: usize,
    /// Seconds from the first submission to the last task's end.
    pub wall: f64,
    /// The tasks, in submission order.
    pub tasks: Vec<TaskRecord>,
    /// Host names, indexed by [`Lane::host`]; empty for a run on one machine.
    #[serde(default)]
    pub hosts: Vec<String>,
}

impl Run {
    /// Replace the label (useful when comparing variants of one executor).
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sum of every task's duration: what the run would take one task at a time.
    pub fn task_time(&self) -> f64 {
        self.tasks.iter().map(TaskRecord::duration).sum()
    }

    /// Sum of every task's work (span minus GIL waits).
    pub fn work_time(&self) -> f64 {
        self.tasks.iter().map(TaskRecord::work).sum()
    }

    /// Sum of every task's GIL waits.
    pub fn gil_wait(&self) -> f64 {
        self.tasks.iter().map(|t| t.gil_wait).sum()
    }

    /// Sum of every task's CPU time (tasks without a reading count as zero).
    pub fn cpu_time(&self) -> f64 {
        self.tasks.iter().filter_map(|t| t.cpu).sum()
    }

    /// How many tasks were under way at once, on average: their work (spans
    /// minus GIL waits) over the wall time. A busy machine stretches tasks that
    /// run side by side but does not stop them overlapping, so this changes
    /// little with load; tasks run one at a time give about 1.
    pub fn concurrency(&self) -> f64 {
        if self.wall > 0.0 { self.work_time() / self.wall } else { 0.0 }
    }

    /// CPU cores the tasks used between them: their CPU time over the wall
    /// time. `None` if a task has no CPU reading (very short tasks skip it).
    pub fn cores_used(&self) -> Option<f64> {
        let all = self.tasks.iter().map(|t| t.cpu).collect::<Option<Vec<f64>>>()?;
        (self.wall > 0.0 && !all.is_empty()).then(|| all.iter().sum::<f64>() / self.wall)
    }

    /// The distinct lanes used, sorted.
    pub fn lanes(&self) -> Vec<Lane> {
        let mut lanes: Vec<Lane> = self.tasks.iter().map(|t| t.lane).collect();
        lanes.sort();
        lanes.dedup();
        lanes
    }

    /// The summary numbers and the per-task table.
    pub fn report(&self) -> Report<'_> {
        Report { run: self }
    }
}

/// Wall time, sum of task times, speedup and efficiency of a [`Run`];
/// prints as the seed's `display_results` table.
#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    run: &'a Run,
}

impl Report<'_> {
    /// Seconds from the first submission to the last task's end.
    pub fn wall(&self) -> f64 {
        self.run.wall
    }

    /// Sum of task durations in seconds.
    pub fn task_time(&self) -> f64 {
        self.run.task_time()
    }

    /// Seconds of GIL waiting inside the tasks' spans.
    pub fn gil_wait(&self) -> f64 {
        self.run.gil_wait()
    }

    /// Estimated speedup: the tasks' work (spans minus GIL waits — what they
    /// would take one after another) over the wall time.
    ///
    /// Tasks that compete for cores (more CPU-bound tasks than cores) stretch
    /// without waiting for a GIL; only a sequential baseline measures that —
    /// see [`compare`].
    pub fn speedup(&self) -> f64 {
        self.run.concurrency()
    }

    /// Speedup per worker, between 0 and about 1.
    pub fn efficiency(&self) -> f64 {
        self.speedup() / self.run.workers.max(1) as f64
    }

    /// Evcxr shows a report as its text table.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = self.run;
        let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
        writeln!(f, "{} — {} on {}", run.label, plural(run.tasks.len(), "task"), plural(run.workers, "worker"))?;
        let gil = run.tasks.iter().any(|t| t.gil_wait > 0.0);
        let moving = run.tasks.iter().any(|t| t.transfer > 0.0);
        write!(
            f,
            "{:>5}  {:<14} {:<8} {:>8} {:>8} {:>8} {:>8}",
            "task", "arg", "lane", "start s", "end s", "time s", "cpu s"
        )?;
        if moving {
            write!(f, "  {:>8}", "moving s")?;
        }
        writeln!(f, "{}", if gil { "  GIL wait s" } else { "" })?;
        for t in &run.tasks {
            let cpu = t.cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.3}"));
            write!(
                f,
                "{:>5}  {:<14} {:<8} {:>8.3} {:>8.3} {:>8.3} {:>8}",
                t.index,
                shorten(&t.arg, 14),
                t.lane.label(run.kind),
                t.start,
                t.end,
                t.duration(),
                cpu
            )?;
            if moving {
                write!(f, "  {:>8.4}", t.transfer)?;
            }
            if gil {
                write!(f, "  {:>10.3}", t.gil_wait)?;
            }
            writeln!(f, "{}", if t.ok { "" } else { "  failed" })?;
        }
        writeln!(f, "sum of task times {:>9.3} s", self.task_time())?;
        if gil {
            writeln!(f, "  of which GIL wait {:>7.3} s", self.gil_wait())?;
        }
        if moving {
            let bytes: f64 = run.tasks.iter().map(|t| t.transfer).sum();
            writeln!(
                f,
                "moving bytes      {bytes:>9.3} s   (messages to and from the workers, apart from task times)"
            )?;
        }
        writeln!(f, "wall time         {:>9.3} s", self.wall())?;
        if let Some(cores) = run.cores_used() {
            writeln!(f, "CPU cores used    {cores:>9.2}   (CPU time / wall time: how many computed at once)")?;
        }
        writeln!(f, "speedup           {:>9.2}x  (task time without GIL waits / wall time)", self.speedup())?;
        write!(f, "efficiency        {:>9.0}%  (speedup / {} workers)", self.efficiency() * 100.0, run.workers)
    }
}

/// Several runs of the same tasks side by side, speedups against the first:
/// the visual guide's closing table.
#[derive(Clone, Debug)]
pub struct Comparison<'a> {
    runs: Vec<&'a Run>,
}

/// Compare runs of the same work; the first is the baseline (usually sequential).
pub fn compare<'a>(runs: impl IntoIterator<Item = &'a Run>) -> Comparison<'a> {
    Comparison { runs: runs.into_iter().collect() }
}

impl Comparison<'_> {
    /// `(label, wall seconds, speedup against the first run)` for each run.
    pub fn rows(&self) -> Vec<(String, f64, f64)> {
        let base = self.runs.first().map_or(0.0, |r| r.wall);
        self.runs.iter().map(|r| (r.label.clone(), r.wall, if r.wall > 0.0 { base / r.wall } else { 0.0 })).collect()
    }

    /// Evcxr shows a comparison as its text table.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Comparison<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<32} {:>9}  speedup", "approach", "time")?;
        for (label, wall, speedup) in self.rows() {
            writeln!(f, "{:<32} {:>9}  {}", shorten(&label, 32), human_secs(wall), speedup_bar(speedup))?;
        }
        Ok(())
    }
}

/// A speedup as a bar and a figure. A gain is one `█` per times faster; a
/// loss is one `░` per times *slower*, with the slowdown in words, so a run 25
/// times slower never shows the same bar as one that broke even.
fn speedup_bar(speedup: f64) -> String {
    if !(speedup.is_finite() && speedup > 0.0) {
        "n/a (no time recorded)".to_string()
    } else if speedup >= SLOWER_BELOW {
        format!("{} {speedup:.1}x", "█".repeat(speedup.round().clamp(1.0, 60.0) as usize))
    } else {
        let slower = 1.0 / speedup;
        let figure = if speedup >= 0.1 { format!("{speedup:.2}x") } else { format!("{speedup:.3}x") };
        format!("{} {figure} ({slower:.1}x slower)", "░".repeat(slower.round().clamp(1.0, 60.0) as usize))
    }
}

/// Below this a speedup is shown as a slowdown: 0.95x and up reads as "1.0x".
const SLOWER_BELOW: f64 = 0.95;

/// Speedup against worker count: one run per worker count, all measured
/// against the same one-at-a-time baseline.
///
/// ```
/// use parlab_core::prelude::*;
/// use parlab_core::record::Sweep;
/// # fn main() -> parlab_core::Result<()> {
/// # workload::set_scale(0.005)?;
/// let tasks: Vec<(u32, f64)> = (0..8).map(|i| (i, 1.0)).collect();
/// let (_, baseline) = Sequential::new().run(delayed_return_for, tasks.clone())?;
/// let sweep = Sweep::measure("sleeps on threads", baseline.wall, [1, 2, 4], |n| {
///     Ok(ThreadPool::new(n)?.run(delayed_return_for, tasks.clone())?.1)
/// })?;
/// assert_eq!(sweep.points().len(), 3);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// What was swept, for titles.
    pub label: String,
    /// Wall seconds of the baseline (sequential) run.
    pub baseline: f64,
    /// One run per worker count.
    pub runs: Vec<Run>,
}

impl Sweep {
    /// Run `run_with(n)` for each worker count `n` and collect the runs.
    pub fn measure(
        label: impl Into<String>,
        baseline: f64,
        workers: impl IntoIterator<Item = usize>,
        mut run_with: impl FnMut(usize) -> crate::Result<Run>,
    ) -> crate::Result<Sweep> {
        let runs = workers.into_iter().map(&mut run_with).collect::<crate::Result<Vec<Run>>>()?;
        Ok(Sweep { label: label.into(), baseline, runs })
    }

    /// `(workers, speedup against the baseline)` for each run.
    pub fn points(&self) -> Vec<(usize, f64)> {
        self.runs.iter().map(|r| (r.workers, if r.wall > 0.0 { self.baseline / r.wall } else { 0.0 })).collect()
    }

    /// The Amdahl serial fraction that best fits the points.
    pub fn serial_fraction(&self) -> Option<f64> {
        fit_serial_fraction(&self.points())
    }

    /// The serial fraction fitted to the points with at most `workers`
    /// workers — e.g. the machine's core count, since past it the workers
    /// queue for cores and that saturation would read as serial work.
    pub fn serial_fraction_up_to(&self, workers: usize) -> Option<f64> {
        let points: Vec<(usize, f64)> = self.points().into_iter().filter(|p| p.0 <= workers).collect();
        fit_serial_fraction(&points)
    }
}

/// Run `f` and return its result with the seconds it took (the seed's `timed`).
///
/// ```
/// let (sum, secs) = parlab_core::record::timed(|| (0..1000u64).sum::<u64>());
/// assert_eq!(sum, 499_500);
/// assert!(secs >= 0.0);
/// ```
pub fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let start = clock::now_ns();
    let out = f();
    (out, clock::secs_between(start, clock::now_ns()))
}

/// Amdahl's law: the speedup on `workers` workers when `serial` of the work
/// (a fraction in `[0, 1]`) cannot run in parallel.
///
/// ```
/// use parlab_core::record::amdahl_speedup;
/// assert!((amdahl_speedup(0.2, 1_000_000) - 5.0).abs() < 0.01); // the 5x ceiling
/// ```
pub fn amdahl_speedup(serial: f64, workers: usize) -> f64 {
    let n = workers.max(1) as f64;
    1.0 / (serial + (1.0 - serial) / n)
}

/// Gustafson's law: the speedup on `workers` workers when the problem grows
/// with them and `serial` is the share of the *parallel run's* time spent on
/// serial work. Amdahl fixes the work and asks how fast; Gustafson fixes the
/// time and asks how much: `n - serial × (n - 1)`, which has no ceiling.
///
/// ```
/// use parlab_core::record::{amdahl_speedup, gustafson_speedup};
/// assert!((gustafson_speedup(0.2, 10) - 8.2).abs() < 1e-9); // Amdahl gives 3.6
/// assert!(amdahl_speedup(0.2, 10) < 3.6);
/// ```
pub fn gustafson_speedup(serial: f64, workers: usize) -> f64 {
    let n = workers.max(1) as f64;
    n - serial * (n - 1.0)
}

/// The serial fraction that best explains measured `(workers, speedup)` points
/// under Amdahl's law (least squares on `1/S - 1/n = s (1 - 1/n)`), clamped to `[0, 1]`.
/// `None` when no point has more than one worker.
///
/// ```
/// use parlab_core::record::{amdahl_speedup, fit_serial_fraction};
/// let points: Vec<(usize, f64)> = [1, 2, 4, 8].iter().map(|&n| (n, amdahl_speedup(0.1, n))).collect();
/// assert!((fit_serial_fraction(&points).unwrap() - 0.1).abs() < 1e-9);
/// ```
pub fn fit_serial_fraction(points: &[(usize, f64)]) -> Option<f64> {
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(n, speedup) in points {
        if n < 2 || speedup <= 0.0 {
            continue;
        }
        let x = 1.0 - 1.0 / n as f64;
        let y = 1.0 / speedup - 1.0 / n as f64;
        sxy += x * y;
        sxx += x * x;
    }
    (sxx > 0.0).then(|| (sxy / sxx).clamp(0.0, 1.0))
}

pub use crate::units::human_secs;

/// Shorten `s` to at most `max` characters, marking the cut with `…`.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `Debug` text of `value`, cut off after about `max` bytes without formatting the rest
/// (a 16 MiB matrix argument must not be formatted in full just to label a task).
pub(crate) fn debug_label<T: fmt::Debug + ?Sized>(value: &T, max: usize) -> String {
    struct Capped {
        out: String,
        max: usize,
    }
    impl fmt::Write for Capped {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let room = self.max.saturating_sub(self.out.len());
            if s.len() <= room {
                self.out.push_str(s);
                Ok(())
            } else {
                let mut cut = room;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                self.out.push_str(&s[..cut]);
                Err(fmt::Error)
            }
        }
    }
    let mut w = Capped { out: String::new(), max };
    if fmt::write(&mut w, format_args!("{value:?}")).is_err() {
        w.out.push('…');
    }
    w.out
}

/// A finished task as a worker reports it: absolute stamps, not yet tied to a run.
#[derive(Clone, Debug)]
pub(crate) struct RawTask {
    pub index: usize,
    pub arg: String,
    pub lane: Lane,
    pub start_ns: u64,
    pub end_ns: u64,
    pub cpu_ns: Option<u64>,
    pub gil_wait_ns: u64,
    pub ok: bool,
}

/// The running log an executor keeps; `take` turns it into a [`Run`].
///
/// Submitting threads only touch atomics (`reserve`); finishing tasks send
/// their records down a channel, so workers never queue on a lock. A `take` racing with submissions may split a batch between
/// two runs, which is why `run` takes before and after its own batch.
#[derive(Debug)]
pub(crate) struct Journal {
    /// Monotonic stamp of the first reservation since the last take; 0 = none yet.
    batch_start: AtomicU64,
    next_index: AtomicUsize,
    /// One lock per finished task or chunk: cheaper than a channel send per
    /// task when a worker process answers a chunk of hundreds at once.
    finished: Mutex<Vec<RawTask>>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal { batch_start: AtomicU64::new(0), next_index: AtomicUsize::new(0), finished: Mutex::default() }
    }
}

impl Journal {
    /// Reserve `n` consecutive task indices; the first reservation after a
    /// `take` marks the start of the next run.
    pub fn reserve(&self, n: usize) -> usize {
        if self.batch_start.load(Ordering::Relaxed) == 0 {
            let _ = self.batch_start.compare_exchange(0, clock::now_ns().max(1), Ordering::AcqRel, Ordering::Relaxed);
        }
        self.next_index.fetch_add(n, Ordering::Relaxed)
    }

    /// Record finished tasks.
    pub fn extend(&self, tasks: impl IntoIterator<Item = RawTask>) {
        lock(&self.finished).extend(tasks);
    }

    /// Everything recorded since the last `take`, as a run; starts a new run.
    pub fn take(&self, label: String, kind: ExecutorKind, workers: usize) -> Run {
        let mut raw = std::mem::take(&mut *lock(&self.finished));
        let start = match self.batch_start.swap(0, Ordering::AcqRel) {
            0 => clock::now_ns(),
            stamp => stamp,
        };
        self.next_index.store(0, Ordering::Relaxed);
        raw.sort_by_key(|t| t.index);
        let tasks: Vec<TaskRecord> = raw
            .into_iter()
            .map(|t| TaskRecord {
                index: t.index,
                arg: t.arg,
                lane: t.lane,
                start: clock::secs_between(start, t.start_ns),
                end: clock::secs_between(start, t.end_ns),
                cpu: t.cpu_ns.map(|c| c as f64 / 1e9),
                gil_wait: t.gil_wait_ns as f64 / 1e9,
                ok: t.ok,
                transfer: 0.0,
            })
            .collect();
        let wall = tasks.iter().map(|t| t.end).fold(0.0, f64::max);
        Run { label, kind, workers, wall, tasks, hosts: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_label_caps_long_values() {
        let v: Vec<u32> = (0..100_000).collect();
        let label = debug_label(&v, 20);
        assert!(label.len() <= 24, "{label}");
        assert!(label.ends_with('…'));
        assert_eq!(debug_label(&7, 20), "7");
    }

    fn run_of(label: &str, wall: f64) -> Run {
        Run { label: label.into(), kind: ExecutorKind::Sequential, workers: 1, wall, tasks: vec![], hosts: vec![] }
    }

    #[test]
    fn a_slowdown_shows_as_a_slowdown() {
        let (base, even, fast, slow) =
            (run_of("base", 1.0), run_of("even", 1.0), run_of("fast", 0.25), run_of("slow", 25.0));
        let text = compare([&base, &even, &fast, &slow]).to_string();
        let line = |name: &str| text.lines().find(|l| l.starts_with(name)).unwrap().to_string();
        assert!(line("even").ends_with("█ 1.0x"), "{text}");
        assert!(line("fast").ends_with("████ 4.0x"), "{text}");
        let slow = line("slow");
        assert!(slow.contains("0.040x (25.0x slower)"), "{text}");
        assert!(!slow.contains('█') && slow.contains(&"░".repeat(25)), "{text}");
    }

    #[test]
    fn a_report_shows_moving_bytes_apart_from_computing_when_there_were_any() {
        let task = |transfer: f64| TaskRecord {
            index: 0,
            arg: "0".into(),
            lane: Lane { worker: 0, thread: 0, pid: 1, host: 0 },
            start: 0.0,
            end: 0.5,
            cpu: Some(0.5),
            gil_wait: 0.0,
            ok: true,
            transfer,
        };
        let mut run = run_of("mpi", 0.6);
        run.tasks = vec![task(0.0)];
        assert!(!run.report().to_string().contains("moving"), "{}", run.report());
        run.tasks.push(TaskRecord { index: 1, ..task(0.25) });
        let text = run.report().to_string();
        assert!(text.contains("moving s") && text.contains("0.2500"), "{text}");
        let line = text.lines().find(|l| l.starts_with("moving bytes")).expect("a moving-bytes line");
        assert!(line.contains("0.250 s"), "{text}");
    }

    #[test]
    fn gustafson_has_no_ceiling() {
        assert_eq!(gustafson_speedup(0.0, 8), 8.0);
        assert_eq!(gustafson_speedup(1.0, 8), 1.0);
        assert!(gustafson_speedup(0.1, 1000) > 900.0 && amdahl_speedup(0.1, 1000) < 10.0);
    }

    #[test]
    fn fit_ignores_single_worker_points() {
        assert_eq!(fit_serial_fraction(&[(1, 1.0)]), None);
        assert_eq!(fit_serial_fraction(&[(2, 2.0), (4, 4.0)]), Some(0.0));
    }
}
