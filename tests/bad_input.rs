//! Bad input (issue 5): every invalid option value is `UNKNOWN: ` naming the option
//! and the problem, found at start-up (no request made); the values Perl accepts
//! silently are still accepted; and no command line, however odd, makes the parser
//! or the binary panic (property tests).

use crate::common::plugin::{run, run_at, run_raw, NOWHERE, PLUGIN};
use crate::common::TempDir;
use crate::mock::{MockGraph, VALID_SECRET};
use centreon_plugin::getopt;
use centreon_plugin::options::OptionSpec;
use centreon_plugin::output::OutputOptions;
use proptest::prelude::*;

/// Every invalid value: `UNKNOWN: ` with the option and the problem, exit 3, before
/// any request (the endpoints are a closed port); `--opt-exit=critical` makes it
/// `CRITICAL: ` and exit 2.
#[test]
fn invalid_values_name_the_option_and_the_problem() {
    let cases: &[(&str, &str, &str)] = &[
        ("email-activity", "--warning-active-users=abc", "Wrong warning-active-users threshold 'abc'."),
        ("email-activity", "--critical-total-send-count=1:2:3", "Wrong critical-total-send-count threshold '1:2:3'."),
        ("mailbox-usage", "--warning-active-mailboxes=10:abc", "Wrong warning-active-mailboxes threshold '10:abc'."),
        ("email-activity", "--filter-user=(", "Invalid regular expression in --filter-user '(': unclosed group."),
        ("mailbox-usage", "--filter-mailbox=(", "Invalid regular expression in --filter-mailbox '(': unclosed group."),
        ("email-activity", "--filter-counters=(", "Invalid regular expression in --filter-counters '(': unclosed group."),
        ("email-activity", "--filter-perfdata=(", "Invalid regular expression in --filter-perfdata '(': unclosed group."),
        ("email-activity", "--timeout=abc", "Invalid --timeout value 'abc': a whole number of seconds from 1 to 86400 is expected"),
        ("mailbox-usage", "--timeout=0", "Invalid --timeout value '0': a whole number of seconds from 1 to 86400 is expected"),
        (
            "mailbox-usage",
            "--warning-status=%{used} >",
            "Wrong warning-status expression '%{used} >': syntax error at character 9: an operand is missing after '>'.",
        ),
        (
            "mailbox-usage",
            "--critical-status=%{foo} > 1",
            "Wrong critical-status expression '%{foo} > 1': unknown variable %{foo} (known: display, used, ",
        ),
        (
            "mailbox-usage",
            "--critical-status=foo(%{used})",
            "Wrong critical-status expression 'foo(%{used})': unknown function foo() (known: lc(), uc(), length(), defined()).",
        ),
        (
            "email-activity",
            "--critical-active-users=10:5",
            "Wrong critical-active-users threshold '10:5': its start 10 is above its end 5, so no value is in the range.",
        ),
        (
            "mailbox-usage",
            "--warning-active-mailboxes=@",
            "Wrong warning-active-mailboxes threshold '@': '@' alone alerts on every value; give the range, as in @10:20.",
        ),
    ];
    for (mode, option, message) in cases {
        let mode = format!("--mode={mode}");
        let unknown = run_at(NOWHERE, &[&mode, option]);
        assert_eq!(unknown.code, 3, "{option}: {}", unknown.stdout);
        assert!(unknown.stdout.starts_with(&format!("UNKNOWN: {message}")), "{option}: {}", unknown.stdout);
        let critical = run_at(NOWHERE, &[&mode, option, "--opt-exit=critical"]);
        assert_eq!(critical.code, 2, "{option} --opt-exit=critical: {}", critical.stdout);
        assert!(critical.stdout.starts_with(&format!("CRITICAL: {message}")), "{option}: {}", critical.stdout);
    }
}

/// `--opt-exit` itself is checked first, with Perl's text.
#[test]
fn invalid_opt_exit_is_unknown() {
    let outcome = run_at(NOWHERE, &["--mode=email-activity", "--opt-exit=bogus", "--warning-active-users=abc"]);
    assert_eq!(outcome.code, 3);
    assert_eq!(outcome.stdout, "UNKNOWN: Unknown value 'bogus' for --opt-exit. \n");
}

/// `--units`: `%` and `count` as documented; an empty value (an empty Centreon macro)
/// is a count, as in Perl; anything else is refused before any request (Perl took
/// it silently for a count).
#[test]
fn units_are_percent_or_count() {
    let mock = MockGraph::builder().start().expect("mock");
    let with = |units: &str| run(&mock, &["--mode=email-activity", units, "--warning-active-users=5"]);
    let (empty, count, percent) = (with("--units="), with("--units=count"), with("--units=%"));
    assert_eq!(count.code, 1, "{}", count.stdout);
    assert!(count.stdout.contains("'active_users'=12users;0:5;;0;40"), "{}", count.stdout);
    assert_eq!(empty.stdout, count.stdout);
    assert_ne!(percent.stdout, count.stdout, "'%' must differ from a count");
    let requests = mock.report_requests();
    let foo = with("--units=foo");
    assert_eq!((foo.code, foo.stdout.as_str()), (3, "UNKNOWN: Wrong units option 'foo': '%' or 'count' expected. \n"));
    assert_eq!(mock.report_requests(), requests, "refused before any report request");
}

/// Thresholds and status expressions that could never alert as written (Perl accepts
/// them: a start above the end or a bare `@` alerts on every value, an unknown function
/// is never true) are refused before any report request; their valid neighbours run.
#[test]
fn ranges_and_calls_that_cannot_alert_as_written_are_refused() {
    let mock = MockGraph::builder().start().expect("mock");
    let refused: &[(&str, &str, &str)] = &[
        (
            "email-activity",
            "--critical-active-users=10:5",
            "UNKNOWN: Wrong critical-active-users threshold '10:5': its start 10 is above its end 5, so no value is in the range. \n",
        ),
        (
            "email-activity",
            "--warning-total-send-count=@",
            "UNKNOWN: Wrong warning-total-send-count threshold '@': '@' alone alerts on every value; give the range, as in @10:20. \n",
        ),
        (
            "mailbox-usage",
            "--critical-status=foo(%{used})",
            "UNKNOWN: Wrong critical-status expression 'foo(%{used})': unknown function foo() (known: lc(), uc(), length(), defined()). \n",
        ),
    ];
    for (mode, option, stdout) in refused {
        let requests = mock.report_requests();
        let outcome = run(&mock, &[&format!("--mode={mode}"), option]);
        assert_eq!((outcome.code, outcome.stdout.as_str()), (3, *stdout), "{option}");
        assert_eq!(mock.report_requests(), requests, "{option}: refused before any report request");
    }
    let accepted: &[(&str, &[&str], i32)] = &[
        ("email-activity", &["--critical-active-users=5:10"], 2),
        ("email-activity", &["--warning-total-send-count=@200:300"], 1),
        ("mailbox-usage", &["--filter-counters=status", "--critical-status=lc(%{display}) =~ /^user0/"], 2),
    ];
    for (mode, options, code) in accepted {
        let mut args = vec![format!("--mode={mode}")];
        args.extend(options.iter().map(|o| o.to_string()));
        let outcome = run(&mock, &args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(outcome.code, *code, "{options:?}: {}", outcome.stdout);
    }
}

/// `--change-exit`: a pair that cannot be read is refused, naming it (Perl ignored it
/// silently, leaving the exit code unchanged); an empty value adds no pair.
#[test]
fn unreadable_change_exit_pairs_are_refused() {
    let mock = MockGraph::builder().start().expect("mock");
    let with = |extra: &[&str]| {
        let mut args = vec!["--mode=email-activity", "--units=count", "--critical-active-users=10"];
        args.extend(extra);
        run(&mock, &args)
    };
    let plain = with(&[]);
    assert_eq!(plain.code, 2, "{}", plain.stdout);
    assert_eq!(with(&["--change-exit=critical=warning"]).code, 1, "a valid pair applies");
    assert_eq!(with(&["--change-exit="]).stdout, plain.stdout, "an empty value adds no pair");
    for bogus in ["bogus", "critical=bogus", "critical", "="] {
        let outcome = with(&[&format!("--change-exit={bogus}")]);
        assert_eq!(outcome.code, 3, "{bogus}: {}", outcome.stdout);
        assert!(
            outcome.stdout.starts_with(&format!("UNKNOWN: Wrong change-exit option '{bogus}': ")),
            "{}",
            outcome.stdout
        );
    }
}

/// The real option specs the tokenizer sees first (output, HTTP, statefile), and the
/// plugin's own, in their three kinds.
fn specs() -> Vec<OptionSpec> {
    let mut specs: Vec<OptionSpec> = OutputOptions::sections()
        .into_iter()
        .chain(centreon_plugin::http::sections())
        .chain([centreon_plugin::statefile::section()])
        .flat_map(|section| section.options)
        .collect();
    specs.extend(
        ["plugin", "mode", "tenant", "client-id", "client-secret", "filter-user", "units", "warning-active-users"]
            .map(|name| OptionSpec::value(name, "")),
    );
    specs
}

/// One command-line word: mostly options (known or not, with or without a value),
/// some plain words and negative numbers, the `--` terminator, anything at all.
fn word(names: Vec<String>) -> impl Strategy<Value = String> {
    let value = prop_oneof![Just(String::new()), "[-@~:0-9a-z%{}()=,. ]{0,8}", "\\PC{0,6}"];
    let name = prop_oneof![4 => proptest::sample::select(names), 1 => "[a-z-]{1,8}"];
    prop_oneof![
        4 => (name.clone(), value.clone()).prop_map(|(n, v)| format!("--{n}={v}")),
        2 => name.prop_map(|n| format!("--{n}")),
        2 => value,
        1 => Just("--".to_string()),
        1 => "\\PC{0,12}",
    ]
}

/// The name of an `--option` word, as the tokenizer reads it.
fn option_name(arg: &str) -> Option<&str> {
    let body = arg.strip_prefix("--")?;
    Some(body.split_once('=').map_or(body, |(name, _)| name))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The tokenizer never panics, and accounts for every word: what it leaves over is
    /// the input in order minus what it consumed; before `--`, an `--option` is left
    /// over exactly when no spec answers to its name, and the first such one is the
    /// one reported as unknown.
    #[test]
    fn tokenizer_accounts_for_every_word(args in prop::collection::vec(word(spec_names()), 0..12)) {
        let specs = specs();
        let parsed = getopt::parse(&args, &specs);
        let mut rest = parsed.rest.iter().peekable();
        for arg in &args {
            if rest.peek() == Some(&arg) {
                rest.next();
            }
        }
        prop_assert!(rest.next().is_none(), "rest {:?} is not a subsequence of {:?}", parsed.rest, args);

        let options = &args[..args.iter().position(|a| a == "--").unwrap_or(args.len())];
        let unknown: Vec<&str> = options
            .iter()
            .filter_map(|a| option_name(a))
            .filter(|name| !specs.iter().any(|s| s.answers_to(name)))
            .collect();
        let left_over = parsed.rest.iter().take_while(|a| *a != "--").filter(|a| a.starts_with("--")).count();
        prop_assert_eq!(left_over, unknown.len(), "args {:?} rest {:?}", args, parsed.rest);
        prop_assert_eq!(parsed.first_unknown(), unknown.first().copied());
    }
}

/// The names of [`specs`], for the word strategy.
fn spec_names() -> Vec<String> {
    specs().into_iter().map(|s| s.name).collect()
}

/// Option names that could send a request elsewhere than the closed port, or write
/// a file: kept out of the binary fuzzing.
const OFF_LIMITS: [&str; 5] = ["proxy", "peer", "endpoint", "statefile", "output-file"];

/// The plugin's option names, from its `--help` (all modes and custom modes).
fn plugin_option_names() -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    for (custom, mode) in
        [("graphapi", "email-activity"), ("graphapi", "mailbox-usage"), ("managementapi", "service-status")]
    {
        let help =
            run_raw(&[PLUGIN.to_string(), format!("--custommode={custom}"), format!("--mode={mode}"), "--help".into()]);
        for line in help.stdout.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("--") {
                names.insert(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>());
            }
        }
    }
    names.into_iter().filter(|n| !n.is_empty() && !OFF_LIMITS.iter().any(|o| n.contains(o))).collect()
}

/// A working command line for one of the custom modes and modes.
fn custom_and_mode() -> impl Strategy<Value = (&'static str, &'static str)> {
    proptest::sample::select(
        &[
            ("graphapi", "email-activity"),
            ("graphapi", "mailbox-usage"),
            ("graphapi", "service-status"),
            ("graphapi", "list-services"),
            ("graphapi", "list-mailboxes"),
            ("managementapi", "service-status"),
            ("managementapi", "list-services"),
        ][..],
    )
}

/// The binary, given random words between a working command line (custom mode,
/// mode, credentials) and the options that point it at the stand-in: a Centreon exit
/// code, never a panic, whether the words stop it at start-up or it gets data and
/// renders it. The tail comes last (the last occurrence of an option wins), no random
/// word is `--` or an off-limits option, and an endpoint option of the other custom
/// mode is an unknown option (an error before any request), so no run leaves
/// 127.0.0.1.
#[test]
fn binary_never_panics() {
    let mock = MockGraph::builder().start().expect("mock");
    let state = TempDir::new("bad-input-fuzz").expect("state dir");
    let words = prop::collection::vec(word(fuzz_names()), 0..8).prop_filter("stays on loopback", |words| {
        words.iter().all(|w| w != "--" && !(w.starts_with("--") && OFF_LIMITS.iter().any(|o| w.contains(o))))
    });
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    let result = runner.run(&(custom_and_mode(), words), |((custom, mode), words)| {
        let endpoint = if custom == "managementapi" { "management-endpoint" } else { "graph-endpoint" };
        let mut args: Vec<String> = vec![
            PLUGIN.to_string(),
            format!("--custommode={custom}"),
            format!("--mode={mode}"),
            "--tenant=t1".to_string(),
            "--client-id=c1".to_string(),
            format!("--client-secret={VALID_SECRET}"),
        ];
        args.extend(words);
        args.extend([
            format!("--login-endpoint={}", mock.url()),
            format!("--{endpoint}={}", mock.url()),
            format!("--statefile-dir={}", state.path().display()),
        ]);
        let outcome = run_raw(&args);
        prop_assert!((0..=4).contains(&outcome.code), "exit {} for {:?}:\n{}", outcome.code, args, outcome.stdout);
        prop_assert!(!outcome.stderr.contains("panicked"), "{:?}:\n{}", args, outcome.stderr);
        prop_assert!(!outcome.stdout.contains("internal error"), "{:?}:\n{}", args, outcome.stdout);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// The binary's option names, computed once for the fuzzing strategy.
fn fuzz_names() -> Vec<String> {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(plugin_option_names).clone()
}
