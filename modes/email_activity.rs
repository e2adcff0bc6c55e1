//! `email-activity`: users active on the last reported day and what they sent,
//! received and read.
//!
//! The D7 report gives the population and the report date; the daily report of that
//! date gives the activity. Per-user data is kept only when a per-user counter is
//! shown, so memory does not grow with the tenant by default.

use std::collections::BTreeMap;

use centreon_plugin::counters::{Collected, Counter, Group, Groups, Instance, Output, Perf};
use centreon_plugin::error::Result;
use centreon_plugin::number;
use centreon_plugin::options::{OptionSpec, Text, Values};
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::time;

use super::share::{self, Active, ActiveNames, Distinct, Instances, PrincipalFilter, ReportAge, Selection, Units};
use super::{Mode, Run};
use crate::custom::{report_columns, Capability, ReportQuery, ReportSpec, Row};

inventory::submit! {
    Mode(ModeSpec {
        name: "email-activity",
        perl_module: "cloud::microsoft::office365::exchange::mode::emailactivity",
        list_rank: 0,
        description: concat!(
            "Check users email activity (reporting period over the last refreshed day).\n\n\
            (See link for details about metrics : \
            https://docs.microsoft.com/en-us/office365/admin/activity-reports/email-activity?view=o365-worldwide)\n\n",
            share::report_age_help!()
        ),
        requires: Capability::Reports,
        options,
        kind: ModeKind::Counters {
            groups: |values| Ok(groups(values)?.declarations()),
            filter_counters: "active|total",
            select,
        },
    })
}

/// `--filter-user`.
const FILTER_USER: Text = Text::new("filter-user", "Filter users.");

fn options() -> Vec<OptionSpec> {
    vec![FILTER_USER.spec(), share::UNITS.spec()]
}

/// What the counters read.
struct Activity {
    active: Active,
    totals: Emails,
    users: BTreeMap<String, User>,
    age: ReportAge,
}

/// Emails sent, received and read.
struct Emails {
    send: i64,
    receive: i64,
    read: i64,
}

/// One user's activity.
struct User {
    /// The user principal name, ` (n)` added for the n-th row that shares it.
    name: String,
    emails: Emails,
}

const SENT: &str = "Send Count: {}";
const RECEIVED: &str = "Receive Count: {}";
const READ: &str = "Read Count: {}";

/// The counters, with `--units` read from `values`.
fn groups(values: &Values) -> Result<Groups<Activity>> {
    let active = ActiveNames {
        label: "active-users",
        noun: "users",
        metric: "active_users",
        nlabel: "exchange.users.active.count",
        unit: "users",
    };
    let totals = vec![
        Counter::value(
            "total-send-count",
            "exchange.users.emails.sent.total.count",
            |e: &Emails| e.send,
            Output::Template(SENT),
            Perf::key("total_send_count"),
        ),
        Counter::value(
            "total-receive-count",
            "exchange.users.emails.received.total.count",
            |e: &Emails| e.receive,
            Output::Template(RECEIVED),
            Perf::key("total_receive_count"),
        ),
        Counter::value(
            "total-read-count",
            "exchange.users.emails.read.total.count",
            |e: &Emails| e.read,
            Output::Template(READ),
            Perf::key("total_read_count"),
        ),
    ];
    let per_user = |metric| Perf::key(metric).instance(Instance::Suffix);
    let users = vec![
        Counter::value(
            "send-count",
            "exchange.users.emails.sent.count",
            |u: &User| u.emails.send,
            Output::Template(SENT),
            per_user("send_count"),
        ),
        Counter::value(
            "receive-count",
            "exchange.users.emails.received.count",
            |u: &User| u.emails.receive,
            Output::Template(RECEIVED),
            per_user("receive_count"),
        ),
        Counter::value(
            "read-count",
            "exchange.users.emails.read.count",
            |u: &User| u.emails.read,
            Output::Template(READ),
            per_user("read_count"),
        ),
    ];
    Ok(Groups::new()
        .global(share::active_group(active, Units::from_values(values)?), |d: &Activity| &d.active)
        .global(Group::new("global", |_| "Total (active users) ".to_string(), totals), |d: &Activity| &d.totals)
        .instances(
            Group::new("users", |u: &User| format!("User '{}' ", u.name), users),
            "All email activity are ok",
            |d: &Activity| &d.users,
        )
        .global(share::report_age_group(), |d: &Activity| &d.age))
}

/// The report read, the D7 one and then the daily one.
const REPORT: &str = "getEmailActivityUserDetail";

report_columns! {
    /// The columns read.
    enum Columns {
        ReportRefreshDate = "Report Refresh Date",
        UserPrincipalName = "User Principal Name",
        LastActivityDate = "Last Activity Date",
        SendCount = "Send Count",
        ReceiveCount = "Receive Count",
        ReadCount = "Read Count",
        ReportPeriod = "Report Period",
    }
}

/// One row of the report. Counts are `None` when the cell is empty; dates are days,
/// `YYYY-MM-DD`, empty when the cell is (the daily call's `date=` is that day).
#[derive(Debug)]
struct ActivityRow<'r> {
    report_refresh_date: &'r str,
    user_principal_name: &'r str,
    last_activity_date: &'r str,
    send_count: Option<i64>,
    receive_count: Option<i64>,
    read_count: Option<i64>,
    /// Raw text: `7` for period reports, `1` for daily ones.
    report_period: &'r str,
}

impl<'r> ActivityRow<'r> {
    /// The row's cells.
    fn read(row: &Row<'r>) -> Result<Self> {
        Ok(ActivityRow {
            report_refresh_date: row.date(Columns::ReportRefreshDate)?.unwrap_or_default(),
            user_principal_name: row.text(Columns::UserPrincipalName),
            last_activity_date: row.date(Columns::LastActivityDate)?.unwrap_or_default(),
            send_count: row.count(Columns::SendCount)?,
            receive_count: row.count(Columns::ReceiveCount)?,
            read_count: row.count(Columns::ReadCount)?,
            report_period: row.text(Columns::ReportPeriod),
        })
    }
}

/// What the two reports add up to.
#[derive(Default)]
struct Tally {
    report_date: Option<String>,
    active: i64,
    total: i64,
    send: i64,
    receive: i64,
    read: i64,
    users: Distinct<User>,
}

impl Tally {
    /// Filtered rows are ignored; period rows count in the population (whatever
    /// their activity); daily rows (period 1) are the active users and their
    /// activity, an empty count being 0.
    fn add(&mut self, row: &ActivityRow<'_>, users: Instances, filter: &PrincipalFilter<'_>) {
        let date = self.report_date.get_or_insert_with(|| row.report_refresh_date.to_string()).as_str();
        if !filter.keeps(row.user_principal_name) {
            return;
        }
        if number::parse_leading(row.report_period) != 1.0 {
            self.total += 1;
            if row.last_activity_date != date {
                filter.debug(format_args!("skipping '{}': no activity.", row.user_principal_name));
            }
            return;
        }
        let counts = [row.send_count, row.receive_count, row.read_count].map(|c| c.unwrap_or(0));
        self.active += 1;
        self.send = self.send.saturating_add(counts[0]);
        self.receive = self.receive.saturating_add(counts[1]);
        self.read = self.read.saturating_add(counts[2]);
        if users == Instances::Keep {
            let [send, receive, read] = counts;
            self.users.insert(row.user_principal_name, |name| User { name, emails: Emails { send, receive, read } });
        }
    }
}

/// Reads the D7 report for the population and the report date, then, when it has
/// rows, the daily report of that date for the activity.
fn select(run: &mut Run<'_>) -> Result<Collected> {
    let groups = groups(run.values)?;
    let Selection { instances: users, filter } =
        Selection::new(run, &groups.declarations().instance_labels(), &FILTER_USER)?;
    let reports = run.api().reports()?;
    let mut tally = Tally::default();
    let mut rows = 0usize;
    let d7 = ReportSpec { report: REPORT, query: ReportQuery::Period("D7"), columns: &Columns::NAMES };
    reports.report(&d7, &mut |row| {
        rows += 1;
        tally.add(&ActivityRow::read(row)?, users, &filter);
        Ok(())
    })?;
    if rows > 0 {
        let date = tally.report_date.clone().unwrap_or_default();
        let daily = ReportSpec { query: ReportQuery::Date(&date), ..d7 };
        reports.report(&daily, &mut |row| {
            tally.add(&ActivityRow::read(row)?, users, &filter);
            Ok(())
        })?;
    }
    filter.check_concealed(run.notices())?;
    Ok(groups.with(data(tally, time::now())))
}

/// The counters' data, the report's age measured at `now`.
fn data(tally: Tally, now: i64) -> Activity {
    let report_date = tally.report_date.unwrap_or_default();
    Activity {
        age: ReportAge::new(&report_date, now),
        active: Active::new(tally.active, tally.total, report_date),
        totals: Emails { send: tally.send, receive: tally.receive, read: tally.read },
        users: tally.users.into_records(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::report;

    /// Every row of `csv` as the mode reads it, tallied without a filter.
    fn tally(csv: &str) -> Result<Tally> {
        let debug = centreon_plugin::debug::DebugLog::default();
        let filter = PrincipalFilter::new(&Default::default(), &FILTER_USER, &debug)?;
        let mut tally = Tally::default();
        report::read(REPORT, csv.as_bytes(), &Columns::NAMES, &mut |row| {
            tally.add(&ActivityRow::read(row)?, Instances::Keep, &filter);
            Ok(())
        })?;
        Ok(tally)
    }

    #[test]
    fn columns_are_read_by_name_and_daily_rows_are_the_activity() {
        let csv = "Report Period,Read Count,Receive Count,Send Count,Last Activity Date,Display Name,\
                   User Principal Name,Report Refresh Date\n\
                   7,9,9,9,2026-11-22,A,a@x,2026-11-22\n\
                   1,3,2,1,2026-11-22,A,a@x,2026-11-22\n\
                   1,,,,,B,b@x,2026-11-22\n";
        let tally = tally(csv).expect("read");
        assert_eq!(tally.report_date.as_deref(), Some("2026-11-22"));
        assert_eq!((tally.total, tally.active), (1, 2));
        assert_eq!((tally.send, tally.receive, tally.read), (1, 2, 3));
        let counts = |name: &str| {
            let emails = &tally.users[name].emails;
            [emails.send, emails.receive, emails.read]
        };
        assert_eq!(counts("a@x"), [1, 2, 3]);
        assert_eq!(counts("b@x"), [0, 0, 0], "empty counts are 0");
    }
}
