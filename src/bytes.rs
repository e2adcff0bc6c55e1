//! Human-readable byte quantities (`change_bytes` of the Perl core).
//!
//! Mode outputs such as `Usage: 121.08 GB` print sizes scaled to a unit with two
//! decimals; this reproduces the Perl scaling and rounding exactly.

use crate::number;

/// Storage units (base 1024), unscaled first; no petabytes, big values stay in TB.
const STORAGE_UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];

/// A byte count as `%.2f` text and its unit (`B`, `KB`, `MB`, `GB`, `TB`): the magnitude
/// is divided by 1024 while the quotient stays ≥ 1, at most once per larger unit, then
/// printed with the original sign.
///
/// Exists for counter outputs that show sizes (`Used: 3.54 GB`).
///
/// ```
/// use centreon_plugin::bytes::storage;
///
/// assert_eq!(storage(130010988069.0), ("121.08".to_string(), "GB"));
/// assert_eq!(storage(1023.999), ("1024.00".to_string(), "B"));
/// assert_eq!(storage(-2048.0), ("-2.00".to_string(), "KB"));
/// ```
pub fn storage(v: f64) -> (String, &'static str) {
    let [mut unit, larger @ ..] = STORAGE_UNITS;
    let mut magnitude = v.abs();
    for next in larger {
        // Written as Perl's `last if ($value / $divide) < 1`, so NaN keeps dividing like Perl.
        if magnitude / 1024.0 < 1.0 {
            break;
        }
        magnitude /= 1024.0;
        unit = next;
    }
    let signed = if v < 0.0 { -magnitude } else { magnitude };
    (number::fixed(signed, 2), unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values run through Perl's `change_bytes`, and what it printed.
    const TABLE: &[(f64, &str)] = &[
        (0.0, "0.00 B"),
        (1.0, "1.00 B"),
        (512.555, "512.55 B"),
        (1023.0, "1023.00 B"),
        (1023.999, "1024.00 B"),
        (1024.0, "1.00 KB"),
        (1536.0, "1.50 KB"),
        (1048575.9, "1024.00 KB"),
        (1048576.0, "1.00 MB"),
        (1073741824.0, "1.00 GB"),
        (130010988069.0, "121.08 GB"),
        (1099511627776.0, "1.00 TB"),
        (1125899906842624.0, "1024.00 TB"),
        (-2048.0, "-2.00 KB"),
        (0.5, "0.50 B"),
        (500.0, "500.00 B"),
        (540788.0, "528.11 KB"),
        (53460435785.0, "49.79 GB"),
        (1152921504606846976.0, "1048576.00 TB"),
    ];

    fn joined((text, unit): (String, &str)) -> String {
        format!("{text} {unit}")
    }

    #[test]
    fn storage_matches_perl() {
        for (value, expected) in TABLE {
            assert_eq!(joined(storage(*value)), *expected, "storage({value})");
        }
    }

    #[test]
    fn non_finite_values_do_not_panic() {
        assert_eq!(storage(f64::INFINITY), ("Inf".to_string(), "TB"));
        assert_eq!(storage(f64::NEG_INFINITY), ("-Inf".to_string(), "TB"));
        assert_eq!(storage(f64::NAN), ("NaN".to_string(), "TB"));
    }
}
