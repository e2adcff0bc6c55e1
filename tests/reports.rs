//! What a report's rows may hold and how it arrives (issue 16), the real binary
//! against the project's stand-in for Microsoft (`tests/mock`): rows sharing a user
//! name (email-app-usage's legacy users too), concealed names and a name filter,
//! perfdata labels from any name, and a
//! report whose last record has no line break, served with every HTTP framing, or
//! cut.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::plugin::{run, Outcome};
use crate::common::TempDir;
use crate::mock::{Framing, MockGraph, Variant};

/// The report modes.
const MODES: [&str; 2] = ["email-activity", "mailbox-usage"];

/// A copy of the `tenant40` fixture in `dir`, each `(from, to)` replaced (every
/// occurrence) in every report.
fn fixture_with(dir: &Path, renames: &[(&str, &str)]) -> PathBuf {
    let source: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "tenant40"].iter().collect();
    for entry in std::fs::read_dir(&source).expect("fixture dir") {
        let entry = entry.expect("fixture entry");
        let mut data = std::fs::read(entry.path()).expect("fixture file");
        if entry.file_name().to_string_lossy().ends_with(".csv") {
            let mut text = String::from_utf8(data).expect("UTF-8 fixture");
            for (from, to) in renames {
                text = text.replace(from, to);
            }
            data = text.into_bytes();
        }
        std::fs::write(dir.join(entry.file_name()), data).expect("write fixture");
    }
    dir.to_path_buf()
}

/// The stand-in serving the fixture with `renames`.
fn renamed(dir: &TempDir, renames: &[(&str, &str)]) -> MockGraph {
    MockGraph::builder().fixture_dir(fixture_with(dir.path(), renames)).start().expect("mock")
}

/// The status line's perfdata as (label, the rest), labels read as Centreon reads
/// them: a quoted label runs to its closing quote (a doubled quote is one quote),
/// an unquoted one to the first `=`; the label must be followed by `=`.
fn perfdata(stdout: &str) -> Vec<(String, String)> {
    let line = stdout.lines().next().unwrap_or_default();
    let (_, perf) = line.split_once(" | ").unwrap_or_else(|| panic!("no perfdata: {line}"));
    let mut items = Vec::new();
    let mut rest = perf.trim();
    while !rest.is_empty() {
        let mut label = String::new();
        let after = if let Some(quoted) = rest.strip_prefix('\'') {
            let mut chars = quoted.char_indices().peekable();
            loop {
                let (at, c) = chars.next().unwrap_or_else(|| panic!("unclosed label in {perf}"));
                if c != '\'' {
                    label.push(c);
                } else if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                    chars.next();
                    label.push('\'');
                } else {
                    break &quoted[at + 1..];
                }
            }
        } else {
            let end = rest.find('=').unwrap_or_else(|| panic!("no '=' in {rest}"));
            label.push_str(&rest[..end]);
            &rest[end..]
        };
        let value = after.strip_prefix('=').unwrap_or_else(|| panic!("'{label}' not followed by '=': {after}"));
        let (item, next) = value.split_once(' ').unwrap_or((value, ""));
        assert!(!item.contains('='), "a bare '=' after '{label}': {item}");
        items.push((label, item.to_string()));
        rest = next.trim_start();
    }
    items
}

/// The labels of `stdout`'s perfdata, each once.
fn distinct_labels(stdout: &str) -> BTreeSet<String> {
    let labels: Vec<String> = perfdata(stdout).into_iter().map(|(label, _)| label).collect();
    let distinct: BTreeSet<String> = labels.iter().cloned().collect();
    assert_eq!(distinct.len(), labels.len(), "a label repeats: {labels:?}");
    distinct
}

/// The long output lines that start with `prefix`.
fn lines_starting<'a>(stdout: &'a str, prefix: &str) -> Vec<&'a str> {
    stdout.lines().skip(1).filter(|l| l.starts_with(prefix)).collect()
}

/// Two active mailboxes reported under one name, the first over its quota: both
/// are checked (CRITICAL), each with an instance and labels of its own. Perl kept
/// the last one only, and said OK.
#[test]
fn mailboxes_sharing_a_name_are_each_checked() {
    let dir = TempDir::new("reports-fixture").expect("fixture dir");
    let mock = renamed(
        &dir,
        &[
            ("user000012@contoso.onmicrosoft.com", "(Unknown)"),
            ("user000013@contoso.onmicrosoft.com", "(Unknown)"),
            ("user000021@contoso.onmicrosoft.com", "o'hara=x@contoso.com"),
        ],
    );
    let outcome = run(&mock, &["--mode=mailbox-usage", "--filter-counters=", "--verbose"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stdout);
    assert!(
        outcome.stdout.starts_with("CRITICAL: Mailbox '(Unknown)' Used: 49.79 GB Issue Warning Quota: 49.50 GB"),
        "{}",
        outcome.stdout
    );
    let mailboxes = lines_starting(&outcome.stdout, "Mailbox '");
    assert_eq!(mailboxes.len(), 12, "one line per active mailbox: {mailboxes:#?}");
    assert!(mailboxes.iter().any(|l| l.starts_with("Mailbox '(Unknown) (2)' Used: 4.48 GB")), "{mailboxes:#?}");
    let labels = distinct_labels(&outcome.stdout);
    for label in ["used_(Unknown)", "used_(Unknown) (2)", "items_(Unknown) (2)", "used_o'hara_x@contoso.com"] {
        assert!(labels.contains(label), "{label} missing: {labels:?}");
    }
    assert!(outcome.stdout.contains("'used_o''hara_x@contoso.com'="), "quotes doubled, = as _: {}", outcome.stdout);

    let new = run(&mock, &["--mode=mailbox-usage", "--filter-counters=", "--use-new-perfdata"]);
    let labels = distinct_labels(&new.stdout);
    assert!(labels.contains("(Unknown) (2)#exchange.mailboxes.usage.bytes"), "{labels:?}");
}

/// The same for the users of the daily activity report: the hidden row was the one
/// above the threshold.
#[test]
fn users_sharing_a_name_are_each_checked() {
    let dir = TempDir::new("reports-fixture").expect("fixture dir");
    let mock = renamed(
        &dir,
        &[("user000006@contoso.onmicrosoft.com", "(Unknown)"), ("user000009@contoso.onmicrosoft.com", "(Unknown)")],
    );
    let outcome = run(&mock, &["--mode=email-activity", "--filter-counters=", "--warning-send-count=39", "--verbose"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stdout);
    assert!(
        outcome.stdout.starts_with(
            "WARNING: User '(Unknown)' Send Count: 40 - User 'user000028@contoso.onmicrosoft.com' Send Count: 40"
        ),
        "{}",
        outcome.stdout
    );
    let users = lines_starting(&outcome.stdout, "User '");
    assert_eq!(users.len(), 12, "one line per active user: {users:#?}");
    assert!(users.contains(&"User '(Unknown) (2)' Send Count: 27, Receive Count: 43, Read Count: 185"), "{users:#?}");
    let labels = distinct_labels(&outcome.stdout);
    assert!(labels.contains("send_count_(Unknown)") && labels.contains("send_count_(Unknown) (2)"), "{labels:?}");
}

/// Concealed names (hashes, `<PII:…=)>` forms with `=` and `/`, `(Unknown)`, one
/// hash for several users): every active row is an instance, and every label reads
/// back whole, legacy or new, its `=` written `_` (the format allows no `=` in a label).
#[test]
fn concealed_names_make_distinct_parseable_labels() {
    let mock = MockGraph::builder().variant(Variant::ConcealedNames).start().expect("mock");
    for (mode, prefix) in [("mailbox-usage", "Mailbox '"), ("email-activity", "User '")] {
        for naming in [None, Some("--use-new-perfdata")] {
            let mut args = vec![format!("--mode={mode}"), "--filter-counters=".to_string(), "--verbose".to_string()];
            args.extend(naming.map(String::from));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let outcome = run(&mock, &args);
            assert!(outcome.code == 0 || outcome.code == 2, "{mode}: {}", outcome.stdout);
            assert_eq!(lines_starting(&outcome.stdout, prefix).len(), 12, "{mode}: {}", outcome.stdout);
            let labels = distinct_labels(&outcome.stdout);
            assert!(labels.iter().any(|l| l.contains("<PII:H105(") && l.contains("_)>")), "{mode}: {labels:?}");
            assert!(labels.iter().all(|l| !l.contains('=')), "{mode}: {labels:?}");
            assert!(labels.iter().any(|l| l.contains("(Unknown) (2)") || l.contains("E (2)")), "{mode}: {labels:?}");
        }
    }
}

/// A name filter over a report whose names are concealed: matching nothing, it is
/// UNKNOWN and says which tenant setting shows the names (Perl said OK over 0/0);
/// matching some names, the check goes on and says so; without a filter, nothing
/// is said.
#[test]
fn a_filter_over_concealed_names_says_so() {
    let mock = MockGraph::builder().variant(Variant::ConcealedNames).start().expect("mock");
    for (mode, option) in [("email-activity", "--filter-user"), ("mailbox-usage", "--filter-mailbox")] {
        let none = run(&mock, &[&format!("--mode={mode}"), &format!("{option}=^ceo@")]);
        assert_eq!(none.code, 3, "{mode}: {}", none.stdout);
        assert!(
            none.stdout.starts_with(&format!("UNKNOWN: {option} matched nothing: the report conceals user names (")),
            "{mode}: {}",
            none.stdout
        );
        for setting in ["Display concealed user, group, and site names in all reports", "displayConcealedNames"] {
            assert!(none.stdout.contains(setting), "{mode}: {}", none.stdout);
        }

        let some = run(&mock, &[&format!("--mode={mode}"), &format!("{option}=@contoso.onmicrosoft.com$")]);
        assert_eq!(some.code, 0, "{mode}: {}", some.stdout);
        let status_line = some.stdout.lines().next().unwrap_or_default();
        let (text, _) = status_line.split_once(" | ").expect("perfdata");
        assert!(text.contains(&format!(" - {option} cannot match concealed names: ")), "{mode}: {status_line}");

        let unfiltered = run(&mock, &[&format!("--mode={mode}")]);
        assert_eq!(unfiltered.code, 0, "{mode}: {}", unfiltered.stdout);
        assert!(!unfiltered.stdout.contains("conceal"), "{mode}: {}", unfiltered.stdout);
    }
}

/// The `--filter-counters= --verbose` run of `mode` against `mock`.
fn verbose(mock: &MockGraph, mode: &str) -> Outcome {
    run(mock, &[&format!("--mode={mode}"), "--filter-counters=", "--verbose"])
}

/// A report whose last record has no line break is whole when its length or its
/// chunks say so: the same output as the report with it, last row included. Without
/// framing, the missing line end is the only sign of a cut: UNKNOWN.
#[test]
fn the_last_line_end_matters_only_without_framing() {
    let plain = MockGraph::builder().start().expect("mock");
    for mode in MODES {
        let expected = verbose(&plain, mode);
        assert!(expected.code == 0 || expected.code == 2, "{mode}: {}", expected.stdout);
        for framing in [Framing::Length, Framing::Chunked] {
            let mock = MockGraph::builder().variant(Variant::NoFinalLineEnd).framing(framing).start().expect("mock");
            let outcome = verbose(&mock, mode);
            assert_eq!(outcome.stdout, expected.stdout, "{mode} {framing:?}");
            assert_eq!(outcome.code, expected.code, "{mode} {framing:?}");
        }
        let closed = MockGraph::builder().framing(Framing::Close).start().expect("mock");
        assert_eq!(verbose(&closed, mode).stdout, expected.stdout, "{mode}: a whole report until the close");
        let unended =
            MockGraph::builder().variant(Variant::NoFinalLineEnd).framing(Framing::Close).start().expect("mock");
        let outcome = verbose(&unended, mode);
        assert_eq!(outcome.code, 3, "{mode}: {}", outcome.stdout);
        assert!(
            outcome.stdout.starts_with("UNKNOWN: report ")
                && outcome.stdout.contains("does not end with a line end, and its download has no length"),
            "{mode}: {}",
            outcome.stdout
        );
    }
}

/// A download cut after a whole record, its `Content-Length` or chunks promising
/// more: UNKNOWN, never the rows read so far.
#[test]
fn a_download_cut_against_its_framing_is_unknown() {
    for framing in [Framing::LengthCut, Framing::ChunkedCut] {
        let mock = MockGraph::builder().framing(framing).start().expect("mock");
        for mode in MODES {
            let outcome = verbose(&mock, mode);
            assert_eq!(outcome.code, 3, "{mode} {framing:?}: {}", outcome.stdout);
            assert!(
                outcome.stdout.starts_with("UNKNOWN: report ") && outcome.stdout.contains(": download failed: "),
                "{mode} {framing:?}: {}",
                outcome.stdout
            );
        }
    }
}

/// email-app-usage's legacy users whose names the report conceals behind one value:
/// each row keeps an instance of its own, `NAME (n)` from the second on, and a user
/// filter that the concealed names defeat says so.
#[test]
fn legacy_users_sharing_a_name_stay_apart() {
    let dir = TempDir::new("reports-fixture").expect("fixture dir");
    let fixture = fixture_with(dir.path(), &[]);
    let users = "\u{FEFF}Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,\
                 Last Activity Date,POP3 App,IMAP4 App,SMTP App,Report Period\r\n\
                 2026-11-22,(Unknown),,False,,2026-11-20,Yes,,,7\r\n\
                 2026-11-22,(Unknown),,False,,2026-11-19,,Yes,Yes,7\r\n\
                 2026-11-22,a@contoso.com,,False,,2026-11-18,,,Yes,7\r\n\
                 2026-11-22,(Unknown),,True,2026-11-01,2026-11-01,Yes,,,7\r\n";
    std::fs::write(fixture.join("appuser_D7.csv"), users).expect("write the user detail report");
    let mock = MockGraph::builder().fixture_dir(fixture).start().expect("mock");
    let legacy = |filter: &[&str]| {
        let mut args = vec!["--mode=email-app-usage", "--legacy-users", "--verbose"];
        args.extend(filter);
        run(&mock, &args)
    };

    let outcome = legacy(&[]);
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);
    assert_eq!(
        lines_starting(&outcome.stdout, "User '"),
        [
            "User '(Unknown)' uses POP3 (last activity 2026-11-20)",
            "User '(Unknown) (2)' uses IMAP4, SMTP (last activity 2026-11-19)",
            "User 'a@contoso.com' uses SMTP (last activity 2026-11-18)"
        ]
    );

    let none = legacy(&["--filter-user=^ceo@"]);
    assert_eq!(none.code, 3, "{}", none.stdout);
    assert!(
        none.stdout.starts_with(
            "UNKNOWN: --filter-user matched nothing: the report conceals user names (2 of the 3 rows filtered). "
        ),
        "{}",
        none.stdout
    );
    let some = legacy(&["--filter-user=^a@"]);
    assert_eq!(some.code, 0, "{}", some.stdout);
    assert!(some.stdout.lines().next().unwrap_or_default().contains(" - --filter-user cannot match concealed names: "));
    assert_eq!(lines_starting(&some.stdout, "User '"), ["User 'a@contoso.com' uses SMTP (last activity 2026-11-18)"]);
}
