//! Calendar arithmetic in UTC for the stand-in's dates: report dates
//! (`2026-11-22`, or `2026-11-22T00:00:00Z` as some reports now write them)
//! and message trace timestamps (`2026-11-22T10:30:00Z`).

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day number from `days_from_civil`.
pub fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day number of a text that starts with `YYYY-MM-DD` (whatever follows).
pub fn day_of(text: &str) -> Option<i64> {
    let date = text.get(..10)?;
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = date.get(range)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then(|| days_from_civil(i64::from(year), month, day))
}

/// The same date text moved by `delta` days, keeping whatever followed the
/// date (`T00:00:00Z`); a text that is not a date comes back unchanged.
pub fn shift_date(text: &str, delta: i64) -> String {
    match day_of(text) {
        Some(day) => format!("{}{}", civil(day + delta), &text[10..]),
        None => text.to_string(),
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` of a Unix time.
pub fn iso_datetime(unix: i64) -> String {
    let (day, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    format!("{}T{:02}:{:02}:{:02}Z", civil(day), secs / 3600, secs / 60 % 60, secs % 60)
}

/// The Unix time of `YYYY-MM-DDThh:mm:ss[.fraction]Z` (the fraction dropped).
pub fn parse_iso_datetime(text: &str) -> Option<i64> {
    let day = day_of(text)?;
    let rest = text.get(10..)?.strip_prefix('T')?.strip_suffix('Z')?;
    let (clock, fraction) = rest.split_once('.').unwrap_or((rest, "0"));
    if fraction.is_empty() || !fraction.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let field = |t: &str, max: i64| -> Option<i64> {
        (t.len() == 2 && t.bytes().all(|c| c.is_ascii_digit())).then(|| t.parse().ok()).flatten().filter(|v| *v <= max)
    };
    Some(day * 86_400 + field(h, 23)? * 3600 + field(m, 59)? * 60 + field(s, 59)?)
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
