//! Records of every run: which task ran on which worker, when, for how long.
//!
//! Invariant: every task an executor finishes (successfully or not) leaves
//! exactly one [`TaskRecord`] in that executor's journal, with times measured
//! where the task ran, on the system-wide monotonic clock. [`Run`] is plain
//! data (serde) so charts, traces ([`crate::trace`]), JSON output and tests all
//! read the same thing.
//!
//! | file | holds |
//! |---|---|
//! | `run` | [`Run`], [`TaskRecord`], [`Lane`], [`ExecutorKind`]: the data |
//! | `journal` | how an executor records tasks until a run is taken |
//! | `report` | [`Report`] and [`compare`]: runs as text tables |
//! | `sweep` | [`Sweep`], [`timed`], Amdahl's and Gustafson's laws |

mod journal;
mod report;
mod run;
mod sweep;

/// Seconds as people read them ([`crate::units::human_secs`]), here for the notebooks' tables.
pub use crate::units::human_secs;
pub(crate) use journal::{Journal, RawTask, debug_label};
pub use report::{Comparison, Report, compare};
pub use run::{ExecutorKind, Lane, Run, TaskRecord};
pub use sweep::{Sweep, amdahl_speedup, fit_serial_fraction, gustafson_speedup, timed};
