//! Completion order: which task finished first, second, … against the order
//! the tasks were submitted — what `as_completed` hands back.
//!
//! Invariant: completion rank 1 is the task with the earliest recorded end
//! (ties go to the lower submission index), ranks run 1..=n without gaps, and
//! every task of the run is one point; tasks finishing in submission order lie
//! on the dashed line.

use parlab_core::record::Run;
use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Chart, Draw, into_panel};
use super::theme::{self, DrawResult, LegendItem, Mark};

const POINT: RGBColor = RGBColor(78, 121, 167);

/// A completion-order plot ready to draw.
#[derive(Clone, Debug)]
pub(crate) struct Completion {
    pub(crate) title: String,
    /// `(completion rank, submission index, ok)`, by rank.
    points: Vec<(usize, usize, bool)>,
    /// Submission indices sorted: the index that would have rank `r` in order.
    in_order: Vec<usize>,
}

/// Submission index (y) against completion rank (x) for every task of a run:
/// the order in which `as_completed` yields futures. Points on the dashed
/// diagonal finished in the order they were submitted; points below it
/// overtook earlier tasks. Errors if the run has no tasks or an end time is
/// not finite.
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// workload::set_scale(0.01)?;
/// // Later tasks are shorter, so they overtake the earlier ones.
/// let tasks: Vec<(usize, f64)> = (0..6).map(|i| (i, 3.0 - 0.5 * i as f64)).collect();
/// let (_, run) = ThreadPool::new(6)?.run(delayed_return_for, tasks)?;
/// let c = chart::completion(&run)?;
/// assert!(c.svg().contains("completion rank"));
/// # Ok(()) }
/// ```
pub fn completion(run: &Run) -> Result<Chart> {
    if run.tasks.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "run \"{}\" has no tasks, so there is no completion order to draw",
            run.label
        )));
    }
    for t in &run.tasks {
        theme::finite(t.end, || format!("the end time of task {} of run \"{}\"", t.index, run.label))?;
    }
    let mut by_end: Vec<_> = run.tasks.iter().collect();
    by_end.sort_by(|a, b| a.end.total_cmp(&b.end).then(a.index.cmp(&b.index)));
    let points = by_end.iter().enumerate().map(|(r, t)| (r + 1, t.index, t.ok)).collect();
    let mut in_order: Vec<usize> = run.tasks.iter().map(|t| t.index).collect();
    in_order.sort_unstable();
    let title = format!("{} — completion order of {} tasks", run.label, run.tasks.len());
    Chart::render(vec![into_panel(Completion { title, points, in_order })])
}

impl Completion {
    fn legend(&self) -> Vec<LegendItem> {
        let mut items = vec![
            LegendItem::new("task", POINT, Mark::Dot),
            LegendItem::new("finished in submission order", theme::MUTED, Mark::Dashed),
        ];
        let failed = self.points.iter().filter(|p| !p.2).count();
        if failed > 0 {
            items.push(LegendItem::new(format!("failed task ({failed})"), theme::FAILED, Mark::Dot));
        }
        items
    }
}

impl Draw for Completion {
    fn title(&self) -> &str {
        &self.title
    }

    fn height(&self) -> u32 {
        theme::framed_height(&self.legend(), 400)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(area, &self.title, &self.legend())?;
        let n = self.points.len() as f64;
        let top = self.in_order.last().copied().unwrap_or(0) as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .x_label_area_size(theme::X_AXIS_H)
            .y_label_area_size(74)
            .build_cartesian_2d(0.4..n + 0.6, -0.6..top + 0.6)?;
        chart
            .configure_mesh()
            .x_labels(16)
            .y_labels(12)
            .x_label_formatter(&theme::integer_tick)
            .y_label_formatter(&theme::integer_tick)
            .max_light_lines(0)
            .bold_line_style(theme::GRID)
            .label_style(theme::font(theme::TICK_SIZE))
            .axis_desc_style(theme::font(theme::DESC_SIZE))
            .x_desc("completion rank (1 = finished first)")
            .y_desc("submission index")
            .draw()?;

        let diagonal = self.in_order.iter().enumerate().map(|(r, &i)| ((r + 1) as f64, i as f64));
        chart.draw_series(DashedLineSeries::new(diagonal, 8, 5, theme::MUTED.stroke_width(2)))?;
        let pts: Vec<(f64, f64, bool)> = self.points.iter().map(|&(r, i, ok)| (r as f64, i as f64, ok)).collect();
        chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), POINT.mix(0.35).stroke_width(1)))?;
        let radius = if self.points.len() > 60 { 3 } else { 6 };
        chart.draw_series(
            pts.iter().map(|&(x, y, ok)| Circle::new((x, y), radius, if ok { POINT } else { theme::FAILED }.filled())),
        )?;
        Ok(())
    }
}
