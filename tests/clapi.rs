//! The Centreon CLAPI import file the project ships
//! (`packaging/centreon/office365-exchange.clapi`, imported with `centreon -u admin -p
//! … -i FILE`): every line is a CLAPI action Centreon's importer reads (it has no
//! comment lines: each non-empty line is `OBJECT;ACTION;parameters`), with the
//! number of parameters the action takes, naming only objects created above it; and
//! it holds exactly the objects of the Nagios definitions
//! (`packaging/nagios/office365-exchange.cfg`), which stay the single source: the
//! same commands (the plugin called through Centreon's `$CENTREONPLUGINS$` resource,
//! under its `.pl` name), the same templates, macros and default values.
//!
//! `CLAPI_BLESS=1` rewrites the CLAPI file from the Nagios definitions instead of
//! failing when they differ.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const CLAPI: &str = "packaging/centreon/office365-exchange.clapi";
const NAGIOS: &str = "packaging/nagios/office365-exchange.cfg";
/// The plugin's path in the Nagios definitions, and in Centreon's commands.
const NAGIOS_PLUGIN: &str = "/usr/lib/centreon/plugins/centreon_office365_exchange_api ";
const CENTREON_PLUGIN: &str = "$CENTREONPLUGINS$/centreon_office365_exchange_api.pl ";
/// The alias of the host template.
const HOST_ALIAS: &str = "Microsoft 365 Exchange Online";

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// One `define KIND { … }` block of the Nagios definitions: its directives in order,
/// each a name and the rest of its line (empty for a macro declared without value).
struct Define {
    kind: String,
    directives: Vec<(String, String)>,
}

impl Define {
    fn get(&self, name: &str) -> &str {
        self.directives.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// The custom macros (`_NAME value`), without their underscore.
    fn macros(&self) -> impl Iterator<Item = (&str, &str)> {
        self.directives.iter().filter_map(|(k, v)| k.strip_prefix('_').map(|k| (k, v.as_str())))
    }
}

fn nagios_defines() -> Vec<Define> {
    let mut defines = Vec::new();
    let mut current: Option<Define> = None;
    for line in read(NAGIOS).lines() {
        let line = line.trim();
        if let Some(kind) = line.strip_prefix("define ").and_then(|l| l.strip_suffix('{')) {
            current = Some(Define { kind: kind.trim().to_string(), directives: Vec::new() });
        } else if line == "}" {
            defines.extend(current.take());
        } else if let Some(define) = current.as_mut() {
            let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            define.directives.push((name.to_string(), value.trim().to_string()));
        }
    }
    assert!(current.is_none(), "{NAGIOS} ends inside a define block");
    defines
}

/// The CLAPI file the Nagios definitions make: the host template and its macros, the
/// commands, then each service template with its command, macros and host template.
fn clapi_from_nagios() -> String {
    let defines = nagios_defines();
    let of = |kind: &'static str| defines.iter().filter(move |d| d.kind == kind);
    let hosts: Vec<&Define> = of("host").collect();
    assert_eq!(hosts.len(), 1, "{NAGIOS} has one host template");
    let host = hosts[0].get("name");
    let mut out = vec![format!("HTPL;ADD;{host};{HOST_ALIAS};;;;")];
    out.extend(hosts[0].macros().map(|(m, v)| format!("HTPL;setmacro;{host};{m};{v}")));
    out.push(String::new());
    for command in of("command") {
        let line = command.get("command_line");
        let args = line
            .strip_prefix(NAGIOS_PLUGIN)
            .unwrap_or_else(|| panic!("{NAGIOS}: a command that does not run {NAGIOS_PLUGIN}: {line}"));
        out.push(format!("CMD;ADD;{};check;{CENTREON_PLUGIN}{args}", command.get("command_name")));
    }
    for service in of("service") {
        let name = service.get("name");
        out.push(String::new());
        out.push(format!("STPL;ADD;{name};{name};"));
        out.push(format!("STPL;setparam;{name};check_command;{}", service.get("check_command")));
        out.extend(service.macros().map(|(m, v)| format!("STPL;setmacro;{name};{m};{v}")));
        out.push(format!("STPL;addhosttemplate;{name};{host}"));
    }
    out.join("\n") + "\n"
}

#[test]
fn the_clapi_file_holds_the_nagios_definitions() {
    let expected = clapi_from_nagios();
    let shipped = read(CLAPI);
    if shipped == expected {
        return;
    }
    if std::env::var_os("CLAPI_BLESS").is_some() {
        fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join(CLAPI), &expected).expect("rewrite the CLAPI file");
        return;
    }
    let line = shipped.lines().zip(expected.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
    panic!(
        "{CLAPI} differs from what {NAGIOS} gives (line {line}): edit the Nagios definitions, then run \
         CLAPI_BLESS=1 cargo test --release --test tests clapi"
    );
}

/// How many parameters each action the file may use takes (after `OBJECT;ACTION;`).
fn parameters(object: &str, action: &str) -> Option<usize> {
    Some(match (object, action) {
        // name;alias;address;templates;instance;hostgroups
        ("HTPL", "ADD") => 6,
        // template;macro;value
        ("HTPL", "setmacro") => 3,
        // name;type;command line
        ("CMD", "ADD") => 3,
        // description;alias;parent template
        ("STPL", "ADD") => 3,
        // template;parameter;value
        ("STPL", "setparam") => 3,
        // template;macro;value
        ("STPL", "setmacro") => 3,
        // service template;host template
        ("STPL", "addhosttemplate") => 2,
        _ => return None,
    })
}

#[test]
fn every_clapi_line_is_an_action_centreon_imports() {
    let text = read(CLAPI);
    let (mut hosts, mut commands, mut services) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let macro_name = regex::Regex::new("^[A-Z][A-Z0-9_]*$").unwrap();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if line.is_empty() {
            continue;
        }
        assert_eq!(line, line.trim(), "{CLAPI}:{n}: spaces around the line");
        let fields: Vec<&str> = line.split(';').collect();
        assert!(fields.len() >= 2, "{CLAPI}:{n}: not OBJECT;ACTION;…: {line}");
        let (object, action, params) = (fields[0], fields[1], &fields[2..]);
        let count = parameters(object, action)
            .unwrap_or_else(|| panic!("{CLAPI}:{n}: {object};{action} is not an action this file uses: {line}"));
        assert_eq!(params.len(), count, "{CLAPI}:{n}: {object};{action} takes {count} parameters: {line}");
        assert!(!params[0].is_empty(), "{CLAPI}:{n}: no object name: {line}");
        let known = |set: &BTreeSet<String>, name: &str, what: &str| {
            assert!(set.contains(name), "{CLAPI}:{n}: the {what} {name} is used before it is added");
        };
        match (object, action) {
            ("HTPL", "ADD") => assert!(hosts.insert(params[0].to_string()), "{CLAPI}:{n}: added twice"),
            ("CMD", "ADD") => {
                assert_eq!(params[1], "check", "{CLAPI}:{n}: a check command");
                assert!(params[2].starts_with(CENTREON_PLUGIN), "{CLAPI}:{n}: runs {CENTREON_PLUGIN}: {line}");
                assert!(commands.insert(params[0].to_string()), "{CLAPI}:{n}: added twice");
            }
            ("STPL", "ADD") => assert!(services.insert(params[0].to_string()), "{CLAPI}:{n}: added twice"),
            ("HTPL", "setmacro") => known(&hosts, params[0], "host template"),
            ("STPL", "setparam") => {
                known(&services, params[0], "service template");
                assert_eq!(params[1], "check_command", "{CLAPI}:{n}: the file sets check_command only");
                known(&commands, params[2], "command");
            }
            ("STPL", "setmacro") => known(&services, params[0], "service template"),
            ("STPL", "addhosttemplate") => {
                known(&services, params[0], "service template");
                known(&hosts, params[1], "host template");
            }
            _ => unreachable!("every action is matched above"),
        }
        if action == "setmacro" {
            assert!(macro_name.is_match(params[1]), "{CLAPI}:{n}: a macro is named without $ or _HOST: {line}");
        }
    }
    assert!(!commands.is_empty() && !services.is_empty(), "{CLAPI} adds no command or template");
}

/// Each command's `$_SERVICE…$` macros are given a value by every service template
/// that runs it, so that Centreon shows them in the service form.
#[test]
fn every_service_macro_of_a_command_is_declared_by_its_templates() {
    let text = read(CLAPI);
    let service_macro = regex::Regex::new(r"\$_SERVICE([A-Z0-9_]+)\$").unwrap();
    let commands: Vec<(&str, &str)> =
        text.lines().filter_map(|l| l.strip_prefix("CMD;ADD;")).filter_map(|l| l.split_once(";check;")).collect();
    for line in text.lines().filter_map(|l| l.strip_prefix("STPL;setparam;")) {
        let fields: Vec<&str> = line.split(';').collect();
        let (template, command) = (fields[0], fields[2]);
        let (_, command_line) = commands.iter().find(|(name, _)| *name == command).expect("a command of the file");
        for needed in service_macro.captures_iter(command_line) {
            let set = format!("STPL;setmacro;{template};{};", &needed[1]);
            assert!(text.lines().any(|l| l.starts_with(&set)), "{template} lacks the macro {}", &needed[1]);
        }
    }
}
