//! Password managers (`--pass-manager=NAME`): after the options are parsed and before
//! the custom mode reads them, a manager fetches secrets and overwrites option values,
//! as Centreon's `centreon::plugins::passwordmgr::NAME` modules do.
//!
//! Every value a manager fetches is registered with the debug log (masked unless
//! `--show-password`) before it goes anywhere. Errors carry Perl's texts where Perl
//! has one, else they name the manager and what to fix; all end the check with
//! UNKNOWN.

mod centreonvault;
mod file;
mod hashicorpvault;
mod jsonpath;
mod keepass;
mod mapping;
mod teampass;
mod vault_http;

use std::time::Instant;

use crate::debug::DebugLog;
use crate::error::{Error, Result};
use crate::options::{List, OptionSection, OptionSpec, Values};

/// What a manager may use besides the option values.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The run's debug log: every secret fetched is registered with it.
    pub debug: &'a DebugLog,
    /// When the whole run must be over: no request of a manager outlives it.
    pub deadline: Instant,
}

/// The managers, by their `--pass-manager` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Manager {
    Environment,
    File,
    Keepass,
    Teampass,
    HashicorpVault,
    CentreonVault,
}

impl Manager {
    fn named(name: &str) -> Result<Manager> {
        Ok(match name {
            "environment" => Manager::Environment,
            "file" => Manager::File,
            "keepass" => Manager::Keepass,
            "teampass" => Manager::Teampass,
            "hashicorpvault" => Manager::HashicorpVault,
            "centreonvault" => Manager::CentreonVault,
            other => return Err(Error::new(format!("Cannot load module 'centreon::plugins::passwordmgr::{other}'"))),
        })
    }
}

/// The names `--pass-manager` accepts, for its help.
pub const NAMES: &str = "environment, file, keepass, teampass, hashicorpvault, centreonvault";

/// The options of the manager `name` (none without a manager); an unknown name is
/// Perl's `Cannot load module` error.
pub fn section(name: Option<&str>) -> Result<Option<OptionSection>> {
    let Some(name) = name else { return Ok(None) };
    Ok(Some(match Manager::named(name)? {
        Manager::Environment => environment_section(),
        Manager::File => file::section(),
        Manager::Keepass => keepass::section(),
        Manager::Teampass => teampass::section(),
        Manager::HashicorpVault => hashicorpvault::section(),
        Manager::CentreonVault => centreonvault::section(),
    }))
}

/// Runs the manager `name` (`--pass-manager`), if any: its secrets replace option
/// values. `specs` are every option of the run (a mapping may name any of them).
pub fn apply(name: Option<&str>, values: &mut Values, specs: &[OptionSpec], context: Context<'_>) -> Result<()> {
    let Some(name) = name else { return Ok(()) };
    match Manager::named(name)? {
        Manager::Environment => {
            environment(values, specs);
            Ok(())
        }
        Manager::File => file::apply(values, specs, context),
        Manager::Keepass => keepass::apply(values, specs, context),
        Manager::Teampass => teampass::apply(values, specs, context),
        Manager::HashicorpVault => hashicorpvault::apply(values, specs, context),
        Manager::CentreonVault => centreonvault::apply(values, context),
    }
}

/// `--environment-map-option`, added by the `environment` manager.
const ENVIRONMENT_MAP_OPTION: List = List::new(
    "environment-map-option",
    "Overload an option value with the content of an environment variable, e.g. \
     --environment-map-option='client-secret=MY_SECRET' (repeatable).",
);

/// The options the `environment` manager adds.
fn environment_section() -> OptionSection {
    OptionSection::new("ENVIRONMENT OPTIONS", vec![ENVIRONMENT_MAP_OPTION.spec()])
}

/// `--environment-map-option=OPTION=VARIABLE`: OPTION takes the variable's value.
fn environment(values: &mut Values, specs: &[OptionSpec]) {
    let rules: Vec<String> = values.list(&ENVIRONMENT_MAP_OPTION).to_vec();
    for rule in rules {
        let Some((option, variable)) = rule.split_once('=') else { continue };
        set_option(values, specs, option, std::env::var(variable).unwrap_or_default());
    }
}

/// Sets the option `name` (`-` or `_` alike, leading dashes ignored) to `value`; a
/// name no option answers to is ignored, as Perl's unused hash keys are.
fn set_option(values: &mut Values, specs: &[OptionSpec], name: &str, value: String) {
    let name = name.trim().trim_start_matches('-').replace('_', "-");
    if let Some(spec) = specs.iter().find(|s| s.answers_to(&name)) {
        values.set(spec, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_manager_is_perls_error_and_known_ones_have_options() {
        let error = section(Some("lastpass")).expect_err("unknown");
        assert_eq!(error.message(), "Cannot load module 'centreon::plugins::passwordmgr::lastpass'");
        for name in NAMES.split(", ") {
            assert!(section(Some(name)).expect("known").is_some(), "{name}");
        }
        assert_eq!(section(None).expect("none"), None);
    }

    #[test]
    fn option_names_take_dashes_or_underscores() {
        let specs = vec![OptionSpec::value("client-secret", "")];
        let mut values = Values::default();
        set_option(&mut values, &specs, "client_secret", "s".into());
        assert_eq!(values.generated(&specs[0]), Some("s"));
        set_option(&mut values, &specs, "--client-secret", "t".into());
        assert_eq!(values.generated(&specs[0]), Some("t"));
        set_option(&mut values, &specs, "unknown", "u".into());
    }
}
