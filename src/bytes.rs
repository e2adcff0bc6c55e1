//! Human-readable byte and bit quantities (`change_bytes` of the Perl core).
//!
//! Mode outputs such as `Usage: 121.08 GB` print sizes scaled to a unit
//! with two decimals; these functions reproduce the Perl scaling and rounding exactly.

use crate::number;

/// Storage units (base 1024), unscaled first; no petabytes, big values stay in TB.
const STORAGE_UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];

/// Network units (base 1000), unscaled first; no petabits, big values stay in Tb.
const NETWORK_UNITS: [&str; 5] = ["b", "Kb", "Mb", "Gb", "Tb"];

/// A byte count as `%.2f` text and its unit (`B`, `KB`, `MB`, `GB`, `TB`), dividing by 1024.
///
/// Exists for output templates with storage formatting (`%{used|storage}`).
pub fn storage(v: f64) -> (String, &'static str) {
    scale(v, 1024.0, &STORAGE_UNITS)
}

/// A bit count as `%.2f` text and its unit (`b`, `Kb`, `Mb`, `Gb`, `Tb`), dividing by 1000.
///
/// Exists for output templates with network formatting (`%{traffic|network}`).
pub fn network(v: f64) -> (String, &'static str) {
    scale(v, 1000.0, &NETWORK_UNITS)
}

/// Divides the magnitude by `divisor` while the quotient stays ≥ 1, at most once per larger
/// unit, then prints it with the original sign.
fn scale(v: f64, divisor: f64, units: &[&'static str; 5]) -> (String, &'static str) {
    let [mut unit, larger @ ..] = *units;
    let mut magnitude = v.abs();
    for next in larger {
        // Written as Perl's `last if ($value / $divide) < 1`, so NaN keeps dividing like Perl.
        if magnitude / divisor < 1.0 {
            break;
        }
        magnitude /= divisor;
        unit = next;
    }
    let signed = if v < 0.0 { -magnitude } else { magnitude };
    (number::fixed(signed, 2), unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// core.md §6: value, storage text, network text.
    const TABLE: &[(f64, &str, &str)] = &[
        (0.0, "0.00 B", "0.00 b"),
        (1.0, "1.00 B", "1.00 b"),
        (512.555, "512.55 B", "512.55 b"),
        (1023.0, "1023.00 B", "1.02 Kb"),
        (1023.999, "1024.00 B", "1.02 Kb"),
        (1024.0, "1.00 KB", "1.02 Kb"),
        (1536.0, "1.50 KB", "1.54 Kb"),
        (1048575.9, "1024.00 KB", "1.05 Mb"),
        (1048576.0, "1.00 MB", "1.05 Mb"),
        (1073741824.0, "1.00 GB", "1.07 Gb"),
        (130010988069.0, "121.08 GB", "130.01 Gb"),
        (1099511627776.0, "1.00 TB", "1.10 Tb"),
        (1125899906842624.0, "1024.00 TB", "1125.90 Tb"),
        (-2048.0, "-2.00 KB", "-2.05 Kb"),
        (0.5, "0.50 B", "0.50 b"),
    ];

    fn joined((text, unit): (String, &str)) -> String {
        format!("{text} {unit}")
    }

    #[test]
    fn storage_matches_the_spec_table() {
        for (value, expected, _) in TABLE {
            assert_eq!(joined(storage(*value)), *expected, "storage({value})");
        }
    }

    #[test]
    fn network_matches_the_spec_table() {
        for (value, _, expected) in TABLE {
            assert_eq!(joined(network(*value)), *expected, "network({value})");
        }
    }

    #[test]
    fn office365_examples() {
        let cases: &[(f64, &str)] = &[
            (500.0, "500.00 B"),
            (540788.0, "528.11 KB"),
            (53460435785.0, "49.79 GB"),
            (2f64.powi(60), "1048576.00 TB"),
        ];
        for (value, expected) in cases {
            assert_eq!(joined(storage(*value)), *expected, "storage({value})");
        }
    }

    #[test]
    fn non_finite_values_do_not_panic() {
        assert_eq!(storage(f64::INFINITY), ("Inf".to_string(), "TB"));
        assert_eq!(network(f64::NEG_INFINITY), ("-Inf".to_string(), "Tb"));
        assert_eq!(storage(f64::NAN), ("NaN".to_string(), "TB"));
    }
}
