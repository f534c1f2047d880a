//! A finished chart ([`Chart`]: pixels and vector text) and the panels a
//! figure is stacked from. Every kind of chart (timeline, speedup, ...)
//! implements [`Draw`] in its own file; the canvas knows panels only through
//! that trait, so a new kind needs no change here.
//!
//! Invariant: a [`Chart`]'s PNG and SVG are drawn from the same panels, in
//! the same order, at the same size.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use parlab_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::raster::Raster;
use super::{encode, theme};
use theme::DrawResult;

/// A finished figure: PNG bytes and SVG text of the same drawing.
///
/// Shown inline by evcxr when it is a cell's last value; saved with
/// [`Chart::save`]. Cloning copies the images.
#[derive(Clone)]
pub struct Chart {
    panels: Vec<Arc<dyn Panel>>,
    width: u32,
    height: u32,
    png: Vec<u8>,
    svg: String,
}

impl Chart {
    /// Render `panels` top to bottom into one figure.
    pub(crate) fn render(panels: Vec<Arc<dyn Panel>>) -> Result<Chart> {
        if panels.is_empty() {
            return Err(Error::InvalidArgument("a chart needs at least one panel".into()));
        }
        theme::ensure_font()?;
        let heights: Vec<u32> = panels.iter().map(|p| p.height()).collect();
        let width = theme::WIDTH;
        let height = heights.iter().sum::<u32>();
        if height > theme::MAX_HEIGHT {
            return Err(Error::InvalidArgument(format!(
                "this figure would be {height} px tall (at most {} px): draw fewer runs or lanes per chart",
                theme::MAX_HEIGHT
            )));
        }
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            draw_panels(&root, &panels, &heights, |p, area| p.draw_svg(area)).map_err(theme::draw_failed)?;
            root.present().map_err(|e| theme::draw_failed(Box::new(e)))?;
        }
        let mut rgb = vec![255u8; width as usize * height as usize * 3];
        {
            let root = Raster::new(&mut rgb, (width, height))?.into_drawing_area();
            draw_panels(&root, &panels, &heights, |p, area| p.draw_raster(area)).map_err(theme::draw_failed)?;
            root.present().map_err(|e| theme::draw_failed(Box::new(e)))?;
        }
        let png = encode::png(&rgb, width, height)?;
        Ok(Chart { panels, width, height, png, svg })
    }

    /// The figure as PNG file bytes.
    ///
    /// ```
    /// # use parlab::prelude::*;
    /// # fn main() -> parlab::Result<()> {
    /// let c = chart::histogram(&[1, 2, 2, 3], "Degrees", "degree", "nodes")?;
    /// assert!(c.png().starts_with(b"\x89PNG"));
    /// # Ok(()) }
    /// ```
    pub fn png(&self) -> &[u8] {
        &self.png
    }

    /// The figure as an SVG document.
    ///
    /// ```
    /// # use parlab::prelude::*;
    /// # fn main() -> parlab::Result<()> {
    /// let c = chart::histogram(&[1, 2, 2, 3], "Degrees", "degree", "nodes")?;
    /// assert!(c.svg().starts_with("<svg") && c.svg().contains("Degrees"));
    /// # Ok(()) }
    /// ```
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Write the figure to `path`: PNG for `.png`, SVG for `.svg` (any case).
    ///
    /// ```
    /// # use parlab::prelude::*;
    /// # fn main() -> parlab::Result<()> {
    /// let c = chart::histogram(&[1, 2, 2, 3], "Degrees", "degree", "nodes")?;
    /// let dir = std::env::temp_dir();
    /// # let dir = dir.join(format!("parlab-save-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// c.save(dir.join("degrees.svg"))?;
    /// assert!(c.save(dir.join("degrees.jpg")).is_err()); // only PNG and SVG
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let bytes: &[u8] = match ext.as_deref() {
            Some("png") => &self.png,
            Some("svg") => self.svg.as_bytes(),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "save a chart to a file ending in .png or .svg, not {}",
                    path.display()
                )));
            }
        };
        std::fs::write(path, bytes).map_err(|e| Error::Os(format!("could not write {}: {e}", path.display())))
    }

    /// Show the chart in a Jupyter notebook (evcxr calls this for a cell's last value).
    ///
    /// Emits one display with two representations: `image/png` (which
    /// JupyterLab shows even in an untrusted notebook, and nbconvert and
    /// GitHub render) and a `text/plain` summary for text-only front ends.
    pub fn evcxr_display(&self) {
        let mut stdout = std::io::stdout().lock();
        // Nowhere to report a closed stdout; the chart is still in the value.
        let _ = stdout.write_all(self.display_protocol().as_bytes());
        let _ = stdout.flush();
    }

    /// What [`Chart::evcxr_display`] prints: evcxr's content blocks, base64 PNG on one line.
    fn display_protocol(&self) -> String {
        let mut out = String::with_capacity(self.png.len() * 4 / 3 + 200);
        out.push_str("EVCXR_BEGIN_CONTENT image/png\n");
        out.push_str(&encode::base64(&self.png));
        out.push_str("\nEVCXR_END_CONTENT\nEVCXR_BEGIN_CONTENT text/plain\n");
        out.push_str(&format!("{self:?}"));
        out.push_str("\nEVCXR_END_CONTENT\n");
        out
    }

    /// The title of each panel, top to bottom.
    pub fn titles(&self) -> Vec<&str> {
        self.panels.iter().map(|p| p.title()).collect()
    }
}

impl fmt::Debug for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Chart \"{}\" ({}×{} px, PNG {} kB)",
            self.titles().join(" / "),
            self.width,
            self.height,
            self.png.len() / 1024
        )
    }
}

/// Put charts one above the other in a single figure (a notebook cell shows
/// only its last image, so this is how one cell shows several charts).
///
/// ```
/// use parlab::prelude::*;
/// # fn main() -> parlab::Result<()> {
/// let a = chart::histogram(&[1, 1, 2], "First", "value", "count")?;
/// let b = chart::histogram(&[5, 6, 6], "Second", "value", "count")?;
/// let both = chart::stack([&a, &b])?;
/// assert_eq!(both.size().1, a.size().1 + b.size().1);
/// assert_eq!(both.titles(), ["First", "Second"]);
/// assert!(chart::stack([]).is_err());
/// # Ok(()) }
/// ```
pub fn stack<'a>(charts: impl IntoIterator<Item = &'a Chart>) -> Result<Chart> {
    let panels: Vec<Arc<dyn Panel>> = charts.into_iter().flat_map(|c| c.panels.iter().cloned()).collect();
    if panels.is_empty() {
        return Err(Error::InvalidArgument("stack needs at least one chart".into()));
    }
    Chart::render(panels)
}

/// What a kind of chart is: one panel's worth of data, with its height and
/// title, drawn on any plotters backend.
pub(crate) trait Draw: fmt::Debug + Send + Sync + 'static {
    /// Pixels the panel takes, top to bottom.
    fn height(&self) -> u32;

    /// The panel's title.
    fn title(&self) -> &str;

    /// Draw the panel into `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// A [`Draw`] as the canvas holds it: on its two backends, behind a pointer.
pub(crate) trait Panel: fmt::Debug + Send + Sync {
    fn height(&self) -> u32;
    fn title(&self) -> &str;
    fn draw_svg(&self, area: &DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult;
    fn draw_raster(&self, area: &DrawingArea<Raster<'_>, Shift>) -> DrawResult;
}

impl<T: Draw> Panel for T {
    fn height(&self) -> u32 {
        Draw::height(self)
    }

    fn title(&self) -> &str {
        Draw::title(self)
    }

    fn draw_svg(&self, area: &DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult {
        self.draw(area)
    }

    fn draw_raster(&self, area: &DrawingArea<Raster<'_>, Shift>) -> DrawResult {
        self.draw(area)
    }
}

/// A kind of chart's data as a panel of a [`Chart`].
pub(crate) fn into_panel(kind: impl Draw) -> Arc<dyn Panel> {
    Arc::new(kind)
}

fn draw_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[Arc<dyn Panel>],
    heights: &[u32],
    draw: impl Fn(&dyn Panel, &DrawingArea<DB, Shift>) -> DrawResult,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut breaks = Vec::with_capacity(heights.len());
    let mut y = 0i32;
    for h in &heights[..heights.len().saturating_sub(1)] {
        y += *h as i32;
        breaks.push(y);
    }
    let areas = root.split_by_breakpoints::<i32, i32, _, _>([], breaks);
    for (panel, area) in panels.iter().zip(&areas) {
        draw(&**panel, area)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_png_block_and_a_text_fallback() {
        let c = super::super::histogram(&[1, 2, 2], "Shown", "x", "y").unwrap();
        let text = c.display_protocol();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "EVCXR_BEGIN_CONTENT image/png");
        assert_eq!(lines[1], encode::base64(c.png()));
        assert_eq!(lines[2], "EVCXR_END_CONTENT");
        assert_eq!(lines[3], "EVCXR_BEGIN_CONTENT text/plain");
        assert!(lines[4].starts_with("Chart \"Shown\" (900×"));
        assert_eq!(lines[5], "EVCXR_END_CONTENT");
        assert_eq!(lines.len(), 6);
    }
}
