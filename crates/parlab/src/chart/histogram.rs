//! A histogram of whole numbers: how many values fell on each integer (a
//! graph's degree distribution, chunk sizes, retries per task…).
//!
//! Invariant: one bin per integer between the smallest and largest value,
//! each bar's height the exact count of values equal to that integer; the
//! caller's title and axis labels are drawn verbatim.

use std::collections::BTreeMap;

use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Chart, Draw, into_panel};
use super::theme::{self, DrawResult};

const BAR: RGBColor = RGBColor(78, 121, 167);

/// A histogram ready to draw.
#[derive(Clone, Debug)]
pub(crate) struct Histogram {
    pub(crate) title: String,
    x_label: String,
    y_label: String,
    /// `(value, count)` for every value that occurs, ascending.
    counts: Vec<(i64, usize)>,
}

/// Count how many of `values` equal each integer and draw one bar per integer.
///
/// Works for any integer type (`usize`, `u32`, `i64`, …). Counts are written
/// above the bars when there are at most 40 bins. Errors if `values` is empty
/// or a value does not fit in an `i64`.
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// let degrees: Vec<usize> = vec![1, 2, 2, 3, 3, 3, 7];
/// let c = chart::histogram(&degrees, "Node degrees", "degree", "number of nodes")?;
/// assert!(c.svg().contains("Node degrees") && c.svg().contains("number of nodes"));
/// assert!(chart::histogram::<u32>(&[], "t", "x", "y").is_err());
/// # Ok(()) }
/// ```
pub fn histogram<T>(values: &[T], title: &str, x_label: &str, y_label: &str) -> Result<Chart>
where
    T: Copy + TryInto<i64>,
{
    if values.is_empty() {
        return Err(Error::InvalidArgument(format!("histogram \"{title}\" has no values to count")));
    }
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for (i, v) in values.iter().enumerate() {
        let Ok(v) = (*v).try_into() else {
            return Err(Error::InvalidArgument(format!("value {i} of histogram \"{title}\" does not fit in an i64")));
        };
        *counts.entry(v).or_default() += 1;
    }
    let panel = Histogram {
        title: title.to_string(),
        x_label: x_label.to_string(),
        y_label: y_label.to_string(),
        counts: counts.into_iter().collect(),
    };
    Chart::render(vec![into_panel(panel)])
}

impl Draw for Histogram {
    fn title(&self) -> &str {
        &self.title
    }

    fn height(&self) -> u32 {
        theme::framed_height(&[], 360)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(area, &self.title, &[])?;
        let lo = self.counts.first().map_or(0, |c| c.0) as f64;
        let hi = self.counts.last().map_or(0, |c| c.0) as f64;
        let bins = hi - lo + 1.0;
        let most = self.counts.iter().map(|c| c.1).max().unwrap_or(1) as f64;
        let labelled = bins <= 40.0;
        let y_max = most * if labelled { 1.15 } else { 1.05 };
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .x_label_area_size(theme::X_AXIS_H)
            .y_label_area_size(84)
            .build_cartesian_2d(lo - 0.6..hi + 0.6, 0.0..y_max)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(16)
            .y_labels(8)
            .x_label_formatter(&theme::integer_tick)
            .y_label_formatter(&theme::integer_tick)
            .max_light_lines(0)
            .bold_line_style(theme::GRID)
            .label_style(theme::font(theme::TICK_SIZE))
            .axis_desc_style(theme::font(theme::DESC_SIZE))
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .draw()?;

        let half = if bins <= 80.0 { 0.4 } else { 0.5 };
        chart.draw_series(self.counts.iter().map(|&(v, c)| {
            let v = v as f64;
            Rectangle::new([(v - half, 0.0), (v + half, c as f64)], BAR.filled())
        }))?;
        if labelled {
            chart.draw_series(self.counts.iter().map(|&(v, c)| {
                EmptyElement::at((v as f64, c as f64))
                    + Text::new(c.to_string(), (0, -4), theme::font(theme::LABEL_SIZE).pos(theme::ABOVE))
            }))?;
        }
        Ok(())
    }
}
