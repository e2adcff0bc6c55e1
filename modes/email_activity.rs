//! `email-activity`: users active on the last reported day and what they sent,
//! received and read (office365.md §2).
//!
//! The D7 report gives the population and the report date; the daily report of that
//! date gives the activity. Per-user data is kept only when a per-user counter is
//! shown, so memory does not grow with the tenant by default.

use std::collections::BTreeMap;

use centreon_plugin::counters::{Counter, Data, Field, Group, GroupKind, Instance, Output, Perf, Record};
use centreon_plugin::error::Result;
use centreon_plugin::number;
use centreon_plugin::options::OptionSpec;
use centreon_plugin::registry::{ModeKind, ModeSpec, Run};

use super::share::{self, NameFilter, Setup};
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
        kind: ModeKind::Counters { groups, filter_counters: "active|total", select },
    }
}

/// The per-user counters: keeping users is only worth it when one of them is shown.
const PER_USER: [&str; 3] = ["send-count", "receive-count", "read-count"];

fn options() -> Vec<OptionSpec> {
    vec![OptionSpec::value("filter-user", "Filter users."), share::units_option()]
}

fn groups() -> Vec<Group> {
    vec![
        share::active_group(
            "active-users",
            |r| share::active_text("users", r),
            "active_users",
            "exchange.users.active.count",
            "users",
        ),
        Group {
            name: "global",
            kind: GroupKind::Global,
            prefix: |_| "Total (active users) ".to_string(),
            counters: vec![
                Counter::value(
                    "total-send-count",
                    "exchange.users.emails.sent.total.count",
                    &["send"],
                    SENT,
                    Perf::key("total_send_count"),
                ),
                Counter::value(
                    "total-receive-count",
                    "exchange.users.emails.received.total.count",
                    &["receive"],
                    RECEIVED,
                    Perf::key("total_receive_count"),
                ),
                Counter::value(
                    "total-read-count",
                    "exchange.users.emails.read.total.count",
                    &["read"],
                    READ,
                    Perf::key("total_read_count"),
                ),
            ],
        },
        Group {
            name: "users",
            kind: GroupKind::Instances { message_multiple: "All email activity are ok" },
            prefix: |r| format!("User '{}' ", r.text("display")),
            counters: vec![
                Counter::value(
                    "send-count",
                    "exchange.users.emails.sent.count",
                    &["send"],
                    SENT,
                    per_user("send_count"),
                ),
                Counter::value(
                    "receive-count",
                    "exchange.users.emails.received.count",
                    &["receive"],
                    RECEIVED,
                    per_user("receive_count"),
                ),
                Counter::value(
                    "read-count",
                    "exchange.users.emails.read.count",
                    &["read"],
                    READ,
                    per_user("read_count"),
                ),
            ],
        },
    ]
}

const SENT: Output = Output::Template("Send Count: {}");
const RECEIVED: Output = Output::Template("Receive Count: {}");
const READ: Output = Output::Template("Read Count: {}");

fn per_user(metric: &'static str) -> Perf {
    Perf { instance: Instance::Suffix, ..Perf::key(metric) }
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
    users: BTreeMap<String, [i64; 3]>,
}

impl Tally {
    /// Office365.md §2.2: filtered rows are ignored; period rows count in the
    /// population; daily rows (period 1) are the active users and their activity.
    fn add(&mut self, row: &EmailActivityRow<'_>, keep_users: bool, filter: &NameFilter<'_>) {
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
        if keep_users {
            self.users.insert(row.user_principal_name.to_string(), counts);
        }
    }
}

fn select(run: &mut Run<'_>) -> Result<Data> {
    let Setup { percent, keep_instances: keep_users, filter } = Setup::new(run, &PER_USER, "filter-user")?;
    let mut tally = Tally::default();
    custom::with_api(run, |api| {
        let mut rows = 0usize;
        api.email_activity(ReportQuery::Period("D7"), &mut |row| {
            rows += 1;
            tally.add(row, keep_users, &filter);
            Ok(())
        })?;
        if rows > 0 {
            let date = tally.report_date.clone().unwrap_or_default();
            api.email_activity(ReportQuery::Date(&date), &mut |row| {
                tally.add(row, keep_users, &filter);
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(data(tally, percent))
}

fn data(tally: Tally, percent: bool) -> Data {
    let mut data = Data::default();
    let date = tally.report_date.unwrap_or_default();
    data.global("active", share::active_record(tally.active, tally.total, &date, percent));
    data.global(
        "global",
        Record::new()
            .with("send", Field::Int(tally.send))
            .with("receive", Field::Int(tally.receive))
            .with("read", Field::Int(tally.read)),
    );
    let users = data.instances("users");
    for (name, [send, receive, read]) in tally.users {
        let record = Record::new()
            .with("display", Field::Text(name.clone()))
            .with("send", Field::Int(send))
            .with("receive", Field::Int(receive))
            .with("read", Field::Int(read));
        users.insert(name, record);
    }
    data
}
