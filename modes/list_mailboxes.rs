//! `list-mailboxes`: the mailboxes of the mailbox usage report, for Centreon's
//! service discovery (`--disco-format`, `--disco-show`) and as a plain listing:
//! `List mailboxes:` then one `[upn: …] [display_name: …] …` line per row, in the
//! report's order.
//!
//! Each mailbox comes with `filter_mailbox`, a regex selecting it and nothing else
//! (`^alice\.smith@contoso\.com$`): what a discovery rule puts in the
//! `--filter-mailbox` of a per-mailbox `mailbox-usage` service, so that nobody has
//! to escape a name by hand. Rows are listed as the report gives them: a name that
//! repeats (concealed names are hashes, which several mailboxes can share) is listed
//! each time, and `is_concealed` says which names are concealed, so that a discovery
//! rule can leave them out.

use centreon_plugin::error::{Error, Result};
use centreon_plugin::options::{OptionSpec, Text};
use centreon_plugin::pattern;
use centreon_plugin::registry::{Item, Items, ModeKind, ModeSpec};

use super::share::{self, PrincipalFilter};
use super::{Mode, Run};
use crate::custom::{report_columns, Capability, ReportQuery, ReportSpec, Row};

inventory::submit! {
    Mode(ModeSpec {
        name: "list-mailboxes",
        perl_module: "cloud::microsoft::office365::exchange::mode::listmailboxes",
        description: "List mailboxes, from the mailbox usage report of the last 7 days, for service discovery.\n\n\
            --disco-format names the attributes and --disco-show gives them for each mailbox: upn, display_name, \
            recipient_type (User or Shared; empty when the report lacks that column), is_deleted, deleted_date, \
            created_date, last_activity_date, has_archive (empty when the report lacks that column), and \
            filter_mailbox: a regular expression selecting that mailbox alone (^alice\\.smith@contoso\\.com$), \
            ready for the --filter-mailbox of a per-mailbox service: --mode=mailbox-usage \
            --filter-mailbox='^alice\\.smith@contoso\\.com$' --filter-counters='^status$' --check-inactive-mailboxes.\n\n\
            When the tenant conceals user names in reports, the names are hashes that several mailboxes can \
            share: a per-mailbox service then checks all the mailboxes of one hash. is_concealed (True or False) \
            tells such names from real ones.",
        requires: Capability::Reports,
        options,
        kind: ModeKind::Listing { heading: "List mailboxes:", fields: &FIELDS, select },
    })
}

/// `--filter-mailbox`.
const FILTER_MAILBOX: Text =
    Text::new("filter-mailbox", "Filter mailboxes (regular expression on the user principal name).");

fn options() -> Vec<OptionSpec> {
    vec![FILTER_MAILBOX.spec()]
}

/// The report read: its D7 version, as `mailbox-usage` reads it.
const REPORT: &str = "getMailboxUsageDetail";

report_columns! {
    /// The columns listed, in listing order. `Recipient Type` is in the reports Microsoft
    /// exports but documented only in its beta API, and `Has Archive` is missing from its
    /// own example header: a report without them lists them empty.
    enum Columns {
        UserPrincipalName = "User Principal Name",
        DisplayName = "Display Name",
        RecipientType = "Recipient Type?",
        IsDeleted = "Is Deleted",
        DeletedDate = "Deleted Date",
        CreatedDate = "Created Date",
        LastActivityDate = "Last Activity Date",
        HasArchive = "Has Archive?",
    }
}

/// The attributes of a mailbox: one per column of [`Columns`], in its order, then the
/// regex selecting the mailbox and whether its name is concealed.
const FIELDS: [&str; Columns::ALL.len() + 2] = [
    "upn",
    "display_name",
    "recipient_type",
    "is_deleted",
    "deleted_date",
    "created_date",
    "last_activity_date",
    "has_archive",
    "filter_mailbox",
    "is_concealed",
];

/// One mailbox: its cells as the report gives them, then its `filter_mailbox` and
/// `is_concealed` (`True`/`False`, as the report writes `Is Deleted`).
fn item(row: &Row<'_>) -> Item {
    let upn = row.text(Columns::UserPrincipalName);
    let mut item: Item = Columns::ALL
        .into_iter()
        .zip(FIELDS)
        .map(|(column, field)| (field.to_string(), row.text(column).to_string()))
        .collect();
    let [filter_mailbox, is_concealed] = [FIELDS[Columns::ALL.len()], FIELDS[Columns::ALL.len() + 1]];
    item.push((filter_mailbox.to_string(), pattern::exactly(upn)));
    let concealed = if share::is_concealed(upn) { "True" } else { "False" };
    item.push((is_concealed.to_string(), concealed.to_string()));
    item
}

/// Reads the D7 report, handing over each mailbox `--filter-mailbox` keeps as it is
/// read: none is kept here, so a tenant of a million mailboxes lists in the memory of
/// one (the driver prints the list only if the report was read completely). A report
/// without any mailbox is an error, not an empty list: a discovery given an empty list
/// would remove every per-mailbox service, and no tenant has no mailbox.
fn select(run: &mut Run<'_>, items: &mut Items<'_>) -> Result<()> {
    let filter = PrincipalFilter::new(run.values, &FILTER_MAILBOX, run.debug)?;
    let request = ReportSpec { report: REPORT, query: ReportQuery::Period("D7"), columns: &Columns::NAMES };
    let mut rows = 0usize;
    run.api().reports()?.report(&request, &mut |row| {
        rows += 1;
        if filter.keeps(row.text(Columns::UserPrincipalName)) {
            items(item(row))?;
        }
        Ok(())
    })?;
    if rows == 0 {
        return Err(Error::new(format!("report {REPORT} lists no mailbox")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::report;

    fn items(csv: &str) -> Vec<Item> {
        let mut items = Vec::new();
        report::read(REPORT, csv.as_bytes(), &Columns::NAMES, &mut |row| {
            items.push(item(row));
            Ok(())
        })
        .expect("read");
        items
    }

    fn fields(item: &Item) -> Vec<(&str, &str)> {
        item.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn every_column_becomes_its_field_and_the_upn_its_exact_regex() {
        let csv = "Report Period,Has Archive,Recipient Type,Last Activity Date,Created Date,Deleted Date,Is Deleted,\
                   Display Name,User Principal Name,Report Refresh Date\n\
                   7,True,Shared,2026-11-20,2019-05-04,,False,\"Smith, Jr.\",o'brien.x@contoso.com,2026-11-22\n";
        assert_eq!(
            fields(&items(csv)[0]),
            [
                ("upn", "o'brien.x@contoso.com"),
                ("display_name", "Smith, Jr."),
                ("recipient_type", "Shared"),
                ("is_deleted", "False"),
                ("deleted_date", ""),
                ("created_date", "2019-05-04"),
                ("last_activity_date", "2026-11-20"),
                ("has_archive", "True"),
                ("filter_mailbox", r"^o\x27brien\.x@contoso\.com$"),
                ("is_concealed", "False"),
            ]
        );
    }

    #[test]
    fn columns_microsoft_may_leave_out_are_listed_empty() {
        let csv = "User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date\n\
                   a@x,A,True,2026-11-19,2019-05-04,\n";
        let listed = items(csv);
        let item = fields(&listed[0]);
        assert_eq!((item[2], item[7]), (("recipient_type", ""), ("has_archive", "")));
        assert_eq!(item[3], ("is_deleted", "True"));
    }

    #[test]
    fn concealed_names_are_flagged() {
        let csv = "User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date\n\
                   D41D8CD98F00B204E9800998ECF8427E,,False,,2019-05-04,\n\
                   a@x,A,False,,2019-05-04,\n";
        let flags: Vec<String> = items(csv).iter().map(|item| item[9].1.clone()).collect();
        assert_eq!(flags, ["True", "False"]);
    }
}
