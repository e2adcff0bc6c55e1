//! `mailbox-quota-status`: how many mailboxes are under their quota, past its warning
//! level, prohibited from sending, prohibited from sending and receiving, or of
//! unknown state, on the latest day of the quota status report.
//!
//! The report has one row per day of its period, in no documented order: the row
//! with the latest `Report Date` is the one checked.

use centreon_plugin::counters::{Collected, Counter, Group, Groups, Output, Perf};
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::OptionSpec;
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::time;

use super::share::{self, ReportAge};
use super::{Mode, Run};
use crate::custom::{report_columns, Capability, ReportQuery, ReportSpec, Row};

inventory::submit! {
    Mode(ModeSpec {
        name: "mailbox-quota-status",
        perl_module: "cloud::microsoft::office365::exchange::mode::mailboxquotastatus",
        list_rank: 2,
        description: concat!(
            "Check the quota status of mailboxes on the latest day of the report (mailboxes under their limit, \
            warned, prohibited from sending, prohibited from sending and receiving, of undetermined status).\n\n\
            (See link for details about the report : \
            https://learn.microsoft.com/graph/api/reportroot-getmailboxusagequotastatusmailboxcounts)\n\n\
            A mailbox that can no longer receive mail is CRITICAL and one that can no longer send is WARNING by \
            default (--critical-send-receive-prohibited=0, --warning-send-prohibited=0: any such mailbox alerts); \
            an empty value turns a default off.\n\n",
            share::report_age_help!()
        ),
        requires: Capability::Reports,
        options,
        kind: ModeKind::Counters {
            groups: |_| Ok(groups().declarations()),
            filter_counters: "",
            select,
        },
    })
}

fn options() -> Vec<OptionSpec> {
    Vec::new()
}

/// What the counters read.
struct Quotas {
    latest: Latest,
    age: ReportAge,
}

/// The counts of the latest day: under limit, warning issued, send prohibited,
/// send/receive prohibited, indeterminate, `None` when the report leaves one empty.
#[derive(Debug, Clone, PartialEq)]
struct Latest {
    report_date: String,
    counts: [Option<i64>; 5],
}

impl Latest {
    /// The mailboxes counted on that day, the `max` of every metric.
    fn total(&self) -> String {
        self.counts.iter().flatten().fold(0i64, |sum, n| sum.saturating_add(*n)).to_string()
    }
}

/// One counter per quota status: label, nlabel, legacy metric, text.
const STATUSES: [(&str, &str, &str, &str); 5] = [
    ("under-limit", "exchange.mailboxes.quota.under.limit.count", "under_limit", "under limit: {}"),
    ("warning-issued", "exchange.mailboxes.quota.warning.issued.count", "warning_issued", "warning issued: {}"),
    ("send-prohibited", "exchange.mailboxes.quota.send.prohibited.count", "send_prohibited", "send prohibited: {}"),
    (
        "send-receive-prohibited",
        "exchange.mailboxes.quota.sendreceive.prohibited.count",
        "send_receive_prohibited",
        "send/receive prohibited: {}",
    ),
    ("indeterminate", "exchange.mailboxes.quota.indeterminate.count", "indeterminate", "indeterminate: {}"),
];

/// The counters: one per status, alerting by default on mailboxes that can no
/// longer send or receive.
fn groups() -> Groups<Quotas> {
    let counters = STATUSES
        .iter()
        .enumerate()
        .map(|(index, &(label, nlabel, metric, text))| {
            let counter = Counter::value(
                label,
                nlabel,
                move |l: &Latest| l.counts[index],
                Output::Template(text),
                Perf::key(metric).unit("mailboxes").max(Latest::total),
            );
            match label {
                "send-prohibited" => counter.warning_default("0"),
                "send-receive-prohibited" => counter.critical_default("0"),
                _ => counter,
            }
        })
        .collect();
    let prefix = |l: &Latest| format!("Mailbox quota status on {}: ", l.report_date);
    Groups::new()
        .global(Group::new("quota", prefix, counters), |d: &Quotas| &d.latest)
        .global(share::report_age_group(), |d: &Quotas| &d.age)
}

/// The report read, its D7 version.
const REPORT: &str = "getMailboxUsageQuotaStatusMailboxCounts";

report_columns! {
    /// The columns read.
    enum Columns {
        ReportRefreshDate = "Report Refresh Date",
        ReportDate = "Report Date",
        UnderLimit = "Under Limit",
        WarningIssued = "Warning Issued",
        SendProhibited = "Send Prohibited",
        SendReceiveProhibited = "Send/Receive Prohibited",
        Indeterminate = "Indeterminate",
    }
}

/// One day of the report.
#[derive(Debug)]
struct QuotaRow<'r> {
    report_refresh_date: &'r str,
    report_date: &'r str,
    counts: [Option<i64>; 5],
}

impl<'r> QuotaRow<'r> {
    /// The row's cells; a row without a `Report Date` is an
    /// error (it cannot be placed among the days).
    fn read(row: &Row<'r>) -> Result<Self> {
        let report_date = row
            .date(Columns::ReportDate)?
            .ok_or_else(|| Error::new(format!("report {REPORT}(period='D7'): a row has no Report Date")))?;
        Ok(QuotaRow {
            report_refresh_date: row.date(Columns::ReportRefreshDate)?.unwrap_or_default(),
            report_date,
            counts: [
                row.count(Columns::UnderLimit)?,
                row.count(Columns::WarningIssued)?,
                row.count(Columns::SendProhibited)?,
                row.count(Columns::SendReceiveProhibited)?,
                row.count(Columns::Indeterminate)?,
            ],
        })
    }
}

/// The latest day seen so far, with the report's refresh date.
#[derive(Debug, Default)]
struct Tally {
    latest: Option<Latest>,
    refreshed: String,
}

impl Tally {
    /// Keeps `row` if its day is later than every day before it (days compare as
    /// text: `YYYY-MM-DD`); of two rows of one day, the first is kept.
    fn add(&mut self, row: &QuotaRow<'_>) {
        if self.latest.as_ref().is_some_and(|latest| latest.report_date.as_str() >= row.report_date) {
            return;
        }
        self.refreshed = row.report_refresh_date.to_string();
        self.latest = Some(Latest { report_date: row.report_date.to_string(), counts: row.counts });
    }
}

/// Reads the D7 report; a report without any day is an error, never an OK.
fn select(run: &mut Run<'_>) -> Result<Collected> {
    let mut tally = Tally::default();
    let request = ReportSpec { report: REPORT, query: ReportQuery::Period("D7"), columns: &Columns::NAMES };
    run.api().reports()?.report(&request, &mut |row| {
        tally.add(&QuotaRow::read(row)?);
        Ok(())
    })?;
    let latest = tally.latest.ok_or_else(|| Error::new(format!("report {REPORT}(period='D7') holds no day")))?;
    let age = ReportAge::new(&tally.refreshed, time::now());
    Ok(groups().with(Quotas { latest, age }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::report;

    fn latest(csv: &str) -> Result<Tally> {
        let mut tally = Tally::default();
        report::read(REPORT, csv.as_bytes(), &Columns::NAMES, &mut |row| {
            tally.add(&QuotaRow::read(row)?);
            Ok(())
        })?;
        Ok(tally)
    }

    const HEAD: &str = "Report Refresh Date,Under Limit,Warning Issued,Send Prohibited,Send/Receive Prohibited,\
                        Indeterminate,Report Date,Report Period\n";

    #[test]
    fn the_latest_day_wins_wherever_it_is() {
        let csv = format!(
            "{HEAD}2026-11-22,9,0,0,0,0,2026-11-20,7\n2026-11-22T00:00:00Z,36,0,1,3,,2026-11-22T00:00:00Z,7\n\
             2026-11-22,1,1,1,1,1,2026-11-22,7\n2026-11-22,8,0,0,0,0,2026-11-21,7\n"
        );
        let tally = latest(&csv).expect("read");
        let latest = tally.latest.expect("a day");
        assert_eq!(latest.report_date, "2026-11-22");
        assert_eq!(latest.counts, [Some(36), Some(0), Some(1), Some(3), None]);
        assert_eq!(latest.total(), "40");
        assert_eq!(tally.refreshed, "2026-11-22");
    }

    #[test]
    fn a_row_without_a_day_or_with_a_bad_count_is_an_error() {
        let no_day = format!("{HEAD}2026-11-22,1,0,0,0,0,,7\n");
        assert_eq!(
            latest(&no_day).expect_err("no day").message(),
            "report getMailboxUsageQuotaStatusMailboxCounts(period='D7'): a row has no Report Date"
        );
        let bad = format!("{HEAD}2026-11-22,1,x,0,0,0,2026-11-22,7\n");
        assert!(latest(&bad).expect_err("bad count").message().contains("column 'Warning Issued' holds 'x'"));
    }
}
