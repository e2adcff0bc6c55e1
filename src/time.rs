//! Dates and time as the modes need them: report days (`YYYY-MM-DD`, written by some
//! reports as a date-time), their age, local time as the Perl modes compute it
//! (`perfdate`: the process's time zone, `TZ`, set in-process by `--environment`,
//! decides), and UTC date-times in ISO 8601, as APIs take them in queries.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// The day a date cell gives, `YYYY-MM-DD`: the text itself, or the date that starts
/// a date-time (`YYYY-MM-DDThh:mm:ss`, with optional fractional seconds and an
/// optional `Z`), as reports write the same date either way. `None` for anything else,
/// a day that does not exist included.
#[inline(always)]
pub fn day(text: &str) -> Option<&str> {
    let date = text.get(..10)?;
    civil(date)?;
    match &text[10..] {
        "" => Some(date),
        rest => time_of_day(rest.strip_prefix('T')?).then_some(date),
    }
}

/// Whether `text` is `hh:mm:ss`, then optional `.digits`, then an optional `Z`.
fn time_of_day(text: &str) -> bool {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (clock, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let two_digits = |part: &str, max: u32| {
        part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()) && part.parse::<u32>().is_ok_and(|v| v <= max)
    };
    let parts: Vec<&str> = clock.split(':').collect();
    matches!(parts.as_slice(), [h, m, s] if two_digits(h, 23) && two_digits(m, 59) && two_digits(s, 59))
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Year, month and day of an exact `YYYY-MM-DD` naming a day that exists.
#[inline(always)]
fn civil(date: &str) -> Option<(i64, u32, u32)> {
    // Reports carry two dates a row: this runs millions of times per check, so the
    // shape is matched byte by byte and the digits read as they are checked.
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = date.as_bytes() else {
        return None;
    };
    let digit = |b: u8| {
        let value = b.wrapping_sub(b'0');
        (value <= 9).then_some(u32::from(value))
    };
    let year = i64::from(((digit(y0)? * 10 + digit(y1)?) * 10 + digit(y2)?) * 10 + digit(y3)?);
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&day).then_some((year, month, day))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Unix time of 00:00:00 UTC on a `YYYY-MM-DD` date, or `None` when the text is
/// not exactly such a date.
pub fn utc_midnight(date: &str) -> Option<i64> {
    let (year, month, day) = civil(date)?;
    Some(days_from_civil(year, month, day) * DAY)
}

/// The current Unix time, in seconds: what ages are measured against. Code that
/// computes an age takes the time as a parameter, so that tests can choose it.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The Unix time of 12:00:00 local time on a `YYYY-MM-DD` date, or `None` when the
/// text is not exactly such a date.
pub fn local_noon(date: &str) -> Option<i64> {
    let (year, month, day) = civil(date)?;
    // SAFETY: an all-zero tm is a valid value; mktime only reads and normalises it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = i32::try_from(year - 1900).ok()?;
    tm.tm_mon = i32::try_from(month).ok()? - 1;
    tm.tm_mday = i32::try_from(day).ok()?;
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    // SAFETY: tm is a valid, initialised struct; mktime consults TZ (tzset) itself.
    let epoch = unsafe { libc::mktime(&mut tm) };
    (epoch != -1).then_some(epoch)
}

/// Year, month and day of a day number from 1970-01-01: the inverse of
/// [`days_from_civil`] (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Days since 0000-03-01, in 400-year eras of 146097 days, so that leap days end
    // each era's years.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DDThh:mm:ssZ`, the UTC date-time of a Unix time (proleptic Gregorian
/// calendar, any year from 0 to 9999).
pub fn utc_iso(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(DAY), unix.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The Unix time of a UTC date-time as APIs write it, `YYYY-MM-DDThh:mm:ss` with
/// optional fractional seconds (dropped) and an optional `Z`; `None` for any other
/// text. Graph writes message times this way (`2026-12-07T02:03:04Z`).
pub fn parse_utc_iso(text: &str) -> Option<i64> {
    let date = day(text)?;
    let clock = text.get(11..19)?;
    let field = |range: std::ops::Range<usize>| clock.get(range)?.parse::<i64>().ok();
    Some(utc_midnight(date)? + field(0..2)? * 3600 + field(3..5)? * 60 + field(6..8)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_date_times_parse_to_unix_time() {
        assert_eq!(parse_utc_iso("2026-11-30T06:55:00Z"), Some(1_796_021_700));
        assert_eq!(parse_utc_iso("2026-11-30T06:55:00.1234567Z"), Some(1_796_021_700));
        assert_eq!(parse_utc_iso("2026-11-30T06:55:00"), Some(1_796_021_700));
        assert_eq!(parse_utc_iso("2028-02-29T23:59:59Z").map(utc_iso).as_deref(), Some("2028-02-29T23:59:59Z"));
        for bad in ["2026-11-30", "2026-11-30T25:00:00Z", "2027-02-29T00:00:00Z", "30/11/2026 06:55", ""] {
            assert_eq!(parse_utc_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn day_numbers_and_dates_are_inverses() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (year, month, day) = civil_from_days(days);
            let (month, day) = (u32::try_from(month).expect("month"), u32::try_from(day).expect("day"));
            assert_eq!(days_from_civil(year, month, day), days, "{year}-{month}-{day}");
        }
    }

    #[test]
    fn utc_iso_writes_calendar_dates() {
        assert_eq!(utc_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_iso(1_795_348_800), "2026-11-22T12:00:00Z");
        assert_eq!(utc_iso(951_825_599), "2000-02-29T11:59:59Z");
        assert_eq!(utc_iso(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(utc_iso(1_709_251_200), "2024-03-01T00:00:00Z");
        assert_eq!(utc_iso(-1), "1969-12-31T23:59:59Z");
        assert_eq!(utc_iso(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn only_exact_dates_are_accepted() {
        assert_eq!(local_noon(""), None);
        assert_eq!(local_noon("2026-11-22T00:00:00Z"), None);
        assert_eq!(local_noon("2026/11/22"), None);
        assert_eq!(local_noon("２０２６-11-22"), None);
    }

    #[test]
    fn noon_follows_the_process_time_zone() {
        // The test process runs with the environment's TZ; compare with UTC offset.
        let noon = local_noon("2026-11-22").expect("valid date");
        let utc_noon = 1_795_348_800;
        assert!((noon - utc_noon).abs() <= 14 * 3600, "{noon} is not within a day of {utc_noon}");
    }

    #[test]
    fn a_day_is_read_from_a_date_or_a_date_time() {
        for text in [
            "2026-11-22",
            "2026-11-22T00:00:00Z",
            "2026-11-22T00:00:00",
            "2026-11-22T23:59:59.1234567Z",
            "2024-02-29T12:00:00Z",
        ] {
            assert_eq!(day(text), Some(&text[..10]), "{text}");
        }
    }

    #[test]
    fn anything_else_is_no_day() {
        for text in [
            "",
            "2026-11-2",
            "2026-11-22 ",
            "2026-11-22T",
            "2026-11-22Z",
            "2026-11-22T00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T00:00:00.Z",
            "2026-11-22T00:00:00+01:00",
            "2026-13-01",
            "2026-02-29",
            "2026-04-31",
            "2026-00-10",
            "2026-11-00",
            "22/11/2026",
            "+026-11-22",
            "２０２６-11-22",
            "2026-11-22é",
        ] {
            assert_eq!(day(text), None, "{text:?}");
        }
    }

    #[test]
    fn midnight_is_utc_whatever_the_time_zone() {
        assert_eq!(utc_midnight("1970-01-01"), Some(0));
        assert_eq!(utc_midnight("2026-11-22"), Some(1_795_305_600));
        assert_eq!(utc_midnight("2000-03-01"), Some(951_868_800));
        assert_eq!(utc_midnight("2026-11-22T00:00:00Z"), None);
    }

    proptest::proptest! {
        /// Consecutive days are one day apart, across months, leap days and years.
        #[test]
        fn days_follow_each_other(days in 0i64..200_000) {
            let dates: Vec<String> = (0..2).map(|n| {
                let unix = (days + n) * DAY;
                let tm = unix_to_civil(unix);
                format!("{:04}-{:02}-{:02}", tm.0, tm.1, tm.2)
            }).collect();
            let [a, b] = [&dates[0], &dates[1]].map(|d| utc_midnight(d).expect("a real day"));
            proptest::prop_assert_eq!(b - a, DAY);
            proptest::prop_assert_eq!(a, days * DAY);
        }
    }

    /// Year, month, day of a Unix time, by the C library (UTC), to check the
    /// arithmetic against.
    fn unix_to_civil(unix: i64) -> (i32, i32, i32) {
        let time: libc::time_t = unix;
        // SAFETY: an all-zero tm is a valid value for gmtime_r to fill.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid for the call.
        unsafe { libc::gmtime_r(&time, &mut tm) };
        (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday)
    }
}
