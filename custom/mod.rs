//! The Office 365 custom modes: how the plugin reaches Microsoft's APIs.
//!
//! Every custom mode implements [`Api`]; modes only ever talk to that trait. Reports
//! are handed over row by row to a visitor while the download streams in: no report
//! is ever held in memory whole.

use centreon_plugin::error::{Error, Result};
use centreon_plugin::registry::Run;

pub mod assertion;
pub mod certificate;
pub mod client;
pub mod cloud;
pub mod graphapi;
pub mod managementapi;
pub mod report;
pub mod token;

/// Names of what a custom mode can provide, matched against what a mode requires.
pub mod capability {
    /// The `getEmailActivityUserDetail` report.
    pub const EMAIL_ACTIVITY: &str = "email-activity-report";
    /// The `getMailboxUsageDetail` report.
    pub const MAILBOX_USAGE: &str = "mailbox-usage-report";
    /// Service health overviews with their issues.
    pub const SERVICE_HEALTH: &str = "service-health";
}

/// Which report to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportQuery<'a> {
    /// A period such as `D7` (`(period='D7')`).
    Period(&'a str),
    /// One day, `YYYY-MM-DD` as the report gave it (`(date=2026-11-22)`).
    Date(&'a str),
}

/// One row of the email activity user detail report. Counts are `None` when the
/// cell is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailActivityRow<'a> {
    pub report_refresh_date: &'a str,
    pub user_principal_name: &'a str,
    pub last_activity_date: &'a str,
    pub send_count: Option<u64>,
    pub receive_count: Option<u64>,
    pub read_count: Option<u64>,
    /// Raw text: `7` for period reports, `1` for daily ones.
    pub report_period: &'a str,
}

/// One row of the mailbox usage detail report. Numbers are `None` when the cell is
/// empty (Microsoft leaves quotas empty for some recipients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxUsageRow<'a> {
    pub report_refresh_date: &'a str,
    pub user_principal_name: &'a str,
    pub last_activity_date: &'a str,
    pub item_count: Option<u64>,
    pub storage_used: Option<u64>,
    pub issue_warning_quota: Option<u64>,
    pub prohibit_send_quota: Option<u64>,
    pub prohibit_send_receive_quota: Option<u64>,
}

/// One issue open (or resolved) on a service: what `service-status` shows and lets
/// status expressions test.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceIssue {
    /// e.g. `EX279057`.
    pub id: String,
    /// One line for humans.
    pub title: String,
    /// `incident` or `advisory` (filtered by `--include/--exclude-classification`).
    pub classification: String,
    /// The issue's own status, e.g. `serviceRestored`.
    pub status: String,
    /// ISO 8601, as the API gave it.
    pub start_date_time: String,
    /// Resolved issues are dropped unless `--exclude-resolved=0`.
    pub is_resolved: bool,
}

/// The health of one Microsoft 365 service, in the Graph model (the Management API's
/// shape is mapped onto it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceHealth {
    /// Short id, e.g. `Exchange`.
    pub id: String,
    /// Display name, e.g. `Exchange Online`.
    pub service: String,
    /// e.g. `serviceOperational`.
    pub status: String,
    /// Open and resolved issues alike; the modes filter them.
    pub issues: Vec<ServiceIssue>,
}

/// The visitor of [`Api::email_activity`]: called once per row, rows borrowed only
/// for the call.
pub type EmailActivityVisit<'v> = &'v mut dyn for<'r> FnMut(&EmailActivityRow<'r>) -> Result<()>;

/// The visitor of [`Api::mailbox_usage`]: called once per row, rows borrowed only
/// for the call.
pub type MailboxUsageVisit<'v> = &'v mut dyn for<'r> FnMut(&MailboxUsageRow<'r>) -> Result<()>;

/// What every custom mode offers the modes. A capability a custom mode lacks keeps the
/// default body; the driver refuses such a combination before calling it.
pub trait Api {
    /// Streams the email activity report, row by row.
    fn email_activity(&mut self, query: ReportQuery<'_>, visit: EmailActivityVisit<'_>) -> Result<()> {
        let _ = (query, visit);
        Err(unavailable(capability::EMAIL_ACTIVITY))
    }

    /// Streams the mailbox usage report, row by row.
    fn mailbox_usage(&mut self, query: ReportQuery<'_>, visit: MailboxUsageVisit<'_>) -> Result<()> {
        let _ = (query, visit);
        Err(unavailable(capability::MAILBOX_USAGE))
    }

    /// Every service with its issues, all pages read.
    fn service_health(&mut self) -> Result<Vec<ServiceHealth>> {
        Err(unavailable(capability::SERVICE_HEALTH))
    }

    /// The `--debug` lines gathered since the last call (HTTP exchanges, secrets
    /// masked). The API outlives the borrow of the run's log, so the mode moves these
    /// lines into it after each call, whether the call failed or not.
    fn take_debug(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Non-fatal messages the check appends to its short output, as Perl does with
    /// `Cannot write statefile '…': …` when the token cache cannot be written.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Lines the check adds to its long output: facts worth an admin's attention that
    /// change no status, such as a client certificate that expires soon.
    fn take_details(&mut self) -> Vec<String> {
        Vec::new()
    }
}

fn unavailable(capability: &str) -> Error {
    Error::new(format!("this custom mode does not provide '{capability}'"))
}

/// The API a custom mode's constructor built, as the modes receive it.
pub type BoxedApi = Box<dyn Api>;

/// Runs `calls` on the custom mode's API, then moves what the API gathered into the
/// run, whether the calls succeeded or not: its `--debug` lines into the debug log,
/// its non-fatal warnings into the run's notices.
pub fn with_api<T>(run: &mut Run<'_>, calls: impl FnOnce(&mut dyn Api) -> Result<T>) -> Result<T> {
    let debug = run.debug;
    let api = run
        .custom
        .downcast_mut::<BoxedApi>()
        .ok_or_else(|| Error::new("the selected custom mode does not implement the Office 365 API"))?;
    let result = calls(api.as_mut());
    for line in api.take_debug() {
        debug.log(line);
    }
    let (warnings, details) = (api.take_warnings(), api.take_details());
    for warning in warnings {
        run.notice(warning);
    }
    for detail in details {
        run.detail(detail);
    }
    result
}
