//! What a run is, as data: the executor's kind, each task's lane and times,
//! and the figures derived from them.
//!
//! Invariant: a [`Run`] is plain data (serde) whose times are seconds from the
//! run's start, so charts, traces, reports, JSON output and tests all read the
//! same thing, on any machine.

use serde::{Deserialize, Serialize};

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
}
