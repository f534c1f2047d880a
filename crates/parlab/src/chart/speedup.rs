//! The speedup comparison: one bar per approach, labelled with its wall time
//! and its speedup over the first run (the visual guide's closing table).
//!
//! Invariant: the numbers drawn are exactly those of
//! [`parlab_core::record::compare`]'s rows — speedup = first run's wall time /
//! this run's wall time — in the order the runs were given, top to bottom.

use parlab_core::record::{Run, compare};
use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Chart, Panel};
use super::theme::{self, DrawResult, LegendItem, Mark};

/// A speedup comparison ready to draw.
#[derive(Clone, Debug)]
pub(crate) struct Speedup {
    pub(crate) title: String,
    baseline: String,
    /// `(label, wall seconds, speedup)`, top to bottom.
    rows: Vec<(String, f64, f64)>,
}

/// Wall time and speedup of each run against the first (usually sequential) one.
///
/// Bars are horizontal, one per run in the order given, with the wall time and
/// speedup written after each bar and a dashed line at 1× (as fast as the
/// first run). Errors if there are no runs or a wall time is not a positive
/// finite number.
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// workload::set_scale(0.01)?;
/// let tasks: Vec<(usize, f64)> = (0..8).map(|i| (i, 1.0)).collect();
/// let (_, seq) = Sequential::new().run(delayed_return_for, tasks.clone())?;
/// let (_, threads) = ThreadPool::new(8)?.run(delayed_return_for, tasks)?;
/// let c = chart::speedup(&[&seq, &threads])?;
/// assert!(c.svg().contains("speedup"));
/// assert!(chart::speedup(&[]).is_err());
/// # Ok(()) }
/// ```
pub fn speedup(runs: &[&Run]) -> Result<Chart> {
    let Some(first) = runs.first() else {
        return Err(Error::InvalidArgument("a speedup chart needs at least one run".into()));
    };
    for r in runs {
        if !(r.wall.is_finite() && r.wall > 0.0) {
            return Err(Error::InvalidArgument(format!(
                "run \"{}\" has wall time {} s; speedups need positive, finite wall times",
                r.label, r.wall
            )));
        }
    }
    let rows = compare(runs.iter().copied()).rows();
    let title = format!("Wall time and speedup against {}", first.label);
    let panel = Speedup { title, baseline: first.label.clone(), rows };
    Chart::render(vec![Panel::Speedup(panel)])
}

impl Speedup {
    fn legend(&self) -> Vec<LegendItem> {
        vec![LegendItem::new(format!("1× = as fast as {}", self.baseline), theme::MUTED, Mark::Dashed)]
    }

    fn row_px(&self) -> u32 {
        if self.rows.len() <= 12 { 40 } else { 28 }
    }

    pub(crate) fn height(&self) -> u32 {
        let rows = self.rows.len() as u32 * self.row_px();
        theme::framed_height(&self.legend(), rows)
    }

    pub(crate) fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(area, &self.title, &self.legend())?;
        let n = self.rows.len();
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let best = self.rows.iter().map(|r| r.2).fold(1.0, f64::max);
        // Room to the right of the longest bar for its "1.23 s · 4.56×" label.
        let x_max = best * 1.35;
        let decimals = theme::decimals_for(x_max);
        let x_fmt = |v: &f64| theme::trim_number(*v, decimals);
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .x_label_area_size(theme::X_AXIS_H)
            .y_label_area_size(theme::row_label_width(&labels, false))
            .build_cartesian_2d(0.0..x_max, 0.0..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .max_light_lines(0)
            .bold_line_style(theme::GRID)
            .label_style(theme::font(theme::TICK_SIZE))
            .axis_desc_style(theme::font(theme::DESC_SIZE))
            .x_desc("speedup (×, higher is faster)")
            .draw()?;
        theme::draw_row_labels(&area, &chart, &labels, 0.0)?;

        let bottom = |i: usize| (n - 1 - i) as f64;
        let margin = self.row_px() / 5;
        chart.draw_series(self.rows.iter().enumerate().map(|(i, (_, _, s))| {
            let color = if i == 0 { theme::BASELINE } else { theme::color(i - 1) };
            let mut r = Rectangle::new([(0.0, bottom(i)), (*s, bottom(i) + 1.0)], color.filled());
            r.set_margin(margin, margin, 0, 0);
            r
        }))?;
        chart.draw_series(self.rows.iter().enumerate().map(|(i, (_, wall, s))| {
            let text = format!("{} · {}", theme::fmt_secs(*wall), theme::fmt_speedup(*s));
            let x = s + x_max * 0.01;
            Text::new(text, (x, bottom(i) + 0.5), theme::font(theme::LABEL_SIZE).pos(theme::LEFT))
        }))?;
        chart.draw_series(DashedLineSeries::new([(1.0, 0.0), (1.0, n as f64)], 6, 4, theme::MUTED.stroke_width(2)))?;
        Ok(())
    }
}
