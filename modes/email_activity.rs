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
use centreon_plugin::options::{OptionSpec, Values};
use centreon_plugin::registry::{ModeKind, ModeSpec, Run};

use super::share::{self, Active, ActiveNames, Instances, NameFilter, Setup, Units};
use crate::custom::{self, capability, EmailActivityRow, ReportQuery};

inventory::submit! {
    ModeSpec {
        name: "email-activity",
        perl_module: "cloud::microsoft::office365::exchange::mode::emailactivity",
        list_rank: 0,
        description: "Check users email activity (reporting period over the last refreshed day).\n\n\
            (See link for details about metrics : \
            https://docs.microsoft.com/en-us/office365/admin/activity-reports/email-activity?view=o365-worldwide)",
        requires: capability::EMAIL_ACTIVITY,
        options,
        kind: ModeKind::Counters {
            groups: |values| Ok(groups(values)?.declarations()),
            filter_counters: "active|total",
            select,
        },
    }
}

fn options() -> Vec<OptionSpec> {
    vec![OptionSpec::value("filter-user", "Filter users."), share::units_option()]
}

/// What the counters read.
struct Activity {
    active: Active,
    totals: Emails,
    users: BTreeMap<String, User>,
}

/// Emails sent, received and read.
struct Emails {
    send: i64,
    receive: i64,
    read: i64,
}

/// One user's activity.
struct User {
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
        ))
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
    users: BTreeMap<String, User>,
}

impl Tally {
    /// Filtered rows are ignored; period rows count in the population; daily rows
    /// (period 1) are the active users and their activity.
    fn add(&mut self, row: &EmailActivityRow<'_>, users: Instances, filter: &NameFilter<'_>) {
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
        let counts = [row.send_count, row.receive_count, row.read_count].map(|c| c.map_or(0, |n| n as i64));
        self.active += 1;
        self.send = self.send.saturating_add(counts[0]);
        self.receive = self.receive.saturating_add(counts[1]);
        self.read = self.read.saturating_add(counts[2]);
        if users == Instances::Keep {
            let name = row.user_principal_name.to_string();
            let [send, receive, read] = counts;
            self.users.insert(name.clone(), User { name, emails: Emails { send, receive, read } });
        }
    }
}

fn select(run: &mut Run<'_>) -> Result<Collected> {
    let groups = groups(run.values)?;
    let Setup { instances: users, filter } = Setup::new(run, &groups.declarations().instance_labels(), "filter-user")?;
    let mut tally = Tally::default();
    custom::with_api(run, |api| {
        let mut rows = 0usize;
        api.email_activity(ReportQuery::Period("D7"), &mut |row| {
            rows += 1;
            tally.add(row, users, &filter);
            Ok(())
        })?;
        if rows > 0 {
            let date = tally.report_date.clone().unwrap_or_default();
            api.email_activity(ReportQuery::Date(&date), &mut |row| {
                tally.add(row, users, &filter);
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(groups.with(data(tally)))
}

fn data(tally: Tally) -> Activity {
    Activity {
        active: Active::new(tally.active, tally.total, tally.report_date.unwrap_or_default()),
        totals: Emails { send: tally.send, receive: tally.receive, read: tally.read },
        users: tally.users,
    }
}
