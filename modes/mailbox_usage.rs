//! `mailbox-usage`: mailboxes active on the report date, storage used by active and
//! inactive mailboxes, and per mailbox its usage against its quotas.
//!
//! Per-mailbox data is kept only when a per-mailbox counter is shown.

use std::collections::BTreeMap;

use centreon_plugin::bytes;
use centreon_plugin::counters::{
    Check, Counter, Data, Field, Group, GroupKind, Instance, Output, Perf, PerfThresholds, PerfValue, Record,
};
use centreon_plugin::error::Result;
use centreon_plugin::options::OptionSpec;
use centreon_plugin::registry::{ModeKind, ModeSpec};

use super::share::{self, Instances, NameFilter, Setup};
use super::{Mode, Run};
use crate::custom::{Capability, ReportQuery, ReportRequest, Row};

inventory::submit! {
    Mode(ModeSpec {
        name: "mailbox-usage",
        perl_module: "cloud::microsoft::office365::exchange::mode::mailboxusage",
        list_rank: 0,
        description: "Check mailbox usage (reporting period over the last refreshed day).\n\n\
            (See link for details about metrics : \
            https://docs.microsoft.com/en-us/office365/admin/activity-reports/mailbox-usage?view=o365-worldwide)\n\n\
            --warning-status and --critical-status are expressions (defaults: '%{used} > %{issue_warning_quota}' \
            and '%{used} > %{prohibit_send_quota}') over %{used}, %{issue_warning_quota}, %{prohibit_send_quota}, \
            %{prohibit_send_receive_quota} and %{display}. A quota the report leaves empty is unlimited: it never \
            makes a mailbox WARNING or CRITICAL.",
        requires: Capability::Reports,
        options,
        kind: ModeKind::Counters { groups, filter_counters: "active|total", select },
    })
}

/// The per-mailbox counters: keeping mailboxes is only worth it when one is shown.
const PER_MAILBOX: [&str; 2] = ["status", "items"];

/// Variables a `--warning-status` / `--critical-status` expression may use.
const STATUS_VARIABLES: &[&str] =
    &["display", "used", "issue_warning_quota", "prohibit_send_quota", "prohibit_send_receive_quota"];

fn options() -> Vec<OptionSpec> {
    vec![OptionSpec::value("filter-mailbox", "Filter mailboxes."), share::units_option()]
}

fn groups() -> Vec<Group> {
    let mut status = Counter::new("status", &["display"], Output::Custom(status_text), Check::Status(STATUS_VARIABLES));
    status.warning_default = Some("%{used} > %{issue_warning_quota}");
    status.critical_default = Some("%{used} > %{prohibit_send_quota}");
    status.perfdata = vec![Perf {
        nlabel: Some("exchange.mailboxes.usage.bytes"),
        unit: "B",
        thresholds: PerfThresholds::None,
        instance: Instance::InNlabel,
        value: PerfValue::Custom(|r| Some(r.text("used"))),
        ..Perf::key("used")
    }];
    let items_metric = Perf { instance: Instance::Suffix, ..Perf::key("items") };
    let bytes = |metric| Perf { unit: "B", ..Perf::key(metric) };
    vec![
        share::active_group(
            "active-mailboxes",
            |r| share::active_text("mailboxes", r),
            "active_mailboxes",
            "exchange.mailboxes.active.count",
            "mailboxes",
        ),
        Group {
            name: "global",
            kind: GroupKind::Global,
            prefix: |_| "Total ".to_string(),
            counters: vec![
                Counter::value(
                    "total-usage-active",
                    "exchange.mailboxes.active.usage.total.bytes",
                    &["active"],
                    Output::Bytes("Usage (active mailboxes): {}"),
                    bytes("total_usage_active"),
                ),
                Counter::value(
                    "total-usage-inactive",
                    "exchange.mailboxes.inactive.usage.total.bytes",
                    &["inactive"],
                    Output::Bytes("Usage (inactive mailboxes): {}"),
                    bytes("total_usage_inactive"),
                ),
            ],
        },
        Group {
            name: "mailboxes",
            kind: GroupKind::Instances { message_multiple: "All mailboxes usage are ok" },
            prefix: |r| format!("Mailbox '{}' ", r.text("display")),
            counters: vec![
                status,
                Counter::value(
                    "items",
                    "exchange.mailboxes.items.count",
                    &["items"],
                    Output::Template("Items: {}"),
                    items_metric,
                ),
            ],
        },
    ]
}

fn storage(value: f64) -> String {
    let (number, unit) = bytes::storage(value);
    format!("{number} {unit}")
}

/// A quota as shown: an empty quota is unlimited (Perl showed `0.00 B` and alerted).
fn quota(record: &Record, key: &str) -> String {
    match record.get(key) {
        Some(Field::Float(f)) if f.is_infinite() => "unlimited".to_string(),
        _ => storage(record.num(key)),
    }
}

fn status_text(r: &Record) -> String {
    format!(
        "Used: {} Issue Warning Quota: {} Prohibit Send Quota: {} Prohibit Send/Receive Quota: {}",
        storage(r.num("used")),
        quota(r, "issue_warning_quota"),
        quota(r, "prohibit_send_quota"),
        quota(r, "prohibit_send_receive_quota")
    )
}

/// One mailbox as the per-mailbox counters see it.
struct Mailbox {
    used: i64,
    quotas: [Option<i64>; 3],
    items: i64,
}

/// The report read: its D7 version only.
const REPORT: &str = "getMailboxUsageDetail";

/// The columns read, in [`Usage::read`]'s order.
const COLUMNS: &[&str] = &[
    "Report Refresh Date",
    "User Principal Name",
    "Last Activity Date",
    "Item Count",
    "Storage Used (Byte)",
    "Issue Warning Quota (Byte)",
    "Prohibit Send Quota (Byte)",
    "Prohibit Send/Receive Quota (Byte)",
];

/// One row of the report. Numbers are `None` when the cell is empty (Microsoft
/// leaves quotas empty for some recipients).
#[derive(Debug)]
struct Usage<'r> {
    report_refresh_date: &'r str,
    user_principal_name: &'r str,
    last_activity_date: &'r str,
    item_count: Option<i64>,
    storage_used: Option<i64>,
    issue_warning_quota: Option<i64>,
    prohibit_send_quota: Option<i64>,
    prohibit_send_receive_quota: Option<i64>,
}

impl<'r> Usage<'r> {
    /// The row's cells, [`COLUMNS`] in order.
    fn read(row: &Row<'r>) -> Result<Self> {
        Ok(Usage {
            report_refresh_date: row.text(0),
            user_principal_name: row.text(1),
            last_activity_date: row.text(2),
            item_count: row.count(3)?,
            storage_used: row.count(4)?,
            issue_warning_quota: row.count(5)?,
            prohibit_send_quota: row.count(6)?,
            prohibit_send_receive_quota: row.count(7)?,
        })
    }
}

/// What the report adds up to.
#[derive(Default)]
struct Tally {
    report_date: Option<String>,
    active: i64,
    total: i64,
    used_active: i64,
    used_inactive: i64,
    mailboxes: BTreeMap<String, Mailbox>,
}

impl Tally {
    /// A mailbox is active when its last activity is the report date; every kept
    /// row counts in the total; an empty storage or item count is 0.
    fn add(&mut self, row: &Usage<'_>, mailboxes: Instances, filter: &NameFilter<'_>) {
        let date = self.report_date.get_or_insert_with(|| row.report_refresh_date.to_string()).as_str();
        if !filter.keeps(row.user_principal_name) {
            return;
        }
        self.total += 1;
        let used = row.storage_used.unwrap_or(0);
        if row.last_activity_date.is_empty() || row.last_activity_date != date {
            self.used_inactive = self.used_inactive.saturating_add(used);
            filter.debug(format_args!("skipping '{}': no activity.", row.user_principal_name));
            return;
        }
        self.active += 1;
        self.used_active = self.used_active.saturating_add(used);
        if mailboxes == Instances::Keep {
            let quotas = [row.issue_warning_quota, row.prohibit_send_quota, row.prohibit_send_receive_quota];
            let mailbox = Mailbox { used, quotas, items: row.item_count.unwrap_or(0) };
            self.mailboxes.insert(row.user_principal_name.to_string(), mailbox);
        }
    }
}

/// Reads the D7 report.
fn select(run: &mut Run<'_>) -> Result<Data> {
    let Setup { percent, instances: mailboxes, filter } = Setup::new(run, &PER_MAILBOX, "filter-mailbox")?;
    let mut tally = Tally::default();
    let request = ReportRequest { report: REPORT, query: ReportQuery::Period("D7"), columns: COLUMNS };
    run.api().reports()?.report(&request, &mut |row| {
        tally.add(&Usage::read(row)?, mailboxes, &filter);
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
        Record::new().with("active", Field::Int(tally.used_active)).with("inactive", Field::Int(tally.used_inactive)),
    );
    let mailboxes = data.instances("mailboxes");
    for (name, mailbox) in tally.mailboxes {
        let [warning, send, send_receive] = mailbox.quotas.map(|q| q.map_or(Field::Float(f64::INFINITY), Field::Int));
        let record = Record::new()
            .with("display", Field::Text(name.clone()))
            .with("used", Field::Int(mailbox.used))
            .with("issue_warning_quota", warning)
            .with("prohibit_send_quota", send)
            .with("prohibit_send_receive_quota", send_receive)
            .with("items", Field::Int(mailbox.items));
        mailboxes.insert(name, record);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::report;

    #[test]
    fn columns_are_read_by_name_and_empty_quotas_stay_empty() {
        let csv = "Prohibit Send/Receive Quota (Byte),Prohibit Send Quota (Byte),Issue Warning Quota (Byte),\
                   Storage Used (Byte),Item Count,Last Activity Date,User Principal Name,Report Refresh Date\n\
                   30,20,10,5,4,2026-11-22,a@x,2026-11-22\n\
                   ,,,7,,2026-11-01,b@x,2026-11-22\n";
        let debug = centreon_plugin::debug::DebugLog::default();
        let filter = NameFilter::new(&Default::default(), "filter-mailbox", &debug).expect("no filter");
        let mut tally = Tally::default();
        report::read(REPORT, csv.as_bytes(), COLUMNS, &mut |row| {
            tally.add(&Usage::read(row)?, Instances::Keep, &filter);
            Ok(())
        })
        .expect("read");
        assert_eq!((tally.total, tally.active, tally.used_active, tally.used_inactive), (2, 1, 5, 7));
        let mailbox = &tally.mailboxes["a@x"];
        assert_eq!((mailbox.used, mailbox.items, mailbox.quotas), (5, 4, [Some(10), Some(20), Some(30)]));
        assert!(!tally.mailboxes.contains_key("b@x"), "inactive mailboxes are not kept");
    }
}
