//! Local time, as the Perl modes compute it (`perfdate`): the process's time zone
//! (`TZ`, set in-process by `--environment`) decides. And UTC date-times in ISO 8601,
//! as APIs take them in queries, whatever the time zone.

/// The Unix time of 12:00:00 local time on a `YYYY-MM-DD` date, or `None` when the
/// text is not exactly such a date.
pub fn local_noon(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let year: i32 = date[0..4].parse().ok()?;
    let month: i32 = date[5..7].parse().ok()?;
    let day: i32 = date[8..10].parse().ok()?;
    // SAFETY: an all-zero tm is a valid value; mktime only reads and normalises it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    // SAFETY: tm is a valid, initialised struct; mktime consults TZ (tzset) itself.
    let epoch = unsafe { libc::mktime(&mut tm) };
    (epoch != -1).then_some(epoch)
}

/// `YYYY-MM-DDThh:mm:ssZ`, the UTC date-time of a Unix time (proleptic Gregorian
/// calendar, any year from 0 to 9999).
pub fn utc_iso(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
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
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
