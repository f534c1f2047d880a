//! The speedup comparison: one bar per approach, labelled with its wall time
//! and its speedup over the first run (the visual guide's closing table).
//!
//! Invariant: the numbers drawn are exactly those of
//! [`parlab_core::record::compare`]'s rows — speedup = first run's wall time /
//! this run's wall time — in the order the runs were given, top to bottom.
//! On the log axis ([`speedup_log`]) every bar grows from 1×: right for a
//! speedup, left for a slowdown, so 0.5× and 2× are bars of the same length.

use parlab_core::record::{Run, compare};
use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::canvas::{Chart, Draw, into_panel};
use super::theme::{self, DrawResult, LegendItem, Mark};

/// A speedup comparison ready to draw.
#[derive(Clone, Debug)]
pub(crate) struct Speedup {
    pub(crate) title: String,
    baseline: String,
    /// `(label, wall seconds, speedup)`, top to bottom.
    rows: Vec<(String, f64, f64)>,
    log: bool,
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
    speedup_panel(runs, false)
}

/// [`speedup`] on a logarithmic axis, for speedups of different orders of
/// magnitude: 0.9× and 1.8× stay readable next to 100×.
///
/// Each bar starts at 1× (the first run's speed) and ends at the run's
/// speedup — to the right when it is faster, to the left when it is slower —
/// so a slowdown is as visible as a speedup of the same factor. Ticks are at
/// 1, 2 and 5 times powers of ten. Same labels and errors as [`speedup`].
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// workload::set_scale(0.01)?;
/// let tasks: Vec<(usize, f64)> = (0..8).map(|i| (i, 1.0)).collect();
/// let (_, seq) = Sequential::new().run(delayed_return_for, tasks.clone())?;
/// let (_, threads) = ThreadPool::new(8)?.run(delayed_return_for, tasks.clone())?;
/// let (_, one) = ThreadPool::new(1)?.gil(true).run(delayed_return_for, tasks)?;
/// let c = chart::speedup_log(&[&seq, &threads, &one])?;
/// assert_eq!(c.titles(), [format!("Wall time and speedup against {} (log scale)", seq.label)]);
/// assert!(c.svg().contains("speedup (×, log scale, higher is faster)"));
/// assert!(chart::speedup_log(&[]).is_err());
/// # Ok(()) }
/// ```
pub fn speedup_log(runs: &[&Run]) -> Result<Chart> {
    speedup_panel(runs, true)
}

fn speedup_panel(runs: &[&Run], log: bool) -> Result<Chart> {
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
    let scale = if log { " (log scale)" } else { "" };
    let title = format!("Wall time and speedup against {}{scale}", first.label);
    let panel = Speedup { title, baseline: first.label.clone(), rows, log };
    Chart::render(vec![into_panel(panel)])
}

/// Where the x axis runs and its ticks, in axis units: the speedup itself on
/// the linear axis, its log10 on the log axis (so 1× is at 0 on both).
struct Axis {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
    decimals: usize,
}

/// An f64 axis with the ticks we chose. plotters' `WithKeyPoints` would do,
/// but it loses `RangedCoordf64`'s label formatting, which `configure_mesh` needs.
struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    // Labels come from the chart's own formatter; this only satisfies the mesh.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.ticks.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The linear axis: 0 to past the best speedup, with plotters' own ticks.
fn linear_axis(best: f64) -> Axis {
    // Room to the right of the longest bar for its "1.23 s · 4.56×" label.
    let x_max = best * 1.35;
    let coord: RangedCoordf64 = (0.0..x_max).into();
    Axis { range: 0.0..x_max, ticks: coord.key_points(8), decimals: theme::decimals_for(x_max) }
}

/// The log axis: from below the worst speedup (and 1×) to past the best, ticks
/// at 1-2-5 × 10^k (1 to 9 × 10^k when the span is narrow, 10^k when wide).
fn log_axis(worst: f64, best: f64) -> Axis {
    let lo = (worst.min(1.0) / 1.25).log10();
    let end = best.max(1.0).log10();
    // The label after the longest bar takes about this share of the axis.
    let share = 0.28;
    let hi = ((end - share * lo) / (1.0 - share)).max(end + 0.05);
    let in_range = |mantissas: &[f64]| -> Vec<f64> {
        let (k0, k1) = (lo.floor() as i32, hi.ceil() as i32);
        (k0..=k1)
            .flat_map(|k| mantissas.iter().map(move |m| (m * 10f64.powi(k)).log10()))
            .filter(|t| (lo..=hi).contains(t))
            .collect()
    };
    let mut ticks = in_range(&[1.0, 2.0, 5.0]);
    if ticks.len() < 4 {
        ticks = in_range(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    } else if ticks.len() > 12 {
        ticks = in_range(&[1.0]);
    }
    let smallest = ticks.iter().copied().fold(f64::INFINITY, f64::min);
    let decimals = if smallest.is_finite() { theme::decimals_for(10f64.powf(smallest)) } else { 2 };
    Axis { range: lo..hi, ticks, decimals }
}

impl Speedup {
    fn legend(&self) -> Vec<LegendItem> {
        vec![LegendItem::new(format!("1× = as fast as {}", self.baseline), theme::MUTED, Mark::Dashed)]
    }

    fn row_px(&self) -> u32 {
        if self.rows.len() <= 12 { 40 } else { 28 }
    }
}

impl Draw for Speedup {
    fn title(&self) -> &str {
        &self.title
    }

    fn height(&self) -> u32 {
        let rows = self.rows.len() as u32 * self.row_px();
        theme::framed_height(&self.legend(), rows)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(area, &self.title, &self.legend())?;
        let n = self.rows.len();
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let best = self.rows.iter().map(|r| r.2).fold(1.0, f64::max);
        let worst = self.rows.iter().map(|r| r.2).fold(1.0, f64::min);
        let axis = if self.log { log_axis(worst, best) } else { linear_axis(best) };
        // Axis units: a speedup as drawn (log10 of it on the log axis).
        let at = |s: f64| if self.log { s.log10() } else { s };
        let tick_fmt = |v: &f64| theme::trim_number(if self.log { 10f64.powf(*v) } else { *v }, axis.decimals);
        let span = axis.range.end - axis.range.start;
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .x_label_area_size(theme::X_AXIS_H)
            .y_label_area_size(theme::row_label_width(&labels, false))
            .build_cartesian_2d(
                Ticked { inner: axis.range.clone().into(), ticks: axis.ticks.clone() },
                0.0..n as f64,
            )?;
        let x_desc =
            if self.log { "speedup (×, log scale, higher is faster)" } else { "speedup (×, higher is faster)" };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(axis.ticks.len().max(1))
            .x_label_formatter(&tick_fmt)
            .max_light_lines(0)
            .bold_line_style(theme::GRID)
            .label_style(theme::font(theme::TICK_SIZE))
            .axis_desc_style(theme::font(theme::DESC_SIZE))
            .x_desc(x_desc)
            .draw()?;
        theme::draw_row_labels(&area, &chart, &labels, axis.range.start)?;

        let bottom = |i: usize| (n - 1 - i) as f64;
        let margin = self.row_px() / 5;
        let origin = at(if self.log { 1.0 } else { 0.0 });
        chart.draw_series(self.rows.iter().enumerate().map(|(i, (_, _, s))| {
            let color = if i == 0 { theme::BASELINE } else { theme::color(i - 1) };
            let mut r = Rectangle::new([(origin, bottom(i)), (at(*s), bottom(i) + 1.0)], color.filled());
            r.set_margin(margin, margin, 0, 0);
            r
        }))?;
        chart.draw_series(self.rows.iter().enumerate().map(|(i, (_, wall, s))| {
            let text = format!("{} · {}", theme::fmt_secs(*wall), theme::fmt_speedup(*s));
            // A slowdown's bar ends left of 1×; its label still starts right of the 1× line.
            let x = at(*s).max(origin) + span * 0.01;
            Text::new(text, (x, bottom(i) + 0.5), theme::font(theme::LABEL_SIZE).pos(theme::LEFT))
        }))?;
        let one = at(1.0);
        chart.draw_series(DashedLineSeries::new([(one, 0.0), (one, n as f64)], 6, 4, theme::MUTED.stroke_width(2)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parlab_core::record::ExecutorKind;

    fn run(label: &str, wall: f64) -> Run {
        Run { label: label.into(), kind: ExecutorKind::Threads, workers: 2, wall, tasks: vec![], hosts: vec![] }
    }

    /// The width in pixels of the widest run of `color` on one PNG row (a bar's length).
    fn bar_px(chart: &Chart, color: RGBColor) -> usize {
        let mut reader = png::Decoder::new(std::io::Cursor::new(chart.png())).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let want = [color.0, color.1, color.2];
        buf[..info.buffer_size()]
            .chunks(info.width as usize * 3)
            .map(|row| row.chunks(3).filter(|p| *p == want).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn log_axis_gives_a_slowdown_the_bar_of_the_same_speedup() {
        let (base, twice, half, hundred) = (run("base", 10.0), run("2x", 5.0), run("half", 20.0), run("100x", 0.1));
        let c = speedup_log(&[&base, &twice, &half, &hundred]).unwrap();
        let (fast, slow, huge) =
            (bar_px(&c, theme::color(0)), bar_px(&c, theme::color(1)), bar_px(&c, theme::color(2)));
        assert!(fast > 0 && slow > 0, "both bars drawn: {fast} and {slow} px");
        let ratio = fast as f64 / slow as f64;
        assert!((0.98..1.02).contains(&ratio), "2× and 0.5× should be equally long: {fast} vs {slow} px");
        // log(100) = 2 log(10) ≈ 6.6 log(2): far from the 100:1 a linear axis gives.
        let ratio = huge as f64 / fast as f64;
        assert!((6.4..6.9).contains(&ratio), "100× vs 2× bar: {huge} vs {fast} px");
        for text in ["0.50×", "2.00×", "100.0×", "(log scale)", "log scale, higher is faster"] {
            assert!(c.svg().contains(text), "SVG lacks {text:?}");
        }
    }

    #[test]
    fn linear_axis_is_unchanged_by_the_log_option() {
        let c = speedup(&[&run("base", 10.0), &run("2x", 5.0), &run("4x", 2.5)]).unwrap();
        let ratio = bar_px(&c, theme::color(1)) as f64 / bar_px(&c, theme::color(0)) as f64;
        assert!((1.97..2.03).contains(&ratio), "linear bars are proportional: {ratio}");
        assert!(!c.svg().contains("log scale"));
    }

    #[test]
    fn log_ticks_are_one_two_five() {
        let axis = log_axis(0.89, 105.0);
        let ticks: Vec<String> = axis.ticks.iter().map(|t| theme::trim_number(10f64.powf(*t), axis.decimals)).collect();
        assert_eq!(ticks[..7], ["1", "2", "5", "10", "20", "50", "100"]);
        let narrow = log_axis(1.0, 1.5);
        assert!(narrow.ticks.len() >= 2, "a narrow span still gets ticks: {:?}", narrow.ticks);
    }
}
