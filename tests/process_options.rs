//! The script-level options that act on the process: they change
//! what a run sees or how long it may take, never run code.

use std::time::{Duration, Instant};

use crate::common::plugin::Plugin;
use crate::mock::{Fault, MockGraph, VALID_SECRET};

/// The plugin against `mock` with its credentials, a fresh cache, TZ=UTC, and `args`.
fn run(mock: &MockGraph, args: &[&str], env: &[(&str, &str)]) -> (String, i32) {
    let outcome = Plugin::new().client().endpoints(&mock.url()).fresh_state().args(args).envs(env).run();
    (outcome.stdout, outcome.code)
}

fn secret() -> String {
    format!("--client-secret={VALID_SECRET}")
}

#[test]
fn convert_args_rewrites_mode_options_with_decoded_escapes() {
    let mock = MockGraph::builder().start().expect("mock");
    let args =
        ["--mode=email-activity", "--convert-args=##,\\x21", "--filter-user=^(?##user000006)", "--filter-counters="];
    let (stdout, code) = run(&mock, &[&secret(), args[0], args[1], args[2], args[3]], &[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("OK: Active users on 2026-11-22 : 11/39 (28.21%) - "), "{stdout}");
}

#[test]
fn convert_args_leaves_output_options_alone() {
    let mock = MockGraph::builder().start().expect("mock");
    let (stdout, code) =
        run(&mock, &[&secret(), "--mode=email-activity", "--convert-args=XX,0", "--filter-perfdata=XX"], &[]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(stdout.trim_end(), "OK: Active users on 2026-11-22 : 12/40 (30.00%) - Total (active users) Send Count: 250, Receive Count: 1295, Read Count: 1332");
}

#[test]
fn environment_sets_the_time_zone_of_perfdate() {
    let mock = MockGraph::builder().start().expect("mock");
    let (utc, _) = run(&mock, &[&secret(), "--mode=email-activity"], &[]);
    let (tokyo, code) = run(&mock, &[&secret(), "--mode=email-activity", "--environment=TZ=Asia/Tokyo"], &[]);
    assert_eq!(code, 0, "{tokyo}");
    assert!(utc.contains("'perfdate'=1795348800;;;;"), "{utc}");
    assert!(tokyo.contains("'perfdate'=1795316400;;;;"), "{tokyo}");
}

#[test]
fn global_timeout_ends_a_stalled_run() {
    let mock = MockGraph::builder().fault(Fault::Slow).start().expect("mock");
    let started = Instant::now();
    let (stdout, code) = run(&mock, &[&secret(), "--mode=email-activity", "--timeout=30", "--global-timeout=1"], &[]);
    assert_eq!((stdout.as_str(), code), ("UNKNOWN: script global timeout \n", 3));
    assert!(started.elapsed() < Duration::from_secs(10), "ended after {:?}", started.elapsed());
    let (stdout, code) =
        run(&mock, &[&secret(), "--mode=email-activity", "--global-timeout=1", "--opt-exit=critical"], &[]);
    assert_eq!((stdout.as_str(), code), ("CRITICAL: script global timeout \n", 2));
}

#[test]
fn environment_password_manager_takes_the_secret_from_a_variable() {
    let mock = MockGraph::builder().start().expect("mock");
    let mapped =
        ["--mode=email-activity", "--pass-manager=environment", "--environment-map-option=client-secret=MYSECRET"];
    let (stdout, code) = run(&mock, &mapped, &[("MYSECRET", VALID_SECRET)]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("OK: Active users on 2026-11-22 : 12/40"), "{stdout}");
    let (stdout, code) = run(&mock, &mapped, &[]);
    assert_eq!((stdout.as_str(), code), ("UNKNOWN: Need to specify --client-secret option. \n", 3));
    let (stdout, code) = run(&mock, &["--mode=email-activity", "--pass-manager=lastpass", &secret()], &[]);
    assert_eq!(
        (stdout.as_str(), code),
        ("UNKNOWN: Cannot load module 'centreon::plugins::passwordmgr::lastpass' \n", 3)
    );
}

#[test]
fn a_missing_secret_keeps_perls_line_and_hints_at_the_certificate_on_stderr() {
    let mock = MockGraph::builder().start().expect("mock");
    let outcome = Plugin::new().client().endpoints(&mock.url()).fresh_state().args(["--mode=email-activity"]).run();
    assert_eq!((outcome.stdout.as_str(), outcome.code), ("UNKNOWN: Need to specify --client-secret option. \n", 3));
    assert!(outcome.stderr.contains("--client-certificate=FILE"), "{}", outcome.stderr);
    let given = Plugin::new()
        .client()
        .endpoints(&mock.url())
        .fresh_state()
        .args(["--mode=email-activity".to_string(), secret()]);
    assert_eq!(given.run().stderr, "", "a check that runs writes nothing to stderr");
}
