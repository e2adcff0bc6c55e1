//! What a plugin is made of (its custom modes and modes) and what each is given to
//! work with.
//!
//! The core is generic over the plugin's API type `A`, usually a trait object such as
//! `dyn Api`: a custom mode builds one from the command line, a mode calls it, and the
//! core only passes it from one to the other, typed, without knowing what it reaches.
//! The plugin binary collects its registrations (with `inventory`, say) and hands
//! them to [`plugin::main`](crate::plugin::main) as a [`Plugin`]; `--list-mode`,
//! `--list-custommode` and `--help` read that value only.

use std::fmt;
use std::time::Instant;

use crate::debug::DebugLog;
use crate::error::Result;
use crate::options::{OptionSection, OptionSpec, Values};

/// What [`Env`] and [`Run`] hand over, re-exported beside them.
pub use crate::notices::Notices;

/// The API type of a plugin: what its custom modes build and its modes call.
/// `Capability` names what a custom mode may provide and a mode may require; the
/// driver matches them before the custom mode is even built.
pub trait PluginApi {
    /// One thing a custom mode can provide (a family of reports, service health…).
    type Capability: Copy + PartialEq + fmt::Debug + 'static;
}

/// What a custom mode's constructor may use.
pub struct Env<'a> {
    /// Every option value of the command line.
    pub values: &'a Values,
    /// The run's `--debug` log: register secrets here, and keep a clone to log into.
    pub debug: &'a DebugLog,
    /// The run's notices and details: keep a clone to add to.
    pub notices: &'a Notices,
    /// When the whole run must be over (`--timeout` from the start of the run).
    pub deadline: Instant,
}

/// Shows no option value: some are secrets.
impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env").field("deadline", &self.deadline).finish_non_exhaustive()
    }
}

/// A custom mode: a way to reach a data source (an API), chosen with `--custommode`.
pub struct CustomModeSpec<A: ?Sized + PluginApi> {
    /// The `--custommode` name.
    pub name: &'static str,
    /// Whether it provides a capability: a mode requiring one it lacks is refused
    /// before the custom mode is built, so before any request.
    pub provides: fn(A::Capability) -> bool,
    /// Its option sections, in help order (its own, then HTTP, then retention).
    pub sections: fn() -> Vec<OptionSection>,
    /// Checks its options and builds the API the modes call (no request is made).
    pub build: fn(&Env<'_>) -> Result<Box<A>>,
}

impl<A: ?Sized + PluginApi> fmt::Debug for CustomModeSpec<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomModeSpec").field("name", &self.name).finish_non_exhaustive()
    }
}

/// What a mode's data collection may use.
pub struct Run<'a, A: ?Sized> {
    /// Every option value of the command line.
    pub values: &'a Values,
    /// The `--debug` log.
    pub debug: &'a DebugLog,
    api: &'a mut A,
    active: &'a dyn Fn(&str) -> bool,
    notices: Notices,
}

impl<'a, A: ?Sized> Run<'a, A> {
    /// Assembles the context; `active` tells whether a counter survives
    /// `--filter-counters`. Its notices go to a list of its own until
    /// [`Run::with_notices`] gives the run's.
    pub fn new(values: &'a Values, api: &'a mut A, debug: &'a DebugLog, active: &'a dyn Fn(&str) -> bool) -> Self {
        Run { values, debug, api, active, notices: Notices::default() }
    }

    /// The same context, adding its notices to `notices` (the driver's list, shown
    /// at the end of the short output).
    pub fn with_notices(mut self, notices: &Notices) -> Self {
        self.notices = notices.clone();
        self
    }

    /// Where the mode adds what the output must say whatever the status (a filter
    /// that could not match what the data hides, say).
    pub fn notices(&self) -> &Notices {
        &self.notices
    }

    /// The API the custom mode built.
    pub fn api(&mut self) -> &mut A {
        self.api
    }

    /// Whether the counter `label` will be shown: a mode keeps per-instance data only
    /// for counters that are, so memory does not grow with the tenant otherwise.
    pub fn counter_active(&self, label: &str) -> bool {
        (self.active)(label)
    }
}

/// Shows no option value: some are secrets.
impl<A: ?Sized> fmt::Debug for Run<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run").finish_non_exhaustive()
    }
}

/// One listed object of a listing mode: its fields, in display order.
pub type Item = Vec<(String, String)>;

/// Where a listing mode hands its objects, one at a time as it reads them: each is
/// rendered at once and dropped, so a listing's memory does not grow with the number of
/// objects. An error (the spill file could not be written) ends the mode with it.
pub type Items<'a> = dyn FnMut(Item) -> Result<()> + 'a;

/// What a mode does with the data it collects.
pub enum ModeKind<A: ?Sized> {
    /// Counters checked against thresholds (the counter template).
    Counters {
        /// The declarations of the mode's counter groups, built from option values.
        /// The driver passes the defaults of the mode's options, so the generated
        /// options, `--help`, `--list-counters` and the threshold parsing read the same
        /// declarations whatever the command line.
        groups: fn(&Values) -> Result<crate::counters::Declarations>,
        /// The mode's default `--filter-counters`.
        filter_counters: &'static str,
        /// Collects the data, with the groups built from the run's option values.
        select: fn(&mut Run<'_, A>) -> Result<crate::counters::Collected>,
    },
    /// A list of objects for service discovery: printed as `heading` then one
    /// `[field: value] …` line per item, or as discovery documents.
    Listing {
        /// The line heading the list.
        heading: &'static str,
        /// The fields of every item, in display order.
        fields: &'static [&'static str],
        /// Collects the items, handing each to the driver in listing order. Nothing is
        /// printed unless it returns `Ok`.
        select: fn(&mut Run<'_, A>, &mut Items<'_>) -> Result<()>,
    },
}

impl<A: ?Sized> fmt::Debug for ModeKind<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModeKind::Counters { filter_counters, .. } => {
                f.debug_struct("Counters").field("filter_counters", filter_counters).finish_non_exhaustive()
            }
            ModeKind::Listing { heading, fields, .. } => {
                f.debug_struct("Listing").field("heading", heading).field("fields", fields).finish_non_exhaustive()
            }
        }
    }
}

/// A mode: one kind of check, chosen with `--mode`.
pub struct ModeSpec<A: ?Sized + PluginApi> {
    /// The `--mode` name.
    pub name: &'static str,
    /// The Perl module name `--dyn-mode` may give instead.
    pub perl_module: &'static str,
    /// Paragraphs of its help section, separated by blank lines.
    pub description: &'static str,
    /// The custom-mode capability it needs.
    pub requires: A::Capability,
    /// Its own options, in help order.
    pub options: fn() -> Vec<OptionSpec>,
    /// What it does with the data it collects.
    pub kind: ModeKind<A>,
}

impl<A: ?Sized + PluginApi> fmt::Debug for ModeSpec<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModeSpec")
            .field("name", &self.name)
            .field("requires", &self.requires)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Who the plugin is: what `--plugin` must name and what `--help` says about it.
#[derive(Debug, Clone, Copy)]
pub struct PluginInfo {
    /// The Perl plugin name (`--plugin=`); also shown in JSON/XML/OpenMetrics.
    pub name: &'static str,
    /// The description paragraph of `--help`.
    pub description: &'static str,
    /// Which build this is (`name version`), added after the Perl version numbers
    /// that `--version` prints first on its line, for scripts that parse them: an
    /// administrator can tell which release of which implementation is installed.
    pub build: &'static str,
}

/// A whole plugin: who it is, its custom modes and its modes, all over the API `A`.
#[derive(Debug)]
pub struct Plugin<A: ?Sized + PluginApi + 'static> {
    /// Who it is.
    pub info: PluginInfo,
    custom_modes: Vec<&'static CustomModeSpec<A>>,
    modes: Vec<&'static ModeSpec<A>>,
}

impl<A: ?Sized + PluginApi> Plugin<A> {
    /// The plugin made of these custom modes and modes, in whatever order they were
    /// registered.
    pub fn new(
        info: PluginInfo,
        custom_modes: impl IntoIterator<Item = &'static CustomModeSpec<A>>,
        modes: impl IntoIterator<Item = &'static ModeSpec<A>>,
    ) -> Self {
        let mut custom_modes: Vec<_> = custom_modes.into_iter().collect();
        custom_modes.sort_by_key(|c| c.name);
        let mut modes: Vec<_> = modes.into_iter().collect();
        modes.sort_by_key(|m| m.name);
        Plugin { info, custom_modes, modes }
    }

    /// The custom modes, in name order; the first is the default.
    pub fn custom_modes(&self) -> &[&'static CustomModeSpec<A>] {
        &self.custom_modes
    }

    /// The modes, in `--list-mode` order.
    pub fn modes(&self) -> &[&'static ModeSpec<A>] {
        &self.modes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in API: the number it holds is what a mode reads.
    trait Probe {
        fn number(&self) -> u8;
    }

    impl PluginApi for dyn Probe {
        type Capability = char;
    }

    impl Probe for u8 {
        fn number(&self) -> u8 {
            *self
        }
    }

    fn listed(run: &mut Run<'_, dyn Probe>, items: &mut Items<'_>) -> Result<()> {
        items(vec![("n".into(), run.api().number().to_string())])
    }

    fn seven(_: &Env<'_>) -> Result<Box<dyn Probe>> {
        Ok(Box::new(7u8))
    }

    fn mode(name: &'static str) -> &'static ModeSpec<dyn Probe> {
        Box::leak(Box::new(ModeSpec {
            name,
            perl_module: "",
            description: "",
            requires: 'r',
            options: Vec::new,
            kind: ModeKind::Listing { heading: "", fields: &[], select: listed },
        }))
    }

    fn custom(name: &'static str) -> &'static CustomModeSpec<dyn Probe> {
        Box::leak(Box::new(CustomModeSpec {
            name,
            provides: |capability| capability == 'r',
            sections: Vec::new,
            build: seven,
        }))
    }

    #[test]
    fn plugin_lists_modes_and_custom_modes_by_name() {
        let info = PluginInfo { name: "p", description: "", build: "p 1.0" };
        let plugin = Plugin::new(info, [custom("b"), custom("a")], [mode("z"), mode("b"), mode("a")]);
        let names: Vec<&str> = plugin.modes().iter().map(|m| m.name).collect();
        assert_eq!(names, ["a", "b", "z"]);
        let names: Vec<&str> = plugin.custom_modes().iter().map(|c| c.name).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn a_mode_reaches_the_built_api_typed() {
        let (values, debug, notices) = (Values::default(), DebugLog::default(), Notices::default());
        let env = Env { values: &values, debug: &debug, notices: &notices, deadline: Instant::now() };
        let mut api = (custom("a").build)(&env).expect("built");
        let ModeKind::Listing { select, .. } = &mode("m").kind else { unreachable!("a listing") };
        let all = |_: &str| true;
        let mut items = Vec::new();
        select(&mut Run::new(&values, api.as_mut(), &debug, &all), &mut |item| {
            items.push(item);
            Ok(())
        })
        .expect("items");
        assert_eq!(items, [vec![("n".to_string(), "7".to_string())]]);
    }
}
