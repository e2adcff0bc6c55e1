//! `mail-roundtrip` against the project's stand-in for Graph mail: a probe delivered
//! after N seconds shows a round trip of N seconds, a dropped one is lost once, the
//! read mailbox keeps no probe of an earlier run, a run killed half-way never counts a
//! probe twice, services never take each other's probes, and every refusal
//! (permission, mailbox, throttling, options) is an UNKNOWN saying what to do.
//!
//! Time is the stand-in's mail clock, which the tests move on
//! (`MockGraph::advance_mail_clock`): the plugin reads it from the `Date` of Graph's
//! answers, so nothing here depends on the wall clock or waits for it, but for the
//! one look a `--wait` run takes after a pause of its own.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::plugin::{self, Outcome};
use crate::common::TempDir;
use crate::mock::{self, Access, Fault, MailSettings, MockGraph};

const PROBE: &str = "probe@contoso.onmicrosoft.com";
const OUTSIDE: &str = "echo@fabrikam.com";
const SUBJECT_PREFIX: &str = "Centreon mail round-trip probe ";

fn mock_with(settings: MailSettings) -> MockGraph {
    MockGraph::builder().mail(settings).start().expect("the mock starts")
}

fn delayed(delay_secs: i64) -> MockGraph {
    mock_with(MailSettings { delay_secs, ..MailSettings::default() })
}

/// Runs the mode against `mock` with the statefiles in `state`, for the probe
/// mailbox, and `args`.
fn run(mock: &MockGraph, state: &Path, args: &[&str]) -> Outcome {
    let probe = format!("--probe-mailbox={PROBE}");
    plugin::run_in(&mock.url(), state, &[&["--mode=mail-roundtrip", probe.as_str()], args].concat())
}

/// The metrics of a run's perfdata: label → value (unit dropped).
fn metrics(outcome: &Outcome) -> BTreeMap<String, String> {
    outcome
        .perfdata()
        .split_whitespace()
        .filter_map(|metric| {
            let (label, rest) = metric.split_once('=')?;
            let value: String = rest.split(';').next()?.chars().take_while(|c| c.is_ascii_digit()).collect();
            Some((label.trim_matches('\'').to_string(), value))
        })
        .collect()
}

/// The counts of a run: arrived, pending, lost, junk, and the round trip if shown.
fn counts(outcome: &Outcome) -> (u32, u32, u32, u32, Option<u32>) {
    let m = metrics(outcome);
    let get = |label: &str| {
        m.get(label).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {label} in {}", outcome.stdout))
    };
    (get("arrived"), get("pending"), get("lost"), get("junk"), m.get("roundtrip").and_then(|v| v.parse().ok()))
}

/// The probes of this mode left in `mailbox` (any folder, on their way or not).
fn probes_in(mock: &MockGraph, mailbox: &str) -> Vec<mock::MailMessage> {
    mock.mailbox(mailbox).into_iter().filter(|m| m.subject.starts_with(SUBJECT_PREFIX)).collect()
}

/// The probes of this mode that arrived in `mailbox` and are still there.
fn arrived_in(mock: &MockGraph, mailbox: &str) -> Vec<mock::MailMessage> {
    let now = mock.mail_now();
    probes_in(mock, mailbox).into_iter().filter(|m| m.received <= now).collect()
}

#[test]
fn a_probe_delivered_after_n_seconds_shows_a_round_trip_of_n_seconds() {
    let mock = delayed(45);
    let state = TempDir::new("roundtrip").expect("state");
    let first = run(&mock, state.path(), &[]);
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert_eq!(counts(&first), (0, 1, 0, 0, None), "{}", first.stdout);
    assert!(first.status_line().starts_with("OK: Mail probes "), "{}", first.stdout);

    mock.advance_mail_clock(60);
    let second = run(&mock, state.path(), &["--warning-roundtrip=30"]);
    assert_eq!(counts(&second), (1, 1, 0, 0, Some(45)), "{}", second.stdout);
    assert!(second.perfdata().contains("'roundtrip'=45s;0:30;"), "{}", second.stdout);
    assert!(second.status_line().starts_with("WARNING: Mail probes round trip: 45s"), "{}", second.stdout);
    assert_eq!(second.code, 1);

    // The read mailbox keeps no probe older than the last run: only that run's, on its way.
    let left = probes_in(&mock, PROBE);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].sent, mock.mail_now(), "{left:?}");
    assert!(mock.mailbox(PROBE).iter().all(|m| m.folder != "sentitems"), "saveToSentItems is false");
}

#[test]
fn a_dropped_probe_counts_as_lost_once() {
    let mock = mock_with(MailSettings { loss_rate: 1.0, ..MailSettings::default() });
    let state = TempDir::new("roundtrip").expect("state");
    assert_eq!(counts(&run(&mock, state.path(), &[])), (0, 1, 0, 0, None));
    mock.configure_mail(|mail| mail.loss_rate = 0.0);

    mock.advance_mail_clock(1000);
    let young = run(&mock, state.path(), &["--critical-lost=0"]);
    assert_eq!(counts(&young), (1, 1, 0, 0, Some(0)), "the second probe arrived at once: {}", young.stdout);
    assert_eq!(young.code, 0, "not lost before --lost-after: {}", young.stdout);

    mock.advance_mail_clock(801);
    let lost = run(&mock, state.path(), &["--critical-lost=0"]);
    assert_eq!(counts(&lost), (1, 0, 1, 0, Some(0)), "{}", lost.stdout);
    assert_eq!(lost.code, 2, "{}", lost.stdout);
    assert!(lost.status_line().contains("lost: 1"), "{}", lost.stdout);

    mock.advance_mail_clock(3600);
    let after = run(&mock, state.path(), &["--critical-lost=0"]);
    assert_eq!(counts(&after), (1, 0, 0, 0, Some(0)), "lost once only: {}", after.stdout);
}

#[test]
fn a_probe_arriving_after_it_was_counted_lost_is_deleted_and_not_counted() {
    let mock = delayed(2000);
    let state = TempDir::new("roundtrip").expect("state");
    run(&mock, state.path(), &["--lost-after=600"]);
    mock.advance_mail_clock(601);
    let lost = run(&mock, state.path(), &["--lost-after=600"]);
    assert_eq!(counts(&lost), (0, 1, 1, 0, None), "{}", lost.stdout);

    // The first probe arrives (2000 s after it was sent); the second is lost too.
    mock.advance_mail_clock(1500);
    let late = run(&mock, state.path(), &["--lost-after=600"]);
    assert_eq!(counts(&late), (0, 1, 1, 0, None), "the late probe is not counted: {}", late.stdout);
    assert!(arrived_in(&mock, PROBE).is_empty(), "the late probe is deleted: {:?}", probes_in(&mock, PROBE));
    assert_eq!(probes_in(&mock, PROBE).len(), 2, "the probes of the last two runs are on their way");
}

#[test]
fn a_probe_in_junk_email_counts_as_arrived_and_as_junk() {
    let mock = mock_with(MailSettings { junk_rate: 1.0, delay_secs: 5, ..MailSettings::default() });
    let state = TempDir::new("roundtrip").expect("state");
    run(&mock, state.path(), &[]);
    mock.advance_mail_clock(300);
    let junk = run(&mock, state.path(), &["--warning-junk=0"]);
    assert_eq!(counts(&junk), (1, 1, 0, 1, Some(5)), "{}", junk.stdout);
    assert_eq!(junk.code, 1, "{}", junk.stdout);
    let folders = mock.mail_log().iter().filter(|c| c.path.contains("/mailFolders/junkemail")).count();
    assert_eq!(folders, 1);
    mock.advance_mail_clock(300);
    run(&mock, state.path(), &[]);
    let folders = mock.mail_log().iter().filter(|c| c.path.contains("/mailFolders/junkemail")).count();
    assert_eq!(folders, 1, "the folder's id is kept in the statefile");
}

#[test]
fn with_a_wait_the_run_measures_its_own_probe() {
    // Each listing moves the mail clock on by 10 s: the probe, 20 s on its way, shows
    // at the second look, after the run's first pause.
    let mock = mock_with(MailSettings { delay_secs: 20, tick_on_list: 10, ..MailSettings::default() });
    let state = TempDir::new("roundtrip").expect("state");
    let outcome = run(&mock, state.path(), &["--wait=60", "--timeout=90"]);
    assert_eq!(counts(&outcome), (1, 0, 0, 0, Some(20)), "{}", outcome.stdout);
    let looks = mock.mail_log().iter().filter(|c| c.method == "GET" && c.path.contains("/messages?")).count();
    assert_eq!(looks, 2, "{:?}", mock.mail_log());
    assert!(probes_in(&mock, PROBE).is_empty(), "its own probe is deleted");
}

#[test]
fn a_wait_must_fit_in_the_timeout() {
    let mock = delayed(0);
    let state = TempDir::new("roundtrip").expect("state");
    let outcome = run(&mock, state.path(), &["--wait=60"]);
    assert_eq!(outcome.code, 3);
    assert!(
        outcome.stdout.starts_with("UNKNOWN: --wait=60 leaves no time for the requests within the run's time limit: give --timeout at least 70"),
        "{}",
        outcome.stdout
    );
    assert!(mock.mail_log().is_empty(), "nothing is sent: {:?}", mock.mail_log());
}

#[test]
fn services_with_different_recipients_never_take_each_others_probes() {
    let echo = vec![(OUTSIDE.into(), PROBE.into())];
    let mock = mock_with(MailSettings { echo, delay_secs: 10, ..MailSettings::default() });
    let state = TempDir::new("roundtrip").expect("state");
    let outside = [format!("--probe-recipient={OUTSIDE}"), format!("--probe-read-mailbox={PROBE}")];
    let outside: Vec<&str> = outside.iter().map(String::as_str).collect();
    run(&mock, state.path(), &[]);
    run(&mock, state.path(), &outside);
    assert_eq!(probes_in(&mock, PROBE).len(), 2, "both services' probes land in the same mailbox");

    mock.advance_mail_clock(10);
    let own = run(&mock, state.path(), &[]);
    assert_eq!(counts(&own), (1, 1, 0, 0, Some(10)), "{}", own.stdout);
    assert_eq!(arrived_in(&mock, PROBE).len(), 1, "the other service's probe is left alone");
    let other = run(&mock, state.path(), &outside);
    assert_eq!(counts(&other), (1, 1, 0, 0, Some(10)), "{}", other.stdout);
    assert!(arrived_in(&mock, PROBE).is_empty(), "{:?}", probes_in(&mock, PROBE));
}

#[test]
fn a_run_killed_between_sending_and_saving_never_counts_its_probe() {
    let mock = delayed(30);
    let state = TempDir::new("roundtrip").expect("state");
    run(&mock, state.path(), &[]);
    // The run is killed after sending, before its state is saved.
    for entry in std::fs::read_dir(state.path()).expect("state dir").flatten() {
        if entry.file_name().to_string_lossy().starts_with("office365_mail_roundtrip_") {
            std::fs::remove_file(entry.path()).expect("state removed");
        }
    }
    mock.advance_mail_clock(60);
    let next = run(&mock, state.path(), &[]);
    assert_eq!(counts(&next), (0, 1, 0, 0, None), "the unrecorded probe is not counted: {}", next.stdout);
    assert_eq!(probes_in(&mock, PROBE).len(), 1, "and deleted; the new one is on its way");
    mock.advance_mail_clock(3600);
    let later = run(&mock, state.path(), &[]);
    assert_eq!(counts(&later), (1, 1, 0, 0, Some(30)), "never lost either: {}", later.stdout);
}

#[test]
fn a_run_stopped_between_counting_and_deleting_never_counts_a_probe_twice() {
    let mock = delayed(0);
    let state = TempDir::new("roundtrip").expect("state");
    run(&mock, state.path(), &[]);
    mock.advance_mail_clock(60);
    mock.deny_mail(PROBE, Access::Write);
    let refused = run(&mock, state.path(), &[]);
    assert_eq!(refused.code, 3, "{}", refused.stdout);
    assert!(
        refused
            .stdout
            .starts_with(&format!("UNKNOWN: Graph refused to delete messages of {PROBE} (403 ErrorAccessDenied)")),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("Mail.ReadWrite"), "{}", refused.stdout);
    mock.allow_mail(PROBE, Access::Write);
    mock.advance_mail_clock(60);
    let next = run(&mock, state.path(), &[]);
    // The refused run counted its probe (its output lost with the error): only this
    // run's own probe counts now, the other one is deleted uncounted.
    assert_eq!(counts(&next), (1, 0, 0, 0, Some(0)), "{}", next.stdout);
    assert!(probes_in(&mock, PROBE).is_empty(), "{:?}", probes_in(&mock, PROBE));
}

#[test]
fn a_probe_with_an_earlier_marker_is_cleaned_up_uncounted() {
    let mock = delayed(10);
    let state = TempDir::new("roundtrip").expect("state");
    run(&mock, state.path(), &[]);
    let subject = probes_in(&mock, PROBE)[0].subject.clone();
    let service = subject.trim_start_matches(SUBJECT_PREFIX).split(' ').next().expect("service").to_string();
    let older = format!("{SUBJECT_PREFIX}{service} v0 0123456789abcdef");
    mock.put_message(PROBE, "inbox", &older, &[]);
    let unrelated = "Quarterly report";
    mock.put_message(PROBE, "inbox", unrelated, &[]);
    mock.advance_mail_clock(60);
    let next = run(&mock, state.path(), &[]);
    assert_eq!(counts(&next), (1, 1, 0, 0, Some(10)), "{}", next.stdout);
    let subjects: Vec<String> = mock.mailbox(PROBE).into_iter().map(|m| m.subject).collect();
    assert!(!subjects.contains(&older), "the older probe is gone: {subjects:?}");
    assert!(subjects.iter().any(|s| s == unrelated), "other mail is left alone: {subjects:?}");
}

#[test]
fn every_page_is_read_before_anything_is_deleted() {
    let mock = mock_with(MailSettings { delay_secs: 100, page_size: 2, ..MailSettings::default() });
    let state = TempDir::new("roundtrip").expect("state");
    for _ in 0..5 {
        run(&mock, state.path(), &[]);
        mock.advance_mail_clock(1);
    }
    mock.advance_mail_clock(200);
    let before = mock.mail_log().len();
    let outcome = run(&mock, state.path(), &[]);
    assert_eq!(counts(&outcome), (5, 1, 0, 0, Some(100)), "{}", outcome.stdout);
    let calls: Vec<_> = mock.mail_log().split_off(before);
    let pages: Vec<usize> =
        calls.iter().enumerate().filter(|(_, c)| c.path.contains("/messages?")).map(|(i, _)| i).collect();
    assert_eq!(pages.len(), 3, "5 probes in pages of at most 2: {calls:?}");
    assert!(calls[pages[1]].path.contains("$skip=2") && calls[pages[2]].path.contains("$skip=4"), "{calls:?}");
    let first_delete = calls.iter().position(|c| c.path.ends_with("/permanentDelete")).expect("deletions");
    assert!(first_delete > pages[2], "a deletion before the last page: {calls:?}");
    let query = &calls[pages[0]].path;
    assert!(query.contains("$filter=startswith(subject,'Centreon mail round-trip probe "), "{query}");
    assert!(query.contains("$select=id,subject,sentDateTime,receivedDateTime,parentFolderId,internetMessageHeaders"));
    assert!(query.contains("$top=25"), "{query}");
}

#[test]
fn in_a_national_cloud_a_deleted_probe_is_removed_from_deleted_items_next_time() {
    let mock = delayed(0);
    let state = TempDir::new("roundtrip").expect("state");
    let cloud = ["--cloud=usgov"];
    assert_eq!(counts(&run(&mock, state.path(), &cloud)), (1, 0, 0, 0, Some(0)));
    assert!(mock.mail_log().iter().any(|c| c.method == "DELETE"), "DELETE: permanentDelete is global only");
    assert!(!mock.mail_log().iter().any(|c| c.path.ends_with("/permanentDelete")));
    let folders: Vec<String> = probes_in(&mock, PROBE).into_iter().map(|m| m.folder).collect();
    assert_eq!(folders, ["deleteditems"], "DELETE moves the probe to Deleted Items");
    mock.advance_mail_clock(60);
    let next = run(&mock, state.path(), &cloud);
    assert_eq!(counts(&next), (1, 0, 0, 0, Some(0)), "the copy is not counted again: {}", next.stdout);
    let left = probes_in(&mock, PROBE);
    assert_eq!(left.len(), 1, "only this run's own probe, in Deleted Items until the next run: {left:?}");
    assert!(left[0].sent == mock.mail_now() && left[0].folder == "deleteditems", "{left:?}");
}

#[test]
fn a_missing_permission_says_which_and_how_to_scope_it() {
    let mock = delayed(0);
    mock.deny_mail(PROBE, Access::Send);
    let state = TempDir::new("roundtrip").expect("state");
    let outcome = run(&mock, state.path(), &[]);
    assert_eq!(outcome.code, 3);
    for needle in [
        "UNKNOWN: Graph refused to send mail as probe@contoso.onmicrosoft.com (403 ErrorAccessDenied)",
        "Mail.Send",
        "'Application Mail.Send'",
        "RBAC for Applications",
        "Graph endpoint API return error code 'ErrorAccessDenied'",
    ] {
        assert!(outcome.stdout.contains(needle), "{needle} missing: {}", outcome.stdout);
    }

    let reader = delayed(0);
    reader.deny_mail(PROBE, Access::Read);
    let outcome = run(&reader, state.path(), &[]);
    assert!(
        outcome
            .stdout
            .starts_with(&format!("UNKNOWN: Graph refused to read the messages of {PROBE} (403 ErrorAccessDenied)")),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stdout.contains("'Application Mail.ReadWrite'"), "{}", outcome.stdout);
}

#[test]
fn an_unknown_mailbox_is_named() {
    let mock = delayed(0);
    let state = TempDir::new("roundtrip").expect("state");
    let outcome = plugin::run_in(
        &mock.url(),
        state.path(),
        &["--mode=mail-roundtrip", "--probe-mailbox=nobody@contoso.onmicrosoft.com"],
    );
    assert_eq!(outcome.code, 3);
    assert!(
        outcome.stdout.starts_with(
            "UNKNOWN: Mailbox nobody@contoso.onmicrosoft.com not found (404 ErrorInvalidUser): give the address"
        ),
        "{}",
        outcome.stdout
    );
    let reader = run(&mock, state.path(), &["--probe-read-mailbox=nobody@contoso.onmicrosoft.com"]);
    assert!(
        reader.stdout.starts_with("UNKNOWN: Mailbox nobody@contoso.onmicrosoft.com not found"),
        "{}",
        reader.stdout
    );
}

#[test]
fn throttling_after_the_retries_is_unknown() {
    let mock = MockGraph::builder().fault(Fault::TooManyRequestsAlways).start().expect("mock");
    let state = TempDir::new("roundtrip").expect("state");
    let outcome = run(&mock, state.path(), &["--timeout=2"]);
    assert_eq!(outcome.code, 3);
    assert!(outcome.stdout.starts_with("UNKNOWN: Exchange Online throttles Graph mail requests"), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("Graph endpoint is throttling (429 Too Many Requests"), "{}", outcome.stdout);
}

#[test]
fn options_and_custom_modes_are_refused_before_any_request() {
    let mock = delayed(0);
    let state = TempDir::new("roundtrip").expect("state");
    let no_probe = plugin::run_in(&mock.url(), state.path(), &["--mode=mail-roundtrip"]);
    assert!(no_probe.stdout.starts_with("UNKNOWN: Need to specify --probe-mailbox option"), "{}", no_probe.stdout);
    let bad = run(&mock, state.path(), &["--lost-after=10"]);
    assert!(
        bad.stdout.starts_with("UNKNOWN: Invalid --lost-after value '10': a number of seconds from 60 to 604800"),
        "{}",
        bad.stdout
    );
    let management = run(&mock, state.path(), &["--custommode=managementapi"]);
    assert_eq!(
        management.stdout,
        "UNKNOWN: mode 'mail-roundtrip' is not available with custom mode 'managementapi' (use --custommode=graphapi) \n"
    );
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

#[test]
fn the_mock_refuses_filters_graph_refuses() {
    let mock = delayed(0);
    let url =
        format!("{}/v1.0/users/{PROBE}/messages?$filter=internetMessageHeaders/any(h:h/name%20eq%20'X-A')", mock.url());
    let answer = crate::common::http("GET", &url, &[("Authorization", "Bearer tok-1")], b"").expect("an answer");
    assert_eq!(answer.status, 400);
    assert!(answer.text().contains("ErrorInvalidUrlQueryFilter"), "{}", answer.text());
    let url = format!("{}/v1.0/users/{PROBE}/messages?$filter=startswith(subject,'a')&$top=0", mock.url());
    let answer = crate::common::http("GET", &url, &[("Authorization", "Bearer tok-1")], b"").expect("an answer");
    assert_eq!(answer.status, 400, "{}", answer.text());
}

#[test]
fn the_mode_is_listed_and_its_help_suggests_thresholds() {
    let list = plugin::Plugin::new().args(["--list-mode"]).run().stdout;
    assert!(list.lines().any(|line| line == "   mail-roundtrip"), "{list}");
    let help = plugin::Plugin::new().args(["--mode=mail-roundtrip", "--help"]).run().stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "--probe-mailbox",
        "--probe-recipient",
        "--probe-read-mailbox",
        "--lost-after",
        "--wait",
        "--warning-roundtrip=60 --critical-roundtrip=300 --critical-lost=0",
        "RBAC for Applications",
        "'roundtrip', 'arrived', 'pending', 'lost', 'junk'",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}
