//! The METHOD field of `--change-perfdata`, `--extend-perfdata` and
//! `--extend-perfdata-group`: `invert()`, `percent()`, `scale(…)`, `math(…)` and the
//! aggregates `min/max/average/sum(PATTERN)`.
//!
//! Perl's undocumented `eval(…)` method ran Perl code from the command line; it is treated
//! as an unknown method.

use super::bounds;
use super::math::MathExpr;
use super::Perfdata;
use crate::number;
use crate::pattern::Pattern;

/// A transformation applied to one perfdata record.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// value := max − value, thresholds mirrored.
    Invert,
    /// value := value × 100 / max, unit `%`, max `100`.
    Percent,
    /// Byte/bit unit conversion.
    Scale(ScaleTarget),
    /// Arithmetic on the value (and the thresholds with `|1`); `None` for `math()`, which
    /// changes nothing.
    Math(Option<MathExpr>, Bounds),
    /// An aggregate over the records whose label matches PATTERN (`$1`… from the rule's
    /// regex captures).
    Aggregate(Aggregate, String),
}

/// The unit `scale()` converts to.
#[derive(Debug, Clone, PartialEq)]
pub enum ScaleTarget {
    /// Divide while ≥ the base and name the prefix in lower case, as Perl does (`gB`: it
    /// is output users may match, so it is kept).
    Auto,
    /// A prefix (possibly empty) and a unit (`B`, `b`, `bps`, `Bps`, `b/s`).
    Fixed(String, String),
}

/// Whether `math()` also transforms the threshold bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// `math(EXPR)`: the thresholds stay.
    Kept,
    /// `math(EXPR|1)`: each finite bound goes through EXPR too.
    Transformed,
}

/// The aggregate functions of `--extend-perfdata-group`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregate {
    Min,
    Max,
    Average,
    Sum,
}

/// Why a METHOD field was refused; the rule is then dropped with a debug line, as in Perl.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Not one of the known methods.
    UnknownMethod,
    /// A known method with arguments it cannot take.
    BadArgument,
}

impl Refusal {
    /// Perl's debug line for the dropped rule `arg`.
    pub fn note(&self, arg: &str) -> String {
        match self {
            Refusal::UnknownMethod => format!("method in argument '{arg}' is unknown"),
            Refusal::BadArgument => format!("argument in method '{arg}' is unknown"),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::UnknownMethod => "unknown method",
            Refusal::BadArgument => "bad argument",
        })
    }
}

impl std::error::Error for Refusal {}

impl Method {
    /// Parses `NAME(ARGS)` (blanks allowed around the name, the parentheses and ARGS).
    pub fn parse(text: &str) -> Result<Method, Refusal> {
        let trimmed = text.trim();
        let open = trimmed.find('(').ok_or(Refusal::UnknownMethod)?;
        let name = trimmed[..open].trim_end();
        let args = trimmed[open + 1..].strip_suffix(')').ok_or(Refusal::UnknownMethod)?.trim();
        match name {
            "invert" => Ok(Method::Invert),
            "percent" => Ok(Method::Percent),
            "scale" => parse_scale(args).map(Method::Scale).ok_or(Refusal::BadArgument),
            "math" => parse_math(args),
            "min" => Ok(Method::Aggregate(Aggregate::Min, args.to_string())),
            "max" => Ok(Method::Aggregate(Aggregate::Max, args.to_string())),
            "average" => Ok(Method::Aggregate(Aggregate::Average, args.to_string())),
            "sum" => Ok(Method::Aggregate(Aggregate::Sum, args.to_string())),
            _ => Err(Refusal::UnknownMethod),
        }
    }

    /// Applies the method to `record`. `captures` are the rule regex's captures on the
    /// source label (for `$1` in aggregate patterns), `all` the records as they are now.
    pub fn apply(&self, record: &mut Perfdata, captures: &[String], all: &[Perfdata]) {
        match self {
            Method::Invert => invert(record),
            Method::Percent => percent(record),
            Method::Scale(target) => scale(record, target),
            Method::Math(Some(expr), bounds) => math(record, expr, *bounds),
            Method::Math(None, _) => {}
            Method::Aggregate(func, pattern) => {
                if let Some(value) = aggregate(*func, &substitute_captures(pattern, captures), all) {
                    record.value = value;
                }
            }
        }
    }
}

/// `scale()` arguments: empty, `auto`, or `[KMGTPEkmgtpe]?(B|b|bps|Bps|b/s)`.
fn parse_scale(args: &str) -> Option<ScaleTarget> {
    if args.is_empty() {
        return Some(ScaleTarget::Auto);
    }
    let (prefix, unit) = split_unit(args, true)?;
    Some(if unit == "auto" { ScaleTarget::Auto } else { ScaleTarget::Fixed(prefix, unit) })
}

/// Splits a byte/bit unit into its prefix and base unit (`auto` allowed if asked).
fn split_unit(text: &str, allow_auto: bool) -> Option<(String, String)> {
    let (prefix, unit) = match text.chars().next() {
        Some(c) if "KMGTPEkmgtpe".contains(c) => (c.to_string(), &text[1..]),
        _ => (String::new(), text),
    };
    let known = matches!(unit, "B" | "b" | "bps" | "Bps" | "b/s") || (allow_auto && unit == "auto");
    known.then(|| (prefix, unit.to_string()))
}

/// `math()` arguments: `EXPR[|0|1]`; EXPR may only hold digits, blanks, `. - + * / ( )`
/// and `current`, and must be a valid expression (Perl would fail silently at display).
fn parse_math(args: &str) -> Result<Method, Refusal> {
    if args.is_empty() {
        return Ok(Method::Math(None, Bounds::Kept));
    }
    let mut parts = args.split('|');
    let expr = parts.next().unwrap_or_default();
    let bounds = if parts.next().is_some_and(|flag| flag.trim() == "1") { Bounds::Transformed } else { Bounds::Kept };
    MathExpr::parse(expr).map(|expr| Method::Math(Some(expr), bounds)).ok_or(Refusal::BadArgument)
}

/// Replaces `$N` and `${N}` in an aggregate pattern with the rule regex's captures
/// (an absent group is empty, as an undefined Perl variable).
pub fn substitute_captures(pattern: &str, captures: &[String]) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (digits, consumed) = if let Some(braced) = after.strip_prefix('{') {
            let len = braced.bytes().take_while(u8::is_ascii_digit).count();
            if len > 0 && braced.as_bytes().get(len) == Some(&b'}') {
                (&braced[..len], len + 2)
            } else {
                ("", 0)
            }
        } else {
            let len = after.bytes().take_while(u8::is_ascii_digit).count();
            (&after[..len], len)
        };
        if consumed == 0 {
            out.push('$');
        } else {
            let group = digits.parse::<usize>().ok().and_then(|n| captures.get(n));
            out.push_str(group.map(String::as_str).unwrap_or(""));
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// The aggregate of the values of the records matching `pattern` that contain a digit;
/// `None` when none does (or the pattern, built from captures, is not a valid regex).
fn aggregate(func: Aggregate, pattern: &str, all: &[Perfdata]) -> Option<String> {
    let pattern = Pattern::new(pattern).ok()?;
    let values: Vec<&str> = all
        .iter()
        .filter(|p| pattern.is_match(&p.label) && p.value.bytes().any(|b| b.is_ascii_digit()))
        .map(|p| p.value.as_str())
        .collect();
    let first = *values.first()?;
    let sum = || values.iter().map(|v| number::parse_leading(v)).sum::<f64>();
    Some(match func {
        Aggregate::Min => pick(&values, first, |candidate, best| candidate < best),
        Aggregate::Max => pick(&values, first, |candidate, best| candidate > best),
        Aggregate::Sum => number::perl(sum()),
        Aggregate::Average => number::fixed(sum() / values.len() as f64, 2),
    })
}

/// The raw text of the value that wins the numeric comparison `better` (first one on ties).
fn pick(values: &[&str], first: &str, better: impl Fn(f64, f64) -> bool) -> String {
    let mut best = first;
    for value in values {
        if better(number::parse_leading(value), number::parse_leading(best)) {
            best = value;
        }
    }
    best.to_string()
}

/// The record's max as a number; `None` when the record has none (the method is a no-op).
fn usable_max(record: &Perfdata) -> Option<f64> {
    if record.max.is_empty() {
        return None;
    }
    Some(number::parse_leading(&record.max))
}

/// `invert()`: value := max − value; each range is mirrored (`[s:e]` → `[max−e:max−s]`).
fn invert(record: &mut Perfdata) {
    let Some(max) = usable_max(record) else {
        return;
    };
    record.value = number::perl(max - number::parse_leading(&record.value));
    record.warning = bounds::mirror_field(&record.warning, max);
    record.critical = bounds::mirror_field(&record.critical, max);
}

/// `percent()`. A max of zero (Perl dies with `Illegal division by zero`) leaves the record
/// unchanged, as a record without max.
fn percent(record: &mut Perfdata) {
    let Some(max) = usable_max(record).filter(|max| *max != 0.0) else {
        return;
    };
    let scale = |v: f64| Some(number::fixed(v * 100.0 / max, 2));
    record.value = number::fixed(number::parse_leading(&record.value) * 100.0 / max, 2);
    record.unit = "%".to_string();
    record.warning = bounds::map_field(&record.warning, scale);
    record.critical = bounds::map_field(&record.critical, scale);
    record.max = "100".to_string();
}

/// `scale()`: value and max printed `%.2f`, threshold bounds converted but not rounded.
fn scale(record: &mut Perfdata, target: &ScaleTarget) {
    let Some((src_prefix, src_unit)) = split_unit(&record.unit, false) else {
        return;
    };
    let value = number::parse_leading(&record.value);
    let (value, dst_prefix, dst_unit) = match target {
        ScaleTarget::Auto => {
            let (value, prefix) = scale_auto(value, &src_prefix);
            (value, prefix, src_unit.clone())
        }
        ScaleTarget::Fixed(prefix, unit) => {
            (convert(value, &src_prefix, &src_unit, prefix, unit), prefix.clone(), unit.clone())
        }
    };
    let convert_to_dst = |v: f64| convert(v, &src_prefix, &src_unit, &dst_prefix, &dst_unit);
    record.value = number::fixed(value, 2);
    record.unit = format!("{dst_prefix}{dst_unit}");
    if !record.max.is_empty() {
        record.max = number::fixed(convert_to_dst(number::parse_leading(&record.max)), 2);
    }
    record.warning = bounds::map_field(&record.warning, |v| Some(number::perl(convert_to_dst(v))));
    record.critical = bounds::map_field(&record.critical, |v| Some(number::perl(convert_to_dst(v))));
}

/// Perl's `scale_bytesbit` with `auto`: base 1024, starting from the source prefix only
/// when it is lower case (Perl looks it up case-sensitively), lower-case result prefix.
fn scale_auto(mut value: f64, src_prefix: &str) -> (f64, String) {
    const PREFIXES: [&str; 7] = ["", "k", "m", "g", "t", "p", "e"];
    let mut index = PREFIXES.iter().position(|p| *p == src_prefix).unwrap_or(0);
    while index < PREFIXES.len() && value >= 1024.0 {
        value /= 1024.0;
        index += 1;
    }
    (value, PREFIXES.get(index).copied().unwrap_or("").to_string())
}

/// Perl's `scale_bytesbit` to a fixed unit: ×8 bytes→bits, ÷8 bits→bytes, base 1000 for
/// bit targets, 1024 otherwise.
fn convert(mut value: f64, src_prefix: &str, src_unit: &str, dst_prefix: &str, dst_unit: &str) -> f64 {
    if dst_unit.contains('b') && src_unit.contains('B') {
        value *= 8.0;
    }
    if dst_unit.contains('B') && src_unit.contains('b') {
        value /= 8.0;
    }
    let base: f64 = if dst_unit.contains('b') { 1000.0 } else { 1024.0 };
    let power = exponent(dst_prefix) - exponent(src_prefix);
    value / base.powi(power)
}

/// The power of a unit prefix (`k` = 1 … `e` = 6), any case.
fn exponent(prefix: &str) -> i32 {
    let lower = prefix.to_ascii_lowercase();
    ["", "k", "m", "g", "t", "p", "e"].iter().position(|p| *p == lower).unwrap_or(0) as i32
}

/// `math()`: the value, and with `|1` the finite threshold bounds, go through EXPR. Unlike
/// Perl, which forced it to 100, max is left as is.
fn math(record: &mut Perfdata, expr: &MathExpr, bounds: Bounds) {
    if let Some(value) = expr.eval(number::parse_leading(&record.value)) {
        record.value = number::perl(value);
    }
    if bounds == Bounds::Transformed {
        let apply = |v: f64| expr.eval(v).map(number::perl);
        record.warning = bounds::map_field(&record.warning, apply);
        record.critical = bounds::map_field(&record.critical, apply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::perf;

    fn applied(method: &str, record: Perfdata) -> String {
        let mut record = record;
        Method::parse(method).unwrap().apply(&mut record, &[], &[]);
        record.text()
    }

    fn mailboxes() -> Perfdata {
        perf("active_mailboxes", "12", "mailboxes", "4:20", "@24:32", "0", "40")
    }

    fn usage() -> Perfdata {
        perf("total_usage_active", "130010988069", "B", "0:1073741824", "", "0", "")
    }

    #[test]
    fn invert_mirrors_value_and_thresholds() {
        assert_eq!(applied("invert()", mailboxes()), "'active_mailboxes'=28mailboxes;20:36;@8:16;0;40");
        let open = perf("x", "10", "", "~:10", "30:", "0", "40");
        assert_eq!(applied(" invert ( ) ", open), "'x'=30;30:;~:10;0;40");
        assert_eq!(applied("invert()", usage()), usage().text());
    }

    #[test]
    fn percent_scales_by_max_and_skips_zero_max() {
        assert_eq!(applied("percent()", mailboxes()), "'active_mailboxes'=30.00%;10.00:50.00;@60.00:80.00;0;100");
        let zero = perf("x", "5", "", "", "", "0", "0");
        assert_eq!(applied("percent()", zero.clone()), zero.text());
        assert_eq!(applied("percent()", usage()), usage().text());
    }

    #[test]
    fn scale_converts_bytes_and_bits() {
        assert_eq!(applied("scale(MB)", usage()), "'total_usage_active'=123988.14MB;0:1024;;0;");
        assert_eq!(applied("scale(Mb)", usage()), "'total_usage_active'=1040087.90Mb;0:8589.934592;;0;");
        assert_eq!(applied("scale(auto)", usage()), "'total_usage_active'=121.08gB;0:1;;0;");
        assert_eq!(applied("scale()", usage()), "'total_usage_active'=121.08gB;0:1;;0;");
        assert_eq!(applied("scale(GB)", mailboxes()), mailboxes().text());
        let bits = perf("traffic", "8000", "kb", "", "", "", "16000");
        assert_eq!(applied("scale(Bps)", bits), "'traffic'=1024000.00Bps;;;;2048000.00");
        assert_eq!(Method::parse("scale(XB)"), Err(Refusal::BadArgument));
    }

    #[test]
    fn math_evaluates_safely() {
        assert_eq!(applied("math(current / 1000000)", usage()), "'total_usage_active'=130010.988069B;0:1073741824;;0;");
        let sends = perf("total_send_count", "250", "", "100:300", "", "0", "");
        assert_eq!(applied("math(current * 2|1)", sends.clone()), "'total_send_count'=500;200:600;;0;");
        assert_eq!(applied("math(current ** 2)", sends.clone()), "'total_send_count'=62500;100:300;;0;");
        assert_eq!(applied("math(current / 0)", sends.clone()), sends.text());
        assert_eq!(applied("math()", sends.clone()), sends.text());
        assert_eq!(Method::parse("math(system('id'))"), Err(Refusal::BadArgument));
        assert_eq!(Method::parse("math(|1)"), Err(Refusal::BadArgument));
    }

    #[test]
    fn unknown_methods_are_refused() {
        assert_eq!(Method::parse("eval(%(label) =~ s/a/b/)"), Err(Refusal::UnknownMethod));
        assert_eq!(Method::parse("inverse()"), Err(Refusal::UnknownMethod));
        assert_eq!(Method::parse("invert"), Err(Refusal::UnknownMethod));
    }

    #[test]
    fn aggregates_read_matching_records() {
        let all = vec![
            perf("total_send_count", "250", "", "", "", "0", ""),
            perf("total_receive_count", "1295", "", "", "", "0", ""),
            perf("total_read_count", "1332", "", "", "", "0", ""),
            perf("total_junk_count", "n/a", "", "", "", "0", ""),
        ];
        let run = |func, pattern: &str| aggregate(func, pattern, &all);
        assert_eq!(run(Aggregate::Sum, "total_.*_count"), Some("2877".into()));
        assert_eq!(run(Aggregate::Average, "total_.*_count"), Some("959.00".into()));
        assert_eq!(run(Aggregate::Min, "total_.*_count"), Some("250".into()));
        assert_eq!(run(Aggregate::Max, "total_.*_count"), Some("1332".into()));
        assert_eq!(run(Aggregate::Sum, "zzz"), None);
        let caps = vec!["total_send_count".to_string(), "send".to_string()];
        assert_eq!(substitute_captures("total_$1_count|${1}x|$9|$", &caps), "total_send_count|sendx||$");
    }
}
