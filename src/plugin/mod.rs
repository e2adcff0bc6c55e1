//! The driver of one run, in the stages of a Centreon plugin: script and output
//! options, plugin options and informational commands, custom mode and mode
//! resolution, the strict final parse, checks, then data collection and display.
//!
//! Each stage only knows the options declared so far, which decides which error a
//! wrong command line gets first. A run ends in an outcome — a check displayed, or
//! the answer of an informational command (`--help`, `--version`, `--list-mode`) — or
//! in an [`Error`]; both are rendered by the output stage.

mod global;
mod multi;
mod process;

use global::{
    CONVERT_ARGS, CUSTOMMODE, DYN_MODE, ENVIRONMENT, GLOBAL_TIMEOUT, HELP, LIST_CUSTOMMODE, LIST_MODE, LIST_PLUGIN,
    MODE, MULTIPLE, NO_SANITY_OPTIONS, PASS_MANAGER, PLUGIN, RUNAS, VERSION,
};

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::budget;
use crate::counters::{Collected, Declarations, MetricNames, Naming, Thresholds, LIST_COUNTERS};
use crate::debug::DebugLog;
use crate::error::{Error, Result};
use crate::getopt::{self, Parsed};
use crate::help::{self, Section};
use crate::notices::Notices;
use crate::options::{OptionSection, OptionSpec, Values};
use crate::output::{
    self, CheckResult, DisplayContext, Info, Listing, OutputOptions, Printout, Rendered, ShortMessage,
};
use crate::passmgr;
use crate::registry::{CustomModeSpec, Env, Items, ModeKind, ModeSpec, Plugin, PluginApi, PluginInfo, Run};

/// Runs `plugin` with the process's arguments, prints the result and exits.
pub fn main<A: ?Sized + PluginApi>(plugin: &Plugin<A>) -> ! {
    process::end_on_panic();
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    process::emit(run(plugin, &args))
}

/// Runs `plugin` with `args` (without the program name) and returns what to print.
pub fn run<A: ?Sized + PluginApi>(plugin: &Plugin<A>, args: &[String]) -> Printout {
    let info = &plugin.info;
    let started = Instant::now();
    budget::reset();
    let script = getopt::parse(args, &script_specs());
    let output = match OutputOptions::from_values(&script.values) {
        Ok(output) => output,
        Err(error) => return Printout::Whole(fallback_error(&error, info, &script.values)),
    };
    let mut ctx = DisplayContext { plugin: info.name.to_string(), mode: String::new() };
    let debug = DebugLog::new(output.logging(), output.secrets());
    let outcome = stages(plugin, script, &output, &debug, &mut ctx, started);
    // A regex that gave up answered "no match" where it was used: the run is UNKNOWN.
    let outcome = match budget::take() {
        Some(error) if !matches!(outcome, Ok(Outcome::Info(_))) => Err(error),
        _ => outcome,
    };
    match outcome {
        Ok(Outcome::Check(printout)) => printout,
        Ok(Outcome::Info(answer)) => Printout::Whole(output::display_info(&answer, &debug.take(), &ctx, &output)),
        Err(error) => Printout::Whole(output::display_error(&error, &debug.take(), &ctx, &output)),
    }
}

/// How a run that did not fail ends.
#[derive(Debug)]
enum Outcome {
    /// The mode ran and its result was displayed.
    Check(Printout),
    /// An informational command answered; the run stops there.
    Info(Info),
}

/// A stage's result: go on to the next stage with `T`, or stop with an answer.
type Stage<T> = ControlFlow<Info, T>;

/// Renders an error in the output options themselves: the format flags and a valid
/// `--opt-exit` still apply, the rewriting rules do not (as in Perl).
fn fallback_error(error: &Error, info: &PluginInfo, values: &Values) -> Rendered {
    let ctx = DisplayContext { plugin: info.name.to_string(), mode: String::new() };
    output::display_error(error, &[], &ctx, &OutputOptions::for_errors(values))
}

fn script_specs() -> Vec<OptionSpec> {
    let mut specs = global::script_section().options;
    specs.extend(OutputOptions::sections().into_iter().flat_map(|s| s.options));
    specs
}

fn stages<A: ?Sized + PluginApi>(
    plugin: &Plugin<A>,
    script: Parsed,
    output: &OutputOptions,
    debug: &DebugLog,
    ctx: &mut DisplayContext,
    started: Instant,
) -> Result<Outcome> {
    let info = &plugin.info;
    let mut values = script.values;
    let deadline = match script_level(info, &values, output, ctx, started)? {
        ControlFlow::Continue(deadline) => deadline,
        ControlFlow::Break(answer) => return Ok(Outcome::Info(answer)),
    };
    let rest = process::convert_args(values.value(&CONVERT_ARGS), script.rest)?;
    let plugin_level = getopt::parse(&rest, &global::plugin_section().options);
    values.absorb(plugin_level.values);
    let (custom, mode) = match plugin_level_commands(plugin, &values)? {
        ControlFlow::Continue(modes) => modes,
        ControlFlow::Break(answer) => return Ok(Outcome::Info(answer)),
    };
    let Some(mode) = mode else {
        ctx.mode = multi::NAME.to_string();
        let rest = plugin_level.rest;
        return multi::run(multi::Start { plugin, custom, values, rest, output, debug, ctx, deadline });
    };
    ctx.mode = if values.non_empty(&MODE).is_some() { mode.name.to_string() } else { String::new() };
    let specs = match mode_level(plugin, &values, output, custom, mode)? {
        ControlFlow::Continue(specs) => specs,
        ControlFlow::Break(answer) => return Ok(Outcome::Info(answer)),
    };
    let last = getopt::parse(&plugin_level.rest, &specs);
    if !values.flag(&NO_SANITY_OPTIONS) {
        strict(&last)?;
    }
    values.absorb(last.values);
    let manager = values.non_empty(&PASS_MANAGER).map(str::to_string);
    passmgr::apply(manager.as_deref(), &mut values, &specs, passmgr::Context { debug, deadline })?;
    if values.flag(&MULTIPLE) {
        return Err(Error::new("--multiple is not supported: the modes of this plugin use one custom mode object."));
    }
    process::runas(values.non_empty(&RUNAS))?;

    let notices = Notices::default();
    let mut api = (custom.build)(&Env { values: &values, debug, notices: &notices, deadline })?;
    let run = Collect { values: &values, api: api.as_mut(), debug, notices: &notices, output, ctx };
    let rendered = match &mode.kind {
        ModeKind::Counters { groups, select, .. } => run.counters(&declarations(mode, *groups)?, *select),
        ModeKind::Listing { heading, fields, select } => run.listing(heading, fields, *select),
    };
    rendered.map(Outcome::Check)
}

/// The script's own commands (`--help` without `--plugin`, `--list-plugin`,
/// `--version`) and the `--plugin` check; sets the environment and arms the global
/// timeout first. Goes on with the deadline the custom mode works within.
///
/// `--global-timeout` is kept out of that deadline on purpose: its watchdog must be
/// what ends the run, with Perl's `script global timeout`, rather than a request
/// timing out at the same instant with another text.
fn script_level(
    info: &PluginInfo,
    values: &Values,
    output: &OutputOptions,
    ctx: &DisplayContext,
    started: Instant,
) -> Result<Stage<Instant>> {
    process::apply_environment(values.map(&ENVIRONMENT));
    if let Some(seconds) = process::global_timeout(values.value(&GLOBAL_TIMEOUT)) {
        let timeout = output::display_error(&Error::new("script global timeout"), &[], ctx, output);
        process::watchdog(started + Duration::from_secs(seconds), timeout);
    }
    let deadline = started + NO_DEADLINE;
    let plugin = values.non_empty(&PLUGIN);
    if values.flag(&HELP) && plugin.is_none() {
        let usage = Section::text("USAGE", &["centreon_plugins.pl [options]"]);
        return Ok(ControlFlow::Break(help_text(&[usage, Section::options(&global::script_section())], "")));
    }
    if values.flag(&LIST_PLUGIN) {
        let block = format!("-----------------\nPLUGIN: {}\nDESCRIPTION:\n    {}\n", info.name, info.description);
        return Ok(ControlFlow::Break(Info { first_line: String::new(), lines: lines(&format!("\n{block}")) }));
    }
    match plugin {
        None if values.flag(&VERSION) => Ok(ControlFlow::Break(version("Global", global::GLOBAL_VERSION, info))),
        None => Err(Error::new("Need to specify '--plugin' option.")),
        Some(plugin) if !names_plugin(info.name, plugin) => Err(Error::new("Cannot load module --plugin.")),
        Some(_) => Ok(ControlFlow::Continue(deadline)),
    }
}

/// The answer of `--version` at one level: Perl's `Global Version: 20260700` first,
/// for the scripts that read the number, then which build answers.
fn version(level: &str, number: &str, info: &PluginInfo) -> Info {
    Info { first_line: format!("{level} Version: {number} {}", info.build), lines: Vec::new() }
}

/// How long a run without `--global-timeout` may take: the custom mode's own
/// `--timeout` is what bounds it.
const NO_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// The custom mode and the mode of a run; the mode is `None` for the meta mode `multi`.
type Chosen<A> = (&'static CustomModeSpec<A>, Option<&'static ModeSpec<A>>);

/// The plugin's commands without a mode (`--help`, `--version`, `--list-mode`,
/// `--list-custommode`), then the custom mode and the mode, custom mode first; the
/// mode is `None` for the meta mode `multi`.
fn plugin_level_commands<A: ?Sized + PluginApi>(plugin: &Plugin<A>, values: &Values) -> Result<Stage<Chosen<A>>> {
    let info = &plugin.info;
    let has_mode = values.non_empty(&MODE).is_some() || values.non_empty(&DYN_MODE).is_some();
    let sections = || [plugin_description(info), Section::options(&global::plugin_section())];
    if values.flag(&HELP) && !has_mode {
        return Ok(ControlFlow::Break(help_text(&sections(), "")));
    }
    if values.flag(&VERSION) && !has_mode {
        return Ok(ControlFlow::Break(version("Plugin", global::PLUGIN_VERSION, info)));
    }
    if values.flag(&LIST_MODE) {
        // The meta mode first, as Perl lists it; then the modes in the plugin's order:
        // by name within each original plugin's modes, so that the Perl plugin's own
        // two come first, where discovery and the golden case expect them.
        let names: Vec<&str> = plugin.modes().iter().map(|m| m.name).collect();
        let tail = format!("Modes Meta:\n{}\nModes Available:\n{}", listing(&[multi::NAME]), listing(&names));
        return Ok(ControlFlow::Break(help_text(&sections(), &tail)));
    }
    if values.flag(&LIST_CUSTOMMODE) {
        let names: Vec<&str> = plugin.custom_modes().iter().map(|c| c.name).collect();
        let tail = format!("Custom Modes Available:\n{}", listing(&names));
        return Ok(ControlFlow::Break(help_text(&sections(), &tail)));
    }
    let custom = resolve_custom(plugin, values.non_empty(&CUSTOMMODE))?;
    let mode = resolve_mode(plugin, values.non_empty(&MODE), values.non_empty(&DYN_MODE))?;
    Ok(ControlFlow::Continue((custom, mode)))
}

fn plugin_description(info: &PluginInfo) -> Section {
    Section::text("PLUGIN DESCRIPTION", &[info.description])
}

/// The mode's commands (`--help`, `--version`), the capability check, and every
/// option the final parse knows: password manager, custom mode, mode, counters.
fn mode_level<A: ?Sized + PluginApi>(
    plugin: &Plugin<A>,
    values: &Values,
    output: &OutputOptions,
    custom: &CustomModeSpec<A>,
    mode: &ModeSpec<A>,
) -> Result<Stage<Vec<OptionSpec>>> {
    let info = &plugin.info;
    let mut sections: Vec<OptionSection> = passmgr::section(values.non_empty(&PASS_MANAGER))?.into_iter().collect();
    sections.extend((custom.sections)());
    let mode_options = (mode.options)();
    if values.flag(&HELP) {
        let mut blocks = vec![plugin_description(info), Section::options(&global::plugin_section())];
        blocks.extend(OutputOptions::sections().iter().map(Section::options));
        blocks.extend(sections.iter().map(Section::options));
        blocks.push(mode_help(mode, &mode_options)?);
        return Ok(ControlFlow::Break(help_text(&blocks, "")));
    }
    if values.flag(&VERSION) {
        return Ok(ControlFlow::Break(version("Mode", global::MODE_VERSION, info)));
    }
    check_capability(plugin, mode, custom)?;
    let mut specs: Vec<OptionSpec> = sections.into_iter().flat_map(|s| s.options).collect();
    specs.extend(mode_options);
    if let ModeKind::Counters { groups, filter_counters, .. } = &mode.kind {
        specs.extend(declarations(mode, *groups)?.options(metric_names(output), filter_counters));
    }
    Ok(ControlFlow::Continue(specs))
}

/// A counter mode's declarations, built from the defaults of the mode's options.
fn declarations<A: ?Sized + PluginApi>(
    mode: &ModeSpec<A>,
    groups: fn(&Values) -> Result<Declarations>,
) -> Result<Declarations> {
    let mut defaults = Values::default();
    defaults.declare(&(mode.options)());
    groups(&defaults)
}

/// How this run names metrics and counter threshold options.
fn metric_names(output: &OutputOptions) -> MetricNames {
    if output.use_new_perfdata() {
        MetricNames::New
    } else {
        MetricNames::Legacy
    }
}

/// The last stage: the mode collects its data through the API the custom mode built,
/// and the result is displayed.
struct Collect<'a, A: ?Sized> {
    values: &'a Values,
    api: &'a mut A,
    debug: &'a DebugLog,
    notices: &'a Notices,
    output: &'a OutputOptions,
    ctx: &'a DisplayContext,
}

impl<A: ?Sized> Collect<'_, A> {
    /// A counter mode: thresholds checked at start-up, `--list-counters` and the
    /// (empty) discovery documents answered without a request, else the check.
    fn counters(self, declared: &Declarations, select: fn(&mut Run<'_, A>) -> Result<Collected>) -> Result<Printout> {
        let (output, ctx) = (self.output, self.ctx);
        let names = metric_names(output);
        let limits = Thresholds::from_values(declared, self.values, names, output.float_precision())?;
        if self.values.flag(&LIST_COUNTERS) {
            let result = unlabelled(declared.list_counters());
            return Ok(Printout::Whole(output::display(&result, ctx, &output.without_labels())));
        }
        if output.disco_format() {
            return Ok(Printout::Whole(output::display_disco_format(&[], output)));
        }
        if output.disco_show() {
            return Ok(Printout::Whole(output::display_disco_show(&[], output)));
        }
        let active = |label: &str| limits.counter_active(label);
        let collected = select(&mut Run::new(self.values, self.api, self.debug, &active).with_notices(self.notices))?;
        // The thresholds were parsed against the declarations built from the option
        // defaults: option values may change what counters compute, not what they are.
        debug_assert_eq!(collected.declarations(), *declared, "counter declarations depend on option values");
        let notices = self.notices.take();
        let mut result = collected.evaluate(&limits, Naming { names, mode: &ctx.mode });
        result.short.extend(notices.into_iter().map(|text| ShortMessage { severity: None, text }));
        result.long.splice(0..0, self.debug.take().into_iter().chain(self.notices.take_details()));
        Ok(Printout::Whole(output::display(&result, ctx, output)))
    }

    /// A listing mode: `heading` then one `[field: value] …` line per item, or the
    /// discovery documents. Its status line is the heading alone: notices are not
    /// shown. Each item is rendered as the mode hands it over and kept in a spill file
    /// (see [`Listing`]), printed only if the mode read its data completely.
    fn listing(
        self,
        heading: &str,
        fields: &[&str],
        select: fn(&mut Run<'_, A>, &mut Items<'_>) -> Result<()>,
    ) -> Result<Printout> {
        let output = self.output;
        if output.disco_format() {
            return Ok(Printout::Whole(output::display_disco_format(fields, output)));
        }
        let all = |_: &str| true;
        let mut listing = Listing::new(output);
        select(&mut Run::new(self.values, self.api, self.debug, &all), &mut |item| listing.push(&item))?;
        listing.finish(heading, self.debug.take(), self.ctx)
    }
}

/// A result made of one message printed without a status label.
fn unlabelled(text: String) -> CheckResult {
    CheckResult { short: vec![ShortMessage { severity: None, text }], ..Default::default() }
}

/// `--plugin` names this plugin by its Perl module name or module path.
fn names_plugin(name: &str, given: &str) -> bool {
    given == name || given.trim_end_matches(".pm").replace('/', "::") == name
}

fn resolve_custom<A: ?Sized + PluginApi>(plugin: &Plugin<A>, name: Option<&str>) -> Result<&'static CustomModeSpec<A>> {
    let all = plugin.custom_modes();
    match name {
        None => all.first().copied().ok_or_else(|| Error::new("Need to specify '--custommode'.")),
        Some(name) => all.iter().copied().find(|c| c.name == name).ok_or_else(|| {
            Error::new(format!("mode '{name}' doesn't exist (use --list-custommode option to show available modes)."))
        }),
    }
}

/// The mode `--mode` (or `--dyn-mode`) names; `None` for the meta mode `multi`.
fn resolve_mode<A: ?Sized + PluginApi>(
    plugin: &Plugin<A>,
    name: Option<&str>,
    module: Option<&str>,
) -> Result<Option<&'static ModeSpec<A>>> {
    let mut all = plugin.modes().iter().copied();
    match (name, module) {
        (Some(multi::NAME), _) => Ok(None),
        (Some(name), _) => all.find(|m| m.name == name).map(Some).ok_or_else(|| {
            Error::new(format!("mode '{name}' doesn't exist (use --list-mode option to show available modes)."))
        }),
        (None, Some(module)) => {
            let module = module.trim_end_matches(".pm").replace('/', "::");
            all.find(|m| m.perl_module == module).map(Some).ok_or_else(|| Error::new("Cannot load module --dyn-mode."))
        }
        (None, None) => Err(Error::new("Need to specify '--mode' or '--dyn-mode' option.")),
    }
}

/// Refuses a mode the chosen custom mode cannot serve, before anything is requested.
fn check_capability<A: ?Sized + PluginApi>(
    plugin: &Plugin<A>,
    mode: &ModeSpec<A>,
    custom: &CustomModeSpec<A>,
) -> Result<()> {
    if (custom.provides)(mode.requires) {
        return Ok(());
    }
    let able: Vec<&str> =
        plugin.custom_modes().iter().filter(|c| (c.provides)(mode.requires)).map(|c| c.name).collect();
    Err(Error::new(format!(
        "mode '{}' is not available with custom mode '{}' (use --custommode={})",
        mode.name,
        custom.name,
        able.join(" or --custommode=")
    )))
}

/// The final, strict pass: the first unknown option, or a second stray word, is an
/// error (Perl tolerates one stray word, and so do we).
fn strict(parsed: &Parsed) -> Result<()> {
    if let Some(name) = parsed.first_unknown() {
        return Err(Error::new(format!("Unknown option: {name}")));
    }
    match parsed.strays().get(1) {
        Some(word) => Err(Error::new(format!("argument {word} alone"))),
        None => Ok(()),
    }
}

fn mode_help<A: ?Sized + PluginApi>(mode: &ModeSpec<A>, options: &[OptionSpec]) -> Result<Section> {
    let mut section = Section::options(&OptionSection::new("MODE", options.to_vec()));
    section.paragraphs =
        mode.description.split("\n\n").map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    if let ModeKind::Counters { groups, filter_counters, .. } = &mode.kind {
        let declared = declarations(mode, *groups)?;
        let counter_section = OptionSection::new("MODE", declared.options(MetricNames::Legacy, filter_counters));
        section.items.extend(Section::options(&counter_section).items);
        let (heading, text) = declared.help_item();
        section.items.push(help::Item { heading, paragraphs: vec![text] });
    }
    Ok(section)
}

fn listing(names: &[&str]) -> String {
    names.iter().map(|n| format!("   {n}\n")).collect()
}

/// A help text (`--help`, `--list-mode`): an empty status line, then the sections, then
/// `tail`.
fn help_text(sections: &[Section], tail: &str) -> Info {
    let mut blocks: Vec<String> = sections.iter().map(Section::render).collect();
    blocks.push(tail.to_string());
    let text = help::document(&blocks);
    Info { first_line: String::new(), lines: lines(&text[1..]) }
}

fn lines(text: &str) -> Vec<String> {
    text.strip_suffix('\n').unwrap_or(text).split('\n').map(str::to_string).collect()
}
