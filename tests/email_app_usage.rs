//! `email-app-usage` end to end, against the project's stand-in for Microsoft: users
//! per email client and per legacy protocol from the apps user counts report (302 to
//! the download host, BOM, CRLF), their thresholds, filters, perfdata and JSON
//! output; the users still on POP3, IMAP4 or SMTP from the user detail report, read
//! only when asked for; bad input, broken reports and the custom mode it needs.

use crate::common::plugin::{mock, run, run_offline, Outcome};
use crate::mock::{Fault, Host, MockGraph, Variant};
use serde_json::Value;

const MODE: &str = "--mode=email-app-usage";
const COUNTS: &str = "getEmailAppUsageAppsUserCounts";
const USERS: &str = "getEmailAppUsageUserDetail";
/// The mock's counts (tenant40, 2026-11-22).
const STATUS: &str = "OK: Users per email app over 7 days to 2026-11-22: Outlook for Windows: 24, Outlook for Mac: 3, \
                      Outlook for mobile: 15, Outlook on the web: 23, Mail for Mac: 1, Other for mobile: 6 - \
                      Users per legacy protocol over 7 days to 2026-11-22: POP3: 3, IMAP4: 7, SMTP: 7";
const PERFDATA: &str = "'outlook_windows'=24users;;;0; 'outlook_mac'=3users;;;0; 'outlook_mobile'=15users;;;0; \
                        'outlook_web'=23users;;;0; 'mail_mac'=1users;;;0; 'other_mobile'=6users;;;0; \
                        'pop3'=3users;;;0; 'imap4'=7users;;;0; 'smtp'=7users;;;0;";

/// The long output lines of the legacy users (`User '…' uses …`).
fn legacy_lines(out: &Outcome) -> Vec<&str> {
    out.stdout.lines().skip(1).filter(|l| l.starts_with("User '")).collect()
}

#[test]
fn users_per_app_from_one_report_call() {
    let mock = mock();
    let out = run(&mock, &[MODE]);
    assert_eq!(out.stdout, format!("{STATUS} | {PERFDATA}\n"));
    assert_eq!(out.code, 0);
    assert_eq!((mock.report_calls(COUNTS), mock.downloads(COUNTS), mock.report_calls(USERS)), (1, 1, 0));
    let downloads: Vec<_> = mock.requests().into_iter().filter(|r| r.host == Host::Download).collect();
    assert_eq!(downloads.len(), 1);
    assert!(!downloads[0].authorization, "the token stays home");
}

#[test]
fn each_app_has_its_thresholds() {
    let mock = mock();
    let cases: [(&[&str], &str, i32); 4] = [
        (
            &["--warning-pop3=0", "--warning-imap4=0", "--critical-smtp=10"],
            "WARNING: Users per legacy protocol over 7 days to 2026-11-22: POP3: 3, IMAP4: 7",
            1,
        ),
        (&["--critical-outlook-windows=:20", "--warning-mail-mac=0"], "CRITICAL: Users per email app over 7 days to 2026-11-22: Outlook for Windows: 24, Mail for Mac: 1", 2),
        (&["--warning-outlook-web=30:", "--critical-smtp=5"], "CRITICAL: Users per legacy protocol over 7 days to 2026-11-22: SMTP: 7 WARNING: Users per email app over 7 days to 2026-11-22: Outlook on the web: 23", 2),
        (&["--warning-other-mobile=6", "--critical-outlook-mac=3", "--warning-outlook-mobile=15"], STATUS, 0),
    ];
    for (args, status_line, code) in cases {
        let mut all = vec![MODE];
        all.extend_from_slice(args);
        let out = run(&mock, &all);
        assert_eq!((out.status_line(), out.code), (status_line, code), "{args:?}");
    }
    let out = run(&mock, &[MODE, "--warning-pop3=0", "--critical-pop3=5"]);
    assert!(out.perfdata().contains("'pop3'=3users;0:0;0:5;0;"), "{}", out.stdout);
}

#[test]
fn filter_counters_and_new_perfdata() {
    let mock = mock();
    let out = run(&mock, &[MODE, "--filter-counters=^(pop3|imap4|smtp)$", "--use-new-perfdata"]);
    assert_eq!(
        out.stdout,
        "OK: Users per legacy protocol over 7 days to 2026-11-22: POP3: 3, IMAP4: 7, SMTP: 7 | 'exchange.users.apps.pop3.count'=3users;;;0; \
         'exchange.users.apps.imap4.count'=7users;;;0; 'exchange.users.apps.smtp.count'=7users;;;0;\n"
    );
    let out = run(
        &mock,
        &[
            MODE,
            "--filter-counters-block=protocols",
            "--use-new-perfdata",
            "--warning-exchange-users-apps-outlookforwindows-count=10",
        ],
    );
    assert!(out.stdout.starts_with("WARNING: Users per email app over 7 days to 2026-11-22: Outlook for Windows: 24 | 'exchange.users.apps.outlookforwindows.count'=24users;0:10;;0;"), "{}", out.stdout);
    assert!(!out.stdout.contains("pop3"), "{}", out.stdout);
}

#[test]
fn json_output_carries_the_counts_and_their_nlabels() {
    let mock = mock();
    let out = run(&mock, &[MODE, "--output-json", "--warning-smtp=5"]);
    assert_eq!(out.code, 1);
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let plugin = &json["plugin"];
    assert_eq!(plugin["mode"], "email-app-usage");
    assert_eq!(plugin["outputs"][0]["msg"], "WARNING: Users per legacy protocol over 7 days to 2026-11-22: SMTP: 7");
    let perfdatas = plugin["perfdatas"].as_array().expect("perfdatas");
    assert_eq!(perfdatas.len(), 9);
    let smtp = perfdatas.iter().find(|p| p["nlabel"] == "exchange.users.apps.smtp.count").expect("smtp");
    assert_eq!((smtp["value"].as_str(), smtp["warning"].as_str()), (Some("7"), Some("0:5")));
}

#[test]
fn legacy_users_are_listed_on_request_one_instance_each() {
    let mock = mock();
    let out = run(&mock, &[MODE, "--legacy-users", "--verbose"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.status_line(), format!("{STATUS} - All users of legacy protocols are ok"));
    let lines = legacy_lines(&out);
    // As many users per protocol as the counts report says.
    for (protocol, users) in [("POP3", 3), ("IMAP4", 7), ("SMTP", 7)] {
        assert_eq!(lines.iter().filter(|l| l.contains(protocol)).count(), users, "{protocol}: {lines:#?}");
    }
    assert!(lines.iter().all(|l| l.contains("@contoso.onmicrosoft.com' uses ")), "{lines:#?}");
    assert!(lines.iter().all(|l| l.ends_with(")") && l.contains(" (last activity 2026-1")), "{lines:#?}");
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "by name");
    assert_eq!(mock.report_calls(USERS), 1);
    // No per-user perfdata: the list is a work list, not metrics.
    assert_eq!(out.perfdata(), PERFDATA);
}

#[test]
fn legacy_users_alert_filter_and_are_not_read_when_not_shown() {
    let mock = mock();
    let out = run(&mock, &[MODE, "--legacy-users", "--warning-legacy-protocols=%{protocols} =~ /POP3/"]);
    assert_eq!(out.code, 1);
    // The users of POP3 only, each in the status line.
    assert!(out.status_line().starts_with("WARNING: User '"), "{}", out.stdout);
    assert_eq!(out.status_line().matches("User '").count(), 3, "{}", out.stdout);
    assert_eq!(out.status_line().matches(" uses POP3").count(), 3, "{}", out.stdout);

    let all = run(&mock, &[MODE, "--legacy-users", "--verbose"]);
    let first = legacy_lines(&all)[0].to_string();
    let upn = first.trim_start_matches("User '").split('\'').next().expect("a name").to_string();
    let filter = format!("--filter-user=^{}$", upn.replace('.', "\\."));
    let out = run(&mock, &[MODE, "--legacy-users", &filter, "--filter-counters=legacy"]);
    assert_eq!(out.stdout, format!("OK: {first} \n"));

    let calls = mock.report_calls(USERS);
    let out = run(&mock, &[MODE, "--legacy-users", "--filter-counters=^pop3$"]);
    assert_eq!(out.status_line(), "OK: Users per legacy protocol over 7 days to 2026-11-22: POP3: 3");
    assert_eq!(mock.report_calls(USERS), calls, "the user detail report is not read for counters not shown");
}

#[test]
fn date_times_and_reordered_columns_change_nothing() {
    let plain = run(&mock(), &[MODE, "--legacy-users", "--verbose"]);
    for mock in [
        MockGraph::builder().fault(Fault::ReorderedColumns).start().expect("mock"),
        MockGraph::builder().variant(Variant::IsoDates).start().expect("mock"),
    ] {
        let out = run(&mock, &[MODE, "--legacy-users", "--verbose"]);
        assert_eq!(out.stdout, plain.stdout);
    }
}

#[test]
fn broken_reports_are_unknown() {
    let cases = [
        (
            Fault::EmptyReport,
            &[MODE][..],
            "UNKNOWN: report getEmailAppUsageAppsUserCounts(period='D7') holds 0 rows, one expected \n",
        ),
        // Cut in half, the report loses part of its header.
        (
            Fault::Truncated,
            &[MODE][..],
            "UNKNOWN: report getEmailAppUsageAppsUserCounts(period='D7') has no column 'Outlook For Web' \n",
        ),
        (Fault::Forbidden, &[MODE][..], ""),
    ];
    for (fault, args, stdout) in cases {
        let mock = MockGraph::builder().fault(fault).start().expect("mock");
        let out = run(&mock, args);
        assert_eq!(out.code, 3, "{fault}: {}", out.stdout);
        if stdout.is_empty() {
            assert!(out.stdout.starts_with("UNKNOWN: "), "{fault}: {}", out.stdout);
        } else {
            assert_eq!(out.stdout, stdout, "{fault}");
        }
    }
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let cases = [
        ("--warning-pop3=abc", "UNKNOWN: Wrong warning-pop3 threshold 'abc'. \n"),
        ("--filter-user=(", "UNKNOWN: Invalid regular expression in --filter-user '(': unclosed group. \n"),
        (
            "--warning-legacy-protocols=%{user} eq ''",
            "UNKNOWN: Wrong warning-legacy-protocols expression '%{user} eq ''': unknown variable %{user} (known: display, protocols, last_activity). \n",
        ),
        ("--critical-report-age=1:2:3", "UNKNOWN: Wrong critical-report-age threshold '1:2:3'. \n"),
    ];
    for (arg, stdout) in cases {
        let out = run_offline(&[MODE, "--legacy-users", arg]);
        assert_eq!((out.stdout.as_str(), out.code), (stdout, 3), "{arg}");
    }
}

#[test]
fn managementapi_answers_that_the_mode_needs_graphapi_before_any_request() {
    let mock = mock();
    let out = run(&mock, &["--custommode=managementapi", MODE]);
    assert_eq!(
        out.stdout,
        "UNKNOWN: mode 'email-app-usage' is not available with custom mode 'managementapi' (use --custommode=graphapi) \n"
    );
    assert_eq!(mock.requests(), []);
}
