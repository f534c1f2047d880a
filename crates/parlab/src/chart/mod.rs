//! Charts of run records: timelines, speedups, worker sweeps, completion
//! order, histograms and stacked bars, drawn with plotters.
//!
//! Invariant: a [`Chart`] is finished pixels and vector text — the PNG and SVG
//! are rendered when the chart is made, from data copied out of the records,
//! so a chart never re-runs anything, never borrows a run, and shows the same
//! image in every later cell. Every drawing function checks its input first and
//! returns an [`Error`](crate::Error) for input it cannot draw (no tasks, no points, NaN);
//! nothing here panics on bad input.
//!
//! # A tour
//!
//! | function | draws | from |
//! |---|---|---|
//! | [`timeline`] | one lane per worker, one bar per task | `&Run` |
//! | [`timelines`] | several timelines on one shared time axis | `&[&Run]` |
//! | [`speedup`] | wall time and speedup of each approach | `&[&Run]` |
//! | [`speedup_log`] | the same on a log axis (0.9× next to 100×) | `&[&Run]` |
//! | [`sweep`] | speedup against workers, ideal line, Amdahl fit | `&Sweep` |
//! | [`completion`] | submission index against completion rank | `&Run` |
//! | [`histogram`] | counts per integer value | `&[T]` of integers |
//! | [`stacked_bars`] | each approach's time split into named parts | slices |
//! | [`stack`] | several charts as panels of one figure | `&Chart`s |
//!
//! The functions live in this module rather than in the prelude so that
//! notebook variables named `sweep` or `timeline` never shadow them: write
//! `chart::timeline(&run)?`.
//!
//! # In a notebook
//!
//! Make a chart the last expression of a cell and evcxr shows it (through
//! [`Chart::evcxr_display`], as a PNG). A cell shows only its *last* chart, so
//! put several in one figure with [`timelines`] or [`stack`].
//!
//! One evcxr quirk (0.22): the first time a session meets `?`, evcxr learns
//! to allow it by recompiling, and in that same cell it shows the final value
//! with `Debug` (a one-line summary) instead of the image. So let an earlier
//! cell use `?` in a statement — e.g. end the setup cell with
//! `workload::set_scale(1.0)?;` — and every later `chart::…(…)?` cell shows
//! its picture.
//!
//! ```
//! use parlab::prelude::*;
//! # fn main() -> parlab::Result<()> {
//! workload::set_scale(0.01)?;
//! let tasks: Vec<(usize, f64)> = (0..6).map(|i| (i, 1.0)).collect();
//! let (_, seq) = Sequential::new().run(delayed_return_for, tasks.clone())?;
//! let (_, threads) = ThreadPool::new(3)?.run(delayed_return_for, tasks)?;
//! let figure = chart::stack([&chart::timelines(&[&seq, &threads])?, &chart::speedup(&[&seq, &threads])?])?;
//! assert!(figure.svg().contains("seconds since the run started"));
//! # let dir = std::env::temp_dir().join(format!("parlab-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! figure.save(dir.join("overview.png"))?; // or .svg
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
//!
//! # Fonts and formats
//!
//! Text is set in DejaVu Sans, embedded in this crate and rasterised by the
//! pure-Rust `ab_glyph`, so charts need no system fonts, fontconfig or
//! freetype. The notebook display is a PNG: it is what an untrusted notebook
//! in JupyterLab, nbconvert and GitHub's viewer all show, and it looks the same
//! everywhere. The SVG is there for files ([`Chart::save`], [`Chart::svg`]).

mod canvas;
mod completion;
mod encode;
mod histogram;
mod raster;
mod speedup;
mod stacked;
mod sweep;
mod theme;
mod timeline;

pub use canvas::{Chart, stack};
pub use completion::completion;
pub use histogram::histogram;
pub use speedup::{speedup, speedup_log};
pub use stacked::stacked_bars;
pub use sweep::sweep;
pub use timeline::{timeline, timelines};
