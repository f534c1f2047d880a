//! Timelines: one lane per worker (process × thread), one bar per task.
//!
//! Invariant: every task record of a run is drawn exactly once, in the lane of
//! the worker that ran it, from its recorded start to its recorded end, on an
//! x axis of seconds since the run started; lanes are in [`Lane`] order
//! (P1·T1, P1·T2, …, P2·T1, …) from top to bottom — for an MPI run, grouped
//! by host and coloured by host — and failed tasks are red with a dark
//! outline whatever their lane.

use std::collections::HashMap;

use parlab_core::record::{ExecutorKind, Lane, Run};
use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Chart, Draw, into_panel};
use super::theme::{self, DrawResult, LegendItem, Mark};

/// A timeline ready to draw.
#[derive(Clone, Debug)]
pub(crate) struct Timeline {
    pub(crate) title: String,
    /// Lane labels, top to bottom.
    lanes: Vec<String>,
    bars: Vec<Bar>,
    /// Right end of the x axis in seconds (shared by the panels of `timelines`).
    x_max: f64,
    /// Width of the lane-label area (shared by the panels of `timelines`, so their axes line up).
    label_area: u32,
    failed: usize,
}

#[derive(Clone, Debug)]
struct Bar {
    lane: usize,
    start: f64,
    end: f64,
    index: usize,
    ok: bool,
    color: RGBColor,
}

/// The timeline of one run: which task ran on which worker, and when.
///
/// Title: the run's label, task and worker counts and wall time. Each bar is
/// labelled with its task's submission index when the label fits. Errors if
/// the run has no tasks or a task's times are not finite, `0 ≤ start ≤ end`.
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// workload::set_scale(0.01)?;
/// let (_, run) = ThreadPool::new(3)?.run(delayed_return_for, (0..6).map(|i| (i, 1.0)))?;
/// let c = chart::timeline(&run)?;
/// assert!(c.svg().contains("T3") && c.svg().contains("seconds since the run started"));
/// # Ok(()) }
/// ```
pub fn timeline(run: &Run) -> Result<Chart> {
    let t = Timeline::from_run(run)?;
    Chart::render(vec![into_panel(t)])
}

/// Several timelines, one panel each, on the same x scale — the visual guide's
/// Sequential / ThreadPool / ProcessPool / Hybrid comparison in one figure.
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// workload::set_scale(0.01)?;
/// let tasks: Vec<(usize, f64)> = (0..4).map(|i| (i, 1.0)).collect();
/// let (_, seq) = Sequential::new().run(delayed_return_for, tasks.clone())?;
/// let (_, par) = ThreadPool::new(4)?.run(delayed_return_for, tasks)?;
/// let c = chart::timelines(&[&seq, &par])?;
/// assert_eq!(c.titles().len(), 2);
/// assert!(chart::timelines(&[]).is_err());
/// # Ok(()) }
/// ```
pub fn timelines(runs: &[&Run]) -> Result<Chart> {
    if runs.is_empty() {
        return Err(Error::InvalidArgument("timelines needs at least one run".into()));
    }
    let mut panels: Vec<Timeline> = runs.iter().map(|r| Timeline::from_run(r)).collect::<Result<_>>()?;
    let x_max = panels.iter().map(|t| t.x_max).fold(0.0, f64::max);
    let label_area = panels.iter().map(|t| t.label_area).max().unwrap_or(0);
    for p in &mut panels {
        p.x_max = x_max;
        p.label_area = label_area;
    }
    Chart::render(panels.into_iter().map(into_panel).collect())
}

impl Timeline {
    fn from_run(run: &Run) -> Result<Timeline> {
        if run.tasks.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "run \"{}\" has no tasks, so its timeline would be empty",
                run.label
            )));
        }
        for t in &run.tasks {
            let valid = t.start.is_finite() && t.end.is_finite() && t.start >= 0.0 && t.end >= t.start;
            if !valid {
                return Err(Error::InvalidArgument(format!(
                    "task {} of run \"{}\" has start {} s and end {} s; a timeline needs finite times with 0 ≤ start ≤ end",
                    t.index, run.label, t.start, t.end
                )));
            }
        }
        let wall = theme::finite(run.wall, || format!("the wall time of run \"{}\"", run.label))?;
        let mut lanes = run.lanes();
        if run.kind == ExecutorKind::Mpi {
            // One group of lanes per host, one colour per host: the cluster's "boxes".
            lanes.sort_by_key(|l| (l.host, l.worker, l.thread, l.pid));
        }
        let row: HashMap<Lane, usize> = lanes.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        let labels = lane_labels(&lanes, run);
        let bars = run
            .tasks
            .iter()
            .map(|t| {
                let lane = row[&t.lane];
                let color = match run.kind {
                    ExecutorKind::Processes | ExecutorKind::Hybrid => theme::color(t.lane.worker),
                    ExecutorKind::Sequential | ExecutorKind::Threads => theme::color(lane),
                    ExecutorKind::Mpi => theme::color(t.lane.host as usize),
                };
                Bar { lane, start: t.start, end: t.end, index: t.index, ok: t.ok, color }
            })
            .collect();
        let end = run.tasks.iter().map(|t| t.end).fold(wall.max(0.0), f64::max);
        let x_max = if end > 0.0 { end * 1.02 } else { 1e-3 };
        let failed = run.tasks.iter().filter(|t| !t.ok).count();
        let title = format!(
            "{} — {} on {}, wall {}",
            run.label,
            theme::count(run.tasks.len(), "task"),
            theme::count(run.workers, "worker"),
            theme::fmt_secs(wall)
        );
        let label_area = theme::row_label_width(&labels, true);
        Ok(Timeline { title, lanes: labels, bars, x_max, label_area, failed })
    }

    /// Pixels per lane: roomy for a few lanes, tighter for many.
    fn lane_px(&self) -> u32 {
        let n = self.lanes.len() as u32;
        if n <= 16 { 30 } else { (480 / n).max(12) }
    }

    fn legend(&self) -> Vec<LegendItem> {
        if self.failed == 0 {
            Vec::new()
        } else {
            vec![LegendItem::new(format!("failed task ({})", self.failed), theme::FAILED, Mark::Outlined)]
        }
    }
}

/// Lane names, made unique: a worker replaced after a crash has the same
/// index as its predecessor but another pid, so the pid is added then. A run
/// on several hosts names each lane's host first.
fn lane_labels(lanes: &[Lane], run: &Run) -> Vec<String> {
    let host = |l: &Lane| run.hosts.get(l.host as usize).map(|h| format!("{h} · ")).unwrap_or_default();
    let names: Vec<String> = lanes.iter().map(|l| format!("{}{}", host(l), l.label(run.kind))).collect();
    names
        .iter()
        .zip(lanes)
        .map(|(name, lane)| {
            if names.iter().filter(|n| *n == name).count() > 1 {
                format!("{name} (pid {})", lane.pid)
            } else {
                name.clone()
            }
        })
        .collect()
}

impl Draw for Timeline {
    fn title(&self) -> &str {
        &self.title
    }

    fn height(&self) -> u32 {
        let rows = (self.lanes.len() as u32 * self.lane_px()).max(60);
        theme::framed_height(&self.legend(), rows)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(area, &self.title, &self.legend())?;
        let n = self.lanes.len();
        let decimals = theme::decimals_for(self.x_max);
        let x_fmt = |v: &f64| theme::trim_number(*v, decimals);
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .x_label_area_size(theme::X_AXIS_H)
            .y_label_area_size(self.label_area)
            .build_cartesian_2d(0.0..self.x_max, 0.0..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(10)
            .x_label_formatter(&x_fmt)
            .max_light_lines(0)
            .bold_line_style(theme::GRID)
            .label_style(theme::font(theme::TICK_SIZE))
            .axis_desc_style(theme::font(theme::DESC_SIZE))
            .x_desc("seconds since the run started")
            .y_desc("worker")
            .draw()?;
        theme::draw_row_labels(&area, &chart, &self.lanes, 0.0)?;

        // Light bands behind every other lane make long rows easy to follow.
        let bottom = |lane: usize| (n - 1 - lane) as f64;
        chart.draw_series(
            (0..n)
                .filter(|l| l % 2 == 1)
                .map(|l| Rectangle::new([(0.0, bottom(l)), (self.x_max, bottom(l) + 1.0)], theme::ZEBRA.filled())),
        )?;

        let margin = (self.lane_px() / 8).max(2);
        // A failed task stays visible even when it failed at once: at least 6 px wide.
        let min_failed = 6.0 * self.x_max / f64::from(chart.plotting_area().dim_in_pixel().0.max(1));
        let rect = |b: &Bar, style: ShapeStyle| {
            let end = if b.ok { b.end } else { b.end.max(b.start + min_failed) };
            let mut r = Rectangle::new([(b.start, bottom(b.lane)), (end, bottom(b.lane) + 1.0)], style);
            r.set_margin(margin, margin, 0, 0);
            r
        };
        chart.draw_series(self.bars.iter().map(|b| rect(b, if b.ok { b.color } else { theme::FAILED }.filled())))?;
        chart.draw_series(self.bars.iter().map(|b| {
            let edge =
                if b.ok { theme::darken(b.color, 0.45).stroke_width(1) } else { theme::FAILED_EDGE.stroke_width(2) };
            rect(b, edge)
        }))?;

        // The task index inside its bar, when it fits.
        if self.lane_px() >= 16 {
            let labels: Vec<_> = self
                .bars
                .iter()
                .filter_map(|b| {
                    let text = b.index.to_string();
                    let y = bottom(b.lane) + 0.5;
                    let (x0, _) = chart.backend_coord(&(b.start, y));
                    let (x1, _) = chart.backend_coord(&(b.end, y));
                    let fits = x1 - x0 >= theme::text_width(&text, theme::LABEL_SIZE) as i32 + 6;
                    fits.then(|| {
                        Text::new(text, ((b.start + b.end) / 2.0, y), theme::font(theme::LABEL_SIZE).pos(theme::CENTER))
                    })
                })
                .collect();
            chart.draw_series(labels)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use parlab_core::record::TaskRecord;

    use super::*;

    fn task(index: usize, worker: usize, host: u32) -> TaskRecord {
        TaskRecord {
            index,
            arg: index.to_string(),
            lane: Lane { worker, thread: 0, pid: 100 + worker as u32, host },
            start: 0.1 * index as f64,
            end: 0.1 * index as f64 + 0.05,
            cpu: None,
            gil_wait: 0.0,
            ok: true,
            transfer: 0.001,
        }
    }

    #[test]
    fn mpi_lanes_are_grouped_by_host() {
        // Rank 1 on beta, ranks 2 and 3 on alpha: alpha's lanes come first, together.
        let run = Run {
            label: "MpiPool(3 ranks on 2 hosts)".into(),
            kind: ExecutorKind::Mpi,
            workers: 3,
            wall: 0.5,
            tasks: vec![task(0, 0, 1), task(1, 1, 0), task(2, 2, 0)],
            hosts: vec!["alpha".into(), "beta".into()],
        };
        let t = Timeline::from_run(&run).unwrap();
        assert_eq!(t.lanes, ["alpha · R2", "alpha · R3", "beta · R1"]);
        let colors: Vec<RGBColor> = t.bars.iter().map(|b| b.color).collect();
        assert_eq!(colors[1], colors[2], "one colour per host");
        assert_ne!(colors[0], colors[1]);
    }
}
