//! # parlab: the notebook prelude
//!
//! What a notebook loads in its first cell:
//!
//! ```text
//! :dep parlab = { path = "../crates/parlab" }
//! use parlab::prelude::*;
//! ```
//!
//! Everything of [`parlab_core`] is re-exported here (executors, the simulated
//! GIL, workloads, run records), and [`chart`] adds pictures of those records.
//!
//! ## A tour in four cells
//!
//! Run some work two ways; every run leaves a [`Run`](record::Run) record:
//!
//! ```
//! use parlab::prelude::*;
//! # fn main() -> parlab::Result<()> {
//! workload::set_scale(0.01)?; // the seed's 2 s sleeps become 20 ms
//! let tasks: Vec<(usize, f64)> = (0..8).map(|i| (i, 2.0)).collect();
//! let (_, seq) = Sequential::new().run(delayed_return_for, tasks.clone())?;
//! let (_, threads) = ThreadPool::new(4)?.gil(true).run(delayed_return_for, tasks)?;
//! # let _ =
//! seq.report() // a text table: which task ran where, and when
//! # ;
//! # let _ = chart::timelines(&[&seq, &threads])?;
//! # let _ = chart::speedup(&[&seq, &threads])?;
//! # Ok(()) }
//! ```
//!
//! See them: a cell's last value is shown, and a [`Chart`](chart::Chart) shows
//! as an image. One cell shows one image, so several runs go into one figure:
//!
//! ```text
//! chart::timelines(&[&seq, &threads])?   // one lane per worker, a bar per task
//! chart::speedup(&[&seq, &threads])?     // wall time and speedup, per approach
//! ```
//!
//! Then sweep the worker count and fit Amdahl's law ([`chart::sweep`]), watch
//! `as_completed` reorder work ([`chart::completion`]), or draw your own
//! numbers ([`chart::histogram`], [`chart::stacked_bars`]); save any chart with
//! [`Chart::save`](chart::Chart::save) as `.png` or `.svg`.
//!
//! Every notebook ends with exercises, checked by [`exercise`]:
//! `exercise::demo_1c::check_1(my_count)` says what is right or missing, and
//! `exercise::demo_1c::solution(1)` shows a solution when asked.

pub use parlab_core::*;

pub mod chart;
pub mod exercise;

#[cfg(doctest)]
mod lessons;

/// Everything a notebook needs, in one `use`: the core's prelude, the
/// [`chart`] module (call its functions as `chart::timeline(&run)`),
/// [`Chart`](chart::Chart) and the notebooks' [`exercise`] checks.
pub mod prelude {
    pub use crate::chart::{self, Chart};
    pub use crate::exercise;
    pub use parlab_core::prelude::*;
    pub use parlab_core::record::{self, Sweep, amdahl_speedup, gustafson_speedup};
}
