//! Threshold fields of perfdata records, read and rewritten the way the perfdata methods
//! (`invert()`, `percent()`, `scale()`, `math()`) and the extend syntax's WARNING/CRITICAL
//! fields see them.
//!
//! This is not the threshold checker (`crate::threshold`): the methods need the bounds as
//! *texts* (a start of `010` stays `010` when untouched) and Perl's exact reprinting
//! (`[@]START:END`, `~` for −∞, empty END for +∞).

use crate::number;

/// One end of a range: infinite (`~` at the start, nothing at the end) or a number text.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// −∞ as a start, +∞ as an end.
    Infinite,
    /// A finite bound, as Perl's `parse_threshold` leaves it (units expanded, `+` removed,
    /// `,` turned into `.`).
    Finite(String),
}

impl Bound {
    /// Rewrites a finite bound with `f` applied to its numeric value; infinite bounds stay.
    pub fn map(&self, f: impl FnOnce(f64) -> Option<String>) -> Bound {
        match self {
            Bound::Infinite => Bound::Infinite,
            Bound::Finite(text) => match f(number::parse_leading(text)) {
                Some(new) => Bound::Finite(new),
                None => self.clone(),
            },
        }
    }
}

/// A parsed threshold field: `[@]START:END`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    /// `@`: alert inside the range.
    pub inside: bool,
    /// The lower bound.
    pub start: Bound,
    /// The upper bound.
    pub end: Bound,
}

impl Bounds {
    /// Reads a threshold field; `None` when it does not follow the threshold syntax (the
    /// methods then leave the field untouched, as Perl does).
    pub fn parse(text: &str) -> Option<Bounds> {
        let text = text.strip_suffix('\0').unwrap_or(text);
        let text = text.trim_matches([' ', '\t', '\n']);
        let (inside, rest) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, end) = match rest.split_once(':') {
            Some((start, end)) => (start, end),
            None => ("", rest),
        };
        let start = match start {
            "~" => Bound::Infinite,
            "" => Bound::Finite("0".to_string()),
            text => Bound::Finite(normalise(text)?),
        };
        let end = match end {
            "" => Bound::Infinite,
            text => Bound::Finite(normalise(text)?),
        };
        Some(Bounds { inside, start, end })
    }

    /// Perl's `get_threshold_litteral`: `[@]START:END`.
    pub fn literal(&self) -> String {
        let start = match &self.start {
            Bound::Infinite => "~",
            Bound::Finite(text) => text,
        };
        let end = match &self.end {
            Bound::Infinite => "",
            Bound::Finite(text) => text,
        };
        format!("{}{start}:{end}", if self.inside { "@" } else { "" })
    }
}

/// Applies `f` to both finite bounds of a threshold field and prints it back; an empty or
/// unparsable field is returned unchanged.
pub fn map_field(field: &str, f: impl Fn(f64) -> Option<String>) -> String {
    if field.is_empty() {
        return String::new();
    }
    match Bounds::parse(field) {
        Some(bounds) => {
            Bounds { inside: bounds.inside, start: bounds.start.map(&f), end: bounds.end.map(&f) }.literal()
        }
        None => field.to_string(),
    }
}

/// A bound's number text as Perl keeps it: `+` dropped, `,` as `.`, a `KB`/`Mb`… suffix
/// multiplied out. `None` when the text is not a number.
fn normalise(text: &str) -> Option<String> {
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'+') => ("", &text[1..]),
        Some(b'-') => ("-", &text[1..]),
        _ => ("", text),
    };
    let bytes = digits.as_bytes();
    let int_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if int_len == 0 {
        return None;
    }
    let mut len = int_len;
    if matches!(bytes.get(len), Some(b'.' | b',')) {
        let frac = bytes[len + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        len += 1 + frac;
    }
    let plain = format!("{sign}{}", digits[..len].replace(',', "."));
    match &bytes[len..] {
        [] => Some(plain),
        [prefix, unit @ (b'B' | b'b')] => {
            let power = b"KMGTPE".iter().position(|p| p == prefix)? + 1;
            let base: f64 = if *unit == b'b' { 1000.0 } else { 1024.0 };
            Some(number::perl(number::parse_leading(&plain) * base.powi(power as i32)))
        }
        _ => None,
    }
}

/// The extend syntax's WARNING/CRITICAL field (`10`, `10%`, `5:10%`, `@1:2`), resolved
/// against the record's max.
///
/// Each `:`-separated piece becomes: `N%` → N × max / 100 (empty without a max), else the
/// first number in it, else empty. Unlike Perl (QUIRK Q11) a leading `@`, a `~` piece and a
/// minus sign are kept, so `@1:2` stays `@1:2` and `~:-5` stays `~:-5`.
pub fn extend_field(text: &str, max: &str) -> String {
    let trimmed = text.trim();
    let (at, body) = match trimmed.strip_prefix('@') {
        Some(rest) => ("@", rest),
        None => ("", trimmed),
    };
    let pieces: Vec<String> = body.split(':').map(|piece| extend_piece(piece, max)).collect();
    format!("{at}{}", pieces.join(":"))
}

/// One piece of an extend threshold field.
fn extend_piece(piece: &str, max: &str) -> String {
    if piece.trim() == "~" {
        return "~".to_string();
    }
    if let Some((negative, digits)) = find_number(piece, true) {
        if max.is_empty() {
            return String::new();
        }
        let value = number::parse_leading(digits) * number::parse_leading(max) / 100.0;
        return number::perl(if negative { -value } else { value });
    }
    match find_number(piece, false) {
        Some((true, digits)) => format!("-{digits}"),
        Some((false, digits)) => digits.to_string(),
        None => String::new(),
    }
}

/// The leftmost `\d+(\.\d+)?` in `text` (followed by optional blanks and `%` when
/// `percent`), with whether a `-` sign immediately precedes it.
fn find_number(text: &str, percent: bool) -> Option<(bool, &str)> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        if !bytes[pos].is_ascii_digit() {
            pos += 1;
            continue;
        }
        let int_end = pos + bytes[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
        let mut end = int_end;
        if bytes.get(end) == Some(&b'.') {
            let frac = bytes[end + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if frac > 0 {
                end += 1 + frac;
            }
        }
        let negative = pos > 0 && bytes[pos - 1] == b'-';
        if !percent {
            return Some((negative, &text[pos..end]));
        }
        for candidate in [end, int_end] {
            let after = text[candidate..].trim_start_matches(|c: char| c.is_ascii_whitespace());
            if after.starts_with('%') {
                return Some((negative, &text[pos..candidate]));
            }
        }
        pos = int_end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_perl_parse_threshold() {
        assert_eq!(Bounds::parse("10").unwrap().literal(), "0:10");
        assert_eq!(Bounds::parse("@~:+5").unwrap().literal(), "@~:5");
        assert_eq!(Bounds::parse("10:").unwrap().literal(), "10:");
        assert_eq!(Bounds::parse("010:1,5").unwrap().literal(), "010:1.5");
        assert_eq!(Bounds::parse("1KB:2Mb").unwrap().literal(), "1024:2000000");
        assert_eq!(Bounds::parse("1,5KB").unwrap().literal(), "0:1536");
        assert_eq!(Bounds::parse(" 5 ").unwrap().literal(), "0:5");
        for bad in ["abc", "1:2:3", "~", "1.", ".5", "1kB", "@ 5"] {
            assert_eq!(Bounds::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn map_field_keeps_infinite_bounds_and_bad_fields() {
        let double = |v: f64| Some(number::perl(v * 2.0));
        assert_eq!(map_field("~:10", double), "~:20");
        assert_eq!(map_field("@3:", double), "@6:");
        assert_eq!(map_field("", double), "");
        assert_eq!(map_field("junk", double), "junk");
    }

    #[test]
    fn extend_fields_follow_the_spec_examples() {
        assert_eq!(extend_field("10", "40"), "10");
        assert_eq!(extend_field("10%", "40"), "4");
        assert_eq!(extend_field("5:10%", "40"), "5:4");
        assert_eq!(extend_field("200%", "10000"), "20000");
        assert_eq!(extend_field("10%", ""), "");
        assert_eq!(extend_field("abc", "40"), "");
    }

    #[test]
    fn extend_fields_keep_at_tilde_and_sign() {
        assert_eq!(extend_field("@1:2", "40"), "@1:2");
        assert_eq!(extend_field("~:-5", "40"), "~:-5");
        assert_eq!(extend_field("-10%:1 2%", "40"), "-4:0.8");
    }
}
