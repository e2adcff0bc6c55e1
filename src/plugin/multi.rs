//! The meta mode `multi`: several modes of the plugin in one run, one combined result
//! (`--mode=multi --modes-exec=MODE,MODE`), as Centreon's `centreon::plugins::multi`.
//!
//! Each mode listed runs in turn on the one API the custom mode built, with the
//! defaults of its own options and what `--option-mode='MODE,--option=value'` gives
//! it; the other options of the command line (output, custom mode) apply to all. The
//! short messages of the modes are joined as one mode's are, their long outputs
//! follow each other, perfdata is named after the metrics (as with
//! `--use-new-perfdata`) and the status is the worst. A name that is not a mode is
//! skipped; a mode that fails, or that the custom mode cannot serve, is skipped with
//! a debug line saying why. A listing mode (a discovery list) has no status to
//! merge, and is skipped alike.

use std::time::Instant;

use super::global::{HELP, NO_SANITY_OPTIONS, PASS_MANAGER, RUNAS};
use super::{declarations, help_text, plugin_description, strict, Outcome};
use crate::counters::{MetricNames, Naming, Thresholds};
use crate::debug::DebugLog;
use crate::error::{Error, Result};
use crate::getopt;
use crate::help::Section;
use crate::options::{List, OptionSection, OptionSpec, Text, Values};
use crate::output::{self, CheckResult, DisplayContext, OutputOptions, Printout, ShortMessage};
use crate::passmgr;
use crate::registry::{CustomModeSpec, Env, ModeKind, ModeSpec, Notices, Plugin, PluginApi, Run};

/// The meta mode's name, as `--mode` and `--list-mode` give it.
pub const NAME: &str = "multi";

/// What the meta mode does, for its `--help`.
const DESCRIPTION: &str = "Check multiple modes at once: their statuses, messages and perfdata in \
     one result. Each mode runs with its own defaults; --option-mode gives one of them an option.";

/// `--modes-exec`: the modes to run.
const MODES_EXEC: Text = Text::new(
    "modes-exec",
    "Which modes to run, separated by commas (a name that is not a mode is skipped). Example: \
     --modes-exec=MODE1,MODE2 (the names --list-mode gives)",
);

/// `--option-mode`: an option for one mode.
const OPTION_MODE: List = List::new(
    "option-mode",
    "Give an option to one mode only, as MODE,--option=value (can be repeated). Example: \
     --option-mode='MODE1,--warning-x=10'",
);

/// The meta mode's options.
fn options() -> Vec<OptionSpec> {
    vec![MODES_EXEC.spec(), OPTION_MODE.spec()]
}

/// What the driver hands over once `--mode=multi` is known.
pub struct Start<'a, A: ?Sized + PluginApi + 'static> {
    /// The plugin, for its modes.
    pub plugin: &'a Plugin<A>,
    /// The chosen custom mode.
    pub custom: &'static CustomModeSpec<A>,
    /// The options read so far (script, output, plugin).
    pub values: Values,
    /// The arguments still to read.
    pub rest: Vec<String>,
    /// The output options.
    pub output: &'a OutputOptions,
    /// The run's debug log.
    pub debug: &'a DebugLog,
    /// Names the display (`multi`).
    pub ctx: &'a DisplayContext,
    /// When the run must be over.
    pub deadline: Instant,
}

/// Runs the meta mode: its `--help`, or every mode of `--modes-exec` and their
/// combined display.
pub fn run<A: ?Sized + PluginApi + 'static>(start: Start<'_, A>) -> Result<Outcome> {
    let Start { plugin, custom, mut values, rest, output, debug, ctx, deadline } = start;
    let mut sections: Vec<OptionSection> = passmgr::section(values.non_empty(&PASS_MANAGER))?.into_iter().collect();
    sections.extend((custom.sections)());
    let own = OptionSection::new("MODE", options());
    if values.flag(&HELP) {
        let mut blocks = vec![plugin_description(&plugin.info), Section::options(&super::global::plugin_section())];
        blocks.extend(OutputOptions::sections().iter().map(Section::options));
        blocks.extend(sections.iter().map(Section::options));
        let mut mode = Section::options(&own);
        mode.paragraphs = vec![DESCRIPTION.to_string()];
        blocks.push(mode);
        return Ok(Outcome::Info(help_text(&blocks, "")));
    }
    let mut specs: Vec<OptionSpec> = sections.into_iter().flat_map(|s| s.options).collect();
    specs.extend(own.options);
    let last = getopt::parse(&rest, &specs);
    if !values.flag(&NO_SANITY_OPTIONS) {
        strict(&last)?;
    }
    values.absorb(last.values);
    let manager = values.non_empty(&PASS_MANAGER).map(str::to_string);
    passmgr::apply(manager.as_deref(), &mut values, &specs, passmgr::Context { debug, deadline })?;
    super::process::runas(values.non_empty(&RUNAS))?;
    let Some(modes_exec) = values.non_empty(&MODES_EXEC).map(str::to_string) else {
        return Err(Error::new("Need to specify --modes-exec option."));
    };
    let notices = Notices::default();
    let mut api = (custom.build)(&Env { values: &values, debug, notices: &notices, deadline })?;
    let mut combined = CheckResult::default();
    for name in modes_exec.split(',') {
        let Some(mode) = plugin.modes().iter().copied().find(|m| m.name == name) else { continue };
        let one = One { values: &values, api: api.as_mut(), debug, notices: &notices, output };
        match one.check(custom, mode) {
            Ok(result) => {
                combined.short.extend(result.short);
                combined.long.extend(result.long);
                combined.perfdata.extend(result.perfdata);
            }
            Err(error) => debug.log(format!("eval result mode {name}: {error}")),
        }
    }
    combined.short.extend(notices.take().into_iter().map(|text| ShortMessage { severity: None, text }));
    combined.long.splice(0..0, debug.take().into_iter().chain(notices.take_details()));
    Ok(Outcome::Check(Printout::Whole(output::display(&combined, ctx, output))))
}

/// One mode of the list, on the shared API.
struct One<'a, A: ?Sized> {
    values: &'a Values,
    api: &'a mut A,
    debug: &'a DebugLog,
    notices: &'a Notices,
    output: &'a OutputOptions,
}

impl<A: ?Sized + PluginApi> One<'_, A> {
    /// The mode's result, its metrics named after their nlabels.
    fn check(self, custom: &CustomModeSpec<A>, mode: &ModeSpec<A>) -> Result<CheckResult> {
        if !(custom.provides)(mode.requires) {
            return Err(Error::new(format!("not available with custom mode '{}'", custom.name)));
        }
        let ModeKind::Counters { groups, filter_counters, select } = &mode.kind else {
            return Err(Error::new("a listing mode, which has no status to merge"));
        };
        let declared = declarations(mode, *groups)?;
        let mut specs = (mode.options)();
        specs.extend(declared.options(MetricNames::New, filter_counters));
        let parsed = getopt::parse(&mode_arguments(self.values, mode.name), &specs);
        strict(&parsed)?;
        let mut values = self.values.clone();
        values.absorb(parsed.values);
        let limits = Thresholds::from_values(&declared, &values, MetricNames::New, self.output.float_precision())?;
        let active = |label: &str| limits.counter_active(label);
        let collected = select(&mut Run::new(&values, self.api, self.debug, &active).with_notices(self.notices))?;
        Ok(collected.evaluate(&limits, Naming { names: MetricNames::New, mode: mode.name }))
    }
}

/// The arguments `--option-mode` gives the mode `name` (`name,ARGUMENT`, split at the
/// first comma), in command-line order.
fn mode_arguments(values: &Values, name: &str) -> Vec<String> {
    values
        .list(&OPTION_MODE)
        .iter()
        .filter_map(|given| given.split_once(','))
        .filter(|(mode, _)| *mode == name)
        .map(|(_, argument)| argument.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_mode_feeds_one_mode_in_order() {
        let mut values = Values::default();
        let spec = OPTION_MODE.spec();
        for given in ["a,--x=1", "b,--y=2", "a,--z=3,4", "no comma"] {
            values.set(&spec, given.to_string());
        }
        assert_eq!(mode_arguments(&values, "a"), ["--x=1", "--z=3,4"]);
        assert_eq!(mode_arguments(&values, "b"), ["--y=2"]);
        assert!(mode_arguments(&values, "c").is_empty());
    }
}
