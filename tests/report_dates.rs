//! Report dates and report freshness in every report mode, against the project's
//! stand-in for Microsoft.
//!
//! Microsoft writes `Report Refresh Date` and `Last Activity Date` as `2026-11-22` or
//! as `2026-11-22T00:00:00Z`, sometimes both in one report: either reads as the same
//! day. A report that stops being refreshed is caught by `--warning-report-age` /
//! `--critical-report-age` (hours since its refresh date), which change nothing
//! unless given.

use std::path::Path;

use crate::common::plugin::{mock, run, Outcome};
use crate::common::TempDir;
use crate::mock::{utc_date_days_ago, MockGraph, Variant};

/// The report modes, each with the options that show all its counters.
const MODES: [(&str, &[&str]); 4] = [
    ("--mode=email-activity", &["--filter-counters="]),
    ("--mode=mailbox-usage", &["--filter-counters="]),
    ("--mode=mailbox-quota-status", &[]),
    ("--mode=email-app-usage", &["--legacy-users"]),
];

/// The fixtures' refresh date.
const FIXTURE_DATE: &str = "2026-11-22";

fn tenant40() -> std::path::PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "tenant40"].iter().collect()
}

/// A date cell written as a date-time.
fn as_date_time(cell: &str) -> String {
    let is_day = cell.len() == 10 && cell.bytes().enumerate().all(|(i, b)| (i == 4 || i == 7) == (b == b'-'));
    if is_day && cell.bytes().filter(u8::is_ascii_digit).count() == 8 {
        format!("{cell}T00:00:00Z")
    } else {
        cell.to_string()
    }
}

/// tenant40 copied into `dir`, every cell of its CSVs passed through
/// `rewrite(line, column, cell)` (line 0 is the header). Cells are split at every
/// comma, quoted or not: the rows join back as they were, and no quoted cell of the
/// fixtures is a date.
fn copy_tenant(dir: &Path, rewrite: impl Fn(usize, usize, &str) -> String) {
    for entry in std::fs::read_dir(tenant40()).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        let mut text = std::fs::read_to_string(&path).expect("fixture");
        if name.ends_with(".csv") {
            text = text
                .split_inclusive("\r\n")
                .enumerate()
                .map(|(line, row)| {
                    let (row, end) = row.split_at(row.trim_end_matches("\r\n").len());
                    let cells: Vec<String> =
                        row.split(',').enumerate().map(|(column, cell)| rewrite(line, column, cell)).collect();
                    format!("{}{end}", cells.join(","))
                })
                .collect();
        }
        std::fs::write(dir.join(name), text).expect("written");
    }
}

/// tenant40 with its dates mixed as Microsoft has served them: on every other row
/// the refresh date is a date-time, on the rows between the other dates are (the
/// first row's refresh date among them, which the modes take as the report's).
fn mixed_dates_tenant(dir: &Path) {
    copy_tenant(dir, |line, column, cell| match (line, line % 2, column) {
        (0, ..) => cell.to_string(),
        (_, 1, 0) => as_date_time(cell),
        (_, 0, column) if column > 0 => as_date_time(cell),
        _ => cell.to_string(),
    });
}

/// The `N` of `Report refreshed DAY (N hours ago)`.
fn age_shown(out: &Outcome) -> i64 {
    let (_, rest) = out.stdout.split_once("Report refreshed ").unwrap_or_else(|| panic!("no age in {}", out.stdout));
    rest.split(['(', ' ']).nth(2).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no age in {}", out.stdout))
}

/// Whole hours from 00:00 UTC of `day` (`YYYY-MM-DD`) to now, as the plugin
/// measures a report's age.
fn hours_since(day: &str) -> i64 {
    let midnight = centreon_plugin::time::utc_midnight(day).expect("a day");
    (centreon_plugin::time::now() - midnight).div_euclid(3600)
}

/// Runs `mode` with `args` against `mock` and returns the outcome with the hours
/// a report of `day` is old around the run (the hour may turn during it).
fn run_timed(mock: &MockGraph, args: &[&str], day: &str) -> (Outcome, [i64; 2]) {
    let before = hours_since(day);
    let out = run(mock, args);
    (out, [before, hours_since(day)])
}

#[test]
fn date_times_read_as_the_days_they_name() {
    let plain = mock();
    let iso = MockGraph::builder().variant(Variant::IsoDates).start().expect("mock");
    let dir = TempDir::new("mixed-dates").expect("dir");
    mixed_dates_tenant(dir.path());
    let mixed = MockGraph::builder().fixture_dir(dir.path()).start().expect("mock");
    for (mode, all) in MODES {
        for options in [&[][..], all, &["--output-json", "--filter-counters="][..]] {
            let mut args = vec![mode, "--verbose"];
            args.extend_from_slice(options);
            let expected = run(&plain, &args);
            if options.is_empty() {
                assert!(expected.status_line().contains(FIXTURE_DATE), "{args:?}: {}", expected.stdout);
            }
            for mock in [&iso, &mixed] {
                let out = run(mock, &args);
                assert_eq!(out.stdout, expected.stdout, "{args:?}");
                assert_eq!(out.code, expected.code);
            }
        }
    }
    // The daily email activity call names the day, whatever the report wrote.
    for mock in [&iso, &mixed] {
        let days: Vec<String> = mock
            .requests()
            .into_iter()
            .filter(|r| r.path.contains("getEmailActivityUserDetail(date="))
            .map(|r| r.path)
            .collect();
        assert!(!days.is_empty());
        assert!(days.iter().all(|p| p.ends_with("getEmailActivityUserDetail(date=2026-11-22)")), "{days:?}");
    }
}

#[test]
fn a_cell_that_is_no_date_is_unknown() {
    let dir = TempDir::new("bad-date").expect("dir");
    copy_tenant(dir.path(), |line, column, cell| match (line, column) {
        (3, 0) => "22/11/2026".to_string(),
        _ => cell.to_string(),
    });
    let mock = MockGraph::builder().fixture_dir(dir.path()).start().expect("mock");
    let out = run(&mock, &["--mode=mailbox-usage"]);
    assert_eq!(
        out.stdout,
        "UNKNOWN: report getMailboxUsageDetail(period='D7') line 4: column 'Report Refresh Date' holds '22/11/2026', \
         not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ) \n"
    );
    assert_eq!(out.code, 3);
}

#[test]
fn report_age_shows_only_when_asked_for() {
    let mock = mock();
    for (mode, all) in MODES {
        let mut args = vec![mode];
        args.extend_from_slice(all);
        let out = run(&mock, &args);
        assert!(!out.stdout.contains("Report refreshed") && !out.stdout.contains("report_age"), "{}", out.stdout);
        // An empty threshold sets none.
        args.push("--warning-report-age=");
        assert_eq!(run(&mock, &args).stdout, out.stdout, "{mode}");
    }
}

#[test]
fn an_old_report_alerts_in_every_report_mode() {
    let mock = mock();
    for (mode, _) in MODES {
        let args = [mode, "--warning-report-age=72", "--critical-report-age=120", "--filter-counters=report"];
        let (out, hours) = run_timed(&mock, &args, FIXTURE_DATE);
        let age = age_shown(&out);
        assert!(hours.contains(&age) && age > 120, "{age} not in {hours:?}");
        assert_eq!(
            out.stdout,
            format!(
                "CRITICAL: Report refreshed {FIXTURE_DATE} ({age} hours ago) | 'report_age'={age}h;0:72;0:120;0;\n"
            ),
            "{mode}"
        );
        assert_eq!(out.code, 2);
    }
}

#[test]
fn a_fresh_report_is_ok_with_its_age_in_perfdata() {
    let yesterday = utc_date_days_ago(1);
    let mock = MockGraph::builder().variant(Variant::RefreshDate(yesterday.clone())).start().expect("mock");
    for (mode, _) in MODES {
        // The report-age counter shows whatever --filter-counters says: its threshold asks for it.
        let args = [mode, "--warning-report-age=72", "--use-new-perfdata", "--filter-counters=^nothing$"];
        let (out, hours) = run_timed(&mock, &args, &yesterday);
        let age = age_shown(&out);
        assert!(hours.contains(&age) && (24..48).contains(&age), "{age} not in {hours:?}");
        assert_eq!(
            out.stdout,
            format!(
                "OK: Report refreshed {yesterday} ({age} hours ago) | 'exchange.report.age.hours'={age}h;0:72;;0;\n"
            ),
            "{mode}"
        );
    }
}

#[test]
fn report_age_joins_the_mode_s_own_output() {
    let mock = mock();
    let plain = run(&mock, &["--mode=email-activity"]);
    let (out, hours) = run_timed(&mock, &["--mode=email-activity", "--warning-report-age=100000"], FIXTURE_DATE);
    let age = age_shown(&out);
    assert!(hours.contains(&age), "{age} not in {hours:?}");
    let (status, perfdata) = plain.stdout.trim_end().split_once(" | ").expect("perfdata");
    assert_eq!(
        out.stdout,
        format!(
            "{status} - Report refreshed {FIXTURE_DATE} ({age} hours ago) | {perfdata} 'report_age'={age}h;0:100000;;0;\n"
        )
    );
}

/// The stand-in's tenant as of another day (`make demo` dates its tenant yesterday)
/// moves every date of the reports with the report date: the same mailboxes are
/// active, on that day.
#[test]
fn a_tenant_dated_another_day_reads_as_the_fixture() {
    let yesterday = crate::mock::utc_date_days_ago(1);
    let fixed = run(&mock(), &["--mode=mailbox-usage"]);
    assert!(fixed.status_line().contains("on 2026-11-22 : 12/40"), "{}", fixed.stdout);
    let moved = MockGraph::builder().variant(Variant::ReportDate(yesterday.clone())).start().expect("mock");
    let moved = run(&moved, &["--mode=mailbox-usage"]);
    assert_eq!(moved.status_line(), fixed.status_line().replace("2026-11-22", &yesterday));
}
