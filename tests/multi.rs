//! The meta mode `multi` (`--mode=multi --modes-exec=…`): several modes in one run,
//! their results joined as Centreon's `centreon::plugins::multi` joins them, checked
//! byte for byte against what the Perl plugin printed for the 40-user tenant.

use crate::common::plugin::{mock, run, run_offline};

/// The two report modes in one run: short messages joined by ` - `, perfdata of both
/// in order with the new metric names, status the worst: Perl's bytes.
#[test]
fn multi_joins_the_modes_as_perl_does() {
    let mock = mock();
    let outcome = run(&mock, &["--mode=multi", "--modes-exec=email-activity,mailbox-usage"]);
    assert_eq!(
        outcome.stdout,
        "OK: Active users on 2026-11-22 : 12/40 (30.00%) - Total (active users) Send Count: 250, Receive Count: 1295, \
         Read Count: 1332 - Active mailboxes on 2026-11-22 : 12/40 (30.00%) - Total Usage (active mailboxes): 121.08 GB, \
         Usage (inactive mailboxes): 220.06 GB | 'perfdate'=1795348800;;;; 'exchange.users.active.count'=12users;;;0;40 \
         'exchange.users.emails.sent.total.count'=250;;;0; 'exchange.users.emails.received.total.count'=1295;;;0; \
         'exchange.users.emails.read.total.count'=1332;;;0; 'perfdate'=1795348800;;;; \
         'exchange.mailboxes.active.count'=12mailboxes;;;0;40 'exchange.mailboxes.active.usage.total.bytes'=130010988069B;;;0; \
         'exchange.mailboxes.inactive.usage.total.bytes'=236288601468B;;;0;\n"
    );
    assert_eq!(outcome.code, 0);
}

/// `--option-mode` gives one mode a threshold (its legacy name works); the worst
/// status wins and only the alerting message shows.
#[test]
fn option_mode_gives_one_mode_its_options() {
    let mock = mock();
    let outcome = run(
        &mock,
        &[
            "--mode=multi",
            "--modes-exec=email-activity,mailbox-usage",
            "--option-mode=mailbox-usage,--warning-active-mailboxes=10",
        ],
    );
    assert_eq!(outcome.code, 1, "{}", outcome.stdout);
    assert!(
        outcome.stdout.starts_with("WARNING: Active mailboxes on 2026-11-22 : 12/40 (30.00%) | 'perfdate'="),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stdout.contains(" 'exchange.mailboxes.active.count'=12mailboxes;0:4;;0;40 "), "{}", outcome.stdout);
    assert!(outcome.stdout.contains(" 'exchange.users.active.count'=12users;;;0;40 "), "{}", outcome.stdout);
}

/// A name that is not a mode is skipped; a mode that fails is skipped with a debug
/// line; without `--modes-exec` the run is UNKNOWN with Perl's message.
#[test]
fn unknown_and_failing_modes_are_skipped() {
    let mock = mock();
    let alone = run(&mock, &["--mode=multi", "--modes-exec=email-activity"]);
    let skipped = run(&mock, &["--mode=multi", "--modes-exec=nonsense,email-activity"]);
    assert_eq!(skipped, alone);
    assert_eq!(alone.code, 0, "{}", alone.stdout);

    let failing = run(
        &mock,
        &[
            "--mode=multi",
            "--modes-exec=mailbox-usage,email-activity",
            "--option-mode=mailbox-usage,--bogus",
            "--debug",
        ],
    );
    assert_eq!(failing.stdout.lines().next(), alone.stdout.lines().next(), "{}", failing.stdout);
    assert!(failing.stdout.contains("eval result mode mailbox-usage: Unknown option: bogus"), "{}", failing.stdout);

    let missing = run_offline(&["--mode=multi"]);
    assert_eq!(missing.stdout, "UNKNOWN: Need to specify --modes-exec option. \n");
    assert_eq!(missing.code, 3);
}
