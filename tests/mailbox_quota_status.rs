//! `mailbox-quota-status` end to end, against the project's stand-in for Microsoft:
//! the latest day of the quota status report (reached through a 302 to the download
//! host, BOM and CRLF as Microsoft serves it), its default thresholds, filters,
//! perfdata, JSON output, bad input, broken reports and the custom mode it needs.

use crate::common::plugin::{mock, run, run_offline};
use crate::mock::{Fault, Host, MockGraph, Variant};
use serde_json::Value;

const MODE: &str = "--mode=mailbox-quota-status";
const REPORT: &str = "getMailboxUsageQuotaStatusMailboxCounts";
/// The counts of the mock's latest day, 2026-11-22 (tenant40: one mailbox past its
/// send quota, three past send/receive), every default off.
const ALL_OK: &str = "OK: Mailbox quota status on 2026-11-22: under limit: 36, warning issued: 0, send prohibited: 1, \
                      send/receive prohibited: 3, indeterminate: 0";
const PERFDATA: &str = "'under_limit'=36mailboxes;;;0;40 'warning_issued'=0mailboxes;;;0;40 \
                        'send_prohibited'=1mailboxes;;;0;40 'send_receive_prohibited'=3mailboxes;;;0;40 \
                        'indeterminate'=0mailboxes;;;0;40";
/// The defaults turned off.
const NO_DEFAULTS: [&str; 2] = ["--warning-send-prohibited=", "--critical-send-receive-prohibited="];

#[test]
fn by_default_a_mailbox_that_cannot_receive_is_critical() {
    let mock = mock();
    let out = run(&mock, &[MODE]);
    assert_eq!(
        out.stdout,
        "CRITICAL: Mailbox quota status on 2026-11-22: send prohibited: 1, send/receive prohibited: 3 | \
         'under_limit'=36mailboxes;;;0;40 'warning_issued'=0mailboxes;;;0;40 \
         'send_prohibited'=1mailboxes;0:0;;0;40 'send_receive_prohibited'=3mailboxes;;0:0;0;40 \
         'indeterminate'=0mailboxes;;;0;40\n"
    );
    assert_eq!(out.code, 2);
    // One report call, answered 302; one download, from the other host, without the token.
    assert_eq!((mock.report_calls(REPORT), mock.downloads(REPORT)), (1, 1));
    let downloads: Vec<_> = mock.requests().into_iter().filter(|r| r.host == Host::Download).collect();
    assert_eq!(downloads.len(), 1);
    assert!(!downloads[0].authorization, "the token stays home");
}

#[test]
fn each_count_has_its_thresholds() {
    let mock = mock();
    let out = run(&mock, &[MODE, NO_DEFAULTS[0], NO_DEFAULTS[1]]);
    assert_eq!(out.stdout, format!("{ALL_OK} | {PERFDATA}\n"));
    assert_eq!(out.code, 0);
    let cases: [(&[&str], &str, i32); 4] = [
        (&["--warning-send-prohibited=", "--critical-send-receive-prohibited=5"], "OK: ", 0),
        (&["--critical-send-receive-prohibited=", "--warning-send-prohibited=2"], "OK: ", 0),
        (
            &[NO_DEFAULTS[0], NO_DEFAULTS[1], "--warning-under-limit=40:"],
            "WARNING: Mailbox quota status on 2026-11-22: under limit: 36",
            1,
        ),
        (
            &[NO_DEFAULTS[0], NO_DEFAULTS[1], "--critical-warning-issued=@0", "--warning-indeterminate=@0"],
            "CRITICAL: Mailbox quota status on 2026-11-22: warning issued: 0, indeterminate: 0",
            2,
        ),
    ];
    for (args, status_line, code) in cases {
        let mut all = vec![MODE];
        all.extend_from_slice(args);
        let out = run(&mock, &all);
        assert!(out.status_line().starts_with(status_line), "{args:?}: {}", out.stdout);
        assert_eq!(out.code, code, "{args:?}: {}", out.stdout);
    }
}

#[test]
fn filter_counters_and_new_perfdata() {
    let mock = mock();
    let out = run(&mock, &[MODE, "--filter-counters=prohibited", "--use-new-perfdata"]);
    assert_eq!(
        out.stdout,
        "CRITICAL: Mailbox quota status on 2026-11-22: send prohibited: 1, send/receive prohibited: 3 | \
         'exchange.mailboxes.quota.send.prohibited.count'=1mailboxes;0:0;;0;40 \
         'exchange.mailboxes.quota.sendreceive.prohibited.count'=3mailboxes;;0:0;0;40\n"
    );
    // With new perfdata, the threshold options are named after the nlabels; the labels stay aliases.
    let out = run(
        &mock,
        &[
            MODE,
            "--use-new-perfdata",
            "--warning-exchange-mailboxes-quota-send-prohibited-count=",
            "--critical-send-receive-prohibited=",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn json_output_carries_the_counts_and_their_nlabels() {
    let mock = mock();
    let out = run(&mock, &[MODE, "--output-json"]);
    assert_eq!(out.code, 2);
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let plugin = &json["plugin"];
    assert_eq!(plugin["mode"], "mailbox-quota-status");
    let msg = plugin["outputs"][0]["msg"].as_str().expect("a message");
    assert_eq!(msg, "CRITICAL: Mailbox quota status on 2026-11-22: send prohibited: 1, send/receive prohibited: 3");
    let perfdatas = plugin["perfdatas"].as_array().expect("perfdatas");
    let metric = |nlabel: &str| {
        perfdatas.iter().find(|p| p["nlabel"] == nlabel).unwrap_or_else(|| panic!("no {nlabel} in {perfdatas:?}"))
    };
    assert_eq!(metric("exchange.mailboxes.quota.under.limit.count")["value"], "36");
    assert_eq!(metric("exchange.mailboxes.quota.sendreceive.prohibited.count")["critical"], "0:0");
    assert_eq!(perfdatas.len(), 5);
}

#[test]
fn the_latest_day_is_read_whatever_the_order_and_the_date_format() {
    for mock in [
        MockGraph::builder().fault(Fault::ReorderedColumns).start().expect("mock"),
        MockGraph::builder().variant(Variant::IsoDates).start().expect("mock"),
    ] {
        let out = run(&mock, &[MODE, NO_DEFAULTS[0], NO_DEFAULTS[1]]);
        assert_eq!(out.stdout, format!("{ALL_OK} | {PERFDATA}\n"));
    }
}

#[test]
fn a_report_without_a_day_or_cut_short_is_unknown() {
    let cases = [
        (Fault::EmptyReport, "UNKNOWN: report getMailboxUsageQuotaStatusMailboxCounts(period='D7') holds no day \n"),
        (
            Fault::Truncated,
            "UNKNOWN: report getMailboxUsageQuotaStatusMailboxCounts(period='D7') line 3: 7 fields instead of 8 \
             (truncated or malformed download) \n",
        ),
        (Fault::NotCsv, "UNKNOWN: report getMailboxUsageQuotaStatusMailboxCounts(period='D7') is not CSV but an HTML page: <html><body>Service unavailable</body></html> \n"),
    ];
    for (fault, stdout) in cases {
        let mock = MockGraph::builder().fault(fault).start().expect("mock");
        let out = run(&mock, &[MODE]);
        assert_eq!((out.stdout.as_str(), out.code), (stdout, 3), "{fault}");
    }
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let cases = [
        ("--warning-under-limit=abc", "UNKNOWN: Wrong warning-under-limit threshold 'abc'. \n"),
        ("--critical-send-receive-prohibited=5:1", "UNKNOWN: Wrong critical-send-receive-prohibited threshold '5:1': its start 5 is above its end 1, so no value is in the range. \n"),
        ("--warning-report-age=old", "UNKNOWN: Wrong warning-report-age threshold 'old'. \n"),
        ("--filter-counters=(", "UNKNOWN: Invalid regular expression in --filter-counters '(': unclosed group. \n"),
        ("--filter-mailbox=x", "UNKNOWN: Unknown option: filter-mailbox \n"),
    ];
    for (arg, stdout) in cases {
        let out = run_offline(&[MODE, arg]);
        assert_eq!((out.stdout.as_str(), out.code), (stdout, 3), "{arg}");
    }
}

#[test]
fn managementapi_answers_that_the_mode_needs_graphapi_before_any_request() {
    let mock = mock();
    let out = run(&mock, &["--custommode=managementapi", MODE]);
    assert_eq!(
        out.stdout,
        "UNKNOWN: mode 'mailbox-quota-status' is not available with custom mode 'managementapi' (use --custommode=graphapi) \n"
    );
    assert_eq!(out.code, 3);
    assert_eq!(mock.requests(), []);
}
