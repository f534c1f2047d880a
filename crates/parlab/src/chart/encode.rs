//! Bytes out: RGB pixels to PNG, and bytes to base64 for evcxr's display protocol.
//!
//! Invariant: both encoders are total — every input of the right length gives
//! a valid PNG or base64 text, or an error value; nothing here panics.

use parlab_core::{Error, Result};

/// Encode `rgb` (3 bytes per pixel, rows top to bottom) as an 8-bit RGB PNG.
pub(crate) fn png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let expected = width as usize * height as usize * 3;
    if rgb.len() != expected {
        return Err(Error::InvalidArgument(format!(
            "PNG encoding needs {expected} bytes for {width}×{height} RGB pixels, got {}",
            rgb.len()
        )));
    }
    let fail = |e: png::EncodingError| Error::Unsupported(format!("could not encode the chart as PNG: {e}"));
    let mut out = Vec::with_capacity(expected / 8);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// Standard base64 (RFC 4648, with `=` padding, no line breaks).
pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn png_rejects_wrong_buffer_length() {
        assert!(png(&[0; 5], 2, 1).is_err());
        let ok = png(&[255; 12], 2, 2).unwrap();
        assert_eq!(&ok[..8], b"\x89PNG\r\n\x1a\n");
    }
}
