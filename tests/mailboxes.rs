//! One service per mailbox, end to end against the project's stand-in for Microsoft:
//! `list-mailboxes` (the plain listing, the discovery documents Centreon reads, the
//! filter, bad input, the refusal of `managementapi`) and what a discovered service
//! runs, `mailbox-usage --filter-mailbox=… --check-inactive-mailboxes`.

use std::collections::BTreeSet;

use crate::common::plugin::{self, Outcome, Plugin};
use crate::common::TempDir;
use crate::mock::{Fault, Host, MockGraph, Tenant};
use serde_json::Value;

const REPORT_CALL: &str = "/v1.0/reports/getMailboxUsageDetail(period='D7')";
/// The report date of the fixtures and of generated tenants.
const REPORT_DATE: &str = "2026-11-22";
/// The mailboxes of the `tenant40` fixture.
const MAILBOXES: usize = 40;
/// The first mailbox of `tenant40`, as listed.
const FIRST: &str = "[upn: user000000@contoso.onmicrosoft.com] [display_name: Kenji Smith, Jr.] \
    [recipient_type: User] [is_deleted: False] [deleted_date: ] [created_date: 2019-05-04] \
    [last_activity_date: 2026-11-18] [has_archive: True] \
    [filter_mailbox: ^user000000@contoso\\.onmicrosoft\\.com$] [is_concealed: False]";

/// Runs the plugin against `mock` with `custom` (`graphapi` or `managementapi`), the
/// credentials the mock accepts, `args` and a fresh token cache.
fn run_with(mock: &MockGraph, custom: &str, args: &[&str]) -> Outcome {
    let custom = format!("--custommode={custom}");
    plugin::run(mock, &[&[custom.as_str()], args].concat())
}

/// [`run_with`] through `graphapi`.
fn run(mock: &MockGraph, args: &[&str]) -> Outcome {
    run_with(mock, "graphapi", args)
}

/// A stand-in serving `tenant40`.
fn start() -> MockGraph {
    MockGraph::builder().start().expect("mock starts")
}

/// The discovered mailboxes of a `--disco-show --output-json` answer.
fn discovered(outcome: &Outcome) -> Vec<Value> {
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);
    let document: Value = serde_json::from_str(&outcome.stdout).expect("a JSON document");
    document["data"].as_array().expect("a data array").clone()
}

/// The mailboxes named in a `mailbox-usage` answer (`Mailbox 'NAME' …`), in order.
fn mailboxes_checked(stdout: &str) -> Vec<String> {
    stdout
        .split("Mailbox '")
        .skip(1)
        .filter_map(|rest| rest.split_once('\'').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn the_listing_shows_every_row_through_the_download_redirect() {
    let mock = start();
    let outcome = run(&mock, &["--mode=list-mailboxes"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);
    let mut lines = outcome.stdout.lines();
    assert_eq!(lines.next(), Some("List mailboxes: "));
    let listed: Vec<&str> = lines.collect();
    assert_eq!(listed.len(), MAILBOXES, "{}", outcome.stdout);
    assert_eq!(listed[0], FIRST);
    assert!(
        listed[3].starts_with(
            "[upn: user000003@contoso.onmicrosoft.com] [display_name: Søren \"The Boss\" Lee] [recipient_type: User]"
        ),
        "quoted cells are read whole: {}",
        listed[3]
    );
    assert!(listed[37].contains("[recipient_type: Shared]"), "{}", listed[37]);

    let requests = mock.requests();
    let call = requests.iter().position(|r| r.host == Host::Graph && r.path == REPORT_CALL).expect("report call");
    assert!(requests[call].authorization, "the report call carries the token");
    let download = requests.iter().skip(call).find(|r| r.host == Host::Download).expect("the redirect is followed");
    assert!(!download.authorization, "the download URL is pre-authenticated: no token there");
    assert_eq!(mock.report_calls("getMailboxUsageDetail"), 1);
}

#[test]
fn columns_are_read_by_name_after_the_bom_and_absent_optional_ones_list_empty() {
    let fixture = TempDir::new("mailboxes-fixture").expect("fixture dir");
    // User Principal Name first, right after the BOM; neither Recipient Type nor
    // Has Archive, as Microsoft's own example header.
    let csv = "\u{FEFF}User Principal Name,Report Refresh Date,Display Name,Is Deleted,Deleted Date,Created Date,\
               Last Activity Date,Report Period\r\n\
               alice.smith@contoso.com,2026-11-22,Alice Smith,True,2026-11-20,2020-01-02,2026-11-19,7\r\n";
    std::fs::write(fixture.path().join("mailbox_D7.csv"), csv).expect("fixture written");
    let mock = MockGraph::builder().fixture_dir(fixture.path()).start().expect("mock starts");
    let outcome = run(&mock, &["--mode=list-mailboxes"]);
    assert_eq!(
        outcome.stdout,
        "List mailboxes: \n[upn: alice.smith@contoso.com] [display_name: Alice Smith] [recipient_type: ] \
         [is_deleted: True] [deleted_date: 2026-11-20] [created_date: 2020-01-02] [last_activity_date: 2026-11-19] \
         [has_archive: ] [filter_mailbox: ^alice\\.smith@contoso\\.com$] [is_concealed: False]\n"
    );
    assert_eq!(outcome.code, 0);
}

#[test]
fn reordered_columns_list_the_same() {
    let plain = run(&start(), &["--mode=list-mailboxes"]);
    let reordered =
        run(&MockGraph::builder().fault(Fault::ReorderedColumns).start().expect("mock"), &["--mode=list-mailboxes"]);
    assert_eq!(reordered.stdout, plain.stdout);
}

#[test]
fn the_filter_keeps_the_matching_mailboxes() {
    let mock = start();
    let outcome = run(&mock, &["--mode=list-mailboxes", "--filter-mailbox=^user00000[0-2]@"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);
    let upns: Vec<&str> =
        outcome.stdout.lines().skip(1).filter_map(|line| line.strip_prefix("[upn: ")?.split(']').next()).collect();
    assert_eq!(
        upns,
        [
            "user000000@contoso.onmicrosoft.com",
            "user000001@contoso.onmicrosoft.com",
            "user000002@contoso.onmicrosoft.com"
        ]
    );
    let none = run(&mock, &["--mode=list-mailboxes", "--filter-mailbox=^nobody@"]);
    assert_eq!((none.stdout.as_str(), none.code), ("List mailboxes: \n", 0), "a filter may keep nothing");
}

#[test]
fn disco_format_names_the_attributes() {
    let mock = start();
    let xml = run(&mock, &["--mode=list-mailboxes", "--disco-format"]);
    assert_eq!(
        xml.stdout,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<data>\n  <element>upn</element>\n  \
         <element>display_name</element>\n  <element>recipient_type</element>\n  <element>is_deleted</element>\n  \
         <element>deleted_date</element>\n  <element>created_date</element>\n  \
         <element>last_activity_date</element>\n  <element>has_archive</element>\n  \
         <element>filter_mailbox</element>\n  <element>is_concealed</element>\n</data>\n"
    );
    assert_eq!(xml.code, 0);
    let json = run(&mock, &["--mode=list-mailboxes", "--disco-format", "--output-json"]);
    assert_eq!(
        json.stdout,
        "{\"data\":[\"upn\",\"display_name\",\"recipient_type\",\"is_deleted\",\"deleted_date\",\"created_date\",\
         \"last_activity_date\",\"has_archive\",\"filter_mailbox\",\"is_concealed\"]}"
    );
    assert_eq!(mock.report_requests(), 0, "the attributes are known without asking Microsoft");
}

#[test]
fn disco_show_gives_every_mailbox_with_its_attributes() {
    let mock = start();
    let xml = run(&mock, &["--mode=list-mailboxes", "--disco-show"]);
    assert_eq!(xml.code, 0, "{}", xml.stdout);
    assert!(xml.stdout.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<data>\n"), "{}", xml.stdout);
    assert_eq!(xml.stdout.matches("<label ").count(), MAILBOXES);
    assert!(
        xml.stdout.contains(
            "  <label created_date=\"2019-05-04\" deleted_date=\"\" display_name=\"Søren &quot;The Boss&quot; Lee\" \
             filter_mailbox=\"^user000003@contoso\\.onmicrosoft\\.com$\" has_archive=\"True\" is_concealed=\"False\" \
             is_deleted=\"False\" last_activity_date=\"2026-10-31\" recipient_type=\"User\" upn=\"user000003@contoso.onmicrosoft.com\"/>\n"
        ),
        "{}",
        xml.stdout
    );

    let json = discovered(&run(&mock, &["--mode=list-mailboxes", "--disco-show", "--output-json"]));
    assert_eq!(json.len(), MAILBOXES);
    assert_eq!(json[3]["display_name"], "Søren \"The Boss\" Lee");
    assert_eq!(json[37]["recipient_type"], "Shared");
    for mailbox in &json {
        let fields = mailbox.as_object().expect("an object per mailbox");
        assert_eq!(fields.len(), 10, "{mailbox}");
        let upn = mailbox["upn"].as_str().expect("upn");
        assert_eq!(mailbox["filter_mailbox"], format!("^{}$", upn.replace('.', "\\.")), "{mailbox}");
    }
}

/// The pattern `docs/operations.md` describes: what discovery gives a mailbox,
/// put in `--filter-mailbox`, checks that mailbox alone, active or not.
#[test]
fn a_discovered_mailbox_is_checked_alone() {
    let mock = start();
    let found = discovered(&run(&mock, &["--mode=list-mailboxes", "--disco-show", "--output-json"]));
    // user000001 is a prefix of user000010..19: only the anchored regex keeps it alone.
    let second = found.iter().find(|m| m["upn"] == "user000001@contoso.onmicrosoft.com").expect("user000001");
    let filter = format!("--filter-mailbox={}", second["filter_mailbox"].as_str().expect("filter_mailbox"));
    let outcome =
        run(&mock, &["--mode=mailbox-usage", &filter, "--filter-counters=^status$", "--check-inactive-mailboxes"]);
    assert_eq!(
        outcome.stdout,
        "OK: Mailbox 'user000001@contoso.onmicrosoft.com' Used: 545.48 MB Issue Warning Quota: 49.50 GB \
         Prohibit Send Quota: 49.75 GB Prohibit Send/Receive Quota: 50.00 GB | 'used'=571981485B;;;0;\n"
    );
    assert_eq!(outcome.code, 0);
}

/// `user000037` is a shared mailbox over its quotas, inactive on the report date:
/// checked only with `--check-inactive-mailboxes`. The default keeps the Perl
/// plugin's output.
#[test]
fn inactive_mailboxes_are_checked_on_demand() {
    let mock = start();
    let args = ["--mode=mailbox-usage", "--filter-mailbox=^user00003[6-8]@", "--filter-counters=^status$"];
    // No mailbox of the three is active: nothing is checked, as by the Perl plugin.
    let default = run(&mock, &args);
    assert_eq!((default.stdout.as_str(), default.code), ("OK:  \n", 0));

    let inactive = run(&mock, &[&args[..], &["--check-inactive-mailboxes"]].concat());
    assert_eq!(inactive.code, 2, "{}", inactive.stdout);
    assert!(
        inactive.stdout.starts_with("CRITICAL: Mailbox 'user000037@contoso.onmicrosoft.com' Used: "),
        "{}",
        inactive.stdout
    );
    let status_line = inactive.stdout.lines().next().unwrap_or_default();
    assert_eq!(mailboxes_checked(status_line), ["user000037@contoso.onmicrosoft.com"], "{}", inactive.stdout);
    let verbose = run(&mock, &[&args[..], &["--check-inactive-mailboxes", "--verbose"]].concat());
    assert_eq!(
        mailboxes_checked(&verbose.stdout),
        [
            "user000037@contoso.onmicrosoft.com",
            "user000036@contoso.onmicrosoft.com",
            "user000037@contoso.onmicrosoft.com",
            "user000038@contoso.onmicrosoft.com"
        ],
        "{}",
        verbose.stdout
    );
}

/// With `--check-inactive-mailboxes`, every mailbox is checked but those both
/// deleted and inactive (mailboxes active on the report date are checked, deleted or
/// not, as by the Perl plugin).
#[test]
fn deleted_inactive_mailboxes_stay_unchecked() {
    // Every 53rd user of a generated tenant is deleted.
    let mock = MockGraph::builder().tenant(Tenant::generated(160, 7)).start().expect("mock starts");
    let listed = discovered(&run(&mock, &["--mode=list-mailboxes", "--disco-show", "--output-json"]));
    let gone = |m: &Value| m["is_deleted"] == "True" && m["last_activity_date"] != REPORT_DATE;
    let expected: BTreeSet<String> =
        listed.iter().filter(|m| !gone(m)).map(|m| m["upn"].as_str().unwrap_or_default().to_string()).collect();
    assert!(listed.iter().any(gone), "the tenant has a deleted, inactive mailbox");
    let outcome =
        run(&mock, &["--mode=mailbox-usage", "--filter-counters=^status$", "--check-inactive-mailboxes", "--verbose"]);
    let checked: BTreeSet<String> = mailboxes_checked(&outcome.stdout).into_iter().collect();
    assert_eq!(checked, expected, "{}", outcome.stdout);
}

#[test]
fn a_bad_filter_is_refused_before_any_request() {
    let mock = start();
    let outcome = run(&mock, &["--mode=list-mailboxes", "--filter-mailbox=("]);
    assert_eq!(outcome.stdout, "UNKNOWN: Invalid regular expression in --filter-mailbox '(': unclosed group. \n");
    assert_eq!(outcome.code, 3);
    assert_eq!(mock.report_requests(), 0);
}

#[test]
fn managementapi_refuses_before_any_request() {
    let mock = start();
    let outcome = run_with(&mock, "managementapi", &["--mode=list-mailboxes"]);
    assert_eq!(
        outcome.stdout,
        "UNKNOWN: mode 'list-mailboxes' is not available with custom mode 'managementapi' \
         (use --custommode=graphapi) \n"
    );
    assert_eq!(outcome.code, 3);
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

/// A report that cannot be read whole, or holds no mailbox at all, is UNKNOWN: a
/// discovery fed an empty list would remove every per-mailbox service.
#[test]
fn a_broken_or_empty_report_lists_nothing() {
    for (fault, expected) in [
        (Fault::Truncated, "truncated"),
        (Fault::NotCsv, "not CSV but an HTML page"),
        (Fault::EmptyReport, "lists no mailbox"),
    ] {
        let mock = MockGraph::builder().fault(fault).start().expect("mock");
        let listing = run(&mock, &["--mode=list-mailboxes"]);
        assert_eq!(listing.code, 3, "{fault}: {}", listing.stdout);
        assert!(listing.stdout.starts_with("UNKNOWN: "), "{fault}: {}", listing.stdout);
        assert!(listing.stdout.contains(expected), "{fault}: {}", listing.stdout);
        // Discovery gets the error as an XML document, never an empty list.
        let discovery = run(&mock, &["--mode=list-mailboxes", "--disco-show"]);
        assert_eq!(discovery.code, 3, "{fault}: {}", discovery.stdout);
        assert!(discovery.stdout.contains("<exit>UNKNOWN</exit>"), "{fault}: {}", discovery.stdout);
        assert!(!discovery.stdout.contains("<label"), "{fault}: {}", discovery.stdout);
    }
}

/// The list is printed only once the report was read whole: a report cut after
/// thousands of mailboxes (far more than the spill file's write buffer) ends UNKNOWN
/// with not one of them printed, in every output form.
#[test]
fn a_report_cut_after_many_mailboxes_prints_none_of_them() {
    let mock = MockGraph::builder().tenant(Tenant::generated(20_000, 7)).fault(Fault::Truncated).start().expect("mock");
    for args in [
        &["--mode=list-mailboxes"][..],
        &["--mode=list-mailboxes", "--disco-show"],
        &["--mode=list-mailboxes", "--disco-show", "--output-json"],
        &["--mode=list-mailboxes", "--output-json"],
    ] {
        let outcome = run(&mock, args);
        assert_eq!(outcome.code, 3, "{args:?}: {}", outcome.stdout);
        assert!(outcome.stdout.contains("UNKNOWN"), "{args:?}: {}", outcome.stdout);
        assert!(outcome.stdout.contains("truncated"), "{args:?}: {}", outcome.stdout);
        assert!(!outcome.stdout.contains("user0"), "{args:?}: a mailbox was printed: {}", outcome.stdout);
        assert!(outcome.stdout.len() < 2_000, "{args:?}: {} bytes printed", outcome.stdout.len());
    }
}

/// A long list prints the same bytes whether its lines waited in a spill file or, with
/// no usable temporary directory, in memory; and the spill file leaves nothing behind.
#[test]
fn a_long_listing_is_the_same_from_a_spill_file_and_from_memory() {
    let mock = MockGraph::builder().tenant(Tenant::generated(5_000, 7)).start().expect("mock");
    let spill = TempDir::new("list-spill").expect("temporary directory");
    let spill_dir = spill.path().display().to_string();
    for args in [&["--mode=list-mailboxes"][..], &["--mode=list-mailboxes", "--disco-show"]] {
        let listed = |tmpdir: &str| {
            let outcome = Plugin::new()
                .args(args)
                .client()
                .secret()
                .endpoints(&mock.url())
                .fresh_state()
                .envs(&[("TMPDIR", tmpdir)])
                .run();
            assert_eq!(outcome.code, 0, "{args:?}: {}", outcome.stderr);
            outcome.stdout
        };
        let spilled = listed(&spill_dir);
        assert_eq!(spilled, listed("/nonexistent/spill"), "{args:?}");
        let objects = spilled.matches("[upn: ").count() + spilled.matches("<label ").count();
        assert_eq!(objects, 5_000, "{args:?}: every mailbox");
        assert_eq!(std::fs::read_dir(spill.path()).expect("listed").count(), 0, "no spill file left");
    }
}

/// `list-mailboxes` is listed among the modes.
#[test]
fn list_mode_lists_list_mailboxes() {
    let stdout = Plugin::new().args(["--list-mode"]).run().stdout;
    let listed = stdout.split("Modes Available:\n").nth(1).expect("the mode list");
    assert!(listed.lines().any(|line| line == "   list-mailboxes"), "{listed}");
}
