//! The reports the recorded fixtures do not hold, derived from the tenant's
//! own mailbox usage and email activity reports so that they agree with them:
//! `getMailboxUsageQuotaStatusMailboxCounts`, `getEmailAppUsageAppsUserCounts`
//! and `getEmailAppUsageUserDetail`, with the columns, in the order, that
//! Microsoft's reference pages give. They are made on first use, so that a
//! benchmark tenant of a million users does not pay for them at start.

use std::collections::BTreeMap;
use std::sync::Arc;

use md5::{Digest, Md5};

use super::calendar::{day_of, shift_date};
use super::csvtext::{read_rows, write_row, BOM};
use super::Tenant;

/// `getMailboxUsageQuotaStatusMailboxCounts`, one row per day.
pub const QUOTA_COLS: [&str; 8] = [
    "Report Refresh Date",
    "Under Limit",
    "Warning Issued",
    "Send Prohibited",
    "Send/Receive Prohibited",
    "Indeterminate",
    "Report Date",
    "Report Period",
];
/// The email clients and protocols of the email app usage reports, in their column order.
pub const APP_COLS: [&str; 9] = [
    "Mail For Mac",
    "Outlook For Mac",
    "Outlook For Windows",
    "Outlook For Mobile",
    "Other For Mobile",
    "Outlook For Web",
    "POP3 App",
    "IMAP4 App",
    "SMTP App",
];
/// The columns of `getEmailAppUsageUserDetail` before the app columns.
const APP_USER_LEAD: [&str; 6] =
    ["Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date", "Last Activity Date"];
/// Outlook desktop versions, as the app usage reports name them.
const OUTLOOK_VERSIONS: [&str; 5] =
    ["Outlook 2016", "Outlook 2019", "Outlook M365", "Outlook 2016;Outlook M365", "Undetermined"];
/// The days of a `D7` report.
const PERIOD_DAYS: i64 = 7;

/// The file names the derived reports are served under.
pub const QUOTA_FILE: &str = "quota_D7.csv";
/// See `QUOTA_FILE`.
pub const APPS_FILE: &str = "apps_D7.csv";
/// See `QUOTA_FILE`.
pub const APP_USER_FILE: &str = "appuser_D7.csv";

/// One report the stand-in serves: the Graph function, and the files it
/// answers with.
pub struct Route {
    /// The function name (`getMailboxUsageDetail`).
    pub report: &'static str,
    /// The file a call with a `period` answers with.
    pub period: &'static str,
    /// The file a call with a `date` answers with; `None`: no `date` parameter.
    pub date: Option<&'static str>,
    /// Whether any parameter goes, as mockgraph.py serves the two older reports.
    pub lenient: bool,
}

/// Every report the stand-in serves, in one table: a new report is a row here
/// and its file (tenant fixture, or derived below).
pub const ROUTES: [Route; 5] = [
    Route {
        report: "getEmailActivityUserDetail",
        period: "email_D7.csv",
        date: Some("email_daily.csv"),
        lenient: true,
    },
    Route { report: "getMailboxUsageDetail", period: "mailbox_D7.csv", date: None, lenient: true },
    Route { report: "getMailboxUsageQuotaStatusMailboxCounts", period: QUOTA_FILE, date: None, lenient: false },
    Route { report: "getEmailAppUsageAppsUserCounts", period: APPS_FILE, date: None, lenient: false },
    Route { report: "getEmailAppUsageUserDetail", period: APP_USER_FILE, date: Some(APP_USER_FILE), lenient: false },
];

/// What is derived from a tenant: the CSVs by file name (each with its
/// `empty_` twin) and the mail addresses that message trace draws from.
pub struct Derived {
    /// The derived CSVs, by file name.
    pub files: BTreeMap<String, Arc<Vec<u8>>>,
    /// The tenant's users' addresses (real ones only, not concealed ones).
    pub addresses: Vec<String>,
}

/// Derives the reports and the address list from `mailbox_D7.csv` and
/// `email_D7.csv`; a tenant without them gets header-only reports.
pub fn derive(tenant: &Tenant) -> Derived {
    let rows = |name: &str| {
        tenant
            .file(name)
            .map(|data| read_rows(&String::from_utf8_lossy(data.strip_prefix(BOM).unwrap_or(data))))
            .unwrap_or_default()
    };
    let mailbox = Table::new(rows("mailbox_D7.csv"));
    let email = Table::new(rows("email_D7.csv"));
    let app_user = app_user_rows(&email);
    let mut files = BTreeMap::new();
    let mut put = |name: &str, head: Vec<String>, body: Vec<Vec<String>>| {
        let mut out = BOM.to_vec();
        write_row(&mut out, &head);
        files.insert(format!("empty_{name}"), Arc::new(out.clone()));
        for row in &body {
            write_row(&mut out, row);
        }
        files.insert(name.to_string(), Arc::new(out));
    };
    let strings = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    put(QUOTA_FILE, strings(&QUOTA_COLS), quota_rows(&mailbox));
    put(APPS_FILE, apps_head(), apps_rows(&email, &app_user));
    put(APP_USER_FILE, app_user_head(), app_user);
    let addresses = mailbox.column("User Principal Name").filter(|u| u.contains('@')).map(str::to_string).collect();
    Derived { files, addresses }
}

/// A parsed report: its header and its rows, read by column name.
struct Table {
    head: Vec<String>,
    body: Vec<Vec<String>>,
}

impl Table {
    fn new(mut rows: Vec<Vec<String>>) -> Table {
        let head = if rows.is_empty() { Vec::new() } else { rows.remove(0) };
        Table { head, body: rows }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.head.iter().position(|c| c == name)
    }

    /// The cell of `row` in column `name` (empty when either is missing).
    fn cell<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        self.index(name).and_then(|i| row.get(i)).map_or("", String::as_str)
    }

    fn column<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.body.iter().map(move |row| self.cell(row, name))
    }

    /// The report's refresh date (the first row's), or the fixtures' date when it has no rows.
    fn refresh_date(&self) -> String {
        self.body
            .first()
            .map(|r| self.cell(r, "Report Refresh Date"))
            .filter(|d| day_of(d).is_some())
            .map_or_else(|| "2026-11-22".to_string(), str::to_string)
    }
}

/// The quota level of each mailbox that is not deleted, from its storage and
/// quotas: 0 under the limit, 1 warning issued, 2 send prohibited, 3
/// send/receive prohibited; `None` (indeterminate) when a value is missing.
fn quota_levels(mailbox: &Table) -> Vec<Option<usize>> {
    mailbox
        .body
        .iter()
        .filter(|r| mailbox.cell(r, "Is Deleted") != "True")
        .map(|row| {
            let number = |name: &str| mailbox.cell(row, name).parse::<u64>().ok();
            let used = number("Storage Used (Byte)")?;
            let limits = [
                number("Issue Warning Quota (Byte)")?,
                number("Prohibit Send Quota (Byte)")?,
                number("Prohibit Send/Receive Quota (Byte)")?,
            ];
            Some(limits.iter().filter(|limit| used >= **limit).count())
        })
        .collect()
}

/// One row per day of the period, the latest first: the latest day counts the
/// mailboxes as the mailbox usage report shows them; on earlier days each
/// mailbox over a quota stood one level lower per two days back (a growing
/// mailbox passes warning, then send prohibited, then send/receive
/// prohibited), so that every column has counts and only the latest row
/// agrees with the mailbox usage report.
fn quota_rows(mailbox: &Table) -> Vec<Vec<String>> {
    let refresh = mailbox.refresh_date();
    let levels = quota_levels(mailbox);
    (0..PERIOD_DAYS)
        .map(|back| {
            let step = usize::try_from(back).unwrap_or(0).div_ceil(2);
            let mut counts = [0u64; 5];
            for level in &levels {
                counts[level.map_or(4, |l| l.saturating_sub(step))] += 1;
            }
            let mut row = vec![refresh.clone()];
            row.extend(counts.iter().map(u64::to_string));
            row.push(shift_date(&refresh, -back));
            row.push(PERIOD_DAYS.to_string());
            row
        })
        .collect()
}

fn apps_head() -> Vec<String> {
    let mut head = vec!["Report Refresh Date".to_string()];
    head.extend(APP_COLS.iter().map(|c| c.to_string()));
    head.push("Report Period".to_string());
    head
}

/// The one row of `getEmailAppUsageAppsUserCounts`: per app, the users of the
/// user detail report with that app's cell filled.
fn apps_rows(email: &Table, app_user: &[Vec<String>]) -> Vec<Vec<String>> {
    let lead = APP_USER_LEAD.len();
    let mut row = vec![email.refresh_date()];
    for app in 0..APP_COLS.len() {
        let users = app_user.iter().filter(|r| r.get(lead + app).is_some_and(|c| !c.is_empty())).count();
        row.push(users.to_string());
    }
    row.push(PERIOD_DAYS.to_string());
    vec![row]
}

fn app_user_head() -> Vec<String> {
    let mut head: Vec<String> = APP_USER_LEAD.iter().map(|c| c.to_string()).collect();
    head.extend(APP_COLS.iter().map(|c| c.to_string()));
    head.push("Report Period".to_string());
    head
}

/// A date written as a date-time, as this report has written its refresh and
/// last activity dates since November 2021.
fn as_datetime(date: &str) -> String {
    if date.len() == 10 && day_of(date).is_some() {
        format!("{date}T00:00:00Z")
    } else {
        date.to_string()
    }
}

/// `getEmailAppUsageUserDetail`: the users of the email activity report, each
/// active one with the apps its user principal name's digest picks (a cell
/// holds the versions seen, `Yes` or `Undetermined`; empty when unused), so
/// that some users still read mail over POP3, IMAP4 or SMTP.
fn app_user_rows(email: &Table) -> Vec<Vec<String>> {
    email
        .body
        .iter()
        .map(|row| {
            let upn = email.cell(row, "User Principal Name");
            let last = email.cell(row, "Last Activity Date");
            let digest = Md5::digest(upn.as_bytes());
            let mut out = vec![
                as_datetime(email.cell(row, "Report Refresh Date")),
                upn.to_string(),
                email.cell(row, "Display Name").to_string(),
                email.cell(row, "Is Deleted").to_string(),
                email.cell(row, "Deleted Date").to_string(),
                as_datetime(last),
            ];
            // Per app: (one chance in `of`, `under` of them), and what a used cell says.
            let picks: [(u8, u8, &str); 9] = [
                (12, 1, "Undetermined"),
                (10, 1, "Undetermined"),
                (10, 6, OUTLOOK_VERSIONS[usize::from(digest[10]) % OUTLOOK_VERSIONS.len()]),
                (10, 5, "Undetermined"),
                (10, 1, "Yes"),
                (10, 7, "Undetermined"),
                (7, 1, "Yes"),
                (5, 1, "Yes"),
                (4, 1, "Yes"),
            ];
            for (i, (of, under, used)) in picks.into_iter().enumerate() {
                let on = !last.is_empty() && digest[i] % of < under;
                out.push(if on { used.to_string() } else { String::new() });
            }
            out.push(PERIOD_DAYS.to_string());
            out
        })
        .collect()
}
