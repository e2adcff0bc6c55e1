//! The command line without any server: informational commands, stage order of the
//! errors, and the exact texts Centreon users see.

use assert_cmd::Command;
use predicates::prelude::*;

const PLUGIN: &str = "--plugin=cloud::microsoft::office365::exchange::plugin";

fn plugin() -> Command {
    let mut cmd = Command::cargo_bin("centreon_office365_exchange_api").expect("binary built");
    cmd.env("TZ", "UTC");
    cmd
}

fn auth() -> [&'static str; 4] {
    ["--tenant=t1", "--client-id=c1", "--client-secret=x", "--statefile-dir=/nonexistent-statefile-dir"]
}

#[test]
fn list_mode_keeps_the_layout_discovery_parses() {
    plugin()
        .args([PLUGIN, "--list-mode"])
        .assert()
        .code(3)
        .stdout(predicate::str::starts_with(
            "\nPlugin Description:\n    Check Microsoft Office 365 Exchange.\n\nGlobal Options:\n    --mode  Define",
        ))
        .stdout(predicate::str::contains(
            "\nModes Meta:\n   multi\n\nModes Available:\n   email-activity\n   mailbox-usage\n",
        ));
}

#[test]
fn help_without_plugin_shows_usage_then_the_script_options() {
    plugin()
        .arg("--help")
        .assert()
        .code(3)
        .stdout(predicate::str::starts_with("\nUsage:\n    centreon_plugins.pl [options]\n\nOptions:\n    --plugin\n"));
}

#[test]
fn list_custommode_names_graphapi() {
    plugin()
        .args([PLUGIN, "--list-custommode"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("Custom Modes Available:\n   graphapi\n"));
}

#[test]
fn versions_have_no_label_and_a_trailing_space() {
    // Perl's words and number first (scripts read them), then which build answers.
    let build = concat!("centreon-office365-exchange-api ", env!("CARGO_PKG_VERSION"), " (Rust)");
    plugin().arg("--version").assert().code(3).stdout(format!("Global Version: 20260700 {build} \n"));
    plugin().args([PLUGIN, "--version"]).assert().code(3).stdout(format!("Plugin Version: 0.1 {build} \n"));
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--version"])
        .assert()
        .code(3)
        .stdout(format!("Mode Version: 1.0 {build} \n"));
    plugin().args([PLUGIN, "--version", "--opt-exit=critical"]).assert().code(2);
}

#[test]
fn plugin_and_mode_errors_keep_their_perl_texts() {
    plugin().assert().code(3).stdout("UNKNOWN: Need to specify '--plugin' option. \n");
    plugin().arg("--plugin=foo::bar").assert().code(3).stdout("UNKNOWN: Cannot load module --plugin. \n");
    plugin().arg(PLUGIN).assert().code(3).stdout("UNKNOWN: Need to specify '--mode' or '--dyn-mode' option. \n");
    plugin()
        .args([PLUGIN, "--mode=Email-Activity"])
        .assert()
        .code(3)
        .stdout("UNKNOWN: mode 'Email-Activity' doesn't exist (use --list-mode option to show available modes). \n");
    plugin()
        .args([PLUGIN, "--custommode=foo", "--mode=foo"])
        .assert()
        .code(3)
        .stdout("UNKNOWN: mode 'foo' doesn't exist (use --list-custommode option to show available modes). \n");
}

#[test]
fn unknown_options_are_reported_after_the_mode_is_known() {
    plugin()
        .args([PLUGIN, "--mode=foo", "--foo=bar"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("mode 'foo' doesn't exist"));
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--foo=bar", "--bar=baz"])
        .assert()
        .code(3)
        .stdout("UNKNOWN: Unknown option: foo \n");
    plugin()
        .args([PLUGIN, "--list-mode", "--foo"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("Modes Available:"));
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--mod.=x"])
        .assert()
        .code(3)
        .stdout("UNKNOWN: Unknown option: mod. \n");
}

#[test]
fn custom_mode_checks_come_before_thresholds() {
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--warning-active-users=abc"])
        .assert()
        .code(3)
        .stdout("UNKNOWN: Need to specify --tenant option. \n");
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--warning-active-users=abc"])
        .args(auth())
        .assert()
        .code(3)
        .stdout("UNKNOWN: Wrong warning-active-users threshold 'abc'. \n");
}

#[test]
fn new_perfdata_names_threshold_options_after_nlabels() {
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--warning-exchange-users-emails-sent-total-count=1"])
        .args(auth())
        .assert()
        .code(3)
        .stdout("UNKNOWN: Unknown option: warning-exchange-users-emails-sent-total-count \n");
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--use-new-perfdata", "--warning-send-count=x"])
        .args(auth())
        .assert()
        .code(3)
        .stdout("UNKNOWN: Wrong warning-instance-exchange-users-emails-sent-count threshold 'x'. \n");
}

#[test]
fn status_expressions_are_validated_at_start_up() {
    plugin()
        .args([PLUGIN, "--mode=mailbox-usage", "--warning-status=%{used} >"])
        .args(auth())
        .assert()
        .code(3)
        .stdout(predicate::str::starts_with("UNKNOWN: Wrong warning-status expression '%{used} >': "));
    plugin()
        .args([PLUGIN, "--mode=mailbox-usage", "--critical-status=%{foo} > 1"])
        .args(auth())
        .assert()
        .code(3)
        .stdout(predicate::str::contains("unknown variable %{foo}"));
}

#[test]
fn list_counters_needs_no_request() {
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--list-counters"])
        .args(auth())
        .assert()
        .code(0)
        .stdout("counter list: active-users total-send-count total-receive-count total-read-count send-count receive-count read-count  \n");
}

#[test]
fn output_option_errors_come_first() {
    plugin().arg("--opt-exit=bogus").assert().code(3).stdout("UNKNOWN: Unknown value 'bogus' for --opt-exit. \n");
    plugin()
        .args([PLUGIN, "--mode=foo", "--opt-exit=critical"])
        .assert()
        .code(2)
        .stdout(predicate::str::starts_with("CRITICAL: mode 'foo'"));
    plugin().args([PLUGIN, "--mode=foo", "--change-exit=unknown=ok"]).assert().code(0);
}

#[test]
fn help_is_generated_from_the_registrations() {
    plugin()
        .args([PLUGIN, "--mode=mailbox-usage", "--help"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("\nOutput Options:\n"))
        .stdout(predicate::str::contains("\nRest api Options:\n"))
        .stdout(predicate::str::contains("\nRetention Options:\n"))
        .stdout(predicate::str::contains("\nMode:\n"))
        .stdout(predicate::str::contains("    --filter-mailbox\n"))
        .stdout(predicate::str::contains("'status', 'items'"));
}

#[test]
fn disco_documents_of_counter_modes_are_empty() {
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--disco-format"])
        .args(auth())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("<data/>"));
    plugin()
        .args([PLUGIN, "--mode=email-activity", "--disco-show", "--output-json"])
        .args(auth())
        .assert()
        .code(0)
        .stdout("{\"data\":[]}");
}
