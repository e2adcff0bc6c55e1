//! Nagios ranges (`--warning-*`, `--critical-*`, `--unknown-*` values and the threshold
//! fields of perfdata records), as the Perl core parses, checks and prints them back.
//!
//! A range is `[@][start:][end]`: alert when the value is outside `[start, end]`, or inside it
//! with `@`. Bounds may carry a byte/bit unit (`1KB`, `2Mb`) and a comma as decimal separator.
//! The perfdata fields show the bounds as the user typed them (`010` stays `010`), so each
//! bound keeps its text next to its value.
//!
//! ```
//! use centreon_plugin::threshold::Threshold;
//!
//! let range = Threshold::parse("@10:20").unwrap().unwrap();
//! assert!(range.alerts(15.0, 8) && !range.alerts(25.0, 8));
//! assert_eq!(Threshold::parse("010").unwrap().unwrap().perfdata(), "0:010");
//! assert_eq!(Threshold::parse("1KB:2Mb").unwrap().unwrap().perfdata(), "1024:2000000");
//! assert_eq!(Threshold::parse("").unwrap(), None);
//! ```

use std::fmt;

use crate::error::{Error, Result};
use crate::number;

/// One end of a range.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// No bound: −∞ as a start (`~`), +∞ as an end (nothing after `:`).
    Infinite,
    /// A number: its value and the text printed back for it.
    Finite {
        /// The value compared with.
        value: f64,
        /// The user's digits (`+` removed, `,` printed as `.`, units expanded to a
        /// number): `010` stays `010`, `100.0` stays `100.0`.
        text: String,
    },
}

impl Bound {
    /// A finite bound printed as `text`, worth what Perl reads in it.
    pub fn finite(text: String) -> Bound {
        Bound::Finite { value: number::parse_leading(&text), text }
    }

    /// The bound rewritten by `f`, which gets its value and returns the new text (`None`
    /// keeps it); an infinite bound stays infinite.
    ///
    /// Exists for the perfdata methods (`invert()`, `percent()`, `scale()`, `math()`), which
    /// rewrite the bounds of a record's threshold fields.
    pub fn map(&self, f: impl FnOnce(f64) -> Option<String>) -> Bound {
        match self {
            Bound::Infinite => Bound::Infinite,
            Bound::Finite { value, .. } => f(*value).map_or_else(|| self.clone(), Bound::finite),
        }
    }

    /// The value as a start (−∞ when infinite), rounded like a value when typed with decimals.
    fn start_for_check(&self, precision: usize) -> f64 {
        match self {
            Bound::Infinite => f64::NEG_INFINITY,
            Bound::Finite { value, text } => for_check(*value, text, precision),
        }
    }

    /// The value as an end (+∞ when infinite), rounded like a value when typed with decimals.
    fn end_for_check(&self, precision: usize) -> f64 {
        match self {
            Bound::Infinite => f64::INFINITY,
            Bound::Finite { value, text } => for_check(*value, text, precision),
        }
    }
}

/// A parsed range: the two bounds and whether alerts fire inside.
///
/// Exists so that a threshold is parsed once, at start-up, and then both checked against
/// values and printed into perfdata fields without going back to the option text.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// `@` was given: alert when the value lies inside `[start, end]` (bounds included).
    pub inside: bool,
    /// Lower bound; `0` when empty or absent.
    pub start: Bound,
    /// Upper bound.
    pub end: Bound,
}

/// Why a threshold text is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThresholdError {
    /// Not `[@][start:][end]` with numbers as the Perl core reads them.
    Syntax,
    /// The start is above the end: no value is in the range, so the alert fires on every
    /// value (never with `@`). Refused for options only.
    StartAboveEnd {
        /// The start as printed back.
        start: String,
        /// The end as printed back.
        end: String,
    },
    /// `@` alone, which alerts on every value from 0 up. Refused for options only.
    BareAt,
}

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThresholdError::Syntax => f.write_str("expected [@][START:][END]"),
            ThresholdError::StartAboveEnd { start, end } => {
                write!(f, "its start {start} is above its end {end}, so no value is in the range")
            }
            ThresholdError::BareAt => f.write_str("'@' alone alerts on every value; give the range, as in @10:20"),
        }
    }
}

impl std::error::Error for ThresholdError {}

impl Threshold {
    /// Reads a threshold as the Perl core does: `Ok(None)` for the empty string (no
    /// threshold), [`ThresholdError::Syntax`] for a value it rejects.
    ///
    /// Exists for the threshold fields of perfdata records, which the perfdata methods and
    /// `alert_triggered()` read back; options go through [`Threshold::from_option`].
    ///
    /// `1,5KB` is `1 × 1024`, as in Perl, which multiplies the numeric value of the text
    /// before the unit and reads no comma there.
    pub fn parse(text: &str) -> std::result::Result<Option<Threshold>, ThresholdError> {
        if text.is_empty() {
            return Ok(None);
        }
        let trimmed = perl_trim(text);
        let (inside, range) = match trimmed.strip_prefix('@') {
            Some(range) => (true, range),
            None => (false, trimmed),
        };
        let (start, end) = match range.split_once(':') {
            Some((start, end)) => (start_bound(start)?, end_bound(end)?),
            None => (zero(), end_bound(range)?),
        };
        Ok(Some(Threshold { inside, start, end }))
    }

    /// Reads the value `text` of the threshold option `--option`; `Ok(None)` for an empty
    /// value (no threshold).
    ///
    /// Refused with the Perl core's message, `Wrong <option> threshold '<text>'.`: a value
    /// it rejects. Refused with the problem after the value, where Perl accepted a range
    /// that can only alert on every value or never: a start above the end (`10:5`) and a
    /// bare `@`.
    ///
    /// ```
    /// use centreon_plugin::threshold::Threshold;
    ///
    /// assert!(Threshold::from_option("warning-active-users", "5:10").unwrap().is_some());
    /// let error = Threshold::from_option("warning-active-users", "abc").unwrap_err();
    /// assert_eq!(error.message(), "Wrong warning-active-users threshold 'abc'.");
    /// let error = Threshold::from_option("critical-active-users", "10:5").unwrap_err();
    /// assert_eq!(
    ///     error.message(),
    ///     "Wrong critical-active-users threshold '10:5': its start 10 is above its end 5, so no value is in the range."
    /// );
    /// ```
    pub fn from_option(option: &str, text: &str) -> Result<Option<Threshold>> {
        let wrong = |problem: ThresholdError| match problem {
            ThresholdError::Syntax => Error::new(format!("Wrong {option} threshold '{text}'.")),
            problem => Error::new(format!("Wrong {option} threshold '{text}': {problem}.")),
        };
        let Some(threshold) = Threshold::parse(text).map_err(wrong)? else {
            return Ok(None);
        };
        if perl_trim(text) == "@" {
            return Err(wrong(ThresholdError::BareAt));
        }
        if let (Bound::Finite { value: start, text: start_text }, Bound::Finite { value: end, text: end_text }) =
            (&threshold.start, &threshold.end)
        {
            if start > end {
                return Err(wrong(ThresholdError::StartAboveEnd { start: start_text.clone(), end: end_text.clone() }));
            }
        }
        Ok(Some(threshold))
    }

    /// Whether `value` violates the range, comparing as Perl does with `precision` decimals
    /// (`--float-precision`).
    ///
    /// Exists to give a counter its status. A value whose Perl text has a fractional part is
    /// first rounded with `%.Nf`, and so is each bound typed with a decimal separator; bounds
    /// are inclusive.
    pub fn alerts(&self, value: f64, precision: usize) -> bool {
        let value = if number::perl(value).contains('.') { rounded(value, precision) } else { value };
        let start = self.start.start_for_check(precision);
        let end = self.end.end_for_check(precision);
        if self.inside {
            value >= start && value <= end
        } else {
            value < start || value > end
        }
    }

    /// The range as printed in a perfdata warning/critical field: `[@]START:END`.
    ///
    /// Exists because the perfdata must show the threshold exactly as the Perl core prints it
    /// (`10` → `0:10`, `~:10`, `@5:10`, `10:`).
    pub fn perfdata(&self) -> String {
        let start = match &self.start {
            Bound::Infinite => "~",
            Bound::Finite { text, .. } => text,
        };
        let end = match &self.end {
            Bound::Infinite => "",
            Bound::Finite { text, .. } => text,
        };
        let marker = if self.inside { "@" } else { "" };
        format!("{marker}{start}:{end}")
    }

    /// The range converted from a percentage to the absolute scale of `total`, as printed in
    /// perfdata: each finite bound × total / 100, truncated toward zero to an integer.
    ///
    /// Exists for counters whose thresholds are percentages while their perfdata value is an
    /// absolute count (`active-users` with `--units=%`).
    pub fn perfdata_of_percent(&self, total: f64) -> String {
        let convert = |value: f64| Some(number::int(value * total / 100.0));
        Threshold { inside: self.inside, start: self.start.map(convert), end: self.end.map(convert) }.perfdata()
    }
}

/// A bound as compared: rounded to `precision` decimals when typed with a decimal separator.
fn for_check(value: f64, text: &str, precision: usize) -> f64 {
    if text.contains('.') {
        rounded(value, precision)
    } else {
        value
    }
}

/// Perl's `sprintf("%.Nf", $v)` read back as a number.
fn rounded(value: f64, precision: usize) -> f64 {
    number::parse_leading(&number::fixed(value, precision))
}

/// The Perl core's `trim`: one trailing NUL dropped, then spaces, tabs and newlines at both
/// ends.
fn perl_trim(text: &str) -> &str {
    let without_nul = text.strip_suffix('\0').or_else(|| text.strip_suffix("\0\n")).unwrap_or(text);
    without_nul.trim_matches([' ', '\t', '\n'])
}

/// The implicit lower bound of `N` and `:N`.
fn zero() -> Bound {
    Bound::Finite { value: 0.0, text: "0".to_string() }
}

/// A lower bound: `~`, empty (zero) or a number.
fn start_bound(text: &str) -> std::result::Result<Bound, ThresholdError> {
    match text {
        "~" => Ok(Bound::Infinite),
        "" => Ok(zero()),
        _ => number_bound(text),
    }
}

/// An upper bound: empty (+inf) or a number.
fn end_bound(text: &str) -> std::result::Result<Bound, ThresholdError> {
    if text.is_empty() {
        Ok(Bound::Infinite)
    } else {
        number_bound(text)
    }
}

/// The pieces of `[+-]digits[(.|,)digits][unit]`.
struct Number<'a> {
    negative: bool,
    integer: &'a str,
    /// The decimal separator as typed and the digits after it.
    fraction: Option<(char, &'a str)>,
    /// Power (K=1 … E=6) and the base of the unit.
    unit: Option<(i32, Unit)>,
}

/// What a unit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// `B`: powers of 1024.
    Bytes,
    /// `b`: powers of 1000.
    Bits,
}

impl Number<'_> {
    /// The number without unit and without `+`, separator as typed.
    fn typed(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        match self.fraction {
            Some((separator, fraction)) => format!("{sign}{}{separator}{fraction}", self.integer),
            None => format!("{sign}{}", self.integer),
        }
    }
}

/// A bound written as a number, with its value and printed text.
fn number_bound(text: &str) -> std::result::Result<Bound, ThresholdError> {
    let number = split_number(text).ok_or(ThresholdError::Syntax)?;
    Ok(match number.unit {
        Some((power, unit)) => scaled_bound(&number, power, unit),
        None => plain_bound(&number),
    })
}

/// Splits a number `[+-]digits[(.|,)digits][(K|M|G|T|P|E)(B|b)]`, `None` when it does not
/// match.
fn split_number(text: &str) -> Option<Number<'_>> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (integer, rest) = number::split_digits(unsigned);
    if integer.is_empty() {
        return None;
    }
    let (fraction, rest) = split_fraction(rest)?;
    let unit = if rest.is_empty() { None } else { Some(unit_of(rest)?) };
    Some(Number { negative, integer, fraction, unit })
}

/// An optional `(.|,)digits` at the start of `text`, and the rest; `None` when a separator
/// has no digits after it (`1.`).
fn split_fraction(text: &str) -> Option<(Option<(char, &str)>, &str)> {
    let separator = text.chars().next().filter(|c| matches!(c, '.' | ','));
    let Some(separator) = separator else {
        return Some((None, text));
    };
    let after = text.strip_prefix(separator)?;
    let (digits, rest) = number::split_digits(after);
    if digits.is_empty() {
        return None;
    }
    Some((Some((separator, digits)), rest))
}

/// `K`…`E` followed by `B` or `b`: the power of the multiplier and the unit.
fn unit_of(text: &str) -> Option<(i32, Unit)> {
    let mut chars = text.chars();
    let (prefix, kind, None) = (chars.next()?, chars.next()?, chars.next()) else {
        return None;
    };
    let power = "KMGTPE".find(prefix)?;
    let unit = match kind {
        'B' => Unit::Bytes,
        'b' => Unit::Bits,
        _ => return None,
    };
    i32::try_from(power + 1).ok().map(|power| (power, unit))
}

/// A bound without unit: printed as typed, without `+`, with `.` for `,`.
fn plain_bound(number: &Number<'_>) -> Bound {
    Bound::finite(number.typed().replacen(',', ".", 1))
}

/// A bound with a unit, expanded as Perl's `scale_bytesbit` does.
///
/// Perl multiplies the numeric value of the text before the unit, so `1,5KB` is `1 × 1024`.
/// An integer times an integer power stays an exact integer when it fits 64 bits (`1PB`
/// prints `1125899906842624`); otherwise the product is a double printed with 15 digits
/// (`1EB` → `1.15292150460685e+18`, since Perl computes `1024**6` as a double).
fn scaled_bound(number: &Number<'_>, power: i32, unit: Unit) -> Bound {
    let typed = number.typed();
    let exact = match number.fraction {
        Some(_) => None,
        None => typed.parse::<i128>().ok().and_then(|m| integer_product(m, power, unit)),
    };
    match exact {
        Some(product) => Bound::Finite { value: product as f64, text: product.to_string() },
        None => {
            let base: f64 = if unit == Unit::Bytes { 1024.0 } else { 1000.0 };
            let value = number::parse_leading(&typed) * base.powi(power);
            Bound::Finite { value, text: number::perl(value) }
        }
    }
}

/// `mantissa × base^power` in integer arithmetic, when Perl would keep it an integer.
fn integer_product(mantissa: i128, power: i32, unit: Unit) -> Option<i128> {
    let fits_perl_integer = |v: i128| v >= i128::from(i64::MIN) && v <= i128::from(u64::MAX);
    if !fits_perl_integer(mantissa) || (unit == Unit::Bytes && power > 5) {
        return None;
    }
    let base: i128 = if unit == Unit::Bytes { 1024 } else { 1000 };
    let multiplier = base.checked_pow(u32::try_from(power).ok()?)?;
    mantissa.checked_mul(multiplier).filter(|v| fits_perl_integer(*v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn threshold(text: &str) -> Threshold {
        match Threshold::parse(text) {
            Ok(Some(threshold)) => threshold,
            other => panic!("{text:?} should parse, got {other:?}"),
        }
    }

    /// Thresholds run against the Perl plugin on a value of 250: threshold, perfdata
    /// field, whether it alerted (WARNING).
    #[test]
    fn accepted_syntax_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("100", "0:100", true),
            ("100:", "100:", false),
            ("~:100", "~:100", true),
            ("300:400", "300:400", true),
            ("@200:300", "@200:300", true),
            ("@0:100", "@0:100", false),
            ("10.5", "0:10.5", true),
            ("10,5", "0:10.5", true),
            ("-5", "0:-5", true),
            ("-5:-1", "-5:-1", true),
            (" 100 ", "0:100", true),
            ("\t100\n", "0:100", true),
            ("+100", "0:100", true),
            ("+5:+10", "5:10", true),
            ("010", "0:010", true),
            ("100.0", "0:100.0", true),
            ("1.123456789", "0:1.123456789", true),
            ("5:1", "5:1", true),
            ("@~:300", "@~:300", true),
            (":", "0:", false),
            ("~:", "~:", false),
            ("@", "@0:", true),
            (" ", "0:", false),
            ("1KB", "0:1024", false),
            ("1.5KB", "0:1536", false),
            ("2Mb", "0:2000000", false),
            ("1Kb", "0:1000", false),
            ("1.25Gb", "0:1250000000", false),
            ("1KB:2MB", "1024:2097152", true),
            ("@1GB:", "@1073741824:", false),
            ("1EB", "0:1.15292150460685e+18", false),
            ("-1KB", "0:-1024", true),
            ("1,5KB", "0:1024", false),
        ];
        for (text, printed, alerts) in cases {
            let parsed = threshold(text);
            assert_eq!(parsed.perfdata(), *printed, "perfdata of {text:?}");
            assert_eq!(parsed.alerts(250.0, 8), *alerts, "alerts of {text:?} for 250");
        }
    }

    #[test]
    fn empty_value_means_no_threshold() {
        assert_eq!(Threshold::parse(""), Ok(None));
        assert_eq!(Threshold::from_option("warning-x", ""), Ok(None));
    }

    /// Values the Perl core refuses.
    #[test]
    fn rejected_values() {
        let rejected = [
            "abc", "1e3", "0x10", "~", "10:abc", "1:2:3", "5 : 10", "@ 5:10", "1.", ".5", "1kB", "@@5", "1KBB", "1K",
            "1B", "5\r", "--5", "+-5", "1,", "é", "5é", "~:~", ":~", "1XB",
        ];
        for text in rejected {
            assert_eq!(Threshold::parse(text), Err(ThresholdError::Syntax), "{text:?} should be rejected");
            let message = Threshold::from_option("warning-x", text).map_err(|e| e.message().to_string());
            assert_eq!(message, Err(format!("Wrong warning-x threshold '{text}'.")));
        }
    }

    /// Ranges Perl accepts although they alert on every value (or never): refused for
    /// options, still read in perfdata fields (a rewritten field may end up so).
    #[test]
    fn options_refuse_empty_ranges_and_a_bare_at() {
        let message =
            |text: &str| Threshold::from_option("critical-active-users", text).map_err(|e| e.message().to_string());
        assert_eq!(
            message("10:5"),
            Err("Wrong critical-active-users threshold '10:5': its start 10 is above its end 5, so no value is in the range.".to_string())
        );
        assert!(message("@10:5")
            .is_err_and(|m| m.starts_with("Wrong critical-active-users threshold '@10:5': its start 10")));
        assert!(message("-5:-10").is_err());
        assert!(message("1KB:1000").is_err_and(|m| m.contains("its start 1024 is above its end 1000")));
        assert_eq!(
            message(" @ "),
            Err("Wrong critical-active-users threshold ' @ ': '@' alone alerts on every value; give the range, as in @10:20.".to_string())
        );
        for accepted in ["5:5", "@5:5", "~:5", "5:", "@:", "@~:", "-10:-5", ":", " "] {
            assert!(message(accepted).is_ok(), "{accepted:?}");
        }
        assert_eq!(threshold("10:5").perfdata(), "10:5");
        assert_eq!(threshold("@").perfdata(), "@0:");
    }

    #[test]
    fn bounds_map_finite_values_only() {
        let double = |v: f64| Some(number::perl(v * 2.0));
        let range = threshold("@~:1,5");
        let mapped = Threshold { inside: range.inside, start: range.start.map(double), end: range.end.map(double) };
        assert_eq!(mapped.perfdata(), "@~:3");
        assert_eq!(threshold("5:").end.map(double), Bound::Infinite);
        assert_eq!(threshold("5").end.map(|_| None), threshold("5").end);
    }

    #[test]
    fn trailing_nul_is_trimmed_like_perl() {
        assert_eq!(threshold("5\0").perfdata(), "0:5");
        assert_eq!(threshold("5\0\n").perfdata(), "0:5");
        assert_eq!(Threshold::parse("5\0 "), Err(ThresholdError::Syntax));
    }

    #[test]
    fn bounds_are_numbers_and_infinities() {
        let parsed = threshold("@~:1,5");
        assert!(parsed.inside);
        assert_eq!(parsed.start, Bound::Infinite);
        assert_eq!(parsed.end, Bound::Finite { value: 1.5, text: "1.5".to_string() });
        let open = threshold("010:");
        assert_eq!(open.start, Bound::Finite { value: 10.0, text: "010".to_string() });
        assert_eq!(open.end, Bound::Infinite);
    }

    /// Perl keeps integer × integer power exact within 64 bits, else prints a double.
    #[test]
    fn large_units_print_like_perl() {
        let cases: &[(&str, &str)] = &[
            ("1PB", "0:1125899906842624"),
            ("1.5PB", "0:1.68884986026394e+15"),
            ("1,5PB", "0:1.12589990684262e+15"),
            ("-1PB", "0:-1125899906842624"),
            ("9999PB", "0:11257873168519397376"),
            ("3EB", "0:3.45876451382054e+18"),
            ("010EB", "0:1.15292150460685e+19"),
            ("2Pb", "0:2000000000000000"),
            ("1.5Pb", "0:1.5e+15"),
            ("010Eb", "0:10000000000000000000"),
            ("999Eb", "0:9.99e+20"),
            ("-0KB", "0:0"),
            ("99999999999999999999999999999999999999999KB", "0:1.024e+44"),
        ];
        for (text, printed) in cases {
            assert_eq!(threshold(text).perfdata(), *printed, "perfdata of {text:?}");
        }
    }

    /// Comparisons as the Perl core makes them: threshold, value, `--float-precision`,
    /// whether it alerts.
    #[test]
    fn float_precision_table() {
        let cases: &[(&str, f64, usize, bool)] = &[
            ("10.5", 10.50000001, 8, true),
            ("10.5", 10.500000001, 8, false),
            ("10", 10.00000001, 8, true),
            ("10", 10.000000001, 8, false),
            ("10.5", 10.504, 2, false),
            ("10.5", 10.506, 2, true),
            ("10", 10.004, 2, false),
            ("10", 10.005, 2, true),
            ("10", 10.5, 0, false),
            ("10", 10.6, 0, true),
            ("@10:20", 10.0, 8, true),
            ("@10:20", 20.0, 8, true),
            ("@10:20", 20.1, 8, false),
            ("5", -0.1, 8, true),
        ];
        for (text, value, precision, alerts) in cases {
            assert_eq!(
                threshold(text).alerts(*value, *precision),
                *alerts,
                "{text:?} with {value} at {precision} decimals"
            );
        }
    }

    #[test]
    fn bounds_with_decimals_are_rounded() {
        assert!(!threshold("9.996").alerts(10.0, 2));
        assert!(threshold("9.996").alerts(10.0, 3));
        assert!(!threshold("10.006").alerts(10.01, 2));
        assert!(!threshold("1KB").alerts(1024.0, 8));
        assert!(!threshold("@10.5:11").alerts(f64::NAN, 8));
        assert!(!threshold("10.5").alerts(f64::NAN, 8));
    }

    /// Percent thresholds printed on the absolute scale as the Perl core prints them:
    /// threshold, total, printed.
    #[test]
    fn percent_table() {
        let cases: &[(&str, f64, &str)] = &[
            ("20", 40.0, "0:8"),
            ("33", 40.0, "0:13"),
            ("~:33", 40.0, "~:13"),
            ("@10:33", 40.0, "@4:13"),
            ("10.5", 40.0, "0:4"),
            ("50:", 40.0, "20:"),
            ("@0:10.5", 40.0, "@0:4"),
            ("20", 4.0, "0:0"),
        ];
        for (text, total, printed) in cases {
            assert_eq!(threshold(text).perfdata_of_percent(*total), *printed, "{text:?} of {total}");
        }
    }

    /// More percentages of a total of 40, with a byte threshold.
    #[test]
    fn more_percent_examples() {
        let cases: &[(&str, &str)] = &[
            ("50", "0:20"),
            ("50:", "20:"),
            ("40:", "16:"),
            ("35:", "14:"),
            ("@0:33.3", "@0:13"),
            ("~:5.5", "~:2"),
            ("@25.5:30", "@10:12"),
        ];
        for (text, printed) in cases {
            assert_eq!(threshold(text).perfdata_of_percent(40.0), *printed, "{text:?}");
        }
        assert_eq!(threshold("100GB").perfdata(), "0:107374182400");
    }

    #[test]
    fn negative_percent_truncates_toward_zero() {
        assert_eq!(threshold("-5:-1").perfdata_of_percent(40.0), "-2:0");
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC*") {
            if let Ok(Some(parsed)) = Threshold::parse(&text) {
                let _ = parsed.alerts(1.5, 8);
                let _ = parsed.perfdata();
                let _ = parsed.perfdata_of_percent(40.0);
            }
            let _ = Threshold::from_option("warning-x", &text);
        }

        #[test]
        fn parse_never_panics_on_threshold_alphabet(text in "[@~:+\\-0-9.,KMGTPEBb \t\n\\x00é]{0,12}") {
            if let Ok(Some(parsed)) = Threshold::parse(&text) {
                let printed = parsed.perfdata();
                prop_assert!(printed.contains(':'));
                let _ = parsed.alerts(-3.25, 2);
            }
        }

        #[test]
        fn printed_plain_ranges_parse_back_to_the_same_bounds(
            start in -1000i32..1000, end in -1000i32..1000, inside in any::<bool>()
        ) {
            let option = Threshold::from_option("warning-x", &format!("{start}:{end}"));
            prop_assert_eq!(option.is_ok(), start <= end);
            let text = format!("{}{start}:{end}", if inside { "@" } else { "" });
            let parsed = threshold(&text);
            prop_assert_eq!(&parsed.perfdata(), &text);
            prop_assert_eq!(threshold(&parsed.perfdata()), parsed);
        }
    }
}
