//! Threshold fields of perfdata records, read and rewritten the way the perfdata methods
//! (`invert()`, `percent()`, `scale()`, `math()`) and the extend syntax's WARNING/CRITICAL
//! fields see them.
//!
//! A field is read with the threshold parser of the options ([`Threshold::parse`]), so the
//! bounds keep their texts (a start of `010` stays `010` when untouched) and are printed
//! back as Perl prints them (`[@]START:END`, `~` for −∞, empty END for +∞).

use crate::number;
use crate::threshold::Threshold;

/// Applies `f` to both finite bounds of a threshold field and prints it back; an empty or
/// unparsable field is returned unchanged.
pub fn map_field(field: &str, f: impl Fn(f64) -> Option<String>) -> String {
    match Threshold::parse(field) {
        Ok(Some(range)) => {
            Threshold { inside: range.inside, start: range.start.map(&f), end: range.end.map(&f) }.perfdata()
        }
        _ => field.to_string(),
    }
}

/// Mirrors a threshold field around `max` (`[s:e]` → `[max−e:max−s]`, an infinite end
/// becoming an infinite start and back, `@` kept); an empty or unparsable field is
/// returned unchanged.
pub fn mirror_field(field: &str, max: f64) -> String {
    let mirror = |v: f64| Some(number::perl(max - v));
    match Threshold::parse(field) {
        Ok(Some(range)) => {
            Threshold { inside: range.inside, start: range.end.map(mirror), end: range.start.map(mirror) }.perfdata()
        }
        _ => field.to_string(),
    }
}

/// The extend syntax's WARNING/CRITICAL field (`10`, `10%`, `5:10%`, `@1:2`), resolved
/// against the record's max.
///
/// Each `:`-separated piece becomes: `N%` → N × max / 100 (empty without a max), else the
/// first number in it, else empty. Unlike Perl, which lost them, a leading `@`, a `~` piece
/// and a minus sign are kept, so `@1:2` stays `@1:2` and `~:-5` stays `~:-5`.
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
    fn fields_are_read_like_threshold_options() {
        let same = |v: f64| Some(number::perl(v));
        assert_eq!(map_field("10", same), "0:10");
        assert_eq!(map_field("@~:+5", same), "@~:5");
        assert_eq!(map_field("10:", same), "10:");
        assert_eq!(map_field(" 5 ", same), "0:5");
        assert_eq!(map_field("1KB:2Mb", same), "1024:2000000");
        assert_eq!(map_field("5:4", same), "5:4");
        for bad in ["abc", "1:2:3", "~", "1.", ".5", "1kB", "@ 5"] {
            assert_eq!(map_field(bad, same), bad, "{bad}");
        }
    }

    #[test]
    fn map_field_keeps_infinite_bounds_and_bad_fields() {
        let double = |v: f64| Some(number::perl(v * 2.0));
        assert_eq!(map_field("~:10", double), "~:20");
        assert_eq!(map_field("@3:", double), "@6:");
        assert_eq!(map_field("010:1,5", |_| None), "010:1.5");
        assert_eq!(map_field("", double), "");
        assert_eq!(map_field("junk", double), "junk");
    }

    #[test]
    fn mirror_swaps_and_mirrors_the_bounds() {
        assert_eq!(mirror_field("4:20", 40.0), "20:36");
        assert_eq!(mirror_field("@24:32", 40.0), "@8:16");
        assert_eq!(mirror_field("10:", 40.0), "~:30");
        assert_eq!(mirror_field("~:10", 40.0), "30:");
        assert_eq!(mirror_field("", 40.0), "");
        assert_eq!(mirror_field("junk", 40.0), "junk");
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
