//! The shared look of every chart: the embedded font, sizes, colours, titles,
//! legends, row labels and number formats.
//!
//! Invariant: the font is registered with plotters by [`ensure_font`] in the
//! same copy of plotters that draws (evcxr links a private copy of every
//! dependency into each cell, so registration cannot be left to an earlier
//! cell); every text size and colour a chart uses comes from here, so all
//! charts read alike at notebook width.

use std::error::Error as StdError;
use std::sync::OnceLock;

use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a panel's drawing code returns; plotters' errors are boxed and turned
/// into a [`parlab_core::Error`] once, where the figure is rendered.
pub(crate) type DrawResult = std::result::Result<(), Box<dyn StdError + Send + Sync>>;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
pub(crate) static FONT_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family every chart asks for; SVG viewers substitute their own sans-serif.
pub(crate) const FAMILY: &str = "sans-serif";

/// Width of every figure in pixels: a notebook's output column at 1:1.
pub(crate) const WIDTH: u32 = 900;
/// No figure is taller than this many pixels (a 900 × 12 000 RGB buffer is 32 MB).
pub(crate) const MAX_HEIGHT: u32 = 12_000;

/// Height of the title strip at the top of each panel.
pub(crate) const TITLE_H: u32 = 40;
/// Height of one row of a legend strip.
pub(crate) const LEGEND_ROW_H: u32 = 26;
/// Room under the x axis for tick labels and the axis description.
pub(crate) const X_AXIS_H: u32 = 58;
/// Outer margins of a panel: top, bottom, left, right.
pub(crate) const MARGIN: (u32, u32, u32, u32) = (6, 10, 12, 28);

// Text sizes are plotters sizes: the line height, about 1.24 em.
pub(crate) const TITLE_SIZE: f64 = 25.0;
pub(crate) const DESC_SIZE: f64 = 19.0;
pub(crate) const TICK_SIZE: f64 = 17.0;
pub(crate) const LABEL_SIZE: f64 = 15.0;

pub(crate) const INK: RGBColor = RGBColor(34, 34, 34);
pub(crate) const MUTED: RGBColor = RGBColor(110, 110, 110);
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);
pub(crate) const ZEBRA: RGBColor = RGBColor(246, 246, 246);
pub(crate) const FAILED: RGBColor = RGBColor(225, 87, 89);
pub(crate) const FAILED_EDGE: RGBColor = RGBColor(110, 0, 10);
pub(crate) const BASELINE: RGBColor = RGBColor(150, 150, 150);

/// Tableau 10 without its red, which marks failures.
const PALETTE: [RGBColor; 9] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

/// The `i`-th colour of the palette (cycling).
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// `c` darkened towards black by `factor` (0 = unchanged, 1 = black).
pub(crate) fn darken(c: RGBColor, factor: f64) -> RGBColor {
    let f = |v: u8| (f64::from(v) * (1.0 - factor.clamp(0.0, 1.0))).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// Register the embedded font with this copy of plotters, once per copy.
///
/// Every public drawing function calls this before it draws: in evcxr each
/// cell has its own plotters, so a font registered by an earlier cell is not
/// visible to the next one.
pub(crate) fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_TTF).is_ok());
    if ok { Ok(()) } else { Err(Error::Unsupported("the embedded chart font could not be loaded".into())) }
}

/// Text of `size` in the chart font and ink colour.
pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

/// Anchor text by its centre.
pub(crate) const CENTER: Pos = Pos { h_pos: HPos::Center, v_pos: VPos::Center };
/// Anchor text by the middle of its left edge.
pub(crate) const LEFT: Pos = Pos { h_pos: HPos::Left, v_pos: VPos::Center };
/// Anchor text by the middle of its bottom edge.
pub(crate) const ABOVE: Pos = Pos { h_pos: HPos::Center, v_pos: VPos::Bottom };
/// Anchor text by the middle of its right edge.
pub(crate) const RIGHT: Pos = Pos { h_pos: HPos::Right, v_pos: VPos::Center };

/// Width in pixels of `text` at `size` (an estimate if the font is unavailable).
pub(crate) fn text_width(text: &str, size: f64) -> u32 {
    (FAMILY, size)
        .into_font()
        .box_size(text)
        .map_or_else(|_| (text.chars().count() as f64 * size * 0.5) as u32, |(w, _)| w)
}

/// The panel inside its outer margins.
pub(crate) fn inner<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> DrawingArea<DB, Shift> {
    area.margin(MARGIN.0, MARGIN.1, MARGIN.2, MARGIN.3)
}

/// Height of a framed chart: margins, title, `legend`, a gap, `plot` pixels and the x axis.
pub(crate) fn framed_height(legend: &[LegendItem], plot: u32) -> u32 {
    MARGIN.0 + TITLE_H + legend_height(legend) + 8 + plot + X_AXIS_H + MARGIN.1
}

/// The area left for the plot once the margins, `title` and `legend` are drawn.
pub(crate) fn frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendItem],
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let area = inner(area);
    let area = title_strip(&area, title)?;
    legend_strip(&area, legend)
}

/// Draw `title` centred in a strip at the top of `area` (shrinking the text
/// until it fits) and return the rest of the area.
pub(crate) fn title_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (top, rest) = area.split_vertically(TITLE_H);
    let (w, h) = top.dim_in_pixel();
    let mut size = TITLE_SIZE;
    while size > 13.0 && text_width(title, size) + 16 > w {
        size -= 1.0;
    }
    top.draw(&Text::new(title.to_string(), (w as i32 / 2, h as i32 / 2), font(size).pos(CENTER)))?;
    Ok(rest)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mark {
    /// A filled square (bars).
    Swatch,
    /// A filled square with a dark outline (failed tasks).
    Outlined,
    /// A solid thick line.
    Line,
    /// A dashed line.
    Dashed,
    /// A dot.
    Dot,
}

/// One legend entry.
#[derive(Clone, Debug)]
pub(crate) struct LegendItem {
    pub label: String,
    pub color: RGBColor,
    pub mark: Mark,
}

impl LegendItem {
    pub(crate) fn new(label: impl Into<String>, color: RGBColor, mark: Mark) -> Self {
        LegendItem { label: label.into(), color, mark }
    }

    fn width(&self) -> u32 {
        SWATCH_W + 8 + text_width(&self.label, LABEL_SIZE)
    }
}

const SWATCH_W: u32 = 26;
const ITEM_GAP: u32 = 28;

/// Legend entries split into rows that fit `width` pixels.
fn legend_rows(items: &[LegendItem], width: u32) -> Vec<Vec<&LegendItem>> {
    let mut rows: Vec<Vec<&LegendItem>> = Vec::new();
    let mut used = 0;
    for item in items {
        let w = item.width();
        match rows.last_mut() {
            Some(row) if used + ITEM_GAP + w <= width => {
                row.push(item);
                used += ITEM_GAP + w;
            }
            _ => {
                rows.push(vec![item]);
                used = w;
            }
        }
    }
    rows
}

/// Height of the legend strip for `items` in a panel of the standard width.
pub(crate) fn legend_height(items: &[LegendItem]) -> u32 {
    let width = WIDTH - MARGIN.2 - MARGIN.3;
    legend_rows(items, width).len() as u32 * LEGEND_ROW_H
}

/// Draw a centred legend strip at the top of `area` and return the rest.
pub(crate) fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
) -> std::result::Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    if items.is_empty() {
        return Ok(area.clone());
    }
    let (w, _) = area.dim_in_pixel();
    let rows = legend_rows(items, w);
    let (strip, rest) = area.split_vertically(rows.len() as u32 * LEGEND_ROW_H);
    for (r, row) in rows.iter().enumerate() {
        let total: u32 = row.iter().map(|i| i.width()).sum::<u32>() + ITEM_GAP * (row.len() as u32 - 1);
        let mut x = (w.saturating_sub(total) / 2) as i32;
        let y = (r as u32 * LEGEND_ROW_H + LEGEND_ROW_H / 2) as i32;
        for item in row {
            draw_mark(&strip, item, x, y)?;
            let text_x = x + SWATCH_W as i32 + 8;
            strip.draw(&Text::new(item.label.clone(), (text_x, y), font(LABEL_SIZE).pos(LEFT)))?;
            x += (item.width() + ITEM_GAP) as i32;
        }
    }
    Ok(rest)
}

fn draw_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    item: &LegendItem,
    x: i32,
    y: i32,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let c = item.color;
    let (x0, x1) = (x + 4, x + SWATCH_W as i32 - 4);
    match item.mark {
        Mark::Swatch => area.draw(&Rectangle::new([(x0, y - 8), (x1, y + 8)], c.filled())),
        Mark::Outlined => {
            area.draw(&Rectangle::new([(x0, y - 8), (x1, y + 8)], c.filled()))?;
            area.draw(&Rectangle::new([(x0, y - 8), (x1, y + 8)], FAILED_EDGE.stroke_width(2)))
        }
        Mark::Line => area.draw(&PathElement::new(vec![(x, y), (x + SWATCH_W as i32, y)], c.stroke_width(3))),
        Mark::Dashed => {
            for k in 0..3 {
                let s = x + k * 10;
                area.draw(&PathElement::new(vec![(s, y), (s + 6, y)], c.stroke_width(2)))?;
            }
            Ok(())
        }
        Mark::Dot => area.draw(&Circle::new((x + SWATCH_W as i32 / 2, y), 5, c.filled())),
    }
}

/// Decimals that show ticks on an axis running up to `max` without noise.
pub(crate) fn decimals_for(max: f64) -> usize {
    if !(max.is_finite() && max > 0.0) {
        return 2;
    }
    (1.0 - max.log10().floor()).clamp(0.0, 6.0) as usize
}

/// `v` with `decimals` decimals, trailing zeros (and a trailing point) removed.
pub(crate) fn trim_number(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".to_string() } else { s }
}

/// A tick label for an axis of whole numbers: empty between integers.
pub(crate) fn integer_tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 { format!("{}", v.round() as i64) } else { String::new() }
}

pub(crate) use parlab_core::units::human_secs as fmt_secs;

/// `n` and a noun, plural when `n != 1`: `1 worker`, `3 workers`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// A value with about three significant digits.
pub(crate) fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        trim_number(v, 1)
    } else if a >= 1.0 {
        trim_number(v, 2)
    } else {
        trim_number(v, decimals_for(a) + 1)
    }
}

/// A speedup: `3.2×`, `0.85×`.
pub(crate) fn fmt_speedup(s: f64) -> String {
    if s >= 10.0 { format!("{s:.1}×") } else { format!("{s:.2}×") }
}

/// `Err` unless `v` is a finite number; `what` names it in the message.
pub(crate) fn finite(v: f64, what: impl FnOnce() -> String) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::InvalidArgument(format!("{} is {v}; charts need finite numbers", what())))
    }
}

/// Draw `labels` (top to bottom) right-aligned to the left of a row chart whose
/// y axis runs from 0 (bottom) to `labels.len()` (top).
pub(crate) fn draw_row_labels<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    labels: &[String],
    x_min: f64,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let n = labels.len();
    let (bx, by) = area.get_base_pixel();
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(x_min, (n - i) as f64 - 0.5));
        let pos = (px - bx - 10, py - by);
        area.draw(&Text::new(label.clone(), pos, font(TICK_SIZE).pos(RIGHT)))?;
    }
    Ok(())
}

/// Width for a row chart's y label area holding `labels` (plus room for a description).
pub(crate) fn row_label_width(labels: &[String], with_desc: bool) -> u32 {
    let widest = labels.iter().map(|l| text_width(l, TICK_SIZE)).max().unwrap_or(0);
    (widest + 18).clamp(40, 320) + if with_desc { 30 } else { 0 }
}

/// Turn a boxed drawing error into the library's error value.
pub(crate) fn draw_failed(e: Box<dyn StdError + Send + Sync>) -> Error {
    Error::Unsupported(format!("could not draw the chart: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(trim_number(0.250, 3), "0.25");
        assert_eq!(trim_number(2.0, 3), "2");
        assert_eq!(decimals_for(0.05), 3);
        assert_eq!(decimals_for(30.0), 0);
        assert_eq!(fmt_secs(0.0456), "45.6 ms");
        assert_eq!(fmt_secs(2.345), "2.35 s");
        assert_eq!(fmt_speedup(3.456), "3.46×");
        assert_eq!(integer_tick(&3.0), "3");
        assert_eq!(integer_tick(&2.5), "");
        assert_eq!(fmt_value(0.0123), "0.0123");
        assert_eq!(fmt_value(1234.4), "1234");
    }
}
