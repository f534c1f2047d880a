//! Stacked bars: each approach's total split into named parts, e.g. the
//! seconds spent on "transfer" and on "compute".
//!
//! Invariant: one horizontal bar per approach, in the order given, top to
//! bottom; its segments are the parts in the order given, left to right, each
//! as long as its value, so the bar's length is the sum of its parts (written
//! after the bar). Part colours are the same in every bar and in the legend.

use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Chart, Draw, into_panel};
use super::theme::{self, DrawResult, LegendItem, Mark};

/// A stacked bar chart ready to draw.
#[derive(Clone, Debug)]
pub(crate) struct Stacked {
    pub(crate) title: String,
    value_label: String,
    approaches: Vec<String>,
    /// Part names, and `values[part][approach]`.
    parts: Vec<String>,
    values: Vec<Vec<f64>>,
}

/// One horizontal bar per approach, split into named parts.
///
/// `parts` is a list of `(name, values)` with one value per approach (in the
/// order of `approaches`); values must be finite and not negative. Each segment
/// shows its value when it fits and each bar ends with its total;
/// `value_label` names the x axis with its unit. Errors on empty input, a
/// length mismatch, or a negative or non-finite value.
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// let c = chart::stacked_bars(
///     &["copy to workers", "shared memory"],
///     &[("transfer", [1.8, 0.1]), ("compute", [2.0, 2.1])],
///     "Where the time goes",
///     "seconds",
/// )?;
/// assert!(c.svg().contains("transfer") && c.svg().contains("seconds"));
/// let bad = chart::stacked_bars(&["a", "b"], &[("x", vec![1.0])], "t", "s");
/// assert!(bad.is_err()); // one value for two approaches
/// # Ok(()) }
/// ```
pub fn stacked_bars<A, P, V>(approaches: &[A], parts: &[(P, V)], title: &str, value_label: &str) -> Result<Chart>
where
    A: AsRef<str>,
    P: AsRef<str>,
    V: AsRef<[f64]>,
{
    let invalid = |msg: String| Err(Error::InvalidArgument(format!("stacked bars \"{title}\": {msg}")));
    if approaches.is_empty() {
        return invalid("no approaches to draw".into());
    }
    if parts.is_empty() {
        return invalid("no parts to stack".into());
    }
    for (name, values) in parts {
        let (name, values) = (name.as_ref(), values.as_ref());
        if values.len() != approaches.len() {
            return invalid(format!("part \"{name}\" has {} values for {} approaches", values.len(), approaches.len()));
        }
        if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return invalid(format!("part \"{name}\" has the value {v}; values must be finite and not negative"));
        }
    }
    let panel = Stacked {
        title: title.to_string(),
        value_label: value_label.to_string(),
        approaches: approaches.iter().map(|a| a.as_ref().to_string()).collect(),
        parts: parts.iter().map(|p| p.0.as_ref().to_string()).collect(),
        values: parts.iter().map(|p| p.1.as_ref().to_vec()).collect(),
    };
    Chart::render(vec![into_panel(panel)])
}

impl Stacked {
    fn legend(&self) -> Vec<LegendItem> {
        self.parts.iter().enumerate().map(|(i, p)| LegendItem::new(p.clone(), theme::color(i), Mark::Swatch)).collect()
    }

    fn total(&self, approach: usize) -> f64 {
        self.values.iter().map(|v| v[approach]).sum()
    }

    fn row_px(&self) -> u32 {
        if self.approaches.len() <= 12 { 44 } else { 28 }
    }
}

impl Draw for Stacked {
    fn title(&self) -> &str {
        &self.title
    }

    fn height(&self) -> u32 {
        let rows = self.approaches.len() as u32 * self.row_px();
        theme::framed_height(&self.legend(), rows)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = theme::frame(area, &self.title, &self.legend())?;
        let n = self.approaches.len();
        let most = (0..n).map(|a| self.total(a)).fold(0.0, f64::max);
        let x_max = if most > 0.0 { most * 1.18 } else { 1.0 };
        let decimals = theme::decimals_for(x_max);
        let x_fmt = |v: &f64| theme::trim_number(*v, decimals);
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .x_label_area_size(theme::X_AXIS_H)
            .y_label_area_size(theme::row_label_width(&self.approaches, false))
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
            .x_desc(self.value_label.as_str())
            .draw()?;
        theme::draw_row_labels(&area, &chart, &self.approaches, 0.0)?;

        let bottom = |a: usize| (n - 1 - a) as f64;
        let margin = self.row_px() / 5;
        let mut segments = Vec::new();
        let mut texts = Vec::new();
        for a in 0..n {
            let mut x = 0.0;
            let y = bottom(a);
            for (p, values) in self.values.iter().enumerate() {
                let v = values[a];
                let color = theme::color(p);
                let mut r = Rectangle::new([(x, y), (x + v, y + 1.0)], color.filled());
                r.set_margin(margin, margin, 0, 0);
                segments.push(r);
                let mut edge = Rectangle::new([(x, y), (x + v, y + 1.0)], WHITE.stroke_width(1));
                edge.set_margin(margin, margin, 0, 0);
                segments.push(edge);
                let text = theme::fmt_value(v);
                let (x0, _) = chart.backend_coord(&(x, y));
                let (x1, _) = chart.backend_coord(&(x + v, y));
                if v > 0.0 && x1 - x0 >= theme::text_width(&text, theme::LABEL_SIZE) as i32 + 8 {
                    texts.push(Text::new(
                        text,
                        (x + v / 2.0, y + 0.5),
                        theme::font(theme::LABEL_SIZE).pos(theme::CENTER),
                    ));
                }
                x += v;
            }
            let total = format!("= {}", theme::fmt_value(x));
            texts.push(Text::new(total, (x + x_max * 0.01, y + 0.5), theme::font(theme::LABEL_SIZE).pos(theme::LEFT)));
        }
        chart.draw_series(segments)?;
        chart.draw_series(texts)?;
        Ok(())
    }
}
