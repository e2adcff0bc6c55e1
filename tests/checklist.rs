//! The checklist of a new mode, as a test: every mode `--list-mode` prints has a row
//! in the README's mode table, a run in `packaging/demo.sh` (what `make demo`
//! shows), its name in the Icinga 2 CheckCommand's `--mode` and an argument there for
//! every option its `--help` documents (under each custom mode that offers it), and,
//! unless it is a listing mode (`list-…`, for discovery, not a check), a command in
//! the Nagios definitions, and so in the Centreon CLAPI file made from them (see
//! `clapi.rs`). One failure names every gap of every mode at once.

use std::collections::BTreeSet;

use regex::Regex;

use crate::definitions::{
    icinga2_arguments, listed, mode_options, read, ICINGA2_DEFINITION, INFORMATIONAL, NAGIOS_DEFINITIONS, PLUGIN,
};

const README: &str = "README.md";
const DEMO: &str = "packaging/demo.sh";

/// `--mode=NAME` as a whole word of a command line: followed by a space, a quote or
/// the end of the line.
fn mode_argument(mode: &str) -> Regex {
    Regex::new(&format!(r#"--mode={}(?:[\s'"]|$)"#, regex::escape(mode))).unwrap()
}

/// What `mode` lacks, one line each, with the file to add it to.
fn gaps(
    mode: &str,
    readme: &str,
    demo: &str,
    icinga2_mode: &str,
    keys: &BTreeSet<String>,
    nagios: &str,
) -> Vec<String> {
    let mut gaps = Vec::new();
    if !readme.lines().any(|line| line.starts_with(&format!("| `{mode}` |"))) {
        gaps.push(format!("{README}: no row \"| `{mode}` | … |\" in the mode table"));
    }
    let run = mode_argument(mode);
    if !demo.lines().any(|line| line.trim_start().starts_with("run ") && run.is_match(line)) {
        gaps.push(format!("{DEMO}: no line \"run --mode={mode} …\""));
    }
    let named = Regex::new(&format!(r#"(?:^|[\s,]){}(?:[\s,"]|$)"#, regex::escape(mode))).unwrap();
    if !named.is_match(icinga2_mode) {
        gaps.push(format!("{ICINGA2_DEFINITION}: the --mode argument's description does not name {mode}"));
    }
    let options = mode_options(mode);
    if options.is_empty() {
        gaps.push(format!("--mode={mode} --help documents no option under any custom mode"));
    }
    let missing: Vec<&String> =
        options.iter().filter(|o| !keys.contains(*o) && !INFORMATIONAL.contains(&o.as_str())).collect();
    if !missing.is_empty() {
        gaps.push(format!("{ICINGA2_DEFINITION}: no argument for {missing:?} of --mode={mode} --help"));
    }
    let listing = mode.starts_with("list-");
    if !listing && !nagios.lines().any(|line| line.trim_start().starts_with("command_line") && run.is_match(line)) {
        gaps.push(format!(
            "{NAGIOS_DEFINITIONS}: no command with --mode={mode} (then its service template, and the CLAPI file: \
             CLAPI_BLESS=1 cargo test --release --test tests clapi)"
        ));
    }
    gaps
}

#[test]
fn every_mode_is_in_the_readme_the_demo_and_the_engine_definitions() {
    let modes = listed(&[PLUGIN, "--list-mode"]);
    assert!(modes.len() >= 8, "--list-mode lists {modes:?}");
    let (readme, demo, nagios) = (read(README), read(DEMO), read(NAGIOS_DEFINITIONS));
    let arguments = icinga2_arguments();
    let icinga2_mode = arguments.iter().find(|(key, _)| key == "--mode").map(|(_, body)| body.clone());
    let icinga2_mode = icinga2_mode.unwrap_or_else(|| panic!("{ICINGA2_DEFINITION} has no --mode argument"));
    let keys: BTreeSet<String> = arguments.into_iter().map(|(key, _)| key).collect();
    let missing: Vec<String> =
        modes.iter().flat_map(|mode| gaps(mode, &readme, &demo, &icinga2_mode, &keys, &nagios)).collect();
    assert!(missing.is_empty(), "a mode is missing from what ships with it:\n{}", missing.join("\n"));
}

/// The checklist's own matchers find what they look for, and only that.
#[test]
fn the_checklist_matches_whole_mode_names() {
    let run = mode_argument("mail-flow");
    assert!(run.is_match("run --mode=mail-flow --warning-failed-prct=5"));
    assert!(run.is_match("--mode=mail-flow"));
    assert!(!run.is_match("run --mode=mail-flows"), "a longer name is another mode");
    let readme = "| `mail-flow` | messages | `--mode=mail-flow` |\n";
    let demo = "run --mode=mail-flow\n";
    let nagios = "    command_line    /x --mode=mail-flow --tenant=t\n";
    let keys = BTreeSet::new();
    let all = gaps("mail-flow", readme, demo, "description = \"Mode: mail-flow or list-services\"", &keys, nagios);
    assert!(all.iter().all(|gap| gap.contains("no argument for")), "{all:?}");
    let none = gaps("mail-flow", "", "run --mode=mail-flows\n", "Mode: mail-flows", &keys, "");
    assert_eq!(none.iter().filter(|gap| !gap.contains("no argument for")).count(), 4, "{none:?}");
}
