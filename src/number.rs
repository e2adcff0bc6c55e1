//! Numbers as Perl prints and reads them.
//!
//! The plugin's output must be byte-identical to the Perl original, which prints numbers
//! with `%.15g`, rounds with C `printf`, and reads numbers from strings by their leading
//! numeric part. These three functions are the single place where those rules live.

/// Significant digits Perl uses when it turns a double into text (`NV_DIG`).
const PERL_DIGITS: i32 = 15;

/// Perl's text for a number (`print $n`): `%.15g`, with `Inf`, `-Inf`, `NaN` and `0` for
/// negative zero.
///
/// Exists because every value, threshold bound and expression result that reaches the
/// output must look exactly as Perl would have printed it.
///
/// ```
/// use centreon_plugin::number::perl;
///
/// assert_eq!(perl(30.0), "30");
/// assert_eq!(perl(1.0 / 3.0), "0.333333333333333");
/// assert_eq!(perl(1e15), "1e+15");
/// assert_eq!(perl(-0.0), "0");
/// assert_eq!(perl(f64::INFINITY), "Inf");
/// ```
pub fn perl(v: f64) -> String {
    if let Some(text) = non_finite(v) {
        return text.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    general(v, PERL_DIGITS)
}

/// Perl's text for `int($v)`: truncated toward zero, printed as an exact integer when it fits
/// Perl's 64-bit integers, else as [`perl`] prints the truncated double.
///
/// Exists because `cast_int` values and percent-converted thresholds go through Perl's
/// `int()`, which turns big doubles into integers.
///
/// ```
/// use centreon_plugin::number::{int, perl};
///
/// assert_eq!(int(13.2), "13");
/// assert_eq!(int(-2.5), "-2");
/// assert_eq!(int(8e17), "800000000000000000");
/// assert_eq!(perl(8e17), "8e+17");
/// ```
pub fn int(v: f64) -> String {
    let truncated = v.trunc();
    if (0.0..TWO_POW_64).contains(&truncated) {
        (truncated as u64).to_string()
    } else if truncated > -TWO_POW_63 && truncated < 0.0 {
        (truncated as i64).to_string()
    } else {
        perl(truncated)
    }
}

/// 2⁶⁴, the first double beyond Perl's unsigned integers.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// 2⁶³; Perl's `int()` keeps a double only when it is strictly above −2⁶³.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// C `printf("%.Nf", v)` as glibc prints it (ties rounded to even on the exact binary value),
/// with Perl's `Inf`, `-Inf` and `NaN` words.
///
/// Exists because percentages, byte sizes and threshold comparisons all go through
/// `sprintf("%.2f")` / `sprintf("%.8f")` in Perl, and the digits must match.
///
/// ```
/// use centreon_plugin::number::fixed;
///
/// assert_eq!(fixed(30.0, 2), "30.00");
/// assert_eq!(fixed(10.005, 2), "10.01");
/// assert_eq!(fixed(0.125, 2), "0.12");
/// assert_eq!(fixed(f64::NAN, 2), "NaN");
/// ```
pub fn fixed(v: f64, decimals: usize) -> String {
    match non_finite(v) {
        Some(text) => text.to_string(),
        // Rust's exact decimal expansion rounds ties to even, like glibc.
        None => format!("{v:.decimals$}"),
    }
}

/// Perl's numeric value of a string: the longest leading decimal number after leading
/// whitespace (`'12abc'` → 12, `''` → 0, `'abc'` → 0, `'0x10'` → 0), or the words
/// `inf`/`infinity`/`nan` in any case.
///
/// Exists because Perl compares and adds strings by this rule, and status expressions and
/// thresholds must behave the same on the raw report values.
///
/// ```
/// use centreon_plugin::number::parse_leading;
///
/// assert_eq!(parse_leading(" 12abc"), 12.0);
/// assert_eq!(parse_leading("1.5e3 bytes"), 1500.0);
/// assert_eq!(parse_leading(""), 0.0);
/// assert_eq!(parse_leading("0x10"), 0.0);
/// assert_eq!(parse_leading("1,5"), 1.0);
/// ```
pub fn parse_leading(text: &str) -> f64 {
    let rest = text.trim_start_matches(is_perl_space);
    let (negative, rest) = split_sign(rest);
    // No number at all is a plain zero, even after a `-` (Perl prints `-0.00` only for `-0`).
    let Some(magnitude) = special_word(rest).or_else(|| decimal_prefix(rest)) else {
        return 0.0;
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Whether the whole of `text` is a number for Perl (`looks_like_number`): optional
/// surrounding whitespace, a sign, a decimal number with optional exponent, or `Inf`/`NaN`.
///
/// Exists because some Perl operators treat numeric-looking strings differently from other
/// strings (unary minus turns `'-abc'` into `'+abc'` but `'-5'` into 5).
///
/// ```
/// use centreon_plugin::number::looks_like_number;
///
/// assert!(looks_like_number(" -5.5e3 ") && looks_like_number("Inf"));
/// assert!(!looks_like_number("12abc") && !looks_like_number(""));
/// ```
pub fn looks_like_number(text: &str) -> bool {
    let body = text.trim_matches(is_perl_space);
    let (_, unsigned) = split_sign(body);
    if matches!(unsigned.to_ascii_lowercase().as_str(), "inf" | "infinity" | "nan") {
        return true;
    }
    let (integer, rest) = split_digits(unsigned);
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after_dot) => split_digits(after_dot),
        None => ("", rest),
    };
    if integer.is_empty() && fraction.is_empty() {
        return false;
    }
    match rest.strip_prefix(['e', 'E']) {
        Some(after_e) => {
            let (digits, rest) = split_digits(split_sign(after_e).1);
            !digits.is_empty() && rest.is_empty()
        }
        None => rest.is_empty(),
    }
}

/// The first run of ASCII digits anywhere in `text`, as an integer: what Perl's
/// `/(\d+)/` takes from option values such as `--timeout=10s`. `None` when there is no
/// digit, or the number does not fit 64 bits.
///
/// Exists because several options (`--timeout`, `--global-timeout`) are read this way,
/// so `30s` and `timeout30` still mean 30 seconds.
///
/// ```
/// use centreon_plugin::number::first_integer;
///
/// assert_eq!(first_integer("10"), Some(10));
/// assert_eq!(first_integer("abc30s5"), Some(30));
/// assert_eq!(first_integer("-7"), Some(7));
/// assert_eq!(first_integer("abc"), None);
/// ```
pub fn first_integer(text: &str) -> Option<u64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let (digits, _) = split_digits(&text[start..]);
    digits.parse().ok()
}

/// The value of `text` when it is nothing but 1 to 18 ASCII digits (so always below
/// 10^18, within an `i64`); `None` for anything else, which a caller then reads the
/// slow way. Exists because a report holds millions of such counts: this reads one
/// with no trimming and no general parser.
///
/// ```
/// use centreon_plugin::number::plain_digits;
///
/// assert_eq!(plain_digits(b"0042"), Some(42));
/// assert_eq!(plain_digits(b" 42"), None);
/// assert_eq!(plain_digits(b"+1"), None);
/// assert_eq!(plain_digits(b""), None);
/// assert_eq!(plain_digits(b"1234567890123456789"), None);
/// ```
#[inline(always)]
pub fn plain_digits(text: &[u8]) -> Option<i64> {
    const EIGHT: i64 = 100_000_000;
    let word = |bytes: &[u8]| {
        let mut lanes = [0; 8];
        lanes.copy_from_slice(bytes);
        u64::from_le_bytes(lanes)
    };
    match text.len() {
        // Shorter than a word: digit by digit (at most seven).
        1..=7 => text.iter().try_fold(0, |value, &b| {
            let digit = b.wrapping_sub(b'0');
            (digit <= 9).then(|| value * 10 + i64::from(digit))
        }),
        8 => eight_digits(word(text)),
        // The last eight digits as a word, and the first ones from the word that
        // starts the text (overlapping the last when shorter than sixteen).
        9..=16 => {
            let head = leading_digits(word(&text[..8]), text.len() - 8)?;
            Some(head * EIGHT + eight_digits(word(&text[text.len() - 8..]))?)
        }
        17..=18 => {
            let head = leading_digits(word(&text[..8]), text.len() - 16)?;
            let middle = eight_digits(word(&text[text.len() - 16..text.len() - 8]))?;
            Some((head * EIGHT + middle) * EIGHT + eight_digits(word(&text[text.len() - 8..]))?)
        }
        _ => None,
    }
}

/// The value of the first `count` (1 to 8) bytes of `word` (a text's first eight,
/// little-endian) as digits: they are moved to the word's top and the lanes below
/// filled with `0` digits.
fn leading_digits(word: u64, count: usize) -> Option<i64> {
    let shift = 8 * (8 - count as u32);
    let zeros = 0x3030_3030_3030_3030u64.checked_shr(8 * count as u32).unwrap_or(0);
    eight_digits(word.checked_shl(shift).unwrap_or(0) | zeros)
}

/// Eight ASCII digits, the bytes of `word` in little-endian order (the most significant
/// digit first), as their value; `None` when one is not a digit. All eight are checked
/// and combined in one 64-bit word.
fn eight_digits(word: u64) -> Option<i64> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // A digit is 0x30..=0x39: its high nibble is 3, and adding 6 leaves it 3. A lane
    // that is not a digit fails in its own lane, whatever a carry does to the next.
    if (word & HIGH) | ((word.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4) != 0x3333_3333_3333_3333 {
        return None;
    }
    let digits = word - 0x3030_3030_3030_3030;
    // Pairs: every even lane becomes 10 * its digit + the next one (at most 99).
    let pairs = digits.wrapping_mul(10).wrapping_add(digits >> 8);
    // The four pairs, weighted 10^6, 10^4, 10^2 and 1, summed in the high half.
    const PAIRS: u64 = 0x0000_00FF_0000_00FF;
    let high = (pairs & PAIRS).wrapping_mul(100 + (1_000_000 << 32));
    let low = ((pairs >> 16) & PAIRS).wrapping_mul(1 + (10_000 << 32));
    Some((high.wrapping_add(low) >> 32) as i64)
}

/// The words Perl prints for values that are not finite numbers.
fn non_finite(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// C `%.Pg` without the `#` flag, for a finite non-zero value.
fn general(v: f64, precision: i32) -> String {
    let mantissa_digits = usize::try_from(precision - 1).unwrap_or(0);
    let scientific = format!("{v:.mantissa_digits$e}");
    let (mantissa, exponent) = split_exponent(&scientific);
    if exponent < -4 || exponent >= precision {
        format!("{}e{}{:02}", strip_zeros(mantissa), sign_char(exponent), exponent.abs())
    } else {
        let decimals = usize::try_from(precision - 1 - exponent).unwrap_or(0);
        strip_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

/// Splits Rust's `{:e}` text (`1.5e-5`) into mantissa and exponent.
fn split_exponent(scientific: &str) -> (&str, i32) {
    match scientific.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse().unwrap_or(0)),
        None => (scientific, 0),
    }
}

/// Removes trailing fractional zeros and a dangling decimal point, as `%g` does.
fn strip_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// The sign C prints in an exponent.
fn sign_char(exponent: i32) -> char {
    if exponent < 0 {
        '-'
    } else {
        '+'
    }
}

/// Perl's `isSPACE`: the whitespace skipped before a number.
fn is_perl_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C')
}

/// Splits an optional leading sign.
fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    }
}

/// `Inf`, `Infinity` and `NaN` (any case, any suffix), which Perl reads as numbers.
fn special_word(text: &str) -> Option<f64> {
    let head = text.as_bytes().get(..3)?;
    if head.eq_ignore_ascii_case(b"inf") {
        Some(f64::INFINITY)
    } else if head.eq_ignore_ascii_case(b"nan") {
        Some(f64::NAN)
    } else {
        None
    }
}

/// The value of the longest leading `digits[.digits][e[sign]digits]`, if there is one.
fn decimal_prefix(text: &str) -> Option<f64> {
    let (integer, mut rest) = split_digits(text);
    let mut fraction = "";
    if let Some(after_dot) = rest.strip_prefix('.') {
        (fraction, rest) = split_digits(after_dot);
    }
    if integer.is_empty() && fraction.is_empty() {
        return None;
    }
    // A plain integer (report counts and periods, row after row) needs no text round
    // trip: up to 15 digits it is exact in an f64.
    if fraction.is_empty() && integer.len() <= 15 && !rest.starts_with(['e', 'E']) {
        return integer.parse::<u64>().ok().map(|n| n as f64);
    }
    let exponent = exponent_part(rest);
    format!("{}.{}e{}", or_zero(integer), or_zero(fraction), exponent).parse().ok()
}

/// The exponent after a mantissa (`e-5` → `-5`), `0` when absent or incomplete (`1e` is 1).
fn exponent_part(text: &str) -> String {
    let Some(after_e) = text.strip_prefix(['e', 'E']) else {
        return "0".to_string();
    };
    let (negative, unsigned) = split_sign(after_e);
    let (digits, _) = split_digits(unsigned);
    match (digits.is_empty(), negative) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{digits}"),
        (false, false) => digits.to_string(),
    }
}

/// Splits `text` into its leading ASCII digits and the rest.
pub(crate) fn split_digits(text: &str) -> (&str, &str) {
    // `find` returns a character boundary, so the split cannot cut a character.
    text.find(|c: char| !c.is_ascii_digit()).map_or((text, ""), |end| text.split_at(end))
}

/// `"0"` for an empty digit run, so the rebuilt literal always parses.
fn or_zero(digits: &str) -> &str {
    if digits.is_empty() {
        "0"
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_integer_takes_the_first_digit_run() {
        assert_eq!(first_integer("timeout=10s, then 20"), Some(10));
        assert_eq!(first_integer("007"), Some(7));
        assert_eq!(first_integer("99999999999999999999"), None);
        assert_eq!(first_integer("é5"), Some(5));
        assert_eq!(first_integer(""), None);
    }

    #[test]
    fn perl_prints_numbers_like_perl() {
        let cases: &[(f64, &str)] = &[
            (130010988069.0, "130010988069"),
            (30.0, "30"),
            (1.0 / 3.0, "0.333333333333333"),
            (0.1 + 0.2, "0.3"),
            (130010988069.0 / 1000000.0, "130010.988069"),
            (1e15, "1e+15"),
            (1.5e-05, "1.5e-05"),
            (0.0001, "0.0001"),
            (5e-05, "5e-05"),
            (1e100, "1e+100"),
            (1e-300, "1e-300"),
            (999999999999999.0, "999999999999999"),
            (999999999999999.9, "1e+15"),
            (123456789012345.6, "123456789012346"),
            (9007199254740992.0, "9.00719925474099e+15"),
            (1.152921504606847e18, "1.15292150460685e+18"),
            (-2.5, "-2.5"),
            (-0.0, "0"),
            (0.0, "0"),
            (3797579269.0, "3797579269"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (value, expected) in cases {
            assert_eq!(perl(*value), *expected, "perl({value:e})");
        }
    }

    #[test]
    fn int_prints_like_perl_int() {
        let cases: &[(f64, &str)] = &[
            (13.2, "13"),
            (-2.7, "-2"),
            (-0.5, "0"),
            (8e17, "800000000000000000"),
            (1.383505805528216e18, "1383505805528216064"),
            (1.8446744073709552e19, "1.84467440737096e+19"),
            (-9.223372036854776e18, "-9.22337203685478e+18"),
            (-9.223372036854775e18, "-9223372036854774784"),
            (-1e19, "-1e+19"),
            (1e20, "1e+20"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Inf"),
        ];
        for (value, expected) in cases {
            assert_eq!(int(*value), *expected, "int({value:e})");
        }
    }

    #[test]
    fn fixed_matches_glibc_printf() {
        let cases: &[(f64, usize, &str)] = &[
            (0.125, 2, "0.12"),
            (0.375, 2, "0.38"),
            (2.5, 0, "2"),
            (0.5, 0, "0"),
            (1.5, 0, "2"),
            (10.005, 2, "10.01"),
            (10.5, 0, "10"),
            (2.675, 2, "2.67"),
            (-0.125, 2, "-0.12"),
            (-0.125, 0, "-0"),
            (0.045, 2, "0.04"),
            (1048575.9 / 1024.0, 2, "1024.00"),
            (1048575.9 / 1024.0, 8, "1023.99990234"),
            (10.500000001, 8, "10.50000000"),
            (1e22, 0, "10000000000000000000000"),
            (f64::INFINITY, 2, "Inf"),
            (f64::NEG_INFINITY, 2, "-Inf"),
            (f64::NAN, 2, "NaN"),
        ];
        for (value, decimals, expected) in cases {
            assert_eq!(fixed(*value, *decimals), *expected, "fixed({value}, {decimals})");
        }
    }

    #[test]
    fn parse_leading_reads_like_perl() {
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            ("12abc", 12.0),
            ("abc", 0.0),
            ("0x10", 0.0),
            (" +3", 3.0),
            ("\t\n 7", 7.0),
            ("- 5", 0.0),
            ("+.5e1", 5.0),
            (".5", 0.5),
            ("5.", 5.0),
            (".", 0.0),
            ("1e", 1.0),
            ("1e+", 1.0),
            ("1e+5x", 100000.0),
            ("1E-2", 0.01),
            ("1_000", 1.0),
            ("10,5", 10.0),
            ("-3797579269", -3797579269.0),
            ("1e99999", f64::INFINITY),
            ("in", 0.0),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            (" Infinity", f64::INFINITY),
            ("INFx", f64::INFINITY),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_leading(text), *expected, "parse_leading({text:?})");
        }
        assert!(parse_leading("nan").is_nan());
        assert!(parse_leading("-0.0").is_sign_negative());
        assert!(parse_leading("-abc").is_sign_positive());
        assert!(parse_leading("-NaNx").is_nan());
    }

    #[test]
    fn looks_like_number_accepts_whole_numbers_only() {
        let numbers = ["5", " -5 ", "+.5", "5.", "1e3", "1E-3", "inf", "-Infinity", "NaN", "007"];
        for text in numbers {
            assert!(looks_like_number(text), "{text:?}");
        }
        let others = ["", "-", ".", "abc", "-abc", "5a", "1e", "1e+", "0x10", "1_000", "- 5", "infx"];
        for text in others {
            assert!(!looks_like_number(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_digits_read_as_rust_parses(text in "[0-9]{0,20}|[0-9+ -]{0,4}|\\PC{0,3}") {
            let expected = match text.len() {
                1..=18 if text.bytes().all(|b| b.is_ascii_digit()) => text.parse::<i64>().ok(),
                _ => None,
            };
            proptest::prop_assert_eq!(plain_digits(text.as_bytes()), expected);
        }

        #[test]
        fn plain_digits_refuse_any_other_byte(
            text in proptest::collection::vec(proptest::prop_oneof![b'0'..=b'9', proptest::num::u8::ANY], 0..20),
        ) {
            let expected = match text.len() {
                1..=18 if text.iter().all(u8::is_ascii_digit) => std::str::from_utf8(&text).ok().and_then(|t| t.parse::<i64>().ok()),
                _ => None,
            };
            proptest::prop_assert_eq!(plain_digits(&text), expected);
        }

        #[test]
        fn parse_leading_reads_digit_runs_as_rust_does(digits in "[0-9]{1,25}", tail in "(|x|,7|\\.|e)") {
            let expected: f64 = digits.parse().expect("digits");
            proptest::prop_assert_eq!(parse_leading(&format!("{digits}{tail}")), expected);
        }
    }

    #[test]
    fn parse_leading_survives_multibyte_text() {
        assert_eq!(parse_leading("é5"), 0.0);
        assert_eq!(parse_leading("5é"), 5.0);
        assert_eq!(parse_leading("5.é"), 5.0);
        assert_eq!(parse_leading("5eé"), 5.0);
    }
}
