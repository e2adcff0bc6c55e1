//! Nagios ranges (`--warning-*`, `--critical-*`, `--unknown-*` values), as the Perl core
//! parses, checks and prints them back.
//!
//! A range is `[@][start:][end]`: alert when the value is outside `[start, end]`, or inside it
//! with `@`. Bounds may carry a byte/bit unit (`1KB`, `2Mb`) and a comma as decimal separator.
//! The perfdata fields show the bounds as the user typed them (`010` stays `010`), so each
//! bound keeps its text next to its value.

use crate::number;

/// A parsed range: the two bounds (infinite when open) and whether alerts fire inside.
///
/// Exists so that a threshold is parsed once, at start-up, and then both checked against
/// values and printed into perfdata fields without going back to the option text.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// `@` was given: alert when the value lies inside `[start, end]` (bounds included).
    pub inside: bool,
    /// Lower bound; `-inf` for `~`, `0` when empty or absent.
    pub start: f64,
    /// Upper bound; `+inf` when absent.
    pub end: f64,
    /// Lower bound as printed back: `~`, `0` when empty, else the user's digits (`+` removed,
    /// `,` printed as `.`, units expanded to a number).
    pub start_text: String,
    /// Upper bound as printed back: empty for `+inf`, else as for `start_text`.
    pub end_text: String,
}

/// A bound's value and the text printed back for it.
struct Bound {
    value: f64,
    text: String,
}

/// Parses a threshold option value: `Ok(None)` for the empty string (no threshold),
/// `Err(())` for a value the Perl core rejects.
///
/// Exists because every threshold option goes through this at start-up; the caller turns
/// `Err` into `Wrong <option> threshold '<value>'.`, which needs no detail from here.
#[allow(clippy::result_unit_err, reason = "the caller's message is built from the option name and value only")]
pub fn parse(text: &str) -> std::result::Result<Option<Threshold>, ()> {
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
    Ok(Some(Threshold { inside, start: start.value, end: end.value, start_text: start.text, end_text: end.text }))
}

impl Threshold {
    /// Whether `value` violates the range, comparing as Perl does with `precision` decimals
    /// (`--float-precision`).
    ///
    /// Exists to give a counter its status. A value whose Perl text has a fractional part is
    /// first rounded with `%.Nf`, and so is each bound typed with a decimal separator; bounds
    /// are inclusive.
    pub fn alerts(&self, value: f64, precision: usize) -> bool {
        let value = if number::perl(value).contains('.') { rounded(value, precision) } else { value };
        let start = bound_for_check(self.start, &self.start_text, precision);
        let end = bound_for_check(self.end, &self.end_text, precision);
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
        self.render(&self.start_text, &self.end_text)
    }

    /// The range converted from a percentage to the absolute scale of `total`, as printed in
    /// perfdata: each finite bound × total / 100, truncated to an integer with `cast_int`,
    /// else printed `%.2f`; open bounds stay `~` / empty.
    ///
    /// Exists for counters whose thresholds are percentages while their perfdata value is an
    /// absolute count (`active-users` with `--units=%`).
    pub fn perfdata_of_percent(&self, total: f64, cast_int: bool) -> String {
        let convert = |value: f64, text: &str| {
            if value.is_infinite() {
                text.to_string()
            } else {
                percent_of(value, total, cast_int)
            }
        };
        let start = convert(self.start, &self.start_text);
        let end = convert(self.end, &self.end_text);
        self.render(&start, &end)
    }

    /// Joins the `@` marker and two bound texts.
    fn render(&self, start: &str, end: &str) -> String {
        let marker = if self.inside { "@" } else { "" };
        format!("{marker}{start}:{end}")
    }
}

/// `bound × total / 100`, printed as the Perl core prints percent-converted bounds.
fn percent_of(value: f64, total: f64, cast_int: bool) -> String {
    let absolute = value * total / 100.0;
    if cast_int {
        number::int(absolute)
    } else {
        number::fixed(absolute, 2)
    }
}

/// A bound as compared: rounded to `precision` decimals when typed with a decimal separator.
fn bound_for_check(value: f64, text: &str, precision: usize) -> f64 {
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
    Bound { value: 0.0, text: "0".to_string() }
}

/// A lower bound: `~`, empty (zero) or a number.
fn start_bound(text: &str) -> std::result::Result<Bound, ()> {
    match text {
        "~" => Ok(Bound { value: f64::NEG_INFINITY, text: "~".to_string() }),
        "" => Ok(zero()),
        _ => number_bound(text),
    }
}

/// An upper bound: empty (+inf) or a number.
fn end_bound(text: &str) -> std::result::Result<Bound, ()> {
    if text.is_empty() {
        Ok(Bound { value: f64::INFINITY, text: String::new() })
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
    /// Power (K=1 … E=6) and whether the unit is bytes (`B`, base 1024) or bits (`b`).
    unit: Option<(i32, bool)>,
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
fn number_bound(text: &str) -> std::result::Result<Bound, ()> {
    let number = split_number(text).ok_or(())?;
    Ok(match number.unit {
        Some((power, bytes)) => scaled_bound(&number, power, bytes),
        None => plain_bound(&number),
    })
}

/// Splits a number per the grammar of core.md §4.1, `None` when it does not match.
fn split_number(text: &str) -> Option<Number<'_>> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (integer, rest) = split_digits(unsigned);
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
    let (digits, rest) = split_digits(after);
    if digits.is_empty() {
        return None;
    }
    Some((Some((separator, digits)), rest))
}

/// `K`…`E` followed by `B` or `b`: the power of the multiplier and whether it is bytes.
fn unit_of(text: &str) -> Option<(i32, bool)> {
    let mut chars = text.chars();
    let (prefix, kind, None) = (chars.next()?, chars.next()?, chars.next()) else {
        return None;
    };
    let power = "KMGTPE".find(prefix)?;
    let bytes = match kind {
        'B' => true,
        'b' => false,
        _ => return None,
    };
    i32::try_from(power + 1).ok().map(|power| (power, bytes))
}

/// A bound without unit: printed as typed, without `+`, with `.` for `,`.
fn plain_bound(number: &Number<'_>) -> Bound {
    let text = number.typed().replacen(',', ".", 1);
    Bound { value: number::parse_leading(&text), text }
}

/// A bound with a unit, expanded as Perl's `scale_bytesbit` does.
///
/// Perl multiplies the numeric value of the text before the unit, so `1,5KB` is `1 × 1024`
/// (core.md §4.1 QUIRK, kept). An integer times an integer power stays an exact integer
/// when it fits 64 bits (`1PB` prints `1125899906842624`); otherwise the product is a double
/// printed with 15 digits (`1EB` → `1.15292150460685e+18`, since Perl computes `1024**6` as
/// a double).
fn scaled_bound(number: &Number<'_>, power: i32, bytes: bool) -> Bound {
    let typed = number.typed();
    let exact = match number.fraction {
        Some(_) => None,
        None => typed.parse::<i128>().ok().and_then(|m| integer_product(m, power, bytes)),
    };
    match exact {
        Some(product) => Bound { value: product as f64, text: product.to_string() },
        None => {
            let base: f64 = if bytes { 1024.0 } else { 1000.0 };
            let value = number::parse_leading(&typed) * base.powi(power);
            Bound { value, text: number::perl(value) }
        }
    }
}

/// `mantissa × base^power` in integer arithmetic, when Perl would keep it an integer.
fn integer_product(mantissa: i128, power: i32, bytes: bool) -> Option<i128> {
    let fits_perl_integer = |v: i128| v >= i128::from(i64::MIN) && v <= i128::from(u64::MAX);
    if !fits_perl_integer(mantissa) || (bytes && power > 5) {
        return None;
    }
    let base: i128 = if bytes { 1024 } else { 1000 };
    let multiplier = base.checked_pow(u32::try_from(power).ok()?)?;
    mantissa.checked_mul(multiplier).filter(|v| fits_perl_integer(*v))
}

/// Splits `text` into its leading ASCII digits and the rest.
fn split_digits(text: &str) -> (&str, &str) {
    // `find` returns a character boundary, so the split cannot cut a character.
    text.find(|c: char| !c.is_ascii_digit()).map_or((text, ""), |end| text.split_at(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn threshold(text: &str) -> Threshold {
        match parse(text) {
            Ok(Some(threshold)) => threshold,
            other => panic!("{text:?} should parse, got {other:?}"),
        }
    }

    /// core.md §4.1, value 250: threshold, perfdata field, whether it alerts (WARNING).
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
        assert_eq!(parse(""), Ok(None));
    }

    /// core.md §4.2.
    #[test]
    fn rejected_values() {
        let rejected = [
            "abc", "1e3", "0x10", "~", "10:abc", "1:2:3", "5 : 10", "@ 5:10", "1.", ".5", "1kB", "@@5", "1KBB", "1K",
            "1B", "5\r", "--5", "+-5", "1,", "é", "5é", "~:~", ":~", "1XB",
        ];
        for text in rejected {
            assert_eq!(parse(text), Err(()), "{text:?} should be rejected");
        }
    }

    #[test]
    fn trailing_nul_is_trimmed_like_perl() {
        assert_eq!(threshold("5\0").perfdata(), "0:5");
        assert_eq!(threshold("5\0\n").perfdata(), "0:5");
        assert_eq!(parse("5\0 "), Err(()));
    }

    #[test]
    fn bounds_are_numbers_and_infinities() {
        let parsed = threshold("@~:1,5");
        assert!(parsed.inside);
        assert_eq!(parsed.start, f64::NEG_INFINITY);
        assert_eq!(parsed.end, 1.5);
        assert_eq!((parsed.start_text.as_str(), parsed.end_text.as_str()), ("~", "1.5"));
        let open = threshold("010:");
        assert_eq!((open.start, open.end), (10.0, f64::INFINITY));
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

    /// core.md §4.3: threshold, value, precision, alerts.
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

    /// core.md §4.5: threshold, total, cast_int, printed.
    #[test]
    fn percent_table() {
        let cases: &[(&str, f64, bool, &str)] = &[
            ("20", 40.0, true, "0:8"),
            ("20", 40.0, false, "0.00:8.00"),
            ("33", 40.0, true, "0:13"),
            ("33", 40.0, false, "0.00:13.20"),
            ("~:33", 40.0, true, "~:13"),
            ("@10:33", 40.0, true, "@4:13"),
            ("10.5", 40.0, true, "0:4"),
            ("10.5", 40.0, false, "0.00:4.20"),
            ("50:", 40.0, true, "20:"),
            ("@0:10.5", 40.0, true, "@0:4"),
            ("20", 4.0, true, "0:0"),
        ];
        for (text, total, cast_int, printed) in cases {
            assert_eq!(
                threshold(text).perfdata_of_percent(*total, *cast_int),
                *printed,
                "{text:?} of {total} (cast_int {cast_int})"
            );
        }
    }

    /// office365.md §4.2, total 40, cast to integers.
    #[test]
    fn office365_percent_examples() {
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
            assert_eq!(threshold(text).perfdata_of_percent(40.0, true), *printed, "{text:?}");
        }
        assert_eq!(threshold("100GB").perfdata(), "0:107374182400");
    }

    #[test]
    fn negative_percent_truncates_toward_zero() {
        assert_eq!(threshold("-5:-1").perfdata_of_percent(40.0, true), "-2:0");
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC*") {
            if let Ok(Some(parsed)) = parse(&text) {
                let _ = parsed.alerts(1.5, 8);
                let _ = parsed.perfdata();
                let _ = parsed.perfdata_of_percent(40.0, true);
                let _ = parsed.perfdata_of_percent(40.0, false);
            }
        }

        #[test]
        fn parse_never_panics_on_threshold_alphabet(text in "[@~:+\\-0-9.,KMGTPEBb \t\n\\x00é]{0,12}") {
            if let Ok(Some(parsed)) = parse(&text) {
                let printed = parsed.perfdata();
                prop_assert!(printed.contains(':'));
                let _ = parsed.alerts(-3.25, 2);
            }
        }

        #[test]
        fn printed_plain_ranges_parse_back_to_the_same_bounds(
            start in -1000i32..1000, end in -1000i32..1000, inside in any::<bool>()
        ) {
            let text = format!("{}{start}:{end}", if inside { "@" } else { "" });
            let parsed = threshold(&text);
            prop_assert_eq!(&parsed.perfdata(), &text);
            prop_assert_eq!(threshold(&parsed.perfdata()), parsed);
        }
    }
}
