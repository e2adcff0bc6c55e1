//! Local time, as the Perl modes compute it (`perfdate`): the process's time zone
//! (`TZ`, set in-process by `--environment`) decides.

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

#[cfg(test)]
mod tests {
    use super::*;

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
