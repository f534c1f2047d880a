//! Durations and sizes as people read them: one formatter for each, used by
//! reports, charts, the advisor and the command line alike.
//!
//! Invariant: every figure parlab prints in seconds or bytes goes through
//! here, so the same quantity reads the same everywhere.

/// Seconds in the unit that keeps about three significant figures: `28.1 s`,
/// `2.01 s`, `12.3 ms`, `45 µs`; `∞` for a value that is not finite.
///
/// ```
/// use parlab_core::units::human_secs;
/// assert_eq!(human_secs(28.09), "28.1 s");
/// assert_eq!(human_secs(0.0123), "12.3 ms");
/// assert_eq!(human_secs(0.000045), "45 µs");
/// ```
pub fn human_secs(secs: f64) -> String {
    let abs = secs.abs();
    if !secs.is_finite() {
        "∞".to_string()
    } else if abs >= 100.0 {
        format!("{secs:.0} s")
    } else if abs >= 10.0 {
        format!("{secs:.1} s")
    } else if abs >= 1.0 {
        format!("{secs:.2} s")
    } else if abs >= 0.01 {
        format!("{:.1} ms", secs * 1e3)
    } else if abs >= 0.001 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.0} µs", secs * 1e6)
    }
}

/// Bytes in binary units: `512 B`, `16.0 MiB`, `1.5 GiB`; sizes beyond
/// exbibytes in scientific notation.
///
/// ```
/// use parlab_core::units::human_bytes;
/// assert_eq!(human_bytes(512), "512 B");
/// assert_eq!(human_bytes(16 << 20), "16.0 MiB");
/// ```
pub fn human_bytes(bytes: u128) -> String {
    if bytes >= 1 << 60 {
        return format!("{:.1e} bytes", bytes as f64);
    }
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let (mut value, mut unit) = (bytes as f64, 0);
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_keep_three_figures() {
        assert_eq!(human_secs(123.4), "123 s");
        assert_eq!(human_secs(1.234), "1.23 s");
        assert_eq!(human_secs(0.00123), "1.23 ms");
        assert_eq!(human_secs(f64::INFINITY), "∞");
    }

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(u128::MAX), "3.4e38 bytes");
    }
}
