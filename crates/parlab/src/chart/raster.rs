//! The PNG canvas: plotters' bitmap backend with text set by ab_glyph directly.
//!
//! Invariant: everything but text is drawn by plotters' `BitMapBackend`
//! unchanged. Text advances by exactly the glyph advances and kerning that
//! plotters measures it with (so layouts computed from those measurements fit),
//! and each glyph is drawn at its pen position *including* its side bearing,
//! on a baseline placed from the text's anchor. (plotters 0.3.7's own ab_glyph
//! drawing drops side bearings, which spaces "T10" as "T1 0".)

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use parlab_core::{Error, Result};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};

use super::theme;

/// A bitmap backend over an RGB buffer that draws text with the embedded font.
pub(crate) struct Raster<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Raster<'a> {
    /// Draw into `buf` (3 bytes per pixel) of `size` pixels.
    pub(crate) fn new(buf: &'a mut [u8], size: (u32, u32)) -> Result<Self> {
        let font = FontRef::try_from_slice(theme::FONT_TTF)
            .map_err(|_| Error::Unsupported("the embedded chart font could not be loaded".into()))?;
        Ok(Raster { inner: BitMapBackend::with_buffer(buf, size), font })
    }
}

type Failure<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> std::result::Result<(), Failure<'a>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> std::result::Result<(), Failure<'a>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> std::result::Result<(), Failure<'a>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> std::result::Result<(), Failure<'a>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> std::result::Result<(), Failure<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> std::result::Result<(), Failure<'a>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> std::result::Result<(), Failure<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> std::result::Result<(), Failure<'a>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> std::result::Result<(), Failure<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> std::result::Result<(), Failure<'a>> {
        let color = style.color();
        if color.alpha <= 0.0 || text.is_empty() {
            return Ok(());
        }
        let font = self.font.as_scaled(PxScale::from(style.size() as f32));
        // Pen positions, measured exactly as plotters measures text.
        let mut glyphs = Vec::with_capacity(text.len());
        let mut caret = 0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                caret += font.kern(p, id);
            }
            glyphs.push((id, caret));
            caret += font.h_advance(id);
            prev = Some(id);
        }
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -caret / 2.0,
            HPos::Right => -caret,
        };
        let (ascent, descent) = (font.ascent(), font.descent()); // descent < 0
        let baseline = match anchor.v_pos {
            VPos::Top => ascent,
            VPos::Center => (ascent + descent) / 2.0,
            VPos::Bottom => descent,
        };
        let transform = style.transform();
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(font.scale(), point(x + dx, baseline));
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.0 {
                    let rx = bounds.min.x as i32 + gx as i32;
                    let ry = bounds.min.y as i32 + gy as i32;
                    pixels.push((rx, ry, coverage.min(1.0)));
                }
            });
            for (rx, ry, coverage) in pixels {
                let (tx, ty) = transform.transform(rx, ry);
                let alpha = color.alpha * f64::from(coverage);
                self.inner.draw_pixel((pos.0 + tx, pos.1 + ty), BackendColor { alpha, rgb: color.rgb })?;
            }
        }
        Ok(())
    }
}
