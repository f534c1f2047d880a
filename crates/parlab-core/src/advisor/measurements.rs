//! What the advisor measured, per task: the rules' only input.
//!
//! Invariant: the derived figures (own time, CPU/wall, transfer share) are
//! computed here and nowhere else, so the rules and the report read the same numbers.

use serde::{Deserialize, Serialize};

/// What the advisor measured, averaged per task (seconds and bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    /// Tasks in the sample.
    pub tasks: usize,
    /// Cores the verdict plans for.
    pub cores: usize,
    /// Wall seconds per task.
    pub wall_per_task: f64,
    /// Seconds per task the thread was ready to run but not running: no free
    /// core, or (for a task that never blocked) its whole time off the CPU
    /// (`None` where the OS does not report it; then counted as the task's own time).
    pub ready_wait_per_task: Option<f64>,
    /// CPU seconds per task.
    pub cpu_per_task: f64,
    /// Mean postcard-encoded size of an argument, in bytes.
    pub arg_bytes: f64,
    /// Mean postcard-encoded size of a result, in bytes.
    pub result_bytes: f64,
    /// Seconds to ship one task's argument to a worker and its result back:
    /// encode, through a local socket, decode (mean over the timed tasks).
    pub transfer_per_task: f64,
    /// How many tasks the transfer was timed on.
    pub transfer_samples: usize,
}

impl Measurements {
    /// Wall time minus the time ready but not running: what the task itself took.
    pub fn own_per_task(&self) -> f64 {
        (self.wall_per_task - self.ready_wait_per_task.unwrap_or(0.0)).max(0.0)
    }

    /// CPU time over own time, in `[0, 1]`.
    pub fn cpu_ratio(&self) -> f64 {
        let own = self.own_per_task();
        if own > 0.0 { (self.cpu_per_task / own).clamp(0.0, 1.0) } else { 1.0 }
    }

    /// Transfer time over own time (above 1: shipping costs more than doing).
    pub fn transfer_ratio(&self) -> f64 {
        let own = self.own_per_task();
        if own > 0.0 { self.transfer_per_task / own } else { f64::INFINITY }
    }
}
