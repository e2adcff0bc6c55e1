//! `email-app-usage`: how many users read their mail with each client (Outlook for
//! Windows, Mac, mobile and the web, Mail for Mac, other mobile apps) and over each
//! legacy protocol (POP3, IMAP4, SMTP) over the last 7 days; on request, the users
//! still on a legacy protocol, one instance each: the work list of a retirement of
//! basic authentication.
//!
//! The counts come from the apps user counts report (one request); the users from
//! the user detail report, read only when they are asked for.

use std::collections::BTreeMap;

use centreon_plugin::counters::{Check, Collected, Counter, Group, Groups, Output, Perf, Variable};
use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{Flag, OptionSpec, Text};
use centreon_plugin::registry::{ModeKind, ModeSpec};
use centreon_plugin::time;

use super::share::{self, Distinct, Instances, PrincipalFilter, ReportAge, Selection};
use super::{Mode, Run};
use crate::custom::{report_columns, Capability, ReportQuery, ReportSpec, Row};

inventory::submit! {
    Mode(ModeSpec {
        name: "email-app-usage",
        perl_module: "cloud::microsoft::office365::exchange::mode::emailappusage",
        list_rank: 2,
        description: concat!(
            "Check how many users read their mail with each email client and over each legacy protocol (POP3, \
            IMAP4, SMTP) over the last 7 days.\n\n\
            (See link for details about the report : \
            https://learn.microsoft.com/graph/api/reportroot-getemailappusageappsusercounts)\n\n\
            No threshold is set by default. To follow a retirement of basic authentication: \
            --warning-pop3=0 --warning-imap4=0 --warning-smtp=0 (any user alerts).\n\n\
            --legacy-users also reads the user detail report and shows, one instance each (--verbose), the users \
            who used POP3, IMAP4 or SMTP over the period (deleted users left out; --filter-user selects them by \
            user principal name). --warning-legacy-protocols and --critical-legacy-protocols are expressions over \
            %{display}, %{protocols} (e.g. 'POP3, SMTP') and %{last_activity} (YYYY-MM-DD), e.g. \
            --warning-legacy-protocols='%{protocols} =~ /POP3/'.\n\n",
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

/// `--legacy-users`.
const LEGACY_USERS: Flag =
    Flag::new("legacy-users", "List the users of POP3, IMAP4 or SMTP (one more report request).");

/// `--filter-user`.
const FILTER_USER: Text = Text::new("filter-user", "Filter the users listed by --legacy-users (user principal name).");

fn options() -> Vec<OptionSpec> {
    vec![LEGACY_USERS.spec(), FILTER_USER.spec()]
}

/// What the counters read.
struct AppUsage {
    apps: Apps,
    users: BTreeMap<String, LegacyUser>,
    age: ReportAge,
}

/// Users per app over the period, in [`APPS`] order; `None` when the report leaves
/// a count empty.
struct Apps {
    refreshed: String,
    counts: [Option<i64>; 9],
}

/// A user who used a legacy protocol over the period.
struct LegacyUser {
    /// The user principal name, ` (n)` added for the n-th row that shares it.
    display: String,
    /// The protocols used, `POP3, IMAP4, SMTP` or part of it, in that order.
    protocols: String,
    /// `YYYY-MM-DD`, empty when the report leaves it empty.
    last_activity: String,
}

impl LegacyUser {
    /// `uses POP3, SMTP (last activity 2026-11-18)`.
    fn text(&self) -> String {
        match self.last_activity.as_str() {
            "" => format!("uses {}", self.protocols),
            day => format!("uses {} (last activity {day})", self.protocols),
        }
    }
}

/// One app: its column in the counts report, its label, nlabel, legacy metric and
/// text.
struct App {
    column: CountColumns,
    label: &'static str,
    nlabel: &'static str,
    metric: &'static str,
    text: &'static str,
}

/// The email clients, then the legacy protocols ([`PROTOCOLS`] of them, last).
const APPS: [App; 9] = [
    App {
        column: CountColumns::OutlookForWindows,
        label: "outlook-windows",
        nlabel: "exchange.users.apps.outlookforwindows.count",
        metric: "outlook_windows",
        text: "Outlook for Windows: {}",
    },
    App {
        column: CountColumns::OutlookForMac,
        label: "outlook-mac",
        nlabel: "exchange.users.apps.outlookformac.count",
        metric: "outlook_mac",
        text: "Outlook for Mac: {}",
    },
    App {
        column: CountColumns::OutlookForMobile,
        label: "outlook-mobile",
        nlabel: "exchange.users.apps.outlookformobile.count",
        metric: "outlook_mobile",
        text: "Outlook for mobile: {}",
    },
    App {
        column: CountColumns::OutlookForWeb,
        label: "outlook-web",
        nlabel: "exchange.users.apps.outlookforweb.count",
        metric: "outlook_web",
        text: "Outlook on the web: {}",
    },
    App {
        column: CountColumns::MailForMac,
        label: "mail-mac",
        nlabel: "exchange.users.apps.mailformac.count",
        metric: "mail_mac",
        text: "Mail for Mac: {}",
    },
    App {
        column: CountColumns::OtherForMobile,
        label: "other-mobile",
        nlabel: "exchange.users.apps.otherformobile.count",
        metric: "other_mobile",
        text: "Other for mobile: {}",
    },
    App {
        column: CountColumns::Pop3App,
        label: "pop3",
        nlabel: "exchange.users.apps.pop3.count",
        metric: "pop3",
        text: "POP3: {}",
    },
    App {
        column: CountColumns::Imap4App,
        label: "imap4",
        nlabel: "exchange.users.apps.imap4.count",
        metric: "imap4",
        text: "IMAP4: {}",
    },
    App {
        column: CountColumns::SmtpApp,
        label: "smtp",
        nlabel: "exchange.users.apps.smtp.count",
        metric: "smtp",
        text: "SMTP: {}",
    },
];

/// How many of [`APPS`], at its end, are legacy protocols.
const PROTOCOLS: usize = 3;

/// The names of the legacy protocols, as the per-user text shows them.
const PROTOCOL_NAMES: [&str; PROTOCOLS] = ["POP3", "IMAP4", "SMTP"];

/// The counter of app `index`.
fn app_counter(index: usize) -> Counter<Apps> {
    let app = &APPS[index];
    Counter::value(
        app.label,
        app.nlabel,
        move |a: &Apps| a.counts[index],
        Output::Template(app.text),
        Perf::key(app.metric).unit("users"),
    )
}

/// The counters: users per client, users per legacy protocol, the legacy users.
fn groups() -> Groups<AppUsage> {
    let clients = (0..APPS.len() - PROTOCOLS).map(app_counter).collect();
    let protocols = (APPS.len() - PROTOCOLS..APPS.len()).map(app_counter).collect();
    let variables = vec![
        Variable::new("display", |u: &LegacyUser| u.display.clone()),
        Variable::new("protocols", |u: &LegacyUser| u.protocols.clone()),
        Variable::new("last_activity", |u: &LegacyUser| u.last_activity.clone()),
    ];
    let legacy = Counter::new(
        "legacy-protocols",
        |u: &LegacyUser| u.protocols.clone(),
        Output::custom(LegacyUser::text),
        Check::Status(variables),
    );
    Groups::new()
        .global(
            Group::new("clients", |a: &Apps| format!("Users per email app over 7 days to {}: ", a.refreshed), clients),
            |d: &AppUsage| &d.apps,
        )
        .global(
            // The report's day here too: the line may show the protocols alone.
            Group::new(
                "protocols",
                |a: &Apps| format!("Users per legacy protocol over 7 days to {}: ", a.refreshed),
                protocols,
            ),
            |d: &AppUsage| &d.apps,
        )
        .instances(
            Group::new("users", |u: &LegacyUser| format!("User '{}' ", u.display), vec![legacy]),
            "All users of legacy protocols are ok",
            |d: &AppUsage| &d.users,
        )
        .global(share::report_age_group(), |d: &AppUsage| &d.age)
}

/// The counts report, its D7 version.
const COUNTS: &str = "getEmailAppUsageAppsUserCounts";

/// The user detail report, its D7 version.
const USERS: &str = "getEmailAppUsageUserDetail";

report_columns! {
    /// The columns of the counts report: the refresh date, then one per app of [`APPS`].
    enum CountColumns {
        ReportRefreshDate = "Report Refresh Date",
        OutlookForWindows = "Outlook For Windows",
        OutlookForMac = "Outlook For Mac",
        OutlookForMobile = "Outlook For Mobile",
        OutlookForWeb = "Outlook For Web",
        MailForMac = "Mail For Mac",
        OtherForMobile = "Other For Mobile",
        Pop3App = "POP3 App",
        Imap4App = "IMAP4 App",
        SmtpApp = "SMTP App",
    }
}

report_columns! {
    /// The columns of the user detail report read; the legacy protocols have the
    /// same names as in the counts report.
    enum UserColumns {
        UserPrincipalName = "User Principal Name",
        IsDeleted = "Is Deleted",
        LastActivityDate = "Last Activity Date",
        Pop3App = CountColumns::Pop3App.name(),
        Imap4App = CountColumns::Imap4App.name(),
        SmtpApp = CountColumns::SmtpApp.name(),
    }
}

/// The columns of the legacy protocols in the user detail report, in
/// [`PROTOCOL_NAMES`] order.
const PROTOCOL_COLUMNS: [UserColumns; PROTOCOLS] = [UserColumns::Pop3App, UserColumns::Imap4App, UserColumns::SmtpApp];

/// The one row of the counts report.
fn read_counts(row: &Row<'_>) -> Result<Apps> {
    let mut counts = [None; APPS.len()];
    for (count, app) in counts.iter_mut().zip(&APPS) {
        *count = row.count(app.column)?;
    }
    Ok(Apps { refreshed: row.date(CountColumns::ReportRefreshDate)?.unwrap_or_default().to_string(), counts })
}

/// One row of the user detail report.
#[derive(Debug)]
struct UserRow<'r> {
    user_principal_name: &'r str,
    is_deleted: bool,
    last_activity_date: &'r str,
    /// Whether each legacy protocol was used: a cell that is not empty (it lists
    /// versions, `Yes` or `Undetermined`).
    protocols: [bool; PROTOCOLS],
}

impl<'r> UserRow<'r> {
    /// The row's cells.
    fn read(row: &Row<'r>) -> Result<Self> {
        Ok(UserRow {
            user_principal_name: row.text(UserColumns::UserPrincipalName),
            is_deleted: row.text(UserColumns::IsDeleted).trim().eq_ignore_ascii_case("true"),
            last_activity_date: row.date(UserColumns::LastActivityDate)?.unwrap_or_default(),
            protocols: PROTOCOL_COLUMNS.map(|column| !row.text(column).trim().is_empty()),
        })
    }
}

/// The legacy users of the user detail report.
#[derive(Default)]
struct Users {
    users: Distinct<LegacyUser>,
}

impl Users {
    /// Keeps a user who is not deleted, passes the filter and used a legacy
    /// protocol. Users whose names the report conceals behind one value each keep
    /// their own instance, `NAME (n)` from the second on.
    fn add(&mut self, row: &UserRow<'_>, filter: &PrincipalFilter<'_>) {
        let upn = row.user_principal_name;
        if row.is_deleted || !row.protocols.contains(&true) || !filter.keeps(upn) {
            return;
        }
        let protocols: Vec<&str> =
            PROTOCOL_NAMES.iter().zip(row.protocols).filter(|(_, used)| *used).map(|(name, _)| *name).collect();
        let (protocols, last_activity) = (protocols.join(", "), row.last_activity_date.to_string());
        self.users.insert(upn, |display| LegacyUser { display, protocols, last_activity });
    }
}

/// Reads the counts report, and the user detail report when the legacy users are
/// asked for (`--legacy-users`) and shown.
fn select(run: &mut Run<'_>) -> Result<Collected> {
    let groups = groups();
    let Selection { instances, filter } = Selection::new(run, &groups.declarations().instance_labels(), &FILTER_USER)?;
    let wanted = run.values.flag(&LEGACY_USERS) && instances == Instances::Keep;
    let reports = run.api().reports()?;
    let mut apps = Vec::new();
    let counts = ReportSpec { report: COUNTS, query: ReportQuery::Period("D7"), columns: &CountColumns::NAMES };
    reports.report(&counts, &mut |row| {
        apps.push(read_counts(row)?);
        Ok(())
    })?;
    let apps = match <[Apps; 1]>::try_from(apps) {
        Ok([apps]) => apps,
        Err(rows) => {
            return Err(Error::new(format!("report {COUNTS}(period='D7') holds {} rows, one expected", rows.len())))
        }
    };
    let mut users = Users::default();
    if wanted {
        let detail = ReportSpec { report: USERS, query: ReportQuery::Period("D7"), columns: &UserColumns::NAMES };
        reports.report(&detail, &mut |row| {
            users.add(&UserRow::read(row)?, &filter);
            Ok(())
        })?;
        filter.check_concealed(run.notices())?;
    }
    let age = ReportAge::new(&apps.refreshed, time::now());
    Ok(groups.with(AppUsage { apps, users: users.users.into_records(), age }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::report;

    #[test]
    fn counts_are_read_by_column_name() {
        let csv = "Report Period,SMTP App,IMAP4 App,POP3 App,Outlook For Web,Other For Mobile,Outlook For Mobile,\
                   Outlook For Windows,Outlook For Mac,Mail For Mac,Report Refresh Date\n\
                   7,7,6,5,4,,3,2,1,0,2026-11-22T00:00:00Z\n";
        let mut apps = Vec::new();
        report::read(COUNTS, csv.as_bytes(), &CountColumns::NAMES, &mut |row| {
            apps.push(read_counts(row)?);
            Ok(())
        })
        .expect("read");
        assert_eq!(apps[0].refreshed, "2026-11-22");
        assert_eq!(apps[0].counts, [Some(2), Some(1), Some(3), Some(4), Some(0), None, Some(5), Some(6), Some(7)]);
    }

    #[test]
    fn legacy_users_are_the_live_users_with_a_legacy_cell() {
        let csv = "User Principal Name,Is Deleted,Last Activity Date,POP3 App,IMAP4 App,SMTP App\n\
                   a@x,False,2026-11-18T00:00:00Z,Yes,,Yes\n\
                   b@x,False,2026-11-18,,,\n\
                   c@x,True,2026-11-01,Yes,,\n\
                   H,False,,,Undetermined,\n\
                   H,False,2026-11-20,Yes,,\n";
        let debug = centreon_plugin::debug::DebugLog::default();
        let filter = PrincipalFilter::new(&Default::default(), &FILTER_USER, &debug).expect("no filter");
        let mut users = Users::default();
        report::read(USERS, csv.as_bytes(), &UserColumns::NAMES, &mut |row| {
            users.add(&UserRow::read(row)?, &filter);
            Ok(())
        })
        .expect("read");
        let shown: Vec<String> = users.users.values().map(|u| format!("{} {}", u.display, u.text())).collect();
        assert_eq!(
            shown,
            [
                "H uses IMAP4",
                "H (2) uses POP3 (last activity 2026-11-20)",
                "a@x uses POP3, SMTP (last activity 2026-11-18)"
            ]
        );
    }
}
