//! `mail-flow` against the project's stand-in for Graph message trace: the counts are
//! those of the messages the stand-in says it returned, the window is the one asked
//! for, filters go to Microsoft where it can apply them, paging and the page cap hold,
//! and every refusal (bad option, wrong custom mode, throttling, missing onboarding)
//! is an UNKNOWN saying why.
//!
//! The stand-in's stream of messages ends where it started, 3 messages a minute before
//! (`TraceSettings`); the default window ends 30 minutes before the run, so a test that
//! starts the stand-in and runs the plugin at once reads a window of complete minutes.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::plugin::{self, Plugin};
use crate::mock::{iso_datetime, Fault, MockGraph, TraceCall, TraceSettings};
use serde_json::Value;

/// What one run printed and returned, with the clock around it.
struct Outcome {
    stdout: String,
    code: i32,
    /// Unix time just before and just after the run.
    before: i64,
    after: i64,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// Runs `--mode=mail-flow` (through `custom`) against `mock` with `args`, the
/// credentials the mock accepts and a fresh token cache.
fn run_custom(mock: &MockGraph, custom: &str, args: &[&str]) -> Outcome {
    let custom = format!("--custommode={custom}");
    let before = unix_now();
    let outcome = plugin::run(mock, &[&[custom.as_str(), "--mode=mail-flow"], args].concat());
    Outcome { stdout: outcome.stdout, code: outcome.code, before, after: unix_now() }
}

fn run(mock: &MockGraph, args: &[&str]) -> Outcome {
    run_custom(mock, "graphapi", args)
}

/// The messages the stand-in returned over all answered pages, by status as it
/// spelt them.
fn returned(log: &[TraceCall]) -> BTreeMap<String, usize> {
    let mut all = BTreeMap::new();
    for call in log {
        for (status, n) in &call.by_status {
            *all.entry(status.clone()).or_insert(0) += n;
        }
    }
    all
}

/// The plugin's counters as the stand-in's statuses make them.
struct Counts {
    total: usize,
    delivered: usize,
    pending: usize,
    failed: usize,
    quarantined: usize,
    spam: usize,
    expanded: usize,
    other: usize,
}

impl Counts {
    fn of(by_status: &BTreeMap<String, usize>) -> Counts {
        let get = |status: &str| by_status.get(status).copied().unwrap_or(0);
        let named = ["delivered", "pending", "failed", "quarantined", "filteredAsSpam", "expanded"];
        Counts {
            total: by_status.values().sum(),
            delivered: get("delivered"),
            pending: get("pending"),
            failed: get("failed"),
            quarantined: get("quarantined"),
            spam: get("filteredAsSpam"),
            expanded: get("expanded"),
            other: by_status.iter().filter(|(s, _)| !named.contains(&s.as_str())).map(|(_, n)| n).sum(),
        }
    }

    /// `count` in percent of the total, as the plugin shows it.
    fn percent(&self, count: usize) -> String {
        format!("{:.2}", count as f64 * 100.0 / self.total as f64)
    }

    /// The same as a metric's value (Perl's `%.15g` of the 2-decimal figure).
    fn perf_percent(&self, count: usize) -> String {
        let text = self.percent(count);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The window text of the status line for a window whose first and last seconds
/// are `start` and `end`: the end's date is written only when it is not the start's,
/// as it is for a window that crosses midnight (a run between 00:30 and 01:30 UTC with
/// the default window, 90 to 30 minutes before the run).
fn window_text(start: i64, end: i64) -> String {
    let (from, to) = (iso_datetime(start), iso_datetime(end + 1));
    let (from_day, to_day) = (&from[..10], &to[..10]);
    if from_day == to_day {
        format!("{from_day} {} to {} UTC", &from[11..16], &to[11..16])
    } else {
        format!("{from_day} {} to {to_day} {} UTC", &from[11..16], &to[11..16])
    }
}

/// Asserts that `window` is the one `--lookback=lookback --delay=delay` (minutes)
/// makes for a run between `before` and `after`: whole minutes, last second included.
fn assert_window(window: (i64, i64), outcome: &Outcome, lookback: i64, delay: i64) {
    let (start, end) = window;
    assert_eq!(end + 1 - start, lookback * 60, "{window:?}");
    assert_eq!((end + 1) % 60, 0, "the window ends on a whole minute: {}", iso_datetime(end));
    let earliest = (outcome.before - delay * 60).div_euclid(60) * 60 - 1;
    let latest = (outcome.after - delay * 60).div_euclid(60) * 60 - 1;
    assert!((earliest..=latest).contains(&end), "{} not within the run's clock", iso_datetime(end));
}

#[test]
fn counts_are_the_messages_message_trace_returned() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = run(&mock, &[]);
    let log = mock.trace_log();
    assert_eq!(log.len(), 1, "one page: {log:?}");
    let call = &log[0];
    assert_eq!(call.status, 200);
    assert!(!call.next_link);
    let window = call.window.expect("a window");
    assert_window(window, &outcome, 60, 30);
    assert!(
        call.query.starts_with(&format!(
            "$filter=receivedDateTime ge {} and receivedDateTime le {}&$top=5000",
            iso_datetime(window.0),
            iso_datetime(window.1)
        )),
        "{}",
        call.query
    );
    let by_status = returned(&log);
    assert!(by_status.contains_key("recalled"), "asked with Prefer: include-unknown-enum-members: {by_status:?}");
    let c = Counts::of(&by_status);
    assert_eq!(c.total, 180, "60 whole minutes of 3 messages, none twice: {by_status:?}");
    let expected = format!(
        "OK: Messages received {}: total: {}, delivered: {}, pending: {}, pending share: {}%, failed: {}, failed share: {}%, \
         quarantined: {}, filtered as spam: {}, expanded: {}, other: {} | 'total'={};;;0; 'delivered'={};;;0;{} \
         'pending'={};;;0;{} 'pending_prct'={}%;;;0;100 'failed'={};;;0;{} 'failed_prct'={}%;;;0;100 \
         'quarantined'={};;;0;{} 'filtered_as_spam'={};;;0;{} 'expanded'={};;;0;{} 'other'={};;;0;{}\n",
        window_text(window.0, window.1),
        c.total,
        c.delivered,
        c.pending,
        c.percent(c.pending),
        c.failed,
        c.percent(c.failed),
        c.quarantined,
        c.spam,
        c.expanded,
        c.other,
        c.total,
        c.delivered,
        c.total,
        c.pending,
        c.total,
        c.perf_percent(c.pending),
        c.failed,
        c.total,
        c.perf_percent(c.failed),
        c.quarantined,
        c.total,
        c.spam,
        c.total,
        c.expanded,
        c.total,
        c.other,
        c.total,
    );
    assert_eq!(outcome.stdout, expected);
    assert_eq!(outcome.code, 0);
}

#[test]
fn json_output_carries_every_counter() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = run(&mock, &["--output-json", "--warning-failed-prct=1", "--use-new-perfdata"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stdout);
    let c = Counts::of(&returned(&mock.trace_log()));
    let json: Value = serde_json::from_str(&outcome.stdout).expect("JSON");
    let plugin = &json["plugin"];
    assert_eq!(plugin["mode"], "mail-flow");
    assert_eq!(plugin["exit"], "WARNING");
    let message = plugin["outputs"][0]["msg"].as_str().expect("a message");
    assert!(
        message.starts_with("WARNING: Messages received ")
            && message.ends_with(&format!(" UTC: failed share: {}%", c.percent(c.failed))),
        "{message}"
    );
    let perfdata = plugin["perfdatas"].as_array().expect("perfdata");
    let metric = |label: &str| {
        perfdata.iter().find(|p| p["label"] == label).unwrap_or_else(|| panic!("{label} in {perfdata:?}")).clone()
    };
    assert_eq!(perfdata.len(), 10);
    assert_eq!(metric("exchange.mailflow.messages.count")["value"].to_string().trim_matches('"'), c.total.to_string());
    assert_eq!(
        metric("exchange.mailflow.messages.spam.count")["value"].to_string().trim_matches('"'),
        c.spam.to_string()
    );
    let failed = metric("exchange.mailflow.messages.failed.percentage");
    assert_eq!(failed["unit"], "%");
    assert_eq!(failed["warning"].to_string().trim_matches('"'), "0:1");
    assert_eq!(failed["max"].to_string().trim_matches('"'), "100");
}

#[test]
fn thresholds_apply_to_counts_and_percentages() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = run(
        &mock,
        &["--warning-pending-prct=0", "--critical-failed-prct=0:2", "--critical-total=1000:", "--warning-delivered=1:"],
    );
    let c = Counts::of(&returned(&mock.trace_log()));
    assert!(c.pending > 0 && c.failed * 50 > c.total, "the stream has pending and >2% failed messages");
    assert_eq!(outcome.code, 2, "{}", outcome.stdout);
    let line = outcome.stdout.lines().next().expect("a status line");
    let (short, perfdata) = line.split_once(" | ").expect("perfdata");
    assert!(
        short.starts_with("CRITICAL: Messages received ")
            && short.ends_with(&format!(
                " UTC: total: {}, pending share: {}%, failed share: {}%",
                c.total,
                c.percent(c.pending),
                c.percent(c.failed)
            )),
        "{short}"
    );
    assert!(
        perfdata.starts_with(&format!("'total'={};;1000:;0; 'delivered'={};1:;;0;{}", c.total, c.delivered, c.total)),
        "{perfdata}"
    );
    assert!(perfdata.contains(";0:0;;0;100 'failed'="), "{perfdata}");
    assert!(perfdata.contains(";;0:2;0;100 'quarantined'="), "{perfdata}");

    let calm = run(&mock, &["--warning-failed-prct=50", "--critical-total=1:"]);
    assert_eq!(calm.code, 0, "{}", calm.stdout);
    assert!(calm.stdout.starts_with("OK: Messages received "), "{}", calm.stdout);
}

#[test]
fn a_lone_status_count_is_filtered_by_microsoft() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = run(&mock, &["--filter-counters=^failed$", "--critical-failed=1000:"]);
    let log = mock.trace_log();
    assert_eq!(log.len(), 1);
    assert!(log[0].query.contains(" and status eq 'failed'&$top=5000"), "{}", log[0].query);
    let by_status = returned(&log);
    assert_eq!(by_status.keys().collect::<Vec<_>>(), ["failed"], "only failed messages listed");
    let failed = by_status["failed"];
    assert_eq!(outcome.code, 2, "{}", outcome.stdout);
    assert!(
        outcome.stdout.ends_with(&format!(" UTC: failed: {failed} | 'failed'={failed};;1000:;0;\n")),
        "{}",
        outcome.stdout
    );

    // A percentage needs every message, whatever else is shown.
    let both = MockGraph::builder().start().expect("mock");
    let outcome = run(&both, &["--filter-counters=failed"]);
    let log = both.trace_log();
    assert!(!log[0].query.contains("status eq"), "{}", log[0].query);
    let c = Counts::of(&returned(&log));
    assert!(
        outcome.stdout.contains(&format!(" UTC: failed: {}, failed share: {}% | ", c.failed, c.percent(c.failed))),
        "{}",
        outcome.stdout
    );
}

#[test]
fn sender_and_recipient_are_filtered_by_microsoft_and_patterns_here() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = run(&mock, &["--sender=Partner3@Fabrikam.com", "--filter-counters=^total$"]);
    let log = mock.trace_log();
    assert!(log[0].query.contains(" and senderAddress eq 'Partner3@Fabrikam.com'&"), "{}", log[0].query);
    let total: usize = returned(&log).values().sum();
    assert!(total > 0 && total < 180, "{total}");
    assert!(outcome.stdout.contains(&format!(" UTC: total: {total} | ")), "{}", outcome.stdout);

    // A quote is doubled and a '+' percent-encoded: the stand-in reads the address back.
    let quoted = MockGraph::builder().start().expect("mock");
    let outcome = run(&quoted, &["--recipient=o'brien+news@contoso.com", "--filter-counters=^total$"]);
    let log = quoted.trace_log();
    assert_eq!(log[0].status, 200, "{:?}", log[0]);
    assert!(log[0].query.contains(" and recipientAddress eq 'o''brien+news@contoso.com'&"), "{}", log[0].query);
    assert!(outcome.stdout.contains(" UTC: total: 0 | "), "{}", outcome.stdout);

    // Patterns are applied to every message of the window: a third of the stream is
    // outbound (to fabrikam.com), the rest inbound (from it).
    let patterns = MockGraph::builder().start().expect("mock");
    let inbound = run(&patterns, &["--filter-sender=@fabrikam\\.com$", "--filter-counters=^total$"]);
    let outbound = run(&patterns, &["--filter-recipient=@fabrikam\\.com$", "--filter-counters=^total$"]);
    for call in patterns.trace_log() {
        assert!(!call.query.contains("Address"), "patterns are not sent: {}", call.query);
    }
    assert!(inbound.stdout.contains(" UTC: total: 120 | "), "{}", inbound.stdout);
    assert!(outbound.stdout.contains(" UTC: total: 60 | "), "{}", outbound.stdout);
}

#[test]
fn every_page_is_read_up_to_the_page_cap() {
    let settings = TraceSettings { per_minute: 100, ..TraceSettings::default() };
    let mock = MockGraph::builder().traces(settings).start().expect("mock");
    let outcome = run(&mock, &["--filter-counters=^total$"]);
    let log = mock.trace_log();
    assert_eq!(log.iter().map(|c| c.returned).collect::<Vec<_>>(), [5000, 1000], "{log:?}");
    assert!(log[1].query.contains("$skiptoken="), "the whole next link is followed: {}", log[1].query);
    assert_eq!(log[1].window, log[0].window);
    assert!(outcome.stdout.contains(" UTC: total: 6000 | "), "{}", outcome.stdout);
    assert_eq!(outcome.code, 0);

    let capped = MockGraph::builder().traces(settings).start().expect("mock");
    let outcome = run(&capped, &["--max-pages=1"]);
    assert_eq!(capped.message_trace_requests(), 1, "no request past the cap");
    assert_eq!(outcome.code, 3);
    assert!(
        outcome.stdout.starts_with("UNKNOWN: More than 5000 messages were received ")
            && outcome.stdout.contains(": counting them all would take more than --max-pages=1 requests."),
        "{}",
        outcome.stdout
    );
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let mock = MockGraph::builder().start().expect("mock");
    let cases = [
        ("--lookback=0", "Invalid --lookback value '0': a number of minutes from 1 to 14400 is expected"),
        ("--lookback=1h", "Invalid --lookback value '1h': a number of minutes from 1 to 14400 is expected"),
        ("--lookback=14401", "Invalid --lookback value '14401': a number of minutes from 1 to 14400 is expected"),
        ("--delay=-5", "Invalid --delay value '-5': a number of minutes from 0 to 1440 is expected"),
        ("--max-pages=0", "Invalid --max-pages value '0': a number of requests from 1 to 100 is expected"),
        ("--filter-recipient=(", "Invalid regular expression in --filter-recipient '(': unclosed group."),
        ("--warning-failed-prct=x", "Wrong warning-failed-prct threshold 'x'."),
    ];
    for (arg, message) in cases {
        let outcome = run(&mock, &[arg]);
        assert_eq!(outcome.stdout, format!("UNKNOWN: {message} \n"), "{arg}");
        assert_eq!(outcome.code, 3);
    }
    assert!(mock.requests().is_empty(), "refused before any request: {:?}", mock.requests());
}

#[test]
fn managementapi_answers_that_the_mode_needs_graphapi() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = run_custom(&mock, "managementapi", &[]);
    assert_eq!(
        outcome.stdout,
        "UNKNOWN: mode 'mail-flow' is not available with custom mode 'managementapi' (use --custommode=graphapi) \n"
    );
    assert_eq!(outcome.code, 3);
    assert!(mock.requests().is_empty(), "refused before any request: {:?}", mock.requests());
}

#[test]
fn throttling_is_waited_for_only_within_the_timeout() {
    let once = MockGraph::builder().fault(Fault::TooManyRequestsOnce).start().expect("mock");
    let outcome = run(&once, &[]);
    assert_eq!(once.trace_log().iter().map(|c| c.status).collect::<Vec<_>>(), [429, 200]);
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);

    // The tenant's budget spent after the first page: the stand-in asks for minutes.
    let settings = TraceSettings { per_minute: 100, limit: 1, ..TraceSettings::default() };
    let budget = MockGraph::builder().traces(settings).start().expect("mock");
    let outcome = run(&budget, &["--timeout=5"]);
    assert_eq!(budget.trace_log().iter().map(|c| c.status).collect::<Vec<_>>(), [200, 429]);
    assert_eq!(outcome.code, 3);
    assert!(
        outcome.stdout.starts_with(
            "UNKNOWN: Message trace accepts 100 requests per 5 minutes per tenant, all applications together: check \
             less often or with fewer services: Graph endpoint is throttling (429 Too Many Requests, error code \
             'TooManyRequests'): still refused after 1 attempt, and waiting "
        ),
        "{}",
        outcome.stdout
    );
}

#[test]
fn an_unprovisioned_tenant_is_told_what_to_do() {
    let mock = MockGraph::builder().fault(Fault::TraceUnprovisioned).start().expect("mock");
    let outcome = run(&mock, &[]);
    assert_eq!(
        outcome.stdout,
        "UNKNOWN: Message trace is not provisioned in this tenant: create the service principal of Microsoft's \
         application 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 (New-MgServicePrincipal -AppId \
         8bd644d1-64a1-4d4b-ae52-2e0cbf64e373) and allow a few hours: Graph endpoint API return error code \
         'Unauthorized' (add --debug option for detailed message) \n"
    );
    assert_eq!(outcome.code, 3);
    assert_eq!(mock.message_trace_requests(), 1, "no retry: a new token would not help");

    let forbidden = MockGraph::builder().fault(Fault::Forbidden).start().expect("mock");
    let outcome = run(&forbidden, &[]);
    assert!(
        outcome.stdout.starts_with(
            "UNKNOWN: Message trace needs the application permission ExchangeMessageTrace.Read.All, admin consented: "
        ),
        "{}",
        outcome.stdout
    );
}

#[test]
fn the_mode_is_listed_after_the_original_ones_and_documented() {
    let text = Plugin::new().args(["--list-mode"]).run().stdout;
    let modes: Vec<&str> =
        text.split("Modes Available:\n").nth(1).expect("a mode list").lines().map(str::trim).collect();
    let position = |mode: &str| modes.iter().position(|m| *m == mode).unwrap_or_else(|| panic!("{mode} in {modes:?}"));
    assert_eq!(&modes[..2], ["email-activity", "mailbox-usage"]);
    for original in ["email-activity", "mailbox-usage", "list-services", "service-status"] {
        assert!(position(original) < position("mail-flow"), "{modes:?}");
    }

    let help = Plugin::new().args(["--mode=mail-flow", "--help"]).run().stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "ExchangeMessageTrace.Read.All",
        "--lookback",
        "--delay",
        "--max-pages",
        "--sender",
        "--filter-recipient",
        "100 message trace requests per 5 minutes",
        "'total', 'delivered', 'pending', 'pending-prct', 'failed', 'failed-prct', 'quarantined',",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}
