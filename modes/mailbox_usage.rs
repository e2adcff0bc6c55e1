//! `mailbox-usage`: mailboxes active on the report date, storage used by active and
//! inactive mailboxes, and per mailbox its usage against its quotas.
//!
//! Per-mailbox data is kept only when a per-mailbox counter is shown.

use std::collections::BTreeMap;

use centreon_plugin::bytes;
use centreon_plugin::counters::{
    Check, Collected, Counter, Group, Groups, Instance, Output, Perf, PerfThresholds, Variable,
};
use centreon_plugin::error::Result;
use centreon_plugin::options::{Flag, OptionSpec, Text, Values};
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::time;

use super::share::{self, Active, ActiveNames, Distinct, Instances, PrincipalFilter, ReportAge, Selection, Units};
use super::{Mode, Run};
use crate::custom::{report_columns, Capability, Only, ReportQuery, ReportSpec, Row};

inventory::submit! {
    Mode(ModeSpec {
        name: "mailbox-usage",
        perl_module: "cloud::microsoft::office365::exchange::mode::mailboxusage",
        description: concat!(
            "Check mailbox usage (reporting period over the last refreshed day).\n\n\
            (See link for details about metrics : \
            https://docs.microsoft.com/en-us/office365/admin/activity-reports/mailbox-usage?view=o365-worldwide)\n\n\
            --warning-status and --critical-status are expressions (defaults: '%{used} > %{issue_warning_quota}' \
            and '%{used} > %{prohibit_send_quota}') over %{used}, %{issue_warning_quota}, %{prohibit_send_quota}, \
            %{prohibit_send_receive_quota} and %{display}. A quota the report leaves empty is unlimited: it never \
            makes a mailbox WARNING or CRITICAL.\n\n\
            By default only the totals are checked, as by the Perl plugin (--filter-counters defaults to \
            'active|total'): a mailbox over its quota alerts only with --filter-counters='^status$' (or an \
            empty --filter-counters=).\n\n\
            Only mailboxes active on the report date are checked one by one, as by the Perl plugin; \
            --check-inactive-mailboxes checks the inactive ones too, deleted mailboxes aside (a shared mailbox \
            nobody reads still stops receiving mail at its quota).\n\n",
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

/// `--filter-mailbox`.
const FILTER_MAILBOX: Text = Text::new("filter-mailbox", "Filter mailboxes.");

/// `--check-inactive-mailboxes`.
const CHECK_INACTIVE_MAILBOXES: Flag = Flag::new(
    "check-inactive-mailboxes",
    "Also check the quotas and items of the mailboxes inactive on the report date, deleted ones aside.",
);

fn options() -> Vec<OptionSpec> {
    vec![FILTER_MAILBOX.spec(), share::UNITS.spec(), CHECK_INACTIVE_MAILBOXES.spec()]
}

/// Which mailboxes get the per-mailbox counters (`status`, `items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Checked {
    /// Those active on the report date, as the Perl plugin checks them.
    #[default]
    Active,
    /// The inactive mailboxes too, deleted ones aside (`--check-inactive-mailboxes`).
    NotDeleted,
}

impl Checked {
    fn from_values(values: &Values) -> Checked {
        if values.flag(&CHECK_INACTIVE_MAILBOXES) {
            Checked::NotDeleted
        } else {
            Checked::Active
        }
    }
}

/// What the counters read.
struct Usage {
    active: Active,
    storage: Storage,
    mailboxes: BTreeMap<String, Mailbox>,
    age: ReportAge,
}

/// Bytes used by active and inactive mailboxes.
struct Storage {
    active: i64,
    inactive: i64,
}

/// One mailbox, as the report gives it and the per-mailbox counters read it.
struct Mailbox {
    /// The user principal name, ` (n)` added for the n-th row that shares it.
    display: String,
    used: i64,
    /// Issue warning, prohibit send, prohibit send/receive; `None` when the report
    /// leaves it empty.
    quotas: [Option<i64>; 3],
    items: i64,
}

impl Mailbox {
    /// Quota `index` of [`Mailbox::quotas`] as a limit: an empty quota is unlimited.
    fn limit(&self, index: usize) -> f64 {
        self.quotas[index].map_or(f64::INFINITY, |n| n as f64)
    }

    /// `Used: … Issue Warning Quota: … Prohibit Send Quota: … Prohibit Send/Receive
    /// Quota: …`, an empty quota shown as `unlimited` (Perl showed `0.00 B` and
    /// alerted).
    fn text(&self) -> String {
        let quota = |index: usize| match self.quotas[index] {
            None => "unlimited".to_string(),
            Some(n) => storage(n as f64),
        };
        format!(
            "Used: {} Issue Warning Quota: {} Prohibit Send Quota: {} Prohibit Send/Receive Quota: {}",
            storage(self.used as f64),
            quota(0),
            quota(1),
            quota(2)
        )
    }
}

fn storage(value: f64) -> String {
    let (number, unit) = bytes::storage(value);
    format!("{number} {unit}")
}

/// The counters, with `--units` read from `values`.
fn groups(values: &Values) -> Result<Groups<Usage>> {
    let active = ActiveNames {
        label: "active-mailboxes",
        noun: "mailboxes",
        metric: "active_mailboxes",
        nlabel: "exchange.mailboxes.active.count",
        unit: "mailboxes",
    };
    let totals = vec![
        Counter::value(
            "total-usage-active",
            "exchange.mailboxes.active.usage.total.bytes",
            |s: &Storage| s.active,
            Output::Bytes("Usage (active mailboxes): {}"),
            Perf::key("total_usage_active").unit("B"),
        ),
        Counter::value(
            "total-usage-inactive",
            "exchange.mailboxes.inactive.usage.total.bytes",
            |s: &Storage| s.inactive,
            Output::Bytes("Usage (inactive mailboxes): {}"),
            Perf::key("total_usage_inactive").unit("B"),
        ),
    ];
    let variables = vec![
        Variable::new("display", |m: &Mailbox| m.display.clone()),
        Variable::new("used", |m: &Mailbox| m.used),
        Variable::new("issue_warning_quota", |m: &Mailbox| m.limit(0)),
        Variable::new("prohibit_send_quota", |m: &Mailbox| m.limit(1)),
        Variable::new("prohibit_send_receive_quota", |m: &Mailbox| m.limit(2)),
    ];
    let status = Counter::new("status", |m: &Mailbox| m.used, Output::custom(Mailbox::text), Check::Status(variables))
        .warning_default("%{used} > %{issue_warning_quota}")
        .critical_default("%{used} > %{prohibit_send_quota}")
        .perf(
            Perf::key("used")
                .nlabel("exchange.mailboxes.usage.bytes")
                .unit("B")
                .thresholds(PerfThresholds::None)
                .instance(Instance::InNlabel),
        );
    let items = Counter::value(
        "items",
        "exchange.mailboxes.items.count",
        |m: &Mailbox| m.items,
        Output::Template("Items: {}"),
        Perf::key("items").instance(Instance::Suffix),
    );
    Ok(Groups::new()
        .global(share::active_group(active, Units::from_values(values)?), |d: &Usage| &d.active)
        .global(Group::new("global", |_| "Total ".to_string(), totals), |d: &Usage| &d.storage)
        .instances(
            Group::new("mailboxes", |m: &Mailbox| format!("Mailbox '{}' ", m.display), vec![status, items]),
            "All mailboxes usage are ok",
            |d: &Usage| &d.mailboxes,
        )
        .global(share::report_age_group(), |d: &Usage| &d.age))
}

/// The report read: its D7 version only.
const REPORT: &str = "getMailboxUsageDetail";

report_columns! {
    /// The columns read.
    enum Columns {
        ReportRefreshDate = "Report Refresh Date",
        UserPrincipalName = "User Principal Name",
        LastActivityDate = "Last Activity Date",
        ItemCount = "Item Count",
        StorageUsed = "Storage Used (Byte)",
        IssueWarningQuota = "Issue Warning Quota (Byte)",
        ProhibitSendQuota = "Prohibit Send Quota (Byte)",
        ProhibitSendReceiveQuota = "Prohibit Send/Receive Quota (Byte)",
        IsDeleted = "Is Deleted?",
    }
}

/// One row of the report. Numbers are `None` when the cell is empty (Microsoft
/// leaves quotas empty for some recipients); dates are days, `YYYY-MM-DD`, empty
/// when the cell is.
#[derive(Debug)]
struct UsageRow<'r> {
    report_refresh_date: &'r str,
    user_principal_name: &'r str,
    last_activity_date: &'r str,
    item_count: Option<i64>,
    storage_used: Option<i64>,
    issue_warning_quota: Option<i64>,
    prohibit_send_quota: Option<i64>,
    prohibit_send_receive_quota: Option<i64>,
    /// `True` for a deleted mailbox; empty when the report lacks the column.
    is_deleted: &'r str,
}

impl<'r> UsageRow<'r> {
    /// The row's cells.
    fn read(row: &Row<'r>) -> Result<Self> {
        Ok(UsageRow {
            report_refresh_date: row.date(Columns::ReportRefreshDate)?.unwrap_or_default(),
            user_principal_name: row.text(Columns::UserPrincipalName),
            last_activity_date: row.date(Columns::LastActivityDate)?.unwrap_or_default(),
            item_count: row.count(Columns::ItemCount)?,
            storage_used: row.count(Columns::StorageUsed)?,
            issue_warning_quota: row.count(Columns::IssueWarningQuota)?,
            prohibit_send_quota: row.count(Columns::ProhibitSendQuota)?,
            prohibit_send_receive_quota: row.count(Columns::ProhibitSendReceiveQuota)?,
            is_deleted: row.text(Columns::IsDeleted),
        })
    }

    /// Whether the mailbox is deleted (`True`; some exports write `Yes`).
    fn deleted(&self) -> bool {
        self.is_deleted.eq_ignore_ascii_case("true") || self.is_deleted.eq_ignore_ascii_case("yes")
    }
}

/// What the report adds up to.
#[derive(Default)]
struct Tally {
    checked: Checked,
    report_date: Option<String>,
    active: i64,
    total: i64,
    used_active: i64,
    used_inactive: i64,
    mailboxes: Distinct<Mailbox>,
}

impl Tally {
    /// A mailbox is active when its last activity is the report date; every kept
    /// row counts in the total; an empty storage or item count is 0. Inactive
    /// mailboxes get per-mailbox counters only as [`Checked`] says.
    fn add(&mut self, row: &UsageRow<'_>, mailboxes: Instances, filter: &PrincipalFilter<'_>) {
        let date = self.report_date.get_or_insert_with(|| row.report_refresh_date.to_string()).as_str();
        if !filter.keeps(row.user_principal_name) {
            return;
        }
        self.total += 1;
        let used = row.storage_used.unwrap_or(0);
        if row.last_activity_date.is_empty() || row.last_activity_date != date {
            self.used_inactive = self.used_inactive.saturating_add(used);
            if self.checked == Checked::Active || row.deleted() {
                filter.debug(format_args!("skipping '{}': no activity.", row.user_principal_name));
                return;
            }
        } else {
            self.active += 1;
            self.used_active = self.used_active.saturating_add(used);
        }
        if mailboxes == Instances::Keep {
            let quotas = [row.issue_warning_quota, row.prohibit_send_quota, row.prohibit_send_receive_quota];
            let items = row.item_count.unwrap_or(0);
            self.mailboxes.insert(row.user_principal_name, |display| Mailbox { display, used, quotas, items });
        }
    }
}

/// Reads the D7 report.
fn select(run: &mut Run<'_>) -> Result<Collected> {
    let groups = groups(run.values)?;
    let Selection { instances: mailboxes, filter } =
        Selection::new(run, &groups.declarations().instance_labels(), &FILTER_MAILBOX)?;
    let checked = Checked::from_values(run.values);
    let fresh = || Tally { checked, ..Tally::default() };
    let mut tally = fresh();
    let request = ReportSpec { report: REPORT, query: ReportQuery::Period("D7"), columns: &Columns::NAMES };
    let only = filter.only();
    let prefixes = filter.prefixes().unwrap_or_default();
    let reports = run.api().reports()?;
    // One mailbox, or those of a prefix: a cache that can look them up need not read
    // every row. What such a read counts is what a read of every row counts (totals
    // and the report date are those of the kept rows and of the first row) but for
    // concealed names, which only a read of every row counts right: seen any, the
    // report is read again whole.
    if only.is_some() || !prefixes.is_empty() {
        let only = Only { column: Columns::UserPrincipalName.name(), value: only.as_deref(), prefixes: &prefixes };
        reports.report_only(&request, only, &mut |row: &Row<'_>| {
            tally.add(&UsageRow::read(row)?, mailboxes, &filter);
            Ok(())
        })?;
        if !filter.saw_concealed() {
            filter.check_concealed(run.notices())?;
            return Ok(groups.with(data(tally, time::now())));
        }
        filter.restart();
        tally = fresh();
    }
    reports.report(&request, &mut |row: &Row<'_>| {
        tally.add(&UsageRow::read(row)?, mailboxes, &filter);
        Ok(())
    })?;
    filter.check_concealed(run.notices())?;
    Ok(groups.with(data(tally, time::now())))
}

/// The counters' data, the report's age measured at `now`.
fn data(tally: Tally, now: i64) -> Usage {
    let report_date = tally.report_date.unwrap_or_default();
    Usage {
        age: ReportAge::new(&report_date, now),
        active: Active::new(tally.active, tally.total, report_date),
        storage: Storage { active: tally.used_active, inactive: tally.used_inactive },
        mailboxes: tally.mailboxes.into_records(),
    }
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
        let filter = PrincipalFilter::new(&Default::default(), &FILTER_MAILBOX, &debug).expect("no filter");
        let mut tally = Tally::default();
        report::read(REPORT, csv.as_bytes(), &Columns::NAMES, &mut |row| {
            tally.add(&UsageRow::read(row)?, Instances::Keep, &filter);
            Ok(())
        })
        .expect("read");
        assert_eq!((tally.total, tally.active, tally.used_active, tally.used_inactive), (2, 1, 5, 7));
        let mailbox = &tally.mailboxes["a@x"];
        assert_eq!((mailbox.used, mailbox.items, mailbox.quotas), (5, 4, [Some(10), Some(20), Some(30)]));
        assert!(!tally.mailboxes.contains_key("b@x"), "inactive mailboxes are not kept");
    }

    #[test]
    fn check_inactive_mailboxes_keeps_inactive_mailboxes_but_deleted_ones() {
        let csv = "Report Refresh Date,User Principal Name,Last Activity Date,Item Count,Storage Used (Byte),\
                   Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Is Deleted\n\
                   2026-11-22,active@x,2026-11-22,1,5,10,20,30,False\n\
                   2026-11-22,idle@x,2026-11-01,2,7,10,20,30,False\n\
                   2026-11-22,never@x,,3,9,10,20,30,False\n\
                   2026-11-22,gone@x,2026-11-01,4,11,10,20,30,True\n";
        let debug = centreon_plugin::debug::DebugLog::default();
        let filter = PrincipalFilter::new(&Default::default(), &FILTER_MAILBOX, &debug).expect("no filter");
        for (checked, kept) in
            [(Checked::Active, &["active@x"][..]), (Checked::NotDeleted, &["active@x", "idle@x", "never@x"][..])]
        {
            let mut tally = Tally { checked, ..Tally::default() };
            report::read(REPORT, csv.as_bytes(), &Columns::NAMES, &mut |row| {
                tally.add(&UsageRow::read(row)?, Instances::Keep, &filter);
                Ok(())
            })
            .expect("read");
            assert_eq!(tally.mailboxes.keys().collect::<Vec<_>>(), kept, "{checked:?}");
            let totals = (tally.total, tally.active, tally.used_active, tally.used_inactive);
            assert_eq!(totals, (4, 1, 5, 27), "{checked:?}: the totals do not depend on the option");
        }
    }
}
