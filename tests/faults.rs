//! Faults, concurrency and secrets (issue 5): the real binary against the project's
//! stand-in for Microsoft (`tests/mock`), one test per promise of
//! `docs/reliability.md`.
//!
//! Timings are measured with `Instant` around the run, never asserted by sleeping;
//! the `--timeout` values are short so that the whole file runs in a few seconds.

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use crate::common::{plugin, TempDir};
use crate::mock::{Fault, Host, MockGraph, VALID_SECRET};
use serde_json::Value;

/// The report modes: every fault on a report is checked on both.
const MODES: [&str; 2] = ["email-activity", "mailbox-usage"];
/// The client secret as the token form carries it (percent-encoded).
const ENCODED_SECRET: &str = "s3cr3t%2B%2F%3D%26%3F";
/// The start of every token the mock hands out (`tok-1`, `tok-2`, ...).
const TOKEN_PREFIX: &str = "tok-";
/// The token cache of `--tenant=t1 --client-id=c1` under `--custommode=graphapi`
/// (Perl's name: md5 of the tenant and of the client id).
const CACHE_NAME: &str = "office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9";
/// How late after `--timeout` a run may end: process start-up and exit of a debug
/// build on a loaded machine, not a second attempt.
const LATE: Duration = Duration::from_millis(1500);

/// What one run printed and returned, and how long it took.
struct Outcome {
    stdout: String,
    stderr: String,
    code: i32,
    elapsed: Duration,
}

impl Outcome {
    /// Both streams, for the assertions that nothing leaks anywhere.
    fn everything(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs the plugin with `args` against `mock`, with the credentials the mock accepts
/// and the token cache in `state`, and waits for it.
fn run_in(mock: &MockGraph, state: &Path, args: &[&str]) -> Outcome {
    let started = Instant::now();
    let plugin::Outcome { stdout, stderr, code } =
        plugin::command(&mock.url(), state, args).output().expect("the plugin runs").into();
    Outcome { stdout, stderr, code, elapsed: started.elapsed() }
}

/// [`run_in`] with a fresh, empty token cache.
fn run(mock: &MockGraph, args: &[&str]) -> Outcome {
    let state = TempDir::new("faults-state").expect("state dir");
    run_in(mock, state.path(), args)
}

/// A stand-in with `fault` and the default tenant.
fn start(fault: Fault) -> MockGraph {
    MockGraph::builder().fault(fault).start().expect("mock starts")
}

/// Asserts an UNKNOWN answer (exit 3) whose text contains `expected`.
fn assert_unknown(outcome: &Outcome, expected: &str, context: &str) {
    assert_eq!(outcome.code, 3, "{context}: exit code\n{}", outcome.stdout);
    assert!(outcome.stdout.starts_with("UNKNOWN: "), "{context}: not UNKNOWN:\n{}", outcome.stdout);
    assert!(outcome.stdout.contains(expected), "{context}: '{expected}' missing:\n{}", outcome.stdout);
}

/// Asserts an OK answer (exit 0).
fn assert_ok(outcome: &Outcome, context: &str) {
    assert_eq!(outcome.code, 0, "{context}: exit code\n{}{}", outcome.stdout, outcome.stderr);
    assert!(outcome.stdout.starts_with("OK: "), "{context}: not OK:\n{}", outcome.stdout);
}

/// A 429 or 503 on the first report call: waited out (`Retry-After: 1`) and retried
/// once, the run ends OK having asked twice (mailbox-usage reads one report).
#[test]
fn transient_refusals_are_retried() {
    for fault in [Fault::TooManyRequestsOnce, Fault::ServiceUnavailableOnce] {
        let mock = start(fault);
        let first = run(&mock, &["--mode=mailbox-usage"]);
        assert_ok(&first, fault.name());
        assert_eq!(mock.report_requests(), 2, "{fault}: one refused call, one retry");
        assert!(first.elapsed >= Duration::from_secs(1), "{fault}: Retry-After not honoured: {:?}", first.elapsed);
    }
}

/// Throttling that never ends: retried while the budget allows, then
/// `UNKNOWN: ... is throttling ...` before `--timeout` runs out.
#[test]
fn endless_throttling_is_unknown_within_the_budget() {
    let mock = start(Fault::TooManyRequestsAlways);
    let outcome = run(&mock, &["--mode=email-activity", "--timeout=5"]);
    assert_unknown(&outcome, "Graph endpoint is throttling (429 Too Many Requests", "429-always");
    assert!(outcome.elapsed < Duration::from_secs(5) + LATE, "ended after {:?}", outcome.elapsed);
    assert!(mock.report_requests() >= 2, "not retried: {} report calls", mock.report_requests());
}

/// A 401 `InvalidAuthenticationToken` on the report call: one new token, one
/// retry, success (mailbox-usage reads one report).
#[test]
fn expired_token_is_replaced_once() {
    let mock = start(Fault::ExpiredTokenOnce);
    let outcome = run(&mock, &["--mode=mailbox-usage"]);
    assert_ok(&outcome, "401-expired-once");
    assert_eq!(mock.token_requests(), 2, "the first token, then one replacement");
    assert_eq!(mock.report_requests(), 2, "the refused call, then one retry");
}

/// A download that sends its headers and never its body, or answers after 30 s:
/// `UNKNOWN: ... timed out after 2 s` a moment after `--timeout=2`, whatever the mode.
#[test]
fn stalled_or_slow_downloads_time_out_on_budget() {
    for fault in [Fault::Stall, Fault::Slow] {
        let mock = start(fault);
        for mode in MODES {
            let outcome = run(&mock, &[&format!("--mode={mode}"), "--timeout=2"]);
            let context = format!("{fault} {mode}");
            assert_unknown(&outcome, "timed out after 2 s", &context);
            assert!(outcome.elapsed < Duration::from_secs(2) + LATE, "{context}: ended after {:?}", outcome.elapsed);
        }
    }
}

/// Broken downloads are UNKNOWN and say what is wrong; never a partial sum as OK.
#[test]
fn broken_reports_are_unknown() {
    let cases: [(Fault, [&str; 2]); 4] = [
        (
            Fault::Truncated,
            [
                "line 21: 2 fields instead of 13 (truncated or malformed download)",
                "line 21: 1 field instead of 18 (truncated or malformed download)",
            ],
        ),
        (Fault::NotCsv, ["is not CSV but an HTML page", "is not CSV but an HTML page"]),
        (Fault::MissingColumn, ["has no column 'Send Count'", "has no column 'Storage Used (Byte)'"]),
        (Fault::HtmlError, ["Graph endpoint answered 502 Bad Gateway (text/html)"; 2]),
    ];
    for (fault, expected) in cases {
        let mock = start(fault);
        for (mode, expected) in MODES.iter().zip(expected) {
            let outcome = run(&mock, &[&format!("--mode={mode}")]);
            assert_unknown(&outcome, expected, &format!("{fault} {mode}"));
        }
    }
}

/// A copy of the `tenant40` fixture in `dir` with `from` replaced by `to` (once) in
/// `file`.
fn fixture_with(dir: &Path, file: &str, from: &str, to: &str) -> PathBuf {
    let source: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "tenant40"].iter().collect();
    for entry in std::fs::read_dir(&source).expect("fixture dir") {
        let entry = entry.expect("fixture entry");
        std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy fixture");
    }
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("fixture text");
    assert!(text.contains(from), "{file} holds no '{from}'");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write fixture");
    dir.to_path_buf()
}

/// A count that is not a number, or too large for a counter (one cell of the first
/// data row), is UNKNOWN naming the column and the value, never OK with that row left
/// out or its count wrapped to a negative.
#[test]
fn non_numeric_count_is_unknown() {
    let cases = [
        (
            "email-activity",
            "email_D7.csv",
            ",274,192,",
            ",27x4,192,",
            "line 2: column 'Send Count' holds '27x4', not a number",
        ),
        (
            "mailbox-usage",
            "mailbox_D7.csv",
            ",922121676,",
            ",9e21676,",
            "line 2: column 'Storage Used (Byte)' holds '9e21676', not a number",
        ),
        (
            "email-activity",
            "email_D7.csv",
            ",274,192,",
            ",9223372036854775808,192,",
            "line 2: column 'Send Count' holds '9223372036854775808', a count too large",
        ),
        (
            "mailbox-usage",
            "mailbox_D7.csv",
            ",922121676,",
            ",18446744073709551616,",
            "line 2: column 'Storage Used (Byte)' holds '18446744073709551616', a count too large",
        ),
    ];
    for (mode, file, from, to, expected) in cases {
        let dir = TempDir::new("faults-fixture").expect("fixture dir");
        let mock = MockGraph::builder().fixture_dir(fixture_with(dir.path(), file, from, to)).start().expect("mock");
        let outcome = run(&mock, &[&format!("--mode={mode}")]);
        assert_unknown(&outcome, expected, mode);
    }
}

/// A token cache that cannot be written does not fail the check: the run ends as
/// it would have, with Perl's notice at the end of the status line.
#[test]
fn unwritable_token_cache_is_a_notice() {
    let mock = start(Fault::None);
    let state = TempDir::new("faults-state").expect("state dir");
    std::fs::create_dir(state.path().join(CACHE_NAME)).expect("a directory where the cache goes");
    let outcome = run_in(&mock, state.path(), &["--mode=mailbox-usage"]);
    assert_ok(&outcome, "unwritable cache");
    let status_line = outcome.stdout.lines().next().unwrap_or("");
    let perfdata = status_line.find(" | ").expect("perfdata");
    assert!(
        status_line[..perfdata].contains("Cannot close or rename statefile"),
        "notice missing from the status line: {status_line}"
    );
    assert!(status_line[..perfdata].contains(CACHE_NAME), "{status_line}");
}

/// Columns are found by name: the same report with its columns reversed gives the
/// same output, per-user lines included.
#[test]
fn reordered_columns_change_nothing() {
    let normal = start(Fault::None);
    let reordered = start(Fault::ReorderedColumns);
    for mode in MODES {
        let mode_option = format!("--mode={mode}");
        let args = [mode_option.as_str(), "--verbose", "--filter-counters="];
        let want = run(&normal, &args);
        let got = run(&reordered, &args);
        assert!(!want.stdout.starts_with("UNKNOWN"), "{mode}: {}", want.stdout);
        assert_eq!(got.stdout, want.stdout, "{mode}");
        assert_eq!(got.code, want.code, "{mode}");
    }
}

/// The Bearer token goes to the Graph endpoint only: the download host, which
/// refuses a request carrying one, never receives it (email-activity reads two
/// reports, mailbox-usage one).
#[test]
fn token_is_never_sent_to_the_download_host() {
    let mock = start(Fault::StrictDownload);
    for mode in MODES {
        assert_ok(&run(&mock, &[&format!("--mode={mode}")]), mode);
    }
    let log = mock.requests();
    let downloads: Vec<_> = log.iter().filter(|r| r.host == Host::Download).collect();
    assert_eq!(downloads.len(), 3, "one download per report: {log:?}");
    assert!(downloads.iter().all(|r| !r.authorization), "Authorization sent to the download host: {log:?}");
    let reports = log.iter().filter(|r| r.host == Host::Graph && r.method == "GET");
    assert!(reports.clone().count() == 3 && reports.into_iter().all(|r| r.authorization), "{log:?}");
}

/// Sixteen runs started at once against an empty cache: all OK, one token asked
/// for (two at most), and the cache, read over and over while they run, is never
/// seen half-written; afterwards it is JSON with mode 0600.
#[test]
fn concurrent_cold_runs_share_one_token() {
    const RUNS: usize = 16;
    let mock = start(Fault::None);
    let state = TempDir::new("faults-concurrent").expect("state dir");
    let cache = state.path().join(CACHE_NAME);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (cache, done) = (cache.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut reads = 0usize;
            loop {
                // The flag is read before the file: the last pass sees the final file.
                let last = done.load(Ordering::SeqCst);
                match std::fs::read(&cache) {
                    Ok(bytes) => {
                        reads += 1;
                        let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
                        assert!(
                            parsed.as_ref().is_ok_and(|v| v["access_token"].is_string()),
                            "half-written cache seen: {:?}",
                            String::from_utf8_lossy(&bytes)
                        );
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => panic!("cannot read the cache: {e}"),
                }
                if last {
                    return reads;
                }
            }
        })
    };
    let barrier = Arc::new(Barrier::new(RUNS));
    let runs: Vec<_> = (0..RUNS)
        .map(|_| {
            // Without the report cache, every run asks Graph, so needs the token.
            let mut command =
                plugin::command(&mock.url(), state.path(), &["--mode=email-activity", "--report-cache-ttl=0"]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                command.output().expect("the plugin runs")
            })
        })
        .collect();
    let outputs: Vec<_> = runs.into_iter().map(|run| run.join().expect("run thread")).collect();
    done.store(true, Ordering::SeqCst);
    let reads = reader.join().expect("the reader saw only whole files");
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.starts_with("OK: "), "{stdout}");
    }
    assert!(mock.token_requests() <= 2, "{} token requests for {RUNS} runs", mock.token_requests());
    assert!(reads >= 1, "the cache was never read");
    let text = std::fs::read_to_string(&cache).expect("cache written");
    let json: Value = serde_json::from_str(&text).expect("cache is JSON");
    assert!(json["access_token"].as_str().is_some_and(|t| t.starts_with(TOKEN_PREFIX)), "{text}");
    let mode = std::fs::metadata(&cache).expect("cache metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "cache mode {mode:o}");
}

/// Neither the client secret (raw or as the form encodes it) nor any token shows in
/// stdout or stderr, with or without `--debug`: not on success, not from the cache,
/// not on a token refused as expired, not on a secret the login endpoint refuses.
#[test]
fn secrets_never_show() {
    for fault in [Fault::None, Fault::ExpiredTokenOnce, Fault::BadSecret] {
        let mock = start(fault);
        let state = TempDir::new("faults-secrets").expect("state dir");
        // The first run asks for the token (and, with 401-expired-once, replaces it); the
        // next ones take it from the cache (when there is one).
        let runs: [&[&str]; 3] =
            [&["--mode=email-activity", "--debug"], &["--mode=mailbox-usage", "--debug"], &["--mode=email-activity"]];
        for args in runs {
            let outcome = run_in(&mock, state.path(), args);
            let context = format!("{fault} {args:?}");
            let all = outcome.everything();
            for secret in [VALID_SECRET, ENCODED_SECRET, "s3cr3t", TOKEN_PREFIX] {
                assert!(!all.contains(secret), "{context}: '{secret}' shown:\n{all}");
            }
            if args.contains(&"--debug") {
                assert!(all.contains("======> request send"), "{context}: no debug output:\n{all}");
                assert!(all.contains("***"), "{context}: nothing masked:\n{all}");
            }
        }
    }
}

/// `--show-password` is the opt-in that shows them in the debug output.
#[test]
fn show_password_reveals_secrets_on_request() {
    let mock = start(Fault::None);
    let outcome = run(&mock, &["--mode=email-activity", "--debug", "--show-password"]);
    assert_ok(&outcome, "--show-password");
    let all = outcome.everything();
    assert!(all.contains(ENCODED_SECRET), "secret not shown:\n{all}");
    assert!(all.contains("Bearer tok-1"), "token not shown:\n{all}");
}
