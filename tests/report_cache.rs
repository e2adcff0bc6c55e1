//! The report cache (`--report-cache-ttl`), end to end: the real binary against the
//! project's stand-in for Microsoft, which counts the downloads it serves.
//!
//! Each test has statefile directories of its own; no test waits for a copy to age:
//! a copy is made older by rewriting the creation time it holds (see [`age`]).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use crate::common::plugin::{self, Outcome};
use crate::common::TempDir;
use crate::mock::{Fault, MockGraph};

/// The report behind both report modes of the default tenant's checks.
const EMAIL: &str = "getEmailActivityUserDetail";
const MAILBOX: &str = "getMailboxUsageDetail";
/// The names of the cache's entries start with this.
const PREFIX: &str = "office365_graphapi_report_";
/// The token cache of `--tenant=t1 --client-id=c1`.
const TOKEN_CACHE: &str = "office365_graphapi_83f1535f99ab0bf4e9d02dfd85d3e3f7_a9f7e97965d6cf799a529102a973b8b9";

/// Runs the plugin with `args` against `mock`, the statefiles in `state`.
fn run(mock: &MockGraph, state: &Path, args: &[&str]) -> Outcome {
    plugin::run_in(&mock.url(), state, args)
}

fn assert_ok(outcome: &Outcome, context: &str) {
    assert_eq!(outcome.code, 0, "{context}: {}{}", outcome.stdout, outcome.stderr);
    assert!(outcome.stdout.starts_with("OK: "), "{context}: {}", outcome.stdout);
}

fn start(fault: Fault) -> MockGraph {
    MockGraph::builder().fault(fault).start().expect("the mock starts")
}

/// The cache's entries in `state` (not their lock files or failure notes).
fn entries(state: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(state)
        .expect("state dir")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.strip_prefix(PREFIX).is_some_and(|rest| rest.len() == 32)
        })
        .collect();
    found.sort();
    found
}

/// Makes the copy in `entry` `secs` older, as a download that long ago would have
/// written it. A record file holds its creation time (milliseconds since the epoch,
/// little-endian) at bytes 12..20 of its header: the key and the column names (each
/// a varint length and bytes, the names after their varint count), then the CRC-32
/// of the header.
pub(crate) fn age(entry: &Path, secs: u64) {
    let mut bytes = std::fs::read(entry).expect("entry");
    let created = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    bytes[12..20].copy_from_slice(&(created - secs * 1000).to_le_bytes());
    let varint = |cursor: &mut usize| {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = bytes[*cursor];
            *cursor += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                break;
            }
        }
        usize::try_from(value).expect("length")
    };
    let mut cursor = 20;
    let key = varint(&mut cursor);
    cursor += key;
    for _ in 0..varint(&mut cursor) {
        let name = varint(&mut cursor);
        cursor += name;
    }
    let crc = crc32fast::hash(&bytes[..cursor]);
    bytes[cursor..cursor + 4].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(entry, bytes).expect("rewrite entry");
}

/// Sixteen checks started at once on a cold cache make one download per report, and
/// all answer the same.
#[test]
fn sixteen_concurrent_cold_checks_make_one_download_per_report() {
    const CHECKS: usize = 16;
    for (mode, report, reports) in [("email-activity", EMAIL, 2), ("mailbox-usage", MAILBOX, 1)] {
        let mock = start(Fault::None);
        let state = TempDir::new("cache-herd").expect("state dir");
        let barrier = Arc::new(Barrier::new(CHECKS));
        let checks: Vec<_> = (0..CHECKS)
            .map(|_| {
                let mut command = plugin::command(&mock.url(), state.path(), &[&format!("--mode={mode}")]);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    Outcome::from(command.output().expect("the plugin runs"))
                })
            })
            .collect();
        let outcomes: Vec<Outcome> = checks.into_iter().map(|check| check.join().expect("check thread")).collect();
        for outcome in &outcomes {
            assert_ok(outcome, mode);
            assert_eq!(outcome.stdout, outcomes[0].stdout, "{mode}: the same answer from every check");
        }
        assert_eq!(mock.downloads(report), reports, "{mode}: one download per report");
        assert_eq!(mock.report_calls(report), reports, "{mode}: one report call per report");
        assert_eq!(entries(state.path()).len(), reports, "{mode}");
    }
}

/// A check with a fresh copy at hand asks nothing of anyone: no report call, no
/// download, not even a token (the token cache is gone). `--debug` says where the
/// report came from and how old it is.
#[test]
fn a_warm_check_makes_no_request() {
    let mock = start(Fault::None);
    let state = TempDir::new("cache-warm").expect("state dir");
    for mode in ["--mode=email-activity", "--mode=mailbox-usage"] {
        let cold = run(&mock, state.path(), &[mode, "--verbose"]);
        assert_ok(&cold, mode);
        std::fs::remove_file(state.path().join(TOKEN_CACHE)).expect("the token cache was written");
        let requests = mock.requests().len();
        let warm = run(&mock, state.path(), &[mode, "--verbose"]);
        assert_eq!(warm, cold, "{mode}: a copy answers as the download did");
        let debug = run(&mock, state.path(), &[mode, "--debug"]);
        assert_eq!(mock.requests().len(), requests, "{mode}: requests made: {:?}", &mock.requests()[requests..]);
        assert!(debug.stdout.contains("): from the cache, "), "{mode}: {}", debug.stdout);
        assert!(debug.stdout.contains(" s old ('"), "{mode}: {}", debug.stdout);
    }
    for entry in entries(state.path()) {
        let mode = std::fs::metadata(&entry).expect("entry").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", entry.display());
    }
}

/// A copy older than `--report-cache-ttl` is downloaded again; younger, it is used.
#[test]
fn an_expired_copy_is_downloaded_again() {
    let mock = start(Fault::None);
    let state = TempDir::new("cache-expiry").expect("state dir");
    let first = run(&mock, state.path(), &["--mode=mailbox-usage"]);
    assert_ok(&first, "cold");
    let [entry] = &entries(state.path())[..] else { panic!("one entry: {:?}", entries(state.path())) };
    age(entry, 1000);
    assert_eq!(run(&mock, state.path(), &["--mode=mailbox-usage", "--report-cache-ttl=1800"]), first);
    assert_eq!(mock.downloads(MAILBOX), 1, "1000 s old is fresh for a TTL of 1800 s");
    assert_eq!(run(&mock, state.path(), &["--mode=mailbox-usage"]), first);
    assert_eq!(mock.downloads(MAILBOX), 2, "1000 s old is too old for the default TTL of 900 s");
    assert_eq!(run(&mock, state.path(), &["--mode=mailbox-usage"]), first);
    assert_eq!(mock.downloads(MAILBOX), 2, "the new copy is fresh");
}

/// `--report-cache-ttl=0`: one download per run, as without a cache, and nothing kept.
#[test]
fn a_zero_ttl_downloads_on_every_run() {
    let mock = start(Fault::None);
    let state = TempDir::new("cache-off").expect("state dir");
    for runs in 1..=2 {
        assert_ok(&run(&mock, state.path(), &["--mode=email-activity", "--report-cache-ttl=0"]), "off");
        assert_eq!(mock.downloads(EMAIL), 2 * runs, "both reports, every run");
    }
    assert_eq!(entries(state.path()), Vec::<PathBuf>::new());
    let refused = run(&mock, state.path(), &["--mode=email-activity", "--report-cache-ttl=soon"]);
    assert_eq!(refused.stdout, "UNKNOWN: --report-cache-ttl must be a whole number of seconds, not 'soon' \n");
    assert_eq!(refused.code, 3);
    assert_eq!(mock.downloads(EMAIL), 4, "refused before any request");
}

/// A cut, corrupt, empty, foreign or shared cache file is a miss: the check downloads
/// and answers as a cold one, never an error and never part of a report.
#[test]
fn damaged_copies_are_clean_misses() {
    let mock = start(Fault::None);
    let cold_state = TempDir::new("cache-cold").expect("state dir");
    let cold = run(&mock, cold_state.path(), &["--mode=email-activity", "--verbose"]);
    assert_ok(&cold, "cold");
    type Damage = fn(&[PathBuf]);
    let damages: [(&str, Damage); 6] = [
        ("half-written", |entries| {
            for entry in entries {
                let bytes = std::fs::read(entry).expect("entry");
                std::fs::write(entry, &bytes[..bytes.len() / 2]).expect("cut");
            }
        }),
        ("a flipped byte", |entries| {
            for entry in entries {
                let mut bytes = std::fs::read(entry).expect("entry");
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x01;
                std::fs::write(entry, bytes).expect("flip");
            }
        }),
        ("empty", |entries| {
            for entry in entries {
                std::fs::write(entry, b"").expect("empty");
            }
        }),
        ("not a record file", |entries| {
            for entry in entries {
                std::fs::write(entry, b"\xEF\xBB\xBFReport Refresh Date\r\n2026-11-22\r\n").expect("csv");
            }
        }),
        ("another report's copy", |entries| {
            let [a, b] = entries else { panic!("two entries: {entries:?}") };
            let (bytes_a, bytes_b) = (std::fs::read(a).expect("a"), std::fs::read(b).expect("b"));
            std::fs::write(a, bytes_b).expect("swap");
            std::fs::write(b, bytes_a).expect("swap");
        }),
        ("readable by others", |entries| {
            for entry in entries {
                std::fs::set_permissions(entry, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            }
        }),
    ];
    for (what, damage) in damages {
        let state = TempDir::new("cache-damaged").expect("state dir");
        assert_eq!(run(&mock, state.path(), &["--mode=email-activity", "--verbose"]), cold, "{what}: first run");
        let entries = entries(state.path());
        damage(&entries);
        let downloads = mock.downloads(EMAIL);
        let debug = run(&mock, state.path(), &["--mode=email-activity", "--verbose", "--debug"]);
        assert!(debug.stdout.contains("): cached copy "), "{what}: the miss is told:\n{}", debug.stdout);
        assert_eq!(mock.downloads(EMAIL), downloads + 2, "{what}: both reports downloaded again");
        assert_eq!(run(&mock, state.path(), &["--mode=email-activity", "--verbose"]), cold, "{what}: repaired");
        assert_eq!(mock.downloads(EMAIL), downloads + 2, "{what}: the new copies are used");
    }
}

/// Graph still throttling after the retries: a copy older than the TTL but younger
/// than a day answers, and the long output says how old it is; with none, the answer
/// is UNKNOWN naming the throttling.
#[test]
fn throttling_is_answered_from_a_copy_up_to_a_day_old() {
    let normal = start(Fault::None);
    let port: u16 = normal.url().rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let state = TempDir::new("cache-throttled").expect("state dir");
    let cold = run(&normal, state.path(), &["--mode=mailbox-usage", "--verbose"]);
    assert_ok(&cold, "cold");
    drop(normal);
    let [entry] = &entries(state.path())[..] else { panic!("one entry") };
    age(entry, 2 * 3600 + 5 * 60);

    // The same endpoint (the cache's key), now throttling for good.
    let throttled = restart_on(port, Fault::TooManyRequestsAlways);
    let stale = run(&throttled, state.path(), &["--mode=mailbox-usage", "--verbose"]);
    assert_ok(&stale, "from the older copy");
    assert!(throttled.report_requests() >= 2, "Graph was asked, and retried");
    let status = |outcome: &Outcome| outcome.stdout.lines().next().unwrap_or_default().to_string();
    assert_eq!(status(&stale), status(&cold), "the copy's figures");
    let note = stale.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        note.starts_with(
            "Report getMailboxUsageDetail(period='D7') is the copy downloaded 2 h 5 min ago: Graph endpoint is \
             throttling (429 Too Many Requests"
        ),
        "{}",
        stale.stdout
    );
    assert!(cold.stdout.lines().skip(1).all(|line| stale.stdout.contains(line)), "the copy's long output");

    age(entry, 24 * 3600);
    let unknown = run(&throttled, state.path(), &["--mode=mailbox-usage", "--verbose"]);
    assert_eq!(unknown.code, 3, "{}", unknown.stdout);
    assert!(
        unknown.stdout.starts_with("UNKNOWN: Graph endpoint is throttling (429 Too Many Requests"),
        "a copy older than a day is not used: {}",
        unknown.stdout
    );

    let empty = TempDir::new("cache-throttled-cold").expect("state dir");
    let unknown = run(&throttled, empty.path(), &["--mode=mailbox-usage"]);
    assert_eq!(unknown.code, 3, "{}", unknown.stdout);
    assert!(unknown.stdout.starts_with("UNKNOWN: Graph endpoint is throttling (429 Too Many Requests"), "{unknown:?}");
}

/// A mock with `fault` on `port` (and the next one, its download host), where a mock
/// was just stopped. Another process of the machine may hold one of the ports for a
/// moment (an outgoing connection given it as its local port): the start is tried
/// again until it is free, within a bound.
fn restart_on(port: u16, fault: Fault) -> MockGraph {
    let mut attempts = 0;
    loop {
        match MockGraph::builder().port(port).fault(fault).start() {
            Ok(mock) => return mock,
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse && attempts < 100 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(error) => panic!("mock on port {port}: {error}"),
        }
    }
}

/// A download removes the copies stored over a day ago, by the date they hold
/// (yesterday's one-day report is never asked for again), and nothing else of the
/// directory.
#[test]
fn copies_older_than_a_day_are_pruned_by_the_next_download() {
    let mock = start(Fault::None);
    let state = TempDir::new("cache-prune").expect("state dir");
    assert_ok(&run(&mock, state.path(), &["--mode=email-activity"]), "email");
    let old = entries(state.path());
    for entry in &old {
        age(entry, 24 * 3600 + 60);
    }
    let unrelated = state.path().join("office365_graphapi_report_notes.txt");
    std::fs::write(&unrelated, "kept").expect("unrelated file");
    assert_ok(&run(&mock, state.path(), &["--mode=mailbox-usage"]), "mailbox");
    let left = entries(state.path());
    assert_eq!(left.len(), 1, "only the new copy is left: {left:?}");
    assert!(!old.contains(&left[0]));
    assert!(unrelated.exists(), "other files are left alone");
}
