//! The engine definitions the project ships, against the plugin and the documentation:
//! the Icinga 2 CheckCommand has an argument for every option `--help` documents and
//! for no other, and names its custom variables after them; the documentation shows the Nagios /
//! Centreon Engine definitions exactly as the file the engine test runs; the packages
//! install the Icinga 2 definition where Icinga 2 loads plugins-contrib commands.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use regex::Regex;

pub(crate) const PLUGIN: &str = "--plugin=cloud::microsoft::office365::exchange::plugin";
pub(crate) const ICINGA2_DEFINITION: &str = "packaging/icinga2/office365-exchange.conf";
const ICINGA2_INSTALLED: &str = "usr/share/icinga2/include/plugins-contrib.d/office365-exchange.conf";
pub(crate) const NAGIOS_DEFINITIONS: &str = "packaging/nagios/office365-exchange.cfg";
const OPERATIONS: &str = "docs/operations.md";

/// Options that make the plugin print something else than a check result: no
/// check command has a use for them.
pub(crate) const INFORMATIONAL: [&str; 5] =
    ["--help", "--version", "--list-plugin", "--list-mode", "--list-custommode"];

/// CheckCommand arguments with a fixed value, and no variable of their own.
const FIXED: [&str; 2] = ["--plugin", "--pass-manager"];

pub(crate) fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// What the plugin prints on stdout for `args` (whatever its exit code).
pub(crate) fn plugin_stdout(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_centreon_office365_exchange_api"))
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("the plugin runs");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The names listed under a `--list-*` heading, one per line indented by 3 spaces.
pub(crate) fn listed(args: &[&str]) -> Vec<String> {
    let stdout = plugin_stdout(args);
    // The names under the last "… Available:" heading: `--list-mode` lists the meta
    // mode `multi` before it, under "Modes Meta:".
    let available = stdout.rsplit_once("Available:\n").map_or("", |(_, names)| names);
    available
        .lines()
        .filter_map(|line| line.strip_prefix("   "))
        .filter(|name| !name.starts_with(' ') && !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// The counters a mode's `--warning-*` and `--critical-*` thresholds name (the same
/// under every custom mode that offers the mode; every mode has the default one).
fn counters(mode: &str) -> Vec<String> {
    let mode = format!("--mode={mode}");
    let out = plugin_stdout(&[PLUGIN, &mode, "--tenant=t", "--client-id=c", "--client-secret=s", "--list-counters"]);
    let list = out.strip_prefix("counter list:").unwrap_or_else(|| panic!("{mode}: no counter list in {out:?}"));
    list.split_whitespace().map(str::to_string).collect()
}

/// The counters a mode's help names after "Can be:" in its thresholds item: those of
/// `--list-counters`, and the opt-in ones it leaves out (`report-age`).
fn counters_in_help(help: &str) -> Vec<String> {
    let Some(start) = help.find("Thresholds. Can be:") else { return Vec::new() };
    let list = &help[start..];
    let list = &list[..list.find("\n\n").unwrap_or(list.len())];
    Regex::new(r"'([a-z0-9-]+)'").unwrap().captures_iter(list).map(|c| c[1].to_string()).collect()
}

/// The options one `--help` output documents: the `--name` words an item starts
/// with (an item line is indented by 4 spaces; its text follows after two spaces,
/// or one before a capital, or on the next lines), wildcards expanded with the
/// counters of `--list-counters` and of the help itself.
pub(crate) fn documented(help: &str, mode: &str) -> BTreeSet<String> {
    let item = Regex::new(r"^ {4}(--[a-z0-9*-]+(?: --[a-z0-9*-]+)*)(?:$| {2}| [A-Z])").unwrap();
    let mut options = BTreeSet::new();
    for line in help.lines() {
        let Some(names) = item.captures(line) else { continue };
        for name in names[1].split(' ') {
            match name.strip_suffix('*') {
                Some(prefix) => {
                    let mut all: BTreeSet<String> = counters(mode).into_iter().collect();
                    all.extend(counters_in_help(help));
                    options.extend(all.iter().map(|counter| format!("{prefix}{counter}")));
                }
                None => {
                    options.insert(name.to_string());
                }
            }
        }
    }
    options
}

/// The options the `--help` of `mode` documents, under every custom mode offering it
/// (a mode the custom mode does not offer has no mode section).
pub(crate) fn mode_options(mode: &str) -> BTreeSet<String> {
    let mut options = BTreeSet::new();
    for custom_mode in listed(&[PLUGIN, "--list-custommode"]) {
        let custom = format!("--custommode={custom_mode}");
        let mode_arg = format!("--mode={mode}");
        let help = plugin_stdout(&[PLUGIN, &custom, &mode_arg, "--pass-manager=environment", "--help"]);
        if help.contains("\nMode:\n") {
            options.extend(documented(&help, mode));
        }
    }
    options
}

/// Every option of every mode under every custom mode, and of the script itself.
fn every_documented_option() -> BTreeSet<String> {
    let mut options = documented(&plugin_stdout(&["--help"]), "");
    // The meta mode `multi` too: the CheckCommand passes its options.
    let mut modes = listed(&[PLUGIN, "--list-mode"]);
    modes.push("multi".to_string());
    let custom_modes = listed(&[PLUGIN, "--list-custommode"]);
    assert!(modes.len() >= 5 && custom_modes.len() >= 2, "modes {modes:?}, custom modes {custom_modes:?}");
    for mode in &modes {
        options.extend(mode_options(mode));
    }
    options
}

/// The CheckCommand's arguments: key and the rest of its one-line definition.
pub(crate) fn icinga2_arguments() -> Vec<(String, String)> {
    let argument = Regex::new(r#"^\t\t"(--[a-z0-9-]+)" = \{(.*)\}$"#).unwrap();
    read(ICINGA2_DEFINITION)
        .lines()
        .filter_map(|line| argument.captures(line).map(|c| (c[1].to_string(), c[2].to_string())))
        .collect()
}

/// `--warning-active-users` → `o365_warning_active_users`.
fn variable(option: &str) -> String {
    format!("o365_{}", option.trim_start_matches('-').replace('-', "_"))
}

#[test]
fn the_icinga2_check_command_has_an_argument_for_every_documented_option() {
    let documented = every_documented_option();
    for expected in [
        "--tenant",
        "--client-secret",
        "--statefile-dir",
        "--warning-active-users",
        "--critical-status",
        "--warning-report-age",
    ] {
        assert!(documented.contains(expected), "the help parser missed {expected}: {documented:?}");
    }
    let keys: BTreeSet<String> = icinga2_arguments().into_iter().map(|(key, _)| key).collect();
    let missing: Vec<&String> =
        documented.iter().filter(|o| !keys.contains(*o) && !INFORMATIONAL.contains(&o.as_str())).collect();
    assert!(
        missing.is_empty(),
        "{ICINGA2_DEFINITION} has no argument for {missing:?}: add one line each, as for the other options"
    );
}

#[test]
fn every_icinga2_argument_is_a_documented_option() {
    let documented = every_documented_option();
    let unknown: Vec<String> =
        icinga2_arguments().into_iter().map(|(key, _)| key).filter(|key| !documented.contains(key)).collect();
    assert!(unknown.is_empty(), "{ICINGA2_DEFINITION} has arguments for {unknown:?}, which no --help documents");
}

#[test]
fn each_icinga2_argument_reads_the_variable_named_after_its_option() {
    let arguments = icinga2_arguments();
    assert!(arguments.len() > 50, "only {} arguments found", arguments.len());
    let mut seen = BTreeSet::new();
    for (key, body) in &arguments {
        assert!(seen.insert(key.clone()), "{key} is defined twice");
        if FIXED.contains(&key.as_str()) {
            continue;
        }
        let macro_ = format!("${}$", variable(key));
        assert!(body.contains(&macro_), "{key} does not read {macro_}: {body}");
        assert!(body.contains("description = \""), "{key} has no description");
    }
}

#[test]
fn the_secrets_reach_the_plugin_through_the_environment_only() {
    let definition = read(ICINGA2_DEFINITION);
    let arguments = icinga2_arguments();
    let value_of = |key: &str| arguments.iter().find(|(k, _)| k == key).map(|(_, body)| body.clone()).unwrap();
    for (option, variable) in [
        ("client-secret", "O365_EXCHANGE_CLIENT_SECRET"),
        ("client-certificate-password", "O365_EXCHANGE_CLIENT_CERTIFICATE_PASSWORD"),
    ] {
        let body = value_of(&format!("--{option}"));
        assert!(body.contains(&format!("value = \"--environment-map-option={option}={variable}\"")), "{body}");
        let env = format!("{variable} = \"${}$\"", self::variable(option));
        assert!(definition.contains(&env), "env lacks {env}");
    }
    assert!(value_of("--pass-manager").contains("value = \"--pass-manager=environment\""));
}

#[test]
fn the_documented_icinga2_variables_exist() {
    let definition = read(ICINGA2_DEFINITION);
    let known: BTreeSet<String> =
        Regex::new(r"\$(o365_[a-z0-9_]+)\$").unwrap().captures_iter(&definition).map(|c| c[1].to_string()).collect();
    let mentioned = Regex::new(r"\bvars\.(o365_[a-z0-9_]+)").unwrap();
    for doc in [OPERATIONS, "README.md"] {
        for name in mentioned.captures_iter(&read(doc)) {
            assert!(known.contains(&name[1]), "{doc} mentions vars.{} that the CheckCommand does not read", &name[1]);
        }
    }
}

#[test]
fn the_operations_guide_shows_the_nagios_definitions_verbatim() {
    let doc = read(OPERATIONS);
    let marker = format!("<!-- verbatim: {NAGIOS_DEFINITIONS} -->\n```\n");
    let start = doc.find(&marker).unwrap_or_else(|| panic!("{OPERATIONS} lacks the line {marker:?}")) + marker.len();
    let end = doc[start..].find("\n```\n").map(|i| start + i + 1).expect("the code block ends");
    let shown = &doc[start..end];
    let file = read(NAGIOS_DEFINITIONS);
    if shown != file {
        let line = shown.lines().zip(file.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!("the block of {OPERATIONS} differs from {NAGIOS_DEFINITIONS} (line {line} of the block): copy the file into it");
    }
}

#[test]
fn both_packages_install_the_icinga2_definition_in_plugins_contrib() {
    let manifest = read("Cargo.toml");
    let deb_start = manifest.find("[package.metadata.deb]").expect("deb metadata");
    let rpm_start = manifest.find("[package.metadata.generate-rpm]").expect("rpm metadata");
    let (deb, rpm) = if deb_start < rpm_start {
        (&manifest[deb_start..rpm_start], &manifest[rpm_start..])
    } else {
        (&manifest[deb_start..], &manifest[rpm_start..deb_start])
    };
    let deb_asset = format!("[\"{ICINGA2_DEFINITION}\", \"{ICINGA2_INSTALLED}\", \"644\"]");
    assert!(deb.contains(&deb_asset), "the deb assets lack {deb_asset}");
    let rpm_asset = format!("source = \"{ICINGA2_DEFINITION}\", dest = \"/{ICINGA2_INSTALLED}\", mode = \"0644\"");
    assert!(rpm.contains(&rpm_asset), "the rpm assets lack {rpm_asset}");
}
