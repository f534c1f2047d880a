//! The worker sweep: measured speedup against worker count, with the ideal
//! line and the Amdahl curve fitted to the measurements.
//!
//! Invariant: the points are [`Sweep::points`], the fit is
//! [`Sweep::serial_fraction`] and the curve is Amdahl's law with that
//! fraction, `1 / (s + (1 − s) / n)` — the formula of
//! [`amdahl_speedup`](parlab_core::record::amdahl_speedup), drawn between whole worker counts too. This module
//! computes no statistics of its own.

use parlab_core::record::Sweep;
use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Chart, Draw, into_panel};
use super::theme::{self, DrawResult, LegendItem, Mark};

const MEASURED: RGBColor = RGBColor(78, 121, 167);
const FIT: RGBColor = RGBColor(242, 142, 43);

/// A sweep ready to draw.
#[derive(Clone, Debug)]
pub(crate) struct SweepPlot {
    pub(crate) title: String,
    /// `(workers, speedup)`, sorted by workers.
    points: Vec<(usize, f64)>,
    serial: Option<f64>,
}

/// Speedup against the number of workers: the measured points joined by a
/// line, the ideal `speedup = workers` line, and Amdahl's law with the serial
/// fraction fitted to the points (its ceiling, 1 / serial fraction, is in the
/// legend). Errors if the sweep has no runs, its baseline is not a positive
/// finite number, or a run has zero workers or a non-positive wall time.
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// workload::set_scale(0.005)?;
/// let tasks: Vec<(u32, f64)> = (0..8).map(|i| (i, 1.0)).collect();
/// let (_, baseline) = Sequential::new().run(delayed_return_for, tasks.clone())?;
/// let sweep = Sweep::measure("sleeps on threads", baseline.wall, [1, 2, 4], |n| {
///     Ok(ThreadPool::new(n)?.run(delayed_return_for, tasks.clone())?.1)
/// })?;
/// let c = chart::sweep(&sweep)?;
/// assert!(c.svg().contains("Amdahl"));
/// let empty = Sweep { label: "nothing".into(), baseline: 1.0, runs: vec![] };
/// assert!(chart::sweep(&empty).is_err());
/// # Ok(()) }
/// ```
pub fn sweep(sweep: &Sweep) -> Result<Chart> {
    if sweep.runs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "sweep \"{}\" has no runs: measure at least one worker count",
            sweep.label
        )));
    }
    if !(sweep.baseline.is_finite() && sweep.baseline > 0.0) {
        return Err(Error::InvalidArgument(format!(
            "sweep \"{}\" has baseline {} s; it must be a positive, finite wall time",
            sweep.label, sweep.baseline
        )));
    }
    for r in &sweep.runs {
        if r.workers == 0 || !(r.wall.is_finite() && r.wall > 0.0) {
            return Err(Error::InvalidArgument(format!(
                "run \"{}\" of sweep \"{}\" has {} workers and wall time {} s; \
                 a sweep needs at least one worker and a positive, finite wall time per run",
                r.label, sweep.label, r.workers, r.wall
            )));
        }
    }
    let mut points = sweep.points();
    points.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let title = format!("{} — speedup against workers (baseline {})", sweep.label, theme::fmt_secs(sweep.baseline));
    let plot = SweepPlot { title, points, serial: sweep.serial_fraction() };
    Chart::render(vec![into_panel(plot)])
}

/// [`amdahl_speedup`](parlab_core::record::amdahl_speedup) for a continuous number of workers `n`.
fn amdahl(serial: f64, n: f64) -> f64 {
    1.0 / (serial + (1.0 - serial) / n)
}

impl SweepPlot {
    fn max_workers(&self) -> usize {
        self.points.iter().map(|p| p.0).max().unwrap_or(1).max(1)
    }

    fn legend(&self) -> Vec<LegendItem> {
        let mut items = vec![
            LegendItem::new("measured", MEASURED, Mark::Line),
            LegendItem::new("ideal: speedup = workers", theme::MUTED, Mark::Dashed),
        ];
        if let Some(s) = self.serial {
            let ceiling =
                if s > 0.0 { format!("at most {}", theme::fmt_speedup(1.0 / s)) } else { "no ceiling".into() };
            items.push(LegendItem::new(
                format!("Amdahl fit: serial fraction {:.1}% ({ceiling})", s * 100.0),
                FIT,
                Mark::Line,
            ));
        }
        items
    }
}

impl Draw for SweepPlot {
    fn title(&self) -> &str {
        &self.title
    }

    fn height(&self) -> u32 {
        theme::framed_height(&self.legend(), 380)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(area, &self.title, &self.legend())?;
        let n_max = self.max_workers() as f64;
        let measured_max = self.points.iter().map(|p| p.1).fold(0.0, f64::max);
        let y_max = n_max.max(measured_max).max(1.0) * 1.08;
        let x_range = 0.0..n_max * 1.04 + 0.5;
        let y_decimals = theme::decimals_for(y_max);
        let y_fmt = |v: &f64| theme::trim_number(*v, y_decimals);
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .x_label_area_size(theme::X_AXIS_H)
            .y_label_area_size(74)
            .build_cartesian_2d(x_range, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .y_labels(8)
            .x_label_formatter(&theme::integer_tick)
            .y_label_formatter(&y_fmt)
            .max_light_lines(0)
            .bold_line_style(theme::GRID)
            .label_style(theme::font(theme::TICK_SIZE))
            .axis_desc_style(theme::font(theme::DESC_SIZE))
            .x_desc("workers")
            .y_desc("speedup (×)")
            .draw()?;

        chart.draw_series(DashedLineSeries::new([(1.0, 1.0), (n_max, n_max)], 8, 5, theme::MUTED.stroke_width(2)))?;
        if let Some(s) = self.serial {
            let steps = 48; // few, long segments: thick lines stay smooth
            let curve = (0..=steps).map(|k| {
                let n = 1.0 + (n_max - 1.0) * k as f64 / steps as f64;
                (n, amdahl(s, n))
            });
            chart.draw_series(LineSeries::new(curve, FIT.stroke_width(3)))?;
        }
        let pts: Vec<(f64, f64)> = self.points.iter().map(|&(n, s)| (n as f64, s)).collect();
        chart.draw_series(LineSeries::new(pts.iter().copied(), MEASURED.stroke_width(3)))?;
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 6, MEASURED.filled())))?;
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 6, WHITE.stroke_width(2))))?;
        // Each value above its point, on a white halo so crossing lines don't hide it.
        chart.draw_series(pts.iter().map(|&(n, s)| {
            let text = theme::fmt_speedup(s);
            let half = theme::text_width(&text, theme::LABEL_SIZE) as i32 / 2 + 3;
            EmptyElement::at((n, s))
                + Rectangle::new([(-half, -29), (half, -11)], WHITE.mix(0.85).filled())
                + Text::new(text, (0, -20), theme::font(theme::LABEL_SIZE).pos(theme::CENTER))
        }))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parlab_core::record::amdahl_speedup;

    #[test]
    fn continuous_curve_matches_core_at_whole_workers() {
        for n in [1, 2, 3, 8, 64] {
            assert!((amdahl(0.2, n as f64) - amdahl_speedup(0.2, n)).abs() < 1e-12);
        }
    }
}
